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
-- transaction_id.
CREATE FUNCTION poolkeeper.alerts_notify()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
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
