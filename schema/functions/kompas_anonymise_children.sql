-- What anonymising one request clears. Resource migrations that add
-- personal fields elsewhere extend kompas_anonymise_children().
CREATE OR REPLACE FUNCTION kompas_anonymise_children(p_request uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE conversation SET summary_sealed = NULL WHERE request_id = p_request;
    UPDATE request_event SET note = NULL WHERE request_id = p_request;
    UPDATE visit SET note_sealed = NULL
     WHERE course_id IN (SELECT id FROM course WHERE request_id = p_request);
    UPDATE referral SET scheme_note = NULL WHERE request_id = p_request;
END
$$;
COMMENT ON FUNCTION kompas_anonymise_children(uuid) IS 'Clears personal data held in the tables that hang off a request (conversation summaries, staff notes, ...)';
REVOKE ALL ON FUNCTION kompas_anonymise_children(uuid) FROM PUBLIC;
