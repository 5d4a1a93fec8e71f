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
