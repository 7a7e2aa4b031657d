-- 0033: the funnel reads monthly cells instead of every request.
--
-- kompas_stats_funnel (schema/functions/) read, for a national year, the
-- 70,000 requests of the window (an index-only scan, 0032) and grouped
-- them: 200-340 ms, most of it per-row work (the period of each request,
-- the reached states, the grouping sets). Its windows are whole
-- Copenhagen months (kompas_stats_window), so the same counts add up from
-- one row per month, centre, source and heard_from: a few thousand rows
-- for a year. The days to first contact stay exact: each cell keeps the
-- days of its contacted requests (the same double precision values the
-- function ordered by), and the function takes percentile_cont over the
-- unnested days of a group, as it did over the requests.
--
-- The table is kept by triggers on request (insert, delete, truncate, and
-- an update of a column the funnel reads: created_at, centre_id, source,
-- heard_from, reached_states, first_contact_at, closed_at; anonymisation
-- and a move between centres are such updates). tests/api/stats_funnel.test.mjs
-- recounts it from request after each kind of change and compares the
-- function with the former query. Only the schema owner reads it:
-- kompas_app has no privilege on it and reads it through the function,
-- which scopes the caller (kompas_stats_scope) as before.
CREATE TABLE request_funnel_month (
    month date NOT NULL,
    centre_id uuid NOT NULL,
    source text NOT NULL
        CHECK (source IN ('portal', 'phone', 'walk_in', 'municipal_referral', 'relative_referral')),
    heard_from text CHECK (heard_from IN ('socialkompas', 'municipal_staff', 'relative',
                                          'local_paper', 'association', 'other')),
    received integer NOT NULL,
    accepted integer NOT NULL,
    contacted integer NOT NULL,
    conversation_held integer NOT NULL,
    course_started integer NOT NULL,
    referred integer NOT NULL,
    signposted integer NOT NULL,
    closed integer NOT NULL,
    days double precision[] NOT NULL,
    CONSTRAINT request_funnel_month_key UNIQUE NULLS NOT DISTINCT (month, centre_id, source, heard_from)
);
COMMENT ON TABLE request_funnel_month IS 'The funnel''s counts of the requests created in one Copenhagen month, per centre, source and heard_from, and their days to first contact; kept by triggers on request (0033), read by kompas_stats_funnel only';
COMMENT ON COLUMN request_funnel_month.days IS 'Days from creation to first contact of each contacted request of the cell (extract(epoch) / 86400.0, double precision), in no order';
ALTER TABLE request_funnel_month ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON request_funnel_month FROM PUBLIC;

INSERT INTO request_funnel_month
SELECT date_trunc('month', r.created_at AT TIME ZONE 'Europe/Copenhagen')::date,
       r.centre_id, r.source, r.heard_from, count(*),
       count(*) FILTER (WHERE 'accepted' = ANY (r.reached_states)),
       count(*) FILTER (WHERE r.first_contact_at IS NOT NULL),
       count(*) FILTER (WHERE 'conversation_held' = ANY (r.reached_states)),
       count(*) FILTER (WHERE 'course_started' = ANY (r.reached_states)),
       count(*) FILTER (WHERE 'referred' = ANY (r.reached_states)),
       count(*) FILTER (WHERE 'signposted' = ANY (r.reached_states)),
       count(*) FILTER (WHERE r.closed_at IS NOT NULL),
       coalesce(array_agg((extract(epoch FROM r.first_contact_at - r.created_at) / 86400.0)::double precision)
                    FILTER (WHERE r.first_contact_at IS NOT NULL), '{}')
  FROM request r
 GROUP BY 1, 2, 3, 4;

\ir functions/kompas_request_funnel_cell.sql
\ir functions/kompas_request_funnel.sql
CREATE TRIGGER request_funnel_change
    AFTER INSERT OR DELETE OR UPDATE OF created_at, centre_id, source, heard_from, reached_states,
                                        first_contact_at, closed_at ON request
    FOR EACH ROW EXECUTE FUNCTION kompas_request_funnel();
CREATE TRIGGER request_funnel_truncate
    AFTER TRUNCATE ON request
    FOR EACH STATEMENT EXECUTE FUNCTION kompas_request_funnel();
