CREATE OR REPLACE FUNCTION matching_area(code text, areas text[]) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN code IS NULL THEN 0
                WHEN code = ANY (areas) THEN 1
                WHEN EXISTS (SELECT 1 FROM unnest(areas) p WHERE left(p, 2) = left(code, 2)) THEN 0.5
                ELSE 0 END
$$;
COMMENT ON FUNCTION matching_area(text, text[]) IS 'How close postal code code is to the postal areas: 1 when it is one of them, 0.5 when one shares its first two digits, else 0 (also for no code)';
