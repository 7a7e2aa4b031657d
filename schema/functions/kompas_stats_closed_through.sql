-- The last day of the last closed period of the unit (month when NULL) in
-- Copenhagen: yesterday's month end, quarter end or year end.
CREATE OR REPLACE FUNCTION kompas_stats_closed_through(p_unit text) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS
$$
SELECT (date_trunc(coalesce(p_unit, 'month'), (now() AT TIME ZONE 'Europe/Copenhagen')::date::timestamp)
        - interval '1 day')::date
$$;
COMMENT ON FUNCTION kompas_stats_closed_through(text) IS 'The last day of the last closed month (quarter, year) in Europe/Copenhagen';
GRANT EXECUTE ON FUNCTION kompas_stats_closed_through(text) TO kompas_app;
