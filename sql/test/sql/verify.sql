-- verify() returns no rows on a consistent ledger and names each broken
-- invariant when the rules were bypassed (triggers switched off by a superuser).
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
SELECT no_plan();

SELECT poolkeeper.create_manager('M') AS mgr \gset
SELECT poolkeeper.create_pool(:mgr, 'USD pool', 'USD') AS usd \gset
SELECT poolkeeper.create_investor('Ann') AS ann \gset
SELECT poolkeeper.create_investor('Bob') AS bob \gset
SELECT poolkeeper.add_investor(:usd, :ann), poolkeeper.add_investor(:usd, :bob) \gset ignored_
SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 100) AS c1 \gset
SELECT poolkeeper.post_transaction(:usd, :bob, 'contribution', 50) AS c2 \gset
SELECT poolkeeper.reverse_transaction(:c2, 'test') \gset ignored_
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'verify() returns no rows when every invariant holds');

-- Bypass the rules the way only a superuser can, one breach at a time.
SET LOCAL session_replication_role = replica;
SAVEPOINT clean;
UPDATE poolkeeper.positions SET contributed = 99 WHERE pool_id = :usd AND investor_id = :ann;
SELECT bag_eq('SELECT problem FROM poolkeeper.verify()',
              $$VALUES ('position_mismatch'), ('net_invested_mismatch'), ('investor_totals_mismatch')$$,
              'a position that differs from its ledger (and from its investor''s totals)');
ROLLBACK TO clean;
SELECT throws_ok(format('UPDATE poolkeeper.positions SET net_invested = -1 WHERE pool_id = %s AND investor_id = %s', :usd, :ann),
                 '23514', NULL, 'the totals'' domain stops a negative net_invested even with triggers off');
SELECT throws_ok(format('UPDATE poolkeeper.positions SET fees = -1 WHERE pool_id = %s AND investor_id = %s', :usd, :ann),
                 '23514', NULL, 'and a negative fee total');
UPDATE poolkeeper.positions SET net_invested = net_invested + 1 WHERE pool_id = :usd AND investor_id = :ann;
SELECT results_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('net_invested_mismatch')$$,
                  'a net_invested that is not contributed - withdrawn - fees');
ROLLBACK TO clean;
INSERT INTO poolkeeper.alerts (kind, pool_id, transaction_id, dedupe_key, xact_id) VALUES ('spike', :usd, 999999, 'x', pg_current_xact_id());
SELECT results_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('alert_without_ledger_row')$$,
                  'an alert that names a ledger row that does not exist');
ROLLBACK TO clean;
UPDATE poolkeeper.positions SET minor_units = 3 WHERE pool_id = :usd AND investor_id = :ann;
SELECT results_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('stale_position_copy')$$,
                  'a position whose copy of the minor units is stale');
ROLLBACK TO clean;
INSERT INTO poolkeeper.transactions (id, pool_id, investor_id, kind, amount, occurred_at, recorded_at, xact_id, metadata)
VALUES (nextval('poolkeeper.transactions_id_seq'), :usd, :ann, 'gift', 1, now(), clock_timestamp(), pg_current_xact_id(), '[]');
SELECT results_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('bad_ledger_field')$$,
                  'a ledger row with an unknown kind and metadata that is not an object');
ROLLBACK TO clean;
INSERT INTO poolkeeper.transactions (id, pool_id, investor_id, kind, amount, occurred_at, recorded_at, xact_id, reverses_id)
VALUES (nextval('poolkeeper.transactions_id_seq'), :usd, :ann, 'fee', 1, now(), clock_timestamp(), pg_current_xact_id(), :c1);
SELECT bag_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('position_mismatch'), ('bad_reversal')$$,
              'a reversal that does not match its row');
ROLLBACK TO clean;
INSERT INTO poolkeeper.transactions (id, pool_id, investor_id, kind, amount, occurred_at, recorded_at, xact_id)
VALUES (nextval('poolkeeper.transactions_id_seq'), :usd, :ann, 'contribution', 0.001, now(), clock_timestamp(), pg_current_xact_id());
SELECT bag_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('position_mismatch'), ('bad_amount')$$,
              'an amount with more decimals than the currency has');
ROLLBACK TO clean;
UPDATE poolkeeper.memberships SET left_at = clock_timestamp() WHERE pool_id = :usd AND investor_id = :ann;
SELECT bag_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('position_state_mismatch'), ('position_without_membership')$$,
              'money held by somebody who is no longer a member');
ROLLBACK TO clean;
UPDATE poolkeeper.positions SET is_open = false WHERE pool_id = :usd AND investor_id = :bob;
SELECT results_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('position_state_mismatch')$$,
                  'a member''s position closed behind poolkeeper''s back');
ROLLBACK TO clean;
-- With the rules on but positions reopened behind poolkeeper's back, posts
-- land where they must not; verify() still sees it from the timestamps.
SET LOCAL session_replication_role = origin;
SELECT poolkeeper.close_pool(:usd) \gset ignored_
UPDATE poolkeeper.positions SET is_open = true WHERE pool_id = :usd AND investor_id = :ann;
SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 1) \gset ignored_
UPDATE poolkeeper.positions SET is_open = false WHERE pool_id = :usd AND investor_id = :ann;
SELECT results_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('row_in_closed_pool')$$,
                  'a ledger row recorded after its pool closed');
ROLLBACK TO clean;
SET LOCAL session_replication_role = origin;
SELECT poolkeeper.remove_investor(:usd, :bob) \gset ignored_
UPDATE poolkeeper.positions SET is_open = true WHERE pool_id = :usd AND investor_id = :bob;
SELECT poolkeeper.post_transaction(:usd, :bob, 'contribution', 1) \gset ignored_
UPDATE poolkeeper.positions SET is_open = false WHERE pool_id = :usd AND investor_id = :bob;
SELECT bag_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('row_outside_membership'), ('position_without_membership')$$,
              'a ledger row recorded while its investor was not a member');
ROLLBACK TO clean;
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'and clean again after each rollback');

SELECT * FROM finish();
ROLLBACK;
