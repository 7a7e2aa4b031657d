-- 0012: follow-along courses (følgeskab) with their visits, outcome and
-- follow-up; referrals to partner associations' accompaniment schemes; and
-- the WHO-5 and UCLA-3 wellbeing measurements with scores computed by the
-- database. Depends on 0007 (association, volunteer, event, centre
-- settings) and 0011 (request workflow, kompas_my_volunteer_ids) only.
--
-- Who sees what (row-level security):
--   coordinators: everything of their centre;
--   guides: courses, visits and measurements of the requests assigned to
--     them (the request's own policy decides: EXISTS on request);
--   association contacts: the referrals sent to their own association.

-- The association an association-contact account speaks for. SECURITY
-- DEFINER so that the referral policies need no read access to account.
\ir functions/kompas_contact_association.sql

-- ---------------------------------------------------------------- courses

CREATE TABLE course (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    request_id uuid NOT NULL UNIQUE REFERENCES request (id),
    volunteer_id uuid NOT NULL REFERENCES volunteer (id),
    association_id uuid REFERENCES association (id),
    event_id uuid REFERENCES event (id),
    planned_visits integer NOT NULL CHECK (planned_visits BETWEEN 1 AND 20),
    planned_end date NOT NULL,
    state text NOT NULL DEFAULT 'planned'
        CHECK (state IN ('planned', 'active', 'completed', 'ended_early')),
    started_on date,
    ended_on date,
    outcome text
        CHECK (outcome IN ('continues_on_own', 'continues_with_support', 'referred', 'stopped')),
    follow_up_due date,
    follow_up_on date,
    follow_up_result text CHECK (follow_up_result IN ('still_taking_part', 'not_taking_part')),
    last_visit_on date,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CONSTRAINT course_started CHECK ((state = 'planned') = (started_on IS NULL) OR state = 'ended_early'),
    CONSTRAINT course_ended CHECK ((state IN ('completed', 'ended_early')) = (ended_on IS NOT NULL)),
    CONSTRAINT course_outcome CHECK ((state IN ('completed', 'ended_early')) = (outcome IS NOT NULL)),
    CONSTRAINT course_follow_up_due CHECK ((ended_on IS NULL AND follow_up_due IS NULL)
                                           OR follow_up_due = ended_on + 90),
    CONSTRAINT course_follow_up CHECK ((follow_up_on IS NULL) = (follow_up_result IS NULL)
                                       AND (follow_up_on IS NULL OR follow_up_on >= ended_on)),
    CONSTRAINT course_dates CHECK (ended_on IS NULL OR started_on IS NULL OR ended_on >= started_on),
    CONSTRAINT course_id_request UNIQUE (id, request_id)
);
CREATE INDEX course_centre_created ON course (centre_id, created_at, id);
CREATE INDEX course_volunteer ON course (volunteer_id, state);
-- Work list: running courses without a visit for a while (last visit, or
-- the start or creation when there has been none).
CREATE INDEX course_running ON course (centre_id, last_visit_on) WHERE state IN ('planned', 'active');
-- Work list: follow-ups due and not yet recorded.
CREATE INDEX course_follow_up_due ON course (centre_id, follow_up_due)
    WHERE follow_up_due IS NOT NULL AND follow_up_on IS NULL;
COMMENT ON TABLE course IS 'A follow-along course (følgeskab): a bounded series of visits on which the guide accompanies the citizen, with a planned end, an outcome and a follow-up';
COMMENT ON COLUMN course.id IS 'Stable identifier';
COMMENT ON COLUMN course.centre_id IS 'The request''s centre (row-level security)';
COMMENT ON COLUMN course.request_id IS 'The citizen''s request the course belongs to (one course per request)';
COMMENT ON COLUMN course.volunteer_id IS 'The guide who goes along: the guide assigned to the request when the course was made';
COMMENT ON COLUMN course.association_id IS 'The association the course aims at, if any';
COMMENT ON COLUMN course.event_id IS 'The event (activity) the course aims at, if any';
COMMENT ON COLUMN course.planned_visits IS 'How many accompanied visits are planned (1 to 20; default centre.default_planned_visits)';
COMMENT ON COLUMN course.planned_end IS 'The planned end date: after it the citizen continues alone';
COMMENT ON COLUMN course.state IS 'planned, active, completed or ended_early (transitions are held in api/courses.c)';
COMMENT ON COLUMN course.started_on IS 'When it became active (the first visit or an explicit start)';
COMMENT ON COLUMN course.ended_on IS 'When it was completed or ended early';
COMMENT ON COLUMN course.outcome IS 'On ending: continues_on_own, continues_with_support, referred or stopped';
COMMENT ON COLUMN course.follow_up_due IS 'When the follow-up is due: 90 days after ended_on';
COMMENT ON COLUMN course.follow_up_on IS 'When the follow-up was made';
COMMENT ON COLUMN course.follow_up_result IS 'At follow-up: still_taking_part or not_taking_part';
COMMENT ON COLUMN course.last_visit_on IS 'Date of the latest visit recorded (for the work list of quiet courses)';
COMMENT ON COLUMN course.created_at IS 'When the course was made';
COMMENT ON COLUMN course.updated_at IS 'When it was last changed';
COMMENT ON COLUMN course.version IS 'Incremented on every change (a visit too); the ETag for If-Match';
ALTER TABLE course ENABLE ROW LEVEL SECURITY;
CREATE POLICY course_tenant ON course
    USING (centre_id = kompas_centre()
           AND (kompas_role() = 'coordinator'
                OR (kompas_role() = 'guide'
                    AND EXISTS (SELECT 1 FROM request r WHERE r.id = course.request_id))))
    WITH CHECK (centre_id = kompas_centre()
                AND (kompas_role() = 'coordinator'
                     OR (kompas_role() = 'guide'
                         AND EXISTS (SELECT 1 FROM request r WHERE r.id = course.request_id))));
GRANT SELECT, INSERT, UPDATE ON course TO kompas_app;

CREATE TABLE visit (
    id uuid PRIMARY KEY,
    course_id uuid NOT NULL REFERENCES course (id),
    centre_id uuid NOT NULL REFERENCES centre (id),
    visited_on date NOT NULL,
    event_id uuid REFERENCES event (id),
    association_id uuid REFERENCES association (id),
    citizen_came boolean NOT NULL,
    guide_went boolean NOT NULL,
    minutes integer NOT NULL CHECK (minutes BETWEEN 0 AND 600),
    note_sealed bytea CHECK (length(note_sealed) > 42),
    recorded_by_role text NOT NULL CHECK (recorded_by_role IN ('coordinator', 'guide')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (event_id IS NOT NULL OR association_id IS NOT NULL)
);
CREATE INDEX visit_course ON visit (course_id, visited_on, id);
COMMENT ON TABLE visit IS 'One visit of a course: the date, the event or association visited, whether the citizen came and the guide went along, and how long';
COMMENT ON COLUMN visit.id IS 'Stable identifier; bound into the sealed note';
COMMENT ON COLUMN visit.course_id IS 'The course';
COMMENT ON COLUMN visit.centre_id IS 'The course''s centre (row-level security)';
COMMENT ON COLUMN visit.visited_on IS 'Date of the visit';
COMMENT ON COLUMN visit.event_id IS 'The event visited, if any';
COMMENT ON COLUMN visit.association_id IS 'The association visited, if any (one of event and association at least)';
COMMENT ON COLUMN visit.citizen_came IS 'Whether the citizen came';
COMMENT ON COLUMN visit.guide_went IS 'Whether the guide went along';
COMMENT ON COLUMN visit.minutes IS 'Time the guide spent, 0 to 600 minutes (volunteer hours are counted from this)';
COMMENT ON COLUMN visit.note_sealed IS 'Free-text note (may hold personal data): key id | nonce | XChaCha20-Poly1305 ciphertext, bound to visit/<id>/note';
COMMENT ON COLUMN visit.recorded_by_role IS 'Who recorded it: coordinator or guide';
COMMENT ON COLUMN visit.created_at IS 'When it was recorded';
ALTER TABLE visit ENABLE ROW LEVEL SECURITY;
CREATE POLICY visit_tenant ON visit
    USING (centre_id = kompas_centre() AND EXISTS (SELECT 1 FROM course c WHERE c.id = visit.course_id))
    WITH CHECK (centre_id = kompas_centre()
                AND EXISTS (SELECT 1 FROM course c WHERE c.id = visit.course_id));
GRANT SELECT, INSERT ON visit TO kompas_app;

-- -------------------------------------------------------------- referrals

CREATE TABLE referral (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    request_id uuid NOT NULL REFERENCES request (id),
    association_id uuid NOT NULL REFERENCES association (id),
    state text NOT NULL DEFAULT 'sent'
        CHECK (state IN ('sent', 'accepted', 'declined', 'completed')),
    scheme_note text CHECK (char_length(scheme_note) BETWEEN 1 AND 500),
    sent_at timestamptz NOT NULL DEFAULT now(),
    answered_at timestamptz,
    completed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK ((state = 'sent') = (answered_at IS NULL)),
    CHECK ((state = 'completed') = (completed_at IS NOT NULL))
);
CREATE INDEX referral_centre_sent ON referral (centre_id, sent_at, id);
CREATE INDEX referral_association_sent ON referral (association_id, sent_at, id);
CREATE INDEX referral_request ON referral (request_id);
-- One open referral of a citizen to the same association at a time.
CREATE UNIQUE INDEX referral_open_once ON referral (request_id, association_id)
    WHERE state IN ('sent', 'accepted');
COMMENT ON TABLE referral IS 'A referral (henvisning) of a citizen to a partner association''s own accompaniment scheme, with its status';
COMMENT ON COLUMN referral.id IS 'Stable identifier';
COMMENT ON COLUMN referral.centre_id IS 'The request''s centre (row-level security)';
COMMENT ON COLUMN referral.request_id IS 'The citizen''s request';
COMMENT ON COLUMN referral.association_id IS 'The association whose scheme the citizen is referred to';
COMMENT ON COLUMN referral.state IS 'sent, accepted, declined or completed (transitions are held in api/referrals.c)';
COMMENT ON COLUMN referral.scheme_note IS 'Which scheme or group, for the association (no personal data: the citizen''s details come from the request, with consent)';
COMMENT ON COLUMN referral.sent_at IS 'When it was sent';
COMMENT ON COLUMN referral.answered_at IS 'When the association accepted or declined';
COMMENT ON COLUMN referral.completed_at IS 'When the association reported the citizen''s course in the scheme completed';
COMMENT ON COLUMN referral.created_at IS 'When it was recorded';
COMMENT ON COLUMN referral.updated_at IS 'When it was last changed';
COMMENT ON COLUMN referral.version IS 'Incremented on every change; the ETag for If-Match';
ALTER TABLE referral ENABLE ROW LEVEL SECURITY;
CREATE POLICY referral_read ON referral FOR SELECT
    USING (centre_id = kompas_centre()
           AND (kompas_role() = 'coordinator'
                OR (kompas_role() = 'association' AND association_id = kompas_contact_association())));
CREATE POLICY referral_insert ON referral FOR INSERT
    WITH CHECK (centre_id = kompas_centre() AND kompas_role() = 'coordinator');
CREATE POLICY referral_update ON referral FOR UPDATE
    USING (centre_id = kompas_centre()
           AND (kompas_role() = 'coordinator'
                OR (kompas_role() = 'association' AND association_id = kompas_contact_association())))
    WITH CHECK (centre_id = kompas_centre()
                AND (kompas_role() = 'coordinator'
                     OR (kompas_role() = 'association'
                         AND association_id = kompas_contact_association())));
GRANT SELECT, INSERT, UPDATE ON referral TO kompas_app;

-- ----------------------------------------------------------- measurements

CREATE TABLE measurement (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    request_id uuid NOT NULL REFERENCES request (id),
    course_id uuid REFERENCES course (id),
    instrument text NOT NULL CHECK (instrument IN ('who5', 'ucla3')),
    instrument_version text NOT NULL CHECK (char_length(instrument_version) BETWEEN 1 AND 40),
    timepoint text NOT NULL CHECK (timepoint IN ('baseline', 'course_end', 'follow_up')),
    taken_on date NOT NULL,
    mode text NOT NULL CHECK (mode IN ('alone', 'helped')),
    answers integer[] NOT NULL,
    raw_score integer GENERATED ALWAYS AS (
        CASE instrument
            WHEN 'who5' THEN answers[1] + answers[2] + answers[3] + answers[4] + answers[5]
            WHEN 'ucla3' THEN answers[1] + answers[2] + answers[3]
        END) STORED,
    score integer GENERATED ALWAYS AS (
        CASE instrument
            WHEN 'who5' THEN (answers[1] + answers[2] + answers[3] + answers[4] + answers[5]) * 4
            WHEN 'ucla3' THEN answers[1] + answers[2] + answers[3]
        END) STORED,
    recorded_by_role text NOT NULL CHECK (recorded_by_role IN ('coordinator', 'guide')),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT measurement_answers CHECK (
        array_ndims(answers) = 1 AND array_lower(answers, 1) = 1
        AND array_position(answers, NULL) IS NULL
        AND CASE instrument
                WHEN 'who5' THEN cardinality(answers) = 5 AND 0 <= ALL (answers) AND 5 >= ALL (answers)
                WHEN 'ucla3' THEN cardinality(answers) = 3 AND 1 <= ALL (answers) AND 4 >= ALL (answers)
            END),
    UNIQUE (request_id, instrument, timepoint),
    FOREIGN KEY (course_id, request_id) REFERENCES course (id, request_id)
);
CREATE INDEX measurement_centre ON measurement (centre_id, timepoint, instrument);
COMMENT ON TABLE measurement IS 'A wellbeing measurement of the citizen: WHO-5 or the three-item UCLA loneliness scale, at baseline, course end or follow-up; scores are computed here';
COMMENT ON COLUMN measurement.id IS 'Stable identifier';
COMMENT ON COLUMN measurement.centre_id IS 'The request''s centre (row-level security)';
COMMENT ON COLUMN measurement.request_id IS 'The citizen''s request';
COMMENT ON COLUMN measurement.course_id IS 'The course it belongs to, if any (a course of the same request)';
COMMENT ON COLUMN measurement.instrument IS 'who5 (WHO-5 Well-Being Index) or ucla3 (three-item UCLA loneliness scale, Danish national health profile wording)';
COMMENT ON COLUMN measurement.instrument_version IS 'The version or translation of the questionnaire used, e.g. da-1998';
COMMENT ON COLUMN measurement.timepoint IS 'baseline (at the conversation), course_end or follow_up';
COMMENT ON COLUMN measurement.taken_on IS 'When the citizen answered';
COMMENT ON COLUMN measurement.mode IS 'alone: the citizen filled it in alone; helped: with the guide or staff';
COMMENT ON COLUMN measurement.answers IS 'The item answers in item order: WHO-5 five items 0 to 5; UCLA-3 three items 1 to 4';
COMMENT ON COLUMN measurement.raw_score IS 'Sum of the items: WHO-5 0 to 25; UCLA-3 3 to 12 (computed)';
COMMENT ON COLUMN measurement.score IS 'The reported score: WHO-5 raw x 4 (0 to 100, a 10-point change is meaningful); UCLA-3 the raw score 3 to 12 (computed)';
COMMENT ON COLUMN measurement.recorded_by_role IS 'Who recorded it: coordinator or guide';
COMMENT ON COLUMN measurement.created_at IS 'When it was recorded';
ALTER TABLE measurement ENABLE ROW LEVEL SECURITY;
CREATE POLICY measurement_tenant ON measurement
    USING (centre_id = kompas_centre()
           AND (kompas_role() = 'coordinator'
                OR (kompas_role() = 'guide'
                    AND EXISTS (SELECT 1 FROM request r WHERE r.id = measurement.request_id))))
    WITH CHECK (centre_id = kompas_centre()
                AND (kompas_role() = 'coordinator'
                     OR (kompas_role() = 'guide'
                         AND EXISTS (SELECT 1 FROM request r WHERE r.id = measurement.request_id))));
GRANT SELECT, INSERT ON measurement TO kompas_app;

-- The functions this migration created or changed are in schema/functions/:
-- kompas_contact_association, kompas_referral_citizen.
