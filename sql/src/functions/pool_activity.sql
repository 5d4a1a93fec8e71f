-- pool_activity: the ledger of pool p_pool_id (every pool when NULL) per
-- p_bucket ('day', 'week' or 'month', cut in the session's TimeZone) of
-- occurred_at, over the period [p_from, p_to) (either end may be NULL).
-- Per pool and bucket that has rows: the number of rows (reversals
-- included) and of reversals, the amount of each kind net of the reversals
-- that occurred in the bucket, and net_flow, the change in net_invested
-- (contributions - withdrawals - fees). Ordered by pool_id and bucket.
-- PKA01 for another bucket or an empty period; PKN01 if the pool does not
-- exist.
CREATE FUNCTION poolkeeper.pool_activity(p_pool_id bigint, p_bucket text DEFAULT 'day',
                                         p_from timestamptz DEFAULT NULL, p_to timestamptz DEFAULT NULL)
RETURNS TABLE (pool_id bigint, bucket_start timestamptz, transactions bigint, reversals bigint,
               contributions numeric, withdrawals numeric, distributions numeric, fees numeric, net_flow numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_bucket IS NULL OR p_bucket NOT IN ('day', 'week', 'month') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('bucket %s is not day, week or month', coalesce(quote_literal(p_bucket), 'NULL'));
    END IF;
    PERFORM poolkeeper.checked_period(p_from, p_to);
    IF p_pool_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    RETURN QUERY
    WITH signed AS (
        SELECT t.pool_id, date_trunc(p_bucket, t.occurred_at) AS bucket_start, t.kind, t.reverses_id IS NOT NULL AS reversal,
               CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END AS amount
          FROM poolkeeper.transactions t
         WHERE (p_pool_id IS NULL OR t.pool_id = p_pool_id)
           AND t.occurred_at >= coalesce(p_from, '-infinity') AND t.occurred_at < coalesce(p_to, 'infinity')
    )
    SELECT s.pool_id, s.bucket_start, count(*), count(*) FILTER (WHERE s.reversal),
           coalesce(sum(s.amount) FILTER (WHERE s.kind = 'contribution'), 0),
           coalesce(sum(s.amount) FILTER (WHERE s.kind = 'withdrawal'), 0),
           coalesce(sum(s.amount) FILTER (WHERE s.kind = 'distribution'), 0),
           coalesce(sum(s.amount) FILTER (WHERE s.kind = 'fee'), 0),
           coalesce(sum(CASE s.kind WHEN 'contribution' THEN s.amount WHEN 'distribution' THEN 0 ELSE -s.amount END), 0)
      FROM signed s
     GROUP BY s.pool_id, s.bucket_start
     ORDER BY s.pool_id, s.bucket_start;
END;
$$;
