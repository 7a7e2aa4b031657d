-- 0013: data-protection duties: anonymising a request (on the citizen's
-- request, or when a closed request's retention period has ended) removes
-- every personal field and free text while states, dates, outcomes and
-- scores stay for the statistics.

ALTER TABLE request DROP CONSTRAINT request_check1;
ALTER TABLE request ADD CONSTRAINT request_portal_has_reference
    CHECK (source <> 'portal' OR portal_reference IS NOT NULL OR anonymised_at IS NOT NULL);

-- What anonymising one request clears. Resource migrations that add
-- personal fields elsewhere extend kompas_anonymise_children().
CREATE FUNCTION kompas_anonymise_children(p_request uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE conversation SET summary_sealed = NULL WHERE request_id = p_request;
    UPDATE request_event SET note = NULL WHERE request_id = p_request;
END
$$;
COMMENT ON FUNCTION kompas_anonymise_children(uuid) IS 'Clears personal data held in the tables that hang off a request (conversation summaries, staff notes, ...)';

-- kompas_anonymise: anonymise one request now; idempotent (false when it
-- already was). The caller's context (or 'system') goes into the access log.
CREATE FUNCTION kompas_anonymise(p_request uuid, p_purpose text, p_request_id text)
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

-- kompas_anonymise_due: every closed, declined or withdrawn request whose
-- centre's retention period has passed since it ended. Returns how many.
CREATE FUNCTION kompas_anonymise_due() RETURNS integer
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

REVOKE ALL ON FUNCTION kompas_anonymise_children(uuid), kompas_anonymise(uuid, text, text),
    kompas_anonymise_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_anonymise(uuid, text, text), kompas_anonymise_due() TO kompas_app;
