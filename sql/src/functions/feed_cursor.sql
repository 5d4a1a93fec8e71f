-- feed_cursor: a cursor for transactions_after and alerts_after that starts
-- now: it skips everything committed so far and hands out everything that
-- commits after. (A NULL cursor starts at the beginning of the feed.)
-- A cursor is opaque text; see docs/feed.md for what it holds. Refused
-- (PKS11) in a transaction that has written or locked rows, whose own rows
-- would count as committed before the cursor.
CREATE FUNCTION poolkeeper.feed_cursor()
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.check_feed_reader('feed_cursor');
    RETURN format('v1;;%s;;0;0', pg_current_snapshot());
END;
$$;
