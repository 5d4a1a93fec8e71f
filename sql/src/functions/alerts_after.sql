-- alerts_after: the feed of committed alerts, with the same contract as
-- transactions_after: up to p_limit (1 to 10000) alerts after p_cursor, each
-- with the cursor that comes after it, exactly once along a chain of
-- cursors. A listener of poolkeeper_alerts calls it on start, after each
-- notification and after each reconnect, so it misses nothing.
-- PKA01 for a bad limit, PKA06 for a bad cursor, PKS11 when called in a
-- transaction that has written or locked rows.
CREATE FUNCTION poolkeeper.alerts_after(p_cursor text, p_limit integer DEFAULT 1000)
RETURNS TABLE (cursor text, id bigint, kind text, pool_id bigint, transaction_id bigint,
               details jsonb, raised_at timestamptz, dedupe_key text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- a poll is a few index probes; compiling it would cost more than running it
AS $$
    SELECT format('v1;alerts;%s;%s;%s;%s', w.lower, w.upper, a.xact_id, a.id),
           a.id, a.kind, a.pool_id, a.transaction_id, a.details, a.raised_at, a.dedupe_key
      FROM poolkeeper.feed_windows(p_cursor, 'alerts') w
     CROSS JOIN LATERAL (
            SELECT *
              FROM poolkeeper.alerts x
             WHERE (x.xact_id, x.id) > (w.after_xact, w.after_id) AND x.xact_id < pg_snapshot_xmax(w.upper)
               AND NOT pg_visible_in_snapshot(x.xact_id, w.lower)
               AND pg_visible_in_snapshot(x.xact_id, w.upper)
             ORDER BY x.xact_id, x.id
             LIMIT p_limit) a
     ORDER BY w.ordinal, a.xact_id, a.id
     LIMIT poolkeeper.checked_limit(p_limit)
$$;
