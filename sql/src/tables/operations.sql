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
