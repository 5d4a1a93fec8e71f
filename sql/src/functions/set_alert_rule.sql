-- set_alert_rule: sets the alert rule of pool p_pool_id, or the default rule
-- for pools without their own when p_pool_id is NULL, replacing what was
-- there. Every argument is checked first (PKA01 says which is wrong; PKN01
-- for an unknown pool): the threshold is NULL (off) or from 0 to below 10^18,
-- the windows whole seconds from 1 second to 1 day, the factor above 1 and
-- at most 10^6, the minimum count from 1 to 10^6. Positions pick up the new
-- threshold in the same database transaction (alert_rules_changed).
-- The pool's manager or a poolkeeper_admin may set a pool's rule; only an
-- admin the default rule (42501). The role is kept in changed_by, and every
-- change in alert_rule_changes.
CREATE FUNCTION poolkeeper.set_alert_rule(
    p_pool_id bigint,
    p_large_transaction_threshold numeric DEFAULT NULL,
    p_spike_short_window interval DEFAULT '1 minute',
    p_spike_baseline_window interval DEFAULT '1 hour',
    p_spike_factor numeric DEFAULT 10,
    p_spike_min_count integer DEFAULT 5,
    p_enabled boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_pool_id IS NOT NULL THEN
        PERFORM poolkeeper.checked_id(p_pool_id, 'pool_id');
        IF NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
        END IF;
        PERFORM poolkeeper.authorize_pool(p_pool_id, 'change the alert rule of');
    ELSE
        PERFORM poolkeeper.authorize_admin('change the default alert rule');
    END IF;
    IF p_large_transaction_threshold IN ('NaN', 'Infinity', '-Infinity') OR p_large_transaction_threshold < 0
       OR p_large_transaction_threshold >= 1e18 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('large_transaction_threshold %s is not NULL or an amount from 0 to below 10^18',
                             p_large_transaction_threshold);
    END IF;
    PERFORM poolkeeper.checked_window(p_spike_short_window, 'spike_short_window');
    PERFORM poolkeeper.checked_window(p_spike_baseline_window, 'spike_baseline_window');
    IF p_spike_factor IS NULL OR p_spike_factor IN ('NaN', 'Infinity') OR p_spike_factor <= 1 OR p_spike_factor > 1000000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('spike_factor %s is not above 1 and at most 1000000', coalesce(p_spike_factor::text, 'NULL'));
    END IF;
    IF p_spike_min_count IS NULL OR p_spike_min_count NOT BETWEEN 1 AND 1000000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('spike_min_count %s is not from 1 to 1000000', coalesce(p_spike_min_count::text, 'NULL'));
    END IF;
    IF p_enabled IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'enabled must not be NULL';
    END IF;

    INSERT INTO poolkeeper.alert_rules AS r
           (pool_id, large_transaction_threshold, spike_short_window, spike_baseline_window,
            spike_factor, spike_min_count, enabled, updated_at, changed_by)
    VALUES (p_pool_id, p_large_transaction_threshold, p_spike_short_window, p_spike_baseline_window,
            p_spike_factor, p_spike_min_count, p_enabled, now(), poolkeeper.caller())
    ON CONFLICT (pool_id) DO UPDATE
       SET large_transaction_threshold = excluded.large_transaction_threshold,
           spike_short_window = excluded.spike_short_window,
           spike_baseline_window = excluded.spike_baseline_window,
           spike_factor = excluded.spike_factor,
           spike_min_count = excluded.spike_min_count,
           enabled = excluded.enabled,
           updated_at = excluded.updated_at,
           changed_by = excluded.changed_by;
END;
$$;
