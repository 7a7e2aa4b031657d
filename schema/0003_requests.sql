-- 0003: citizens' requests for a Kompasguide, with their personal data
-- sealed (XChaCha20-Poly1305, bound to row and field) and blind indexes for
-- exact lookup of phone and e-mail. The request workflow (states, history,
-- consent, conversations) grows on this table in later migrations.

CREATE TABLE request (
    id uuid PRIMARY KEY,
    centre_id uuid NOT NULL REFERENCES centre (id),
    source text NOT NULL
        CHECK (source IN ('portal', 'phone', 'walk_in', 'municipal_referral', 'relative_referral')),
    portal_reference text CHECK (char_length(portal_reference) BETWEEN 1 AND 100),
    state text NOT NULL DEFAULT 'received'
        CHECK (state IN ('received', 'accepted', 'declined', 'guide_assigned', 'contacted',
                         'conversation_held', 'course_started', 'referred', 'signposted',
                         'closed', 'withdrawn')),
    name_sealed bytea CHECK (length(name_sealed) > 42),
    phone_sealed bytea CHECK (length(phone_sealed) > 42),
    email_sealed bytea CHECK (length(email_sealed) > 42),
    address_sealed bytea CHECK (length(address_sealed) > 42),
    notes_sealed bytea CHECK (length(notes_sealed) > 42),
    phone_bidx bytea CHECK (length(phone_bidx) = 32),
    email_bidx bytea CHECK (length(email_bidx) = 32),
    postal_code text CHECK (postal_code ~ '^[0-9]{3,4}$'),
    age_band text CHECK (age_band IN ('18-24', '25-34', '35-49', '50-64', '65-79', '80+')),
    preferred_language text CHECK (preferred_language ~ '^[a-z]{2}$'),
    contact_preference text CHECK (contact_preference IN ('phone', 'email', 'sms', 'letter')),
    heard_from text CHECK (heard_from IN ('socialkompas', 'municipal_staff', 'relative',
                                          'local_paper', 'association', 'other')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    anonymised_at timestamptz,
    UNIQUE (centre_id, portal_reference),
    CHECK (anonymised_at IS NOT NULL OR name_sealed IS NOT NULL),
    CHECK (source <> 'portal' OR portal_reference IS NOT NULL)
);
CREATE INDEX request_centre_created ON request (centre_id, created_at, id);
CREATE INDEX request_phone_bidx ON request (centre_id, phone_bidx) WHERE phone_bidx IS NOT NULL;
CREATE INDEX request_email_bidx ON request (centre_id, email_bidx) WHERE email_bidx IS NOT NULL;

COMMENT ON TABLE request IS 'A citizen''s request for a Kompasguide (anmodning), with the citizen''s contact details sealed';
COMMENT ON COLUMN request.id IS 'Stable identifier; also bound into every sealed field''s associated data';
COMMENT ON COLUMN request.centre_id IS 'The centre that owns the request';
COMMENT ON COLUMN request.source IS 'How the request came: portal, phone, walk_in, municipal_referral, relative_referral';
COMMENT ON COLUMN request.portal_reference IS 'The socialkompas portal''s own reference; unique per centre, so a repeated submission finds the first';
COMMENT ON COLUMN request.state IS 'Where the request is in its workflow';
COMMENT ON COLUMN request.name_sealed IS 'Citizen''s name: key id | nonce | XChaCha20-Poly1305 ciphertext, bound to request/<id>/name';
COMMENT ON COLUMN request.phone_sealed IS 'Citizen''s phone number, sealed like name_sealed';
COMMENT ON COLUMN request.email_sealed IS 'Citizen''s e-mail address, sealed like name_sealed';
COMMENT ON COLUMN request.address_sealed IS 'Citizen''s postal address, sealed like name_sealed';
COMMENT ON COLUMN request.notes_sealed IS 'Free-text notes about the citizen, sealed like name_sealed';
COMMENT ON COLUMN request.phone_bidx IS 'Blind index: keyed hash of the normalised phone number, for exact lookup and duplicate warnings';
COMMENT ON COLUMN request.email_bidx IS 'Blind index: keyed hash of the normalised e-mail address';
COMMENT ON COLUMN request.postal_code IS 'Citizen''s postal code (not sealed: used for matching; coarsened on anonymisation)';
COMMENT ON COLUMN request.age_band IS 'Age band, never a birth date';
COMMENT ON COLUMN request.preferred_language IS 'ISO 639-1 code of the language the citizen prefers';
COMMENT ON COLUMN request.contact_preference IS 'How the citizen wants to be contacted';
COMMENT ON COLUMN request.heard_from IS 'How the citizen (or who helped them) heard of the offer: the communication strategy''s measure';
COMMENT ON COLUMN request.created_at IS 'When the request was received';
COMMENT ON COLUMN request.updated_at IS 'When the request was last changed';
COMMENT ON COLUMN request.version IS 'Incremented on every change; the ETag for If-Match';
COMMENT ON COLUMN request.anonymised_at IS 'When the personal data was removed; the statistics stay';

ALTER TABLE request ENABLE ROW LEVEL SECURITY;
CREATE POLICY request_tenant ON request
    USING (centre_id = kompas_centre() AND kompas_role() IN ('coordinator', 'portal', 'guide'))
    WITH CHECK (centre_id = kompas_centre() AND kompas_role() IN ('coordinator', 'portal'));
GRANT SELECT, INSERT, UPDATE ON request TO kompas_app;

ALTER TABLE access_log DROP CONSTRAINT access_log_subject_check;
ALTER TABLE access_log ADD CONSTRAINT access_log_subject_check CHECK (subject IN ('request'));
ALTER TABLE access_log ADD CONSTRAINT access_log_subject_fk
    FOREIGN KEY (subject_id) REFERENCES request (id) ON DELETE SET NULL;
