-- The recount of all four facts of the volunteers ids. It locks them in
-- id order first (no deadlock between two writers touching the same two
-- volunteers), then recounts with a snapshot taken after the lock.
CREATE OR REPLACE FUNCTION kompas_volunteer_facts_redo(ids uuid[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM 1 FROM volunteer WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE volunteer v SET
        intro_valid = coalesce((SELECT range_agg(daterange(t.completed_on, t.expires_on, '[]'))
                                  FROM volunteer_training t
                                 WHERE t.volunteer_id = v.id AND t.module = 'intro'), '{}'),
        record_check_valid = coalesce((SELECT range_agg(daterange(k.checked_on, k.valid_until, '[]'))
                                         FROM volunteer_record_check k
                                        WHERE k.volunteer_id = v.id AND k.kind = 'criminal_record'
                                          AND k.outcome = 'clear'), '{}'),
        availability_slots = (SELECT count(*) FROM volunteer_availability a
                               WHERE a.volunteer_id = v.id),
        open_requests = (SELECT count(*) FROM request o
                          WHERE o.assigned_volunteer_id = v.id
                            AND o.state NOT IN ('closed', 'declined', 'withdrawn'))
     WHERE v.id = ANY (ids);
END
$$;
COMMENT ON FUNCTION kompas_volunteer_facts_redo(uuid[]) IS 'Recounts intro_valid, record_check_valid, availability_slots and open_requests of the volunteers ids from their source tables';
REVOKE ALL ON FUNCTION kompas_volunteer_facts_redo(uuid[]) FROM PUBLIC;
