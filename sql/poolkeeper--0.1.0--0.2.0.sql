-- poolkeeper 0.1.0 -> 0.2.0. Assembled from the 0.2.0 sources when 0.2.0 was released, and frozen
-- since: never edit it. sql/test/upgrade.sh checks that it gives what a fresh 0.2.0 install gives.
\echo Use "ALTER EXTENSION poolkeeper UPDATE TO '0.2.0'" to load this file. \quit

-- 0.1.0 -> 0.2.0: tables
-- 0.1.0 -> 0.2.0, tables: alert rules and the alert log, the feed's xact_id,
-- positions' totals as a domain (no per-statement CHECK constraints), and
-- the currency's minor units copied into positions.
INSERT INTO poolkeeper.error_codes (sqlstate, name, meaning) VALUES
    ('PKA06', 'invalid_cursor',        'the feed cursor is malformed or belongs to the other feed'),
    ('PKS11', 'feed_after_write',      'the feed cannot be read in a transaction that has already written or locked rows');
UPDATE poolkeeper.error_codes
   SET meaning = 'ledger rows and positions are never updated or deleted directly (post a reversal), and neither are alerts'
 WHERE sqlstate = 'PKS09';

CREATE DOMAIN poolkeeper.nonnegative_total AS numeric
    CHECK (VALUE >= 0);

-- The old guard compares every total in its WHEN clause on each post.
DROP TRIGGER positions_ledger_only ON poolkeeper.positions;
ALTER TABLE poolkeeper.positions
    DROP CONSTRAINT positions_contributed_check,
    DROP CONSTRAINT positions_withdrawn_check,
    DROP CONSTRAINT positions_distributed_check,
    DROP CONSTRAINT positions_fees_check,
    DROP CONSTRAINT positions_net_invested_check,
    ALTER COLUMN net_invested DROP EXPRESSION;
ALTER TABLE poolkeeper.positions
    ALTER COLUMN contributed TYPE poolkeeper.nonnegative_total,
    ALTER COLUMN withdrawn TYPE poolkeeper.nonnegative_total,
    ALTER COLUMN distributed TYPE poolkeeper.nonnegative_total,
    ALTER COLUMN fees TYPE poolkeeper.nonnegative_total,
    ALTER COLUMN net_invested TYPE poolkeeper.nonnegative_total,
    ALTER COLUMN net_invested SET DEFAULT 0,
    ALTER COLUMN net_invested SET NOT NULL,
    ADD COLUMN minor_units smallint;
UPDATE poolkeeper.positions p SET minor_units = c.minor_units
  FROM poolkeeper.currencies c WHERE c.code = p.currency;
ALTER TABLE poolkeeper.positions ALTER COLUMN minor_units SET NOT NULL;

-- Rows written before the feed existed count as one old transaction.
ALTER TABLE poolkeeper.transactions
    DROP CONSTRAINT transactions_kind_check,
    DROP CONSTRAINT transactions_amount_check,
    DROP CONSTRAINT transactions_idempotency_key_check,
    DROP CONSTRAINT transactions_metadata_check,
    ADD COLUMN xact_id xid8 NOT NULL DEFAULT '3';
ALTER TABLE poolkeeper.transactions ALTER COLUMN xact_id DROP DEFAULT;
CREATE INDEX transactions_feed ON poolkeeper.transactions (xact_id, id);

-- src/tables/alert_rules.sql
-- When to alert, per pool: one optional row per pool, plus the default row
-- (pool_id NULL) that applies to every pool without a row of its own. With
-- no default row, pools without their own row use the column defaults below
-- (no large-transaction alerts). Write rows with set_alert_rule and
-- drop_alert_rule; effective_alert_rules shows the rule in force per pool.
--   large_transaction_threshold  a ledger row (not a reversal) whose amount
--                                is above it raises a large_transaction
--                                alert; NULL turns that off
--   spike_*                      the spike detector's windows, factor and
--                                minimum count (see docs/alerts.md)
--   enabled                      false turns every alert of the rule off
-- Windows are whole seconds from 1 second to 1 day.
CREATE TABLE poolkeeper.alert_rules (
    pool_id                     bigint REFERENCES poolkeeper.pools (id),
    large_transaction_threshold numeric
        CHECK (large_transaction_threshold >= 0 AND large_transaction_threshold < 'Infinity'),
    spike_short_window          interval NOT NULL DEFAULT '1 minute',
    spike_baseline_window       interval NOT NULL DEFAULT '1 hour',
    spike_factor                numeric NOT NULL DEFAULT 10
        CHECK (spike_factor > 1 AND spike_factor <= 1000000),
    spike_min_count             integer NOT NULL DEFAULT 5
        CHECK (spike_min_count BETWEEN 1 AND 1000000),
    enabled                     boolean NOT NULL DEFAULT true,
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (pool_id),
    CHECK (spike_short_window BETWEEN '1 second' AND '1 day'
           AND spike_short_window = date_trunc('second', spike_short_window)
           AND date_part('month', spike_short_window) = 0 AND date_part('year', spike_short_window) = 0),
    CHECK (spike_baseline_window BETWEEN '1 second' AND '1 day'
           AND spike_baseline_window = date_trunc('second', spike_baseline_window)
           AND date_part('month', spike_baseline_window) = 0 AND date_part('year', spike_baseline_window) = 0)
);

-- src/tables/alerts.sql
-- The alert log: every alert ever raised, one row each, append-only like
-- the ledger (alerts_append_only).
-- kind is large_transaction (raised by the ledger trigger, in the same
-- database transaction as the row) or spike (raised by a spike monitor
-- through raise_alert). dedupe_key is unique: raising an alert twice under
-- one key keeps the first. details holds amounts as JSON strings, so that no
-- client reads them as floating point. Each new row is announced on channel
-- poolkeeper_alerts at commit (alerts_notify), and alerts_after hands out
-- every committed row exactly once, in (xact_id, id) order, like the ledger
-- feed.
CREATE TABLE poolkeeper.alerts (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('large_transaction', 'spike')),
    pool_id        bigint NOT NULL REFERENCES poolkeeper.pools (id),
    -- No foreign key: a large_transaction alert is written by its ledger
    -- row's BEFORE INSERT trigger, before the row exists, and ledger rows are
    -- never deleted. raise_alert checks the row; verify() checks them all.
    transaction_id bigint,
    details        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    raised_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    dedupe_key     text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 255),
    xact_id        xid8 NOT NULL  -- set by alerts_before_insert
);

CREATE INDEX alerts_feed ON poolkeeper.alerts (xact_id, id);
CREATE INDEX alerts_pool_raised_at ON poolkeeper.alerts (pool_id, raised_at);
CREATE INDEX alerts_transaction_id ON poolkeeper.alerts (transaction_id) WHERE transaction_id IS NOT NULL;

-- src/tables/dump_config.sql (new tables)
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alert_rules', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alerts_id_seq', '');

-- src/views/effective_alert_rules.sql
-- effective_alert_rules: the alert rule in force for every pool, and where it
-- comes from: the pool's own row ('pool'), the default row ('default'), or
-- the column defaults of alert_rules when there is neither ('built-in').
-- alert_threshold is the threshold that applies: NULL when the rule has none
-- or is disabled.
CREATE VIEW poolkeeper.effective_alert_rules AS
SELECT p.id AS pool_id,
       CASE WHEN own.pool_id IS NOT NULL THEN 'pool'
            WHEN dflt.enabled IS NOT NULL THEN 'default'
            ELSE 'built-in' END AS source,
       coalesce(own.enabled, dflt.enabled, true) AS enabled,
       CASE WHEN own.pool_id IS NOT NULL THEN own.large_transaction_threshold
            ELSE dflt.large_transaction_threshold END AS large_transaction_threshold,
       coalesce(own.spike_short_window, dflt.spike_short_window, interval '1 minute') AS spike_short_window,
       coalesce(own.spike_baseline_window, dflt.spike_baseline_window, interval '1 hour') AS spike_baseline_window,
       coalesce(own.spike_factor, dflt.spike_factor, 10::numeric) AS spike_factor,
       coalesce(own.spike_min_count, dflt.spike_min_count, 5) AS spike_min_count,
       CASE WHEN coalesce(own.enabled, dflt.enabled, true)
            THEN CASE WHEN own.pool_id IS NOT NULL THEN own.large_transaction_threshold
                      ELSE dflt.large_transaction_threshold END END AS alert_threshold
  FROM poolkeeper.pools p
  LEFT JOIN poolkeeper.alert_rules own ON own.pool_id = p.id
  LEFT JOIN poolkeeper.alert_rules dflt ON dflt.pool_id IS NULL;

-- src/functions/checked_window.sql
-- checked_window: p_window when it is a whole number of seconds from 1 second
-- to 1 day, with no month or year part; PKA01 naming p_what otherwise.
CREATE OR REPLACE FUNCTION poolkeeper.checked_window(p_window interval, p_what text)
RETURNS interval
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_window IS NULL OR p_window < interval '1 second' OR p_window > interval '1 day'
       OR p_window <> date_trunc('second', p_window)
       OR date_part('month', p_window) <> 0 OR date_part('year', p_window) <> 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('%s %s is not a whole number of seconds from 1 second to 1 day',
                             p_what, coalesce(p_window::text, 'NULL'));
    END IF;
    RETURN p_window;
END;
$$;

-- src/functions/checked_limit.sql
-- checked_limit: p_limit when it is from 1 to 10000, PKA01 otherwise.
CREATE OR REPLACE FUNCTION poolkeeper.checked_limit(p_limit integer)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('limit %s is not from 1 to 10000', coalesce(p_limit::text, 'NULL'));
    END IF;
    RETURN p_limit;
END;
$$;

-- src/functions/add_investor.sql
-- add_investor: makes p_investor_id a current member of open pool p_pool_id,
-- with an optional commitment in the pool's currency, and opens (or reopens)
-- the investor's position there. PKS03 if already a member.
CREATE OR REPLACE FUNCTION poolkeeper.add_investor(p_pool_id bigint, p_investor_id bigint, p_commitment numeric DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor      smallint := poolkeeper.locked_open_pool(p_pool_id);
    v_commitment numeric;
    v_zero       numeric := round(0::numeric, v_minor);
BEGIN
    PERFORM poolkeeper.checked_id(p_investor_id, 'investor_id');
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.investors WHERE id = p_investor_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN02', MESSAGE = format('investor %s does not exist', p_investor_id);
    END IF;
    IF p_commitment IS NOT NULL THEN
        v_commitment := poolkeeper.checked_amount(p_commitment, v_minor, 'commitment');
    END IF;
    IF EXISTS (SELECT 1 FROM poolkeeper.memberships
                WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND left_at IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS03',
            MESSAGE = format('investor %s is already a member of pool %s', p_investor_id, p_pool_id);
    END IF;
    INSERT INTO poolkeeper.memberships (pool_id, investor_id, commitment)
    VALUES (p_pool_id, p_investor_id, v_commitment);
    -- Totals start at the currency's scale, so sums display as 100.00, not 100.
    INSERT INTO poolkeeper.positions
           (pool_id, investor_id, currency, contributed, withdrawn, distributed, fees, net_invested, minor_units)
    SELECT p_pool_id, p_investor_id, currency, v_zero, v_zero, v_zero, v_zero, v_zero, v_minor
      FROM poolkeeper.pools WHERE id = p_pool_id
    ON CONFLICT (pool_id, investor_id) DO UPDATE SET is_open = true;
END;
$$;

-- src/triggers/raise_large_transaction_alert.sql
-- raise_large_transaction_alert: the large_transaction alert of ledger row
-- p_row, whose amount is above p_threshold, raised by ledger_before_insert in
-- the row's own database transaction: if the row is rolled back, so is the
-- alert, and nothing is announced. Amounts go into details as strings.
CREATE OR REPLACE FUNCTION poolkeeper.raise_large_transaction_alert(p_row poolkeeper.transactions, p_threshold numeric, p_currency text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO poolkeeper.alerts (kind, pool_id, transaction_id, details, raised_at, dedupe_key)
    VALUES ('large_transaction', p_row.pool_id, p_row.id,
            jsonb_build_object('investor_id', p_row.investor_id, 'transaction_kind', p_row.kind,
                               'amount', p_row.amount::text, 'threshold', p_threshold::text,
                               'currency', p_currency),
            p_row.recorded_at, 'large_transaction:' || p_row.id);
END;
$$;

-- src/triggers/ledger_before_insert.sql (function)
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
                                  FROM poolkeeper.alert_rules d WHERE d.pool_id IS NULL)), -1)
                 INTO v_minor, v_currency, v_threshold;
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

-- src/triggers/immutable_ledger.sql (functions)
-- reject_ledger_change: ledger rows are never updated, deleted or truncated,
-- by anyone; corrections are reversals. A position's totals change only
-- through the ledger trigger (trigger depth 1), never by a direct write
-- (depth 0); add_investor, remove_investor and close_pool change only is_open.
-- The trigger's first argument, if any, replaces the reason in the message.
CREATE OR REPLACE FUNCTION poolkeeper.reject_ledger_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PKS09',
        MESSAGE = format('%s on poolkeeper.%s is not allowed: %s', TG_OP, TG_TABLE_NAME,
                         coalesce(TG_ARGV[0], 'the ledger is append-only; post a reversal instead'));
END;
$$;

-- src/triggers/immutable_ledger.sql (guard_position_update)
-- guard_position_update: a direct UPDATE of positions (trigger depth 0) may
-- change is_open only; the totals, identity, currency and minor units change
-- only through the ledger trigger.
CREATE FUNCTION poolkeeper.guard_position_update()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (OLD.pool_id, OLD.investor_id, OLD.currency, OLD.minor_units,
        OLD.contributed, OLD.withdrawn, OLD.distributed, OLD.fees, OLD.net_invested)
       IS DISTINCT FROM
       (NEW.pool_id, NEW.investor_id, NEW.currency, NEW.minor_units,
        NEW.contributed, NEW.withdrawn, NEW.distributed, NEW.fees, NEW.net_invested) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS09',
            MESSAGE = 'UPDATE of the totals of poolkeeper.positions is not allowed: they change only with the ledger; post a transaction or a reversal instead';
    END IF;
    RETURN NEW;
END;
$$;

-- The WHEN clause is all a post pays for this guard (the trigger's own
-- UPDATE runs at depth 1), so it stays this small.
CREATE TRIGGER positions_ledger_only
    BEFORE UPDATE ON poolkeeper.positions
    FOR EACH ROW
    WHEN (pg_catalog.pg_trigger_depth() = 0)
    EXECUTE FUNCTION poolkeeper.guard_position_update();

-- src/functions/verify.sql
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
-- ledger row names one of its pool.
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
$$;

-- src/triggers/alerts_insert.sql
-- alerts_before_insert: every new alert gets the id of the database
-- transaction that writes it, for alerts_after, whatever the writer sends.
CREATE FUNCTION poolkeeper.alerts_before_insert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.xact_id := pg_current_xact_id();
    RETURN NEW;
END;
$$;

CREATE TRIGGER alerts_before_insert
    BEFORE INSERT ON poolkeeper.alerts
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.alerts_before_insert();

-- alerts_notify: announces each new alert on channel poolkeeper_alerts. The
-- notification is sent when the transaction commits, and never if it rolls
-- back. Payload, version 1 (docs/alerts.md): a JSON object with version,
-- alert_id, kind, pool_id, raised_at and, when the alert has one,
-- transaction_id. PostgreSQL cannot PREPARE a transaction that notified: a
-- session that uses two-phase commit sets poolkeeper.notify_alerts to off,
-- and its alerts reach listeners through alerts_after only.
CREATE FUNCTION poolkeeper.alerts_notify()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Any spelling of a boolean; anything else fails here, not at PREPARE.
    IF NOT coalesce(nullif(current_setting('poolkeeper.notify_alerts', true), '')::boolean, true) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('poolkeeper_alerts',
        json_strip_nulls(json_build_object(
            'version', 1, 'alert_id', NEW.id, 'kind', NEW.kind, 'pool_id', NEW.pool_id,
            'transaction_id', NEW.transaction_id, 'raised_at', NEW.raised_at))::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER alerts_notify
    AFTER INSERT ON poolkeeper.alerts
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.alerts_notify();

-- The alert log is append-only, for every role.
CREATE TRIGGER alerts_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.alerts
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('the alert log is append-only');
CREATE TRIGGER alerts_no_truncate
    BEFORE TRUNCATE ON poolkeeper.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('the alert log is append-only');

-- src/functions/set_alert_rule.sql
-- set_alert_rule: sets the alert rule of pool p_pool_id, or the default rule
-- for pools without their own when p_pool_id is NULL, replacing what was
-- there. Every argument is checked first (PKA01 says which is wrong; PKN01
-- for an unknown pool): the threshold is NULL (off) or a finite number >= 0,
-- the windows whole seconds from 1 second to 1 day, the factor above 1 and
-- at most 10^6, the minimum count from 1 to 10^6. Positions pick up the new
-- threshold in the same database transaction (alert_rules_changed).
CREATE FUNCTION poolkeeper.set_alert_rule(
    p_pool_id bigint,
    p_large_transaction_threshold numeric DEFAULT NULL,
    p_spike_short_window interval DEFAULT '1 minute',
    p_spike_baseline_window interval DEFAULT '1 hour',
    p_spike_factor numeric DEFAULT 10,
    p_spike_min_count integer DEFAULT 5,
    p_enabled boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_pool_id IS NOT NULL THEN
        PERFORM poolkeeper.checked_id(p_pool_id, 'pool_id');
        IF NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
        END IF;
    END IF;
    IF p_large_transaction_threshold IN ('NaN', 'Infinity', '-Infinity') OR p_large_transaction_threshold < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('large_transaction_threshold %s is not NULL or a finite amount of at least 0',
                             p_large_transaction_threshold);
    END IF;
    PERFORM poolkeeper.checked_window(p_spike_short_window, 'spike_short_window');
    PERFORM poolkeeper.checked_window(p_spike_baseline_window, 'spike_baseline_window');
    IF p_spike_factor IS NULL OR p_spike_factor IN ('NaN', 'Infinity') OR p_spike_factor <= 1 OR p_spike_factor > 1000000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('spike_factor %s is not above 1 and at most 1000000', coalesce(p_spike_factor::text, 'NULL'));
    END IF;
    IF p_spike_min_count IS NULL OR p_spike_min_count NOT BETWEEN 1 AND 1000000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('spike_min_count %s is not from 1 to 1000000', coalesce(p_spike_min_count::text, 'NULL'));
    END IF;
    IF p_enabled IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'enabled must not be NULL';
    END IF;

    INSERT INTO poolkeeper.alert_rules AS r
           (pool_id, large_transaction_threshold, spike_short_window, spike_baseline_window,
            spike_factor, spike_min_count, enabled, updated_at)
    VALUES (p_pool_id, p_large_transaction_threshold, p_spike_short_window, p_spike_baseline_window,
            p_spike_factor, p_spike_min_count, p_enabled, now())
    ON CONFLICT (pool_id) DO UPDATE
       SET large_transaction_threshold = excluded.large_transaction_threshold,
           spike_short_window = excluded.spike_short_window,
           spike_baseline_window = excluded.spike_baseline_window,
           spike_factor = excluded.spike_factor,
           spike_min_count = excluded.spike_min_count,
           enabled = excluded.enabled,
           updated_at = excluded.updated_at;
END;
$$;

-- src/functions/drop_alert_rule.sql
-- drop_alert_rule: removes pool p_pool_id's own alert rule, so that the
-- default applies to it again, or the default rule when p_pool_id is NULL,
-- so that the built-in defaults apply. Returns whether there was a rule.
CREATE FUNCTION poolkeeper.drop_alert_rule(p_pool_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM poolkeeper.alert_rules WHERE pool_id IS NOT DISTINCT FROM p_pool_id;
    RETURN FOUND;
END;
$$;

-- src/functions/raise_alert.sql
-- raise_alert: records an alert of kind p_kind ('large_transaction' or
-- 'spike') for pool p_pool_id, for spike monitors and other producers, and
-- returns its id; the alert is announced on poolkeeper_alerts at commit.
-- Returns NULL, and announces nothing, when an alert with p_dedupe_key
-- exists: of two sessions racing with one key, the second waits for the
-- first and gets NULL if it commits. p_details is a JSON object of at most
-- 8 kB; p_transaction_id, if given, is a ledger row of that pool. Keys that
-- start with 'large_transaction:' are the ledger trigger's own.
-- PKA01 for a bad argument, PKN01 for an unknown pool, PKN04 for an unknown
-- ledger row.
CREATE FUNCTION poolkeeper.raise_alert(
    p_kind text, p_pool_id bigint, p_details jsonb, p_dedupe_key text, p_transaction_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id        bigint;
    v_ledger_pool bigint;
BEGIN
    IF p_kind IS NULL OR p_kind NOT IN ('large_transaction', 'spike') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('alert kind %L is not large_transaction or spike', p_kind);
    END IF;
    PERFORM poolkeeper.checked_id(p_pool_id, 'pool_id');
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    IF p_details IS NULL OR jsonb_typeof(p_details) <> 'object' OR octet_length(p_details::text) > 8192 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'details must be a JSON object of at most 8 kB';
    END IF;
    IF p_dedupe_key IS NULL OR length(p_dedupe_key) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'dedupe_key must be 1 to 255 characters long';
    END IF;
    IF starts_with(p_dedupe_key, 'large_transaction:') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('dedupe_key %L is reserved: keys that start with large_transaction: belong to the ledger trigger', p_dedupe_key);
    END IF;
    IF p_transaction_id IS NOT NULL THEN
        SELECT pool_id INTO v_ledger_pool FROM poolkeeper.transactions WHERE id = p_transaction_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN04', MESSAGE = format('ledger row %s does not exist', p_transaction_id);
        END IF;
        IF v_ledger_pool <> p_pool_id THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('ledger row %s belongs to pool %s, not pool %s', p_transaction_id, v_ledger_pool, p_pool_id);
        END IF;
    END IF;
    INSERT INTO poolkeeper.alerts (kind, pool_id, transaction_id, details, dedupe_key)
    VALUES (p_kind, p_pool_id, p_transaction_id, p_details, p_dedupe_key)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;

-- src/functions/check_feed_reader.sql
-- check_feed_reader: refuses to read the feeds where the snapshot cannot be
-- trusted: on a standby (0A000), whose snapshots do not list the primary's
-- transactions in progress, and in a transaction that already has a
-- transaction id (PKS11: it wrote, or locked rows), which its own snapshot
-- leaves out, so that its rows could look committed before they are. Read
-- first, then lock or write. p_what names the caller.
CREATE FUNCTION poolkeeper.check_feed_reader(p_what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS11',
            MESSAGE = format('%s cannot read the feed in a transaction that has written or locked rows; read it first, or in a transaction of its own', p_what);
    END IF;
    IF pg_is_in_recovery() THEN
        RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE = format('%s reads the feed on the primary only, not on a standby', p_what);
    END IF;
END;
$$;

-- src/functions/feed_cursor.sql
-- feed_cursor: a cursor for transactions_after and alerts_after that starts
-- now: it skips everything committed so far and hands out everything that
-- commits after. (A NULL cursor starts at the beginning of the feed.)
-- A cursor is opaque text; see docs/feed.md for what it holds. Refused
-- (PKS11) in a transaction that has written or locked rows, whose own rows
-- would count as committed before the cursor.
CREATE FUNCTION poolkeeper.feed_cursor()
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.check_feed_reader('feed_cursor');
    RETURN format('v1;;%s;;0;0', pg_current_snapshot());
END;
$$;

-- src/functions/feed_windows.sql
-- feed_windows: where a read of feed p_feed ('transactions' or 'alerts')
-- from p_cursor looks, in order: one or two windows (lower, upper], each the
-- rows whose database transaction is visible in snapshot upper and not in
-- snapshot lower, read in (xact_id, id) order after (after_xact, after_id),
-- which is never below lower's xmin.
-- A cursor pins the window it is in, so paging through it is stable; once
-- that is done, the next window runs from its upper snapshot to the current
-- one. Every committed row is in exactly one window of a cursor's chain, so
-- a reader that follows the cursors sees it exactly once, even when a lower
-- xact_id commits after a higher one. A NULL cursor starts before every row.
-- PKA06 for a malformed cursor or one of the other feed; 40001 when the
-- caller's snapshot is older than the cursor; and check_feed_reader's
-- refusals.
CREATE FUNCTION poolkeeper.feed_windows(p_cursor text, p_feed text)
RETURNS TABLE (ordinal integer, lower pg_snapshot, upper pg_snapshot, after_xact xid8, after_id bigint)
LANGUAGE plpgsql STABLE
ROWS 2
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_parts text[];
    v_now   pg_snapshot := pg_current_snapshot();
    v_ref   pg_snapshot;
BEGIN
    PERFORM poolkeeper.check_feed_reader(p_feed || '_after');
    IF p_cursor IS NULL THEN
        RETURN QUERY SELECT 1, '1:1:'::pg_snapshot, v_now, '1'::xid8, -1::bigint;
        RETURN;
    END IF;
    v_parts := string_to_array(p_cursor, ';');
    IF cardinality(v_parts) <> 6 OR v_parts[1] <> 'v1' OR v_parts[2] NOT IN ('', p_feed)
       OR v_parts[5] !~ '^[0-9]{1,20}$' OR v_parts[6] !~ '^[0-9]{1,19}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA06',
            MESSAGE = format('%L is not a cursor of the %s feed', left(p_cursor, 100), p_feed);
    END IF;
    BEGIN
        lower := v_parts[3]::pg_snapshot;
        upper := nullif(v_parts[4], '')::pg_snapshot;
        after_xact := v_parts[5]::xid8;
        after_id := v_parts[6]::bigint;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA06',
            MESSAGE = format('%L is not a cursor of the %s feed', left(p_cursor, 100), p_feed);
    END;
    -- The cursor's newest snapshot must be part of this call's: a reader
    -- whose snapshot is older (REPEATABLE READ, or a cursor from a newer
    -- session) would otherwise file rows it cannot see yet under a window
    -- that is already past.
    v_ref := coalesce(upper, lower);
    IF pg_snapshot_xmax(v_ref) > pg_snapshot_xmax(v_now)
       OR EXISTS (SELECT 1 FROM pg_snapshot_xip(v_now) AS x WHERE pg_visible_in_snapshot(x, v_ref)) THEN
        RAISE EXCEPTION USING ERRCODE = '40001',
            MESSAGE = format('the cursor is newer than the snapshot of this transaction; read the %s feed in a new transaction', p_feed);
    END IF;
    -- Rows below lower's xmin are all visible in lower, so a window starts
    -- there at the earliest: the index scan then starts at the window.
    IF after_xact < pg_snapshot_xmin(lower) THEN
        after_xact := pg_snapshot_xmin(lower);
        after_id := -1;
    END IF;
    IF upper IS NULL THEN
        RETURN QUERY SELECT 1, lower, v_now, after_xact, after_id;
    ELSE
        RETURN QUERY SELECT 1, lower, upper, after_xact, after_id
                     UNION ALL SELECT 2, upper, v_now, pg_snapshot_xmin(upper), -1::bigint;
    END IF;
END;
$$;

-- src/functions/transactions_after.sql
-- transactions_after: the feed of committed ledger rows. Returns up to
-- p_limit (1 to 10000) rows that come after p_cursor, in feed order, each
-- with the cursor that comes after it; pass the last row's cursor to the
-- next call. A NULL cursor starts at the first row ever written, and
-- feed_cursor() now. Rows come exactly once along a chain of cursors,
-- whatever order their transactions commit in (see feed_windows and
-- docs/feed.md). PKA01 for a bad limit, PKA06 for a bad cursor, PKS11 when
-- called in a transaction that has written or locked rows.
CREATE FUNCTION poolkeeper.transactions_after(p_cursor text, p_limit integer DEFAULT 1000)
RETURNS TABLE (cursor text, id bigint, pool_id bigint, investor_id bigint, kind text, amount numeric,
               occurred_at timestamptz, recorded_at timestamptz, idempotency_key text,
               reverses_id bigint, metadata jsonb)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- a poll is a few index probes; compiling it would cost more than running it
AS $$
    SELECT format('v1;transactions;%s;%s;%s;%s', w.lower, w.upper, t.xact_id, t.id),
           t.id, t.pool_id, t.investor_id, t.kind, t.amount, t.occurred_at, t.recorded_at,
           t.idempotency_key, t.reverses_id, t.metadata
      FROM poolkeeper.feed_windows(p_cursor, 'transactions') w
     CROSS JOIN LATERAL (
            SELECT *
              FROM poolkeeper.transactions x
             WHERE (x.xact_id, x.id) > (w.after_xact, w.after_id) AND x.xact_id < pg_snapshot_xmax(w.upper)
               AND NOT pg_visible_in_snapshot(x.xact_id, w.lower)
               AND pg_visible_in_snapshot(x.xact_id, w.upper)
             ORDER BY x.xact_id, x.id
             LIMIT p_limit) t
     ORDER BY w.ordinal, t.xact_id, t.id
     LIMIT poolkeeper.checked_limit(p_limit)
$$;

-- src/functions/alerts_after.sql
-- alerts_after: the feed of committed alerts, with the same contract as
-- transactions_after: up to p_limit (1 to 10000) alerts after p_cursor, each
-- with the cursor that comes after it, exactly once along a chain of
-- cursors. A listener of poolkeeper_alerts calls it on start, after each
-- notification and after each reconnect, so it misses nothing.
-- PKA01 for a bad limit, PKA06 for a bad cursor, PKS11 when called in a
-- transaction that has written or locked rows.
CREATE FUNCTION poolkeeper.alerts_after(p_cursor text, p_limit integer DEFAULT 1000)
RETURNS TABLE (cursor text, id bigint, kind text, pool_id bigint, transaction_id bigint,
               details jsonb, raised_at timestamptz, dedupe_key text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- a poll is a few index probes; compiling it would cost more than running it
AS $$
    SELECT format('v1;alerts;%s;%s;%s;%s', w.lower, w.upper, a.xact_id, a.id),
           a.id, a.kind, a.pool_id, a.transaction_id, a.details, a.raised_at, a.dedupe_key
      FROM poolkeeper.feed_windows(p_cursor, 'alerts') w
     CROSS JOIN LATERAL (
            SELECT *
              FROM poolkeeper.alerts x
             WHERE (x.xact_id, x.id) > (w.after_xact, w.after_id) AND x.xact_id < pg_snapshot_xmax(w.upper)
               AND NOT pg_visible_in_snapshot(x.xact_id, w.lower)
               AND pg_visible_in_snapshot(x.xact_id, w.upper)
             ORDER BY x.xact_id, x.id
             LIMIT p_limit) a
     ORDER BY w.ordinal, a.xact_id, a.id
     LIMIT poolkeeper.checked_limit(p_limit)
$$;

-- src/functions/rebase_feed.sql
-- rebase_feed: after a logical restore (pg_dump, then pg_restore with
-- triggers off) into another cluster, the restored xact_ids are another
-- cluster's transaction ids and would hide rows from the feeds. This marks
-- every restored ledger row and alert as written by one old transaction, so
-- that a reader starting from a NULL cursor gets each once and a reader
-- starting from feed_cursor() none. Cursors from before the restore are no
-- longer valid. Run it once, right after the restore and before new writes;
-- it needs a superuser (it writes with triggers off). Returns the rows
-- changed. Not needed after pg_upgrade, which keeps transaction ids.
CREATE FUNCTION poolkeeper.rebase_feed()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET session_replication_role = replica
AS $$
DECLARE
    v_ledger bigint;
    v_alerts bigint;
BEGIN
    UPDATE poolkeeper.transactions SET xact_id = '3' WHERE xact_id <> '3';
    GET DIAGNOSTICS v_ledger = ROW_COUNT;
    UPDATE poolkeeper.alerts SET xact_id = '3' WHERE xact_id <> '3';
    GET DIAGNOSTICS v_alerts = ROW_COUNT;
    RETURN v_ledger + v_alerts;
END;
$$;
