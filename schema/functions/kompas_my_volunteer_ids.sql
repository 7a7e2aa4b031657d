-- Guides see the requests assigned to them; coordinators their centre's;
-- portals their centre's (the handlers show a portal only the status).
CREATE OR REPLACE FUNCTION kompas_my_volunteer_ids() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT id FROM volunteer WHERE account_id = kompas_account() $$;
COMMENT ON FUNCTION kompas_my_volunteer_ids() IS 'The volunteer records linked to the caller''s account (a guide''s own)';
REVOKE ALL ON FUNCTION kompas_my_volunteer_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_my_volunteer_ids() TO kompas_app;
