-- kompas_anonymise_due: every closed, declined or withdrawn request whose
-- centre's retention period has passed since it ended. Returns how many.
CREATE OR REPLACE FUNCTION kompas_anonymise_due() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer := 0;
    r record;
BEGIN
    FOR r IN SELECT q.id FROM request q JOIN centre c ON c.id = q.centre_id
              WHERE q.anonymised_at IS NULL AND q.state IN ('closed', 'declined', 'withdrawn')
                AND q.closed_at < now() - make_interval(months => c.retention_months)
              ORDER BY q.closed_at LIMIT 10000
    LOOP
        IF kompas_anonymise(r.id, 'the retention period after closing ended', NULL) THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION kompas_anonymise_due() IS 'Anonymises the requests whose retention period has ended; run by the maintenance job';
REVOKE ALL ON FUNCTION kompas_anonymise_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_anonymise_due() TO kompas_app;
