-- check_ledger_row: raises what is wrong with the fields of ledger row p_row
-- on their own, before any lookup: a NULL pool or investor (PKA01), an
-- unknown kind (PKA04), an amount out of range (PKA02), an occurred_at that
-- is infinite or in the future (PKA01), a bad idempotency key (PKA01) or
-- metadata that is not a JSON object of at most 64 kB (PKA01). Returns when
-- nothing is wrong. ledger_before_insert tests the same conditions at once on
-- its hot path and calls this only to say which one failed.
CREATE FUNCTION poolkeeper.check_ledger_row(p_row poolkeeper.transactions)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_row.pool_id IS NULL OR p_row.investor_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'pool_id and investor_id must not be NULL';
    END IF;
    IF p_row.kind IS NULL OR p_row.kind NOT IN ('contribution', 'withdrawal', 'distribution', 'fee') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA04',
            MESSAGE = format('transaction kind %L is not contribution, withdrawal, distribution or fee', p_row.kind);
    END IF;
    -- The currency's scale is checked once the pool is known.
    PERFORM poolkeeper.checked_amount(p_row.amount, NULL, 'amount');
    IF p_row.occurred_at IN ('infinity', '-infinity') OR p_row.occurred_at > now() + interval '5 minutes' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('occurred_at %s is not a finite time that has already happened', p_row.occurred_at);
    END IF;
    IF p_row.idempotency_key IS NOT NULL THEN
        PERFORM poolkeeper.checked_key(p_row.idempotency_key, 'idempotency_key');
    END IF;
    -- Measured as text: a stored value may be compressed, and its stored size say little.
    IF jsonb_typeof(p_row.metadata) <> 'object' OR octet_length(p_row.metadata::text) > 65536 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'metadata must be a JSON object of at most 64 kB';
    END IF;
END;
$$;
