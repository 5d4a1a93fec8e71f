-- caller: the role a request acts as. That is the session's role: the one
-- named by SET ROLE, else the login (session_user). Inside a SECURITY
-- DEFINER function current_user is the function's owner, so the functions
-- read the role from here; nobody can name a role they are not a member of
-- (SET ROLE checks membership), and it cannot be changed inside a SECURITY
-- DEFINER function. A SECURITY DEFINER wrapper of your own does not change
-- who poolkeeper sees: it is still the session's role.
--
-- caller and caller_is have no SET search_path, unlike every other function,
-- so that PostgreSQL inlines them (the ledger trigger calls caller on every
-- row); instead every name in them is schema-qualified, operators included,
-- so that no search_path can change what they mean.
CREATE FUNCTION poolkeeper.caller()
RETURNS name
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN session_user
                ELSE pg_catalog.current_setting('role')::pg_catalog.name END;
$$;

-- caller_is: whether the caller has the privileges of role p_role (for a
-- superuser, always).
CREATE FUNCTION poolkeeper.caller_is(p_role name)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.pg_has_role(poolkeeper.caller(), p_role, 'USAGE');
$$;
