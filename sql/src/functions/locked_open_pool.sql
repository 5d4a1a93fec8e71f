-- locked_open_pool: locks pool p_pool_id against concurrent membership changes,
-- calls, distributions and closing, and returns its currency's minor units.
-- PKN01 if it does not exist, PKS01 if it is closed. FOR NO KEY UPDATE, not
-- FOR UPDATE: a post's foreign-key check takes KEY SHARE on the pool after
-- locking its position, and must not wait for a holder of this lock who is
-- waiting for that position (a deadlock the stress harness found).
CREATE FUNCTION poolkeeper.locked_open_pool(p_pool_id bigint)
RETURNS smallint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_status text;
    v_minor  smallint;
BEGIN
    PERFORM poolkeeper.checked_id(p_pool_id, 'pool_id');
    SELECT p.status, c.minor_units INTO v_status, v_minor
      FROM poolkeeper.pools p JOIN poolkeeper.currencies c ON c.code = p.currency
     WHERE p.id = p_pool_id
       FOR NO KEY UPDATE OF p;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    IF v_status <> 'open' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS01', MESSAGE = format('pool %s is closed', p_pool_id);
    END IF;
    RETURN v_minor;
END;
$$;
