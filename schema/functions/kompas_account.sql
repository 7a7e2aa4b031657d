CREATE OR REPLACE FUNCTION kompas_account() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('kompas.account_id', true), '')::uuid $$;
COMMENT ON FUNCTION kompas_account() IS 'The account of the current transaction''s caller, if it is an account';
GRANT EXECUTE ON FUNCTION kompas_account() TO kompas_app;
