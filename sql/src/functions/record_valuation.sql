-- record_valuation: records pool p_pool_id's net asset value p_nav (in the
-- pool's currency, 0 or more) as of p_as_of, a date no later than today (UTC). A
-- second value for the same date restates the first. Metrics and
-- nav_shares use the latest valuation on or before their date.
-- Refusals: PKA01 (date), PKA02 (NAV), PKN01.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE FUNCTION poolkeeper.record_valuation(p_pool_id bigint, p_as_of date, p_nav numeric)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor smallint;
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'record valuations of');
    v_minor := poolkeeper.checked_metrics_request(p_pool_id, NULL, p_as_of);
    IF p_as_of > (now() AT TIME ZONE 'UTC')::date THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('valuation date %s is not a date up to today', p_as_of);
    END IF;
    IF p_nav IS DISTINCT FROM 0 THEN
        PERFORM poolkeeper.checked_amount(p_nav, v_minor, 'NAV');
    END IF;
    INSERT INTO poolkeeper.valuations (pool_id, as_of, nav)
    VALUES (p_pool_id, p_as_of, round(p_nav, v_minor))
    ON CONFLICT (pool_id, as_of) DO UPDATE SET nav = EXCLUDED.nav, recorded_at = EXCLUDED.recorded_at;
END;
$$;
