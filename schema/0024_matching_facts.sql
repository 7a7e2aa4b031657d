-- 0024: what the guide suggestions' hard rules read is kept on the
-- volunteer row itself, by triggers, so the suggestions read the centre's
-- volunteers once (api/matching.c) instead of four other tables per
-- volunteer, each behind its own row-level security.
--
-- Measured on the national dataset (docs/benchmarks.md): for the largest
-- centre (1,925 volunteers) the set-based statement over the four tables
-- took 190-200 ms, most of it row-level security (each row of
-- volunteer_training, volunteer_record_check and volunteer_availability
-- checked against volunteer); reading these columns takes a few ms.
--
-- The columns are exact, not estimates: each trigger locks the volunteer
-- row and then recounts from the source table (a fresh snapshot after the
-- lock under READ COMMITTED; a serialization failure, retried, under
-- REPEATABLE READ; lib/db.c retries those and deadlocks), so concurrent
-- writers cannot lose an update. tests/api/matching.test.mjs checks them
-- against a recount after every kind of change.
--
-- The row-level security of the volunteer's own tables also moves from
-- volunteer_id IN (SELECT id FROM volunteer), a scan of every volunteer
-- visible to the caller on each statement, to a correlated EXISTS (as 0022
-- did for the tables of a request). The same rows are visible as before.

ALTER TABLE volunteer
    ADD COLUMN intro_valid datemultirange NOT NULL DEFAULT '{}',
    ADD COLUMN record_check_valid datemultirange NOT NULL DEFAULT '{}',
    ADD COLUMN availability_slots integer NOT NULL DEFAULT 0 CHECK (availability_slots >= 0),
    ADD COLUMN open_requests integer NOT NULL DEFAULT 0 CHECK (open_requests >= 0);
COMMENT ON COLUMN volunteer.intro_valid IS 'The days on which the volunteer holds a valid intro module (from volunteer_training, completed_on to expires_on); kept by a trigger';
COMMENT ON COLUMN volunteer.record_check_valid IS 'The days covered by a clear criminal-record check (from volunteer_record_check, checked_on to valid_until); kept by a trigger';
COMMENT ON COLUMN volunteer.availability_slots IS 'How many weekly slots the volunteer has (volunteer_availability); kept by a trigger';
COMMENT ON COLUMN volunteer.open_requests IS 'Requests assigned to the volunteer that are not closed, declined or withdrawn (their load); kept by a trigger on request';

\ir functions/kompas_volunteer_facts_redo.sql
\ir functions/kompas_volunteer_facts_changed.sql

CREATE TRIGGER volunteer_training_facts_ins AFTER INSERT ON volunteer_training
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kompas_volunteer_facts_changed();
CREATE TRIGGER volunteer_training_facts_upd AFTER UPDATE ON volunteer_training
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kompas_volunteer_facts_changed();
CREATE TRIGGER volunteer_training_facts_del AFTER DELETE ON volunteer_training
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kompas_volunteer_facts_changed();
CREATE TRIGGER volunteer_record_check_facts_ins AFTER INSERT ON volunteer_record_check
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kompas_volunteer_facts_changed();
CREATE TRIGGER volunteer_record_check_facts_upd AFTER UPDATE ON volunteer_record_check
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kompas_volunteer_facts_changed();
CREATE TRIGGER volunteer_record_check_facts_del AFTER DELETE ON volunteer_record_check
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kompas_volunteer_facts_changed();
CREATE TRIGGER volunteer_availability_facts_ins AFTER INSERT ON volunteer_availability
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kompas_volunteer_facts_changed();
CREATE TRIGGER volunteer_availability_facts_upd AFTER UPDATE ON volunteer_availability
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kompas_volunteer_facts_changed();
CREATE TRIGGER volunteer_availability_facts_del AFTER DELETE ON volunteer_availability
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kompas_volunteer_facts_changed();

\ir functions/kompas_volunteer_load_changed.sql

CREATE TRIGGER request_volunteer_load_ins AFTER INSERT ON request
    FOR EACH ROW WHEN (NEW.assigned_volunteer_id IS NOT NULL)
    EXECUTE FUNCTION kompas_volunteer_load_changed();
CREATE TRIGGER request_volunteer_load_upd AFTER UPDATE OF assigned_volunteer_id, state ON request
    FOR EACH ROW
    WHEN (OLD.assigned_volunteer_id IS DISTINCT FROM NEW.assigned_volunteer_id
          OR (OLD.state IS DISTINCT FROM NEW.state AND NEW.assigned_volunteer_id IS NOT NULL))
    EXECUTE FUNCTION kompas_volunteer_load_changed();
CREATE TRIGGER request_volunteer_load_del AFTER DELETE ON request
    FOR EACH ROW WHEN (OLD.assigned_volunteer_id IS NOT NULL)
    EXECUTE FUNCTION kompas_volunteer_load_changed();

-- The facts of the volunteers there are now.
SELECT kompas_volunteer_facts_redo(array_agg(id)) FROM volunteer;

ALTER POLICY volunteer_interest_tenant ON volunteer_interest
    USING (kompas_same_centre(centre_id)
           AND EXISTS (SELECT 1 FROM volunteer v WHERE v.id = volunteer_interest.volunteer_id))
    WITH CHECK (kompas_same_centre(centre_id)
                AND EXISTS (SELECT 1 FROM volunteer v WHERE v.id = volunteer_interest.volunteer_id)
                AND kompas_role() IN ('admin', 'coordinator', 'guide'));
ALTER POLICY volunteer_availability_tenant ON volunteer_availability
    USING (kompas_same_centre(centre_id)
           AND EXISTS (SELECT 1 FROM volunteer v WHERE v.id = volunteer_availability.volunteer_id))
    WITH CHECK (kompas_same_centre(centre_id)
                AND EXISTS (SELECT 1 FROM volunteer v WHERE v.id = volunteer_availability.volunteer_id)
                AND kompas_role() IN ('admin', 'coordinator', 'guide'));
ALTER POLICY volunteer_training_read ON volunteer_training
    USING (kompas_same_centre(centre_id)
           AND EXISTS (SELECT 1 FROM volunteer v WHERE v.id = volunteer_training.volunteer_id));
ALTER POLICY volunteer_record_check_read ON volunteer_record_check
    USING (kompas_same_centre(centre_id)
           AND EXISTS (SELECT 1 FROM volunteer v WHERE v.id = volunteer_record_check.volunteer_id));
ALTER POLICY volunteer_status_change_read ON volunteer_status_change
    USING (kompas_same_centre(centre_id)
           AND EXISTS (SELECT 1 FROM volunteer v WHERE v.id = volunteer_status_change.volunteer_id));

-- The functions this migration created or changed are in schema/functions/:
-- kompas_volunteer_facts_redo, kompas_volunteer_facts_changed,
-- kompas_volunteer_load_changed, matching_area_one.
