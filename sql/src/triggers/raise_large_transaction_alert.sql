-- raise_large_transaction_alert: the large_transaction alert of ledger row
-- p_row, whose amount is above p_threshold, raised by ledger_before_insert in
-- the row's own database transaction: if the row is rolled back, so is the
-- alert, and nothing is announced. Amounts go into details as strings.
CREATE FUNCTION poolkeeper.raise_large_transaction_alert(p_row poolkeeper.transactions, p_threshold numeric, p_currency text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO poolkeeper.alerts (kind, pool_id, transaction_id, details, raised_at, dedupe_key)
    VALUES ('large_transaction', p_row.pool_id, p_row.id,
            jsonb_build_object('investor_id', p_row.investor_id, 'transaction_kind', p_row.kind,
                               'amount', p_row.amount::text, 'threshold', p_threshold::text,
                               'currency', p_currency),
            p_row.recorded_at, 'large_transaction:' || p_row.id);
END;
$$;
