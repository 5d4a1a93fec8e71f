-- top_investors: the p_limit investors (1 to 10000, PKA01 otherwise) who
-- contributed to the most distinct pools, then by total contributed, then by
-- investor_id. A reversed contribution counts as if it had never been made,
-- whenever it was reversed. Amounts are summed as numbers across currencies.
--
-- With no period this reads investor_totals' index: its cost does not grow
-- with the ledger. With a period [p_from, p_to) of occurred_at (either end
-- may be NULL; PKA01 if empty) it aggregates the contributions of that
-- period, through the BRIN index on occurred_at: its cost grows with the
-- rows in the period.
--
-- It reads what the caller may read (row-level security): a poolkeeper_admin
-- or poolkeeper_auditor reads every pool, through investor_totals when there
-- is no period; anybody else gets the ledger's answer over the rows they may
-- see (a manager: their own pools), whatever the period.
CREATE FUNCTION poolkeeper.top_investors(p_limit integer DEFAULT 5, p_from timestamptz DEFAULT NULL,
                                         p_to timestamptz DEFAULT NULL)
RETURNS TABLE (investor_id bigint, investor_name text, pool_count bigint, total_invested numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_limit(p_limit);
    PERFORM poolkeeper.checked_period(p_from, p_to);
    IF p_from IS NULL AND p_to IS NULL
       AND (poolkeeper.caller_is('poolkeeper_admin') OR poolkeeper.caller_is('poolkeeper_auditor')) THEN
        RETURN QUERY
        SELECT t.investor_id, i.name, t.pool_count, t.contributed::numeric
          FROM poolkeeper.investor_totals t
          JOIN poolkeeper.investors i ON i.id = t.investor_id
         WHERE t.pool_count > 0
         ORDER BY t.pool_count DESC, t.contributed DESC, t.investor_id
         LIMIT p_limit;
    ELSE
        RETURN QUERY
        SELECT c.investor_id, i.name, c.pool_count, c.total
          FROM (SELECT t.investor_id, count(DISTINCT t.pool_id) AS pool_count, sum(t.amount) AS total
                  FROM poolkeeper.transactions t
                 WHERE t.kind = 'contribution' AND t.reverses_id IS NULL
                   AND t.occurred_at >= coalesce(p_from, '-infinity') AND t.occurred_at < coalesce(p_to, 'infinity')
                   AND NOT EXISTS (SELECT 1 FROM poolkeeper.transactions r WHERE r.reverses_id = t.id)
                 GROUP BY t.investor_id) c
          JOIN poolkeeper.investors i ON i.id = c.investor_id
         ORDER BY c.pool_count DESC, c.total DESC, c.investor_id
         LIMIT p_limit;
    END IF;
END;
$$;
