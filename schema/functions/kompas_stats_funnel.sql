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
        -- The days to first contact of each group. By centre, the groups
        -- are many and small: their days were gathered with the counts and
        -- are sorted once per group (no sort of every day by the groups'
        -- keys). Otherwise they are few and large: kompas_funnel_percentiles
        -- reads each group's sorted cells again through one range of the
        -- key (breakdown, centre, value, month; a period's months are
        -- contiguous) and sorts only the days near the wanted ranks.
        SELECT n.per, n.cid, n.src, n.total, n.received, n.accepted, n.contacted,
               n.conversation_held, n.course_started, n.referred, n.signposted, n.closed,
               p.pc[1] AS median, p.pc[2] AS p90
          FROM counts n
         CROSS JOIN LATERAL (
               SELECT CASE WHEN p_by_centre THEN
                          (SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY d.days)
                             FROM (SELECT unnest(n.days) AS days) d)
                      ELSE kompas_funnel_percentiles(p_breakdown, coalesce(n.cid, v_centre, v_nil),
                                                     CASE WHEN NOT n.total THEN n.src END,
                                                     n.m_lo, n.m_hi)
                      END AS pc
               -- not flattened into the select list, where pc[1] and
               -- pc[2] would each compute it again
               OFFSET 0) p
    ), disc AS (
        -- Disclosure control of each period and centre: per count, the
        -- sources' counts in source order (kompas_stats_disclose).
        SELECT a.per, a.cid, array_agg(a.src ORDER BY a.src) AS srcs,
               kompas_stats_disclose(array_agg(a.received::bigint ORDER BY a.src)) AS r1,
               kompas_stats_disclose(array_agg(a.accepted::bigint ORDER BY a.src)) AS r2,
               kompas_stats_disclose(array_agg(a.contacted::bigint ORDER BY a.src)) AS r3,
               kompas_stats_disclose(array_agg(a.conversation_held::bigint ORDER BY a.src)) AS r4,
               kompas_stats_disclose(array_agg(a.course_started::bigint ORDER BY a.src)) AS r5,
               kompas_stats_disclose(array_agg(a.referred::bigint ORDER BY a.src)) AS r6,
               kompas_stats_disclose(array_agg(a.signposted::bigint ORDER BY a.src)) AS r7,
               kompas_stats_disclose(array_agg(a.closed::bigint ORDER BY a.src)) AS r8
          FROM agg a
         WHERE NOT a.total
         GROUP BY a.per, a.cid
    ), lines AS (
        -- One line per period, centre and source (the total first), in the
        -- answer's order; its measures follow in their own order below.
        SELECT a.*, ce.slug, d.srcs, d.r1, d.r2, d.r3, d.r4, d.r5, d.r6, d.r7, d.r8,
               row_number() OVER (ORDER BY a.per NULLS FIRST, ce.slug NULLS FIRST, a.total DESC,
                                  a.src) AS line
          FROM agg a
          LEFT JOIN centre ce ON ce.id = a.cid
          -- per is never '' and no centre has the nil uuid, so these keys
          -- match exactly where IS NOT DISTINCT FROM would, and hash.
          LEFT JOIN disc d
            ON coalesce(d.per, '') = coalesce(a.per, '')
           AND coalesce(d.cid, '00000000-0000-0000-0000-000000000000')
               = coalesce(a.cid, '00000000-0000-0000-0000-000000000000')
    ), decided AS (
        SELECT l.line, l.per, l.cid, l.slug, l.src, m.ord, m.measure, m.v, m.is_count,
               CASE
                   WHEN NOT m.is_count THEN
                       CASE WHEN l.contacted < 5 THEN 'fewer_than_5_people' END
                   WHEN l.total THEN
                       CASE WHEN m.v < 5 THEN 'count_under_5'
                            ELSE m.r[cardinality(l.srcs) + 1] END
                   ELSE m.r[array_position(l.srcs, l.src)]
               END AS why
          FROM lines l
         CROSS JOIN LATERAL (VALUES
               (1, 'received', l.received::numeric, true, l.r1),
               (2, 'accepted', l.accepted::numeric, true, l.r2),
               (3, 'contacted', l.contacted::numeric, true, l.r3),
               (4, 'conversation_held', l.conversation_held::numeric, true, l.r4),
               (5, 'course_started', l.course_started::numeric, true, l.r5),
               (6, 'referred', l.referred::numeric, true, l.r6),
               (7, 'signposted', l.signposted::numeric, true, l.r7),
               (8, 'closed', l.closed::numeric, true, l.r8),
               (9, 'days_to_first_contact_median', round(l.median::numeric, 1), false, NULL::text[]),
               (10, 'days_to_first_contact_p90', round(l.p90::numeric, 1), false, NULL::text[]))
               m (ord, measure, v, is_count, r)
    )
    SELECT d.per, d.cid, d.slug, d.src, d.measure,
           CASE WHEN d.why IS NULL THEN
               CASE WHEN d.is_count THEN kompas_stats_round(d.v) ELSE d.v END
           END,
           d.why IS NOT NULL, d.why
      FROM decided d
     ORDER BY d.line, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean, text) IS 'The request funnel and days to first contact, by source or heard_from, period and centre, over whole closed periods, with disclosure control and counts rounded down to a multiple of 5';
REVOKE ALL ON FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean, text) TO kompas_app;
