-- reverse_transaction: appends the reversal of ledger row p_transaction_id
-- (same pool, investor, kind and amount, opposite effect) with p_reason in
-- its metadata, and returns the reversal's id. A row is reversed at most once
-- (PKS06); a reversal is never reversed (PKS07). 42501 unless the caller
-- may change the row's pool (authorize_pool).
CREATE FUNCTION poolkeeper.reverse_transaction(p_transaction_id bigint, p_reason text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_transaction_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'transaction_id must not be NULL';
    END IF;
    PERFORM poolkeeper.authorize_pool((SELECT pool_id FROM poolkeeper.transactions WHERE id = p_transaction_id), 'reverse rows of');
    INSERT INTO poolkeeper.transactions (reverses_id, metadata)
    VALUES (p_transaction_id, jsonb_build_object('reason', poolkeeper.checked_name(p_reason, 'reason')))
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;
