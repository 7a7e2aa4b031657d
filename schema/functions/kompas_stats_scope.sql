-- The centre the caller may aggregate: a coordinator their own (naming
-- another is refused), an analyst the named one or NULL for all.
CREATE OR REPLACE FUNCTION kompas_stats_scope(p_centre uuid) RETURNS uuid
LANGUAGE plpgsql STABLE AS
$$
BEGIN
    IF kompas_role() = 'analyst' THEN
        RETURN p_centre;
    END IF;
    IF kompas_role() = 'coordinator' AND kompas_centre() IS NOT NULL THEN
        IF p_centre IS NOT NULL AND p_centre <> kompas_centre() THEN
            RAISE EXCEPTION 'statistics of another centre' USING ERRCODE = '42501';
        END IF;
        RETURN kompas_centre();
    END IF;
    RAISE EXCEPTION 'statistics are for analysts and coordinators' USING ERRCODE = '42501';
END
$$;
COMMENT ON FUNCTION kompas_stats_scope(uuid) IS 'The centre (NULL: all) the caller may aggregate; raises 42501 otherwise';
REVOKE ALL ON FUNCTION kompas_stats_scope(uuid) FROM PUBLIC;
