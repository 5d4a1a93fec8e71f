-- xirr_npv: the net present value at annual rate p_rate of amounts
-- p_amounts received p_years[i] years after the first, and its slope
-- d(npv)/d(rate): what each of xirr's steps needs, in one pass, with one
-- logarithm (each term is amount × (1 + rate)^-years = amount × exp(-years × ln(1 + rate))).
CREATE FUNCTION poolkeeper.xirr_npv(p_amounts numeric[], p_years numeric[], p_rate numeric,
                                    OUT npv numeric, OUT slope numeric)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT sum(t.present), sum(-t.y * t.present) / (1 + p_rate)
      FROM (SELECT u.y, CASE WHEN u.y = 0 THEN u.a ELSE u.a * exp(-u.y * c.l) END AS present
              FROM unnest(p_amounts, p_years) AS u(a, y), (SELECT ln(1 + p_rate) AS l) c) t
$$;
