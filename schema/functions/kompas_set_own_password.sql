-- kompas_set_own_password: the caller's own password, whatever its role
-- (row-level security lets only admins and coordinators write accounts).
CREATE OR REPLACE FUNCTION kompas_set_own_password(p_hash text)
RETURNS boolean LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE account SET password_hash = p_hash, updated_at = now(), version = version + 1
     WHERE id = kompas_account() AND disabled_at IS NULL
    RETURNING true;
$$;
COMMENT ON FUNCTION kompas_set_own_password(text) IS 'Sets the password of the transaction''s caller (an account), nobody else''s';
REVOKE ALL ON FUNCTION kompas_set_own_password(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_set_own_password(text) TO kompas_app;
