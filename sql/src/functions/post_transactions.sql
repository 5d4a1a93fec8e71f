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
