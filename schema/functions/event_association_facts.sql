-- An event written with a new association (or none) takes its facts; the
-- association is locked FOR SHARE, so that a concurrent change of its facts
-- either waits for this transaction (and then rewrites this event too) or
-- is seen. An event whose association stays takes the facts as they are
-- now (the association trigger below writes them this way too); values
-- written directly are overwritten either way.
CREATE OR REPLACE FUNCTION event_association_facts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.association_id IS NULL THEN
        NEW.association_places := false;
        NEW.association_welcome := false;
    ELSIF TG_OP = 'INSERT' OR NEW.association_id IS DISTINCT FROM OLD.association_id THEN
        SELECT coalesce(a.newcomer_places, 0) > 0, a.welcome_training_on IS NOT NULL
          INTO NEW.association_places, NEW.association_welcome
          FROM association a WHERE a.id = NEW.association_id FOR SHARE;
    ELSE
        SELECT coalesce(a.newcomer_places, 0) > 0, a.welcome_training_on IS NOT NULL
          INTO NEW.association_places, NEW.association_welcome
          FROM association a WHERE a.id = NEW.association_id;
    END IF;
    NEW.association_places := coalesce(NEW.association_places, false);
    NEW.association_welcome := coalesce(NEW.association_welcome, false);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION event_association_facts() IS 'Trigger: an event''s association_places and association_welcome from its association';
REVOKE ALL ON FUNCTION event_association_facts() FROM PUBLIC;
