-- quickstart.sql: poolkeeper at work, run by `scripts/db up`. Everything
-- happens in one transaction that is rolled back, so it leaves nothing behind.
\set ON_ERROR_STOP 1
\pset footer off
\set SHOW_CONTEXT never
BEGIN;
SELECT extversion AS "poolkeeper version" FROM pg_extension WHERE extname = 'poolkeeper';

\o /dev/null
SELECT poolkeeper.create_manager('Ada Capital') AS manager \gset
SELECT poolkeeper.create_pool(:manager, 'Seed Fund I', 'USD') AS pool \gset
SELECT poolkeeper.create_investor('Grace') AS grace \gset
SELECT poolkeeper.create_investor('Linus') AS linus \gset
SELECT poolkeeper.add_investor(:pool, :grace, 250000);
SELECT poolkeeper.add_investor(:pool, :linus);

SELECT poolkeeper.post_transaction(:pool, :grace, 'contribution', 100000, 'wire-2026-001');
SELECT poolkeeper.post_transaction(:pool, :grace, 'contribution', 100000) AS twice \gset
SELECT poolkeeper.reverse_transaction(:twice, 'wired twice');
-- A retry under the same idempotency key writes nothing and returns the first id.
SELECT poolkeeper.post_transaction(:pool, :grace, 'contribution', 100000, 'wire-2026-001');
SELECT poolkeeper.post_transaction(:pool, :linus, 'contribution', 40000.50);
SELECT poolkeeper.post_transaction(:pool, :grace, 'fee', 1250);
SELECT poolkeeper.post_transaction(:pool, :linus, 'withdrawal', 5000);
SELECT poolkeeper.post_transaction(:pool, :grace, 'distribution', 12000);
\o
\echo
\echo 'Ledger:'
SELECT id, investor_id, kind, amount, reverses_id FROM poolkeeper.transactions WHERE pool_id = :pool ORDER BY id;
\echo 'Positions (exact, current):'
SELECT i.name AS investor, p.contributed, p.withdrawn, p.distributed, p.fees, p.net_invested
  FROM poolkeeper.positions p JOIN poolkeeper.investors i ON i.id = p.investor_id
 WHERE p.pool_id = :pool ORDER BY i.name;
\echo 'A withdrawal above net_invested is refused:'
\set ON_ERROR_STOP 0
SAVEPOINT refused;
SELECT poolkeeper.post_transaction(:pool, :linus, 'withdrawal', 1000000);
ROLLBACK TO refused;
\set ON_ERROR_STOP 1
\echo 'verify() finds no problem:'
SELECT count(*) AS problems FROM poolkeeper.verify();
ROLLBACK;
