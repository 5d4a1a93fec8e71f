-- checked_name: p_name trimmed, or PKA01 when it is NULL, blank, longer than
-- 200 characters or holds control characters. p_what names it in the message.
CREATE FUNCTION poolkeeper.checked_name(p_name text, p_what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text := btrim(p_name);
BEGIN
    IF v_name IS NULL OR v_name = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('%s must not be empty', p_what);
    END IF;
    IF length(v_name) > 200 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('%s is %s characters long; at most 200 are allowed', p_what, length(v_name));
    END IF;
    IF v_name ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('%s %L contains control characters', p_what, v_name);
    END IF;
    RETURN v_name;
END;
$$;
