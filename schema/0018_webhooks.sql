-- 0018: status back to the portal. A centre registers webhook endpoints;
-- a change of a request's state writes an event to the outbox in the same
-- transaction; a delivery worker in kompasd POSTs it, signed, with retries
-- and backoff, and logs every attempt. Nothing is lost if kompasd stops
-- between the change and the delivery.

CREATE TABLE webhook_endpoint (
    id uuid PRIMARY KEY,
    centre_id uuid NOT NULL REFERENCES centre (id),
    url text NOT NULL CHECK (char_length(url) <= 500 AND url ~ '^https?://[^/]+'),
    secret_sealed bytea NOT NULL CHECK (length(secret_sealed) > 42),
    event_types text[] NOT NULL DEFAULT '{request.status_changed}'
        CHECK (event_types <@ ARRAY['request.status_changed'] AND cardinality(event_types) > 0),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX webhook_endpoint_centre ON webhook_endpoint (centre_id) WHERE active;
COMMENT ON TABLE webhook_endpoint IS 'Where a centre''s portal wants to hear about its requests';
COMMENT ON COLUMN webhook_endpoint.id IS 'Stable identifier; bound into the sealed secret';
COMMENT ON COLUMN webhook_endpoint.centre_id IS 'The centre';
COMMENT ON COLUMN webhook_endpoint.url IS 'The receiver (https; http only when the server allows it, for development)';
COMMENT ON COLUMN webhook_endpoint.secret_sealed IS 'The HMAC-SHA256 signing secret, sealed and bound to webhook/<id>/secret; shown once at creation';
COMMENT ON COLUMN webhook_endpoint.event_types IS 'Event types delivered: request.status_changed';
COMMENT ON COLUMN webhook_endpoint.active IS 'Inactive endpoints get no new events';
COMMENT ON COLUMN webhook_endpoint.created_at IS 'Creation time';
COMMENT ON COLUMN webhook_endpoint.updated_at IS 'Last change';
COMMENT ON COLUMN webhook_endpoint.version IS 'Incremented on every change; the ETag for If-Match';
ALTER TABLE webhook_endpoint ENABLE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoint_tenant ON webhook_endpoint
    USING (centre_id = kompas_centre() AND kompas_role() = 'coordinator')
    WITH CHECK (centre_id = kompas_centre() AND kompas_role() = 'coordinator');
GRANT SELECT, INSERT, UPDATE ON webhook_endpoint TO kompas_app;

CREATE TABLE webhook_event (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    centre_id uuid NOT NULL REFERENCES centre (id),
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoint (id),
    event_type text NOT NULL CHECK (event_type IN ('request.status_changed')),
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    gave_up_at timestamptz,
    last_status integer,
    last_error text CHECK (char_length(last_error) <= 300)
);
CREATE INDEX webhook_event_due ON webhook_event (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX webhook_event_endpoint ON webhook_event (endpoint_id, created_at);
COMMENT ON TABLE webhook_event IS 'The outbox: one row per event and endpoint, written in the transaction of the change';
COMMENT ON COLUMN webhook_event.id IS 'The event id sent in Kompas-Event-Id (receivers deduplicate by it)';
COMMENT ON COLUMN webhook_event.centre_id IS 'The centre';
COMMENT ON COLUMN webhook_event.endpoint_id IS 'Where it goes';
COMMENT ON COLUMN webhook_event.event_type IS 'request.status_changed';
COMMENT ON COLUMN webhook_event.payload IS 'The JSON body: event id and type, time, request id, the portal''s reference and the citizen-safe status; never personal data';
COMMENT ON COLUMN webhook_event.created_at IS 'When the change happened';
COMMENT ON COLUMN webhook_event.attempts IS 'Delivery attempts so far';
COMMENT ON COLUMN webhook_event.next_attempt_at IS 'When the worker tries next (exponential backoff; also its lease while sending)';
COMMENT ON COLUMN webhook_event.delivered_at IS 'When a 2xx answer came';
COMMENT ON COLUMN webhook_event.gave_up_at IS 'When the worker stopped trying (after 12 attempts); a replay starts over';
COMMENT ON COLUMN webhook_event.last_status IS 'HTTP status of the last attempt (NULL: no answer)';
COMMENT ON COLUMN webhook_event.last_error IS 'Why the last attempt failed';
ALTER TABLE webhook_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY webhook_event_tenant ON webhook_event
    USING (centre_id = kompas_centre() AND kompas_role() = 'coordinator')
    WITH CHECK (centre_id = kompas_centre());
GRANT SELECT, INSERT, UPDATE ON webhook_event TO kompas_app;

CREATE TABLE webhook_attempt (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES webhook_event (id),
    at timestamptz NOT NULL DEFAULT now(),
    status integer,
    error text CHECK (char_length(error) <= 300),
    duration_ms integer NOT NULL CHECK (duration_ms >= 0)
);
CREATE INDEX webhook_attempt_event ON webhook_attempt (event_id, id);
COMMENT ON TABLE webhook_attempt IS 'The delivery log: every attempt with its answer';
COMMENT ON COLUMN webhook_attempt.id IS 'Sequence number';
COMMENT ON COLUMN webhook_attempt.event_id IS 'The event';
COMMENT ON COLUMN webhook_attempt.at IS 'When';
COMMENT ON COLUMN webhook_attempt.status IS 'HTTP status (NULL: no answer)';
COMMENT ON COLUMN webhook_attempt.error IS 'Why it failed, if it did';
COMMENT ON COLUMN webhook_attempt.duration_ms IS 'How long the attempt took';
ALTER TABLE webhook_attempt ENABLE ROW LEVEL SECURITY;
CREATE POLICY webhook_attempt_tenant ON webhook_attempt
    USING (event_id IN (SELECT id FROM webhook_event));
GRANT SELECT ON webhook_attempt TO kompas_app;

-- The functions this migration created or changed are in schema/functions/:
-- kompas_webhook_enqueue, kompas_webhook_claim, kompas_webhook_result.
