-- xirr_npv: the net present value at annual rate p_rate of amounts
-- p_amounts received p_years[i] years after the first (xirr's function).
CREATE FUNCTION poolkeeper.xirr_npv(p_amounts numeric[], p_years numeric[], p_rate numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT sum(CASE WHEN y = 0 THEN a ELSE a / exp(y * ln(1 + p_rate)) END)
      FROM unnest(p_amounts, p_years) AS u(a, y)
$$;

-- xirr_npv_derivative: d(xirr_npv)/d(rate), for xirr's Newton steps.
CREATE FUNCTION poolkeeper.xirr_npv_derivative(p_amounts numeric[], p_years numeric[], p_rate numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT sum(CASE WHEN y = 0 THEN 0 ELSE -y * a / exp((y + 1) * ln(1 + p_rate)) END)
      FROM unnest(p_amounts, p_years) AS u(a, y)
$$;
