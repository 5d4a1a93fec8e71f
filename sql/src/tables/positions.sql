-- One investor's running totals in one pool, kept exact by the ledger trigger
-- in the same database transaction as each ledger row. All four totals are net
-- of reversals. Distributions are paid from proceeds: they neither reduce
-- net_invested nor are limited by it.
CREATE TABLE poolkeeper.positions (
    pool_id      bigint NOT NULL REFERENCES poolkeeper.pools (id),
    investor_id  bigint NOT NULL REFERENCES poolkeeper.investors (id),
    contributed  numeric NOT NULL DEFAULT 0 CHECK (contributed >= 0),
    withdrawn    numeric NOT NULL DEFAULT 0 CHECK (withdrawn >= 0),
    distributed  numeric NOT NULL DEFAULT 0 CHECK (distributed >= 0),
    fees         numeric NOT NULL DEFAULT 0 CHECK (fees >= 0),
    net_invested numeric GENERATED ALWAYS AS (contributed - withdrawn - fees) STORED
                 CHECK (net_invested >= 0),
    PRIMARY KEY (pool_id, investor_id)
) WITH (fillfactor = 70);  -- room for HOT updates: positions change on every post

CREATE INDEX positions_investor_id ON poolkeeper.positions (investor_id);
