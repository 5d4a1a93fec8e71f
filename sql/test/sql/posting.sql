-- post_transaction: exact positions for every kind, currency scales, and
-- every refusal with its SQLSTATE, leaving nothing behind. Plain INSERTs into
-- the ledger obey the same rules.
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
SELECT poolkeeper.create_pool(:mgr, 'JPY pool', 'JPY') AS jpy \gset
SELECT poolkeeper.create_pool(:mgr, 'KWD pool', 'KWD') AS kwd \gset
SELECT poolkeeper.create_investor('Ann') AS ann \gset
SELECT poolkeeper.create_investor('Bob') AS bob \gset
SELECT poolkeeper.create_investor('Cy') AS cy \gset
SELECT poolkeeper.add_investor(:usd, :ann), poolkeeper.add_investor(:usd, :bob),
       poolkeeper.add_investor(:jpy, :ann), poolkeeper.add_investor(:kwd, :ann) \gset ignored_
CREATE TEMP VIEW ann_usd AS
    SELECT contributed::text, withdrawn::text, distributed::text, fees::text, net_invested::text
      FROM poolkeeper.positions WHERE pool_id = :usd AND investor_id = :ann;

SELECT poolkeeper.post_transaction(:usd, :ann, 'contribution', 100) AS c1 \gset
SELECT results_eq(format('SELECT pool_id, investor_id, kind, amount::text, reverses_id FROM poolkeeper.transactions WHERE id = %s', :c1),
                  format($$VALUES (%s::bigint, %s::bigint, 'contribution', '100.00', NULL::bigint)$$, :usd, :ann),
                  'a contribution is one ledger row, its amount in the currency''s scale');
SELECT results_eq('SELECT * FROM ann_usd', $$VALUES ('100.00', '0.00', '0.00', '0.00', '100.00')$$, 'the position follows at once');
SELECT poolkeeper.post_transaction(:usd, :ann, 'withdrawal', 30.25) \gset ignored_
SELECT results_eq('SELECT * FROM ann_usd', $$VALUES ('100.00', '30.25', '0.00', '0.00', '69.75')$$, 'a withdrawal reduces net_invested');
SELECT poolkeeper.post_transaction(:usd, :ann, 'fee', 9.75) \gset ignored_
SELECT results_eq('SELECT * FROM ann_usd', $$VALUES ('100.00', '30.25', '0.00', '9.75', '60.00')$$, 'a fee reduces net_invested');
SELECT poolkeeper.post_transaction(:usd, :ann, 'distribution', 500) \gset ignored_
SELECT results_eq('SELECT * FROM ann_usd', $$VALUES ('100.00', '30.25', '500.00', '9.75', '60.00')$$,
                  'a distribution above net_invested is paid and leaves net_invested alone');
SELECT poolkeeper.post_transaction(:usd, :ann, 'withdrawal', 60) \gset ignored_
SELECT results_eq('SELECT * FROM ann_usd', $$VALUES ('100.00', '90.25', '500.00', '9.75', '0.00')$$,
                  'a withdrawal may take net_invested to exactly zero');
SELECT poolkeeper.post_transaction(:usd, :bob, 'contribution', 0.10), poolkeeper.post_transaction(:usd, :bob, 'contribution', 0.20) \gset ignored_
SELECT is((SELECT contributed::numeric FROM poolkeeper.positions WHERE pool_id = :usd AND investor_id = :bob), 0.30, '0.10 + 0.20 is exactly 0.30');
SELECT poolkeeper.post_transaction(:jpy, :ann, 'contribution', 1000) AS y1 \gset
SELECT is((SELECT amount::text FROM poolkeeper.transactions WHERE id = :y1), '1000', 'JPY amounts have no decimals');
SELECT poolkeeper.post_transaction(:kwd, :ann, 'contribution', 1.234) AS k1 \gset
SELECT is((SELECT amount::text FROM poolkeeper.transactions WHERE id = :k1), '1.234', 'KWD amounts have three decimals');
SELECT poolkeeper.post_transaction(:usd, :bob, 'contribution', 999999999999999999.99) AS big \gset
SELECT is((SELECT amount FROM poolkeeper.transactions WHERE id = :big), 999999999999999999.99, 'the largest amount below 10^18 is exact');
SELECT poolkeeper.post_transaction(:usd, :bob, 'contribution', 1, NULL, '2019-03-04 05:06:07+00', '{"ref": "wire 17"}') AS old \gset
SELECT results_eq(format('SELECT occurred_at, metadata, recorded_at >= now() FROM poolkeeper.transactions WHERE id = %s', :old),
                  $$VALUES ('2019-03-04 05:06:07+00'::timestamptz, '{"ref": "wire 17"}'::jsonb, true)$$,
                  'occurred_at and metadata are kept; recorded_at is the database''s clock');
SELECT is((SELECT occurred_at FROM poolkeeper.transactions WHERE id = :c1), now(), 'occurred_at defaults to now()');
INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, occurred_at, recorded_at)
VALUES (:usd, :bob, 'contribution', 5, '2020-01-01', '1999-01-01') RETURNING id AS raw \gset
SELECT ok((SELECT recorded_at >= now() FROM poolkeeper.transactions WHERE id = :raw),
          'a recorded_at given by the caller is replaced by the database''s clock');
SELECT is((SELECT contributed::numeric FROM poolkeeper.positions WHERE pool_id = :usd AND investor_id = :bob),
          999999999999999999.99 + 0.30 + 1 + 5, 'a plain INSERT into the ledger updates the position too');

-- Amounts
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', NULL)', :usd, :ann), 'PKA02',
                             'amount must not be NULL', 'NULL amount');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 0)', :usd, :ann), 'PKA02',
                             'amount 0 is not a positive amount below 10^18', 'zero amount');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', -5)', :usd, :ann), 'PKA02',
                             'amount -5 is not a positive amount below 10^18', 'negative amount');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', ''NaN'')', :usd, :ann), 'PKA02',
                             'amount NaN is not a positive amount below 10^18', 'NaN amount');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', ''Infinity'')', :usd, :ann), 'PKA02',
                             'amount Infinity is not a positive amount below 10^18', 'infinite amount');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''withdrawal'', ''-Infinity'')', :usd, :ann), 'PKA02',
                             'amount -Infinity is not a positive amount below 10^18', 'minus infinite amount');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1e18)', :usd, :ann), 'PKA02',
                             'amount 1000000000000000000 is not a positive amount below 10^18', 'amount of 10^18');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''distribution'', 1e30)', :usd, :ann), 'PKA02',
                             NULL, 'amount of 10^30');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 10.001)', :usd, :ann), 'PKA02',
                             'amount 10.001 has more than 2 decimal places', 'too many decimals for USD');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1000.5)', :jpy, :ann), 'PKA02',
                             'amount 1000.5 has more than 0 decimal places', 'decimals for JPY');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1.2345)', :kwd, :ann), 'PKA02',
                             'amount 1.2345 has more than 3 decimal places', 'too many decimals for KWD');
-- Kinds
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''bonus'', 1)', :usd, :ann), 'PKA04',
                             'transaction kind ''bonus'' is not contribution, withdrawal, distribution or fee', 'unknown kind');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, NULL, 1)', :usd, :ann), 'PKA04',
                             'transaction kind NULL is not contribution, withdrawal, distribution or fee', 'NULL kind');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''Contribution'', 1)', :usd, :ann), 'PKA04',
                             NULL, 'kinds are case-sensitive');
-- Pools and members
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1)', -1, :ann), 'PKN01',
                             'pool -1 does not exist', 'unknown pool');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(NULL, %s, ''contribution'', 1)', :ann), 'PKA01',
                             'pool_id and investor_id must not be NULL', 'NULL pool');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1)', :usd, -2), 'PKN02',
                             'investor -2 does not exist', 'unknown investor');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1)', :usd, :cy), 'PKS02',
                             format('investor %s is not a member of pool %s', :cy, :usd), 'investor who never joined');
-- Net position
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''withdrawal'', 0.01)', :usd, :ann), 'PKS04',
                             format('a withdrawal 0.01 would take net_invested of investor %s in pool %s below zero (it is 0.00)', :ann, :usd),
                             'a withdrawal above net_invested');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''fee'', 0.01)', :usd, :ann), 'PKS04',
                             format('a fee 0.01 would take net_invested of investor %s in pool %s below zero (it is 0.00)', :ann, :usd),
                             'a fee above net_invested');
SELECT * FROM pktest.refused(format('INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount) VALUES (%s, %s, ''withdrawal'', 1)', :usd, :ann),
                             'PKS04', NULL, 'a plain INSERT of a withdrawal above net_invested');
-- Other arguments
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1, NULL, ''infinity'')', :usd, :ann), 'PKA01',
                             'occurred_at infinity is not a finite time that has already happened', 'occurred_at infinity');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1, NULL, now() + interval ''1 day'')', :usd, :ann), 'PKA01',
                             NULL, 'occurred_at in the future');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1, NULL, NULL, ''[1, 2]'')', :usd, :ann), 'PKA01',
                             'metadata must be a JSON object of at most 64 kB', 'metadata that is not an object');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1, NULL, NULL, jsonb_build_object(''x'', repeat(md5(g::text), 4000))) FROM generate_series(1, 1) g', :usd, :ann),
                             'PKA01', 'metadata must be a JSON object of at most 64 kB', 'metadata above 64 kB');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1, '''')', :usd, :ann), 'PKA01',
                             'idempotency_key must be 1 to 255 characters long', 'empty idempotency key');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1, repeat(''k'', 256))', :usd, :ann), 'PKA01',
                             'idempotency_key must be 1 to 255 characters long', 'idempotency key too long');
CREATE TEMP TABLE big_metadata AS SELECT jsonb_build_object('x', repeat('a', 1000000)) AS m;
SELECT * FROM pktest.refused(format('INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, metadata) SELECT %s, %s, ''contribution'', 1, m FROM big_metadata', :usd, :ann),
                             'PKA01', 'metadata must be a JSON object of at most 64 kB', 'a compressed 1 MB metadata value from a table');
-- Functions pin their search_path: a look-alike round() or >= earlier on the
-- caller's path changes nothing.
CREATE SCHEMA evil;
CREATE FUNCTION evil.round(numeric, smallint) RETURNS numeric LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION evil.round(numeric, integer) RETURNS numeric LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION evil.ge(numeric, integer) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.>= (LEFTARG = numeric, RIGHTARG = integer, FUNCTION = evil.ge);
SET LOCAL search_path = evil, public;
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 0.001)', :usd, :ann), 'PKA02',
                             'amount 0.001 has more than 2 decimal places', 'a look-alike round() on the caller''s search_path');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''withdrawal'', 1)', :usd, :ann), 'PKS04',
                             NULL, 'a look-alike >= on the caller''s search_path');
RESET search_path;
SELECT is((SELECT count(*)::int FROM poolkeeper.verify()), 0, 'verify() finds nothing wrong');

SELECT * FROM finish();
ROLLBACK;
