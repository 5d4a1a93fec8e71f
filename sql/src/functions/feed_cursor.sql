-- feed_cursor: a cursor for transactions_after and alerts_after that starts
-- now: it skips everything committed so far and hands out everything that
-- commits after. (A NULL cursor starts at the beginning of the feed.)
-- A cursor is opaque text; see docs/feed.md for what it holds.
CREATE FUNCTION poolkeeper.feed_cursor()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('v1;;%s;;0;0', pg_current_snapshot())
$$;
