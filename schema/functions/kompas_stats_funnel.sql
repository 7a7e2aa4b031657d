-- Signatures this function had before (CREATE OR REPLACE cannot change
-- a return type): dropped when an older database still has them.
DROP FUNCTION IF EXISTS kompas_stats_funnel(date, date, uuid, text, boolean);

-- The funnel of the requests received in the window, by source (or by
-- heard_from: p_breakdown 'heard_from', 'not_given' where it was not
-- asked), per period (p_unit) and per centre (p_by_centre): one row per
-- cell; source NULL is the total of the period and centre.
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
    WITH base AS (
        SELECT CASE WHEN p_by_centre THEN r.centre_id END AS cid,
               kompas_stats_period(r.created_at, p_unit) AS per,
               CASE WHEN v_heard THEN coalesce(r.heard_from, 'not_given') ELSE r.source END AS src,
               'accepted' = ANY (r.reached_states) AS accepted,
               r.first_contact_at IS NOT NULL AS contacted,
               'conversation_held' = ANY (r.reached_states) AS conversation,
               'course_started' = ANY (r.reached_states) AS course,
               'referred' = ANY (r.reached_states) AS referred,
               'signposted' = ANY (r.reached_states) AS signposted,
               r.closed_at IS NOT NULL AS closed,
               extract(epoch FROM r.first_contact_at - r.created_at) / 86400.0 AS days
          FROM request r
         WHERE (v_centre IS NULL OR r.centre_id = v_centre)
           AND (v_lo IS NULL OR r.created_at >= v_lo)
           AND r.created_at < v_hi
    ), agg AS (
        SELECT b.per, b.cid, b.src, GROUPING(b.src) = 1 AS total,
               count(*) AS received,
               count(*) FILTER (WHERE b.accepted) AS accepted,
               count(*) FILTER (WHERE b.contacted) AS contacted,
               count(*) FILTER (WHERE b.conversation) AS conversation_held,
               count(*) FILTER (WHERE b.course) AS course_started,
               count(*) FILTER (WHERE b.referred) AS referred,
               count(*) FILTER (WHERE b.signposted) AS signposted,
               count(*) FILTER (WHERE b.closed) AS closed,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY b.days) AS median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY b.days) AS p90
          FROM base b
         GROUP BY GROUPING SETS ((b.per, b.cid, b.src), (b.per, b.cid))
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
