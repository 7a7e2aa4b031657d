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

-- The functions this migration created or changed are in schema/functions/:
-- kompas_authenticate, kompas_idempotency_purge.
