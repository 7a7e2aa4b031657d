-- Signatures this function had before (CREATE OR REPLACE cannot change a
-- return type): dropped when an older database still has them.
DROP FUNCTION IF EXISTS kompas_stats_associations(date, date, uuid, text, boolean);

-- Associations: 'associations' now; 'welcome_training' now (those with a
-- welcome training date); 'newcomer_places' now (sum over those that have
-- given a number; suppressed over fewer than 5 associations); 'engaged'
-- (distinct associations with a visit or a referral sent in the period);
-- 'receiving_referrals' (distinct associations with a referral sent in the
-- period). Measures of the present have period NULL whatever p_unit.
--
-- Over the window (kompas_stats_window), counts rounded, plus the hand-over
-- per association (category: its name): 'newcomers_followed_up', the courses
-- made in the window that aimed at it and have a follow-up result;
-- 'newcomers_still_taking_part', of those still taking part (suppressed under
-- 5, with the complementary cell of those not taking part); and next to them
-- 'welcome_training_on', its welcome-training date (value a date, YYYY-MM-DD;
-- empty when it has had none). Value is text for that date.
CREATE OR REPLACE FUNCTION kompas_stats_associations(p_from date, p_to date, p_centre uuid, p_unit text,
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
