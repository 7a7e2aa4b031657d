-- 0010: events in full: description, place, accessibility and capacity of
-- an occurrence; weekly and monthly series expanded into occurrences;
-- categories; sign-ups with capacity; Danish full-text search; and the
-- public projection the socialkompas portals read.
--
-- Who sees what (row-level security):
--   everyone of the centre (coordinators, guides, association contacts,
--     portals) and admins read the events (the API hides internal_note from
--     those who may not write the event);
--   coordinators write their centre's events; an association contact adds
--     and changes activities of its own association;
--   sign-ups: coordinators see and change their centre's; a guide their own
--     (through their volunteer record); an association contact their own.
--   event_public, a view owned by the schema owner, shows the public columns
--     of every event without a caller: only what the portals publish.

-- ---------------------------------------------------------------- series

CREATE TABLE event_series (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    association_id uuid REFERENCES association (id),
    kind text NOT NULL
        CHECK (kind IN ('activity', 'guide_training', 'welcome_workshop', 'info_meeting')),
    title text NOT NULL CHECK (char_length(title) BETWEEN 2 AND 200),
    description text CHECK (char_length(description) BETWEEN 1 AND 4000),
    address text CHECK (char_length(address) BETWEEN 1 AND 300),
    postal_code text CHECK (postal_code ~ '^[0-9]{4}$'),
    online_url text CHECK (char_length(online_url) <= 500 AND online_url ~ '^https?://'),
    accessibility text CHECK (char_length(accessibility) BETWEEN 1 AND 1000),
    capacity integer CHECK (capacity BETWEEN 1 AND 10000),
    internal_note text CHECK (char_length(internal_note) BETWEEN 1 AND 4000),
    frequency text NOT NULL CHECK (frequency IN ('weekly', 'monthly')),
    repeat_interval integer NOT NULL DEFAULT 1 CHECK (repeat_interval BETWEEN 1 AND 4),
    occurrence_count integer CHECK (occurrence_count BETWEEN 1 AND 104),
    until_date date,
    time_zone text NOT NULL DEFAULT 'Europe/Copenhagen' CHECK (time_zone = 'Europe/Copenhagen'),
    first_starts_at timestamptz NOT NULL,
    first_ends_at timestamptz NOT NULL,
    created_by uuid REFERENCES account (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK ((occurrence_count IS NULL) <> (until_date IS NULL)),
    CHECK (first_ends_at > first_starts_at),
    CHECK (until_date IS NULL
           OR (until_date >= (first_starts_at AT TIME ZONE 'Europe/Copenhagen')::date
               AND until_date <= ((first_starts_at AT TIME ZONE 'Europe/Copenhagen')::date
                                  + interval '2 years')::date))
);
CREATE INDEX event_series_centre ON event_series (centre_id, created_at, id);
COMMENT ON TABLE event_series IS 'A weekly or monthly series of events, created in one call and expanded into its occurrences (rows of event with series_id); at most 104 occurrences within 2 years';
COMMENT ON COLUMN event_series.id IS 'Stable identifier';
COMMENT ON COLUMN event_series.centre_id IS 'The centre that lists it';
COMMENT ON COLUMN event_series.association_id IS 'The association holding it, if any (of the same centre)';
COMMENT ON COLUMN event_series.kind IS 'activity, guide_training, welcome_workshop or info_meeting (copied to each occurrence)';
COMMENT ON COLUMN event_series.title IS 'Title (copied to each occurrence)';
COMMENT ON COLUMN event_series.description IS 'Description (copied to each occurrence)';
COMMENT ON COLUMN event_series.address IS 'Street address of the place (copied to each occurrence)';
COMMENT ON COLUMN event_series.postal_code IS 'Danish postal code of the place (copied to each occurrence)';
COMMENT ON COLUMN event_series.online_url IS 'Link for taking part online (copied to each occurrence)';
COMMENT ON COLUMN event_series.accessibility IS 'Accessibility notes (copied to each occurrence)';
COMMENT ON COLUMN event_series.capacity IS 'Places per occurrence; NULL = unlimited (copied to each occurrence)';
COMMENT ON COLUMN event_series.internal_note IS 'Note for staff, never public (copied to each occurrence)';
COMMENT ON COLUMN event_series.frequency IS 'weekly or monthly';
COMMENT ON COLUMN event_series.repeat_interval IS 'Every 1 to 4 weeks or months';
COMMENT ON COLUMN event_series.occurrence_count IS 'Number of occurrences (1 to 104); exactly one of occurrence_count and until_date is set';
COMMENT ON COLUMN event_series.until_date IS 'Last local date an occurrence may start on (at most 2 years after the first); exactly one of occurrence_count and until_date is set';
COMMENT ON COLUMN event_series.time_zone IS 'The wall clock of the expansion: every occurrence starts at the first one''s local time of day, across daylight-saving changes';
COMMENT ON COLUMN event_series.first_starts_at IS 'Start of the first occurrence';
COMMENT ON COLUMN event_series.first_ends_at IS 'End of the first occurrence; each occurrence lasts as long in local time';
COMMENT ON COLUMN event_series.created_by IS 'The account that created the series';
COMMENT ON COLUMN event_series.created_at IS 'When it was created';
COMMENT ON COLUMN event_series.updated_at IS 'When it was last changed';
COMMENT ON COLUMN event_series.version IS 'Incremented on every change; the ETag for If-Match';
ALTER TABLE event_series ENABLE ROW LEVEL SECURITY;
-- The template holds the internal note: staff only.
CREATE POLICY event_series_read ON event_series FOR SELECT
    USING (kompas_same_centre(centre_id) AND kompas_role() IN ('admin', 'coordinator'));
CREATE POLICY event_series_insert ON event_series FOR INSERT
    WITH CHECK (kompas_role() = 'coordinator' AND centre_id = kompas_centre());
GRANT SELECT, INSERT ON event_series TO kompas_app;

-- ---------------------------------------------------------------- event

ALTER TABLE event
    ADD COLUMN description text CHECK (char_length(description) BETWEEN 1 AND 4000),
    ADD COLUMN address text CHECK (char_length(address) BETWEEN 1 AND 300),
    ADD COLUMN postal_code text CHECK (postal_code ~ '^[0-9]{4}$'),
    ADD COLUMN online_url text CHECK (char_length(online_url) <= 500 AND online_url ~ '^https?://'),
    ADD COLUMN accessibility text CHECK (char_length(accessibility) BETWEEN 1 AND 1000),
    ADD COLUMN capacity integer CHECK (capacity BETWEEN 1 AND 10000),
    ADD COLUMN signup_count integer NOT NULL DEFAULT 0 CHECK (signup_count >= 0),
    ADD COLUMN series_id uuid REFERENCES event_series (id),
    ADD COLUMN internal_note text CHECK (char_length(internal_note) BETWEEN 1 AND 4000),
    ADD COLUMN created_by uuid REFERENCES account (id),
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('danish', title), 'A')
        || setweight(to_tsvector('danish', coalesce(description, '')), 'B')) STORED,
    ADD CONSTRAINT event_capacity_kept CHECK (capacity IS NULL OR signup_count <= capacity),
    ADD CONSTRAINT event_bounded_length CHECK (ends_at <= starts_at + interval '14 days'),
    ADD CONSTRAINT event_id_centre UNIQUE (id, centre_id);
CREATE INDEX event_search ON event USING gin (search);
CREATE INDEX event_association_starts ON event (association_id, starts_at, id)
    WHERE association_id IS NOT NULL;
CREATE INDEX event_centre_postal_starts ON event (centre_id, postal_code, starts_at, id)
    WHERE postal_code IS NOT NULL;
CREATE INDEX event_series_starts ON event (series_id, starts_at) WHERE series_id IS NOT NULL;
COMMENT ON COLUMN event.description IS 'What happens, for the portal and the dashboards';
COMMENT ON COLUMN event.address IS 'Street address of the place (of a venue, not of a person)';
COMMENT ON COLUMN event.postal_code IS 'Danish postal code of the place';
COMMENT ON COLUMN event.online_url IS 'Link for taking part online, if any';
COMMENT ON COLUMN event.accessibility IS 'Accessibility notes: step-free access, hearing loop, toilets, ...';
COMMENT ON COLUMN event.capacity IS 'Places for sign-ups; NULL = unlimited';
COMMENT ON COLUMN event.signup_count IS 'Active (not cancelled) sign-ups, kept by a trigger on event_signup; never above capacity';
COMMENT ON COLUMN event.series_id IS 'The series this occurrence was expanded from, if any';
COMMENT ON COLUMN event.internal_note IS 'Note for staff and the holding association; never public';
COMMENT ON COLUMN event.created_by IS 'The account that created the event (or its series)';
COMMENT ON COLUMN event.search IS 'Danish full-text search vector: the title (weight A) and the description (weight B)';
CREATE INDEX event_created_by ON event (created_by) WHERE created_by IS NOT NULL;

-- Writers: coordinators of the centre (and admins); an association contact
-- for the activities of its own association. Readers: the whole centre.
DROP POLICY event_tenant ON event;
CREATE POLICY event_read ON event FOR SELECT
    USING (kompas_same_centre(centre_id));
CREATE POLICY event_insert ON event FOR INSERT
    WITH CHECK (kompas_same_centre(centre_id)
                AND (kompas_role() IN ('admin', 'coordinator')
                     OR (kompas_role() = 'association' AND kind = 'activity'
                         AND association_id = (SELECT kompas_association()))));
CREATE POLICY event_update ON event FOR UPDATE
    USING (kompas_same_centre(centre_id)
           AND (kompas_role() IN ('admin', 'coordinator')
                OR (kompas_role() = 'association' AND kind = 'activity'
                    AND association_id = (SELECT kompas_association()))))
    WITH CHECK (kompas_same_centre(centre_id)
                AND (kompas_role() IN ('admin', 'coordinator')
                     OR (kompas_role() = 'association' AND kind = 'activity'
                         AND association_id = (SELECT kompas_association()))));

\ir functions/event_association_check.sql

CREATE TRIGGER event_association_check BEFORE INSERT OR UPDATE OF association_id, centre_id ON event
    FOR EACH ROW EXECUTE FUNCTION event_association_check();
CREATE TRIGGER event_series_association_check
    BEFORE INSERT OR UPDATE OF association_id, centre_id ON event_series
    FOR EACH ROW EXECUTE FUNCTION event_association_check();

-- ---------------------------------------------------------------- categories

CREATE TABLE event_category (
    event_id uuid NOT NULL,
    category_id uuid NOT NULL REFERENCES category (id),
    centre_id uuid NOT NULL REFERENCES centre (id),
    PRIMARY KEY (event_id, category_id),
    FOREIGN KEY (event_id, centre_id) REFERENCES event (id, centre_id)
);
CREATE INDEX event_category_category ON event_category (category_id, event_id);
COMMENT ON TABLE event_category IS 'The categories of an event (shared ones or its centre''s own), for the category filter';
COMMENT ON COLUMN event_category.event_id IS 'The event';
COMMENT ON COLUMN event_category.category_id IS 'One of its categories';
COMMENT ON COLUMN event_category.centre_id IS 'The event''s centre (row-level security; the foreign key keeps it equal)';
ALTER TABLE event_category ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_category_read ON event_category FOR SELECT
    USING (kompas_same_centre(centre_id));
-- Written by those who may change the event (its update policy decides).
CREATE POLICY event_category_insert ON event_category FOR INSERT
    WITH CHECK (kompas_same_centre(centre_id)
                AND kompas_role() IN ('admin', 'coordinator', 'association')
                AND EXISTS (SELECT 1 FROM event e WHERE e.id = event_id
                             AND (kompas_role() <> 'association'
                                  OR (e.kind = 'activity'
                                      AND e.association_id = (SELECT kompas_association())))));
CREATE POLICY event_category_delete ON event_category FOR DELETE
    USING (kompas_same_centre(centre_id)
           AND kompas_role() IN ('admin', 'coordinator', 'association')
           AND EXISTS (SELECT 1 FROM event e WHERE e.id = event_id
                        AND (kompas_role() <> 'association'
                             OR (e.kind = 'activity'
                                 AND e.association_id = (SELECT kompas_association())))));
GRANT SELECT, INSERT, DELETE ON event_category TO kompas_app;

\ir functions/event_category_check.sql

CREATE TRIGGER event_category_check BEFORE INSERT ON event_category
    FOR EACH ROW EXECUTE FUNCTION event_category_check();

-- ---------------------------------------------------------------- sign-ups

CREATE TABLE event_signup (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id uuid NOT NULL,
    centre_id uuid NOT NULL REFERENCES centre (id),
    volunteer_id uuid REFERENCES volunteer (id),
    account_id uuid REFERENCES account (id),
    created_by uuid REFERENCES account (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz,
    FOREIGN KEY (event_id, centre_id) REFERENCES event (id, centre_id),
    CHECK ((volunteer_id IS NULL) <> (account_id IS NULL)),
    CHECK (cancelled_at IS NULL OR cancelled_at >= created_at)
);
CREATE INDEX event_signup_event ON event_signup (event_id, created_at, id);
CREATE UNIQUE INDEX event_signup_volunteer_active ON event_signup (event_id, volunteer_id)
    WHERE cancelled_at IS NULL AND volunteer_id IS NOT NULL;
CREATE UNIQUE INDEX event_signup_account_active ON event_signup (event_id, account_id)
    WHERE cancelled_at IS NULL AND account_id IS NOT NULL;
CREATE INDEX event_signup_volunteer ON event_signup (volunteer_id) WHERE volunteer_id IS NOT NULL;
CREATE INDEX event_signup_account ON event_signup (account_id) WHERE account_id IS NOT NULL;
COMMENT ON TABLE event_signup IS 'A sign-up for a guide training, welcome workshop or information meeting: a volunteer or an association contact; cancelled sign-ups are kept';
COMMENT ON COLUMN event_signup.id IS 'Stable identifier';
COMMENT ON COLUMN event_signup.event_id IS 'The event';
COMMENT ON COLUMN event_signup.centre_id IS 'The event''s centre (row-level security; the foreign key keeps it equal)';
COMMENT ON COLUMN event_signup.volunteer_id IS 'The volunteer signed up (exactly one of volunteer_id and account_id)';
COMMENT ON COLUMN event_signup.account_id IS 'The association contact''s account signed up (exactly one of volunteer_id and account_id)';
COMMENT ON COLUMN event_signup.created_by IS 'The account that made the sign-up (the person, or a coordinator for them)';
COMMENT ON COLUMN event_signup.created_at IS 'When';
COMMENT ON COLUMN event_signup.cancelled_at IS 'When the sign-up was cancelled; a person has at most one active sign-up per event';
ALTER TABLE event_signup ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_signup_read ON event_signup FOR SELECT
    USING (kompas_same_centre(centre_id)
           AND (kompas_role() IN ('admin', 'coordinator')
                OR account_id = kompas_account()
                OR volunteer_id IN (SELECT v.id FROM volunteer v
                                     WHERE v.account_id = kompas_account())));
CREATE POLICY event_signup_insert ON event_signup FOR INSERT
    WITH CHECK (centre_id = kompas_centre()
                AND (kompas_role() = 'coordinator'
                     OR (kompas_role() = 'guide'
                         AND volunteer_id IN (SELECT v.id FROM volunteer v
                                               WHERE v.account_id = kompas_account()))
                     OR (kompas_role() = 'association' AND account_id = kompas_account())));
CREATE POLICY event_signup_update ON event_signup FOR UPDATE
    USING (centre_id = kompas_centre()
           AND (kompas_role() = 'coordinator'
                OR (kompas_role() = 'guide'
                    AND volunteer_id IN (SELECT v.id FROM volunteer v
                                          WHERE v.account_id = kompas_account()))
                OR (kompas_role() = 'association' AND account_id = kompas_account())))
    WITH CHECK (centre_id = kompas_centre());
GRANT SELECT, INSERT, UPDATE ON event_signup TO kompas_app;

\ir functions/event_signup_check.sql

CREATE TRIGGER event_signup_check BEFORE INSERT OR UPDATE OF volunteer_id, account_id, centre_id
    ON event_signup FOR EACH ROW EXECUTE FUNCTION event_signup_check();

\ir functions/event_signup_count.sql

CREATE TRIGGER event_signup_count AFTER INSERT OR UPDATE OF cancelled_at ON event_signup
    FOR EACH ROW EXECUTE FUNCTION event_signup_count();

-- ---------------------------------------------------------------- public view

-- What the portals publish: no internal note, no capacity or sign-up
-- counts, no creator. Owned by the schema owner, so it reads the events of
-- every centre without a caller (the public route has none): a query on it
-- must name its centre.
CREATE VIEW event_public AS
SELECT e.id, e.centre_id, e.kind, e.title, e.description, e.starts_at, e.ends_at,
       e.address, e.postal_code, e.online_url, e.accessibility, e.cancelled,
       e.association_id, s.name AS association_name, e.series_id, e.search,
       ARRAY(SELECT ec.category_id FROM event_category ec WHERE ec.event_id = e.id) AS category_ids,
       coalesce((SELECT json_agg(json_build_object('id', c.id, 'kind', c.kind, 'slug', c.slug,
                                                   'name_da', c.name_da, 'name_en', c.name_en)
                                 ORDER BY c.kind, c.slug)
                   FROM event_category ec JOIN category c ON c.id = ec.category_id
                  WHERE ec.event_id = e.id), '[]'::json) AS categories
  FROM event e LEFT JOIN association s ON s.id = e.association_id;
COMMENT ON VIEW event_public IS 'The public columns of every event, for the portals'' public listing (GET /v1/public/events); filter by centre_id';
COMMENT ON COLUMN event_public.id IS 'The event';
COMMENT ON COLUMN event_public.centre_id IS 'The centre that lists it: every query names one';
COMMENT ON COLUMN event_public.kind IS 'activity, guide_training, welcome_workshop or info_meeting';
COMMENT ON COLUMN event_public.title IS 'Title';
COMMENT ON COLUMN event_public.description IS 'Description';
COMMENT ON COLUMN event_public.starts_at IS 'Start';
COMMENT ON COLUMN event_public.ends_at IS 'End';
COMMENT ON COLUMN event_public.address IS 'Street address of the place';
COMMENT ON COLUMN event_public.postal_code IS 'Postal code of the place';
COMMENT ON COLUMN event_public.online_url IS 'Link for taking part online';
COMMENT ON COLUMN event_public.accessibility IS 'Accessibility notes';
COMMENT ON COLUMN event_public.cancelled IS 'Cancelled occurrences are shown as cancelled';
COMMENT ON COLUMN event_public.association_id IS 'The association holding it, if any';
COMMENT ON COLUMN event_public.association_name IS 'Its name';
COMMENT ON COLUMN event_public.series_id IS 'The series it belongs to, if any';
COMMENT ON COLUMN event_public.search IS 'The Danish search vector, for the free-text filter';
COMMENT ON COLUMN event_public.category_ids IS 'Its categories'' ids, for the category filter';
COMMENT ON COLUMN event_public.categories IS 'Its categories as JSON (id, kind, slug, name_da, name_en)';
GRANT SELECT ON event_public TO kompas_app;

-- The functions this migration created or changed are in schema/functions/:
-- event_association_check, event_category_check, event_signup_check,
-- event_signup_count, kompas_event_lock.
