-- obligation_paid: what investor p_investor_id has paid of capital call
-- p_call_id: the sum of the payments recorded against it whose ledger rows
-- have not been reversed. PKA01 for a NULL id; PKN05, PKN02 or PKN06 when
-- the obligation is not there (no such call, no such investor, or the
-- investor owes nothing in it), as far as the caller may see.
CREATE FUNCTION poolkeeper.obligation_paid(p_call_id bigint, p_investor_id bigint)
RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.obligations WHERE operation_id = p_call_id AND investor_id = p_investor_id) THEN
        PERFORM poolkeeper.checked_id(p_call_id, 'call_id'), poolkeeper.checked_id(p_investor_id, 'investor_id');
        IF NOT EXISTS (SELECT 1 FROM poolkeeper.operations WHERE id = p_call_id AND kind = 'capital_call') THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN05', MESSAGE = format('capital call %s does not exist', p_call_id);
        END IF;
        PERFORM poolkeeper.checked_investor_exists(p_investor_id);
        RAISE EXCEPTION USING ERRCODE = 'PKN06',
            MESSAGE = format('investor %s owes nothing in capital call %s', p_investor_id, p_call_id);
    END IF;
    RETURN (SELECT coalesce(sum(t.amount), 0)
              FROM poolkeeper.obligation_payments op
              JOIN poolkeeper.transactions t ON t.id = op.transaction_id
             WHERE op.operation_id = p_call_id AND op.investor_id = p_investor_id
               AND NOT EXISTS (SELECT 1 FROM poolkeeper.transactions r WHERE r.reverses_id = t.id));
END;
$$;
