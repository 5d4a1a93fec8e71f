-- checked_metrics_request: checks the arguments of a metrics, NAV or valuation request
-- (a pool or an investor that exists, a finite date) and returns the pool's
-- minor units (NULL for an investor request). PKA01, PKN01, PKN02.
CREATE FUNCTION poolkeeper.checked_metrics_request(p_pool_id bigint, p_investor_id bigint, p_as_of date)
RETURNS smallint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor smallint;
BEGIN
    IF p_as_of IS NULL OR p_as_of IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'as_of must be a date';
    END IF;
    IF p_investor_id IS NOT NULL OR p_pool_id IS NULL THEN
        PERFORM poolkeeper.checked_investor_exists(p_investor_id);
        RETURN NULL;
    END IF;
    PERFORM poolkeeper.checked_id(p_pool_id, 'pool_id');
    SELECT c.minor_units INTO v_minor
      FROM poolkeeper.pools p JOIN poolkeeper.currencies c ON c.code = p.currency
     WHERE p.id = p_pool_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
    END IF;
    RETURN v_minor;
END;
$$;
