-- drop_alert_rule: removes pool p_pool_id's own alert rule, so that the
-- default applies to it again, or the default rule when p_pool_id is NULL,
-- so that the built-in defaults apply. Returns whether there was a rule.
CREATE FUNCTION poolkeeper.drop_alert_rule(p_pool_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM poolkeeper.alert_rules WHERE pool_id IS NOT DISTINCT FROM p_pool_id;
    RETURN FOUND;
END;
$$;
