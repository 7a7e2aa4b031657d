-- Record an attempt: sent, or due again after 2^attempts seconds (at most
-- p_max_backoff), or given up after p_max_attempts. Returns true when the
-- mail was given up.
CREATE OR REPLACE FUNCTION kompas_mail_result(p_id uuid, p_error text, p_max_attempts integer,
                                   p_max_backoff integer)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    gave_up boolean;
BEGIN
    UPDATE mail_outbox SET attempts = attempts + 1, last_error = left(p_error, 300),
           sent_at = CASE WHEN p_error IS NULL THEN now() END,
           gave_up_at = CASE WHEN p_error IS NOT NULL AND attempts + 1 >= p_max_attempts
                             THEN now() END,
           next_attempt_at = now() + make_interval(secs => least(p_max_backoff,
                                                                power(2, least(attempts, 30))::bigint)::integer)
     WHERE id = p_id RETURNING gave_up_at IS NOT NULL INTO gave_up;
    RETURN coalesce(gave_up, false);
END
$$;
REVOKE ALL ON FUNCTION kompas_mail_result(uuid, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_mail_result(uuid, text, integer, integer) TO kompas_app;
