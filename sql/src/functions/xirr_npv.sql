-- xirr_npv: the net present value at annual rate p_rate of amounts
-- p_amounts received p_years[i] years after the first, and its slope
-- d(npv)/d(rate): what each of xirr's steps needs, in one pass, with one
-- logarithm (each term is amount × (1 + rate)^-years = amount × exp(-years × ln(1 + rate))).
-- PKA01 unless the arrays have the same length and finite values, and the
-- rate is finite and above -100%.
CREATE FUNCTION poolkeeper.xirr_npv(p_amounts numeric[], p_years numeric[], p_rate numeric,
                                    OUT npv numeric, OUT slope numeric)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_rate IS NULL OR p_rate IN ('NaN', 'Infinity') OR p_rate <= -1
       OR p_amounts IS NULL OR p_years IS NULL OR cardinality(p_amounts) <> cardinality(p_years)
       OR array_position(p_amounts, NULL) IS NOT NULL OR array_position(p_years, NULL) IS NOT NULL
       OR EXISTS (SELECT 1 FROM unnest(p_amounts, p_years) AS u(a, y)
                   WHERE u.a IN ('NaN', 'Infinity', '-Infinity') OR u.y IN ('NaN', 'Infinity', '-Infinity')) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = 'amounts and years must be arrays of the same length with finite values, and the rate finite and above -1';
    END IF;
    SELECT sum(t.present), sum(-t.y * t.present) / (1 + p_rate) INTO npv, slope
      FROM (SELECT u.y, CASE WHEN u.y = 0 THEN u.a ELSE u.a * exp(-u.y * c.l) END AS present
              FROM unnest(p_amounts, p_years) AS u(a, y), (SELECT ln(1 + p_rate) AS l) c) t;
END;
$$;
