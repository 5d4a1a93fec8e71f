-- poolkeeper 0.2.0 -> 0.3.0: reports (top_investors, pool_summary, investor_statement,
-- pool_activity, alert_history) and what they read: investor_totals, kept by the ledger
-- trigger, and report indexes on the ledger. Assembled from the 0.3.0 sources; never edit it
-- once 0.3.0 is released. sql/test/upgrade.sh checks that it gives what a fresh 0.3.0 gives.
-- It locks the ledger and positions against writes until it commits, and builds three
-- indexes on the ledger: on a large ledger, run it when a pause in posting is acceptable.
\echo Use "ALTER EXTENSION poolkeeper UPDATE TO '0.3.0'" to load this file. \quit

-- No post may commit between reading positions into investor_totals and
-- the new trigger taking over (the order of posts' own locks: ledger first).
LOCK TABLE poolkeeper.transactions, poolkeeper.positions IN SHARE MODE;

UPDATE poolkeeper.error_codes
   SET meaning = 'ledger rows, positions and investor totals are never updated or deleted directly (post a reversal), and neither are alerts'
 WHERE sqlstate = 'PKS09';

-- Each investor's contribution totals across pools, kept exact by the ledger
-- trigger in the same database transaction as each contribution or reversed
-- contribution, so that top_investors reads the leaders from one index
-- instead of aggregating the ledger. pool_count is the number of pools whose
-- position has contributed > 0 (a pool counts while at least one of its
-- contributions is unreversed); contributed is the sum of those positions'
-- contributed, net of reversals, summed as numbers across currencies.
-- verify() checks both against positions. Only the ledger trigger writes
-- here (investor_totals_ledger_only).
CREATE TABLE poolkeeper.investor_totals (
    investor_id bigint PRIMARY KEY REFERENCES poolkeeper.investors (id),
    pool_count  bigint NOT NULL DEFAULT 0,
    contributed poolkeeper.nonnegative_total NOT NULL DEFAULT 0
) WITH (fillfactor = 70);  -- room for HOT updates, as in positions

-- top_investors reads investors by pool_count from this index and sorts
-- only the leading groups by contributed (an incremental sort). The index
-- leaves contributed out on purpose: a contribution that does not change
-- pool_count then changes no indexed column, and its update is HOT.
CREATE INDEX investor_totals_pool_count ON poolkeeper.investor_totals (pool_count DESC);

INSERT INTO poolkeeper.investor_totals (investor_id, pool_count, contributed)
SELECT investor_id, count(*) FILTER (WHERE contributed > 0), sum(contributed)
  FROM poolkeeper.positions
 GROUP BY investor_id;

-- Reports: one pool's activity and last activity, one investor's statement.
CREATE INDEX transactions_pool_occurred ON poolkeeper.transactions (pool_id, occurred_at);
CREATE INDEX transactions_investor_occurred ON poolkeeper.transactions (investor_id, occurred_at);
-- Reports over a period of the whole ledger (top_investors with a period).
-- occurred_at mostly grows with the table, so a BRIN index skips most of it
-- for the cost of a few pages, where a btree would cost every post.
CREATE INDEX transactions_occurred_brin ON poolkeeper.transactions USING brin (occurred_at);

-- ledger_before_insert: every rule of a new ledger row, for every writer
-- (post_transaction, reverse_transaction or a plain INSERT). It checks the
-- row's own fields (check_ledger_row says what is wrong with them), then
-- applies it to its position in one UPDATE that
-- succeeds only if the position is open (pool open, investor a member) and
-- stays non-negative. The row lock serializes posts on one position, and
-- PostgreSQL re-checks the WHERE clause on the latest row version after a
-- wait, so no post lands on a closed position or below zero. When the UPDATE
-- finds no row, ledger_refusal raises the reason. A row other than a
-- reversal whose amount is above the threshold of the pool's alert rule in
-- force (alert_rules, read by the same UPDATE under its snapshot, as
-- effective_alert_rules shows it)
-- raises an alert in the same database transaction
-- (raise_large_transaction_alert).
-- A contribution, or its reversal, also moves the investor's row in
-- investor_totals: by its amount, and by one pool when the position's
-- contributed leaves or returns to zero. Every row, of any kind, locks
-- that investor_totals row before its position (creating it at the
-- investor's first row; a contribution's lock is its UPDATE), so that a post
-- always takes its investor's lock before a position's: a single post never
-- deadlocks, also against a transaction posting several rows of one
-- investor.
-- The row gets the id of its database transaction in xact_id, for the feed.
--
-- The database assigns id and recorded_at whatever the writer sends, so
-- INSERT ... ON CONFLICT can never skip a row after its position moved: the id
-- is always new, a used idempotency key is refused here (PKS08) under an
-- advisory lock on the key, and a second reversal is refused (PKS06) under
-- the original's row lock. (Under REPEATABLE READ or SERIALIZABLE these two
-- checks see the transaction's snapshot: use post_transaction there, which
-- turns a concurrent duplicate into a serialization failure.)
CREATE OR REPLACE FUNCTION poolkeeper.ledger_before_insert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_original poolkeeper.transactions;
    v_delta    numeric;
    v_minor     smallint;
    v_threshold numeric;
    v_currency  text;
    v_used_by   bigint;
    v_contributed numeric;
    v_attempt   int;
BEGIN
    IF NEW.reverses_id IS NOT NULL THEN
        -- Lock the original so that concurrent reversals of it queue up here.
        SELECT * INTO v_original FROM poolkeeper.transactions WHERE id = NEW.reverses_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN04',
                MESSAGE = format('ledger row %s does not exist', NEW.reverses_id);
        END IF;
        IF v_original.reverses_id IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PKS07',
                MESSAGE = format('ledger row %s is a reversal and cannot be reversed', NEW.reverses_id);
        END IF;
        IF EXISTS (SELECT 1 FROM poolkeeper.transactions WHERE reverses_id = NEW.reverses_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'PKS06',
                MESSAGE = format('ledger row %s has already been reversed', NEW.reverses_id);
        END IF;
        -- A plain INSERT may leave these out; what it gives must match.
        IF NEW.pool_id <> v_original.pool_id OR NEW.investor_id <> v_original.investor_id
           OR NEW.kind <> v_original.kind OR NEW.amount <> v_original.amount THEN
            RAISE EXCEPTION USING ERRCODE = 'PKS07',
                MESSAGE = format('a reversal of ledger row %s must have its pool, investor, kind and amount', NEW.reverses_id);
        END IF;
        NEW.pool_id := v_original.pool_id;
        NEW.investor_id := v_original.investor_id;
        NEW.kind := v_original.kind;
        NEW.amount := v_original.amount;
        v_delta := -v_original.amount;
    ELSE
        v_delta := NEW.amount;
    END IF;

    NEW.id := nextval('poolkeeper.transactions_id_seq');
    NEW.occurred_at := coalesce(NEW.occurred_at, now());
    NEW.metadata := coalesce(NEW.metadata, '{}');
    -- One test of every field on the hot path; check_ledger_row says which failed.
    IF NEW.pool_id IS NULL OR NEW.investor_id IS NULL
       OR NEW.kind IS NULL OR NEW.kind NOT IN ('contribution', 'withdrawal', 'distribution', 'fee')
       OR NEW.amount IS NULL OR NOT (NEW.amount > 0 AND NEW.amount < 1e18)
       OR NEW.occurred_at IN ('infinity', '-infinity') OR NEW.occurred_at > now() + interval '5 minutes'
       OR length(NEW.idempotency_key) NOT BETWEEN 1 AND 255
       OR jsonb_typeof(NEW.metadata) <> 'object' OR octet_length(NEW.metadata::text) > 65536 THEN
        PERFORM poolkeeper.check_ledger_row(NEW);
    END IF;
    IF NEW.idempotency_key IS NOT NULL THEN
        PERFORM poolkeeper.lock_idempotency_key(NEW.idempotency_key);
        SELECT id INTO v_used_by FROM poolkeeper.transactions WHERE idempotency_key = NEW.idempotency_key;
        IF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'PKS08',
                MESSAGE = format('idempotency key %L was used for ledger row %s', NEW.idempotency_key, v_used_by);
        END IF;
    END IF;

    -- The investor's totals row first, before any position: locked, and
    -- moved by a contribution's amount (rounded to the position's currency,
    -- as the row's amount is below). Created at the investor's first row; an
    -- unknown investor gets none here and is refused below.
    FOR v_attempt IN 1..2 LOOP
        IF NEW.kind = 'contribution' THEN
            UPDATE poolkeeper.investor_totals
               SET contributed = contributed + round(v_delta, coalesce((SELECT p.minor_units FROM poolkeeper.positions p
                                                                         WHERE p.pool_id = NEW.pool_id AND p.investor_id = NEW.investor_id), 0))
             WHERE investor_id = NEW.investor_id;
        ELSE
            PERFORM 1 FROM poolkeeper.investor_totals WHERE investor_id = NEW.investor_id FOR NO KEY UPDATE;
        END IF;
        EXIT WHEN FOUND;
        EXIT WHEN NOT EXISTS (SELECT 1 FROM poolkeeper.investors WHERE id = NEW.investor_id);
        IF v_attempt = 2 THEN  -- only a snapshot older than a concurrent first row of this investor
            RAISE EXCEPTION USING ERRCODE = '40001',
                MESSAGE = format('the totals of investor %s were created concurrently: retry the transaction', NEW.investor_id);
        END IF;
        INSERT INTO poolkeeper.investor_totals (investor_id) VALUES (NEW.investor_id) ON CONFLICT (investor_id) DO NOTHING;
    END LOOP;

    -- Each UPDATE also returns what the rest of the trigger needs: the
    -- currency and the threshold in force, from the pool's own rule, else the
    -- default; -1 stands for "the pool's own rule has none" (thresholds are
    -- never negative). Two probes cost a post less than one sorted lookup.
    CASE NEW.kind
        WHEN 'contribution' THEN
            UPDATE poolkeeper.positions
               SET contributed = contributed + v_delta, net_invested = net_invested + v_delta
             WHERE pool_id = NEW.pool_id AND investor_id = NEW.investor_id AND is_open AND net_invested + v_delta >= 0
            RETURNING minor_units, currency,
                      nullif(coalesce((SELECT CASE WHEN r.enabled THEN coalesce(r.large_transaction_threshold, -1) ELSE -1 END
                                  FROM poolkeeper.alert_rules r WHERE r.pool_id = NEW.pool_id),
                                (SELECT CASE WHEN d.enabled THEN d.large_transaction_threshold END
                                  FROM poolkeeper.alert_rules d WHERE d.pool_id IS NULL)), -1),
                      contributed
                 INTO v_minor, v_currency, v_threshold, v_contributed;
        WHEN 'withdrawal' THEN
            UPDATE poolkeeper.positions
               SET withdrawn = withdrawn + v_delta, net_invested = net_invested - v_delta
             WHERE pool_id = NEW.pool_id AND investor_id = NEW.investor_id AND is_open AND net_invested - v_delta >= 0
            RETURNING minor_units, currency,
                      nullif(coalesce((SELECT CASE WHEN r.enabled THEN coalesce(r.large_transaction_threshold, -1) ELSE -1 END
                                  FROM poolkeeper.alert_rules r WHERE r.pool_id = NEW.pool_id),
                                (SELECT CASE WHEN d.enabled THEN d.large_transaction_threshold END
                                  FROM poolkeeper.alert_rules d WHERE d.pool_id IS NULL)), -1)
                 INTO v_minor, v_currency, v_threshold;
        WHEN 'fee' THEN
            UPDATE poolkeeper.positions
               SET fees = fees + v_delta, net_invested = net_invested - v_delta
             WHERE pool_id = NEW.pool_id AND investor_id = NEW.investor_id AND is_open AND net_invested - v_delta >= 0
            RETURNING minor_units, currency,
                      nullif(coalesce((SELECT CASE WHEN r.enabled THEN coalesce(r.large_transaction_threshold, -1) ELSE -1 END
                                  FROM poolkeeper.alert_rules r WHERE r.pool_id = NEW.pool_id),
                                (SELECT CASE WHEN d.enabled THEN d.large_transaction_threshold END
                                  FROM poolkeeper.alert_rules d WHERE d.pool_id IS NULL)), -1)
                 INTO v_minor, v_currency, v_threshold;
        ELSE
            UPDATE poolkeeper.positions SET distributed = distributed + v_delta
             WHERE pool_id = NEW.pool_id AND investor_id = NEW.investor_id AND is_open AND distributed + v_delta >= 0
            RETURNING minor_units, currency,
                      nullif(coalesce((SELECT CASE WHEN r.enabled THEN coalesce(r.large_transaction_threshold, -1) ELSE -1 END
                                  FROM poolkeeper.alert_rules r WHERE r.pool_id = NEW.pool_id),
                                (SELECT CASE WHEN d.enabled THEN d.large_transaction_threshold END
                                  FROM poolkeeper.alert_rules d WHERE d.pool_id IS NULL)), -1)
                 INTO v_minor, v_currency, v_threshold;
    END CASE;
    IF NOT FOUND THEN
        PERFORM poolkeeper.ledger_refusal(NEW);
    END IF;
    -- The pool count moves when the position's contributed leaves zero
    -- (= v_delta > 0: it was zero before) or returns to it (a reversal).
    IF NEW.kind = 'contribution' AND (v_contributed = v_delta OR v_contributed = 0) THEN
        UPDATE poolkeeper.investor_totals
           SET pool_count = pool_count + CASE WHEN v_contributed = v_delta THEN 1 ELSE -1 END
         WHERE investor_id = NEW.investor_id;
    END IF;
    -- Taken once the position is locked: later than the commit of whatever
    -- opened or closed the position before this row.
    NEW.recorded_at := clock_timestamp();
    IF NEW.amount <> round(NEW.amount, v_minor) THEN
        PERFORM poolkeeper.checked_amount(NEW.amount, v_minor, 'amount');
    END IF;
    NEW.amount := round(NEW.amount, v_minor);
    NEW.xact_id := pg_current_xact_id();
    -- NULL threshold: alerts off for the pool.
    IF NEW.amount > v_threshold AND NEW.reverses_id IS NULL THEN
        PERFORM poolkeeper.raise_large_transaction_alert(NEW, v_threshold, v_currency);
    END IF;
    RETURN NEW;
END;
$$;


-- investor_totals change only through the ledger trigger (depth 1).
CREATE TRIGGER investor_totals_ledger_only
    BEFORE INSERT OR UPDATE ON poolkeeper.investor_totals
    FOR EACH ROW
    WHEN (pg_catalog.pg_trigger_depth() = 0)
    EXECUTE FUNCTION poolkeeper.reject_ledger_change('investor totals change only with the ledger; post a transaction or a reversal instead');
CREATE TRIGGER investor_totals_no_delete
    BEFORE DELETE ON poolkeeper.investor_totals
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('investor totals change only with the ledger; post a transaction or a reversal instead');
CREATE TRIGGER investor_totals_no_truncate
    BEFORE TRUNCATE ON poolkeeper.investor_totals
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('investor totals change only with the ledger; post a transaction or a reversal instead');

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
-- contributed.
CREATE OR REPLACE FUNCTION poolkeeper.verify()
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
$$;

-- checked_period: raises PKA01 unless the period [p_from, p_to) is non-empty.
-- Either end may be NULL, for a period open on that side.
CREATE FUNCTION poolkeeper.checked_period(p_from timestamptz, p_to timestamptz)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_from >= p_to THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('the period from %s to %s is empty: from must be before to', p_from, p_to);
    END IF;
END;
$$;

-- pool_summary: one row per pool: its manager and currency; its current
-- members and the sum of their commitments; the totals of all its positions
-- (net of reversals, in the pool's currency; net_invested is contributed -
-- withdrawn - fees); and its last activity, the latest occurred_at of its
-- ledger rows (NULL before the first). Filter it by pool_id or manager_id:
-- each row costs a few index probes, whatever the size of the ledger.
CREATE VIEW poolkeeper.pool_summary AS
SELECT p.id AS pool_id, p.name AS pool_name, p.manager_id, m.name AS manager_name, p.currency, p.status,
       mb.members, mb.committed,
       s.contributed, s.withdrawn, s.distributed, s.fees, s.net_invested,
       la.last_activity_at
  FROM poolkeeper.pools p
  JOIN poolkeeper.managers m ON m.id = p.manager_id
 CROSS JOIN LATERAL (SELECT count(*) AS members, coalesce(sum(ms.commitment), 0) AS committed
                       FROM poolkeeper.memberships ms
                      WHERE ms.pool_id = p.id AND ms.left_at IS NULL) mb
 CROSS JOIN LATERAL (SELECT coalesce(sum(ps.contributed), 0)::numeric AS contributed,
                            coalesce(sum(ps.withdrawn), 0)::numeric AS withdrawn,
                            coalesce(sum(ps.distributed), 0)::numeric AS distributed,
                            coalesce(sum(ps.fees), 0)::numeric AS fees,
                            coalesce(sum(ps.net_invested), 0)::numeric AS net_invested
                       FROM poolkeeper.positions ps
                      WHERE ps.pool_id = p.id) s
 CROSS JOIN LATERAL (SELECT max(t.occurred_at) AS last_activity_at
                       FROM poolkeeper.transactions t
                      WHERE t.pool_id = p.id) la;

-- top_investors: the p_limit investors (1 to 10000, PKA01 otherwise) who
-- contributed to the most distinct pools, then by total contributed, then by
-- investor_id. A reversed contribution counts as if it had never been made,
-- whenever it was reversed. Amounts are summed as numbers across currencies.
--
-- With no period this reads investor_totals' index: its cost does not grow
-- with the ledger. With a period [p_from, p_to) of occurred_at (either end
-- may be NULL; PKA01 if empty) it aggregates the contributions of that
-- period, through the BRIN index on occurred_at: its cost grows with the
-- rows in the period.
CREATE FUNCTION poolkeeper.top_investors(p_limit integer DEFAULT 5, p_from timestamptz DEFAULT NULL,
                                         p_to timestamptz DEFAULT NULL)
RETURNS TABLE (investor_id bigint, investor_name text, pool_count bigint, total_invested numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_limit(p_limit);
    PERFORM poolkeeper.checked_period(p_from, p_to);
    IF p_from IS NULL AND p_to IS NULL THEN
        RETURN QUERY
        SELECT t.investor_id, i.name, t.pool_count, t.contributed::numeric
          FROM poolkeeper.investor_totals t
          JOIN poolkeeper.investors i ON i.id = t.investor_id
         WHERE t.pool_count > 0
         ORDER BY t.pool_count DESC, t.contributed DESC, t.investor_id
         LIMIT p_limit;
    ELSE
        RETURN QUERY
        SELECT c.investor_id, i.name, c.pool_count, c.total
          FROM (SELECT t.investor_id, count(DISTINCT t.pool_id) AS pool_count, sum(t.amount) AS total
                  FROM poolkeeper.transactions t
                 WHERE t.kind = 'contribution' AND t.reverses_id IS NULL
                   AND t.occurred_at >= coalesce(p_from, '-infinity') AND t.occurred_at < coalesce(p_to, 'infinity')
                   AND NOT EXISTS (SELECT 1 FROM poolkeeper.transactions r WHERE r.reverses_id = t.id)
                 GROUP BY t.investor_id) c
          JOIN poolkeeper.investors i ON i.id = c.investor_id
         ORDER BY c.pool_count DESC, c.total DESC, c.investor_id
         LIMIT p_limit;
    END IF;
END;
$$;

-- investor_statement: investor p_investor_id's account in each pool for the
-- period [p_from, p_to) of occurred_at (either end may be NULL, for the
-- beginning of the ledger or now): the balance (net_invested: contributed -
-- withdrawn - fees) before the period, the period's contributions,
-- withdrawals, distributions and fees, and the balance after it. A reversal
-- counts against its kind when it occurred, so that opening + contributed -
-- withdrawn - fees = closing, and the closing balance with no p_to is the
-- position's net_invested. Amounts are in each pool's currency. One row per
-- pool with ledger rows before p_to, by pool_id. PKA01 for a NULL id or an
-- empty period; PKN02 if the investor does not exist.
CREATE FUNCTION poolkeeper.investor_statement(p_investor_id bigint, p_from timestamptz DEFAULT NULL,
                                              p_to timestamptz DEFAULT NULL)
RETURNS TABLE (pool_id bigint, pool_name text, currency text, opening_balance numeric, contributed numeric,
               withdrawn numeric, distributed numeric, fees numeric, closing_balance numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_period(p_from, p_to);
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.investors WHERE id = poolkeeper.checked_id(p_investor_id, 'investor_id')) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN02', MESSAGE = format('investor %s does not exist', p_investor_id);
    END IF;
    RETURN QUERY
    WITH signed AS (
        SELECT t.pool_id, t.kind, t.occurred_at >= coalesce(p_from, '-infinity') AS in_period,
               CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END AS amount
          FROM poolkeeper.transactions t
         WHERE t.investor_id = p_investor_id AND t.occurred_at < coalesce(p_to, 'infinity')
    ), per_pool AS (
        SELECT s.pool_id,
               coalesce(sum(CASE s.kind WHEN 'contribution' THEN s.amount WHEN 'distribution' THEN 0 ELSE -s.amount END)
                        FILTER (WHERE NOT s.in_period), 0) AS opening,
               coalesce(sum(s.amount) FILTER (WHERE s.in_period AND s.kind = 'contribution'), 0) AS contributed,
               coalesce(sum(s.amount) FILTER (WHERE s.in_period AND s.kind = 'withdrawal'), 0) AS withdrawn,
               coalesce(sum(s.amount) FILTER (WHERE s.in_period AND s.kind = 'distribution'), 0) AS distributed,
               coalesce(sum(s.amount) FILTER (WHERE s.in_period AND s.kind = 'fee'), 0) AS fees
          FROM signed s
         GROUP BY s.pool_id
    )
    SELECT pp.pool_id, p.name, p.currency, pp.opening, pp.contributed, pp.withdrawn, pp.distributed, pp.fees,
           pp.opening + pp.contributed - pp.withdrawn - pp.fees
      FROM per_pool pp
      JOIN poolkeeper.pools p ON p.id = pp.pool_id
     ORDER BY pp.pool_id;
END;
$$;

-- pool_activity: the ledger of pool p_pool_id (every pool when NULL) per
-- p_bucket ('day', 'week' or 'month', cut in the session's TimeZone) of
-- occurred_at, over the period [p_from, p_to) (either end may be NULL).
-- Per pool and bucket that has rows: the number of rows (reversals
-- included) and of reversals, the amount of each kind net of the reversals
-- that occurred in the bucket, and net_flow, the change in net_invested
-- (contributions - withdrawals - fees). Ordered by pool_id and bucket.
-- PKA01 for another bucket or an empty period; PKN01 if the pool does not
-- exist.
CREATE FUNCTION poolkeeper.pool_activity(p_pool_id bigint, p_bucket text DEFAULT 'day',
                                         p_from timestamptz DEFAULT NULL, p_to timestamptz DEFAULT NULL)
RETURNS TABLE (pool_id bigint, bucket_start timestamptz, transactions bigint, reversals bigint,
               contributions numeric, withdrawals numeric, distributions numeric, fees numeric, net_flow numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_bucket IS NULL OR p_bucket NOT IN ('day', 'week', 'month') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('bucket %s is not day, week or month', coalesce(quote_literal(p_bucket), 'NULL'));
    END IF;
    PERFORM poolkeeper.checked_period(p_from, p_to);
    IF p_pool_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    RETURN QUERY
    WITH signed AS (
        SELECT t.pool_id, date_trunc(p_bucket, t.occurred_at) AS bucket_start, t.kind, t.reverses_id IS NOT NULL AS reversal,
               CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END AS amount
          FROM poolkeeper.transactions t
         WHERE (p_pool_id IS NULL OR t.pool_id = p_pool_id)
           AND t.occurred_at >= coalesce(p_from, '-infinity') AND t.occurred_at < coalesce(p_to, 'infinity')
    )
    SELECT s.pool_id, s.bucket_start, count(*), count(*) FILTER (WHERE s.reversal),
           coalesce(sum(s.amount) FILTER (WHERE s.kind = 'contribution'), 0),
           coalesce(sum(s.amount) FILTER (WHERE s.kind = 'withdrawal'), 0),
           coalesce(sum(s.amount) FILTER (WHERE s.kind = 'distribution'), 0),
           coalesce(sum(s.amount) FILTER (WHERE s.kind = 'fee'), 0),
           coalesce(sum(CASE s.kind WHEN 'contribution' THEN s.amount WHEN 'distribution' THEN 0 ELSE -s.amount END), 0)
      FROM signed s
     GROUP BY s.pool_id, s.bucket_start
     ORDER BY s.pool_id, s.bucket_start;
END;
$$;

-- alert_history: the latest p_limit alerts (1 to 10000), newest first, of
-- pool p_pool_id and kind p_kind ('large_transaction' or 'spike') raised in
-- [p_from, p_to); a NULL filter matches everything. PKA01 for another kind,
-- a limit out of range or an empty period; PKN01 if the pool does not exist.
-- Each row has the alert's dedupe key.
CREATE FUNCTION poolkeeper.alert_history(p_pool_id bigint DEFAULT NULL, p_kind text DEFAULT NULL,
                                         p_from timestamptz DEFAULT NULL, p_to timestamptz DEFAULT NULL,
                                         p_limit integer DEFAULT 100)
RETURNS TABLE (alert_id bigint, kind text, pool_id bigint, pool_name text, transaction_id bigint,
               raised_at timestamptz, details jsonb, dedupe_key text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_kind NOT IN ('large_transaction', 'spike') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('alert kind %L is not large_transaction or spike', p_kind);
    END IF;
    PERFORM poolkeeper.checked_limit(p_limit);
    PERFORM poolkeeper.checked_period(p_from, p_to);
    IF p_pool_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    RETURN QUERY
    SELECT a.id, a.kind, a.pool_id, p.name, a.transaction_id, a.raised_at, a.details, a.dedupe_key
      FROM poolkeeper.alerts a
      JOIN poolkeeper.pools p ON p.id = a.pool_id
     WHERE (p_pool_id IS NULL OR a.pool_id = p_pool_id)
       AND (p_kind IS NULL OR a.kind = p_kind)
       AND a.raised_at >= coalesce(p_from, '-infinity') AND a.raised_at < coalesce(p_to, 'infinity')
     ORDER BY a.raised_at DESC, a.id DESC
     LIMIT p_limit;
END;
$$;

SELECT pg_catalog.pg_extension_config_dump('poolkeeper.investor_totals', '');
