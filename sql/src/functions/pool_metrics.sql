-- pool_metrics: pool p_pool_id's performance as of day p_as_of (UTC): paid-in
-- capital, distributions, withdrawals, fees, NAV, DPI, RVPI, TVPI, MOIC and
-- IRR (XIRR, actual/365), as fund_metrics defines them. PKA01, PKN01.
CREATE FUNCTION poolkeeper.pool_metrics(p_pool_id bigint, p_as_of date DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS TABLE (pool_id bigint, as_of date, currency text, paid_in numeric, distributions numeric, withdrawals numeric,
               fees numeric, nav numeric, valuation_date date, dpi numeric, rvpi numeric, tvpi numeric, moic numeric,
               irr numeric, irr_note text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_metrics_request(p_pool_id, NULL, p_as_of);
    RETURN QUERY
    SELECT p.id, p_as_of, p.currency, m.*
      FROM poolkeeper.pools p CROSS JOIN LATERAL poolkeeper.fund_metrics(p.id, NULL, p_as_of) m
     WHERE p.id = p_pool_id;
END;
$$;
