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
