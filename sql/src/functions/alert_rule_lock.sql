-- lock_alert_rules: a transaction-scoped advisory lock (class 20556) that
-- orders changes of alert rules (exclusive) against new positions (shared),
-- so that every position's copy of its pool's threshold is current: a new
-- position either sees the committed rule or is updated by the rule change.
CREATE FUNCTION poolkeeper.lock_alert_rules(p_exclusive boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_exclusive THEN
        PERFORM pg_advisory_xact_lock(20556, 0);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(20556, 0);
    END IF;
END;
$$;
