-- CREATE EXTENSION works in a fresh database, exposes the documented API, and
-- DROP EXTENSION ... CASCADE leaves no object behind. Runs first: it leaves
-- the extension installed, plus test helpers in schema pktest.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

SELECT no_plan();

CREATE TEMP VIEW db_objects AS
    SELECT 'pg_class' AS catalog, oid::text AS id FROM pg_class WHERE relpersistence <> 't'
    UNION ALL SELECT 'pg_proc', oid::text FROM pg_proc
    UNION ALL SELECT 'pg_type', oid::text FROM pg_type WHERE typrelid = 0 OR typrelid IN (SELECT oid FROM pg_class WHERE relpersistence <> 't')
    UNION ALL SELECT 'pg_namespace', nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'
    UNION ALL SELECT 'pg_constraint', oid::text FROM pg_constraint
    UNION ALL SELECT 'pg_trigger', oid::text FROM pg_trigger
    UNION ALL SELECT 'pg_attrdef', oid::text FROM pg_attrdef
    UNION ALL SELECT 'pg_authid', rolname FROM pg_authid
    UNION ALL SELECT 'pg_extension', extname FROM pg_extension
    UNION ALL SELECT 'pg_cast', oid::text FROM pg_cast
    UNION ALL SELECT 'pg_operator', oid::text FROM pg_operator
    UNION ALL SELECT 'pg_event_trigger', oid::text FROM pg_event_trigger
    UNION ALL SELECT 'pg_policy', oid::text FROM pg_policy
    UNION ALL SELECT 'pg_description', objoid::text || '/' || classoid::text || '/' || objsubid FROM pg_description
    UNION ALL SELECT 'pg_init_privs', objoid::text || '/' || classoid::text FROM pg_init_privs
    UNION ALL SELECT 'pg_depend', classid::text || '/' || objid || '/' || refobjid FROM pg_depend WHERE deptype <> 'p';
CREATE TEMP TABLE objects_before (catalog text, id text);
INSERT INTO objects_before SELECT * FROM db_objects;

CREATE EXTENSION poolkeeper;

SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'poolkeeper'), '0.7.0', 'poolkeeper 0.7.0 is installed');
SELECT ok(EXISTS (SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                  WHERE e.extname = 'poolkeeper' AND d.deptype = 'e'
                    AND d.classid = 'pg_namespace'::regclass AND d.objid = 'poolkeeper'::regnamespace),
          'schema poolkeeper belongs to the extension');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'poolkeeper'), false, 'it is not relocatable');
SELECT tables_are('poolkeeper',
    ARRAY['error_codes', 'currencies', 'managers', 'investors', 'pools', 'memberships', 'positions', 'transactions',
          'alert_rules', 'alerts', 'investor_totals', 'operations', 'obligations', 'obligation_payments', 'valuations',
          'alert_rule_changes'],
    'the documented relations exist');
SELECT columns_are('poolkeeper', 'transactions',
    ARRAY['id', 'pool_id', 'investor_id', 'kind', 'amount', 'occurred_at', 'recorded_at', 'idempotency_key', 'reverses_id', 'metadata', 'xact_id',
          'operation_id', 'posted_by'],
    'transactions has the documented columns');
SELECT columns_are('poolkeeper', 'positions',
    ARRAY['pool_id', 'investor_id', 'currency', 'contributed', 'withdrawn', 'distributed', 'fees', 'net_invested', 'is_open',
          'minor_units'],
    'positions has the documented columns');
SELECT col_type_is('poolkeeper', 'transactions', 'amount', 'numeric', 'amounts are exact numerics');
SELECT col_type_is('poolkeeper', 'positions', 'net_invested', 'poolkeeper', 'nonnegative_total', 'positions are a domain ...');
SELECT is((SELECT format_type(typbasetype, typtypmod) FROM pg_type WHERE oid = 'poolkeeper.nonnegative_total'::regtype), 'numeric',
          '... over exact numerics');
SELECT columns_are('poolkeeper', 'alerts',
    ARRAY['id', 'kind', 'pool_id', 'transaction_id', 'details', 'raised_at', 'dedupe_key', 'xact_id'],
    'alerts has the documented columns');
SELECT columns_are('poolkeeper', 'alert_rules',
    ARRAY['pool_id', 'large_transaction_threshold', 'spike_short_window', 'spike_baseline_window', 'spike_factor',
          'spike_min_count', 'enabled', 'updated_at', 'changed_by'],
    'alert_rules has the documented columns');
SELECT has_view('poolkeeper', 'effective_alert_rules', 'view effective_alert_rules');
SELECT has_view('poolkeeper', 'pool_summary', 'view pool_summary');
SELECT columns_are('poolkeeper', 'pool_summary',
    ARRAY['pool_id', 'pool_name', 'manager_id', 'manager_name', 'currency', 'status', 'members', 'committed',
          'contributed', 'withdrawn', 'distributed', 'fees', 'net_invested', 'last_activity_at'],
    'pool_summary has the documented columns');
SELECT has_function('poolkeeper', 'create_manager', ARRAY['text', 'name'], 'create_manager(text, name)');
SELECT has_function('poolkeeper', 'create_investor', ARRAY['text', 'name'], 'create_investor(text, name)');
SELECT has_function('poolkeeper', 'create_pool', ARRAY['bigint', 'text', 'text'], 'create_pool(bigint, text, text)');
SELECT has_function('poolkeeper', 'add_investor', ARRAY['bigint', 'bigint', 'numeric'], 'add_investor(bigint, bigint, numeric)');
SELECT has_function('poolkeeper', 'remove_investor', ARRAY['bigint', 'bigint'], 'remove_investor(bigint, bigint)');
SELECT has_function('poolkeeper', 'close_pool', ARRAY['bigint'], 'close_pool(bigint)');
SELECT has_function('poolkeeper', 'post_transaction',
    ARRAY['bigint', 'bigint', 'text', 'numeric', 'text', 'timestamp with time zone', 'jsonb'], 'post_transaction(...)');
SELECT has_function('poolkeeper', 'reverse_transaction', ARRAY['bigint', 'text'], 'reverse_transaction(bigint, text)');
SELECT has_function('poolkeeper', 'verify', ARRAY[]::text[], 'verify()');
SELECT has_function('poolkeeper', 'set_alert_rule',
    ARRAY['bigint', 'numeric', 'interval', 'interval', 'numeric', 'integer', 'boolean'], 'set_alert_rule(...)');
SELECT has_function('poolkeeper', 'drop_alert_rule', ARRAY['bigint'], 'drop_alert_rule(bigint)');
SELECT has_function('poolkeeper', 'raise_alert', ARRAY['text', 'bigint', 'jsonb', 'text', 'bigint'], 'raise_alert(...)');
SELECT has_function('poolkeeper', 'transactions_after', ARRAY['text', 'integer'], 'transactions_after(text, integer)');
SELECT has_function('poolkeeper', 'alerts_after', ARRAY['text', 'integer'], 'alerts_after(text, integer)');
SELECT has_function('poolkeeper', 'feed_cursor', ARRAY[]::text[], 'feed_cursor()');
SELECT has_function('poolkeeper', 'rebase_feed', ARRAY[]::text[], 'rebase_feed()');
SELECT has_function('poolkeeper', 'top_investors', ARRAY['integer', 'timestamp with time zone', 'timestamp with time zone'],
                    'top_investors(integer, timestamptz, timestamptz)');
SELECT has_function('poolkeeper', 'investor_statement', ARRAY['bigint', 'timestamp with time zone', 'timestamp with time zone'],
                    'investor_statement(bigint, timestamptz, timestamptz)');
SELECT has_function('poolkeeper', 'pool_activity', ARRAY['bigint', 'text', 'timestamp with time zone', 'timestamp with time zone'],
                    'pool_activity(bigint, text, timestamptz, timestamptz)');
SELECT has_function('poolkeeper', 'alert_history',
                    ARRAY['bigint', 'text', 'timestamp with time zone', 'timestamp with time zone', 'integer'],
                    'alert_history(bigint, text, timestamptz, timestamptz, integer)');
SELECT has_function('poolkeeper', 'call_capital', ARRAY['bigint', 'numeric', 'date', 'text'], 'call_capital(bigint, numeric, date, text)');
SELECT has_function('poolkeeper', 'pay_capital_call', ARRAY['bigint', 'bigint', 'numeric', 'text', 'timestamp with time zone'],
                    'pay_capital_call(bigint, bigint, numeric, text, timestamptz)');
SELECT has_function('poolkeeper', 'distribute', ARRAY['bigint', 'numeric', 'text', 'text'], 'distribute(bigint, numeric, text, text)');
SELECT has_function('poolkeeper', 'allocate', ARRAY['numeric', 'integer', 'bigint[]', 'numeric[]'],
                    'allocate(numeric, integer, bigint[], numeric[])');
SELECT has_function('poolkeeper', 'record_valuation', ARRAY['bigint', 'date', 'numeric'], 'record_valuation(bigint, date, numeric)');
SELECT has_function('poolkeeper', 'nav_shares', ARRAY['bigint', 'date'], 'nav_shares(bigint, date)');
SELECT has_function('poolkeeper', 'xirr', ARRAY['numeric[]', 'date[]'], 'xirr(numeric[], date[])');
SELECT has_function('poolkeeper', 'pool_metrics', ARRAY['bigint', 'date'], 'pool_metrics(bigint, date)');
SELECT has_function('poolkeeper', 'investor_metrics', ARRAY['bigint', 'date'], 'investor_metrics(bigint, date)');
SELECT has_view('poolkeeper', 'capital_call_obligations', 'capital_call_obligations(call_id, ..., called, paid, outstanding, overdue)');
SELECT is((SELECT count(*)::int FROM poolkeeper.error_codes), 27, 'error_codes documents 27 SQLSTATEs');
SELECT is((SELECT minor_units FROM poolkeeper.currencies WHERE code = 'JPY'), 0::smallint, 'JPY has no minor units');
SELECT is((SELECT array_length(extconfig, 1) FROM pg_extension WHERE extname = 'poolkeeper'), 22,
          'pg_dump keeps the rows of the fourteen data tables and their eight sequences');

DROP EXTENSION poolkeeper CASCADE;

-- Roles belong to the cluster, not to the database: the extension's five
-- group roles stay (and are reused by the next CREATE EXTENSION).
SELECT is_empty($$ SELECT * FROM db_objects EXCEPT SELECT * FROM objects_before
                   EXCEPT SELECT 'pg_authid', r FROM unnest(ARRAY['poolkeeper_admin', 'poolkeeper_manager', 'poolkeeper_investor',
                                                                'poolkeeper_auditor', 'poolkeeper_listener']) r $$,
                'DROP EXTENSION poolkeeper CASCADE leaves no object behind but the group roles');
SELECT is((SELECT count(*)::int FROM pg_roles WHERE rolname LIKE 'poolkeeper\_%' AND NOT rolcanlogin), 5,
          'the five NOLOGIN group roles poolkeeper_admin, _manager, _investor, _auditor and _listener exist');
SELECT hasnt_schema('poolkeeper', 'schema poolkeeper is gone');

SELECT * FROM finish();

-- For the tests that follow.
CREATE EXTENSION poolkeeper;
CREATE SCHEMA pktest;
-- pktest.state(): a digest of every row poolkeeper keeps, to show that a
-- refused call wrote nothing: every table of the extension, found from the
-- catalog, so that a new table is covered without a change.
CREATE FUNCTION pktest.state() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_table regclass;
    v_all text := '';
    v_rows text;
BEGIN
    FOR v_table IN SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'poolkeeper'::regnamespace
                      AND c.relkind IN ('r', 'p') ORDER BY c.relname LOOP
        EXECUTE format('SELECT string_agg(t::text, %L ORDER BY t::text) FROM %s t', E'\n', v_table) INTO v_rows;
        v_all := v_all || v_table::text || ':' || coalesce(md5(v_rows), '-') || ' ';
    END LOOP;
    RETURN md5(v_all);
END;
$$;
-- pktest.refused(sql, sqlstate, message, description): the call fails with
-- that SQLSTATE and message, and poolkeeper's data is unchanged afterwards.
CREATE FUNCTION pktest.refused(p_sql text, p_state text, p_message text, p_description text)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    v_before text := pktest.state();
BEGIN
    RETURN NEXT throws_ok(p_sql, p_state, p_message, p_description);
    RETURN NEXT is(pktest.state(), v_before, p_description || ': nothing written');
END;
$$;
