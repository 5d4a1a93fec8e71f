-- Who may call and read what. Nothing is granted to PUBLIC: EXECUTE, which
-- PostgreSQL gives PUBLIC on every new function, is revoked from all of
-- them, and no role may write a table directly. Writes go through the
-- SECURITY DEFINER functions, which check the caller's right to the pool
-- (authorize_pool, authorize_admin); reads go through the tables and views,
-- whose rows row-level security filters per role (policies.sql). The
-- test security.sql holds the same matrix and fails when they differ.

-- Privileges granted by hand before 0.5.0 (0.4.0 granted none) would go
-- around all of this: on the extension's own objects, every privilege held
-- by anybody but the owner (the group roles and PUBLIC included; the grants
-- below follow) is revoked, CASCADE, so that grants passed on WITH GRANT
-- OPTION go too, column privileges with their table's, with a WARNING naming
-- each. A fresh install has none.
DO $revoke$
DECLARE
    v_grant record;
BEGIN
    FOR v_grant IN
        WITH members AS (
            SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
             WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
               AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'poolkeeper'))
        SELECT DISTINCT x.kind, x.object, x.grantee
          FROM (SELECT CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
                       format('poolkeeper.%I', c.relname) AS object, a.grantee
                  FROM pg_catalog.pg_class c
                  JOIN members m ON m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid
                 CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
                 WHERE a.grantee <> c.relowner
                UNION ALL
                SELECT 'TABLE', format('poolkeeper.%I', c.relname), a.grantee
                  FROM pg_catalog.pg_class c
                  JOIN members m ON m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid
                  JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid AND att.attacl IS NOT NULL
                 CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) a
                 WHERE a.grantee <> c.relowner
                UNION ALL
                SELECT 'FUNCTION', format('poolkeeper.%I(%s)', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
                       a.grantee
                  FROM pg_catalog.pg_proc p
                  JOIN members m ON m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid
                 CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
                 WHERE a.grantee NOT IN (p.proowner, 0)  -- PUBLIC loses EXECUTE on every function below
                UNION ALL
                SELECT 'SCHEMA', 'poolkeeper', a.grantee
                  FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
                 WHERE n.nspname = 'poolkeeper' AND a.grantee <> n.nspowner) x
         ORDER BY 1, 2, 3
    LOOP
        RAISE WARNING 'poolkeeper: revoking every privilege of % on % %: roles get their rights from the poolkeeper_* group roles now',
            CASE WHEN v_grant.grantee = 0 THEN 'PUBLIC' ELSE v_grant.grantee::regrole::text END, lower(v_grant.kind), v_grant.object;
        EXECUTE format('REVOKE ALL ON %s %s FROM %s CASCADE', v_grant.kind, v_grant.object,
                       CASE WHEN v_grant.grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident((SELECT rolname FROM pg_catalog.pg_roles WHERE oid = v_grant.grantee)) END);
    END LOOP;
END;
$revoke$;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA poolkeeper FROM PUBLIC;
GRANT USAGE ON SCHEMA poolkeeper
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor, poolkeeper_listener;

-- Reference data, and who is calling: for everybody.
GRANT SELECT ON poolkeeper.currencies, poolkeeper.error_codes
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor, poolkeeper_listener;
GRANT EXECUTE ON FUNCTION
    poolkeeper.caller(), poolkeeper.caller_is(name), poolkeeper.caller_manager_id(), poolkeeper.caller_investor_id(),
    poolkeeper.caller_managed_pools(), poolkeeper.caller_member_pools(),
    poolkeeper.checked_id(bigint, text), poolkeeper.checked_name(text, text),
    poolkeeper.checked_amount(numeric, smallint, text), poolkeeper.checked_window(interval, text),
    poolkeeper.checked_limit(integer), poolkeeper.checked_period(timestamptz, timestamptz)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor, poolkeeper_listener;

-- Tables and views, read under row-level security.
GRANT SELECT ON poolkeeper.pools, poolkeeper.transactions
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor, poolkeeper_listener;
GRANT SELECT ON poolkeeper.investors, poolkeeper.memberships, poolkeeper.positions, poolkeeper.operations,
                poolkeeper.obligations, poolkeeper.obligation_payments, poolkeeper.valuations,
                poolkeeper.capital_call_obligations
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor;
GRANT SELECT ON poolkeeper.managers, poolkeeper.pool_summary, poolkeeper.alert_rule_changes
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_auditor;
GRANT SELECT ON poolkeeper.alert_rules, poolkeeper.alerts, poolkeeper.effective_alert_rules
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_auditor, poolkeeper_listener;
GRANT SELECT ON poolkeeper.investor_totals
    TO poolkeeper_admin, poolkeeper_investor, poolkeeper_auditor;

-- Writes: the pool's manager or an admin (each function checks which).
GRANT EXECUTE ON FUNCTION
    poolkeeper.create_investor(text, name), poolkeeper.create_pool(bigint, text, text),
    poolkeeper.add_investor(bigint, bigint, numeric), poolkeeper.remove_investor(bigint, bigint),
    poolkeeper.close_pool(bigint),
    poolkeeper.post_transaction(bigint, bigint, text, numeric, text, timestamptz, jsonb),
    poolkeeper.post_transactions(jsonb),
    poolkeeper.reverse_transaction(bigint, text),
    poolkeeper.set_alert_rule(bigint, numeric, interval, interval, numeric, integer, boolean),
    poolkeeper.drop_alert_rule(bigint),
    poolkeeper.call_capital(bigint, numeric, date, text),
    poolkeeper.pay_capital_call(bigint, bigint, numeric, text, timestamptz),
    poolkeeper.distribute(bigint, numeric, text, text),
    poolkeeper.record_valuation(bigint, date, numeric)
    TO poolkeeper_admin, poolkeeper_manager;
GRANT EXECUTE ON FUNCTION poolkeeper.create_manager(text, name), poolkeeper.rebase_feed()
    TO poolkeeper_admin;
GRANT EXECUTE ON FUNCTION poolkeeper.raise_alert(text, bigint, jsonb, text, bigint)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_listener;

-- The feeds, for spike monitors, alert listeners and managers' own apps.
GRANT EXECUTE ON FUNCTION
    poolkeeper.check_feed_reader(text), poolkeeper.feed_cursor(), poolkeeper.feed_windows(text, text),
    poolkeeper.transactions_after(text, integer), poolkeeper.alerts_after(text, integer),
    poolkeeper.alert_history(bigint, text, timestamptz, timestamptz, integer)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_auditor, poolkeeper_listener;

-- Reports (SECURITY INVOKER: they see what the caller may read).
GRANT EXECUTE ON FUNCTION
    poolkeeper.top_investors(integer, timestamptz, timestamptz),
    poolkeeper.pool_activity(bigint, text, timestamptz, timestamptz),
    poolkeeper.pool_metrics(bigint, date), poolkeeper.nav_shares(bigint, date),
    poolkeeper.fund_metrics(bigint, bigint, date), poolkeeper.ledger_as_of(bigint, bigint, date),
    poolkeeper.checked_metrics_request(bigint, bigint, date)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_auditor;
GRANT EXECUTE ON FUNCTION
    poolkeeper.investor_statement(bigint, timestamptz, timestamptz), poolkeeper.investor_metrics(bigint, date),
    poolkeeper.obligation_paid(bigint, bigint), poolkeeper.checked_investor_exists(bigint),
    poolkeeper.allocate(numeric, integer, bigint[], numeric[]),
    poolkeeper.xirr(numeric[], date[]), poolkeeper.xirr_npv(numeric[], numeric[], numeric)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor;
GRANT EXECUTE ON FUNCTION poolkeeper.verify()
    TO poolkeeper_admin, poolkeeper_auditor;
