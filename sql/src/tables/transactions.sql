-- The ledger: append-only. A reversal is a row with reverses_id set, the same
-- pool, investor, kind and amount as the row it reverses, and the opposite
-- effect on the position. recorded_at is the database's clock, never the
-- caller's. Rules live in the trigger functions in ../triggers/; verify()
-- checks them after the fact.
-- The trigger assigns id from this sequence to every new row, whatever the
-- writer sends (see ledger_before_insert).
CREATE SEQUENCE poolkeeper.transactions_id_seq;

CREATE TABLE poolkeeper.transactions (
    id              bigint PRIMARY KEY,
    pool_id         bigint NOT NULL,
    investor_id     bigint NOT NULL,
    kind            text NOT NULL
                    CHECK (kind IN ('contribution', 'withdrawal', 'distribution', 'fee')),
    amount          numeric NOT NULL CHECK (amount > 0),
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    reverses_id     bigint REFERENCES poolkeeper.transactions (id),
    metadata        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object')
);
ALTER SEQUENCE poolkeeper.transactions_id_seq OWNED BY poolkeeper.transactions.id;
-- No foreign key to positions: the trigger only accepts a row whose position
-- it has just updated, and positions are never deleted. (The key's check
-- would cost every post a second lookup of the same row.)

CREATE UNIQUE INDEX transactions_idempotency_key ON poolkeeper.transactions (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX transactions_reverses_id ON poolkeeper.transactions (reverses_id)
    WHERE reverses_id IS NOT NULL;
