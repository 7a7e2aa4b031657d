-- Enqueue the event for every active endpoint of the request's centre, in
-- the caller's transaction (called by kompasd after a state change).
CREATE OR REPLACE FUNCTION kompas_webhook_enqueue(p_request uuid, p_status text)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    n integer;
BEGIN
    SELECT id, centre_id, portal_reference INTO r FROM request
     WHERE id = p_request AND centre_id = kompas_centre();
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    INSERT INTO webhook_event (id, centre_id, endpoint_id, event_type, payload)
    SELECT e.event_id, r.centre_id, w.id, 'request.status_changed',
           jsonb_build_object('event_id', e.event_id, 'type', 'request.status_changed',
                              'occurred_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                              'request_id', r.id, 'portal_reference', r.portal_reference,
                              'status', p_status)
      FROM webhook_endpoint w, LATERAL (SELECT gen_random_uuid() AS event_id) e
     WHERE w.centre_id = r.centre_id AND w.active
       AND 'request.status_changed' = ANY (w.event_types);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION kompas_webhook_enqueue(uuid, text) IS 'Writes a request.status_changed event to the outbox for each active endpoint of the request''s centre';
REVOKE ALL ON FUNCTION kompas_webhook_enqueue(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_webhook_enqueue(uuid, text) TO kompas_app;
