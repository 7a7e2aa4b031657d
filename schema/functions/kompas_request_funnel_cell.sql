-- Adds (p_sign 1) or removes (p_sign -1) one request's share of its four
-- cells of request_funnel_cell (0034): the Copenhagen month of its
-- creation, its centre and all centres (the nil uuid), and its source
-- (breakdown source) or heard_from (breakdown heard_from, NULL as
-- not_given); its days to first contact are added to or taken (one
-- occurrence) from each cell's days, kept in ascending order (for
-- kompas_funnel_percentiles). Cells left with no request are
-- deleted. The cells are written in one order (the centre's, then the
-- national ones), so that two requests' triggers wait on each other rather
-- than deadlock.
CREATE OR REPLACE FUNCTION kompas_request_funnel_cell(p_r request, p_sign integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS
$$
DECLARE
    v_month date := date_trunc('month', p_r.created_at AT TIME ZONE 'Europe/Copenhagen')::date;
    v_days double precision := extract(epoch FROM p_r.first_contact_at - p_r.created_at) / 86400.0;
BEGIN
    INSERT INTO request_funnel_cell AS f
           (month, centre_id, breakdown, value, received, accepted, contacted,
            conversation_held, course_started, referred, signposted, closed, days)
    SELECT v_month, b.centre_id, b.breakdown, b.value, p_sign,
           CASE WHEN 'accepted' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
           CASE WHEN p_r.first_contact_at IS NOT NULL THEN p_sign ELSE 0 END,
           CASE WHEN 'conversation_held' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
           CASE WHEN 'course_started' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
           CASE WHEN 'referred' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
           CASE WHEN 'signposted' = ANY (p_r.reached_states) THEN p_sign ELSE 0 END,
           CASE WHEN p_r.closed_at IS NOT NULL THEN p_sign ELSE 0 END,
           CASE WHEN v_days IS NOT NULL AND p_sign > 0 THEN ARRAY[v_days] ELSE '{}' END
      FROM (VALUES (p_r.centre_id, 'source', p_r.source),
                   (p_r.centre_id, 'heard_from', coalesce(p_r.heard_from, 'not_given')),
                   ('00000000-0000-0000-0000-000000000000'::uuid, 'source', p_r.source),
                   ('00000000-0000-0000-0000-000000000000'::uuid, 'heard_from', coalesce(p_r.heard_from, 'not_given'))) b (centre_id, breakdown, value)
    ON CONFLICT (breakdown, centre_id, value, month) DO UPDATE
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
                      -- kept sorted: after the days not above it
                      WHEN p_sign > 0 THEN f.days[:width_bucket(v_days, f.days)] || v_days
                                           || f.days[width_bucket(v_days, f.days) + 1:]
                      ELSE f.days[:array_position(f.days, v_days) - 1]
                           || f.days[array_position(f.days, v_days) + 1:]
                  END;
    IF p_sign < 0 THEN
        DELETE FROM request_funnel_cell f
         WHERE f.month = v_month AND f.received = 0
           AND f.centre_id IN (p_r.centre_id, '00000000-0000-0000-0000-000000000000')
           AND (f.breakdown, f.value) IN (('source', p_r.source),
                                          ('heard_from', coalesce(p_r.heard_from, 'not_given')));
    END IF;
END
$$;
COMMENT ON FUNCTION kompas_request_funnel_cell(request, integer) IS 'Adds or removes one request''s share of its funnel cells (request_funnel_cell)';
REVOKE ALL ON FUNCTION kompas_request_funnel_cell(request, integer) FROM PUBLIC;
