-- investor_metrics: investor p_investor_id's performance as of day p_as_of
-- (UTC) in each pool where they have a position, one row per pool (pools
-- may differ in currency, so nothing is summed across them), as
-- fund_metrics defines it; nav is their share of the pool's NAV
-- (nav_shares) rolled forward by their own flows. PKA01, PKN02.
-- SECURITY DEFINER, because an investor's NAV share needs the whole pool's
-- ledger, which the investor may not read; so it chooses the pools itself:
-- every pool for a poolkeeper_admin or poolkeeper_auditor and for the
-- investor's own role, the pools they manage for anybody else (none for a
-- role that manages none).
CREATE FUNCTION poolkeeper.investor_metrics(p_investor_id bigint, p_as_of date DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS TABLE (pool_id bigint, investor_id bigint, as_of date, currency text, paid_in numeric, distributions numeric,
               withdrawals numeric, fees numeric, nav numeric, valuation_date date, dpi numeric, rvpi numeric,
               tvpi numeric, moic numeric, irr numeric, irr_note text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pools bigint[];  -- NULL: every pool
BEGIN
    PERFORM poolkeeper.checked_metrics_request(NULL, p_investor_id, p_as_of);
    IF NOT (poolkeeper.caller_is('poolkeeper_admin') OR poolkeeper.caller_is('poolkeeper_auditor'))
       AND p_investor_id IS DISTINCT FROM poolkeeper.caller_investor_id() THEN
        v_pools := poolkeeper.caller_managed_pools();
    END IF;
    RETURN QUERY
    SELECT ps.pool_id, p_investor_id, p_as_of, ps.currency, m.*
      FROM poolkeeper.positions ps CROSS JOIN LATERAL poolkeeper.fund_metrics(ps.pool_id, p_investor_id, p_as_of) m
     WHERE ps.investor_id = p_investor_id AND (v_pools IS NULL OR ps.pool_id = ANY (v_pools))
     ORDER BY ps.pool_id;
END;
$$;
