-- check_feed_reader: refuses to read the feeds where the snapshot cannot be
-- trusted: on a standby (0A000), whose snapshots do not list the primary's
-- transactions in progress, and in a transaction that already has a
-- transaction id (PKS11: it wrote, or locked rows), which its own snapshot
-- leaves out, so that its rows could look committed before they are. Read
-- first, then lock or write. p_what names the caller.
CREATE FUNCTION poolkeeper.check_feed_reader(p_what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS11',
            MESSAGE = format('%s cannot read the feed in a transaction that has written or locked rows; read it first, or in a transaction of its own', p_what);
    END IF;
    IF pg_is_in_recovery() THEN
        RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE = format('%s reads the feed on the primary only, not on a standby', p_what);
    END IF;
END;
$$;
