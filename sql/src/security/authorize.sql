-- authorize_admin: 42501 unless the caller is a poolkeeper_admin (or a
-- superuser). p_action says what was refused.
CREATE FUNCTION poolkeeper.authorize_admin(p_action text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT poolkeeper.caller_is('poolkeeper_admin') THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('role %I may not %s: only poolkeeper_admin may', poolkeeper.caller(), p_action);
    END IF;
END;
$$;

-- authorize_pool: 42501 unless the caller may change pool p_pool_id: a
-- poolkeeper_admin, or the poolkeeper_manager whose manager runs the pool.
-- An unknown or NULL pool passes here, so that the caller's own check names
-- the problem (PKN01, PKA01). A pool's manager never changes, so the answer
-- holds for the whole transaction. p_action says what was refused.
CREATE FUNCTION poolkeeper.authorize_pool(p_pool_id bigint, p_action text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_caller name := poolkeeper.caller();
BEGIN
    IF pg_has_role(v_caller, 'poolkeeper_admin', 'USAGE') THEN
        RETURN;
    END IF;
    IF pg_has_role(v_caller, 'poolkeeper_manager', 'USAGE')
       AND EXISTS (SELECT 1 FROM poolkeeper.pools p JOIN poolkeeper.managers m ON m.id = p.manager_id
                    WHERE p.id = p_pool_id AND m.login_role = v_caller) THEN
        RETURN;
    END IF;
    IF p_pool_id IS NULL OR NOT EXISTS (SELECT 1 FROM poolkeeper.pools WHERE id = p_pool_id) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION USING ERRCODE = '42501',
        MESSAGE = format('role %I may not %s pool %s: it is not a manager of that pool', v_caller, p_action, p_pool_id);
END;
$$;
