-- An association whose newcomer places or welcome training change (as the
-- suggestions see them: places > 0, a training date) rewrites the two facts
-- on its events (schema/0031_activity_candidates.sql).
CREATE OR REPLACE FUNCTION association_event_facts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF (coalesce(OLD.newcomer_places, 0) > 0) <> (coalesce(NEW.newcomer_places, 0) > 0)
       OR (OLD.welcome_training_on IS NULL) <> (NEW.welcome_training_on IS NULL) THEN
        UPDATE event
           SET association_places = coalesce(NEW.newcomer_places, 0) > 0,
               association_welcome = NEW.welcome_training_on IS NOT NULL
         WHERE association_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION association_event_facts() IS 'Trigger: an association''s events get its newcomer places and welcome training facts when they change';
REVOKE ALL ON FUNCTION association_event_facts() FROM PUBLIC;
