-- call_capital: calls p_total (in the pool's currency) from the current
-- members of open pool p_pool_id, due on p_due_date, and returns the capital
-- call's operation id. The total is allocated pro rata to what each member
-- has left to be called (commitment minus earlier calls; so equal
-- commitments stay equally called) with allocate() (largest remainder, exact
-- in minor units; a member without a commitment owes nothing), and each
-- non-zero share is an obligation (capital_call_obligations: called, paid,
-- outstanding) that pay_capital_call settles. No money moves yet: the ledger is unchanged.
-- With p_idempotency_key, repeating the same call returns the first id and
-- writes nothing (PKS08 for a different call under the key).
-- Runs in READ COMMITTED only (0A000 otherwise: check_read_committed).
-- Refusals: PKA01 (NULL due date), PKA02 (total), PKN01, PKS01, PKS12 (no
-- member has a commitment), PKS13 (a member's called capital would exceed
-- their commitment, or nobody has any left).
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE FUNCTION poolkeeper.call_capital(p_pool_id bigint, p_total numeric, p_due_date date,
                                        p_idempotency_key text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor   smallint;
    v_total   numeric;
    v_id      bigint;
    v_over    record;
    v_members bigint[];
    v_weights numeric[];
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'call capital in');
    -- A repeat replays, even once the pool has closed.
    v_id := poolkeeper.replayed_operation(p_idempotency_key, 'capital_call', p_pool_id, p_total, 'commitment', p_due_date);
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    PERFORM poolkeeper.check_read_committed('call_capital');
    v_minor := poolkeeper.locked_open_pool(p_pool_id);  -- holds membership changes and other calls off
    -- A new row version of the pool: a REPEATABLE READ transaction whose
    -- snapshot predates this call and that then locks the pool (to remove a
    -- member who now owes) fails with 40001 instead of missing the call.
    UPDATE poolkeeper.pools SET status = status WHERE id = p_pool_id;
    v_total := poolkeeper.checked_amount(p_total, v_minor, 'total');
    IF p_due_date IS NULL OR p_due_date IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'due date must be a date';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM poolkeeper.memberships
                    WHERE pool_id = p_pool_id AND left_at IS NULL AND commitment IS NOT NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS12',
            MESSAGE = format('no current member of pool %s has a commitment to call capital against', p_pool_id);
    END IF;

    -- Pro rata to what each member has left to be called: rounding a call up
    -- for one member then never takes them past their commitment while
    -- the total is within what is left.
    SELECT array_agg(m.investor_id ORDER BY m.investor_id),
           array_agg(greatest(0, coalesce(m.commitment, 0) - coalesce(c.called, 0)) ORDER BY m.investor_id)
      INTO v_members, v_weights
      FROM poolkeeper.memberships m
      LEFT JOIN (SELECT o.investor_id, sum(o.called) AS called
                   FROM poolkeeper.operations op JOIN poolkeeper.obligations o ON o.operation_id = op.id
                  WHERE op.pool_id = p_pool_id AND op.kind = 'capital_call'
                  GROUP BY o.investor_id) c ON c.investor_id = m.investor_id
     WHERE m.pool_id = p_pool_id AND m.left_at IS NULL;
    IF NOT EXISTS (SELECT 1 FROM unnest(v_weights) w WHERE w > 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS13',
            MESSAGE = format('the members of pool %s have no commitment left to call', p_pool_id);
    END IF;

    INSERT INTO poolkeeper.operations (pool_id, kind, total, basis, due_date, idempotency_key)
    VALUES (p_pool_id, 'capital_call', v_total, 'commitment', p_due_date, p_idempotency_key)
    RETURNING id INTO v_id;
    INSERT INTO poolkeeper.obligations (operation_id, investor_id, called)
    SELECT v_id, a.key, a.part FROM poolkeeper.allocate(v_total, v_minor, v_members, v_weights) a WHERE a.part > 0;

    -- Called capital, all calls of the pool together, stays within each commitment.
    SELECT m.investor_id, m.commitment, sum(o.called) AS called INTO v_over
      FROM poolkeeper.memberships m
      JOIN poolkeeper.operations c ON c.pool_id = m.pool_id AND c.kind = 'capital_call'
      JOIN poolkeeper.obligations o ON o.operation_id = c.id AND o.investor_id = m.investor_id
     WHERE m.pool_id = p_pool_id AND m.left_at IS NULL
     GROUP BY m.investor_id, m.commitment
    HAVING sum(o.called) > m.commitment
     ORDER BY m.investor_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS13',
            MESSAGE = format('the call would bring investor %s''s called capital in pool %s to %s, above their commitment of %s',
                             v_over.investor_id, p_pool_id, v_over.called, v_over.commitment);
    END IF;
    RETURN v_id;
END;
$$;
