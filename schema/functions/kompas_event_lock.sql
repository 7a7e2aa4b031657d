-- Lock an event of the caller's centre for a sign-up and read what the
-- sign-up rules need. SECURITY DEFINER: guides and association contacts may
-- not update events, and SELECT ... FOR UPDATE needs the update policy.
CREATE OR REPLACE FUNCTION kompas_event_lock(p_event uuid)
RETURNS TABLE (kind text, starts_at timestamptz, cancelled boolean, capacity integer,
               signup_count integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT e.kind, e.starts_at, e.cancelled, e.capacity, e.signup_count
      FROM event e
     WHERE e.id = p_event AND e.centre_id = kompas_centre()
       AND kompas_role() IN ('coordinator', 'guide', 'association')
       FOR UPDATE;
$$;
COMMENT ON FUNCTION kompas_event_lock(uuid) IS 'Locks an event of the caller''s centre (SELECT ... FOR UPDATE) for a sign-up and returns its kind, start, cancelled flag, capacity and active sign-ups';
REVOKE ALL ON FUNCTION kompas_event_lock(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_event_lock(uuid) TO kompas_app;
