-- kompas_login_succeeded: open a session and clear the e-mail's failures.
CREATE OR REPLACE FUNCTION kompas_login_succeeded(p_account uuid, p_email_subject bytea, p_token_hash bytea,
                                       p_lifetime interval, p_new_hash text)
RETURNS TABLE (session_id uuid, expires_at timestamptz, role text, centre_id uuid,
               display_name text, email text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    a record;
    s record;
BEGIN
    DELETE FROM login_throttle WHERE subject = p_email_subject;
    UPDATE account SET last_login_at = now(),
                       password_hash = coalesce(p_new_hash, account.password_hash)
     WHERE account.id = p_account AND account.disabled_at IS NULL
    RETURNING account.id, account.role, account.centre_id, account.display_name, account.email
         INTO a;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO session (account_id, centre_id, token_hash, expires_at)
    VALUES (a.id, a.centre_id, p_token_hash, now() + p_lifetime)
    RETURNING session.id, session.expires_at INTO s;
    RETURN QUERY SELECT s.id, s.expires_at, a.role, a.centre_id, a.display_name, a.email;
END
$$;
COMMENT ON FUNCTION kompas_login_succeeded(uuid, bytea, bytea, interval, text) IS 'Opens a session after a verified password (rehashing it when asked), clears failures, and returns the session and account';
REVOKE ALL ON FUNCTION kompas_login_succeeded(uuid, bytea, bytea, interval, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_login_succeeded(uuid, bytea, bytea, interval, text) TO kompas_app;
