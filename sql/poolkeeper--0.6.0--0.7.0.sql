-- poolkeeper 0.6.0 -> 0.7.0: batch posting. post_transactions(jsonb) posts
-- up to 1,000 ledger rows in one call, all or none, taking its locks in the
-- order single posts take them, and returns their ids in the order given;
-- checked_batch_post reads one post of a batch into a batch_post. A type and
-- two functions: no table is touched, nothing is locked beyond the catalog. Assembled from the 0.7.0
-- sources; never edit it once 0.7.0 is released. sql/test/upgrade.sh checks
-- that it gives what a fresh 0.7.0 gives.
\echo Use "ALTER EXTENSION poolkeeper UPDATE TO '0.7.0'" to load this file. \quit

-- batch_post: one post of a post_transactions batch, read and checked
-- (checked_batch_post): post_transaction's arguments and the post's place
-- in the batch (1-based).
CREATE TYPE poolkeeper.batch_post AS (
    place bigint, pool_id bigint, investor_id bigint, kind text, amount numeric,
    idempotency_key text, occurred_at timestamptz, metadata jsonb);

-- checked_batch_post: the p_at-th post of a post_transactions batch, p_post,
-- read by name: pool_id and investor_id (JSON integers), kind (a string),
-- amount (a JSON number, or a string holding one: both keep every digit),
-- and the optional idempotency_key (a string, as checked_key takes it),
-- occurred_at (ISO 8601 with its offset, e.g. 2026-03-01T09:30:00Z or
-- 2026-03-01 09:30:00.5+01:00, so that it means the same in every session;
-- absent or null is now()) and metadata (an object; absent or null is {}).
-- Every refusal begins "post <p_at>: ": PKA01 for a post that is not an
-- object, a field it does not know (a misspelt one would otherwise be
-- dropped), a missing field or one of the wrong JSON type or form; PKA02 for
-- an amount that is not a number. What the values mean (a known pool, a
-- positive amount, ...) is left to post_transaction, which checks it for
-- every writer.
CREATE FUNCTION poolkeeper.checked_batch_post(p_post jsonb, p_at bigint)
RETURNS poolkeeper.batch_post
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_field  text;
    v_number numeric;
    v_post   poolkeeper.batch_post;
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
        v_number := CASE WHEN jsonb_typeof(p_post->v_field) = 'number' THEN (p_post->v_field)::numeric END;
        IF v_number IS NULL OR v_number <> trunc(v_number) OR abs(v_number) > 9223372036854775807 THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('post %s: %s must be a JSON integer', p_at, v_field);
        END IF;
    END LOOP;
    v_post.place := p_at;
    v_post.pool_id := (p_post->'pool_id')::numeric::bigint;  -- 7.0 is an integer too
    v_post.investor_id := (p_post->'investor_id')::numeric::bigint;
    IF jsonb_typeof(p_post->'kind') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: kind must be a string', p_at);
    END IF;
    v_post.kind := p_post->>'kind';
    CASE jsonb_typeof(p_post->'amount')
        WHEN 'number' THEN
            v_post.amount := (p_post->'amount')::numeric;
        WHEN 'string' THEN
            -- Plain and scientific notation, up to 100 characters (amounts
            -- are below 10^18); NaN and Infinity are no amounts.
            IF length(p_post->>'amount') > 100
               OR p_post->>'amount' !~ '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,2})?\s*$' THEN
                RAISE EXCEPTION USING ERRCODE = 'PKA02',
                    MESSAGE = format('post %s: amount %s is not a number', p_at, left(p_post->>'amount', 100));
            END IF;
            v_post.amount := (p_post->>'amount')::numeric;
        ELSE
            RAISE EXCEPTION USING ERRCODE = 'PKA02',
                MESSAGE = format('post %s: amount must be a JSON number or a string holding one', p_at);
    END CASE;
    IF jsonb_typeof(p_post->'idempotency_key') NOT IN ('string', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: idempotency_key must be a string', p_at);
    END IF;
    v_post.idempotency_key := p_post->>'idempotency_key';
    IF v_post.idempotency_key IS NOT NULL THEN
        PERFORM poolkeeper.checked_key(v_post.idempotency_key, format('post %s: idempotency_key', p_at));
    END IF;
    IF jsonb_typeof(p_post->'occurred_at') NOT IN ('string', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: occurred_at must be an ISO 8601 string', p_at);
    END IF;
    IF p_post->>'occurred_at' IS NOT NULL THEN
        -- With its offset, and no words (now, today): the same instant in
        -- every session, whatever its TimeZone and DateStyle, so that a
        -- replay matches.
        IF p_post->>'occurred_at' !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('post %s: occurred_at %s is not an ISO 8601 time with its offset (2026-03-01T09:30:00Z)',
                                 p_at, left(p_post->>'occurred_at', 100));
        END IF;
        BEGIN  -- a block of its own, entered only by a post that gives a time
            v_post.occurred_at := (p_post->>'occurred_at')::timestamptz;
        EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format OR invalid_time_zone_displacement_value THEN
            RAISE EXCEPTION USING ERRCODE = 'PKA01',
                MESSAGE = format('post %s: occurred_at %s is not a time', p_at, p_post->>'occurred_at');
        END;
    END IF;
    IF jsonb_typeof(p_post->'metadata') NOT IN ('object', 'null') THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = format('post %s: metadata must be a JSON object', p_at);
    END IF;
    v_post.metadata := coalesce(nullif(p_post->'metadata', 'null'), '{}');
    RETURN v_post;
END;
$$;

-- post_transactions: posts a batch of ledger rows in one call, all of them or
-- none, and returns their ids in the order given. p_posts is a JSON array of
-- 1 to 1,000 objects, each with post_transaction's arguments by name
-- (checked_batch_post reads them):
--   [{"pool_id": 7, "investor_id": 42, "kind": "contribution", "amount": "2500.00",
--     "idempotency_key": "wire-2026-118", "occurred_at": "2026-03-01T09:30:00Z"}, ...]
-- Every post is read and checked before anything is written, then the
-- caller's right to every pool named is checked (42501 for the first, in
-- pool order, that the caller may not post to). Each post then goes through
-- post_transaction, with its rules, alerts, feed rows and SQLSTATEs; a post
-- whose key was used before replays it and gives its original id.
-- Locks are taken in one global order, the one a single post follows: first
-- the advisory locks of every key in the batch (in hashtext order), then, post
-- by post in (investor_id, pool_id) order, the investor's totals row and the
-- position. So a batch never deadlocks with another batch or with single
-- posts, keyed or not (a transaction that mixes several statements can
-- still take them in another order). Each key's lock is held until commit:
-- a batch of 1,000 keyed posts holds 1,000 entries of the lock table
-- (max_locks_per_transaction x max_connections in all).
-- Any refusal refuses the whole batch with the SQLSTATE of the post that
-- failed, its message beginning with the post's place in p_posts ("post 3:
-- ..."). PKA01 for a batch that is not a JSON array or holds no post or more
-- than 1,000. One statement and one commit for many posts is the fast way to
-- load: see BENCHMARKS.md.
CREATE FUNCTION poolkeeper.post_transactions(p_posts jsonb)
RETURNS bigint[]
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count int;
    v_posts poolkeeper.batch_post[];
    v_post  poolkeeper.batch_post;
    v_pool  bigint;
    v_ids   bigint[];
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
    IF v_count NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('a batch holds 1 to 1000 posts, not %s', v_count);
    END IF;
    -- Every post read and checked (its refusals name it), in lock order.
    SELECT array_agg(b ORDER BY b.investor_id, b.pool_id, b.place) INTO v_posts
      FROM jsonb_array_elements(p_posts) WITH ORDINALITY e(post, n)
     CROSS JOIN LATERAL poolkeeper.checked_batch_post(e.post, e.n) b;
    IF NOT poolkeeper.caller_is('poolkeeper_admin') THEN  -- as post_transaction checks, before any lock
        FOR v_pool IN SELECT DISTINCT p.pool_id FROM unnest(v_posts) p ORDER BY 1 LOOP
            PERFORM poolkeeper.authorize_pool(v_pool, 'post to');
        END LOOP;
    END IF;
    PERFORM poolkeeper.lock_idempotency_key(k.key)
       FROM (SELECT DISTINCT p.idempotency_key AS key FROM unnest(v_posts) p WHERE p.idempotency_key IS NOT NULL) k
      ORDER BY hashtext(k.key), k.key;
    -- Zeros, each replaced below: an array made of NULLs keeps its null
    -- bitmap, and binary clients (PostgresNIO) refuse an array flagged so.
    v_ids := array_fill(0::bigint, ARRAY[v_count]);
    BEGIN
        FOREACH v_post IN ARRAY v_posts LOOP
            v_at := v_post.place;
            v_ids[v_post.place] := poolkeeper.post_transaction(v_post.pool_id, v_post.investor_id, v_post.kind, v_post.amount,
                                                               v_post.idempotency_key, v_post.occurred_at, v_post.metadata);
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
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
