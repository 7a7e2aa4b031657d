-- 0017: statistics for FriSe (analysts, national) and coordinators (their
-- own centre): the request funnel, the wellbeing outcomes and the courses, aggregated
-- here by SECURITY DEFINER functions owned by the schema owner so that an
-- analyst, whom row-level security shows no citizen row, gets counts and
-- means only, never a row. The functions enforce the scope themselves
-- (coordinator: kompas_centre() only; analyst: any or all centres) and
-- apply disclosure control before anything leaves the database: a count
-- under 5 is suppressed, and where one cell of a group whose total is shown
-- is suppressed the next smallest cell is suppressed too; means, medians and
-- percentiles over fewer than 5 people are suppressed.

CREATE INDEX request_created ON request (created_at);

-- Disclosure control of one group of counts that add up to a shown total
-- (the sources of one funnel stage in one period and centre): for each
-- cell NULL when it may be shown, 'count_under_5' or 'complementary'.
CREATE FUNCTION kompas_stats_disclose(p_counts bigint[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS
$$
DECLARE
    n integer := coalesce(cardinality(p_counts), 0);
    r text[] := '{}';
    nsupp integer := 0;
    total bigint := 0;
    best integer;
BEGIN
    FOR i IN 1 .. n LOOP
        total := total + p_counts[i];
        IF p_counts[i] < 5 THEN
            r[i] := 'count_under_5';
            nsupp := nsupp + 1;
        ELSE
            r[i] := NULL;
        END IF;
    END LOOP;
    -- One suppressed cell would be the shown total minus the others.
    IF nsupp = 1 AND total >= 5 THEN
        FOR i IN 1 .. n LOOP
            IF r[i] IS NULL AND (best IS NULL OR p_counts[i] < p_counts[best]) THEN
                best := i;
            END IF;
        END LOOP;
        IF best IS NOT NULL THEN
            r[best] := 'complementary';
        END IF;
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION kompas_stats_disclose(bigint[]) IS 'Disclosure control of counts adding up to a shown total: per cell NULL (shown), count_under_5, or complementary (the next smallest cell when exactly one is under 5)';

-- The centre the caller may aggregate: a coordinator their own (naming
-- another is refused), an analyst the named one or NULL for all.
CREATE FUNCTION kompas_stats_scope(p_centre uuid) RETURNS uuid
LANGUAGE plpgsql STABLE AS
$$
BEGIN
    IF kompas_role() = 'analyst' THEN
        RETURN p_centre;
    END IF;
    IF kompas_role() = 'coordinator' AND kompas_centre() IS NOT NULL THEN
        IF p_centre IS NOT NULL AND p_centre <> kompas_centre() THEN
            RAISE EXCEPTION 'statistics of another centre' USING ERRCODE = '42501';
        END IF;
        RETURN kompas_centre();
    END IF;
    RAISE EXCEPTION 'statistics are for analysts and coordinators' USING ERRCODE = '42501';
END
$$;
COMMENT ON FUNCTION kompas_stats_scope(uuid) IS 'The centre (NULL: all) the caller may aggregate; raises 42501 otherwise';

-- The reporting period of a time (UTC): 2026-03, 2026-Q1, 2026, or NULL.
CREATE FUNCTION kompas_stats_period(p_at timestamptz, p_unit text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS
$$
SELECT CASE p_unit
           WHEN 'month' THEN to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM')
           WHEN 'quarter' THEN to_char(p_at AT TIME ZONE 'UTC', 'YYYY-"Q"Q')
           WHEN 'year' THEN to_char(p_at AT TIME ZONE 'UTC', 'YYYY')
       END
$$;
COMMENT ON FUNCTION kompas_stats_period(timestamptz, text) IS 'The reporting period (month, quarter or year, UTC) of a time, or NULL';

-- The funnel of the requests received in [p_from, p_to] (UTC dates, NULL:
-- open), by source, per period (p_unit) and per centre (p_by_centre):
-- one row per cell; source NULL is the total of the period and centre.
CREATE FUNCTION kompas_stats_funnel(p_from date, p_to date, p_centre uuid, p_unit text,
                                    p_by_centre boolean)
RETURNS TABLE (period text, centre_id uuid, centre_slug text, source text, measure text,
               value numeric, suppressed boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
#variable_conflict use_column
DECLARE
    v_centre uuid := kompas_stats_scope(p_centre);
BEGIN
    RETURN QUERY
    WITH base AS (
        SELECT CASE WHEN p_by_centre THEN r.centre_id END AS cid,
               kompas_stats_period(r.created_at, p_unit) AS per,
               r.source AS src,
               coalesce(e.accepted, false) AS accepted,
               r.first_contact_at IS NOT NULL AS contacted,
               coalesce(e.conversation, false) AS conversation,
               coalesce(e.course, false) AS course,
               coalesce(e.referred, false) AS referred,
               coalesce(e.signposted, false) AS signposted,
               r.closed_at IS NOT NULL AS closed,
               extract(epoch FROM r.first_contact_at - r.created_at) / 86400.0 AS days
          FROM request r
          LEFT JOIN LATERAL (
               SELECT bool_or(ev.to_state = 'accepted') AS accepted,
                      bool_or(ev.to_state = 'conversation_held') AS conversation,
                      bool_or(ev.to_state = 'course_started') AS course,
                      bool_or(ev.to_state = 'referred') AS referred,
                      bool_or(ev.to_state = 'signposted') AS signposted
                 FROM request_event ev
                WHERE ev.request_id = r.id AND ev.kind = 'state') e ON true
         WHERE (v_centre IS NULL OR r.centre_id = v_centre)
           AND (p_from IS NULL OR r.created_at >= p_from::timestamp AT TIME ZONE 'UTC')
           AND (p_to IS NULL OR r.created_at < (p_to + 1)::timestamp AT TIME ZONE 'UTC')
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
                       CASE WHEN c.v < 5 THEN 'count_under_5' END
                   ELSE (SELECT g.reasons[array_position(g.srcs, c.src)]
                           FROM groups g
                          WHERE g.per IS NOT DISTINCT FROM c.per
                            AND g.cid IS NOT DISTINCT FROM c.cid AND g.measure = c.measure)
               END AS why
          FROM cells c
    )
    SELECT d.per, d.cid, ce.slug, d.src, d.measure,
           CASE WHEN d.why IS NULL THEN d.v END, d.why IS NOT NULL, d.why
      FROM decided d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.total DESC, d.src, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean) IS 'The request funnel and days to first contact, by source, period and centre, with disclosure control: counts only, never a row';

-- WHO-5 (0-100) and UCLA-3 (3-12) of the requests received in [p_from,
-- p_to]: n and mean at each timepoint, paired change from baseline to
-- course end and to follow-up (same request), and for WHO-5 the share
-- whose score rose by 10 points or more.
CREATE FUNCTION kompas_stats_outcomes(p_from date, p_to date, p_centre uuid, p_unit text,
                                      p_by_centre boolean)
RETURNS TABLE (period text, centre_id uuid, centre_slug text, instrument text, measure text,
               value numeric, suppressed boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
#variable_conflict use_column
DECLARE
    v_centre uuid := kompas_stats_scope(p_centre);
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
           AND (p_from IS NULL OR r.created_at >= p_from::timestamp AT TIME ZONE 'UTC')
           AND (p_to IS NULL OR r.created_at < (p_to + 1)::timestamp AT TIME ZONE 'UTC')
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
                CASE WHEN a.n_pce > 0 THEN round(a.up_ce::numeric / a.n_pce, 3) END, a.n_pce,
                'share'),
               (10, 'n_paired_follow_up', a.n_pfu::numeric, a.n_pfu, 'count'),
               (11, 'mean_change_follow_up', round(a.ch_fu, 2), a.n_pfu, 'mean'),
               (12, 'share_up_10_follow_up',
                CASE WHEN a.n_pfu > 0 THEN round(a.up_fu::numeric / a.n_pfu, 3) END, a.n_pfu,
                'share')) m (ord, measure, v, people, kind)
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
           CASE WHEN d.why IS NULL THEN d.v END, d.why IS NOT NULL, d.why
      FROM decided d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.ins DESC, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_outcomes(date, date, uuid, text, boolean) IS 'WHO-5 and UCLA-3 means, paired changes and the share with 10 points more on WHO-5, by period and centre, with disclosure control';

-- The follow-along courses made in [p_from, p_to] (UTC dates of
-- created_at): started; ended (total, and completed or ended early);
-- outcome of the ended ones; follow-up results (total, still or not taking
-- part); visits per ended course (all, and those the citizen came to).
-- Counts of one breakdown are disclosure-controlled together.
CREATE FUNCTION kompas_stats_courses(p_from date, p_to date, p_centre uuid, p_unit text,
                                     p_by_centre boolean)
RETURNS TABLE (period text, centre_id uuid, centre_slug text, category text, measure text,
               value numeric, suppressed boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
#variable_conflict use_column
DECLARE
    v_centre uuid := kompas_stats_scope(p_centre);
BEGIN
    RETURN QUERY
    WITH base AS (
        SELECT CASE WHEN p_by_centre THEN c.centre_id END AS cid,
               kompas_stats_period(c.created_at, p_unit) AS per,
               c.started_on IS NOT NULL AS started,
               c.state IN ('completed', 'ended_early') AS ended,
               c.state AS st, c.outcome AS oc, c.follow_up_result AS fu,
               coalesce(v.visits, 0) AS visits, coalesce(v.attended, 0) AS attended
          FROM course c
          LEFT JOIN LATERAL (
               SELECT count(*) AS visits, count(*) FILTER (WHERE x.citizen_came) AS attended
                 FROM visit x WHERE x.course_id = c.id) v ON true
         WHERE (v_centre IS NULL OR c.centre_id = v_centre)
           AND (p_from IS NULL OR c.created_at >= p_from::timestamp AT TIME ZONE 'UTC')
           AND (p_to IS NULL OR c.created_at < (p_to + 1)::timestamp AT TIME ZONE 'UTC')
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
               avg(b.attended) FILTER (WHERE b.ended) AS attended
          FROM base b
         GROUP BY b.per, b.cid
    ), cells AS (
        SELECT a.per, a.cid, m.ord, m.grp, m.cat, m.measure, m.v, m.people
          FROM agg a
         CROSS JOIN LATERAL (VALUES
               (1, NULL, NULL, 'started', a.started::numeric, a.started),
               (2, NULL, NULL, 'ended', a.ended::numeric, a.ended),
               (3, 'ended', 'completed', 'ended', a.completed::numeric, a.completed),
               (4, 'ended', 'ended_early', 'ended', a.ended_early::numeric, a.ended_early),
               (5, 'outcome', 'continues_on_own', 'outcome', a.o_own::numeric, a.o_own),
               (6, 'outcome', 'continues_with_support', 'outcome', a.o_support::numeric, a.o_support),
               (7, 'outcome', 'referred', 'outcome', a.o_referred::numeric, a.o_referred),
               (8, 'outcome', 'stopped', 'outcome', a.o_stopped::numeric, a.o_stopped),
               (9, NULL, NULL, 'follow_up', a.followed::numeric, a.followed),
               (10, 'follow_up', 'still_taking_part', 'follow_up', a.f_still::numeric, a.f_still),
               (11, 'follow_up', 'not_taking_part', 'follow_up', a.f_not::numeric, a.f_not),
               (12, NULL, NULL, 'visits_per_course_mean', round(a.visits, 2), a.ended),
               (13, NULL, NULL, 'attended_visits_per_course_mean', round(a.attended, 2), a.ended))
               m (ord, grp, cat, measure, v, people)
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
                       CASE WHEN c.v < 5 THEN 'count_under_5' END
                   ELSE (SELECT g.reasons[array_position(g.cats, c.cat)]
                           FROM groups g
                          WHERE g.per IS NOT DISTINCT FROM c.per
                            AND g.cid IS NOT DISTINCT FROM c.cid AND g.grp = c.grp)
               END AS why
          FROM cells c
    )
    SELECT d.per, d.cid, ce.slug, d.cat, d.measure,
           CASE WHEN d.why IS NULL THEN d.v END, d.why IS NOT NULL, d.why
      FROM decided d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_courses(date, date, uuid, text, boolean) IS 'Courses started, ended, their outcomes, follow-up results and visits per course, by period and centre, with disclosure control';

REVOKE ALL ON FUNCTION kompas_stats_disclose(bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION kompas_stats_scope(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION kompas_stats_period(timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION kompas_stats_outcomes(date, date, uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean) TO kompas_app;
GRANT EXECUTE ON FUNCTION kompas_stats_outcomes(date, date, uuid, text, boolean) TO kompas_app;
REVOKE ALL ON FUNCTION kompas_stats_courses(date, date, uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_courses(date, date, uuid, text, boolean) TO kompas_app;
