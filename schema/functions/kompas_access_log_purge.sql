-- kompas_access_log_purge: delete access-log entries older than the
-- retention period (at least 30 days). The only way entries disappear.
CREATE OR REPLACE FUNCTION kompas_access_log_purge(p_keep interval)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF p_keep < interval '30 days' THEN
        RAISE EXCEPTION 'access log retention must be at least 30 days';
    END IF;
    DELETE FROM access_log WHERE at < now() - p_keep;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION kompas_access_log_purge(interval) IS 'Deletes access-log entries older than the retention period; returns how many';
REVOKE ALL ON FUNCTION kompas_access_log_purge(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_access_log_purge(interval) TO kompas_app;
