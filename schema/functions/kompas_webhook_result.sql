CREATE OR REPLACE FUNCTION kompas_webhook_result(p_event uuid, p_status integer, p_error text,
                                                 p_duration_ms integer, p_max_attempts integer)
RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ok boolean := p_status BETWEEN 200 AND 299;
    n integer;
    replay boolean;
BEGIN
    INSERT INTO webhook_attempt (event_id, status, error, duration_ms)
    VALUES (p_event, p_status, left(p_error, 300), p_duration_ms);
    UPDATE webhook_event SET attempts = attempts + 1, last_status = p_status,
           last_error = CASE WHEN ok THEN NULL ELSE left(p_error, 300) END,
           delivered_at = CASE WHEN ok AND NOT replay_requested THEN now() END,
           gave_up_at = CASE WHEN replay_requested THEN NULL ELSE gave_up_at END,
           next_attempt_at = CASE WHEN replay_requested THEN now()
                             ELSE now() + make_interval(secs => least(3600, power(2, attempts)::integer)) END,
           replay_requested = false
     WHERE id = p_event RETURNING attempts, next_attempt_at <= now() INTO n, replay;
    IF NOT ok AND NOT replay AND n >= p_max_attempts THEN
        UPDATE webhook_event SET gave_up_at = now() WHERE id = p_event;
    END IF;
END
$$;
REVOKE ALL ON FUNCTION kompas_webhook_result(uuid, integer, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_webhook_result(uuid, integer, text, integer, integer) TO kompas_app;
