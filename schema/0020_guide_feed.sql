-- 0020: a private calendar feed per Kompasguide: their own course visits,
-- planned course ends and the trainings and events they signed up for,
-- behind a revocable token in the URL (GET /v1/guides/calendar/<token>.ics).
-- No citizen data is in the feed: no names, no request ids.

CREATE TABLE guide_feed_token (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    volunteer_id uuid NOT NULL REFERENCES volunteer (id),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
CREATE UNIQUE INDEX guide_feed_token_active ON guide_feed_token (volunteer_id) WHERE revoked_at IS NULL;
COMMENT ON TABLE guide_feed_token IS 'A Kompasguide''s calendar feed token: the credential in the URL of their private iCalendar feed; at most one active per volunteer';
COMMENT ON COLUMN guide_feed_token.id IS 'Stable identifier';
COMMENT ON COLUMN guide_feed_token.centre_id IS 'The volunteer''s centre (row-level security)';
COMMENT ON COLUMN guide_feed_token.volunteer_id IS 'The guide whose visits and sign-ups the feed shows';
COMMENT ON COLUMN guide_feed_token.token_hash IS 'BLAKE2b-256 of the token under the server''s index key; the token is shown once';
COMMENT ON COLUMN guide_feed_token.created_at IS 'Creation time';
COMMENT ON COLUMN guide_feed_token.revoked_at IS 'Revocation time (by the guide, or by a new token); a revoked token answers 404';
ALTER TABLE guide_feed_token ENABLE ROW LEVEL SECURITY;
CREATE POLICY guide_feed_token_tenant ON guide_feed_token
    USING (centre_id = kompas_centre()
           AND (kompas_role() = 'coordinator'
                OR (kompas_role() = 'guide' AND volunteer_id IN (SELECT kompas_my_volunteer_ids()))))
    WITH CHECK (centre_id = kompas_centre()
                AND (kompas_role() = 'coordinator'
                     OR (kompas_role() = 'guide' AND volunteer_id IN (SELECT kompas_my_volunteer_ids()))));
GRANT SELECT, INSERT, UPDATE ON guide_feed_token TO kompas_app;

-- The functions this migration created or changed are in schema/functions/:
-- kompas_guide_feed.
