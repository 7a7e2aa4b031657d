-- 0009: volunteers (Kompasguides): contact details, languages, postal
-- areas, capacity and how they were recruited; their status history,
-- interests, weekly availability, training modules and record checks.
--
-- A volunteer's own data lives here; nothing about the citizens they help.
-- Record checks (børneattest, straffeattest) are recorded as facts with
-- dates, never the document. The status transitions are held in one table
-- in C (api/volunteers.c).

ALTER TABLE volunteer
    ADD COLUMN email text
        CHECK (char_length(email) <= 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    ADD COLUMN phone text CHECK (phone ~ '^\+?[0-9]{8,20}$'),
    ADD COLUMN languages text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(languages) <= 20 AND array_position(languages, NULL) IS NULL
               AND array_to_string(languages, ',') ~ '^([a-z]{2}(,[a-z]{2})*)?$'),
    ADD COLUMN postal_areas text[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(postal_areas) <= 50 AND array_position(postal_areas, NULL) IS NULL
               AND array_to_string(postal_areas, ',') ~ '^([0-9]{4}(,[0-9]{4})*)?$'),
    ADD COLUMN capacity integer NOT NULL DEFAULT 2 CHECK (capacity BETWEEN 1 AND 10),
    ADD COLUMN recruited_via text
        CHECK (recruited_via IN ('socialkompas', 'association', 'word_of_mouth', 'local_paper',
                                 'event', 'other')),
    ADD COLUMN recruited_association_id uuid REFERENCES association (id),
    ADD COLUMN notes text CHECK (char_length(notes) BETWEEN 1 AND 2000),
    ADD CONSTRAINT volunteer_recruited_association
        CHECK (recruited_association_id IS NULL OR recruited_via = 'association'),
    ADD CONSTRAINT volunteer_id_centre UNIQUE (id, centre_id);
CREATE INDEX volunteer_languages ON volunteer USING gin (languages);
CREATE INDEX volunteer_postal_areas ON volunteer USING gin (postal_areas);
CREATE INDEX volunteer_recruited_association ON volunteer (recruited_association_id)
    WHERE recruited_association_id IS NOT NULL;
COMMENT ON COLUMN volunteer.email IS 'The volunteer''s e-mail address (their own contact detail, not a login)';
COMMENT ON COLUMN volunteer.phone IS 'The volunteer''s phone number, normalised: digits with a leading + (Danish numbers +45 and eight digits)';
COMMENT ON COLUMN volunteer.languages IS 'Languages the volunteer can hold a conversation in: ISO 639-1 codes';
COMMENT ON COLUMN volunteer.postal_areas IS 'Danish postal codes (four digits) the volunteer is willing to cover';
COMMENT ON COLUMN volunteer.capacity IS 'How many citizens the volunteer can accompany at once (1 to 10)';
COMMENT ON COLUMN volunteer.recruited_via IS 'How the volunteer was recruited: socialkompas, association, word_of_mouth, local_paper, event or other (for the evaluation of the communication strategy)';
COMMENT ON COLUMN volunteer.recruited_association_id IS 'The association (kompasfællesskab) the volunteer was recruited through, when recruited_via is association';
COMMENT ON COLUMN volunteer.notes IS 'Coordinators'' notes about the volunteer; never data about citizens';

\ir functions/volunteer_guard.sql

CREATE TRIGGER volunteer_guard BEFORE INSERT OR UPDATE ON volunteer
    FOR EACH ROW EXECUTE FUNCTION volunteer_guard();

CREATE TABLE volunteer_status_change (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    volunteer_id uuid NOT NULL,
    centre_id uuid NOT NULL REFERENCES centre (id),
    from_status text
        CHECK (from_status IN ('applicant', 'in_training', 'active', 'paused', 'retired', 'rejected')),
    to_status text NOT NULL
        CHECK (to_status IN ('applicant', 'in_training', 'active', 'paused', 'retired', 'rejected')),
    reason text CHECK (char_length(reason) BETWEEN 1 AND 500),
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by uuid REFERENCES account (id),
    CHECK (from_status IS DISTINCT FROM to_status),
    FOREIGN KEY (volunteer_id, centre_id) REFERENCES volunteer (id, centre_id) ON DELETE CASCADE
);
CREATE INDEX volunteer_status_change_volunteer ON volunteer_status_change (volunteer_id, id);
CREATE INDEX volunteer_status_change_centre ON volunteer_status_change (centre_id, to_status, changed_at);
COMMENT ON TABLE volunteer_status_change IS 'Every status of a volunteer with its time: registration (from_status NULL) and each later change';
COMMENT ON COLUMN volunteer_status_change.id IS 'Sequence number (orders changes made in the same instant)';
COMMENT ON COLUMN volunteer_status_change.volunteer_id IS 'The volunteer';
COMMENT ON COLUMN volunteer_status_change.centre_id IS 'The volunteer''s centre (row-level security)';
COMMENT ON COLUMN volunteer_status_change.from_status IS 'The status before; NULL for the registration';
COMMENT ON COLUMN volunteer_status_change.to_status IS 'The status after';
COMMENT ON COLUMN volunteer_status_change.reason IS 'Why, in a few words from the coordinator (no data about citizens)';
COMMENT ON COLUMN volunteer_status_change.changed_at IS 'When';
COMMENT ON COLUMN volunteer_status_change.changed_by IS 'The account that made the change';
ALTER TABLE volunteer_status_change ENABLE ROW LEVEL SECURITY;
CREATE POLICY volunteer_status_change_read ON volunteer_status_change FOR SELECT
    USING (kompas_same_centre(centre_id) AND volunteer_id IN (SELECT id FROM volunteer));
CREATE POLICY volunteer_status_change_insert ON volunteer_status_change FOR INSERT
    WITH CHECK (kompas_same_centre(centre_id) AND kompas_role() IN ('admin', 'coordinator'));
GRANT SELECT, INSERT ON volunteer_status_change TO kompas_app;

CREATE TABLE volunteer_interest (
    volunteer_id uuid NOT NULL,
    category_id uuid NOT NULL REFERENCES category (id),
    centre_id uuid NOT NULL REFERENCES centre (id),
    PRIMARY KEY (volunteer_id, category_id),
    FOREIGN KEY (volunteer_id, centre_id) REFERENCES volunteer (id, centre_id) ON DELETE CASCADE
);
CREATE INDEX volunteer_interest_category ON volunteer_interest (category_id);
COMMENT ON TABLE volunteer_interest IS 'What a volunteer is interested in: interest and activity categories, for matching';
COMMENT ON COLUMN volunteer_interest.volunteer_id IS 'The volunteer';
COMMENT ON COLUMN volunteer_interest.category_id IS 'A category of kind interest or activity';
COMMENT ON COLUMN volunteer_interest.centre_id IS 'The volunteer''s centre (row-level security)';
ALTER TABLE volunteer_interest ENABLE ROW LEVEL SECURITY;
-- Coordinators of the centre, and the guide for their own record.
CREATE POLICY volunteer_interest_tenant ON volunteer_interest
    USING (kompas_same_centre(centre_id) AND volunteer_id IN (SELECT id FROM volunteer))
    WITH CHECK (kompas_same_centre(centre_id) AND volunteer_id IN (SELECT id FROM volunteer)
                AND kompas_role() IN ('admin', 'coordinator', 'guide'));
GRANT SELECT, INSERT, DELETE ON volunteer_interest TO kompas_app;

CREATE TABLE volunteer_availability (
    volunteer_id uuid NOT NULL,
    centre_id uuid NOT NULL REFERENCES centre (id),
    weekday integer NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    starts time NOT NULL,
    ends time NOT NULL,
    PRIMARY KEY (volunteer_id, weekday, starts),
    CHECK (ends > starts),
    FOREIGN KEY (volunteer_id, centre_id) REFERENCES volunteer (id, centre_id) ON DELETE CASCADE
);
COMMENT ON TABLE volunteer_availability IS 'When in a usual week a volunteer can meet citizens: slots per weekday';
COMMENT ON COLUMN volunteer_availability.volunteer_id IS 'The volunteer';
COMMENT ON COLUMN volunteer_availability.centre_id IS 'The volunteer''s centre (row-level security)';
COMMENT ON COLUMN volunteer_availability.weekday IS 'ISO weekday: 1 Monday to 7 Sunday';
COMMENT ON COLUMN volunteer_availability.starts IS 'Start of the slot, local time (Europe/Copenhagen)';
COMMENT ON COLUMN volunteer_availability.ends IS 'End of the slot, local time, after the start on the same day';
ALTER TABLE volunteer_availability ENABLE ROW LEVEL SECURITY;
CREATE POLICY volunteer_availability_tenant ON volunteer_availability
    USING (kompas_same_centre(centre_id) AND volunteer_id IN (SELECT id FROM volunteer))
    WITH CHECK (kompas_same_centre(centre_id) AND volunteer_id IN (SELECT id FROM volunteer)
                AND kompas_role() IN ('admin', 'coordinator', 'guide'));
GRANT SELECT, INSERT, DELETE ON volunteer_availability TO kompas_app;

CREATE TABLE volunteer_training (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    volunteer_id uuid NOT NULL,
    centre_id uuid NOT NULL REFERENCES centre (id),
    module text NOT NULL
        CHECK (module IN ('intro', 'conversation', 'accompaniment', 'first_aid_mental_health',
                          'data_protection')),
    completed_on date NOT NULL,
    expires_on date,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES account (id),
    CHECK (expires_on > completed_on),
    FOREIGN KEY (volunteer_id, centre_id) REFERENCES volunteer (id, centre_id) ON DELETE CASCADE
);
CREATE INDEX volunteer_training_volunteer ON volunteer_training (volunteer_id, module, completed_on);
COMMENT ON TABLE volunteer_training IS 'A training module a volunteer has completed, with its date and, for modules that must be refreshed, its expiry';
COMMENT ON COLUMN volunteer_training.id IS 'Stable identifier';
COMMENT ON COLUMN volunteer_training.volunteer_id IS 'The volunteer';
COMMENT ON COLUMN volunteer_training.centre_id IS 'The volunteer''s centre (row-level security)';
COMMENT ON COLUMN volunteer_training.module IS 'intro, conversation, accompaniment, first_aid_mental_health or data_protection';
COMMENT ON COLUMN volunteer_training.completed_on IS 'The day the module was completed';
COMMENT ON COLUMN volunteer_training.expires_on IS 'The day it must be refreshed by; NULL when it does not expire';
COMMENT ON COLUMN volunteer_training.created_at IS 'When it was recorded';
COMMENT ON COLUMN volunteer_training.created_by IS 'The coordinator who recorded it';
ALTER TABLE volunteer_training ENABLE ROW LEVEL SECURITY;
-- The guide reads their own; only coordinators record and remove.
CREATE POLICY volunteer_training_read ON volunteer_training FOR SELECT
    USING (kompas_same_centre(centre_id) AND volunteer_id IN (SELECT id FROM volunteer));
CREATE POLICY volunteer_training_insert ON volunteer_training FOR INSERT
    WITH CHECK (kompas_same_centre(centre_id) AND kompas_role() IN ('admin', 'coordinator'));
CREATE POLICY volunteer_training_delete ON volunteer_training FOR DELETE
    USING (kompas_same_centre(centre_id) AND kompas_role() IN ('admin', 'coordinator'));
GRANT SELECT, INSERT, DELETE ON volunteer_training TO kompas_app;

CREATE TABLE volunteer_record_check (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    volunteer_id uuid NOT NULL,
    centre_id uuid NOT NULL REFERENCES centre (id),
    kind text NOT NULL CHECK (kind IN ('child_protection', 'criminal_record')),
    checked_on date NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('clear', 'remarks')),
    valid_until date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES account (id),
    CHECK (valid_until > checked_on),
    FOREIGN KEY (volunteer_id, centre_id) REFERENCES volunteer (id, centre_id) ON DELETE CASCADE
);
CREATE INDEX volunteer_record_check_volunteer ON volunteer_record_check (volunteer_id, kind, valid_until);
COMMENT ON TABLE volunteer_record_check IS 'A child-protection (børneattest) or criminal record (straffeattest) check of a volunteer: the facts only, never the document or its content';
COMMENT ON COLUMN volunteer_record_check.id IS 'Stable identifier';
COMMENT ON COLUMN volunteer_record_check.volunteer_id IS 'The volunteer';
COMMENT ON COLUMN volunteer_record_check.centre_id IS 'The volunteer''s centre (row-level security)';
COMMENT ON COLUMN volunteer_record_check.kind IS 'child_protection or criminal_record';
COMMENT ON COLUMN volunteer_record_check.checked_on IS 'The day the centre saw the certificate';
COMMENT ON COLUMN volunteer_record_check.outcome IS 'clear, or remarks (the certificate had entries; what they were is not recorded)';
COMMENT ON COLUMN volunteer_record_check.valid_until IS 'The day a new check is due';
COMMENT ON COLUMN volunteer_record_check.created_at IS 'When it was recorded';
COMMENT ON COLUMN volunteer_record_check.created_by IS 'The coordinator who recorded it';
ALTER TABLE volunteer_record_check ENABLE ROW LEVEL SECURITY;
CREATE POLICY volunteer_record_check_read ON volunteer_record_check FOR SELECT
    USING (kompas_same_centre(centre_id) AND volunteer_id IN (SELECT id FROM volunteer));
CREATE POLICY volunteer_record_check_insert ON volunteer_record_check FOR INSERT
    WITH CHECK (kompas_same_centre(centre_id) AND kompas_role() IN ('admin', 'coordinator'));
CREATE POLICY volunteer_record_check_delete ON volunteer_record_check FOR DELETE
    USING (kompas_same_centre(centre_id) AND kompas_role() IN ('admin', 'coordinator'));
GRANT SELECT, INSERT, DELETE ON volunteer_record_check TO kompas_app;

-- The functions this migration created or changed are in schema/functions/:
-- volunteer_guard.
