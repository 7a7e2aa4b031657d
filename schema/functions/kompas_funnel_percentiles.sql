-- The median and 90th percentile of the days to first contact of the cells
-- of request_funnel_cell with breakdown p_breakdown, centre p_centre (the
-- nil uuid: all centres), value p_value (NULL: every value) and months
-- p_lo .. p_hi: exactly what percentile_cont(ARRAY[0.5, 0.9]) over their
-- days answers, without sorting every day. The cells' days are sorted
-- (kompas_request_funnel_cell), so width_bucket(x, days) is how many of a
-- cell's days are at most x. The range of the days is cut into 64 buckets;
-- the counts at their edges tell which bucket holds each wanted rank, and
-- only that bucket's days (a slice of each cell's array) are sorted. The
-- interpolation is percentile_cont's own (lo + (proportion * (hi - lo))).
-- For the funnel's few large groups (all centres, or one, not by centre);
-- NULLs when the cells have no days.
CREATE OR REPLACE FUNCTION kompas_funnel_percentiles(p_breakdown text, p_centre uuid, p_value text,
                                                     p_lo date, p_hi date)
RETURNS double precision[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
WITH c AS MATERIALIZED (
    -- || makes each array a value of its own in memory, read by every
    -- width_bucket below without being fetched again
    SELECT f.days || '{}'::double precision[] AS d
      FROM request_funnel_cell f
     WHERE f.breakdown = p_breakdown AND f.centre_id = p_centre
       AND (p_value IS NULL OR f.value = p_value)
       AND f.month BETWEEN p_lo AND p_hi AND f.received > 0
       AND cardinality(f.days) > 0
), s AS (
    SELECT sum(cardinality(c.d)) AS n, min(c.d[1]) AS lo, max(c.d[cardinality(c.d)]) AS hi FROM c
), e AS (
    -- edge 0 is -infinity (nothing below it), edge 64 the largest day
    SELECT k.k, CASE WHEN k.k = 0 THEN '-infinity'::double precision
                     WHEN k.k = 64 THEN s.hi
                     ELSE s.lo + (s.hi - s.lo) * k.k / 64 END AS edge
      FROM s, generate_series(0, 64) k (k)
     WHERE s.n > 0
), le AS (
    SELECT e.k, e.edge, sum(width_bucket(e.edge, c.d))::bigint AS n FROM e, c GROUP BY e.k, e.edge
), q AS (
    -- percentile_cont's rows: floor and ceil of p * (n - 1), counted from 1
    SELECT q.p, q.pos, floor(q.pos)::bigint + 1 AS r1, ceil(q.pos)::bigint + 1 AS r2
      FROM (SELECT p.p, p.p * (s.n - 1)::double precision AS pos
              FROM s, (VALUES (1, 0.5::double precision), (2, 0.9::double precision)) p (i, p)
             WHERE s.n > 0) q
), v AS (
    -- the day of rank r: the r - (days below its bucket)th of its bucket
    SELECT r.r, (SELECT x.x
                   FROM (SELECT unnest(c.d[width_bucket(b0.edge, c.d) + 1 : width_bucket(b.edge, c.d)]) AS x
                           FROM c) x
                  ORDER BY x.x OFFSET r.r - b0.n - 1 LIMIT 1) AS day
      FROM (SELECT q.r1 AS r FROM q UNION SELECT q.r2 FROM q) r
     CROSS JOIN LATERAL (SELECT le.k, le.edge FROM le WHERE le.n >= r.r ORDER BY le.k LIMIT 1) b
     CROSS JOIN LATERAL (SELECT le.edge, le.n FROM le WHERE le.k = b.k - 1) b0
)
SELECT ARRAY(
    SELECT CASE WHEN q.r1 = q.r2 THEN v1.day
                ELSE v1.day + ((q.pos - (q.r1 - 1)::double precision) * (v2.day - v1.day)) END
      FROM (SELECT 1 AS i UNION ALL SELECT 2) o
      LEFT JOIN q ON q.p = CASE o.i WHEN 1 THEN 0.5 ELSE 0.9 END
      LEFT JOIN v v1 ON v1.r = q.r1
      LEFT JOIN v v2 ON v2.r = q.r2
     ORDER BY o.i)
$$;
COMMENT ON FUNCTION kompas_funnel_percentiles(text, uuid, text, date, date) IS 'The median and 90th percentile of the days to first contact of a group of funnel cells (as percentile_cont answers them), from their sorted days without sorting them all';
REVOKE ALL ON FUNCTION kompas_funnel_percentiles(text, uuid, text, date, date) FROM PUBLIC;
