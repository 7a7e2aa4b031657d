// Statistics: the funnel, the outcomes and the courses over a small fixed dataset made
// as the owner in a fresh pair of centres, in 2011 (no other test writes
// there), with hand-computed answers: counts, medians, 90th percentiles,
// means and paired changes; suppression of counts under 5 and the
// complementary cell; coordinators limited to their centre; analysts
// across centres; CSV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import { makeWorld, auth, createAccount, login, psqlTry } from './fixtures.mjs';

let k;
let w;
const Y = 'from=2011-01-01&to=2011-12-31';
const SEAL = `'\\x${'00'.repeat(60)}'`;

// A request of the centre received 2011-03-10 12:00 UTC; days: days to
// first contact (null: none); states: the states it reached (events).
function request(centre, source, { days = null, states = [], closed = false, created = '2011-03-10 12:00:00+00', heard = null } = {}) {
  const id = psql(`INSERT INTO request (id, centre_id, source, heard_from, portal_reference, name_sealed, created_at,
                     first_contact_at, state, close_reason, closed_at)
      VALUES (gen_random_uuid(), '${centre}', '${source}', ${heard ? `'${heard}'` : 'NULL'}, ${source === 'portal' ? 'gen_random_uuid()::text' : 'NULL'},
              ${SEAL}, '${created}', ${days === null ? 'NULL' : `'${created}'::timestamptz + interval '${days} days'`},
              ${closed ? "'closed', 'need_met', '2011-06-01 12:00:00+00'" : "'received', NULL, NULL"})
      RETURNING id`);
  for (const s of states) {
    psql(`INSERT INTO request_event (request_id, centre_id, at, actor_kind, actor_role, kind, to_state)
          VALUES ('${id}', '${centre}', '${created}', 'system', 'coordinator', 'state', '${s}')`);
  }
  return id;
}

// A measurement; raw is the WHO-5 raw score (0-25) spread over the items.
function who5(centre, requestId, timepoint, raw) {
  const items = [0, 0, 0, 0, 0].map((_, i) => Math.floor(raw / 5) + (i < raw % 5 ? 1 : 0));
  psql(`INSERT INTO measurement (centre_id, request_id, instrument, instrument_version, timepoint, taken_on, mode, answers, recorded_by_role)
        VALUES ('${centre}', '${requestId}', 'who5', '1998', '${timepoint}', '2011-04-01', 'alone', '{${items}}', 'coordinator')`);
}
function ucla3(centre, requestId, timepoint) {
  psql(`INSERT INTO measurement (centre_id, request_id, instrument, instrument_version, timepoint, taken_on, mode, answers, recorded_by_role)
        VALUES ('${centre}', '${requestId}', 'ucla3', 'shp2017', '${timepoint}', '2011-04-01', 'alone', '{2,2,2}', 'coordinator')`);
}

async function get(token, p, headers = {}) {
  const res = await k.fetch(p, { headers: auth(token, headers) });
  return res;
}
async function rows(token, p) {
  const res = await get(token, p);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).rows;
}
const cell = (rs, where) => {
  const found = rs.filter((r) => Object.entries(where).every(([key, v]) => r[key] === v));
  assert.equal(found.length, 1, `one cell for ${JSON.stringify(where)}: ${found.length}`);
  return found[0];
};
const shown = (c, v) => { assert.equal(c.suppressed, false, JSON.stringify(c)); assert.equal(c.value, v, JSON.stringify(c)); assert.equal(c.reason, null); };
const hidden = (c, reason) => { assert.equal(c.suppressed, true, JSON.stringify(c)); assert.equal(c.value, null); assert.equal(c.reason, reason); };

const R = ['accepted'];
before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  const A = w.A.id;
  const B = w.B.id;
  // Centre A. portal: 8 received, all accepted, contacted after 1..6 days,
  // 5 conversations, 2 courses, 1 referred, 1 closed.
  const portal = [];
  for (let i = 0; i < 8; i++) {
    const states = [...R];
    if (i < 6) states.push('guide_assigned', 'contacted');
    if (i < 5) states.push('conversation_held');
    if (i < 2) states.push('course_started');
    if (i === 2) states.push('referred');
    portal.push(request(A, 'portal', { days: i < 6 ? i + 1 : null, states, closed: i === 7 }));
  }
  // phone: 3 received, accepted and contacted after 1, 1 and 2 days.
  for (const d of [1, 1, 2]) request(A, 'phone', { days: d, states: [...R, 'contacted'] });
  // walk_in: 6 received, 5 accepted and contacted after 2, 3, 4, 10, 20 days.
  const walk = [];
  for (const d of [2, 3, 4, 10, 20]) walk.push(request(A, 'walk_in', { days: d, states: [...R, 'contacted'] }));
  walk.push(request(A, 'walk_in'));
  // One in 2012 (outside the period) and one in another quarter of 2011.
  request(A, 'phone', { created: '2012-01-05 12:00:00+00' });
  request(A, 'phone', { created: '2011-11-05 12:00:00+00' });
  // Centre B: 5 phone requests, accepted, none contacted.
  for (let i = 0; i < 5; i++) request(B, 'phone', { states: R });
  // Centre A in 2013, how they heard of the offer: socialkompas 6 (all
  // accepted), municipal_staff 5 (3 accepted), relative 2, not asked 3.
  const y13 = { created: '2013-02-10 12:00:00+00' };
  for (let i = 0; i < 6; i++) request(A, i < 3 ? 'portal' : 'phone', { ...y13, heard: 'socialkompas', states: R });
  for (let i = 0; i < 5; i++) request(A, 'phone', { ...y13, heard: 'municipal_staff', states: i < 3 ? R : [] });
  for (let i = 0; i < 2; i++) request(A, 'walk_in', { ...y13, heard: 'relative' });
  for (let i = 0; i < 3; i++) request(A, 'walk_in', y13);

  // WHO-5 baseline raw 10, 12, 8, 15, 5, 10 (scores 40, 48, 32, 60, 20, 40;
  // mean 40); course end for the first five raw 13, 14, 9, 15, 9 (52, 56,
  // 36, 60, 36; mean 48; changes 12, 8, 4, 0, 16: mean 8, two of 10 or
  // more); follow-up for three. UCLA-3 baseline for four.
  const who = [...portal.slice(0, 4), ...walk.slice(0, 2)];
  [10, 12, 8, 15, 5, 10].forEach((raw, i) => who5(A, who[i], 'baseline', raw));
  [13, 14, 9, 15, 9].forEach((raw, i) => who5(A, who[i], 'course_end', raw));
  [15, 15, 15].forEach((raw, i) => who5(A, who[i], 'follow_up', raw));
  for (let i = 0; i < 4; i++) ucla3(A, who[i], 'baseline');

  // Courses made 2011-04-01 (for requests of 2010): six ended (five
  // completed: three continue on their own, two with support; one ended
  // early: stopped), one active; five followed up (four still taking part).
  // Visits of the ended ones 3, 2, 4, 1, 0, 2 (came to 2, 2, 3, 1, 0, 0):
  // 12 / 6 = 2 per course, 8 / 6 = 1.33 attended; the active one has 5.
  const vol = psql(`INSERT INTO volunteer (centre_id, name, status) VALUES ('${A}', 'Stat Guide', 'active') RETURNING id`);
  const assoc = psql(`INSERT INTO association (id, centre_id, name) VALUES (gen_random_uuid(), '${A}', 'Statforeningen') RETURNING id`);
  const courses = [
    ['completed', 'continues_on_own', 'still_taking_part', 3, 2],
    ['completed', 'continues_on_own', 'still_taking_part', 2, 2],
    ['completed', 'continues_on_own', 'still_taking_part', 4, 3],
    ['completed', 'continues_with_support', 'still_taking_part', 1, 1],
    ['completed', 'continues_with_support', 'not_taking_part', 0, 0],
    ['ended_early', 'stopped', null, 2, 0],
    ['active', null, null, 5, 5],
  ];
  for (const [state, outcome, fu, visits, came] of courses) {
    const rq = request(A, 'phone', { created: '2010-06-01 12:00:00+00' });
    const ended = state !== 'active';
    const id = psql(`INSERT INTO course (centre_id, request_id, volunteer_id, planned_visits, planned_end, state, started_on,
                       ended_on, outcome, follow_up_due, follow_up_on, follow_up_result, created_at)
        VALUES ('${A}', '${rq}', '${vol}', 4, '2011-06-01', '${state}', '2011-04-02',
                ${ended ? "'2011-05-01'" : 'NULL'}, ${outcome ? `'${outcome}'` : 'NULL'}, ${ended ? "'2011-07-30'" : 'NULL'},
                ${fu ? "'2011-08-01'" : 'NULL'}, ${fu ? `'${fu}'` : 'NULL'}, '2011-04-01 12:00:00+00') RETURNING id`);
    for (let i = 0; i < visits; i++) {
      psql(`INSERT INTO visit (id, course_id, centre_id, association_id, visited_on, citizen_came, guide_went, minutes, recorded_by_role)
            VALUES (gen_random_uuid(), '${id}', '${A}', '${assoc}', '2011-04-1${i}', ${i < came}, true, 60, 'coordinator')`);
    }
  }
});

after(async () => {
  await k.stop();
});

test('disclosure control: under 5 and the complementary cell', () => {
  // one element per cell, then one for the total
  assert.equal(psql("SELECT kompas_stats_disclose('{8,3,6}')::text"), '{NULL,count_under_5,complementary,NULL}');
  assert.equal(psql("SELECT kompas_stats_disclose('{8,3,2}')::text"), '{NULL,count_under_5,count_under_5,NULL}');
  assert.equal(psql("SELECT kompas_stats_disclose('{3}')::text"), '{count_under_5,count_under_5}');
  assert.equal(psql("SELECT kompas_stats_disclose('{9,7}')::text"), '{NULL,NULL,NULL}');
  assert.equal(psql("SELECT kompas_stats_disclose('{0,9,7}')::text"), '{count_under_5,NULL,complementary,NULL}');
  assert.equal(psql("SELECT kompas_stats_disclose('{}')::text"), '{}');
  // bands that would pin the suppressed cells: five cells of 4 under a
  // published 20 (each at least 20 - 4 x 4 = 4) hide the total; with a
  // shown cell at the top of its band (9: 5-9) that cell is hidden instead
  assert.equal(psql("SELECT kompas_stats_disclose('{4,4,4,4,4}')::text"), '{count_under_5,count_under_5,count_under_5,count_under_5,count_under_5,complementary}');
  assert.equal(psql("SELECT kompas_stats_disclose('{4,4,4,4,9}')::text"), '{count_under_5,count_under_5,count_under_5,count_under_5,complementary,NULL}');
  assert.equal(psql("SELECT kompas_stats_disclose('{4,4,4,3,9}')::text"), '{count_under_5,count_under_5,count_under_5,count_under_5,NULL,NULL}');
});

test('funnel of one centre: counts, suppression, median and p90', async () => {
  const rs = await rows(w.tokens.national.analyst, `/v1/stats/funnel?${Y}&centre=${w.A.slug}`);
  const all = (measure) => cell(rs, { source: null, measure });
  const by = (source, measure) => cell(rs, { source, measure });
  shown(all('received'), 15); // 18: 17 in March, 1 in November (counts are rounded down to a multiple of 5)
  shown(by('portal', 'received'), 5); // 8
  hidden(by('phone', 'received'), 'count_under_5'); // 4
  hidden(by('walk_in', 'received'), 'complementary'); // 6, the next smallest
  // accepted: portal 8, phone 3, walk_in 5: phone under 5, walk_in complementary
  shown(all('accepted'), 15); // 16
  shown(by('portal', 'accepted'), 5); // 8
  hidden(by('phone', 'accepted'), 'count_under_5');
  hidden(by('walk_in', 'accepted'), 'complementary');
  shown(all('contacted'), 10); // 14
  shown(all('conversation_held'), 5);
  hidden(all('course_started'), 'count_under_5');
  hidden(all('referred'), 'count_under_5');
  hidden(all('signposted'), 'count_under_5');
  hidden(all('closed'), 'count_under_5');
  // days 1,1,1,2,2,2,3,3,4,4,5,6,10,20: median 3, p90 6 + 0.7 * 4 = 8.8
  shown(all('days_to_first_contact_median'), 3);
  shown(all('days_to_first_contact_p90'), 8.8);
  // portal 1..6: 3.5 and 5.5; walk_in 2,3,4,10,20: 4 and 16; phone: 3 people
  shown(by('portal', 'days_to_first_contact_median'), 3.5);
  shown(by('portal', 'days_to_first_contact_p90'), 5.5);
  shown(by('walk_in', 'days_to_first_contact_median'), 4);
  shown(by('walk_in', 'days_to_first_contact_p90'), 16);
  hidden(by('phone', 'days_to_first_contact_median'), 'fewer_than_5_people');
  assert.ok(rs.every((r) => r.period === null && r.centre_id === null && r.centre_slug === null));
  assert.ok(rs.every((r) => r.suppressed === (r.value === null)));
});

test('funnel by quarter and month', async () => {
  const rs = await rows(w.tokens.national.analyst, `/v1/stats/funnel?${Y}&centre=${w.A.id}&group_by=quarter`);
  shown(cell(rs, { period: '2011-Q1', source: null, measure: 'received' }), 15); // 17
  hidden(cell(rs, { period: '2011-Q4', source: null, measure: 'received' }), 'count_under_5');
  const m = await rows(w.tokens.national.analyst, `/v1/stats/funnel?from=2011-03-01&to=2011-03-31&centre=${w.A.slug}&group_by=month`);
  shown(cell(m, { period: '2011-03', source: null, measure: 'received' }), 15);
  assert.ok(m.every((r) => r.period === '2011-03'));
});

test('analyst across centres, by centre and in total', async () => {
  const res = await get(w.tokens.national.analyst, `/v1/stats/funnel?${Y}&centre=all&group_by=centre,year`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.filters, { from: '2011-01-01', to: '2011-12-31', centre_id: null, group_by: ['centre', 'year'] });
  assert.equal(body.threshold, 5);
  const rs = body.rows;
  shown(cell(rs, { centre_id: w.A.id, source: null, measure: 'received' }), 15);
  const b = cell(rs, { centre_id: w.B.id, source: null, measure: 'received' });
  shown(b, 5);
  assert.equal(b.centre_slug, w.B.slug);
  assert.equal(b.period, '2011');
  shown(cell(rs, { centre_id: w.B.id, source: 'phone', measure: 'accepted' }), 5);
  hidden(cell(rs, { centre_id: w.B.id, source: null, measure: 'contacted' }), 'count_under_5');
  // each centre's cells in the by-centre answer are decided as in that
  // centre's own answer (disclosure control per centre, period and measure)
  const own = await rows(w.tokens.national.analyst, `/v1/stats/funnel?${Y}&centre=${w.A.slug}&group_by=year`);
  const mine = rs.filter((r) => r.centre_id === w.A.id);
  assert.equal(mine.length, own.length);
  const key = (r) => `${r.source}|${r.measure}`;
  const pick = (r) => [r.value, r.suppressed, r.reason];
  const byKey = new Map(own.map((r) => [key(r), pick(r)]));
  for (const r of mine) assert.deepEqual(pick(r), byKey.get(key(r)), key(r));
  assert.ok(mine.some((r) => r.reason === 'complementary'), 'the comparison covers a complementary cell');
  // all centres together (only these two have requests in 2011 ... as far
  // as this file knows: other files write the present)
  const tot = await rows(w.tokens.national.analystKey, `/v1/stats/funnel?${Y}`);
  shown(cell(tot, { source: null, measure: 'received' }), 20); // 23
  shown(cell(tot, { source: 'phone', measure: 'received' }), 5); // 9
  shown(cell(tot, { source: 'portal', measure: 'received' }), 5); // 8
  shown(cell(tot, { source: 'walk_in', measure: 'received' }), 5); // 6
});

test('coordinator: own centre only', async () => {
  const own = await rows(w.tokens.A.coordinator, `/v1/stats/funnel?${Y}`);
  shown(cell(own, { source: null, measure: 'received' }), 15);
  const slug = await rows(w.tokens.A.coordinator, `/v1/stats/funnel?${Y}&centre=${w.A.slug}`);
  shown(cell(slug, { source: null, measure: 'received' }), 15);
  const b = await rows(w.tokens.B.coordinator, `/v1/stats/funnel?${Y}`);
  shown(cell(b, { source: null, measure: 'received' }), 5);
  await expectProblem(assert, await get(w.tokens.A.coordinator, `/v1/stats/funnel?centre=${w.B.slug}`), 403, 'forbidden');
  await expectProblem(assert, await get(w.tokens.A.coordinator, `/v1/stats/outcomes?centre=${w.B.id}`), 403, 'forbidden');
  await expectProblem(assert, await get(w.tokens.A.coordinator, '/v1/stats/funnel?centre=all'), 403, 'forbidden');
  await expectProblem(assert, await get(w.tokens.A.guide, '/v1/stats/funnel'), 403, 'forbidden');
  await expectProblem(assert, await get(w.tokens.A.portal, '/v1/stats/outcomes'), 403, 'forbidden');
});

test('funnel by how the citizen heard of the offer', async () => {
  const res = await get(w.tokens.A.coordinator, '/v1/stats/funnel?from=2013-01-01&to=2013-12-31&group_by=heard_from');
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.filters.group_by, ['heard_from']);
  const rs = body.rows;
  assert.ok(rs.every((r) => !('source' in r) && 'heard_from' in r));
  const by = (heard_from, measure) => cell(rs, { heard_from, measure });
  shown(by(null, 'received'), 15); // 16
  shown(by('socialkompas', 'received'), 5); // 6
  shown(by('municipal_staff', 'received'), 5);
  hidden(by('relative', 'received'), 'count_under_5');
  hidden(by('not_given', 'received'), 'count_under_5');
  shown(by(null, 'accepted'), 5); // 9
  shown(by('socialkompas', 'accepted'), 5);
  hidden(by('municipal_staff', 'accepted'), 'count_under_5'); // 3
  assert.equal(rs.filter((r) => r.heard_from === 'relative' && r.measure === 'accepted').length, 1);
  // with the period and as CSV: the fourth column is heard_from
  const csv = await get(w.tokens.national.analyst, `/v1/stats/funnel?from=2013-01-01&to=2013-03-31&centre=${w.A.slug}&group_by=month,heard_from&format=csv`);
  const lines = (await csv.text()).split('\r\n');
  assert.equal(lines[0], 'period,centre_id,centre_slug,heard_from,measure,value,suppressed,reason');
  assert.ok(lines.includes('2013-02,,,socialkompas,received,5,false,'));
  assert.ok(lines.includes('2013-02,,,relative,received,,true,count_under_5'));
  // the sources of the same requests are still there by default
  const src = await rows(w.tokens.A.coordinator, '/v1/stats/funnel?from=2013-01-01&to=2013-12-31');
  shown(cell(src, { source: 'phone', measure: 'received' }), 5); // 8
  await expectProblem(assert, await get(w.tokens.A.coordinator, '/v1/stats/funnel?group_by=heard_from,heard_from'), 422, 'validation_failed');
  await expectProblem(assert, await get(w.tokens.A.coordinator, '/v1/stats/outcomes?group_by=heard_from'), 422, 'validation_failed');
});

test('windows are whole, closed periods: misaligned is 422, open is cut and says so', async () => {
  const a = w.tokens.national.analyst;
  const field = async (p, name) => {
    const body = await expectProblem(assert, await get(a, p), 422, 'validation_failed');
    assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [[name, 'not_whole_period']], p);
  };
  await field('/v1/stats/funnel?from=2011-03-02', 'from');
  await field('/v1/stats/funnel?to=2011-03-30', 'to');
  await field('/v1/stats/funnel?from=2011-01-01&to=2012-02-28', 'to'); // 2012 is a leap year
  await field('/v1/stats/courses?from=2011-02-01&group_by=quarter', 'from');
  await field('/v1/stats/volunteers?to=2011-11-30&group_by=year', 'to');
  for (const ok of ['/v1/stats/funnel?to=2012-02-29', '/v1/stats/outcomes?from=2011-04-01&to=2011-06-30&group_by=quarter',
    '/v1/stats/associations?from=2011-01-01&to=2011-12-31&group_by=year']) {
    assert.equal((await get(a, ok)).status, 200, ok);
  }
  // the last closed month, in Copenhagen
  const closed = psql("SELECT (date_trunc('month', (now() AT TIME ZONE 'Europe/Copenhagen')::date::timestamp) - interval '1 day')::date");
  const thisMonth = psql("SELECT to_char(date_trunc('month', (now() AT TIME ZONE 'Europe/Copenhagen')::date::timestamp), 'YYYY-MM-DD')");
  const endOfThisMonth = psql(`SELECT ('${thisMonth}'::date + interval '1 month' - interval '1 day')::date`);
  const none = await (await get(a, '/v1/stats/funnel')).json();
  assert.equal(none.filters.to, closed);
  assert.equal(none.closed_through, closed);
  assert.equal(none.truncated, false);
  assert.equal(none.rounding, 'down_to_multiple_of_5');
  const cut = await (await get(a, `/v1/stats/funnel?from=2011-01-01&to=${endOfThisMonth}`)).json();
  assert.equal(cut.filters.to, closed);
  assert.equal(cut.truncated, true);
  const csv = await get(a, `/v1/stats/funnel?to=${endOfThisMonth}&format=csv`);
  assert.equal(csv.headers.get('kompas-stats-to'), closed);
  assert.equal(csv.headers.get('kompas-stats-truncated'), 'true');
  // a window that begins in the open month has nothing closed
  await expectProblem(assert, await get(a, `/v1/stats/funnel?from=${thisMonth}`), 422, 'period_not_closed');
  const y = psql("SELECT extract(year FROM now() AT TIME ZONE 'Europe/Copenhagen')::int");
  await expectProblem(assert, await get(a, `/v1/stats/funnel?from=${y}-01-01&group_by=year`), 422, 'period_not_closed');
  // the database refuses what kompasd refuses
  for (const sql of ["SELECT * FROM kompas_stats_funnel('2011-03-02', NULL, NULL, NULL, false)",
    "SELECT * FROM kompas_stats_courses(NULL, '2011-05-30', NULL, 'month', false)",
    `SELECT * FROM kompas_stats_outcomes('${thisMonth}', NULL, NULL, NULL, false)`]) {
    const r = psqlTry(`BEGIN; DO $$ BEGIN PERFORM kompas_set_context('analyst', NULL, NULL); END $$; ${sql}; ROLLBACK;`, { user: 'kompasd' });
    assert.notEqual(r.code, 0, sql);
    assert.match(r.stderr, /not the (first|last) day|no closed month/, sql);
  }
});

test('filters are validated', async () => {
  const a = w.tokens.national.analyst;
  await expectProblem(assert, await get(a, '/v1/stats/funnel?centre=no-such-centre-x'), 404, 'not_found');
  await expectProblem(assert, await get(a, '/v1/stats/funnel?group_by=week'), 422, 'validation_failed');
  await expectProblem(assert, await get(a, '/v1/stats/funnel?group_by=month,year'), 422, 'validation_failed');
  await expectProblem(assert, await get(a, '/v1/stats/funnel?from=2011-05-01&to=2011-01-01'), 422, 'validation_failed');
  await expectProblem(assert, await get(a, '/v1/stats/funnel?from=2011-13-01'), 422, 'validation_failed');
});

test('outcomes: means, paired change, suppression', async () => {
  const rs = await rows(w.tokens.A.coordinator, `/v1/stats/outcomes?${Y}`);
  const who = (measure) => cell(rs, { instrument: 'who5', measure });
  shown(who('n_baseline'), 5); // 6
  shown(who('mean_baseline'), 40);
  shown(who('n_course_end'), 5);
  shown(who('mean_course_end'), 48);
  shown(who('n_paired_course_end'), 5);
  shown(who('mean_change_course_end'), 8);
  hidden(who('share_up_10_course_end'), 'count_under_5'); // 2 of 5
  hidden(who('n_follow_up'), 'count_under_5');
  hidden(who('mean_follow_up'), 'fewer_than_5_people');
  hidden(who('mean_change_follow_up'), 'fewer_than_5_people');
  hidden(cell(rs, { instrument: 'ucla3', measure: 'n_baseline' }), 'count_under_5');
  hidden(cell(rs, { instrument: 'ucla3', measure: 'mean_baseline' }), 'fewer_than_5_people');
  assert.equal(rs.filter((r) => r.instrument === 'ucla3' && r.measure.startsWith('share')).length, 0);
  // the analyst sees the same for the centre, nothing for B
  const an = await rows(w.tokens.national.analyst, `/v1/stats/outcomes?${Y}&centre=${w.A.id}&group_by=quarter`);
  shown(cell(an, { period: '2011-Q1', instrument: 'who5', measure: 'mean_change_course_end' }), 8);
  assert.deepEqual(await rows(w.tokens.national.analyst, `/v1/stats/outcomes?${Y}&centre=${w.B.slug}`), []);
});

test('courses: started, ended, outcomes, follow-up, visits', async () => {
  const rs = await rows(w.tokens.national.analyst, `/v1/stats/courses?${Y}&centre=${w.A.slug}`);
  const c = (measure, category = null) => cell(rs, { measure, category });
  shown(c('started'), 5); // 7
  shown(c('ended'), 5); // 6
  hidden(c('ended', 'ended_early'), 'count_under_5');
  hidden(c('ended', 'completed'), 'complementary');
  for (const o of ['continues_on_own', 'continues_with_support', 'referred', 'stopped']) hidden(c('outcome', o), 'count_under_5');
  shown(c('follow_up'), 5);
  hidden(c('follow_up', 'still_taking_part'), 'count_under_5');
  hidden(c('follow_up', 'not_taking_part'), 'count_under_5');
  shown(c('visits_per_course_mean'), 2);
  shown(c('attended_visits_per_course_mean'), 1.33);
  // coordinators of B see nothing of A's; a period without courses is empty
  assert.deepEqual(await rows(w.tokens.B.coordinator, `/v1/stats/courses?${Y}`), []);
  assert.deepEqual(await rows(w.tokens.A.coordinator, '/v1/stats/courses?from=2012-01-01&to=2012-12-31'), []);
  const csv = await get(w.tokens.A.coordinator, `/v1/stats/courses?${Y}&format=csv&group_by=month`);
  const lines = (await csv.text()).split('\r\n');
  assert.equal(lines[0], 'period,centre_id,centre_slug,category,measure,value,suppressed,reason');
  assert.ok(lines.includes('2011-04,,,completed,ended,,true,complementary'));
});

test('CSV: same cells, stable columns, suppressed cells empty', async () => {
  const res = await get(w.tokens.national.analyst, `/v1/stats/funnel?${Y}&centre=${w.A.slug}`, { Accept: 'text/csv' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/csv/);
  const text = await res.text();
  const lines = text.split('\r\n');
  assert.equal(lines[0], 'period,centre_id,centre_slug,source,measure,value,suppressed,reason');
  assert.equal(lines.at(-1), '');
  assert.ok(lines.includes(',,,,received,15,false,'));
  assert.ok(lines.includes(',,,phone,received,,true,count_under_5'));
  assert.ok(lines.includes(',,,walk_in,accepted,,true,complementary'));
  assert.ok(lines.includes(',,,,days_to_first_contact_p90,8.8,false,'));
  const json = await rows(w.tokens.national.analyst, `/v1/stats/funnel?${Y}&centre=${w.A.slug}`);
  assert.equal(lines.length - 2, json.length);

  const o = await get(w.tokens.A.coordinator, `/v1/stats/outcomes?${Y}&format=csv&group_by=centre`);
  assert.equal(o.status, 200);
  const ol = (await o.text()).split('\r\n');
  assert.equal(ol[0], 'period,centre_id,centre_slug,instrument,measure,value,suppressed,reason');
  assert.ok(ol.includes(`,${w.A.id},${w.A.slug},who5,mean_baseline,40.00,false,`));
  // format=json wins over Accept
  const j = await get(w.tokens.A.coordinator, `/v1/stats/outcomes?${Y}&format=json`, { Accept: 'text/csv' });
  assert.match(j.headers.get('content-type'), /json/);
  await j.json();
});

test('the analyst role sees no citizen row directly', async () => {
  const an = createAccount('analyst');
  const token = await login(k, an.email);
  await expectProblem(assert, await get(token, '/v1/requests'), 403, 'forbidden');
  // as kompasd's database role: RLS shows the analyst no request, the
  // functions give aggregates, and they enforce the scope themselves
  const tx = (role, centre, sql) => `BEGIN; DO $$ BEGIN PERFORM kompas_set_context('${role}', ${centre ? `'${centre}'` : 'NULL'}, NULL); END $$; ${sql}; ROLLBACK;`;
  const asApp = (role, centre, sql) => psqlTry(tx(role, centre, sql), { user: 'kompasd' });
  assert.equal(asApp('analyst', null, 'SELECT count(*) FROM request').stdout.split('\n').filter((l) => /^\d+$/.test(l)).join(), '0');
  const got = asApp('analyst', null, `SELECT value FROM kompas_stats_funnel('2011-01-01', '2011-12-31', '${w.A.id}', NULL, false) WHERE source IS NULL AND measure = 'received'`);
  assert.equal(got.code, 0, got.stderr);
  assert.match(got.stdout, /^15$/m);
  const other = asApp('coordinator', w.A.id, `SELECT * FROM kompas_stats_outcomes(NULL, NULL, '${w.B.id}', NULL, false)`);
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /another centre/);
  const own = asApp('coordinator', w.A.id, "SELECT count(*) FROM kompas_stats_courses(NULL, NULL, NULL, NULL, true) WHERE centre_id <> kompas_centre()");
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, /^0$/m);
  for (const role of ['guide', 'portal', 'association', 'admin']) {
    const r = asApp(role, role === 'admin' ? null : w.A.id, 'SELECT * FROM kompas_stats_funnel(NULL, NULL, NULL, NULL, false)');
    assert.notEqual(r.code, 0, role);
    assert.match(r.stderr, /analysts and coordinators/);
  }
  // the helpers are not callable by kompasd at all
  assert.equal(psql("SELECT has_function_privilege('kompas_app', 'kompas_stats_disclose(bigint[])', 'EXECUTE')"), 'f');
  assert.equal(psql("SELECT has_function_privilege('kompas_app', 'kompas_stats_funnel(date, date, uuid, text, boolean, text)', 'EXECUTE')"), 't');
});
