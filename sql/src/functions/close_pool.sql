-- close_pool: closes open pool p_pool_id for good: no new members, no new
-- ledger rows (PKS01 for both, and for closing it twice). Waits for posts in
-- flight on the pool to commit, so none lands after the close.
-- 42501 unless the caller may change the pool (authorize_pool); the
-- closing role is kept in closed_by.
CREATE FUNCTION poolkeeper.close_pool(p_pool_id bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'close');
    PERFORM poolkeeper.locked_open_pool(p_pool_id);
    -- Each post updates its position only while is_open holds; closing every
    -- position here means a post either commits before this close or, having
    -- waited for the row, finds it closed. closed_at is read afterwards, so it
    -- is later than every ledger row of the pool.
    UPDATE poolkeeper.positions SET is_open = false WHERE pool_id = p_pool_id AND is_open;
    UPDATE poolkeeper.pools SET status = 'closed', closed_at = clock_timestamp(), closed_by = poolkeeper.caller() WHERE id = p_pool_id;
END;
$$;
