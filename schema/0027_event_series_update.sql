-- 0027: a series can be changed after it was made. PATCH
-- /v1/event-series/{id} changes the template (title, place, capacity,
-- categories, ...) and, for the members sent, every occurrence that has not
-- started yet; occurrences already held keep what they were. The template
-- keeps its categories itself (until now they lived only on the
-- occurrences), so reading a series gives them back.

ALTER TABLE event_series ADD COLUMN category_ids uuid[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN event_series.category_ids IS 'The categories of the template (shared or of the centre), given to every occurrence made or changed from it';

-- Series made before this migration: the categories of their first
-- occurrence (every occurrence got the same ones).
UPDATE event_series s
   SET category_ids = ARRAY(SELECT ec.category_id
                              FROM event_category ec
                             WHERE ec.event_id = (SELECT e.id FROM event e WHERE e.series_id = s.id
                                                   ORDER BY e.starts_at, e.id LIMIT 1)
                             ORDER BY ec.category_id);

-- Coordinators change their centre's series (like its events).
CREATE POLICY event_series_update ON event_series FOR UPDATE
    USING (kompas_role() = 'coordinator' AND centre_id = kompas_centre())
    WITH CHECK (kompas_role() = 'coordinator' AND centre_id = kompas_centre());
GRANT UPDATE ON event_series TO kompas_app;
