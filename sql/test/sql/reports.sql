-- Reports: top_investors against the reference query on 100,000 random
-- contributions (its full ranking, its period filter, and both after
-- random reversals), then pool_summary, investor_statement, pool_activity
-- and alert_history on a small ledger with known answers, and every
-- report's refusals.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
BEGIN;
SELECT no_plan();

-- 300 pools (one in four in JPY), 2,000 investors, each a member of a few
-- to many pools, and 100,000 contributions spread over a year.
SELECT setseed(0.42);
SELECT poolkeeper.create_manager('Big') AS big \gset
CREATE TEMP TABLE big_pools AS
    SELECT poolkeeper.create_pool(:big, 'Pool ' || g, CASE WHEN g % 4 = 0 THEN 'JPY' ELSE 'USD' END) AS pool_id
      FROM generate_series(1, 300) g;
CREATE TEMP TABLE big_investors AS
    SELECT poolkeeper.create_investor('Investor ' || g) AS investor_id, power(random(), 3) * 0.1 AS appetite
      FROM generate_series(1, 2000) g;
CREATE TEMP TABLE pairs AS
    SELECT row_number() OVER () AS n, pool_id, investor_id
      FROM big_pools CROSS JOIN big_investors
     WHERE random() + 0 * pool_id < appetite + 0.002;  -- per pair: a qual on investors alone would be pushed down
CREATE INDEX ON pairs (n);
SELECT count(poolkeeper.add_investor(pool_id, investor_id)) FROM pairs \gset ignored_
SELECT count(*) AS npairs FROM pairs \gset
INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, occurred_at)
SELECT p.pool_id, p.investor_id, 'contribution',
       CASE WHEN pl.currency = 'JPY' THEN round(1 + g.r::numeric * 100000)
            ELSE round(1 + g.r::numeric * 1000, 2) END,
       now() - g.age * interval '365 days'
  FROM (SELECT 1 + floor(random() * :npairs)::int AS n, random() AS r, random() AS age FROM generate_series(1, 100000)) g
  JOIN pairs p USING (n)
  JOIN poolkeeper.pools pl ON pl.id = p.pool_id;

CREATE TEMP VIEW reference AS  -- the issue's query, without its LIMIT
SELECT investor_id, COUNT(DISTINCT pool_id) AS unique_pools, SUM(amount) AS total_investment
  FROM poolkeeper.transactions WHERE kind = 'contribution' GROUP BY investor_id;

SELECT cmp_ok((SELECT count(*) FROM poolkeeper.transactions WHERE kind = 'contribution'), '>=', 100000::bigint,
              'the ledger holds at least 100,000 contributions');
SELECT ok((SELECT count(*) FROM (SELECT unique_pools FROM reference GROUP BY unique_pools HAVING count(*) > 1) x) > 5,
          'many investors share a pool count, so the total decides between them');
SELECT results_eq(
    'SELECT pool_count, total_invested FROM poolkeeper.top_investors(5)',
    $$SELECT unique_pools, total_investment FROM (SELECT investor_id, COUNT(DISTINCT pool_id) AS unique_pools, SUM(amount) AS total_investment FROM poolkeeper.transactions WHERE kind = 'contribution' GROUP BY investor_id ORDER BY unique_pools DESC, total_investment DESC LIMIT 5) ref$$,
    'top_investors(5) gives the pool counts and totals of the reference query, in its order');
SELECT results_eq(
    'SELECT investor_id, pool_count, total_invested FROM poolkeeper.top_investors(5)',
    'SELECT investor_id, unique_pools, total_investment FROM reference ORDER BY unique_pools DESC, total_investment DESC, investor_id LIMIT 5',
    'top_investors(5) gives the investors of the reference query, ties (if any) by investor_id');
SELECT results_eq(
    'SELECT investor_id, investor_name, pool_count, total_invested FROM poolkeeper.top_investors(10000)',
    'SELECT r.investor_id, i.name, r.unique_pools, r.total_investment FROM reference r JOIN poolkeeper.investors i ON i.id = r.investor_id
      ORDER BY unique_pools DESC, total_investment DESC, investor_id',
    'the whole ranking, with names, equals the reference query''s');
SELECT results_eq(
    $$SELECT * FROM poolkeeper.top_investors(10000, '-infinity', 'infinity')$$,
    'SELECT * FROM poolkeeper.top_investors(10000)',
    'the ledger scan of the period form agrees with investor_totals over all time');
SELECT results_eq(
    $$SELECT investor_id, pool_count, total_invested FROM poolkeeper.top_investors(50, now() - interval '90 days', now() - interval '30 days')$$,
    $$SELECT investor_id, count(DISTINCT pool_id), sum(amount) FROM poolkeeper.transactions
       WHERE kind = 'contribution' AND occurred_at >= now() - interval '90 days' AND occurred_at < now() - interval '30 days'
       GROUP BY investor_id ORDER BY 2 DESC, 3 DESC, 1 LIMIT 50$$,
    'with a period, it ranks only the contributions that occurred in [from, to)');

-- Reverse 3,000 random contributions, and every contribution of the two
-- leading investors in one of their pools, so that pool counts fall too.
SELECT count(poolkeeper.reverse_transaction(id, 'test')) FROM (
    SELECT id FROM poolkeeper.transactions WHERE kind = 'contribution' ORDER BY random() LIMIT 3000) x \gset ignored_
SELECT count(poolkeeper.reverse_transaction(t.id, 'test'))
  FROM poolkeeper.transactions t
  JOIN (SELECT investor_id, min(pool_id) AS pool_id FROM poolkeeper.transactions
         WHERE investor_id IN (SELECT investor_id FROM poolkeeper.top_investors(2)) GROUP BY investor_id) lead
    ON lead.investor_id = t.investor_id AND lead.pool_id = t.pool_id
 WHERE t.kind = 'contribution' AND t.reverses_id IS NULL
   AND NOT EXISTS (SELECT 1 FROM poolkeeper.transactions r WHERE r.reverses_id = t.id) \gset ignored_
CREATE TEMP VIEW unreversed AS
SELECT t.* FROM poolkeeper.transactions t
 WHERE t.kind = 'contribution' AND t.reverses_id IS NULL
   AND NOT EXISTS (SELECT 1 FROM poolkeeper.transactions r WHERE r.reverses_id = t.id);
SELECT results_eq(
    'SELECT investor_id, pool_count, total_invested FROM poolkeeper.top_investors(10000)',
    'SELECT investor_id, count(DISTINCT pool_id), sum(amount) FROM unreversed GROUP BY investor_id ORDER BY 2 DESC, 3 DESC, 1',
    'after reversals, the ranking counts only unreversed contributions');
SELECT results_eq(
    $$SELECT investor_id, pool_count, total_invested FROM poolkeeper.top_investors(100, now() - interval '200 days', now() - interval '100 days')$$,
    $$SELECT investor_id, count(DISTINCT pool_id), sum(amount) FROM unreversed
       WHERE occurred_at >= now() - interval '200 days' AND occurred_at < now() - interval '100 days'
       GROUP BY investor_id ORDER BY 2 DESC, 3 DESC, 1 LIMIT 100$$,
    'with a period, a contribution reversed after the period is left out too');
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'verify() finds nothing wrong, investor_totals included');

-- A small ledger with known answers.
SELECT poolkeeper.create_manager('Maria') AS maria \gset
SELECT poolkeeper.create_pool(:maria, 'Seed Fund', 'USD') AS seed \gset
SELECT poolkeeper.create_pool(:maria, 'Tokyo Fund', 'JPY') AS tokyo \gset
SELECT poolkeeper.create_investor('Ann') AS ann \gset
SELECT poolkeeper.create_investor('Bob') AS bob \gset
SELECT poolkeeper.add_investor(:seed, :ann, 5000), poolkeeper.add_investor(:seed, :bob, 2500.50),
       poolkeeper.add_investor(:tokyo, :ann) \gset ignored_
SELECT poolkeeper.post_transaction(:seed, :ann, 'contribution', 100, NULL, '2025-01-10') AS c1 \gset
SELECT poolkeeper.post_transaction(:seed, :ann, 'withdrawal', 30, NULL, '2025-02-05') \gset ignored_
SELECT poolkeeper.post_transaction(:seed, :ann, 'fee', 5, NULL, '2025-02-10') \gset ignored_
SELECT poolkeeper.post_transaction(:seed, :ann, 'distribution', 12.5, NULL, '2025-02-20') \gset ignored_
SELECT poolkeeper.post_transaction(:seed, :ann, 'contribution', 50, NULL, '2025-03-01') AS c5 \gset
SELECT poolkeeper.post_transaction(:seed, :bob, 'contribution', 700, NULL, '2025-02-15') \gset ignored_
SELECT poolkeeper.post_transaction(:tokyo, :ann, 'contribution', 10000, NULL, '2025-02-01') \gset ignored_
SELECT poolkeeper.reverse_transaction(:c5, 'entered twice') \gset ignored_

SELECT results_eq(
    format('SELECT pool_name, manager_name, currency, status, members, committed, contributed, withdrawn, distributed, fees, net_invested
              FROM poolkeeper.pool_summary WHERE pool_id IN (%s, %s) ORDER BY pool_id', :seed, :tokyo),
    $$VALUES ('Seed Fund', 'Maria', 'USD', 'open', 2::bigint, 7500.50, 800.00, 30.00, 12.50, 5.00, 765.00),
             ('Tokyo Fund', 'Maria', 'JPY', 'open', 1, 0, 10000, 0, 0, 0, 10000)$$,
    'pool_summary: members, commitments and totals net of reversals');
SELECT ok((SELECT last_activity_at > now() - interval '1 minute' FROM poolkeeper.pool_summary WHERE pool_id = :seed),
          'pool_summary: last activity is the reversal, which occurred now');
SELECT results_eq(
    format($$SELECT pool_id, currency, opening_balance, contributed, withdrawn, distributed, fees, closing_balance
               FROM poolkeeper.investor_statement(%s, '2025-02-01', '2025-03-01')$$, :ann),
    format($$VALUES (%s::bigint, 'USD', 100.00, 0::numeric, 30.00, 12.50, 5.00, 65.00), (%s, 'JPY', 0, 10000, 0, 0, 0, 10000)$$, :seed, :tokyo),
    'investor_statement: opening, movements and closing for February');
SELECT results_eq(
    format($$SELECT pool_id, opening_balance, contributed, closing_balance FROM poolkeeper.investor_statement(%s, '2025-03-01', NULL)$$, :ann),
    format($$VALUES (%s::bigint, 65.00, 0.00, 65.00), (%s, 10000, 0, 10000)$$, :seed, :tokyo),
    'investor_statement: the contribution of March 1 and its reversal cancel out');
SELECT results_eq(
    format('SELECT closing_balance FROM poolkeeper.investor_statement(%s) ORDER BY pool_id', :ann),
    format('SELECT net_invested::numeric FROM poolkeeper.positions WHERE investor_id = %s ORDER BY pool_id', :ann),
    'investor_statement: with no end, the closing balances are the positions');
SELECT is_empty(format($$SELECT * FROM poolkeeper.investor_statement(%s, NULL, '2025-01-01')$$, :ann),
                'investor_statement: no row for a period before any ledger row');
SELECT results_eq(
    format($$SELECT bucket_start, transactions, reversals, contributions, withdrawals, distributions, fees, net_flow
               FROM poolkeeper.pool_activity(%s, 'month', NULL, '2025-04-01')$$, :seed),
    $$VALUES ('2025-01-01 00:00+00'::timestamptz, 1::bigint, 0::bigint, 100.00, 0::numeric, 0::numeric, 0::numeric, 100.00),
             ('2025-02-01 00:00+00', 4, 0, 700.00, 30.00, 12.50, 5.00, 665.00),
             ('2025-03-01 00:00+00', 1, 0, 50.00, 0, 0, 0, 50.00)$$,
    'pool_activity by month: rows, amounts per kind and net flow');
SELECT results_eq(
    format($$SELECT bucket_start, transactions FROM poolkeeper.pool_activity(%s, 'week', '2025-02-01', '2025-03-01')$$, :seed),
    $$VALUES ('2025-02-03 00:00+00'::timestamptz, 1::bigint), ('2025-02-10 00:00+00', 2), ('2025-02-17 00:00+00', 1)$$,
    'pool_activity by week: weeks start on Monday; empty weeks are left out');
SELECT results_eq(
    format($$SELECT sum(reversals), sum(contributions) FROM poolkeeper.pool_activity(%s, 'day')$$, :seed),
    $$VALUES (1::numeric, 800.00)$$,
    'pool_activity: a reversal counts against its kind when it occurred');
SELECT is((SELECT count(*) FROM poolkeeper.pool_activity(NULL, 'day', '2025-01-01', '2025-02-02')), 2::bigint,
          'pool_activity of every pool: one row per pool and day with rows');

SELECT poolkeeper.set_alert_rule(:seed, 600) \gset ignored_
SELECT poolkeeper.post_transaction(:seed, :bob, 'contribution', 650) AS big_post \gset
SELECT poolkeeper.raise_alert('spike', :tokyo, '{"n_short": 9}', 'spike-report-test') \gset ignored_
SELECT results_eq(
    format('SELECT kind, pool_name, transaction_id FROM poolkeeper.alert_history() WHERE pool_id IN (%s, %s) ORDER BY alert_id', :seed, :tokyo),
    format($$VALUES ('large_transaction', 'Seed Fund', %s::bigint), ('spike', 'Tokyo Fund', NULL)$$, :big_post),
    'alert_history lists every alert (of these pools: earlier tests raised others)');
SELECT results_eq(
    format($$SELECT kind, details->>'amount' FROM poolkeeper.alert_history(%s, 'large_transaction', now() - interval '1 hour', NULL, 10)$$, :seed),
    $$VALUES ('large_transaction', '650.00')$$,
    'alert_history filters by pool, kind and period');
SELECT is_empty($$SELECT * FROM poolkeeper.alert_history(NULL, 'spike', NULL, now() - interval '1 day')$$,
                'alert_history: nothing raised before the period''s end');
SELECT is((SELECT string_agg(kind, ',') FROM poolkeeper.alert_history(NULL, NULL, NULL, NULL, 1)), 'spike',
          'alert_history: newest first, up to the limit');

-- Refusals.
SELECT pktest.refused('SELECT * FROM poolkeeper.top_investors(0)', 'PKA01', 'limit 0 is not from 1 to 10000', 'top_investors: limit 0');
SELECT pktest.refused('SELECT * FROM poolkeeper.top_investors(NULL)', 'PKA01', 'limit NULL is not from 1 to 10000', 'top_investors: NULL limit');
SELECT pktest.refused($$SELECT * FROM poolkeeper.top_investors(5, '2025-02-01', '2025-02-01')$$, 'PKA01',
    'the period from 2025-02-01 00:00:00+00 to 2025-02-01 00:00:00+00 is empty: from must be before to', 'top_investors: empty period');
SELECT pktest.refused('SELECT * FROM poolkeeper.investor_statement(NULL)', 'PKA01', 'investor_id must not be NULL', 'investor_statement: NULL id');
SELECT pktest.refused('SELECT * FROM poolkeeper.investor_statement(-1)', 'PKN02', 'investor -1 does not exist', 'investor_statement: unknown investor');
SELECT pktest.refused(format($$SELECT * FROM poolkeeper.investor_statement(%s, '2025-03-01', '2025-02-01')$$, :ann), 'PKA01',
    'the period from 2025-03-01 00:00:00+00 to 2025-02-01 00:00:00+00 is empty: from must be before to', 'investor_statement: reversed period');
SELECT pktest.refused($$SELECT * FROM poolkeeper.pool_activity(NULL, 'year')$$, 'PKA01', $$bucket 'year' is not day, week or month$$, 'pool_activity: bucket year');
SELECT pktest.refused('SELECT * FROM poolkeeper.pool_activity(NULL, NULL)', 'PKA01', 'bucket NULL is not day, week or month', 'pool_activity: NULL bucket');
SELECT pktest.refused('SELECT * FROM poolkeeper.pool_activity(-1)', 'PKN01', 'pool -1 does not exist', 'pool_activity: unknown pool');
SELECT pktest.refused($$SELECT * FROM poolkeeper.alert_history(NULL, 'fraud')$$, 'PKA01', $$alert kind 'fraud' is not large_transaction or spike$$, 'alert_history: unknown kind');
SELECT pktest.refused('SELECT * FROM poolkeeper.alert_history(-1)', 'PKN01', 'pool -1 does not exist', 'alert_history: unknown pool');
SELECT pktest.refused('SELECT * FROM poolkeeper.alert_history(NULL, NULL, NULL, NULL, 10001)', 'PKA01', 'limit 10001 is not from 1 to 10000', 'alert_history: limit too large');

-- investor_totals change only with the ledger, and verify() sees a change made around that.
SELECT pktest.refused(format('UPDATE poolkeeper.investor_totals SET pool_count = 99 WHERE investor_id = %s', :ann), 'PKS09',
    'UPDATE on poolkeeper.investor_totals is not allowed: investor totals change only with the ledger; post a transaction or a reversal instead',
    'a direct UPDATE of investor_totals is refused');
SELECT pktest.refused(format('INSERT INTO poolkeeper.investor_totals VALUES (%s, 5, 5)', :bob + 1000), 'PKS09',
    'INSERT on poolkeeper.investor_totals is not allowed: investor totals change only with the ledger; post a transaction or a reversal instead',
    'a direct INSERT into investor_totals is refused');
SELECT pktest.refused('DELETE FROM poolkeeper.investor_totals', 'PKS09',
    'DELETE on poolkeeper.investor_totals is not allowed: investor totals change only with the ledger; post a transaction or a reversal instead',
    'a DELETE from investor_totals is refused');
SET LOCAL session_replication_role = replica;
UPDATE poolkeeper.investor_totals SET pool_count = pool_count + 1 WHERE investor_id = :bob;
SET LOCAL session_replication_role = origin;
SELECT results_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('investor_totals_mismatch')$$,
                  'verify() reports investor_totals that disagree with positions');

SELECT * FROM finish();
ROLLBACK;
