CREATE OR REPLACE FUNCTION event_category_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM category c WHERE c.id = NEW.category_id
                      AND (c.centre_id IS NULL OR c.centre_id = NEW.centre_id)) THEN
        RAISE EXCEPTION 'the category must be shared or of the event''s centre'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION event_category_check() IS 'Trigger: an event''s category is shared or of the event''s centre';
REVOKE ALL ON FUNCTION event_category_check() FROM PUBLIC;
