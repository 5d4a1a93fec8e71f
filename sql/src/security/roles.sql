-- The extension's group roles (NOLOGIN; grant them to login roles). Roles
-- belong to the cluster, not to a database: they are created here only when
-- missing, so a second database with poolkeeper shares them, and DROP
-- EXTENSION leaves them (drop them by hand once no database uses them). A
-- member of one has its rights in every database of the cluster that has
-- poolkeeper. An existing role that can log in or has a special attribute is
-- refused, not adopted.
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
        ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role
                         AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)) THEN
            -- A role of that name made by somebody else, with more rights than a group role needs.
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = format('role %I exists and can log in or has a special attribute: poolkeeper will not adopt it', v_role),
                HINT = format('ALTER ROLE %I NOLOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS, or drop it', v_role);
        END IF;
    END LOOP;
END;
$roles$;
