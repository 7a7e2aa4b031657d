-- An event's (or series') association belongs to the same centre. SECURITY
-- DEFINER: the check must see the association whatever the caller sees.
CREATE OR REPLACE FUNCTION event_association_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.association_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM association s
                        WHERE s.id = NEW.association_id AND s.centre_id = NEW.centre_id) THEN
        RAISE EXCEPTION 'the association must be one of the event''s centre'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION event_association_check() IS 'Trigger: an event''s or series'' association is one of its centre';
REVOKE ALL ON FUNCTION event_association_check() FROM PUBLIC;
