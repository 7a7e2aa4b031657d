-- Expired entries go with the maintenance job.
CREATE OR REPLACE FUNCTION kompas_idempotency_purge() RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM idempotency_key WHERE created_at < now() - interval '24 hours';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION kompas_idempotency_purge() IS 'Deletes stored idempotent answers older than 24 hours';
REVOKE ALL ON FUNCTION kompas_idempotency_purge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_idempotency_purge() TO kompas_app;
