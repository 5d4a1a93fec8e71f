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
