-- Signatures this function had before (CREATE OR REPLACE cannot change
-- a return type): dropped when an older database still has them.
DROP FUNCTION IF EXISTS kompas_stats_funnel(date, date, uuid, text, boolean);

-- The funnel of the requests received in the window, by source (or by
-- heard_from: p_breakdown 'heard_from', 'not_given' where it was not
-- asked), per period (p_unit) and per centre (p_by_centre): one row per
-- cell; source NULL is the total of the period and centre. Read from the
-- monthly cells of request_funnel_cell (0034; windows are whole
-- Copenhagen months; all centres together from the national cells), the
-- days to first contact from the cells' days, so
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
    -- the centre of the national cells (0034): no centre has it.
    v_nil constant uuid := '00000000-0000-0000-0000-000000000000';
    -- the cells read, as a range of the key: one centre's; all centres
    -- together, the national cells; by centre, every centre's.
    v_first uuid := CASE WHEN v_centre IS NOT NULL THEN v_centre
                         WHEN p_by_centre THEN '00000000-0000-0000-0000-000000000001'
                         ELSE v_nil END;
    v_last uuid := CASE WHEN v_centre IS NOT NULL THEN v_centre
                        WHEN p_by_centre THEN 'ffffffff-ffff-ffff-ffff-ffffffffffff'
                        ELSE v_nil END;
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
               f.value AS src, f.month,
               f.received, f.accepted, f.contacted, f.conversation_held, f.course_started,
               f.referred, f.signposted, f.closed, f.days
          FROM request_funnel_cell f
         WHERE f.breakdown = p_breakdown
           AND f.centre_id BETWEEN v_first AND v_last
           AND (v_win.w_from IS NULL OR f.month >= v_win.w_from)
           AND f.month <= v_win.w_to
           AND f.received > 0
    ), counts AS (
        SELECT c.per, c.cid, c.src, GROUPING(c.src) = 1 AS total,
               sum(c.received) AS received, sum(c.accepted) AS accepted,
               sum(c.contacted) AS contacted, sum(c.conversation_held) AS conversation_held,
               sum(c.course_started) AS course_started, sum(c.referred) AS referred,
               sum(c.signposted) AS signposted, sum(c.closed) AS closed,
               min(c.month) AS m_lo, max(c.month) AS m_hi,
               kompas_days_cat(CASE WHEN p_by_centre THEN c.days END) AS days
          FROM cell c
         GROUP BY GROUPING SETS ((c.per, c.cid, c.src), (c.per, c.cid))
    ), agg AS (
        -- The days to first contact of each group, sorted once per group
        -- (no sort of every day by the groups' keys). By centre, the
        -- groups are many and small: their days were gathered with the
        -- counts. Otherwise they are few and large: each reads its cells
        -- again through one range of the key (breakdown, centre, value,
        -- month; a period's months are contiguous). unnest in a select list
        -- streams the days; a lateral function scan would first copy them.
        SELECT n.per, n.cid, n.src, n.total, n.received, n.accepted, n.contacted,
               n.conversation_held, n.course_started, n.referred, n.signposted, n.closed,
               p.pc[1] AS median, p.pc[2] AS p90
          FROM counts n
         CROSS JOIN LATERAL (
               SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY d.days) AS pc
                 FROM (SELECT unnest(n.days) AS days WHERE p_by_centre
                       UNION ALL
                       SELECT unnest(f.days)
                         FROM request_funnel_cell f
                        WHERE NOT p_by_centre AND f.breakdown = p_breakdown
                          AND f.centre_id = coalesce(n.cid, v_centre, v_nil)
                          AND (n.total OR f.value = n.src)
                          AND f.month BETWEEN n.m_lo AND n.m_hi
                          AND f.received > 0) d) p
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
