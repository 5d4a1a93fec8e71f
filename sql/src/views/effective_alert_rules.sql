-- effective_alert_rules: the alert rule in force for every pool, and where it
-- comes from: the pool's own row ('pool'), the default row ('default'), or
-- the column defaults of alert_rules when there is neither ('built-in').
-- alert_threshold is the threshold that applies: NULL when the rule has none
-- or is disabled.
CREATE VIEW poolkeeper.effective_alert_rules WITH (security_invoker = true) AS
SELECT p.id AS pool_id,
       CASE WHEN own.pool_id IS NOT NULL THEN 'pool'
            WHEN dflt.enabled IS NOT NULL THEN 'default'
            ELSE 'built-in' END AS source,
       coalesce(own.enabled, dflt.enabled, true) AS enabled,
       CASE WHEN own.pool_id IS NOT NULL THEN own.large_transaction_threshold
            ELSE dflt.large_transaction_threshold END AS large_transaction_threshold,
       coalesce(own.spike_short_window, dflt.spike_short_window, interval '1 minute') AS spike_short_window,
       coalesce(own.spike_baseline_window, dflt.spike_baseline_window, interval '1 hour') AS spike_baseline_window,
       coalesce(own.spike_factor, dflt.spike_factor, 10::numeric) AS spike_factor,
       coalesce(own.spike_min_count, dflt.spike_min_count, 5) AS spike_min_count,
       CASE WHEN coalesce(own.enabled, dflt.enabled, true)
            THEN CASE WHEN own.pool_id IS NOT NULL THEN own.large_transaction_threshold
                      ELSE dflt.large_transaction_threshold END END AS alert_threshold
  FROM poolkeeper.pools p
  LEFT JOIN poolkeeper.alert_rules own ON own.pool_id = p.id
  LEFT JOIN poolkeeper.alert_rules dflt ON dflt.pool_id IS NULL;
