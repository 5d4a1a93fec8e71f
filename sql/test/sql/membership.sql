-- Adding and removing investors, closing pools: rules and refusals.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
SELECT no_plan();

SELECT poolkeeper.create_manager('M') AS mgr \gset
SELECT poolkeeper.create_pool(:mgr, 'USD pool', 'USD') AS pool \gset
SELECT poolkeeper.create_investor('Ann') AS ann \gset
SELECT poolkeeper.create_investor('Bob') AS bob \gset

SELECT lives_ok(format('SELECT poolkeeper.add_investor(%s, %s, 250000)', :pool, :ann), 'add_investor with a commitment');
SELECT results_eq(format('SELECT commitment::text, left_at IS NULL FROM poolkeeper.memberships WHERE pool_id = %s AND investor_id = %s', :pool, :ann),
                  $$VALUES ('250000.00', true)$$, 'the commitment is kept in the pool currency''s scale');
SELECT results_eq(format('SELECT contributed::text, withdrawn::text, distributed::text, fees::text, net_invested::text FROM poolkeeper.positions WHERE pool_id = %s AND investor_id = %s', :pool, :ann),
                  $$VALUES ('0.00', '0.00', '0.00', '0.00', '0.00')$$, 'add_investor opens a zero position');
SELECT lives_ok(format('SELECT poolkeeper.add_investor(%s, %s)', :pool, :bob), 'add_investor without a commitment');

SELECT * FROM pktest.refused(format('SELECT poolkeeper.add_investor(%s, %s)', :pool, :ann), 'PKS03',
                             format('investor %s is already a member of pool %s', :ann, :pool), 'adding a current member again');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.add_investor(%s, %s)', -7, :ann), 'PKN01',
                             'pool -7 does not exist', 'adding to an unknown pool');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.add_investor(%s, %s)', :pool, -8), 'PKN02',
                             'investor -8 does not exist', 'adding an unknown investor');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.add_investor(%s, NULL)', :pool), 'PKA01',
                             'investor_id must not be NULL', 'adding a NULL investor');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.add_investor(%s, %s, 0)', :pool, :bob), 'PKA02', NULL,
                             'a bad commitment is refused before membership is looked at');
SELECT poolkeeper.create_investor('Cy') AS cy \gset
SELECT * FROM pktest.refused(format('SELECT poolkeeper.add_investor(%s, %s, -5)', :pool, :cy), 'PKA02',
                             'commitment -5 is not a positive amount below 10^18', 'negative commitment');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.add_investor(%s, %s, 10.005)', :pool, :cy), 'PKA02',
                             'commitment 10.005 has more than 2 decimal places', 'commitment with too many decimals');

-- remove_investor refuses a non-zero position, then succeeds at zero.
SELECT poolkeeper.post_transaction(:pool, :bob, 'contribution', 10) AS c \gset
SELECT * FROM pktest.refused(format('SELECT poolkeeper.remove_investor(%s, %s)', :pool, :bob), 'PKS05',
                             format('investor %s still has net_invested 10.00 in pool %s', :bob, :pool), 'removing an investor with money in');
SELECT poolkeeper.post_transaction(:pool, :bob, 'withdrawal', 10) \gset ignored_
SELECT poolkeeper.post_transaction(:pool, :bob, 'distribution', 3) \gset ignored_
SELECT lives_ok(format('SELECT poolkeeper.remove_investor(%s, %s)', :pool, :bob), 'removing at net_invested zero (distributions do not count)');
SELECT is((SELECT count(*)::int FROM poolkeeper.memberships WHERE pool_id = :pool AND investor_id = :bob AND left_at IS NOT NULL), 1,
          'the ended membership stays as history');
SELECT is((SELECT count(*)::int FROM poolkeeper.transactions WHERE pool_id = :pool AND investor_id = :bob), 3, 'the ledger stays');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.remove_investor(%s, %s)', :pool, :bob), 'PKS02',
                             format('investor %s is not a member of pool %s', :bob, :pool), 'removing a non-member');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1)', :pool, :bob), 'PKS02',
                             format('investor %s is not a member of pool %s', :bob, :pool), 'posting for a former member');
SELECT lives_ok(format('SELECT poolkeeper.add_investor(%s, %s)', :pool, :bob), 'a former member can rejoin');
SELECT results_eq(format('SELECT contributed::text, withdrawn::text, net_invested::text FROM poolkeeper.positions WHERE pool_id = %s AND investor_id = %s', :pool, :bob),
                  $$VALUES ('10.00', '10.00', '0.00')$$, 'rejoining keeps the position history');
SELECT is((SELECT distributed::text FROM poolkeeper.positions WHERE pool_id = :pool AND investor_id = :bob), '3.00',
          'and distributions received before');

-- close_pool
SELECT lives_ok(format('SELECT poolkeeper.close_pool(%s)', :pool), 'close_pool');
SELECT results_eq(format('SELECT status, closed_at IS NOT NULL FROM poolkeeper.pools WHERE id = %s', :pool),
                  $$VALUES ('closed', true)$$, 'the pool is closed, with a time');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.close_pool(%s)', :pool), 'PKS01',
                             format('pool %s is closed', :pool), 'closing twice');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.add_investor(%s, %s)', :pool, :cy), 'PKS01',
                             format('pool %s is closed', :pool), 'adding to a closed pool');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.remove_investor(%s, %s)', :pool, :bob), 'PKS01',
                             format('pool %s is closed', :pool), 'removing from a closed pool');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transaction(%s, %s, ''contribution'', 1)', :pool, :ann), 'PKS01',
                             format('pool %s is closed', :pool), 'posting to a closed pool');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.reverse_transaction(%s, ''late'')', :c), 'PKS01',
                             format('pool %s is closed', :pool), 'reversing in a closed pool');
SELECT * FROM pktest.refused('SELECT poolkeeper.close_pool(-1)', 'PKN01', 'pool -1 does not exist', 'closing an unknown pool');

SELECT * FROM finish();
ROLLBACK;
