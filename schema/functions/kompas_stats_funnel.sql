-- Signatures this function had before (CREATE OR REPLACE cannot change
-- a return type): dropped when an older database still has them.
DROP FUNCTION IF EXISTS kompas_stats_funnel(date, date, uuid, text, boolean);

-- The funnel of the requests received in the window, by source (or by
-- heard_from: p_breakdown 'heard_from', 'not_given' where it was not
-- asked), per period (p_unit) and per centre (p_by_centre): one row per
-- cell; source NULL is the total of the period and centre. Read from the
-- monthly cells of request_funnel_month (0033; windows are whole
-- Copenhagen months), the days to first contact from the cells' days, so
-- the answer is what the same query over every request gave
-- (tests/api/stats_funnel.test.mjs).
CREATE OR REPLACE FUNCTION kompas_stats_funnel(p_from date, p_to date, p_centre uuid, p_unit text,
                                    p_by_centre boolean, p_breakdown text DEFAULT 'source')
RETURNS TABLE (period text, centre_id uuid, centre_slug text, source text, measure text,
               value numeric, suppressed boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
#variable_conflict use_column
DECLARE
    v_centre uuid := kompas_stats_scope(p_centre);
    v_win record := kompas_stats_window(p_from, p_to, p_unit);
    v_lo timestamptz := v_win.w_from::timestamp AT TIME ZONE 'Europe/Copenhagen';
    v_hi timestamptz := (v_win.w_to + 1)::timestamp AT TIME ZONE 'Europe/Copenhagen';
    v_heard boolean := p_breakdown = 'heard_from';
BEGIN
    IF p_breakdown NOT IN ('source', 'heard_from') THEN
        RAISE EXCEPTION 'unknown funnel breakdown %', p_breakdown USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    WITH cell AS (
        SELECT CASE WHEN p_by_centre THEN f.centre_id END AS cid,
               CASE p_unit
                   WHEN 'month' THEN to_char(f.month, 'YYYY-MM')
                   WHEN 'quarter' THEN to_char(f.month, 'YYYY-"Q"Q')
                   WHEN 'year' THEN to_char(f.month, 'YYYY')
               END AS per,
               CASE WHEN v_heard THEN coalesce(f.heard_from, 'not_given') ELSE f.source END AS src,
               f.received, f.accepted, f.contacted, f.conversation_held, f.course_started,
               f.referred, f.signposted, f.closed, f.days
          FROM request_funnel_month f
         WHERE (v_centre IS NULL OR f.centre_id = v_centre)
           AND (v_win.w_from IS NULL OR f.month >= v_win.w_from)
           AND f.month <= v_win.w_to
           AND f.received > 0
    ), counts AS (
        SELECT c.per, c.cid, c.src, GROUPING(c.src) = 1 AS total,
               sum(c.received) AS received, sum(c.accepted) AS accepted,
               sum(c.contacted) AS contacted, sum(c.conversation_held) AS conversation_held,
               sum(c.course_started) AS course_started, sum(c.referred) AS referred,
               sum(c.signposted) AS signposted, sum(c.closed) AS closed
          FROM cell c
         GROUP BY GROUPING SETS ((c.per, c.cid, c.src), (c.per, c.cid))
    ), pct AS (
        SELECT c.per, c.cid, c.src, GROUPING(c.src) = 1 AS total,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY d.days) AS median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY d.days) AS p90
          FROM cell c
         CROSS JOIN LATERAL unnest(c.days) d (days)
         GROUP BY GROUPING SETS ((c.per, c.cid, c.src), (c.per, c.cid))
    ), agg AS (
        SELECT n.*, p.median, p.p90
          FROM counts n
          -- as below: per is never '' nor src, no centre has the nil uuid.
          LEFT JOIN pct p
            ON coalesce(p.per, '') = coalesce(n.per, '')
           AND coalesce(p.cid, '00000000-0000-0000-0000-000000000000')
               = coalesce(n.cid, '00000000-0000-0000-0000-000000000000')
           AND coalesce(p.src, '') = coalesce(n.src, '')
           AND p.total = n.total
    ), cells AS (
        SELECT a.per, a.cid, a.src, a.total, m.ord, m.measure, m.v, m.is_count,
               a.contacted AS people
          FROM agg a
         CROSS JOIN LATERAL (VALUES
               (1, 'received', a.received::numeric, true),
               (2, 'accepted', a.accepted::numeric, true),
               (3, 'contacted', a.contacted::numeric, true),
               (4, 'conversation_held', a.conversation_held::numeric, true),
               (5, 'course_started', a.course_started::numeric, true),
               (6, 'referred', a.referred::numeric, true),
               (7, 'signposted', a.signposted::numeric, true),
               (8, 'closed', a.closed::numeric, true),
               (9, 'days_to_first_contact_median', round(a.median::numeric, 1), false),
               (10, 'days_to_first_contact_p90', round(a.p90::numeric, 1), false)) m (ord, measure, v, is_count)
    ), groups AS (
        SELECT c.per, c.cid, c.measure, array_agg(c.src ORDER BY c.src) AS srcs,
               kompas_stats_disclose(array_agg(c.v::bigint ORDER BY c.src)) AS reasons
          FROM cells c
         WHERE c.is_count AND NOT c.total
         GROUP BY c.per, c.cid, c.measure
    ), decided AS (
        SELECT c.*,
               CASE
                   WHEN NOT c.is_count THEN
                       CASE WHEN c.people < 5 THEN 'fewer_than_5_people' END
                   WHEN c.total THEN
                       CASE WHEN c.v < 5 THEN 'count_under_5'
                            ELSE g.reasons[cardinality(g.srcs) + 1] END
                   ELSE g.reasons[array_position(g.srcs, c.src)]
               END AS why
          FROM cells c
          -- per is never '' and no centre has the nil uuid, so these keys
          -- match exactly where IS NOT DISTINCT FROM would, and hash.
          LEFT JOIN groups g
            ON coalesce(g.per, '') = coalesce(c.per, '')
           AND coalesce(g.cid, '00000000-0000-0000-0000-000000000000')
               = coalesce(c.cid, '00000000-0000-0000-0000-000000000000')
           AND g.measure = c.measure
    )
    SELECT d.per, d.cid, ce.slug, d.src, d.measure,
           CASE WHEN d.why IS NULL THEN
               CASE WHEN d.is_count THEN kompas_stats_round(d.v) ELSE d.v END
           END,
           d.why IS NOT NULL, d.why
      FROM decided d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.total DESC, d.src, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean, text) IS 'The request funnel and days to first contact, by source or heard_from, period and centre, over whole closed periods, with disclosure control and counts rounded down to a multiple of 5';
REVOKE ALL ON FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean, text) TO kompas_app;
