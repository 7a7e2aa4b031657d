-- Volunteers: 'volunteers' now (total, and per status as category, one
-- breakdown); 'active' now; 'newly_trained' (the 'intro' module completed in
-- the period); 'hours' (total, and per category 'visits': visit minutes where
-- the guide went, of the course's volunteer; 'conversations': the minutes of
-- the conversations a volunteer held), one decimal; 'expiring_within_30_days'
-- (total, and per category 'record_check', 'training': the latest record
-- check of a kind, or the latest training of a module, that expires from
-- today to 30 days from now). Measures of the present have period NULL
-- whatever p_unit.
--
-- Over the window (kompas_stats_window), counts rounded, plus 'recruited':
-- the volunteers registered in the window (created_at), per recruited_via
-- (category; 'not_given' where it is not known), one breakdown; and
-- 'recruited_through_association': those recruited through an association,
-- per association name (category), aggregated over the centres when not by
-- centre.
CREATE OR REPLACE FUNCTION kompas_stats_volunteers(p_from date, p_to date, p_centre uuid, p_unit text,
                                                   p_by_centre boolean)
RETURNS TABLE (period text, centre_id uuid, centre_slug text, category text, measure text,
               value numeric, suppressed boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
#variable_conflict use_column
DECLARE
    v_centre uuid := kompas_stats_scope(p_centre);
    v_win record := kompas_stats_window(p_from, p_to, p_unit);
    v_from date := v_win.w_from;
    v_to date := v_win.w_to;
    v_lo timestamptz := v_win.w_from::timestamp AT TIME ZONE 'Europe/Copenhagen';
    v_hi timestamptz := (v_win.w_to + 1)::timestamp AT TIME ZONE 'Europe/Copenhagen';
BEGIN
    RETURN QUERY
    WITH vol AS (
        SELECT v.id, v.status, CASE WHEN p_by_centre THEN v.centre_id END AS cid,
               v.created_at, v.recruited_via, v.recruited_association_id
          FROM volunteer v
         WHERE v_centre IS NULL OR v.centre_id = v_centre
    ), cids AS (
        SELECT DISTINCT vol.cid FROM vol
    ), statuses AS (
        SELECT c.cid, s.ord, s.st, count(vol.id) AS n
          FROM cids c
         CROSS JOIN (VALUES (1, 'applicant'), (2, 'in_training'), (3, 'active'), (4, 'paused'),
                            (5, 'retired'), (6, 'rejected')) s (ord, st)
          LEFT JOIN vol ON vol.cid IS NOT DISTINCT FROM c.cid AND vol.status = s.st
         GROUP BY c.cid, s.ord, s.st
    ), status_groups AS (
        SELECT s.cid, kompas_stats_disclose(array_agg(s.n ORDER BY s.ord)) AS reasons
          FROM statuses s GROUP BY s.cid
    ), status_cells AS (
        SELECT NULL::text AS per, s.cid, s.st AS cat, 2 + s.ord AS ord, 'volunteers' AS measure,
               s.n::numeric AS v, g.reasons[s.ord] AS why
          FROM statuses s
          JOIN status_groups g ON g.cid IS NOT DISTINCT FROM s.cid
    ), now_cells AS (
        SELECT NULL::text AS per, s.cid, NULL::text AS cat, 1 AS ord, 'volunteers' AS measure,
               sum(s.n) AS v,
               CASE WHEN sum(s.n) < 5 THEN 'count_under_5' ELSE max(g.reasons[7]) END AS why
          FROM statuses s
          JOIN status_groups g ON g.cid IS NOT DISTINCT FROM s.cid
         GROUP BY s.cid
        UNION ALL
        SELECT NULL, s.cid, NULL, 10, 'active', s.n::numeric,
               CASE WHEN s.n < 5 THEN 'count_under_5' END
          FROM statuses s WHERE s.st = 'active'
    ), recruited AS (
        SELECT kompas_stats_period(vol.created_at, p_unit) AS per, vol.cid,
               coalesce(vol.recruited_via, 'not_given') AS via, count(*) AS n
          FROM vol
         WHERE (v_lo IS NULL OR vol.created_at >= v_lo) AND vol.created_at < v_hi
         GROUP BY 1, 2, 3
    ), rec_groups AS (
        SELECT r.per, r.cid, array_agg(r.via ORDER BY r.via) AS cats,
               kompas_stats_disclose(array_agg(r.n ORDER BY r.via)) AS reasons, sum(r.n) AS n
          FROM recruited r GROUP BY r.per, r.cid
    ), through AS (
        SELECT kompas_stats_period(vol.created_at, p_unit) AS per, vol.cid, a.name, count(*) AS n
          FROM vol
          JOIN association a ON a.id = vol.recruited_association_id
         WHERE (v_lo IS NULL OR vol.created_at >= v_lo) AND vol.created_at < v_hi
         GROUP BY 1, 2, 3
    ), through_groups AS (
        SELECT t.per, t.cid, array_agg(t.name ORDER BY t.name) AS cats,
               kompas_stats_disclose(array_agg(t.n ORDER BY t.name)) AS reasons
          FROM through t GROUP BY t.per, t.cid
    ), expiring AS (
        SELECT vol.cid, x.kind, x.vid
          FROM vol
          JOIN LATERAL (
               SELECT 'record_check' AS kind, rc.volunteer_id AS vid
                 FROM volunteer_record_check rc WHERE rc.volunteer_id = vol.id
                GROUP BY rc.volunteer_id, rc.kind
               HAVING max(rc.valid_until) BETWEEN current_date AND current_date + 30
               UNION ALL
               SELECT 'training', t.volunteer_id
                 FROM volunteer_training t WHERE t.volunteer_id = vol.id
                GROUP BY t.volunteer_id, t.module
               HAVING bool_and(t.expires_on IS NOT NULL)
                  AND max(t.expires_on) BETWEEN current_date AND current_date + 30) x ON true
    ), exp_cells AS (
        SELECT NULL::text AS per, c.cid, k.cat, k.ord, 'expiring_within_30_days' AS measure,
               count(DISTINCT e.vid)::numeric AS v, count(DISTINCT e.vid) AS people
          FROM cids c
         CROSS JOIN (VALUES (40, NULL), (41, 'record_check'), (42, 'training')) k (ord, cat)
          LEFT JOIN expiring e ON e.cid IS NOT DISTINCT FROM c.cid
                              AND (k.cat IS NULL OR e.kind = k.cat)
         GROUP BY c.cid, k.cat, k.ord
    ), trained AS (
        SELECT kompas_stats_period(t.completed_on::timestamp AT TIME ZONE 'Europe/Copenhagen', p_unit) AS per,
               vol.cid, count(DISTINCT vol.id) AS n
          FROM vol
          JOIN volunteer_training t ON t.volunteer_id = vol.id AND t.module = 'intro'
         WHERE (v_from IS NULL OR t.completed_on >= v_from) AND t.completed_on <= v_to
         GROUP BY 1, 2
    ), work AS (
        SELECT kompas_stats_period(x.visited_on::timestamp AT TIME ZONE 'Europe/Copenhagen', p_unit) AS per,
               vol.cid, 'visits' AS cat, vol.id AS vid, x.minutes
          FROM visit x
          JOIN course c ON c.id = x.course_id
          JOIN vol ON vol.id = c.volunteer_id
         WHERE x.guide_went
           AND (v_from IS NULL OR x.visited_on >= v_from) AND x.visited_on <= v_to
        UNION ALL
        SELECT kompas_stats_period(cv.held_on::timestamp AT TIME ZONE 'Europe/Copenhagen', p_unit),
               vol.cid, 'conversations', vol.id, cv.duration_minutes
          FROM conversation cv
          JOIN vol ON vol.id = cv.volunteer_id
         WHERE (v_from IS NULL OR cv.held_on >= v_from) AND cv.held_on <= v_to
    ), hours AS (
        SELECT w.per, w.cid, w.cat, GROUPING(w.cat) = 1 AS total,
               round(sum(w.minutes) / 60.0, 1) AS v, count(DISTINCT w.vid) AS people
          FROM work w
         GROUP BY GROUPING SETS ((w.per, w.cid, w.cat), (w.per, w.cid))
    ), cells AS (
        SELECT s.per, s.cid, s.cat, s.ord, s.measure, s.v, s.why, true AS is_count FROM status_cells s
        UNION ALL
        SELECT n.per, n.cid, n.cat, n.ord, n.measure, n.v, n.why, true FROM now_cells n
        UNION ALL
        SELECT e.per, e.cid, e.cat, e.ord, e.measure, e.v,
               CASE WHEN e.people < 5 THEN 'count_under_5' END, true
          FROM exp_cells e
        UNION ALL
        SELECT t.per, t.cid, NULL, 20, 'newly_trained', t.n::numeric,
               CASE WHEN t.n < 5 THEN 'count_under_5' END, true
          FROM trained t
        UNION ALL
        SELECT h.per, h.cid, CASE WHEN h.total THEN NULL ELSE h.cat END,
               CASE WHEN h.total THEN 30 WHEN h.cat = 'visits' THEN 31 ELSE 32 END, 'hours', h.v,
               CASE WHEN h.people < 5 THEN 'fewer_than_5_people' END, false
          FROM hours h
        UNION ALL
        SELECT g.per, g.cid, NULL, 50, 'recruited', g.n::numeric,
               CASE WHEN g.n < 5 THEN 'count_under_5' ELSE g.reasons[cardinality(g.cats) + 1] END, true
          FROM rec_groups g
        UNION ALL
        SELECT r.per, r.cid, r.via, 51, 'recruited', r.n::numeric,
               g.reasons[array_position(g.cats, r.via)], true
          FROM recruited r
          JOIN rec_groups g ON g.per IS NOT DISTINCT FROM r.per AND g.cid IS NOT DISTINCT FROM r.cid
        UNION ALL
        SELECT t.per, t.cid, t.name, 60, 'recruited_through_association', t.n::numeric,
               g.reasons[array_position(g.cats, t.name)], true
          FROM through t
          JOIN through_groups g ON g.per IS NOT DISTINCT FROM t.per AND g.cid IS NOT DISTINCT FROM t.cid
    )
    SELECT d.per, d.cid, ce.slug, d.cat, d.measure,
           CASE WHEN d.why IS NULL THEN
               CASE WHEN d.is_count THEN kompas_stats_round(d.v) ELSE d.v END
           END,
           d.why IS NOT NULL, d.why
      FROM cells d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.ord, d.cat;
END
$$;
COMMENT ON FUNCTION kompas_stats_volunteers(date, date, uuid, text, boolean) IS 'Volunteers by status, active, newly trained, recruited (by recruited_via and association), hours of visits and conversations, and expiring record checks and trainings, by period and centre, over whole closed periods, with disclosure control and rounded counts';
REVOKE ALL ON FUNCTION kompas_stats_volunteers(date, date, uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_volunteers(date, date, uuid, text, boolean) TO kompas_app;
