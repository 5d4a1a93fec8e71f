-- Batch posting (post_transactions): every post of a batch through
-- post_transaction's rules, ids in the order given, all or none, keyed posts
-- replayed, refusals naming the post. The bad inputs of every field are in
-- bad_input.sql, who may post a batch in security.sql, and the lock order
-- against concurrent posts in batch_order.spec.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
SET TimeZone = 'UTC';
BEGIN;
SELECT no_plan();

SELECT poolkeeper.create_manager('M') AS mgr \gset
SELECT poolkeeper.create_pool(:mgr, 'USD pool', 'USD') AS usd \gset
SELECT poolkeeper.create_pool(:mgr, 'JPY pool', 'JPY') AS jpy \gset
SELECT poolkeeper.create_investor('Ann') AS ann \gset
SELECT poolkeeper.create_investor('Bob') AS bob \gset
SELECT count(poolkeeper.add_investor(p, i)) FROM unnest(ARRAY[:usd, :jpy]) p, unnest(ARRAY[:ann, :bob]) i \gset ignored_
SELECT poolkeeper.set_alert_rule(:usd, 1000) \gset ignored_

-- pktest.batch(posts): the batch as jsonb, each post given as
-- (pool, investor, kind, amount) and, when set, key, occurred_at, metadata.
CREATE FUNCTION pktest.post(p_pool bigint, p_investor bigint, p_kind text, p_amount text,
                            p_key text DEFAULT NULL, p_at text DEFAULT NULL, p_metadata jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object('pool_id', p_pool, 'investor_id', p_investor, 'kind', p_kind,
                                                'amount', p_amount, 'idempotency_key', p_key, 'occurred_at', p_at,
                                                'metadata', p_metadata));
$$;

-- 1. A mixed batch, given out of lock order: Bob before Ann, the JPY pool first.
SELECT poolkeeper.post_transactions(jsonb_build_array(
    pktest.post(:jpy, :bob, 'contribution', '70000'),
    pktest.post(:usd, :ann, 'contribution', '2500.50', 'wire-1', '2026-03-01T09:30:00Z', '{"ref": "A-1"}'),
    pktest.post(:usd, :bob, 'contribution', '300'),
    pktest.post(:usd, :ann, 'withdrawal', '500'),
    pktest.post(:usd, :ann, 'fee', '12.25'),
    pktest.post(:jpy, :ann, 'contribution', '1e4'),
    pktest.post(:usd, :bob, 'distribution', '40')))::text AS ids \gset
SELECT is(cardinality(:'ids'::bigint[]), 7, 'a batch of 7 returns 7 ids');
SELECT is((SELECT array_agg(t.kind || ' ' || t.amount ORDER BY i.n)
             FROM unnest(:'ids'::bigint[]) WITH ORDINALITY i(id, n) JOIN poolkeeper.transactions t ON t.id = i.id),
          ARRAY['contribution 70000', 'contribution 2500.50', 'contribution 300.00', 'withdrawal 500.00', 'fee 12.25',
                'contribution 10000', 'distribution 40.00'],
          'the ids come back in the order the posts were given, each rounded to its currency');
SELECT is((SELECT array_agg(t.investor_id ORDER BY t.id) FROM poolkeeper.transactions t WHERE t.id = ANY (:'ids'::bigint[])),
          ARRAY[:ann, :ann, :ann, :ann, :bob, :bob, :bob]::bigint[],
          'they were posted in lock order: investor by investor');
SELECT is((SELECT array_agg(t.pool_id ORDER BY t.id) FROM poolkeeper.transactions t WHERE t.id = ANY (:'ids'::bigint[])),
          ARRAY[:usd, :usd, :usd, :jpy, :usd, :usd, :jpy]::bigint[],
          'and pool by pool within an investor, in the order given within a position');
SELECT is((SELECT row(occurred_at, idempotency_key, metadata)::text FROM poolkeeper.transactions WHERE id = (:'ids'::bigint[])[2]),
          row('2026-03-01 09:30:00+00'::timestamptz, 'wire-1', '{"ref": "A-1"}'::jsonb)::text,
          'occurred_at, the key and metadata are kept');
SELECT is((SELECT row(contributed, withdrawn, fees, distributed, net_invested)::text FROM poolkeeper.positions
            WHERE pool_id = :usd AND investor_id = :ann),
          row(2500.50, 500.00, 12.25, 0.00, 1988.25)::text, 'the positions moved as the single posts would move them');
SELECT is((SELECT row(pool_count, contributed)::text FROM poolkeeper.investor_totals WHERE investor_id = :bob),
          row(2, 70300.00)::text, 'investor totals too');
SELECT is((SELECT count(*)::int FROM poolkeeper.alerts WHERE kind = 'large_transaction' AND transaction_id = (:'ids'::bigint[])[2]),
          1, 'a post above the pool''s threshold raises its alert');
SELECT is((SELECT count(*)::int FROM poolkeeper.verify()), 0, 'verify() finds nothing wrong');

-- 2. Amounts keep every digit, as JSON numbers or strings.
SELECT poolkeeper.post_transactions(jsonb_build_array(
    jsonb_build_object('pool_id', :usd, 'investor_id', :bob, 'kind', 'contribution', 'amount', 123456789012345.67),
    pktest.post(:usd, :bob, 'contribution', '98765432109876.54')))::text AS exact \gset
SELECT is((SELECT array_agg(amount::text ORDER BY id) FROM poolkeeper.transactions WHERE id = ANY (:'exact'::bigint[])),
          ARRAY['123456789012345.67', '98765432109876.54'], 'amounts are exact at 17 digits');

-- 3. All or none: the last post fails, so nothing is written, and the
-- refusal names the post by its place in the batch.
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transactions(%L)', jsonb_build_array(
    pktest.post(:usd, :ann, 'contribution', '1'), pktest.post(:usd, :bob, 'contribution', '2'),
    pktest.post(:usd, :ann, 'withdrawal', '1000000'))),
    'PKS04', 'post 3: a withdrawal 1000000.00 would take net_invested of investor ' || :ann || ' in pool ' || :usd
             || ' below zero (it is 1989.25)',  -- post 1 of the batch already in it
    'a refused post refuses the batch');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transactions(%L)', jsonb_build_array(
    pktest.post(:usd, :ann, 'contribution', '1'), pktest.post(:usd, :ann, 'contribution', '1.001'))),
    'PKA02', 'post 2: amount 1.001 has more than 2 decimal places', 'too many decimals for the currency');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transactions(%L)', jsonb_build_array(
    pktest.post(:usd, :ann, 'contribution', '1'), '{"pool_id": 1, "investor_id": 1, "kind": "fee", "amout": 5}'::jsonb)),
    'PKA01', 'post 2: unknown field "amout" (fields: pool_id, investor_id, kind, amount, idempotency_key, occurred_at, metadata)',
    'a misspelt field is refused, not dropped');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transactions(%L)', jsonb_build_array(
    pktest.post(:usd, :ann, 'contribution', '1'), pktest.post(:usd, 999999, 'contribution', '1'))),
    'PKN02', 'post 2: investor 999999 does not exist', 'an unknown investor');
SELECT * FROM pktest.refused('SELECT poolkeeper.post_transactions(''[]'')', 'PKA01', 'a batch holds 1 to 1000 posts, not 0',
                             'an empty batch');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transactions(%L)', jsonb_build_array(
    pktest.post(:usd, :ann, 'contribution', '1'), pktest.post(:usd, :ann, 'contribution', '1', NULL, 'yesterday'))),
    'PKA01', 'post 2: occurred_at yesterday is not an ISO 8601 time with its offset (2026-03-01T09:30:00Z)',
    'a time must be ISO 8601 with its offset, to mean the same in every session');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transactions(%L)', jsonb_build_array(
    pktest.post(:usd, :ann, 'contribution', '1'), pktest.post(:usd, :ann, 'contribution', '1', E'bad\tkey'))),
    'PKA01', NULL, 'a key with a control character');
SELECT is(poolkeeper.post_transactions(jsonb_build_array(
    jsonb_build_object('pool_id', 1.0 * :usd, 'investor_id', :ann, 'kind', 'fee', 'amount', 1,
                       'occurred_at', '2026-03-01 10:30:00.25+01:00'))) IS NOT NULL, true,
    'an id written 7.0 is the integer 7, and a time may have a space and an offset');
SELECT is((SELECT occurred_at FROM poolkeeper.transactions ORDER BY id DESC LIMIT 1), '2026-03-01 09:30:00.25+00'::timestamptz,
          'the offset is applied');

-- 4. Keys: a batch repeated replays every keyed post; a key reused for
-- another request refuses the batch.
SELECT poolkeeper.post_transactions(jsonb_build_array(
    pktest.post(:usd, :bob, 'contribution', '10', 'batch-b1'), pktest.post(:usd, :ann, 'contribution', '20', 'batch-a1')))::text
    AS keyed \gset
SELECT pktest.state() AS after_keyed \gset
SELECT is(poolkeeper.post_transactions(jsonb_build_array(
    pktest.post(:usd, :bob, 'contribution', '10', 'batch-b1'), pktest.post(:usd, :ann, 'contribution', '20.00', 'batch-a1')))::text,
    :'keyed', 'a repeated batch of keyed posts returns the original ids');
SELECT is(pktest.state(), :'after_keyed', 'and writes nothing');
SELECT is(poolkeeper.post_transactions(jsonb_build_array(pktest.post(:usd, :ann, 'contribution', '20', 'batch-a1'))),
          ARRAY[(:'keyed'::bigint[])[2]], 'a single post of the batch replays alone too');
SELECT * FROM pktest.refused(format('SELECT poolkeeper.post_transactions(%L)', jsonb_build_array(
    pktest.post(:usd, :ann, 'contribution', '5', 'batch-new'), pktest.post(:usd, :bob, 'contribution', '11', 'batch-b1'))),
    'PKS08', format('post 2: idempotency key ''batch-b1'' was used for ledger row %s, a different request', (:'keyed'::bigint[])[1]),
    'a key used for another request');
SELECT poolkeeper.post_transactions(jsonb_build_array(
    pktest.post(:usd, :ann, 'contribution', '7', 'twice'), pktest.post(:usd, :ann, 'contribution', '7', 'twice')))::text AS twice \gset
SELECT is((:'twice'::bigint[])[2], (:'twice'::bigint[])[1], 'the same keyed post twice in a batch gives one id');
SELECT is((SELECT count(*)::int FROM poolkeeper.transactions WHERE idempotency_key = 'twice'), 1, 'and one row');

-- 5. A batch at the cap, every post keyed: a lock per key, held to commit.
SELECT count(*) AS key_locks FROM pg_locks WHERE locktype = 'advisory' AND classid = 20555 AND pid = pg_backend_pid() \gset
SELECT is(cardinality(poolkeeper.post_transactions(
    (SELECT jsonb_agg(pktest.post(:usd, CASE WHEN g % 2 = 0 THEN :ann ELSE :bob END, 'contribution', '1', 'cap-' || g))
       FROM generate_series(1, 1000) g))), 1000, 'a batch of 1000 keyed posts');
SELECT is((SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND classid = 20555 AND pid = pg_backend_pid()),
          :key_locks + 1000, 'holds one advisory lock per key until commit');

SELECT is((SELECT count(*)::int FROM poolkeeper.verify()), 0, 'verify() finds nothing wrong at the end');

SELECT * FROM finish();
ROLLBACK;
