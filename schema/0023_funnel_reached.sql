-- 0023: the funnel reads which states a request has reached from the
-- request itself (request.reached_states, kept up to date by a trigger on
-- request_event) instead of aggregating its history per request. Measured
-- on the national dataset (docs/benchmarks.md): a year of all centres took
-- about 1 s (after JIT was turned off for kompasd's sessions), most of it
-- in that per-request aggregate.
--
-- The trigger is per statement with a transition table, so a bulk insert
-- of history (a data load) updates each request once.

ALTER TABLE request ADD COLUMN reached_states text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN request.reached_states IS 'Every state the request has been moved to (from its history, kind state), for the statistics; kept by a trigger';

UPDATE request r SET reached_states = s.states
  FROM (SELECT request_id, array_agg(DISTINCT to_state ORDER BY to_state) AS states
          FROM request_event WHERE kind = 'state' AND to_state IS NOT NULL
         GROUP BY request_id) s
 WHERE s.request_id = r.id;

\ir functions/kompas_request_reached.sql

CREATE TRIGGER request_event_reached AFTER INSERT ON request_event
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION kompas_request_reached();

-- The functions this migration created or changed are in schema/functions/:
-- kompas_request_reached, kompas_stats_funnel.
