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
