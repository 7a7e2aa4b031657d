-- kompas_anonymise: anonymise one request now; idempotent (false when it
-- already was). The caller's context (or 'system') goes into the access log.
CREATE OR REPLACE FUNCTION kompas_anonymise(p_request uuid, p_purpose text, p_request_id text)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
BEGIN
    UPDATE request
       SET name_sealed = NULL, phone_sealed = NULL, email_sealed = NULL,
           address_sealed = NULL, notes_sealed = NULL, phone_bidx = NULL, email_bidx = NULL,
           portal_reference = NULL,
           postal_code = CASE WHEN postal_code IS NULL THEN NULL
                              ELSE left(postal_code, 2) || '00' END,
           anonymised_at = now(), updated_at = now(), version = version + 1
     WHERE id = p_request AND anonymised_at IS NULL
    RETURNING id, centre_id INTO r;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM kompas_anonymise_children(p_request);
    INSERT INTO access_log (centre_id, actor_kind, actor_id, actor_role, action, subject,
                            subject_id, purpose, request_id)
    VALUES (r.centre_id,
            CASE WHEN kompas_role() = 'anonymous' THEN 'system' ELSE 'account' END,
            kompas_account(),
            CASE WHEN kompas_role() = 'anonymous' THEN 'system' ELSE kompas_role() END,
            'anonymise', 'request', r.id, p_purpose, p_request_id);
    RETURN true;
END
$$;
COMMENT ON FUNCTION kompas_anonymise(uuid, text, text) IS 'Removes a request''s personal data (idempotent) and logs it; statistics stay';
REVOKE ALL ON FUNCTION kompas_anonymise(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_anonymise(uuid, text, text) TO kompas_app;
