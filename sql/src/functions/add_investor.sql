-- add_investor: makes p_investor_id a current member of open pool p_pool_id,
-- with an optional commitment in the pool's currency, and opens (or reopens)
-- the investor's position there. PKS03 if already a member.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE FUNCTION poolkeeper.add_investor(p_pool_id bigint, p_investor_id bigint, p_commitment numeric DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor      smallint;
    v_commitment numeric;
    v_zero       numeric;
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'add investors to');  -- before the pool's lock
    v_minor := poolkeeper.locked_open_pool(p_pool_id);
    v_zero := round(0::numeric, v_minor);
    PERFORM poolkeeper.checked_investor_exists(p_investor_id);
    IF p_commitment IS NOT NULL THEN
        v_commitment := poolkeeper.checked_amount(p_commitment, v_minor, 'commitment');
    END IF;
    IF EXISTS (SELECT 1 FROM poolkeeper.memberships
                WHERE pool_id = p_pool_id AND investor_id = p_investor_id AND left_at IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS03',
            MESSAGE = format('investor %s is already a member of pool %s', p_investor_id, p_pool_id);
    END IF;
    INSERT INTO poolkeeper.memberships (pool_id, investor_id, commitment)
    VALUES (p_pool_id, p_investor_id, v_commitment);
    -- Totals start at the currency's scale, so sums display as 100.00, not 100.
    INSERT INTO poolkeeper.positions
           (pool_id, investor_id, currency, contributed, withdrawn, distributed, fees, net_invested, minor_units)
    SELECT p_pool_id, p_investor_id, currency, v_zero, v_zero, v_zero, v_zero, v_zero, v_minor
      FROM poolkeeper.pools WHERE id = p_pool_id
    ON CONFLICT (pool_id, investor_id) DO UPDATE SET is_open = true;
END;
$$;
