-- distribute: pays p_total (in the pool's currency) out to the current
-- members of open pool p_pool_id, pro rata to p_basis ('net_invested', the
-- positions' net invested capital, or 'commitment'), as one distribution
-- ledger row per member with a non-zero share, all in this database
-- transaction, and returns the distribution's operation id. Shares come from
-- allocate() (largest remainder, exact in minor units; ties to the larger
-- weight, then the smaller investor id), so the rows sum to p_total exactly.
-- The rows carry the operation id: the feed hands them out together, spike
-- detection counts them as one event, and the distribution raises one
-- large_transaction alert when its total is above the pool's threshold
-- (details: operation_id, amount = the total, rows). With
-- p_idempotency_key, repeating the same distribution returns the first id
-- and writes nothing (PKS08 for a different one under the key).
-- Locks: the pool (against membership changes), then the members'
-- investor_totals rows and (for net_invested) positions in investor order,
-- as every post takes them, so weights cannot move while they are read.
-- Refusals: PKA01 (basis, key), PKA02 (total), PKN01, PKS01, PKS12 (the
-- members' weights sum to zero).
-- 40001 (retry) in the rare case that a member posts for the first time
-- while a net_invested distribution locks the pool's members.
-- 42501 unless the caller may change the pool (authorize_pool).
CREATE FUNCTION poolkeeper.distribute(p_pool_id bigint, p_total numeric, p_basis text DEFAULT 'net_invested',
                                      p_idempotency_key text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_minor     smallint;
    v_total     numeric;
    v_id        bigint;
    v_members   bigint[];
    v_weights   numeric[];
    v_totals_locked bigint[];
    v_first     bigint;
    v_rows      bigint;
    v_threshold numeric;
    v_currency  text;
BEGIN
    PERFORM poolkeeper.authorize_pool(p_pool_id, 'distribute from');
    -- A repeat replays, even once the pool has closed.
    v_id := poolkeeper.replayed_operation(p_idempotency_key, 'distribution', p_pool_id, p_total, p_basis, NULL);
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    v_minor := poolkeeper.locked_open_pool(p_pool_id);
    v_total := poolkeeper.checked_amount(p_total, v_minor, 'total');
    IF p_basis IS NULL OR p_basis NOT IN ('net_invested', 'commitment') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('basis %L is not net_invested or commitment', p_basis);
    END IF;

    -- Lock order of every post: the investor's totals row, then the
    -- position. A member without a totals row has never posted: their
    -- weight is a commitment (read under the pool lock), or a zero net
    -- invested capital that gets no row; the trigger creates it as for any
    -- first row.
    SELECT array_agg(t.investor_id ORDER BY t.investor_id) INTO v_totals_locked FROM (
        SELECT t.investor_id FROM poolkeeper.investor_totals t
         WHERE t.investor_id IN (SELECT m.investor_id FROM poolkeeper.memberships m
                                  WHERE m.pool_id = p_pool_id AND m.left_at IS NULL)
         ORDER BY t.investor_id
           FOR NO KEY UPDATE) t;
    IF p_basis = 'net_invested' THEN
        SELECT array_agg(p.investor_id ORDER BY p.investor_id), array_agg(p.net_invested ORDER BY p.investor_id)
          INTO v_members, v_weights
          FROM (SELECT * FROM poolkeeper.positions
                 WHERE pool_id = p_pool_id AND is_open
                 ORDER BY investor_id
                   FOR NO KEY UPDATE) p;
        -- A member whose first post committed after the totals were locked
        -- has capital now but no locked totals row: a row for them would
        -- lock it after their position, against every post's order (and
        -- deadlock with a second post of theirs). Rare; retrying sees it.
        IF EXISTS (SELECT 1 FROM unnest(v_members, v_weights) AS w(investor_id, weight)
                    WHERE w.weight > 0 AND w.investor_id <> ALL (coalesce(v_totals_locked, '{}'))) THEN
            RAISE EXCEPTION USING ERRCODE = '40001',
                MESSAGE = format('a member of pool %s posted for the first time during this distribution; retry it', p_pool_id);
        END IF;
    ELSE
        SELECT array_agg(m.investor_id ORDER BY m.investor_id), array_agg(coalesce(m.commitment, 0) ORDER BY m.investor_id)
          INTO v_members, v_weights
          FROM poolkeeper.memberships m
         WHERE m.pool_id = p_pool_id AND m.left_at IS NULL;
    END IF;
    IF v_members IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(v_weights) w WHERE w > 0) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS12',
            MESSAGE = format('no current member of pool %s has any %s to distribute pro rata to', p_pool_id,
                             CASE p_basis WHEN 'net_invested' THEN 'net invested capital' ELSE 'commitment' END);
    END IF;

    INSERT INTO poolkeeper.operations (pool_id, kind, total, basis, idempotency_key)
    VALUES (p_pool_id, 'distribution', v_total, p_basis, p_idempotency_key)
    RETURNING id INTO v_id;
    PERFORM set_config('poolkeeper.writing_operation', v_id::text, true);
    WITH posted AS (
        INSERT INTO poolkeeper.transactions (pool_id, investor_id, kind, amount, operation_id, metadata)
        SELECT p_pool_id, a.key, 'distribution', a.part, v_id, jsonb_build_object('distribution', v_id)
          FROM poolkeeper.allocate(v_total, v_minor, v_members, v_weights) a
         WHERE a.part > 0
         ORDER BY a.key
        RETURNING id
    )
    SELECT min(id), count(*) INTO v_first, v_rows FROM posted;
    PERFORM set_config('poolkeeper.writing_operation', '', true);

    -- One large_transaction alert for the whole distribution.
    SELECT r.alert_threshold, pl.currency INTO v_threshold, v_currency
      FROM poolkeeper.pools pl JOIN poolkeeper.effective_alert_rules r ON r.pool_id = pl.id
     WHERE pl.id = p_pool_id;
    IF v_total > v_threshold THEN
        INSERT INTO poolkeeper.alerts (kind, pool_id, transaction_id, details, dedupe_key)
        VALUES ('large_transaction', p_pool_id, v_first,
                jsonb_build_object('operation_id', v_id, 'transaction_kind', 'distribution', 'amount', v_total::text,
                                   'threshold', v_threshold::text, 'currency', v_currency, 'rows', v_rows),
                'large_transaction:operation:' || v_id);
    END IF;
    RETURN v_id;
END;
$$;
