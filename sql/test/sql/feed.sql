-- The feeds: transactions_after and alerts_after hand out every committed
-- row exactly once along a chain of cursors, page by page, and refuse bad
-- limits, bad cursors and reads in a transaction that has written. Runs in
-- autocommit, because the feed shows only what has committed; the rows it
-- writes stay (they are valid). Commits out of id order: specs/feed_order.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
SELECT no_plan();

SELECT poolkeeper.create_manager('Feed') AS mgr \gset
SELECT poolkeeper.create_pool(:mgr, 'Feed pool', 'EUR') AS pool \gset
SELECT poolkeeper.create_investor('Feed investor') AS inv \gset
SELECT poolkeeper.add_investor(:pool, :inv) \gset ignored_
SELECT poolkeeper.set_alert_rule(:pool, 100) \gset ignored_

-- A reader that starts now sees only what commits after.
SELECT poolkeeper.feed_cursor() AS c0 \gset
SELECT poolkeeper.post_transaction(:pool, :inv, 'contribution', 1) AS t1 \gset
SELECT poolkeeper.post_transaction(:pool, :inv, 'contribution', 2) AS t2 \gset
SELECT poolkeeper.post_transaction(:pool, :inv, 'contribution', 3) AS t3 \gset
SELECT poolkeeper.post_transaction(:pool, :inv, 'contribution', 4) AS t4 \gset
SELECT poolkeeper.post_transaction(:pool, :inv, 'contribution', 500) AS t5 \gset
BEGIN;
SELECT poolkeeper.post_transaction(:pool, :inv, 'contribution', 600) AS rolled_back \gset
ROLLBACK;

-- read(cursor, limit): the ids of one page, and the cursor after it.
\set read 'SELECT coalesce(string_agg(id::text, $$,$$ ORDER BY n), $$$$) AS ids, coalesce((array_agg(cursor ORDER BY n DESC))[1], :''c'') AS c FROM poolkeeper.transactions_after(:''c'', :lim) WITH ORDINALITY AS r(cursor, id, pool_id, investor_id, kind, amount, occurred_at, recorded_at, idempotency_key, reverses_id, metadata, operation_id, posted_by, n)'
\set c :c0
\set lim 2
:read \gset page1_
\set c :page1_c
:read \gset page2_
\set c :page2_c
:read \gset page3_
\set c :page3_c
:read \gset page4_
SELECT is(:'page1_ids'::text, format('%s,%s', :t1, :t2), 'the first page holds the first two rows, in order');
SELECT is(:'page2_ids'::text, format('%s,%s', :t3, :t4), 'the second page the next two');
SELECT is(:'page3_ids'::text, format('%s', :t5), 'the third the last committed row: the rolled-back one never shows');
SELECT is(:'page4_ids'::text, ''::text, 'then nothing');
SELECT is(:'page4_c'::text, :'page3_c'::text, 'and an empty page keeps the cursor');

SELECT poolkeeper.post_transaction(:pool, :inv, 'withdrawal', 1) AS t6 \gset
\set c :page4_c
\set lim 1000
:read \gset page5_
SELECT is(:'page5_ids'::text, format('%s', :t6), 'a row committed later comes on the next read, once');
\set c :page5_c
:read \gset page6_
SELECT is(:'page6_ids'::text, ''::text, 'and not again');

-- From the beginning, every committed row, once.
SELECT count(*) AS ledger_rows FROM poolkeeper.transactions \gset
\set c ''
SELECT count(*) AS n, count(DISTINCT id) AS distinct_n, bool_and(id <> :rolled_back) AS none_rolled_back
  FROM poolkeeper.transactions_after(NULL, 10000) \gset all_
SELECT is(:all_n::bigint, :ledger_rows::bigint, 'a NULL cursor starts at the first row ever written');
SELECT is(:all_distinct_n::bigint, :all_n::bigint, 'each row once');

-- Alerts, the same way.
SELECT string_agg(transaction_id::text, ',' ORDER BY ordinality) AS alert_rows
  FROM poolkeeper.alerts_after(:'c0') WITH ORDINALITY \gset
SELECT is(:'alert_rows'::text, format('%s', :t5), 'alerts_after: the alert of the one row above the threshold, not the rolled-back one');
SELECT (array_agg(cursor))[1] AS ac FROM poolkeeper.alerts_after(:'c0') \gset
SELECT poolkeeper.raise_alert('spike', :pool, '{}', 'feed-test-spike') AS spike \gset
SELECT string_agg(id::text, ',') AS next_alerts FROM poolkeeper.alerts_after(:'ac') \gset
SELECT is(:'next_alerts'::text, format('%s', :spike), 'then only the alert raised after it');

-- Refusals.
SELECT throws_ok(format('SELECT * FROM poolkeeper.transactions_after(%L, 0)', :'c0'), 'PKA01', 'limit 0 is not from 1 to 10000', 'a limit of 0');
SELECT throws_ok(format('SELECT * FROM poolkeeper.transactions_after(%L, 10001)', :'c0'), 'PKA01', NULL, 'a limit above 10000');
SELECT throws_ok(format('SELECT * FROM poolkeeper.alerts_after(%L, NULL)', :'c0'), 'PKA01', NULL, 'a NULL limit');
SELECT throws_ok('SELECT * FROM poolkeeper.transactions_after(''garbage'')', 'PKA06',
                 '''garbage'' is not a cursor of the transactions feed', 'a cursor that is not one');
SELECT throws_ok(format('SELECT * FROM poolkeeper.transactions_after(%L)', :'ac'), 'PKA06', NULL, 'a cursor of the alerts feed');
SELECT throws_ok('SELECT * FROM poolkeeper.alerts_after(''v1;;10:5:;;0;0'')', 'PKA06', NULL, 'a cursor with a malformed snapshot');
SELECT throws_ok('SELECT * FROM poolkeeper.alerts_after(''v1;;1:1:;;x;0'')', 'PKA06', NULL, 'a cursor with a malformed position');
SELECT lives_ok(format('SELECT * FROM poolkeeper.alerts_after(%L)', :'c0'), 'a cursor from feed_cursor() serves both feeds');
BEGIN;
SELECT poolkeeper.post_transaction(:pool, :inv, 'contribution', 1) \gset ignored_
SELECT throws_ok(format('SELECT * FROM poolkeeper.transactions_after(%L)', :'c0'), 'PKS11',
                 'transactions_after cannot read the feed in a transaction that has written or locked rows; read it first, or in a transaction of its own',
                 'reading the feed after writing in the same transaction');
SELECT throws_ok('SELECT poolkeeper.feed_cursor()', 'PKS11', NULL, 'taking a cursor after writing in the same transaction');
ROLLBACK;
BEGIN;
SELECT 1 AS locked FROM poolkeeper.pools WHERE id = :pool FOR UPDATE \gset ignored_
SELECT throws_ok(format('SELECT * FROM poolkeeper.alerts_after(%L)', :'c0'), 'PKS11', NULL, 'reading the feed after locking rows');
ROLLBACK;
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'verify() finds nothing wrong');

SELECT * FROM finish();
