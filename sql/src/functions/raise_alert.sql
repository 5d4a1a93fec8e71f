-- raise_alert: records an alert of kind p_kind ('large_transaction' or
-- 'spike') for pool p_pool_id, for spike monitors and other producers, and
-- returns its id; the alert is announced on poolkeeper_alerts at commit.
-- Returns NULL, and announces nothing, when the pool has an alert with
-- p_dedupe_key (keys are per pool, so that nobody can take another pool's
-- keys first): of two sessions racing with one key, the second waits for the
-- first and gets NULL if it commits. p_details is a JSON object of at most
-- 8 kB; p_transaction_id, if given, is a ledger row of that pool. Keys that
-- start with 'large_transaction:' are the ledger trigger's own.
-- PKA01 for a bad argument, PKN01 for an unknown pool, PKN04 for an unknown
-- ledger row.
-- A poolkeeper_listener may raise spike alerts on any pool; a pool's
-- manager and a poolkeeper_admin any alert on it (42501 otherwise).
CREATE FUNCTION poolkeeper.raise_alert(
    p_kind text, p_pool_id bigint, p_details jsonb, p_dedupe_key text, p_transaction_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id        bigint;
    v_ledger_pool bigint;
BEGIN
    IF p_kind IS NULL OR p_kind NOT IN ('large_transaction', 'spike') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('alert kind %L is not large_transaction or spike', p_kind);
    END IF;
    PERFORM poolkeeper.checked_id(p_pool_id, 'pool_id');
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    IF NOT (p_kind = 'spike' AND poolkeeper.caller_is('poolkeeper_listener')) THEN
        PERFORM poolkeeper.authorize_pool(p_pool_id, format('raise %s alerts on', p_kind));
    END IF;
    IF p_details IS NULL OR jsonb_typeof(p_details) <> 'object' OR octet_length(p_details::text) > 8192 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'details must be a JSON object of at most 8 kB';
    END IF;
    PERFORM poolkeeper.checked_key(p_dedupe_key, 'dedupe_key');
    IF starts_with(p_dedupe_key, 'large_transaction:') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('dedupe_key %L is reserved: keys that start with large_transaction: belong to the ledger trigger', p_dedupe_key);
    END IF;
    IF p_transaction_id IS NOT NULL THEN
        SELECT pool_id INTO v_ledger_pool FROM poolkeeper.transactions WHERE id = p_transaction_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN04', MESSAGE = format('ledger row %s does not exist', p_transaction_id);
        END IF;
        IF v_ledger_pool <> p_pool_id THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('ledger row %s is not a row of pool %s', p_transaction_id, p_pool_id);
        END IF;
    END IF;
    INSERT INTO poolkeeper.alerts (kind, pool_id, transaction_id, details, dedupe_key)
    VALUES (p_kind, p_pool_id, p_transaction_id, p_details, p_dedupe_key)
    ON CONFLICT (pool_id, dedupe_key) DO NOTHING
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;
