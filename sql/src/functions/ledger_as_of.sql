-- ledger_as_of: the ledger rows of pool p_pool_id (of investor
-- p_investor_id only, unless NULL) that occurred on or before day p_as_of
-- (days are UTC), each with its day and its amount signed: negative for a
-- reversal. The input of nav_shares and of the metrics. PKA01, PKN01 and
-- PKN02 for bad arguments (poolkeeper.checked_metrics_request).
CREATE FUNCTION poolkeeper.ledger_as_of(p_pool_id bigint, p_investor_id bigint, p_as_of date)
RETURNS TABLE (investor_id bigint, kind text, day date, signed numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.checked_metrics_request(p_pool_id, NULL, p_as_of);
    IF p_investor_id IS NOT NULL THEN
        PERFORM poolkeeper.checked_metrics_request(NULL, p_investor_id, p_as_of);
    END IF;
    RETURN QUERY
    SELECT t.investor_id, t.kind, (t.occurred_at AT TIME ZONE 'UTC')::date,
           CASE WHEN t.reverses_id IS NULL THEN t.amount ELSE -t.amount END
      FROM poolkeeper.transactions t
     WHERE t.pool_id = p_pool_id AND (p_investor_id IS NULL OR t.investor_id = p_investor_id)
       AND t.occurred_at < (p_as_of + 1)::timestamp AT TIME ZONE 'UTC';
END;
$$;
