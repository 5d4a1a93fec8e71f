-- fund_metrics: the performance of pool p_pool_id as of day p_as_of (UTC
-- days), for the whole pool, or for investor p_investor_id's position in it.
-- Amounts are net of reversals, over ledger rows that occurred up to the
-- end of p_as_of:
--   paid_in       contributions
--   distributions, withdrawals, fees: the sums of those kinds
--   nav           the latest valuation on or before p_as_of (for an
--                 investor, their nav_shares share of it), rolled forward by
--                 the flows after its date (+ contributions - withdrawals -
--                 distributions - fees), never below 0; NULL with no valuation
--   dpi   = (distributions + withdrawals) / paid_in
--   rvpi  = nav / paid_in
--   tvpi  = dpi + rvpi
--   moic  = (distributions + withdrawals + nav) / (paid_in - fees): on the
--           capital actually invested, where tvpi is on all paid in
--   irr   = xirr of the investors' cash flows (-contributions, +withdrawals,
--           +distributions, on their days) and the nav as a final inflow on
--           p_as_of; NULL without a valuation; irr_note says why it is NULL.
-- Ratios are NULL when their denominator is 0, rvpi, tvpi and moic also
-- when nav is NULL; all are rounded to 6 decimals. PKA01, PKN01 and PKN02
-- for bad arguments (checked by ledger_as_of).
CREATE FUNCTION poolkeeper.fund_metrics(p_pool_id bigint, p_investor_id bigint, p_as_of date)
RETURNS TABLE (paid_in numeric, distributions numeric, withdrawals numeric, fees numeric, nav numeric,
               valuation_date date, dpi numeric, rvpi numeric, tvpi numeric, moic numeric, irr numeric, irr_note text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor     smallint;
    v_valuation poolkeeper.valuations;
    v_returned  numeric;
    v_amounts   numeric[];
    v_dates     date[];
    v_kinds     text[];
    v_days      date[];
    v_signed    numeric[];
BEGIN
    -- The rows, read once (ledger_as_of checks the arguments); each query
    -- below reads them back with unnest.
    SELECT coalesce(array_agg(l.kind), '{}'), coalesce(array_agg(l.day), '{}'), coalesce(array_agg(l.signed), '{}')
      INTO v_kinds, v_days, v_signed
      FROM poolkeeper.ledger_as_of(p_pool_id, p_investor_id, p_as_of) l;
    SELECT c.minor_units INTO v_minor
      FROM poolkeeper.pools p JOIN poolkeeper.currencies c ON c.code = p.currency WHERE p.id = p_pool_id;

    SELECT round(coalesce(sum(r.signed) FILTER (WHERE r.kind = 'contribution'), 0), v_minor),
           round(coalesce(sum(r.signed) FILTER (WHERE r.kind = 'distribution'), 0), v_minor),
           round(coalesce(sum(r.signed) FILTER (WHERE r.kind = 'withdrawal'), 0), v_minor),
           round(coalesce(sum(r.signed) FILTER (WHERE r.kind = 'fee'), 0), v_minor)
      INTO paid_in, distributions, withdrawals, fees
      FROM unnest(v_kinds, v_days, v_signed) AS r(kind, day, signed);

    SELECT * INTO v_valuation FROM poolkeeper.valuations v
     WHERE v.pool_id = p_pool_id AND v.as_of <= p_as_of ORDER BY v.as_of DESC LIMIT 1;
    IF FOUND THEN
        valuation_date := v_valuation.as_of;
        nav := CASE WHEN p_investor_id IS NULL THEN v_valuation.nav
                    ELSE (SELECT s.nav_share FROM poolkeeper.nav_shares(p_pool_id, v_valuation.as_of) s
                           WHERE s.investor_id = p_investor_id) END;
        IF nav IS NOT NULL OR p_investor_id IS NOT NULL THEN
            nav := greatest(0, coalesce(nav, 0) + coalesce((
                       SELECT sum(CASE WHEN r.kind = 'contribution' THEN r.signed ELSE -r.signed END)
                         FROM unnest(v_kinds, v_days, v_signed) AS r(kind, day, signed) WHERE r.day > v_valuation.as_of), 0));
            nav := round(nav, v_minor);
        END IF;
    END IF;

    v_returned := distributions + withdrawals;
    IF paid_in > 0 THEN
        dpi := round(v_returned / paid_in, 6);
        rvpi := round(nav / paid_in, 6);
        tvpi := round((v_returned + nav) / paid_in, 6);
    END IF;
    IF paid_in - fees > 0 THEN
        moic := round((v_returned + nav) / (paid_in - fees), 6);
    END IF;

    -- Without a valuation the value still held is unknown, and the flows
    -- alone would read it as lost.
    IF nav IS NULL THEN
        irr_note := format('no valuation on or before %s: the value still held is unknown', p_as_of);
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT array_agg(f.amount), array_agg(f.day) INTO v_amounts, v_dates
      FROM (SELECT r.day, CASE WHEN r.kind = 'contribution' THEN -r.signed ELSE r.signed END AS amount
              FROM unnest(v_kinds, v_days, v_signed) AS r(kind, day, signed) WHERE r.kind <> 'fee'
            UNION ALL
            SELECT p_as_of, nav WHERE nav > 0) f;
    SELECT x.rate, x.note INTO irr, irr_note
      FROM poolkeeper.xirr(coalesce(v_amounts, '{}'), coalesce(v_dates, '{}')) x;
    RETURN NEXT;
END;
$$;
