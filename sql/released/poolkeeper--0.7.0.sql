-- poolkeeper 0.7.0: generated from src/ by the Makefile; edit src/, not this file.
\echo Use "CREATE EXTENSION poolkeeper" to load this file. \quit

-- src/schema.sql
-- The extension's schema. Fails if a schema of that name already exists, so
-- poolkeeper never mixes its objects with somebody else's.
CREATE SCHEMA poolkeeper;
COMMENT ON SCHEMA poolkeeper IS 'poolkeeper: investment pools, exact ledger, positions and alerts';

-- src/security/roles.sql
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

-- src/security/caller.sql
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

-- src/tables/error_codes.sql
-- Every SQLSTATE poolkeeper raises on purpose, with its meaning. Class PK is
-- ours: PKA.. bad input, PKN.. something named does not exist, PKS.. the
-- request conflicts with the state of the ledger. docs/errors.md mirrors it.
CREATE TABLE poolkeeper.error_codes (
    sqlstate text PRIMARY KEY CHECK (sqlstate ~ '^PK[A-Z][0-9]{2}$'),
    name     text NOT NULL UNIQUE,
    meaning  text NOT NULL
);

INSERT INTO poolkeeper.error_codes (sqlstate, name, meaning) VALUES
    ('PKA01', 'invalid_argument',      'an argument is NULL, empty, too long, malformed or out of range'),
    ('PKA02', 'invalid_amount',        'an amount is NULL, NaN, infinite, not positive, at least 10^18, or has more decimals than the pool currency allows'),
    ('PKA03', 'unknown_currency',      'the currency is not an ISO 4217 code known to poolkeeper.currencies'),
    ('PKA04', 'invalid_kind',          'the transaction kind is not contribution, withdrawal, distribution or fee'),
    ('PKA05', 'unknown_role',          'the login role does not exist'),
    ('PKA06', 'invalid_cursor',        'the feed cursor is malformed or belongs to the other feed'),
    ('PKN01', 'pool_not_found',        'no pool has that id'),
    ('PKN02', 'investor_not_found',    'no investor has that id'),
    ('PKN03', 'manager_not_found',     'no manager has that id'),
    ('PKN04', 'transaction_not_found', 'no ledger row has that id'),
    ('PKN05', 'operation_not_found',   'no capital call has that id'),
    ('PKN06', 'obligation_not_found',  'the investor owes nothing in that capital call'),
    ('PKS01', 'pool_closed',           'the pool is closed: it takes no new members and no ledger rows'),
    ('PKS02', 'not_a_member',          'the investor is not a current member of the pool'),
    ('PKS03', 'already_a_member',      'the investor is already a current member of the pool'),
    ('PKS04', 'insufficient_position', 'the withdrawal, fee or reversal would take net_invested below zero'),
    ('PKS05', 'position_not_zero',     'the investor still holds a non-zero net position in the pool'),
    ('PKS06', 'already_reversed',      'the ledger row has already been reversed'),
    ('PKS07', 'not_reversible',        'the ledger row is itself a reversal, or a reversal does not match the row it reverses'),
    ('PKS08', 'idempotency_conflict',  'the idempotency key was used before for a different request'),
    ('PKS09', 'immutable_ledger',      'ledger rows, positions and investor totals are never updated or deleted directly (post a reversal), and neither are alerts, fund operations, obligations or their payments'),
    ('PKS10', 'role_already_mapped',   'the login role already belongs to another manager or investor'),
    ('PKS11', 'feed_after_write',      'the feed cannot be read in a transaction that has already written or locked rows'),
    ('PKS12', 'no_allocation_basis',   'the weights to allocate pro rata to (members'' commitments or net invested capital) sum to zero'),
    ('PKS13', 'call_exceeds_commitment', 'the capital call would take a member''s called capital above their commitment'),
    ('PKS14', 'payment_exceeds_obligation', 'the payment is more than the investor still owes on the capital call'),
    ('PKS15', 'obligation_outstanding', 'the investor still owes on a capital call of the pool');

-- src/tables/domains.sql
-- nonnegative_total: a running total that never goes below zero. A domain,
-- not a CHECK constraint on each column: PostgreSQL prepares a domain's check
-- once per session, but re-reads a table's CHECK constraints on every
-- statement, and positions are updated by every post.
CREATE DOMAIN poolkeeper.nonnegative_total AS numeric
    CHECK (VALUE >= 0);

-- src/tables/currencies.sql
-- ISO 4217 currencies a pool may hold, with the number of decimals (minor
-- units) an amount in that currency may carry: 2 for USD, 0 for JPY, 3 for KWD.
CREATE TABLE poolkeeper.currencies (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    minor_units smallint NOT NULL CHECK (minor_units BETWEEN 0 AND 4)
);

INSERT INTO poolkeeper.currencies (code, minor_units) VALUES
    ('AED', 2), ('AFN', 2), ('ALL', 2), ('AMD', 2), ('ANG', 2), ('AOA', 2), ('ARS', 2), ('AUD', 2),
    ('AWG', 2), ('AZN', 2), ('BAM', 2), ('BBD', 2), ('BDT', 2), ('BGN', 2), ('BHD', 3), ('BIF', 0),
    ('BMD', 2), ('BND', 2), ('BOB', 2), ('BRL', 2), ('BSD', 2), ('BTN', 2), ('BWP', 2), ('BYN', 2),
    ('BZD', 2), ('CAD', 2), ('CDF', 2), ('CHF', 2), ('CLF', 4), ('CLP', 0), ('CNY', 2), ('COP', 2),
    ('CRC', 2), ('CUP', 2), ('CVE', 2), ('CZK', 2), ('DJF', 0), ('DKK', 2), ('DOP', 2), ('DZD', 2),
    ('EGP', 2), ('ERN', 2), ('ETB', 2), ('EUR', 2), ('FJD', 2), ('FKP', 2), ('GBP', 2), ('GEL', 2),
    ('GHS', 2), ('GIP', 2), ('GMD', 2), ('GNF', 0), ('GTQ', 2), ('GYD', 2), ('HKD', 2), ('HNL', 2),
    ('HTG', 2), ('HUF', 2), ('IDR', 2), ('ILS', 2), ('INR', 2), ('IQD', 3), ('IRR', 2), ('ISK', 0),
    ('JMD', 2), ('JOD', 3), ('JPY', 0), ('KES', 2), ('KGS', 2), ('KHR', 2), ('KMF', 0), ('KPW', 2),
    ('KRW', 0), ('KWD', 3), ('KYD', 2), ('KZT', 2), ('LAK', 2), ('LBP', 2), ('LKR', 2), ('LRD', 2),
    ('LSL', 2), ('LYD', 3), ('MAD', 2), ('MDL', 2), ('MGA', 2), ('MKD', 2), ('MMK', 2), ('MNT', 2),
    ('MOP', 2), ('MRU', 2), ('MUR', 2), ('MVR', 2), ('MWK', 2), ('MXN', 2), ('MYR', 2), ('MZN', 2),
    ('NAD', 2), ('NGN', 2), ('NIO', 2), ('NOK', 2), ('NPR', 2), ('NZD', 2), ('OMR', 3), ('PAB', 2),
    ('PEN', 2), ('PGK', 2), ('PHP', 2), ('PKR', 2), ('PLN', 2), ('PYG', 0), ('QAR', 2), ('RON', 2),
    ('RSD', 2), ('RUB', 2), ('RWF', 0), ('SAR', 2), ('SBD', 2), ('SCR', 2), ('SDG', 2), ('SEK', 2),
    ('SGD', 2), ('SHP', 2), ('SLE', 2), ('SOS', 2), ('SRD', 2), ('SSP', 2), ('STN', 2), ('SVC', 2),
    ('SYP', 2), ('SZL', 2), ('THB', 2), ('TJS', 2), ('TMT', 2), ('TND', 3), ('TOP', 2), ('TRY', 2),
    ('TTD', 2), ('TWD', 2), ('TZS', 2), ('UAH', 2), ('UGX', 0), ('USD', 2), ('UYU', 2), ('UYW', 4),
    ('UZS', 2), ('VED', 2), ('VES', 2), ('VND', 0), ('VUV', 0), ('WST', 2), ('XAF', 0), ('XCD', 2),
    ('XCG', 2), ('XOF', 0), ('XPF', 0), ('YER', 2), ('ZAR', 2), ('ZMW', 2), ('ZWG', 2);

-- src/tables/parties.sql
-- Managers run pools; investors put money into them. Either may be mapped to
-- the database login role that acts for them (login_role, unique per table).
CREATE TABLE poolkeeper.managers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    login_role name UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE poolkeeper.investors (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    login_role name UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- src/tables/pools.sql
-- A pool (syndicate) run by one manager in one currency. Pools are closed,
-- never deleted: a closed pool takes no new members and no ledger rows.
CREATE TABLE poolkeeper.pools (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    manager_id bigint NOT NULL REFERENCES poolkeeper.managers (id),
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    currency   text NOT NULL REFERENCES poolkeeper.currencies (code),
    status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    closed_at  timestamptz,
    closed_by  name,  -- the role that closed it (caller()); NULL if closed before 0.5.0
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);

CREATE INDEX pools_manager_id ON poolkeeper.pools (manager_id);

-- src/tables/memberships.sql
-- Who is, and was, in which pool. One row per stint: leaving sets left_at and
-- rejoining adds a new row, so history stays. At most one current row
-- (left_at IS NULL) per (pool, investor).
CREATE TABLE poolkeeper.memberships (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id     bigint NOT NULL REFERENCES poolkeeper.pools (id),
    investor_id bigint NOT NULL REFERENCES poolkeeper.investors (id),
    commitment  numeric CHECK (commitment > 0),
    joined_at   timestamptz NOT NULL DEFAULT now(),
    left_at     timestamptz,
    CHECK (left_at IS NULL OR left_at >= joined_at)
);

CREATE UNIQUE INDEX memberships_current ON poolkeeper.memberships (pool_id, investor_id)
    WHERE left_at IS NULL;
CREATE INDEX memberships_pool_investor ON poolkeeper.memberships (pool_id, investor_id, joined_at);
CREATE INDEX memberships_investor_id ON poolkeeper.memberships (investor_id);

-- src/tables/positions.sql
-- One investor's running totals in one pool, kept exact by the ledger trigger
-- in the same database transaction as each ledger row. All four totals are net
-- of reversals; net_invested is contributed - withdrawn - fees, kept by the
-- same UPDATE (verify() checks it). Distributions are paid from proceeds:
-- they neither reduce net_invested nor are limited by it.
--
-- is_open says whether the position takes ledger rows: the pool is open and
-- the investor a current member. add_investor, remove_investor and close_pool
-- set it while holding the row lock, so a post that waited for that lock sees
-- the new value when PostgreSQL re-checks its WHERE clause.
--
-- minor_units is a copy of the currency's decimals, so that a post reads
-- them from the row it updates; add_investor sets it, and verify() checks it
-- (currencies' minor units are reference data: do not change them while
-- positions use them).
CREATE TABLE poolkeeper.positions (
    pool_id         bigint NOT NULL REFERENCES poolkeeper.pools (id),
    investor_id     bigint NOT NULL REFERENCES poolkeeper.investors (id),
    currency        text NOT NULL REFERENCES poolkeeper.currencies (code),
    contributed     poolkeeper.nonnegative_total NOT NULL DEFAULT 0,
    withdrawn       poolkeeper.nonnegative_total NOT NULL DEFAULT 0,
    distributed     poolkeeper.nonnegative_total NOT NULL DEFAULT 0,
    fees            poolkeeper.nonnegative_total NOT NULL DEFAULT 0,
    net_invested    poolkeeper.nonnegative_total NOT NULL DEFAULT 0,
    is_open         boolean NOT NULL DEFAULT true,
    minor_units     smallint NOT NULL,
    PRIMARY KEY (pool_id, investor_id)
) WITH (fillfactor = 70);  -- room for HOT updates: positions change on every post

CREATE INDEX positions_investor_id ON poolkeeper.positions (investor_id);

-- src/tables/transactions.sql
-- The ledger: append-only. A reversal is a row with reverses_id set, the same
-- pool, investor, kind and amount as the row it reverses, and the opposite
-- effect on the position. recorded_at is the database's clock, never the
-- caller's. xact_id is the id of the database transaction that wrote the
-- row: the feed (transactions_after) uses it to hand out each committed row
-- exactly once, whatever order transactions commit in.
--
-- The rules live in the trigger functions in ../triggers/, which check every
-- field of every new row, and verify() checks them after the fact. There are
-- no CHECK constraints here on purpose: PostgreSQL re-reads a table's CHECK
-- constraints on every statement, which would cost every post for tests the
-- trigger has already made.
-- The trigger assigns id from this sequence to every new row, whatever the
-- writer sends (see ledger_before_insert).
CREATE SEQUENCE poolkeeper.transactions_id_seq;

CREATE TABLE poolkeeper.transactions (
    id              bigint PRIMARY KEY,
    pool_id         bigint NOT NULL,
    investor_id     bigint NOT NULL,
    kind            text NOT NULL,
    amount          numeric NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    idempotency_key text,
    reverses_id     bigint REFERENCES poolkeeper.transactions (id),
    metadata        jsonb NOT NULL DEFAULT '{}',
    xact_id         xid8 NOT NULL,
    -- The distribution (operations) that wrote the row; NULL for every other
    -- row. No foreign key, for the same reason as positions: the trigger
    -- checks it (see ledger_before_insert), and verify() does.
    operation_id    bigint,
    -- Who wrote the row (caller(): the session's role), set by the trigger
    -- whatever the writer sends; NULL for rows written before 0.5.0.
    posted_by       name
);
ALTER SEQUENCE poolkeeper.transactions_id_seq OWNED BY poolkeeper.transactions.id;
-- No foreign key to positions: the trigger only accepts a row whose position
-- it has just updated, and positions are never deleted. (The key's check
-- would cost every post a second lookup of the same row.)

CREATE UNIQUE INDEX transactions_idempotency_key ON poolkeeper.transactions (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX transactions_reverses_id ON poolkeeper.transactions (reverses_id)
    WHERE reverses_id IS NOT NULL;
-- The feed reads rows in (xact_id, id) order from a cursor's position.
CREATE INDEX transactions_feed ON poolkeeper.transactions (xact_id, id);
-- The rows of one distribution.
CREATE INDEX transactions_operation_id ON poolkeeper.transactions (operation_id) WHERE operation_id IS NOT NULL;
-- Reports: one pool's activity and last activity, one investor's statement.
CREATE INDEX transactions_pool_occurred ON poolkeeper.transactions (pool_id, occurred_at);
CREATE INDEX transactions_investor_occurred ON poolkeeper.transactions (investor_id, occurred_at);
-- Reports over a period of the whole ledger (top_investors with a period).
-- occurred_at mostly grows with the table, so a BRIN index skips most of it
-- for the cost of a few pages, where a btree would cost every post.
CREATE INDEX transactions_occurred_brin ON poolkeeper.transactions USING brin (occurred_at);

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
    changed_by                  name,  -- the role of the last change (caller()); NULL before 0.5.0
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
-- through raise_alert). dedupe_key is unique per pool: raising an alert of a
-- pool twice under one key keeps the first. details holds amounts as JSON strings, so that no
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
    dedupe_key     text NOT NULL CHECK (length(dedupe_key) BETWEEN 1 AND 255),
    xact_id        xid8 NOT NULL,  -- set by alerts_before_insert
    UNIQUE (pool_id, dedupe_key)
);

CREATE INDEX alerts_feed ON poolkeeper.alerts (xact_id, id);
CREATE INDEX alerts_pool_raised_at ON poolkeeper.alerts (pool_id, raised_at);
CREATE INDEX alerts_transaction_id ON poolkeeper.alerts (transaction_id) WHERE transaction_id IS NOT NULL;

-- src/tables/investor_totals.sql
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

-- src/tables/operations.sql
-- Fund operations: one row per capital call or distribution, written by
-- call_capital or distribute, never changed afterwards (operations_append_only).
-- total is the amount allocated, in the pool's currency; basis is what it
-- was allocated pro rata to (a capital call always uses commitments);
-- due_date is a capital call's. The ledger rows of a distribution carry its
-- id in transactions.operation_id and were written in its database
-- transaction (xact_id): the ledger trigger accepts no other.
CREATE TABLE poolkeeper.operations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id         bigint NOT NULL REFERENCES poolkeeper.pools (id),
    kind            text NOT NULL CHECK (kind IN ('capital_call', 'distribution')),
    total           numeric NOT NULL CHECK (total > 0),
    basis           text NOT NULL CHECK (basis IN ('commitment', 'net_invested')),
    due_date        date,
    idempotency_key text UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    created_at      timestamptz NOT NULL DEFAULT now(),
    xact_id         xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    posted_by       name DEFAULT poolkeeper.caller(),  -- NULL for operations before 0.5.0
    CHECK ((kind = 'capital_call') = (due_date IS NOT NULL)),
    CHECK (kind = 'distribution' OR basis = 'commitment')
);

CREATE INDEX operations_pool_id ON poolkeeper.operations (pool_id, id);

-- src/tables/obligations.sql
-- What each investor owes on a capital call: one row per member with a
-- non-zero share, written by call_capital. called never changes; what has
-- been paid is the sum of the unreversed contributions recorded against the
-- obligation in obligation_payments (the view capital_call_obligations
-- shows called, paid and outstanding).
CREATE TABLE poolkeeper.obligations (
    operation_id bigint NOT NULL REFERENCES poolkeeper.operations (id),
    investor_id  bigint NOT NULL REFERENCES poolkeeper.investors (id),
    called       numeric NOT NULL CHECK (called > 0),
    PRIMARY KEY (operation_id, investor_id)
);

CREATE INDEX obligations_investor_id ON poolkeeper.obligations (investor_id);

-- The contributions that paid an obligation (pay_capital_call). A reversed
-- contribution stays here and no longer counts as paid. No foreign key to
-- the ledger, whose rows are never deleted: one would make TRUNCATE of the
-- ledger fail on the key before the ledger's own refusal (verify() checks
-- each payment's row).
CREATE TABLE poolkeeper.obligation_payments (
    transaction_id bigint PRIMARY KEY,
    operation_id   bigint NOT NULL,
    investor_id    bigint NOT NULL,
    FOREIGN KEY (operation_id, investor_id) REFERENCES poolkeeper.obligations (operation_id, investor_id)
);

CREATE INDEX obligation_payments_obligation ON poolkeeper.obligation_payments (operation_id, investor_id);

-- src/tables/valuations.sql
-- A pool's net asset value (NAV) as of a date, in the pool's currency, from
-- record_valuation. One value per pool and date: recording a date again
-- restates it (recorded_at says when). Metrics use the latest valuation on
-- or before their date, rolled forward by the cash flows after it.
CREATE TABLE poolkeeper.valuations (
    pool_id     bigint NOT NULL REFERENCES poolkeeper.pools (id),
    as_of       date NOT NULL,
    nav         numeric NOT NULL CHECK (nav >= 0),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pool_id, as_of)
);

-- src/tables/alert_rule_changes.sql
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

-- src/tables/dump_config.sql
-- pg_dump keeps the rows of extension tables only when they are registered
-- here. The seeded reference rows of currencies and error_codes are not dumped.
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.managers', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.investors', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.pools', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.memberships', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.positions', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.transactions', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alert_rules', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.managers_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.investors_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.pools_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.memberships_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.transactions_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alerts_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.investor_totals', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.operations', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.operations_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.obligations', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.obligation_payments', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.valuations', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alert_rule_changes', '');
SELECT pg_catalog.pg_extension_config_dump('poolkeeper.alert_rule_changes_id_seq', '');

-- src/security/caller_parties.sql
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

-- src/security/authorize.sql
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

-- src/views/effective_alert_rules.sql
-- effective_alert_rules: the alert rule in force for every pool, and where it
-- comes from: the pool's own row ('pool'), the default row ('default'), or
-- the column defaults of alert_rules when there is neither ('built-in').
-- alert_threshold is the threshold that applies: NULL when the rule has none
-- or is disabled.
CREATE VIEW poolkeeper.effective_alert_rules WITH (security_invoker = true) AS
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

-- src/views/pool_summary.sql
-- pool_summary: one row per pool: its manager and currency; its current
-- members and the sum of their commitments; the totals of all its positions
-- (net of reversals, in the pool's currency; net_invested is contributed -
-- withdrawn - fees); and its last activity, the latest occurred_at of its
-- ledger rows (NULL before the first). Filter it by pool_id or manager_id:
-- each row costs a few index probes, whatever the size of the ledger.
CREATE VIEW poolkeeper.pool_summary WITH (security_invoker = true) AS
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

-- src/functions/checked_id.sql
-- checked_id: p_id unchanged, or PKA01 when it is NULL. p_what names it.
CREATE FUNCTION poolkeeper.checked_id(p_id bigint, p_what text)
RETURNS bigint
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('%s must not be NULL', p_what);
    END IF;
    RETURN p_id;
END;
$$;

-- src/functions/checked_name.sql
-- checked_name: p_name trimmed, or PKA01 when it is NULL, blank, longer than
-- 200 characters or holds control characters. p_what names it in the message.
CREATE FUNCTION poolkeeper.checked_name(p_name text, p_what text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text := btrim(p_name);
BEGIN
    IF v_name IS NULL OR v_name = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('%s must not be empty', p_what);
    END IF;
    IF length(v_name) > 200 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('%s is %s characters long; at most 200 are allowed', p_what, length(v_name));
    END IF;
    IF v_name ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('%s %L contains control characters', p_what, v_name);
    END IF;
    RETURN v_name;
END;
$$;

-- src/functions/checked_amount.sql
-- checked_amount: p_amount rounded to p_minor_units decimals (so 100 in USD is
-- stored as 100.00), or PKA02 when it is NULL, NaN, infinite, not positive,
-- at least 10^18, or has more decimals than the currency allows. With
-- p_minor_units NULL only the range is checked and p_amount is returned as is.
CREATE FUNCTION poolkeeper.checked_amount(p_amount numeric, p_minor_units smallint, p_what text)
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_amount IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA02', MESSAGE = format('%s must not be NULL', p_what);
    END IF;
    -- NaN sorts above every number in PostgreSQL, so test for it by name.
    IF p_amount IN ('NaN', 'Infinity', '-Infinity') OR p_amount <= 0 OR p_amount >= 1e18 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA02',
            MESSAGE = format('%s %s is not a positive amount below 10^18', p_what, p_amount);
    END IF;
    IF p_minor_units IS NULL THEN
        RETURN p_amount;
    END IF;
    IF p_amount <> round(p_amount, p_minor_units) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA02',
            MESSAGE = format('%s %s has more than %s decimal places', p_what, p_amount, p_minor_units);
    END IF;
    RETURN round(p_amount, p_minor_units);
END;
$$;

-- src/functions/checked_login_role.sql
-- checked_login_role: p_role unchanged when it is NULL or names an existing
-- role; PKA05 otherwise.
CREATE FUNCTION poolkeeper.checked_login_role(p_role name)
RETURNS name
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_role IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = p_role) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA05', MESSAGE = format('role %I does not exist', p_role);
    END IF;
    RETURN p_role;
END;
$$;

-- src/functions/checked_window.sql
-- checked_window: p_window when it is a whole number of seconds from 1 second
-- to 1 day, with no month or year part; PKA01 naming p_what otherwise.
CREATE FUNCTION poolkeeper.checked_window(p_window interval, p_what text)
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
CREATE FUNCTION poolkeeper.checked_limit(p_limit integer)
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

-- src/functions/checked_period.sql
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

-- src/functions/checked_key.sql
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

-- src/functions/checked_investor_exists.sql
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

-- src/functions/create_manager.sql
-- create_manager: a new fund manager; returns its id. Only a
-- poolkeeper_admin may create one (42501). p_login_role maps a
-- database role to this manager (PKA05 if it does not exist, PKS10 if it is
-- already mapped to another manager).
CREATE FUNCTION poolkeeper.create_manager(p_name text, p_login_role name DEFAULT NULL)
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

-- src/functions/create_investor.sql
-- create_investor: a new investor; returns its id. p_login_role maps a
-- database role to this investor (PKA05 if it does not exist, PKS10 if it is
-- already mapped to another investor). A poolkeeper_admin or a
-- poolkeeper_manager may create investors; only an admin may map a login role
-- (42501), so that nobody can take over a role's identity.
CREATE FUNCTION poolkeeper.create_investor(p_name text, p_login_role name DEFAULT NULL)
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

-- src/functions/create_pool.sql
-- create_pool: a new open pool run by p_manager_id in ISO 4217 currency
-- p_currency (case-insensitive); returns its id. PKN03 for an unknown manager,
-- PKA03 for an unknown currency, PKA01 for a bad name. A poolkeeper_admin
-- creates pools for any manager, a poolkeeper_manager for their own (42501).
CREATE FUNCTION poolkeeper.create_pool(p_manager_id bigint, p_name text, p_currency text)
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

-- src/functions/locked_open_pool.sql
-- locked_open_pool: locks pool p_pool_id against concurrent membership changes,
-- calls, distributions and closing, and returns its currency's minor units.
-- PKN01 if it does not exist, PKS01 if it is closed. FOR NO KEY UPDATE, not
-- FOR UPDATE: a post's foreign-key check takes KEY SHARE on the pool after
-- locking its position, and must not wait for a holder of this lock who is
-- waiting for that position (a deadlock the stress harness found).
CREATE FUNCTION poolkeeper.locked_open_pool(p_pool_id bigint)
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

-- src/functions/add_investor.sql
-- add_investor: makes p_investor_id a current member of open pool p_pool_id,
-- with an optional commitment in the pool's currency, and opens (or reopens)
-- the investor's position there. PKS03 if already a member.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE FUNCTION poolkeeper.add_investor(p_pool_id bigint, p_investor_id bigint, p_commitment numeric DEFAULT NULL)
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

-- src/functions/remove_investor.sql
-- remove_investor: ends p_investor_id's current membership of open pool
-- p_pool_id. Refuses while net_invested is not zero (PKS05) and while the
-- investor still owes on a capital call of the pool (PKS15: once gone, they
-- could never pay it); the membership row, position and ledger stay as
-- history. PKS02 if not a member, PKN02 if no investor has that id.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE FUNCTION poolkeeper.remove_investor(p_pool_id bigint, p_investor_id bigint)
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

-- src/functions/close_pool.sql
-- close_pool: closes open pool p_pool_id for good: no new members, no new
-- ledger rows (PKS01 for both, and for closing it twice). Waits for posts in
-- flight on the pool to commit, so none lands after the close.
-- 42501 unless the caller may change the pool (authorize_pool); the
-- closing role is kept in closed_by.
CREATE FUNCTION poolkeeper.close_pool(p_pool_id bigint)
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

-- src/functions/lock_idempotency_key.sql
-- lock_idempotency_key: takes a transaction-scoped advisory lock on p_key, so
-- that posts under one key run one after the other: the second sees the
-- first's committed row and replays it. Advisory lock class 0x504B ('PK')
-- keeps these locks apart from an application's own one-argument locks.
CREATE FUNCTION poolkeeper.lock_idempotency_key(p_key text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_advisory_xact_lock(20555, hashtext(p_key));
$$;

-- src/triggers/check_ledger_row.sql
-- check_ledger_row: raises what is wrong with the fields of ledger row p_row
-- on their own, before any lookup: a NULL pool or investor (PKA01), an
-- unknown kind (PKA04), an amount out of range (PKA02), an occurred_at that
-- is infinite or in the future (PKA01), a bad idempotency key (PKA01) or
-- metadata that is not a JSON object of at most 64 kB (PKA01). Returns when
-- nothing is wrong. ledger_before_insert tests the same conditions at once on
-- its hot path and calls this only to say which one failed.
CREATE FUNCTION poolkeeper.check_ledger_row(p_row poolkeeper.transactions)
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

-- src/triggers/ledger_refusal.sql
-- ledger_refusal: raises why ledger row p_row could not be applied to its
-- position, checking in this order: the pool exists (PKN01), the amount fits
-- the currency (PKA02), the pool is open (PKS01), the investor exists (PKN02)
-- and is a member (PKS02); otherwise the position would go below zero (PKS04).
-- Called by ledger_before_insert only after its UPDATE found no row; it runs
-- after that UPDATE waited for the row lock, so it sees what was committed.
-- It takes no lock: the caller holds a position's lock, and close_pool and
-- remove_investor lock the pool before positions.
CREATE FUNCTION poolkeeper.ledger_refusal(p_row poolkeeper.transactions)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
    v_minor  smallint;
BEGIN
    SELECT p.status, c.minor_units INTO v_status, v_minor
      FROM poolkeeper.pools p JOIN poolkeeper.currencies c ON c.code = p.currency
     WHERE p.id = p_row.pool_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_row.pool_id);
    END IF;
    PERFORM poolkeeper.checked_amount(p_row.amount, v_minor, 'amount');
    IF v_status <> 'open' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS01', MESSAGE = format('pool %s is closed', p_row.pool_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.investors WHERE id = p_row.investor_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN02', MESSAGE = format('investor %s does not exist', p_row.investor_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.positions
                    WHERE pool_id = p_row.pool_id AND investor_id = p_row.investor_id AND is_open) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS02',
            MESSAGE = format('investor %s is not a member of pool %s', p_row.investor_id, p_row.pool_id);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'PKS04',
        MESSAGE = format('%s %s %s would take net_invested of investor %s in pool %s below zero (it is %s)',
                         CASE WHEN p_row.reverses_id IS NULL THEN 'a' ELSE 'reversing a' END,
                         p_row.kind, round(p_row.amount, v_minor), p_row.investor_id, p_row.pool_id,
                         (SELECT net_invested FROM poolkeeper.positions
                           WHERE pool_id = p_row.pool_id AND investor_id = p_row.investor_id));
END;
$$;

-- src/triggers/raise_large_transaction_alert.sql
-- raise_large_transaction_alert: the large_transaction alert of ledger row
-- p_row, whose amount is above p_threshold, raised by ledger_before_insert in
-- the row's own database transaction: if the row is rolled back, so is the
-- alert, and nothing is announced. Amounts go into details as strings.
CREATE FUNCTION poolkeeper.raise_large_transaction_alert(p_row poolkeeper.transactions, p_threshold numeric, p_currency text)
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

-- src/triggers/check_operation_row.sql
-- check_operation_row: raises PKA01 unless ledger row p_row may carry its
-- operation_id: it is a distribution (not a reversal) of the pool of a
-- distribution operation written in the current database transaction, and
-- distribute is writing that operation's rows now (it sets
-- poolkeeper.writing_operation for its INSERT). That stops an application
-- from giving its own rows an operation id by mistake. It does not stop a
-- role that may INSERT into poolkeeper.operations and the ledger directly
-- and sets the setting itself: such a role could write rows that raise no
-- alert of their own (verify() reports rows that do not sum to their
-- operation's total). Direct writes are for the owner only once roles are
-- in place.
CREATE FUNCTION poolkeeper.check_operation_row(p_row poolkeeper.transactions)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_row.reverses_id IS NOT NULL OR p_row.kind IS DISTINCT FROM 'distribution'
       OR current_setting('poolkeeper.writing_operation', true) IS DISTINCT FROM p_row.operation_id::text
       OR NOT EXISTS (SELECT 1 FROM poolkeeper.operations o
                       WHERE o.id = p_row.operation_id AND o.kind = 'distribution'
                         AND o.pool_id = p_row.pool_id AND o.xact_id = pg_current_xact_id()) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('operation_id %s is set only by distribute, on the rows of the distribution it writes',
                             p_row.operation_id);
    END IF;
END;
$$;

-- src/triggers/ledger_before_insert.sql
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
CREATE FUNCTION poolkeeper.ledger_before_insert()
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

CREATE TRIGGER ledger_before_insert
    BEFORE INSERT ON poolkeeper.transactions
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.ledger_before_insert();

-- src/triggers/immutable_ledger.sql
-- reject_ledger_change: ledger rows are never updated, deleted or truncated,
-- by anyone; corrections are reversals. A position's totals change only
-- through the ledger trigger (trigger depth 1), never by a direct write
-- (depth 0); add_investor, remove_investor and close_pool change only is_open.
-- The trigger's first argument, if any, replaces the reason in the message.
CREATE FUNCTION poolkeeper.reject_ledger_change()
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

CREATE TRIGGER transactions_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.transactions
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change();
CREATE TRIGGER transactions_no_truncate
    BEFORE TRUNCATE ON poolkeeper.transactions
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change();
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
CREATE TRIGGER positions_no_delete
    BEFORE DELETE ON poolkeeper.positions
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change();
CREATE TRIGGER positions_no_truncate
    BEFORE TRUNCATE ON poolkeeper.positions
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change();

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

-- Fund operations, their obligations and the payments recorded against them
-- are written once, by call_capital, distribute and pay_capital_call.
CREATE TRIGGER operations_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.operations
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('fund operations are never changed; distribute or call again, or reverse ledger rows');
CREATE TRIGGER operations_no_truncate
    BEFORE TRUNCATE ON poolkeeper.operations
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('fund operations are never changed; distribute or call again, or reverse ledger rows');
CREATE TRIGGER obligations_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.obligations
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('obligations are never changed; a reversed payment makes its amount outstanding again');
CREATE TRIGGER obligations_no_truncate
    BEFORE TRUNCATE ON poolkeeper.obligations
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('obligations are never changed; a reversed payment makes its amount outstanding again');
CREATE TRIGGER obligation_payments_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.obligation_payments
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('payments are never changed; reverse the payment''s ledger row instead');
CREATE TRIGGER obligation_payments_no_truncate
    BEFORE TRUNCATE ON poolkeeper.obligation_payments
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('payments are never changed; reverse the payment''s ledger row instead');

-- src/triggers/alert_rules_audit.sql
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

-- src/functions/replayed_post.sql
-- replayed_post: the id of the ledger row posted earlier under p_key, when the
-- request matches it; NULL when the key is unused; PKS08 when the key was used
-- for a different request. occurred_at takes part only when the caller gave
-- one (NULL means "now", which differs on every retry). A request that does
-- not match and is invalid by itself gets check_ledger_row's error instead.
-- Call it holding lock_idempotency_key(p_key).
CREATE FUNCTION poolkeeper.replayed_post(
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

-- src/functions/post_transaction.sql
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
CREATE FUNCTION poolkeeper.post_transaction(
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

-- src/functions/checked_batch_post.sql
-- batch_post: one post of a post_transactions batch, read and checked
-- (checked_batch_post): post_transaction's arguments and the post's place
-- in the batch (1-based).
CREATE TYPE poolkeeper.batch_post AS (
    place bigint, pool_id bigint, investor_id bigint, kind text, amount numeric,
    idempotency_key text, occurred_at timestamptz, metadata jsonb);

-- checked_batch_post: the p_at-th post of a post_transactions batch, p_post,
-- read by name: pool_id and investor_id (JSON integers), kind (a string),
-- amount (a JSON number, or a string holding one: both keep every digit),
-- and the optional idempotency_key (a string, as checked_key takes it),
-- occurred_at (ISO 8601 with its offset, e.g. 2026-03-01T09:30:00Z or
-- 2026-03-01 09:30:00.5+01:00, so that it means the same in every session;
-- absent or null is now()) and metadata (an object; absent or null is {}).
-- Every refusal begins "post <p_at>: ": PKA01 for a post that is not an
-- object, a field it does not know (a misspelt one would otherwise be
-- dropped), a missing field or one of the wrong JSON type or form; PKA02 for
-- an amount that is not a number. What the values mean (a known pool, a
-- positive amount, ...) is left to post_transaction, which checks it for
-- every writer.
CREATE FUNCTION poolkeeper.checked_batch_post(p_post jsonb, p_at bigint)
RETURNS poolkeeper.batch_post
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_field  text;
    v_number numeric;
    v_post   poolkeeper.batch_post;
BEGIN
    IF jsonb_typeof(p_post) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('post %s: must be a JSON object, not %s', p_at, coalesce(jsonb_typeof(p_post), 'SQL NULL'));
    END IF;
    SELECT min(k) INTO v_field FROM jsonb_object_keys(p_post) k
     WHERE k NOT IN ('pool_id', 'investor_id', 'kind', 'amount', 'idempotency_key', 'occurred_at', 'metadata');
    IF v_field IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('post %s: unknown field %s (fields: pool_id, investor_id, kind, amount, idempotency_key, occurred_at, metadata)',
                             p_at, to_jsonb(v_field));
    END IF;
    FOREACH v_field IN ARRAY ARRAY['pool_id', 'investor_id'] LOOP
        v_number := CASE WHEN jsonb_typeof(p_post->v_field) = 'number' THEN (p_post->v_field)::numeric END;
        IF v_number IS NULL OR v_number <> trunc(v_number) OR abs(v_number) > 9223372036854775807 THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('post %s: %s must be a JSON integer', p_at, v_field);
        END IF;
    END LOOP;
    v_post.place := p_at;
    v_post.pool_id := (p_post->'pool_id')::numeric::bigint;  -- 7.0 is an integer too
    v_post.investor_id := (p_post->'investor_id')::numeric::bigint;
    IF jsonb_typeof(p_post->'kind') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: kind must be a string', p_at);
    END IF;
    v_post.kind := p_post->>'kind';
    CASE jsonb_typeof(p_post->'amount')
        WHEN 'number' THEN
            v_post.amount := (p_post->'amount')::numeric;
        WHEN 'string' THEN
            -- Plain and scientific notation, up to 100 characters (amounts
            -- are below 10^18); NaN and Infinity are no amounts.
            IF length(p_post->>'amount') > 100
               OR p_post->>'amount' !~ '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,2})?\s*$' THEN
                RAISE EXCEPTION USING ERRCODE = 'PKA02',
                    MESSAGE = format('post %s: amount %s is not a number', p_at, left(p_post->>'amount', 100));
            END IF;
            v_post.amount := (p_post->>'amount')::numeric;
        ELSE
            RAISE EXCEPTION USING ERRCODE = 'PKA02',
                MESSAGE = format('post %s: amount must be a JSON number or a string holding one', p_at);
    END CASE;
    IF jsonb_typeof(p_post->'idempotency_key') NOT IN ('string', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: idempotency_key must be a string', p_at);
    END IF;
    v_post.idempotency_key := p_post->>'idempotency_key';
    IF v_post.idempotency_key IS NOT NULL THEN
        PERFORM poolkeeper.checked_key(v_post.idempotency_key, format('post %s: idempotency_key', p_at));
    END IF;
    IF jsonb_typeof(p_post->'occurred_at') NOT IN ('string', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: occurred_at must be an ISO 8601 string', p_at);
    END IF;
    IF p_post->>'occurred_at' IS NOT NULL THEN
        -- With its offset, and no words (now, today): the same instant in
        -- every session, whatever its TimeZone and DateStyle, so that a
        -- replay matches.
        IF p_post->>'occurred_at' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('post %s: occurred_at %s is not an ISO 8601 time with its offset (2026-03-01T09:30:00Z)',
                                 p_at, left(p_post->>'occurred_at', 100));
        END IF;
        BEGIN  -- a block of its own, entered only by a post that gives a time
            v_post.occurred_at := (p_post->>'occurred_at')::timestamptz;
        EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format OR invalid_time_zone_displacement_value THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('post %s: occurred_at %s is not a time', p_at, p_post->>'occurred_at');
        END;
    END IF;
    IF jsonb_typeof(p_post->'metadata') NOT IN ('object', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: metadata must be a JSON object', p_at);
    END IF;
    v_post.metadata := coalesce(nullif(p_post->'metadata', 'null'), '{}');
    RETURN v_post;
END;
$$;

-- src/functions/post_transactions.sql
-- post_transactions: posts a batch of ledger rows in one call, all of them or
-- none, and returns their ids in the order given. p_posts is a JSON array of
-- 1 to 1,000 objects, each with post_transaction's arguments by name
-- (checked_batch_post reads them):
--   [{"pool_id": 7, "investor_id": 42, "kind": "contribution", "amount": "2500.00",
--     "idempotency_key": "wire-2026-118", "occurred_at": "2026-03-01T09:30:00Z"}, ...]
-- Every post is read and checked before anything is written, then the
-- caller's right to every pool named is checked (42501 for the first, in
-- pool order, that the caller may not post to). Each post then goes through
-- post_transaction, with its rules, alerts, feed rows and SQLSTATEs; a post
-- whose key was used before replays it and gives its original id.
-- Locks are taken in one global order, the one a single post follows: first
-- the advisory locks of every key in the batch (in hashtext order), then, post
-- by post in (investor_id, pool_id) order, the investor's totals row and the
-- position. So a batch never deadlocks with another batch or with single
-- posts, keyed or not (a transaction that mixes several statements can
-- still take them in another order). Each key's lock is held until commit:
-- a batch of 1,000 keyed posts holds 1,000 entries of the lock table
-- (max_locks_per_transaction x max_connections in all).
-- Any refusal refuses the whole batch with the SQLSTATE of the post that
-- failed, its message beginning with the post's place in p_posts ("post 3:
-- ..."). PKA01 for a batch that is not a JSON array or holds no post or more
-- than 1,000. One statement and one commit for many posts is the fast way to
-- load: see BENCHMARKS.md.
CREATE FUNCTION poolkeeper.post_transactions(p_posts jsonb)
RETURNS bigint[]
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count int;
    v_posts poolkeeper.batch_post[];
    v_post  poolkeeper.batch_post;
    v_pool  bigint;
    v_ids   bigint[];
    v_at    bigint;
    v_state text;
    v_message text;
    v_detail text;
    v_hint  text;
BEGIN
    IF jsonb_typeof(p_posts) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('the posts must be a JSON array, not %s', coalesce(jsonb_typeof(p_posts), 'SQL NULL'));
    END IF;
    v_count := jsonb_array_length(p_posts);
    IF v_count NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('a batch holds 1 to 1000 posts, not %s', v_count);
    END IF;
    -- Every post read and checked (its refusals name it), in lock order.
    SELECT array_agg(b ORDER BY b.investor_id, b.pool_id, b.place) INTO v_posts
      FROM jsonb_array_elements(p_posts) WITH ORDINALITY e(post, n)
     CROSS JOIN LATERAL poolkeeper.checked_batch_post(e.post, e.n) b;
    IF NOT poolkeeper.caller_is('poolkeeper_admin') THEN  -- as post_transaction checks, before any lock
        FOR v_pool IN SELECT DISTINCT p.pool_id FROM unnest(v_posts) p ORDER BY 1 LOOP
            PERFORM poolkeeper.authorize_pool(v_pool, 'post to');
        END LOOP;
    END IF;
    PERFORM poolkeeper.lock_idempotency_key(k.key)
       FROM (SELECT DISTINCT p.idempotency_key AS key FROM unnest(v_posts) p WHERE p.idempotency_key IS NOT NULL) k
      ORDER BY hashtext(k.key), k.key;
    -- Zeros, each replaced below: an array made of NULLs keeps its null
    -- bitmap, and binary clients (PostgresNIO) refuse an array flagged so.
    v_ids := array_fill(0::bigint, ARRAY[v_count]);
    BEGIN
        FOREACH v_post IN ARRAY v_posts LOOP
            v_at := v_post.place;
            v_ids[v_post.place] := poolkeeper.post_transaction(v_post.pool_id, v_post.investor_id, v_post.kind, v_post.amount,
                                                               v_post.idempotency_key, v_post.occurred_at, v_post.metadata);
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        v_message := format('post %s: %s', v_at, v_message);
        -- An empty DETAIL or HINT would still print its line.
        IF v_detail <> '' AND v_hint <> '' THEN
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, DETAIL = v_detail, HINT = v_hint;
        ELSIF v_detail <> '' THEN
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, DETAIL = v_detail;
        ELSIF v_hint <> '' THEN
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, HINT = v_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message;
    END;
    RETURN v_ids;
END;
$$;

-- src/functions/reverse_transaction.sql
-- reverse_transaction: appends the reversal of ledger row p_transaction_id
-- (same pool, investor, kind and amount, opposite effect) with p_reason in
-- its metadata, and returns the reversal's id. A row is reversed at most once
-- (PKS06); a reversal is never reversed (PKS07). 42501 unless the caller
-- may change the row's pool (authorize_pool).
CREATE FUNCTION poolkeeper.reverse_transaction(p_transaction_id bigint, p_reason text)
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
-- for an unknown pool): the threshold is NULL (off) or from 0 to below 10^18,
-- the windows whole seconds from 1 second to 1 day, the factor above 1 and
-- at most 10^6, the minimum count from 1 to 10^6. Positions pick up the new
-- threshold in the same database transaction (alert_rules_changed).
-- The pool's manager or a poolkeeper_admin may set a pool's rule; only an
-- admin the default rule (42501). The role is kept in changed_by, and every
-- change in alert_rule_changes.
CREATE FUNCTION poolkeeper.set_alert_rule(
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

-- src/functions/drop_alert_rule.sql
-- drop_alert_rule: removes pool p_pool_id's own alert rule, so that the
-- default applies to it again, or the default rule when p_pool_id is NULL,
-- so that the built-in defaults apply. Returns whether there was a rule;
-- PKN01 for an unknown pool.
-- The pool's manager or a poolkeeper_admin may drop a pool's rule; only an
-- admin the default rule (42501).
CREATE FUNCTION poolkeeper.drop_alert_rule(p_pool_id bigint)
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

-- src/functions/raise_alert.sql
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
CREATE FUNCTION poolkeeper.raise_alert(
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
-- PKA01 for another feed name, PKA06 for a malformed cursor or one of the
-- other feed; 40001 when the
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

-- src/functions/transactions_after.sql
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
-- every restored ledger row, alert and fund operation as written by one old
-- transaction (a distribution's rows keep matching their operation), so
-- that a reader starting from a NULL cursor gets each once and a reader
-- starting from feed_cursor() none. Cursors from before the restore are no
-- longer valid. Run it once, right after the restore and before new writes.
-- It writes with triggers off, as the extension's owner. Returns the rows
-- changed. Not needed after pg_upgrade, which keeps transaction ids.
-- Only a poolkeeper_admin may rebase (42501).
CREATE FUNCTION poolkeeper.rebase_feed()
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

-- src/functions/top_investors.sql
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
CREATE FUNCTION poolkeeper.top_investors(p_limit integer DEFAULT 5, p_from timestamptz DEFAULT NULL,
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

-- src/functions/investor_statement.sql
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

-- src/functions/pool_activity.sql
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

-- src/functions/alert_history.sql
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

-- src/functions/allocate.sql
-- allocate: splits p_total, an amount with p_minor_units decimals (0 to 4),
-- into parts pro rata to p_weights (one per key in p_keys, at least 0),
-- exactly, in minor units, by the largest-remainder method: each key gets
-- the whole minor units of its exact share (total × weight / sum of
-- weights, rounded down), and the units left over go one each to the keys
-- with the largest remainders. Ties go to the larger weight, then to the
-- smaller key. So the parts sum to p_total exactly, no part is negative,
-- each is within one minor unit of its exact share, and a key of weight 0
-- gets 0. Computed on integers: no rounding anywhere. Returns (key, part)
-- in the order of p_keys. PKA02 for a bad total, PKA01 for bad arrays,
-- PKS12 when the weights sum to zero.
CREATE FUNCTION poolkeeper.allocate(p_total numeric, p_minor_units integer, p_keys bigint[], p_weights numeric[])
RETURNS TABLE (key bigint, part numeric)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_total numeric;
BEGIN
    IF p_minor_units IS NULL OR p_minor_units NOT BETWEEN 0 AND 4 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('minor units %s are not from 0 to 4', coalesce(p_minor_units::text, 'NULL'));
    END IF;
    v_total := poolkeeper.checked_amount(p_total, p_minor_units::smallint, 'total');
    IF p_keys IS NULL OR p_weights IS NULL OR cardinality(p_keys) = 0
       OR cardinality(p_keys) <> cardinality(p_weights) OR array_ndims(p_keys) <> 1 OR array_ndims(p_weights) <> 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = 'keys and weights must be non-empty one-dimensional arrays of the same length';
    END IF;
    IF array_position(p_keys, NULL) IS NOT NULL
       OR (SELECT count(DISTINCT k) FROM unnest(p_keys) k) <> cardinality(p_keys) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'keys must be distinct and not NULL';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_weights) w
                WHERE w IS NULL OR w IN ('NaN', 'Infinity', '-Infinity') OR w < 0 OR w >= 1e18) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'weights must be numbers from 0 to below 10^18';
    END IF;
    IF (SELECT sum(w) FROM unnest(p_weights) w) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS12', MESSAGE = 'the weights sum to zero: there is nothing to allocate pro rata to';
    END IF;

    -- Weights scaled to integers; the total in minor units. For each key,
    -- units × weight = base × sum + remainder, all integers.
    RETURN QUERY
    WITH w AS (
        SELECT u.k, u.w, u.ord FROM unnest(p_keys, p_weights) WITH ORDINALITY AS u(k, w, ord)
    ), f AS (
        SELECT ('1' || repeat('0', max(scale(w.w))))::numeric AS weight_scale,
               ('1' || repeat('0', p_minor_units))::numeric AS unit
          FROM w
    ), s AS (
        SELECT sum(w.w * f.weight_scale) AS weight_sum, v_total * f.unit AS units, f.weight_scale, f.unit
          FROM w, f GROUP BY f.weight_scale, f.unit
    ), q AS (
        SELECT w.k, w.w, w.ord, s.unit, s.units,
               div(s.units * w.w * s.weight_scale, s.weight_sum) AS base,
               mod(s.units * w.w * s.weight_scale, s.weight_sum) AS remainder
          FROM w, s
    ), r AS (
        SELECT q.*, row_number() OVER (ORDER BY q.remainder DESC, q.w DESC, q.k) AS rank,
               q.units - sum(q.base) OVER () AS leftover
          FROM q
    )
    SELECT r.k, round((r.base + CASE WHEN r.rank <= r.leftover THEN 1 ELSE 0 END) / r.unit, p_minor_units)
      FROM r
     ORDER BY r.ord;
END;
$$;

-- src/functions/replayed_operation.sql
-- replayed_operation: for an operation requested under p_idempotency_key,
-- takes the key's advisory lock (held to the end of the transaction, so a
-- racing repeat waits and then replays) and returns the id of the operation
-- written before under the key when it was the same request (kind, pool,
-- total, basis and due date); NULL when the key is NULL or unused; PKS08
-- when it was used for a different request, PKA01 for a bad key.
CREATE FUNCTION poolkeeper.replayed_operation(p_idempotency_key text, p_kind text, p_pool_id bigint, p_total numeric,
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

-- src/functions/check_read_committed.sql
-- check_read_committed: raises 0A000 unless the transaction is READ
-- COMMITTED. call_capital and pay_capital_call check a limit (commitments,
-- what is still owed) against rows other transactions may have just
-- committed; they lock the rows the limit depends on, and only a READ
-- COMMITTED statement sees what committed while it waited for the lock.
CREATE FUNCTION poolkeeper.check_read_committed(p_what text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = '0A000',
            MESSAGE = format('%s runs only in a READ COMMITTED transaction, not %s', p_what,
                             upper(current_setting('transaction_isolation')));
    END IF;
END;
$$;

-- src/functions/call_capital.sql
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
CREATE FUNCTION poolkeeper.call_capital(p_pool_id bigint, p_total numeric, p_due_date date,
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

-- src/functions/obligation_paid.sql
-- obligation_paid: what investor p_investor_id has paid of capital call
-- p_call_id: the sum of the payments recorded against it whose ledger rows
-- have not been reversed. PKA01 for a NULL id; PKN05, PKN02 or PKN06 when
-- the obligation is not there (no such call, no such investor, or the
-- investor owes nothing in it), as far as the caller may see.
CREATE FUNCTION poolkeeper.obligation_paid(p_call_id bigint, p_investor_id bigint)
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

-- src/views/capital_call_obligations.sql
-- capital_call_obligations: every obligation of every capital call, with
-- what was called, what has been paid (net of reversed payments) and what
-- is outstanding, and whether it is overdue (outstanding after its due
-- date; days are UTC).
CREATE VIEW poolkeeper.capital_call_obligations WITH (security_invoker = true) AS
SELECT o.operation_id AS call_id, c.pool_id, o.investor_id, c.due_date, o.called,
       p.paid, o.called - p.paid AS outstanding,
       o.called > p.paid AND c.due_date < (now() AT TIME ZONE 'UTC')::date AS overdue
  FROM poolkeeper.obligations o
  JOIN poolkeeper.operations c ON c.id = o.operation_id
 CROSS JOIN LATERAL (SELECT poolkeeper.obligation_paid(o.operation_id, o.investor_id) AS paid) p;

-- src/functions/pay_capital_call.sql
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
CREATE FUNCTION poolkeeper.pay_capital_call(p_call_id bigint, p_investor_id bigint, p_amount numeric DEFAULT NULL,
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

-- src/functions/distribute.sql
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
CREATE FUNCTION poolkeeper.distribute(p_pool_id bigint, p_total numeric, p_basis text DEFAULT 'net_invested',
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

-- src/functions/record_valuation.sql
-- record_valuation: records pool p_pool_id's net asset value p_nav (in the
-- pool's currency, 0 or more) as of p_as_of, a date no later than today (UTC). A
-- second value for the same date restates the first. Metrics and
-- nav_shares use the latest valuation on or before their date.
-- Refusals: PKA01 (date), PKA02 (NAV), PKN01.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE FUNCTION poolkeeper.record_valuation(p_pool_id bigint, p_as_of date, p_nav numeric)
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

-- src/functions/checked_metrics_request.sql
-- checked_metrics_request: checks the arguments of a metrics, NAV or valuation request
-- (a pool or an investor that exists, a finite date) and returns the pool's
-- minor units (NULL for an investor request). PKA01, PKN01, PKN02.
CREATE FUNCTION poolkeeper.checked_metrics_request(p_pool_id bigint, p_investor_id bigint, p_as_of date)
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

-- src/functions/ledger_as_of.sql
-- ledger_as_of: the ledger rows of pool p_pool_id (of investor
-- p_investor_id only, unless NULL) that occurred on or before day p_as_of
-- (days are UTC), each with its day and its amount signed: negative for a
-- reversal. The input of nav_shares and of the metrics. PKA01, PKN01 and
-- PKN02 for bad arguments (poolkeeper.checked_metrics_request).
CREATE FUNCTION poolkeeper.ledger_as_of(p_pool_id bigint, p_investor_id bigint, p_as_of date)
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

-- src/functions/nav_shares.sql
-- nav_shares: each investor's share of pool p_pool_id's latest valuation on
-- or before p_as_of: the NAV split pro rata to the investors' net invested
-- capital (contributed - withdrawn - fees) at the end of the valuation's day
-- with allocate(), so the shares sum to the NAV exactly. Investors with no
-- net invested capital that day get 0; no rows when there is no valuation,
-- and NULL shares when nobody had capital invested. PKA01, PKN01.
CREATE FUNCTION poolkeeper.nav_shares(p_pool_id bigint, p_as_of date DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS TABLE (investor_id bigint, valuation_date date, net_invested numeric, nav_share numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_valuation poolkeeper.valuations;
    v_minor     smallint;
    v_investors bigint[];
    v_weights   numeric[];
BEGIN
    v_minor := poolkeeper.checked_metrics_request(p_pool_id, NULL, p_as_of);
    SELECT * INTO v_valuation FROM poolkeeper.valuations v
     WHERE v.pool_id = p_pool_id AND v.as_of <= p_as_of ORDER BY v.as_of DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT array_agg(l.investor_id ORDER BY l.investor_id), array_agg(l.net ORDER BY l.investor_id)
      INTO v_investors, v_weights
      FROM (SELECT a.investor_id, greatest(0, coalesce(sum(a.signed) FILTER (WHERE a.kind = 'contribution'), 0)
                                              - coalesce(sum(a.signed) FILTER (WHERE a.kind IN ('withdrawal', 'fee')), 0)) AS net
              FROM poolkeeper.ledger_as_of(p_pool_id, NULL, v_valuation.as_of) a
             GROUP BY a.investor_id) l;
    IF v_investors IS NULL THEN
        RETURN;
    END IF;
    IF v_valuation.nav = 0 OR NOT EXISTS (SELECT 1 FROM unnest(v_weights) w WHERE w > 0) THEN
        RETURN QUERY SELECT u.i, v_valuation.as_of, u.w,
                            CASE WHEN v_valuation.nav = 0 THEN round(0::numeric, v_minor) END
                       FROM unnest(v_investors, v_weights) AS u(i, w);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT u.i, v_valuation.as_of, u.w, a.part
      FROM unnest(v_investors, v_weights) AS u(i, w)
      JOIN poolkeeper.allocate(v_valuation.nav, v_minor, v_investors, v_weights) a ON a.key = u.i
     ORDER BY u.i;
END;
$$;

-- src/functions/xirr_npv.sql
-- xirr_npv: the net present value at annual rate p_rate of amounts
-- p_amounts received p_years[i] years after the first, and its slope
-- d(npv)/d(rate): what each of xirr's steps needs, in one pass, with one
-- logarithm (each term is amount × (1 + rate)^-years = amount × exp(-years × ln(1 + rate))).
-- PKA01 unless the arrays have the same length and finite values, and the
-- rate is finite and above -100%.
CREATE FUNCTION poolkeeper.xirr_npv(p_amounts numeric[], p_years numeric[], p_rate numeric,
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

-- src/functions/xirr.sql
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
CREATE FUNCTION poolkeeper.xirr(p_amounts numeric[], p_dates date[], OUT rate numeric, OUT note text)
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

-- src/functions/fund_metrics.sql
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
CREATE FUNCTION poolkeeper.fund_metrics(p_pool_id bigint, p_investor_id bigint, p_as_of date)
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

-- src/functions/pool_metrics.sql
-- pool_metrics: pool p_pool_id's performance as of day p_as_of (UTC): paid-in
-- capital, distributions, withdrawals, fees, NAV, DPI, RVPI, TVPI, MOIC and
-- IRR (XIRR, actual/365), as fund_metrics defines them. PKA01, PKN01.
CREATE FUNCTION poolkeeper.pool_metrics(p_pool_id bigint, p_as_of date DEFAULT (now() AT TIME ZONE 'UTC')::date)
RETURNS TABLE (pool_id bigint, as_of date, currency text, paid_in numeric, distributions numeric, withdrawals numeric,
               fees numeric, nav numeric, valuation_date date, dpi numeric, rvpi numeric, tvpi numeric, moic numeric,
               irr numeric, irr_note text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_metrics_request(p_pool_id, NULL, p_as_of);
    RETURN QUERY
    SELECT p.id, p_as_of, p.currency, m.*
      FROM poolkeeper.pools p CROSS JOIN LATERAL poolkeeper.fund_metrics(p.id, NULL, p_as_of) m
     WHERE p.id = p_pool_id;
END;
$$;

-- src/functions/investor_metrics.sql
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
CREATE FUNCTION poolkeeper.investor_metrics(p_investor_id bigint, p_as_of date DEFAULT (now() AT TIME ZONE 'UTC')::date)
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

-- src/security/grants.sql
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
    poolkeeper.post_transactions(jsonb),
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
    poolkeeper.obligation_paid(bigint, bigint), poolkeeper.checked_investor_exists(bigint),
    poolkeeper.allocate(numeric, integer, bigint[], numeric[]),
    poolkeeper.xirr(numeric[], date[]), poolkeeper.xirr_npv(numeric[], numeric[], numeric)
    TO poolkeeper_admin, poolkeeper_manager, poolkeeper_investor, poolkeeper_auditor;
GRANT EXECUTE ON FUNCTION poolkeeper.verify()
    TO poolkeeper_admin, poolkeeper_auditor;

-- src/security/policies.sql
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
