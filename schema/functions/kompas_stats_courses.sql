-- The follow-along courses made in the window (kompas_stats_window, by
-- created_at): started; ended (total, and completed or ended early); outcome
-- of the ended ones; follow-up results (total, still or not taking part);
-- visits per ended course (all, and those the citizen came to). Counts of one
-- breakdown are disclosure-controlled together, and rounded. The hand-over:
-- for each ended course with a visit the citizen came to, the share of those
-- visits the citizen came to without the guide; its mean over the ended
-- courses (category NULL) and over those followed up still or not taking
-- part.
CREATE OR REPLACE FUNCTION kompas_stats_courses(p_from date, p_to date, p_centre uuid, p_unit text,
                                                p_by_centre boolean)
RETURNS TABLE (period text, centre_id uuid, centre_slug text, category text, measure text,
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
    WITH base AS (
        SELECT CASE WHEN p_by_centre THEN c.centre_id END AS cid,
               kompas_stats_period(c.created_at, p_unit) AS per,
               c.started_on IS NOT NULL AS started,
               c.state IN ('completed', 'ended_early') AS ended,
               c.state AS st, c.outcome AS oc, c.follow_up_result AS fu,
               coalesce(v.visits, 0) AS visits, coalesce(v.attended, 0) AS attended,
               CASE WHEN v.attended > 0 THEN v.alone::numeric / v.attended END AS alone
          FROM course c
          LEFT JOIN LATERAL (
               SELECT count(*) AS visits, count(*) FILTER (WHERE x.citizen_came) AS attended,
                      count(*) FILTER (WHERE x.citizen_came AND NOT x.guide_went) AS alone
                 FROM visit x WHERE x.course_id = c.id) v ON true
         WHERE (v_centre IS NULL OR c.centre_id = v_centre)
           AND (v_lo IS NULL OR c.created_at >= v_lo)
           AND c.created_at < v_hi
    ), agg AS (
        SELECT b.per, b.cid,
               count(*) FILTER (WHERE b.started) AS started,
               count(*) FILTER (WHERE b.ended) AS ended,
               count(*) FILTER (WHERE b.st = 'completed') AS completed,
               count(*) FILTER (WHERE b.st = 'ended_early') AS ended_early,
               count(*) FILTER (WHERE b.oc = 'continues_on_own') AS o_own,
               count(*) FILTER (WHERE b.oc = 'continues_with_support') AS o_support,
               count(*) FILTER (WHERE b.oc = 'referred') AS o_referred,
               count(*) FILTER (WHERE b.oc = 'stopped') AS o_stopped,
               count(*) FILTER (WHERE b.fu IS NOT NULL) AS followed,
               count(*) FILTER (WHERE b.fu = 'still_taking_part') AS f_still,
               count(*) FILTER (WHERE b.fu = 'not_taking_part') AS f_not,
               avg(b.visits) FILTER (WHERE b.ended) AS visits,
               avg(b.attended) FILTER (WHERE b.ended) AS attended,
               avg(b.alone) FILTER (WHERE b.ended) AS alone,
               count(b.alone) FILTER (WHERE b.ended) AS alone_n,
               avg(b.alone) FILTER (WHERE b.fu = 'still_taking_part') AS alone_still,
               count(b.alone) FILTER (WHERE b.fu = 'still_taking_part') AS alone_still_n,
               avg(b.alone) FILTER (WHERE b.fu = 'not_taking_part') AS alone_not,
               count(b.alone) FILTER (WHERE b.fu = 'not_taking_part') AS alone_not_n
          FROM base b
         GROUP BY b.per, b.cid
    ), cells AS (
        SELECT a.per, a.cid, m.ord, m.grp, m.cat, m.measure, m.v, m.people, m.totals
          FROM agg a
         CROSS JOIN LATERAL (VALUES
               (1, NULL, NULL, 'started', a.started::numeric, a.started, NULL::text[]),
               (2, NULL, NULL, 'ended', a.ended::numeric, a.ended, '{ended,outcome}'::text[]),
               (3, 'ended', 'completed', 'ended', a.completed::numeric, a.completed, NULL),
               (4, 'ended', 'ended_early', 'ended', a.ended_early::numeric, a.ended_early, NULL),
               (5, 'outcome', 'continues_on_own', 'outcome', a.o_own::numeric, a.o_own, NULL),
               (6, 'outcome', 'continues_with_support', 'outcome', a.o_support::numeric, a.o_support, NULL),
               (7, 'outcome', 'referred', 'outcome', a.o_referred::numeric, a.o_referred, NULL),
               (8, 'outcome', 'stopped', 'outcome', a.o_stopped::numeric, a.o_stopped, NULL),
               (9, NULL, NULL, 'follow_up', a.followed::numeric, a.followed, '{follow_up}'),
               (10, 'follow_up', 'still_taking_part', 'follow_up', a.f_still::numeric, a.f_still, NULL),
               (11, 'follow_up', 'not_taking_part', 'follow_up', a.f_not::numeric, a.f_not, NULL),
               (12, NULL, NULL, 'visits_per_course_mean', round(a.visits, 2), a.ended, NULL),
               (13, NULL, NULL, 'attended_visits_per_course_mean', round(a.attended, 2), a.ended, NULL),
               (14, NULL, NULL, 'attended_alone_share_mean', round(a.alone, 2), a.alone_n, NULL),
               (15, NULL, 'still_taking_part', 'attended_alone_share_mean', round(a.alone_still, 2),
                a.alone_still_n, NULL),
               (16, NULL, 'not_taking_part', 'attended_alone_share_mean', round(a.alone_not, 2),
                a.alone_not_n, NULL))
               m (ord, grp, cat, measure, v, people, totals)
         -- the hand-over of a follow-up result appears where there are such courses
         WHERE m.ord < 15 OR m.people > 0
    ), groups AS (
        SELECT c.per, c.cid, c.grp, array_agg(c.cat ORDER BY c.ord) AS cats,
               kompas_stats_disclose(array_agg(c.v::bigint ORDER BY c.ord)) AS reasons
          FROM cells c
         WHERE c.grp IS NOT NULL
         GROUP BY c.per, c.cid, c.grp
    ), decided AS (
        SELECT c.*,
               CASE
                   WHEN c.measure LIKE '%_mean' THEN
                       CASE WHEN c.people < 5 THEN 'fewer_than_5_people' END
                   WHEN c.grp IS NULL THEN
                       CASE WHEN c.v < 5 THEN 'count_under_5'
                            ELSE (SELECT max(g.reasons[cardinality(g.cats) + 1])
                                    FROM groups g
                                   WHERE g.per IS NOT DISTINCT FROM c.per
                                     AND g.cid IS NOT DISTINCT FROM c.cid
                                     AND g.grp = ANY (c.totals)) END
                   ELSE (SELECT g.reasons[array_position(g.cats, c.cat)]
                           FROM groups g
                          WHERE g.per IS NOT DISTINCT FROM c.per
                            AND g.cid IS NOT DISTINCT FROM c.cid AND g.grp = c.grp)
               END AS why
          FROM cells c
    )
    SELECT d.per, d.cid, ce.slug, d.cat, d.measure,
           CASE WHEN d.why IS NULL THEN
               CASE WHEN d.measure LIKE '%_mean' THEN d.v ELSE kompas_stats_round(d.v) END
           END,
           d.why IS NOT NULL, d.why
      FROM decided d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_courses(date, date, uuid, text, boolean) IS 'Courses started, ended, their outcomes, follow-up results, visits per course and the hand-over (share of visits attended without the guide, by follow-up result), by period and centre, over whole closed periods, with disclosure control and rounded counts';
REVOKE ALL ON FUNCTION kompas_stats_courses(date, date, uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_courses(date, date, uuid, text, boolean) TO kompas_app;
