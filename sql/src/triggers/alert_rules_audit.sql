-- record_alert_rule_change: appends the change of an alert_rules row to
-- alert_rule_changes, with the role that made it (caller()).
CREATE FUNCTION poolkeeper.record_alert_rule_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO poolkeeper.alert_rule_changes (pool_id, action, rule, changed_by)
        VALUES (OLD.pool_id, 'drop', NULL, poolkeeper.caller());
    ELSE
        INSERT INTO poolkeeper.alert_rule_changes (pool_id, action, rule, changed_by)
        VALUES (NEW.pool_id, 'set', to_jsonb(NEW) - 'pool_id' - 'updated_at' - 'changed_by', poolkeeper.caller());
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER alert_rules_audit
    AFTER INSERT OR UPDATE OR DELETE ON poolkeeper.alert_rules
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.record_alert_rule_change();

-- The history is append-only, for every role.
CREATE TRIGGER alert_rule_changes_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.alert_rule_changes
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('the alert rule history is append-only');
CREATE TRIGGER alert_rule_changes_no_truncate
    BEFORE TRUNCATE ON poolkeeper.alert_rule_changes
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('the alert rule history is append-only');
