-- Fund operations: allocate() over thousands of random splits, distribute
-- and call_capital over hundreds of random pools (parts sum to the total,
-- each within one minor unit of its exact share, repeats under a key change
-- nothing), the 1000.00 / 3 tie-break, capital call payments and their
-- reversal, valuations and NAV shares, XIRR against known values and an
-- independent solver, pool and investor metrics with known answers, the
-- distribution's single alert and operation id, and every refusal.
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
SELECT setseed(0.7) AS done \gset

-- 1. allocate(): 5,000 random splits of 1 to 60 weights (some zero, some
-- with decimals) in currencies of 0 to 4 minor units.
CREATE TEMP TABLE cases AS
    SELECT c AS case_id, (random() * 4)::int AS minor,
           round((random() * 10 ^ (1 + random() * 8))::numeric + 1, 0) AS units,
           1 + (random() * 59)::int AS n
      FROM generate_series(1, 5000) c;
CREATE TEMP TABLE case_weights AS
    SELECT c.case_id, k AS key,
           CASE WHEN random() < 0.1 THEN 0
                WHEN random() < 0.5 THEN round((random() * 1000000)::numeric, (random() * 3)::int)
                ELSE (1 + (random() * 9)::int)::numeric END AS weight
      FROM cases c CROSS JOIN LATERAL generate_series(1, c.n) k;
-- every case has some weight
INSERT INTO case_weights SELECT case_id, 0, 1 FROM cases c
 WHERE NOT EXISTS (SELECT 1 FROM case_weights w WHERE w.case_id = c.case_id AND w.weight > 0);
CREATE TEMP TABLE case_arrays AS
    SELECT case_id, array_agg(key ORDER BY key DESC) AS keys, array_agg(weight ORDER BY key DESC) AS weights,
           sum(weight) AS weight_sum
      FROM case_weights GROUP BY case_id;
CREATE TEMP TABLE case_parts AS
    SELECT c.case_id, c.minor, round(c.units / 10 ^ c.minor::numeric, c.minor) AS total, x.weight_sum, a.key, a.part
      FROM cases c JOIN case_arrays x USING (case_id)
     CROSS JOIN LATERAL poolkeeper.allocate(round(c.units / 10 ^ c.minor::numeric, c.minor), c.minor, x.keys, x.weights) a;
ANALYZE case_weights;
ANALYZE case_parts;
SELECT is((SELECT count(*) FROM case_parts), (SELECT count(*) FROM case_weights), 'allocate: one part per key, in 5,000 random splits');
SELECT is_empty($$SELECT case_id FROM case_parts GROUP BY case_id, total HAVING sum(part) <> total$$,
                'allocate: the parts always sum exactly to the total');
SELECT is_empty($$SELECT p.case_id, p.key FROM case_parts p JOIN case_weights w USING (case_id, key)
                   WHERE abs(p.part - p.total * w.weight / p.weight_sum)
                         >= 1 / 10 ^ p.minor::numeric$$,
                'allocate: each part is within one minor unit of its exact pro-rata share');
SELECT is_empty($$SELECT * FROM case_parts WHERE part < 0 OR part <> round(part, minor)$$,
                'allocate: no part is negative or has a fraction of a minor unit');
SELECT is_empty($$SELECT * FROM case_parts p JOIN case_weights w USING (case_id, key) WHERE w.weight = 0 AND p.part <> 0$$,
                'allocate: a key of weight 0 gets nothing');
-- Largest remainder: a key whose exact share has a larger fraction never
-- gets less rounding-up than one with a smaller fraction.
SELECT is_empty($$WITH x AS (SELECT p.case_id, p.key, w.weight, p.part,
                                    p.total * w.weight / p.weight_sum AS exact,
                                    10 ^ p.minor::numeric AS scale
                               FROM case_parts p JOIN case_weights w USING (case_id, key))
                   SELECT a.case_id, a.key, b.key FROM x a JOIN x b ON a.case_id = b.case_id
                    WHERE a.exact * a.scale - floor(a.exact * a.scale) > b.exact * b.scale - floor(b.exact * b.scale)
                      AND a.part = floor(a.exact * a.scale) / a.scale AND b.part > floor(b.exact * b.scale) / b.scale$$,
                'allocate: leftover units go to the largest remainders');
SELECT results_eq($$SELECT key, part FROM poolkeeper.allocate(1000.00, 2, '{3,1,2}', '{1,1,1}') ORDER BY key$$,
                  $$VALUES (1::bigint, 333.34), (2, 333.33), (3, 333.33)$$,
                  'allocate: ties go to the smaller key');
SELECT results_eq($$SELECT key, part FROM poolkeeper.allocate(0.02, 2, '{1,2}', '{1,3}') ORDER BY key$$,
                  $$VALUES (1::bigint, 0.00), (2, 0.02)$$,
                  'allocate: of equal remainders (0.5 and 1.5 units), the larger weight gets the unit');

-- 2. 300 random pools, USD, JPY or KWD, with 1 to 40 members each, some
-- without a commitment, each with random contributions; every pool gets a
-- capital call and distributions on both bases, under idempotency keys.
SELECT poolkeeper.create_manager('Funds') AS manager \gset
CREATE TEMP TABLE rpools AS
    SELECT poolkeeper.create_pool(:manager, 'Fund ' || g, (ARRAY['USD', 'JPY', 'KWD'])[1 + g % 3]) AS pool_id,
           (ARRAY[2, 0, 3])[1 + g % 3] AS minor, 1 + (random() * 39)::int AS n
      FROM generate_series(1, 300) g;
CREATE TEMP TABLE rinvestors AS
    SELECT poolkeeper.create_investor('LP ' || g) AS investor_id FROM generate_series(1, 400) g;
CREATE TEMP TABLE rmembers AS
    SELECT p.pool_id, p.minor, i.investor_id,
           CASE WHEN random() < 0.15 THEN NULL ELSE round((1000 + random() * 1000000)::numeric, p.minor) END AS commitment
      FROM rpools p
     CROSS JOIN LATERAL (SELECT investor_id FROM rinvestors ORDER BY random() + p.pool_id * 0 LIMIT p.n) i;
SELECT count(poolkeeper.add_investor(pool_id, investor_id, commitment)) FROM rmembers \gset
SELECT count(poolkeeper.post_transaction(pool_id, investor_id, 'contribution', round((1 + random() * 50000)::numeric, minor)))
  FROM rmembers WHERE random() < 0.8 \gset
CREATE TEMP TABLE rcalls AS
    SELECT p.pool_id, p.minor, round((1 + random() * 0.5 * s.committed)::numeric, p.minor) AS total, 'call-' || p.pool_id AS key
      FROM rpools p JOIN (SELECT pool_id, sum(commitment) AS committed FROM rmembers GROUP BY pool_id) s USING (pool_id)
     WHERE s.committed > 0;
ALTER TABLE rcalls ADD COLUMN call_id bigint;
UPDATE rcalls SET call_id = poolkeeper.call_capital(pool_id, total, '2026-12-31', key);
CREATE TEMP TABLE rdists AS
    SELECT p.pool_id, p.minor, b.basis, round((1 + random() * 10 ^ (2 + random() * 6))::numeric, p.minor) AS total,
           'dist-' || b.basis || '-' || p.pool_id AS key,
           -- the weights, as they stand before the distribution
           (SELECT array_agg(ps.investor_id ORDER BY ps.investor_id) FROM poolkeeper.positions ps WHERE ps.pool_id = p.pool_id) AS members,
           (SELECT array_agg(CASE b.basis WHEN 'net_invested' THEN ps.net_invested ELSE coalesce(m.commitment, 0) END
                             ORDER BY ps.investor_id)
              FROM poolkeeper.positions ps JOIN rmembers m USING (pool_id, investor_id) WHERE ps.pool_id = p.pool_id) AS weights
      FROM rpools p CROSS JOIN (VALUES ('net_invested'), ('commitment')) b(basis)
     WHERE EXISTS (SELECT 1 FROM poolkeeper.positions ps JOIN rmembers m USING (pool_id, investor_id)
                    WHERE ps.pool_id = p.pool_id
                      AND CASE b.basis WHEN 'net_invested' THEN ps.net_invested > 0 ELSE m.commitment IS NOT NULL END);
ALTER TABLE rdists ADD COLUMN operation_id bigint;
UPDATE rdists SET operation_id = poolkeeper.distribute(pool_id, total, basis, key);
SELECT cmp_ok((SELECT count(*) FROM rdists), '>', 500::bigint, 'more than 500 random distributions were made');
SELECT cmp_ok((SELECT count(*) FROM rcalls), '>', 250::bigint, 'more than 250 random capital calls were made');
SELECT is_empty($$SELECT d.operation_id FROM rdists d
                   LEFT JOIN (SELECT operation_id, sum(amount) AS s FROM poolkeeper.transactions GROUP BY operation_id) t USING (operation_id)
                   WHERE t.s IS DISTINCT FROM d.total$$,
                'distribute: each distribution''s rows sum exactly to its total');
SELECT is_empty($$SELECT c.call_id FROM rcalls c
                   LEFT JOIN (SELECT operation_id, sum(called) AS s FROM poolkeeper.obligations GROUP BY operation_id) o
                     ON o.operation_id = c.call_id
                   WHERE o.s IS DISTINCT FROM c.total$$,
                'call_capital: each call''s obligations sum exactly to its total');
SELECT is_empty($$SELECT d.operation_id, w.investor_id
                   FROM rdists d
                  CROSS JOIN LATERAL unnest(d.members, d.weights) AS w(investor_id, weight)
                   LEFT JOIN poolkeeper.transactions t ON t.operation_id = d.operation_id AND t.investor_id = w.investor_id
                  WHERE abs(coalesce(t.amount, 0) - d.total * w.weight / (SELECT sum(x) FROM unnest(d.weights) x))
                        >= 1 / 10 ^ d.minor::numeric
                     OR (w.weight = 0 AND t.id IS NOT NULL)$$,
                'distribute: each member''s row is within one minor unit of their exact share, and a zero weight gets no row');
SELECT is_empty($$SELECT c.call_id, m.investor_id
                   FROM rcalls c JOIN rmembers m USING (pool_id)
                   JOIN (SELECT pool_id, sum(commitment) AS committed FROM rmembers GROUP BY pool_id) s USING (pool_id)
                   LEFT JOIN poolkeeper.obligations o ON o.operation_id = c.call_id AND o.investor_id = m.investor_id
                  WHERE abs(coalesce(o.called, 0) - c.total * coalesce(m.commitment, 0) / s.committed)
                        >= 1 / 10 ^ c.minor::numeric$$,
                'call_capital: each obligation is within one minor unit of the exact share of the commitments');
SELECT is_empty($$SELECT * FROM poolkeeper.transactions t JOIN rpools r USING (pool_id)
                   WHERE t.operation_id IS NOT NULL AND (t.kind <> 'distribution' OR t.amount <> round(t.amount, r.minor))$$,
                'distribute: every row is a distribution in whole minor units');
SELECT pktest.state() AS before_repeats \gset
SELECT is_empty($$SELECT * FROM rdists WHERE poolkeeper.distribute(pool_id, total, basis, key) <> operation_id$$,
                'distribute: repeating each call with its idempotency key returns the same operation');
SELECT is_empty($$SELECT * FROM rcalls WHERE poolkeeper.call_capital(pool_id, total, '2026-12-31', key) <> call_id$$,
                'call_capital: repeating each call with its idempotency key returns the same operation');
SELECT is(pktest.state(), :'before_repeats', 'the repeats changed nothing');
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'verify() finds nothing wrong after the random operations');

-- 3. The issue's example: 1000.00 USD to three equal members.
SELECT poolkeeper.create_pool(:manager, 'Three', 'USD') AS three \gset
SELECT poolkeeper.create_investor('Ann') AS ann, poolkeeper.create_investor('Bob') AS bob, poolkeeper.create_investor('Cy') AS cy \gset
SELECT count(poolkeeper.add_investor(:three, i, 500)) AS done FROM unnest(ARRAY[:cy, :ann, :bob]::bigint[]) i \gset
SELECT count(poolkeeper.post_transaction(:three, i, 'contribution', 100, NULL, '2020-01-01')) AS done FROM unnest(ARRAY[:cy, :ann, :bob]::bigint[]) i \gset
SELECT poolkeeper.distribute(:three, 1000.00) AS equal_op \gset
SELECT results_eq(format('SELECT investor_id, amount FROM poolkeeper.transactions WHERE operation_id = %s ORDER BY investor_id', :equal_op),
                  format('VALUES (%s::bigint, 333.34), (%s, 333.33), (%s, 333.33)', :ann, :bob, :cy),
                  '1000.00 to three equal members: 333.34, 333.33, 333.33, the cent to the smallest investor id');
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'verify() stays empty after the three-way distribution');
SELECT poolkeeper.set_alert_rule(:three, 300) \gset
SELECT poolkeeper.distribute(:three, 600.00, 'commitment') AS big_op \gset
SELECT results_eq(format($$SELECT kind, details->>'amount', (details->>'rows')::int FROM poolkeeper.alerts
                            WHERE pool_id = %s ORDER BY id$$, :three),
                  $$VALUES ('large_transaction'::text, '600.00', 3)$$,
                  'a distribution above the threshold raises one alert for its total, though no row is above it');
SELECT is((SELECT count(*) FROM poolkeeper.transactions WHERE operation_id = :big_op), 3::bigint,
          'the distribution''s rows carry its operation id');
SELECT pktest.refused(format($$INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, operation_id)
                               VALUES (%s, %s, 'distribution', 1, %s)$$, :three, :ann, :big_op),
                      'PKA01', format('operation_id %s is set only by distribute, on the rows of the distribution it writes', :big_op),
                      'a client cannot give a ledger row an operation id');

-- 4. Capital calls: payments, reversal, overdue.
SELECT poolkeeper.call_capital(:three, 300.00, '2020-06-30') AS call3 \gset
SELECT results_eq(format('SELECT investor_id, called, paid, outstanding, overdue FROM poolkeeper.capital_call_obligations WHERE call_id = %s ORDER BY investor_id', :call3),
                  format('VALUES (%s::bigint, 100.00, 0::numeric, 100.00, true), (%s, 100.00, 0, 100.00, true), (%s, 100.00, 0, 100.00, true)', :ann, :bob, :cy),
                  'a call of 300.00 on three equal commitments: 100.00 each, overdue');
SELECT poolkeeper.pay_capital_call(:call3, :ann, 40, 'ann-1') AS ann_pay1 \gset
SELECT is(poolkeeper.pay_capital_call(:call3, :ann, 40, 'ann-1'), :ann_pay1::bigint, 'a repeated payment under its key replays it');
SELECT poolkeeper.pay_capital_call(:call3, :ann) AS ann_pay2 \gset
SELECT is((SELECT amount FROM poolkeeper.transactions WHERE id = :ann_pay2), 60.00, 'with no amount, the payment is what is outstanding');
SELECT results_eq(format('SELECT paid, outstanding, overdue FROM poolkeeper.capital_call_obligations WHERE call_id = %s AND investor_id = %s', :call3, :ann),
                  $$VALUES (100.00, 0.00, false)$$, 'paid in full: nothing outstanding, not overdue');
SELECT pktest.refused(format('SELECT poolkeeper.pay_capital_call(%s, %s)', :call3, :ann), 'PKS14',
                      format('investor %s has paid all 100.00 called in capital call %s', :ann, :call3), 'pay_capital_call: nothing outstanding');
SELECT pktest.refused(format('SELECT poolkeeper.pay_capital_call(%s, %s, 100.01)', :call3, :bob), 'PKS14',
                      format('a payment of 100.01 is more than the 100.00 investor %s still owes in capital call %s', :bob, :call3),
                      'pay_capital_call: more than outstanding');
SELECT poolkeeper.reverse_transaction(:ann_pay2, 'bounced') AS done \gset
SELECT is((SELECT outstanding FROM poolkeeper.capital_call_obligations WHERE call_id = :call3 AND investor_id = :ann), 60.00,
          'a reversed payment is outstanding again');
SELECT pktest.refused(format('SELECT poolkeeper.pay_capital_call(%s, %s)', :big_op, :ann), 'PKN05',
                      format('capital call %s does not exist', :big_op), 'pay_capital_call: a distribution is not a capital call');
SELECT poolkeeper.create_investor('Outsider') AS outsider \gset
SELECT pktest.refused(format('SELECT poolkeeper.pay_capital_call(%s, %s)', :call3, :outsider), 'PKN06',
                      format('investor %s owes nothing in capital call %s', :outsider, :call3), 'pay_capital_call: no obligation');
SELECT pktest.refused(format($$SELECT poolkeeper.call_capital(%s, 1401, '2027-01-01')$$, :three), 'PKS13',
                      format('the call would bring investor %s''s called capital in pool %s to 567.00, above their commitment of 500.00',
                             :ann, :three),
                      'call_capital: not beyond a commitment');
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'verify() stays empty after payments and a reversal');
-- Calls split what is left of each commitment: three calls of 100.00 on
-- three commitments of 100.00 call each in full, though each split has a
-- cent to place.
SELECT poolkeeper.create_pool(:manager, 'Thirds', 'USD') AS thirds \gset
SELECT count(poolkeeper.add_investor(:thirds, i, 100)) AS done FROM unnest(ARRAY[:ann, :bob, :cy]::bigint[]) i \gset
SELECT count(poolkeeper.call_capital(:thirds, 100.00, '2030-01-01')) AS done FROM generate_series(1, 3) \gset
SELECT results_eq(format('SELECT investor_id, sum(called) FROM poolkeeper.capital_call_obligations WHERE pool_id = %s GROUP BY 1 ORDER BY 1', :thirds),
                  format('VALUES (%s::bigint, 100.00), (%s, 100.00), (%s, 100.00)', :ann, :bob, :cy),
                  'call_capital: three calls of 100.00 on three commitments of 100.00 call each in full');
SELECT min(call_id) AS thirds_call FROM poolkeeper.capital_call_obligations WHERE pool_id = :thirds \gset
SELECT pktest.refused(format('SELECT poolkeeper.remove_investor(%s, %s)', :thirds, :ann), 'PKS15',
                      format('investor %s still owes 33.34 on capital call %s of pool %s', :ann, :thirds_call, :thirds),
                      'remove_investor: not while the investor owes on a call');
SELECT pktest.refused(format($$SELECT poolkeeper.call_capital(%s, 0.01, '2030-01-01')$$, :thirds), 'PKS13',
                      format('the members of pool %s have no commitment left to call', :thirds),
                      'call_capital: nothing left to call');

-- 5. XIRR.
SELECT is((SELECT round(rate, 4) FROM poolkeeper.xirr('{-1000,1100}', '{2020-01-01,2021-01-01}')), 0.0997,
          'xirr: -1000 on 2020-01-01, +1100 on 2021-01-01 is 0.0997 (actual/365, 366 days)');
SELECT is((SELECT round(rate, 6) FROM poolkeeper.xirr('{-10000,2750,4250,3250,2750}',
                                                       '{2008-01-01,2008-03-01,2008-10-30,2009-02-15,2009-04-01}')), 0.373363,
          'xirr: the spreadsheet reference example gives 0.373363');
SELECT is((SELECT round(rate, 6) FROM poolkeeper.xirr('{-500,-500,1300}', '{2019-01-01,2019-01-01,2022-01-01}')),
          round((power(1.3, 365.0 / 1096) - 1)::numeric, 6), 'xirr: flows on one date are added up');
SELECT results_eq($$SELECT rate, note FROM poolkeeper.xirr('{-1000,-100}', '{2020-01-01,2021-01-01}')$$,
                  $$VALUES (NULL::numeric, 'the cash flows do not change sign: no rate of return exists')$$,
                  'xirr: no sign change, no rate');
SELECT results_eq($$SELECT rate, note FROM poolkeeper.xirr('{}', '{}')$$,
                  $$VALUES (NULL::numeric, 'there are no cash flows')$$, 'xirr: no flows, no rate');
SELECT results_eq($$SELECT rate, note FROM poolkeeper.xirr('{-1,1e12}', '{2020-01-01,2020-01-02}')$$,
                  $$VALUES (NULL::numeric, 'no rate between -99.99% and 100,000,000% makes the net present value zero')$$,
                  'xirr: a rate beyond the search range is NULL, with the reason');
SELECT throws_ok($$SELECT * FROM poolkeeper.xirr('{-1,2}', '{2020-01-01}')$$, 'PKA01',
                 'amounts and dates must be arrays of the same length with finite values and no NULLs', 'xirr: arrays of different lengths');
-- An independent solver: bisection in double precision (a recursive query)
-- on 200 random flow sets with one sign change (one outflow, then inflows),
-- whose rate is unique.
CREATE TEMP TABLE flowsets AS
    SELECT s AS set_id, 1 + (random() * 12)::int AS n, 0.3 + random() * 2.5 AS multiple FROM generate_series(1, 200) s;
CREATE TEMP TABLE flows AS
    SELECT f.set_id, 0 AS k, -round((1000 + random() * 100000)::numeric, 2) AS amount, date '2015-01-01' + (random() * 400)::int AS day
      FROM flowsets f;
INSERT INTO flows
    SELECT f.set_id, g.k, round((-o.amount * f.multiple / f.n * (0.5 + random()))::numeric, 2), o.day + 1 + (random() * 3000)::int
      FROM flowsets f JOIN flows o ON o.set_id = f.set_id AND o.k = 0 CROSS JOIN LATERAL generate_series(1, f.n) g(k);
CREATE TEMP TABLE solved AS
    WITH RECURSIVE b(set_id, lo, hi, i) AS (
        SELECT set_id, -0.99::float8, 100::float8, 0 FROM flowsets
        UNION ALL
        SELECT b.set_id,
               CASE WHEN npv.v > 0 THEN (b.lo + b.hi) / 2 ELSE b.lo END,
               CASE WHEN npv.v > 0 THEN b.hi ELSE (b.lo + b.hi) / 2 END, b.i + 1
          FROM b CROSS JOIN LATERAL (
                 SELECT sum(fl.amount::float8 / power(1 + (b.lo + b.hi) / 2, (fl.day - d0.day) / 365.0)) AS v
                   FROM flows fl, (SELECT min(day) AS day FROM flows x WHERE x.set_id = b.set_id) d0
                  WHERE fl.set_id = b.set_id) npv
         WHERE b.i < 80)
    SELECT set_id, (lo + hi) / 2 AS rate FROM b WHERE i = 80;
SELECT is_empty($$SELECT s.set_id, s.rate, x.rate
                    FROM solved s CROSS JOIN LATERAL poolkeeper.xirr(ARRAY(SELECT amount FROM flows f WHERE f.set_id = s.set_id ORDER BY k),
                                                                    ARRAY(SELECT day FROM flows f WHERE f.set_id = s.set_id ORDER BY k)) x
                   WHERE x.rate IS NULL OR abs(x.rate - s.rate::numeric) > 1e-7$$,
                'xirr agrees with an independent double-precision bisection on 200 random flow sets, to 1e-7');

-- 6. Valuations, NAV shares and metrics with known answers. Ann and Bob put
-- 1000 each into a pool on 2020-01-01; it is worth 2200 on 2021-01-01.
SELECT poolkeeper.create_pool(:manager, 'Known', 'USD') AS known \gset
SELECT count(poolkeeper.add_investor(:known, i, 5000)) AS done FROM unnest(ARRAY[:ann, :bob]::bigint[]) i \gset
SELECT count(poolkeeper.post_transaction(:known, i, 'contribution', 1000, NULL, '2020-01-01 12:00')) AS done FROM unnest(ARRAY[:ann, :bob]::bigint[]) i \gset
SELECT poolkeeper.record_valuation(:known, '2021-01-01', 2000) AS done \gset
-- A second value for the date restates the first.
SELECT poolkeeper.record_valuation(:known, '2021-01-01', 2200) AS done \gset
SELECT results_eq(format($$SELECT investor_id, net_invested, nav_share FROM poolkeeper.nav_shares(%s, '2021-06-30') ORDER BY 1$$, :known),
                  format('VALUES (%s::bigint, 1000.00, 1100.00), (%s, 1000.00, 1100.00)', :ann, :bob),
                  'nav_shares: the restated NAV, split pro rata to net invested capital');
SELECT results_eq(format($$SELECT paid_in, distributions, nav, valuation_date, dpi, rvpi, tvpi, moic, round(irr, 4), irr_note
                             FROM poolkeeper.pool_metrics(%s, '2021-01-01')$$, :known),
                  $$VALUES (2000.00, 0.00, 2200.00, date '2021-01-01', 0.000000, 1.100000, 1.100000, 1.100000, 0.0997, NULL::text)$$,
                  'pool_metrics: 2000 in, worth 2200 a year later: TVPI 1.1, IRR 0.0997');
SELECT results_eq(format($$SELECT paid_in, nav, irr, irr_note FROM poolkeeper.pool_metrics(%s, '2020-12-31')$$, :known),
                  $$VALUES (2000.00, NULL::numeric, NULL::numeric, 'no valuation on or before 2020-12-31: the value still held is unknown')$$,
                  'pool_metrics: before the first valuation, no NAV and no IRR, with the reason');
-- Then Ann takes 300 out and pays a 50 fee, and the pool distributes 400 on
-- net invested capital (Ann 650, Bob 1000).
SELECT poolkeeper.post_transaction(:known, :ann, 'withdrawal', 300, NULL, '2021-03-01') AS done \gset
SELECT poolkeeper.post_transaction(:known, :ann, 'fee', 50, NULL, '2021-03-01') AS done \gset
SELECT poolkeeper.distribute(:known, 400) AS known_dist \gset
SELECT results_eq(format('SELECT investor_id, amount FROM poolkeeper.transactions WHERE operation_id = %s ORDER BY 1', :known_dist),
                  format('VALUES (%s::bigint, 157.58), (%s, 242.42)', :ann, :bob),
                  'distribute on net invested capital: 400 × 650/1650 and 400 × 1000/1650, to the cent');
SELECT results_eq(format($$SELECT paid_in, distributions, withdrawals, fees, nav, dpi, rvpi, tvpi, moic
                             FROM poolkeeper.investor_metrics(%s, current_date) WHERE pool_id = %s$$, :ann, :known),
                  -- nav: 1100 - 300 - 50 - 157.58 = 592.42; returned 457.58
                  $$VALUES (1000.00, 157.58, 300.00, 50.00, 592.42, 0.457580, 0.592420, 1.050000, 1.105263)$$,
                  'investor_metrics: Ann''s NAV share rolled forward by her flows; MOIC on paid-in less fees');
SELECT is((SELECT round(irr, 8) FROM poolkeeper.investor_metrics(:ann, current_date) WHERE pool_id = :known),
          (SELECT round(rate, 8) FROM poolkeeper.xirr(ARRAY[-1000, 300, 157.58, 592.42],
                                                       ARRAY[date '2020-01-01', '2021-03-01', current_date, current_date])),
          'investor_metrics: IRR is the XIRR of her cash flows and her NAV on the date');
SELECT is_empty('SELECT * FROM poolkeeper.verify()', 'verify() stays empty');

-- 7. Refusals, each writing nothing.
SELECT poolkeeper.create_pool(:manager, 'Empty', 'USD') AS empty \gset
SELECT poolkeeper.add_investor(:empty, :outsider) AS done \gset
SELECT pktest.refused(format('SELECT poolkeeper.distribute(%s, 100)', :empty), 'PKS12',
                      format('no current member of pool %s has any net invested capital to distribute pro rata to', :empty),
                      'distribute: no net invested capital');
SELECT pktest.refused(format($$SELECT poolkeeper.call_capital(%s, 100, '2027-01-01')$$, :empty), 'PKS12',
                      format('no current member of pool %s has a commitment to call capital against', :empty),
                      'call_capital: no commitments');
SELECT pktest.refused(format($$SELECT poolkeeper.distribute(%s, 100, 'gut feeling')$$, :three), 'PKA01',
                      $$basis 'gut feeling' is not net_invested or commitment$$, 'distribute: unknown basis');
SELECT pktest.refused(format('SELECT poolkeeper.distribute(%s, 100.001)', :three), 'PKA02',
                      'total 100.001 has more than 2 decimal places', 'distribute: a fraction of a cent');
SELECT pktest.refused(format('SELECT poolkeeper.distribute(%s, -5)', :three), 'PKA02',
                      'total -5 is not a positive amount below 10^18', 'distribute: negative total');
SELECT pktest.refused('SELECT poolkeeper.distribute(-1, 5)', 'PKN01', 'pool -1 does not exist', 'distribute: unknown pool');
SELECT pktest.refused(format($$SELECT poolkeeper.distribute(%s, 5, 'net_invested', 'dist-net_invested-%s')$$, :three,
                             (SELECT min(pool_id) FROM rdists WHERE basis = 'net_invested')), 'PKS08',
                      format($$idempotency key 'dist-net_invested-%s' was used for an operation of another pool$$,
                             (SELECT min(pool_id) FROM rdists WHERE basis = 'net_invested')),
                      'distribute: a key used in another pool (which is not described)');
SELECT pktest.refused(format($$SELECT poolkeeper.distribute(%s, 5, 'net_invested', 'dist-net_invested-%s')$$,
                             (SELECT min(pool_id) FROM rdists WHERE basis = 'net_invested'),
                             (SELECT min(pool_id) FROM rdists WHERE basis = 'net_invested')), 'PKS08',
                      format($$idempotency key 'dist-net_invested-%s' was used for operation %s (distribution of %s in pool %s)$$,
                             (SELECT min(pool_id) FROM rdists WHERE basis = 'net_invested'),
                             (SELECT operation_id FROM rdists WHERE basis = 'net_invested' ORDER BY pool_id LIMIT 1),
                             (SELECT total FROM rdists WHERE basis = 'net_invested' ORDER BY pool_id LIMIT 1),
                             (SELECT min(pool_id) FROM rdists WHERE basis = 'net_invested')),
                      'distribute: a key used for another distribution');
SELECT pktest.refused(format('SELECT poolkeeper.call_capital(%s, 100, NULL)', :three), 'PKA01', 'due date must be a date',
                      'call_capital: no due date');
SELECT pktest.refused(format($$SELECT poolkeeper.record_valuation(%s, current_date + 1, 100)$$, :three), 'PKA01',
                      format('valuation date %s is not a date up to today', current_date + 1), 'record_valuation: a future date');
SELECT pktest.refused(format($$SELECT poolkeeper.record_valuation(%s, '2020-01-01', -1)$$, :three), 'PKA02',
                      'NAV -1 is not a positive amount below 10^18', 'record_valuation: negative NAV');
SELECT pktest.refused($$SELECT poolkeeper.record_valuation(-1, '2020-01-01', 1)$$, 'PKN01', 'pool -1 does not exist',
                      'record_valuation: unknown pool');
SELECT pktest.refused('SELECT * FROM poolkeeper.pool_metrics(-1)', 'PKN01', 'pool -1 does not exist', 'pool_metrics: unknown pool');
SELECT pktest.refused(format('SELECT * FROM poolkeeper.pool_metrics(%s, NULL)', :three), 'PKA01', 'as_of must be a date',
                      'pool_metrics: NULL date');
SELECT pktest.refused('SELECT * FROM poolkeeper.investor_metrics(-1)', 'PKN02', 'investor -1 does not exist',
                      'investor_metrics: unknown investor');
SELECT pktest.refused($$SELECT * FROM poolkeeper.allocate(1, 2, '{1,2}', '{0,0}')$$, 'PKS12',
                      'the weights sum to zero: there is nothing to allocate pro rata to', 'allocate: zero weights');
SELECT pktest.refused($$SELECT * FROM poolkeeper.allocate(1, 2, '{1,1}', '{1,2}')$$, 'PKA01',
                      'keys must be distinct and not NULL', 'allocate: a repeated key');
SELECT pktest.refused($$SELECT * FROM poolkeeper.allocate(1, 2, '{1,2}', '{1,-2}')$$, 'PKA01',
                      'weights must be numbers from 0 to below 10^18', 'allocate: a negative weight');
SELECT pktest.refused(format('UPDATE poolkeeper.operations SET total = 1 WHERE id = %s', :big_op), 'PKS09',
                      'UPDATE on poolkeeper.operations is not allowed: fund operations are never changed; distribute or call again, or reverse ledger rows',
                      'operations cannot be changed');
SELECT pktest.refused(format('DELETE FROM poolkeeper.obligations WHERE operation_id = %s', :call3), 'PKS09',
                      'DELETE on poolkeeper.obligations is not allowed: obligations are never changed; a reversed payment makes its amount outstanding again',
                      'obligations cannot be deleted');
SELECT poolkeeper.close_pool(:empty) AS done \gset
SELECT pktest.refused(format('SELECT poolkeeper.distribute(%s, 100)', :empty), 'PKS01', format('pool %s is closed', :empty),
                      'distribute: closed pool');

-- A repeat under its key replays even after the pool closed.
SELECT pool_id AS closing, operation_id AS closing_op, total AS closing_total, key AS closing_key
  FROM rdists WHERE basis = 'commitment' ORDER BY pool_id DESC LIMIT 1 \gset
SELECT poolkeeper.close_pool(:closing) AS done \gset
SELECT is(poolkeeper.distribute(:closing, :closing_total, 'commitment', :'closing_key'), :closing_op::bigint,
          'distribute: a repeat under its key replays after the pool closed');
SELECT pktest.refused(format('SELECT poolkeeper.distribute(%s, 1)', :closing), 'PKS01', format('pool %s is closed', :closing),
                      'distribute: but a new distribution of a closed pool is refused');

-- 8. verify() notices a distribution whose rows do not add up.
ALTER TABLE poolkeeper.operations DISABLE TRIGGER operations_append_only;
UPDATE poolkeeper.operations SET total = total + 1 WHERE id = :big_op;
SELECT results_eq('SELECT problem FROM poolkeeper.verify()', $$VALUES ('operation_rows_mismatch')$$,
                  'verify() reports a distribution whose rows do not sum to its total');

SELECT * FROM finish();
ROLLBACK;
