"""The bare-INSERT reference: a plain table of the ledger's shape (its
columns and types), with only a primary key, no trigger, no other index and
no constraint beyond NOT NULL. A committed INSERT into it is the physical
limit that the ledger's write path is compared with."""

PLAIN_TABLE = """
CREATE TABLE bench_plain (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id         bigint NOT NULL,
    investor_id     bigint NOT NULL,
    kind            text NOT NULL,
    amount          numeric NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    idempotency_key text,
    reverses_id     bigint,
    metadata        jsonb NOT NULL DEFAULT '{}',
    xact_id         xid8,
    operation_id    bigint,
    posted_by       name
);
"""
