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

-- The functions this migration created or changed are in schema/functions/:
-- kompas_set_own_mail_opt_out, kompas_mail_enqueue,
-- kompas_mail_schedule_reminders, kompas_mail_claim_digest,
-- kompas_mail_write_digest, kompas_mail_claim, kompas_mail_result.
