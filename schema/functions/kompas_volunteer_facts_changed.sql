-- Statement-level on the volunteer's tables: a bulk change redoes each
-- volunteer once.
CREATE OR REPLACE FUNCTION kompas_volunteer_facts_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ids uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT volunteer_id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT volunteer_id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT x) INTO ids
          FROM (SELECT volunteer_id FROM new_rows UNION SELECT volunteer_id FROM old_rows) s (x);
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM kompas_volunteer_facts_redo(ids);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION kompas_volunteer_facts_changed() IS 'Trigger: redoes the matching facts of the volunteers whose trainings, record checks or availability changed';
REVOKE ALL ON FUNCTION kompas_volunteer_facts_changed() FROM PUBLIC;
