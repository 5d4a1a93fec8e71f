-- investor_statement: investor p_investor_id's account in each pool for the
-- period [p_from, p_to) of occurred_at (either end may be NULL, for the
-- beginning of the ledger or now): the balance (net_invested: contributed -
-- withdrawn - fees) before the period, the period's contributions,
-- withdrawals, distributions and fees, and the balance after it. A reversal
-- counts against its kind when it occurred, so that opening + contributed -
-- withdrawn - fees = closing, and the closing balance with no p_to is the
-- position's net_invested. Amounts are in each pool's currency. One row per
-- pool with ledger rows before p_to, by pool_id. PKA01 for a NULL id or an
-- empty period; PKN02 if the investor does not exist.
CREATE FUNCTION poolkeeper.investor_statement(p_investor_id bigint, p_from timestamptz DEFAULT NULL,
                                              p_to timestamptz DEFAULT NULL)
RETURNS TABLE (pool_id bigint, pool_name text, currency text, opening_balance numeric, contributed numeric,
               withdrawn numeric, distributed numeric, fees numeric, closing_balance numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_period(p_from, p_to);
    PERFORM poolkeeper.checked_investor_exists(p_investor_id);
    RETURN QUERY
    WITH signed AS (
        SELECT t.pool_id, t.kind, t.occurred_at >= coalesce(p_from, '-infinity') AS in_period,
               CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END AS amount
          FROM poolkeeper.transactions t
         WHERE t.investor_id = p_investor_id AND t.occurred_at < coalesce(p_to, 'infinity')
    ), per_pool AS (
        SELECT s.pool_id,
               coalesce(sum(CASE s.kind WHEN 'contribution' THEN s.amount WHEN 'distribution' THEN 0 ELSE -s.amount END)
                        FILTER (WHERE NOT s.in_period), 0) AS opening,
               coalesce(sum(s.amount) FILTER (WHERE s.in_period AND s.kind = 'contribution'), 0) AS contributed,
               coalesce(sum(s.amount) FILTER (WHERE s.in_period AND s.kind = 'withdrawal'), 0) AS withdrawn,
               coalesce(sum(s.amount) FILTER (WHERE s.in_period AND s.kind = 'distribution'), 0) AS distributed,
               coalesce(sum(s.amount) FILTER (WHERE s.in_period AND s.kind = 'fee'), 0) AS fees
          FROM signed s
         GROUP BY s.pool_id
    )
    SELECT pp.pool_id, p.name, p.currency, pp.opening, pp.contributed, pp.withdrawn, pp.distributed, pp.fees,
           pp.opening + pp.contributed - pp.withdrawn - pp.fees
      FROM per_pool pp
      JOIN poolkeeper.pools p ON p.id = pp.pool_id
     ORDER BY pp.pool_id;
END;
$$;
