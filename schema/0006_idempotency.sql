-- 0006: Idempotency-Key on POST: the first successful answer to a key is
-- kept and replayed to a retry with the same body; the same key with
-- another body is refused (422).

CREATE TABLE idempotency_key (
    principal uuid NOT NULL,
    key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 100),
    centre_id uuid REFERENCES centre (id),
    method text NOT NULL CHECK (method IN ('POST')),
    path text NOT NULL CHECK (char_length(path) <= 300),
    body_hash bytea NOT NULL CHECK (length(body_hash) = 32),
    status integer CHECK (status BETWEEN 200 AND 299),
    response text,
    location text,
    etag text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_key_created ON idempotency_key (created_at);
COMMENT ON TABLE idempotency_key IS 'Answers to POST requests that carried an Idempotency-Key, replayed to retries; kept 24 hours';
COMMENT ON COLUMN idempotency_key.principal IS 'The account or integration key that sent it (keys are per principal)';
COMMENT ON COLUMN idempotency_key.key IS 'The client''s Idempotency-Key header';
COMMENT ON COLUMN idempotency_key.centre_id IS 'The principal''s centre, for row-level security';
COMMENT ON COLUMN idempotency_key.method IS 'HTTP method (POST)';
COMMENT ON COLUMN idempotency_key.path IS 'The request path; the same key on another path is refused';
COMMENT ON COLUMN idempotency_key.body_hash IS 'SHA-256 of the request body; the same key with another body is refused';
COMMENT ON COLUMN idempotency_key.status IS 'The status of the first answer (2xx)';
COMMENT ON COLUMN idempotency_key.response IS 'The body of the first answer (may hold personal data: deleted after 24 hours)';
COMMENT ON COLUMN idempotency_key.location IS 'The Location header of the first answer';
COMMENT ON COLUMN idempotency_key.etag IS 'The ETag header of the first answer';
COMMENT ON COLUMN idempotency_key.created_at IS 'When the first answer was made';
ALTER TABLE idempotency_key ENABLE ROW LEVEL SECURITY;
CREATE POLICY idempotency_own ON idempotency_key
    USING (principal = coalesce(kompas_account(),
                                nullif(current_setting('kompas.key_id', true), '')::uuid))
    WITH CHECK (principal = coalesce(kompas_account(),
                                     nullif(current_setting('kompas.key_id', true), '')::uuid));
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO kompas_app;

-- Integration keys have no account: record the key id in the context too.
CREATE OR REPLACE FUNCTION kompas_authenticate(p_hash bytea, p_idle interval)
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
        PERFORM set_config('kompas.key_id', k.id::text, true);
        RETURN QUERY SELECT 'api_key'::text, k.id, NULL::uuid, k.role, k.centre_id,
                            k.name, NULL::text, NULL::timestamptz;
    END IF;
END
$$;

-- Expired entries go with the maintenance job.
CREATE FUNCTION kompas_idempotency_purge() RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM idempotency_key WHERE created_at < now() - interval '24 hours';
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION kompas_idempotency_purge() IS 'Deletes stored idempotent answers older than 24 hours';
REVOKE ALL ON FUNCTION kompas_idempotency_purge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kompas_idempotency_purge() TO kompas_app;
