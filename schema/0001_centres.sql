-- 0001: volunteer centres, the tenants that own Kompas data.

CREATE TABLE centre (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE
        CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])$'),
    name text NOT NULL CHECK (char_length(name) BETWEEN 2 AND 120),
    municipality text NOT NULL CHECK (char_length(municipality) BETWEEN 2 AND 60),
    postal_code text CHECK (postal_code ~ '^[0-9]{4}$'),
    email text CHECK (char_length(email) <= 254 AND email LIKE '%_@_%'),
    phone text CHECK (char_length(phone) BETWEEN 8 AND 20),
    website text CHECK (char_length(website) <= 300 AND website ~ '^https?://'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE centre IS 'A volunteer centre (frivilligcenter): the tenant that owns requests, volunteers, courses and the rest';
COMMENT ON COLUMN centre.id IS 'Stable identifier used in the API';
COMMENT ON COLUMN centre.slug IS 'Short lower-case name for URLs and configuration, e.g. odense';
COMMENT ON COLUMN centre.name IS 'Display name, e.g. Frivilligcenter Odense';
COMMENT ON COLUMN centre.municipality IS 'The municipality (kommune) the centre serves';
COMMENT ON COLUMN centre.postal_code IS 'Danish postal code of the centre''s address';
COMMENT ON COLUMN centre.email IS 'Public contact e-mail of the centre (an organisation, not a person)';
COMMENT ON COLUMN centre.phone IS 'Public contact phone number of the centre';
COMMENT ON COLUMN centre.website IS 'The centre''s website';
COMMENT ON COLUMN centre.created_at IS 'When the centre was added';
COMMENT ON COLUMN centre.updated_at IS 'When the centre was last changed';
