-- One investor's running totals in one pool, kept exact by the ledger trigger
-- in the same database transaction as each ledger row. All four totals are net
-- of reversals. Distributions are paid from proceeds: they neither reduce
-- net_invested nor are limited by it.
--
-- is_open says whether the position takes ledger rows: the pool is open and
-- the investor a current member. add_investor, remove_investor and close_pool
-- set it while holding the row lock, so a post that waited for that lock sees
-- the new value when PostgreSQL re-checks its WHERE clause.
CREATE TABLE poolkeeper.positions (
    pool_id      bigint NOT NULL REFERENCES poolkeeper.pools (id),
    investor_id  bigint NOT NULL REFERENCES poolkeeper.investors (id),
    currency     text NOT NULL REFERENCES poolkeeper.currencies (code),
    contributed  numeric NOT NULL DEFAULT 0 CHECK (contributed >= 0),
    withdrawn    numeric NOT NULL DEFAULT 0 CHECK (withdrawn >= 0),
    distributed  numeric NOT NULL DEFAULT 0 CHECK (distributed >= 0),
    fees         numeric NOT NULL DEFAULT 0 CHECK (fees >= 0),
    net_invested numeric GENERATED ALWAYS AS (contributed - withdrawn - fees) STORED
                 CHECK (net_invested >= 0),
    is_open      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (pool_id, investor_id)
) WITH (fillfactor = 70);  -- room for HOT updates: positions change on every post

CREATE INDEX positions_investor_id ON poolkeeper.positions (investor_id);
