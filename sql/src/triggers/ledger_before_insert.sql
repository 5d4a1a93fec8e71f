-- ledger_before_insert: every rule of a new ledger row, for every writer
-- (post_transaction, reverse_transaction or a plain INSERT). It checks the
-- row, applies it to the position under the position's row lock, and only
-- then checks the pool and the membership with a fresh snapshot, so a post
-- racing close_pool or remove_investor either commits first or is refused.
CREATE FUNCTION poolkeeper.ledger_before_insert()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_original poolkeeper.transactions;
    v_delta    numeric;
    v_updated  integer;
    v_status   text;
    v_minor    smallint;
    v_member   boolean;
BEGIN
    IF NEW.reverses_id IS NOT NULL THEN
        -- Lock the original so that concurrent reversals of it queue up here.
        SELECT * INTO v_original FROM poolkeeper.transactions WHERE id = NEW.reverses_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN04',
                MESSAGE = format('ledger row %s does not exist', NEW.reverses_id);
        END IF;
        IF v_original.reverses_id IS NOT NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PKS07',
                MESSAGE = format('ledger row %s is a reversal and cannot be reversed', NEW.reverses_id);
        END IF;
        IF EXISTS (SELECT 1 FROM poolkeeper.transactions WHERE reverses_id = NEW.reverses_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'PKS06',
                MESSAGE = format('ledger row %s has already been reversed', NEW.reverses_id);
        END IF;
        -- A plain INSERT may leave these out; what it gives must match.
        IF NEW.pool_id <> v_original.pool_id OR NEW.investor_id <> v_original.investor_id
           OR NEW.kind <> v_original.kind OR NEW.amount <> v_original.amount THEN
            RAISE EXCEPTION USING ERRCODE = 'PKS07',
                MESSAGE = format('a reversal of ledger row %s must have its pool, investor, kind and amount', NEW.reverses_id);
        END IF;
        NEW.pool_id := v_original.pool_id;
        NEW.investor_id := v_original.investor_id;
        NEW.kind := v_original.kind;
        NEW.amount := v_original.amount;
        v_delta := -v_original.amount;
    ELSE
        v_delta := NEW.amount;
    END IF;

    IF NEW.pool_id IS NULL OR NEW.investor_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'pool_id and investor_id must not be NULL';
    END IF;
    IF NEW.kind IS NULL OR NEW.kind NOT IN ('contribution', 'withdrawal', 'distribution', 'fee') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA04',
            MESSAGE = format('transaction kind %L is not contribution, withdrawal, distribution or fee', NEW.kind);
    END IF;
    NEW.occurred_at := coalesce(NEW.occurred_at, now());
    IF NEW.occurred_at IN ('infinity', '-infinity') OR NEW.occurred_at > now() + interval '5 minutes' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('occurred_at %s is not a finite time that has already happened', NEW.occurred_at);
    END IF;
    IF NEW.idempotency_key IS NOT NULL AND length(NEW.idempotency_key) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'idempotency_key must be 1 to 255 characters long';
    END IF;
    NEW.metadata := coalesce(NEW.metadata, '{}');
    IF jsonb_typeof(NEW.metadata) <> 'object' OR pg_column_size(NEW.metadata) > 65536 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'metadata must be a JSON object of at most 64 kB';
    END IF;
    -- Out-of-range amounts (NULL, NaN and infinities among them) fail before
    -- they touch the position; the currency's scale is checked further down.
    IF NEW.amount IS NULL OR NOT (NEW.amount > 0 AND NEW.amount < 1e18) THEN
        PERFORM poolkeeper.checked_amount(NEW.amount, 0::smallint, 'amount');
    END IF;
    NEW.recorded_at := clock_timestamp();

    -- Apply the row to the position. The row lock serializes posts on one
    -- position; the WHERE clause is re-checked on the latest row version
    -- after a wait, so a withdrawal or fee never takes net_invested below 0.
    CASE NEW.kind
        WHEN 'contribution' THEN
            UPDATE poolkeeper.positions SET contributed = contributed + v_delta
             WHERE pool_id = NEW.pool_id AND investor_id = NEW.investor_id AND net_invested + v_delta >= 0;
        WHEN 'withdrawal' THEN
            UPDATE poolkeeper.positions SET withdrawn = withdrawn + v_delta
             WHERE pool_id = NEW.pool_id AND investor_id = NEW.investor_id AND net_invested - v_delta >= 0;
        WHEN 'fee' THEN
            UPDATE poolkeeper.positions SET fees = fees + v_delta
             WHERE pool_id = NEW.pool_id AND investor_id = NEW.investor_id AND net_invested - v_delta >= 0;
        ELSE
            UPDATE poolkeeper.positions SET distributed = distributed + v_delta
             WHERE pool_id = NEW.pool_id AND investor_id = NEW.investor_id AND distributed + v_delta >= 0;
    END CASE;
    GET DIAGNOSTICS v_updated = ROW_COUNT;

    -- With the position locked, look at the pool and the membership afresh.
    SELECT p.status, c.minor_units,
           EXISTS (SELECT 1 FROM poolkeeper.memberships m
                    WHERE m.pool_id = p.id AND m.investor_id = NEW.investor_id AND m.left_at IS NULL)
      INTO v_status, v_minor, v_member
      FROM poolkeeper.pools p JOIN poolkeeper.currencies c ON c.code = p.currency
     WHERE p.id = NEW.pool_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PKN01', MESSAGE = format('pool %s does not exist', NEW.pool_id);
    END IF;
    NEW.amount := poolkeeper.checked_amount(NEW.amount, v_minor, 'amount');
    IF v_status <> 'open' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS01', MESSAGE = format('pool %s is closed', NEW.pool_id);
    END IF;
    IF NOT v_member THEN
        IF NOT EXISTS (SELECT 1 FROM poolkeeper.investors WHERE id = NEW.investor_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'PKN02', MESSAGE = format('investor %s does not exist', NEW.investor_id);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'PKS02',
            MESSAGE = format('investor %s is not a member of pool %s', NEW.investor_id, NEW.pool_id);
    END IF;
    IF v_updated = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS04',
            MESSAGE = format('%s %s %s would take net_invested of investor %s in pool %s below zero (it is %s)',
                             CASE WHEN NEW.reverses_id IS NULL THEN 'a' ELSE 'reversing a' END,
                             NEW.kind, NEW.amount, NEW.investor_id, NEW.pool_id,
                             (SELECT net_invested FROM poolkeeper.positions
                               WHERE pool_id = NEW.pool_id AND investor_id = NEW.investor_id));
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_before_insert
    BEFORE INSERT ON poolkeeper.transactions
    FOR EACH ROW EXECUTE FUNCTION poolkeeper.ledger_before_insert();
