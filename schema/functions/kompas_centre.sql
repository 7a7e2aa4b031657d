-- The transaction's caller, as set by kompas_authenticate or kompas_set_context.
CREATE OR REPLACE FUNCTION kompas_centre() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('kompas.centre_id', true), '')::uuid $$;
COMMENT ON FUNCTION kompas_centre() IS 'The centre of the current transaction''s caller (NULL for national roles and anonymous callers)';
GRANT EXECUTE ON FUNCTION kompas_centre() TO kompas_app;
