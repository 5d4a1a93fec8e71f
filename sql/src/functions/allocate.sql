-- allocate: splits p_total, an amount with p_minor_units decimals (0 to 4),
-- into parts pro rata to p_weights (one per key in p_keys, at least 0),
-- exactly, in minor units, by the largest-remainder method: each key gets
-- the whole minor units of its exact share (total × weight / sum of
-- weights, rounded down), and the units left over go one each to the keys
-- with the largest remainders. Ties go to the larger weight, then to the
-- smaller key. So the parts sum to p_total exactly, no part is negative,
-- each is within one minor unit of its exact share, and a key of weight 0
-- gets 0. Computed on integers: no rounding anywhere. Returns (key, part)
-- in the order of p_keys. PKA02 for a bad total, PKA01 for bad arrays,
-- PKS12 when the weights sum to zero.
CREATE FUNCTION poolkeeper.allocate(p_total numeric, p_minor_units integer, p_keys bigint[], p_weights numeric[])
RETURNS TABLE (key bigint, part numeric)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_total numeric;
BEGIN
    IF p_minor_units IS NULL OR p_minor_units NOT BETWEEN 0 AND 4 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = format('minor units %s are not from 0 to 4', coalesce(p_minor_units::text, 'NULL'));
    END IF;
    v_total := poolkeeper.checked_amount(p_total, p_minor_units::smallint, 'total');
    IF p_keys IS NULL OR p_weights IS NULL OR cardinality(p_keys) = 0
       OR cardinality(p_keys) <> cardinality(p_weights) OR array_ndims(p_keys) <> 1 OR array_ndims(p_weights) <> 1 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01',
            MESSAGE = 'keys and weights must be non-empty one-dimensional arrays of the same length';
    END IF;
    IF array_position(p_keys, NULL) IS NOT NULL
       OR (SELECT count(DISTINCT k) FROM unnest(p_keys) k) <> cardinality(p_keys) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'keys must be distinct and not NULL';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_weights) w
                WHERE w IS NULL OR w IN ('NaN', 'Infinity', '-Infinity') OR w < 0 OR w >= 1e18) THEN
        RAISE EXCEPTION USING ERRCODE = 'PKA01', MESSAGE = 'weights must be numbers from 0 to below 10^18';
    END IF;
    IF (SELECT sum(w) FROM unnest(p_weights) w) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PKS12', MESSAGE = 'the weights sum to zero: there is nothing to allocate pro rata to';
    END IF;

    -- Weights scaled to integers; the total in minor units. For each key,
    -- units × weight = base × sum + remainder, all integers.
    RETURN QUERY
    WITH w AS (
        SELECT u.k, u.w, u.ord FROM unnest(p_keys, p_weights) WITH ORDINALITY AS u(k, w, ord)
    ), f AS (
        SELECT ('1' || repeat('0', max(scale(w.w))))::numeric AS weight_scale,
               ('1' || repeat('0', p_minor_units))::numeric AS unit
          FROM w
    ), s AS (
        SELECT sum(w.w * f.weight_scale) AS weight_sum, v_total * f.unit AS units, f.weight_scale, f.unit
          FROM w, f GROUP BY f.weight_scale, f.unit
    ), q AS (
        SELECT w.k, w.w, w.ord, s.unit, s.units,
               div(s.units * w.w * s.weight_scale, s.weight_sum) AS base,
               mod(s.units * w.w * s.weight_scale, s.weight_sum) AS remainder
          FROM w, s
    ), r AS (
        SELECT q.*, row_number() OVER (ORDER BY q.remainder DESC, q.w DESC, q.k) AS rank,
               q.units - sum(q.base) OVER () AS leftover
          FROM q
    )
    SELECT r.k, round((r.base + CASE WHEN r.rank <= r.leftover THEN 1 ELSE 0 END) / r.unit, p_minor_units)
      FROM r
     ORDER BY r.ord;
END;
$$;
