-- The person signed up belongs to the event's centre: a volunteer of it, or
-- an association-contact account of it.
CREATE OR REPLACE FUNCTION event_signup_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.volunteer_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM volunteer v
                        WHERE v.id = NEW.volunteer_id AND v.centre_id = NEW.centre_id) THEN
        RAISE EXCEPTION 'the volunteer must be one of the event''s centre'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.account_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM account a WHERE a.id = NEW.account_id
                          AND a.centre_id = NEW.centre_id AND a.role = 'association') THEN
        RAISE EXCEPTION 'the account must be an association contact of the event''s centre'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION event_signup_check() IS 'Trigger: the person signed up is a volunteer or an association contact of the event''s centre';
REVOKE ALL ON FUNCTION event_signup_check() FROM PUBLIC;
