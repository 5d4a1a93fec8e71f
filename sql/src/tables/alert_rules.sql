-- When to alert, per pool: one optional row per pool, plus the default row
-- (pool_id NULL) that applies to every pool without a row of its own. With
-- no default row, pools without their own row use the column defaults below
-- (no large-transaction alerts). Write rows with set_alert_rule and
-- drop_alert_rule; effective_alert_rules shows the rule in force per pool.
--   large_transaction_threshold  a ledger row (not a reversal) whose amount
--                                is above it raises a large_transaction
--                                alert; NULL turns that off
--   spike_*                      the spike detector's windows, factor and
--                                minimum count (see docs/alerts.md)
--   enabled                      false turns every alert of the rule off
-- Windows are whole seconds from 1 second to 1 day.
CREATE TABLE poolkeeper.alert_rules (
    pool_id                     bigint REFERENCES poolkeeper.pools (id),
    large_transaction_threshold numeric
        CHECK (large_transaction_threshold >= 0 AND large_transaction_threshold < 'Infinity'),
    spike_short_window          interval NOT NULL DEFAULT '1 minute',
    spike_baseline_window       interval NOT NULL DEFAULT '1 hour',
    spike_factor                numeric NOT NULL DEFAULT 10
        CHECK (spike_factor > 1 AND spike_factor <= 1000000),
    spike_min_count             integer NOT NULL DEFAULT 5
        CHECK (spike_min_count BETWEEN 1 AND 1000000),
    enabled                     boolean NOT NULL DEFAULT true,
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    changed_by                  name,  -- the role of the last change (caller()); NULL before 0.5.0
    UNIQUE NULLS NOT DISTINCT (pool_id),
    CHECK (spike_short_window BETWEEN '1 second' AND '1 day'
           AND spike_short_window = date_trunc('second', spike_short_window)
           AND date_part('month', spike_short_window) = 0 AND date_part('year', spike_short_window) = 0),
    CHECK (spike_baseline_window BETWEEN '1 second' AND '1 day'
           AND spike_baseline_window = date_trunc('second', spike_baseline_window)
           AND date_part('month', spike_baseline_window) = 0 AND date_part('year', spike_baseline_window) = 0)
);
