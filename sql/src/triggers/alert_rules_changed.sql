-- alert_rules_changed: after any change of alert_rules, by set_alert_rule or
-- by hand (TRUNCATE included), brings the alert_threshold copy of every affected position up to
-- date: the positions of the pool whose row changed, or of every pool that
-- follows the default when the default row changed.
CREATE FUNCTION poolkeeper.alert_rules_changed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pools   bigint[] := ARRAY[]::bigint[];
    v_default boolean := false;
BEGIN
    PERFORM poolkeeper.lock_alert_rules(true);
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        v_default := NEW.pool_id IS NULL;
        v_pools := v_pools || NEW.pool_id;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        v_default := true;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        v_default := v_default OR OLD.pool_id IS NULL;
        v_pools := v_pools || OLD.pool_id;
    END IF;
    UPDATE poolkeeper.positions p
       SET alert_threshold = e.alert_threshold
      FROM poolkeeper.effective_alert_rules e
     WHERE e.pool_id = p.pool_id
       AND (p.pool_id = ANY (v_pools) OR (v_default AND e.source <> 'pool'))
       AND p.alert_threshold IS DISTINCT FROM e.alert_threshold;
    RETURN NULL;
END;
$$;

CREATE TRIGGER alert_rules_changed
    AFTER INSERT OR UPDATE OR DELETE ON poolkeeper.alert_rules
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.alert_rules_changed();
CREATE TRIGGER alert_rules_truncated
    AFTER TRUNCATE ON poolkeeper.alert_rules
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.alert_rules_changed();
