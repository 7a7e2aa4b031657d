-- 0002: identity, roles, tenant isolation and the access log.
--
-- kompasd connects as a login role that is a member of kompas_app: not the
-- owner of any table, no BYPASSRLS. Row-level security restricts every
-- tenant table to the centre set for the transaction by
-- kompas_set_context() / kompas_authenticate(). Migrations run as the owner.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kompas_app') THEN
        CREATE ROLE kompas_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO kompas_app;
GRANT SELECT ON schema_migration TO kompas_app; -- readiness: is the schema current?
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

\ir functions/kompas_centre.sql
\ir functions/kompas_role.sql
\ir functions/kompas_account.sql

-- Centres: everyone may read the public listing; only admins change it.
ALTER TABLE centre ADD COLUMN cors_origins text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(cors_origins) <= 10);
COMMENT ON COLUMN centre.cors_origins IS 'Web origins (https://host[:port]) allowed to call the API from a browser for this centre, e.g. its socialkompas portal';
ALTER TABLE centre ENABLE ROW LEVEL SECURITY;
CREATE POLICY centre_read ON centre FOR SELECT USING (true);
CREATE POLICY centre_admin_insert ON centre FOR INSERT WITH CHECK (kompas_role() = 'admin');
CREATE POLICY centre_admin_update ON centre FOR UPDATE USING (kompas_role() = 'admin');
GRANT SELECT, INSERT, UPDATE ON centre TO kompas_app;

CREATE TABLE account (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid REFERENCES centre (id),
    email text NOT NULL UNIQUE CHECK (email = lower(email) AND char_length(email) <= 254 AND email LIKE '%_@_%'),
    display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 120),
    role text NOT NULL CHECK (role IN ('admin', 'coordinator', 'guide', 'association', 'analyst')),
    password_hash text CHECK (password_hash LIKE '$argon2id$%'),
    disabled_at timestamptz,
    last_login_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1,
    CHECK ((role IN ('admin', 'analyst')) = (centre_id IS NULL))
);
CREATE INDEX account_centre ON account (centre_id, email);
COMMENT ON TABLE account IS 'A person who logs in: staff of a centre, a guide, an association contact, a national admin or a FriSe analyst';
COMMENT ON COLUMN account.id IS 'Stable identifier';
COMMENT ON COLUMN account.centre_id IS 'The centre the account belongs to; NULL exactly for the national roles admin and analyst';
COMMENT ON COLUMN account.email IS 'Login name, lower-case';
COMMENT ON COLUMN account.display_name IS 'Name shown to colleagues';
COMMENT ON COLUMN account.role IS 'admin, coordinator, guide, association or analyst';
COMMENT ON COLUMN account.password_hash IS 'argon2id hash (libsodium crypto_pwhash_str); NULL means no password set yet';
COMMENT ON COLUMN account.disabled_at IS 'When the account was disabled; a disabled account cannot log in and its sessions end';
COMMENT ON COLUMN account.last_login_at IS 'Time of the last successful login';
COMMENT ON COLUMN account.created_at IS 'When the account was created';
COMMENT ON COLUMN account.updated_at IS 'When the account was last changed';
COMMENT ON COLUMN account.version IS 'Incremented on every change; the ETag for If-Match';
ALTER TABLE account ENABLE ROW LEVEL SECURITY;
CREATE POLICY account_tenant ON account
    USING (kompas_role() = 'admin' OR centre_id = kompas_centre() OR id = kompas_account())
    WITH CHECK (kompas_role() = 'admin' OR centre_id = kompas_centre());
GRANT SELECT, INSERT, UPDATE ON account TO kompas_app;

CREATE TABLE session (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    centre_id uuid REFERENCES centre (id),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX session_account ON session (account_id);
COMMENT ON TABLE session IS 'A login session; the bearer token itself is never stored, only its keyed hash';
COMMENT ON COLUMN session.id IS 'Stable identifier';
COMMENT ON COLUMN session.account_id IS 'Whose session';
COMMENT ON COLUMN session.centre_id IS 'The account''s centre (copied for row-level security)';
COMMENT ON COLUMN session.token_hash IS 'BLAKE2b-256 of the token under the server''s index key';
COMMENT ON COLUMN session.created_at IS 'Login time';
COMMENT ON COLUMN session.last_seen_at IS 'Last use (updated at most once a minute); idle expiry counts from here';
COMMENT ON COLUMN session.expires_at IS 'Absolute expiry';
COMMENT ON COLUMN session.revoked_at IS 'Logout or revocation time';
ALTER TABLE session ENABLE ROW LEVEL SECURITY;
CREATE POLICY session_tenant ON session
    USING (kompas_role() = 'admin' OR account_id = kompas_account()
           OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre()));
GRANT SELECT, UPDATE ON session TO kompas_app;

CREATE TABLE api_key (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid REFERENCES centre (id),
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    role text NOT NULL CHECK (role IN ('portal', 'analyst')),
    key_hash bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    created_by uuid REFERENCES account (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    CHECK (role <> 'portal' OR centre_id IS NOT NULL)
);
CREATE INDEX api_key_centre ON api_key (centre_id, created_at);
COMMENT ON TABLE api_key IS 'Integration keys: a centre''s socialkompas portal (role portal) or FriSe''s statistics scripts (role analyst)';
COMMENT ON COLUMN api_key.id IS 'Stable identifier';
COMMENT ON COLUMN api_key.centre_id IS 'The centre the key acts for; NULL for national analyst keys';
COMMENT ON COLUMN api_key.name IS 'What the key is for, e.g. "socialkompas Odense"';
COMMENT ON COLUMN api_key.role IS 'portal or analyst';
COMMENT ON COLUMN api_key.key_hash IS 'BLAKE2b-256 of the key under the server''s index key; the key is shown once';
COMMENT ON COLUMN api_key.created_by IS 'The admin or coordinator who created it';
COMMENT ON COLUMN api_key.created_at IS 'Creation time';
COMMENT ON COLUMN api_key.last_used_at IS 'Last use (updated at most once a minute)';
COMMENT ON COLUMN api_key.revoked_at IS 'Revocation time; a revoked key is refused';
ALTER TABLE api_key ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_key_tenant ON api_key
    USING (kompas_role() = 'admin' OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre()))
    WITH CHECK (kompas_role() = 'admin' OR (kompas_role() = 'coordinator' AND centre_id = kompas_centre() AND role = 'portal'));
GRANT SELECT, INSERT, UPDATE ON api_key TO kompas_app;

CREATE TABLE login_throttle (
    subject bytea PRIMARY KEY CHECK (length(subject) = 32),
    failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz
);
COMMENT ON TABLE login_throttle IS 'Failed logins per account e-mail and per client address, shared by all workers';
COMMENT ON COLUMN login_throttle.subject IS 'Keyed hash of "email:<address>" or "ip:<address>" (no plain e-mail or address stored)';
COMMENT ON COLUMN login_throttle.failures IS 'Consecutive failures; reset by a successful login or after 24 hours of quiet';
COMMENT ON COLUMN login_throttle.last_failure_at IS 'Time of the last failure';
COMMENT ON COLUMN login_throttle.locked_until IS 'No login is tried for this subject before this time (429)';
-- Only through the security-definer functions below.

CREATE TABLE access_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    actor_kind text NOT NULL CHECK (actor_kind IN ('account', 'api_key', 'system')),
    actor_id uuid,
    actor_role text NOT NULL,
    action text NOT NULL CHECK (action IN ('read', 'search', 'create', 'update', 'export', 'delete', 'anonymise')),
    subject text NOT NULL CHECK (subject IN ('request')),
    subject_id uuid,
    criterion jsonb,
    purpose text CHECK (char_length(purpose) <= 200),
    request_id text CHECK (char_length(request_id) <= 64)
);
CREATE INDEX access_log_subject ON access_log (subject_id, at);
CREATE INDEX access_log_at ON access_log (at);
COMMENT ON TABLE access_log IS 'Append-only log of every read, search, change, export and deletion of citizens'' personal data';
COMMENT ON COLUMN access_log.id IS 'Sequence number';
COMMENT ON COLUMN access_log.at IS 'When';
COMMENT ON COLUMN access_log.centre_id IS 'The centre whose data was accessed';
COMMENT ON COLUMN access_log.actor_kind IS 'account, api_key or system (scheduled jobs)';
COMMENT ON COLUMN access_log.actor_id IS 'The account or key that acted';
COMMENT ON COLUMN access_log.actor_role IS 'The role it acted in';
COMMENT ON COLUMN access_log.action IS 'read, search, create, update, export, delete or anonymise';
COMMENT ON COLUMN access_log.subject IS 'The kind of record (request: a citizen''s request and contact details)';
COMMENT ON COLUMN access_log.subject_id IS 'The record, when one was touched (NULL for a search that found nothing)';
COMMENT ON COLUMN access_log.criterion IS 'For searches: the fields searched and keyed hashes of the values, never the values';
COMMENT ON COLUMN access_log.purpose IS 'Why, in words the citizen can read (e.g. "coordinator read the request")';
COMMENT ON COLUMN access_log.request_id IS 'The X-Request-Id of the HTTP request';
ALTER TABLE access_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY access_log_insert ON access_log FOR INSERT WITH CHECK (centre_id = kompas_centre());
CREATE POLICY access_log_read ON access_log FOR SELECT
    USING (kompas_role() = 'coordinator' AND centre_id = kompas_centre());
GRANT SELECT, INSERT ON access_log TO kompas_app;
-- No UPDATE or DELETE grant: entries cannot be changed through kompasd.

-- The functions this migration created or changed are in schema/functions/:
-- kompas_centre, kompas_role, kompas_account, kompas_set_context,
-- kompas_authenticate, kompas_login_lookup, kompas_login_failed,
-- kompas_login_succeeded, kompas_access_log_purge.
