-- ledger_refusal: raises why ledger row p_row could not be applied to its
-- position, checking in this order: the pool exists (PKN01), the amount fits
-- the currency (PKA02), the pool is open (PKS01), the investor exists (PKN02)
-- and is a member (PKS02); otherwise the position would go below zero (PKS04).
-- Called by ledger_before_insert only after its UPDATE found no row; it runs
-- after that UPDATE waited for the row lock, so it sees what was committed.
-- It takes no lock: the caller holds a position's lock, and close_pool and
-- remove_investor lock the pool before positions.
CREATE FUNCTION poolkeeper.ledger_refusal(p_row poolkeeper.transactions)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
    v_minor  smallint;
BEGIN
    SELECT p.status, c.minor_units INTO v_status, v_minor
      FROM poolkeeper.pools p JOIN poolkeeper.currencies c ON c.code = p.currency
     WHERE p.id = p_row.pool_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_row.pool_id);
    END IF;
    PERFORM poolkeeper.checked_amount(p_row.amount, v_minor, 'amount');
    IF v_status <> 'open' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS01', MESSAGE = format('pool %s is closed', p_row.pool_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.investors WHERE id = p_row.investor_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN02', MESSAGE = format('investor %s does not exist', p_row.investor_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.positions
                    WHERE pool_id = p_row.pool_id AND investor_id = p_row.investor_id AND is_open) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS02',
            MESSAGE = format('investor %s is not a member of pool %s', p_row.investor_id, p_row.pool_id);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'PKS04',
        MESSAGE = format('%s %s %s would take net_invested of investor %s in pool %s below zero (it is %s)',
                         CASE WHEN p_row.reverses_id IS NULL THEN 'a' ELSE 'reversing a' END,
                         p_row.kind, round(p_row.amount, v_minor), p_row.investor_id, p_row.pool_id,
                         (SELECT net_invested FROM poolkeeper.positions
                           WHERE pool_id = p_row.pool_id AND investor_id = p_row.investor_id));
END;
$$;
