-- The candidates of the activity suggestions for a request of centre
-- p_centre with postal code p_postal and categories p_categories: of each
-- class of equal score, the first p_limit events (upcoming activities of
-- the next 60 days, not cancelled, not full) and associations of the
-- centre, with what they are scored by. The events sharing a category are
-- found through event_category; the others by a skip scan of
-- event_activity_class over the centre's postal codes ('' for none), the
-- earliest p_limit of each postal code and pair of facts (a finer split
-- than the classes, so the classes' first p_limit are among them). The
-- associations likewise (0035, below). No rows
-- unless the caller may see the centre. PL/pgSQL, so that each statement
-- is parsed once per connection, and with plan_cache_mode =
-- force_custom_plan, so that each is planned for the centre, postal code
-- and categories of the call: a generic plan, made for an average centre
-- (157 associations, against 1,512 for the largest of the national
-- dataset), probed association_category once per association of the
-- centre and sorted the third area's associations. PostgreSQL's plan
-- cache switched the associations' statement to its generic plan from the
-- sixth call on a connection, and the function took 11-16 ms a call for
-- the largest centre against 6-10 ms with custom plans, which cost about
-- 1.6 ms of planning a call (docs/benchmarks.md, 2026-12-07 20:15).
CREATE OR REPLACE FUNCTION matching_activity_candidates(p_centre uuid, p_postal text, p_categories uuid[],
                                             p_limit int)
RETURNS TABLE (kind text, id uuid, title text, starts_at timestamptz, association_id uuid,
               association_name text, postal_code text, shared int, places boolean,
               welcome boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    SET plan_cache_mode = force_custom_plan AS $$
#variable_conflict use_column
BEGIN
RETURN QUERY
WITH RECURSIVE ok AS (SELECT kompas_same_centre(p_centre) AS ok),
esh AS MATERIALIZED (
  SELECT ec.event_id, count(*)::int AS n
    FROM event_category ec, ok
   WHERE ok.ok AND ec.category_id = ANY (p_categories) AND ec.centre_id = p_centre
   GROUP BY ec.event_id),
es AS (
  SELECT e.id, e.title, e.starts_at, e.association_id, e.postal_code, esh.n AS shared,
         e.association_places AS places, e.association_welcome AS welcome
    FROM esh JOIN event e ON e.id = esh.event_id
   WHERE e.centre_id = p_centre AND e.kind = 'activity' AND NOT e.cancelled
     AND e.starts_at >= now() AND e.starts_at < now() + interval '60 days'
     AND (e.capacity IS NULL OR e.signup_count < e.capacity)),
pc (code) AS (
  (SELECT coalesce(e.postal_code, '') FROM event e, ok
    WHERE ok.ok AND e.centre_id = p_centre AND e.kind = 'activity' AND NOT e.cancelled
    ORDER BY coalesce(e.postal_code, '') LIMIT 1)
  UNION ALL
  SELECT (SELECT coalesce(e.postal_code, '') FROM event e
           WHERE e.centre_id = p_centre AND e.kind = 'activity' AND NOT e.cancelled
             AND coalesce(e.postal_code, '') > pc.code
           ORDER BY coalesce(e.postal_code, '') LIMIT 1)
    FROM pc WHERE pc.code IS NOT NULL),
eo AS (
  SELECT g.* FROM pc
   CROSS JOIN (VALUES (true, true), (true, false), (false, true), (false, false)) f (p, w)
   CROSS JOIN LATERAL (
    SELECT e.id, e.title, e.starts_at, e.association_id, e.postal_code, 0 AS shared,
           e.association_places AS places, e.association_welcome AS welcome
      FROM event e
     WHERE e.centre_id = p_centre AND e.kind = 'activity' AND NOT e.cancelled
       AND coalesce(e.postal_code, '') = pc.code
       AND e.association_places = f.p AND e.association_welcome = f.w
       AND e.starts_at >= now() AND e.starts_at < now() + interval '60 days'
       AND (e.capacity IS NULL OR e.signup_count < e.capacity)
       AND NOT EXISTS (SELECT 1 FROM esh WHERE esh.event_id = e.id)
     ORDER BY e.starts_at, e.title, e.id LIMIT p_limit) g
   WHERE pc.code IS NOT NULL),
ev AS (
  SELECT c.*, matching_area_one(p_postal, c.postal_code) AS area
    FROM (SELECT * FROM es UNION ALL SELECT * FROM eo) c),
evk AS (
  SELECT ev.*, row_number() OVER (PARTITION BY ev.shared, ev.area, ev.places, ev.welcome
                                  ORDER BY ev.starts_at, ev.title, ev.id) AS k
    FROM ev)
SELECT 'event'::text, evk.id, evk.title, evk.starts_at, evk.association_id,
       (SELECT a.name FROM association a WHERE a.id = evk.association_id), evk.postal_code,
       evk.shared, evk.places, evk.welcome
  FROM evk
 WHERE evk.k <= p_limit;
-- A statement of its own, planned apart from the events'.
RETURN QUERY
WITH ok AS (SELECT kompas_same_centre(p_centre) AS ok),
-- The centre's associations that share a category with the request: all
-- scored. The others score 0 for categories, and of each area (the same
-- postal code, the same first two digits, neither) and pair of facts only
-- the first p_limit by name can make the list: read in name order through
-- the indexes of 0035, skipping those that share a category.
ash AS (
  SELECT a.id AS association_id, a.name, a.postal_code, a.newcomer_places, a.welcome_training_on,
         count(*)::int AS n
    FROM association_category ac JOIN association a ON a.id = ac.association_id, ok
   WHERE ok.ok AND ac.category_id = ANY (p_categories) AND a.centre_id = p_centre
   GROUP BY a.id),
facts (p, w) AS (VALUES (true, true), (true, false), (false, true), (false, false)),
acand AS (
  SELECT ash.association_id AS id, ash.name, ash.postal_code, ash.newcomer_places, ash.welcome_training_on
    FROM ash
  UNION ALL
  SELECT g.* FROM ok CROSS JOIN facts f CROSS JOIN LATERAL (
    SELECT a.id, a.name, a.postal_code, a.newcomer_places, a.welcome_training_on
      FROM association a
     WHERE a.centre_id = p_centre AND a.postal_code = p_postal
       AND (coalesce(a.newcomer_places, 0) > 0) = f.p AND (a.welcome_training_on IS NOT NULL) = f.w
       AND NOT EXISTS (SELECT 1 FROM association_category ac
                        WHERE ac.association_id = a.id AND ac.category_id = ANY (p_categories))
     ORDER BY a.name, a.id LIMIT p_limit) g
   WHERE ok.ok
  UNION ALL
  SELECT g.* FROM ok CROSS JOIN facts f CROSS JOIN LATERAL (
    SELECT a.id, a.name, a.postal_code, a.newcomer_places, a.welcome_training_on
      FROM association a
     WHERE a.centre_id = p_centre AND left(a.postal_code, 2) = left(p_postal, 2)
       AND a.postal_code <> p_postal
       AND (coalesce(a.newcomer_places, 0) > 0) = f.p AND (a.welcome_training_on IS NOT NULL) = f.w
       AND NOT EXISTS (SELECT 1 FROM association_category ac
                        WHERE ac.association_id = a.id AND ac.category_id = ANY (p_categories))
     ORDER BY a.name, a.id LIMIT p_limit) g
   WHERE ok.ok
  UNION ALL
  SELECT g.* FROM ok CROSS JOIN facts f CROSS JOIN LATERAL (
    SELECT a.id, a.name, a.postal_code, a.newcomer_places, a.welcome_training_on
      FROM association a
     WHERE a.centre_id = p_centre
       AND (coalesce(a.newcomer_places, 0) > 0) = f.p AND (a.welcome_training_on IS NOT NULL) = f.w
       AND (p_postal IS NULL OR a.postal_code IS NULL OR left(a.postal_code, 2) <> left(p_postal, 2))
       AND NOT EXISTS (SELECT 1 FROM association_category ac
                        WHERE ac.association_id = a.id AND ac.category_id = ANY (p_categories))
     ORDER BY a.name, a.id LIMIT p_limit) g
   WHERE ok.ok),
an AS (
  SELECT ao.id, ao.name, ao.postal_code, coalesce(ash.n, 0) AS shared,
         coalesce(ao.newcomer_places, 0) > 0 AS places, ao.welcome_training_on IS NOT NULL AS welcome,
         matching_area_one(p_postal, ao.postal_code) AS area
    FROM acand ao LEFT JOIN ash ON ash.association_id = ao.id),
ank AS (
  SELECT an.*, row_number() OVER (PARTITION BY an.shared, an.area, an.places, an.welcome
                                  ORDER BY an.name, an.id) AS k
    FROM an)
SELECT 'association'::text, ank.id, ank.name, NULL::timestamptz, ank.id, ank.name, ank.postal_code, ank.shared,
       ank.places, ank.welcome
  FROM ank
 WHERE ank.k <= p_limit;
END
$$;
COMMENT ON FUNCTION matching_activity_candidates(uuid, text, uuid[], int) IS 'The activity suggestions'' candidates for a request of a centre: of each class of equal score, the first p_limit upcoming activities and associations (0031); none unless the caller may see the centre';
REVOKE ALL ON FUNCTION matching_activity_candidates(uuid, text, uuid[], int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION matching_activity_candidates(uuid, text, uuid[], int) TO kompas_app;
