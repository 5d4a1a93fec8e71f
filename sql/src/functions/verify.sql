-- verify: every broken invariant as (problem, detail); no rows when the
-- ledger and positions agree. Checks: each position equals the sums of its
-- ledger rows; no total and no net_invested is negative; each reversal
-- matches the row it reverses, which is not itself a reversal; each row is
-- reversed at most once; amounts fit their pool's currency; a position is
-- open exactly when its pool is open and its investor a member, and is kept
-- in its pool's currency; only current members hold a non-zero net position;
-- every ledger row was recorded while its pool was open and its investor a
-- member; net_invested is contributed - withdrawn - fees; each ledger row has
-- a known kind, a valid idempotency key and object metadata; a position's
-- copy of its currency's minor units is current; every alert that names a
-- ledger row names one of its pool; each investor's investor_totals equal
-- the count of their positions with contributed > 0 and the sum of
-- contributed; each distribution's rows sum to its total and were written
-- in its transaction; each capital call's obligations sum to its total, no
-- obligation is overpaid, and each payment is a contribution of the
-- obligation's investor to the call's pool.
CREATE FUNCTION poolkeeper.verify()
RETURNS TABLE (problem text, detail text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH sums AS (
        SELECT t.pool_id, t.investor_id,
               coalesce(sum(CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END)
                        FILTER (WHERE t.kind = 'contribution'), 0) AS contributed,
               coalesce(sum(CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END)
                        FILTER (WHERE t.kind = 'withdrawal'), 0) AS withdrawn,
               coalesce(sum(CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END)
                        FILTER (WHERE t.kind = 'distribution'), 0) AS distributed,
               coalesce(sum(CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END)
                        FILTER (WHERE t.kind = 'fee'), 0) AS fees
          FROM poolkeeper.transactions t
         GROUP BY t.pool_id, t.investor_id
    )
    SELECT 'position_mismatch',
           format('pool %s investor %s: position (%s, %s, %s, %s) but ledger (%s, %s, %s, %s) for (contributed, withdrawn, distributed, fees)',
                  coalesce(p.pool_id, s.pool_id), coalesce(p.investor_id, s.investor_id),
                  p.contributed, p.withdrawn, p.distributed, p.fees,
                  coalesce(s.contributed, 0), coalesce(s.withdrawn, 0), coalesce(s.distributed, 0), coalesce(s.fees, 0))
      FROM poolkeeper.positions p
      FULL JOIN sums s USING (pool_id, investor_id)
     WHERE (p.contributed, p.withdrawn, p.distributed, p.fees)
           IS DISTINCT FROM (coalesce(s.contributed, 0), coalesce(s.withdrawn, 0),
                             coalesce(s.distributed, 0), coalesce(s.fees, 0))
    UNION ALL
    SELECT 'negative_position',
           format('pool %s investor %s: contributed %s, withdrawn %s, distributed %s, fees %s, net_invested %s',
                  pool_id, investor_id, contributed, withdrawn, distributed, fees, net_invested)
      FROM poolkeeper.positions
     WHERE least(contributed, withdrawn, distributed, fees, net_invested) < 0
    UNION ALL
    SELECT 'net_invested_mismatch',
           format('pool %s investor %s: net_invested %s but contributed - withdrawn - fees is %s',
                  pool_id, investor_id, net_invested, contributed - withdrawn - fees)
      FROM poolkeeper.positions
     WHERE net_invested <> contributed - withdrawn - fees
    UNION ALL
    SELECT 'stale_position_copy',
           format('pool %s investor %s: minor_units %s, but %s has %s', p.pool_id, p.investor_id, p.minor_units,
                  c.code, c.minor_units)
      FROM poolkeeper.positions p
      JOIN poolkeeper.currencies c ON c.code = p.currency
     WHERE p.minor_units <> c.minor_units
    UNION ALL
    SELECT 'alert_without_ledger_row',
           format('alert %s names ledger row %s, which %s', a.id, a.transaction_id,
                  CASE WHEN t.id IS NULL THEN 'does not exist' ELSE format('is in pool %s', t.pool_id) END)
      FROM poolkeeper.alerts a
      LEFT JOIN poolkeeper.transactions t ON t.id = a.transaction_id
     WHERE a.transaction_id IS NOT NULL AND (t.id IS NULL OR t.pool_id <> a.pool_id)
    UNION ALL
    SELECT 'bad_ledger_field', format('ledger row %s: kind %s, idempotency key of %s characters, metadata of type %s',
                                      id, kind, length(idempotency_key), jsonb_typeof(metadata))
      FROM poolkeeper.transactions
     WHERE kind NOT IN ('contribution', 'withdrawal', 'distribution', 'fee')
        OR length(idempotency_key) NOT BETWEEN 1 AND 255
        OR jsonb_typeof(metadata) <> 'object'
    UNION ALL
    SELECT 'bad_reversal',
           format('ledger row %s reverses %s, which %s', r.id, r.reverses_id,
                  CASE WHEN o.id IS NULL THEN 'does not exist'
                       WHEN o.reverses_id IS NOT NULL THEN 'is itself a reversal'
                       ELSE 'has another pool, investor, kind or amount' END)
      FROM poolkeeper.transactions r
      LEFT JOIN poolkeeper.transactions o ON o.id = r.reverses_id
     WHERE r.reverses_id IS NOT NULL
       AND (o.id IS NULL OR o.reverses_id IS NOT NULL
            OR (o.pool_id, o.investor_id, o.kind, o.amount) IS DISTINCT FROM (r.pool_id, r.investor_id, r.kind, r.amount))
    UNION ALL
    SELECT 'reversed_twice', format('ledger row %s is reversed by %s rows', reverses_id, count(*))
      FROM poolkeeper.transactions
     WHERE reverses_id IS NOT NULL
     GROUP BY reverses_id
    HAVING count(*) > 1
    UNION ALL
    SELECT 'bad_amount', format('ledger row %s: amount %s does not fit %s', t.id, t.amount, p.currency)
      FROM poolkeeper.transactions t
      JOIN poolkeeper.pools p ON p.id = t.pool_id
      JOIN poolkeeper.currencies c ON c.code = p.currency
     WHERE t.amount <= 0 OR t.amount <> round(t.amount, c.minor_units)
    UNION ALL
    SELECT 'position_state_mismatch',
           format('pool %s investor %s: is_open %s, currency %s, but the pool is %s in %s and the investor %s a member',
                  p.pool_id, p.investor_id, p.is_open, p.currency, pl.status, pl.currency,
                  CASE WHEN m.id IS NULL THEN 'is not' ELSE 'is' END)
      FROM poolkeeper.positions p
      JOIN poolkeeper.pools pl ON pl.id = p.pool_id
      LEFT JOIN poolkeeper.memberships m
             ON m.pool_id = p.pool_id AND m.investor_id = p.investor_id AND m.left_at IS NULL
     WHERE p.is_open IS DISTINCT FROM (pl.status = 'open' AND m.id IS NOT NULL)
        OR p.currency IS DISTINCT FROM pl.currency
    UNION ALL
    SELECT 'row_in_closed_pool', format('ledger row %s was recorded at %s, after pool %s closed at %s', t.id, t.recorded_at, p.id, p.closed_at)
      FROM poolkeeper.transactions t
      JOIN poolkeeper.pools p ON p.id = t.pool_id
     WHERE t.recorded_at > p.closed_at
    UNION ALL
    SELECT 'row_outside_membership',
           format('ledger row %s was recorded at %s, when investor %s was not a member of pool %s', t.id, t.recorded_at, t.investor_id, t.pool_id)
      FROM poolkeeper.transactions t
     WHERE NOT EXISTS (SELECT 1 FROM poolkeeper.memberships m
                        WHERE m.pool_id = t.pool_id AND m.investor_id = t.investor_id
                          AND m.joined_at <= t.recorded_at AND (m.left_at IS NULL OR t.recorded_at <= m.left_at))
    UNION ALL
    SELECT 'position_without_membership',
           format('pool %s investor %s holds net_invested %s but is not a current member', p.pool_id, p.investor_id, p.net_invested)
      FROM poolkeeper.positions p
     WHERE p.net_invested <> 0
       AND NOT EXISTS (SELECT 1 FROM poolkeeper.memberships m
                        WHERE m.pool_id = p.pool_id AND m.investor_id = p.investor_id AND m.left_at IS NULL)
    UNION ALL
    SELECT 'investor_totals_mismatch',
           format('investor %s: investor_totals (%s pools, %s contributed) but positions (%s pools, %s contributed)',
                  coalesce(it.investor_id, s.investor_id), it.pool_count, it.contributed,
                  coalesce(s.pool_count, 0), coalesce(s.contributed, 0))
      FROM poolkeeper.investor_totals it
      FULL JOIN (SELECT investor_id, count(*) FILTER (WHERE contributed > 0) AS pool_count, sum(contributed) AS contributed
                   FROM poolkeeper.positions GROUP BY investor_id) s USING (investor_id)
     WHERE (coalesce(it.pool_count, 0), coalesce(it.contributed, 0)) <> (coalesce(s.pool_count, 0), coalesce(s.contributed, 0))
    UNION ALL
    SELECT 'operation_rows_mismatch',
           format('distribution %s of %s in pool %s: its ledger rows sum to %s', o.id, o.total, o.pool_id, coalesce(r.total, 0))
      FROM poolkeeper.operations o
      LEFT JOIN (SELECT t.operation_id, sum(t.amount) AS total FROM poolkeeper.transactions t
                  WHERE t.operation_id IS NOT NULL GROUP BY t.operation_id) r ON r.operation_id = o.id
     WHERE o.kind = 'distribution' AND r.total IS DISTINCT FROM o.total
    UNION ALL
    SELECT 'operation_row_mismatch',
           format('ledger row %s names operation %s, which is not a distribution of pool %s written in its transaction',
                  t.id, t.operation_id, t.pool_id)
      FROM poolkeeper.transactions t
      LEFT JOIN poolkeeper.operations o ON o.id = t.operation_id
     WHERE t.operation_id IS NOT NULL
       AND (o.id IS NULL OR o.kind <> 'distribution' OR o.pool_id <> t.pool_id OR o.xact_id <> t.xact_id
            OR t.kind <> 'distribution' OR t.reverses_id IS NOT NULL)
    UNION ALL
    SELECT 'obligations_mismatch',
           format('capital call %s of %s in pool %s: its obligations sum to %s', o.id, o.total, o.pool_id, coalesce(c.total, 0))
      FROM poolkeeper.operations o
      LEFT JOIN (SELECT operation_id, sum(called) AS total FROM poolkeeper.obligations GROUP BY operation_id) c
        ON c.operation_id = o.id
     WHERE o.kind = 'capital_call' AND c.total IS DISTINCT FROM o.total
    UNION ALL
    SELECT 'obligation_overpaid',
           format('investor %s has paid %s of the %s called in capital call %s', ob.investor_id, ob.paid, ob.called, ob.call_id)
      FROM poolkeeper.capital_call_obligations ob
     WHERE ob.paid > ob.called
    UNION ALL
    SELECT 'payment_mismatch',
           format('ledger row %s is recorded as a payment of capital call %s by investor %s, but is not their contribution to its pool',
                  op.transaction_id, op.operation_id, op.investor_id)
      FROM poolkeeper.obligation_payments op
      JOIN poolkeeper.operations o ON o.id = op.operation_id
      LEFT JOIN poolkeeper.transactions t ON t.id = op.transaction_id
     WHERE t.id IS NULL OR o.kind <> 'capital_call' OR t.kind <> 'contribution' OR t.reverses_id IS NOT NULL
        OR t.pool_id <> o.pool_id OR t.investor_id <> op.investor_id
$$;
