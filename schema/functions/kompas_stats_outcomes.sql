-- WHO-5 (0-100) and UCLA-3 (3-12) of the requests received in the window
-- (kompas_stats_window): n and mean at each timepoint, paired change from
-- baseline to course end and to follow-up (same request), and for WHO-5
-- the share whose score rose by 10 points or more.
CREATE OR REPLACE FUNCTION kompas_stats_outcomes(p_from date, p_to date, p_centre uuid, p_unit text,
                                                 p_by_centre boolean)
RETURNS TABLE (period text, centre_id uuid, centre_slug text, instrument text, measure text,
               value numeric, suppressed boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
#variable_conflict use_column
DECLARE
    v_centre uuid := kompas_stats_scope(p_centre);
    v_win record := kompas_stats_window(p_from, p_to, p_unit);
    v_lo timestamptz := v_win.w_from::timestamp AT TIME ZONE 'Europe/Copenhagen';
    v_hi timestamptz := (v_win.w_to + 1)::timestamp AT TIME ZONE 'Europe/Copenhagen';
BEGIN
    RETURN QUERY
    WITH per_request AS (
        SELECT CASE WHEN p_by_centre THEN r.centre_id END AS cid,
               kompas_stats_period(r.created_at, p_unit) AS per,
               m.instrument AS ins,
               max(m.score) FILTER (WHERE m.timepoint = 'baseline') AS b,
               max(m.score) FILTER (WHERE m.timepoint = 'course_end') AS ce,
               max(m.score) FILTER (WHERE m.timepoint = 'follow_up') AS fu
          FROM request r
          JOIN measurement m ON m.request_id = r.id
         WHERE (v_centre IS NULL OR r.centre_id = v_centre)
           AND (v_lo IS NULL OR r.created_at >= v_lo)
           AND r.created_at < v_hi
         GROUP BY 1, 2, 3, r.id
    ), agg AS (
        SELECT p.per, p.cid, p.ins,
               count(p.b) AS n_b, avg(p.b) AS mean_b,
               count(p.ce) AS n_ce, avg(p.ce) AS mean_ce,
               count(p.fu) AS n_fu, avg(p.fu) AS mean_fu,
               count(p.ce - p.b) AS n_pce, avg(p.ce - p.b) AS ch_ce,
               count(*) FILTER (WHERE p.ce - p.b >= 10) AS up_ce,
               count(p.fu - p.b) AS n_pfu, avg(p.fu - p.b) AS ch_fu,
               count(*) FILTER (WHERE p.fu - p.b >= 10) AS up_fu
          FROM per_request p
         GROUP BY p.per, p.cid, p.ins
    ), cells AS (
        SELECT a.per, a.cid, a.ins, m.ord, m.measure, m.v, m.people, m.kind
          FROM agg a
         CROSS JOIN LATERAL (VALUES
               (1, 'n_baseline', a.n_b::numeric, a.n_b, 'count'),
               (2, 'mean_baseline', round(a.mean_b, 2), a.n_b, 'mean'),
               (3, 'n_course_end', a.n_ce::numeric, a.n_ce, 'count'),
               (4, 'mean_course_end', round(a.mean_ce, 2), a.n_ce, 'mean'),
               (5, 'n_follow_up', a.n_fu::numeric, a.n_fu, 'count'),
               (6, 'mean_follow_up', round(a.mean_fu, 2), a.n_fu, 'mean'),
               (7, 'n_paired_course_end', a.n_pce::numeric, a.n_pce, 'count'),
               (8, 'mean_change_course_end', round(a.ch_ce, 2), a.n_pce, 'mean'),
               (9, 'share_up_10_course_end',
                CASE WHEN a.n_pce > 0 THEN a.up_ce::numeric / a.n_pce END, a.n_pce, 'share'),
               (10, 'n_paired_follow_up', a.n_pfu::numeric, a.n_pfu, 'count'),
               (11, 'mean_change_follow_up', round(a.ch_fu, 2), a.n_pfu, 'mean'),
               (12, 'share_up_10_follow_up',
                CASE WHEN a.n_pfu > 0 THEN a.up_fu::numeric / a.n_pfu END, a.n_pfu, 'share'))
               m (ord, measure, v, people, kind)
         WHERE m.kind <> 'share' OR a.ins = 'who5'
    ), decided AS (
        SELECT c.*,
               CASE
                   WHEN c.kind = 'count' THEN CASE WHEN c.people < 5 THEN 'count_under_5' END
                   WHEN c.people < 5 THEN 'fewer_than_5_people'
                   -- the number of people behind a share is a count too
                   WHEN c.kind = 'share' AND round(c.v * c.people) < 5 THEN 'count_under_5'
                   WHEN c.kind = 'share' AND c.people - round(c.v * c.people) < 5 THEN 'complementary'
               END AS why
          FROM cells c
    )
    SELECT d.per, d.cid, ce.slug, d.ins, d.measure,
           CASE WHEN d.why IS NULL THEN
               CASE d.kind WHEN 'count' THEN kompas_stats_round(d.v)
                           WHEN 'share' THEN round(d.v, 1)
                           ELSE d.v END
           END,
           d.why IS NOT NULL, d.why
      FROM decided d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.ins DESC, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_outcomes(date, date, uuid, text, boolean) IS 'WHO-5 and UCLA-3 means, paired changes and the share with 10 points more on WHO-5, by period and centre, over whole closed periods, with disclosure control and rounded counts';
REVOKE ALL ON FUNCTION kompas_stats_outcomes(date, date, uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_outcomes(date, date, uuid, text, boolean) TO kompas_app;
