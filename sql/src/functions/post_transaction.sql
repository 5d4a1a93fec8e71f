-- post_transaction: appends one ledger row (contribution, withdrawal,
-- distribution or fee) and returns its id; the position changes in the same
-- database transaction. Rules and their SQLSTATEs: ledger_before_insert.
-- With p_idempotency_key, a repeat of the same request returns the original
-- id and writes nothing, also when two repeats race; a different request
-- under the same key fails with PKS08. p_occurred_at NULL means now().
CREATE FUNCTION poolkeeper.post_transaction(
    p_pool_id bigint, p_investor_id bigint, p_kind text, p_amount numeric,
    p_idempotency_key text DEFAULT NULL, p_occurred_at timestamptz DEFAULT NULL,
    p_metadata jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_id         bigint;
    v_constraint text;
BEGIN
    IF p_idempotency_key IS NULL THEN
        INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, occurred_at, metadata)
        VALUES (p_pool_id, p_investor_id, p_kind, p_amount, p_occurred_at, p_metadata)
        RETURNING id INTO v_id;
        RETURN v_id;
    END IF;

    v_id := poolkeeper.replayed_post(p_idempotency_key, p_pool_id, p_investor_id, p_kind, p_amount,
                                     p_occurred_at, p_metadata);
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    BEGIN
        INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, occurred_at, metadata, idempotency_key)
        VALUES (p_pool_id, p_investor_id, p_kind, p_amount, p_occurred_at, p_metadata, p_idempotency_key)
        RETURNING id INTO v_id;
    EXCEPTION WHEN unique_violation THEN
        -- A concurrent post with the same key committed first: replay it.
        GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
        IF v_constraint IS DISTINCT FROM 'transactions_idempotency_key' THEN
            RAISE;
        END IF;
        v_id := poolkeeper.replayed_post(p_idempotency_key, p_pool_id, p_investor_id, p_kind, p_amount,
                                         p_occurred_at, p_metadata);
    END;
    RETURN v_id;
END;
$$;
