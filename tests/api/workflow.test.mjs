// The request workflow: states with reasons and history, assignment,
// first contact, data changes, consent, conversations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import { makeWorld, login, createAccount, auth, JSON_HEADERS } from './fixtures.mjs';

let k;
let w;
let volunteerA; // an active guide of centre A, linked to the guide account
let volunteerA2; // another active guide of A without an account
let pausedA;
before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  volunteerA = psql(`INSERT INTO volunteer (centre_id, name, status, account_id) VALUES ('${w.A.id}', 'Gustav Guide', 'active', '${w.accounts.A.guide.id}') RETURNING id`);
  volunteerA2 = psql(`INSERT INTO volunteer (centre_id, name, status) VALUES ('${w.A.id}', 'Grete Guide', 'active') RETURNING id`);
  pausedA = psql(`INSERT INTO volunteer (centre_id, name, status) VALUES ('${w.A.id}', 'Per Pause', 'paused') RETURNING id`);
});
after(async () => { assert.equal((await k.stop()).code, 0); });

const call = (method, path, token, body, headers = {}) => k.fetch(path, {
  method, headers: { ...auth(token), ...(body ? JSON_HEADERS : {}), ...headers },
  body: body ? JSON.stringify(body) : undefined,
});
const coord = () => w.tokens.A.coordinator;

async function newRequest(extra = {}) {
  const res = await call('POST', '/v1/requests', coord(), { source: 'phone', citizen: { name: 'Bodil Borger', phone: '+45 40 41 42 43' }, ...extra });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}
async function move(id, to, extra = {}, token = coord()) {
  return call('POST', `/v1/requests/${id}/transitions`, token, { to, ...extra });
}
async function moveOk(id, to, extra = {}, token = coord()) {
  const res = await move(id, to, extra, token);
  assert.equal(res.status, 200, `${to}: ${await res.clone().text()}`);
  return res.json();
}

test('the whole way: received to closed, with history, first contact and closing time', async () => {
  const r = await newRequest();
  assert.equal(r.state, 'received');
  assert.deepEqual(r.allowed_transitions.sort(), ['accepted', 'closed', 'declined', 'withdrawn']);
  await moveOk(r.id, 'accepted');
  const assigned = await moveOk(r.id, 'guide_assigned', { volunteer_id: volunteerA });
  assert.equal(assigned.assigned_volunteer_id, volunteerA);
  assert.equal(assigned.first_contact_at, null);
  const contacted = await moveOk(r.id, 'contacted');
  assert.match(contacted.first_contact_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await moveOk(r.id, 'conversation_held');
  await moveOk(r.id, 'signposted');
  const closed = await moveOk(r.id, 'closed', { reason: 'need_met', note: 'Går nu selv i strikkeklubben.' });
  assert.equal(closed.state, 'closed');
  assert.equal(closed.close_reason, 'need_met');
  assert.match(closed.closed_at, /Z$/);
  assert.deepEqual(closed.allowed_transitions, []);

  const hist = await (await call('GET', `/v1/requests/${r.id}/history`, coord())).json();
  const states = hist.items.filter((e) => e.kind === 'state' || e.kind === 'created').map((e) => e.to_state);
  assert.deepEqual(states, ['received', 'accepted', 'guide_assigned', 'contacted', 'conversation_held', 'signposted', 'closed']);
  const last = hist.items[hist.items.length - 1];
  assert.equal(last.from_state, 'signposted');
  assert.equal(last.reason, 'need_met');
  assert.equal(last.note, 'Går nu selv i strikkeklubben.');
  assert.deepEqual(last.actor, { kind: 'account', role: 'coordinator', id: w.accounts.A.coordinator.id });
  assert.equal(hist.items.find((e) => e.to_state === 'guide_assigned').volunteer_id, volunteerA);
  for (let i = 1; i < hist.items.length; i++) assert.ok(hist.items[i].at >= hist.items[i - 1].at);
  // the portal's status view follows
  assert.equal((await (await call('GET', `/v1/requests/${r.id}/status`, coord())).json()).status, 'closed');
});

test('an illegal step is 409 with the allowed ones, and changes nothing', async () => {
  const r = await newRequest();
  const res = await move(r.id, 'contacted');
  const body = await expectProblem(assert, res, 409, 'conflict');
  assert.equal(body.state, 'received');
  assert.deepEqual(body.allowed.sort(), ['accepted', 'closed', 'declined', 'withdrawn']);
  assert.equal(body.errors[0].field, 'to');
  assert.equal(psql(`SELECT state || '/' || version FROM request WHERE id = '${r.id}'`), 'received/1');
  // final states go nowhere
  await moveOk(r.id, 'withdrawn', { reason: 'withdrawn' });
  await expectProblem(assert, await move(r.id, 'accepted'), 409, 'conflict');
  await expectProblem(assert, await move(r.id, 'closed', { reason: 'need_met' }), 409, 'conflict');
});

test('reasons: required to close, decline or withdraw, refused otherwise, from the fixed list', async () => {
  const r = await newRequest();
  let body = await expectProblem(assert, await move(r.id, 'declined'), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['reason', 'required']]);
  body = await expectProblem(assert, await move(r.id, 'accepted', { reason: 'need_met' }), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['reason', 'unknown_field']]);
  body = await expectProblem(assert, await move(r.id, 'declined', { reason: 'bored' }), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['reason', 'not_in_enum']]);
  const declined = await moveOk(r.id, 'declined', { reason: 'not_appropriate' });
  assert.equal(declined.close_reason, 'not_appropriate');
});

test('assigning needs an active volunteer of the centre', async () => {
  const r = await newRequest();
  await moveOk(r.id, 'accepted');
  let body = await expectProblem(assert, await move(r.id, 'guide_assigned'), 422, 'validation_failed');
  assert.equal(body.errors[0].field, 'volunteer_id');
  body = await expectProblem(assert, await move(r.id, 'guide_assigned', { volunteer_id: pausedA }), 422, 'validation_failed');
  assert.equal(body.errors[0].field, 'volunteer_id');
  const otherCentre = psql(`INSERT INTO volunteer (centre_id, name, status) VALUES ('${w.B.id}', 'B Guide', 'active') RETURNING id`);
  await expectProblem(assert, await move(r.id, 'guide_assigned', { volunteer_id: otherCentre }), 422, 'validation_failed');
  await expectProblem(assert, await move(r.id, 'guide_assigned', { volunteer_id: randomUUID() }), 422, 'validation_failed');
  await moveOk(r.id, 'guide_assigned', { volunteer_id: volunteerA2 });
});

test('a guide sees and moves only the requests assigned to them, and only contact and conversation', async () => {
  const mine = await newRequest();
  const notMine = await newRequest();
  await moveOk(mine.id, 'accepted');
  await moveOk(mine.id, 'guide_assigned', { volunteer_id: volunteerA });
  await moveOk(notMine.id, 'accepted');
  await moveOk(notMine.id, 'guide_assigned', { volunteer_id: volunteerA2 });
  const guide = w.tokens.A.guide;
  const list = await (await call('GET', '/v1/requests?limit=200', guide)).json();
  const ids = list.items.map((x) => x.id);
  assert.ok(ids.includes(mine.id));
  assert.ok(!ids.includes(notMine.id));
  assert.equal((await call('GET', `/v1/requests/${mine.id}`, guide)).status, 200);
  await expectProblem(assert, await call('GET', `/v1/requests/${notMine.id}`, guide), 404, 'not_found');
  await expectProblem(assert, await move(notMine.id, 'contacted', {}, guide), 404, 'not_found');
  await expectProblem(assert, await move(mine.id, 'closed', { reason: 'need_met' }, guide), 403, 'forbidden');
  const c = await moveOk(mine.id, 'contacted', {}, guide);
  assert.equal(c.state, 'contacted');
  const hist = await (await call('GET', `/v1/requests/${mine.id}/history`, guide)).json();
  assert.equal(hist.items.at(-1).actor.role, 'guide');
});

test('If-Match on a transition: a stale version is 412', async () => {
  const r = await (await call('GET', `/v1/requests/${(await newRequest()).id}`, coord()));
  const etag = r.headers.get('etag');
  const id = (await r.json()).id;
  await moveOk(id, 'accepted');
  await expectProblem(assert, await move(id, 'declined', { reason: 'no_capacity' }, coord()).then(() => call('POST', `/v1/requests/${id}/transitions`, coord(), { to: 'closed', reason: 'no_capacity' }, { 'If-Match': etag })), 412, 'precondition_failed');
});

test('PATCH changes the citizen data, seals it anew and logs field names only', async () => {
  const r = await newRequest({ postal_code: '5000' });
  const res = await call('PATCH', `/v1/requests/${r.id}`, coord(), {
    citizen: { phone: '+45 50 51 52 53', email: 'bodil@example.invalid', notes: null }, postal_code: '5200', age_band: '65-79',
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  assert.equal(body.citizen.phone, '+45 50 51 52 53');
  assert.equal(body.citizen.email, 'bodil@example.invalid');
  assert.equal(body.citizen.name, 'Bodil Borger');
  assert.equal(body.postal_code, '5200');
  assert.equal(body.age_band, '65-79');
  const hist = await (await call('GET', `/v1/requests/${r.id}/history`, coord())).json();
  const data = hist.items.find((e) => e.kind === 'data');
  assert.deepEqual(data.fields.sort(), ['age_band', 'citizen.email', 'citizen.notes', 'citizen.phone', 'postal_code']);
  assert.ok(!JSON.stringify(hist).includes('5051'), 'no values in the history');
  // searchable by the new number, not the old one
  const found = await (await call('POST', '/v1/requests/search', coord(), { phone: '50515253' })).json();
  assert.ok(found.items.some((x) => x.id === r.id));
  const old = await (await call('POST', '/v1/requests/search', coord(), { phone: '40414243' })).json();
  assert.ok(!old.items.some((x) => x.id === r.id));
  assert.equal(psql(`SELECT count(*) FROM access_log WHERE subject_id = '${r.id}' AND action = 'update'`), '1');
  // stale If-Match
  await expectProblem(assert, await call('PATCH', `/v1/requests/${r.id}`, coord(), { postal_code: '5000' }, { 'If-Match': '"1"' }), 412, 'precondition_failed');
});

test('consent per purpose: the latest counts and each change is kept', async () => {
  const r = await newRequest({ consents: [{ purpose: 'contact', given: true, text_version: '2026-09' }] });
  assert.deepEqual(r.consents.map((c) => [c.purpose, c.given]), [['contact', true]]);
  const res = await call('POST', `/v1/requests/${r.id}/consents`, coord(), { consents: [
    { purpose: 'contact', given: false, text_version: '2026-09' },
    { purpose: 'follow_up', given: true, text_version: '2026-09' },
  ] });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.consents.map((c) => [c.purpose, c.given]), [['contact', false], ['follow_up', true]]);
  assert.equal(psql(`SELECT count(*) FROM request_consent WHERE request_id = '${r.id}'`), '3');
  await expectProblem(assert, await call('POST', `/v1/requests/${r.id}/consents`, coord(), { consents: [{ purpose: 'marketing', given: true, text_version: 'x' }] }), 422, 'validation_failed');
});

test('categories: interests and needs by id; unknown ids are 422', async () => {
  const cat = psql(`INSERT INTO category (kind, slug, name_da, name_en) VALUES ('interest', 'wf-${Date.now()}', 'Natur', 'Nature') RETURNING id`);
  const r = await newRequest({ categories: [cat] });
  assert.deepEqual(r.categories, [cat]);
  // replacing the list keeps what stays and adds what is new
  const cat2 = psql(`INSERT INTO category (kind, slug, name_da, name_en) VALUES ('need', 'wf2-${Date.now()}', 'Ensomhed', 'Loneliness') RETURNING id`);
  const patched = await (await call('PATCH', `/v1/requests/${r.id}`, coord(), { categories: [cat, cat2] })).json();
  assert.deepEqual(patched.categories.sort(), [cat, cat2].sort());
  const fewer = await (await call('PATCH', `/v1/requests/${r.id}`, coord(), { categories: [cat2] })).json();
  assert.deepEqual(fewer.categories, [cat2]);
  const body = await expectProblem(assert, await call('POST', '/v1/requests', coord(), { source: 'phone', citizen: { name: 'X', phone: '+45 11 22 33 44' }, categories: [randomUUID()] }), 422, 'validation_failed');
  assert.equal(body.errors[0].field, 'categories');
});

test('nothing is added to an anonymised request', async () => {
  const r = await newRequest();
  assert.equal((await call('POST', `/v1/requests/${r.id}/anonymise`, coord())).status, 200);
  await expectProblem(assert, await call('POST', `/v1/requests/${r.id}/conversations`, coord(), { held_on: '2026-11-01', duration_minutes: 5, summary: 'x', next_step: 'none' }), 409, 'conflict');
  await expectProblem(assert, await call('POST', `/v1/requests/${r.id}/consents`, coord(), { consents: [{ purpose: 'contact', given: true, text_version: 'v' }] }), 409, 'conflict');
});

test('conversations: the summary is sealed, reading them is logged, contacted moves on', async () => {
  const r = await newRequest();
  await moveOk(r.id, 'accepted');
  await moveOk(r.id, 'guide_assigned', { volunteer_id: volunteerA });
  await moveOk(r.id, 'contacted');
  const summary = 'Bodil vil gerne i naturen.\nHun er nervøs for store grupper.';
  const res = await call('POST', `/v1/requests/${r.id}/conversations`, w.tokens.A.guide, {
    held_on: '2026-11-20', duration_minutes: 75, summary, next_step: 'course',
  });
  assert.equal(res.status, 201, await res.clone().text());
  const conv = await res.json();
  assert.equal(conv.summary, summary);
  assert.equal(conv.volunteer_id, volunteerA);
  const stored = psql(`SELECT encode(summary_sealed, 'escape') FROM conversation WHERE id = '${conv.id}'`);
  assert.ok(!stored.includes('naturen'));
  const now = await (await call('GET', `/v1/requests/${r.id}`, coord())).json();
  assert.equal(now.state, 'conversation_held');
  const before = Number(psql(`SELECT count(*) FROM access_log WHERE subject_id = '${r.id}' AND action = 'read'`));
  const list = await (await call('GET', `/v1/requests/${r.id}/conversations`, coord())).json();
  assert.deepEqual(list.items.map((c) => c.summary), [summary]);
  assert.equal(Number(psql(`SELECT count(*) FROM access_log WHERE subject_id = '${r.id}' AND action = 'read'`)), before + 1);
  const body = await expectProblem(assert, await call('POST', `/v1/requests/${r.id}/conversations`, coord(), { held_on: '2026-02-30', duration_minutes: 0, next_step: 'party' }), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => e.field).sort(), ['duration_minutes', 'held_on', 'next_step']);
});

test('another centre cannot see or move a request', async () => {
  const r = await newRequest();
  await expectProblem(assert, await move(r.id, 'accepted', {}, w.tokens.B.coordinator), 404, 'not_found');
  await expectProblem(assert, await call('GET', `/v1/requests/${r.id}/history`, w.tokens.B.coordinator), 404, 'not_found');
  await expectProblem(assert, await call('PATCH', `/v1/requests/${r.id}`, w.tokens.B.coordinator, { postal_code: '8000' }), 404, 'not_found');
  assert.equal(psql(`SELECT state FROM request WHERE id = '${r.id}'`), 'received');
});

test('a volunteer\'s active_citizens counts the open requests assigned to them', async () => {
  const before = (await (await call('GET', `/v1/volunteers/${volunteerA2}`, coord())).json()).active_citizens;
  const r = await newRequest();
  await moveOk(r.id, 'accepted');
  await moveOk(r.id, 'guide_assigned', { volunteer_id: volunteerA2 });
  assert.equal((await (await call('GET', `/v1/volunteers/${volunteerA2}`, coord())).json()).active_citizens, before + 1);
  await moveOk(r.id, 'closed', { reason: 'no_longer_needed' });
  assert.equal((await (await call('GET', `/v1/volunteers/${volunteerA2}`, coord())).json()).active_citizens, before);
});

test('the request list filters by state, source, guide and date, without personal data', async () => {
  const a = await newRequest();
  const b = await newRequest({ source: 'walk_in' });
  await moveOk(b.id, 'accepted');
  await moveOk(b.id, 'guide_assigned', { volunteer_id: volunteerA2 });
  const list = async (q) => (await (await call('GET', `/v1/requests?limit=200&${q}`, coord())).json()).items.map((x) => x.id);
  const received = await list('state=received');
  assert.ok(received.includes(a.id) && !received.includes(b.id));
  const assigned = await list('state=guide_assigned,accepted&source=walk_in');
  assert.ok(assigned.includes(b.id) && !assigned.includes(a.id));
  const mine = await list(`assigned_volunteer_id=${volunteerA2}`);
  assert.ok(mine.includes(b.id) && !mine.includes(a.id));
  const today = new Date().toISOString().slice(0, 10);
  assert.ok((await list(`received_from=${today}`)).includes(a.id));
  assert.ok(!(await list('received_to=2020-01-01')).includes(a.id));
  const item = (await (await call('GET', `/v1/requests?state=guide_assigned&limit=200`, coord())).json()).items.find((x) => x.id === b.id);
  assert.equal(item.assigned_volunteer_id, volunteerA2);
  assert.equal(item.citizen, undefined);
  await expectProblem(assert, await call('GET', '/v1/requests?state=sleeping', coord()), 422, 'validation_failed');
});
