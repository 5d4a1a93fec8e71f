-- create_pool: a new open pool run by p_manager_id in ISO 4217 currency
-- p_currency (case-insensitive); returns its id. PKN03 for an unknown manager,
-- PKA03 for an unknown currency, PKA01 for a bad name. A poolkeeper_admin
-- creates pools for any manager, a poolkeeper_manager for their own (42501).
CREATE FUNCTION poolkeeper.create_pool(p_manager_id bigint, p_name text, p_currency text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name     text := poolkeeper.checked_name(p_name, 'pool name');
    v_currency text := upper(btrim(p_currency));
    v_id       bigint;
BEGIN
    PERFORM poolkeeper.checked_id(p_manager_id, 'manager_id');
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.managers WHERE id = p_manager_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN03', MESSAGE = format('manager %s does not exist', p_manager_id);
    END IF;
    IF NOT poolkeeper.caller_is('poolkeeper_admin')
       AND (NOT poolkeeper.caller_is('poolkeeper_manager')
            OR p_manager_id IS DISTINCT FROM poolkeeper.caller_manager_id()) THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = format('role %I may not create pools for manager %s', poolkeeper.caller(), p_manager_id);
    END IF;
    IF v_currency IS NULL OR NOT EXISTS (SELECT 1 FROM poolkeeper.currencies WHERE code = v_currency) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA03',
            MESSAGE = format('currency %L is not a known ISO 4217 code', p_currency);
    END IF;
    INSERT INTO poolkeeper.pools (manager_id, name, currency)
    VALUES (p_manager_id, v_name, v_currency)
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$;
