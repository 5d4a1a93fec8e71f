-- check_feed_reader: refuses to read the feeds where the snapshot cannot be
-- trusted: on a standby (0A000), whose snapshots do not list the primary's
-- transactions in progress, and in a transaction that has written (PKS11),
-- whose own uncommitted rows look committed to it. p_what names the caller.
CREATE FUNCTION poolkeeper.check_feed_reader(p_what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS11',
            MESSAGE = format('%s cannot read the feed in a transaction that has written; read it in a transaction of its own', p_what);
    END IF;
    IF pg_is_in_recovery() THEN
        RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE = format('%s reads the feed on the primary only, not on a standby', p_what);
    END IF;
END;
$$;
