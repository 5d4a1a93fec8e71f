-- checked_id: p_id unchanged, or PKA01 when it is NULL. p_what names it.
CREATE FUNCTION poolkeeper.checked_id(p_id bigint, p_what text)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('%s must not be NULL', p_what);
    END IF;
    RETURN p_id;
END;
$$;
