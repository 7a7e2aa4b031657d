-- Disclosure control of one group of counts that add up to a shown total
-- (e.g. the sources of one funnel stage in one period and centre).
-- Elements 1..n: for each cell NULL when it may be shown, 'count_under_5'
-- or 'complementary'; element n+1: the same for the total. A suppressed
-- cell is protected against the total minus the others (the next smallest
-- cell is suppressed too when exactly one is under 5) and against the
-- bands of published counts pinning it (when the others' band tops and
-- the total's band bottom leave it no room; the next smallest shown cell
-- is suppressed then, or the total when every cell is under 5).
CREATE OR REPLACE FUNCTION kompas_stats_disclose(p_counts bigint[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS
$$
DECLARE
    n integer := coalesce(cardinality(p_counts), 0);
    r text[] := '{}';
    nsupp integer := 0;
    total bigint := 0;
    tops bigint := 0;
    best integer;
BEGIN
    IF n = 0 THEN
        RETURN r;
    END IF;
    FOR i IN 1 .. n LOOP
        total := total + p_counts[i];
        tops := tops + p_counts[i] / 5 * 5 + 4;
        IF p_counts[i] < 5 THEN
            r[i] := 'count_under_5';
            nsupp := nsupp + 1;
        ELSE
            r[i] := NULL;
        END IF;
    END LOOP;
    -- One suppressed cell would be the shown total minus the others; any
    -- suppressed cell would be pinned when the bands leave no slack.
    IF total >= 5 AND (nsupp = 1 OR (nsupp > 1 AND tops = total / 5 * 5)) THEN
        FOR i IN 1 .. n LOOP
            IF r[i] IS NULL AND (best IS NULL OR p_counts[i] < p_counts[best]) THEN
                best := i;
            END IF;
        END LOOP;
        IF best IS NOT NULL THEN
            r[best] := 'complementary';
        ELSE
            r[n + 1] := 'complementary';
        END IF;
    END IF;
    IF total < 5 THEN
        r[n + 1] := 'count_under_5';
    ELSIF r[n + 1] IS NULL THEN
        r[n + 1] := NULL;
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION kompas_stats_disclose(bigint[]) IS 'Disclosure control of counts adding up to a shown total: per cell NULL (shown), count_under_5, or complementary; one more element for the total';
REVOKE ALL ON FUNCTION kompas_stats_disclose(bigint[]) FROM PUBLIC;
