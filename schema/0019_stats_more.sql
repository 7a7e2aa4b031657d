-- 0019: statistics of the volunteers and the associations, for analysts
-- (national) and coordinators (their own centre), in the same shape and
-- with the same disclosure control as 0017: SECURITY DEFINER functions
-- owned by the schema owner, the scope from kompas_stats_scope(), counts
-- under 5 suppressed (and the complementary cell where a breakdown adds up
-- to a shown total), sums over fewer than 5 volunteers (or associations)
-- suppressed.
--
-- Measures that describe the present (volunteers by status, active
-- volunteers, expiring checks, associations with welcome training,
-- newcomer places) have period NULL whatever p_unit; those of the period
-- (from..to, UTC dates) are grouped by p_unit.

-- Volunteers: 'volunteers' now (total, and per status as category, one
-- breakdown); 'active' now; 'newly_trained' (the 'intro' module completed
-- in the period); 'hours' (total, and per category 'visits': visit minutes
-- where the guide went, of the course's volunteer; 'conversations': the
-- minutes of the conversations a volunteer held), one decimal;
-- 'expiring_within_30_days' (total, and per category 'record_check',
-- 'training': the latest record check of a kind, or the latest training of
-- a module, that expires from today to 30 days from now).
CREATE FUNCTION kompas_stats_volunteers(p_from date, p_to date, p_centre uuid, p_unit text,
                                        p_by_centre boolean)
RETURNS TABLE (period text, centre_id uuid, centre_slug text, category text, measure text,
               value numeric, suppressed boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
#variable_conflict use_column
DECLARE
    v_centre uuid := kompas_stats_scope(p_centre);
    v_from timestamptz := p_from::timestamp AT TIME ZONE 'UTC';
    v_to timestamptz := (p_to + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    RETURN QUERY
    WITH vol AS (
        SELECT v.id, v.status, CASE WHEN p_by_centre THEN v.centre_id END AS cid
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
    ), status_cells AS (
        SELECT NULL::text AS per, s.cid, s.st AS cat, 2 + s.ord AS ord, 'volunteers' AS measure,
               s.n::numeric AS v, s.n AS people,
               (kompas_stats_disclose(array_agg(s.n) OVER w))[s.ord] AS why
          FROM statuses s
        WINDOW w AS (PARTITION BY s.cid ORDER BY s.ord
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ), now_cells AS (
        SELECT NULL::text AS per, s.cid, NULL::text AS cat, 1 AS ord, 'volunteers' AS measure,
               sum(s.n) AS v, sum(s.n)::bigint AS people
          FROM statuses s GROUP BY s.cid
        UNION ALL
        SELECT NULL, s.cid, NULL, 10, 'active', s.n::numeric, s.n
          FROM statuses s WHERE s.st = 'active'
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
        SELECT kompas_stats_period(t.completed_on::timestamp AT TIME ZONE 'UTC', p_unit) AS per,
               vol.cid, count(DISTINCT vol.id) AS n
          FROM vol
          JOIN volunteer_training t ON t.volunteer_id = vol.id AND t.module = 'intro'
         WHERE (p_from IS NULL OR t.completed_on >= p_from)
           AND (p_to IS NULL OR t.completed_on <= p_to)
         GROUP BY 1, 2
    ), work AS (
        SELECT kompas_stats_period(x.visited_on::timestamp AT TIME ZONE 'UTC', p_unit) AS per,
               vol.cid, 'visits' AS cat, vol.id AS vid, x.minutes
          FROM visit x
          JOIN course c ON c.id = x.course_id
          JOIN vol ON vol.id = c.volunteer_id
         WHERE x.guide_went
           AND (p_from IS NULL OR x.visited_on >= p_from)
           AND (p_to IS NULL OR x.visited_on <= p_to)
        UNION ALL
        SELECT kompas_stats_period(cv.held_on::timestamp AT TIME ZONE 'UTC', p_unit),
               vol.cid, 'conversations', vol.id, cv.duration_minutes
          FROM conversation cv
          JOIN vol ON vol.id = cv.volunteer_id
         WHERE (p_from IS NULL OR cv.held_on >= p_from)
           AND (p_to IS NULL OR cv.held_on <= p_to)
    ), hours AS (
        SELECT w.per, w.cid, w.cat, GROUPING(w.cat) = 1 AS total,
               round(sum(w.minutes) / 60.0, 1) AS v, count(DISTINCT w.vid) AS people
          FROM work w
         GROUP BY GROUPING SETS ((w.per, w.cid, w.cat), (w.per, w.cid))
    ), cells AS (
        SELECT s.per, s.cid, s.cat, s.ord, s.measure, s.v, s.why FROM status_cells s
        UNION ALL
        SELECT n.per, n.cid, n.cat, n.ord, n.measure, n.v,
               CASE WHEN n.people < 5 THEN 'count_under_5' END
          FROM now_cells n
        UNION ALL
        SELECT e.per, e.cid, e.cat, e.ord, e.measure, e.v,
               CASE WHEN e.people < 5 THEN 'count_under_5' END
          FROM exp_cells e
        UNION ALL
        SELECT t.per, t.cid, NULL, 20, 'newly_trained', t.n::numeric,
               CASE WHEN t.n < 5 THEN 'count_under_5' END
          FROM trained t
        UNION ALL
        SELECT h.per, h.cid, CASE WHEN h.total THEN NULL ELSE h.cat END,
               CASE WHEN h.total THEN 30 WHEN h.cat = 'visits' THEN 31 ELSE 32 END, 'hours', h.v,
               CASE WHEN h.people < 5 THEN 'fewer_than_5_people' END
          FROM hours h
    )
    SELECT d.per, d.cid, ce.slug, d.cat, d.measure,
           CASE WHEN d.why IS NULL THEN d.v END, d.why IS NOT NULL, d.why
      FROM cells d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_volunteers(date, date, uuid, text, boolean) IS 'Volunteers by status, active, newly trained, hours of visits and conversations, and expiring record checks and trainings, by period and centre, with disclosure control';

-- Associations: 'associations' now; 'welcome_training' now (those with a
-- welcome training date); 'newcomer_places' now (sum over those that have
-- given a number; suppressed over fewer than 5 associations); 'engaged'
-- (distinct associations with a visit or a referral sent in the period);
-- 'receiving_referrals' (distinct associations with a referral sent in the
-- period).
CREATE FUNCTION kompas_stats_associations(p_from date, p_to date, p_centre uuid, p_unit text,
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
    WITH assoc AS (
        SELECT a.id, a.welcome_training_on, a.newcomer_places,
               CASE WHEN p_by_centre THEN a.centre_id END AS cid
          FROM association a
         WHERE v_centre IS NULL OR a.centre_id = v_centre
    ), now_agg AS (
        SELECT a.cid, count(*) AS n,
               count(*) FILTER (WHERE a.welcome_training_on IS NOT NULL) AS welcome,
               sum(a.newcomer_places) AS places, count(a.newcomer_places) AS places_n
          FROM assoc a GROUP BY a.cid
    ), activity AS (
        SELECT kompas_stats_period(x.visited_on::timestamp AT TIME ZONE 'UTC', p_unit) AS per,
               a.cid, a.id, false AS referral
          FROM visit x
          JOIN assoc a ON a.id = x.association_id
         WHERE (p_from IS NULL OR x.visited_on >= p_from)
           AND (p_to IS NULL OR x.visited_on <= p_to)
        UNION ALL
        SELECT kompas_stats_period(r.sent_at, p_unit), a.cid, a.id, true
          FROM referral r
          JOIN assoc a ON a.id = r.association_id
         WHERE (p_from IS NULL OR r.sent_at >= p_from::timestamp AT TIME ZONE 'UTC')
           AND (p_to IS NULL OR r.sent_at < (p_to + 1)::timestamp AT TIME ZONE 'UTC')
    ), act_agg AS (
        SELECT x.per, x.cid, count(DISTINCT x.id) AS engaged,
               count(DISTINCT x.id) FILTER (WHERE x.referral) AS receiving
          FROM activity x GROUP BY x.per, x.cid
    ), cells AS (
        SELECT NULL::text AS per, n.cid, m.ord, m.measure, m.v, m.people, m.is_count
          FROM now_agg n
         CROSS JOIN LATERAL (VALUES
               (1, 'associations', n.n::numeric, n.n, true),
               (2, 'welcome_training', n.welcome::numeric, n.welcome, true),
               (3, 'newcomer_places', n.places::numeric, n.places_n, false)) m (ord, measure, v, people, is_count)
        UNION ALL
        SELECT x.per, x.cid, m.ord, m.measure, m.v, m.people, true
          FROM act_agg x
         CROSS JOIN LATERAL (VALUES
               (10, 'engaged', x.engaged::numeric, x.engaged),
               (11, 'receiving_referrals', x.receiving::numeric, x.receiving)) m (ord, measure, v, people)
    ), decided AS (
        SELECT c.*,
               CASE
                   WHEN c.is_count AND c.people < 5 THEN 'count_under_5'
                   WHEN NOT c.is_count AND c.people < 5 THEN 'fewer_than_5_people'
               END AS why
          FROM cells c
    )
    SELECT d.per, d.cid, ce.slug, NULL::text, d.measure,
           CASE WHEN d.why IS NULL THEN d.v END, d.why IS NOT NULL, d.why
      FROM decided d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.ord;
END
$$;
COMMENT ON FUNCTION kompas_stats_associations(date, date, uuid, text, boolean) IS 'Associations engaged, with welcome training, receiving referrals and newcomer places offered, by period and centre, with disclosure control';

REVOKE ALL ON FUNCTION kompas_stats_volunteers(date, date, uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_volunteers(date, date, uuid, text, boolean) TO kompas_app;
REVOKE ALL ON FUNCTION kompas_stats_associations(date, date, uuid, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_stats_associations(date, date, uuid, text, boolean) TO kompas_app;
