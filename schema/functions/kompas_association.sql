-- The caller's association, for association-contact accounts. SECURITY
-- DEFINER so that the association policies do not depend on the account
-- policies (and cannot recurse through them).
CREATE OR REPLACE FUNCTION kompas_association() RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT a.association_id FROM account a
    WHERE a.id = kompas_account() AND a.role = 'association' AND a.disabled_at IS NULL $$;
COMMENT ON FUNCTION kompas_association() IS 'The association the transaction''s caller is the contact of (NULL unless the caller is an association account linked to one)';
REVOKE ALL ON FUNCTION kompas_association() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_association() TO kompas_app;
