-- 0016: matching: the weights of the guide and activity suggestions, per
-- centre. The suggestions themselves are computed in one query each
-- (api/matching.c) and never stored.
ALTER TABLE centre
    ADD COLUMN matching_weights jsonb NOT NULL DEFAULT '{}'::jsonb
        CHECK (jsonb_typeof(matching_weights) = 'object');
COMMENT ON COLUMN centre.matching_weights IS 'Weights of the suggestion scores, an object of numbers; a missing key takes its default. Guide suggestions: guide_interests 3 (points per shared interest), guide_area 4 (same postal area; half for the same first two digits), guide_availability 1 (has any weekly slot), guide_load 2 (times the free share of the capacity). Activity suggestions: activity_interests 3 (points per shared category), activity_area 2 (same postal code; half for the same first two digits), activity_newcomer_places 2 (the association has newcomer places), activity_welcome_training 1 (the association has had the welcome training)';

-- The functions this migration created or changed are in schema/functions/:
-- matching_weight, matching_area.
