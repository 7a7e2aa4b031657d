-- The reporting period of a time in Copenhagen: 2026-03, 2026-Q1, 2026, or NULL.
CREATE OR REPLACE FUNCTION kompas_stats_period(p_at timestamptz, p_unit text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS
$$
SELECT CASE p_unit
           WHEN 'month' THEN to_char(p_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY-MM')
           WHEN 'quarter' THEN to_char(p_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY-"Q"Q')
           WHEN 'year' THEN to_char(p_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY')
       END
$$;
COMMENT ON FUNCTION kompas_stats_period(timestamptz, text) IS 'The reporting period (month, quarter or year, Europe/Copenhagen) of a time, or NULL';
REVOKE ALL ON FUNCTION kompas_stats_period(timestamptz, text) FROM PUBLIC;
