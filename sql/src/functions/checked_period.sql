-- checked_period: raises PKA01 unless the period [p_from, p_to) is non-empty.
-- Either end may be NULL, for a period open on that side.
CREATE FUNCTION poolkeeper.checked_period(p_from timestamptz, p_to timestamptz)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_from >= p_to THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('the period from %s to %s is empty: from must be before to', p_from, p_to);
    END IF;
END;
$$;
