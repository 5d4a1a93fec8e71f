-- create_investor: a new investor; returns its id. p_login_role maps a
-- database role to this investor (PKA05 if it does not exist, PKS10 if it is
-- already mapped to another investor). A poolkeeper_admin or a
-- poolkeeper_manager may create investors; only an admin may map a login role
-- (42501), so that nobody can take over a role's identity.
CREATE FUNCTION poolkeeper.create_investor(p_name text, p_login_role name DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF NOT (poolkeeper.caller_is('poolkeeper_admin') OR poolkeeper.caller_is('poolkeeper_manager')) THEN
        PERFORM poolkeeper.authorize_admin('create investors');
    END IF;
    IF p_login_role IS NOT NULL THEN
        PERFORM poolkeeper.authorize_admin('map a login role to an investor');
    END IF;
    INSERT INTO poolkeeper.investors (name, login_role)
    VALUES (poolkeeper.checked_name(p_name, 'investor name'), poolkeeper.checked_login_role(p_login_role))
    ON CONFLICT (login_role) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS10',
            MESSAGE = format('role %I is already mapped to another investor', p_login_role);
    END IF;
    RETURN v_id;
END;
$$;
