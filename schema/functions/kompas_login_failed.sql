-- kompas_login_failed: count a failure for both subjects and lock them out
-- progressively: from the 3rd failure 2^(n-3) seconds, capped at 15
-- minutes (the address gets 4x the allowance: shared networks).

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
COMMENT ON FUNCTION kompas_login_failed(bytea, bytea) IS 'Records a failed login; returns the lockout in seconds now in force (0 if none)';
REVOKE ALL ON FUNCTION kompas_login_failed(bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_login_failed(bytea, bytea) TO kompas_app;
