-- checked_login_role: p_role unchanged when it is NULL or names an existing
-- role; PKA05 otherwise.
CREATE FUNCTION poolkeeper.checked_login_role(p_role name)
RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_role IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p_role) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA05', MESSAGE = format('role %I does not exist', p_role);
    END IF;
    RETURN p_role;
END;
$$;
