-- obligation_paid: what investor p_investor_id has paid of capital call
-- p_call_id: the sum of the payments recorded against it whose ledger rows
-- have not been reversed.
CREATE FUNCTION poolkeeper.obligation_paid(p_call_id bigint, p_investor_id bigint)
RETURNS numeric
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(sum(t.amount), 0)
      FROM poolkeeper.obligation_payments op
      JOIN poolkeeper.transactions t ON t.id = op.transaction_id
     WHERE op.operation_id = p_call_id AND op.investor_id = p_investor_id
       AND NOT EXISTS (SELECT 1 FROM poolkeeper.transactions r WHERE r.reverses_id = t.id)
$$;
