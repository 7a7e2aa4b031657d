-- The mail thread's view across centres. The Danish day and hour decide
-- what is due: from p_hour on, a day's digest and the reminders of the
-- visits planned for the next day.
--
-- Visit reminders due now, written once per visit date and guide.
CREATE OR REPLACE FUNCTION kompas_mail_schedule_reminders(p_hour integer)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    local timestamp := now() AT TIME ZONE 'Europe/Copenhagen';
    n integer := 0;
BEGIN
    IF extract(hour FROM local) < p_hour THEN
        RETURN 0;
    END IF;
    INSERT INTO mail_outbox (centre_id, account_id, kind, payload, dedupe_key)
    SELECT c.centre_id, a.id, 'visit_reminder',
           jsonb_build_object('course_id', c.id, 'visit_on', to_char(c.next_visit_on, 'YYYY-MM-DD')),
           'visit_reminder:' || c.id || ':' || to_char(c.next_visit_on, 'YYYY-MM-DD') || ':' || a.id
      FROM course c JOIN volunteer v ON v.id = c.volunteer_id
      JOIN account a ON a.id = v.account_id AND a.role = 'guide'
     WHERE c.state IN ('planned', 'active') AND c.next_visit_on = local::date + 1
       AND a.disabled_at IS NULL AND NOT ('visit_reminder' = ANY (a.mail_opt_out))
    ON CONFLICT (dedupe_key) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION kompas_mail_schedule_reminders(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_mail_schedule_reminders(integer) TO kompas_app;
