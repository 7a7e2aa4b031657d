-- 0021: a replay asked for while the event's delivery is in flight is not
-- lost. Before, the delivery's result (kompas_webhook_result) set
-- delivered_at and next_attempt_at over the replay's reset, so the replay
-- answered 202 and never happened. Now a replay also sets replay_requested;
-- claiming an event for delivery clears it, and a result that finds it set
-- again leaves the event due at once instead of delivered.

ALTER TABLE webhook_event ADD COLUMN replay_requested boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN webhook_event.replay_requested IS 'A replay was asked for after the current delivery attempt was claimed: deliver again when it ends';

CREATE OR REPLACE FUNCTION kompas_webhook_claim(p_limit integer, p_lease interval)
RETURNS TABLE (event_id uuid, endpoint_id uuid, url text, secret_sealed bytea, payload text,
               attempts integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE webhook_event ev SET next_attempt_at = now() + p_lease, replay_requested = false
      FROM webhook_endpoint w
     WHERE ev.id IN (SELECT id FROM webhook_event
                      WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= now()
                      ORDER BY next_attempt_at, id LIMIT p_limit FOR UPDATE SKIP LOCKED)
       AND w.id = ev.endpoint_id
    RETURNING ev.id, w.id, w.url, w.secret_sealed, ev.payload::text, ev.attempts;
$$;

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
