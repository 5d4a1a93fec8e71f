-- checked_limit: p_limit when it is from 1 to 10000, PKA01 otherwise.
CREATE FUNCTION poolkeeper.checked_limit(p_limit integer)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('limit %s is not from 1 to 10000', coalesce(p_limit::text, 'NULL'));
    END IF;
    RETURN p_limit;
END;
$$;
