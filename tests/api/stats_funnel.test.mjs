// The funnel's monthly cells (migrations 0033 and 0034, request_funnel_cell:
// per centre and breakdown value, and the same for all centres together): the
// function that reads them answers exactly what the former query over every
// request answered (kept here as REFERENCE, the body of kompas_stats_funnel
// before 0033), over several windows, units, breakdowns, centres and by
// centre or not, after each kind of change to requests (inserts, state
// changes, first contacts, closing, a move between centres, a creation time
// moved to another month, anonymisation, deletes); and after each the cells
// are recounted from request. kompas_app cannot read the cells.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, psql } from './harness.mjs';
import { FUNNEL_RECOUNT_SQL } from './funnel_recount.mjs';
import { makeWorld, psqlTry } from './fixtures.mjs';

let k;
let w;
const SEAL = `'\\x${'00'.repeat(60)}'`;

before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
});
after(async () => { assert.equal((await k.stop()).code, 0); });

// kompas_stats_funnel before 0033, verbatim but for its name.
const REFERENCE = `
CREATE FUNCTION pg_temp.funnel_ref(p_from date, p_to date, p_centre uuid, p_unit text,
                                    p_by_centre boolean, p_breakdown text DEFAULT 'source')
RETURNS TABLE (period text, centre_id uuid, centre_slug text, source text, measure text,
               value numeric, suppressed boolean, reason text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$
#variable_conflict use_column
DECLARE
    v_centre uuid := kompas_stats_scope(p_centre);
    v_win record := kompas_stats_window(p_from, p_to, p_unit);
    v_lo timestamptz := v_win.w_from::timestamp AT TIME ZONE 'Europe/Copenhagen';
    v_hi timestamptz := (v_win.w_to + 1)::timestamp AT TIME ZONE 'Europe/Copenhagen';
    v_heard boolean := p_breakdown = 'heard_from';
BEGIN
    IF p_breakdown NOT IN ('source', 'heard_from') THEN
        RAISE EXCEPTION 'unknown funnel breakdown %', p_breakdown USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    WITH base AS (
        SELECT CASE WHEN p_by_centre THEN r.centre_id END AS cid,
               kompas_stats_period(r.created_at, p_unit) AS per,
               CASE WHEN v_heard THEN coalesce(r.heard_from, 'not_given') ELSE r.source END AS src,
               'accepted' = ANY (r.reached_states) AS accepted,
               r.first_contact_at IS NOT NULL AS contacted,
               'conversation_held' = ANY (r.reached_states) AS conversation,
               'course_started' = ANY (r.reached_states) AS course,
               'referred' = ANY (r.reached_states) AS referred,
               'signposted' = ANY (r.reached_states) AS signposted,
               r.closed_at IS NOT NULL AS closed,
               extract(epoch FROM r.first_contact_at - r.created_at) / 86400.0 AS days
          FROM request r
         WHERE (v_centre IS NULL OR r.centre_id = v_centre)
           AND (v_lo IS NULL OR r.created_at >= v_lo)
           AND r.created_at < v_hi
    ), agg AS (
        SELECT b.per, b.cid, b.src, GROUPING(b.src) = 1 AS total,
               count(*) AS received,
               count(*) FILTER (WHERE b.accepted) AS accepted,
               count(*) FILTER (WHERE b.contacted) AS contacted,
               count(*) FILTER (WHERE b.conversation) AS conversation_held,
               count(*) FILTER (WHERE b.course) AS course_started,
               count(*) FILTER (WHERE b.referred) AS referred,
               count(*) FILTER (WHERE b.signposted) AS signposted,
               count(*) FILTER (WHERE b.closed) AS closed,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY b.days) AS median,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY b.days) AS p90
          FROM base b
         GROUP BY GROUPING SETS ((b.per, b.cid, b.src), (b.per, b.cid))
    ), cells AS (
        SELECT a.per, a.cid, a.src, a.total, m.ord, m.measure, m.v, m.is_count,
               a.contacted AS people
          FROM agg a
         CROSS JOIN LATERAL (VALUES
               (1, 'received', a.received::numeric, true),
               (2, 'accepted', a.accepted::numeric, true),
               (3, 'contacted', a.contacted::numeric, true),
               (4, 'conversation_held', a.conversation_held::numeric, true),
               (5, 'course_started', a.course_started::numeric, true),
               (6, 'referred', a.referred::numeric, true),
               (7, 'signposted', a.signposted::numeric, true),
               (8, 'closed', a.closed::numeric, true),
               (9, 'days_to_first_contact_median', round(a.median::numeric, 1), false),
               (10, 'days_to_first_contact_p90', round(a.p90::numeric, 1), false)) m (ord, measure, v, is_count)
    ), groups AS (
        SELECT c.per, c.cid, c.measure, array_agg(c.src ORDER BY c.src) AS srcs,
               kompas_stats_disclose(array_agg(c.v::bigint ORDER BY c.src)) AS reasons
          FROM cells c
         WHERE c.is_count AND NOT c.total
         GROUP BY c.per, c.cid, c.measure
    ), decided AS (
        SELECT c.*,
               CASE
                   WHEN NOT c.is_count THEN
                       CASE WHEN c.people < 5 THEN 'fewer_than_5_people' END
                   WHEN c.total THEN
                       CASE WHEN c.v < 5 THEN 'count_under_5'
                            ELSE g.reasons[cardinality(g.srcs) + 1] END
                   ELSE g.reasons[array_position(g.srcs, c.src)]
               END AS why
          FROM cells c
          -- per is never '' and no centre has the nil uuid, so these keys
          -- match exactly where IS NOT DISTINCT FROM would, and hash.
          LEFT JOIN groups g
            ON coalesce(g.per, '') = coalesce(c.per, '')
           AND coalesce(g.cid, '00000000-0000-0000-0000-000000000000')
               = coalesce(c.cid, '00000000-0000-0000-0000-000000000000')
           AND g.measure = c.measure
    )
    SELECT d.per, d.cid, ce.slug, d.src, d.measure,
           CASE WHEN d.why IS NULL THEN
               CASE WHEN d.is_count THEN kompas_stats_round(d.v) ELSE d.v END
           END,
           d.why IS NOT NULL, d.why
      FROM decided d
      LEFT JOIN centre ce ON ce.id = d.cid
     ORDER BY d.per NULLS FIRST, ce.slug NULLS FIRST, d.total DESC, d.src, d.ord;
END
$$;`;

const SOURCES = ['portal', 'phone', 'walk_in', 'municipal_referral', 'relative_referral'];
const HEARD = [null, 'socialkompas', 'municipal_staff', 'relative'];

// A request of 2009 (no other test writes there) made as the owner.
function request(centre, i, { created, days = null, heard = null, closed = false } = {}) {
  const source = SOURCES[i % SOURCES.length];
  return psql(`INSERT INTO request (id, centre_id, source, heard_from, portal_reference, name_sealed, created_at,
                 first_contact_at, state, close_reason, closed_at)
      VALUES (gen_random_uuid(), '${centre}', '${source}', ${heard ? `'${heard}'` : 'NULL'},
              ${source === 'portal' ? 'gen_random_uuid()::text' : 'NULL'}, ${SEAL}, '${created}',
              ${days === null ? 'NULL' : `'${created}'::timestamptz + interval '${days} days'`},
              ${closed ? "'closed', 'need_met', '2009-12-01 12:00:00+00'" : "'received', NULL, NULL"})
      RETURNING id`);
}
function state(id, s) {
  psql(`INSERT INTO request_event (request_id, centre_id, at, actor_kind, actor_role, kind, to_state)
        SELECT id, centre_id, created_at, 'system', 'coordinator', 'state', '${s}' FROM request WHERE id = '${id}'`);
}

const WINDOWS = {
  month: [['2009-01-01', '2009-12-31'], ['2009-02-01', '2009-02-28'], ['2009-03-01', '2009-05-31']],
  quarter: [['2009-01-01', '2009-12-31'], ['2009-04-01', '2009-06-30']],
  year: [['2009-01-01', '2009-12-31'], ['2008-01-01', '2009-12-31']],
  null: [['2009-01-01', '2009-12-31'], ['2009-01-01', '2009-01-31'], [null, null]],
};

// Every combination, new function against REFERENCE in one transaction;
// answers the labels that differ and how many rows the new one gave.
function compare() {
  const q = (v) => (v === null ? 'NULL' : `'${v}'`);
  const parts = [];
  for (const [unit, windows] of Object.entries(WINDOWS)) {
    for (const [from, to] of windows) {
      for (const byCentre of [false, true]) {
        for (const breakdown of ['source', 'heard_from']) {
          for (const centre of [null, w.A.id]) {
            const args = `${q(from)}::date, ${q(to)}::date, ${q(centre)}::uuid, ${unit === 'null' ? 'NULL' : q(unit)}, ${byCentre}, '${breakdown}'`;
            const label = `${unit} ${from}..${to} by_centre=${byCentre} ${breakdown} centre=${centre ? 'A' : 'all'}`;
            parts.push(`SELECT '${label}' AS label,
                (SELECT string_agg(t::text, E'\\n' ORDER BY t.ordinality) FROM kompas_stats_funnel(${args}) WITH ORDINALITY t) AS got,
                (SELECT string_agg(t::text, E'\\n' ORDER BY t.ordinality) FROM pg_temp.funnel_ref(${args}) WITH ORDINALITY t) AS want`);
          }
        }
      }
    }
  }
  const out = psql(`${REFERENCE};
    SELECT kompas_set_context('analyst', NULL, NULL);
    SELECT coalesce(string_agg(label, '; ') FILTER (WHERE got IS DISTINCT FROM want), '')
           || '|' || sum(cardinality(string_to_array(got, E'\\n')))
      FROM (${parts.join('\nUNION ALL\n')}) c`);
  const last = out.split('\n').pop();
  const [bad, n] = last.split('|');
  return { bad, n: Number(n) };
}

// The cells recounted from request: rows that differ (either way).
function recount() {
  return Number(psql(FUNNEL_RECOUNT_SQL));
}

function check(what, { empty = false } = {}) {
  assert.equal(recount(), 0, `cells recounted after ${what}`);
  const { bad, n } = compare();
  assert.equal(bad, '', `answers differ after ${what}`);
  if (!empty) assert.ok(n > 0, `some rows after ${what}`);
}

const ids = [];
test('the cells and the answers after inserts', () => {
  check('the migration', { empty: true });
  for (let i = 0; i < 140; i++) {
    const centre = i % 3 === 0 ? w.B.id : w.A.id;
    const month = String(1 + (i % 6)).padStart(2, '0');
    // equal days in one cell on purpose: removing one must keep the other
    const days = i % 4 === 0 ? null : [1.5, 2, 3.25, 7, 10.1, 2][i % 6] + (i % 7 === 0 ? 0 : i / 100);
    ids.push(request(centre, i, { created: `2009-${month}-${10 + (i % 15)} 12:00:00+00`, days, heard: HEARD[i % HEARD.length] }));
  }
  // the Copenhagen month: 23:30 UTC on 31 January is 1 February
  ids.push(request(w.A.id, 0, { created: '2009-01-31 23:30:00+00', days: 2 }));
  ids.push(request(w.A.id, 0, { created: '2009-01-31 22:30:00+00', days: 2 }));
  check('inserts');
});

test('after state changes, first contacts and closing', () => {
  for (let i = 0; i < ids.length; i += 2) state(ids[i], 'accepted');
  for (let i = 0; i < ids.length; i += 3) state(ids[i], 'conversation_held');
  for (let i = 0; i < ids.length; i += 5) { state(ids[i], 'course_started'); state(ids[i], 'referred'); }
  for (let i = 1; i < ids.length; i += 7) state(ids[i], 'signposted');
  check('state changes');
  psql(`UPDATE request SET first_contact_at = created_at + interval '4 days 3 hours'
         WHERE id IN (${ids.filter((_, i) => i % 4 === 0).slice(0, 20).map((x) => `'${x}'`)})`);
  psql(`UPDATE request SET first_contact_at = created_at + interval '2 days' WHERE id = '${ids[1]}'`);
  check('first contacts');
  psql(`UPDATE request SET state = 'closed', close_reason = 'need_met', closed_at = created_at + interval '30 days'
         WHERE id IN (${ids.filter((_, i) => i % 3 === 1).map((x) => `'${x}'`)})`);
  check('closing');
});

test('after moves between centres and months, anonymisation and deletes', () => {
  psql(`UPDATE request SET centre_id = '${w.B.id}' WHERE id IN (${ids.slice(0, 30).filter((_, i) => i % 2).map((x) => `'${x}'`)})`);
  check('moves between centres');
  psql(`UPDATE request SET created_at = created_at + interval '40 days', source = 'phone', heard_from = 'relative'
         WHERE id IN ('${ids[2]}', '${ids[5]}', '${ids[8]}')`);
  check('a changed creation time, source and heard_from');
  psql(`SELECT kompas_anonymise(id, 'test', 'funnel') FROM request WHERE id IN (${ids.slice(40, 60).map((x) => `'${x}'`)})`);
  check('anonymisation');
  psql(`DELETE FROM request_event WHERE request_id IN (${ids.slice(100, 120).map((x) => `'${x}'`)});
        DELETE FROM request WHERE id IN (${ids.slice(100, 120).map((x) => `'${x}'`)})`);
  check('deletes');
});

test('kompas_app cannot read the cells', () => {
  const r = psqlTry('SELECT count(*) FROM request_funnel_cell', { user: 'kompasd' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /permission denied for table request_funnel_cell/);
});
