-- checked_amount: p_amount rounded to p_minor_units decimals (so 100 in USD is
-- stored as 100.00), or PKA02 when it is NULL, NaN, infinite, not positive,
-- at least 10^18, or has more decimals than the currency allows. With
-- p_minor_units NULL only the range is checked and p_amount is returned as is.
CREATE FUNCTION poolkeeper.checked_amount(p_amount numeric, p_minor_units smallint, p_what text)
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_amount IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA02', MESSAGE = format('%s must not be NULL', p_what);
    END IF;
    -- NaN sorts above every number in PostgreSQL, so test for it by name.
    IF p_amount IN ('NaN', 'Infinity', '-Infinity') OR p_amount <= 0 OR p_amount >= 1e18 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA02',
            MESSAGE = format('%s %s is not a positive amount below 10^18', p_what, p_amount);
    END IF;
    IF p_minor_units IS NULL THEN
        RETURN p_amount;
    END IF;
    IF p_amount <> round(p_amount, p_minor_units) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA02',
            MESSAGE = format('%s %s has more than %s decimal places', p_what, p_amount, p_minor_units);
    END IF;
    RETURN round(p_amount, p_minor_units);
END;
$$;
