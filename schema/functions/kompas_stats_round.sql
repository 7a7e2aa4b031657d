-- A count as published: rounded down to a multiple of 5.
CREATE OR REPLACE FUNCTION kompas_stats_round(p_v numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (p_v::bigint / 5 * 5)::numeric $$;
COMMENT ON FUNCTION kompas_stats_round(numeric) IS 'A count as published: rounded down to a multiple of 5';
REVOKE ALL ON FUNCTION kompas_stats_round(numeric) FROM PUBLIC;
