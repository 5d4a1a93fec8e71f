-- The ledger is append-only and positions change only through it, for every
-- role, the superuser included.
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
SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 100) AS c1 \gset

SELECT * FROM pktest.refused(format('UPDATE poolkeeper.transactions SET amount = 1 WHERE id = %s', :c1), 'PKS09',
                             'UPDATE on poolkeeper.transactions is not allowed: the ledger is append-only; post a reversal instead',
                             'UPDATE of a ledger row');
SELECT * FROM pktest.refused(format('UPDATE poolkeeper.transactions SET metadata = ''{"x": 1}'' WHERE id = %s', :c1), 'PKS09',
                             NULL, 'UPDATE of a ledger row''s metadata');
SELECT * FROM pktest.refused(format('DELETE FROM poolkeeper.transactions WHERE id = %s', :c1), 'PKS09',
                             'DELETE on poolkeeper.transactions is not allowed: the ledger is append-only; post a reversal instead',
                             'DELETE of a ledger row');
SELECT * FROM pktest.refused('TRUNCATE poolkeeper.transactions', 'PKS09',
                             'TRUNCATE on poolkeeper.transactions is not allowed: the ledger is append-only; post a reversal instead',
                             'TRUNCATE of the ledger');
SELECT * FROM pktest.refused(format('UPDATE poolkeeper.positions SET contributed = 1e6 WHERE pool_id = %s', :usd), 'PKS09',
                             'UPDATE of the totals of poolkeeper.positions is not allowed: they change only with the ledger; post a transaction or a reversal instead',
                             'a direct UPDATE of a position');
SELECT * FROM pktest.refused(format('UPDATE poolkeeper.positions SET net_invested = 0 WHERE pool_id = %s', :usd), 'PKS09',
                             NULL, 'a direct UPDATE of net_invested');
SELECT * FROM pktest.refused(format('UPDATE poolkeeper.positions SET minor_units = 4 WHERE pool_id = %s', :usd), 'PKS09',
                             NULL, 'a direct UPDATE of a position''s minor units');
SELECT * FROM pktest.refused(format('UPDATE poolkeeper.positions SET currency = ''EUR'' WHERE pool_id = %s', :usd), 'PKS09',
                             NULL, 'a direct UPDATE of a position''s currency');
SELECT * FROM pktest.refused(format('DELETE FROM poolkeeper.positions WHERE pool_id = %s', :usd), 'PKS09',
                             NULL, 'a direct DELETE of a position');
SELECT * FROM pktest.refused('TRUNCATE poolkeeper.positions CASCADE', 'PKS09', NULL, 'TRUNCATE of positions');
INSERT INTO poolkeeper.transactions (id, pool_id, investor_id, kind, amount) VALUES (:c1, :usd, :ann, 'contribution', 1)
ON CONFLICT (id) DO NOTHING RETURNING id AS given \gset
SELECT isnt(:given::bigint, :c1::bigint, 'a ledger id given by the writer is replaced by the database''s, so ON CONFLICT (id) skips nothing');
SELECT is((SELECT contributed::text FROM poolkeeper.positions WHERE pool_id = :usd AND investor_id = :ann), '101.00',
          'and the row and its position change both landed');
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'verify() finds nothing wrong');

SELECT * FROM finish();
ROLLBACK;
