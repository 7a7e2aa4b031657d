// Data-protection duties: the subject-access export, erasure on request,
// and anonymisation after the retention period (the data goes, the
// statistics stay).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, runKompasd, expectProblem, psql } from './harness.mjs';
import { makeWorld, auth, JSON_HEADERS } from './fixtures.mjs';

let k;
let w;
let volunteer;
before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  volunteer = psql(`INSERT INTO volunteer (centre_id, name, status, account_id) VALUES ('${w.A.id}', 'Dorte Guide', 'active', '${w.accounts.A.guide.id}') RETURNING id`);
});
after(async () => { assert.equal((await k.stop()).code, 0); });

const call = (method, path, token, body) => k.fetch(path, {
  method, headers: { ...auth(token), ...(body ? JSON_HEADERS : {}) }, body: body ? JSON.stringify(body) : undefined,
});
const coord = () => w.tokens.A.coordinator;
const CITIZEN = { name: 'Erik Eksport', phone: '+45 61 62 63 64', email: 'erik@example.invalid', address: 'Vestergade 1\n5000 Odense C', notes: 'Mistede sin kone sidste år.' };

async function withConversation() {
  const r = await (await call('POST', '/v1/requests', coord(), { source: 'phone', citizen: CITIZEN, postal_code: '5230',
    consents: [{ purpose: 'contact', given: true, text_version: '2026-09' }] })).json();
  for (const [to, extra] of [['accepted', {}], ['guide_assigned', { volunteer_id: volunteer }], ['contacted', {}]]) {
    assert.equal((await call('POST', `/v1/requests/${r.id}/transitions`, coord(), { to, ...extra })).status, 200);
  }
  assert.equal((await call('POST', `/v1/requests/${r.id}/conversations`, w.tokens.A.guide,
    { held_on: '2026-11-02', duration_minutes: 60, summary: 'Erik savner at synge.', next_step: 'course' })).status, 201);
  return r;
}

test('the export holds everything about the citizen, and is logged as an export', async () => {
  const r = await withConversation();
  await call('GET', `/v1/requests/${r.id}`, coord());
  const res = await call('GET', `/v1/requests/${r.id}/export`, coord());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const x = await res.json();
  assert.equal(x.format, 'kompas-subject-access-v1');
  assert.deepEqual({ ...x.request.citizen }, CITIZEN);
  assert.equal(x.request.postal_code, '5230');
  assert.deepEqual(x.consents.map((c) => [c.purpose, c.given, c.text_version]), [['contact', true, '2026-09']]);
  assert.deepEqual(x.conversations.map((c) => c.summary), ['Erik savner at synge.']);
  assert.ok(x.history.some((h) => h.to_state === 'conversation_held'));
  // the access-log extract: what, when and why, the role but not who
  const actions = x.access_log.map((a) => a.action);
  assert.deepEqual(actions.slice(0, 1), ['create']);
  assert.ok(actions.includes('read'));
  for (const a of x.access_log) {
    assert.deepEqual(Object.keys(a).sort(), ['action', 'at', 'by', 'purpose']);
    assert.ok(!JSON.stringify(a).includes(w.accounts.A.coordinator.id));
  }
  assert.equal(psql(`SELECT count(*) FROM access_log WHERE subject_id = '${r.id}' AND action = 'export'`), '1');
});

test('erasure on request: an open request is withdrawn and anonymised; the statistics stay', async () => {
  const r = await withConversation();
  const res = await call('POST', `/v1/requests/${r.id}/anonymise`, coord());
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.state, 'withdrawn');
  assert.equal(body.anonymised, true);
  const row = JSON.parse(psql(`SELECT row_to_json(q)::text FROM request q WHERE id = '${r.id}'`));
  for (const col of ['name_sealed', 'phone_sealed', 'email_sealed', 'address_sealed', 'notes_sealed', 'phone_bidx', 'email_bidx', 'portal_reference']) {
    assert.equal(row[col], null, col);
  }
  assert.equal(row.postal_code, '5200', 'postal code coarsened to its area');
  assert.equal(row.state, 'withdrawn');
  assert.equal(row.close_reason, 'withdrawn');
  assert.ok(row.first_contact_at, 'dates stay');
  assert.equal(psql(`SELECT count(*) FROM conversation WHERE request_id = '${r.id}' AND summary_sealed IS NOT NULL`), '0');
  assert.equal(psql(`SELECT count(*) FROM conversation WHERE request_id = '${r.id}'`), '1', 'the conversation (date, minutes) stays');
  assert.ok(Number(psql(`SELECT count(*) FROM request_event WHERE request_id = '${r.id}' AND kind = 'state'`)) >= 4, 'the history stays');
  assert.equal(psql(`SELECT count(*) FROM access_log WHERE subject_id = '${r.id}' AND action = 'anonymise'`), '1');
  // through the API: no personal data left, and idempotent
  const after = await (await call('GET', `/v1/requests/${r.id}`, coord())).json();
  assert.deepEqual(after.citizen, { name: null, phone: null, email: null, address: null, notes: null });
  assert.equal(after.anonymised, true);
  assert.equal((await call('POST', `/v1/requests/${r.id}/anonymise`, coord())).status, 200);
  assert.equal(psql(`SELECT count(*) FROM access_log WHERE subject_id = '${r.id}' AND action = 'anonymise'`), '1');
  await expectProblem(assert, await call('PATCH', `/v1/requests/${r.id}`, coord(), { citizen: { name: 'Back' } }), 409, 'conflict');
  // no longer found by phone
  const found = await (await call('POST', '/v1/requests/search', coord(), { phone: '61626364' })).json();
  assert.ok(!found.items.some((x) => x.id === r.id));
});

test('after the retention period closed requests are anonymised by the job; open ones are not', async () => {
  const closed = await withConversation();
  assert.equal((await call('POST', `/v1/requests/${closed.id}/transitions`, coord(), { to: 'closed', reason: 'unreachable' })).status, 200);
  const recent = await withConversation();
  assert.equal((await call('POST', `/v1/requests/${recent.id}/transitions`, coord(), { to: 'closed', reason: 'need_met' })).status, 200);
  const open = await withConversation();
  psql(`UPDATE request SET closed_at = now() - interval '25 months' WHERE id IN ('${closed.id}')`);
  psql(`UPDATE request SET created_at = now() - interval '30 months' WHERE id IN ('${open.id}')`);
  const run = await runKompasd(['-c', 'kompas.conf', 'anonymise']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /anonymised [1-9]\d* request/);
  assert.notEqual(psql(`SELECT anonymised_at FROM request WHERE id = '${closed.id}'`), '');
  assert.equal(psql(`SELECT anonymised_at FROM request WHERE id = '${recent.id}'`), '');
  assert.equal(psql(`SELECT anonymised_at FROM request WHERE id = '${open.id}'`), '');
  assert.equal(psql(`SELECT actor_kind || '/' || actor_role FROM access_log WHERE subject_id = '${closed.id}' AND action = 'anonymise'`), 'system/system');
  // idempotent: a second run anonymises nothing more of these
  await runKompasd(['-c', 'kompas.conf', 'anonymise']);
  assert.equal(psql(`SELECT count(*) FROM access_log WHERE subject_id = '${closed.id}' AND action = 'anonymise'`), '1');
  // the statistics survive: states and reasons are still counted
  assert.equal(psql(`SELECT state || '/' || close_reason FROM request WHERE id = '${closed.id}'`), 'closed/unreachable');
});

test('another centre cannot export or erase', async () => {
  const r = await withConversation();
  await expectProblem(assert, await call('GET', `/v1/requests/${r.id}/export`, w.tokens.B.coordinator), 404, 'not_found');
  await expectProblem(assert, await call('POST', `/v1/requests/${r.id}/anonymise`, w.tokens.B.coordinator), 404, 'not_found');
  assert.equal(psql(`SELECT anonymised_at IS NULL FROM request WHERE id = '${r.id}'`), 't');
});

test('courses, visits with their notes, measurements and referrals are exported, and anonymisation clears the notes', async () => {
  const { createCourse, createAssociationRow, day } = await import('./course_fixtures.mjs');
  const assoc = createAssociationRow(w.A.id);
  const c = await createCourse(k, coord(), volunteer, { association_id: assoc });
  const note = 'Borgeren talte om sin datter.';
  assert.equal((await call('POST', `/v1/courses/${c.id}/visits`, coord(),
    { visited_on: day(-3), citizen_came: true, guide_went: true, minutes: 90, note })).status, 201);
  assert.equal((await call('POST', `/v1/requests/${c.request_id}/measurements`, coord(),
    { instrument: 'who5', instrument_version: 'da-1998', timepoint: 'baseline', taken_on: day(-3), mode: 'helped', answers: [2, 3, 2, 3, 2] })).status, 201);
  const x = await (await call('GET', `/v1/requests/${c.request_id}/export`, coord())).json();
  assert.deepEqual(x.courses.map((cc) => cc.id), [c.id]);
  assert.deepEqual(x.visits.map((v) => [v.note, v.minutes]), [[note, 90]]);
  assert.deepEqual(x.measurements.map((m) => [m.instrument, m.raw_score, m.score]), [['who5', 12, 48]]);
  assert.deepEqual(x.referrals, []);
  assert.equal((await call('POST', `/v1/requests/${c.request_id}/anonymise`, coord())).status, 200);
  assert.equal(psql(`SELECT count(*) FROM visit WHERE course_id = '${c.id}' AND note_sealed IS NOT NULL`), '0');
  assert.equal(psql(`SELECT count(*) FROM visit WHERE course_id = '${c.id}'`), '1', 'the visit itself is a statistic');
  assert.equal(psql(`SELECT score FROM measurement WHERE request_id = '${c.request_id}'`), '48', 'scores stay');
});
