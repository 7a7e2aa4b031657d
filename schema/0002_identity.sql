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

-- The transaction's caller, as set by kompas_authenticate or kompas_set_context.
CREATE FUNCTION kompas_centre() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('kompas.centre_id', true), '')::uuid $$;
CREATE FUNCTION kompas_role() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(nullif(current_setting('kompas.role', true), ''), 'anonymous') $$;
CREATE FUNCTION kompas_account() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('kompas.account_id', true), '')::uuid $$;
COMMENT ON FUNCTION kompas_centre() IS 'The centre of the current transaction''s caller (NULL for national roles and anonymous callers)';
COMMENT ON FUNCTION kompas_role() IS 'The role of the current transaction''s caller, or anonymous';
COMMENT ON FUNCTION kompas_account() IS 'The account of the current transaction''s caller, if it is an account';

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

-- kompas_set_context: set the caller for this transaction (used for
-- anonymous requests and by scheduled jobs).
CREATE FUNCTION kompas_set_context(p_role text, p_centre uuid, p_account uuid)
RETURNS void LANGUAGE sql VOLATILE AS $$
    SELECT set_config('kompas.role', p_role, true),
           set_config('kompas.centre_id', coalesce(p_centre::text, ''), true),
           set_config('kompas.account_id', coalesce(p_account::text, ''), true);
$$;
COMMENT ON FUNCTION kompas_set_context(text, uuid, uuid) IS 'Sets the caller of the current transaction for row-level security';

-- kompas_authenticate: find a live session or API key by its token hash,
-- record its use (at most once a minute), and set the transaction's caller.
-- SECURITY DEFINER: it must see sessions and keys before the centre is known.
CREATE FUNCTION kompas_authenticate(p_hash bytea, p_idle interval)
RETURNS TABLE (kind text, credential_id uuid, account_id uuid, role text, centre_id uuid,
               display_name text, email text, expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    s record;
    k record;
BEGIN
    SELECT se.id, se.account_id, se.expires_at, se.last_seen_at, a.role, a.centre_id,
           a.display_name, a.email
      INTO s
      FROM session se JOIN account a ON a.id = se.account_id
     WHERE se.token_hash = p_hash AND se.revoked_at IS NULL AND a.disabled_at IS NULL
       AND se.expires_at > now() AND se.last_seen_at > now() - p_idle;
    IF FOUND THEN
        IF s.last_seen_at < now() - interval '1 minute' THEN
            UPDATE session SET last_seen_at = now() WHERE id = s.id;
        END IF;
        PERFORM kompas_set_context(s.role, s.centre_id, s.account_id);
        RETURN QUERY SELECT 'session'::text, s.id, s.account_id, s.role, s.centre_id,
                            s.display_name, s.email, s.expires_at;
        RETURN;
    END IF;
    SELECT ak.id, ak.role, ak.centre_id, ak.name, ak.last_used_at INTO k
      FROM api_key ak WHERE ak.key_hash = p_hash AND ak.revoked_at IS NULL;
    IF FOUND THEN
        IF k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute' THEN
            UPDATE api_key SET last_used_at = now() WHERE id = k.id;
        END IF;
        PERFORM kompas_set_context(k.role, k.centre_id, NULL);
        RETURN QUERY SELECT 'api_key'::text, k.id, NULL::uuid, k.role, k.centre_id,
                            k.name, NULL::text, NULL::timestamptz;
    END IF;
END
$$;
COMMENT ON FUNCTION kompas_authenticate(bytea, interval) IS 'Resolves a bearer token hash to its live session or API key and sets the transaction''s caller';

-- kompas_login_lookup: the account for a login attempt, and whether the
-- e-mail or the address is locked out. SECURITY DEFINER: before login the
-- centre is unknown.
CREATE FUNCTION kompas_login_lookup(p_email text, p_email_subject bytea, p_ip_subject bytea)
RETURNS TABLE (account_id uuid, password_hash text, disabled boolean, locked_seconds integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT a.id, a.password_hash, a.disabled_at IS NOT NULL,
           (SELECT coalesce(ceil(extract(epoch FROM max(t.locked_until) - now()))::integer, 0)
              FROM login_throttle t
             WHERE t.subject IN (p_email_subject, p_ip_subject) AND t.locked_until > now())
      FROM (SELECT 1) one LEFT JOIN account a ON a.email = p_email;
$$;
COMMENT ON FUNCTION kompas_login_lookup(text, bytea, bytea) IS 'Account and lockout state for a login attempt';

-- kompas_login_failed: count a failure for both subjects and lock them out
-- progressively: from the 3rd failure 2^(n-3) seconds, capped at 15
-- minutes (the address gets 4x the allowance: shared networks).
CREATE FUNCTION kompas_login_failed(p_email_subject bytea, p_ip_subject bytea)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n integer;
    lock_s integer := 0;
    subj bytea;
    free_failures integer;
BEGIN
    FOREACH subj IN ARRAY ARRAY[p_email_subject, p_ip_subject] LOOP
        free_failures := CASE WHEN subj = p_email_subject THEN 3 ELSE 12 END;
        INSERT INTO login_throttle AS t (subject, failures, last_failure_at)
        VALUES (subj, 1, now())
        ON CONFLICT (subject) DO UPDATE
           SET failures = CASE WHEN t.last_failure_at < now() - interval '24 hours' THEN 1
                               ELSE t.failures + 1 END,
               last_failure_at = now()
        RETURNING failures INTO n;
        IF n >= free_failures THEN
            lock_s := greatest(lock_s, least(900, (2 ^ least(n - free_failures, 10))::integer));
            UPDATE login_throttle SET locked_until = now() + make_interval(secs => lock_s)
             WHERE subject = subj;
        END IF;
    END LOOP;
    RETURN lock_s;
END
$$;
COMMENT ON FUNCTION kompas_login_failed(bytea, bytea) IS 'Records a failed login; returns the lockout in seconds now in force (0 if none)';

-- kompas_login_succeeded: open a session and clear the e-mail's failures.
CREATE FUNCTION kompas_login_succeeded(p_account uuid, p_email_subject bytea, p_token_hash bytea,
                                       p_lifetime interval, p_new_hash text)
RETURNS TABLE (session_id uuid, expires_at timestamptz, role text, centre_id uuid,
               display_name text, email text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    a record;
    s record;
BEGIN
    DELETE FROM login_throttle WHERE subject = p_email_subject;
    UPDATE account SET last_login_at = now(),
                       password_hash = coalesce(p_new_hash, account.password_hash)
     WHERE account.id = p_account AND account.disabled_at IS NULL
    RETURNING account.id, account.role, account.centre_id, account.display_name, account.email
         INTO a;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO session (account_id, centre_id, token_hash, expires_at)
    VALUES (a.id, a.centre_id, p_token_hash, now() + p_lifetime)
    RETURNING session.id, session.expires_at INTO s;
    RETURN QUERY SELECT s.id, s.expires_at, a.role, a.centre_id, a.display_name, a.email;
END
$$;
COMMENT ON FUNCTION kompas_login_succeeded(uuid, bytea, bytea, interval, text) IS 'Opens a session after a verified password (rehashing it when asked), clears failures, and returns the session and account';

-- kompas_access_log_purge: delete access-log entries older than the
-- retention period (at least 30 days). The only way entries disappear.
CREATE FUNCTION kompas_access_log_purge(p_keep interval)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF p_keep < interval '30 days' THEN
        RAISE EXCEPTION 'access log retention must be at least 30 days';
    END IF;
    DELETE FROM access_log WHERE at < now() - p_keep;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION kompas_access_log_purge(interval) IS 'Deletes access-log entries older than the retention period; returns how many';

REVOKE ALL ON FUNCTION kompas_authenticate(bytea, interval), kompas_login_lookup(text, bytea, bytea),
    kompas_login_failed(bytea, bytea), kompas_login_succeeded(uuid, bytea, bytea, interval, text),
    kompas_access_log_purge(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_authenticate(bytea, interval), kompas_login_lookup(text, bytea, bytea),
    kompas_login_failed(bytea, bytea), kompas_login_succeeded(uuid, bytea, bytea, interval, text),
    kompas_access_log_purge(interval), kompas_set_context(text, uuid, uuid),
    kompas_centre(), kompas_role(), kompas_account() TO kompas_app;
