-- drop_alert_rule: removes pool p_pool_id's own alert rule, so that the
-- default applies to it again, or the default rule when p_pool_id is NULL,
-- so that the built-in defaults apply. Returns whether there was a rule;
-- PKN01 for an unknown pool.
-- The pool's manager or a poolkeeper_admin may drop a pool's rule; only an
-- admin the default rule (42501).
CREATE FUNCTION poolkeeper.drop_alert_rule(p_pool_id bigint)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_pool_id IS NULL THEN
        PERFORM poolkeeper.authorize_admin('change the default alert rule');
    ELSE
        PERFORM poolkeeper.authorize_pool(p_pool_id, 'change the alert rule of');
        IF NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', p_pool_id);
        END IF;
    END IF;
    DELETE FROM poolkeeper.alert_rules WHERE pool_id IS NOT DISTINCT FROM p_pool_id;
    RETURN FOUND;
END;
$$;
