-- Adds (p_sign 1) or removes (p_sign -1) one request's share of its cell
-- of request_funnel_month (0033): the Copenhagen month of its creation,
-- its centre, source and heard_from; its days to first contact are added
-- to or taken (one occurrence) from the cell's days. Cells left with no
-- request are deleted.
CREATE OR REPLACE FUNCTION kompas_request_funnel_cell(p_r request, p_sign integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS
$$
DECLARE
    v_month date := date_trunc('month', p_r.created_at AT TIME ZONE 'Europe/Copenhagen')::date;
    v_days double precision := extract(epoch FROM p_r.first_contact_at - p_r.created_at) / 86400.0;
BEGIN
    INSERT INTO request_funnel_month AS f
           (month, centre_id, source, heard_from, received, accepted, contacted,
            conversation_held, course_started, referred, signposted, closed, days)
    VALUES (v_month, p_r.centre_id, p_r.source, p_r.heard_from, p_sign,
            CASE WHEN 'accepted' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
            CASE WHEN p_r.first_contact_at IS NOT NULL THEN p_sign ELSE 0 END,
            CASE WHEN 'conversation_held' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
            CASE WHEN 'course_started' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
            CASE WHEN 'referred' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
            CASE WHEN 'signposted' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
            CASE WHEN p_r.closed_at IS NOT NULL THEN p_sign ELSE 0 END,
            CASE WHEN v_days IS NOT NULL AND p_sign > 0 THEN ARRAY[v_days] ELSE '{}' END)
    ON CONFLICT (month, centre_id, source, heard_from) DO UPDATE
       SET received = f.received + excluded.received,
           accepted = f.accepted + excluded.accepted,
           contacted = f.contacted + excluded.contacted,
           conversation_held = f.conversation_held + excluded.conversation_held,
           course_started = f.course_started + excluded.course_started,
           referred = f.referred + excluded.referred,
           signposted = f.signposted + excluded.signposted,
           closed = f.closed + excluded.closed,
           days = CASE
                      WHEN v_days IS NULL THEN f.days
                      WHEN p_sign > 0 THEN f.days || v_days
                      ELSE f.days[:array_position(f.days, v_days) - 1]
                           || f.days[array_position(f.days, v_days) + 1:]
                  END;
    IF p_sign < 0 THEN
        DELETE FROM request_funnel_month f
         WHERE f.month = v_month AND f.centre_id = p_r.centre_id AND f.source = p_r.source
           AND f.heard_from IS NOT DISTINCT FROM p_r.heard_from AND f.received = 0;
    END IF;
END
$$;
COMMENT ON FUNCTION kompas_request_funnel_cell(request, integer) IS 'Adds or removes one request''s share of its funnel cell (request_funnel_month)';
REVOKE ALL ON FUNCTION kompas_request_funnel_cell(request, integer) FROM PUBLIC;
