CREATE OR REPLACE FUNCTION matching_weight(weights jsonb, key text, dflt numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(CASE WHEN jsonb_typeof(weights -> key) = 'number'
                         THEN (weights ->> key)::numeric END, dflt)
$$;
COMMENT ON FUNCTION matching_weight(jsonb, text, numeric) IS 'The weight named key in a centre''s matching_weights, or dflt when it is absent or not a number';
