-- checked_investor_exists: PKA01 for a NULL id, PKN02 when no investor has
-- id p_investor_id (as far as the caller may see, when it runs with the
-- caller's rights). The one check of every function that takes an investor
-- id, and of the error paths that looked the investor up through a
-- membership or an obligation, so that they name the real cause.
CREATE FUNCTION poolkeeper.checked_investor_exists(p_investor_id bigint)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_id(p_investor_id, 'investor_id');
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.investors WHERE id = p_investor_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN02', MESSAGE = format('investor %s does not exist', p_investor_id);
    END IF;
END;
$$;
