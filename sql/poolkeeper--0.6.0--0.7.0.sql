-- poolkeeper 0.6.0 -> 0.7.0: batch posting. post_transactions(jsonb) posts
-- up to 10,000 ledger rows in one call, all or none, in the order in which
-- posts take their locks, and returns their ids in the order given;
-- checked_batch_post reads one post of a batch. Two new functions: no table
-- is touched, nothing is locked beyond the catalog. Assembled from the 0.7.0
-- sources; never edit it once 0.7.0 is released. sql/test/upgrade.sh checks
-- that it gives what a fresh 0.7.0 gives.
\echo Use "ALTER EXTENSION poolkeeper UPDATE TO '0.7.0'" to load this file. \quit

-- checked_batch_post: the arguments of post_transaction from p_post, the
-- p_at-th object of a post_transactions batch, by name: pool_id and
-- investor_id (JSON integers), kind (a string), amount (a JSON number or a
-- string holding one: both keep every digit), and the optional
-- idempotency_key (a string), occurred_at (an ISO 8601 string; absent or
-- null is now()) and metadata (an object; absent or null is {}). Raises
-- PKA01 "post <p_at>: ..." for a post that is not an object, a field it does
-- not know (a misspelt one would otherwise be dropped), a missing field or
-- one of the wrong JSON type, and PKA02 for an amount that is not a number.
-- What the values mean (a known pool, a positive amount, ...) is left to
-- post_transaction, which checks it for every writer.
CREATE FUNCTION poolkeeper.checked_batch_post(
    p_post jsonb, p_at bigint,
    OUT pool_id bigint, OUT investor_id bigint, OUT kind text, OUT amount numeric,
    OUT idempotency_key text, OUT occurred_at timestamptz, OUT metadata jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_field text;
BEGIN
    IF jsonb_typeof(p_post) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('post %s: must be a JSON object, not %s', p_at, coalesce(jsonb_typeof(p_post), 'SQL NULL'));
    END IF;
    SELECT min(k) INTO v_field FROM jsonb_object_keys(p_post) k
     WHERE k NOT IN ('pool_id', 'investor_id', 'kind', 'amount', 'idempotency_key', 'occurred_at', 'metadata');
    IF v_field IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('post %s: unknown field %s (fields: pool_id, investor_id, kind, amount, idempotency_key, occurred_at, metadata)',
                             p_at, to_jsonb(v_field));
    END IF;
    FOREACH v_field IN ARRAY ARRAY['pool_id', 'investor_id'] LOOP
        -- The cast is only reached for a number (CASE evaluates in order).
        IF (CASE WHEN jsonb_typeof(p_post->v_field) = 'number'
                 THEN (p_post->>v_field)::numeric <> trunc((p_post->>v_field)::numeric)
                      OR abs((p_post->>v_field)::numeric) > 9223372036854775807
                 ELSE true END) THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('post %s: %s must be a JSON integer', p_at, v_field);
        END IF;
    END LOOP;
    pool_id := (p_post->>'pool_id')::bigint;
    investor_id := (p_post->>'investor_id')::bigint;
    IF jsonb_typeof(p_post->'kind') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: kind must be a string', p_at);
    END IF;
    kind := p_post->>'kind';
    CASE jsonb_typeof(p_post->'amount')
        WHEN 'number' THEN
            amount := (p_post->>'amount')::numeric;
        WHEN 'string' THEN
            -- Plain and scientific notation; NaN and Infinity are no amounts.
            IF p_post->>'amount' !~ '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?\s*$' THEN
                RAISE EXCEPTION USING ERRCODE = 'PKA02',
                    MESSAGE = format('post %s: amount %s is not a number', p_at, left(p_post->>'amount', 100));
            END IF;
            amount := (p_post->>'amount')::numeric;
        ELSE
            RAISE EXCEPTION USING ERRCODE = 'PKA02',
                MESSAGE = format('post %s: amount must be a JSON number or a string holding one', p_at);
    END CASE;
    IF jsonb_typeof(p_post->'idempotency_key') NOT IN ('string', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: idempotency_key must be a string', p_at);
    END IF;
    idempotency_key := p_post->>'idempotency_key';
    IF jsonb_typeof(p_post->'occurred_at') NOT IN ('string', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: occurred_at must be an ISO 8601 string', p_at);
    END IF;
    IF p_post->>'occurred_at' IS NOT NULL THEN
        BEGIN  -- a block of its own, entered only by a post that gives a time
            occurred_at := (p_post->>'occurred_at')::timestamptz;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_time_zone_displacement_value THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('post %s: occurred_at %s is not a time', p_at, left(p_post->>'occurred_at', 100));
        END;
    END IF;
    IF jsonb_typeof(p_post->'metadata') NOT IN ('object', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: metadata must be a JSON object', p_at);
    END IF;
    metadata := coalesce(nullif(p_post->'metadata', 'null'), '{}');
END;
$$;

-- post_transactions: posts a batch of ledger rows in one call, all of them or
-- none, and returns their ids in the order given. p_posts is a JSON array of
-- 1 to 10,000 objects, each with post_transaction's arguments by name
-- (checked_batch_post reads them):
--   [{"pool_id": 7, "investor_id": 42, "kind": "contribution", "amount": "2500.00",
--     "idempotency_key": "wire-2026-118"}, ...]
-- Each post goes through post_transaction, with its rules, alerts, feed rows
-- and SQLSTATEs; a post whose key was used before replays it and gives its
-- original id. The posts run in (investor_id, pool_id) order, the order in
-- which a post takes its locks (investor totals, then the position), so that
-- two batches, or a batch and single posts, never deadlock on positions.
-- Any refusal refuses the whole batch with the SQLSTATE of the post that
-- failed, its message prefixed with the post's place in p_posts ("post 3:
-- ..."). PKA01 for a batch that is not a JSON array or holds no post or more
-- than 10,000. One statement and one commit for many posts is the fast way
-- to load: see BENCHMARKS.md. 42501 unless the caller may post to every pool
-- named (post_transaction checks each).
CREATE FUNCTION poolkeeper.post_transactions(p_posts jsonb)
RETURNS bigint[]
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count int;
    v_ids   bigint[];
    v_post  record;
    v_at    bigint;
    v_state text;
    v_message text;
    v_detail text;
    v_hint  text;
BEGIN
    IF jsonb_typeof(p_posts) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('the posts must be a JSON array, not %s', coalesce(jsonb_typeof(p_posts), 'SQL NULL'));
    END IF;
    v_count := jsonb_array_length(p_posts);
    IF v_count NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('a batch holds 1 to 10000 posts, not %s', v_count);
    END IF;
    -- Zeros, each replaced below: an array made of NULLs keeps its null
    -- bitmap, and binary clients (PostgresNIO) refuse an array flagged so.
    v_ids := array_fill(0::bigint, ARRAY[v_count]);
    BEGIN
        -- The sort reads, and so checks, every post before the first is made.
        FOR v_post IN
            SELECT e.n, b.*
              FROM jsonb_array_elements(p_posts) WITH ORDINALITY e(post, n)
             CROSS JOIN LATERAL poolkeeper.checked_batch_post(e.post, e.n) b
             ORDER BY b.investor_id, b.pool_id, e.n
        LOOP
            v_at := v_post.n;
            v_ids[v_post.n] := poolkeeper.post_transaction(v_post.pool_id, v_post.investor_id, v_post.kind, v_post.amount,
                                                           v_post.idempotency_key, v_post.occurred_at, v_post.metadata);
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        IF v_at IS NULL THEN  -- checked_batch_post's refusals name their post already
            RAISE;
        END IF;
        v_message := format('post %s: %s', v_at, v_message);
        -- An empty DETAIL or HINT would still print its line.
        IF v_detail <> '' AND v_hint <> '' THEN
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, DETAIL = v_detail, HINT = v_hint;
        ELSIF v_detail <> '' THEN
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, DETAIL = v_detail;
        ELSIF v_hint <> '' THEN
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, HINT = v_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message;
    END;
    RETURN v_ids;
END;
$$;

-- As grants.sql has it: EXECUTE for nobody but the pool's managers and admins.
REVOKE ALL ON FUNCTION poolkeeper.checked_batch_post(jsonb, bigint), poolkeeper.post_transactions(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION poolkeeper.post_transactions(jsonb) TO poolkeeper_admin, poolkeeper_manager;
