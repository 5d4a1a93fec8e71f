-- Idempotency keys: a repeat of the same request returns the original id and
-- writes nothing; the same key with a different request fails with PKS08.
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

SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 500, 'wire-1', NULL, '{"ref": 1}') AS first \gset
SELECT pktest.state() AS after_first \gset
SELECT is(poolkeeper.post_transaction(:usd, :ann, 'contribution', 500, 'wire-1', NULL, '{"ref": 1}'), :first::bigint,
          'a repeat returns the original id');
SELECT is(poolkeeper.post_transaction(:usd, :ann, 'contribution', 500.00, 'wire-1', NULL, '{"ref": 1}'), :first::bigint,
          'the same amount written differently is the same request');
SELECT is(pktest.state(), :'after_first', 'repeats write nothing');
SELECT is((SELECT contributed::text FROM poolkeeper.positions WHERE pool_id = :usd AND investor_id = :ann), '500.00',
          'the position counts the post once');

SELECT poolkeeper.post_transaction(:usd, :ann, 'fee', 5, 'fee-1', '2026-01-02 03:04:05+00') AS fee \gset
SELECT is(poolkeeper.post_transaction(:usd, :ann, 'fee', 5, 'fee-1', '2026-01-02 03:04:05+00'), :fee::bigint,
          'a repeat with the same explicit occurred_at returns the original id');
SELECT is(poolkeeper.post_transaction(:usd, :ann, 'fee', 5, 'fee-1'), :fee::bigint,
          'a repeat that leaves occurred_at out returns the original id');

SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 501, ''wire-1'', NULL, ''{"ref": 1}'')', :usd, :ann),
                             'PKS08', format('idempotency key ''wire-1'' was used for ledger row %s, a different request', :first),
                             'same key, another amount');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 500, ''wire-1'', NULL, ''{"ref": 1}'')', :usd, :bob),
                             'PKS08', NULL, 'same key, another investor');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''withdrawal'', 500, ''wire-1'', NULL, ''{"ref": 1}'')', :usd, :ann),
                             'PKS08', NULL, 'same key, another kind');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 500, ''wire-1'', NULL, ''{"ref": 2}'')', :usd, :ann),
                             'PKS08', NULL, 'same key, other metadata');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''fee'', 5, ''fee-1'', ''2026-01-03'')', :usd, :ann),
                             'PKS08', NULL, 'same key, another occurred_at');
SELECT * FROM pktest.refused(format('INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, idempotency_key) VALUES (%s, %s, ''contribution'', 500, ''wire-1'')', :usd, :ann),
                             'PKS08', format('idempotency key ''wire-1'' was used for ledger row %s', :first), 'a plain INSERT cannot reuse a key');
SELECT * FROM pktest.refused(format('INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, idempotency_key) VALUES (%s, %s, ''contribution'', 500, ''wire-1'') ON CONFLICT DO NOTHING', :usd, :ann),
                             'PKS08', NULL, 'INSERT ... ON CONFLICT DO NOTHING cannot skip a row after moving its position');
SELECT * FROM pktest.refused(format('INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, idempotency_key) VALUES (%s, %s, ''contribution'', 1, ''dup''), (%s, %s, ''contribution'', 1, ''dup'') ON CONFLICT DO NOTHING', :usd, :ann, :usd, :ann),
                             'PKS08', NULL, 'nor can it within one statement');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', NULL, ''wire-1'')', :usd, :ann),
                             'PKA02', 'amount must not be NULL', 'a used key with a NULL amount is an amount error, not a conflict');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 500, ''wire-1'', NULL, ''[]'')', :usd, :ann),
                             'PKA01', 'metadata must be a JSON object of at most 64 kB', 'a used key with bad metadata is a metadata error');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''withdrawal'', 10000, ''too-much'')', :usd, :ann),
                             'PKS04', NULL, 'a refused keyed post');
SELECT lives_ok(format('SELECT poolkeeper.post_transaction(%s, %s, ''withdrawal'', 100, ''too-much'')', :usd, :ann),
                'a refused post does not use up its key');
SELECT is((SELECT count(*)::int FROM poolkeeper.verify()), 0, 'verify() finds nothing wrong');

SELECT * FROM finish();
ROLLBACK;
