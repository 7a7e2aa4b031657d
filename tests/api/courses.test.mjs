// Courses (følgeskab) with visits, outcome and follow-up; referrals to
// partner associations' schemes; WHO-5 and UCLA-3 measurements. Requests
// are brought to conversation_held through the API; volunteers,
// associations and events are made as the owner.
//
// The database is shared with other test files running at the same time:
// everything here lives in this file's own centres (makeWorld).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import {
  makeWorld, createAccount, login, call, createRequest, createVolunteer, psqlTry, uniq,
} from './fixtures.mjs';
import {
  day, addDays, createAssociationRow, createEventRow, heldRequest, createCourse, createReferral, step,
} from './course_fixtures.mjs';

let k;
let w;
let vA; // the volunteer record of guide A (w.accounts.A.guide)
let vB;
let other; // a second guide of A, with a volunteer record, assigned nothing here
let assocA;
let assocA2;
let assocB;
let eventA;
let eventB;
let contact2; // the contact of assocA2

before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  vA = createVolunteer(w.A.id, { accountId: w.accounts.A.guide.id });
  vB = createVolunteer(w.B.id, { accountId: w.accounts.B.guide.id });
  const acc = createAccount('guide', w.A.id);
  other = { account: acc, volunteer: createVolunteer(w.A.id, { accountId: acc.id }), token: await login(k, acc.email) };
  assocA = createAssociationRow(w.A.id);
  assocA2 = createAssociationRow(w.A.id);
  assocB = createAssociationRow(w.B.id);
  eventA = createEventRow(w.A.id, assocA);
  eventB = createEventRow(w.B.id, assocB);
  psql(`UPDATE account SET association_id = '${assocA}' WHERE id = '${w.accounts.A.association.id}'`);
  const c2 = createAccount('association', w.A.id);
  psql(`UPDATE account SET association_id = '${assocA2}' WHERE id = '${c2.id}'`);
  contact2 = { account: c2, token: await login(k, c2.email) };
});
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

const coordA = () => w.tokens.A.coordinator;
const coordB = () => w.tokens.B.coordinator;
const guideA = () => w.tokens.A.guide;

async function req(method, path, { token, body, headers } = {}) {
  const res = await call(k, method, path, { token, body, headers });
  const text = await res.text();
  return { res, status: res.status, text, body: text ? JSON.parse(text) : null, rid: res.headers.get('x-request-id') };
}

async function problem(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.code, code, r.text);
  assert.equal(r.body.request_id, r.rid);
  return r.body;
}

const fieldErrors = (body) => (body.errors || []).map((e) => `${e.field}:${e.code}`).sort();

function accessLog(where) {
  return JSON.parse(psql(`SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM access_log a WHERE ${where}`));
}

// ---- courses ---------------------------------------------------------------

test('a course is made from a request whose conversation is held; the request moves to course_started', async () => {
  const r = await heldRequest(k, coordA(), vA.id);
  const defaultVisits = Number(psql(`SELECT default_planned_visits FROM centre WHERE id = '${w.A.id}'`));
  const c = await req('POST', `/v1/requests/${r.id}/courses`, { token: coordA(), body: { planned_end: day(60), association_id: assocA } });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.res.headers.get('location'), `/v1/courses/${c.body.id}`);
  assert.equal(c.res.headers.get('etag'), '"1"');
  assert.equal(c.body.request_id, r.id);
  assert.equal(c.body.centre_id, w.A.id);
  assert.equal(c.body.volunteer_id, vA.id, 'the request\'s guide goes along');
  assert.equal(c.body.planned_visits, defaultVisits, 'the centre\'s default');
  assert.equal(c.body.planned_end, day(60));
  assert.equal(c.body.association_id, assocA);
  assert.equal(c.body.event_id, null);
  assert.equal(c.body.state, 'planned');
  assert.deepEqual(c.body.allowed_transitions, ['active', 'ended_early']);
  assert.deepEqual(c.body.visits, []);
  for (const f of ['started_on', 'ended_on', 'outcome', 'follow_up_due', 'follow_up_on', 'follow_up_result', 'last_visit_on']) {
    assert.equal(c.body[f], null, f);
  }
  const rq = await req('GET', `/v1/requests/${r.id}`, { token: coordA() });
  assert.equal(rq.body.state, 'course_started');
  const hist = await req('GET', `/v1/requests/${r.id}/history`, { token: coordA() });
  const last = hist.body.items.at(-1);
  assert.equal(last.kind, 'state');
  assert.equal(last.from_state, 'conversation_held');
  assert.equal(last.to_state, 'course_started');

  // a second course for the same request: 409
  const again = await req('POST', `/v1/requests/${r.id}/courses`, { token: coordA(), body: { planned_end: day(60) } });
  const p = await problem(again, 409, 'conflict');
  assert.equal(p.state, 'course_started');
  assert.equal(Number(psql(`SELECT count(*) FROM course WHERE request_id = '${r.id}'`)), 1);
});

test('a course needs a request in conversation_held, a planned end and a bounded number of visits', async () => {
  const fresh = await createRequest(k, coordA());
  const p = await problem(await req('POST', `/v1/requests/${fresh.id}/courses`, { token: coordA(), body: { planned_end: day(30) } }), 409, 'conflict');
  assert.equal(p.state, 'received');
  assert.equal((await req('GET', `/v1/requests/${fresh.id}`, { token: coordA() })).body.state, 'received', 'nothing moved');

  const r = await heldRequest(k, coordA(), vA.id);
  const bad = await req('POST', `/v1/requests/${r.id}/courses`, { token: coordA(), body: { planned_visits: 21, planned_end: '2026-02-30', event_id: 'x' } });
  await problem(bad, 422, 'validation_failed');
  assert.deepEqual(fieldErrors(bad.body), ['event_id:invalid_format', 'planned_end:invalid_format', 'planned_visits:too_large']);
  const none = await req('POST', `/v1/requests/${r.id}/courses`, { token: coordA(), body: { planned_visits: 0 } });
  assert.deepEqual(fieldErrors(none.body), ['planned_end:required', 'planned_visits:too_small']);
  // another centre's association and event are not the centre's
  const foreign = await req('POST', `/v1/requests/${r.id}/courses`, { token: coordA(), body: { planned_end: day(30), association_id: assocB, event_id: eventB } });
  await problem(foreign, 422, 'validation_failed');
  assert.deepEqual(fieldErrors(foreign.body), ['association_id:not_in_enum', 'event_id:not_in_enum']);
  assert.equal((await req('GET', `/v1/requests/${r.id}`, { token: coordA() })).body.state, 'conversation_held', 'nothing moved');

  const ok = await req('POST', `/v1/requests/${r.id}/courses`, { token: coordA(), body: { planned_visits: 6, planned_end: day(30), event_id: eventA } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.planned_visits, 6);
  assert.equal(ok.body.event_id, eventA);

  // guides may not make courses; another centre's request is not found
  const r2 = await heldRequest(k, coordA(), vA.id);
  await problem(await req('POST', `/v1/requests/${r2.id}/courses`, { token: guideA(), body: { planned_end: day(30) } }), 403, 'forbidden');
  await problem(await req('POST', `/v1/requests/${r2.id}/courses`, { token: coordB(), body: { planned_end: day(30) } }), 404, 'not_found');
  // If-Match on the request's version
  await problem(await req('POST', `/v1/requests/${r2.id}/courses`, { token: coordA(), body: { planned_end: day(30) }, headers: { 'If-Match': '"1"' } }), 412, 'precondition_failed');
});

test('a course is read with its ETag by the coordinator and the assigned guide; others get 404', async () => {
  const c = await createCourse(k, coordA(), vA.id);
  for (const token of [coordA(), guideA()]) {
    const r = await req('GET', `/v1/courses/${c.id}`, { token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.res.headers.get('etag'), '"1"');
    assert.equal(r.body.id, c.id);
    assert.deepEqual(r.body.visits, []);
  }
  await problem(await req('GET', `/v1/courses/${c.id}`, { token: other.token }), 404, 'not_found');
  await problem(await req('GET', `/v1/courses/${c.id}`, { token: coordB() }), 404, 'not_found');
  await problem(await req('GET', `/v1/courses/${c.id}`, { token: w.tokens.B.guide }), 404, 'not_found');
  await problem(await req('GET', '/v1/courses/not-a-uuid', { token: coordA() }), 404, 'not_found');
  await problem(await req('GET', `/v1/courses/${c.id}`, { token: w.tokens.A.association }), 403, 'forbidden');
  // kompasd's role without a caller sees no course at all
  assert.equal(psql('SELECT count(*) FROM course', { user: 'kompasd' }), '0');
});

test('courses are listed (a guide sees their own), filtered and paged', async () => {
  const c1 = await createCourse(k, coordA(), vA.id);
  const c2 = await createCourse(k, coordA(), other.volunteer.id);
  const list = await req('GET', '/v1/courses?limit=200', { token: coordA() });
  assert.equal(list.status, 200, list.text);
  const ids = list.body.items.map((x) => x.id);
  assert.ok(ids.includes(c1.id) && ids.includes(c2.id));
  assert.ok(list.body.items.every((x) => !('visits' in x)), 'no visits (no notes) in a list');
  const mine = await req('GET', '/v1/courses?limit=200', { token: guideA() });
  assert.ok(mine.body.items.every((x) => x.volunteer_id === vA.id));
  assert.ok(mine.body.items.some((x) => x.id === c1.id) && !mine.body.items.some((x) => x.id === c2.id));
  const theirs = await req('GET', '/v1/courses?limit=200', { token: other.token });
  assert.deepEqual(theirs.body.items.map((x) => x.id), [c2.id]);
  const byVolunteer = await req('GET', `/v1/courses?volunteer_id=${other.volunteer.id}`, { token: coordA() });
  assert.deepEqual(byVolunteer.body.items.map((x) => x.id), [c2.id]);
  const planned = await req('GET', '/v1/courses?state=completed&limit=200', { token: coordA() });
  assert.ok(!planned.body.items.some((x) => x.id === c1.id));
  const b = await req('GET', '/v1/courses', { token: coordB() });
  assert.ok(!b.body.items.some((x) => x.id === c1.id || x.id === c2.id), 'another centre sees none');
  // paging
  const page1 = await req('GET', '/v1/courses?limit=1', { token: coordA() });
  assert.equal(page1.body.items.length, 1);
  assert.match(page1.body.next, /^\/v1\/courses\?limit=1&cursor=/);
  const page2 = await req('GET', page1.body.next, { token: coordA() });
  assert.equal(page2.body.items.length, 1);
  assert.notEqual(page2.body.items[0].id, page1.body.items[0].id);
  const badQuery = await req('GET', '/v1/courses?state=running&follow_up_due_before=soon', { token: coordA() });
  await problem(badQuery, 422, 'validation_failed');
  assert.deepEqual(fieldErrors(badQuery.body), ['follow_up_due_before:invalid_format', 'state:not_in_enum']);
});

test('PATCH changes the plan as a merge patch with If-Match', async () => {
  const c = await createCourse(k, coordA(), vA.id, { association_id: assocA });
  const stale = await req('PATCH', `/v1/courses/${c.id}`, { token: coordA(), body: { planned_visits: 8 }, headers: { 'If-Match': '"7"' } });
  await problem(stale, 412, 'precondition_failed');
  const r = await req('PATCH', `/v1/courses/${c.id}`, { token: coordA(), body: { planned_visits: 8, association_id: null, event_id: eventA }, headers: { 'If-Match': '"1"' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.res.headers.get('etag'), '"2"');
  assert.equal(r.body.planned_visits, 8);
  assert.equal(r.body.association_id, null);
  assert.equal(r.body.event_id, eventA);
  assert.equal(r.body.planned_end, c.planned_end, 'absent members stay');
  const ct = await k.fetch(`/v1/courses/${c.id}`, {
    method: 'PATCH', headers: { Authorization: `Bearer ${coordA()}`, 'Content-Type': 'application/merge-patch+json' },
    body: JSON.stringify({ planned_end: day(90) }),
  });
  assert.equal(ct.status, 200);
  assert.equal((await ct.json()).planned_end, day(90));
  const bad = await req('PATCH', `/v1/courses/${c.id}`, { token: coordA(), body: { planned_visits: null, planned_end: null, state: 'active' } });
  await problem(bad, 422, 'validation_failed');
  assert.deepEqual(fieldErrors(bad.body), ['planned_end:wrong_type', 'planned_visits:wrong_type', 'state:unknown_field']);
  const foreign = await req('PATCH', `/v1/courses/${c.id}`, { token: coordA(), body: { event_id: eventB } });
  assert.deepEqual(fieldErrors(foreign.body), ['event_id:not_in_enum']);
  await problem(await req('PATCH', `/v1/courses/${c.id}`, { token: guideA(), body: { planned_visits: 3 } }), 403, 'forbidden');
  await problem(await req('PATCH', `/v1/courses/${c.id}`, { token: coordB(), body: { planned_visits: 3 } }), 404, 'not_found');
});

test('visits: the first one starts the course; notes are sealed, shown to the course\'s readers and logged', async () => {
  const c = await createCourse(k, coordA(), vA.id, { association_id: assocA });
  const note = `Borgeren var glad for strikkecaféen; ønsker at komme igen ${uniq('n')}`;
  const v = await req('POST', `/v1/courses/${c.id}/visits`, {
    token: guideA(),
    body: { visited_on: day(-20), citizen_came: true, guide_went: true, minutes: 120, note },
  });
  assert.equal(v.status, 201, v.text);
  assert.equal(v.res.headers.get('location'), `/v1/courses/${c.id}`);
  assert.equal(v.res.headers.get('etag'), '"2"');
  assert.equal(v.body.state, 'active');
  assert.equal(v.body.started_on, day(-20));
  assert.equal(v.body.last_visit_on, day(-20));
  assert.equal(v.body.visits_recorded, 1);
  assert.equal(v.body.visits_citizen_came, 1);
  assert.equal(v.body.visits.length, 1);
  const visit = v.body.visits[0];
  assert.equal(visit.association_id, assocA, 'the course\'s association by default');
  assert.equal(visit.event_id, null);
  assert.equal(visit.note, note);
  assert.equal(visit.minutes, 120);
  assert.equal(visit.recorded_by_role, 'guide');
  // sealed at rest: key id, nonce and tag, no plaintext
  const row = JSON.parse(psql(`SELECT json_build_object('len', length(note_sealed), 'hex', encode(note_sealed, 'hex')) FROM visit WHERE id = '${visit.id}'`));
  assert.equal(row.len, Buffer.byteLength(note, 'utf8') + 42);
  assert.ok(!row.hex.includes(Buffer.from('strikkecaf', 'utf8').toString('hex')));
  // bound to its row: moved to another visit it does not open
  const log = accessLog(`request_id = '${v.rid}'`);
  assert.equal(log.length, 1, 'one entry for writing the note');
  assert.equal(log[0].action, 'create');
  assert.equal(log[0].subject, 'request');
  assert.equal(log[0].subject_id, c.request_id);
  assert.equal(log[0].actor_role, 'guide');
  assert.equal(log[0].actor_id, w.accounts.A.guide.id);
  assert.ok(!JSON.stringify(log).includes('strikkecaf'), 'no note in the log');

  // a second visit, by the coordinator, to an event, without a note
  const v2 = await req('POST', `/v1/courses/${c.id}/visits`, {
    token: coordA(),
    body: { visited_on: day(-10), event_id: eventA, citizen_came: false, guide_went: true, minutes: 30 },
  });
  assert.equal(v2.status, 201, v2.text);
  assert.equal(v2.body.visits_recorded, 2);
  assert.equal(v2.body.visits_citizen_came, 1);
  assert.equal(v2.body.last_visit_on, day(-10));
  assert.equal(v2.body.visits[1].event_id, eventA);
  assert.equal(v2.body.visits[1].note, null);
  assert.equal(v2.body.visits[1].recorded_by_role, 'coordinator');
  // the answer shows the earlier note: a read, logged
  const log2 = accessLog(`request_id = '${v2.rid}'`);
  assert.deepEqual(log2.map((e) => e.action), ['read']);

  // reading the course shows and logs the notes
  const g = await req('GET', `/v1/courses/${c.id}`, { token: coordA() });
  assert.equal(g.body.visits[0].note, note);
  const log3 = accessLog(`request_id = '${g.rid}'`);
  assert.equal(log3.length, 1);
  assert.equal(log3[0].action, 'read');
  assert.equal(log3[0].subject_id, c.request_id);
  assert.equal(log3[0].actor_role, 'coordinator');

  // a sealed note moved to another visit does not open: 500, no garbage
  psql(`UPDATE visit SET note_sealed = (SELECT note_sealed FROM visit WHERE id = '${visit.id}') WHERE id = '${v2.body.visits[1].id}'`);
  const broken = await req('GET', `/v1/courses/${c.id}`, { token: coordA() });
  await problem(broken, 500, 'internal_error');
  assert.ok(!broken.text.includes('strikkecaf'));
  psql(`UPDATE visit SET note_sealed = NULL WHERE id = '${v2.body.visits[1].id}'`);
});

test('visits are validated, and only the course\'s readers add them', async () => {
  const c = await createCourse(k, coordA(), vA.id);
  const base = { visited_on: day(-3), citizen_came: true, guide_went: false, minutes: 45, association_id: assocA };
  const bad = await req('POST', `/v1/courses/${c.id}/visits`, {
    token: coordA(), body: { visited_on: '03-11-2026', citizen_came: 'yes', minutes: 601, note: '' },
  });
  await problem(bad, 422, 'validation_failed');
  assert.deepEqual(fieldErrors(bad.body), ['citizen_came:wrong_type', 'guide_went:required', 'minutes:too_large', 'note:too_short', 'visited_on:invalid_format']);
  await problem(await req('POST', `/v1/courses/${c.id}/visits`, { token: coordA(), body: { ...base, minutes: -1 } }), 422, 'validation_failed');
  const future = await req('POST', `/v1/courses/${c.id}/visits`, { token: coordA(), body: { ...base, visited_on: day(5) } });
  assert.deepEqual(fieldErrors(future.body), ['visited_on:too_large']);
  // the course names neither an event nor an association
  const { association_id: _, ...noPlace } = base;
  const nowhere = await req('POST', `/v1/courses/${c.id}/visits`, { token: coordA(), body: noPlace });
  assert.deepEqual(fieldErrors(nowhere.body), ['event_id:required']);
  const foreign = await req('POST', `/v1/courses/${c.id}/visits`, { token: coordA(), body: { ...base, association_id: assocB } });
  assert.deepEqual(fieldErrors(foreign.body), ['association_id:not_in_enum']);
  await problem(await req('POST', `/v1/courses/${c.id}/visits`, { token: other.token, body: base }), 404, 'not_found');
  await problem(await req('POST', `/v1/courses/${c.id}/visits`, { token: coordB(), body: base }), 404, 'not_found');
  await problem(await req('POST', `/v1/courses/${c.id}/visits`, { token: coordA(), body: base, headers: { 'If-Match': '"9"' } }), 412, 'precondition_failed');
  assert.equal(psql(`SELECT count(*) FROM visit WHERE course_id = '${c.id}'`), '0', 'nothing was recorded');
  assert.equal(psql(`SELECT state FROM course WHERE id = '${c.id}'`), 'planned');
  // a minute count of 0 (a cancelled meeting) is a visit too
  const zero = await req('POST', `/v1/courses/${c.id}/visits`, { token: coordA(), body: { ...base, minutes: 0, citizen_came: false }, headers: { 'If-Match': '"1"' } });
  assert.equal(zero.status, 201, zero.text);
});

test('Idempotency-Key: a repeated visit is answered from the first and recorded once', async () => {
  const c = await createCourse(k, coordA(), vA.id, { association_id: assocA });
  const key = uniq('visit');
  const body = { visited_on: day(-2), citizen_came: true, guide_went: true, minutes: 60, note: 'Gik fint.' };
  const first = await req('POST', `/v1/courses/${c.id}/visits`, { token: guideA(), body, headers: { 'Idempotency-Key': key } });
  assert.equal(first.status, 201, first.text);
  const second = await req('POST', `/v1/courses/${c.id}/visits`, { token: guideA(), body, headers: { 'Idempotency-Key': key } });
  assert.equal(second.status, 201);
  assert.equal(second.res.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(second.body, first.body);
  assert.equal(psql(`SELECT count(*) FROM visit WHERE course_id = '${c.id}'`), '1');
  const reused = await req('POST', `/v1/courses/${c.id}/visits`, { token: guideA(), body: { ...body, minutes: 61 }, headers: { 'Idempotency-Key': key } });
  await problem(reused, 422, 'idempotency_key_reused');
});

test('course transitions follow the state table; completion needs an outcome and sets the follow-up 90 days on', async () => {
  const c = await createCourse(k, coordA(), vA.id, { association_id: assocA });
  const path = `/v1/courses/${c.id}/transitions`;
  const illegal = await req('POST', path, { token: coordA(), body: { to: 'completed', outcome: 'continues_on_own' } });
  const p = await problem(illegal, 409, 'conflict');
  assert.equal(p.state, 'planned');
  assert.deepEqual(p.allowed, ['active', 'ended_early']);
  assert.deepEqual(fieldErrors(p), ['to:not_in_enum']);
  const withOutcome = await req('POST', path, { token: coordA(), body: { to: 'active', outcome: 'stopped' } });
  assert.deepEqual(fieldErrors(withOutcome.body), ['outcome:unknown_field']);
  await problem(await req('POST', path, { token: coordA(), body: { to: 'active', on: day(3) } }), 422, 'validation_failed');
  const started = await req('POST', path, { token: guideA(), body: { to: 'active', on: day(-30) }, headers: { 'If-Match': '"1"' } });
  assert.equal(started.status, 200, started.text);
  assert.equal(started.body.state, 'active');
  assert.equal(started.body.started_on, day(-30));
  assert.equal(started.res.headers.get('etag'), '"2"');
  assert.deepEqual(started.body.allowed_transitions, ['completed', 'ended_early']);
  await problem(await req('POST', path, { token: coordA(), body: { to: 'completed', outcome: 'referred' }, headers: { 'If-Match': '"1"' } }), 412, 'precondition_failed');
  const noOutcome = await req('POST', path, { token: coordA(), body: { to: 'completed' } });
  await problem(noOutcome, 422, 'validation_failed');
  assert.deepEqual(fieldErrors(noOutcome.body), ['outcome:required']);
  const badOutcome = await req('POST', path, { token: coordA(), body: { to: 'completed', outcome: 'happy' } });
  assert.deepEqual(fieldErrors(badOutcome.body), ['outcome:not_in_enum']);
  const beforeStart = await req('POST', path, { token: coordA(), body: { to: 'completed', outcome: 'continues_on_own', on: day(-31) } });
  assert.deepEqual(fieldErrors(beforeStart.body), ['on:too_small']);
  const end = day(-5);
  const done = await req('POST', path, { token: guideA(), body: { to: 'completed', outcome: 'continues_on_own', on: end } });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.state, 'completed');
  assert.equal(done.body.outcome, 'continues_on_own');
  assert.equal(done.body.ended_on, end);
  assert.equal(done.body.follow_up_due, addDays(end, 90));
  assert.deepEqual(done.body.allowed_transitions, []);
  const over = await problem(await req('POST', path, { token: coordA(), body: { to: 'ended_early', outcome: 'stopped' } }), 409, 'conflict');
  assert.deepEqual(over.allowed, []);
  assert.equal(over.state, 'completed');
  // an ended course takes no visits and no plan changes
  await problem(await req('POST', `/v1/courses/${c.id}/visits`, { token: coordA(), body: { visited_on: day(-1), citizen_came: true, guide_went: true, minutes: 10 } }), 409, 'conflict');
  await problem(await req('PATCH', `/v1/courses/${c.id}`, { token: coordA(), body: { planned_visits: 2 } }), 409, 'conflict');
  // the guide of another course cannot move this one
  await problem(await req('POST', path, { token: other.token, body: { to: 'active' } }), 404, 'not_found');
});

test('a planned course can end early (with an outcome, today by default), which also sets the follow-up', async () => {
  const c = await createCourse(k, coordA(), vA.id);
  const today = psql("SELECT to_char(current_date, 'YYYY-MM-DD')");
  const r = await req('POST', `/v1/courses/${c.id}/transitions`, { token: coordA(), body: { to: 'ended_early', outcome: 'stopped' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.state, 'ended_early');
  assert.equal(r.body.started_on, null);
  assert.equal(r.body.ended_on, today);
  assert.equal(r.body.follow_up_due, addDays(today, 90));
  assert.equal(r.body.outcome, 'stopped');
});

test('the follow-up of an ended course is recorded once, not before the end; follow-ups due are listed', async () => {
  const c = await createCourse(k, coordA(), vA.id, { association_id: assocA });
  const fu = `/v1/courses/${c.id}/follow-up`;
  const early = await problem(await req('POST', fu, { token: coordA(), body: { result: 'still_taking_part', on: day(-1) } }), 409, 'conflict');
  assert.equal(early.state, 'planned');
  await req('POST', `/v1/courses/${c.id}/visits`, { token: guideA(), body: { visited_on: day(-200), citizen_came: true, guide_went: true, minutes: 90 } });
  const ended = day(-120);
  const done = await req('POST', `/v1/courses/${c.id}/transitions`, { token: guideA(), body: { to: 'completed', outcome: 'continues_with_support', on: ended } });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.follow_up_due, day(-30));

  // the work list: due before tomorrow and not yet recorded
  const due = await req('GET', `/v1/courses?follow_up_due_before=${day(1)}&limit=200`, { token: coordA() });
  assert.ok(due.body.items.some((x) => x.id === c.id));
  const notYet = await req('GET', `/v1/courses?follow_up_due_before=${day(-60)}&limit=200`, { token: coordA() });
  assert.ok(!notYet.body.items.some((x) => x.id === c.id));

  const bad = await req('POST', fu, { token: coordA(), body: { result: 'maybe', on: day(-121) } });
  assert.deepEqual(fieldErrors(bad.body), ['result:not_in_enum']);
  const beforeEnd = await req('POST', fu, { token: coordA(), body: { result: 'not_taking_part', on: day(-121) } });
  assert.deepEqual(fieldErrors(beforeEnd.body), ['on:too_small']);
  await problem(await req('POST', fu, { token: other.token, body: { result: 'not_taking_part', on: day(-2) } }), 404, 'not_found');
  const r = await req('POST', fu, { token: guideA(), body: { result: 'still_taking_part', on: day(-2) } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.follow_up_on, day(-2));
  assert.equal(r.body.follow_up_result, 'still_taking_part');
  const twice = await req('POST', fu, { token: coordA(), body: { result: 'not_taking_part', on: day(-1) } });
  await problem(twice, 409, 'conflict');
  const after = await req('GET', `/v1/courses?follow_up_due_before=${day(1)}&limit=200`, { token: coordA() });
  assert.ok(!after.body.items.some((x) => x.id === c.id), 'recorded follow-ups leave the work list');
});

test('running courses without a visit since a date are listed (the quiet-course work list)', async () => {
  const quiet = await createCourse(k, coordA(), vA.id, { association_id: assocA });
  const busy = await createCourse(k, coordA(), vA.id, { association_id: assocA });
  const visit = { citizen_came: true, guide_went: true, minutes: 60 };
  await req('POST', `/v1/courses/${quiet.id}/visits`, { token: coordA(), body: { ...visit, visited_on: day(-40) } });
  await req('POST', `/v1/courses/${busy.id}/visits`, { token: coordA(), body: { ...visit, visited_on: day(-40) } });
  await req('POST', `/v1/courses/${busy.id}/visits`, { token: coordA(), body: { ...visit, visited_on: day(-2) } });
  const list = await req('GET', `/v1/courses?no_visit_since=${day(-14)}&limit=200`, { token: coordA() });
  assert.equal(list.status, 200, list.text);
  const ids = list.body.items.map((x) => x.id);
  assert.ok(ids.includes(quiet.id));
  assert.ok(!ids.includes(busy.id));
  assert.ok(list.body.items.every((x) => ['planned', 'active'].includes(x.state)));
  // a planned course made today is not quiet yet
  const fresh = await createCourse(k, coordA(), vA.id);
  const again = await req('GET', `/v1/courses?no_visit_since=${day(-14)}&limit=200`, { token: coordA() });
  assert.ok(!again.body.items.some((x) => x.id === fresh.id));
});

// ---- referrals -------------------------------------------------------------

test('a referral moves a held request to referred; more schemes may follow, one open referral per association', async () => {
  const r = await heldRequest(k, coordA(), vA.id);
  const f = await req('POST', `/v1/requests/${r.id}/referrals`, { token: coordA(), body: { association_id: assocA, scheme_note: 'Et Fælles Skridt, tirsdagsgruppen' } });
  assert.equal(f.status, 201, f.text);
  assert.equal(f.res.headers.get('location'), `/v1/referrals/${f.body.id}`);
  assert.equal(f.res.headers.get('etag'), '"1"');
  assert.equal(f.body.state, 'sent');
  assert.equal(f.body.association_id, assocA);
  assert.equal(f.body.request_id, r.id);
  assert.equal(f.body.scheme_note, 'Et Fælles Skridt, tirsdagsgruppen');
  assert.equal(f.body.answered_at, null);
  assert.equal(f.body.citizen, null, 'the coordinator\'s view carries no personal data');
  assert.deepEqual(f.body.allowed_transitions, ['accepted', 'declined']);
  assert.equal((await req('GET', `/v1/requests/${r.id}`, { token: coordA() })).body.state, 'referred');
  const dup = await req('POST', `/v1/requests/${r.id}/referrals`, { token: coordA(), body: { association_id: assocA } });
  await problem(dup, 409, 'conflict');
  assert.deepEqual(fieldErrors(dup.body), ['association_id:already_taken']);
  const second = await req('POST', `/v1/requests/${r.id}/referrals`, { token: coordA(), body: { association_id: assocA2 } });
  assert.equal(second.status, 201, second.text);
  const foreign = await req('POST', `/v1/requests/${r.id}/referrals`, { token: coordA(), body: { association_id: assocB } });
  assert.deepEqual(fieldErrors(foreign.body), ['association_id:not_in_enum']);
  const missing = await req('POST', `/v1/requests/${r.id}/referrals`, { token: coordA(), body: {} });
  assert.deepEqual(fieldErrors(missing.body), ['association_id:required']);
  const fresh = await createRequest(k, coordA());
  const p = await problem(await req('POST', `/v1/requests/${fresh.id}/referrals`, { token: coordA(), body: { association_id: assocA } }), 409, 'conflict');
  assert.equal(p.state, 'received');
  await problem(await req('POST', `/v1/requests/${r.id}/referrals`, { token: coordB(), body: { association_id: assocB } }), 404, 'not_found');
  await problem(await req('POST', `/v1/requests/${r.id}/referrals`, { token: w.tokens.A.association, body: { association_id: assocA } }), 403, 'forbidden');
});

test('an association\'s contact sees only the referrals to its association', async () => {
  const f1 = await createReferral(k, coordA(), vA.id, assocA);
  const f2 = await createReferral(k, coordA(), vA.id, assocA2);
  const mine = await req('GET', '/v1/referrals?limit=200', { token: w.tokens.A.association });
  assert.equal(mine.status, 200, mine.text);
  assert.ok(mine.body.items.length >= 1);
  assert.ok(mine.body.items.every((x) => x.association_id === assocA));
  assert.ok(mine.body.items.some((x) => x.id === f1.id));
  assert.ok(!mine.body.items.some((x) => x.id === f2.id));
  assert.ok(mine.body.items.every((x) => !('citizen' in x)), 'no personal data in a list');
  const theirs = await req('GET', '/v1/referrals?limit=200', { token: contact2.token });
  assert.ok(theirs.body.items.every((x) => x.association_id === assocA2));
  await problem(await req('GET', `/v1/referrals/${f1.id}`, { token: contact2.token }), 404, 'not_found');
  await problem(await req('POST', `/v1/referrals/${f1.id}/transitions`, { token: contact2.token, body: { to: 'accepted' } }), 404, 'not_found');
  await problem(await req('GET', `/v1/referrals/${f1.id}`, { token: w.tokens.B.association }), 404, 'not_found');
  await problem(await req('GET', `/v1/referrals/${f1.id}`, { token: coordB() }), 404, 'not_found');
  await problem(await req('GET', `/v1/referrals/${f1.id}`, { token: guideA() }), 403, 'forbidden');
  const all = await req('GET', '/v1/referrals?limit=200', { token: coordA() });
  assert.ok(all.body.items.some((x) => x.id === f1.id) && all.body.items.some((x) => x.id === f2.id));
  const filtered = await req('GET', `/v1/referrals?association_id=${assocA2}&state=sent&limit=200`, { token: coordA() });
  assert.ok(filtered.body.items.every((x) => x.association_id === assocA2 && x.state === 'sent'));
  assert.ok(filtered.body.items.some((x) => x.id === f2.id));
  // an unlinked association account sees nothing
  const lone = createAccount('association', w.A.id);
  const loneToken = await login(k, lone.email);
  assert.deepEqual((await req('GET', '/v1/referrals', { token: loneToken })).body.items, []);
  // kompasd's role without a caller sees no referral at all
  assert.equal(psql('SELECT count(*) FROM referral', { user: 'kompasd' }), '0');
});

test('the association sees the citizen\'s name and phone only while the citizen consents to sharing, and the read is logged', async () => {
  const f = await createReferral(k, coordA(), vA.id, assocA);
  const contact = w.tokens.A.association;
  const without = await req('GET', `/v1/referrals/${f.id}`, { token: contact });
  assert.equal(without.status, 200, without.text);
  assert.equal(without.body.citizen, null);
  assert.equal(without.body.consent_to_share, false);
  assert.ok(!without.text.includes('Test Borger') && !without.text.includes('12345678') && !without.text.includes('12 34 56 78'));
  assert.deepEqual(accessLog(`request_id = '${without.rid}'`), [], 'nothing personal was read');

  const consent = (given) => req('POST', `/v1/requests/${f.request_id}/consents`, {
    token: coordA(), body: { consents: [{ purpose: 'share_with_association', given, text_version: '2026-09' }] },
  });
  assert.equal((await consent(true)).status, 200);
  const withConsent = await req('GET', `/v1/referrals/${f.id}`, { token: contact });
  assert.equal(withConsent.status, 200, withConsent.text);
  assert.equal(withConsent.body.consent_to_share, true);
  assert.deepEqual(withConsent.body.citizen, { name: 'Test Borger', phone: '+45 12 34 56 78' });
  const log = accessLog(`request_id = '${withConsent.rid}'`);
  assert.equal(log.length, 1);
  assert.equal(log[0].action, 'read');
  assert.equal(log[0].subject_id, f.request_id);
  assert.equal(log[0].actor_role, 'association');
  assert.equal(log[0].actor_id, w.accounts.A.association.id);
  // the coordinator's view says consent is given, but does not open the data
  const coord = await req('GET', `/v1/referrals/${f.id}`, { token: coordA() });
  assert.equal(coord.body.consent_to_share, true);
  assert.equal(coord.body.citizen, null);
  // withdrawn: the latest consent counts
  assert.equal((await consent(false)).status, 200);
  const withdrawn = await req('GET', `/v1/referrals/${f.id}`, { token: contact });
  assert.equal(withdrawn.body.citizen, null);
  assert.equal(withdrawn.body.consent_to_share, false);
  assert.deepEqual(accessLog(`request_id = '${withdrawn.rid}'`), []);
  // the function behind it gives kompasd's role without a caller nothing
  assert.equal(psql(`SELECT count(*) FROM kompas_referral_citizen('${f.id}')`, { user: 'kompasd' }), '0');
});

test('referral transitions: the association answers and completes; illegal steps are 409 with the allowed ones', async () => {
  const f = await createReferral(k, coordA(), vA.id, assocA);
  const path = `/v1/referrals/${f.id}/transitions`;
  const contact = w.tokens.A.association;
  const early = await problem(await req('POST', path, { token: contact, body: { to: 'completed' } }), 409, 'conflict');
  assert.deepEqual(early.allowed, ['accepted', 'declined']);
  assert.equal(early.state, 'sent');
  await problem(await req('POST', path, { token: contact, body: { to: 'sent' } }), 422, 'validation_failed');
  await problem(await req('POST', path, { token: contact, body: { to: 'accepted' }, headers: { 'If-Match': '"4"' } }), 412, 'precondition_failed');
  const accepted = await req('POST', path, { token: contact, body: { to: 'accepted' }, headers: { 'If-Match': '"1"' } });
  assert.equal(accepted.status, 200, accepted.text);
  assert.equal(accepted.body.state, 'accepted');
  assert.match(accepted.body.answered_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(accepted.res.headers.get('etag'), '"2"');
  assert.deepEqual(accepted.body.allowed_transitions, ['completed']);
  const completed = await req('POST', path, { token: coordA(), body: { to: 'completed' } });
  assert.equal(completed.status, 200, completed.text);
  assert.equal(completed.body.state, 'completed');
  assert.match(completed.body.completed_at, /Z$/);
  const final = await problem(await req('POST', path, { token: contact, body: { to: 'declined' } }), 409, 'conflict');
  assert.deepEqual(final.allowed, []);
  // declining
  const g = await createReferral(k, coordA(), vA.id, assocA);
  const declined = await req('POST', `/v1/referrals/${g.id}/transitions`, { token: contact, body: { to: 'declined' } });
  assert.equal(declined.body.state, 'declined');
  assert.equal(declined.body.completed_at, null);
  // a declined referral is no longer open: the citizen may be referred again
  const again = await req('POST', `/v1/requests/${g.request_id}/referrals`, { token: coordA(), body: { association_id: assocA } });
  assert.equal(again.status, 201, again.text);
});

// ---- measurements ----------------------------------------------------------

const who5 = (answers, extra = {}) => ({
  instrument: 'who5', instrument_version: 'da-1998', timepoint: 'baseline', taken_on: day(-3), mode: 'alone', answers, ...extra,
});
const ucla3 = (answers, extra = {}) => ({
  instrument: 'ucla3', instrument_version: 'sundhedsprofil-2021', timepoint: 'baseline', taken_on: day(-3), mode: 'helped', answers, ...extra,
});

test('measurements: the server computes WHO-5 (x4, 0-100) and UCLA-3 (3-12) scores', async () => {
  const r = await heldRequest(k, coordA(), vA.id);
  const path = `/v1/requests/${r.id}/measurements`;
  const m = await req('POST', path, { token: coordA(), body: who5([3, 3, 3, 3, 3]) });
  assert.equal(m.status, 201, m.text);
  assert.equal(m.body.raw_score, 15);
  assert.equal(m.body.score, 60);
  assert.deepEqual(m.body.score_range, { min: 0, max: 100 });
  assert.deepEqual(m.body.answers, [3, 3, 3, 3, 3]);
  assert.equal(m.body.instrument_version, 'da-1998');
  assert.equal(m.body.mode, 'alone');
  assert.equal(m.body.recorded_by_role, 'coordinator');
  assert.equal(m.body.course_id, null);
  const u = await req('POST', path, { token: guideA(), body: ucla3([1, 2, 4]) });
  assert.equal(u.status, 201, u.text);
  assert.equal(u.body.raw_score, 7);
  assert.equal(u.body.score, 7);
  assert.deepEqual(u.body.score_range, { min: 3, max: 12 });
  assert.equal(u.body.mode, 'helped');
  assert.equal(u.body.recorded_by_role, 'guide');
  const extremes = await req('POST', path, { token: coordA(), body: who5([5, 5, 5, 5, 5], { timepoint: 'follow_up' }) });
  assert.equal(extremes.body.score, 100);
  const low = await req('POST', path, { token: coordA(), body: who5([0, 0, 0, 0, 0], { timepoint: 'course_end' }) });
  assert.equal(low.body.score, 0);
  // recording is logged against the request
  const log = accessLog(`request_id = '${m.rid}'`);
  assert.equal(log.length, 1);
  assert.equal(log[0].action, 'create');
  assert.equal(log[0].subject_id, r.id);

  const list = await req('GET', path, { token: guideA() });
  assert.equal(list.status, 200, list.text);
  assert.equal(list.body.items.length, 4);
  const byKey = Object.fromEntries(list.body.items.map((x) => [`${x.instrument}/${x.timepoint}`, x]));
  assert.equal(byKey['who5/baseline'].score, 60);
  assert.equal(byKey['who5/baseline'].raw_score, 15);
  assert.equal(byKey['ucla3/baseline'].score, 7);
  assert.equal(byKey['who5/follow_up'].score, 100);
  const readLog = accessLog(`request_id = '${list.rid}'`);
  assert.deepEqual(readLog.map((e) => [e.action, e.actor_role]), [['read', 'guide']]);
  // the same instrument and timepoint twice: 409
  const dup = await req('POST', path, { token: coordA(), body: who5([1, 1, 1, 1, 1]) });
  await problem(dup, 409, 'conflict');
  assert.deepEqual(fieldErrors(dup.body), ['timepoint:already_taken']);
});

test('measurement answers are validated per instrument: count and range, each failing item named', async () => {
  const r = await heldRequest(k, coordA(), vA.id);
  const path = `/v1/requests/${r.id}/measurements`;
  const post = (body) => req('POST', path, { token: coordA(), body });
  const cases = [
    [who5([3, 3, 3, 3]), ['answers:too_short']],
    [who5([3, 3, 3, 3, 3, 3]), ['answers:too_many_items']],
    [who5([0, 6, -1, 5, 5]), ['answers[1]:too_large', 'answers[2]:too_small']],
    [who5([]), ['answers:too_short']],
    [ucla3([0, 1, 5]), ['answers[0]:too_small', 'answers[2]:too_large']],
    [ucla3([1, 2, 3, 4]), ['answers:too_many_items']],
    [ucla3([1, 2]), ['answers:too_short']],
    [ucla3([1, 5]), ['answers:too_short', 'answers[1]:too_large']],
    [who5([1, 2, 3, 4, 5], { answers: [1, 2, '3', 4, 5.5] }), ['answers[2]:wrong_type', 'answers[4]:wrong_type']],
    [who5([1, 1, 1, 1, 1], { mode: 'online', timepoint: 'later', instrument_version: '' }), ['instrument_version:too_short', 'mode:not_in_enum', 'timepoint:not_in_enum']],
    [{ instrument: 'phq9', answers: [1] }, ['instrument:not_in_enum', 'instrument_version:required', 'mode:required', 'taken_on:required', 'timepoint:required']],
    [who5([1, 1, 1, 1, 1], { taken_on: day(3) }), ['taken_on:too_large']],
  ];
  for (const [body, errors] of cases) {
    const res = await post(body);
    await problem(res, 422, 'validation_failed');
    assert.deepEqual(fieldErrors(res.body), errors, JSON.stringify(body));
  }
  assert.equal(psql(`SELECT count(*) FROM measurement WHERE request_id = '${r.id}'`), '0');
  // the database refuses what the API would: the last line of defence
  for (const [instrument, answers] of [['who5', '{1,2,3,4}'], ['who5', '{1,2,3,4,6}'], ['ucla3', '{0,1,2}'], ['ucla3', '{1,2,NULL}'], ['who5', '{{1,2,3,4,5}}']]) {
    const res = psqlTry(`INSERT INTO measurement (centre_id, request_id, instrument, instrument_version, timepoint, taken_on, mode, answers, recorded_by_role)
      VALUES ('${w.A.id}', '${r.id}', '${instrument}', 'x', 'baseline', current_date, 'alone', '${answers}', 'coordinator')`);
    assert.notEqual(res.code, 0, `${instrument} ${answers} is refused`);
    assert.match(res.stderr, /measurement_answers|violates check constraint/);
  }
  // and computes the scores itself
  const id = psql(`INSERT INTO measurement (centre_id, request_id, instrument, instrument_version, timepoint, taken_on, mode, answers, recorded_by_role)
      VALUES ('${w.A.id}', '${r.id}', 'ucla3', 'x', 'follow_up', current_date, 'alone', '{4,4,4}', 'coordinator') RETURNING id`).split('\n')[0];
  assert.equal(psql(`SELECT raw_score || '/' || score FROM measurement WHERE id = '${id}'`), '12/12');
  assert.notEqual(psqlTry(`UPDATE measurement SET score = 1 WHERE id = '${id}'`).code, 0, 'scores cannot be written');
});

test('measurements belong to the request\'s course if named, and only the request\'s readers see them', async () => {
  const c = await createCourse(k, coordA(), vA.id, { association_id: assocA });
  const c2 = await createCourse(k, coordA(), vA.id, { association_id: assocA });
  const path = `/v1/requests/${c.request_id}/measurements`;
  const wrong = await req('POST', path, { token: coordA(), body: who5([2, 2, 2, 2, 2], { timepoint: 'course_end', course_id: c2.id }) });
  assert.deepEqual(fieldErrors(wrong.body), ['course_id:not_in_enum']);
  const ok = await req('POST', path, { token: guideA(), body: who5([2, 2, 2, 2, 2], { timepoint: 'course_end', course_id: c.id }) });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.course_id, c.id);
  assert.equal(ok.body.score, 40);
  await problem(await req('POST', path, { token: other.token, body: who5([2, 2, 2, 2, 2], { timepoint: 'follow_up' }) }), 404, 'not_found');
  await problem(await req('GET', path, { token: other.token }), 404, 'not_found');
  await problem(await req('GET', path, { token: coordB() }), 404, 'not_found');
  await problem(await req('POST', path, { token: coordB(), body: who5([2, 2, 2, 2, 2], { timepoint: 'follow_up' }) }), 404, 'not_found');
  await problem(await req('GET', path, { token: w.tokens.A.association }), 403, 'forbidden');
  const empty = await heldRequest(k, coordA(), vA.id);
  const none = await req('GET', `/v1/requests/${empty.id}/measurements`, { token: coordA() });
  assert.deepEqual(none.body.items, []);
  assert.deepEqual(accessLog(`request_id = '${none.rid}'`), [], 'nothing read, nothing logged');
  assert.equal(psql('SELECT count(*) FROM measurement', { user: 'kompasd' }), '0');
  // an Idempotency-Key replays the first answer
  const key = uniq('m');
  const body = who5([4, 4, 4, 4, 4], { timepoint: 'follow_up' });
  const first = await req('POST', path, { token: coordA(), body, headers: { 'Idempotency-Key': key } });
  const second = await req('POST', path, { token: coordA(), body, headers: { 'Idempotency-Key': key } });
  assert.equal(first.status, 201, first.text);
  assert.equal(second.status, 201);
  assert.equal(second.res.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(second.body, first.body);
});

test('request steps still apply around courses: a course_started request can be closed', async () => {
  const c = await createCourse(k, coordA(), vA.id);
  const closed = await step(k, coordA(), c.request_id, { to: 'closed', reason: 'need_met' });
  assert.equal(closed.state, 'closed');
  // the course stays readable
  assert.equal((await req('GET', `/v1/courses/${c.id}`, { token: coordA() })).status, 200);
});
