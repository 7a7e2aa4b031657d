CREATE OR REPLACE FUNCTION kompas_contact_association() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT a.association_id FROM account a
    WHERE a.id = kompas_account() AND a.role = 'association' AND a.disabled_at IS NULL $$;
COMMENT ON FUNCTION kompas_contact_association() IS 'The association the caller is the contact of (NULL unless an enabled association account linked to one)';
REVOKE ALL ON FUNCTION kompas_contact_association() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_contact_association() TO kompas_app;
