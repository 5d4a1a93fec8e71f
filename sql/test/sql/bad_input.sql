-- The bad-input battery: every function that any poolkeeper role may call is
-- called with a generated battery of invalid arguments, one argument at a
-- time, the others valid. Each call must fail with its documented SQLSTATE
-- (docs/errors.md): never succeed, never an internal error (class XX), and
-- poolkeeper's data must be the same afterwards.
--   pktest.call_shape  one line per public function: a valid call, and the
--                      class of each argument (what kind of value it takes);
--   pktest.bad_value   per class, the invalid values and the SQLSTATE each
--                      must get;
--   pktest.exception   where one function answers a bad value of a class
--                      with another documented SQLSTATE, and why.
-- A function granted to a poolkeeper role without a line in call_shape fails
-- the test: a new function must say how it refuses bad input.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;

-- A small world for the valid parts of each call. The file commits as it
-- goes: the feeds refuse to read in a transaction that has written, so each
-- call of the battery runs in a transaction of its own (pktest.run_battery).
SELECT poolkeeper.create_manager('Battery manager') AS mgr \gset
SELECT poolkeeper.create_pool(:mgr, 'Battery pool', 'USD') AS pool \gset
SELECT poolkeeper.create_pool(:mgr, 'Closed pool', 'USD') AS closed \gset
SELECT poolkeeper.create_investor('Member') AS inv \gset
SELECT poolkeeper.create_investor('Outsider') AS outsider \gset
SELECT poolkeeper.create_investor('Idle member') AS idle \gset
SELECT poolkeeper.create_pool(:mgr, 'Empty pool', 'USD') AS empty_pool \gset
SELECT poolkeeper.add_investor(:pool, :inv, 1000000), poolkeeper.add_investor(:pool, :idle),
       poolkeeper.close_pool(:closed) \gset ignored_
SELECT poolkeeper.set_alert_rule(:pool, 1000) \gset ignored_
SELECT poolkeeper.post_transaction(:pool, :inv, 'contribution', 5000) AS tx \gset
SELECT poolkeeper.post_transaction(:pool, :inv, 'fee', 1) AS fee_tx \gset
SELECT poolkeeper.reverse_transaction(:fee_tx, 'battery') AS reversal \gset
SELECT poolkeeper.call_capital(:pool, 1000, '2026-12-31') AS call \gset
SELECT poolkeeper.record_valuation(:pool, '2026-06-30', 6000) \gset ignored_
SELECT poolkeeper.feed_cursor() AS cursor \gset
SELECT cursor AS alert_cursor FROM poolkeeper.alerts_after(NULL, 1) \gset
SELECT cursor AS tx_cursor FROM poolkeeper.transactions_after(NULL, 1) \gset

-- pktest.outcome(sql): 'ok' when p_sql runs, else its SQLSTATE. A call that
-- succeeds keeps its effect, so that a wrong success also shows in the digest.
CREATE FUNCTION pktest.outcome(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE p_sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END;
$$;

CREATE TABLE pktest.call_shape (
    fn regprocedure PRIMARY KEY,
    args text[] NOT NULL,      -- a valid SQL expression per argument
    classes text[] NOT NULL,   -- the class of each argument (pktest.bad_value)
    CHECK (cardinality(args) = cardinality(classes))
);
CREATE TABLE pktest.bad_value (
    class text NOT NULL,
    label text NOT NULL,
    value text NOT NULL,       -- an SQL expression
    sqlstate text NOT NULL,
    PRIMARY KEY (class, label)
);
CREATE TABLE pktest.exception (
    fn regprocedure NOT NULL,
    class text NOT NULL,
    label text NOT NULL,
    sqlstate text NOT NULL,
    why text NOT NULL,
    PRIMARY KEY (fn, class, label)
);

-- Valid by design, and so not in the battery: a currency code in lower case
-- (codes are case-insensitive), NULL metadata (no metadata, stored as {}),
-- NULL for an optional argument (a key, a period's end, a pool filter).
-- Classes whose every value is valid (they have no bad values):
--   what   a label used only in the message of a checked_* helper
--   role   a role name asked about (caller_is): any name is a fair question
-- Ids: every kind of id gets the same bad values, each kind its own "not
-- found"; NULL is bad where the argument is required.
INSERT INTO pktest.bad_value (class, label, value, sqlstate)
SELECT kind.class, bad.label, bad.value,
       CASE bad.label WHEN 'NULL' THEN 'PKA01' WHEN '10^30' THEN '22003' ELSE kind.missing END
  FROM (VALUES ('id', 'PKA01', true), ('manager', 'PKN03', true),
               ('pool', 'PKN01', true), ('open_pool', 'PKN01', true),
               ('pool_or_all', 'PKN01', false), ('pool_or_default', 'PKN01', false),
               ('investor', 'PKN02', true), ('opt_investor', 'PKN02', false), ('member', 'PKN02', true),
               ('newcomer', 'PKN02', true), ('leaver', 'PKN02', true), ('obligor', 'PKN02', true),
               ('ledger_row', 'PKN04', true), ('opt_ledger_row', 'PKN04', false), ('call', 'PKN05', true))
       AS kind (class, missing, required)
 CROSS JOIN (VALUES ('NULL', 'NULL::bigint'), ('zero', '0'), ('negative', '-1'),
                    ('unknown', '9000000000000000000'), ('10^30', $$'1000000000000000000000000000000'$$)) AS bad (label, value)
 WHERE (kind.required OR bad.label <> 'NULL') AND (kind.class <> 'id' OR bad.label IN ('NULL', '10^30'));
-- Ids that exist but do not fit the call.
INSERT INTO pktest.bad_value (class, label, value, sqlstate) VALUES
    ('open_pool', 'a closed pool', :'closed', 'PKS01'),
    ('member', 'not a member', :'outsider', 'PKS02'),
    ('newcomer', 'already a member', :'inv', 'PKS03'),
    ('leaver', 'not a member', :'outsider', 'PKS02'),
    ('leaver', 'holds a position', :'inv', 'PKS05'),
    ('obligor', 'owes nothing in the call', :'outsider', 'PKN06'),
    ('ledger_row', 'a reversal', :'reversal', 'PKS07'),
    ('ledger_row', 'already reversed', :'fee_tx', 'PKS06');

-- Amounts: required ones, optional ones (NULL means a default) and a NAV.
INSERT INTO pktest.bad_value (class, label, value, sqlstate)
SELECT kind.class, bad.label, bad.value, 'PKA02'
  FROM (VALUES ('amount', true), ('opt_amount', false), ('nav', true)) AS kind (class, required)
 CROSS JOIN (VALUES ('NULL', 'NULL::numeric'), ('zero', '0'), ('negative', '-1'),
                    ('NaN', $$'NaN'::numeric$$), ('Infinity', $$'Infinity'::numeric$$), ('-Infinity', $$'-Infinity'::numeric$$),
                    ('10^30', '1e30'), ('10^18', '1e18'), ('three decimals in USD', '1.001')) AS bad (label, value)
 WHERE (kind.required OR bad.label <> 'NULL') AND NOT (kind.class = 'nav' AND bad.label = 'zero');

-- Free text: names and reasons, keys (NULL is bad), optional keys.
INSERT INTO pktest.bad_value (class, label, value, sqlstate)
SELECT kind.class, bad.label, bad.value, 'PKA01'
  FROM (VALUES ('name', true), ('key', true), ('opt_key', false)) AS kind (class, required)
 CROSS JOIN (VALUES ('NULL', 'NULL::text'), ('empty', $$''$$), ('blank', $$'   '$$),
                    ('1 MB', $$repeat('x', 1048576)$$), ('control character U+0001', $$E'a\x01b'$$),
                    ('newline', $$E'a\nb'$$), ('tab', $$E'a\tb'$$), ('DEL', $$E'a\x7fb'$$)) AS bad (label, value)
 WHERE kind.required OR bad.label <> 'NULL';

INSERT INTO pktest.bad_value (class, label, value, sqlstate) VALUES
    ('opt_login_role', 'unknown role', $$'pkbattery_nobody'$$, 'PKA05'),
    ('opt_login_role', 'empty', $$''$$, 'PKA05'),
    ('opt_login_role', 'a statement', $$'x; DROP TABLE poolkeeper.pools'$$, 'PKA05'),
    ('currency', 'NULL', 'NULL::text', 'PKA03'), ('currency', 'empty', $$''$$, 'PKA03'),
    ('currency', 'unknown', $$'ZZZ'$$, 'PKA03'), ('currency', 'not a code', $$'US Dollar'$$, 'PKA03'),
    ('currency', '1 MB', $$repeat('U', 1048576)$$, 'PKA03'),
    -- Words from a fixed list.
    ('tx_kind', 'NULL', 'NULL::text', 'PKA04'), ('tx_kind', 'unknown', $$'refund'$$, 'PKA04'),
    ('tx_kind', 'upper case', $$'CONTRIBUTION'$$, 'PKA04'), ('tx_kind', '1 MB', $$repeat('c', 1048576)$$, 'PKA04'),
    ('alert_kind', 'NULL', 'NULL::text', 'PKA01'), ('alert_kind', 'unknown', $$'bogus'$$, 'PKA01'),
    ('alert_kind', '1 MB', $$repeat('s', 1048576)$$, 'PKA01'),
    ('opt_alert_kind', 'unknown', $$'bogus'$$, 'PKA01'), ('opt_alert_kind', '1 MB', $$repeat('s', 1048576)$$, 'PKA01'),
    ('basis', 'NULL', 'NULL::text', 'PKA01'), ('basis', 'unknown', $$'equal'$$, 'PKA01'),
    ('bucket', 'NULL', 'NULL::text', 'PKA01'), ('bucket', 'unknown', $$'fortnight'$$, 'PKA01'),
    ('feed', 'NULL', 'NULL::text', 'PKA01'), ('feed', 'unknown', $$'positions'$$, 'PKA01'),
    -- JSON objects.
    ('metadata', 'an array', $$'[1]'::jsonb$$, 'PKA01'),
    ('metadata', 'a string', $$'"x"'::jsonb$$, 'PKA01'), ('metadata', 'JSON null', $$'null'::jsonb$$, 'PKA01'),
    ('metadata', 'malformed', $$'{"a": '::jsonb$$, '22P02'),
    ('metadata', '1 MB', $$jsonb_build_object('x', repeat('m', 1048576))$$, 'PKA01'),
    ('details', 'NULL', 'NULL::jsonb', 'PKA01'), ('details', 'an array', $$'[1]'::jsonb$$, 'PKA01'),
    ('details', 'malformed', $$'{"a": '::jsonb$$, '22P02'),
    ('details', '1 MB', $$jsonb_build_object('x', repeat('d', 1048576))$$, 'PKA01'),
    -- Dates and times.
    ('date', 'NULL', 'NULL::date', 'PKA01'), ('date', 'infinity', $$'infinity'::date$$, 'PKA01'),
    ('date', '-infinity', $$'-infinity'::date$$, 'PKA01'), ('date', 'malformed', $$'2026-02-30'::date$$, '22008'),
    ('opt_time', 'infinity', $$'infinity'::timestamptz$$, 'PKA01'),
    ('opt_time', '-infinity', $$'-infinity'::timestamptz$$, 'PKA01'),
    ('opt_time', 'malformed', $$'half past noonish'::timestamptz$$, '22007'),
    ('period_from', 'after the end', $$'2030-01-01'::timestamptz$$, 'PKA01'),
    ('period_from', 'malformed', $$'not a time'::timestamptz$$, '22007'),
    ('period_to', 'before the start', $$'2000-01-01'::timestamptz$$, 'PKA01'),
    ('period_to', 'malformed', $$'not a time'::timestamptz$$, '22007'),
    -- Numbers and windows.
    ('limit', 'NULL', 'NULL::integer', 'PKA01'), ('limit', 'zero', '0', 'PKA01'), ('limit', 'negative', '-1', 'PKA01'),
    ('limit', 'above 10000', '10001', 'PKA01'), ('limit', '10^30', $$'1000000000000000000000000000000'$$, '22003'),
    ('threshold', 'negative', '-1', 'PKA01'), ('threshold', 'NaN', $$'NaN'::numeric$$, 'PKA01'),
    ('threshold', 'Infinity', $$'Infinity'::numeric$$, 'PKA01'), ('threshold', '10^30', '1e30', 'PKA01'),
    ('window', 'NULL', 'NULL::interval', 'PKA01'), ('window', 'zero', $$'0'::interval$$, 'PKA01'),
    ('window', 'negative', $$'-1 minute'::interval$$, 'PKA01'), ('window', 'a fraction of a second', $$'1.5 s'::interval$$, 'PKA01'),
    ('window', 'a month', $$'1 month'::interval$$, 'PKA01'), ('window', '1000 years', $$'1000 years'::interval$$, 'PKA01'),
    ('factor', 'NULL', 'NULL::numeric', 'PKA01'), ('factor', 'one', '1', 'PKA01'), ('factor', 'negative', '-1', 'PKA01'),
    ('factor', 'NaN', $$'NaN'::numeric$$, 'PKA01'), ('factor', 'Infinity', $$'Infinity'::numeric$$, 'PKA01'),
    ('factor', '10^30', '1e30', 'PKA01'),
    ('count', 'NULL', 'NULL::integer', 'PKA01'), ('count', 'zero', '0', 'PKA01'), ('count', 'negative', '-1', 'PKA01'),
    ('count', 'above 10^6', '1000001', 'PKA01'), ('count', '10^30', $$'1000000000000000000000000000000'$$, '22003'),
    ('flag', 'NULL', 'NULL::boolean', 'PKA01'),
    ('minor_units', 'NULL', 'NULL::integer', 'PKA01'), ('minor_units', 'negative', '-1', 'PKA01'),
    ('minor_units', 'five', '5', 'PKA01'),
    ('units', '10^30', $$'1000000000000000000000000000000'$$, '22003'),
    -- Cursors: NULL starts the feed; the other feed's cursor is bad too.
    ('tx_cursor', 'other feed', quote_literal(:'alert_cursor'), 'PKA06'),
    ('alert_cursor', 'other feed', quote_literal(:'tx_cursor'), 'PKA06');
INSERT INTO pktest.bad_value (class, label, value, sqlstate)
SELECT kind.class, bad.label, bad.value, 'PKA06'
  FROM (VALUES ('tx_cursor'), ('alert_cursor')) AS kind (class)
 CROSS JOIN (VALUES ('empty', $$''$$), ('garbage', $$'not a cursor'$$), ('1 MB', $$repeat('9', 1048576)$$),
                    ('control character', $$E'\x01'$$), ('negative numbers', $$'-1:-1:-1'$$)) AS bad (label, value);

-- Batches of post_transactions: the batch itself, then one bad post in it.
INSERT INTO pktest.bad_value (class, label, value, sqlstate) VALUES
    ('batch', 'NULL', 'NULL::jsonb', 'PKA01'), ('batch', 'empty', $$'[]'::jsonb$$, 'PKA01'),
    ('batch', 'an object', $$'{}'::jsonb$$, 'PKA01'), ('batch', 'JSON null', $$'null'::jsonb$$, 'PKA01'),
    ('batch', 'malformed', $$'[{"pool_id": '::jsonb$$, '22P02'),
    ('batch', '1001 posts', $$(SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 1001))$$, 'PKA01'),
    ('batch', 'a post that is a number', $$'[1]'::jsonb$$, 'PKA01');
INSERT INTO pktest.bad_value (class, label, value, sqlstate)
SELECT 'batch', bad.label,
       format('%L::jsonb', jsonb_build_array(jsonb_build_object('pool_id', :pool, 'investor_id', :inv, 'kind', 'contribution',
                                                                'amount', '10') || bad.post)),
       bad.sqlstate
  FROM (VALUES ('a misspelt field', '{"ammount": 10}'::jsonb, 'PKA01'), ('a string pool_id', '{"pool_id": "1"}', 'PKA01'),
               ('a fractional investor_id', '{"investor_id": 1.5}', 'PKA01'),
               ('an investor_id of 10^30', '{"investor_id": 1e30}', 'PKA01'),
               ('an unknown pool', '{"pool_id": 999999999}', 'PKN01'), ('a JSON null kind', '{"kind": null}', 'PKA01'),
               ('an unknown kind', '{"kind": "refund"}', 'PKA04'), ('a NaN amount', '{"amount": "NaN"}', 'PKA02'),
               ('an amount in words', '{"amount": "ten"}', 'PKA02'), ('a zero amount', '{"amount": 0}', 'PKA02'),
               ('an amount of 10^30', '{"amount": 1e30}', 'PKA02'), ('three decimals in USD', '{"amount": "1.001"}', 'PKA02'),
               ('a JSON true amount', '{"amount": true}', 'PKA02'), ('a numeric key', '{"idempotency_key": 7}', 'PKA01'),
               ('a blank key', '{"idempotency_key": " "}', 'PKA01'),
               ('a malformed time', '{"occurred_at": "half past noonish"}', 'PKA01'),
               ('a time without its offset', '{"occurred_at": "2026-03-01T09:30:00"}', 'PKA01'),
               ('the word now as a time', '{"occurred_at": "now"}', 'PKA01'),
               ('a time zone by name', '{"occurred_at": "2026-03-01 09:30 Europe/Pariss"}', 'PKA01'),
               ('February 30', '{"occurred_at": "2026-02-30T09:30:00Z"}', 'PKA01'),
               ('an amount of 200 digits', jsonb_build_object('amount', repeat('1', 200)), 'PKA02'),
               ('a key with a control character', jsonb_build_object('idempotency_key', E'a\x01'), 'PKA01'),
               ('a time in the future', '{"occurred_at": "2999-01-01T00:00:00Z"}', 'PKA01'),
               ('metadata that is an array', '{"metadata": [1]}', 'PKA01'))
       AS bad (label, post, sqlstate);
INSERT INTO pktest.bad_value (class, label, value, sqlstate) VALUES
    ('batch', '1 MB of metadata',
     format($$jsonb_build_array(jsonb_build_object('pool_id', %s, 'investor_id', %s, 'kind', 'contribution', 'amount', 10,
                                                   'metadata', jsonb_build_object('x', repeat('m', 1048576))))$$, :pool, :inv),
     'PKA01');

-- Arrays of allocate() and xirr().
INSERT INTO pktest.bad_value (class, label, value, sqlstate) VALUES
    ('keys', 'NULL', 'NULL::bigint[]', 'PKA01'), ('keys', 'shorter than the weights', $$'{1}'::bigint[]$$, 'PKA01'),
    ('keys', 'a NULL key', $$'{1,NULL}'::bigint[]$$, 'PKA01'), ('keys', 'a repeated key', $$'{1,1}'::bigint[]$$, 'PKA01'),
    ('weights', 'NULL', 'NULL::numeric[]', 'PKA01'), ('weights', 'a NULL weight', $$'{1,NULL}'::numeric[]$$, 'PKA01'),
    ('weights', 'a negative weight', $$'{1,-1}'::numeric[]$$, 'PKA01'), ('weights', 'a NaN weight', $$'{1,NaN}'::numeric[]$$, 'PKA01'),
    ('weights', 'an infinite weight', $$'{1,Infinity}'::numeric[]$$, 'PKA01'),
    ('weights', 'all zero', $$'{0,0}'::numeric[]$$, 'PKS12'),
    ('flows', 'NULL', 'NULL::numeric[]', 'PKA01'), ('flows', 'a NULL amount', $$'{-100,NULL}'::numeric[]$$, 'PKA01'),
    ('flows', 'a NaN amount', $$'{-100,NaN}'::numeric[]$$, 'PKA01'),
    ('flows', 'an infinite amount', $$'{-100,Infinity}'::numeric[]$$, 'PKA01'),
    ('flows', 'shorter than the dates', $$'{-100}'::numeric[]$$, 'PKA01'),
    ('flow_dates', 'NULL', 'NULL::date[]', 'PKA01'), ('flow_dates', 'a NULL date', $$'{2026-01-01,NULL}'::date[]$$, 'PKA01'),
    ('flow_dates', 'an infinite date', $$'{2026-01-01,infinity}'::date[]$$, 'PKA01'),
    ('years', 'NULL', 'NULL::numeric[]', 'PKA01'), ('years', 'a NULL year', $$'{0,NULL}'::numeric[]$$, 'PKA01'),
    ('years', 'a NaN year', $$'{0,NaN}'::numeric[]$$, 'PKA01'),
    ('rate', 'NULL', 'NULL::numeric', 'PKA01'), ('rate', 'NaN', $$'NaN'::numeric$$, 'PKA01'), ('rate', '-100%', '-1', 'PKA01'),
    ('rate', 'Infinity', $$'Infinity'::numeric$$, 'PKA01');

INSERT INTO pktest.call_shape (fn, args, classes)
SELECT fn::regprocedure, args, classes FROM (VALUES
    ('poolkeeper.caller()', '{}'::text[], '{}'::text[]),
    ('poolkeeper.caller_manager_id()', '{}', '{}'),
    ('poolkeeper.caller_investor_id()', '{}', '{}'),
    ('poolkeeper.caller_managed_pools()', '{}', '{}'),
    ('poolkeeper.caller_member_pools()', '{}', '{}'),
    ('poolkeeper.feed_cursor()', '{}', '{}'),
    ('poolkeeper.verify()', '{}', '{}'),
    ('poolkeeper.rebase_feed()', '{}', '{}'),
    ('poolkeeper.caller_is(name)', ARRAY[$$'poolkeeper_admin'$$], '{role}'),
    ('poolkeeper.check_feed_reader(text)', ARRAY[$$'transactions_after'$$], '{what}'),
    ('poolkeeper.checked_id(bigint,text)', ARRAY['1', $$'an id'$$], '{id,what}'),
    ('poolkeeper.checked_name(text,text)', ARRAY[$$'a name'$$, $$'a name'$$], '{name,what}'),
    ('poolkeeper.checked_amount(numeric,smallint,text)', ARRAY['1', '2::smallint', $$'an amount'$$],
        '{amount,units,what}'),
    ('poolkeeper.checked_window(interval,text)', ARRAY[$$'1 minute'::interval$$, $$'a window'$$], '{window,what}'),
    ('poolkeeper.checked_limit(integer)', ARRAY['10'], '{limit}'),
    ('poolkeeper.checked_period(timestamptz,timestamptz)', ARRAY[$$'2020-01-01'::timestamptz$$, $$'2021-01-01'::timestamptz$$],
        '{period_from,period_to}'),
    ('poolkeeper.create_manager(text,name)', ARRAY[$$'New manager'$$, 'NULL::name'], '{name,opt_login_role}'),
    ('poolkeeper.create_investor(text,name)', ARRAY[$$'New investor'$$, 'NULL::name'], '{name,opt_login_role}'),
    ('poolkeeper.create_pool(bigint,text,text)', ARRAY[:'mgr', $$'New pool'$$, $$'USD'$$], '{manager,name,currency}'),
    ('poolkeeper.add_investor(bigint,bigint,numeric)', ARRAY[:'pool', :'outsider', 'NULL::numeric'],
        '{open_pool,newcomer,opt_amount}'),
    ('poolkeeper.remove_investor(bigint,bigint)', ARRAY[:'pool', :'idle'], '{open_pool,leaver}'),
    ('poolkeeper.close_pool(bigint)', ARRAY[:'empty_pool'], '{open_pool}'),
    ('poolkeeper.post_transaction(bigint,bigint,text,numeric,text,timestamptz,jsonb)',
        ARRAY[:'pool', :'inv', $$'contribution'$$, '10', 'NULL::text', 'NULL::timestamptz', $$'{}'::jsonb$$],
        '{open_pool,member,tx_kind,amount,opt_key,opt_time,metadata}'),
    ('poolkeeper.post_transactions(jsonb)',
        ARRAY[format($$'[{"pool_id": %s, "investor_id": %s, "kind": "contribution", "amount": "10"}]'::jsonb$$, :'pool', :'inv')],
        '{batch}'),
    ('poolkeeper.reverse_transaction(bigint,text)', ARRAY[:'tx', $$'battery'$$], '{ledger_row,name}'),
    ('poolkeeper.set_alert_rule(bigint,numeric,interval,interval,numeric,integer,boolean)',
        ARRAY[:'pool', '100', $$'1 minute'::interval$$, $$'1 hour'::interval$$, '10', '5', 'true'],
        '{pool_or_default,threshold,window,window,factor,count,flag}'),
    ('poolkeeper.drop_alert_rule(bigint)', ARRAY[:'pool'], '{pool_or_default}'),
    ('poolkeeper.raise_alert(text,bigint,jsonb,text,bigint)',
        ARRAY[$$'spike'$$, :'pool', $$'{}'::jsonb$$, $$'battery key'$$, 'NULL::bigint'],
        '{alert_kind,pool,details,key,opt_ledger_row}'),
    ('poolkeeper.feed_windows(text,text)', ARRAY[quote_literal(:'tx_cursor'), $$'transactions'$$], '{tx_cursor,feed}'),
    ('poolkeeper.transactions_after(text,integer)', ARRAY[quote_literal(:'tx_cursor'), '10'], '{tx_cursor,limit}'),
    ('poolkeeper.alerts_after(text,integer)', ARRAY[quote_literal(:'alert_cursor'), '10'], '{alert_cursor,limit}'),
    ('poolkeeper.top_investors(integer,timestamptz,timestamptz)',
        ARRAY['5', $$'2020-01-01'::timestamptz$$, $$'2021-01-01'::timestamptz$$], '{limit,period_from,period_to}'),
    ('poolkeeper.investor_statement(bigint,timestamptz,timestamptz)',
        ARRAY[:'inv', $$'2020-01-01'::timestamptz$$, $$'2021-01-01'::timestamptz$$], '{investor,period_from,period_to}'),
    ('poolkeeper.pool_activity(bigint,text,timestamptz,timestamptz)',
        ARRAY[:'pool', $$'day'$$, $$'2020-01-01'::timestamptz$$, $$'2021-01-01'::timestamptz$$],
        '{pool_or_all,bucket,period_from,period_to}'),
    ('poolkeeper.alert_history(bigint,text,timestamptz,timestamptz,integer)',
        ARRAY[:'pool', 'NULL::text', $$'2020-01-01'::timestamptz$$, $$'2021-01-01'::timestamptz$$, '100'],
        '{pool_or_all,opt_alert_kind,period_from,period_to,limit}'),
    ('poolkeeper.allocate(numeric,integer,bigint[],numeric[])',
        ARRAY['100', '2', $$'{1,2}'::bigint[]$$, $$'{1,1}'::numeric[]$$], '{amount,minor_units,keys,weights}'),
    ('poolkeeper.call_capital(bigint,numeric,date,text)', ARRAY[:'pool', '100', $$'2027-01-31'::date$$, 'NULL::text'],
        '{open_pool,amount,date,opt_key}'),
    ('poolkeeper.obligation_paid(bigint,bigint)', ARRAY[:'call', :'inv'], '{call,obligor}'),
    ('poolkeeper.checked_investor_exists(bigint)', ARRAY[:'inv'], '{investor}'),
    ('poolkeeper.pay_capital_call(bigint,bigint,numeric,text,timestamptz)',
        ARRAY[:'call', :'inv', 'NULL::numeric', 'NULL::text', 'NULL::timestamptz'], '{call,obligor,opt_amount,opt_key,opt_time}'),
    ('poolkeeper.distribute(bigint,numeric,text,text)', ARRAY[:'pool', '100', $$'net_invested'$$, 'NULL::text'],
        '{open_pool,amount,basis,opt_key}'),
    ('poolkeeper.record_valuation(bigint,date,numeric)', ARRAY[:'pool', $$'2026-07-31'::date$$, '7000'], '{pool,date,nav}'),
    ('poolkeeper.checked_metrics_request(bigint,bigint,date)', ARRAY[:'pool', 'NULL::bigint', $$'2026-12-31'::date$$],
        '{pool,opt_investor,date}'),
    ('poolkeeper.ledger_as_of(bigint,bigint,date)', ARRAY[:'pool', 'NULL::bigint', $$'2026-12-31'::date$$],
        '{pool,opt_investor,date}'),
    ('poolkeeper.nav_shares(bigint,date)', ARRAY[:'pool', $$'2026-12-31'::date$$], '{pool,date}'),
    ('poolkeeper.fund_metrics(bigint,bigint,date)', ARRAY[:'pool', 'NULL::bigint', $$'2026-12-31'::date$$],
        '{pool,opt_investor,date}'),
    ('poolkeeper.pool_metrics(bigint,date)', ARRAY[:'pool', $$'2026-12-31'::date$$], '{pool,date}'),
    ('poolkeeper.investor_metrics(bigint,date)', ARRAY[:'inv', $$'2026-12-31'::date$$], '{investor,date}'),
    ('poolkeeper.xirr(numeric[],date[])', ARRAY[$$'{-100,110}'::numeric[]$$, $$'{2025-01-01,2026-01-01}'::date[]$$],
        '{flows,flow_dates}'),
    ('poolkeeper.xirr_npv(numeric[],numeric[],numeric)', ARRAY[$$'{-100,110}'::numeric[]$$, $$'{0,1}'::numeric[]$$, '0.1'],
        '{flows,years,rate}')
) AS shape (fn, args, classes);

-- The calls: each line's valid call, and each bad value of each argument's
-- class in turn, the other arguments valid.
ALTER TABLE pktest.call_shape ADD COLUMN valid_call text, ADD COLUMN valid_outcome text;
UPDATE pktest.call_shape s SET valid_call = format('SELECT * FROM %s(%s)', s.fn::oid::regproc, array_to_string(s.args, ', '));
CREATE TABLE pktest.battery AS
SELECT row_number() OVER (ORDER BY s.fn::text, a.position, b.label) AS id,
       s.fn, a.position, a.class, b.label, coalesce(e.sqlstate, b.sqlstate) AS expected,
       format('SELECT * FROM %s(%s)', s.fn::oid::regproc,
              array_to_string(s.args[1:a.position - 1] || b.value || s.args[a.position + 1:], ', ')) AS call,
       NULL::text AS outcome
  FROM pktest.call_shape s
 CROSS JOIN LATERAL unnest(s.classes) WITH ORDINALITY AS a (class, position)
  JOIN pktest.bad_value b ON b.class = a.class
  LEFT JOIN pktest.exception e ON (e.fn, e.class, e.label) = (s.fn, b.class, b.label);

-- pktest.run_battery(): runs every valid call, then undoes it; then every
-- bad call, each in a fresh transaction, keeping whatever it did (a wrong
-- success shows in the digest).
CREATE PROCEDURE pktest.run_battery() LANGUAGE plpgsql AS $$
DECLARE
    v_fn regprocedure;
    v_id bigint;
    v_outcome text;
BEGIN
    FOREACH v_fn IN ARRAY (SELECT array_agg(fn ORDER BY fn::text) FROM pktest.call_shape) LOOP
        v_outcome := pktest.outcome((SELECT valid_call FROM pktest.call_shape WHERE fn = v_fn));
        ROLLBACK;
        UPDATE pktest.call_shape SET valid_outcome = v_outcome WHERE fn = v_fn;
        COMMIT;
    END LOOP;
    FOREACH v_id IN ARRAY (SELECT array_agg(id ORDER BY id) FROM pktest.battery) LOOP
        v_outcome := pktest.outcome((SELECT call FROM pktest.battery WHERE id = v_id));
        UPDATE pktest.battery SET outcome = v_outcome WHERE id = v_id;
        COMMIT;
    END LOOP;
END;
$$;

SELECT pktest.state() AS digest_before \gset
CALL pktest.run_battery();

BEGIN;
SELECT no_plan();
-- Every function a poolkeeper role may call has a line, and every line is
-- such a function; every class has bad values, or is free.
SELECT is(array(SELECT p.oid::regprocedure::text FROM pg_proc p
                 WHERE p.pronamespace = 'poolkeeper'::regnamespace
                   AND EXISTS (SELECT FROM pg_roles r WHERE r.rolname LIKE 'poolkeeper\_%'
                                  AND has_function_privilege(r.oid, p.oid, 'EXECUTE'))
                EXCEPT SELECT fn::text FROM pktest.call_shape ORDER BY 1),
          '{}', 'every function a poolkeeper role may call has a line in the battery');
SELECT is(array(SELECT fn::text FROM pktest.call_shape s
                 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname LIKE 'poolkeeper\_%'
                                      AND has_function_privilege(r.oid, s.fn, 'EXECUTE')) ORDER BY 1),
          '{}', 'and every line is such a function');
SELECT is(array(SELECT DISTINCT c FROM pktest.call_shape, unnest(classes) c
                 WHERE c NOT IN ('what', 'role') AND c NOT IN (SELECT class FROM pktest.bad_value) ORDER BY 1),
          '{}', 'every class of argument has bad values, or takes any value');
SELECT is(array(SELECT class FROM pktest.bad_value EXCEPT SELECT unnest(classes) FROM pktest.call_shape ORDER BY 1),
          '{}', 'every class of bad values is used');
SELECT is(array(SELECT format('%s: %s', fn, valid_outcome) FROM pktest.call_shape
                 WHERE valid_outcome IS DISTINCT FROM 'ok' ORDER BY fn::text),
          '{}', 'every line''s call succeeds with its valid arguments, so each refusal below is the bad value''s doing');

SELECT is(outcome, expected, format('%s, argument %s (%s) %s', fn, position, class, label))
  FROM pktest.battery ORDER BY id;
SELECT is(pktest.state(), :'digest_before', 'poolkeeper''s data is the same after the battery');
SELECT is(array(SELECT DISTINCT outcome FROM pktest.battery WHERE outcome LIKE 'XX%' ORDER BY 1), '{}',
          'no bad input reaches an internal error (class XX)');
SELECT is(array(SELECT DISTINCT expected FROM pktest.battery
                 WHERE expected NOT IN (SELECT sqlstate FROM poolkeeper.error_codes)
                   AND expected NOT IN ('22003', '22007', '22008', '22P02') ORDER BY 1), '{}',
          'every SQLSTATE the battery expects is in poolkeeper.error_codes or is a documented type error');
SELECT cmp_ok((SELECT count(*) FROM pktest.battery), '>=', 500::bigint, 'the battery makes at least 500 calls');

SELECT * FROM finish();
ROLLBACK;
