-- lock_idempotency_key: takes a transaction-scoped advisory lock on p_key, so
-- that posts under one key run one after the other: the second sees the
-- first's committed row and replays it. Advisory lock class 0x504B ('PK')
-- keeps these locks apart from an application's own one-argument locks.
CREATE FUNCTION poolkeeper.lock_idempotency_key(p_key text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_advisory_xact_lock(20555, hashtext(p_key));
$$;
