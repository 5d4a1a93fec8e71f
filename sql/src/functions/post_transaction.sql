-- post_transaction: appends one ledger row (contribution, withdrawal,
-- distribution or fee) and returns its id; the position changes in the same
-- database transaction. Rules and their SQLSTATEs: ledger_before_insert.
-- With p_idempotency_key, a repeat of the same request returns the original
-- id and writes nothing; a different request under the same key fails with
-- PKS08. Posts under one key queue on an advisory lock, so a retry racing its
-- original waits for it and replays it. Under REPEATABLE READ or
-- SERIALIZABLE, a duplicate committed by a concurrent transaction is not in
-- the snapshot: that fails with 40001, and the retry replays it.
-- p_occurred_at NULL means now().
-- 42501 unless the caller may change the pool (authorize_pool), checked
-- before a key is replayed; the posting role is kept in posted_by.
CREATE FUNCTION poolkeeper.post_transaction(
    p_pool_id bigint, p_investor_id bigint, p_kind text, p_amount numeric,
    p_idempotency_key text DEFAULT NULL, p_occurred_at timestamptz DEFAULT NULL,
    p_metadata jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF NOT poolkeeper.caller_is('poolkeeper_admin') THEN  -- the common case without a call
        PERFORM poolkeeper.authorize_pool(p_pool_id, 'post to');
    END IF;
    IF p_idempotency_key IS NULL THEN
        INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, occurred_at, metadata)
        VALUES (p_pool_id, p_investor_id, p_kind, p_amount, p_occurred_at, p_metadata)
        RETURNING id INTO v_id;
        RETURN v_id;
    END IF;

    PERFORM poolkeeper.checked_key(p_idempotency_key, 'idempotency_key');  -- before the key is looked up
    PERFORM poolkeeper.lock_idempotency_key(p_idempotency_key);
    v_id := poolkeeper.replayed_post(p_idempotency_key, p_pool_id, p_investor_id, p_kind, p_amount,
                                     p_occurred_at, p_metadata);
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    BEGIN
        INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, occurred_at, metadata, idempotency_key)
        VALUES (p_pool_id, p_investor_id, p_kind, p_amount, p_occurred_at, p_metadata, p_idempotency_key)
        RETURNING id INTO v_id;
    EXCEPTION WHEN unique_violation OR SQLSTATE 'PKS08' THEN
        -- Only a writer that took no key lock (a plain INSERT), or one whose
        -- snapshot predates the other's commit, gets here.
        v_id := poolkeeper.replayed_post(p_idempotency_key, p_pool_id, p_investor_id, p_kind, p_amount,
                                         p_occurred_at, p_metadata);
        IF v_id IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '40001',
                MESSAGE = format('idempotency key %L was used by a transaction that committed after this one began; retry',
                                 p_idempotency_key);
        END IF;
    END;
    RETURN v_id;
END;
$$;
