-- remove_investor: ends p_investor_id's current membership of open pool
-- p_pool_id. Refuses while net_invested is not zero (PKS05) and while the
-- investor still owes on a capital call of the pool (PKS15: once gone, they
-- could never pay it); the membership row, position and ledger stay as
-- history. PKS02 if not a member, PKN02 if no investor has that id.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE FUNCTION poolkeeper.remove_investor(p_pool_id bigint, p_investor_id bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_net  numeric;
    v_call bigint;
    v_owed numeric;
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'remove investors from');
    PERFORM poolkeeper.locked_open_pool(p_pool_id);
    PERFORM poolkeeper.checked_id(p_investor_id, 'investor_id');
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.memberships
                    WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND left_at IS NULL) THEN
        PERFORM poolkeeper.checked_investor_exists(p_investor_id);
        RAISE EXCEPTION USING ERRCODE = 'PKS02',
            MESSAGE = format('investor %s is not a member of pool %s', p_investor_id, p_pool_id);
    END IF;
    -- Waits for any post in flight on this position and re-checks the
    -- balance it left; posts that come after see the position closed.
    UPDATE poolkeeper.positions SET is_open = false
     WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND net_invested = 0;
    IF NOT FOUND THEN
        SELECT net_invested INTO v_net FROM poolkeeper.positions
         WHERE pool_id = p_pool_id AND investor_id = p_investor_id;
        RAISE EXCEPTION USING ERRCODE = 'PKS05',
            MESSAGE = format('investor %s still has net_invested %s in pool %s', p_investor_id, v_net, p_pool_id);
    END IF;
    -- After the position's lock: a payment or a reversal of one that was in
    -- flight has committed, and this statement sees it. Calls take the pool
    -- lock held here (and update the pool row, so a REPEATABLE READ
    -- transaction that took its snapshot before a call fails with 40001).
    SELECT call_id, outstanding INTO v_call, v_owed FROM poolkeeper.capital_call_obligations
     WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND outstanding > 0
     ORDER BY call_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS15',
            MESSAGE = format('investor %s still owes %s on capital call %s of pool %s', p_investor_id, v_owed, v_call, p_pool_id);
    END IF;
    UPDATE poolkeeper.memberships SET left_at = clock_timestamp()
     WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND left_at IS NULL;
END;
$$;
