-- 0008: associations (kompasfællesskaber) in full, their categories, who may
-- read and change them, and the shared category vocabulary.

-- Danish sort order for names shown in lists (æ, ø, å after z, in that
-- order; case-insensitive before case-sensitive). ICU when the server has
-- it; otherwise byte order, so the migration runs everywhere.
DO $$
BEGIN
    CREATE COLLATION kompas_da (provider = icu, locale = 'da-DK');
EXCEPTION WHEN OTHERS THEN
    CREATE COLLATION kompas_da FROM "C";
END
$$;
COMMENT ON COLLATION kompas_da IS 'Danish order for names in lists (ICU da-DK where available, else byte order)';

ALTER TABLE association
    ADD COLUMN cvr text CHECK (cvr ~ '^[1-9][0-9]{7}$'),
    ADD COLUMN description text CHECK (char_length(description) BETWEEN 1 AND 4000),
    ADD COLUMN address text CHECK (char_length(address) BETWEEN 1 AND 300),
    ADD COLUMN postal_code text CHECK (postal_code ~ '^[0-9]{4}$'),
    ADD COLUMN latitude double precision CHECK (latitude BETWEEN 54 AND 58),
    ADD COLUMN longitude double precision CHECK (longitude BETWEEN 8 AND 16),
    ADD COLUMN contact_name text CHECK (char_length(contact_name) BETWEEN 1 AND 200),
    ADD COLUMN contact_email text
        CHECK (char_length(contact_email) <= 254 AND contact_email LIKE '%_@_%'),
    ADD COLUMN contact_phone text CHECK (char_length(contact_phone) BETWEEN 8 AND 20),
    ADD COLUMN website text CHECK (char_length(website) <= 300 AND website ~ '^https?://'),
    ADD COLUMN socialkompas_ref text CHECK (char_length(socialkompas_ref) BETWEEN 1 AND 200),
    ADD COLUMN is_member boolean NOT NULL DEFAULT false,
    ADD COLUMN scheme_offered boolean NOT NULL DEFAULT false,
    ADD COLUMN scheme_for text CHECK (char_length(scheme_for) BETWEEN 1 AND 1000),
    ADD COLUMN scheme_how_to_refer text CHECK (char_length(scheme_how_to_refer) BETWEEN 1 AND 2000),
    ADD COLUMN welcome_contact_name text CHECK (char_length(welcome_contact_name) BETWEEN 1 AND 200),
    ADD COLUMN welcome_contact_email text
        CHECK (char_length(welcome_contact_email) <= 254 AND welcome_contact_email LIKE '%_@_%'),
    ADD COLUMN welcome_contact_phone text
        CHECK (char_length(welcome_contact_phone) BETWEEN 8 AND 20),
    ADD COLUMN welcome_training_on date,
    ADD COLUMN newcomer_places integer CHECK (newcomer_places BETWEEN 0 AND 10000),
    ADD COLUMN newcomer_places_updated_at timestamptz,
    ADD CONSTRAINT association_coordinates_together CHECK ((latitude IS NULL) = (longitude IS NULL)),
    ADD CONSTRAINT association_places_dated
        CHECK (newcomer_places IS NULL OR newcomer_places_updated_at IS NOT NULL);
-- One name per centre (case-insensitive): a second "Ældre Sagen Odense" is
-- a mistake, not a second association.
CREATE UNIQUE INDEX association_centre_lower_name ON association (centre_id, lower(name));
CREATE INDEX association_centre_postal ON association (centre_id, postal_code);
COMMENT ON COLUMN association.cvr IS 'Danish CVR number (8 digits, modulus-11 check digit checked by the API), if it has one';
COMMENT ON COLUMN association.description IS 'What the association does, as shown on socialkompas';
COMMENT ON COLUMN association.address IS 'Where it meets (street address of the organisation, not of a person)';
COMMENT ON COLUMN association.postal_code IS 'Danish postal code of the address';
COMMENT ON COLUMN association.latitude IS 'WGS84 latitude of the meeting place (within Denmark: 54 to 58), with longitude or not at all';
COMMENT ON COLUMN association.longitude IS 'WGS84 longitude of the meeting place (within Denmark: 8 to 16), with latitude or not at all';
COMMENT ON COLUMN association.contact_name IS 'The association''s contact person (internal: not in the portal view)';
COMMENT ON COLUMN association.contact_email IS 'E-mail of the contact person (internal: not in the portal view)';
COMMENT ON COLUMN association.contact_phone IS 'Phone of the contact person (internal: not in the portal view)';
COMMENT ON COLUMN association.website IS 'The association''s website';
COMMENT ON COLUMN association.socialkompas_ref IS 'The association''s reference (id or address) on the centre''s socialkompas';
COMMENT ON COLUMN association.is_member IS 'Member of the centre (kompasfællesskab) or not (internal: not in the portal view)';
COMMENT ON COLUMN association.scheme_offered IS 'Offers its own accompaniment scheme (følgeskabsordning) that citizens can be referred to';
COMMENT ON COLUMN association.scheme_for IS 'Whom the accompaniment scheme is for';
COMMENT ON COLUMN association.scheme_how_to_refer IS 'How staff refer a citizen to the scheme (internal: not in the portal view)';
COMMENT ON COLUMN association.welcome_contact_name IS 'The person who welcomes newcomers (internal)';
COMMENT ON COLUMN association.welcome_contact_email IS 'E-mail of the welcome contact (internal)';
COMMENT ON COLUMN association.welcome_contact_phone IS 'Phone of the welcome contact (internal)';
COMMENT ON COLUMN association.welcome_training_on IS 'Date of the association''s inclusion/welcome training, if it has had it (internal)';
COMMENT ON COLUMN association.newcomer_places IS 'How many newcomers it can receive now; NULL when unknown (internal)';
COMMENT ON COLUMN association.newcomer_places_updated_at IS 'When newcomer_places was last set: stale capacity shows on the coordinators'' work list (internal)';

\ir functions/kompas_association.sql

-- Associations: everyone of the centre (coordinators, guides, association
-- contacts, the portal) and admins read; coordinators of the centre and
-- admins write; an association contact changes its own association only
-- (which columns, the API decides).
DROP POLICY association_tenant ON association;
CREATE POLICY association_read ON association FOR SELECT
    USING (kompas_same_centre(centre_id));
CREATE POLICY association_insert ON association FOR INSERT
    WITH CHECK (kompas_role() = 'admin'
                OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre()));
CREATE POLICY association_update ON association FOR UPDATE
    USING (kompas_role() = 'admin'
           OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre())
           OR (kompas_role() = 'association' AND centre_id = kompas_centre()
               AND id = (SELECT kompas_association())))
    WITH CHECK (kompas_role() = 'admin'
                OR (kompas_role() IN ('coordinator', 'association') AND centre_id = kompas_centre()));

CREATE TABLE association_category (
    association_id uuid NOT NULL REFERENCES association (id) ON DELETE CASCADE,
    category_id uuid NOT NULL REFERENCES category (id),
    PRIMARY KEY (association_id, category_id)
);
CREATE INDEX association_category_category ON association_category (category_id, association_id);
COMMENT ON TABLE association_category IS 'The categories of an association: activity types, target groups, needs and interests (shared ones or its centre''s own)';
COMMENT ON COLUMN association_category.association_id IS 'The association';
COMMENT ON COLUMN association_category.category_id IS 'One of its categories (shared, or of the association''s centre)';
ALTER TABLE association_category ENABLE ROW LEVEL SECURITY;
-- Visible with the association; written by those who may change the
-- association's categories (coordinators of its centre, admins), and only
-- with a category that is shared or of the association's centre.
CREATE POLICY association_category_read ON association_category FOR SELECT
    USING (EXISTS (SELECT 1 FROM association a WHERE a.id = association_id));
CREATE POLICY association_category_insert ON association_category FOR INSERT
    WITH CHECK (kompas_role() IN ('admin', 'coordinator')
                AND EXISTS (SELECT 1 FROM association a JOIN category c ON c.id = category_id
                             WHERE a.id = association_id AND kompas_same_centre(a.centre_id)
                               AND (c.centre_id IS NULL OR c.centre_id = a.centre_id)));
CREATE POLICY association_category_delete ON association_category FOR DELETE
    USING (kompas_role() IN ('admin', 'coordinator')
           AND EXISTS (SELECT 1 FROM association a
                        WHERE a.id = association_id AND kompas_same_centre(a.centre_id)));
GRANT SELECT, INSERT, DELETE ON association_category TO kompas_app;

-- Categories: FriSe's analysts read every centre's additions too (labels
-- for statistics; not personal data). Admins change any category;
-- coordinators add and change their centre's own.
DROP POLICY category_read ON category;
CREATE POLICY category_read ON category FOR SELECT
    USING (centre_id IS NULL OR kompas_same_centre(centre_id) OR kompas_role() = 'analyst');
DROP POLICY category_insert ON category;
CREATE POLICY category_insert ON category FOR INSERT
    WITH CHECK (kompas_role() = 'admin'
                OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre()));
DROP POLICY category_update ON category;
CREATE POLICY category_update ON category FOR UPDATE
    USING (kompas_role() = 'admin'
           OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre()))
    WITH CHECK (kompas_role() = 'admin'
                OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre()));
CREATE INDEX category_kind_name ON category (kind, name_da, id);

-- The shared vocabulary (centre_id NULL).
INSERT INTO category (kind, slug, name_da, name_en) VALUES
    ('activity', 'gaatur', 'Gåtur', 'Walking group'),
    ('activity', 'faellesspisning', 'Fællesspisning', 'Community dining'),
    ('activity', 'strikkeklub', 'Strikkeklub', 'Knitting club'),
    ('activity', 'kor-og-sang', 'Kor og sang', 'Choir and singing'),
    ('activity', 'braetspil', 'Brætspil', 'Board games'),
    ('activity', 'motion', 'Motion', 'Exercise'),
    ('activity', 'naturoplevelser', 'Naturoplevelser', 'Nature outings'),
    ('activity', 'kreativt-vaerksted', 'Kreativt værksted', 'Creative workshop'),
    ('activity', 'sprogcafe', 'Sprogcafé', 'Language café'),
    ('activity', 'laesekreds', 'Læsekreds', 'Reading circle'),
    ('activity', 'havefaellesskab', 'Havefællesskab', 'Community garden'),
    ('activity', 'cykling', 'Cykling', 'Cycling'),
    ('target_group', 'aeldre', 'Ældre', 'Older people'),
    ('target_group', 'unge', 'Unge', 'Young people'),
    ('target_group', 'psykisk-saarbare', 'Psykisk sårbare', 'People with mental vulnerabilities'),
    ('target_group', 'nydanskere', 'Nydanskere', 'New Danes'),
    ('target_group', 'familier', 'Familier', 'Families'),
    ('target_group', 'maend', 'Mænd', 'Men'),
    ('target_group', 'paaroerende', 'Pårørende', 'Relatives and carers'),
    ('target_group', 'mennesker-med-handicap', 'Mennesker med handicap', 'People with disabilities'),
    ('need', 'ensomhed', 'Ensomhed', 'Loneliness'),
    ('need', 'social-angst', 'Social angst', 'Social anxiety'),
    ('need', 'struktur-i-hverdagen', 'Struktur i hverdagen', 'Structure in everyday life'),
    ('need', 'fysisk-aktivitet', 'Fysisk aktivitet', 'Physical activity'),
    ('need', 'at-laere-dansk', 'At lære dansk', 'Learning Danish'),
    ('need', 'nye-venner', 'Nye venner', 'New friends'),
    ('interest', 'natur', 'Natur', 'Nature'),
    ('interest', 'musik', 'Musik', 'Music'),
    ('interest', 'madlavning', 'Madlavning', 'Cooking'),
    ('interest', 'haandarbejde', 'Håndarbejde', 'Needlework and crafts'),
    ('interest', 'sport', 'Sport', 'Sport'),
    ('interest', 'kultur', 'Kultur', 'Culture'),
    ('interest', 'spil', 'Spil', 'Games'),
    ('interest', 'dyr', 'Dyr', 'Animals');

-- The functions this migration created or changed are in schema/functions/:
-- kompas_association.
