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
