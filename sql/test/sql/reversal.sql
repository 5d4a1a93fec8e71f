-- reverse_transaction: a reversal restores the position exactly, a row is
-- reversed once, a reversal is never reversed, and refusals write nothing.
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
SELECT poolkeeper.add_investor(:usd, :ann) \gset ignored_
CREATE TEMP VIEW ann_usd AS
    SELECT contributed::text, withdrawn::text, distributed::text, fees::text, net_invested::text
      FROM poolkeeper.positions WHERE pool_id = :usd AND investor_id = :ann;

SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 1000) AS c1 \gset
SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 250.55) AS c2 \gset
SELECT poolkeeper.post_transaction(:usd, :ann, 'withdrawal', 100.10) AS w1 \gset
SELECT poolkeeper.post_transaction(:usd, :ann, 'fee', 12.34) AS f1 \gset
SELECT poolkeeper.post_transaction(:usd, :ann, 'distribution', 77.77) AS d1 \gset
SELECT results_eq('SELECT * FROM ann_usd', $$VALUES ('1250.55', '100.10', '77.77', '12.34', '1138.11')$$, 'position before reversals');

SELECT poolkeeper.reverse_transaction(:c2, 'entered twice') AS r1 \gset
SELECT results_eq(format('SELECT pool_id, investor_id, kind, amount::text, reverses_id, metadata FROM poolkeeper.transactions WHERE id = %s', :r1),
                  format($$VALUES (%s::bigint, %s::bigint, 'contribution', '250.55', %s::bigint, '{"reason": "entered twice"}'::jsonb)$$, :usd, :ann, :c2),
                  'a reversal copies pool, investor, kind and amount, points at the row and keeps the reason');
SELECT results_eq('SELECT * FROM ann_usd', $$VALUES ('1000.00', '100.10', '77.77', '12.34', '887.56')$$, 'reversing a contribution restores the position exactly');
SELECT poolkeeper.reverse_transaction(:w1, 'bank returned the wire') \gset ignored_
SELECT poolkeeper.reverse_transaction(:f1, 'fee waived') \gset ignored_
SELECT poolkeeper.reverse_transaction(:d1, 'paid to the wrong investor') \gset ignored_
SELECT results_eq('SELECT * FROM ann_usd', $$VALUES ('1000.00', '0.00', '0.00', '0.00', '1000.00')$$,
                  'reversing a withdrawal, a fee and a distribution restores the position exactly');
SELECT is((SELECT count(*)::int FROM poolkeeper.transactions WHERE pool_id = :usd), 9, 'the original rows stay in the ledger');

SELECT * FROM pktest.refused(format('SELECT poolkeeper.reverse_transaction(%s, ''again'')', :c2), 'PKS06',
                             format('ledger row %s has already been reversed', :c2), 'reversing a row twice');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.reverse_transaction(%s, ''undo'')', :r1), 'PKS07',
                             format('ledger row %s is a reversal and cannot be reversed', :r1), 'reversing a reversal');
SELECT * FROM pktest.refused('SELECT poolkeeper.reverse_transaction(-1, ''x'')', 'PKN04',
                             'ledger row -1 does not exist', 'reversing an unknown row');
SELECT * FROM pktest.refused('SELECT poolkeeper.reverse_transaction(NULL, ''x'')', 'PKA01',
                             'transaction_id must not be NULL', 'reversing NULL');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.reverse_transaction(%s, ''  '')', :c1), 'PKA01',
                             'reason must not be empty', 'a reversal without a reason');
-- Reversing a contribution that was already withdrawn would go below zero.
SELECT poolkeeper.post_transaction(:usd, :ann, 'withdrawal', 900) \gset ignored_
SELECT * FROM pktest.refused(format('SELECT poolkeeper.reverse_transaction(%s, ''chargeback'')', :c1), 'PKS04',
                             format('reversing a contribution 1000.00 would take net_invested of investor %s in pool %s below zero (it is 100.00)', :ann, :usd),
                             'a reversal that would take net_invested below zero');
-- A plain INSERT of a reversal must match the row it reverses.
SELECT * FROM pktest.refused(format('INSERT INTO poolkeeper.transactions (reverses_id, amount) VALUES (%s, 1)', :c1), 'PKS07',
                             format('a reversal of ledger row %s must have its pool, investor, kind and amount', :c1),
                             'a plain INSERT of a reversal with another amount');
SELECT * FROM pktest.refused(format('INSERT INTO poolkeeper.transactions (reverses_id, kind) VALUES (%s, ''fee'')', :c1), 'PKS07',
                             NULL, 'a plain INSERT of a reversal with another kind');
-- After removing the investor, no reversal can put money back into the position.
SELECT poolkeeper.post_transaction(:usd, :ann, 'withdrawal', 100) AS w2 \gset
SELECT poolkeeper.remove_investor(:usd, :ann) \gset ignored_
SELECT * FROM pktest.refused(format('SELECT poolkeeper.reverse_transaction(%s, ''oops'')', :w2), 'PKS02',
                             format('investor %s is not a member of pool %s', :ann, :usd), 'reversing for a former member');
SELECT is((SELECT count(*)::int FROM poolkeeper.verify()), 0, 'verify() finds nothing wrong');

SELECT * FROM finish();
ROLLBACK;
