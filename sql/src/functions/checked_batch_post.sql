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
