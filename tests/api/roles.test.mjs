// The route x role matrix, generated from `kompasd routes`: every route is
// called without a credential, with bad credentials and as every role, and
// the answer must follow the route's role mask (401 / 403 / allowed). Routes
// whose resources belong to a centre are also called for the caller's own
// centre and for another centre (404). A route added to a resource's table
// is in the matrix automatically, and so are its path parameters: the table
// declares what each names ("id=request"), and ROWS below makes rows of
// each such table; a parameter naming a table ROWS does not know fails the
// test, naming it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startKompasd, runKompasd, expectProblem, psql, ROOT } from './harness.mjs';
import {
  PASSWORD, ROLES, uniq, createAccount, createKey, login, makeWorld, call, createRequest,
} from './fixtures.mjs';
import { createVolunteer, createTraining, createRecordCheck } from './fixtures.mjs';
import { createCourse, createReferral, createAssociationRow, day } from './course_fixtures.mjs';

// --- the route table, as kompasd itself prints it ---------------------------
const printed = await runKompasd(['routes']);
if (printed.code !== 0) throw new Error(`kompasd routes failed: ${printed.stderr}`);
const ROUTES = printed.stdout.split('\n').filter(Boolean).map((line) => {
  const [method, pattern, roles, credential, params] = line.split('\t');
  return {
    method, pattern, label: `${method} ${pattern}`, public: roles === 'public',
    // path parameter -> what it names (a table, or 'file', 'calendar_token')
    params: params === '-' ? {} : Object.fromEntries(params.split(' ').map((p) => p.split('='))),
    roles: roles === 'public' ? [] : roles.split(/,\s*/),
    // 'none' (public), 'session only' (integration keys refused) or 'session or key'
    sessionOnly: credential === 'session only',
  };
});

const STRONG = 'Et langt og sikkert kodeord 2026';
let k;
let w; // makeWorld: centres A and B, accounts and tokens of every role
let loginAccount; // whose correct password POST /v1/sessions gets in the matrix
const fixtures = {};

before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  loginAccount = createAccount('guide', w.A.id);
  // resources of each centre that the parameterised routes name
  fixtures.targetA = createAccount('guide', w.A.id);
  fixtures.targetB = createAccount('guide', w.B.id);
  fixtures.requestA = await createRequest(k, w.tokens.A.coordinator);
  fixtures.requestB = await createRequest(k, w.tokens.B.coordinator);
  // a category and an association of each centre; A's association contact
  // speaks for A's association (PATCH /v1/associations/{id})
  const category = (c) => psql(`INSERT INTO category (centre_id, kind, slug, name_da, name_en)
    VALUES ('${c.id}', 'activity', '${uniq('matrix')}', 'Matrix', 'Matrix') RETURNING id`).split('\n')[0];
  fixtures.categoryA = category(w.A);
  fixtures.categoryB = category(w.B);
  const association = async (token) => (await (await call(k, 'POST', '/v1/associations', { token, body: { name: uniq('Matrix forening') } })).json()).id;
  fixtures.associationA = await association(w.tokens.A.coordinator);
  fixtures.associationB = await association(w.tokens.B.coordinator);
  psql(`UPDATE account SET association_id = '${fixtures.associationA}' WHERE id = '${w.accounts.A.association.id}'`);
  // the guides' own volunteer records (GET /v1/me/volunteer, /v1/volunteers/{id})
  fixtures.volunteerA = createVolunteer(w.A.id, { accountId: w.accounts.A.guide.id });
  fixtures.volunteerB = createVolunteer(w.B.id, { accountId: w.accounts.B.guide.id });
});
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

// --- path parameters ---------------------------------------------------------
// pattern -> ids(): { own, other } where own is a resource of centre A (the
// centre of every centre-bound caller below) and other one of centre B.
// tenant: the resource belongs to a centre, so a centre-bound caller must not
// reach the other one (404). table: where the row lives, to prove that a
// refused request changed nothing. Destructive routes get throwaway rows per
// call.
// webhook endpoints point at a closed loopback port: deliveries fail locally
const HOOK_URL = 'https://127.0.0.1:9/hook';
const throwawayHook = async (token) => (await (await call(k, 'POST', '/v1/webhooks', { token, body: { url: HOOK_URL } })).json()).id;
const hookEvent = (centre, endpoint) => psql(`INSERT INTO webhook_event (centre_id, endpoint_id, event_type, payload, next_attempt_at)
  VALUES ('${centre.id}', '${endpoint}', 'request.status_changed', '{}', now() + interval '1 day') RETURNING id`);
// A guide's calendar feed token as its path segment (<token>.ics).
const feedPaths = new Set();
const feedPath = async (token) => {
  const res = await call(k, 'POST', '/v1/me/calendar-token', { token });
  if (res.status !== 201) throw new Error(`calendar token: ${res.status} ${await res.text()}`);
  const seg = (await res.json()).url.split('/').pop();
  feedPaths.add(seg);
  return seg;
};
const throwawayKey = async (centre) => (await createKey(k, w.tokens.national.admin, { name: uniq('throwaway'), role: 'portal', centre_id: centre.id })).id;
// Events made as the owner: an event of a centre (of an association, when
// given), and a sign-up of a volunteer for a fresh information meeting.
function eventRow(centreId, { kind = 'activity', associationId = null } = {}) {
  return psql(`INSERT INTO event (centre_id, association_id, kind, title, starts_at, ends_at)
    VALUES ('${centreId}', ${associationId ? `'${associationId}'` : 'NULL'}, '${kind}', 'Matrix event',
            now() + interval '7 days', now() + interval '7 days 2 hours') RETURNING id`).split('\n')[0];
}
function signupRow(centreId, volunteerId) {
  const id = eventRow(centreId, { kind: 'info_meeting' });
  const signup = psql(`INSERT INTO event_signup (event_id, centre_id, volunteer_id)
    VALUES ('${id}', '${centreId}', '${volunteerId}') RETURNING id`).split('\n')[0];
  return { id, signup_id: signup };
}
// A weekly series of two information meetings made by a centre's coordinator.
const seriesRow = async (token) => (await (await call(k, 'POST', '/v1/event-series', {
  token, body: { kind: 'info_meeting', title: 'Matrix series', starts_at: soon(7), ends_at: soon(7, 2), frequency: 'weekly', count: 2 },
})).json()).id;
// What a path parameter names -> rows(): { own, other }, own of centre A
// (the centre of every centre-bound caller below) and other of centre B. A
// row of a child table (a volunteer's training) comes with its parent's id:
// [parent, row], in the order of the route's parameters.
const ROWS = {
  account: async () => ({ own: fixtures.targetA.id, other: fixtures.targetB.id }),
  api_key: async () => ({ own: await throwawayKey(w.A), other: await throwawayKey(w.B) }),
  request: async () => ({ own: fixtures.requestA.id, other: fixtures.requestB.id }),
  webhook_endpoint: async () => ({ own: await throwawayHook(w.tokens.A.coordinator), other: await throwawayHook(w.tokens.B.coordinator) }),
  webhook_event: async () => ({ own: hookEvent(w.A, await throwawayHook(w.tokens.A.coordinator)), other: hookEvent(w.B, await throwawayHook(w.tokens.B.coordinator)) }),
  centre: async () => ({ own: w.A.id, other: w.B.id }),
  // public: the guide's feed token is the credential; fresh tokens of A's and
  // B's guide each time (a new one revokes the last)
  calendar_token: async () => ({ own: await feedPath(w.tokens.A.guide), other: await feedPath(w.tokens.B.guide) }),
  // public: files of the web client (clients/web), the same for every centre
  file: async () => ({ own: 'index.html', other: 'style.css' }),
  // A's event is an activity of A's association, whose contact may change it
  event: async () => ({ own: eventRow(w.A.id, { associationId: fixtures.associationA }), other: eventRow(w.B.id, { associationId: fixtures.associationB }) }),
  event_series: async () => ({ own: await seriesRow(w.tokens.A.coordinator), other: await seriesRow(w.tokens.B.coordinator) }),
  event_signup: async () => ({ own: signupRow(w.A.id, fixtures.volunteerA.id), other: signupRow(w.B.id, fixtures.volunteerB.id) }),
  category: async () => ({ own: fixtures.categoryA, other: fixtures.categoryB }),
  association: async () => ({ own: fixtures.associationA, other: fixtures.associationB }),
  volunteer: async () => ({ own: fixtures.volunteerA.id, other: fixtures.volunteerB.id }),
  // deleting is destructive: fresh rows every time
  volunteer_training: async () => ({
    own: [fixtures.volunteerA.id, createTraining(fixtures.volunteerA)],
    other: [fixtures.volunteerB.id, createTraining(fixtures.volunteerB)],
  }),
  volunteer_record_check: async () => ({
    own: [fixtures.volunteerA.id, createRecordCheck(fixtures.volunteerA)],
    other: [fixtures.volunteerB.id, createRecordCheck(fixtures.volunteerB)],
  }),
  // courses and referrals: made once per run (lazily), in A for the guide of
  // A (fixtures.volunteerA) and in B
  course: () => courseIds(),
  referral: () => referralIds(),
};
// Not rows of a centre: a centre-bound caller may name another centre's.
const UNTENANTED = new Set(['centre', 'calendar_token', 'file']);
// Where what a parameter names lives, to prove that a refused request
// changed nothing (the kinds that are not tables get a list of their values).
const tableOf = (what) => ({
  calendar_token: `(SELECT unnest(ARRAY['${[...feedPaths].join("','")}']) AS id)`,
  file: "(SELECT unnest(ARRAY['index.html', 'style.css']) AS id)",
}[what] || what);
// Routes whose test needs other rows than their table's usual ones, and why.
const ROWS_FOR_ROUTE = {
  // erasure is destructive: fresh requests every time
  '/v1/requests/{id}/anonymise': async () => ({ own: (await createRequest(k, w.tokens.A.coordinator)).id, other: (await createRequest(k, w.tokens.B.coordinator)).id }),
  // one measurement per instrument and timepoint: fresh requests
  '/v1/requests/{id}/measurements': async () => ({ own: (await createRequest(k, w.tokens.A.coordinator)).id, other: (await createRequest(k, w.tokens.B.coordinator)).id }),
  // a password reset changes the account: fresh accounts
  '/v1/accounts/{id}/password': async () => ({ own: createAccount('guide', w.A.id).id, other: createAccount('guide', w.B.id).id }),
  // sign-ups are for information meetings
  '/v1/events/{id}/signups': async () => ({ own: eventRow(w.A.id, { kind: 'info_meeting' }), other: eventRow(w.B.id, { kind: 'info_meeting' }) }),
  // visits are to an association: courses with one
  '/v1/courses/{id}/visits': () => visitCourseIds(),
};
// The path parameters of route r: tenant (the row belongs to a centre, so a
// centre-bound caller must not reach another centre's: 404), table, row (the
// parameter naming the row) and ids() ({ own, other }, each one value or an
// object of values by parameter name). Null when r has no parameters;
// undefined when a parameter names what ROWS does not know.
function paramsOf(r) {
  const names = Object.keys(r.params);
  if (names.length === 0) return null;
  const row = names[names.length - 1];
  const what = r.params[row];
  const rows = ROWS_FOR_ROUTE[r.pattern] || ROWS[what];
  if (!rows) return undefined;
  const byName = (v) => (Array.isArray(v) ? Object.fromEntries(names.map((n, i) => [n, v[i]])) : v);
  return {
    tenant: !UNTENANTED.has(what),
    get table() { return tableOf(what); },
    row,
    ids: async () => { const { own, other } = await rows(); return { own: byName(own), other: byName(other) }; },
  };
}
const isParameterised = (pattern) => /\{[^}]+\}/.test(pattern);
const once = (make) => { let p; return () => (p ||= make()); };
const courseIds = once(async () => ({
  own: (await createCourse(k, w.tokens.A.coordinator, fixtures.volunteerA.id)).id,
  other: (await createCourse(k, w.tokens.B.coordinator, fixtures.volunteerB.id)).id,
}));
const visitCourseIds = once(async () => ({
  own: (await createCourse(k, w.tokens.A.coordinator, fixtures.volunteerA.id, { association_id: createAssociationRow(w.A.id) })).id,
  other: (await createCourse(k, w.tokens.B.coordinator, fixtures.volunteerB.id, { association_id: createAssociationRow(w.B.id) })).id,
}));
const referralIds = once(async () => ({
  own: (await createReferral(k, w.tokens.A.coordinator, fixtures.volunteerA.id, createAssociationRow(w.A.id))).id,
  other: (await createReferral(k, w.tokens.B.coordinator, fixtures.volunteerB.id, createAssociationRow(w.B.id))).id,
}));
// id: one value for every parameter, or an object of values by name
const fill = (pattern, id) => pattern.replace(/\{([^}]+)\}/g, (_, name) => (typeof id === 'object' ? id[name] : id));

// --- what to send, and what an allowed caller gets ------------------------
// body(caller): a minimal valid body; ok: the status for a caller whose role
// the route allows (a number, or a function of the caller). fresh: the
// request ends the caller's session, so a fresh login is used for it.
const soon = (days, hours = 0) => new Date(Date.now() + days * 86400000 + hours * 3600000).toISOString();
const REQUESTS = {
  'GET /healthz': { ok: 200 },
  'GET /readyz': { ok: 200 },
  'GET /metrics': { ok: 200 },
  'GET /v1': { ok: 200 },
  'GET /v1/openapi.yaml': { ok: 200 },
  'POST /v1/sessions': { body: () => ({ email: loginAccount.email, password: PASSWORD }), ok: 201 },
  'DELETE /v1/sessions/current': { fresh: true, ok: 204 },
  'GET /v1/me': { ok: 200 },
  // an empty settings patch: every account role may make it
  'PATCH /v1/me': { body: () => ({ notifications: {} }), ok: 200 },
  // a wrong current password: the route is reached, nothing changes
  'PUT /v1/me/password': { body: () => ({ current_password: 'not the current password', new_password: STRONG }), ok: 422 },
  'GET /v1/accounts': { ok: 200 },
  'POST /v1/accounts': { body: () => ({ email: `${uniq('matrix')}@test.invalid`, display_name: 'Matrix guide', role: 'guide', centre_id: w.A.id, password: STRONG }), ok: 201 },
  'GET /v1/accounts/{id}': { ok: 200 },
  'PATCH /v1/accounts/{id}': { body: () => ({ display_name: 'Matrix renamed' }), ok: 200 },
  'POST /v1/accounts/{id}/password': { body: () => ({ password: STRONG }), ok: 204 },
  'GET /v1/api-keys': { ok: 200 },
  'POST /v1/api-keys': { body: () => ({ name: uniq('matrix'), role: 'portal', centre_id: w.A.id }), ok: 201 },
  'DELETE /v1/api-keys/{id}': { ok: 204 },
  'GET /v1/requests': { ok: 200 },
  'POST /v1/requests': {
    body: (c) => (c.role === 'portal'
      ? { portal_reference: uniq('ref'), citizen: { name: 'Matrix Borger', email: `${uniq('b')}@test.invalid` } }
      : { source: 'phone', citizen: { name: 'Matrix Borger', phone: '+45 87 65 43 21' } }),
    ok: 201,
  },
  'POST /v1/requests/search': { body: () => ({ phone: '+45 12 34 56 78' }), ok: 200 },
  // A guide may use the request routes, but sees only requests assigned to
  // them: the fixture request is not, so it is invisible (404).
  'GET /v1/requests/{id}': { ok: (c) => (c.role === 'guide' ? 404 : 200) },
  'PATCH /v1/requests/{id}': { body: () => ({ age_band: '50-64' }), ok: 200 },
  // an illegal step from received: the route is reached, nothing changes
  'POST /v1/requests/{id}/transitions': { body: () => ({ to: 'contacted' }), ok: (c) => (c.role === 'guide' ? 404 : 409) },
  'GET /v1/requests/{id}/history': { ok: (c) => (c.role === 'guide' ? 404 : 200) },
  'GET /v1/requests/{id}/guide-suggestions': { ok: 200 },
  // a guide sees suggestions only for requests assigned to them
  'GET /v1/requests/{id}/activity-suggestions': { ok: (c) => (c.role === 'guide' ? 404 : 200) },
  'POST /v1/requests/{id}/consents': { body: () => ({ consents: [{ purpose: 'statistics', given: true, text_version: 'matrix' }] }), ok: (c) => (c.role === 'portal' ? 204 : 200) },
  'GET /v1/requests/{id}/export': { ok: 200 },
  'GET /v1/webhooks': { ok: 200 },
  'POST /v1/webhooks': { body: () => ({ url: HOOK_URL }), ok: 201 },
  'DELETE /v1/webhooks/{id}': { ok: 204 },
  'GET /v1/webhooks/{id}/events': { ok: 200 },
  'POST /v1/webhook-events/{id}/replay': { ok: 202 },
  'POST /v1/requests/{id}/anonymise': { ok: 200 },
  'GET /v1/requests/{id}/conversations': { ok: (c) => (c.role === 'guide' ? 404 : 200) },
  'POST /v1/requests/{id}/conversations': { body: () => ({ held_on: '2026-11-01', duration_minutes: 30, next_step: 'none' }), ok: (c) => (c.role === 'guide' ? 404 : 201) },
  'GET /v1/requests/{id}/status': { ok: 200 },
  'GET /v1/centres': { ok: 200 },
  'POST /v1/centres': { body: () => ({ slug: uniq('m'), name: 'Matrix centre', municipality: 'Testkommune' }), ok: 201 },
  'GET /v1/centres/{id}': { ok: 200 },
  'PATCH /v1/centres/{id}': { body: () => ({ phone: '+45 70 10 20 30' }), ok: 200 },
  'GET /v1/events': { ok: 200 },
  'POST /v1/events': { body: () => ({ kind: 'activity', title: 'Matrix event', starts_at: soon(7), ends_at: soon(7, 2) }), ok: 201 },
  'POST /v1/event-series': { body: () => ({ kind: 'info_meeting', title: 'Matrix series', starts_at: soon(7), ends_at: soon(7, 2), frequency: 'weekly', count: 2 }), ok: 201 },
  'GET /v1/event-series/{id}': { ok: 200 },
  'PATCH /v1/event-series/{id}': { body: () => ({ title: 'Matrix series renamed' }), ok: 200 },
  // the centre is required: without it the route is reached and answers 422
  'GET /v1/public/events': { ok: 422 },
  'GET /v1/events/{id}': { ok: 200 },
  'PATCH /v1/events/{id}': { body: () => ({ title: 'Matrix renamed' }), ok: 200 },
  'GET /v1/events/{id}/signups': { ok: 200 },
  'POST /v1/events/{id}/signups': { body: (c) => (c.role === 'coordinator' ? { volunteer_id: fixtures.volunteerA.id } : {}), ok: 201 },
  // the sign-up is A's guide's: an association contact does not see it
  'DELETE /v1/events/{id}/signups/{signup_id}': { ok: (c) => (c.role === 'association' ? 404 : 204) },
  'GET /v1/categories': { ok: 200 },
  'POST /v1/categories': { body: () => ({ kind: 'activity', slug: uniq('matrix'), name_da: 'Matrix', name_en: 'Matrix' }), ok: 201 },
  'GET /v1/categories/{id}': { ok: 200 },
  'PATCH /v1/categories/{id}': { body: () => ({ name_en: 'Matrix renamed' }), ok: 200 },
  'GET /v1/associations': { ok: 200 },
  'POST /v1/associations': { body: (c) => ({ name: uniq('Matrix forening'), ...(c.role === 'admin' ? { centre_id: w.A.id } : {}) }), ok: 201 },
  'GET /v1/associations/{id}': { ok: 200 },
  'PATCH /v1/associations/{id}': { body: () => ({ description: 'Matrix' }), ok: 200 },
  'POST /v1/me/calendar-token': { ok: 201 },
  'DELETE /v1/me/calendar-token': { ok: 204 },
  'GET /v1/guides/calendar/{token}': { ok: 200 },
  'GET /v1/me/volunteer': { ok: 200 },
  'PATCH /v1/me/volunteer': { body: () => ({ capacity: 3 }), ok: 200 },
  'GET /v1/volunteers': { ok: 200 },
  'POST /v1/volunteers': { body: () => ({ name: 'Matrix Frivillig' }), ok: 201 },
  'GET /v1/volunteers/{id}': { ok: 200 },
  'PATCH /v1/volunteers/{id}': { body: () => ({ phone: '+45 70 10 20 31' }), ok: 200 },
  'GET /v1/volunteers/{id}/history': { ok: 200 },
  'POST /v1/volunteers/{id}/trainings': { body: () => ({ module: 'intro', completed_on: '2025-03-01' }), ok: 201 },
  'DELETE /v1/volunteers/{id}/trainings/{training_id}': { ok: 204 },
  'POST /v1/volunteers/{id}/record-checks': { body: () => ({ kind: 'criminal_record', checked_on: '2025-03-01', outcome: 'clear', valid_until: '2028-03-01' }), ok: 201 },
  'DELETE /v1/volunteers/{id}/record-checks/{check_id}': { ok: 204 },
  'GET /v1/courses': { ok: 200 },
  'GET /v1/courses/{id}': { ok: 200 },
  'PATCH /v1/courses/{id}': { body: () => ({ planned_visits: 5 }), ok: 200 },
  // a step no state reaches, an ended course's follow-up, a request not in
  // conversation_held, a referral not yet accepted: reached, nothing changes
  'POST /v1/courses/{id}/transitions': { body: () => ({ to: 'planned' }), ok: 409 },
  'POST /v1/courses/{id}/follow-up': { body: () => ({ result: 'still_taking_part', on: day(-1) }), ok: 409 },
  'POST /v1/courses/{id}/visits': { body: () => ({ visited_on: day(-1), citizen_came: true, guide_went: true, minutes: 30 }), ok: 201 },
  'POST /v1/requests/{id}/courses': { body: () => ({ planned_end: day(60) }), ok: 409 },
  'POST /v1/requests/{id}/referrals': { body: () => ({ association_id: fixtures.requestA.id }), ok: 409 },
  'GET /v1/referrals': { ok: 200 },
  // the matrix's association account is the contact of no association
  'GET /v1/referrals/{id}': { ok: (c) => (c.role === 'association' ? 404 : 200) },
  'POST /v1/referrals/{id}/transitions': { body: () => ({ to: 'completed' }), ok: (c) => (c.role === 'association' ? 404 : 409) },
  // the fresh request is assigned to no guide
  'GET /v1/requests/{id}/measurements': { ok: (c) => (c.role === 'guide' ? 404 : 200) },
  'POST /v1/requests/{id}/measurements': {
    body: () => ({ instrument: 'who5', instrument_version: 'da-1998', timepoint: 'baseline', taken_on: day(-1), mode: 'alone', answers: [3, 3, 3, 3, 3] }),
    ok: (c) => (c.role === 'guide' ? 404 : 201),
  },
};
// A literal route missing from REQUESTS is still in the matrix: it is sent
// an empty JSON object if it takes a body, and an allowed caller must get
// neither 401 nor 403 (nor a server error).
const defaultRequest = (r) => ({ body: ['POST', 'PUT', 'PATCH'].includes(r.method) ? () => ({}) : undefined, ok: null });

// --- callers -------------------------------------------------------------------
const unknown = (prefix) => `${prefix}${randomBytes(32).toString('base64url')}`;
assert.equal(unknown('kps_').length, 4 + 43);
const BAD = [
  { name: 'no credential', header: null },
  { name: 'a malformed bearer token', header: 'Bearer kps_not-a-real-token' },
  { name: 'Basic credentials', header: `Basic ${Buffer.from('admin:kompas').toString('base64')}` },
  { name: 'an unknown well-formed session token', header: `Bearer ${unknown('kps_')}` },
  { name: 'an unknown well-formed integration key', header: `Bearer ${unknown('kpk_')}` },
];
// account: for a fresh login; centre: the caller is bound to centre A
const roleCallers = () => [
  { name: 'admin (session)', role: 'admin', token: w.tokens.national.admin, account: w.accounts.national.admin },
  { name: 'coordinator of A (session)', role: 'coordinator', centre: 'A', token: w.tokens.A.coordinator, account: w.accounts.A.coordinator },
  { name: 'guide of A (session)', role: 'guide', centre: 'A', token: w.tokens.A.guide, account: w.accounts.A.guide },
  { name: 'association of A (session)', role: 'association', centre: 'A', token: w.tokens.A.association, account: w.accounts.A.association },
  { name: 'analyst (session)', role: 'analyst', token: w.tokens.national.analyst, account: w.accounts.national.analyst },
  { name: 'portal key of A', role: 'portal', centre: 'A', token: w.tokens.A.portal, key: true },
  { name: 'analyst key', role: 'analyst', token: w.tokens.national.analystKey, key: true },
];

async function send(r, spec, caller, id, header) {
  const headers = {};
  if (header) headers.Authorization = header;
  const body = spec.body ? spec.body(caller) : undefined;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return k.fetch(isParameterised(r.pattern) ? fill(r.pattern, id) : r.pattern, {
    method: r.method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectOk(res, ok, what) {
  const text = await res.text();
  if (ok === null) {
    assert.ok(![401, 403].includes(res.status) && res.status < 500, `${what}: allowed, got ${res.status} ${text}`);
  } else {
    assert.equal(res.status, ok, `${what}: expected ${ok}, got ${res.status} ${text}`);
  }
}

async function expect401(res, what) {
  assert.equal(res.status, 401, `${what}: expected 401, got ${res.status}`);
  assert.match(res.headers.get('www-authenticate') || '', /^Bearer/, `${what}: WWW-Authenticate`);
  await expectProblem(assert, res, 401, 'unauthenticated');
}

// --- the tests -------------------------------------------------------------------

test('kompasd routes prints a usable table', () => {
  assert.ok(ROUTES.length >= 20, `${ROUTES.length} routes`);
  for (const r of ROUTES) {
    assert.match(r.method, /^(GET|POST|PUT|PATCH|DELETE)$/, r.label);
    assert.match(r.pattern, /^\//, r.label);
    for (const role of r.roles) assert.ok(ROLES.includes(role), `${r.label}: role ${role} has no caller in this matrix`);
  }
  assert.equal(new Set(ROUTES.map((r) => r.label)).size, ROUTES.length, 'no route twice');
  // spot checks against api/routes.c
  const byLabel = Object.fromEntries(ROUTES.map((r) => [r.label, r]));
  assert.equal(byLabel['POST /v1/sessions'].public, true);
  assert.deepEqual(byLabel['POST /v1/centres'].roles, ['admin']);
  assert.deepEqual(byLabel['GET /v1/me'].roles, ROLES);
});

test('every path parameter names what ROWS can make rows of', () => {
  assert.ok(ROUTES.some((r) => r.params.id === 'request'), 'kompasd routes prints the path parameters');
  const missing = ROUTES.filter((r) => isParameterised(r.pattern) && paramsOf(r) === undefined).map((r) => `${r.pattern} (${JSON.stringify(r.params)})`);
  assert.deepEqual(missing, [], `path parameters naming what ROWS (roles.test.mjs) does not know: ${missing.join(', ')}`);
  const undeclared = ROUTES.filter((r) => isParameterised(r.pattern) && paramsOf(r) === null).map((r) => r.pattern);
  assert.deepEqual(undeclared, [], 'parameterised routes without declared parameters');
});

test('docs/roles.md is the output of kompasd routes --markdown', async () => {
  const md = await runKompasd(['routes', '--markdown']);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^# Routes and roles\n/);
  const file = path.join(ROOT, 'docs/roles.md');
  assert.ok(existsSync(file), 'docs/roles.md is missing: generate it with `kompasd routes --markdown > docs/roles.md`');
  assert.equal(readFileSync(file, 'utf8'), md.stdout, 'docs/roles.md differs from `kompasd routes --markdown`: regenerate it');
});

for (const r of ROUTES) {
  test(`${r.label} (${r.public ? 'public' : r.roles.join(', ')})`, async (t) => {
    const spec = REQUESTS[r.label] || defaultRequest(r);
    const param = isParameterised(r.pattern) ? paramsOf(r) : null;
    if (isParameterised(r.pattern)) assert.ok(param, `${r.pattern}: its parameters name what ROWS (roles.test.mjs) does not know`);
    // Callers that must be refused share one set of ids; allowed callers
    // get fresh ones (throwaway rows for the destructive routes).
    const refused = param ? (await param.ids()).own : null;
    const ownId = async (allowed) => (param ? (allowed ? (await param.ids()).own : refused) : null);

    for (const bad of BAD) {
      await t.test(bad.name, async () => {
        const res = await send(r, spec, {}, await ownId(r.public), bad.header);
        if (r.public) await expectOk(res, spec.ok, `${r.label} with ${bad.name}`);
        else await expect401(res, `${r.label} with ${bad.name}`);
      });
    }

    for (const c of roleCallers()) {
      await t.test(c.name, async () => {
        const what = `${r.label} as ${c.name}`;
        const allowed = r.public || (r.roles.includes(c.role) && !(r.sessionOnly && c.key));
        const token = allowed && spec.fresh && c.account ? await login(k, c.account.email) : c.token;
        const res = await send(r, spec, c, await ownId(allowed), `Bearer ${token}`);
        if (!allowed) {
          assert.equal(res.status, 403, `${what}: the route does not allow ${c.role}: expected 403, got ${res.status}`);
          await expectProblem(assert, res, 403, 'forbidden');
          return;
        }
        const ok = typeof spec.ok === 'function' ? spec.ok(c) : spec.ok;
        // The role is in the route's mask, as `kompasd routes` and
        // docs/roles.md say, so the caller must not be refused.
        await expectOk(res, ok, `${what} (role ${c.role} is in the route's mask)`);
        if (token !== c.token) {
          // the fresh session ended; the shared one is untouched
          await expect401(await call(k, 'GET', '/v1/me', { token }), `${what}: the ended session`);
          assert.equal((await call(k, 'GET', '/v1/me', { token: c.token })).status, 200, `${what}: the shared session still works`);
        }
      });
    }
  });
}

// Own centre against other centre, for the routes whose path names a
// resource: centre-bound callers reach their centre's resource and get 404
// for another centre's (row-level security), and the refused request
// changes nothing; national callers (admin) reach both.
for (const r of ROUTES.filter((x) => isParameterised(x.pattern))) {
  test(`${r.label}: own centre against another centre`, async (t) => {
    const param = paramsOf(r);
    assert.ok(param, `${r.pattern}: its parameters name what ROWS (roles.test.mjs) does not know`);
    const spec = REQUESTS[r.label] || defaultRequest(r);
    const callers = roleCallers().filter((c) => r.public || (r.roles.includes(c.role) && !(r.sessionOnly && c.key)));
    assert.ok(callers.length > 0, `${r.label}: some caller may use it`);
    const snapshot = (id) => psql(`SELECT row_to_json(t)::text FROM ${param.table} t WHERE id = '${typeof id === 'object' ? id[param.row] : id}'`);

    for (const c of callers) {
      await t.test(c.name, async () => {
        const what = `${r.label} as ${c.name}`;
        const ok = typeof spec.ok === 'function' ? spec.ok(c) : spec.ok;
        const { own, other } = await param.ids();
        assert.notEqual(snapshot(own), '', `${what}: own resource ${own} exists`);
        const before = snapshot(other);
        assert.notEqual(before, '', `${what}: other centre's resource ${other} exists`);
        const resOther = await send(r, spec, c, other, `Bearer ${c.token}`);
        if (param.tenant && c.centre) {
          await expectProblem(assert, resOther, 404, 'not_found');
          assert.equal(snapshot(other), before, `${what}: the other centre's row is unchanged`);
        } else {
          await expectOk(resOther, ok, `${what} (other centre, caller not centre-bound or resource public)`);
        }
        await expectOk(await send(r, spec, c, own, `Bearer ${c.token}`), ok, `${what} (own centre)`);
      });
    }
  });
}

// What a malformed path parameter is answered, by what the parameter names
// (the route table's "id=request"): the pipeline checks a declared
// parameter's format before the handler runs (api/pipeline/path_params.c), with the
// text each handler gave before (written out here, not read from the C
// table). Every parameter of every route is sent malformed (the others
// valid) by an allowed caller.
const MALFORMED = {
  account: 'No account has this id.',
  api_key: 'No key has this id.',
  association: 'No association has this id.',
  calendar_token: 'No calendar has this address.',
  category: 'No category has this id.',
  centre: 'No centre has this id.',
  course: 'No course has this id.',
  event: 'No event has this id.',
  event_series: 'No event series has this id.',
  event_signup: 'No sign-up of this event has this id.',
  file: 'There is no such file.',
  referral: 'No referral has this id.',
  request: 'No request has this id.',
  volunteer: 'No volunteer has this id.',
  volunteer_record_check: 'The volunteer has no record check with this id.',
  volunteer_training: 'The volunteer has no training with this id.',
  webhook_endpoint: 'No webhook has this id.',
  webhook_event: 'No webhook event has this id.',
};
// a route that names one thing by two ids answers its text for either
const MALFORMED_FOR_ROUTE = {
  'DELETE /v1/events/{id}/signups/{signup_id}': MALFORMED.event_signup,
};
// not a UUID; for a UUID also: without its dashes (PostgreSQL would read
// it) and one character too many
const isUuid = (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v);
const malformed = (good) => ['not-a-uuid', ...(isUuid(good) ? [good.replace(/-/g, ''), `${good}0`] : [])];

test('a malformed path parameter is 404 with its text for an allowed caller, never 500', async () => {
  const wrong = [];
  for (const r of ROUTES.filter((x) => isParameterised(x.pattern))) {
    const c = roleCallers().find((x) => r.public || (r.roles.includes(x.role) && !(r.sessionOnly && x.key)));
    const spec = REQUESTS[r.label] || defaultRequest(r);
    const { own } = await paramsOf(r).ids();
    for (const name of Object.keys(r.params)) {
      const good = typeof own === 'object' ? own[name] : own;
      const want = `404 not_found ${MALFORMED_FOR_ROUTE[r.label] || MALFORMED[r.params[name]]}`;
      for (const bad of malformed(good)) {
        const ids = typeof own === 'object' ? { ...own, [name]: bad } : bad;
        const res = await send(r, spec, c, ids, `Bearer ${c.token}`);
        const text = await res.text();
        const body = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {};
        const got = `${res.status} ${body.code} ${body.detail}`;
        if (got !== want) wrong.push(`${r.label} with ${name}=${bad}: ${got}, not ${want}`);
      }
    }
  }
  assert.deepEqual(wrong, [], wrong.join('\n'));
});

// "A caller without a valid bearer token gets 401 on every route that is not
// public" (docs/roles.md): also when the request is otherwise malformed, so
// an anonymous caller learns nothing about a route's parameters or body.
test('401 comes before query and body validation on every non-public route', async () => {
  const wrong = [];
  for (const r of ROUTES.filter((x) => !x.public)) {
    const p = isParameterised(r.pattern) ? fill(r.pattern, (await paramsOf(r).ids()).own) : r.pattern;
    const takesBody = ['POST', 'PUT', 'PATCH'].includes(r.method);
    for (const [what, init] of [
      ['an unknown query parameter', { path: `${p}?colour=red` }],
      ...(takesBody ? [
        ['a body that is not JSON', { path: p, headers: { 'Content-Type': 'text/plain' }, body: 'hello' }],
        ['malformed JSON', { path: p, headers: { 'Content-Type': 'application/json' }, body: '{"a":' }],
        ['an invalid JSON body', { path: p, headers: { 'Content-Type': 'application/json' }, body: '{"colour":"red"}' }],
      ] : []),
    ]) {
      const res = await k.fetch(init.path, { method: r.method, headers: init.headers, body: init.body });
      const text = await res.text();
      if (res.status !== 401) wrong.push(`${r.label} with ${what}: ${res.status} ${JSON.parse(text).code}`);
    }
  }
  assert.deepEqual(wrong, [], `anonymous requests validated before authentication:\n${wrong.join('\n')}`);
});
