-- The extension's group roles (NOLOGIN; grant them to login roles). Roles
-- belong to the cluster, not to a database: they are created here only when
-- missing, so a second database with poolkeeper shares them, and DROP
-- EXTENSION leaves them (drop them by hand once no database uses them). A
-- member of one has its rights in every database of the cluster that has
-- poolkeeper. An existing role that can log in, has a special attribute or
-- is a member of another role (and so has its rights) is refused, not adopted.
-- What each may do is in grants.sql and policies.sql, and in docs/security.md.
--   poolkeeper_admin     everything, through the functions, including rules
--   poolkeeper_manager   their own pools: members, money, rules, reports
--   poolkeeper_investor  read their own memberships, positions, ledger rows,
--                        obligations and statements; write nothing
--   poolkeeper_auditor   read everything; write nothing
--   poolkeeper_listener  a spike monitor's needs: the feeds, pools and rules;
--                        raise spike alerts
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['poolkeeper_admin', 'poolkeeper_manager', 'poolkeeper_investor',
                                  'poolkeeper_auditor', 'poolkeeper_listener'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
        ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = v_role
                         AND (r.rolcanlogin OR r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls
                              OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid))) THEN
            -- A role of that name made by somebody else, with more rights than a group role needs.
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = format('role %I exists and can log in, has a special attribute or is a member of another role: poolkeeper will not adopt it', v_role),
                HINT = format('ALTER ROLE %I NOLOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS and revoke its memberships, or drop it', v_role);
        END IF;
    END LOOP;
END;
$roles$;
