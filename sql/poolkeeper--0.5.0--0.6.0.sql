-- poolkeeper 0.5.0 -> 0.6.0: reliability. Every function a poolkeeper role may
-- call refuses bad input with its documented SQLSTATE (sql/test/sql/bad_input.sql):
-- idempotency and dedupe keys that are blank or hold control characters (PKA01,
-- checked_key); NaN, infinite or huge payments checked before they are compared
-- with what is owed (PKA02); unknown investors named as such (PKN02) by
-- remove_investor and pay_capital_call; unknown pools by drop_alert_rule (PKN01);
-- thresholds of 10^18 and above (PKA01); an unknown feed name (PKA01); and the
-- helpers fund_metrics, ledger_as_of, obligation_paid, xirr and xirr_npv check
-- their arguments. Two deadlocks between posts and distributions, found by the
-- stress harness, are gone: pool locks are FOR NO KEY UPDATE (a post's
-- foreign-key check on its pool no longer waits for them), and distribute fails
-- with 40001 (retry) rather than lock a member's totals after their position. Only functions change: no
-- table is touched, nothing is locked beyond the catalog. Assembled from the
-- 0.6.0 sources; never edit it once 0.6.0 is released. sql/test/upgrade.sh
-- checks that it gives what a fresh 0.6.0 gives.
\echo Use "ALTER EXTENSION poolkeeper UPDATE TO '0.6.0'" to load this file. \quit

-- checked_key: p_key unchanged when it is 1 to 255 characters long, not
-- blank and free of control characters; PKA01 naming p_what otherwise (NULL
-- included: callers whose key is optional call this only for a key). Keys
-- are kept as given, spaces and case included.
CREATE FUNCTION poolkeeper.checked_key(p_key text, p_what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_key IS NULL OR length(p_key) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('%s must be 1 to 255 characters long', p_what);
    END IF;
    IF btrim(p_key) = '' OR p_key ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('%s %L is blank or contains control characters', p_what, p_key);
    END IF;
    RETURN p_key;
END;
$$;

-- checked_investor_exists: PKA01 for a NULL id, PKN02 when no investor has
-- id p_investor_id (as far as the caller may see, when it runs with the
-- caller's rights). The one check of every function that takes an investor
-- id, and of the error paths that looked the investor up through a
-- membership or an obligation, so that they name the real cause.
CREATE FUNCTION poolkeeper.checked_investor_exists(p_investor_id bigint)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_id(p_investor_id, 'investor_id');
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.investors WHERE id = p_investor_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN02', MESSAGE = format('investor %s does not exist', p_investor_id);
    END IF;
END;
$$;

-- check_ledger_row: raises what is wrong with the fields of ledger row p_row
-- on their own, before any lookup: a NULL pool or investor (PKA01), an
-- unknown kind (PKA04), an amount out of range (PKA02), an occurred_at that
-- is infinite or in the future (PKA01), a bad idempotency key (PKA01) or
-- metadata that is not a JSON object of at most 64 kB (PKA01). Returns when
-- nothing is wrong. ledger_before_insert tests the same conditions at once on
-- its hot path and calls this only to say which one failed.
CREATE OR REPLACE FUNCTION poolkeeper.check_ledger_row(p_row poolkeeper.transactions)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_row.pool_id IS NULL OR p_row.investor_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'pool_id and investor_id must not be NULL';
    END IF;
    IF p_row.kind IS NULL OR p_row.kind NOT IN ('contribution', 'withdrawal', 'distribution', 'fee') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA04',
            MESSAGE = format('transaction kind %L is not contribution, withdrawal, distribution or fee', p_row.kind);
    END IF;
    -- The currency's scale is checked once the pool is known.
    PERFORM poolkeeper.checked_amount(p_row.amount, NULL, 'amount');
    IF p_row.occurred_at IN ('infinity', '-infinity') OR p_row.occurred_at > now() + interval '5 minutes' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('occurred_at %s is not a finite time that has already happened', p_row.occurred_at);
    END IF;
    IF p_row.idempotency_key IS NOT NULL THEN
        PERFORM poolkeeper.checked_key(p_row.idempotency_key, 'idempotency_key');
    END IF;
    -- Measured as text: a stored value may be compressed, and its stored size say little.
    IF jsonb_typeof(p_row.metadata) <> 'object' OR octet_length(p_row.metadata::text) > 65536 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'metadata must be a JSON object of at most 64 kB';
    END IF;
END;
$$;

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
-- The row gets the id of its database transaction in xact_id, for the feed,
-- and the role that wrote it in posted_by (caller()).
-- A row with operation_id set must be one of its distribution's rows, written
-- in that distribution's database transaction (check_operation_row); it
-- raises no large_transaction alert of its own.
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

    -- Only distribute writes a row with an operation id (check_operation_row).
    IF NEW.operation_id IS NOT NULL THEN
        PERFORM poolkeeper.check_operation_row(NEW);
    END IF;

    NEW.id := nextval('poolkeeper.transactions_id_seq');
    NEW.occurred_at := coalesce(NEW.occurred_at, now());
    NEW.metadata := coalesce(NEW.metadata, '{}');
    -- One test of every field on the hot path; check_ledger_row says which failed.
    IF NEW.pool_id IS NULL OR NEW.investor_id IS NULL
       OR NEW.kind IS NULL OR NEW.kind NOT IN ('contribution', 'withdrawal', 'distribution', 'fee')
       OR NEW.amount IS NULL OR NOT (NEW.amount > 0 AND NEW.amount < 1e18)
       OR NEW.occurred_at IN ('infinity', '-infinity') OR NEW.occurred_at > now() + interval '5 minutes'
       OR length(NEW.idempotency_key) NOT BETWEEN 1 AND 255 OR btrim(NEW.idempotency_key) = ''
       OR NEW.idempotency_key ~ '[[:cntrl:]]'
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
    NEW.posted_by := poolkeeper.caller();
    -- NULL threshold: alerts off for the pool. A distribution's rows raise
    -- no alert of their own: distribute compares the operation's total.
    IF NEW.amount > v_threshold AND NEW.reverses_id IS NULL AND NEW.operation_id IS NULL THEN
        PERFORM poolkeeper.raise_large_transaction_alert(NEW, v_threshold, v_currency);
    END IF;
    RETURN NEW;
END;
$$;

-- replayed_operation: for an operation requested under p_idempotency_key,
-- takes the key's advisory lock (held to the end of the transaction, so a
-- racing repeat waits and then replays) and returns the id of the operation
-- written before under the key when it was the same request (kind, pool,
-- total, basis and due date); NULL when the key is NULL or unused; PKS08
-- when it was used for a different request, PKA01 for a bad key.
CREATE OR REPLACE FUNCTION poolkeeper.replayed_operation(p_idempotency_key text, p_kind text, p_pool_id bigint, p_total numeric,
                                              p_basis text, p_due_date date)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_op poolkeeper.operations;
BEGIN
    IF p_idempotency_key IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM poolkeeper.checked_key(p_idempotency_key, 'idempotency_key');
    PERFORM poolkeeper.lock_idempotency_key(p_idempotency_key);
    SELECT * INTO v_op FROM poolkeeper.operations WHERE idempotency_key = p_idempotency_key;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF v_op.pool_id IS DISTINCT FROM p_pool_id THEN  -- nothing about another pool's operation
        RAISE EXCEPTION USING ERRCODE = 'PKS08',
            MESSAGE = format('idempotency key %L was used for an operation of another pool', p_idempotency_key);
    END IF;
    IF (v_op.kind, v_op.total, v_op.basis) IS DISTINCT FROM (p_kind, p_total, p_basis)
       OR v_op.due_date IS DISTINCT FROM p_due_date THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS08',
            MESSAGE = format('idempotency key %L was used for operation %s (%s of %s in pool %s)',
                             p_idempotency_key, v_op.id, v_op.kind, v_op.total, v_op.pool_id);
    END IF;
    RETURN v_op.id;
END;
$$;

-- post_transaction: appends one ledger row (contribution, withdrawal,
-- distribution or fee) and returns its id; the position changes in the same
-- database transaction. Rules and their SQLSTATEs: ledger_before_insert.
-- With p_idempotency_key, a repeat of the same request returns the original
-- id and writes nothing; a different request under the same key fails with
-- PKS08. Posts under one key queue on an advisory lock, so a retry racing its
-- original waits for it and replays it. Under REPEATABLE READ or
-- SERIALIZABLE, a duplicate committed by a concurrent transaction is not in
-- the snapshot: that fails with 40001, and the retry replays it.
-- p_occurred_at NULL means now().
-- 42501 unless the caller may change the pool (authorize_pool), checked
-- before a key is replayed; the posting role is kept in posted_by.
CREATE OR REPLACE FUNCTION poolkeeper.post_transaction(
    p_pool_id bigint, p_investor_id bigint, p_kind text, p_amount numeric,
    p_idempotency_key text DEFAULT NULL, p_occurred_at timestamptz DEFAULT NULL,
    p_metadata jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF NOT poolkeeper.caller_is('poolkeeper_admin') THEN  -- the common case without a call
        PERFORM poolkeeper.authorize_pool(p_pool_id, 'post to');
    END IF;
    IF p_idempotency_key IS NULL THEN
        INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, occurred_at, metadata)
        VALUES (p_pool_id, p_investor_id, p_kind, p_amount, p_occurred_at, p_metadata)
        RETURNING id INTO v_id;
        RETURN v_id;
    END IF;

    PERFORM poolkeeper.checked_key(p_idempotency_key, 'idempotency_key');  -- before the key is looked up
    PERFORM poolkeeper.lock_idempotency_key(p_idempotency_key);
    v_id := poolkeeper.replayed_post(p_idempotency_key, p_pool_id, p_investor_id, p_kind, p_amount,
                                     p_occurred_at, p_metadata);
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    BEGIN
        INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, occurred_at, metadata, idempotency_key)
        VALUES (p_pool_id, p_investor_id, p_kind, p_amount, p_occurred_at, p_metadata, p_idempotency_key)
        RETURNING id INTO v_id;
    EXCEPTION WHEN unique_violation OR SQLSTATE 'PKS08' THEN
        -- Only a writer that took no key lock (a plain INSERT), or one whose
        -- snapshot predates the other's commit, gets here.
        v_id := poolkeeper.replayed_post(p_idempotency_key, p_pool_id, p_investor_id, p_kind, p_amount,
                                         p_occurred_at, p_metadata);
        IF v_id IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '40001',
                MESSAGE = format('idempotency key %L was used by a transaction that committed after this one began; retry',
                                 p_idempotency_key);
        END IF;
    END;
    RETURN v_id;
END;
$$;

-- raise_alert: records an alert of kind p_kind ('large_transaction' or
-- 'spike') for pool p_pool_id, for spike monitors and other producers, and
-- returns its id; the alert is announced on poolkeeper_alerts at commit.
-- Returns NULL, and announces nothing, when the pool has an alert with
-- p_dedupe_key (keys are per pool, so that nobody can take another pool's
-- keys first): of two sessions racing with one key, the second waits for the
-- first and gets NULL if it commits. p_details is a JSON object of at most
-- 8 kB; p_transaction_id, if given, is a ledger row of that pool. Keys that
-- start with 'large_transaction:' are the ledger trigger's own.
-- PKA01 for a bad argument, PKN01 for an unknown pool, PKN04 for an unknown
-- ledger row.
-- A poolkeeper_listener may raise spike alerts on any pool; a pool's
-- manager and a poolkeeper_admin any alert on it (42501 otherwise).
CREATE OR REPLACE FUNCTION poolkeeper.raise_alert(
    p_kind text, p_pool_id bigint, p_details jsonb, p_dedupe_key text, p_transaction_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
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
    IF NOT (p_kind = 'spike' AND poolkeeper.caller_is('poolkeeper_listener')) THEN
        PERFORM poolkeeper.authorize_pool(p_pool_id, format('raise %s alerts on', p_kind));
    END IF;
    IF p_details IS NULL OR jsonb_typeof(p_details) <> 'object' OR octet_length(p_details::text) > 8192 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'details must be a JSON object of at most 8 kB';
    END IF;
    PERFORM poolkeeper.checked_key(p_dedupe_key, 'dedupe_key');
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
                MESSAGE = format('ledger row %s is not a row of pool %s', p_transaction_id, p_pool_id);
        END IF;
    END IF;
    INSERT INTO poolkeeper.alerts (kind, pool_id, transaction_id, details, dedupe_key)
    VALUES (p_kind, p_pool_id, p_transaction_id, p_details, p_dedupe_key)
    ON CONFLICT (pool_id, dedupe_key) DO NOTHING
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;

-- pay_capital_call: investor p_investor_id pays p_amount (NULL: all that is
-- outstanding) of their obligation in capital call p_call_id. Posts the
-- contribution (metadata {"capital_call": id}) through post_transaction and
-- records it against the obligation; returns the ledger row's id.
-- Reversing that contribution makes the amount outstanding again.
-- With p_idempotency_key, a repeat returns the first row's id and writes
-- nothing. Payments of one obligation queue on its row lock, so it runs in
-- READ COMMITTED only (0A000 otherwise: check_read_committed).
-- Refusals: PKA02 (amount), PKA01 (key), PKN05 (no such capital call),
-- PKN02 (no such investor), PKN06 (no obligation of that investor in it), PKS14 (nothing outstanding, or more than is), and those
-- of post_transaction (closed pool, not a member, amount, occurred_at).
-- 42501 unless the caller may change the call's pool (authorize_pool).
CREATE OR REPLACE FUNCTION poolkeeper.pay_capital_call(p_call_id bigint, p_investor_id bigint, p_amount numeric DEFAULT NULL,
                                            p_idempotency_key text DEFAULT NULL, p_occurred_at timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pool_id     bigint;
    v_called      numeric;
    v_outstanding numeric;
    v_amount      numeric;
    v_id          bigint;
BEGIN
    PERFORM poolkeeper.checked_id(p_call_id, 'call_id'), poolkeeper.checked_id(p_investor_id, 'investor_id');
    -- The values themselves first: a NaN is not "more than is owed".
    IF p_amount IS NOT NULL THEN
        PERFORM poolkeeper.checked_amount(p_amount, NULL, 'amount');
    END IF;
    IF p_idempotency_key IS NOT NULL THEN
        PERFORM poolkeeper.checked_key(p_idempotency_key, 'idempotency_key');
    END IF;
    PERFORM poolkeeper.check_read_committed('pay_capital_call');
    SELECT pool_id INTO v_pool_id FROM poolkeeper.operations WHERE id = p_call_id AND kind = 'capital_call';
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN05', MESSAGE = format('capital call %s does not exist', p_call_id);
    END IF;
    PERFORM poolkeeper.authorize_pool(v_pool_id, 'record payments in');
    SELECT called INTO v_called FROM poolkeeper.obligations
     WHERE operation_id = p_call_id AND investor_id = p_investor_id
       FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM poolkeeper.checked_investor_exists(p_investor_id);
        RAISE EXCEPTION USING ERRCODE = 'PKN06',
            MESSAGE = format('investor %s owes nothing in capital call %s', p_investor_id, p_call_id);
    END IF;
    -- A repeat of a payment already made under this key replays it.
    IF p_idempotency_key IS NOT NULL THEN
        SELECT t.id INTO v_id
          FROM poolkeeper.obligation_payments op JOIN poolkeeper.transactions t ON t.id = op.transaction_id
         WHERE op.operation_id = p_call_id AND op.investor_id = p_investor_id AND t.idempotency_key = p_idempotency_key
           AND (p_amount IS NULL OR t.amount = p_amount);
        IF FOUND THEN
            RETURN v_id;
        END IF;
    END IF;

    v_outstanding := v_called - poolkeeper.obligation_paid(p_call_id, p_investor_id);
    v_amount := coalesce(p_amount, v_outstanding);
    IF v_outstanding = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS14',
            MESSAGE = format('investor %s has paid all %s called in capital call %s', p_investor_id, v_called, p_call_id);
    END IF;
    IF v_amount > v_outstanding THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS14',
            MESSAGE = format('a payment of %s is more than the %s investor %s still owes in capital call %s',
                             v_amount, v_outstanding, p_investor_id, p_call_id);
    END IF;
    v_id := poolkeeper.post_transaction(v_pool_id, p_investor_id, 'contribution', v_amount, p_idempotency_key,
                                        p_occurred_at, jsonb_build_object('capital_call', p_call_id));
    INSERT INTO poolkeeper.obligation_payments (transaction_id, operation_id, investor_id)
    VALUES (v_id, p_call_id, p_investor_id);
    RETURN v_id;
END;
$$;

-- remove_investor: ends p_investor_id's current membership of open pool
-- p_pool_id. Refuses while net_invested is not zero (PKS05) and while the
-- investor still owes on a capital call of the pool (PKS15: once gone, they
-- could never pay it); the membership row, position and ledger stay as
-- history. PKS02 if not a member, PKN02 if no investor has that id.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE OR REPLACE FUNCTION poolkeeper.remove_investor(p_pool_id bigint, p_investor_id bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_net  numeric;
    v_call bigint;
    v_owed numeric;
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'remove investors from');
    PERFORM poolkeeper.locked_open_pool(p_pool_id);
    PERFORM poolkeeper.checked_id(p_investor_id, 'investor_id');
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.memberships
                    WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND left_at IS NULL) THEN
        PERFORM poolkeeper.checked_investor_exists(p_investor_id);
        RAISE EXCEPTION USING ERRCODE = 'PKS02',
            MESSAGE = format('investor %s is not a member of pool %s', p_investor_id, p_pool_id);
    END IF;
    -- Waits for any post in flight on this position and re-checks the
    -- balance it left; posts that come after see the position closed.
    UPDATE poolkeeper.positions SET is_open = false
     WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND net_invested = 0;
    IF NOT FOUND THEN
        SELECT net_invested INTO v_net FROM poolkeeper.positions
         WHERE pool_id = p_pool_id AND investor_id = p_investor_id;
        RAISE EXCEPTION USING ERRCODE = 'PKS05',
            MESSAGE = format('investor %s still has net_invested %s in pool %s', p_investor_id, v_net, p_pool_id);
    END IF;
    -- After the position's lock: a payment or a reversal of one that was in
    -- flight has committed, and this statement sees it. Calls take the pool
    -- lock held here (and update the pool row, so a REPEATABLE READ
    -- transaction that took its snapshot before a call fails with 40001).
    SELECT call_id, outstanding INTO v_call, v_owed FROM poolkeeper.capital_call_obligations
     WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND outstanding > 0
     ORDER BY call_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS15',
            MESSAGE = format('investor %s still owes %s on capital call %s of pool %s', p_investor_id, v_owed, v_call, p_pool_id);
    END IF;
    UPDATE poolkeeper.memberships SET left_at = clock_timestamp()
     WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND left_at IS NULL;
END;
$$;

-- drop_alert_rule: removes pool p_pool_id's own alert rule, so that the
-- default applies to it again, or the default rule when p_pool_id is NULL,
-- so that the built-in defaults apply. Returns whether there was a rule;
-- PKN01 for an unknown pool.
-- The pool's manager or a poolkeeper_admin may drop a pool's rule; only an
-- admin the default rule (42501).
CREATE OR REPLACE FUNCTION poolkeeper.drop_alert_rule(p_pool_id bigint)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_pool_id IS NULL THEN
        PERFORM poolkeeper.authorize_admin('change the default alert rule');
    ELSE
        PERFORM poolkeeper.authorize_pool(p_pool_id, 'change the alert rule of');
        IF NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
        END IF;
    END IF;
    DELETE FROM poolkeeper.alert_rules WHERE pool_id IS NOT DISTINCT FROM p_pool_id;
    RETURN FOUND;
END;
$$;

-- set_alert_rule: sets the alert rule of pool p_pool_id, or the default rule
-- for pools without their own when p_pool_id is NULL, replacing what was
-- there. Every argument is checked first (PKA01 says which is wrong; PKN01
-- for an unknown pool): the threshold is NULL (off) or from 0 to below 10^18,
-- the windows whole seconds from 1 second to 1 day, the factor above 1 and
-- at most 10^6, the minimum count from 1 to 10^6. Positions pick up the new
-- threshold in the same database transaction (alert_rules_changed).
-- The pool's manager or a poolkeeper_admin may set a pool's rule; only an
-- admin the default rule (42501). The role is kept in changed_by, and every
-- change in alert_rule_changes.
CREATE OR REPLACE FUNCTION poolkeeper.set_alert_rule(
    p_pool_id bigint,
    p_large_transaction_threshold numeric DEFAULT NULL,
    p_spike_short_window interval DEFAULT '1 minute',
    p_spike_baseline_window interval DEFAULT '1 hour',
    p_spike_factor numeric DEFAULT 10,
    p_spike_min_count integer DEFAULT 5,
    p_enabled boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_pool_id IS NOT NULL THEN
        PERFORM poolkeeper.checked_id(p_pool_id, 'pool_id');
        IF NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
        END IF;
        PERFORM poolkeeper.authorize_pool(p_pool_id, 'change the alert rule of');
    ELSE
        PERFORM poolkeeper.authorize_admin('change the default alert rule');
    END IF;
    IF p_large_transaction_threshold IN ('NaN', 'Infinity', '-Infinity') OR p_large_transaction_threshold < 0
       OR p_large_transaction_threshold >= 1e18 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('large_transaction_threshold %s is not NULL or an amount from 0 to below 10^18',
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
            spike_factor, spike_min_count, enabled, updated_at, changed_by)
    VALUES (p_pool_id, p_large_transaction_threshold, p_spike_short_window, p_spike_baseline_window,
            p_spike_factor, p_spike_min_count, p_enabled, now(), poolkeeper.caller())
    ON CONFLICT (pool_id) DO UPDATE
       SET large_transaction_threshold = excluded.large_transaction_threshold,
           spike_short_window = excluded.spike_short_window,
           spike_baseline_window = excluded.spike_baseline_window,
           spike_factor = excluded.spike_factor,
           spike_min_count = excluded.spike_min_count,
           enabled = excluded.enabled,
           updated_at = excluded.updated_at,
           changed_by = excluded.changed_by;
END;
$$;

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
-- PKA01 for another feed name, PKA06 for a malformed cursor or one of the
-- other feed; 40001 when the
-- caller's snapshot is older than the cursor; and check_feed_reader's
-- refusals.
CREATE OR REPLACE FUNCTION poolkeeper.feed_windows(p_cursor text, p_feed text)
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
    IF p_feed IS NULL OR p_feed NOT IN ('transactions', 'alerts') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('feed %L is not transactions or alerts', p_feed);
    END IF;
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

-- xirr_npv: the net present value at annual rate p_rate of amounts
-- p_amounts received p_years[i] years after the first, and its slope
-- d(npv)/d(rate): what each of xirr's steps needs, in one pass, with one
-- logarithm (each term is amount × (1 + rate)^-years = amount × exp(-years × ln(1 + rate))).
-- PKA01 unless the arrays have the same length and finite values, and the
-- rate is finite and above -100%.
CREATE OR REPLACE FUNCTION poolkeeper.xirr_npv(p_amounts numeric[], p_years numeric[], p_rate numeric,
                                    OUT npv numeric, OUT slope numeric)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_rate IS NULL OR p_rate IN ('NaN', 'Infinity') OR p_rate <= -1
       OR p_amounts IS NULL OR p_years IS NULL OR cardinality(p_amounts) <> cardinality(p_years)
       OR array_position(p_amounts, NULL) IS NOT NULL OR array_position(p_years, NULL) IS NOT NULL
       OR EXISTS (SELECT 1 FROM unnest(p_amounts, p_years) AS u(a, y)
                   WHERE u.a IN ('NaN', 'Infinity', '-Infinity') OR u.y IN ('NaN', 'Infinity', '-Infinity')) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = 'amounts and years must be arrays of the same length with finite values, and the rate finite and above -1';
    END IF;
    SELECT sum(t.present), sum(-t.y * t.present) / (1 + p_rate) INTO npv, slope
      FROM (SELECT u.y, CASE WHEN u.y = 0 THEN u.a ELSE u.a * exp(-u.y * c.l) END AS present
              FROM unnest(p_amounts, p_years) AS u(a, y), (SELECT ln(1 + p_rate) AS l) c) t;
END;
$$;

-- xirr: the internal rate of return of dated cash flows (p_amounts[i] on
-- p_dates[i]; negative paid in, positive paid out), as an annual rate under
-- actual/365: the r at which the sum of amount / (1 + r)^(days since the
-- first date / 365) is zero. Flows on one date are added together first.
-- rate is NULL, with note saying why, when there are no flows, when they do
-- not change sign (no rate exists), or when no rate between -99.99% and
-- 10^6 (100,000,000%) is found. The search looks for a sign change of the
-- present value between neighbouring rates of a fixed grid, exploring from
-- 0 outwards (the nearer unexplored grid rate first; on a tie, the lower),
-- and solves in the first bracket found: when several rates solve it, one
-- near 0, though not always the nearest. Then Newton steps, kept inside the
-- bracket that bisection narrows, to 1e-12; all in numeric, rounded to 10
-- decimals.
-- PKA01 for NULL arrays, arrays of different lengths, or with NULLs or
-- infinite values.
CREATE OR REPLACE FUNCTION poolkeeper.xirr(p_amounts numeric[], p_dates date[], OUT rate numeric, OUT note text)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_amounts   numeric[];
    v_years     numeric[];
    v_grid      numeric[] := '{-0.9999,-0.99,-0.9,-0.75,-0.5,-0.25,0,0.1,0.25,0.5,1,2,5,10,100,1000,10000,1000000}';
    v_npv       numeric[];
    v_left      int := 7;  -- v_grid[7] = 0: the explored grid is v_left .. v_right
    v_right     int := 7;
    v_at        int;
    v_from      int;
    v_lo        numeric;
    v_hi        numeric;
    v_f_lo      numeric;
    v_r         numeric;
    v_f         numeric;
    v_df        numeric;
    v_next      numeric;
    v_converged boolean := false;
    i           int;
BEGIN
    IF p_amounts IS NULL OR p_dates IS NULL OR cardinality(p_amounts) IS DISTINCT FROM cardinality(p_dates)
       OR array_position(p_amounts, NULL) IS NOT NULL OR array_position(p_dates, NULL) IS NOT NULL
       OR EXISTS (SELECT 1 FROM unnest(p_amounts) a WHERE a IN ('NaN', 'Infinity', '-Infinity'))
       OR EXISTS (SELECT 1 FROM unnest(p_dates) d WHERE d IN ('infinity', '-infinity')) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = 'amounts and dates must be arrays of the same length with finite values and no NULLs';
    END IF;
    SELECT array_agg(f.amount ORDER BY f.day), array_agg(f.days::numeric / 365 ORDER BY f.day)
      INTO v_amounts, v_years
      FROM (SELECT u.d AS day, sum(u.a) AS amount, u.d - min(u.d) OVER () AS days
              FROM unnest(p_amounts, p_dates) AS u(a, d)
             GROUP BY u.d HAVING sum(u.a) <> 0) f;
    IF v_amounts IS NULL THEN
        note := 'there are no cash flows';
        RETURN;
    END IF;
    IF NOT (EXISTS (SELECT 1 FROM unnest(v_amounts) a WHERE a < 0) AND EXISTS (SELECT 1 FROM unnest(v_amounts) a WHERE a > 0)) THEN
        note := 'the cash flows do not change sign: no rate of return exists';
        RETURN;
    END IF;

    -- A bracket: grow the explored grid from 0 towards the nearer unexplored
    -- rate until the present value changes sign between neighbours.
    v_npv := array_fill(NULL::numeric, ARRAY[cardinality(v_grid)]);
    v_npv[7] := (poolkeeper.xirr_npv(v_amounts, v_years, 0)).npv;
    IF v_npv[7] = 0 THEN
        rate := 0;
        RETURN;
    END IF;
    LOOP
        EXIT WHEN v_left = 1 AND v_right = cardinality(v_grid);
        IF v_right = cardinality(v_grid) OR (v_left > 1 AND abs(v_grid[v_left - 1]) <= abs(v_grid[v_right + 1])) THEN
            v_at := v_left - 1; v_from := v_left; v_left := v_at;
        ELSE
            v_at := v_right + 1; v_from := v_right; v_right := v_at;
        END IF;
        v_npv[v_at] := (poolkeeper.xirr_npv(v_amounts, v_years, v_grid[v_at])).npv;
        IF v_npv[v_at] = 0 THEN
            rate := round(v_grid[v_at], 10);
            RETURN;
        END IF;
        IF sign(v_npv[v_at]) <> sign(v_npv[v_from]) THEN
            v_lo := least(v_grid[v_at], v_grid[v_from]);
            v_hi := greatest(v_grid[v_at], v_grid[v_from]);
            v_f_lo := CASE WHEN v_grid[v_at] < v_grid[v_from] THEN v_npv[v_at] ELSE v_npv[v_from] END;
            EXIT;
        END IF;
    END LOOP;
    IF v_lo IS NULL THEN
        note := 'no rate between -99.99% and 100,000,000% makes the net present value zero';
        RETURN;
    END IF;

    v_r := (v_lo + v_hi) / 2;
    FOR i IN 1 .. 200 LOOP
        SELECT n.npv, n.slope INTO v_f, v_df FROM poolkeeper.xirr_npv(v_amounts, v_years, v_r) n;
        IF v_f = 0 THEN
            v_converged := true;
            v_next := v_r;
            EXIT;
        END IF;
        IF sign(v_f) = sign(v_f_lo) THEN
            v_lo := v_r; v_f_lo := v_f;
        ELSE
            v_hi := v_r;
        END IF;
        -- Newton's step when it stays inside the bracket, else bisection.
        v_next := CASE WHEN v_df <> 0 THEN v_r - v_f / v_df END;
        IF v_next IS NULL OR v_next <= v_lo OR v_next >= v_hi THEN
            v_next := (v_lo + v_hi) / 2;
        END IF;
        IF abs(v_next - v_r) < 1e-12 OR v_hi - v_lo < 1e-12 THEN
            v_converged := true;
            EXIT;
        END IF;
        v_r := round(v_next, 20);
    END LOOP;
    IF NOT v_converged THEN
        note := 'the rate of return did not converge';
        RETURN;
    END IF;
    rate := round(v_next, 10);
END;
$$;

-- obligation_paid: what investor p_investor_id has paid of capital call
-- p_call_id: the sum of the payments recorded against it whose ledger rows
-- have not been reversed. PKA01 for a NULL id; PKN05, PKN02 or PKN06 when
-- the obligation is not there (no such call, no such investor, or the
-- investor owes nothing in it), as far as the caller may see.
CREATE OR REPLACE FUNCTION poolkeeper.obligation_paid(p_call_id bigint, p_investor_id bigint)
RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.obligations WHERE operation_id = p_call_id AND investor_id = p_investor_id) THEN
        PERFORM poolkeeper.checked_id(p_call_id, 'call_id'), poolkeeper.checked_id(p_investor_id, 'investor_id');
        IF NOT EXISTS (SELECT 1 FROM poolkeeper.operations WHERE id = p_call_id AND kind = 'capital_call') THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN05', MESSAGE = format('capital call %s does not exist', p_call_id);
        END IF;
        PERFORM poolkeeper.checked_investor_exists(p_investor_id);
        RAISE EXCEPTION USING ERRCODE = 'PKN06',
            MESSAGE = format('investor %s owes nothing in capital call %s', p_investor_id, p_call_id);
    END IF;
    RETURN (SELECT coalesce(sum(t.amount), 0)
              FROM poolkeeper.obligation_payments op
              JOIN poolkeeper.transactions t ON t.id = op.transaction_id
             WHERE op.operation_id = p_call_id AND op.investor_id = p_investor_id
               AND NOT EXISTS (SELECT 1 FROM poolkeeper.transactions r WHERE r.reverses_id = t.id));
END;
$$;

-- ledger_as_of: the ledger rows of pool p_pool_id (of investor
-- p_investor_id only, unless NULL) that occurred on or before day p_as_of
-- (days are UTC), each with its day and its amount signed: negative for a
-- reversal. The input of nav_shares and of the metrics. PKA01, PKN01 and
-- PKN02 for bad arguments (poolkeeper.checked_metrics_request).
CREATE OR REPLACE FUNCTION poolkeeper.ledger_as_of(p_pool_id bigint, p_investor_id bigint, p_as_of date)
RETURNS TABLE (investor_id bigint, kind text, day date, signed numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_metrics_request(p_pool_id, NULL, p_as_of);
    IF p_investor_id IS NOT NULL THEN
        PERFORM poolkeeper.checked_metrics_request(NULL, p_investor_id, p_as_of);
    END IF;
    RETURN QUERY
    SELECT t.investor_id, t.kind, (t.occurred_at AT TIME ZONE 'UTC')::date,
           CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END
      FROM poolkeeper.transactions t
     WHERE t.pool_id = p_pool_id AND (p_investor_id IS NULL OR t.investor_id = p_investor_id)
       AND t.occurred_at < (p_as_of + 1)::timestamp AT TIME ZONE 'UTC';
END;
$$;

-- fund_metrics: the performance of pool p_pool_id as of day p_as_of (UTC
-- days), for the whole pool, or for investor p_investor_id's position in it.
-- Amounts are net of reversals, over ledger rows that occurred up to the
-- end of p_as_of:
--   paid_in       contributions
--   distributions, withdrawals, fees: the sums of those kinds
--   nav           the latest valuation on or before p_as_of (for an
--                 investor, their nav_shares share of it), rolled forward by
--                 the flows after its date (+ contributions - withdrawals -
--                 distributions - fees), never below 0; NULL with no valuation
--   dpi   = (distributions + withdrawals) / paid_in
--   rvpi  = nav / paid_in
--   tvpi  = dpi + rvpi
--   moic  = (distributions + withdrawals + nav) / (paid_in - fees): on the
--           capital actually invested, where tvpi is on all paid in
--   irr   = xirr of the investors' cash flows (-contributions, +withdrawals,
--           +distributions, on their days) and the nav as a final inflow on
--           p_as_of; NULL without a valuation; irr_note says why it is NULL.
-- Ratios are NULL when their denominator is 0, rvpi, tvpi and moic also
-- when nav is NULL; all are rounded to 6 decimals. PKA01, PKN01 and PKN02
-- for bad arguments (checked by ledger_as_of).
CREATE OR REPLACE FUNCTION poolkeeper.fund_metrics(p_pool_id bigint, p_investor_id bigint, p_as_of date)
RETURNS TABLE (paid_in numeric, distributions numeric, withdrawals numeric, fees numeric, nav numeric,
               valuation_date date, dpi numeric, rvpi numeric, tvpi numeric, moic numeric, irr numeric, irr_note text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor     smallint;
    v_valuation poolkeeper.valuations;
    v_returned  numeric;
    v_amounts   numeric[];
    v_dates     date[];
    v_kinds     text[];
    v_days      date[];
    v_signed    numeric[];
BEGIN
    -- The rows, read once (ledger_as_of checks the arguments); each query
    -- below reads them back with unnest.
    SELECT coalesce(array_agg(l.kind), '{}'), coalesce(array_agg(l.day), '{}'), coalesce(array_agg(l.signed), '{}')
      INTO v_kinds, v_days, v_signed
      FROM poolkeeper.ledger_as_of(p_pool_id, p_investor_id, p_as_of) l;
    SELECT c.minor_units INTO v_minor
      FROM poolkeeper.pools p JOIN poolkeeper.currencies c ON c.code = p.currency WHERE p.id = p_pool_id;

    SELECT round(coalesce(sum(r.signed) FILTER (WHERE r.kind = 'contribution'), 0), v_minor),
           round(coalesce(sum(r.signed) FILTER (WHERE r.kind = 'distribution'), 0), v_minor),
           round(coalesce(sum(r.signed) FILTER (WHERE r.kind = 'withdrawal'), 0), v_minor),
           round(coalesce(sum(r.signed) FILTER (WHERE r.kind = 'fee'), 0), v_minor)
      INTO paid_in, distributions, withdrawals, fees
      FROM unnest(v_kinds, v_days, v_signed) AS r(kind, day, signed);

    SELECT * INTO v_valuation FROM poolkeeper.valuations v
     WHERE v.pool_id = p_pool_id AND v.as_of <= p_as_of ORDER BY v.as_of DESC LIMIT 1;
    IF FOUND THEN
        valuation_date := v_valuation.as_of;
        nav := CASE WHEN p_investor_id IS NULL THEN v_valuation.nav
                    ELSE (SELECT s.nav_share FROM poolkeeper.nav_shares(p_pool_id, v_valuation.as_of) s
                           WHERE s.investor_id = p_investor_id) END;
        IF nav IS NOT NULL OR p_investor_id IS NOT NULL THEN
            nav := greatest(0, coalesce(nav, 0) + coalesce((
                       SELECT sum(CASE WHEN r.kind = 'contribution' THEN r.signed ELSE -r.signed END)
                         FROM unnest(v_kinds, v_days, v_signed) AS r(kind, day, signed) WHERE r.day > v_valuation.as_of), 0));
            nav := round(nav, v_minor);
        END IF;
    END IF;

    v_returned := distributions + withdrawals;
    IF paid_in > 0 THEN
        dpi := round(v_returned / paid_in, 6);
        rvpi := round(nav / paid_in, 6);
        tvpi := round((v_returned + nav) / paid_in, 6);
    END IF;
    IF paid_in - fees > 0 THEN
        moic := round((v_returned + nav) / (paid_in - fees), 6);
    END IF;

    -- Without a valuation the value still held is unknown, and the flows
    -- alone would read it as lost.
    IF nav IS NULL THEN
        irr_note := format('no valuation on or before %s: the value still held is unknown', p_as_of);
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT array_agg(f.amount), array_agg(f.day) INTO v_amounts, v_dates
      FROM (SELECT r.day, CASE WHEN r.kind = 'contribution' THEN -r.signed ELSE r.signed END AS amount
              FROM unnest(v_kinds, v_days, v_signed) AS r(kind, day, signed) WHERE r.kind <> 'fee'
            UNION ALL
            SELECT p_as_of, nav WHERE nav > 0) f;
    SELECT x.rate, x.note INTO irr, irr_note
      FROM poolkeeper.xirr(coalesce(v_amounts, '{}'), coalesce(v_dates, '{}')) x;
    RETURN NEXT;
END;
$$;

-- locked_open_pool: locks pool p_pool_id against concurrent membership changes,
-- calls, distributions and closing, and returns its currency's minor units.
-- PKN01 if it does not exist, PKS01 if it is closed. FOR NO KEY UPDATE, not
-- FOR UPDATE: a post's foreign-key check takes KEY SHARE on the pool after
-- locking its position, and must not wait for a holder of this lock who is
-- waiting for that position (a deadlock the stress harness found).
CREATE OR REPLACE FUNCTION poolkeeper.locked_open_pool(p_pool_id bigint)
RETURNS smallint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
    v_minor  smallint;
BEGIN
    PERFORM poolkeeper.checked_id(p_pool_id, 'pool_id');
    SELECT p.status, c.minor_units INTO v_status, v_minor
      FROM poolkeeper.pools p JOIN poolkeeper.currencies c ON c.code = p.currency
     WHERE p.id = p_pool_id
       FOR NO KEY UPDATE OF p;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    IF v_status <> 'open' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS01', MESSAGE = format('pool %s is closed', p_pool_id);
    END IF;
    RETURN v_minor;
END;
$$;

-- distribute: pays p_total (in the pool's currency) out to the current
-- members of open pool p_pool_id, pro rata to p_basis ('net_invested', the
-- positions' net invested capital, or 'commitment'), as one distribution
-- ledger row per member with a non-zero share, all in this database
-- transaction, and returns the distribution's operation id. Shares come from
-- allocate() (largest remainder, exact in minor units; ties to the larger
-- weight, then the smaller investor id), so the rows sum to p_total exactly.
-- The rows carry the operation id: the feed hands them out together, spike
-- detection counts them as one event, and the distribution raises one
-- large_transaction alert when its total is above the pool's threshold
-- (details: operation_id, amount = the total, rows). With
-- p_idempotency_key, repeating the same distribution returns the first id
-- and writes nothing (PKS08 for a different one under the key).
-- Locks: the pool (against membership changes), then the members'
-- investor_totals rows and (for net_invested) positions in investor order,
-- as every post takes them, so weights cannot move while they are read.
-- Refusals: PKA01 (basis, key), PKA02 (total), PKN01, PKS01, PKS12 (the
-- members' weights sum to zero).
-- 40001 (retry) in the rare case that a member posts for the first time
-- while a net_invested distribution locks the pool's members.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE OR REPLACE FUNCTION poolkeeper.distribute(p_pool_id bigint, p_total numeric, p_basis text DEFAULT 'net_invested',
                                      p_idempotency_key text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor     smallint;
    v_total     numeric;
    v_id        bigint;
    v_members   bigint[];
    v_weights   numeric[];
    v_totals_locked bigint[];
    v_first     bigint;
    v_rows      bigint;
    v_threshold numeric;
    v_currency  text;
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'distribute from');
    -- A repeat replays, even once the pool has closed.
    v_id := poolkeeper.replayed_operation(p_idempotency_key, 'distribution', p_pool_id, p_total, p_basis, NULL);
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    v_minor := poolkeeper.locked_open_pool(p_pool_id);
    v_total := poolkeeper.checked_amount(p_total, v_minor, 'total');
    IF p_basis IS NULL OR p_basis NOT IN ('net_invested', 'commitment') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('basis %L is not net_invested or commitment', p_basis);
    END IF;

    -- Lock order of every post: the investor's totals row, then the
    -- position. A member without a totals row has never posted: their
    -- weight is a commitment (read under the pool lock), or a zero net
    -- invested capital that gets no row; the trigger creates it as for any
    -- first row.
    SELECT array_agg(t.investor_id ORDER BY t.investor_id) INTO v_totals_locked FROM (
        SELECT t.investor_id FROM poolkeeper.investor_totals t
         WHERE t.investor_id IN (SELECT m.investor_id FROM poolkeeper.memberships m
                                  WHERE m.pool_id = p_pool_id AND m.left_at IS NULL)
         ORDER BY t.investor_id
           FOR NO KEY UPDATE) t;
    IF p_basis = 'net_invested' THEN
        SELECT array_agg(p.investor_id ORDER BY p.investor_id), array_agg(p.net_invested ORDER BY p.investor_id)
          INTO v_members, v_weights
          FROM (SELECT * FROM poolkeeper.positions
                 WHERE pool_id = p_pool_id AND is_open
                 ORDER BY investor_id
                   FOR NO KEY UPDATE) p;
        -- A member whose first post committed after the totals were locked
        -- has capital now but no locked totals row: a row for them would
        -- lock it after their position, against every post's order (and
        -- deadlock with a second post of theirs). Rare; retrying sees it.
        IF EXISTS (SELECT 1 FROM unnest(v_members, v_weights) AS w(investor_id, weight)
                    WHERE w.weight > 0 AND w.investor_id <> ALL (coalesce(v_totals_locked, '{}'))) THEN
            RAISE EXCEPTION USING ERRCODE = '40001',
                MESSAGE = format('a member of pool %s posted for the first time during this distribution; retry it', p_pool_id);
        END IF;
    ELSE
        SELECT array_agg(m.investor_id ORDER BY m.investor_id), array_agg(coalesce(m.commitment, 0) ORDER BY m.investor_id)
          INTO v_members, v_weights
          FROM poolkeeper.memberships m
         WHERE m.pool_id = p_pool_id AND m.left_at IS NULL;
    END IF;
    IF v_members IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(v_weights) w WHERE w > 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS12',
            MESSAGE = format('no current member of pool %s has any %s to distribute pro rata to', p_pool_id,
                             CASE p_basis WHEN 'net_invested' THEN 'net invested capital' ELSE 'commitment' END);
    END IF;

    INSERT INTO poolkeeper.operations (pool_id, kind, total, basis, idempotency_key)
    VALUES (p_pool_id, 'distribution', v_total, p_basis, p_idempotency_key)
    RETURNING id INTO v_id;
    PERFORM set_config('poolkeeper.writing_operation', v_id::text, true);
    WITH posted AS (
        INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, operation_id, metadata)
        SELECT p_pool_id, a.key, 'distribution', a.part, v_id, jsonb_build_object('distribution', v_id)
          FROM poolkeeper.allocate(v_total, v_minor, v_members, v_weights) a
         WHERE a.part > 0
         ORDER BY a.key
        RETURNING id
    )
    SELECT min(id), count(*) INTO v_first, v_rows FROM posted;
    PERFORM set_config('poolkeeper.writing_operation', '', true);

    -- One large_transaction alert for the whole distribution.
    SELECT r.alert_threshold, pl.currency INTO v_threshold, v_currency
      FROM poolkeeper.pools pl JOIN poolkeeper.effective_alert_rules r ON r.pool_id = pl.id
     WHERE pl.id = p_pool_id;
    IF v_total > v_threshold THEN
        INSERT INTO poolkeeper.alerts (kind, pool_id, transaction_id, details, dedupe_key)
        VALUES ('large_transaction', p_pool_id, v_first,
                jsonb_build_object('operation_id', v_id, 'transaction_kind', 'distribution', 'amount', v_total::text,
                                   'threshold', v_threshold::text, 'currency', v_currency, 'rows', v_rows),
                'large_transaction:operation:' || v_id);
    END IF;
    RETURN v_id;
END;
$$;

-- add_investor: makes p_investor_id a current member of open pool p_pool_id,
-- with an optional commitment in the pool's currency, and opens (or reopens)
-- the investor's position there. PKS03 if already a member.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE OR REPLACE FUNCTION poolkeeper.add_investor(p_pool_id bigint, p_investor_id bigint, p_commitment numeric DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor      smallint;
    v_commitment numeric;
    v_zero       numeric;
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'add investors to');  -- before the pool's lock
    v_minor := poolkeeper.locked_open_pool(p_pool_id);
    v_zero := round(0::numeric, v_minor);
    PERFORM poolkeeper.checked_investor_exists(p_investor_id);
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
CREATE OR REPLACE FUNCTION poolkeeper.investor_statement(p_investor_id bigint, p_from timestamptz DEFAULT NULL,
                                              p_to timestamptz DEFAULT NULL)
RETURNS TABLE (pool_id bigint, pool_name text, currency text, opening_balance numeric, contributed numeric,
               withdrawn numeric, distributed numeric, fees numeric, closing_balance numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_period(p_from, p_to);
    PERFORM poolkeeper.checked_investor_exists(p_investor_id);
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

-- checked_metrics_request: checks the arguments of a metrics, NAV or valuation request
-- (a pool or an investor that exists, a finite date) and returns the pool's
-- minor units (NULL for an investor request). PKA01, PKN01, PKN02.
CREATE OR REPLACE FUNCTION poolkeeper.checked_metrics_request(p_pool_id bigint, p_investor_id bigint, p_as_of date)
RETURNS smallint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor smallint;
BEGIN
    IF p_as_of IS NULL OR p_as_of IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'as_of must be a date';
    END IF;
    IF p_investor_id IS NOT NULL OR p_pool_id IS NULL THEN
        PERFORM poolkeeper.checked_investor_exists(p_investor_id);
        RETURN NULL;
    END IF;
    PERFORM poolkeeper.checked_id(p_pool_id, 'pool_id');
    SELECT c.minor_units INTO v_minor
      FROM poolkeeper.pools p JOIN poolkeeper.currencies c ON c.code = p.currency
     WHERE p.id = p_pool_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    RETURN v_minor;
END;
$$;

-- The new functions: no EXECUTE for PUBLIC; checked_investor_exists for
-- whoever may call obligation_paid, which calls it with the caller's rights.
REVOKE ALL ON FUNCTION poolkeeper.checked_key(text, text), poolkeeper.checked_investor_exists(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION poolkeeper.checked_investor_exists(bigint)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor;
