-- 0030: statistics FriSe can trust (docs/statistics.md has the threat model).
--
-- 1. Whole, closed periods only. A window is a union of whole calendar
--    months (quarters, years) in Europe/Copenhagen time that have ended:
--    from is the first day and to the last day of a period of the unit
--    asked for (month when none), and to is at most the last day of the
--    last closed period (a later to is cut there; kompas_stats_window()).
--    "All time minus up to yesterday" cannot be asked: neither window is
--    allowed. Periods and window bounds are Copenhagen dates (they were UTC).
-- 2. Counts are published rounded down to a multiple of 5 (the lower end
--    of their band of five: 5-9 as 5, 10-14 as 10; 0-4 is suppressed as
--    before), so any sum or difference of published counts is a multiple
--    of 5 and never a count of 1 to 4. Shares are published to one decimal.
-- 3. kompas_stats_disclose() also protects a breakdown whose suppressed
--    cells the bands would pin exactly (every cell at the top of its band
--    and the total at the bottom of its own: only possible with 5, 10, ...
--    cells), and returns one more element: the decision for the total.
-- New: the funnel by how the citizen heard of the offer (p_breakdown
-- 'heard_from'); volunteers recruited in the window by recruited_via and by
-- the association they were recruited through; the hand-over per course
-- (share of the visits the citizen came to without the guide, by follow-up
-- result); per association, accompanied newcomers followed up and still
-- taking part, next to its welcome-training date.

-- A count as published: rounded down to a multiple of 5.
CREATE FUNCTION kompas_stats_round(p_v numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (p_v::bigint / 5 * 5)::numeric $$;
COMMENT ON FUNCTION kompas_stats_round(numeric) IS 'A count as published: rounded down to a multiple of 5';

-- The reporting period of a time in Copenhagen: 2026-03, 2026-Q1, 2026, or NULL.
CREATE OR REPLACE FUNCTION kompas_stats_period(p_at timestamptz, p_unit text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS
$$
SELECT CASE p_unit
           WHEN 'month' THEN to_char(p_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY-MM')
           WHEN 'quarter' THEN to_char(p_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY-"Q"Q')
           WHEN 'year' THEN to_char(p_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY')
       END
$$;
COMMENT ON FUNCTION kompas_stats_period(timestamptz, text) IS 'The reporting period (month, quarter or year, Europe/Copenhagen) of a time, or NULL';

-- The last day of the last closed period of the unit (month when NULL) in
-- Copenhagen: yesterday's month end, quarter end or year end.
CREATE FUNCTION kompas_stats_closed_through(p_unit text) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS
$$
SELECT (date_trunc(coalesce(p_unit, 'month'), (now() AT TIME ZONE 'Europe/Copenhagen')::date::timestamp)
        - interval '1 day')::date
$$;
COMMENT ON FUNCTION kompas_stats_closed_through(text) IS 'The last day of the last closed month (quarter, year) in Europe/Copenhagen';
GRANT EXECUTE ON FUNCTION kompas_stats_closed_through(text) TO kompas_app;

-- The window a statistic is computed over: [from, to] checked to be whole
-- periods of the unit (22023 otherwise; kompasd checks first and answers
-- 422), to cut to the last closed period (and NULL to mean it). from NULL
-- stays NULL (from the beginning).
CREATE FUNCTION kompas_stats_window(p_from date, p_to date, p_unit text,
                                    OUT w_from date, OUT w_to date)
LANGUAGE plpgsql STABLE AS
$$
DECLARE
    u text := coalesce(p_unit, 'month');
BEGIN
    IF u NOT IN ('month', 'quarter', 'year') THEN
        RAISE EXCEPTION 'unknown statistics unit %', u USING ERRCODE = '22023';
    END IF;
    IF p_from IS NOT NULL AND date_trunc(u, p_from::timestamp)::date <> p_from THEN
        RAISE EXCEPTION 'from % is not the first day of a %', p_from, u USING ERRCODE = '22023';
    END IF;
    IF p_to IS NOT NULL AND date_trunc(u, (p_to + 1)::timestamp)::date <> p_to + 1 THEN
        RAISE EXCEPTION 'to % is not the last day of a %', p_to, u USING ERRCODE = '22023';
    END IF;
    w_from := p_from;
    w_to := least(coalesce(p_to, 'infinity'::date), kompas_stats_closed_through(u));
    IF w_from IS NOT NULL AND w_from > w_to THEN
        RAISE EXCEPTION 'the window holds no closed % yet', u USING ERRCODE = '22023';
    END IF;
END
$$;
COMMENT ON FUNCTION kompas_stats_window(date, date, text) IS 'The window of a statistic: whole periods of the unit, cut to the last closed one (Europe/Copenhagen); raises 22023 otherwise';

-- Disclosure control of one group of counts that add up to a shown total.
-- Elements 1..n: for each cell NULL when it may be shown, 'count_under_5'
-- or 'complementary'; element n+1: the same for the total. A suppressed
-- cell is protected against the total minus the others (the next smallest
-- cell is suppressed too when exactly one is under 5) and against the
-- bands of published counts pinning it (when the others' band tops and
-- the total's band bottom leave it no room; the next smallest shown cell
-- is suppressed then, or the total when every cell is under 5).
CREATE OR REPLACE FUNCTION kompas_stats_disclose(p_counts bigint[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS
$$
DECLARE
    n integer := coalesce(cardinality(p_counts), 0);
    r text[] := '{}';
    nsupp integer := 0;
    total bigint := 0;
    tops bigint := 0;
    best integer;
BEGIN
    IF n = 0 THEN
        RETURN r;
    END IF;
    FOR i IN 1 .. n LOOP
        total := total + p_counts[i];
        tops := tops + p_counts[i] / 5 * 5 + 4;
        IF p_counts[i] < 5 THEN
            r[i] := 'count_under_5';
            nsupp := nsupp + 1;
        ELSE
            r[i] := NULL;
        END IF;
    END LOOP;
    -- One suppressed cell would be the shown total minus the others; any
    -- suppressed cell would be pinned when the bands leave no slack.
    IF total >= 5 AND (nsupp = 1 OR (nsupp > 1 AND tops = total / 5 * 5)) THEN
        FOR i IN 1 .. n LOOP
            IF r[i] IS NULL AND (best IS NULL OR p_counts[i] < p_counts[best]) THEN
                best := i;
            END IF;
        END LOOP;
        IF best IS NOT NULL THEN
            r[best] := 'complementary';
        ELSE
            r[n + 1] := 'complementary';
        END IF;
    END IF;
    IF total < 5 THEN
        r[n + 1] := 'count_under_5';
    ELSIF r[n + 1] IS NULL THEN
        r[n + 1] := NULL;
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION kompas_stats_disclose(bigint[]) IS 'Disclosure control of counts adding up to a shown total: per cell NULL (shown), count_under_5, or complementary; one more element for the total';

-- ------------------------------------------------------------------ funnel

DROP FUNCTION kompas_stats_funnel(date, date, uuid, text, boolean);
-- The funnel of the requests received in the window, by source (or by
-- heard_from: p_breakdown 'heard_from', 'not_given' where it was not
-- asked), per period (p_unit) and per centre (p_by_centre): one row per
-- cell; source NULL is the total of the period and centre.
CREATE FUNCTION kompas_stats_funnel(p_from date, p_to date, p_centre uuid, p_unit text,
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

-- ---------------------------------------------------------------- outcomes

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

-- ----------------------------------------------------------------- courses

-- The courses made in the window: as 0017, plus the hand-over: for each
-- ended course with a visit the citizen came to, the share of those visits
-- the citizen came to without the guide; its mean over the ended courses
-- (category NULL) and over those followed up still or not taking part.
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

-- -------------------------------------------------------------- volunteers

-- As 0019 over the window, counts rounded, plus 'recruited': the
-- volunteers registered in the window (created_at), per recruited_via
-- (category; 'not_given' where it is not known), one breakdown; and
-- 'recruited_through_association': those recruited through an
-- association, per association name (category), aggregated over the
-- centres when not by centre.
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

-- ------------------------------------------------------------ associations

DROP FUNCTION kompas_stats_associations(date, date, uuid, text, boolean);
-- As 0019 over the window, counts rounded, plus the hand-over per
-- association (category: its name): 'newcomers_followed_up', the courses
-- made in the window that aimed at it and have a follow-up result;
-- 'newcomers_still_taking_part', of those still taking part (suppressed
-- under 5, with the complementary cell of those not taking part); and next
-- to them 'welcome_training_on', its welcome-training date (value a date,
-- YYYY-MM-DD; empty when it has had none). Value is text for that date.
CREATE FUNCTION kompas_stats_associations(p_from date, p_to date, p_centre uuid, p_unit text,
                                          p_by_centre boolean)
RETURNS TABLE (period text, centre_id uuid, centre_slug text, category text, measure text,
               value text, suppressed boolean, reason text)
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
    WITH assoc AS (
        SELECT a.id, a.name, a.welcome_training_on, a.newcomer_places,
               CASE WHEN p_by_centre THEN a.centre_id END AS cid
          FROM association a
         WHERE v_centre IS NULL OR a.centre_id = v_centre
    ), now_agg AS (
        SELECT a.cid, count(*) AS n,
               count(*) FILTER (WHERE a.welcome_training_on IS NOT NULL) AS welcome,
               sum(a.newcomer_places) AS places, count(a.newcomer_places) AS places_n
          FROM assoc a GROUP BY a.cid
    ), activity AS (
        SELECT kompas_stats_period(x.visited_on::timestamp AT TIME ZONE 'Europe/Copenhagen', p_unit) AS per,
               a.cid, a.id, false AS referral
          FROM visit x
          JOIN assoc a ON a.id = x.association_id
         WHERE (v_from IS NULL OR x.visited_on >= v_from) AND x.visited_on <= v_to
        UNION ALL
        SELECT kompas_stats_period(r.sent_at, p_unit), a.cid, a.id, true
          FROM referral r
          JOIN assoc a ON a.id = r.association_id
         WHERE (v_lo IS NULL OR r.sent_at >= v_lo) AND r.sent_at < v_hi
    ), act_agg AS (
        SELECT x.per, x.cid, count(DISTINCT x.id) AS engaged,
               count(DISTINCT x.id) FILTER (WHERE x.referral) AS receiving
          FROM activity x GROUP BY x.per, x.cid
    ), handover AS (
        SELECT kompas_stats_period(c.created_at, p_unit) AS per, a.cid, a.id, a.name,
               a.welcome_training_on,
               count(*) FILTER (WHERE c.follow_up_result = 'still_taking_part') AS still,
               count(*) FILTER (WHERE c.follow_up_result = 'not_taking_part') AS gone
          FROM course c
          JOIN assoc a ON a.id = c.association_id
         WHERE c.follow_up_result IS NOT NULL
           AND (v_lo IS NULL OR c.created_at >= v_lo) AND c.created_at < v_hi
         GROUP BY 1, 2, 3, 4, 5
    ), ho_decided AS (
        SELECT h.*, kompas_stats_disclose(ARRAY[h.still, h.gone]) AS reasons FROM handover h
    ), cells AS (
        SELECT NULL::text AS per, n.cid, NULL::text AS cat, NULL::text AS aid, m.ord, m.measure,
               m.v, m.people, m.is_count
          FROM now_agg n
         CROSS JOIN LATERAL (VALUES
               (1, 'associations', n.n::numeric, n.n, true),
               (2, 'welcome_training', n.welcome::numeric, n.welcome, true),
               (3, 'newcomer_places', n.places::numeric, n.places_n, false)) m (ord, measure, v, people, is_count)
        UNION ALL
        SELECT x.per, x.cid, NULL, NULL, m.ord, m.measure, m.v, m.people, true
          FROM act_agg x
         CROSS JOIN LATERAL (VALUES
               (10, 'engaged', x.engaged::numeric, x.engaged),
               (11, 'receiving_referrals', x.receiving::numeric, x.receiving)) m (ord, measure, v, people)
    ), decided AS (
        SELECT c.per, c.cid, c.cat, c.aid, c.ord, c.measure,
               CASE WHEN c.is_count THEN kompas_stats_round(c.v) ELSE c.v END::text AS v,
               CASE
                   WHEN c.is_count AND c.people < 5 THEN 'count_under_5'
                   WHEN NOT c.is_count AND c.people < 5 THEN 'fewer_than_5_people'
               END AS why
          FROM cells c
        UNION ALL
        SELECT h.per, h.cid, h.name, h.id::text, m.ord, m.measure, m.v, m.why
          FROM ho_decided h
         CROSS JOIN LATERAL (VALUES
               (20, 'newcomers_followed_up', kompas_stats_round(h.still + h.gone)::text, h.reasons[3]),
               (21, 'newcomers_still_taking_part', kompas_stats_round(h.still)::text, h.reasons[1]),
               (22, 'welcome_training_on', to_char(h.welcome_training_on, 'YYYY-MM-DD'), NULL))
               m (ord, measure, v, why)
    )
    SELECT d.per, d.cid, ce.slug, d.cat, d.measure,
           CASE WHEN d.why IS NULL THEN d.v END, d.why IS NOT NULL, d.why
      FROM decided d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.ord < 20 DESC, d.cat, d.aid, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_associations(date, date, uuid, text, boolean) IS 'Associations engaged, with welcome training, receiving referrals, newcomer places, and per association the accompanied newcomers followed up and still taking part next to its welcome-training date, by period and centre, over whole closed periods, with disclosure control and rounded counts';
REVOKE ALL ON FUNCTION kompas_stats_associations(date, date, uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_associations(date, date, uuid, text, boolean) TO kompas_app;

REVOKE ALL ON FUNCTION kompas_stats_round(numeric) FROM PUBLIC;
REVOKE ALL ON FUNCTION kompas_stats_window(date, date, text) FROM PUBLIC;
