-- Write a centre's digest (counts of its work lists) for its coordinators.
CREATE OR REPLACE FUNCTION kompas_mail_write_digest(p_centre uuid, p_payload jsonb)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    day text := to_char((now() AT TIME ZONE 'Europe/Copenhagen')::date, 'YYYY-MM-DD');
    n integer := 0;
BEGIN
    INSERT INTO mail_outbox (centre_id, account_id, kind, payload, dedupe_key)
    SELECT p_centre, a.id, 'daily_digest', p_payload || jsonb_build_object('day', day),
           'daily_digest:' || a.id || ':' || day
      FROM account a
     WHERE a.centre_id = p_centre AND a.role = 'coordinator' AND a.disabled_at IS NULL
       AND NOT ('daily_digest' = ANY (a.mail_opt_out))
    ON CONFLICT (dedupe_key) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION kompas_mail_write_digest(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_mail_write_digest(uuid, jsonb) TO kompas_app;
