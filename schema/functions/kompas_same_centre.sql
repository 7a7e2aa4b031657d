CREATE OR REPLACE FUNCTION kompas_same_centre(p_centre uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT kompas_role() = 'admin' OR p_centre = kompas_centre() $$;
COMMENT ON FUNCTION kompas_same_centre(uuid) IS 'True when the transaction''s caller is an admin or belongs to centre p_centre';
GRANT EXECUTE ON FUNCTION kompas_same_centre(uuid) TO kompas_app;
