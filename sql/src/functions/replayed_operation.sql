-- replayed_operation: for an operation requested under p_idempotency_key,
-- takes the key's advisory lock (held to the end of the transaction, so a
-- racing repeat waits and then replays) and returns the id of the operation
-- written before under the key when it was the same request (kind, pool,
-- total, basis and due date); NULL when the key is NULL or unused; PKS08
-- when it was used for a different request, PKA01 for a bad key.
CREATE FUNCTION poolkeeper.replayed_operation(p_idempotency_key text, p_kind text, p_pool_id bigint, p_total numeric,
                                              p_basis text, p_due_date date)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_op poolkeeper.operations;
BEGIN
    IF p_idempotency_key IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM poolkeeper.checked_key(p_idempotency_key, 'idempotency_key');
    PERFORM poolkeeper.lock_idempotency_key(p_idempotency_key);
    SELECT * INTO v_op FROM poolkeeper.operations WHERE idempotency_key = p_idempotency_key;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF v_op.pool_id IS DISTINCT FROM p_pool_id THEN  -- nothing about another pool's operation
        RAISE EXCEPTION USING ERRCODE = 'PKS08',
            MESSAGE = format('idempotency key %L was used for an operation of another pool', p_idempotency_key);
    END IF;
    IF (v_op.kind, v_op.total, v_op.basis) IS DISTINCT FROM (p_kind, p_total, p_basis)
       OR v_op.due_date IS DISTINCT FROM p_due_date THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS08',
            MESSAGE = format('idempotency key %L was used for operation %s (%s of %s in pool %s)',
                             p_idempotency_key, v_op.id, v_op.kind, v_op.total, v_op.pool_id);
    END IF;
    RETURN v_op.id;
END;
$$;
