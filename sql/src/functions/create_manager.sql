-- create_manager: a new fund manager; returns its id. Only a
-- poolkeeper_admin may create one (42501). p_login_role maps a
-- database role to this manager (PKA05 if it does not exist, PKS10 if it is
-- already mapped to another manager).
CREATE FUNCTION poolkeeper.create_manager(p_name text, p_login_role name DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM poolkeeper.authorize_admin('create managers');
    INSERT INTO poolkeeper.managers (name, login_role)
    VALUES (poolkeeper.checked_name(p_name, 'manager name'), poolkeeper.checked_login_role(p_login_role))
    ON CONFLICT (login_role) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS10',
            MESSAGE = format('role %I is already mapped to another manager', p_login_role);
    END IF;
    RETURN v_id;
END;
$$;
