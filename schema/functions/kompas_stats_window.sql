-- The window a statistic is computed over: [from, to] checked to be whole
-- periods of the unit (22023 otherwise; kompasd checks first and answers
-- 422), to cut to the last closed period (and NULL to mean it). from NULL
-- stays NULL (from the beginning).
CREATE OR REPLACE FUNCTION kompas_stats_window(p_from date, p_to date, p_unit text,
                                    OUT w_from date, OUT w_to date)
LANGUAGE plpgsql STABLE AS
$$
DECLARE
    u text := coalesce(p_unit, 'month');
BEGIN
    IF u NOT IN ('month', 'quarter', 'year') THEN
        RAISE EXCEPTION 'unknown statistics unit %', u USING ERRCODE = '22023';
    END IF;
    IF p_from IS NOT NULL AND date_trunc(u, p_from::timestamp)::date <> p_from THEN
        RAISE EXCEPTION 'from % is not the first day of a %', p_from, u USING ERRCODE = '22023';
    END IF;
    IF p_to IS NOT NULL AND date_trunc(u, (p_to + 1)::timestamp)::date <> p_to + 1 THEN
        RAISE EXCEPTION 'to % is not the last day of a %', p_to, u USING ERRCODE = '22023';
    END IF;
    w_from := p_from;
    w_to := least(coalesce(p_to, 'infinity'::date), kompas_stats_closed_through(u));
    IF w_from IS NOT NULL AND w_from > w_to THEN
        RAISE EXCEPTION 'the window holds no closed % yet', u USING ERRCODE = '22023';
    END IF;
END
$$;
COMMENT ON FUNCTION kompas_stats_window(date, date, text) IS 'The window of a statistic: whole periods of the unit, cut to the last closed one (Europe/Copenhagen); raises 22023 otherwise';
REVOKE ALL ON FUNCTION kompas_stats_window(date, date, text) FROM PUBLIC;
