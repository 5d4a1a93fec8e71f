-- replayed_post: the id of the ledger row posted earlier under p_key, when the
-- request matches it; NULL when the key is unused; PKS08 when the key was used
-- for a different request. occurred_at takes part only when the caller gave
-- one (NULL means "now", which differs on every retry). A request that does
-- not match and is invalid by itself gets check_ledger_row's error instead.
-- Call it holding lock_idempotency_key(p_key).
CREATE FUNCTION poolkeeper.replayed_post(
    p_key text, p_pool_id bigint, p_investor_id bigint, p_kind text, p_amount numeric,
    p_occurred_at timestamptz, p_metadata jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row poolkeeper.transactions;
    v_request poolkeeper.transactions;
BEGIN
    SELECT * INTO v_row FROM poolkeeper.transactions WHERE idempotency_key = p_key;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF v_row.pool_id IS DISTINCT FROM p_pool_id OR v_row.investor_id IS DISTINCT FROM p_investor_id
       OR v_row.kind IS DISTINCT FROM p_kind OR v_row.amount IS DISTINCT FROM p_amount
       OR v_row.metadata IS DISTINCT FROM coalesce(p_metadata, '{}')
       OR (p_occurred_at IS NOT NULL AND v_row.occurred_at IS DISTINCT FROM p_occurred_at) THEN
        -- A request that is bad in itself gets the error for that, not PKS08.
        v_request.pool_id := p_pool_id;
        v_request.investor_id := p_investor_id;
        v_request.kind := p_kind;
        v_request.amount := p_amount;
        v_request.occurred_at := coalesce(p_occurred_at, now());
        v_request.idempotency_key := p_key;
        v_request.metadata := coalesce(p_metadata, '{}');
        PERFORM poolkeeper.check_ledger_row(v_request);
        IF v_row.pool_id IS DISTINCT FROM p_pool_id THEN  -- nothing about another pool's row
            RAISE EXCEPTION USING ERRCODE = 'PKS08',
                MESSAGE = format('idempotency key %L was used for a ledger row of another pool', p_key);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'PKS08',
            MESSAGE = format('idempotency key %L was used for ledger row %s, a different request', p_key, v_row.id);
    END IF;
    RETURN v_row.id;
END;
$$;
