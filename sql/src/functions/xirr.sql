-- xirr: the internal rate of return of dated cash flows (p_amounts[i] on
-- p_dates[i]; negative paid in, positive paid out), as an annual rate under
-- actual/365: the r at which the sum of amount / (1 + r)^(days since the
-- first date / 365) is zero. Flows on one date are added together first.
-- rate is NULL, with note saying why, when there are no flows, when they do
-- not change sign (no rate exists), or when no rate between -99.99% and
-- 10^6 (100,000,000%) is found. The search looks for a sign change of the
-- present value between neighbouring rates of a fixed grid, exploring from
-- 0 outwards (the nearer unexplored grid rate first; on a tie, the lower),
-- and solves in the first bracket found: when several rates solve it, one
-- near 0, though not always the nearest. Then Newton steps, kept inside the
-- bracket that bisection narrows, to 1e-12; all in numeric, rounded to 10
-- decimals.
-- PKA01 for NULL arrays, arrays of different lengths, or with NULLs or
-- infinite values.
CREATE FUNCTION poolkeeper.xirr(p_amounts numeric[], p_dates date[], OUT rate numeric, OUT note text)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_amounts   numeric[];
    v_years     numeric[];
    v_grid      numeric[] := '{-0.9999,-0.99,-0.9,-0.75,-0.5,-0.25,0,0.1,0.25,0.5,1,2,5,10,100,1000,10000,1000000}';
    v_npv       numeric[];
    v_left      int := 7;  -- v_grid[7] = 0: the explored grid is v_left .. v_right
    v_right     int := 7;
    v_at        int;
    v_from      int;
    v_lo        numeric;
    v_hi        numeric;
    v_f_lo      numeric;
    v_r         numeric;
    v_f         numeric;
    v_df        numeric;
    v_next      numeric;
    v_converged boolean := false;
    i           int;
BEGIN
    IF p_amounts IS NULL OR p_dates IS NULL OR cardinality(p_amounts) IS DISTINCT FROM cardinality(p_dates)
       OR array_position(p_amounts, NULL) IS NOT NULL OR array_position(p_dates, NULL) IS NOT NULL
       OR EXISTS (SELECT 1 FROM unnest(p_amounts) a WHERE a IN ('NaN', 'Infinity', '-Infinity'))
       OR EXISTS (SELECT 1 FROM unnest(p_dates) d WHERE d IN ('infinity', '-infinity')) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = 'amounts and dates must be arrays of the same length with finite values and no NULLs';
    END IF;
    SELECT array_agg(f.amount ORDER BY f.day), array_agg(f.days::numeric / 365 ORDER BY f.day)
      INTO v_amounts, v_years
      FROM (SELECT u.d AS day, sum(u.a) AS amount, u.d - min(u.d) OVER () AS days
              FROM unnest(p_amounts, p_dates) AS u(a, d)
             GROUP BY u.d HAVING sum(u.a) <> 0) f;
    IF v_amounts IS NULL THEN
        note := 'there are no cash flows';
        RETURN;
    END IF;
    IF NOT (EXISTS (SELECT 1 FROM unnest(v_amounts) a WHERE a < 0) AND EXISTS (SELECT 1 FROM unnest(v_amounts) a WHERE a > 0)) THEN
        note := 'the cash flows do not change sign: no rate of return exists';
        RETURN;
    END IF;

    -- A bracket: grow the explored grid from 0 towards the nearer unexplored
    -- rate until the present value changes sign between neighbours.
    v_npv := array_fill(NULL::numeric, ARRAY[cardinality(v_grid)]);
    v_npv[7] := (poolkeeper.xirr_npv(v_amounts, v_years, 0)).npv;
    IF v_npv[7] = 0 THEN
        rate := 0;
        RETURN;
    END IF;
    LOOP
        EXIT WHEN v_left = 1 AND v_right = cardinality(v_grid);
        IF v_right = cardinality(v_grid) OR (v_left > 1 AND abs(v_grid[v_left - 1]) <= abs(v_grid[v_right + 1])) THEN
            v_at := v_left - 1; v_from := v_left; v_left := v_at;
        ELSE
            v_at := v_right + 1; v_from := v_right; v_right := v_at;
        END IF;
        v_npv[v_at] := (poolkeeper.xirr_npv(v_amounts, v_years, v_grid[v_at])).npv;
        IF v_npv[v_at] = 0 THEN
            rate := round(v_grid[v_at], 10);
            RETURN;
        END IF;
        IF sign(v_npv[v_at]) <> sign(v_npv[v_from]) THEN
            v_lo := least(v_grid[v_at], v_grid[v_from]);
            v_hi := greatest(v_grid[v_at], v_grid[v_from]);
            v_f_lo := CASE WHEN v_grid[v_at] < v_grid[v_from] THEN v_npv[v_at] ELSE v_npv[v_from] END;
            EXIT;
        END IF;
    END LOOP;
    IF v_lo IS NULL THEN
        note := 'no rate between -99.99% and 100,000,000% makes the net present value zero';
        RETURN;
    END IF;

    v_r := (v_lo + v_hi) / 2;
    FOR i IN 1 .. 200 LOOP
        SELECT n.npv, n.slope INTO v_f, v_df FROM poolkeeper.xirr_npv(v_amounts, v_years, v_r) n;
        IF v_f = 0 THEN
            v_converged := true;
            v_next := v_r;
            EXIT;
        END IF;
        IF sign(v_f) = sign(v_f_lo) THEN
            v_lo := v_r; v_f_lo := v_f;
        ELSE
            v_hi := v_r;
        END IF;
        -- Newton's step when it stays inside the bracket, else bisection.
        v_next := CASE WHEN v_df <> 0 THEN v_r - v_f / v_df END;
        IF v_next IS NULL OR v_next <= v_lo OR v_next >= v_hi THEN
            v_next := (v_lo + v_hi) / 2;
        END IF;
        IF abs(v_next - v_r) < 1e-12 OR v_hi - v_lo < 1e-12 THEN
            v_converged := true;
            EXIT;
        END IF;
        v_r := round(v_next, 20);
    END LOOP;
    IF NOT v_converged THEN
        note := 'the rate of return did not converge';
        RETURN;
    END IF;
    rate := round(v_next, 10);
END;
$$;
