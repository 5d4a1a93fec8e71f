-- A pool's net asset value (NAV) as of a date, in the pool's currency, from
-- record_valuation. One value per pool and date: recording a date again
-- restates it (recorded_at says when). Metrics use the latest valuation on
-- or before their date, rolled forward by the cash flows after it.
CREATE TABLE poolkeeper.valuations (
    pool_id     bigint NOT NULL REFERENCES poolkeeper.pools (id),
    as_of       date NOT NULL,
    nav         numeric NOT NULL CHECK (nav >= 0),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pool_id, as_of)
);
