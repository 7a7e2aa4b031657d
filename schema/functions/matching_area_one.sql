-- matching_area for one postal code against one other (an event's or an
-- association's), as a plain expression: PostgreSQL inlines it into the
-- activity suggestions, where it runs once per candidate (matching_area,
-- with its array and subquery, is a function call per row).
CREATE OR REPLACE FUNCTION matching_area_one(code text, other text) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN code IS NULL OR other IS NULL THEN 0
                WHEN other = code THEN 1
                WHEN left(other, 2) = left(code, 2) THEN 0.5
                ELSE 0 END
$$;
COMMENT ON FUNCTION matching_area_one(text, text) IS 'matching_area(code, ARRAY[other]): 1 for the same postal code, 0.5 for the same first two digits, else 0 (also when either is missing)';
