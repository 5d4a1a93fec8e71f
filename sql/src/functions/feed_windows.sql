-- feed_windows: where a read of feed p_feed ('transactions' or 'alerts')
-- from p_cursor looks, in order: one or two windows (lower, upper], each the
-- rows whose database transaction is visible in snapshot upper and not in
-- snapshot lower, read in (xact_id, id) order after (after_xact, after_id),
-- which is never below lower's xmin.
-- A cursor pins the window it is in, so paging through it is stable; once
-- that is done, the next window runs from its upper snapshot to the current
-- one. Every committed row is in exactly one window of a cursor's chain, so
-- a reader that follows the cursors sees it exactly once, even when a lower
-- xact_id commits after a higher one. A NULL cursor starts before every row.
-- PKA01 for another feed name, PKA06 for a malformed cursor or one of the
-- other feed; 40001 when the
-- caller's snapshot is older than the cursor; and check_feed_reader's
-- refusals.
CREATE FUNCTION poolkeeper.feed_windows(p_cursor text, p_feed text)
RETURNS TABLE (ordinal integer, lower pg_snapshot, upper pg_snapshot, after_xact xid8, after_id bigint)
LANGUAGE plpgsql STABLE
ROWS 2
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_parts text[];
    v_now   pg_snapshot := pg_current_snapshot();
    v_ref   pg_snapshot;
BEGIN
    IF p_feed IS NULL OR p_feed NOT IN ('transactions', 'alerts') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('feed %L is not transactions or alerts', p_feed);
    END IF;
    PERFORM poolkeeper.check_feed_reader(p_feed || '_after');
    IF p_cursor IS NULL THEN
        RETURN QUERY SELECT 1, '1:1:'::pg_snapshot, v_now, '1'::xid8, -1::bigint;
        RETURN;
    END IF;
    v_parts := string_to_array(p_cursor, ';');
    IF cardinality(v_parts) <> 6 OR v_parts[1] <> 'v1' OR v_parts[2] NOT IN ('', p_feed)
       OR v_parts[5] !~ '^[0-9]{1,20}$' OR v_parts[6] !~ '^[0-9]{1,19}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA06',
            MESSAGE = format('%L is not a cursor of the %s feed', left(p_cursor, 100), p_feed);
    END IF;
    BEGIN
        lower := v_parts[3]::pg_snapshot;
        upper := nullif(v_parts[4], '')::pg_snapshot;
        after_xact := v_parts[5]::xid8;
        after_id := v_parts[6]::bigint;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA06',
            MESSAGE = format('%L is not a cursor of the %s feed', left(p_cursor, 100), p_feed);
    END;
    -- The cursor's newest snapshot must be part of this call's: a reader
    -- whose snapshot is older (REPEATABLE READ, or a cursor from a newer
    -- session) would otherwise file rows it cannot see yet under a window
    -- that is already past.
    v_ref := coalesce(upper, lower);
    IF pg_snapshot_xmax(v_ref) > pg_snapshot_xmax(v_now)
       OR EXISTS (SELECT 1 FROM pg_snapshot_xip(v_now) AS x WHERE pg_visible_in_snapshot(x, v_ref)) THEN
        RAISE EXCEPTION USING ERRCODE = '40001',
            MESSAGE = format('the cursor is newer than the snapshot of this transaction; read the %s feed in a new transaction', p_feed);
    END IF;
    -- Rows below lower's xmin are all visible in lower, so a window starts
    -- there at the earliest: the index scan then starts at the window.
    IF after_xact < pg_snapshot_xmin(lower) THEN
        after_xact := pg_snapshot_xmin(lower);
        after_id := -1;
    END IF;
    IF upper IS NULL THEN
        RETURN QUERY SELECT 1, lower, v_now, after_xact, after_id;
    ELSE
        RETURN QUERY SELECT 1, lower, upper, after_xact, after_id
                     UNION ALL SELECT 2, upper, v_now, pg_snapshot_xmin(upper), -1::bigint;
    END IF;
END;
$$;
