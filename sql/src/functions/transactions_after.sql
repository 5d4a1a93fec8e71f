-- transactions_after: the feed of committed ledger rows. Returns up to
-- p_limit (1 to 10000) rows that come after p_cursor, in feed order, each
-- with the cursor that comes after it; pass the last row's cursor to the
-- next call. A NULL cursor starts at the first row ever written, and
-- feed_cursor() now. Rows come exactly once along a chain of cursors,
-- whatever order their transactions commit in (see feed_windows and
-- docs/feed.md). The rows of one database transaction come together, so a
-- distribution's rows (operation_id) come one after another. PKA01 for a
-- bad limit, PKA06 for a bad cursor, PKS11 when called in a transaction
-- that has written or locked rows. posted_by is the role that wrote the
-- row (NULL before 0.5.0).
CREATE FUNCTION poolkeeper.transactions_after(p_cursor text, p_limit integer DEFAULT 1000)
RETURNS TABLE (cursor text, id bigint, pool_id bigint, investor_id bigint, kind text, amount numeric,
               occurred_at timestamptz, recorded_at timestamptz, idempotency_key text,
               reverses_id bigint, metadata jsonb, operation_id bigint, posted_by name)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- a poll is a few index probes; compiling it would cost more than running it
AS $$
    SELECT format('v1;transactions;%s;%s;%s;%s', w.lower, w.upper, t.xact_id, t.id),
           t.id, t.pool_id, t.investor_id, t.kind, t.amount, t.occurred_at, t.recorded_at,
           t.idempotency_key, t.reverses_id, t.metadata, t.operation_id, t.posted_by
      FROM poolkeeper.feed_windows(p_cursor, 'transactions') w
     CROSS JOIN LATERAL (
            SELECT *
              FROM poolkeeper.transactions x
             WHERE (x.xact_id, x.id) > (w.after_xact, w.after_id) AND x.xact_id < pg_snapshot_xmax(w.upper)
               AND NOT pg_visible_in_snapshot(x.xact_id, w.lower)
               AND pg_visible_in_snapshot(x.xact_id, w.upper)
             ORDER BY x.xact_id, x.id
             LIMIT p_limit) t
     ORDER BY w.ordinal, t.xact_id, t.id
     LIMIT poolkeeper.checked_limit(p_limit)
$$;
