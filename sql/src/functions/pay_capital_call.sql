-- pay_capital_call: investor p_investor_id pays p_amount (NULL: all that is
-- outstanding) of their obligation in capital call p_call_id. Posts the
-- contribution (metadata {"capital_call": id}) through post_transaction and
-- records it against the obligation; returns the ledger row's id.
-- Reversing that contribution makes the amount outstanding again.
-- With p_idempotency_key, a repeat returns the first row's id and writes
-- nothing. Payments of one obligation queue on its row lock, so it runs in
-- READ COMMITTED only (0A000 otherwise: check_read_committed).
-- Refusals: PKA02 (amount), PKA01 (key), PKN05 (no such capital call),
-- PKN02 (no such investor), PKN06 (no obligation of that investor in it), PKS14 (nothing outstanding, or more than is), and those
-- of post_transaction (closed pool, not a member, amount, occurred_at).
-- 42501 unless the caller may change the call's pool (authorize_pool).
CREATE FUNCTION poolkeeper.pay_capital_call(p_call_id bigint, p_investor_id bigint, p_amount numeric DEFAULT NULL,
                                            p_idempotency_key text DEFAULT NULL, p_occurred_at timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_pool_id     bigint;
    v_called      numeric;
    v_outstanding numeric;
    v_amount      numeric;
    v_id          bigint;
BEGIN
    PERFORM poolkeeper.checked_id(p_call_id, 'call_id'), poolkeeper.checked_id(p_investor_id, 'investor_id');
    -- The values themselves first: a NaN is not "more than is owed".
    IF p_amount IS NOT NULL THEN
        PERFORM poolkeeper.checked_amount(p_amount, NULL, 'amount');
    END IF;
    IF p_idempotency_key IS NOT NULL THEN
        PERFORM poolkeeper.checked_key(p_idempotency_key, 'idempotency_key');
    END IF;
    PERFORM poolkeeper.check_read_committed('pay_capital_call');
    SELECT pool_id INTO v_pool_id FROM poolkeeper.operations WHERE id = p_call_id AND kind = 'capital_call';
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN05', MESSAGE = format('capital call %s does not exist', p_call_id);
    END IF;
    PERFORM poolkeeper.authorize_pool(v_pool_id, 'record payments in');
    SELECT called INTO v_called FROM poolkeeper.obligations
     WHERE operation_id = p_call_id AND investor_id = p_investor_id
       FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM poolkeeper.checked_investor_exists(p_investor_id);
        RAISE EXCEPTION USING ERRCODE = 'PKN06',
            MESSAGE = format('investor %s owes nothing in capital call %s', p_investor_id, p_call_id);
    END IF;
    -- A repeat of a payment already made under this key replays it.
    IF p_idempotency_key IS NOT NULL THEN
        SELECT t.id INTO v_id
          FROM poolkeeper.obligation_payments op JOIN poolkeeper.transactions t ON t.id = op.transaction_id
         WHERE op.operation_id = p_call_id AND op.investor_id = p_investor_id AND t.idempotency_key = p_idempotency_key
           AND (p_amount IS NULL OR t.amount = p_amount);
        IF FOUND THEN
            RETURN v_id;
        END IF;
    END IF;

    v_outstanding := v_called - poolkeeper.obligation_paid(p_call_id, p_investor_id);
    v_amount := coalesce(p_amount, v_outstanding);
    IF v_outstanding = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS14',
            MESSAGE = format('investor %s has paid all %s called in capital call %s', p_investor_id, v_called, p_call_id);
    END IF;
    IF v_amount > v_outstanding THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS14',
            MESSAGE = format('a payment of %s is more than the %s investor %s still owes in capital call %s',
                             v_amount, v_outstanding, p_investor_id, p_call_id);
    END IF;
    v_id := poolkeeper.post_transaction(v_pool_id, p_investor_id, 'contribution', v_amount, p_idempotency_key,
                                        p_occurred_at, jsonb_build_object('capital_call', p_call_id));
    INSERT INTO poolkeeper.obligation_payments (transaction_id, operation_id, investor_id)
    VALUES (v_id, p_call_id, p_investor_id);
    RETURN v_id;
END;
$$;
