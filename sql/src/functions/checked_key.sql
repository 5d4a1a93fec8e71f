-- checked_key: p_key unchanged when it is 1 to 255 characters long, not
-- blank and free of control characters; PKA01 naming p_what otherwise (NULL
-- included: callers whose key is optional call this only for a key). Keys
-- are kept as given, spaces and case included.
CREATE FUNCTION poolkeeper.checked_key(p_key text, p_what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_key IS NULL OR length(p_key) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('%s must be 1 to 255 characters long', p_what);
    END IF;
    IF btrim(p_key) = '' OR p_key ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('%s %L is blank or contains control characters', p_what, p_key);
    END IF;
    RETURN p_key;
END;
$$;
