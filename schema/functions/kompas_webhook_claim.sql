-- The worker's view across centres: claim due events (a lease until the
-- attempt ends), and record an attempt's result.
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
REVOKE ALL ON FUNCTION kompas_webhook_claim(integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_webhook_claim(integer, interval) TO kompas_app;
