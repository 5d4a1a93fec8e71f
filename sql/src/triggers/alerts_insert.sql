-- alerts_before_insert: every new alert gets the id of the database
-- transaction that writes it, for alerts_after, whatever the writer sends.
CREATE FUNCTION poolkeeper.alerts_before_insert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.xact_id := pg_current_xact_id();
    RETURN NEW;
END;
$$;

CREATE TRIGGER alerts_before_insert
    BEFORE INSERT ON poolkeeper.alerts
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.alerts_before_insert();

-- alerts_notify: announces each new alert on channel poolkeeper_alerts. The
-- notification is sent when the transaction commits, and never if it rolls
-- back. Payload, version 1 (docs/alerts.md): a JSON object with version,
-- alert_id, kind, pool_id, raised_at and, when the alert has one,
-- transaction_id. PostgreSQL cannot PREPARE a transaction that notified: a
-- session that uses two-phase commit sets poolkeeper.notify_alerts to off,
-- and its alerts reach listeners through alerts_after only.
CREATE FUNCTION poolkeeper.alerts_notify()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Any spelling of a boolean; anything else fails here, not at PREPARE.
    IF NOT coalesce(nullif(current_setting('poolkeeper.notify_alerts', true), '')::boolean, true) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('poolkeeper_alerts',
        json_strip_nulls(json_build_object(
            'version', 1, 'alert_id', NEW.id, 'kind', NEW.kind, 'pool_id', NEW.pool_id,
            'transaction_id', NEW.transaction_id, 'raised_at', NEW.raised_at))::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER alerts_notify
    AFTER INSERT ON poolkeeper.alerts
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.alerts_notify();

-- The alert log is append-only, for every role.
CREATE TRIGGER alerts_append_only
    BEFORE UPDATE OR DELETE ON poolkeeper.alerts
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.reject_ledger_change('the alert log is append-only');
CREATE TRIGGER alerts_no_truncate
    BEFORE TRUNCATE ON poolkeeper.alerts
    FOR EACH STATEMENT EXECUTE FUNCTION poolkeeper.reject_ledger_change('the alert log is append-only');
