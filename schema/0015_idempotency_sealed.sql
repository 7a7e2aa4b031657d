-- 0015: answers kept for Idempotency-Key replays may hold a citizen's data:
-- keep them sealed like the rest of it.
ALTER TABLE idempotency_key DROP COLUMN response;
ALTER TABLE idempotency_key ADD COLUMN response_sealed bytea CHECK (length(response_sealed) > 40);
COMMENT ON COLUMN idempotency_key.response_sealed IS 'The body of the first answer, sealed (key id | nonce | ciphertext) and bound to idempotency/<principal>/<key>; deleted after 24 hours';
