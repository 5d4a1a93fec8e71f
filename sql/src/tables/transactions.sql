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
