-- nav_shares: each investor's share of pool p_pool_id's latest valuation on
-- or before p_as_of: the NAV split pro rata to the investors' net invested
-- capital (contributed - withdrawn - fees) at the end of the valuation's day
-- with allocate(), so the shares sum to the NAV exactly. Investors with no
-- net invested capital that day get 0; no rows when there is no valuation,
-- and NULL shares when nobody had capital invested. PKA01, PKN01.
CREATE FUNCTION poolkeeper.nav_shares(p_pool_id bigint, p_as_of date DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS TABLE (investor_id bigint, valuation_date date, net_invested numeric, nav_share numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_valuation poolkeeper.valuations;
    v_minor     smallint;
    v_investors bigint[];
    v_weights   numeric[];
BEGIN
    v_minor := poolkeeper.checked_metrics_request(p_pool_id, NULL, p_as_of);
    SELECT * INTO v_valuation FROM poolkeeper.valuations v
     WHERE v.pool_id = p_pool_id AND v.as_of <= p_as_of ORDER BY v.as_of DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT array_agg(l.investor_id ORDER BY l.investor_id), array_agg(l.net ORDER BY l.investor_id)
      INTO v_investors, v_weights
      FROM (SELECT a.investor_id, greatest(0, coalesce(sum(a.signed) FILTER (WHERE a.kind = 'contribution'), 0)
                                              - coalesce(sum(a.signed) FILTER (WHERE a.kind IN ('withdrawal', 'fee')), 0)) AS net
              FROM poolkeeper.ledger_as_of(p_pool_id, NULL, v_valuation.as_of) a
             GROUP BY a.investor_id) l;
    IF v_investors IS NULL THEN
        RETURN;
    END IF;
    IF v_valuation.nav = 0 OR NOT EXISTS (SELECT 1 FROM unnest(v_weights) w WHERE w > 0) THEN
        RETURN QUERY SELECT u.i, v_valuation.as_of, u.w,
                            CASE WHEN v_valuation.nav = 0 THEN round(0::numeric, v_minor) END
                       FROM unnest(v_investors, v_weights) AS u(i, w);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT u.i, v_valuation.as_of, u.w, a.part
      FROM unnest(v_investors, v_weights) AS u(i, w)
      JOIN poolkeeper.allocate(v_valuation.nav, v_minor, v_investors, v_weights) a ON a.key = u.i
     ORDER BY u.i;
END;
$$;
