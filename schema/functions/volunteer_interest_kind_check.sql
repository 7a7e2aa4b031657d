CREATE OR REPLACE FUNCTION volunteer_interest_kind_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM category c
                    WHERE c.id = NEW.category_id AND c.kind IN ('interest', 'activity')) THEN
        RAISE EXCEPTION 'a volunteer''s interest must be an interest or activity category'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION volunteer_interest_kind_check() IS 'Trigger: a volunteer''s interest is a category of kind interest or activity';
REVOKE ALL ON FUNCTION volunteer_interest_kind_check() FROM PUBLIC;
