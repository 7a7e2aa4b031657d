-- The load follows the requests: the volunteers a request was and is
-- assigned to, when its assignment or state changes. Row-level with WHEN
-- and UPDATE OF, so the many updates of a request that change neither (its
-- details, reached_states, ...) do not call the function at all.
CREATE OR REPLACE FUNCTION kompas_volunteer_load_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM kompas_volunteer_facts_redo(ARRAY[NEW.assigned_volunteer_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM kompas_volunteer_facts_redo(ARRAY[OLD.assigned_volunteer_id]);
    ELSE
        PERFORM kompas_volunteer_facts_redo(
            ARRAY(SELECT DISTINCT x FROM unnest(ARRAY[OLD.assigned_volunteer_id,
                                                      NEW.assigned_volunteer_id]) x
                   WHERE x IS NOT NULL));
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION kompas_volunteer_load_changed() IS 'Trigger: redoes the load (open_requests) of the volunteers a changed request was or is assigned to';
REVOKE ALL ON FUNCTION kompas_volunteer_load_changed() FROM PUBLIC;
