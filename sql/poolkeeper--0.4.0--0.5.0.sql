-- poolkeeper 0.4.0 -> 0.5.0: security. The group roles poolkeeper_admin, _manager,
-- _investor, _auditor and _listener; identity from the session's role (caller);
-- SECURITY DEFINER writes that check the caller's right to the pool; EXECUTE revoked
-- from PUBLIC; row-level security on every table of per-person data; views that read
-- with the caller's rights; and the audit columns posted_by, closed_by, changed_by with
-- the alert_rule_changes history. Assembled from the 0.5.0 sources; never edit it once
-- 0.5.0 is released. sql/test/upgrade.sh checks that it gives what a fresh 0.5.0 gives.
-- Adding the columns is instant (no default for existing rows: they stay NULL, "before
-- 0.5.0"). Creating the roles needs CREATEROLE where they do not exist yet. Privileges
-- granted by hand before are revoked, with a WARNING each (grants.sql).
\echo Use "ALTER EXTENSION poolkeeper UPDATE TO '0.5.0'" to load this file. \quit

-- The extension's group roles (NOLOGIN; grant them to login roles). Roles
-- belong to the cluster, not to a database: they are created here only when
-- missing, so a second database with poolkeeper shares them, and DROP
-- EXTENSION leaves them (drop them by hand once no database uses them). A
-- member of one has its rights in every database of the cluster that has
-- poolkeeper. An existing role that can log in, has a special attribute or
-- is a member of another role (and so has its rights) is refused, not adopted.
-- What each may do is in grants.sql and policies.sql, and in docs/security.md.
--   poolkeeper_admin     everything, through the functions, including rules
--   poolkeeper_manager   their own pools: members, money, rules, reports
--   poolkeeper_investor  read their own memberships, positions, ledger rows,
--                        obligations and statements; write nothing
--   poolkeeper_auditor   read everything; write nothing
--   poolkeeper_listener  a spike monitor's needs: the feeds, pools and rules;
--                        raise spike alerts
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['poolkeeper_admin', 'poolkeeper_manager', 'poolkeeper_investor',
                                  'poolkeeper_auditor', 'poolkeeper_listener'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
        ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = v_role
                         AND (r.rolcanlogin OR r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls
                              OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid))) THEN
            -- A role of that name made by somebody else, with more rights than a group role needs.
            RAISE EXCEPTION USING ERRCODE = '42501',
                MESSAGE = format('role %I exists and can log in, has a special attribute or is a member of another role: poolkeeper will not adopt it', v_role),
                HINT = format('ALTER ROLE %I NOLOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS and revoke its memberships, or drop it', v_role);
        END IF;
    END LOOP;
END;
$roles$;

-- caller: the role a request acts as. That is the session's role: the one
-- named by SET ROLE, else the login (session_user). Inside a SECURITY
-- DEFINER function current_user is the function's owner, so the functions
-- read the role from here; nobody can name a role they are not a member of
-- (SET ROLE checks membership), and it cannot be changed inside a SECURITY
-- DEFINER function. A SECURITY DEFINER wrapper of your own does not change
-- who poolkeeper sees: it is still the session's role.
--
-- caller and caller_is have no SET search_path, unlike every other function,
-- so that PostgreSQL inlines them (the ledger trigger calls caller on every
-- row); instead every name in them is schema-qualified, operators included,
-- so that no search_path can change what they mean.
CREATE FUNCTION poolkeeper.caller()
RETURNS name
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.=) 'none' THEN session_user
                ELSE pg_catalog.current_setting('role')::pg_catalog.name END;
$$;

-- caller_is: whether the caller has the privileges of role p_role (for a
-- superuser, always).
CREATE FUNCTION poolkeeper.caller_is(p_role name)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT pg_catalog.pg_has_role(poolkeeper.caller(), p_role, 'USAGE');
$$;

-- Audit columns (see transactions.sql, pools.sql, alert_rules.sql, operations.sql).
ALTER TABLE poolkeeper.transactions ADD COLUMN posted_by name;
ALTER TABLE poolkeeper.pools ADD COLUMN closed_by name;
ALTER TABLE poolkeeper.alert_rules ADD COLUMN changed_by name;
ALTER TABLE poolkeeper.operations ADD COLUMN posted_by name;
ALTER TABLE poolkeeper.operations ALTER COLUMN posted_by SET DEFAULT poolkeeper.caller();

-- Dedupe keys are per pool, so that no producer can take another pool's keys
-- first (see alerts.sql, raise_alert.sql).
ALTER TABLE poolkeeper.alerts DROP CONSTRAINT alerts_dedupe_key_key;
ALTER TABLE poolkeeper.alerts ADD UNIQUE (pool_id, dedupe_key);

-- Every change of an alert rule, append-only: who made it (changed_by, the
-- session's role: caller()), when, and the rule as it was set (NULL when it
-- was dropped). pool_id NULL is the default rule. Written by the trigger
-- alert_rules_audit, whoever changes alert_rules; rows from before 0.5.0
-- were not recorded.
CREATE TABLE poolkeeper.alert_rule_changes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id    bigint REFERENCES poolkeeper.pools (id),
    action     text NOT NULL CHECK (action IN ('set', 'drop')),
    rule       jsonb CHECK ((action = 'set') = (rule IS NOT NULL)),
    changed_by name NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_rule_changes_pool_id ON poolkeeper.alert_rule_changes (pool_id, id);

SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alert_rule_changes', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alert_rule_changes_id_seq', '');

-- caller_manager_id, caller_investor_id: the manager or investor whose
-- login_role is the caller (see caller), or NULL. SECURITY DEFINER so that
-- row-level security policies can use them without reading the party tables
-- through their own policies.
CREATE FUNCTION poolkeeper.caller_manager_id()
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT id FROM poolkeeper.managers WHERE login_role = poolkeeper.caller();
$$;

CREATE FUNCTION poolkeeper.caller_investor_id()
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT id FROM poolkeeper.investors WHERE login_role = poolkeeper.caller();
$$;

-- caller_managed_pools: the ids of the pools the caller manages (empty if
-- none). Policies compare with it as an InitPlan, once per query.
CREATE FUNCTION poolkeeper.caller_managed_pools()
RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(p.id ORDER BY p.id), '{}')
      FROM poolkeeper.pools p JOIN poolkeeper.managers m ON m.id = p.manager_id
     WHERE m.login_role = poolkeeper.caller();
$$;

-- caller_member_pools: the ids of the pools the caller is or was a member
-- of, as an investor (empty if none).
CREATE FUNCTION poolkeeper.caller_member_pools()
RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT ms.pool_id), '{}')
      FROM poolkeeper.memberships ms JOIN poolkeeper.investors i ON i.id = ms.investor_id
     WHERE i.login_role = poolkeeper.caller();
$$;

-- authorize_admin: 42501 unless the caller is a poolkeeper_admin (or a
-- superuser). p_action says what was refused.
CREATE FUNCTION poolkeeper.authorize_admin(p_action text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT poolkeeper.caller_is('poolkeeper_admin') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('role %I may not %s: only poolkeeper_admin may', poolkeeper.caller(), p_action);
    END IF;
END;
$$;

-- authorize_pool: 42501 unless the caller may change pool p_pool_id: a
-- poolkeeper_admin, or the poolkeeper_manager whose manager runs the pool.
-- An unknown or NULL pool passes here, so that the caller's own check names
-- the problem (PKN01, PKA01). A pool's manager never changes, so the answer
-- holds for the whole transaction. p_action says what was refused.
CREATE FUNCTION poolkeeper.authorize_pool(p_pool_id bigint, p_action text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller name := poolkeeper.caller();
BEGIN
    IF pg_has_role(v_caller, 'poolkeeper_admin', 'USAGE') THEN
        RETURN;
    END IF;
    IF pg_has_role(v_caller, 'poolkeeper_manager', 'USAGE')
       AND EXISTS (SELECT 1 FROM poolkeeper.pools p JOIN poolkeeper.managers m ON m.id = p.manager_id
                    WHERE p.id = p_pool_id AND m.login_role = v_caller) THEN
        RETURN;
    END IF;
    IF p_pool_id IS NULL OR NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '42501',
        MESSAGE = format('role %I may not %s pool %s: it is not a manager of that pool', v_caller, p_action, p_pool_id);
END;
$$;

-- record_alert_rule_change: appends the change of an alert_rules row to
-- alert_rule_changes, with the role that made it (caller()).
CREATE FUNCTION poolkeeper.record_alert_rule_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO poolkeeper.alert_rule_changes (pool_id, action, rule, changed_by)
        VALUES (OLD.pool_id, 'drop', NULL, poolkeeper.caller());
    ELSE
        INSERT INTO poolkeeper.alert_rule_changes (pool_id, action, rule, changed_by)
        VALUES (NEW.pool_id, 'set', to_jsonb(NEW) - 'pool_id' - 'updated_at' - 'changed_by', poolkeeper.caller());
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER alert_rules_audit
    AFTER INSERT OR UPDATE OR DELETE ON poolkeeper.alert_rules
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.record_alert_rule_change();

-- The history is append-only, for every role.
CREATE TRIGGER alert_rule_changes_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.alert_rule_changes
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('the alert rule history is append-only');
CREATE TRIGGER alert_rule_changes_no_truncate
    BEFORE TRUNCATE ON poolkeeper.alert_rule_changes
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('the alert rule history is append-only');

-- create_manager: a new fund manager; returns its id. Only a
-- poolkeeper_admin may create one (42501). p_login_role maps a
-- database role to this manager (PKA05 if it does not exist, PKS10 if it is
-- already mapped to another manager).
CREATE OR REPLACE FUNCTION poolkeeper.create_manager(p_name text, p_login_role name DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    PERFORM poolkeeper.authorize_admin('create managers');
    INSERT INTO poolkeeper.managers (name, login_role)
    VALUES (poolkeeper.checked_name(p_name, 'manager name'), poolkeeper.checked_login_role(p_login_role))
    ON CONFLICT (login_role) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS10',
            MESSAGE = format('role %I is already mapped to another manager', p_login_role);
    END IF;
    RETURN v_id;
END;
$$;

-- create_investor: a new investor; returns its id. p_login_role maps a
-- database role to this investor (PKA05 if it does not exist, PKS10 if it is
-- already mapped to another investor). A poolkeeper_admin or a
-- poolkeeper_manager may create investors; only an admin may map a login role
-- (42501), so that nobody can take over a role's identity.
CREATE OR REPLACE FUNCTION poolkeeper.create_investor(p_name text, p_login_role name DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF NOT (poolkeeper.caller_is('poolkeeper_admin') OR poolkeeper.caller_is('poolkeeper_manager')) THEN
        PERFORM poolkeeper.authorize_admin('create investors');
    END IF;
    IF p_login_role IS NOT NULL THEN
        PERFORM poolkeeper.authorize_admin('map a login role to an investor');
    END IF;
    INSERT INTO poolkeeper.investors (name, login_role)
    VALUES (poolkeeper.checked_name(p_name, 'investor name'), poolkeeper.checked_login_role(p_login_role))
    ON CONFLICT (login_role) DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS10',
            MESSAGE = format('role %I is already mapped to another investor', p_login_role);
    END IF;
    RETURN v_id;
END;
$$;

-- create_pool: a new open pool run by p_manager_id in ISO 4217 currency
-- p_currency (case-insensitive); returns its id. PKN03 for an unknown manager,
-- PKA03 for an unknown currency, PKA01 for a bad name. A poolkeeper_admin
-- creates pools for any manager, a poolkeeper_manager for their own (42501).
CREATE OR REPLACE FUNCTION poolkeeper.create_pool(p_manager_id bigint, p_name text, p_currency text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name     text := poolkeeper.checked_name(p_name, 'pool name');
    v_currency text := upper(btrim(p_currency));
    v_id       bigint;
BEGIN
    PERFORM poolkeeper.checked_id(p_manager_id, 'manager_id');
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.managers WHERE id = p_manager_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN03', MESSAGE = format('manager %s does not exist', p_manager_id);
    END IF;
    IF NOT poolkeeper.caller_is('poolkeeper_admin')
       AND (NOT poolkeeper.caller_is('poolkeeper_manager')
            OR p_manager_id IS DISTINCT FROM poolkeeper.caller_manager_id()) THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('role %I may not create pools for manager %s', poolkeeper.caller(), p_manager_id);
    END IF;
    IF v_currency IS NULL OR NOT EXISTS (SELECT 1 FROM poolkeeper.currencies WHERE code = v_currency) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA03',
            MESSAGE = format('currency %L is not a known ISO 4217 code', p_currency);
    END IF;
    INSERT INTO poolkeeper.pools (manager_id, name, currency)
    VALUES (p_manager_id, v_name, v_currency)
    RETURNING id INTO v_id;
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

-- remove_investor: ends p_investor_id's current membership of open pool
-- p_pool_id. Refuses while net_invested is not zero (PKS05) and while the
-- investor still owes on a capital call of the pool (PKS15: once gone, they
-- could never pay it); the membership row, position and ledger stay as
-- history. PKS02 if not a member.
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

-- close_pool: closes open pool p_pool_id for good: no new members, no new
-- ledger rows (PKS01 for both, and for closing it twice). Waits for posts in
-- flight on the pool to commit, so none lands after the close.
-- 42501 unless the caller may change the pool (authorize_pool); the
-- closing role is kept in closed_by.
CREATE OR REPLACE FUNCTION poolkeeper.close_pool(p_pool_id bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'close');
    PERFORM poolkeeper.locked_open_pool(p_pool_id);
    -- Each post updates its position only while is_open holds; closing every
    -- position here means a post either commits before this close or, having
    -- waited for the row, finds it closed. closed_at is read afterwards, so it
    -- is later than every ledger row of the pool.
    UPDATE poolkeeper.positions SET is_open = false WHERE pool_id = p_pool_id AND is_open;
    UPDATE poolkeeper.pools SET status = 'closed', closed_at = clock_timestamp(), closed_by = poolkeeper.caller() WHERE id = p_pool_id;
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
    NEW.posted_by := poolkeeper.caller();
    -- NULL threshold: alerts off for the pool. A distribution's rows raise
    -- no alert of their own: distribute compares the operation's total.
    IF NEW.amount > v_threshold AND NEW.reverses_id IS NULL AND NEW.operation_id IS NULL THEN
        PERFORM poolkeeper.raise_large_transaction_alert(NEW, v_threshold, v_currency);
    END IF;
    RETURN NEW;
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

-- reverse_transaction: appends the reversal of ledger row p_transaction_id
-- (same pool, investor, kind and amount, opposite effect) with p_reason in
-- its metadata, and returns the reversal's id. A row is reversed at most once
-- (PKS06); a reversal is never reversed (PKS07). 42501 unless the caller
-- may change the row's pool (authorize_pool).
CREATE OR REPLACE FUNCTION poolkeeper.reverse_transaction(p_transaction_id bigint, p_reason text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_transaction_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'transaction_id must not be NULL';
    END IF;
    PERFORM poolkeeper.authorize_pool((SELECT pool_id FROM poolkeeper.transactions WHERE id = p_transaction_id), 'reverse rows of');
    INSERT INTO poolkeeper.transactions (reverses_id, metadata)
    VALUES (p_transaction_id, jsonb_build_object('reason', poolkeeper.checked_name(p_reason, 'reason')))
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;

-- set_alert_rule: sets the alert rule of pool p_pool_id, or the default rule
-- for pools without their own when p_pool_id is NULL, replacing what was
-- there. Every argument is checked first (PKA01 says which is wrong; PKN01
-- for an unknown pool): the threshold is NULL (off) or a finite number >= 0,
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

-- drop_alert_rule: removes pool p_pool_id's own alert rule, so that the
-- default applies to it again, or the default rule when p_pool_id is NULL,
-- so that the built-in defaults apply. Returns whether there was a rule.
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
    END IF;
    DELETE FROM poolkeeper.alert_rules WHERE pool_id IS NOT DISTINCT FROM p_pool_id;
    RETURN FOUND;
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

-- rebase_feed: after a logical restore (pg_dump, then pg_restore with
-- triggers off) into another cluster, the restored xact_ids are another
-- cluster's transaction ids and would hide rows from the feeds. This marks
-- every restored ledger row, alert and fund operation as written by one old
-- transaction (a distribution's rows keep matching their operation), so
-- that a reader starting from a NULL cursor gets each once and a reader
-- starting from feed_cursor() none. Cursors from before the restore are no
-- longer valid. Run it once, right after the restore and before new writes.
-- It writes with triggers off, as the extension's owner. Returns the rows
-- changed. Not needed after pg_upgrade, which keeps transaction ids.
-- Only a poolkeeper_admin may rebase (42501).
CREATE OR REPLACE FUNCTION poolkeeper.rebase_feed()
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = replica
AS $$
DECLARE
    v_ledger bigint;
    v_alerts bigint;
    v_operations bigint;
BEGIN
    PERFORM poolkeeper.authorize_admin('rebase the feed');
    UPDATE poolkeeper.transactions SET xact_id = '3' WHERE xact_id <> '3';
    GET DIAGNOSTICS v_ledger = ROW_COUNT;
    UPDATE poolkeeper.alerts SET xact_id = '3' WHERE xact_id <> '3';
    GET DIAGNOSTICS v_alerts = ROW_COUNT;
    UPDATE poolkeeper.operations SET xact_id = '3' WHERE xact_id <> '3';
    GET DIAGNOSTICS v_operations = ROW_COUNT;
    RETURN v_ledger + v_alerts + v_operations;
END;
$$;

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
--
-- It reads what the caller may read (row-level security): a poolkeeper_admin
-- or poolkeeper_auditor reads every pool, through investor_totals when there
-- is no period; anybody else gets the ledger's answer over the rows they may
-- see (a manager: their own pools), whatever the period.
CREATE OR REPLACE FUNCTION poolkeeper.top_investors(p_limit integer DEFAULT 5, p_from timestamptz DEFAULT NULL,
                                         p_to timestamptz DEFAULT NULL)
RETURNS TABLE (investor_id bigint, investor_name text, pool_count bigint, total_invested numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_limit(p_limit);
    PERFORM poolkeeper.checked_period(p_from, p_to);
    IF p_from IS NULL AND p_to IS NULL
       AND (poolkeeper.caller_is('poolkeeper_admin') OR poolkeeper.caller_is('poolkeeper_auditor')) THEN
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

-- call_capital: calls p_total (in the pool's currency) from the current
-- members of open pool p_pool_id, due on p_due_date, and returns the capital
-- call's operation id. The total is allocated pro rata to what each member
-- has left to be called (commitment minus earlier calls; so equal
-- commitments stay equally called) with allocate() (largest remainder, exact
-- in minor units; a member without a commitment owes nothing), and each
-- non-zero share is an obligation (capital_call_obligations: called, paid,
-- outstanding) that pay_capital_call settles. No money moves yet: the ledger is unchanged.
-- With p_idempotency_key, repeating the same call returns the first id and
-- writes nothing (PKS08 for a different call under the key).
-- Runs in READ COMMITTED only (0A000 otherwise: check_read_committed).
-- Refusals: PKA01 (NULL due date), PKA02 (total), PKN01, PKS01, PKS12 (no
-- member has a commitment), PKS13 (a member's called capital would exceed
-- their commitment, or nobody has any left).
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE OR REPLACE FUNCTION poolkeeper.call_capital(p_pool_id bigint, p_total numeric, p_due_date date,
                                        p_idempotency_key text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor   smallint;
    v_total   numeric;
    v_id      bigint;
    v_over    record;
    v_members bigint[];
    v_weights numeric[];
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'call capital in');
    -- A repeat replays, even once the pool has closed.
    v_id := poolkeeper.replayed_operation(p_idempotency_key, 'capital_call', p_pool_id, p_total, 'commitment', p_due_date);
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    PERFORM poolkeeper.check_read_committed('call_capital');
    v_minor := poolkeeper.locked_open_pool(p_pool_id);  -- holds membership changes and other calls off
    -- A new row version of the pool: a REPEATABLE READ transaction whose
    -- snapshot predates this call and that then locks the pool (to remove a
    -- member who now owes) fails with 40001 instead of missing the call.
    UPDATE poolkeeper.pools SET status = status WHERE id = p_pool_id;
    v_total := poolkeeper.checked_amount(p_total, v_minor, 'total');
    IF p_due_date IS NULL OR p_due_date IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'due date must be a date';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.memberships
                    WHERE pool_id = p_pool_id AND left_at IS NULL AND commitment IS NOT NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS12',
            MESSAGE = format('no current member of pool %s has a commitment to call capital against', p_pool_id);
    END IF;

    -- Pro rata to what each member has left to be called: rounding a call up
    -- for one member then never takes them past their commitment while
    -- the total is within what is left.
    SELECT array_agg(m.investor_id ORDER BY m.investor_id),
           array_agg(greatest(0, coalesce(m.commitment, 0) - coalesce(c.called, 0)) ORDER BY m.investor_id)
      INTO v_members, v_weights
      FROM poolkeeper.memberships m
      LEFT JOIN (SELECT o.investor_id, sum(o.called) AS called
                   FROM poolkeeper.operations op JOIN poolkeeper.obligations o ON o.operation_id = op.id
                  WHERE op.pool_id = p_pool_id AND op.kind = 'capital_call'
                  GROUP BY o.investor_id) c ON c.investor_id = m.investor_id
     WHERE m.pool_id = p_pool_id AND m.left_at IS NULL;
    IF NOT EXISTS (SELECT 1 FROM unnest(v_weights) w WHERE w > 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS13',
            MESSAGE = format('the members of pool %s have no commitment left to call', p_pool_id);
    END IF;

    INSERT INTO poolkeeper.operations (pool_id, kind, total, basis, due_date, idempotency_key)
    VALUES (p_pool_id, 'capital_call', v_total, 'commitment', p_due_date, p_idempotency_key)
    RETURNING id INTO v_id;
    INSERT INTO poolkeeper.obligations (operation_id, investor_id, called)
    SELECT v_id, a.key, a.part FROM poolkeeper.allocate(v_total, v_minor, v_members, v_weights) a WHERE a.part > 0;

    -- Called capital, all calls of the pool together, stays within each commitment.
    SELECT m.investor_id, m.commitment, sum(o.called) AS called INTO v_over
      FROM poolkeeper.memberships m
      JOIN poolkeeper.operations c ON c.pool_id = m.pool_id AND c.kind = 'capital_call'
      JOIN poolkeeper.obligations o ON o.operation_id = c.id AND o.investor_id = m.investor_id
     WHERE m.pool_id = p_pool_id AND m.left_at IS NULL
     GROUP BY m.investor_id, m.commitment
    HAVING sum(o.called) > m.commitment
     ORDER BY m.investor_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS13',
            MESSAGE = format('the call would bring investor %s''s called capital in pool %s to %s, above their commitment of %s',
                             v_over.investor_id, p_pool_id, v_over.called, v_over.commitment);
    END IF;
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
-- Refusals: PKN05 (no such capital call), PKN06 (no obligation of that
-- investor in it), PKS14 (nothing outstanding, or more than is), and those
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
    PERFORM 1 FROM poolkeeper.investor_totals t
     WHERE t.investor_id IN (SELECT m.investor_id FROM poolkeeper.memberships m
                              WHERE m.pool_id = p_pool_id AND m.left_at IS NULL)
     ORDER BY t.investor_id
       FOR NO KEY UPDATE;
    IF p_basis = 'net_invested' THEN
        SELECT array_agg(p.investor_id ORDER BY p.investor_id), array_agg(p.net_invested ORDER BY p.investor_id)
          INTO v_members, v_weights
          FROM (SELECT * FROM poolkeeper.positions
                 WHERE pool_id = p_pool_id AND is_open
                 ORDER BY investor_id
                   FOR NO KEY UPDATE) p;
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

-- record_valuation: records pool p_pool_id's net asset value p_nav (in the
-- pool's currency, 0 or more) as of p_as_of, a date no later than today (UTC). A
-- second value for the same date restates the first. Metrics and
-- nav_shares use the latest valuation on or before their date.
-- Refusals: PKA01 (date), PKA02 (NAV), PKN01.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE OR REPLACE FUNCTION poolkeeper.record_valuation(p_pool_id bigint, p_as_of date, p_nav numeric)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor smallint;
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'record valuations of');
    v_minor := poolkeeper.checked_metrics_request(p_pool_id, NULL, p_as_of);
    IF p_as_of > (now() AT TIME ZONE 'UTC')::date THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('valuation date %s is not a date up to today', p_as_of);
    END IF;
    IF p_nav IS DISTINCT FROM 0 THEN
        PERFORM poolkeeper.checked_amount(p_nav, v_minor, 'NAV');
    END IF;
    INSERT INTO poolkeeper.valuations (pool_id, as_of, nav)
    VALUES (p_pool_id, p_as_of, round(p_nav, v_minor))
    ON CONFLICT (pool_id, as_of) DO UPDATE SET nav = EXCLUDED.nav, recorded_at = EXCLUDED.recorded_at;
END;
$$;

-- investor_metrics: investor p_investor_id's performance as of day p_as_of
-- (UTC) in each pool where they have a position, one row per pool (pools
-- may differ in currency, so nothing is summed across them), as
-- fund_metrics defines it; nav is their share of the pool's NAV
-- (nav_shares) rolled forward by their own flows. PKA01, PKN02.
-- SECURITY DEFINER, because an investor's NAV share needs the whole pool's
-- ledger, which the investor may not read; so it chooses the pools itself:
-- every pool for a poolkeeper_admin or poolkeeper_auditor and for the
-- investor's own role, the pools they manage for anybody else (none for a
-- role that manages none).
CREATE OR REPLACE FUNCTION poolkeeper.investor_metrics(p_investor_id bigint, p_as_of date DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS TABLE (pool_id bigint, investor_id bigint, as_of date, currency text, paid_in numeric, distributions numeric,
               withdrawals numeric, fees numeric, nav numeric, valuation_date date, dpi numeric, rvpi numeric,
               tvpi numeric, moic numeric, irr numeric, irr_note text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pools bigint[];  -- NULL: every pool
BEGIN
    PERFORM poolkeeper.checked_metrics_request(NULL, p_investor_id, p_as_of);
    IF NOT (poolkeeper.caller_is('poolkeeper_admin') OR poolkeeper.caller_is('poolkeeper_auditor'))
       AND p_investor_id IS DISTINCT FROM poolkeeper.caller_investor_id() THEN
        v_pools := poolkeeper.caller_managed_pools();
    END IF;
    RETURN QUERY
    SELECT ps.pool_id, p_investor_id, p_as_of, ps.currency, m.*
      FROM poolkeeper.positions ps CROSS JOIN LATERAL poolkeeper.fund_metrics(ps.pool_id, p_investor_id, p_as_of) m
     WHERE ps.investor_id = p_investor_id AND (v_pools IS NULL OR ps.pool_id = ANY (v_pools))
     ORDER BY ps.pool_id;
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
    IF length(p_idempotency_key) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'idempotency_key must be 1 to 255 characters long';
    END IF;
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

-- replayed_post: the id of the ledger row posted earlier under p_key, when the
-- request matches it; NULL when the key is unused; PKS08 when the key was used
-- for a different request. occurred_at takes part only when the caller gave
-- one (NULL means "now", which differs on every retry). A request that does
-- not match and is invalid by itself gets check_ledger_row's error instead.
-- Call it holding lock_idempotency_key(p_key).
CREATE OR REPLACE FUNCTION poolkeeper.replayed_post(
    p_key text, p_pool_id bigint, p_investor_id bigint, p_kind text, p_amount numeric,
    p_occurred_at timestamptz, p_metadata jsonb)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row poolkeeper.transactions;
    v_request poolkeeper.transactions;
BEGIN
    SELECT * INTO v_row FROM poolkeeper.transactions WHERE idempotency_key = p_key;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF v_row.pool_id IS DISTINCT FROM p_pool_id OR v_row.investor_id IS DISTINCT FROM p_investor_id
       OR v_row.kind IS DISTINCT FROM p_kind OR v_row.amount IS DISTINCT FROM p_amount
       OR v_row.metadata IS DISTINCT FROM coalesce(p_metadata, '{}')
       OR (p_occurred_at IS NOT NULL AND v_row.occurred_at IS DISTINCT FROM p_occurred_at) THEN
        -- A request that is bad in itself gets the error for that, not PKS08.
        v_request.pool_id := p_pool_id;
        v_request.investor_id := p_investor_id;
        v_request.kind := p_kind;
        v_request.amount := p_amount;
        v_request.occurred_at := coalesce(p_occurred_at, now());
        v_request.idempotency_key := p_key;
        v_request.metadata := coalesce(p_metadata, '{}');
        PERFORM poolkeeper.check_ledger_row(v_request);
        IF v_row.pool_id IS DISTINCT FROM p_pool_id THEN  -- nothing about another pool's row
            RAISE EXCEPTION USING ERRCODE = 'PKS08',
                MESSAGE = format('idempotency key %L was used for a ledger row of another pool', p_key);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'PKS08',
            MESSAGE = format('idempotency key %L was used for ledger row %s, a different request', p_key, v_row.id);
    END IF;
    RETURN v_row.id;
END;
$$;

-- The feed returns posted_by too: a new result type, so the function is made anew
-- (its grants follow in grants.sql).
DROP FUNCTION poolkeeper.transactions_after(text, integer);
-- transactions_after: the feed of committed ledger rows. Returns up to
-- p_limit (1 to 10000) rows that come after p_cursor, in feed order, each
-- with the cursor that comes after it; pass the last row's cursor to the
-- next call. A NULL cursor starts at the first row ever written, and
-- feed_cursor() now. Rows come exactly once along a chain of cursors,
-- whatever order their transactions commit in (see feed_windows and
-- docs/feed.md). The rows of one database transaction come together, so a
-- distribution's rows (operation_id) come one after another. PKA01 for a
-- bad limit, PKA06 for a bad cursor, PKS11 when called in a transaction
-- that has written or locked rows. posted_by is the role that wrote the
-- row (NULL before 0.5.0).
CREATE FUNCTION poolkeeper.transactions_after(p_cursor text, p_limit integer DEFAULT 1000)
RETURNS TABLE (cursor text, id bigint, pool_id bigint, investor_id bigint, kind text, amount numeric,
               occurred_at timestamptz, recorded_at timestamptz, idempotency_key text,
               reverses_id bigint, metadata jsonb, operation_id bigint, posted_by name)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- a poll is a few index probes; compiling it would cost more than running it
AS $$
    SELECT format('v1;transactions;%s;%s;%s;%s', w.lower, w.upper, t.xact_id, t.id),
           t.id, t.pool_id, t.investor_id, t.kind, t.amount, t.occurred_at, t.recorded_at,
           t.idempotency_key, t.reverses_id, t.metadata, t.operation_id, t.posted_by
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

-- Views read with the caller's rights, so that row-level security applies.
ALTER VIEW poolkeeper.pool_summary SET (security_invoker = true);
ALTER VIEW poolkeeper.effective_alert_rules SET (security_invoker = true);
ALTER VIEW poolkeeper.capital_call_obligations SET (security_invoker = true);

-- Who may call and read what. Nothing is granted to PUBLIC: EXECUTE, which
-- PostgreSQL gives PUBLIC on every new function, is revoked from all of
-- them, and no role may write a table directly. Writes go through the
-- SECURITY DEFINER functions, which check the caller's right to the pool
-- (authorize_pool, authorize_admin); reads go through the tables and views,
-- whose rows row-level security filters per role (policies.sql). The
-- test security.sql holds the same matrix and fails when they differ.

-- Privileges granted by hand before 0.5.0 (0.4.0 granted none) would go
-- around all of this: on the extension's own objects, every privilege held
-- by anybody but the owner (the group roles and PUBLIC included; the grants
-- below follow) is revoked, CASCADE, so that grants passed on WITH GRANT
-- OPTION go too, column privileges with their table's, with a WARNING naming
-- each. A fresh install has none.
DO $revoke$
DECLARE
    v_grant record;
BEGIN
    FOR v_grant IN
        WITH members AS (
            SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
             WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
               AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'poolkeeper'))
        SELECT DISTINCT x.kind, x.object, x.grantee
          FROM (SELECT CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
                       format('poolkeeper.%I', c.relname) AS object, a.grantee
                  FROM pg_catalog.pg_class c
                  JOIN members m ON m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid
                 CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
                 WHERE a.grantee <> c.relowner
                UNION ALL
                SELECT 'TABLE', format('poolkeeper.%I', c.relname), a.grantee
                  FROM pg_catalog.pg_class c
                  JOIN members m ON m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid
                  JOIN pg_catalog.pg_attribute att ON att.attrelid = c.oid AND att.attacl IS NOT NULL
                 CROSS JOIN LATERAL pg_catalog.aclexplode(att.attacl) a
                 WHERE a.grantee <> c.relowner
                UNION ALL
                SELECT 'FUNCTION', format('poolkeeper.%I(%s)', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
                       a.grantee
                  FROM pg_catalog.pg_proc p
                  JOIN members m ON m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid
                 CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
                 WHERE a.grantee NOT IN (p.proowner, 0)  -- PUBLIC loses EXECUTE on every function below
                UNION ALL
                SELECT 'SCHEMA', 'poolkeeper', a.grantee
                  FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
                 WHERE n.nspname = 'poolkeeper' AND a.grantee <> n.nspowner) x
         ORDER BY 1, 2, 3
    LOOP
        RAISE WARNING 'poolkeeper: revoking every privilege of % on % %: roles get their rights from the poolkeeper_* group roles now',
            CASE WHEN v_grant.grantee = 0 THEN 'PUBLIC' ELSE v_grant.grantee::regrole::text END, lower(v_grant.kind), v_grant.object;
        EXECUTE format('REVOKE ALL ON %s %s FROM %s CASCADE', v_grant.kind, v_grant.object,
                       CASE WHEN v_grant.grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident((SELECT rolname FROM pg_catalog.pg_roles WHERE oid = v_grant.grantee)) END);
    END LOOP;
END;
$revoke$;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA poolkeeper FROM PUBLIC;
GRANT USAGE ON SCHEMA poolkeeper
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor, poolkeeper_listener;

-- Reference data, and who is calling: for everybody.
GRANT SELECT ON poolkeeper.currencies, poolkeeper.error_codes
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor, poolkeeper_listener;
GRANT EXECUTE ON FUNCTION
    poolkeeper.caller(), poolkeeper.caller_is(name), poolkeeper.caller_manager_id(), poolkeeper.caller_investor_id(),
    poolkeeper.caller_managed_pools(), poolkeeper.caller_member_pools(),
    poolkeeper.checked_id(bigint, text), poolkeeper.checked_name(text, text),
    poolkeeper.checked_amount(numeric, smallint, text), poolkeeper.checked_window(interval, text),
    poolkeeper.checked_limit(integer), poolkeeper.checked_period(timestamptz, timestamptz)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor, poolkeeper_listener;

-- Tables and views, read under row-level security.
GRANT SELECT ON poolkeeper.pools, poolkeeper.transactions
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor, poolkeeper_listener;
GRANT SELECT ON poolkeeper.investors, poolkeeper.memberships, poolkeeper.positions, poolkeeper.operations,
                poolkeeper.obligations, poolkeeper.obligation_payments, poolkeeper.valuations,
                poolkeeper.capital_call_obligations
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor;
GRANT SELECT ON poolkeeper.managers, poolkeeper.pool_summary, poolkeeper.alert_rule_changes
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_auditor;
GRANT SELECT ON poolkeeper.alert_rules, poolkeeper.alerts, poolkeeper.effective_alert_rules
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_auditor, poolkeeper_listener;
GRANT SELECT ON poolkeeper.investor_totals
    TO poolkeeper_admin, poolkeeper_investor, poolkeeper_auditor;

-- Writes: the pool's manager or an admin (each function checks which).
GRANT EXECUTE ON FUNCTION
    poolkeeper.create_investor(text, name), poolkeeper.create_pool(bigint, text, text),
    poolkeeper.add_investor(bigint, bigint, numeric), poolkeeper.remove_investor(bigint, bigint),
    poolkeeper.close_pool(bigint),
    poolkeeper.post_transaction(bigint, bigint, text, numeric, text, timestamptz, jsonb),
    poolkeeper.reverse_transaction(bigint, text),
    poolkeeper.set_alert_rule(bigint, numeric, interval, interval, numeric, integer, boolean),
    poolkeeper.drop_alert_rule(bigint),
    poolkeeper.call_capital(bigint, numeric, date, text),
    poolkeeper.pay_capital_call(bigint, bigint, numeric, text, timestamptz),
    poolkeeper.distribute(bigint, numeric, text, text),
    poolkeeper.record_valuation(bigint, date, numeric)
    TO poolkeeper_admin, poolkeeper_manager;
GRANT EXECUTE ON FUNCTION poolkeeper.create_manager(text, name), poolkeeper.rebase_feed()
    TO poolkeeper_admin;
GRANT EXECUTE ON FUNCTION poolkeeper.raise_alert(text, bigint, jsonb, text, bigint)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_listener;

-- The feeds, for spike monitors, alert listeners and managers' own apps.
GRANT EXECUTE ON FUNCTION
    poolkeeper.check_feed_reader(text), poolkeeper.feed_cursor(), poolkeeper.feed_windows(text, text),
    poolkeeper.transactions_after(text, integer), poolkeeper.alerts_after(text, integer),
    poolkeeper.alert_history(bigint, text, timestamptz, timestamptz, integer)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_auditor, poolkeeper_listener;

-- Reports (SECURITY INVOKER: they see what the caller may read).
GRANT EXECUTE ON FUNCTION
    poolkeeper.top_investors(integer, timestamptz, timestamptz),
    poolkeeper.pool_activity(bigint, text, timestamptz, timestamptz),
    poolkeeper.pool_metrics(bigint, date), poolkeeper.nav_shares(bigint, date),
    poolkeeper.fund_metrics(bigint, bigint, date), poolkeeper.ledger_as_of(bigint, bigint, date),
    poolkeeper.checked_metrics_request(bigint, bigint, date)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_auditor;
GRANT EXECUTE ON FUNCTION
    poolkeeper.investor_statement(bigint, timestamptz, timestamptz), poolkeeper.investor_metrics(bigint, date),
    poolkeeper.obligation_paid(bigint, bigint), poolkeeper.allocate(numeric, integer, bigint[], numeric[]),
    poolkeeper.xirr(numeric[], date[]), poolkeeper.xirr_npv(numeric[], numeric[], numeric)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor;
GRANT EXECUTE ON FUNCTION poolkeeper.verify()
    TO poolkeeper_admin, poolkeeper_auditor;

-- Row-level security: which rows each role reads. Only SELECT is granted
-- (grants.sql), so these are read policies; the table owner, whose rights
-- the SECURITY DEFINER functions use, and superusers are not subject to them.
-- Policies of one table add up: a login that is both a manager and an
-- investor reads what either may.
--   poolkeeper_admin, poolkeeper_auditor  every row
--   poolkeeper_manager   rows of the pools they manage (caller_managed_pools),
--                        the investors who are or were members of them, their
--                        own manager row, and the default alert rule
--   poolkeeper_investor  their own investor row, memberships, positions,
--                        ledger rows, obligations and payments, totals; the
--                        pools they are or were in, with their operations and
--                        valuations
--   poolkeeper_listener  pools, the ledger, alert rules and alerts: what a
--                        spike monitor and an alert stream read
-- The caller_* functions are evaluated once per query, as InitPlans.
DO $policies$
DECLARE
    v_table text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['managers', 'investors', 'pools', 'memberships', 'positions', 'transactions',
                                   'alert_rules', 'alerts', 'investor_totals', 'operations', 'obligations',
                                   'obligation_payments', 'valuations', 'alert_rule_changes'] LOOP
        EXECUTE format('ALTER TABLE poolkeeper.%I ENABLE ROW LEVEL SECURITY', v_table);
        EXECUTE format('CREATE POLICY %I ON poolkeeper.%I FOR SELECT TO poolkeeper_admin, poolkeeper_auditor USING (true)',
                       v_table || '_read_all', v_table);
    END LOOP;
END;
$policies$;

CREATE POLICY managers_own ON poolkeeper.managers FOR SELECT TO poolkeeper_manager
    USING (id = (SELECT poolkeeper.caller_manager_id()));

CREATE POLICY investors_of_managed_pools ON poolkeeper.investors FOR SELECT TO poolkeeper_manager
    USING (id IN (SELECT ms.investor_id FROM poolkeeper.memberships ms
                   WHERE ms.pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[])));
CREATE POLICY investors_own ON poolkeeper.investors FOR SELECT TO poolkeeper_investor
    USING (id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY pools_managed ON poolkeeper.pools FOR SELECT TO poolkeeper_manager
    USING (id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY pools_member ON poolkeeper.pools FOR SELECT TO poolkeeper_investor
    USING (id = ANY ((SELECT poolkeeper.caller_member_pools())::bigint[]));
CREATE POLICY pools_listener ON poolkeeper.pools FOR SELECT TO poolkeeper_listener USING (true);

CREATE POLICY memberships_managed ON poolkeeper.memberships FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY memberships_own ON poolkeeper.memberships FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY positions_managed ON poolkeeper.positions FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY positions_own ON poolkeeper.positions FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY transactions_managed ON poolkeeper.transactions FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY transactions_own ON poolkeeper.transactions FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));
CREATE POLICY transactions_listener ON poolkeeper.transactions FOR SELECT TO poolkeeper_listener USING (true);

CREATE POLICY alert_rules_managed ON poolkeeper.alert_rules FOR SELECT TO poolkeeper_manager
    USING (pool_id IS NULL OR pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY alert_rules_listener ON poolkeeper.alert_rules FOR SELECT TO poolkeeper_listener USING (true);

CREATE POLICY alerts_managed ON poolkeeper.alerts FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY alerts_listener ON poolkeeper.alerts FOR SELECT TO poolkeeper_listener USING (true);

CREATE POLICY investor_totals_own ON poolkeeper.investor_totals FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY operations_managed ON poolkeeper.operations FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY operations_member ON poolkeeper.operations FOR SELECT TO poolkeeper_investor
    USING (pool_id = ANY ((SELECT poolkeeper.caller_member_pools())::bigint[]));

CREATE POLICY obligations_managed ON poolkeeper.obligations FOR SELECT TO poolkeeper_manager
    USING (operation_id IN (SELECT o.id FROM poolkeeper.operations o
                             WHERE o.pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[])));
CREATE POLICY obligations_own ON poolkeeper.obligations FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY obligation_payments_managed ON poolkeeper.obligation_payments FOR SELECT TO poolkeeper_manager
    USING (operation_id IN (SELECT o.id FROM poolkeeper.operations o
                             WHERE o.pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[])));
CREATE POLICY obligation_payments_own ON poolkeeper.obligation_payments FOR SELECT TO poolkeeper_investor
    USING (investor_id = (SELECT poolkeeper.caller_investor_id()));

CREATE POLICY valuations_managed ON poolkeeper.valuations FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
CREATE POLICY valuations_member ON poolkeeper.valuations FOR SELECT TO poolkeeper_investor
    USING (pool_id = ANY ((SELECT poolkeeper.caller_member_pools())::bigint[]));

CREATE POLICY alert_rule_changes_managed ON poolkeeper.alert_rule_changes FOR SELECT TO poolkeeper_manager
    USING (pool_id = ANY ((SELECT poolkeeper.caller_managed_pools())::bigint[]));
