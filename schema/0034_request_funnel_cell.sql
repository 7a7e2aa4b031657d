-- 0034: the funnel's cells by breakdown, and national cells.
--
-- request_funnel_month (0033) had one row per month, centre, source and
-- heard_from: 16,329 for a national year, and the funnel by source read
-- them all and sorted their 55,000 days to first contact in small pieces.
-- request_funnel_cell has one row per month, centre, breakdown ('source'
-- or 'heard_from', the function's p_breakdown) and its value (heard_from
-- NULL is 'not_given', as the funnel shows it): every request is in one
-- cell of each breakdown, so a year by source and centre is about 4,000
-- rows. A row whose centre_id is the nil uuid (no centre has it) is the
-- same cell for all centres together: the national funnel reads 12 months
-- x 5 sources of them instead of the centres' cells. The key leads with the
-- breakdown, centre and value, so that the function finds one group's
-- cells (for its days to first contact) with one index range. Kept by the same triggers
-- (kompas_request_funnel_cell writes the centre's and the national cell of
-- each breakdown), read only by kompas_stats_funnel as the owner.
DROP TABLE request_funnel_month;
CREATE TABLE request_funnel_cell (
    month date NOT NULL,
    centre_id uuid NOT NULL,
    breakdown text NOT NULL,
    value text NOT NULL,
    received integer NOT NULL,
    accepted integer NOT NULL,
    contacted integer NOT NULL,
    conversation_held integer NOT NULL,
    course_started integer NOT NULL,
    referred integer NOT NULL,
    signposted integer NOT NULL,
    closed integer NOT NULL,
    days double precision[] NOT NULL,
    PRIMARY KEY (breakdown, centre_id, value, month),
    -- the values request's CHECKs allow, heard_from NULL as not_given
    CONSTRAINT request_funnel_cell_value CHECK (
        (breakdown = 'source'
         AND value IN ('portal', 'phone', 'walk_in', 'municipal_referral', 'relative_referral'))
        OR (breakdown = 'heard_from'
            AND value IN ('socialkompas', 'municipal_staff', 'relative', 'local_paper', 'association',
                          'other', 'not_given')))
);
-- the funnel by centre reads every centre's cells of its months
CREATE INDEX request_funnel_cell_months ON request_funnel_cell (breakdown, month, centre_id);
COMMENT ON TABLE request_funnel_cell IS 'The funnel''s counts of the requests created in one Copenhagen month, per centre (the nil uuid: all centres) and per source (breakdown source) or heard_from (breakdown heard_from, NULL as not_given), and their days to first contact; kept by triggers on request (0033, 0034), read by kompas_stats_funnel only';
COMMENT ON COLUMN request_funnel_cell.days IS 'Days from creation to first contact of each contacted request of the cell (extract(epoch) / 86400.0, double precision), in ascending order';
ALTER TABLE request_funnel_cell ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON request_funnel_cell FROM PUBLIC;

INSERT INTO request_funnel_cell
SELECT r.month, coalesce(r.centre_id, '00000000-0000-0000-0000-000000000000'), b.breakdown, b.value, count(*),
       count(*) FILTER (WHERE 'accepted' = ANY (r.reached_states)),
       count(*) FILTER (WHERE r.first_contact_at IS NOT NULL),
       count(*) FILTER (WHERE 'conversation_held' = ANY (r.reached_states)),
       count(*) FILTER (WHERE 'course_started' = ANY (r.reached_states)),
       count(*) FILTER (WHERE 'referred' = ANY (r.reached_states)),
       count(*) FILTER (WHERE 'signposted' = ANY (r.reached_states)),
       count(*) FILTER (WHERE r.closed_at IS NOT NULL),
       coalesce(array_agg((extract(epoch FROM r.first_contact_at - r.created_at) / 86400.0)::double precision
                          ORDER BY (extract(epoch FROM r.first_contact_at - r.created_at) / 86400.0)::double precision)
                    FILTER (WHERE r.first_contact_at IS NOT NULL), '{}')
  FROM (SELECT date_trunc('month', q.created_at AT TIME ZONE 'Europe/Copenhagen')::date AS month,
               q.centre_id, q.source, q.heard_from, q.reached_states, q.first_contact_at,
               q.created_at, q.closed_at
          FROM request q) r
 CROSS JOIN LATERAL (VALUES ('source', r.source),
                            ('heard_from', coalesce(r.heard_from, 'not_given'))) b (breakdown, value)
 GROUP BY GROUPING SETS ((r.month, r.centre_id, b.breakdown, b.value), (r.month, b.breakdown, b.value));
ANALYZE request_funnel_cell;
