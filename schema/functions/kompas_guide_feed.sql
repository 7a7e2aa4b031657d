-- The feed of an active token: one row kind 'feed' (the token is valid),
-- then the entries. Dates and times are local (Copenhagen); all-day entries
-- have dates YYYYMMDD, timed ones YYYYMMDDTHHMMSS.
CREATE OR REPLACE FUNCTION kompas_guide_feed(p_token_hash bytea)
RETURNS TABLE (uid text, kind text, title text, all_day boolean, starts text, ends text,
               place text, cancelled boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
WITH t AS (
    SELECT volunteer_id FROM guide_feed_token
     WHERE token_hash = p_token_hash AND revoked_at IS NULL
), today AS (
    SELECT (now() AT TIME ZONE 'Europe/Copenhagen')::date AS d
)
SELECT 'feed', 'feed', NULL, NULL, NULL, NULL, NULL, NULL FROM t
UNION ALL
SELECT 'visit-' || vi.id, 'visit', 'Følgeskab: ' || coalesce(e.title, a.name), true,
       to_char(vi.visited_on, 'YYYYMMDD'), to_char(vi.visited_on + 1, 'YYYYMMDD'),
       coalesce(a.name, e.address), false
  FROM t JOIN course c ON c.volunteer_id = t.volunteer_id
  JOIN visit vi ON vi.course_id = c.id
  LEFT JOIN event e ON e.id = vi.event_id
  LEFT JOIN association a ON a.id = vi.association_id
 WHERE vi.visited_on >= (SELECT d FROM today) - 30
UNION ALL
SELECT 'course-end-' || c.id, 'course_end',
       'Følgeskab slutter' || coalesce(': ' || coalesce(e.title, a.name), ''), true,
       to_char(c.planned_end, 'YYYYMMDD'), to_char(c.planned_end + 1, 'YYYYMMDD'), NULL, false
  FROM t JOIN course c ON c.volunteer_id = t.volunteer_id
  LEFT JOIN event e ON e.id = c.event_id
  LEFT JOIN association a ON a.id = c.association_id
 WHERE c.state IN ('planned', 'active') AND c.planned_end >= (SELECT d FROM today) - 30
UNION ALL
SELECT 'signup-' || s.id, 'signup', e.title, false,
       to_char(e.starts_at AT TIME ZONE 'Europe/Copenhagen', 'YYYYMMDD"T"HH24MISS'),
       to_char(e.ends_at AT TIME ZONE 'Europe/Copenhagen', 'YYYYMMDD"T"HH24MISS'),
       coalesce(e.address || coalesce(', ' || e.postal_code, ''), e.online_url), e.cancelled
  FROM t JOIN event_signup s ON s.volunteer_id = t.volunteer_id AND s.cancelled_at IS NULL
  JOIN event e ON e.id = s.event_id
 WHERE e.ends_at >= now() - interval '30 days'
$$;
COMMENT ON FUNCTION kompas_guide_feed(bytea) IS 'The private calendar feed of the guide holding an active feed token (by its keyed hash): a row kind feed when the token is valid, then their course visits and planned course ends (from 30 days back) and their active sign-ups; no citizen data';
REVOKE ALL ON FUNCTION kompas_guide_feed(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_guide_feed(bytea) TO kompas_app;
