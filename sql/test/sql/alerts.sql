-- Alert rules and the alert log: set_alert_rule's checks, which rule is in
-- force, large_transaction alerts raised by the ledger trigger (strictly
-- above the threshold, never for reversals, gone with a rollback), and
-- raise_alert with its dedupe key. Notifications themselves are tested from
-- Python in test/listen/ (psql cannot wait for them).
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
SET intervalstyle = postgres;
BEGIN;
SELECT no_plan();

SELECT poolkeeper.create_manager('M') AS mgr \gset
SELECT poolkeeper.create_pool(:mgr, 'USD pool', 'USD') AS usd \gset
SELECT poolkeeper.create_pool(:mgr, 'JPY pool', 'JPY') AS jpy \gset
SELECT poolkeeper.create_investor('Ann') AS ann \gset
SELECT poolkeeper.add_investor(:usd, :ann), poolkeeper.add_investor(:jpy, :ann) \gset ignored_

-- Rules: what is in force, and where it comes from.
SELECT results_eq(format('SELECT source, alert_threshold, spike_short_window, spike_baseline_window, spike_factor, spike_min_count
                            FROM poolkeeper.effective_alert_rules WHERE pool_id = %s', :usd),
                  $$VALUES ('built-in', NULL::numeric, interval '1 minute', interval '1 hour', 10::numeric, 5)$$,
                  'with no rows, a pool has the built-in rule: no threshold, 1 minute against 1 hour, factor 10, at least 5');
SELECT poolkeeper.set_alert_rule(NULL, 1000) \gset ignored_
SELECT poolkeeper.set_alert_rule(:jpy, 50000, '30 seconds', '2 hours', 4, 3) \gset ignored_
SELECT results_eq(format('SELECT pool_id, source, alert_threshold FROM poolkeeper.effective_alert_rules WHERE pool_id IN (%s, %s) ORDER BY pool_id', :usd, :jpy),
                  format($$VALUES (%s::bigint, 'default', 1000::numeric), (%s, 'pool', 50000)$$, :usd, :jpy),
                  'the default row applies to pools without their own');
-- posts_alerting(amount): how many alerts a contribution of that amount by
-- Ann to the USD pool raises (the post is undone).
CREATE FUNCTION pg_temp.posts_alerting(p_pool bigint, p_investor bigint, p_amount numeric) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_before bigint := (SELECT count(*) FROM poolkeeper.alerts);
    v_after  bigint;
BEGIN
    PERFORM poolkeeper.post_transaction(p_pool, p_investor, 'contribution', p_amount);
    v_after := (SELECT count(*) FROM poolkeeper.alerts);
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'undo', DETAIL = (v_after - v_before)::text;
EXCEPTION WHEN SQLSTATE 'P0001' THEN
    RETURN (v_after - v_before);
END;
$$;
SELECT is(pg_temp.posts_alerting(:usd, :ann, 1001), 1::bigint, 'the default threshold applies to a pool without its own rule');
SELECT is(pg_temp.posts_alerting(:jpy, :ann, 1001), 0::bigint, 'a pool''s own rule replaces the default');
SELECT poolkeeper.set_alert_rule(:usd, 10, p_enabled => false) \gset ignored_
SELECT is(pg_temp.posts_alerting(:usd, :ann, 5000), 0::bigint, 'a disabled pool rule turns the pool''s alerts off, whatever the default says');
SELECT is((SELECT alert_threshold FROM poolkeeper.effective_alert_rules WHERE pool_id = :usd), NULL,
          'effective_alert_rules says so');
SELECT is(poolkeeper.drop_alert_rule(:usd), true, 'drop_alert_rule removes a pool''s own rule');
SELECT is(pg_temp.posts_alerting(:usd, :ann, 1001), 1::bigint, 'and the pool follows the default again');
SELECT is(poolkeeper.drop_alert_rule(:usd), false, 'dropping a rule that is not there says so');
UPDATE poolkeeper.alert_rules SET large_transaction_threshold = 2000 WHERE pool_id IS NULL;
SELECT is(pg_temp.posts_alerting(:usd, :ann, 1001), 0::bigint, 'a rule changed by hand applies to the next post');
SELECT poolkeeper.set_alert_rule(NULL, 1000) \gset ignored_

-- set_alert_rule refuses bad values and writes nothing.
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, -1)', 'PKA01',
    'large_transaction_threshold -1 is not NULL or an amount from 0 to below 10^18', 'a negative threshold');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, ''NaN'')', 'PKA01', NULL, 'a NaN threshold');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, ''Infinity'')', 'PKA01', NULL, 'an infinite threshold');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, 1, p_spike_factor => 1)', 'PKA01',
    'spike_factor 1 is not above 1 and at most 1000000', 'a factor of 1');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, 1, p_spike_factor => 0.5)', 'PKA01', NULL, 'a factor below 1');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, 1, p_spike_factor => NULL)', 'PKA01', NULL, 'a NULL factor');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, 1, p_spike_short_window => ''0 seconds'')', 'PKA01',
    'spike_short_window 00:00:00 is not a whole number of seconds from 1 second to 1 day', 'an empty short window');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, 1, p_spike_baseline_window => ''-1 hour'')', 'PKA01',
    NULL, 'a negative baseline window');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, 1, p_spike_short_window => ''1.5 seconds'')', 'PKA01',
    NULL, 'a window that is not whole seconds');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, 1, p_spike_baseline_window => ''1 month'')', 'PKA01',
    NULL, 'a window of a month');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, 1, p_spike_min_count => 0)', 'PKA01',
    'spike_min_count 0 is not from 1 to 1000000', 'a minimum count below 1');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(NULL, 1, p_enabled => NULL)', 'PKA01', NULL, 'a NULL enabled');
SELECT * FROM pktest.refused('SELECT poolkeeper.set_alert_rule(999999, 1)', 'PKN01', 'pool 999999 does not exist', 'an unknown pool');

-- large_transaction alerts from the ledger trigger.
SELECT count(*) AS before FROM poolkeeper.alerts \gset
SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 1000) \gset ignored_
SELECT is((SELECT count(*) FROM poolkeeper.alerts), :before::bigint, 'an amount equal to the threshold raises nothing');
SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 1000.01) AS big \gset
SELECT results_eq(format('SELECT kind, pool_id, transaction_id, dedupe_key, details FROM poolkeeper.alerts WHERE transaction_id = %s', :big),
                  format($$VALUES ('large_transaction', %s::bigint, %s::bigint, 'large_transaction:%s',
                                   '{"amount": "1000.01", "currency": "USD", "threshold": "1000", "investor_id": %s,
                                     "transaction_kind": "contribution"}'::jsonb)$$, :usd, :big, :big, :ann),
                  'an amount above the threshold raises one large_transaction alert, amounts as strings');
SELECT is((SELECT raised_at FROM poolkeeper.alerts WHERE transaction_id = :big),
          (SELECT recorded_at FROM poolkeeper.transactions WHERE id = :big), 'raised when the row was recorded');
SELECT poolkeeper.post_transaction(:usd, :ann, 'withdrawal', 1500) \gset ignored_
SELECT poolkeeper.post_transaction(:usd, :ann, 'distribution', 5000) AS dist \gset
SELECT is((SELECT array_agg(details->>'transaction_kind' ORDER BY id) FROM poolkeeper.alerts WHERE pool_id = :usd),
          ARRAY['contribution', 'withdrawal', 'distribution'], 'every kind of row is measured against the threshold');
SELECT count(*) AS before FROM poolkeeper.alerts \gset
SELECT poolkeeper.reverse_transaction(:dist, 'paid twice') \gset ignored_
SELECT is((SELECT count(*) FROM poolkeeper.alerts), :before::bigint, 'a reversal raises nothing, however large');
SAVEPOINT before_rollback;
SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 99999) \gset ignored_
ROLLBACK TO before_rollback;
SELECT is((SELECT count(*) FROM poolkeeper.alerts), :before::bigint, 'a rolled-back post leaves no alert');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''withdrawal'', 1000000)', :usd, :ann), 'PKS04',
                             NULL, 'a refused post above the threshold');
INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount) VALUES (:jpy, :ann, 'contribution', 50001) RETURNING id AS raw \gset
SELECT is((SELECT details->>'threshold' FROM poolkeeper.alerts WHERE transaction_id = :raw), '50000',
          'a plain INSERT into the ledger is measured against its own pool''s rule');

-- raise_alert
SELECT poolkeeper.raise_alert('spike', :usd, '{"n_short": 12}', 'spike:usd:1') AS s1 \gset
SELECT results_eq(format('SELECT kind, pool_id, transaction_id, details FROM poolkeeper.alerts WHERE id = %s', :s1),
                  format($$VALUES ('spike', %s::bigint, NULL::bigint, '{"n_short": 12}'::jsonb)$$, :usd),
                  'raise_alert records the alert and returns its id');
SELECT is(poolkeeper.raise_alert('spike', :usd, '{"n_short": 13}', 'spike:usd:1'), NULL, 'a second alert under the same key returns NULL');
SELECT is((SELECT count(*) FROM poolkeeper.alerts WHERE dedupe_key = 'spike:usd:1'), 1::bigint, 'and writes nothing');
SELECT isnt(poolkeeper.raise_alert('large_transaction', :usd, '{}', 'by-hand', :big), NULL, 'an alert may name a ledger row of its pool');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''fire'', %s, ''{}'', ''k'')', :usd), 'PKA01',
                             'alert kind ''fire'' is not large_transaction or spike', 'an unknown alert kind');
SELECT * FROM pktest.refused('SELECT poolkeeper.raise_alert(''spike'', 999999, ''{}'', ''k'')', 'PKN01', NULL, 'an unknown pool');
SELECT * FROM pktest.refused('SELECT poolkeeper.raise_alert(''spike'', NULL, ''{}'', ''k'')', 'PKA01', NULL, 'a NULL pool');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''spike'', %s, ''[1]'', ''k'')', :usd), 'PKA01',
                             'details must be a JSON object of at most 8 kB', 'details that are not an object');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''spike'', %s, NULL, ''k'')', :usd), 'PKA01', NULL, 'NULL details');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''spike'', %s, jsonb_build_object(''x'', repeat(''a'', 9000)), ''k'')', :usd),
                             'PKA01', NULL, 'details over 8 kB');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''spike'', %s, ''{}'', '''')', :usd), 'PKA01',
                             'dedupe_key must be 1 to 255 characters long', 'an empty dedupe key');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''spike'', %s, ''{}'', NULL)', :usd), 'PKA01', NULL, 'a NULL dedupe key');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''spike'', %s, ''{}'', repeat(''k'', 256))', :usd), 'PKA01',
                             NULL, 'a dedupe key over 255 characters');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''spike'', %s, ''{}'', ''large_transaction:999'')', :usd), 'PKA01',
                             'dedupe_key ''large_transaction:999'' is reserved: keys that start with large_transaction: belong to the ledger trigger',
                             'a dedupe key of the ledger trigger''s');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''spike'', %s, ''{}'', ''k'', 999999)', :usd), 'PKN04',
                             'ledger row 999999 does not exist', 'an unknown ledger row');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.raise_alert(''spike'', %s, ''{}'', ''k'', %s)', :jpy, :big), 'PKA01',
                             format('ledger row %s is not a row of pool %s', :big, :jpy), 'a ledger row of another pool');
INSERT INTO poolkeeper.alerts (kind, pool_id, dedupe_key, xact_id) VALUES ('spike', :usd, 'by-insert', '5') RETURNING xact_id AS given \gset
SELECT is(:'given'::xid8, pg_current_xact_id(), 'an alert written by hand gets its transaction''s id, whatever it says');
-- The alert log is append-only.
SELECT * FROM pktest.refused(format('UPDATE poolkeeper.alerts SET details = ''{}'' WHERE id = %s', :s1), 'PKS09',
                             'UPDATE on poolkeeper.alerts is not allowed: the alert log is append-only', 'UPDATE of an alert');
SELECT * FROM pktest.refused(format('DELETE FROM poolkeeper.alerts WHERE id = %s', :s1), 'PKS09', NULL, 'DELETE of an alert');
SELECT * FROM pktest.refused('TRUNCATE poolkeeper.alerts', 'PKS09', NULL, 'TRUNCATE of the alert log');
-- The alert is written before its ledger row; nothing checks that early.
SET CONSTRAINTS ALL IMMEDIATE;
SELECT lives_ok(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1000000)', :usd, :ann),
                'a large post works with every constraint checked immediately');
SET CONSTRAINTS ALL DEFERRED;
SET LOCAL poolkeeper.notify_alerts = 'maybe';
SELECT throws_ok(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1000000)', :usd, :ann), '22P02', NULL,
                 'poolkeeper.notify_alerts must be a boolean: a typo fails the alerting post, not a later PREPARE');
SET LOCAL poolkeeper.notify_alerts = 'no';
SELECT lives_ok(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1000000)', :usd, :ann),
                'any spelling of false silences the notification');
RESET poolkeeper.notify_alerts;
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'verify() finds nothing wrong');

SELECT * FROM finish();
ROLLBACK;
