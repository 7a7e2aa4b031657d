-- 0007: the core of the domain: categories, associations, volunteers and
-- events, with their tenant isolation. The resource migrations that follow
-- (0008 associations, 0009 volunteers, 0010 events, 0011 request workflow,
-- 0012 courses) add their columns and child tables to these.

-- Row-level security for a centre's tables: staff of the centre see them;
-- admins see all. Resource migrations refine per table.
\ir functions/kompas_same_centre.sql

CREATE TABLE category (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid REFERENCES centre (id),
    kind text NOT NULL CHECK (kind IN ('activity', 'target_group', 'need', 'interest')),
    slug text NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$'),
    name_da text NOT NULL CHECK (char_length(name_da) BETWEEN 1 AND 80),
    name_en text NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 80),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX category_shared_slug ON category (kind, slug) WHERE centre_id IS NULL;
CREATE UNIQUE INDEX category_centre_slug ON category (centre_id, kind, slug) WHERE centre_id IS NOT NULL;
COMMENT ON TABLE category IS 'Shared vocabulary of activity types, target groups, needs and interests; a centre may add its own';
COMMENT ON COLUMN category.id IS 'Stable identifier';
COMMENT ON COLUMN category.centre_id IS 'NULL for the shared vocabulary, else the centre that added it';
COMMENT ON COLUMN category.kind IS 'activity, target_group, need or interest';
COMMENT ON COLUMN category.slug IS 'Stable short name, unique per kind (and centre)';
COMMENT ON COLUMN category.name_da IS 'Danish name shown to users';
COMMENT ON COLUMN category.name_en IS 'English name';
COMMENT ON COLUMN category.created_at IS 'When it was added';
COMMENT ON COLUMN category.updated_at IS 'When it was last changed';
COMMENT ON COLUMN category.version IS 'Incremented on every change; the ETag for If-Match';
ALTER TABLE category ENABLE ROW LEVEL SECURITY;
CREATE POLICY category_read ON category FOR SELECT
    USING (centre_id IS NULL OR kompas_same_centre(centre_id));
CREATE POLICY category_insert ON category FOR INSERT
    WITH CHECK ((centre_id IS NULL AND kompas_role() = 'admin')
                OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre()));
CREATE POLICY category_update ON category FOR UPDATE
    USING ((centre_id IS NULL AND kompas_role() = 'admin')
           OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre()));
GRANT SELECT, INSERT, UPDATE ON category TO kompas_app;

CREATE TABLE association (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    name text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX association_centre_name ON association (centre_id, name, id);
COMMENT ON TABLE association IS 'A community or association (kompasfællesskab, forening) listed on socialkompas';
COMMENT ON COLUMN association.id IS 'Stable identifier';
COMMENT ON COLUMN association.centre_id IS 'The centre whose socialkompas lists it';
COMMENT ON COLUMN association.name IS 'Name';
COMMENT ON COLUMN association.created_at IS 'When it was added';
COMMENT ON COLUMN association.updated_at IS 'When it was last changed';
COMMENT ON COLUMN association.version IS 'Incremented on every change; the ETag for If-Match';
ALTER TABLE association ENABLE ROW LEVEL SECURITY;
CREATE POLICY association_tenant ON association USING (kompas_same_centre(centre_id));
GRANT SELECT, INSERT, UPDATE ON association TO kompas_app;

-- The association an association-contact account speaks for.
ALTER TABLE account ADD COLUMN association_id uuid REFERENCES association (id);
COMMENT ON COLUMN account.association_id IS 'For role association: the association the account is the contact of';

CREATE TABLE volunteer (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    account_id uuid UNIQUE REFERENCES account (id),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    status text NOT NULL DEFAULT 'applicant'
        CHECK (status IN ('applicant', 'in_training', 'active', 'paused', 'retired', 'rejected')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX volunteer_centre_name ON volunteer (centre_id, name, id);
COMMENT ON TABLE volunteer IS 'A volunteer Kompasguide (frivillig brobygger) of a centre';
COMMENT ON COLUMN volunteer.id IS 'Stable identifier';
COMMENT ON COLUMN volunteer.centre_id IS 'The centre the volunteer works with';
COMMENT ON COLUMN volunteer.account_id IS 'The guide''s login account, if any';
COMMENT ON COLUMN volunteer.name IS 'Name';
COMMENT ON COLUMN volunteer.status IS 'applicant, in_training, active, paused, retired or rejected';
COMMENT ON COLUMN volunteer.created_at IS 'When the volunteer was registered';
COMMENT ON COLUMN volunteer.updated_at IS 'When the record was last changed';
COMMENT ON COLUMN volunteer.version IS 'Incremented on every change; the ETag for If-Match';
ALTER TABLE volunteer ENABLE ROW LEVEL SECURITY;
-- Coordinators (and admins) see their centre's volunteers; a guide sees
-- their own record.
CREATE POLICY volunteer_tenant ON volunteer
    USING ((kompas_same_centre(centre_id) AND kompas_role() IN ('admin', 'coordinator'))
           OR (account_id IS NOT NULL AND account_id = kompas_account()))
    WITH CHECK (kompas_same_centre(centre_id) AND kompas_role() IN ('admin', 'coordinator', 'guide'));
GRANT SELECT, INSERT, UPDATE ON volunteer TO kompas_app;

CREATE TABLE event (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    association_id uuid REFERENCES association (id),
    kind text NOT NULL
        CHECK (kind IN ('activity', 'guide_training', 'welcome_workshop', 'info_meeting')),
    title text NOT NULL CHECK (char_length(title) BETWEEN 2 AND 200),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    cancelled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK (ends_at > starts_at)
);
CREATE INDEX event_centre_starts ON event (centre_id, starts_at, id);
COMMENT ON TABLE event IS 'A dated occurrence: an association''s activity, a guide training, a welcome workshop or an information meeting';
COMMENT ON COLUMN event.id IS 'Stable identifier';
COMMENT ON COLUMN event.centre_id IS 'The centre that lists it';
COMMENT ON COLUMN event.association_id IS 'The association holding it, if any';
COMMENT ON COLUMN event.kind IS 'activity, guide_training, welcome_workshop or info_meeting';
COMMENT ON COLUMN event.title IS 'Title';
COMMENT ON COLUMN event.starts_at IS 'Start';
COMMENT ON COLUMN event.ends_at IS 'End (after the start)';
COMMENT ON COLUMN event.cancelled IS 'A cancelled occurrence stays listed as cancelled';
COMMENT ON COLUMN event.created_at IS 'When it was added';
COMMENT ON COLUMN event.updated_at IS 'When it was last changed';
COMMENT ON COLUMN event.version IS 'Incremented on every change; the ETag for If-Match';
ALTER TABLE event ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_tenant ON event USING (kompas_same_centre(centre_id));
GRANT SELECT, INSERT, UPDATE ON event TO kompas_app;

-- Centre settings used by the workflows, with defaults.
ALTER TABLE centre ADD COLUMN first_contact_target_days integer NOT NULL DEFAULT 5
    CHECK (first_contact_target_days BETWEEN 1 AND 60);
ALTER TABLE centre ADD COLUMN default_planned_visits integer NOT NULL DEFAULT 4
    CHECK (default_planned_visits BETWEEN 1 AND 20);
ALTER TABLE centre ADD COLUMN retention_months integer NOT NULL DEFAULT 24
    CHECK (retention_months BETWEEN 6 AND 120);
COMMENT ON COLUMN centre.first_contact_target_days IS 'A request waiting longer than this for first contact is flagged on the work list';
COMMENT ON COLUMN centre.default_planned_visits IS 'Planned visits of a new course unless given';
COMMENT ON COLUMN centre.retention_months IS 'Closed requests are anonymised this many months after closing';

-- The functions this migration created or changed are in schema/functions/:
-- kompas_same_centre.
