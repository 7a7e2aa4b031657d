-- 0016: matching: the weights of the guide and activity suggestions, per
-- centre. The suggestions themselves are computed in one query each
-- (api/matching.c) and never stored.
ALTER TABLE centre
    ADD COLUMN matching_weights jsonb NOT NULL DEFAULT '{}'::jsonb
        CHECK (jsonb_typeof(matching_weights) = 'object');
COMMENT ON COLUMN centre.matching_weights IS 'Weights of the suggestion scores, an object of numbers; a missing key takes its default. Guide suggestions: guide_interests 3 (points per shared interest), guide_area 4 (same postal area; half for the same first two digits), guide_availability 1 (has any weekly slot), guide_load 2 (times the free share of the capacity). Activity suggestions: activity_interests 3 (points per shared category), activity_area 2 (same postal code; half for the same first two digits), activity_newcomer_places 2 (the association has newcomer places), activity_welcome_training 1 (the association has had the welcome training)';

CREATE FUNCTION matching_weight(weights jsonb, key text, dflt numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(CASE WHEN jsonb_typeof(weights -> key) = 'number'
                         THEN (weights ->> key)::numeric END, dflt)
$$;
COMMENT ON FUNCTION matching_weight(jsonb, text, numeric) IS 'The weight named key in a centre''s matching_weights, or dflt when it is absent or not a number';

CREATE FUNCTION matching_area(code text, areas text[]) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN code IS NULL THEN 0
                WHEN code = ANY (areas) THEN 1
                WHEN EXISTS (SELECT 1 FROM unnest(areas) p WHERE left(p, 2) = left(code, 2)) THEN 0.5
                ELSE 0 END
$$;
COMMENT ON FUNCTION matching_area(text, text[]) IS 'How close postal code code is to the postal areas: 1 when it is one of them, 0.5 when one shares its first two digits, else 0 (also for no code)';
