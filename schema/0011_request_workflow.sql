-- 0011: the request workflow: state changes with reasons and history,
-- assignment to a guide, interests and needs, consent per purpose, and the
-- clarifying conversations (summaries sealed like other citizen data).

ALTER TABLE request ADD COLUMN assigned_volunteer_id uuid REFERENCES volunteer (id);
ALTER TABLE request ADD COLUMN close_reason text
    CHECK (close_reason IN ('need_met', 'no_longer_needed', 'not_appropriate', 'no_capacity',
                            'unreachable', 'referred_elsewhere', 'withdrawn'));
ALTER TABLE request ADD COLUMN closed_at timestamptz;
ALTER TABLE request ADD COLUMN first_contact_at timestamptz;
ALTER TABLE request ADD CONSTRAINT request_closed_has_reason
    CHECK ((state IN ('closed', 'declined', 'withdrawn')) = (close_reason IS NOT NULL));
CREATE INDEX request_centre_state ON request (centre_id, state, created_at, id);
CREATE INDEX request_assigned ON request (assigned_volunteer_id) WHERE assigned_volunteer_id IS NOT NULL;
COMMENT ON COLUMN request.assigned_volunteer_id IS 'The Kompasguide assigned to the citizen';
COMMENT ON COLUMN request.close_reason IS 'Why the request ended (closed, declined or withdrawn): a fixed list';
COMMENT ON COLUMN request.closed_at IS 'When the request reached closed, declined or withdrawn; anonymisation counts from here';
COMMENT ON COLUMN request.first_contact_at IS 'When the guide or centre first reached the citizen (state contacted): time to first contact is measured from created_at';

\ir functions/kompas_my_volunteer_ids.sql

DROP POLICY request_tenant ON request;
CREATE POLICY request_tenant ON request
    USING (centre_id = kompas_centre()
           AND (kompas_role() IN ('coordinator', 'portal')
                OR (kompas_role() = 'guide'
                    AND assigned_volunteer_id IN (SELECT kompas_my_volunteer_ids()))))
    WITH CHECK (centre_id = kompas_centre()
                AND (kompas_role() IN ('coordinator', 'portal')
                     OR (kompas_role() = 'guide'
                         AND assigned_volunteer_id IN (SELECT kompas_my_volunteer_ids()))));

CREATE TABLE request_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES request (id),
    centre_id uuid NOT NULL REFERENCES centre (id),
    at timestamptz NOT NULL DEFAULT now(),
    actor_kind text NOT NULL CHECK (actor_kind IN ('account', 'api_key', 'system')),
    actor_id uuid,
    actor_role text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('created', 'state', 'assignee', 'data', 'consent', 'conversation')),
    from_state text,
    to_state text,
    reason text,
    volunteer_id uuid REFERENCES volunteer (id),
    fields text[],
    note text CHECK (char_length(note) <= 500)
);
CREATE INDEX request_event_request ON request_event (request_id, id);
CREATE INDEX request_event_centre_state ON request_event (centre_id, to_state, at) WHERE kind = 'state';
COMMENT ON TABLE request_event IS 'Every change of a request''s state, assignee, data or consent with time and actor: the funnel and time-to-contact are measured from it';
COMMENT ON COLUMN request_event.id IS 'Sequence number';
COMMENT ON COLUMN request_event.request_id IS 'The request';
COMMENT ON COLUMN request_event.centre_id IS 'The request''s centre (row-level security)';
COMMENT ON COLUMN request_event.at IS 'When';
COMMENT ON COLUMN request_event.actor_kind IS 'account, api_key or system';
COMMENT ON COLUMN request_event.actor_id IS 'The account or key that acted';
COMMENT ON COLUMN request_event.actor_role IS 'Its role';
COMMENT ON COLUMN request_event.kind IS 'created, state, assignee, data, consent or conversation';
COMMENT ON COLUMN request_event.from_state IS 'For state changes: the state before';
COMMENT ON COLUMN request_event.to_state IS 'For state changes (and created): the state after';
COMMENT ON COLUMN request_event.reason IS 'For closing, declining and withdrawing: the reason from the fixed list';
COMMENT ON COLUMN request_event.volunteer_id IS 'For assignments: the guide assigned';
COMMENT ON COLUMN request_event.fields IS 'For data changes: the names of the fields changed, never their values';
COMMENT ON COLUMN request_event.note IS 'A short staff note on the change (no health details)';
ALTER TABLE request_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY request_event_tenant ON request_event
    USING (centre_id = kompas_centre() AND request_id IN (SELECT id FROM request))
    WITH CHECK (centre_id = kompas_centre());
GRANT SELECT, INSERT ON request_event TO kompas_app;

CREATE TABLE request_category (
    request_id uuid NOT NULL REFERENCES request (id) ON DELETE CASCADE,
    category_id uuid NOT NULL REFERENCES category (id),
    centre_id uuid NOT NULL REFERENCES centre (id),
    PRIMARY KEY (request_id, category_id)
);
COMMENT ON TABLE request_category IS 'The citizen''s interests and needs as categories (never free-text health details)';
COMMENT ON COLUMN request_category.request_id IS 'The request';
COMMENT ON COLUMN request_category.category_id IS 'An interest, need, activity or target-group category';
COMMENT ON COLUMN request_category.centre_id IS 'The request''s centre (row-level security)';
ALTER TABLE request_category ENABLE ROW LEVEL SECURITY;
CREATE POLICY request_category_tenant ON request_category
    USING (centre_id = kompas_centre() AND request_id IN (SELECT id FROM request))
    WITH CHECK (centre_id = kompas_centre());
GRANT SELECT, INSERT, DELETE ON request_category TO kompas_app;

CREATE TABLE request_consent (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES request (id),
    centre_id uuid NOT NULL REFERENCES centre (id),
    purpose text NOT NULL
        CHECK (purpose IN ('contact', 'share_with_association', 'follow_up', 'statistics')),
    given boolean NOT NULL,
    text_version text NOT NULL CHECK (char_length(text_version) BETWEEN 1 AND 40),
    at timestamptz NOT NULL DEFAULT now(),
    recorded_by_role text NOT NULL
);
CREATE INDEX request_consent_request ON request_consent (request_id, purpose, id);
COMMENT ON TABLE request_consent IS 'Consent per purpose, each given or withdrawn with its time and the version of the text the citizen saw; the latest per purpose counts';
COMMENT ON COLUMN request_consent.id IS 'Sequence number (latest wins)';
COMMENT ON COLUMN request_consent.request_id IS 'The request';
COMMENT ON COLUMN request_consent.centre_id IS 'The request''s centre (row-level security)';
COMMENT ON COLUMN request_consent.purpose IS 'contact, share_with_association, follow_up or statistics';
COMMENT ON COLUMN request_consent.given IS 'Given (true) or withdrawn/refused (false)';
COMMENT ON COLUMN request_consent.text_version IS 'The version of the consent text shown, e.g. 2026-09';
COMMENT ON COLUMN request_consent.at IS 'When';
COMMENT ON COLUMN request_consent.recorded_by_role IS 'Who recorded it: portal, coordinator or guide';
ALTER TABLE request_consent ENABLE ROW LEVEL SECURITY;
CREATE POLICY request_consent_tenant ON request_consent
    USING (centre_id = kompas_centre() AND request_id IN (SELECT id FROM request))
    WITH CHECK (centre_id = kompas_centre());
GRANT SELECT, INSERT ON request_consent TO kompas_app;

CREATE TABLE conversation (
    id uuid PRIMARY KEY,
    request_id uuid NOT NULL REFERENCES request (id),
    centre_id uuid NOT NULL REFERENCES centre (id),
    volunteer_id uuid REFERENCES volunteer (id),
    held_on date NOT NULL,
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 600),
    summary_sealed bytea CHECK (length(summary_sealed) > 42),
    next_step text NOT NULL
        CHECK (next_step IN ('course', 'referral', 'signposting', 'another_conversation', 'none')),
    created_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX conversation_request ON conversation (request_id, held_on, id);
COMMENT ON TABLE conversation IS 'A clarifying conversation (afklarende samtale) with the citizen';
COMMENT ON COLUMN conversation.id IS 'Stable identifier; bound into the sealed summary';
COMMENT ON COLUMN conversation.request_id IS 'The request';
COMMENT ON COLUMN conversation.centre_id IS 'The request''s centre';
COMMENT ON COLUMN conversation.volunteer_id IS 'The guide who held it (NULL: centre staff)';
COMMENT ON COLUMN conversation.held_on IS 'Date of the conversation';
COMMENT ON COLUMN conversation.duration_minutes IS 'How long it took (volunteer hours are counted from this)';
COMMENT ON COLUMN conversation.summary_sealed IS 'Summary, sealed (key id | nonce | ciphertext) and bound to conversation/<id>/summary';
COMMENT ON COLUMN conversation.next_step IS 'The agreed next step';
COMMENT ON COLUMN conversation.created_at IS 'When it was recorded';
COMMENT ON COLUMN conversation.version IS 'Incremented on every change';
ALTER TABLE conversation ENABLE ROW LEVEL SECURITY;
CREATE POLICY conversation_tenant ON conversation
    USING (centre_id = kompas_centre() AND request_id IN (SELECT id FROM request))
    WITH CHECK (centre_id = kompas_centre() AND request_id IN (SELECT id FROM request));
GRANT SELECT, INSERT, UPDATE ON conversation TO kompas_app;

-- The functions this migration created or changed are in schema/functions/:
-- kompas_my_volunteer_ids.
