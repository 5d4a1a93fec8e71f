-- Security (docs/security.md): login roles of each kind act through SET
-- ROLE, as a pooled application does (sql/test/listen/ connects as them for
-- real). Manager A and manager B cannot read or change each other's pools
-- through tables, views, functions or reports; an investor reads only their
-- own rows and writes nothing; the auditor reads everything and writes
-- nothing; the listener raises spike alerts but posts no money; a role
-- without poolkeeper roles gets nothing. Every function's EXECUTE grants are
-- compared with the intended matrix, every SECURITY DEFINER function has a
-- pinned search_path, no role writes a table directly, and injection
-- attempts end up as data. Who posted, reversed, closed and changed a rule
-- is kept with the rows.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SELECT no_plan();

-- Login roles, one per kind; roles belong to the cluster, so the test drops
-- them at the end (and any left by a run that stopped half-way first). It
-- commits as it goes: the feeds only read committed rows.
DROP ROLE IF EXISTS pksec_admin, pksec_mgr_a, pksec_mgr_b, pksec_inv_x, pksec_inv_y, pksec_auditor, pksec_listener, pksec_nobody;
CREATE ROLE pksec_admin LOGIN IN ROLE poolkeeper_admin;
CREATE ROLE pksec_mgr_a LOGIN IN ROLE poolkeeper_manager;
CREATE ROLE pksec_mgr_b LOGIN IN ROLE poolkeeper_manager;
CREATE ROLE pksec_inv_x LOGIN IN ROLE poolkeeper_investor;
CREATE ROLE pksec_inv_y LOGIN IN ROLE poolkeeper_investor;
CREATE ROLE pksec_auditor LOGIN IN ROLE poolkeeper_auditor;
CREATE ROLE pksec_listener LOGIN IN ROLE poolkeeper_listener;
CREATE ROLE pksec_nobody LOGIN;

-- pktest.as_role(role, sql): the first column of p_sql's first row, as text,
-- run as p_role (SET LOCAL ROLE; an error undoes the role with the call).
-- The helpers live in pktest (made by install.sql) for this session only.
CREATE FUNCTION pktest.as_role(p_role name, p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_before text := current_setting('role');
    v_result text;
BEGIN
    PERFORM set_config('role', p_role, true);
    EXECUTE p_sql INTO v_result;
    PERFORM set_config('role', v_before, true);
    RETURN v_result;
END;
$$;
-- pktest.count_as(role, sql): how many rows p_sql returns to p_role.
CREATE FUNCTION pktest.count_as(p_role name, p_sql text) RETURNS bigint LANGUAGE sql AS $$
    SELECT pktest.as_role(p_role, format('SELECT count(*) FROM (%s) q', p_sql))::bigint;
$$;
-- pktest.denied_as(role, sql, description): p_sql fails for p_role with
-- 42501 and leaves poolkeeper's data unchanged.
CREATE FUNCTION pktest.denied_as(p_role name, p_sql text, p_description text) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', p_role, p_sql), '42501', NULL, p_description);
$$;

-- The admin maps the logins; each manager builds their own pool.
SELECT pktest.as_role('pksec_admin', $$SELECT poolkeeper.create_manager('Manager A', 'pksec_mgr_a')$$) AS mgr_a \gset
SELECT pktest.as_role('pksec_admin', $$SELECT poolkeeper.create_manager('Manager B', 'pksec_mgr_b')$$) AS mgr_b \gset
SELECT pktest.as_role('pksec_admin', $$SELECT poolkeeper.create_investor('Investor X', 'pksec_inv_x')$$) AS inv_x \gset
SELECT pktest.as_role('pksec_admin', $$SELECT poolkeeper.create_investor('Investor Y', 'pksec_inv_y')$$) AS inv_y \gset
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.create_pool(%s, %L, %L)', :mgr_a, 'Pool A', 'USD')) AS pool_a \gset
SELECT pktest.as_role('pksec_mgr_b', format('SELECT poolkeeper.create_pool(%s, %L, %L)', :mgr_b, 'Pool B', 'USD')) AS pool_b \gset
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.add_investor(%s, %s, 10000)', :pool_a, :inv_x)) AS done \gset
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.add_investor(%s, %s, 10000)', :pool_a, :inv_y)) AS done \gset
SELECT pktest.as_role('pksec_mgr_b', format('SELECT poolkeeper.add_investor(%s, %s)', :pool_b, :inv_x)) AS done \gset
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.set_alert_rule(%s, 1000)', :pool_a)) AS done \gset
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 500)', :pool_a, :inv_x, 'contribution')) AS tx_ax \gset
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 2000)', :pool_a, :inv_y, 'contribution')) AS tx_ay \gset
SELECT pktest.as_role('pksec_mgr_b', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 300)', :pool_b, :inv_x, 'contribution')) AS tx_bx \gset
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.call_capital(%s, 1000, current_date + 30)', :pool_a)) AS call_a \gset
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.record_valuation(%s, current_date, 3000)', :pool_a)) AS done \gset
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.distribute(%s, 100)', :pool_a)) AS dist_a \gset
SELECT pktest.as_role('pksec_mgr_b', format('SELECT poolkeeper.record_valuation(%s, current_date, 300)', :pool_b)) AS done \gset
SELECT is(pktest.as_role('pksec_admin', format('SELECT count(*) FROM poolkeeper.alerts WHERE pool_id = %s', :pool_a)), '1',
          'setup: manager A''s own large contribution raised one alert');

-- 1. Manager B and pool A: nothing through tables and views ...
SELECT is(pktest.count_as('pksec_mgr_b', 'SELECT * FROM poolkeeper.pools'), 1::bigint, 'manager B sees one pool');
SELECT is(pktest.as_role('pksec_mgr_b', 'SELECT id FROM poolkeeper.pools'), :'pool_b', '... their own');
SELECT is(pktest.count_as('pksec_mgr_b', format('SELECT 1 FROM poolkeeper.%I WHERE pool_id = %s', t, :pool_a)), 0::bigint,
          format('manager B reads no row of pool A in %s', t))
  FROM unnest(ARRAY['memberships', 'positions', 'transactions', 'alert_rules', 'alerts', 'operations', 'valuations',
                    'alert_rule_changes', 'pool_summary', 'effective_alert_rules', 'capital_call_obligations']) t;
SELECT is(pktest.count_as('pksec_mgr_b', format('SELECT 1 FROM poolkeeper.obligations o WHERE o.operation_id = %s', :call_a)), 0::bigint,
          'manager B reads no obligation of pool A''s capital call');
SELECT is(pktest.count_as('pksec_mgr_b', 'SELECT 1 FROM poolkeeper.obligation_payments'), 0::bigint,
          'manager B reads no obligation payment');
SELECT is(pktest.as_role('pksec_mgr_b', 'SELECT string_agg(name, '','' ORDER BY id) FROM poolkeeper.investors'), 'Investor X',
          'manager B reads only the investor of their pool');
SELECT is(pktest.as_role('pksec_mgr_b', 'SELECT string_agg(name, '','' ORDER BY id) FROM poolkeeper.managers'), 'Manager B',
          'manager B reads only their own manager row');
SELECT is(pktest.count_as('pksec_mgr_b', 'SELECT 1 FROM poolkeeper.alert_rules WHERE pool_id IS NULL'), 0::bigint,
          'there is no default rule (managers may read it when there is)');
SELECT pktest.denied_as('pksec_mgr_b', 'SELECT count(*) FROM poolkeeper.investor_totals',
          'manager B cannot read investor_totals (investors'' totals across every pool)');

-- ... nor through reports and feeds.
SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', 'pksec_mgr_b', format('SELECT count(*) FROM poolkeeper.pool_activity(%s)', :pool_a)),
          'PKN01', NULL, 'pool_activity of pool A is "no such pool" for manager B');
SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', 'pksec_mgr_b', format('SELECT count(*) FROM poolkeeper.alert_history(%s)', :pool_a)),
          'PKN01', NULL, 'alert_history of pool A is "no such pool" for manager B');
SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', 'pksec_mgr_b', format('SELECT count(*) FROM poolkeeper.pool_metrics(%s)', :pool_a)),
          'PKN01', NULL, 'pool_metrics of pool A is "no such pool" for manager B');
SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', 'pksec_mgr_b', format('SELECT count(*) FROM poolkeeper.nav_shares(%s)', :pool_a)),
          'PKN01', NULL, 'nav_shares of pool A is "no such pool" for manager B');
SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', 'pksec_mgr_b', format('SELECT count(*) FROM poolkeeper.investor_statement(%s)', :inv_y)),
          'PKN02', NULL, 'the statement of investor Y (not in pool B) is "no such investor" for manager B');
SELECT is(pktest.as_role('pksec_mgr_b', format('SELECT string_agg(pool_id || '':'' || contributed, '','') FROM poolkeeper.investor_statement(%s)', :inv_x)),
          :'pool_b' || ':300.00', 'investor X''s statement shows manager B only pool B');
SELECT is(pktest.as_role('pksec_mgr_b', format('SELECT string_agg(pool_id::text, '','') FROM poolkeeper.investor_metrics(%s)', :inv_x)),
          :'pool_b', 'investor X''s metrics show manager B only pool B');
SELECT is(pktest.as_role('pksec_mgr_b', 'SELECT string_agg(investor_id || '':'' || pool_count || '':'' || total_invested, '','') FROM poolkeeper.top_investors(5)'),
          :'inv_x' || ':1:300.00', 'top_investors for manager B counts only pool B');
SELECT is(pktest.as_role('pksec_mgr_b', 'SELECT string_agg(DISTINCT pool_id::text, '','') FROM poolkeeper.transactions_after(NULL, 10000)'),
          :'pool_b', 'the transaction feed gives manager B only pool B');
SELECT is(pktest.count_as('pksec_mgr_b', 'SELECT * FROM poolkeeper.alerts_after(NULL, 10000)'), 0::bigint,
          'the alert feed gives manager B none of pool A''s alerts');
SELECT is(pktest.count_as('pksec_mgr_a', 'SELECT * FROM poolkeeper.alerts_after(NULL, 10000)'), 1::bigint,
          '... and manager A their own');
SELECT is(pktest.as_role('pksec_mgr_a', format('SELECT members || '':'' || contributed FROM poolkeeper.pool_summary WHERE pool_id = %s', :pool_a)),
          '2:2500.00', 'manager A''s pool_summary of pool A counts both members');

-- 2. Manager B cannot change pool A or act as manager A, and writes no table.
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 1)', :pool_a, :inv_x, 'contribution'),
          'manager B cannot post to pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.post_transactions(%L)', jsonb_build_array(
          jsonb_build_object('pool_id', :pool_b, 'investor_id', :inv_x, 'kind', 'contribution', 'amount', 1),
          jsonb_build_object('pool_id', :pool_a, 'investor_id', :inv_x, 'kind', 'contribution', 'amount', 1))),
          'manager B cannot post a batch that names pool A, not even its pool B posts');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.reverse_transaction(%s, %L)', :tx_ax, 'mine now'),
          'manager B cannot reverse a row of pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.add_investor(%s, %s)', :pool_a, :inv_x), 'manager B cannot add to pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.remove_investor(%s, %s)', :pool_a, :inv_x), 'manager B cannot remove from pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.close_pool(%s)', :pool_a), 'manager B cannot close pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.set_alert_rule(%s, 1)', :pool_a), 'manager B cannot set pool A''s rule');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.drop_alert_rule(%s)', :pool_a), 'manager B cannot drop pool A''s rule');
SELECT pktest.denied_as('pksec_mgr_b', 'SELECT poolkeeper.set_alert_rule(NULL, 1)', 'manager B cannot set the default rule');
SELECT pktest.denied_as('pksec_mgr_b', 'SELECT poolkeeper.drop_alert_rule(NULL)', 'manager B cannot drop the default rule');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.call_capital(%s, 10, current_date + 1)', :pool_a), 'manager B cannot call capital in pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.pay_capital_call(%s, %s)', :call_a, :inv_x), 'manager B cannot record a payment in pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.distribute(%s, 10)', :pool_a), 'manager B cannot distribute from pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.record_valuation(%s, current_date, 1)', :pool_a), 'manager B cannot value pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.raise_alert(%L, %s, %L, %L)', 'spike', :pool_a, '{}', 'b-fake'), 'manager B cannot raise an alert on pool A');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.create_pool(%s, %L, %L)', :mgr_a, 'Fake', 'USD'), 'manager B cannot create a pool for manager A');
SELECT pktest.denied_as('pksec_mgr_b', $$SELECT poolkeeper.create_manager('Manager C')$$, 'a manager cannot create managers');
SELECT pktest.denied_as('pksec_mgr_b', $$SELECT poolkeeper.create_investor('Z', 'pksec_nobody')$$, 'a manager cannot map a login role');
SELECT pktest.denied_as('pksec_mgr_b', 'SELECT poolkeeper.rebase_feed()', 'a manager cannot rebase the feed');
SELECT pktest.denied_as('pksec_mgr_b', 'SELECT count(*) FROM poolkeeper.verify()', 'a manager cannot run verify()');
SELECT pktest.denied_as('pksec_mgr_b', format($$INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount) VALUES (%s, %s, 'contribution', 1)$$, :pool_b, :inv_x),
          'manager B cannot insert ledger rows directly, even in pool B');
SELECT pktest.denied_as('pksec_mgr_b', format('UPDATE poolkeeper.positions SET contributed = 0 WHERE pool_id = %s', :pool_b), 'manager B cannot update positions directly');
SELECT pktest.denied_as('pksec_mgr_b', format('DELETE FROM poolkeeper.memberships WHERE pool_id = %s', :pool_b), 'manager B cannot delete memberships directly');
SELECT pktest.denied_as('pksec_mgr_b', format($$UPDATE poolkeeper.pools SET manager_id = %s$$, :mgr_b), 'manager B cannot take pools over by UPDATE');
SELECT pktest.denied_as('pksec_mgr_b', format($$INSERT INTO poolkeeper.alert_rules (pool_id) VALUES (%s)$$, :pool_b), 'manager B cannot write alert_rules directly');
SELECT pktest.denied_as('pksec_mgr_b', format('SELECT poolkeeper.locked_open_pool(%s)', :pool_b), 'internal functions are not callable');
-- Keys of other pools: taken by nobody, and nothing told about them.
SELECT isnt(pktest.as_role('pksec_mgr_b', format('SELECT poolkeeper.raise_alert(%L, %s, %L, %L)', 'spike', :pool_b, '{}', 'spike:' || :pool_a || ':1')), NULL,
            'manager B raises an alert on pool B under a key that looks like pool A''s ...');
SELECT isnt(pktest.as_role('pksec_listener', format('SELECT poolkeeper.raise_alert(%L, %s, %L, %L)', 'spike', :pool_a, '{}', 'spike:' || :pool_a || ':1')), NULL,
            '... and pool A''s monitor still raises its alert under that key (dedupe keys are per pool)');
SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', 'pksec_mgr_b', format('SELECT poolkeeper.raise_alert(%L, %s, %L, %L, %s)', 'spike', :pool_b, '{}', 'b-2', :tx_ax)),
          'PKA01', format('ledger row %s is not a row of pool %s', :tx_ax, :pool_b), 'a ledger row of pool A is "not a row of pool B", and its pool is not named');
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.distribute(%s, 10, %L, %L)', :pool_a, 'net_invested', 'shared-key')) AS done \gset
SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', 'pksec_mgr_b', format('SELECT poolkeeper.distribute(%s, 10, %L, %L)', :pool_b, 'net_invested', 'shared-key')),
          'PKS08', 'idempotency key ''shared-key'' was used for an operation of another pool',
          'an operation key used in pool A refuses manager B without telling what pool A did');
SELECT pktest.as_role('pksec_mgr_a', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 1, %L)', :pool_a, :inv_x, 'contribution', 'shared-ledger-key')) AS done \gset
SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', 'pksec_mgr_b', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 1, %L)', :pool_b, :inv_x, 'contribution', 'shared-ledger-key')),
          'PKS08', 'idempotency key ''shared-ledger-key'' was used for a ledger row of another pool',
          'a ledger key used in pool A refuses manager B without naming pool A''s row');
-- Manager B still runs pool B.
SELECT pktest.as_role('pksec_mgr_b', $$SELECT poolkeeper.create_investor('Onboarded by B')$$) AS inv_b_new \gset
SELECT is(login_role, NULL, 'a manager creates an investor without a login role') FROM poolkeeper.investors WHERE id = :inv_b_new;
SELECT pktest.as_role('pksec_mgr_b', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 50, %L)', :pool_b, :inv_x, 'fee', 'b-fee-1')) AS tx_bfee \gset
SELECT is(pool_id, :pool_b::bigint, 'manager B posts to pool B') FROM poolkeeper.transactions WHERE id = :tx_bfee;
SELECT is(pktest.as_role('pksec_mgr_b', format('SELECT poolkeeper.drop_alert_rule(%s)', :pool_b)), 'false', 'manager B may drop pool B''s (absent) rule');

-- 3. An investor reads their own rows and writes nothing.
SELECT is(pktest.as_role('pksec_inv_x', 'SELECT string_agg(name, '','') FROM poolkeeper.investors'), 'Investor X', 'investor X reads only their own investor row');
SELECT is(pktest.count_as('pksec_inv_x', 'SELECT 1 FROM poolkeeper.memberships'), 2::bigint, 'investor X reads their two memberships');
SELECT is(pktest.count_as('pksec_inv_x', 'SELECT 1 FROM poolkeeper.positions'), 2::bigint, '... their two positions');
SELECT is(pktest.count_as('pksec_inv_x', 'SELECT 1 FROM poolkeeper.pools'), 2::bigint, '... the two pools they are in');
SELECT is(pktest.count_as('pksec_inv_x', format('SELECT 1 FROM poolkeeper.transactions WHERE investor_id <> %s', :inv_x)), 0::bigint,
          'investor X reads no ledger row of anybody else');
SELECT is(pktest.count_as('pksec_inv_x', 'SELECT 1 FROM poolkeeper.transactions'),
          (SELECT count(*) FROM poolkeeper.transactions WHERE investor_id = :inv_x), '... and every one of their own');
SELECT is(pktest.count_as('pksec_inv_x', 'SELECT 1 FROM poolkeeper.obligations'), 1::bigint, '... their own obligation');
SELECT is(pktest.count_as('pksec_inv_x', 'SELECT 1 FROM poolkeeper.capital_call_obligations'), 1::bigint, '... in capital_call_obligations too');
SELECT is(pktest.count_as('pksec_inv_x', 'SELECT 1 FROM poolkeeper.investor_totals'), 1::bigint, '... their own totals');
SELECT is(pktest.count_as('pksec_inv_y', 'SELECT 1 FROM poolkeeper.pools'), 1::bigint, 'investor Y reads only pool A');
SELECT is(pktest.as_role('pksec_inv_x', format('SELECT string_agg(pool_id || '':'' || contributed, '','' ORDER BY pool_id) FROM poolkeeper.investor_statement(%s)', :inv_x)),
          (SELECT string_agg(pool_id || ':' || contributed, ',' ORDER BY pool_id) FROM poolkeeper.investor_statement(:inv_x)),
          'investor X''s statement is the same as the admin''s');
SELECT is(pktest.as_role('pksec_inv_x', format('SELECT string_agg(concat_ws('':'', pool_id, nav, tvpi), '','' ORDER BY pool_id) FROM poolkeeper.investor_metrics(%s)', :inv_x)),
          (SELECT string_agg(concat_ws(':', pool_id, nav, tvpi), ',' ORDER BY pool_id) FROM poolkeeper.investor_metrics(:inv_x)),
          'investor X''s metrics (their NAV share needs the whole pool) are the same as the admin''s');
SELECT is(pktest.count_as('pksec_inv_x', format('SELECT * FROM poolkeeper.investor_metrics(%s)', :inv_y)), 0::bigint,
          'investor X gets no metrics of investor Y');
SELECT pktest.refused(format('SELECT pktest.as_role(%L, %L)', 'pksec_inv_x', format('SELECT count(*) FROM poolkeeper.investor_statement(%s)', :inv_y)),
          'PKN02', NULL, 'investor Y''s statement is "no such investor" for investor X');
SELECT pktest.denied_as('pksec_inv_x', 'SELECT count(*) FROM poolkeeper.alerts', 'an investor cannot read alerts');
SELECT pktest.denied_as('pksec_inv_x', 'SELECT count(*) FROM poolkeeper.managers', 'an investor cannot read managers');
SELECT pktest.denied_as('pksec_inv_x', 'SELECT count(*) FROM poolkeeper.pool_summary', 'an investor cannot read pool_summary');
SELECT pktest.denied_as('pksec_inv_x', 'SELECT count(*) FROM poolkeeper.top_investors()', 'an investor cannot run top_investors');
SELECT pktest.denied_as('pksec_inv_x', 'SELECT count(*) FROM poolkeeper.transactions_after(NULL)', 'an investor cannot read the feed');
SELECT pktest.denied_as('pksec_inv_x', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 1)', :pool_a, :inv_x, 'contribution'), 'an investor cannot post');
SELECT pktest.denied_as('pksec_inv_x', format('SELECT poolkeeper.post_transactions(%L)', jsonb_build_array(
          jsonb_build_object('pool_id', :pool_a, 'investor_id', :inv_x, 'kind', 'contribution', 'amount', 1))),
          'an investor cannot post a batch');
SELECT pktest.denied_as('pksec_inv_x', format('SELECT poolkeeper.pay_capital_call(%s, %s)', :call_a, :inv_x), 'an investor cannot record their own payment');
SELECT pktest.denied_as('pksec_inv_x', $$SELECT poolkeeper.create_investor('Me again')$$, 'an investor cannot create investors');
SELECT pktest.denied_as('pksec_inv_x', format('UPDATE poolkeeper.positions SET contributed = 1e9 WHERE investor_id = %s', :inv_x), 'an investor cannot update their position');

-- 4. The auditor reads everything and writes nothing.
SELECT is(pktest.count_as('pksec_auditor', format('SELECT 1 FROM poolkeeper.%I', t)), pktest.count_as(current_user, format('SELECT 1 FROM poolkeeper.%I', t)),
          format('the auditor reads every row of %s', t))
  FROM unnest(ARRAY['managers', 'investors', 'pools', 'memberships', 'positions', 'transactions', 'alert_rules', 'alerts',
                    'investor_totals', 'operations', 'obligations', 'obligation_payments', 'valuations', 'alert_rule_changes',
                    'pool_summary', 'effective_alert_rules', 'capital_call_obligations']) t;
SELECT is(pktest.count_as('pksec_auditor', 'SELECT * FROM poolkeeper.verify()'), 0::bigint, 'the auditor runs verify(): no problem');
SELECT is(pktest.as_role('pksec_auditor', 'SELECT string_agg(investor_id || '':'' || pool_count, '','') FROM poolkeeper.top_investors(5)'),
          (SELECT string_agg(investor_id || ':' || pool_count, ',') FROM poolkeeper.top_investors(5)), 'the auditor''s top_investors is the admin''s');
SELECT pktest.denied_as('pksec_auditor', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 1)', :pool_a, :inv_x, 'contribution'), 'the auditor cannot post');
SELECT pktest.denied_as('pksec_auditor', format('SELECT poolkeeper.set_alert_rule(%s, 1)', :pool_a), 'the auditor cannot change rules');
SELECT pktest.denied_as('pksec_auditor', format('SELECT poolkeeper.raise_alert(%L, %s, %L, %L)', 'spike', :pool_a, '{}', 'aud'), 'the auditor cannot raise alerts');
SELECT pktest.denied_as('pksec_auditor', format('SELECT poolkeeper.close_pool(%s)', :pool_a), 'the auditor cannot close pools');
SELECT pktest.denied_as('pksec_auditor', format('DELETE FROM poolkeeper.alerts WHERE pool_id = %s', :pool_a), 'the auditor cannot delete alerts');

-- 5. The listener: the feeds, pools and rules; spike alerts, no money.
SELECT is(pktest.count_as('pksec_listener', 'SELECT * FROM poolkeeper.transactions_after(NULL, 10000)'),
          (SELECT count(*) FROM poolkeeper.transactions), 'the listener reads the whole transaction feed');
SELECT is(pktest.count_as('pksec_listener', 'SELECT * FROM poolkeeper.effective_alert_rules'), (SELECT count(*) FROM poolkeeper.pools), '... every pool''s rule');
SELECT isnt(pktest.as_role('pksec_listener', 'SELECT poolkeeper.feed_cursor()'), NULL, '... the feed cursor');
SELECT isnt(pktest.as_role('pksec_listener', format('SELECT poolkeeper.raise_alert(%L, %s, %L, %L)', 'spike', :pool_a, '{"count": 50}', 'pksec-spike-1')), NULL,
            'the listener raises a spike alert');
SELECT is(pktest.count_as('pksec_listener', 'SELECT * FROM poolkeeper.alerts_after(NULL, 10000)'), (SELECT count(*) FROM poolkeeper.alerts), '... and reads the whole alert feed');
SELECT pktest.denied_as('pksec_listener', format('SELECT poolkeeper.raise_alert(%L, %s, %L, %L)', 'large_transaction', :pool_a, '{}', 'l-1'),
          'the listener cannot raise large_transaction alerts');
SELECT pktest.denied_as('pksec_listener', format('SELECT poolkeeper.post_transaction(%s, %s, %L, 1)', :pool_a, :inv_x, 'contribution'), 'the listener cannot post money');
SELECT pktest.denied_as('pksec_listener', format('SELECT poolkeeper.set_alert_rule(%s, 1)', :pool_a), 'the listener cannot change rules');
SELECT pktest.denied_as('pksec_listener', 'SELECT count(*) FROM poolkeeper.positions', 'the listener cannot read positions');
SELECT pktest.denied_as('pksec_listener', 'SELECT count(*) FROM poolkeeper.investors', 'the listener cannot read investors');

-- 6. A login without poolkeeper roles gets nothing at all.
SELECT pktest.denied_as('pksec_nobody', format('SELECT count(*) FROM poolkeeper.%I', t), format('a role without poolkeeper roles cannot read %s', t))
  FROM unnest(ARRAY['pools', 'transactions', 'alerts', 'currencies']) t;
SELECT pktest.denied_as('pksec_nobody', 'SELECT count(*) FROM poolkeeper.alerts_after(NULL)', '... nor the alert feed');
SELECT pktest.denied_as('pksec_nobody', 'SELECT poolkeeper.caller()', '... nor call any function');

-- 7. Audit: who did it, kept with the rows.
SELECT is(string_agg(DISTINCT posted_by::text, ','), 'pksec_mgr_a', 'pool A''s ledger rows name manager A''s login as posted_by')
  FROM poolkeeper.transactions WHERE pool_id = :pool_a;
SELECT is(posted_by, 'pksec_mgr_a'::name, 'the distribution names its poster') FROM poolkeeper.operations WHERE id = :dist_a;
SELECT is(pktest.as_role('pksec_listener', format('SELECT string_agg(DISTINCT posted_by::text, '','') FROM poolkeeper.transactions_after(NULL, 10000) WHERE pool_id = %s', :pool_a)),
          'pksec_mgr_a', '... and the transaction feed carries posted_by');
SELECT is(changed_by, 'pksec_mgr_a'::name, 'pool A''s rule names who changed it') FROM poolkeeper.alert_rules WHERE pool_id = :pool_a;
SELECT is(pktest.as_role('pksec_admin', format('SELECT poolkeeper.reverse_transaction(%s, %L)', :tx_bfee, 'admin correction')) IS NOT NULL, true,
          'the admin reverses a row of pool B');
SELECT is(posted_by, 'pksec_admin'::name, '... and the reversal names the admin') FROM poolkeeper.transactions WHERE reverses_id = :tx_bfee;
SELECT is(pktest.as_role('pksec_admin', format('SELECT poolkeeper.drop_alert_rule(%s)', :pool_a)), 'true', 'the admin drops pool A''s rule');
SELECT is(string_agg(action || ':' || changed_by::text COLLATE "C", ',' ORDER BY id), 'set:pksec_mgr_a,drop:pksec_admin',
          'alert_rule_changes keeps who set and who dropped the rule')
  FROM poolkeeper.alert_rule_changes WHERE pool_id = :pool_a;
SELECT is((SELECT rule->>'large_transaction_threshold' FROM poolkeeper.alert_rule_changes WHERE pool_id = :pool_a AND action = 'set'), '1000',
          '... and the rule as it was set');
SELECT pktest.refused('UPDATE poolkeeper.alert_rule_changes SET changed_by = ''nobody''', 'PKS09', NULL, 'the rule history is append-only, even for a superuser');
SELECT is(pktest.as_role('pksec_mgr_b', format('SELECT poolkeeper.close_pool(%s)', :pool_b)), '', 'manager B closes pool B');
SELECT is(closed_by, 'pksec_mgr_b'::name, '... and the pool names who closed it') FROM poolkeeper.pools WHERE id = :pool_b;
SELECT poolkeeper.post_transaction(:pool_a, :inv_x, 'contribution', 1) AS tx_plain \gset
SELECT is(posted_by, current_user, 'a row posted without SET ROLE names the login') FROM poolkeeper.transactions WHERE id = :tx_plain;

-- 8. Grants: the intended matrix, function by function. A new function
-- fails here until it has a line. a = admin, m = manager, i = investor,
-- u = auditor, l = listener; '' = internal (only the SECURITY DEFINER
-- functions and triggers call it, as the owner).
CREATE TEMP TABLE intended (fn text PRIMARY KEY, roles text NOT NULL, definer boolean NOT NULL);
INSERT INTO intended VALUES
    ('caller()', 'amiul', false), ('caller_is(name)', 'amiul', false),
    ('caller_manager_id()', 'amiul', true), ('caller_investor_id()', 'amiul', true),
    ('caller_managed_pools()', 'amiul', true), ('caller_member_pools()', 'amiul', true),
    ('checked_id(bigint,text)', 'amiul', false), ('checked_name(text,text)', 'amiul', false),
    ('checked_amount(numeric,smallint,text)', 'amiul', false), ('checked_window(interval,text)', 'amiul', false),
    ('checked_limit(integer)', 'amiul', false),
    ('checked_period(timestamp with time zone,timestamp with time zone)', 'amiul', false),
    ('checked_login_role(name)', '', false), ('authorize_admin(text)', '', false), ('authorize_pool(bigint,text)', '', false),
    ('create_manager(text,name)', 'a', true), ('rebase_feed()', 'a', true),
    ('create_investor(text,name)', 'am', true), ('create_pool(bigint,text,text)', 'am', true),
    ('add_investor(bigint,bigint,numeric)', 'am', true), ('remove_investor(bigint,bigint)', 'am', true),
    ('close_pool(bigint)', 'am', true),
    ('post_transaction(bigint,bigint,text,numeric,text,timestamp with time zone,jsonb)', 'am', true),
    ('post_transactions(jsonb)', 'am', true), ('checked_batch_post(jsonb,bigint)', '', false),
    ('reverse_transaction(bigint,text)', 'am', true),
    ('set_alert_rule(bigint,numeric,interval,interval,numeric,integer,boolean)', 'am', true),
    ('drop_alert_rule(bigint)', 'am', true),
    ('call_capital(bigint,numeric,date,text)', 'am', true),
    ('pay_capital_call(bigint,bigint,numeric,text,timestamp with time zone)', 'am', true),
    ('distribute(bigint,numeric,text,text)', 'am', true), ('record_valuation(bigint,date,numeric)', 'am', true),
    ('raise_alert(text,bigint,jsonb,text,bigint)', 'aml', true),
    ('check_feed_reader(text)', 'amul', false), ('feed_cursor()', 'amul', false), ('feed_windows(text,text)', 'amul', false),
    ('transactions_after(text,integer)', 'amul', false), ('alerts_after(text,integer)', 'amul', false),
    ('alert_history(bigint,text,timestamp with time zone,timestamp with time zone,integer)', 'amul', false),
    ('top_investors(integer,timestamp with time zone,timestamp with time zone)', 'amu', false),
    ('pool_activity(bigint,text,timestamp with time zone,timestamp with time zone)', 'amu', false),
    ('pool_metrics(bigint,date)', 'amu', false), ('nav_shares(bigint,date)', 'amu', false),
    ('fund_metrics(bigint,bigint,date)', 'amu', false), ('ledger_as_of(bigint,bigint,date)', 'amu', false),
    ('checked_metrics_request(bigint,bigint,date)', 'amu', false),
    ('investor_statement(bigint,timestamp with time zone,timestamp with time zone)', 'amiu', false),
    ('investor_metrics(bigint,date)', 'amiu', true),
    ('obligation_paid(bigint,bigint)', 'amiu', false), ('checked_investor_exists(bigint)', 'amiu', false),
    ('checked_key(text,text)', '', false), ('allocate(numeric,integer,bigint[],numeric[])', 'amiu', false),
    ('xirr(numeric[],date[])', 'amiu', false), ('xirr_npv(numeric[],numeric[],numeric)', 'amiu', false),
    ('verify()', 'au', false),
    ('lock_idempotency_key(text)', '', false), ('locked_open_pool(bigint)', '', false),
    ('check_ledger_row(poolkeeper.transactions)', '', false), ('ledger_refusal(poolkeeper.transactions)', '', false),
    ('raise_large_transaction_alert(poolkeeper.transactions,numeric,text)', '', false),
    ('check_operation_row(poolkeeper.transactions)', '', false), ('ledger_before_insert()', '', false),
    ('reject_ledger_change()', '', false), ('guard_position_update()', '', false),
    ('replayed_post(text,bigint,bigint,text,numeric,timestamp with time zone,jsonb)', '', false),
    ('alerts_before_insert()', '', false), ('alerts_notify()', '', false), ('record_alert_rule_change()', '', false),
    ('replayed_operation(text,text,bigint,numeric,text,date)', '', false), ('check_read_committed(text)', '', false);
CREATE TEMP TABLE actual AS
    SELECT p.oid, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS full_sig,
           p.proname || '(' || coalesce((SELECT string_agg(format_type(t, NULL), ',' ORDER BY n)
                                           FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, n)), '') || ')' AS fn,
           p.prosecdef, p.proconfig
      FROM pg_proc p WHERE p.pronamespace = 'poolkeeper'::regnamespace;
SELECT is_empty('SELECT fn FROM actual EXCEPT SELECT fn FROM intended', 'every function of the extension has a line in the intended matrix');
SELECT is_empty('SELECT fn FROM intended EXCEPT SELECT fn FROM actual', 'every line of the matrix is a function of the extension');
SELECT is_empty($$SELECT fn FROM actual WHERE has_function_privilege('public', oid, 'EXECUTE')
                   OR EXISTS (SELECT 1 FROM aclexplode((SELECT proacl FROM pg_proc WHERE pg_proc.oid = actual.oid)) x WHERE x.grantee = 0)$$,
                'PUBLIC may execute no function of the extension');
SELECT is_empty($$SELECT a.fn, r.role
                    FROM actual a JOIN intended i USING (fn)
                   CROSS JOIN (VALUES ('a', 'poolkeeper_admin'), ('m', 'poolkeeper_manager'), ('i', 'poolkeeper_investor'),
                                      ('u', 'poolkeeper_auditor'), ('l', 'poolkeeper_listener'), ('', 'pksec_nobody')) r(letter, role)
                   WHERE has_function_privilege(r.role, a.oid, 'EXECUTE') IS DISTINCT FROM (r.letter <> '' AND strpos(i.roles, r.letter) > 0)$$,
                'each role may execute exactly the functions the matrix gives it');
SELECT is_empty('SELECT fn FROM actual a JOIN intended i USING (fn) WHERE a.prosecdef IS DISTINCT FROM i.definer',
                'exactly the intended functions are SECURITY DEFINER');
SELECT is_empty($$SELECT fn FROM actual WHERE prosecdef AND NOT ('search_path=pg_catalog, pg_temp' = ANY (coalesce(proconfig, '{}')))$$,
                'every SECURITY DEFINER function pins search_path to pg_catalog, pg_temp');
SELECT is_empty($$SELECT fn FROM actual a JOIN pg_proc p ON p.oid = a.oid
                   WHERE p.prosrc ~* '\mEXECUTE\M'$$,
                'no function runs dynamic SQL (nothing a name or a key could inject into)');
SELECT is_empty($$SELECT c.relname, r.role, priv
                    FROM pg_class c
                   CROSS JOIN (VALUES ('public'), ('poolkeeper_admin'), ('poolkeeper_manager'), ('poolkeeper_investor'),
                                      ('poolkeeper_auditor'), ('poolkeeper_listener')) r(role)
                   CROSS JOIN unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) priv
                   WHERE c.relnamespace = 'poolkeeper'::regnamespace AND c.relkind IN ('r', 'v')
                     AND has_table_privilege(r.role, c.oid, priv)$$,
                'no role may write, truncate or reference a table or view directly');
SELECT is_empty($$SELECT x.object, x.grantee::regrole
                    FROM (SELECT c.relname::text AS object, a.grantee, c.relowner AS owner FROM pg_class c, aclexplode(c.relacl) a
                           WHERE c.relnamespace = 'poolkeeper'::regnamespace
                          UNION ALL
                          SELECT p.oid::regprocedure::text, a.grantee, p.proowner FROM pg_proc p, aclexplode(p.proacl) a
                           WHERE p.pronamespace = 'poolkeeper'::regnamespace
                          UNION ALL
                          SELECT 'schema', a.grantee, n.nspowner FROM pg_namespace n, aclexplode(n.nspacl) a
                           WHERE n.nspname = 'poolkeeper') x
                   WHERE x.grantee <> x.owner
                     AND x.grantee NOT IN (SELECT oid FROM pg_roles WHERE rolname IN ('poolkeeper_admin', 'poolkeeper_manager',
                                           'poolkeeper_investor', 'poolkeeper_auditor', 'poolkeeper_listener'))$$,
                'no role but the owner and the five group roles holds any privilege on the schema or anything in it');
SELECT is_empty($$SELECT c.relname, r.role FROM pg_class c
                   CROSS JOIN (VALUES ('public'), ('poolkeeper_manager'), ('poolkeeper_investor'), ('poolkeeper_listener')) r(role)
                   WHERE c.relnamespace = 'poolkeeper'::regnamespace AND c.relkind = 'S'
                     AND has_sequence_privilege(r.role, c.oid, 'USAGE,UPDATE')$$,
                'no role but the owner may draw from the sequences');
SELECT is_empty($$SELECT relname FROM pg_class WHERE relnamespace = 'poolkeeper'::regnamespace AND relkind = 'r'
                     AND relname NOT IN ('currencies', 'error_codes') AND NOT relrowsecurity$$,
                'every table of per-person data has row-level security');
SELECT is_empty($$SELECT relname FROM pg_class WHERE relnamespace = 'poolkeeper'::regnamespace AND relkind = 'v'
                     AND NOT coalesce('security_invoker=true' = ANY (reloptions), false)$$,
                'every view reads with the caller''s rights (security_invoker)');
SELECT is_empty($$SELECT rolname FROM pg_roles WHERE rolname LIKE 'poolkeeper\_%' AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls)$$,
                'the extension''s roles cannot log in and hold no special attribute');

-- An existing role of a group role's name with more rights is not adopted.
-- pktest.reinstall_error(setup): the error of CREATE EXTENSION poolkeeper
-- after p_setup and a DROP EXTENSION, all of which it undoes.
CREATE FUNCTION pktest.reinstall_error(p_setup text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE p_setup;
    DROP EXTENSION poolkeeper CASCADE;
    CREATE EXTENSION poolkeeper;
    RAISE EXCEPTION 'no error';  -- undoes it all
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END;
$$;
SELECT is(pktest.reinstall_error(setup), format('42501: role %s exists and can log in, has a special attribute or is a member of another role: poolkeeper will not adopt it', role),
          description)
  FROM (VALUES ('ALTER ROLE poolkeeper_listener LOGIN', 'poolkeeper_listener', 'CREATE EXTENSION refuses a poolkeeper_listener role that can log in'),
               ('ALTER ROLE poolkeeper_auditor BYPASSRLS', 'poolkeeper_auditor', '... a poolkeeper_auditor role that bypasses row-level security'),
               ('GRANT pg_read_all_data TO poolkeeper_investor', 'poolkeeper_investor', '... and a poolkeeper_investor role that is a member of pg_read_all_data'))
       AS t(setup, role, description);
SELECT is((SELECT count(*)::int FROM pg_roles WHERE rolname LIKE 'poolkeeper\_%' AND NOT rolcanlogin AND NOT rolbypassrls
             AND NOT EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = pg_roles.oid)), 5,
          'and each of those trials was undone');

-- 9. Injection attempts are data.
SELECT pktest.as_role('pksec_mgr_a', $q$SELECT poolkeeper.create_investor($n$Robert'); DROP TABLE poolkeeper.transactions; --$n$)$q$) AS inv_bobby \gset
SELECT is(name, $$Robert'); DROP TABLE poolkeeper.transactions; --$$, 'a name with a quote and a statement is stored as it is')
  FROM poolkeeper.investors WHERE id = :inv_bobby;
SELECT poolkeeper.create_pool(:mgr_a, $n$$$; SELECT 1; $$ "x" \\ %I %L$n$, 'USD') AS pool_odd \gset
SELECT is(name, $n$$$; SELECT 1; $$ "x" \\ %I %L$n$, 'a name with dollar quotes, double quotes, backslashes and format specifiers too')
  FROM poolkeeper.pools WHERE id = :pool_odd;
SELECT pktest.refused($$SELECT poolkeeper.create_investor(repeat('x''; DROP TABLE t; ', 1000))$$, 'PKA01', NULL, 'a 16,000-character name is refused');
SELECT pktest.refused($$SELECT poolkeeper.create_manager('M', 'x"; DROP ROLE pksec_admin; --')$$, 'PKA05', NULL,
                      'a login role name that is a statement is an unknown role');
SELECT poolkeeper.post_transaction(:pool_a, :inv_x, 'contribution', 2, $k$k'; DELETE FROM poolkeeper.positions; --$k$, NULL,
                                   jsonb_build_object('note', $k$$$); DROP SCHEMA poolkeeper CASCADE; --$k$)) AS tx_odd \gset
SELECT is(idempotency_key || '|' || (metadata->>'note'), $k$k'; DELETE FROM poolkeeper.positions; --|$$); DROP SCHEMA poolkeeper CASCADE; --$k$,
          'an idempotency key and metadata with statements in them are stored as data')
  FROM poolkeeper.transactions WHERE id = :tx_odd;
SELECT is(poolkeeper.post_transaction(:pool_a, :inv_x, 'contribution', 2, $k$k'; DELETE FROM poolkeeper.positions; --$k$, NULL,
                                      jsonb_build_object('note', $k$$$); DROP SCHEMA poolkeeper CASCADE; --$k$)),
          (SELECT id FROM poolkeeper.transactions WHERE idempotency_key = $k$k'; DELETE FROM poolkeeper.positions; --$k$),
          '... and the same request under that key replays');
SELECT pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, %L, 1, repeat(%L, 100))', :pool_a, :inv_x, 'contribution', $k$';--$k$),
                      'PKA01', NULL, 'a 300-character idempotency key is refused');
SELECT pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, %L, 1, NULL, NULL, jsonb_build_object(%L, repeat(%L, 70000)))',
                             :pool_a, :inv_x, 'contribution', 'x', $k$'$$;$k$),
                      'PKA01', NULL, 'metadata of over 64 kB is refused');
SELECT isnt(poolkeeper.raise_alert('spike', :pool_a, jsonb_build_object('why', $k$'); DROP TABLE x; --$k$), $k$k'"$$;$k$), NULL,
            'a dedupe key with quotes and dollar quotes is data');
SELECT has_table('poolkeeper', 'transactions', 'the ledger is still there');
SELECT is((SELECT count(*) FROM poolkeeper.verify()), 0::bigint, 'verify() finds nothing wrong after all of it');

SELECT * FROM finish();
DROP ROLE pksec_admin, pksec_mgr_a, pksec_mgr_b, pksec_inv_x, pksec_inv_y, pksec_auditor, pksec_listener, pksec_nobody;
