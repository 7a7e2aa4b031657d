CREATE OR REPLACE FUNCTION kompas_request_reached() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE request r SET reached_states = ARRAY(SELECT DISTINCT x FROM unnest(r.reached_states || n.states) x ORDER BY x)
      FROM (SELECT request_id, array_agg(DISTINCT to_state) AS states
              FROM new_events WHERE kind = 'state' AND to_state IS NOT NULL
             GROUP BY request_id) n
     WHERE r.id = n.request_id AND NOT (r.reached_states @> n.states);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION kompas_request_reached() IS 'Adds the states of new history entries to request.reached_states';
REVOKE ALL ON FUNCTION kompas_request_reached() FROM PUBLIC;
