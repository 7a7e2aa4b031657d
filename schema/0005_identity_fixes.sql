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

COMMENT ON COLUMN login_throttle.failures IS 'Failures within the current window; the count restarts after 15 minutes without a failure, and a successful login clears the e-mail''s count';
COMMENT ON COLUMN login_throttle.subject IS 'Keyed hash (blind index) of the login e-mail (kind login-email) or of the client address (kind login-ip); no plain e-mail or address is stored';

-- The functions this migration created or changed are in schema/functions/:
-- kompas_set_own_password, kompas_login_failed.
