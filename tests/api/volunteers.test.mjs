// Volunteers (Kompasguides): registration, the merge-patch changes with
// If-Match, the status machine and its history, trainings and record
// checks, the list with its filters and keyset pages, tenant isolation, and
// the guide's own profile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import {
  makeWorld, uniq, call, createAccount, login, psqlTry, createVolunteer, createTraining, createRecordCheck,
} from './fixtures.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

let k;
let w; // makeWorld: centres A and B, an account and token of every role
const cat = {}; // categories made for these tests
let assocA;
let assocB;

// A category made as the owner; centreId null for the shared vocabulary.
function createCategory(kind, centreId = null) {
  const id = randomUUID();
  const slug = uniq(kind.replace('_', '-'));
  psql(`INSERT INTO category (id, centre_id, kind, slug, name_da, name_en)
        VALUES ('${id}', ${centreId ? `'${centreId}'` : 'NULL'}, '${kind}', '${slug}', 'Dansk ${slug}', 'English ${slug}')`);
  return { id, slug };
}

function createAssociation(centreId) {
  const id = randomUUID();
  psql(`INSERT INTO association (id, centre_id, name) VALUES ('${id}', '${centreId}', 'Forening ${uniq('f')}')`);
  return id;
}

before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  cat.walks = createCategory('interest');
  cat.chess = createCategory('activity');
  cat.ownA = createCategory('interest', w.A.id);
  cat.ownB = createCategory('interest', w.B.id);
  cat.need = createCategory('need');
  assocA = createAssociation(w.A.id);
  assocB = createAssociation(w.B.id);
});
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

const coordA = () => w.tokens.A.coordinator;
const coordB = () => w.tokens.B.coordinator;
// A day relative to today, YYYY-MM-DD (margins in the tests absorb the
// difference between UTC and Danish time).
const day = (n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

async function createOk(body, token = coordA()) {
  const res = await call(k, 'POST', '/v1/volunteers', { token, body });
  const text = await res.text();
  assert.equal(res.status, 201, text);
  return JSON.parse(text);
}

async function getOk(id, token = coordA()) {
  const res = await call(k, 'GET', `/v1/volunteers/${id}`, { token });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return { body: JSON.parse(text), etag: res.headers.get('etag') };
}

function patch(id, body, { token = coordA(), ifMatch } = {}) {
  return call(k, 'PATCH', `/v1/volunteers/${id}`, { token, body, headers: ifMatch ? { 'If-Match': ifMatch } : {} });
}

async function patchOk(id, body, opts) {
  const res = await patch(id, body, opts);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return { body: JSON.parse(text), etag: res.headers.get('etag') };
}

async function history(id, token = coordA()) {
  const res = await call(k, 'GET', `/v1/volunteers/${id}/history`, { token });
  assert.equal(res.status, 200);
  return (await res.json()).items;
}

// The fields of a 422/409 problem as "field:code" strings, sorted.
const fieldErrors = (body) => body.errors.map((e) => `${e.field}:${e.code}`).sort();

// --- registering -------------------------------------------------------------------

test('a coordinator registers a volunteer with everything; the registration starts the history', async () => {
  const guide = createAccount('guide', w.A.id);
  const res = await call(k, 'POST', '/v1/volunteers', {
    token: coordA(),
    body: {
      name: 'Karen Kompasguide',
      email: 'karen@example.invalid',
      phone: '+45 20 30 40 50',
      languages: ['da', 'en', 'ar'],
      postal_areas: ['5000', '5200'],
      interests: [cat.walks.id, cat.chess.id, cat.ownA.id],
      availability: [{ weekday: 3, starts: '13:00', ends: '16:00' }, { weekday: 1, starts: '09:30', ends: '12:00' }, { weekday: 1, starts: '12:00', ends: '14:00' }],
      capacity: 3,
      recruited_via: 'association',
      recruited_association_id: assocA,
      notes: 'Har tidligere været besøgsven.',
      account_id: guide.id,
    },
  });
  assert.equal(res.status, 201, await res.clone().text());
  assert.equal(res.headers.get('etag'), '"1"');
  const v = await res.json();
  assert.match(v.id, UUID);
  assert.equal(res.headers.get('location'), `/v1/volunteers/${v.id}`);
  assert.deepEqual(Object.keys(v).sort(), ['account_id', 'active_citizens', 'availability', 'capacity', 'centre_id', 'created_at',
    'email', 'id', 'interests', 'languages', 'name', 'notes', 'phone', 'postal_areas', 'record_checks',
    'recruited_association_id', 'recruited_via', 'status', 'trainings', 'updated_at']);
  assert.equal(v.centre_id, w.A.id);
  assert.equal(v.account_id, guide.id);
  assert.equal(v.name, 'Karen Kompasguide');
  assert.equal(v.email, 'karen@example.invalid');
  assert.equal(v.phone, '+4520304050', 'the phone number is stored normalised');
  assert.equal(v.status, 'applicant');
  assert.deepEqual(v.languages, ['da', 'en', 'ar']);
  assert.deepEqual(v.postal_areas, ['5000', '5200']);
  assert.equal(v.capacity, 3);
  assert.equal(v.active_citizens, 0);
  assert.equal(v.recruited_via, 'association');
  assert.equal(v.recruited_association_id, assocA);
  assert.equal(v.notes, 'Har tidligere været besøgsven.');
  assert.deepEqual(v.interests.map((i) => i.id).sort(), [cat.walks.id, cat.chess.id, cat.ownA.id].sort());
  const walks = v.interests.find((i) => i.id === cat.walks.id);
  assert.deepEqual(walks, { id: cat.walks.id, kind: 'interest', slug: cat.walks.slug, name_da: `Dansk ${cat.walks.slug}`, name_en: `English ${cat.walks.slug}` });
  assert.deepEqual(v.availability, [
    { weekday: 1, starts: '09:30', ends: '12:00' }, { weekday: 1, starts: '12:00', ends: '14:00' }, { weekday: 3, starts: '13:00', ends: '16:00' },
  ], 'slots ordered by day and time; touching slots do not overlap');
  assert.deepEqual(v.trainings, []);
  assert.deepEqual(v.record_checks, []);
  assert.match(v.created_at, RFC3339_UTC);
  assert.equal(v.updated_at, v.created_at);
  const h = await history(v.id);
  assert.equal(h.length, 1);
  assert.equal(h[0].from_status, null);
  assert.equal(h[0].to_status, 'applicant');
  assert.equal(h[0].reason, null);
  assert.equal(h[0].changed_by, w.accounts.A.coordinator.id);
  assert.match(h[0].changed_at, RFC3339_UTC);
  // the same as GET
  const got = await getOk(v.id);
  assert.deepEqual(got.body, v);
  assert.equal(got.etag, '"1"');
});

test('a volunteer needs only a name: defaults are applicant, capacity 2 and empty lists', async () => {
  const v = await createOk({ name: 'Minimal Frivillig' });
  assert.equal(v.status, 'applicant');
  assert.equal(v.capacity, 2);
  for (const f of ['languages', 'postal_areas', 'interests', 'availability', 'trainings', 'record_checks']) assert.deepEqual(v[f], [], f);
  for (const f of ['email', 'phone', 'account_id', 'recruited_via', 'recruited_association_id', 'notes']) assert.equal(v[f], null, f);
  // an existing guide may be registered as in training or active
  const active = await createOk({ name: 'Aktiv Fra Start', status: 'active' });
  assert.equal(active.status, 'active');
  assert.deepEqual((await history(active.id)).map((x) => [x.from_status, x.to_status]), [[null, 'active']]);
});

test('the body is checked field by field: every failing field at once', async () => {
  const res = await call(k, 'POST', '/v1/volunteers', {
    token: coordA(),
    body: {
      email: 'not an e-mail',
      phone: '123',
      languages: ['da', 'da', 'dansk'],
      postal_areas: ['123', '0500'],
      interests: ['not-a-uuid'],
      availability: [{ weekday: 8, starts: '9:00', ends: '10:00' }, { weekday: 1 }],
      capacity: 11,
      recruited_via: 'radio',
      status: 'paused',
      colour: 'red',
    },
  });
  const body = await expectProblem(assert, res, 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), [
    'availability[0].starts:too_short', 'availability[0].weekday:too_large',
    'availability[1].ends:required', 'availability[1].starts:required',
    'capacity:too_large', 'colour:unknown_field', 'email:invalid_format', 'interests[0]:invalid_format',
    'languages[1]:duplicate_item', 'languages[2]:too_long', 'name:required', 'phone:too_short',
    'postal_areas[0]:invalid_format', 'postal_areas[1]:invalid_format', 'recruited_via:not_in_enum', 'status:not_in_enum',
  ]);
});

test('the rules beyond the field types: times, overlaps, languages, categories, recruitment, accounts', async () => {
  const coordinator = w.accounts.A.coordinator;
  const guideB = createAccount('guide', w.B.id);
  const res = await call(k, 'POST', '/v1/volunteers', {
    token: coordA(),
    body: {
      name: 'Regel Brud',
      phone: 'ring ikke til mig',
      languages: ['da', 'xx'],
      interests: [cat.walks.id, cat.need.id, cat.ownB.id, randomUUID()],
      availability: [
        { weekday: 1, starts: '09:00', ends: '12:00' },
        { weekday: 1, starts: '11:00', ends: '13:00' },
        { weekday: 2, starts: '14:00', ends: '14:00' },
        { weekday: 3, starts: '24:00', ends: '10:60' },
        { weekday: 2, starts: '08:00', ends: '09:00' },
      ],
      recruited_via: 'local_paper',
      recruited_association_id: assocB,
      account_id: coordinator.id,
    },
  });
  const body = await expectProblem(assert, res, 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), [
    'account_id:not_in_enum',
    'availability[1]:duplicate_item', 'availability[2].ends:too_small',
    'availability[3].ends:invalid_format', 'availability[3].starts:invalid_format',
    'interests[1]:not_in_enum', 'interests[2]:not_in_enum', 'interests[3]:not_in_enum',
    'languages[1]:not_in_enum', 'phone:invalid_format',
    'recruited_association_id:not_in_enum', 'recruited_association_id:not_in_enum',
  ]);
  const messages = Object.fromEntries(body.errors.map((e) => [e.field, e.message]));
  assert.equal(messages['availability[1]'], 'overlaps item 0 on the same day');
  assert.equal(messages['account_id'], 'must be a guide account');
  assert.match(messages['languages[1]'], /ISO 639-1/);
  // an account of another centre is not one of this centre's
  const other = await expectProblem(assert, await call(k, 'POST', '/v1/volunteers', { token: coordA(), body: { name: 'X', account_id: guideB.id } }), 422, 'validation_failed');
  assert.deepEqual(other.errors.map((e) => [e.field, e.message]), [['account_id', 'no account of the centre has this id']]);
  // recruited through an association of the centre, with or without naming it
  const v = await createOk({ name: 'Fra Foreningen', recruited_via: 'association', recruited_association_id: assocA });
  assert.equal(v.recruited_association_id, assocA);
  assert.equal((await createOk({ name: 'Via Forening', recruited_via: 'association' })).recruited_association_id, null);
});

test('a guide account is linked to one volunteer only (409), and a link can be moved', async () => {
  const guide = createAccount('guide', w.A.id);
  const first = await createOk({ name: 'Første', account_id: guide.id });
  const res = await call(k, 'POST', '/v1/volunteers', { token: coordA(), body: { name: 'Anden', account_id: guide.id } });
  const body = await expectProblem(assert, res, 409, 'conflict');
  assert.deepEqual(fieldErrors(body), ['account_id:already_taken']);
  const second = await createOk({ name: 'Anden' });
  await expectProblem(assert, await patch(second.id, { account_id: guide.id }), 409, 'conflict');
  // re-sending the volunteer's own account is no conflict; unlink, then link elsewhere
  assert.equal((await patchOk(first.id, { account_id: guide.id })).body.account_id, guide.id);
  assert.equal((await patchOk(first.id, { account_id: null })).body.account_id, null);
  assert.equal((await patchOk(second.id, { account_id: guide.id })).body.account_id, guide.id);
});

// --- changing ---------------------------------------------------------------------------

test('PATCH is a merge patch: absent members stay, null clears, lists are replaced', async () => {
  const v = await createOk({
    name: 'Merge Patch', email: 'mp@example.invalid', phone: '20304050', languages: ['da'], postal_areas: ['8000'],
    interests: [cat.walks.id], availability: [{ weekday: 5, starts: '10:00', ends: '11:00' }], notes: 'Note',
    recruited_via: 'association', recruited_association_id: assocA,
  });
  const { body, etag } = await patchOk(v.id, {
    email: null, languages: ['en', 'de'], interests: [cat.chess.id], availability: [], capacity: 5, notes: null,
  }, { ifMatch: '"1"' });
  assert.equal(etag, '"2"');
  assert.equal(body.email, null);
  assert.equal(body.phone, '+4520304050');
  assert.deepEqual(body.languages, ['en', 'de']);
  assert.deepEqual(body.postal_areas, ['8000']);
  assert.deepEqual(body.interests.map((i) => i.id), [cat.chess.id]);
  assert.deepEqual(body.availability, []);
  assert.equal(body.capacity, 5);
  assert.equal(body.notes, null);
  assert.equal(body.name, 'Merge Patch');
  assert.ok(body.updated_at >= v.updated_at);
  // an empty patch makes a new version
  assert.equal((await patchOk(v.id, {})).etag, '"3"');
  // members that may not be null refuse it
  const bad = await expectProblem(assert, await patch(v.id, { name: null, languages: null, capacity: null }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(bad), ['capacity:wrong_type', 'languages:wrong_type', 'name:wrong_type']);
  // the recruiting association goes only with recruited_via association
  const assoc = await expectProblem(assert, await patch(v.id, { recruited_via: 'event' }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(assoc), ['recruited_association_id:not_in_enum']);
  const moved = await patchOk(v.id, { recruited_via: 'event', recruited_association_id: null });
  assert.equal(moved.body.recruited_via, 'event');
  assert.equal(moved.body.recruited_association_id, null);
  // application/merge-patch+json is accepted
  const res = await k.fetch(`/v1/volunteers/${v.id}`, {
    method: 'PATCH', headers: { Authorization: `Bearer ${coordA()}`, 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ capacity: 1 }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).capacity, 1);
});

test('If-Match: a stale or malformed version is 412 and changes nothing', async () => {
  const v = await createOk({ name: 'Versioneret' });
  await patchOk(v.id, { capacity: 4 }, { ifMatch: '"1"' });
  for (const ifMatch of ['"1"', '"7"', 'nonsense']) {
    const body = await expectProblem(assert, await patch(v.id, { capacity: 6, status: 'in_training' }, { ifMatch }), 412, 'precondition_failed');
    assert.match(body.detail, /changed since you read it/);
  }
  const now = await getOk(v.id);
  assert.equal(now.etag, '"2"');
  assert.equal(now.body.capacity, 4);
  assert.equal(now.body.status, 'applicant');
  assert.equal((await history(v.id)).length, 1, 'no status change was recorded');
  assert.equal((await patchOk(v.id, { capacity: 6 }, { ifMatch: 'W/"2"' })).etag, '"3"');
  assert.equal((await patchOk(v.id, { capacity: 7 }, { ifMatch: '*' })).etag, '"4"');
});

// --- the status machine -------------------------------------------------------------------

test('status changes follow the transitions, each written to the history with its reason', async () => {
  const v = await createOk({ name: 'Hele Vejen' });
  const steps = [
    ['in_training', 'Startet på introforløbet'],
    ['active', 'Alle moduler gennemført'],
    ['paused', 'Orlov i tre måneder'],
    ['active', null],
    ['retired', 'Flytter fra byen'],
  ];
  let version = 1;
  for (const [to, reason] of steps) {
    const { body, etag } = await patchOk(v.id, reason ? { status: to, status_reason: reason } : { status: to }, { ifMatch: `"${version}"` });
    version += 1;
    assert.equal(body.status, to);
    assert.equal(etag, `"${version}"`);
  }
  const h = await history(v.id);
  assert.deepEqual(h.map((x) => [x.from_status, x.to_status, x.reason]), [
    [null, 'applicant', null],
    ['applicant', 'in_training', 'Startet på introforløbet'],
    ['in_training', 'active', 'Alle moduler gennemført'],
    ['active', 'paused', 'Orlov i tre måneder'],
    ['paused', 'active', null],
    ['active', 'retired', 'Flytter fra byen'],
  ]);
  for (const x of h) assert.equal(x.changed_by, w.accounts.A.coordinator.id);
  for (let i = 1; i < h.length; i++) assert.ok(h[i].changed_at >= h[i - 1].changed_at, 'oldest first');
  // the history is paged like the other lists
  const page = await call(k, 'GET', `/v1/volunteers/${v.id}/history?limit=4`, { token: coordA() });
  const p1 = await page.json();
  assert.equal(p1.items.length, 4);
  assert.match(p1.next, new RegExp(`^/v1/volunteers/${v.id}/history\\?limit=4&cursor=\\d+$`));
  const p2 = await (await call(k, 'GET', p1.next, { token: coordA() })).json();
  assert.deepEqual([...p1.items, ...p2.items], h);
  assert.equal(p2.next, null);
});

test('an illegal status change is 409 and lists the allowed ones', async () => {
  const v = await createOk({ name: 'Ulovlig Overgang' });
  let res = await patch(v.id, { status: 'active', capacity: 9 });
  let body = await expectProblem(assert, res, 409, 'conflict');
  assert.deepEqual(body.allowed, ['in_training', 'rejected']);
  assert.equal(body.current_status, 'applicant');
  assert.equal(body.detail, 'A volunteer cannot go from applicant to active.');
  assert.deepEqual(body.errors, [{ field: 'status', code: 'not_in_enum', message: 'in_training, rejected' }]);
  const now = await getOk(v.id);
  assert.equal(now.body.capacity, 2, 'nothing of the patch was applied');
  assert.equal(now.etag, '"1"');
  const table = {
    applicant: ['in_training', 'rejected'],
    in_training: ['active', 'retired', 'rejected'],
    active: ['paused', 'retired'],
    paused: ['active', 'retired'],
    retired: [],
    rejected: [],
  };
  for (const [from, allowed] of Object.entries(table)) {
    const x = createVolunteer(w.A.id, { status: from });
    for (const to of Object.keys(table)) {
      if (to === from) continue;
      res = await patch(x.id, { status: to });
      if (allowed.includes(to)) {
        assert.equal(res.status, 200, `${from} -> ${to}`);
        await res.arrayBuffer();
        psql(`UPDATE volunteer SET status = '${from}' WHERE id = '${x.id}'`);
      } else {
        body = await expectProblem(assert, res, 409, 'conflict');
        assert.deepEqual(body.allowed, allowed, `${from} -> ${to}`);
      }
    }
  }
  // a final status says so
  const retired = createVolunteer(w.A.id, { status: 'retired' });
  body = await expectProblem(assert, await patch(retired.id, { status: 'active' }), 409, 'conflict');
  assert.deepEqual(body.allowed, []);
  assert.equal(body.errors[0].message, 'this status is final: no change');
});

test('the same status is no change; a reason needs a change of status', async () => {
  const v = await createOk({ name: 'Samme Status' });
  await patchOk(v.id, { status: 'applicant' });
  assert.equal((await history(v.id)).length, 1);
  for (const b of [{ status_reason: 'Uden status' }, { status: 'applicant', status_reason: 'Samme' }]) {
    const body = await expectProblem(assert, await patch(v.id, b), 422, 'validation_failed');
    assert.deepEqual(fieldErrors(body), ['status_reason:not_in_enum']);
  }
});

// --- trainings and record checks ---------------------------------------------------------------

test('trainings are recorded and removed by coordinators; each changes the version', async () => {
  const v = await createOk({ name: 'Kursist' });
  let res = await call(k, 'POST', `/v1/volunteers/${v.id}/trainings`, {
    token: coordA(), body: { module: 'first_aid_mental_health', completed_on: day(-30), expires_on: day(700) },
  });
  assert.equal(res.status, 201);
  const t = await res.json();
  assert.deepEqual(t, { id: t.id, module: 'first_aid_mental_health', completed_on: day(-30), expires_on: day(700) });
  assert.equal(res.headers.get('location'), `/v1/volunteers/${v.id}/trainings/${t.id}`);
  res = await call(k, 'POST', `/v1/volunteers/${v.id}/trainings`, { token: coordA(), body: { module: 'intro', completed_on: day(-60) } });
  const intro = await res.json();
  assert.equal(intro.expires_on, null);
  let now = await getOk(v.id);
  assert.equal(now.etag, '"3"');
  assert.deepEqual(now.body.trainings, [intro, t], 'ordered by completion');
  // the rules
  let body = await expectProblem(assert, await call(k, 'POST', `/v1/volunteers/${v.id}/trainings`, {
    token: coordA(), body: { module: 'intro', completed_on: day(5), expires_on: day(3) },
  }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), ['completed_on:too_large', 'expires_on:too_small']);
  body = await expectProblem(assert, await call(k, 'POST', `/v1/volunteers/${v.id}/trainings`, {
    token: coordA(), body: { module: 'knitting', completed_on: '2026-02-30' },
  }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), ['completed_on:invalid_format', 'module:not_in_enum']);
  // removal
  res = await call(k, 'DELETE', `/v1/volunteers/${v.id}/trainings/${t.id}`, { token: coordA() });
  assert.equal(res.status, 204);
  now = await getOk(v.id);
  assert.deepEqual(now.body.trainings, [intro]);
  assert.equal(now.etag, '"4"');
  await expectProblem(assert, await call(k, 'DELETE', `/v1/volunteers/${v.id}/trainings/${t.id}`, { token: coordA() }), 404, 'not_found');
  // a training is removed only through its own volunteer
  const other = await createOk({ name: 'Anden Kursist' });
  await expectProblem(assert, await call(k, 'DELETE', `/v1/volunteers/${other.id}/trainings/${intro.id}`, { token: coordA() }), 404, 'not_found');
  await expectProblem(assert, await call(k, 'DELETE', `/v1/volunteers/${v.id}/trainings/not-a-uuid`, { token: coordA() }), 404, 'not_found');
  assert.equal((await getOk(v.id)).body.trainings.length, 1);
});

test('record checks hold the facts only: kind, date, outcome, valid until; never the document', async () => {
  const v = await createOk({ name: 'Attesteret' });
  let res = await call(k, 'POST', `/v1/volunteers/${v.id}/record-checks`, {
    token: coordA(), body: { kind: 'child_protection', checked_on: day(-10), outcome: 'clear', valid_until: day(720) },
  });
  assert.equal(res.status, 201);
  const c = await res.json();
  assert.deepEqual(c, { id: c.id, kind: 'child_protection', checked_on: day(-10), outcome: 'clear', valid_until: day(720) });
  assert.equal(res.headers.get('location'), `/v1/volunteers/${v.id}/record-checks/${c.id}`);
  assert.deepEqual((await getOk(v.id)).body.record_checks, [c]);
  let body = await expectProblem(assert, await call(k, 'POST', `/v1/volunteers/${v.id}/record-checks`, {
    token: coordA(), body: { kind: 'criminal_record', checked_on: day(-10), outcome: 'remarks', valid_until: day(-10), document: 'JVBERi0xLjQK' },
  }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), ['document:unknown_field']);
  body = await expectProblem(assert, await call(k, 'POST', `/v1/volunteers/${v.id}/record-checks`, {
    token: coordA(), body: { kind: 'criminal_record', checked_on: day(4), outcome: 'remarks', valid_until: day(-10) },
  }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), ['checked_on:too_large', 'valid_until:too_small']);
  body = await expectProblem(assert, await call(k, 'POST', `/v1/volunteers/${v.id}/record-checks`, {
    token: coordA(), body: { kind: 'passport', outcome: 'maybe' },
  }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), ['checked_on:required', 'kind:not_in_enum', 'outcome:not_in_enum', 'valid_until:required']);
  // no column could hold a document
  assert.equal(psql(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'volunteer_record_check'
                     AND data_type IN ('bytea', 'text') AND column_name NOT IN ('kind', 'outcome')`), '0');
  res = await call(k, 'DELETE', `/v1/volunteers/${v.id}/record-checks/${c.id}`, { token: coordA() });
  assert.equal(res.status, 204);
  assert.deepEqual((await getOk(v.id)).body.record_checks, []);
  await expectProblem(assert, await call(k, 'DELETE', `/v1/volunteers/${v.id}/record-checks/${c.id}`, { token: coordA() }), 404, 'not_found');
});

test('Idempotency-Key: a retried registration or training replays the first answer', async () => {
  const key = uniq('idem');
  const body = { name: uniq('Idempotent'), languages: ['da'] };
  const headers = { 'Idempotency-Key': key };
  const first = await call(k, 'POST', '/v1/volunteers', { token: coordA(), body, headers });
  assert.equal(first.status, 201);
  const a = await first.json();
  const again = await call(k, 'POST', '/v1/volunteers', { token: coordA(), body, headers });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.headers.get('location'), first.headers.get('location'));
  assert.equal(again.headers.get('etag'), first.headers.get('etag'));
  assert.deepEqual(await again.json(), a);
  assert.equal(psql(`SELECT count(*) FROM volunteer WHERE name = '${body.name}'`), '1');
  assert.equal(psql(`SELECT count(*) FROM volunteer_status_change WHERE volunteer_id = '${a.id}'`), '1');
  await expectProblem(assert, await call(k, 'POST', '/v1/volunteers', { token: coordA(), body: { ...body, capacity: 4 }, headers }), 422, 'idempotency_key_reused');
  const tkey = { 'Idempotency-Key': uniq('idem-training') };
  const tbody = { module: 'data_protection', completed_on: day(-1) };
  const t1 = await (await call(k, 'POST', `/v1/volunteers/${a.id}/trainings`, { token: coordA(), body: tbody, headers: tkey })).json();
  const t2 = await call(k, 'POST', `/v1/volunteers/${a.id}/trainings`, { token: coordA(), body: tbody, headers: tkey });
  assert.equal(t2.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(await t2.json(), t1);
  assert.equal(psql(`SELECT count(*) FROM volunteer_training WHERE volunteer_id = '${a.id}'`), '1');
});

// --- the list ---------------------------------------------------------------------------------

async function listAll(query, token = coordA()) {
  const res = await call(k, 'GET', `/v1/volunteers?${query}`, { token });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}
const names = (page) => page.items.map((v) => v.name);

test('the list is ordered by name and id and paged by keyset across pages', async () => {
  const tag = uniq('Side');
  const made = [];
  for (const suffix of ['Å Ærø', 'b', 'a', 'a', 'c 50%_off']) made.push(await createOk({ name: `${tag} ${suffix}` }));
  const seen = [];
  let page = await listAll(`q=${encodeURIComponent(tag)}&limit=2`);
  let pages = 1;
  for (;;) {
    assert.ok(page.items.length <= 2);
    seen.push(...page.items);
    if (page.next === null) break;
    assert.match(page.next, /^\/v1\/volunteers\?/);
    assert.match(page.next, /[?&]limit=2(&|$)/);
    assert.match(page.next, /[?&]q=/);
    const res = await call(k, 'GET', page.next, { token: coordA() });
    assert.equal(res.status, 200);
    page = await res.json();
    pages += 1;
  }
  assert.equal(pages, 3);
  assert.equal(seen.length, 5);
  assert.deepEqual(new Set(seen.map((v) => v.id)), new Set(made.map((v) => v.id)), 'every volunteer once');
  const expected = psql(`SELECT string_agg(id::text, ',' ORDER BY name, id) FROM volunteer WHERE name LIKE '${tag}%'`).split(',');
  assert.deepEqual(seen.map((v) => v.id), expected, 'ordered by name, then id');
  // the two with the same name come in id order
  const same = seen.filter((v) => v.name === `${tag} a`).map((v) => v.id);
  assert.deepEqual(same, [...same].sort());
  // q matches part of the name, case-insensitively, with % and _ taken literally
  assert.deepEqual(names(await listAll(`q=${encodeURIComponent(`${tag} C 50%_`)}`)), [`${tag} c 50%_off`]);
  assert.deepEqual(names(await listAll(`q=${encodeURIComponent(`${tag} _`)}`)), []);
  // a cursor that is not ours is refused
  for (const cursor of ['x'.repeat(40), `bm9wZQ.${randomUUID()}x`, `!!!!.${randomUUID()}`]) {
    const body = await expectProblem(assert, await call(k, 'GET', `/v1/volunteers?cursor=${encodeURIComponent(cursor)}`, { token: coordA() }), 422, 'validation_failed');
    assert.equal(body.errors[0].field, 'cursor');
  }
});

test('list filters: status, language, postal area and interest', async () => {
  const tag = uniq('Filter');
  const a = await createOk({ name: `${tag} a`, languages: ['da', 'so'], postal_areas: ['5000'], interests: [cat.walks.id] });
  const b = await createOk({ name: `${tag} b`, languages: ['so'], postal_areas: ['5000', '5200'], status: 'active' });
  const c = await createOk({ name: `${tag} c`, languages: ['en'], postal_areas: ['5200'], interests: [cat.walks.id, cat.chess.id], status: 'in_training' });
  const q = `q=${encodeURIComponent(tag)}`;
  assert.deepEqual(names(await listAll(`${q}&language=so`)), [a.name, b.name]);
  assert.deepEqual(names(await listAll(`${q}&postal_area=5200`)), [b.name, c.name]);
  assert.deepEqual(names(await listAll(`${q}&interest=${cat.walks.id}`)), [a.name, c.name]);
  assert.deepEqual(names(await listAll(`${q}&interest=${cat.chess.id}&language=en`)), [c.name]);
  assert.deepEqual(names(await listAll(`${q}&status=active`)), [b.name]);
  assert.deepEqual(names(await listAll(`${q}&status=active,in_training`)), [b.name, c.name]);
  assert.deepEqual(names(await listAll(`${q}&status=applicant&postal_area=5200`)), []);
  const body = await expectProblem(assert, await call(k, 'GET', '/v1/volunteers?status=sleeping&language=xx&postal_area=12&interest=x&limit=0&colour=red', { token: coordA() }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), ['colour:unknown_field', 'interest:invalid_format', 'limit:too_small', 'postal_area:invalid_format', 'status[0]:not_in_enum']);
  const lang = await expectProblem(assert, await call(k, 'GET', '/v1/volunteers?language=xx', { token: coordA() }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(lang), ['language:not_in_enum']);
});

test('expiring_within_days: the newest record check or training due within N days from today', async () => {
  const tag = uniq('Udløb');
  const mk = async (suffix) => ({ ...(await createOk({ name: `${tag} ${suffix}` })), centreId: w.A.id });
  const check10 = await mk('check om 10 dage');
  createRecordCheck(check10, { checkedOn: day(-700), validUntil: day(10) });
  const check100 = await mk('check om 100 dage');
  createRecordCheck(check100, { kind: 'child_protection', checkedOn: day(-600), validUntil: day(100) });
  const training20 = await mk('kursus om 20 dage');
  createTraining(training20, { module: 'first_aid_mental_health', completedOn: day(-700), expiresOn: day(20) });
  createTraining(training20, { module: 'intro', completedOn: day(-700) });
  const renewed = await mk('fornyet');
  createRecordCheck(renewed, { checkedOn: day(-700), validUntil: day(10) });
  createRecordCheck(renewed, { checkedOn: day(-5), validUntil: day(1000) });
  createTraining(renewed, { module: 'conversation', completedOn: day(-700), expiresOn: day(15) });
  createTraining(renewed, { module: 'conversation', completedOn: day(-3) });
  const expired = await mk('udløbet');
  createRecordCheck(expired, { checkedOn: day(-800), validUntil: day(-5) });
  await mk('intet');
  const q = `q=${encodeURIComponent(tag)}`;
  assert.deepEqual(names(await listAll(`${q}&expiring_within_days=30`)).sort(), [check10.name, training20.name].sort());
  assert.deepEqual(names(await listAll(`${q}&expiring_within_days=365`)).sort(), [check10.name, check100.name, training20.name].sort());
  assert.deepEqual(names(await listAll(`${q}&expiring_within_days=2`)), []);
  // with the other filters
  psql(`UPDATE volunteer SET status = 'active' WHERE id = '${check10.id}'`);
  assert.deepEqual(names(await listAll(`${q}&expiring_within_days=30&status=active`)), [check10.name]);
  for (const n of ['0', '366', 'soon']) {
    const body = await expectProblem(assert, await call(k, 'GET', `/v1/volunteers?expiring_within_days=${n}`, { token: coordA() }), 422, 'validation_failed');
    assert.equal(body.errors[0].field, 'expiring_within_days');
  }
});

// --- tenants, roles and the guide's own profile --------------------------------------------------

test("another centre's volunteers are invisible (404) and untouched", async () => {
  const v = await createOk({ name: uniq('Kun A') });
  const t = createTraining({ id: v.id, centreId: w.A.id });
  const c = createRecordCheck({ id: v.id, centreId: w.A.id });
  const before = psql(`SELECT row_to_json(v)::text FROM volunteer v WHERE id = '${v.id}'`);
  for (const [method, p, body] of [
    ['GET', `/v1/volunteers/${v.id}`],
    ['PATCH', `/v1/volunteers/${v.id}`, { capacity: 9 }],
    ['GET', `/v1/volunteers/${v.id}/history`],
    ['POST', `/v1/volunteers/${v.id}/trainings`, { module: 'intro', completed_on: day(-1) }],
    ['POST', `/v1/volunteers/${v.id}/record-checks`, { kind: 'criminal_record', checked_on: day(-1), outcome: 'clear', valid_until: day(300) }],
    ['DELETE', `/v1/volunteers/${v.id}/trainings/${t}`],
    ['DELETE', `/v1/volunteers/${v.id}/record-checks/${c}`],
  ]) {
    await expectProblem(assert, await call(k, method, p, { token: coordB(), body }), 404, 'not_found');
  }
  assert.equal(psql(`SELECT row_to_json(v)::text FROM volunteer v WHERE id = '${v.id}'`), before);
  assert.equal(psql(`SELECT count(*) FROM volunteer_training WHERE volunteer_id = '${v.id}'`), '1');
  assert.equal(psql(`SELECT count(*) FROM volunteer_record_check WHERE volunteer_id = '${v.id}'`), '1');
  assert.deepEqual(names(await listAll(`q=${encodeURIComponent(v.name)}`, coordB())), []);
  // categories and associations of another centre cannot be used either
  const body = await expectProblem(assert, await call(k, 'POST', '/v1/volunteers', {
    token: coordB(), body: { name: 'B', interests: [cat.ownA.id], recruited_via: 'association', recruited_association_id: assocA },
  }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), ['interests[0]:not_in_enum', 'recruited_association_id:not_in_enum']);
  // admins read every centre's volunteers, and may narrow to one centre
  assert.deepEqual(names(await listAll(`q=${encodeURIComponent(v.name)}`, w.tokens.national.admin)), [v.name]);
  assert.deepEqual(names(await listAll(`q=${encodeURIComponent(v.name)}&centre_id=${w.B.id}`, w.tokens.national.admin)), []);
  assert.equal((await getOk(v.id, w.tokens.national.admin)).body.id, v.id);
});

test('roles: only coordinators change volunteers; admins read; others are refused', async () => {
  const v = await createOk({ name: uniq('Roller') });
  for (const role of ['association', 'portal']) {
    await expectProblem(assert, await call(k, 'GET', '/v1/volunteers', { token: w.tokens.A[role] }), 403, 'forbidden');
    await expectProblem(assert, await call(k, 'GET', `/v1/volunteers/${v.id}`, { token: w.tokens.A[role] }), 403, 'forbidden');
  }
  await expectProblem(assert, await call(k, 'POST', '/v1/volunteers', { token: w.tokens.national.admin, body: { name: 'Admin' } }), 403, 'forbidden');
  await expectProblem(assert, await patch(v.id, { capacity: 3 }, { token: w.tokens.national.admin }), 403, 'forbidden');
  await expectProblem(assert, await call(k, 'GET', '/v1/volunteers', { token: w.tokens.national.analyst }), 403, 'forbidden');
});

test("a guide reads and changes only their own profile, and never its status or checks", async () => {
  const account = createAccount('guide', w.A.id);
  const token = await login(k, account.email);
  const mine = await createOk({ name: 'Gitte Guide', account_id: account.id, languages: ['da'], notes: 'Kan køre bil' });
  const theirs = await createOk({ name: 'Anden Guide' });
  createRecordCheck({ id: mine.id, centreId: w.A.id }, { validUntil: day(300) });
  // own profile, two ways
  let res = await call(k, 'GET', '/v1/me/volunteer', { token });
  assert.equal(res.status, 200);
  const me = await res.json();
  assert.equal(me.id, mine.id);
  assert.equal(me.record_checks.length, 1, 'the guide sees their own record checks');
  const etag = res.headers.get('etag');
  assert.equal(etag, '"1"');
  assert.deepEqual((await getOk(mine.id, token)).body, me);
  assert.equal((await history(mine.id, token)).length, 1);
  // nobody else's
  for (const [method, p] of [['GET', `/v1/volunteers/${theirs.id}`], ['GET', `/v1/volunteers/${theirs.id}/history`]]) {
    await expectProblem(assert, await call(k, method, p, { token }), 404, 'not_found');
  }
  await expectProblem(assert, await call(k, 'GET', '/v1/volunteers', { token }), 403, 'forbidden');
  for (const id of [mine.id, theirs.id]) {
    await expectProblem(assert, await patch(id, { capacity: 4 }, { token }), 403, 'forbidden');
    await expectProblem(assert, await call(k, 'POST', `/v1/volunteers/${id}/trainings`, { token, body: { module: 'intro', completed_on: day(-1) } }), 403, 'forbidden');
    await expectProblem(assert, await call(k, 'POST', `/v1/volunteers/${id}/record-checks`, { token, body: { kind: 'criminal_record', checked_on: day(-1), outcome: 'clear', valid_until: day(300) } }), 403, 'forbidden');
  }
  await expectProblem(assert, await call(k, 'POST', '/v1/volunteers', { token, body: { name: 'Mig Selv' } }), 403, 'forbidden');
  // the guide's own changes
  res = await call(k, 'PATCH', '/v1/me/volunteer', {
    token,
    headers: { 'If-Match': etag },
    body: { phone: '+45 31 41 59 26', email: 'gitte@example.invalid', languages: ['da', 'de'], postal_areas: ['5000'], interests: [cat.walks.id], availability: [{ weekday: 6, starts: '10:00', ends: '14:00' }], capacity: 1 },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('etag'), '"2"');
  const changed = await res.json();
  assert.equal(changed.phone, '+4531415926');
  assert.deepEqual(changed.languages, ['da', 'de']);
  assert.deepEqual(changed.availability, [{ weekday: 6, starts: '10:00', ends: '14:00' }]);
  assert.deepEqual(changed.interests.map((i) => i.id), [cat.walks.id]);
  assert.equal(changed.capacity, 1);
  assert.equal(changed.status, 'applicant');
  assert.equal(changed.notes, 'Kan køre bil');
  // a stale version is 412
  await expectProblem(assert, await call(k, 'PATCH', '/v1/me/volunteer', { token, headers: { 'If-Match': etag }, body: { capacity: 2 } }), 412, 'precondition_failed');
  // status, name, notes, account, recruitment and checks are the coordinator's
  const body = await expectProblem(assert, await call(k, 'PATCH', '/v1/me/volunteer', {
    token, body: { status: 'active', status_reason: 'Jeg er klar', name: 'Ny', notes: null, account_id: null, recruited_via: 'event', record_checks: [], trainings: [] },
  }), 422, 'validation_failed');
  assert.deepEqual(fieldErrors(body), ['account_id:unknown_field', 'name:unknown_field', 'notes:unknown_field', 'record_checks:unknown_field',
    'recruited_via:unknown_field', 'status:unknown_field', 'status_reason:unknown_field', 'trainings:unknown_field']);
  const after = (await getOk(mine.id)).body;
  assert.equal(after.status, 'applicant');
  assert.equal(after.name, 'Gitte Guide');
  assert.equal((await history(mine.id)).length, 1);
  // a guide without a volunteer record has no profile
  const stranger = createAccount('guide', w.A.id);
  const strangerToken = await login(k, stranger.email);
  for (const method of ['GET', 'PATCH']) {
    const body = await expectProblem(assert, await call(k, method, '/v1/me/volunteer', { token: strangerToken, body: method === 'PATCH' ? { capacity: 2 } : undefined }), 404, 'not_found');
    assert.equal(body.detail, 'Your account has no volunteer record; ask your coordinator.');
  }
  // /v1/me/volunteer is the guides'
  await expectProblem(assert, await call(k, 'GET', '/v1/me/volunteer', { token: coordA() }), 403, 'forbidden');
});

test('the database refuses a guide changing their own status, even past the handlers', () => {
  const account = createAccount('guide', w.A.id);
  const v = createVolunteer(w.A.id, { accountId: account.id, status: 'applicant' });
  const ctx = `'guide', '${w.A.id}', '${account.id}'`;
  const tx = (sql) => `BEGIN; DO $$ BEGIN PERFORM kompas_set_context(${ctx}); END $$; ${sql}; ROLLBACK;`;
  let r = psqlTry(tx(`UPDATE volunteer SET status = 'active' WHERE id = '${v.id}'`), { user: 'kompasd' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /a guide changes only/);
  r = psqlTry(tx(`INSERT INTO volunteer_record_check (volunteer_id, centre_id, kind, checked_on, outcome, valid_until)
                  VALUES ('${v.id}', '${w.A.id}', 'criminal_record', '2025-01-01', 'clear', '2027-01-01')`), { user: 'kompasd' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /row-level security/);
  r = psqlTry(tx(`INSERT INTO volunteer_status_change (volunteer_id, centre_id, from_status, to_status)
                  VALUES ('${v.id}', '${w.A.id}', 'applicant', 'active')`), { user: 'kompasd' });
  assert.notEqual(r.code, 0);
  // the guide's own capacity is theirs to change
  r = psqlTry(tx(`UPDATE volunteer SET capacity = 4 WHERE id = '${v.id}'`), { user: 'kompasd' });
  assert.equal(r.code, 0, r.stderr);
});
