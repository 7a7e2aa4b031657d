-- 0021: a replay asked for while the event's delivery is in flight is not
-- lost. Before, the delivery's result (kompas_webhook_result) set
-- delivered_at and next_attempt_at over the replay's reset, so the replay
-- answered 202 and never happened. Now a replay also sets replay_requested;
-- claiming an event for delivery clears it, and a result that finds it set
-- again leaves the event due at once instead of delivered.

ALTER TABLE webhook_event ADD COLUMN replay_requested boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN webhook_event.replay_requested IS 'A replay was asked for after the current delivery attempt was claimed: deliver again when it ends';

-- The functions this migration created or changed are in schema/functions/:
-- kompas_webhook_claim, kompas_webhook_result.
