-- alert_history: the latest p_limit alerts (1 to 10000), newest first, of
-- pool p_pool_id and kind p_kind ('large_transaction' or 'spike') raised in
-- [p_from, p_to); a NULL filter matches everything. PKA01 for another kind,
-- a limit out of range or an empty period; PKN01 if the pool does not exist.
-- Each row has the alert's dedupe key.
CREATE FUNCTION poolkeeper.alert_history(p_pool_id bigint DEFAULT NULL, p_kind text DEFAULT NULL,
                                         p_from timestamptz DEFAULT NULL, p_to timestamptz DEFAULT NULL,
                                         p_limit integer DEFAULT 100)
RETURNS TABLE (alert_id bigint, kind text, pool_id bigint, pool_name text, transaction_id bigint,
               raised_at timestamptz, details jsonb, dedupe_key text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_kind NOT IN ('large_transaction', 'spike') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('alert kind %L is not large_transaction or spike', p_kind);
    END IF;
    PERFORM poolkeeper.checked_limit(p_limit);
    PERFORM poolkeeper.checked_period(p_from, p_to);
    IF p_pool_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    RETURN QUERY
    SELECT a.id, a.kind, a.pool_id, p.name, a.transaction_id, a.raised_at, a.details, a.dedupe_key
      FROM poolkeeper.alerts a
      JOIN poolkeeper.pools p ON p.id = a.pool_id
     WHERE (p_pool_id IS NULL OR a.pool_id = p_pool_id)
       AND (p_kind IS NULL OR a.kind = p_kind)
       AND a.raised_at >= coalesce(p_from, '-infinity') AND a.raised_at < coalesce(p_to, 'infinity')
     ORDER BY a.raised_at DESC, a.id DESC
     LIMIT p_limit;
END;
$$;
