-- 0029: e-mail notifications. A change that someone should hear about (a
-- new portal request, a guide assigned, a new referral) writes a row to
-- the mail outbox in the same transaction; the daily digest of the work
-- lists and the reminder the day before a planned visit are scheduled by
-- kompasd, at most once per account and day (or visit) however many
-- kompasd processes run (a unique dedupe key, and one mail_daily row per
-- centre and day). A delivery thread in kompasd sends due rows over SMTP
-- with retries and backoff, like the webhooks (0018). Rows hold ids,
-- counts and dates only: the texts are made when the mail is sent, and no
-- citizen's personal data is ever in them.

-- What each account does not want to receive (everything is on by default).
ALTER TABLE account ADD COLUMN mail_opt_out text[] NOT NULL DEFAULT '{}'
    CHECK (mail_opt_out <@ ARRAY['new_request', 'daily_digest', 'assignment', 'visit_reminder',
                                 'referral']);
COMMENT ON COLUMN account.mail_opt_out IS 'E-mail kinds the account has switched off (PATCH /v1/me): new_request, daily_digest, assignment, visit_reminder, referral';

-- The next planned visit of a course: the guide is reminded the day before.
ALTER TABLE course ADD COLUMN next_visit_on date;
COMMENT ON COLUMN course.next_visit_on IS 'The date of the next planned visit (the guide gets a reminder the day before); cleared when a visit on or after it is recorded';
CREATE INDEX course_next_visit ON course (next_visit_on)
    WHERE next_visit_on IS NOT NULL AND state IN ('planned', 'active');

-- The caller's own settings, whatever its role (row-level security lets
-- only admins and coordinators write accounts): switch kinds off and on.
CREATE FUNCTION kompas_set_own_mail_opt_out(p_off text[], p_on text[])
RETURNS text LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE account SET mail_opt_out = ARRAY(SELECT DISTINCT x FROM unnest(mail_opt_out || p_off) x
                                             WHERE x <> ALL (p_on) ORDER BY x),
           updated_at = now(), version = version + 1
     WHERE id = kompas_account() AND disabled_at IS NULL
    RETURNING array_to_json(mail_opt_out)::text;
$$;
COMMENT ON FUNCTION kompas_set_own_mail_opt_out(text[], text[]) IS 'Switches e-mail kinds off (p_off) and on (p_on) for the transaction''s caller, nobody else';

CREATE TABLE mail_outbox (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    account_id uuid NOT NULL REFERENCES account (id),
    kind text NOT NULL
        CHECK (kind IN ('new_request', 'daily_digest', 'assignment', 'visit_reminder', 'referral')),
    payload jsonb NOT NULL DEFAULT '{}',
    dedupe_key text UNIQUE CHECK (char_length(dedupe_key) <= 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    gave_up_at timestamptz,
    last_error text CHECK (char_length(last_error) <= 300)
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX mail_outbox_account ON mail_outbox (account_id, created_at);
COMMENT ON TABLE mail_outbox IS 'The mail outbox: one row per e-mail to one account, written in the transaction of the change (or by the daily scheduler), sent by kompasd''s mail thread';
COMMENT ON COLUMN mail_outbox.id IS 'Stable identifier; the Message-ID of the mail';
COMMENT ON COLUMN mail_outbox.centre_id IS 'The centre the mail is about';
COMMENT ON COLUMN mail_outbox.account_id IS 'The recipient (the account''s e-mail at sending time)';
COMMENT ON COLUMN mail_outbox.kind IS 'new_request, daily_digest, assignment, visit_reminder or referral';
COMMENT ON COLUMN mail_outbox.payload IS 'What the text is made from: ids, counts and dates only, never personal data';
COMMENT ON COLUMN mail_outbox.dedupe_key IS 'Scheduled mails: daily_digest:<account>:<day> or visit_reminder:<course>:<date>:<account>, so each is written once';
COMMENT ON COLUMN mail_outbox.created_at IS 'When the mail was queued';
COMMENT ON COLUMN mail_outbox.attempts IS 'Delivery attempts so far';
COMMENT ON COLUMN mail_outbox.next_attempt_at IS 'When the mail thread tries next (exponential backoff; also its lease while sending)';
COMMENT ON COLUMN mail_outbox.sent_at IS 'When the mail server accepted the mail';
COMMENT ON COLUMN mail_outbox.gave_up_at IS 'When the mail thread stopped trying ([mail] max_attempts)';
COMMENT ON COLUMN mail_outbox.last_error IS 'Why the last attempt failed (libcurl''s message, never the password)';
ALTER TABLE mail_outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY mail_outbox_tenant ON mail_outbox
    USING (centre_id = kompas_centre() AND (kompas_role() = 'coordinator' OR account_id = kompas_account()))
    WITH CHECK (centre_id = kompas_centre());
GRANT SELECT ON mail_outbox TO kompas_app;

CREATE TABLE mail_daily (
    centre_id uuid NOT NULL REFERENCES centre (id),
    day date NOT NULL,
    done_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (centre_id, day)
);
COMMENT ON TABLE mail_daily IS 'The centres whose daily digest has been made for a day (one kompasd process makes it; the row commits with the digest mails)';
COMMENT ON COLUMN mail_daily.centre_id IS 'The centre';
COMMENT ON COLUMN mail_daily.day IS 'The day (Europe/Copenhagen)';
COMMENT ON COLUMN mail_daily.done_at IS 'When the digest was made';
ALTER TABLE mail_daily ENABLE ROW LEVEL SECURITY;
CREATE POLICY mail_daily_tenant ON mail_daily
    USING (centre_id = kompas_centre() AND kompas_role() = 'coordinator');
GRANT SELECT ON mail_daily TO kompas_app;

-- Queue the mail of an event, in the caller's transaction, for every
-- account that should hear of it and has not switched the kind off:
--   new_request  p_ref = request: the centre's coordinators
--   assignment   p_ref = request: the assigned guide's account
--   referral     p_ref = referral: the association's contact accounts
-- Only references of the caller's centre count. Returns the rows written.
CREATE FUNCTION kompas_mail_enqueue(p_kind text, p_ref uuid)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer := 0;
BEGIN
    IF p_kind = 'new_request' THEN
        INSERT INTO mail_outbox (centre_id, account_id, kind, payload)
        SELECT r.centre_id, a.id, p_kind, jsonb_build_object('request_id', r.id)
          FROM request r JOIN account a ON a.centre_id = r.centre_id AND a.role = 'coordinator'
         WHERE r.id = p_ref AND r.centre_id = kompas_centre() AND a.disabled_at IS NULL
           AND NOT (p_kind = ANY (a.mail_opt_out));
    ELSIF p_kind = 'assignment' THEN
        INSERT INTO mail_outbox (centre_id, account_id, kind, payload)
        SELECT r.centre_id, a.id, p_kind, jsonb_build_object('request_id', r.id)
          FROM request r JOIN volunteer v ON v.id = r.assigned_volunteer_id
          JOIN account a ON a.id = v.account_id AND a.role = 'guide'
         WHERE r.id = p_ref AND r.centre_id = kompas_centre() AND a.disabled_at IS NULL
           AND NOT (p_kind = ANY (a.mail_opt_out));
    ELSIF p_kind = 'referral' THEN
        INSERT INTO mail_outbox (centre_id, account_id, kind, payload)
        SELECT f.centre_id, a.id, p_kind, jsonb_build_object('referral_id', f.id)
          FROM referral f JOIN account a ON a.association_id = f.association_id
                                        AND a.role = 'association'
         WHERE f.id = p_ref AND f.centre_id = kompas_centre() AND a.disabled_at IS NULL
           AND NOT (p_kind = ANY (a.mail_opt_out));
    ELSE
        RAISE EXCEPTION 'unknown mail kind %', p_kind USING ERRCODE = '22023';
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION kompas_mail_enqueue(text, uuid) IS 'Writes the mails of a new_request, assignment or referral event to the outbox, for the accounts that want them';

-- The mail thread's view across centres. The Danish day and hour decide
-- what is due: from p_hour on, a day's digest and the reminders of the
-- visits planned for the next day.

-- Visit reminders due now, written once per visit date and guide.
CREATE FUNCTION kompas_mail_schedule_reminders(p_hour integer)
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

-- Claim the next centre whose digest for today is not made yet (the row
-- stays locked until the caller's transaction ends: write the digest in
-- it). NULL when none is due.
CREATE FUNCTION kompas_mail_claim_digest(p_hour integer)
RETURNS uuid LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    local timestamp := now() AT TIME ZONE 'Europe/Copenhagen';
    c uuid;
BEGIN
    IF extract(hour FROM local) < p_hour THEN
        RETURN NULL;
    END IF;
    FOR c IN SELECT ce.id FROM centre ce
              WHERE NOT EXISTS (SELECT 1 FROM mail_daily d WHERE d.centre_id = ce.id AND d.day = local::date)
                AND EXISTS (SELECT 1 FROM account a WHERE a.centre_id = ce.id AND a.role = 'coordinator'
                             AND a.disabled_at IS NULL)
              ORDER BY ce.id
    LOOP
        INSERT INTO mail_daily (centre_id, day) VALUES (c, local::date) ON CONFLICT DO NOTHING;
        IF FOUND THEN
            RETURN c;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- Write a centre's digest (counts of its work lists) for its coordinators.
CREATE FUNCTION kompas_mail_write_digest(p_centre uuid, p_payload jsonb)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    day text := to_char((now() AT TIME ZONE 'Europe/Copenhagen')::date, 'YYYY-MM-DD');
    n integer := 0;
BEGIN
    INSERT INTO mail_outbox (centre_id, account_id, kind, payload, dedupe_key)
    SELECT p_centre, a.id, 'daily_digest', p_payload || jsonb_build_object('day', day),
           'daily_digest:' || a.id || ':' || day
      FROM account a
     WHERE a.centre_id = p_centre AND a.role = 'coordinator' AND a.disabled_at IS NULL
       AND NOT ('daily_digest' = ANY (a.mail_opt_out))
    ON CONFLICT (dedupe_key) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

-- Claim due mails (a lease until the attempt ends) with their recipient.
CREATE FUNCTION kompas_mail_claim(p_limit integer, p_lease interval)
RETURNS TABLE (id uuid, email text, kind text, payload text, attempts integer)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE mail_outbox m SET next_attempt_at = now() + p_lease
      FROM account a
     WHERE m.id IN (SELECT o.id FROM mail_outbox o
                     WHERE o.sent_at IS NULL AND o.gave_up_at IS NULL AND o.next_attempt_at <= now()
                     ORDER BY o.next_attempt_at, o.id LIMIT p_limit FOR UPDATE SKIP LOCKED)
       AND a.id = m.account_id
    RETURNING m.id, a.email, m.kind, m.payload::text, m.attempts;
$$;

-- Record an attempt: sent, or due again after 2^attempts seconds (at most
-- p_max_backoff), or given up after p_max_attempts. Returns true when the
-- mail was given up.
CREATE FUNCTION kompas_mail_result(p_id uuid, p_error text, p_max_attempts integer,
                                   p_max_backoff integer)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    gave_up boolean;
BEGIN
    UPDATE mail_outbox SET attempts = attempts + 1, last_error = left(p_error, 300),
           sent_at = CASE WHEN p_error IS NULL THEN now() END,
           gave_up_at = CASE WHEN p_error IS NOT NULL AND attempts + 1 >= p_max_attempts
                             THEN now() END,
           next_attempt_at = now() + make_interval(secs => least(p_max_backoff,
                                                                power(2, least(attempts, 30))::bigint)::integer)
     WHERE id = p_id RETURNING gave_up_at IS NOT NULL INTO gave_up;
    RETURN coalesce(gave_up, false);
END
$$;

REVOKE ALL ON FUNCTION kompas_set_own_mail_opt_out(text[], text[]), kompas_mail_enqueue(text, uuid), kompas_mail_schedule_reminders(integer),
    kompas_mail_claim_digest(integer), kompas_mail_write_digest(uuid, jsonb),
    kompas_mail_claim(integer, interval), kompas_mail_result(uuid, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_set_own_mail_opt_out(text[], text[]), kompas_mail_enqueue(text, uuid), kompas_mail_schedule_reminders(integer),
    kompas_mail_claim_digest(integer), kompas_mail_write_digest(uuid, jsonb),
    kompas_mail_claim(integer, interval), kompas_mail_result(uuid, text, integer, integer) TO kompas_app;
