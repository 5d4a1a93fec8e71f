-- Managers, investors and pools: creation and every refusal, with its
-- SQLSTATE, leaving nothing behind.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
BEGIN;
SELECT no_plan();

SELECT poolkeeper.create_manager('  Ada Capital  ') AS mgr \gset
SELECT is((SELECT name FROM poolkeeper.managers WHERE id = :mgr), 'Ada Capital', 'create_manager stores the trimmed name');
SELECT poolkeeper.create_investor('Grace', 'pg_monitor') AS grace \gset
SELECT is((SELECT login_role FROM poolkeeper.investors WHERE id = :grace), 'pg_monitor'::name, 'create_investor maps a login role');
SELECT poolkeeper.create_pool(:mgr, 'Seed I', ' usd ') AS pool \gset
SELECT results_eq(format('SELECT manager_id, name, currency, status, closed_at IS NULL FROM poolkeeper.pools WHERE id = %s', :pool),
                  format($$VALUES (%s::bigint, 'Seed I', 'USD', 'open', true)$$, :mgr),
                  'create_pool makes an open pool and normalizes the currency code');
SELECT lives_ok(format('SELECT poolkeeper.create_pool(%s, %L, %L)', :mgr, 'Yen Fund', 'JPY'), 'a JPY pool can be created');

SELECT * FROM pktest.refused('SELECT poolkeeper.create_manager(NULL)', 'PKA01', 'manager name must not be empty', 'manager name NULL');
SELECT * FROM pktest.refused('SELECT poolkeeper.create_manager(''   '')', 'PKA01', 'manager name must not be empty', 'manager name blank');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.create_manager(%L)', repeat('x', 201)), 'PKA01',
                             'manager name is 201 characters long; at most 200 are allowed', 'manager name too long');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.create_investor(%L)', E'Eve\nEvil'), 'PKA01',
                             E'investor name ''Eve\nEvil'' contains control characters', 'control characters in a name');
SELECT * FROM pktest.refused('SELECT poolkeeper.create_investor(''Mallory'', ''no_such_role'')', 'PKA05',
                             'role no_such_role does not exist', 'unknown login role');
SELECT * FROM pktest.refused('SELECT poolkeeper.create_investor(''Grace again'', ''pg_monitor'')', 'PKS10',
                             'role pg_monitor is already mapped to another investor', 'login role mapped twice');
SELECT lives_ok('SELECT poolkeeper.create_manager(''Grace the manager'', ''pg_monitor'')',
                'one role may be a manager and an investor');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.create_pool(%s, %L, %L)', -1, 'P', 'USD'), 'PKN03',
                             'manager -1 does not exist', 'pool of an unknown manager');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.create_pool(%s, %L, %L)', :mgr, 'P', 'XYZ'), 'PKA03',
                             'currency ''XYZ'' is not a known ISO 4217 code', 'unknown currency');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.create_pool(%s, %L, NULL)', :mgr, 'P'), 'PKA03',
                             'currency NULL is not a known ISO 4217 code', 'NULL currency');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.create_pool(%s, %L, %L)', :mgr, '', 'USD'), 'PKA01',
                             'pool name must not be empty', 'empty pool name');

SELECT * FROM finish();
ROLLBACK;
