-- 0031: the activity suggestions read only the events and associations that
-- can still make the list (api/matching.c, matching_activities).
--
-- A candidate's score is its shared categories with the request, its postal
-- code against the request's, and two facts of its association: places for
-- newcomers, and the welcome training. Candidates with the same four values
-- score the same, and among equal scores events go earliest first
-- (starts_at, title, id) and associations by name (title, id). So of each
-- such class only the first N in that order can be among the best N: the
-- statement needs those, not every activity of the next 60 days (10,600
-- for the largest centre of the national dataset, docs/benchmarks.md).
--
-- Two things make that cheap:
-- * the two association facts are kept on the event rows (exact: triggers
--   below; tests/api/matching.test.mjs recounts them after each kind of
--   change), so that an index orders a centre's activities by postal code,
--   the two facts and time;
-- * matching_activity_candidates (schema/functions/) reads through that index as the schema
--   owner. Under row-level security PostgreSQL uses no operator that is not
--   leakproof (text >, for a skip scan over postal codes) as an index
--   condition, and estimates one row for every policy-filtered scan, so the
--   same probes as kompasd's role read every event of the centre. The
--   function is restricted to one centre and answers only a caller of that
--   centre (or an admin): exactly the rows the policies on event,
--   event_category, association and association_category show that caller.

ALTER TABLE event
    ADD COLUMN association_places boolean NOT NULL DEFAULT false,
    ADD COLUMN association_welcome boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN event.association_places IS 'Whether the event''s association has places for newcomers (newcomer_places > 0); false without an association; kept by triggers (0031)';
COMMENT ON COLUMN event.association_welcome IS 'Whether the event''s association has had the welcome training (welcome_training_on set); false without an association; kept by triggers (0031)';

UPDATE event e
   SET association_places = coalesce(a.newcomer_places, 0) > 0,
       association_welcome = a.welcome_training_on IS NOT NULL
  FROM association a
 WHERE a.id = e.association_id
   AND (coalesce(a.newcomer_places, 0) > 0 OR a.welcome_training_on IS NOT NULL);

CREATE INDEX event_activity_class ON event
    (centre_id, (coalesce(postal_code, '')), association_places, association_welcome, starts_at)
    WHERE kind = 'activity' AND NOT cancelled;
COMMENT ON INDEX event_activity_class IS 'A centre''s activities by the classes the activity suggestions score alike (postal code, the association''s two facts), earliest first';

\ir functions/event_association_facts.sql
CREATE TRIGGER event_association_facts
    BEFORE INSERT OR UPDATE OF association_id, association_places, association_welcome ON event
    FOR EACH ROW EXECUTE FUNCTION event_association_facts();

\ir functions/association_event_facts.sql
CREATE TRIGGER association_event_facts
    AFTER UPDATE OF newcomer_places, welcome_training_on ON association
    FOR EACH ROW EXECUTE FUNCTION association_event_facts();

