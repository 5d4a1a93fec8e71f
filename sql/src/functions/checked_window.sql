-- checked_window: p_window when it is a whole number of seconds from 1 second
-- to 1 day, with no month or year part; PKA01 naming p_what otherwise.
CREATE FUNCTION poolkeeper.checked_window(p_window interval, p_what text)
RETURNS interval
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_window IS NULL OR p_window < interval '1 second' OR p_window > interval '1 day'
       OR p_window <> date_trunc('second', p_window)
       OR date_part('month', p_window) <> 0 OR date_part('year', p_window) <> 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('%s %s is not a whole number of seconds from 1 second to 1 day',
                             p_what, coalesce(p_window::text, 'NULL'));
    END IF;
    RETURN p_window;
END;
$$;
