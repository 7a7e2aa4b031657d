-- Queue the mail of an event, in the caller's transaction, for every
-- account that should hear of it and has not switched the kind off:
--   new_request  p_ref = request: the centre's coordinators
--   assignment   p_ref = request: the assigned guide's account
--   referral     p_ref = referral: the association's contact accounts
-- Only references of the caller's centre count. Returns the rows written.
CREATE OR REPLACE FUNCTION kompas_mail_enqueue(p_kind text, p_ref uuid)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer := 0;
BEGIN
    IF p_kind = 'new_request' THEN
        INSERT INTO mail_outbox (centre_id, account_id, kind, payload)
        SELECT r.centre_id, a.id, p_kind, jsonb_build_object('request_id', r.id)
          FROM request r JOIN account a ON a.centre_id = r.centre_id AND a.role = 'coordinator'
         WHERE r.id = p_ref AND r.centre_id = kompas_centre() AND a.disabled_at IS NULL
           AND NOT (p_kind = ANY (a.mail_opt_out));
    ELSIF p_kind = 'assignment' THEN
        INSERT INTO mail_outbox (centre_id, account_id, kind, payload)
        SELECT r.centre_id, a.id, p_kind, jsonb_build_object('request_id', r.id)
          FROM request r JOIN volunteer v ON v.id = r.assigned_volunteer_id
          JOIN account a ON a.id = v.account_id AND a.role = 'guide'
         WHERE r.id = p_ref AND r.centre_id = kompas_centre() AND a.disabled_at IS NULL
           AND NOT (p_kind = ANY (a.mail_opt_out));
    ELSIF p_kind = 'referral' THEN
        INSERT INTO mail_outbox (centre_id, account_id, kind, payload)
        SELECT f.centre_id, a.id, p_kind, jsonb_build_object('referral_id', f.id)
          FROM referral f JOIN account a ON a.association_id = f.association_id
                                        AND a.role = 'association'
         WHERE f.id = p_ref AND f.centre_id = kompas_centre() AND a.disabled_at IS NULL
           AND NOT (p_kind = ANY (a.mail_opt_out));
    ELSE
        RAISE EXCEPTION 'unknown mail kind %', p_kind USING ERRCODE = '22023';
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION kompas_mail_enqueue(text, uuid) IS 'Writes the mails of a new_request, assignment or referral event to the outbox, for the accounts that want them';
REVOKE ALL ON FUNCTION kompas_mail_enqueue(text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_mail_enqueue(text, uuid) TO kompas_app;
