-- caller_manager_id, caller_investor_id: the manager or investor whose
-- login_role is the caller (see caller), or NULL. SECURITY DEFINER so that
-- row-level security policies can use them without reading the party tables
-- through their own policies.
CREATE FUNCTION poolkeeper.caller_manager_id()
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT id FROM poolkeeper.managers WHERE login_role = poolkeeper.caller();
$$;

CREATE FUNCTION poolkeeper.caller_investor_id()
RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT id FROM poolkeeper.investors WHERE login_role = poolkeeper.caller();
$$;

-- caller_managed_pools: the ids of the pools the caller manages (empty if
-- none). Policies compare with it as an InitPlan, once per query.
CREATE FUNCTION poolkeeper.caller_managed_pools()
RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(p.id ORDER BY p.id), '{}')
      FROM poolkeeper.pools p JOIN poolkeeper.managers m ON m.id = p.manager_id
     WHERE m.login_role = poolkeeper.caller();
$$;

-- caller_member_pools: the ids of the pools the caller is or was a member
-- of, as an investor (empty if none).
CREATE FUNCTION poolkeeper.caller_member_pools()
RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT ms.pool_id), '{}')
      FROM poolkeeper.memberships ms JOIN poolkeeper.investors i ON i.id = ms.investor_id
     WHERE i.login_role = poolkeeper.caller();
$$;
