-- A guide changes only their own contact details, languages, areas,
-- availability and capacity; the linked account is a guide account of the
-- volunteer's centre, and the recruiting association one of that centre.
CREATE OR REPLACE FUNCTION volunteer_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND kompas_role() = 'guide'
       AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.name IS DISTINCT FROM OLD.name
            OR NEW.centre_id IS DISTINCT FROM OLD.centre_id
            OR NEW.account_id IS DISTINCT FROM OLD.account_id
            OR NEW.recruited_via IS DISTINCT FROM OLD.recruited_via
            OR NEW.recruited_association_id IS DISTINCT FROM OLD.recruited_association_id
            OR NEW.notes IS DISTINCT FROM OLD.notes) THEN
        RAISE EXCEPTION 'a guide changes only their contact details, languages, postal areas, availability and capacity'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.account_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.account_id IS DISTINCT FROM OLD.account_id)
       AND NOT EXISTS (SELECT 1 FROM account a WHERE a.id = NEW.account_id AND a.role = 'guide'
                                              AND a.centre_id = NEW.centre_id) THEN
        RAISE EXCEPTION 'the linked account must be a guide account of the volunteer''s centre'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.recruited_association_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.recruited_association_id IS DISTINCT FROM OLD.recruited_association_id)
       AND NOT EXISTS (SELECT 1 FROM association s WHERE s.id = NEW.recruited_association_id
                                                  AND s.centre_id = NEW.centre_id) THEN
        RAISE EXCEPTION 'the recruiting association must be one of the volunteer''s centre'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION volunteer_guard() IS 'Trigger: guides change only their own contact details, languages, areas and capacity; linked account and recruiting association belong to the volunteer''s centre';
