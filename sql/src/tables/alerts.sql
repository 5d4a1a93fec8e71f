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
