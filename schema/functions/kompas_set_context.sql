-- kompas_set_context: set the caller for this transaction (used for
-- anonymous requests and by scheduled jobs).
CREATE OR REPLACE FUNCTION kompas_set_context(p_role text, p_centre uuid, p_account uuid)
RETURNS void LANGUAGE sql VOLATILE AS $$
    SELECT set_config('kompas.role', p_role, true),
           set_config('kompas.centre_id', coalesce(p_centre::text, ''), true),
           set_config('kompas.account_id', coalesce(p_account::text, ''), true);
$$;
COMMENT ON FUNCTION kompas_set_context(text, uuid, uuid) IS 'Sets the caller of the current transaction for row-level security';
GRANT EXECUTE ON FUNCTION kompas_set_context(text, uuid, uuid) TO kompas_app;
