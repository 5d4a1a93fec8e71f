-- rebase_feed: after a logical restore (pg_dump, then pg_restore with
-- triggers off) into another cluster, the restored xact_ids are another
-- cluster's transaction ids and would hide rows from the feeds. This marks
-- every restored ledger row, alert and fund operation as written by one old
-- transaction (a distribution's rows keep matching their operation), so
-- that a reader starting from a NULL cursor gets each once and a reader
-- starting from feed_cursor() none. Cursors from before the restore are no
-- longer valid. Run it once, right after the restore and before new writes.
-- It writes with triggers off, as the extension's owner. Returns the rows
-- changed. Not needed after pg_upgrade, which keeps transaction ids.
-- Only a poolkeeper_admin may rebase (42501).
CREATE FUNCTION poolkeeper.rebase_feed()
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET session_replication_role = replica
AS $$
DECLARE
    v_ledger bigint;
    v_alerts bigint;
    v_operations bigint;
BEGIN
    PERFORM poolkeeper.authorize_admin('rebase the feed');
    UPDATE poolkeeper.transactions SET xact_id = '3' WHERE xact_id <> '3';
    GET DIAGNOSTICS v_ledger = ROW_COUNT;
    UPDATE poolkeeper.alerts SET xact_id = '3' WHERE xact_id <> '3';
    GET DIAGNOSTICS v_alerts = ROW_COUNT;
    UPDATE poolkeeper.operations SET xact_id = '3' WHERE xact_id <> '3';
    GET DIAGNOSTICS v_operations = ROW_COUNT;
    RETURN v_ledger + v_alerts + v_operations;
END;
$$;
