-- kompas_login_lookup: the account for a login attempt, and whether the
-- e-mail or the address is locked out. SECURITY DEFINER: before login the
-- centre is unknown.
CREATE OR REPLACE FUNCTION kompas_login_lookup(p_email text, p_email_subject bytea, p_ip_subject bytea)
RETURNS TABLE (account_id uuid, password_hash text, disabled boolean, locked_seconds integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT a.id, a.password_hash, a.disabled_at IS NOT NULL,
           (SELECT coalesce(ceil(extract(epoch FROM max(t.locked_until) - now()))::integer, 0)
              FROM login_throttle t
             WHERE t.subject IN (p_email_subject, p_ip_subject) AND t.locked_until > now())
      FROM (SELECT 1) one LEFT JOIN account a ON a.email = p_email;
$$;
COMMENT ON FUNCTION kompas_login_lookup(text, bytea, bytea) IS 'Account and lockout state for a login attempt';
REVOKE ALL ON FUNCTION kompas_login_lookup(text, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_login_lookup(text, bytea, bytea) TO kompas_app;
