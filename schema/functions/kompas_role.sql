CREATE OR REPLACE FUNCTION kompas_role() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(nullif(current_setting('kompas.role', true), ''), 'anonymous') $$;
COMMENT ON FUNCTION kompas_role() IS 'The role of the current transaction''s caller, or anonymous';
GRANT EXECUTE ON FUNCTION kompas_role() TO kompas_app;
