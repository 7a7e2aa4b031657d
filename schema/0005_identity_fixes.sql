-- 0005: tighter account visibility, own-password changes for national
-- accounts, and a 15-minute window for login failures.

-- Accounts: admins see all; coordinators their centre's; everyone else only
-- their own row. Writes: admins, and coordinators within their centre.
DROP POLICY account_tenant ON account;
CREATE POLICY account_tenant ON account
    USING (kompas_role() = 'admin'
           OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre())
           OR id = kompas_account())
    WITH CHECK (kompas_role() = 'admin'
                OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre()));

-- kompas_set_own_password: the caller's own password, whatever its role
-- (row-level security lets only admins and coordinators write accounts).
CREATE FUNCTION kompas_set_own_password(p_hash text)
RETURNS boolean LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE account SET password_hash = p_hash, updated_at = now(), version = version + 1
     WHERE id = kompas_account() AND disabled_at IS NULL
    RETURNING true;
$$;
COMMENT ON FUNCTION kompas_set_own_password(text) IS 'Sets the password of the transaction''s caller (an account), nobody else''s';
REVOKE ALL ON FUNCTION kompas_set_own_password(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_set_own_password(text) TO kompas_app;

-- Failures count within a 15-minute window: a success does not clear an
-- address's count (an attacker with one account could interleave logins),
-- but a quarter of an hour of quiet does.
CREATE OR REPLACE FUNCTION kompas_login_failed(p_email_subject bytea, p_ip_subject bytea)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer;
    lock_s integer := 0;
    subj bytea;
    free_failures integer;
BEGIN
    FOREACH subj IN ARRAY ARRAY[p_email_subject, p_ip_subject] LOOP
        free_failures := CASE WHEN subj = p_email_subject THEN 3 ELSE 12 END;
        INSERT INTO login_throttle AS t (subject, failures, last_failure_at)
        VALUES (subj, 1, now())
        ON CONFLICT (subject) DO UPDATE
           SET failures = CASE WHEN t.last_failure_at < now() - interval '15 minutes' THEN 1
                               ELSE t.failures + 1 END,
               last_failure_at = now()
        RETURNING failures INTO n;
        IF n >= free_failures THEN
            lock_s := greatest(lock_s, least(900, (2 ^ least(n - free_failures, 10))::integer));
            UPDATE login_throttle SET locked_until = now() + make_interval(secs => lock_s)
             WHERE subject = subj;
        END IF;
    END LOOP;
    RETURN lock_s;
END
$$;
COMMENT ON COLUMN login_throttle.failures IS 'Failures within the current window; the count restarts after 15 minutes without a failure, and a successful login clears the e-mail''s count';
COMMENT ON COLUMN login_throttle.subject IS 'Keyed hash (blind index) of the login e-mail (kind login-email) or of the client address (kind login-ip); no plain e-mail or address is stored';
