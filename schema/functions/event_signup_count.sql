-- event.signup_count follows the active sign-ups. The update takes the
-- event row's lock, and event_capacity_kept refuses a count above capacity:
-- the last line of defence behind the API's SELECT ... FOR UPDATE.
CREATE OR REPLACE FUNCTION event_signup_count() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    d integer := 0;
BEGIN
    IF TG_OP = 'INSERT' THEN
        d := CASE WHEN NEW.cancelled_at IS NULL THEN 1 ELSE 0 END;
    ELSIF OLD.cancelled_at IS NULL AND NEW.cancelled_at IS NOT NULL THEN
        d := -1;
    ELSIF OLD.cancelled_at IS NOT NULL AND NEW.cancelled_at IS NULL THEN
        d := 1;
    END IF;
    IF d <> 0 THEN
        UPDATE event SET signup_count = signup_count + d WHERE id = NEW.event_id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION event_signup_count() IS 'Trigger: keeps event.signup_count equal to the event''s active sign-ups';
REVOKE ALL ON FUNCTION event_signup_count() FROM PUBLIC;
