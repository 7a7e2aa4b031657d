// The funnel's cells (request_funnel_cell, migrations 0033 and 0034)
// recounted from request, shared by the tests that check them
// (stats_funnel.test.mjs after each kind of change, bench_data.test.mjs
// after the generator built them in one statement).

// SQL answering the number of cells that differ (either way) between
// request_funnel_cell and a recount of every request; the days of a cell
// must also be stored in ascending order.
export const FUNNEL_RECOUNT_SQL = `WITH kept AS (
      SELECT month, centre_id, breakdown, value, received, accepted, contacted, conversation_held,
             course_started, referred, signposted, closed, days -- stored sorted (kompas_funnel_percentiles)
        FROM request_funnel_cell
    ), fresh AS (
      SELECT r.month, coalesce(r.centre_id, '00000000-0000-0000-0000-000000000000'), b.breakdown, b.value,
             count(*)::integer AS received,
             (count(*) FILTER (WHERE 'accepted' = ANY (r.reached_states)))::integer,
             (count(*) FILTER (WHERE r.first_contact_at IS NOT NULL))::integer,
             (count(*) FILTER (WHERE 'conversation_held' = ANY (r.reached_states)))::integer,
             (count(*) FILTER (WHERE 'course_started' = ANY (r.reached_states)))::integer,
             (count(*) FILTER (WHERE 'referred' = ANY (r.reached_states)))::integer,
             (count(*) FILTER (WHERE 'signposted' = ANY (r.reached_states)))::integer,
             (count(*) FILTER (WHERE r.closed_at IS NOT NULL))::integer,
             ARRAY(SELECT x FROM unnest(coalesce(array_agg((extract(epoch FROM r.first_contact_at - r.created_at) / 86400.0)::double precision)
                   FILTER (WHERE r.first_contact_at IS NOT NULL), '{}')) x ORDER BY x) AS days
        FROM (SELECT date_trunc('month', q.created_at AT TIME ZONE 'Europe/Copenhagen')::date AS month, q.*
                FROM request q) r
       CROSS JOIN LATERAL (VALUES ('source', r.source),
                                  ('heard_from', coalesce(r.heard_from, 'not_given'))) b (breakdown, value)
       GROUP BY GROUPING SETS ((r.month, r.centre_id, b.breakdown, b.value), (r.month, b.breakdown, b.value))
    )
    SELECT (SELECT count(*) FROM (TABLE kept EXCEPT ALL TABLE fresh) a)
         + (SELECT count(*) FROM (TABLE fresh EXCEPT ALL TABLE kept) b)`;
