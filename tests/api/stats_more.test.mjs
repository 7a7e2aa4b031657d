// Statistics of the volunteers and the associations over a small fixed
// dataset made as the owner in a fresh pair of centres, with activity in
// 2011 (no other test writes there) and checks expiring relative to today,
// with hand-computed answers: counts by status, newly trained, hours of
// visits and conversations, expiring checks; associations engaged, with
// welcome training, receiving referrals, places; suppression of counts
// under 5, the complementary cell and sums over fewer than 5 volunteers;
// coordinators limited to their centre; analysts across centres; CSV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import { makeWorld, auth, createCentre } from './fixtures.mjs';

let k;
let w;
let C; // a third centre: recruitment and the hand-over, in 2015
const Y = 'from=2011-01-01&to=2011-12-31';
const SEAL = `'\\x${'00'.repeat(60)}'`;

function request(centre) {
  return psql(`INSERT INTO request (id, centre_id, source, name_sealed, created_at, state)
      VALUES (gen_random_uuid(), '${centre}', 'phone', ${SEAL}, '2010-06-01 12:00:00+00', 'received') RETURNING id`);
}
function volunteer(centre, status) {
  return psql(`INSERT INTO volunteer (centre_id, name, status) VALUES ('${centre}', 'Frivillig', '${status}') RETURNING id`);
}
function recordCheck(centre, vol, kind, days) {
  psql(`INSERT INTO volunteer_record_check (volunteer_id, centre_id, kind, checked_on, outcome, valid_until)
        VALUES ('${vol}', '${centre}', '${kind}', current_date - 300, 'clear', current_date + ${days})`);
}
function training(centre, vol, module, completed, expires = 'NULL') {
  psql(`INSERT INTO volunteer_training (volunteer_id, centre_id, module, completed_on, expires_on)
        VALUES ('${vol}', '${centre}', '${module}', ${completed}, ${expires})`);
}

async function get(token, p, headers = {}) {
  return k.fetch(p, { headers: auth(token, headers) });
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

before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  const A = w.A.id;
  const B = w.B.id;
  // Centre A: 6 active (a0..a5), 5 in training (t0..t4), 2 applicants.
  const a = [0, 1, 2, 3, 4, 5].map(() => volunteer(A, 'active'));
  const t = [0, 1, 2, 3, 4].map(() => volunteer(A, 'in_training'));
  volunteer(A, 'applicant');
  volunteer(A, 'applicant');
  // intro completed in 2011 by a0..a4 (5), in 2010 by a5; a0 also another module
  for (let i = 0; i < 5; i++) training(A, a[i], 'intro', "'2011-03-01'");
  training(A, a[5], 'intro', "'2010-12-01'");
  training(A, a[0], 'conversation', "'2011-03-02'");
  // expiring within 30 days: record checks of a0, a1, a3, a4, t0 (5); a2's
  // old check would expire but a newer one does not; a1's criminal record
  // check expires in 40 days. Training: a5 and a0 (2). Distinct: 6.
  for (const v of [a[0], a[1], a[3], a[4], t[0]]) recordCheck(A, v, 'child_protection', 10);
  recordCheck(A, a[2], 'child_protection', 5);
  recordCheck(A, a[2], 'child_protection', 400);
  recordCheck(A, a[1], 'criminal_record', 40);
  training(A, a[5], 'first_aid_mental_health', 'current_date - 300', 'current_date + 20');
  training(A, a[0], 'data_protection', 'current_date - 300', 'current_date + 20');
  training(A, a[1], 'data_protection', 'current_date - 300', 'current_date + 31');

  // Associations of A: s0..s5; welcome training s0..s4 (5); places of
  // s0..s4 2+3+4+5+6 = 20 (s5 none).
  const s = [0, 1, 2, 3, 4, 5].map((i) => psql(`INSERT INTO association (id, centre_id, name, welcome_training_on, newcomer_places, newcomer_places_updated_at)
      VALUES (gen_random_uuid(), '${A}', 'Statforening ${i}', ${i < 5 ? "'2011-01-15'" : 'NULL'}, ${i < 5 ? i + 2 : 'NULL'}, ${i < 5 ? 'now()' : 'NULL'}) RETURNING id`));

  // Visits: a0..a4 each a course with two visits of 60 minutes the guide
  // went to (to s0, April 2011) and one of 90 they did not; one in 2012.
  // 10 x 60 = 600 minutes = 10 hours, 5 volunteers.
  for (let i = 0; i < 5; i++) {
    const rq = request(A);
    const c = psql(`INSERT INTO course (centre_id, request_id, volunteer_id, association_id, planned_visits, planned_end, state, started_on, created_at)
        VALUES ('${A}', '${rq}', '${a[i]}', '${s[0]}', 4, '2011-06-01', 'active', '2011-04-02', '2011-04-01 12:00:00+00') RETURNING id`);
    for (const [day, went, minutes] of [['2011-04-10', true, 60], ['2011-04-11', true, 60], ['2011-04-12', false, 90], ['2012-01-10', true, 60]]) {
      psql(`INSERT INTO visit (id, course_id, centre_id, association_id, visited_on, citizen_came, guide_went, minutes, recorded_by_role)
            VALUES (gen_random_uuid(), '${c}', '${A}', '${s[0]}', '${day}', true, ${went}, ${minutes}, 'coordinator')`);
    }
  }
  // Conversations in May 2011: a0 45 minutes, a1 30 (75 minutes = 1.25
  // hours, 1.3 rounded; 2 volunteers); one by staff (no volunteer) and one in 2012.
  for (const [vol, minutes, day] of [[a[0], 45, '2011-05-02'], [a[1], 30, '2011-05-03'], [null, 50, '2011-05-04'], [a[2], 20, '2012-02-01']]) {
    psql(`INSERT INTO conversation (id, request_id, centre_id, volunteer_id, held_on, duration_minutes, next_step)
          VALUES (gen_random_uuid(), '${request(A)}', '${A}', ${vol ? `'${vol}'` : 'NULL'}, '${day}', ${minutes}, 'none')`);
  }
  // Referrals sent in 2011 to s1..s4 (4), one in 2012 to s5: engaged in
  // 2011 s0 (visits) and s1..s4 = 5.
  for (const [assoc, at] of [[s[1], '2011-02-01'], [s[2], '2011-03-01'], [s[3], '2011-03-02'], [s[4], '2011-08-01'], [s[5], '2012-03-01']]) {
    psql(`INSERT INTO referral (centre_id, request_id, association_id, sent_at, created_at)
          VALUES ('${A}', '${request(A)}', '${assoc}', '${at} 12:00:00+00', '${at} 12:00:00+00')`);
  }

  // Centre B: 5 of each status but one rejected volunteer.
  psql(`INSERT INTO volunteer (centre_id, name, status)
        SELECT '${B}'::uuid, 'Frivillig B', s FROM unnest('{applicant,in_training,active,paused,retired}'::text[]) s,
               generate_series(1, 5)
        UNION ALL SELECT '${B}'::uuid, 'Frivillig B', 'rejected'`);
});

// Centre C: volunteers registered in March 2015 by how they were recruited
// (socialkompas 6; association 12: 5 through Strikkeklubben, 5 through
// Gåklubben, 1 through Koret, 1 without one; word of mouth 2; not given 1),
// and courses made in April 2015 aimed at Strikkeklubben (welcome training
// 2014-09-01; followed up: 6 still taking part, each citizen came to 4
// visits, 2 of them without the guide; 5 not, the guide at every visit)
// and Gåklubben (no welcome training; 3 still taking part, guide at every
// visit).
function centreC() {
  C = createCentre();
  const assoc = (name, welcome) => psql(`INSERT INTO association (id, centre_id, name, welcome_training_on)
      VALUES (gen_random_uuid(), '${C.id}', '${name}', ${welcome ? `'${welcome}'` : 'NULL'}) RETURNING id`);
  const strik = assoc('Strikkeklubben', '2014-09-01');
  const gaa = assoc('Gåklubben', null);
  const kor = assoc('Koret', null);
  const vol = (via, through = null) => psql(`INSERT INTO volunteer (centre_id, name, status, recruited_via, recruited_association_id, created_at)
      VALUES ('${C.id}', 'Frivillig C', 'active', ${via ? `'${via}'` : 'NULL'}, ${through ? `'${through}'` : 'NULL'}, '2015-03-10 12:00:00+00') RETURNING id`);
  const guides = [];
  for (let i = 0; i < 6; i++) guides.push(vol('socialkompas'));
  for (let i = 0; i < 5; i++) vol('association', strik);
  for (let i = 0; i < 5; i++) vol('association', gaa);
  vol('association', kor);
  vol('association');
  vol('word_of_mouth');
  vol('word_of_mouth');
  vol(null);
  const course = (association, result, alone) => {
    const rq = request(C.id);
    const id = psql(`INSERT INTO course (centre_id, request_id, volunteer_id, association_id, planned_visits, planned_end, state, started_on,
                       ended_on, outcome, follow_up_due, follow_up_on, follow_up_result, created_at)
        VALUES ('${C.id}', '${rq}', '${guides[0]}', '${association}', 4, '2015-06-01', 'completed', '2015-04-02', '2015-05-01',
                'continues_on_own', '2015-07-30', '2015-08-01', '${result}', '2015-04-01 12:00:00+00') RETURNING id`);
    for (let i = 0; i < 4; i++) {
      psql(`INSERT INTO visit (id, course_id, centre_id, association_id, visited_on, citizen_came, guide_went, minutes, recorded_by_role)
            VALUES (gen_random_uuid(), '${id}', '${C.id}', '${association}', '2015-04-1${i}', true, ${i >= alone}, 60, 'coordinator')`);
    }
  };
  for (let i = 0; i < 6; i++) course(strik, 'still_taking_part', 2);
  for (let i = 0; i < 5; i++) course(strik, 'not_taking_part', 0);
  for (let i = 0; i < 3; i++) course(gaa, 'still_taking_part', 0);
}

test('volunteers by how they were recruited, and through which association', async () => {
  centreC();
  const rs = await rows(w.tokens.national.analyst, `/v1/stats/volunteers?from=2015-01-01&to=2015-12-31&centre=${C.slug}`);
  const c = (measure, category = null) => cell(rs, { measure, category });
  shown(c('recruited'), 20); // 21
  shown(c('recruited', 'association'), 10); // 12
  shown(c('recruited', 'socialkompas'), 5); // 6
  hidden(c('recruited', 'word_of_mouth'), 'count_under_5');
  hidden(c('recruited', 'not_given'), 'count_under_5');
  assert.equal(rs.filter((r) => r.measure === 'recruited' && r.category === 'event').length, 0, 'no row for a way nobody came');
  shown(c('recruited_through_association', 'Strikkeklubben'), 5);
  hidden(c('recruited_through_association', 'Koret'), 'count_under_5');
  hidden(c('recruited_through_association', 'Gåklubben'), 'complementary'); // 5, the next smallest
  // by month: March; none registered in 2014
  const m = await rows(w.tokens.national.analyst, `/v1/stats/volunteers?from=2015-01-01&to=2015-06-30&centre=${C.id}&group_by=month`);
  shown(cell(m, { period: '2015-03', measure: 'recruited', category: null }), 20);
  const y14 = await rows(w.tokens.national.analyst, `/v1/stats/volunteers?from=2014-01-01&to=2014-12-31&centre=${C.id}`);
  assert.equal(y14.filter((r) => r.measure.startsWith('recruited')).length, 0);
});

test('the hand-over: visits attended without the guide by follow-up result, and per association', async () => {
  if (!C) centreC();
  const Y15 = `from=2015-01-01&to=2015-12-31&centre=${C.slug}`;
  const cs = await rows(w.tokens.national.analyst, `/v1/stats/courses?${Y15}`);
  const c = (measure, category = null) => cell(cs, { measure, category });
  shown(c('follow_up'), 10); // 14
  shown(c('follow_up', 'still_taking_part'), 5); // 9
  shown(c('follow_up', 'not_taking_part'), 5);
  shown(c('attended_alone_share_mean'), 0.21); // 6 x 0.5 of 14
  shown(c('attended_alone_share_mean', 'still_taking_part'), 0.33); // 6 x 0.5 of 9
  shown(c('attended_alone_share_mean', 'not_taking_part'), 0);
  // per association, next to its welcome training
  const as = await rows(w.tokens.national.analyst, `/v1/stats/associations?${Y15}`);
  const a = (category, measure) => cell(as, { category, measure });
  shown(a('Strikkeklubben', 'newcomers_followed_up'), 10); // 11
  shown(a('Strikkeklubben', 'newcomers_still_taking_part'), 5); // 6
  shown(a('Strikkeklubben', 'welcome_training_on'), '2014-09-01');
  hidden(a('Gåklubben', 'newcomers_followed_up'), 'count_under_5'); // 3
  hidden(a('Gåklubben', 'newcomers_still_taking_part'), 'count_under_5');
  shown(a('Gåklubben', 'welcome_training_on'), null);
  assert.equal(as.filter((r) => r.category === 'Koret').length, 0, 'no row without accompanied newcomers');
  const csv = await get(w.tokens.national.analyst, `/v1/stats/associations?${Y15}&format=csv&group_by=quarter`);
  const lines = (await csv.text()).split('\r\n');
  assert.ok(lines.includes('2015-Q2,,,Strikkeklubben,welcome_training_on,2014-09-01,false,'), lines.join('\n'));
  assert.ok(lines.includes('2015-Q2,,,Gåklubben,newcomers_still_taking_part,,true,count_under_5'));
});

after(async () => {
  await k.stop();
});

test('volunteers of one centre: status, trained, hours, expiring', async () => {
  const rs = await rows(w.tokens.national.analyst, `/v1/stats/volunteers?${Y}&centre=${w.A.slug}`);
  const c = (measure, category = null) => cell(rs, { measure, category });
  shown(c('volunteers'), 10); // 13 (counts are rounded down to a multiple of 5)
  shown(c('volunteers', 'active'), 5); // 6
  shown(c('volunteers', 'in_training'), 5);
  hidden(c('volunteers', 'applicant'), 'count_under_5');
  for (const st of ['paused', 'retired', 'rejected']) hidden(c('volunteers', st), 'count_under_5');
  shown(c('active'), 5);
  shown(c('newly_trained'), 5);
  shown(c('hours'), 11.3);
  shown(c('hours', 'visits'), 10);
  hidden(c('hours', 'conversations'), 'fewer_than_5_people');
  shown(c('expiring_within_30_days'), 5); // 6
  shown(c('expiring_within_30_days', 'record_check'), 5);
  hidden(c('expiring_within_30_days', 'training'), 'count_under_5');
  assert.ok(rs.every((r) => r.period === null && r.centre_id === null && r.suppressed === (r.value === null)));
  // a period without activity: the present only
  const none = await rows(w.tokens.national.analyst, `/v1/stats/volunteers?from=2009-01-01&to=2009-12-31&centre=${w.A.id}`);
  shown(cell(none, { measure: 'volunteers', category: null }), 10);
  assert.equal(none.filter((r) => r.measure === 'hours' || r.measure === 'newly_trained').length, 0);
});

test('volunteers by quarter: the present has no period', async () => {
  const rs = await rows(w.tokens.A.coordinator, `/v1/stats/volunteers?${Y}&group_by=quarter`);
  shown(cell(rs, { period: '2011-Q2', category: 'visits', measure: 'hours' }), 10);
  shown(cell(rs, { period: '2011-Q2', category: null, measure: 'hours' }), 11.3);
  shown(cell(rs, { period: '2011-Q1', category: null, measure: 'newly_trained' }), 5);
  shown(cell(rs, { period: null, category: null, measure: 'volunteers' }), 10);
});

test('analyst by centre: the complementary status', async () => {
  const res = await get(w.tokens.national.analyst, '/v1/stats/volunteers?centre=all&group_by=centre');
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.filters.group_by, ['centre']);
  const b = (category) => cell(body.rows, { centre_id: w.B.id, measure: 'volunteers', category });
  shown(b(null), 25); // 26
  hidden(b('rejected'), 'count_under_5');
  hidden(b('applicant'), 'complementary');
  for (const st of ['in_training', 'active', 'paused', 'retired']) shown(b(st), 5);
  assert.equal(b(null).centre_slug, w.B.slug);
  shown(cell(body.rows, { centre_id: w.A.id, measure: 'volunteers', category: null }), 10);
});

test('associations: engaged, welcome training, referrals, places', async () => {
  const rs = await rows(w.tokens.A.coordinator, `/v1/stats/associations?${Y}`);
  const c = (measure) => cell(rs, { measure, category: null });
  shown(c('associations'), 5); // 6
  shown(c('welcome_training'), 5);
  shown(c('newcomer_places'), 20);
  shown(c('engaged'), 5);
  hidden(c('receiving_referrals'), 'count_under_5');
  const q = await rows(w.tokens.national.analyst, `/v1/stats/associations?${Y}&centre=${w.A.id}&group_by=quarter`);
  hidden(cell(q, { period: '2011-Q1', measure: 'receiving_referrals' }), 'count_under_5');
  hidden(cell(q, { period: '2011-Q2', measure: 'engaged' }), 'count_under_5');
  // places of fewer than 5 associations are not shown
  psql(`UPDATE association SET newcomer_places = NULL WHERE centre_id = '${w.A.id}' AND newcomer_places = 6`);
  const after4 = await rows(w.tokens.A.coordinator, `/v1/stats/associations?${Y}`);
  hidden(cell(after4, { measure: 'newcomer_places' }), 'fewer_than_5_people');
  psql(`UPDATE association SET newcomer_places = 6 WHERE centre_id = '${w.A.id}' AND name = 'Statforening 4'`);
  // B has no associations
  assert.deepEqual(await rows(w.tokens.B.coordinator, `/v1/stats/associations?${Y}`), []);
});

test('coordinator: own centre only', async () => {
  const own = await rows(w.tokens.B.coordinator, '/v1/stats/volunteers');
  shown(cell(own, { measure: 'volunteers', category: null }), 25);
  assert.ok(own.every((r) => r.centre_id === null));
  await expectProblem(assert, await get(w.tokens.A.coordinator, `/v1/stats/volunteers?centre=${w.B.slug}`), 403, 'forbidden');
  await expectProblem(assert, await get(w.tokens.A.coordinator, `/v1/stats/associations?centre=${w.B.id}`), 403, 'forbidden');
  await expectProblem(assert, await get(w.tokens.A.coordinator, '/v1/stats/associations?centre=all'), 403, 'forbidden');
  await expectProblem(assert, await get(w.tokens.A.guide, '/v1/stats/volunteers'), 403, 'forbidden');
  await expectProblem(assert, await get(w.tokens.A.portal, '/v1/stats/associations'), 403, 'forbidden');
  await expectProblem(assert, await get(w.tokens.national.analyst, '/v1/stats/volunteers?group_by=week'), 422, 'validation_failed');
  const other = psql(`SELECT has_function_privilege('kompas_app', 'kompas_stats_volunteers(date, date, uuid, text, boolean)', 'EXECUTE')`);
  assert.equal(other, 't');
});

test('CSV', async () => {
  const res = await get(w.tokens.national.analyst, `/v1/stats/volunteers?${Y}&centre=${w.A.slug}`, { Accept: 'text/csv' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/csv/);
  const lines = (await res.text()).split('\r\n');
  assert.equal(lines[0], 'period,centre_id,centre_slug,category,measure,value,suppressed,reason');
  assert.equal(lines.at(-1), '');
  assert.ok(lines.includes(',,,,hours,11.3,false,'));
  assert.ok(lines.includes(',,,conversations,hours,,true,fewer_than_5_people'));
  assert.ok(lines.includes(',,,applicant,volunteers,,true,count_under_5'));
  const json = await rows(w.tokens.national.analyst, `/v1/stats/volunteers?${Y}&centre=${w.A.slug}`);
  assert.equal(lines.length - 2, json.length);
  const a = await get(w.tokens.A.coordinator, `/v1/stats/associations?${Y}&format=csv&group_by=centre`);
  const al = (await a.text()).split('\r\n');
  assert.ok(al.includes(`,${w.A.id},${w.A.slug},,newcomer_places,20,false,`));
  assert.ok(al.includes(`,${w.A.id},${w.A.slug},,receiving_referrals,,true,count_under_5`));
});
