// Events: single events and weekly/monthly series (expanded in Copenhagen
// wall-clock time), Danish full-text search and filters, the public
// listing for the portals, sign-ups with capacity, and tenant isolation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import { uniq, createCentre, createAccount, login, makeWorld, call, psqlTry } from './fixtures.mjs';

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const DAY = 24 * 3600 * 1000;

let k;
let w; // makeWorld: centres A and B, a token of every role
const A = {}; // centre A's association, its contact, categories, volunteers
const B = {};

// An ISO time days from now at hh:mm UTC, in whole seconds.
const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
function at(days, hh = 10, mm = 0) {
  const d = new Date(Date.now() + days * DAY);
  d.setUTCHours(hh, mm, 0, 0);
  return iso(d);
}
const plusHours = (t, h) => iso(new Date(Date.parse(t) + h * 3600 * 1000));

function createAssociation(centreId, name = uniq('Forening')) {
  const id = randomUUID();
  psql(`INSERT INTO association (id, centre_id, name) VALUES ('${id}', '${centreId}', '${name}')`);
  return { id, name };
}
function createCategory(centreId, nameDa) {
  const id = randomUUID();
  psql(`INSERT INTO category (id, centre_id, kind, slug, name_da, name_en)
        VALUES ('${id}', '${centreId}', 'activity', '${uniq('kat')}', '${nameDa}', '${nameDa} (en)')`);
  return id;
}
// A guide account with its volunteer record, logged in.
async function createGuide(centreId) {
  const account = createAccount('guide', centreId);
  const volunteerId = randomUUID();
  psql(`INSERT INTO volunteer (id, centre_id, account_id, name, status)
        VALUES ('${volunteerId}', '${centreId}', '${account.id}', 'Guide ${account.email}', 'active')`);
  return { account, volunteerId, token: await login(k, account.email) };
}
// An association contact linked to association, logged in.
async function createContact(centreId, associationId) {
  const account = createAccount('association', centreId);
  if (associationId) psql(`UPDATE account SET association_id = '${associationId}' WHERE id = '${account.id}'`);
  return { account, token: await login(k, account.email) };
}
// A centre of its own (for searches, filters and paging that must not see
// the other tests' events), with a logged-in coordinator.
async function freshCentre() {
  const c = createCentre(uniq('ev'));
  const coord = createAccount('coordinator', c.id);
  return { ...c, token: await login(k, coord.email) };
}

const post = (token, p, body, headers) => call(k, 'POST', p, { token, body, headers });
const get = (token, p) => call(k, 'GET', p, { token });
const patch = (token, p, body, headers) => call(k, 'PATCH', p, { token, body, headers });

// A minimal valid event, with overrides.
const eventBody = (o = {}) => {
  const starts = o.starts_at || at(7);
  return { kind: 'activity', title: 'Fællesspisning', starts_at: starts, ends_at: plusHours(starts, 2), ...o };
};
async function createEvent(token, o) {
  const res = await post(token, '/v1/events', eventBody(o));
  if (res.status !== 201) throw new Error(`create event: ${res.status} ${await res.text()}`);
  return res.json();
}
// An event made as the owner (for past events, which the API refuses to
// sign up for but happily records).
function insertEvent(centreId, { kind = 'info_meeting', startsIn = 7, capacity = null, cancelled = false } = {}) {
  const id = randomUUID();
  psql(`INSERT INTO event (id, centre_id, kind, title, starts_at, ends_at, capacity, cancelled)
        VALUES ('${id}', '${centreId}', '${kind}', 'Indsat', now() + interval '${startsIn} days',
                now() + interval '${startsIn} days 2 hours', ${capacity ?? 'NULL'}, ${cancelled})`);
  return id;
}

before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  for (const [X, c] of [[A, w.A], [B, w.B]]) {
    X.association = createAssociation(c.id, uniq('Gåklubben'));
    X.contact = await createContact(c.id, X.association.id);
    X.category = createCategory(c.id, 'Gåtur');
    X.guide = await createGuide(c.id);
  }
  A.otherAssociation = createAssociation(w.A.id, uniq('Strikkeklubben'));
});
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

// --- creating and reading -----------------------------------------------------

test('a coordinator creates an event with every field; it reads back with its ETag', async () => {
  const starts = at(10, 16, 30);
  const body = {
    kind: 'activity', title: 'Gåtur i parken', description: 'Vi går en tur i Munke Mose.\nAlle kan være med.',
    starts_at: starts, ends_at: plusHours(starts, 1.5), address: 'Munke Mose, Filosofgangen',
    postal_code: '5000', online_url: 'https://meet.example.invalid/gaatur', accessibility: 'Trinfri adgang',
    capacity: 12, association_id: A.association.id, category_ids: [A.category], internal_note: 'Husk nøglen',
  };
  const res = await post(w.tokens.A.coordinator, '/v1/events', body);
  assert.equal(res.status, 201);
  const e = await res.json();
  assert.equal(res.headers.get('location'), `/v1/events/${e.id}`);
  assert.equal(res.headers.get('etag'), '"1"');
  assert.deepEqual(Object.keys(e).sort(), ['accessibility', 'address', 'association_id', 'association_name', 'cancelled',
    'capacity', 'categories', 'centre_id', 'created_at', 'description', 'ends_at', 'id', 'internal_note', 'kind',
    'my_signup_id', 'online_url', 'places_left', 'postal_code', 'series_id', 'signups', 'starts_at', 'title', 'updated_at']);
  for (const f of ['kind', 'title', 'description', 'starts_at', 'ends_at', 'address', 'postal_code', 'online_url',
    'accessibility', 'capacity', 'association_id', 'internal_note']) assert.deepEqual(e[f], body[f], f);
  assert.equal(e.centre_id, w.A.id);
  assert.equal(e.association_name, A.association.name);
  assert.equal(e.categories.length, 1);
  assert.equal(e.categories[0].id, A.category);
  assert.equal(e.categories[0].name_da, 'Gåtur');
  assert.equal(e.signups, 0);
  assert.equal(e.places_left, 12);
  assert.equal(e.cancelled, false);
  assert.equal(e.series_id, null);
  assert.match(e.created_at, RFC3339_UTC);

  const r = await get(w.tokens.A.coordinator, `/v1/events/${e.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), '"1"');
  assert.deepEqual(await r.json(), e);
  // guides see the event, not the internal note
  const g = await (await get(w.tokens.A.guide, `/v1/events/${e.id}`)).json();
  assert.equal(g.title, 'Gåtur i parken');
  assert.ok(!('internal_note' in g), 'no internal note for a guide');
  // an admin sees every centre's events
  assert.equal((await get(w.tokens.national.admin, `/v1/events/${e.id}`)).status, 200);
  assert.equal(psql(`SELECT created_by FROM event WHERE id = '${e.id}'`), w.accounts.A.coordinator.id);
});

test('times are answered in UTC whole seconds; an offset and a fraction are accepted', async () => {
  const e = await createEvent(w.tokens.A.coordinator, { starts_at: '2027-03-02T18:00:00.75+01:00', ends_at: '2027-03-02T20:00:00+01:00' });
  assert.equal(e.starts_at, '2027-03-02T17:00:00Z');
  assert.equal(e.ends_at, '2027-03-02T19:00:00Z');
});

test('validation: every failing field at once', async () => {
  const res = await post(w.tokens.A.coordinator, '/v1/events', {
    kind: 'party', title: 'X', starts_at: at(5, 12), ends_at: at(5, 11), postal_code: '123',
    online_url: 'ftp://files.example.invalid', capacity: 0, colour: 'red',
  });
  const body = await expectProblem(assert, res, 422, 'validation_failed');
  const fields = body.errors.map((e) => `${e.field}:${e.code}`).sort();
  assert.deepEqual(fields, ['capacity:too_small', 'colour:unknown_field', 'kind:not_in_enum', 'online_url:invalid_format',
    'postal_code:invalid_format', 'title:too_short']);
  // the times are checked once the body is well-formed
  const times = await expectProblem(assert, await post(w.tokens.A.coordinator, '/v1/events', eventBody({ starts_at: at(5, 12), ends_at: at(5, 11) })), 422, 'validation_failed');
  assert.deepEqual(times.errors, [{ field: 'ends_at', code: 'too_small', message: 'must be after starts_at' }]);
  const same = await expectProblem(assert, await post(w.tokens.A.coordinator, '/v1/events', eventBody({ starts_at: at(5, 12), ends_at: at(5, 12) })), 422, 'validation_failed');
  assert.equal(same.errors[0].field, 'ends_at');
  const long = await expectProblem(assert, await post(w.tokens.A.coordinator, '/v1/events', eventBody({ starts_at: at(5), ends_at: at(20) })), 422, 'validation_failed');
  assert.deepEqual(long.errors.map((e) => `${e.field}:${e.code}`), ['ends_at:too_large']);
  const far = await expectProblem(assert, await post(w.tokens.A.coordinator, '/v1/events', eventBody({ starts_at: at(6 * 366) })), 422, 'validation_failed');
  assert.deepEqual(far.errors.map((e) => `${e.field}:${e.code}`), ['starts_at:too_large']);
  const old = await expectProblem(assert, await post(w.tokens.A.coordinator, '/v1/events', eventBody({ starts_at: '1999-12-31T10:00:00Z', ends_at: '1999-12-31T12:00:00Z' })), 422, 'validation_failed');
  assert.deepEqual(old.errors.map((e) => `${e.field}:${e.code}`), ['starts_at:too_small']);
  const noTz = await expectProblem(assert, await post(w.tokens.A.coordinator, '/v1/events', eventBody({ starts_at: '2027-01-01T10:00:00' })), 422, 'validation_failed');
  assert.equal(noTz.errors[0].field, 'starts_at');
  // references: another centre's association and category, an unknown category
  const refs = await expectProblem(assert, await post(w.tokens.A.coordinator, '/v1/events', eventBody({
    association_id: B.association.id, category_ids: [A.category, B.category, randomUUID()],
  })), 422, 'validation_failed');
  assert.deepEqual(refs.errors.map((e) => `${e.field}:${e.code}`), ['association_id:not_in_enum', 'category_ids[1]:not_in_enum', 'category_ids[2]:not_in_enum']);
  const dup = await expectProblem(assert, await post(w.tokens.A.coordinator, '/v1/events', eventBody({ category_ids: [A.category, A.category] })), 422, 'validation_failed');
  assert.equal(dup.errors[0].code, 'duplicate_item');
  assert.equal(psql(`SELECT count(*) FROM event WHERE centre_id = '${w.A.id}' AND title = 'X'`), '0');
});

test('an association contact adds activities of its own association only', async () => {
  const res = await post(A.contact.token, '/v1/events', eventBody({ title: 'Åben gåtur', internal_note: 'Til bestyrelsen' }));
  assert.equal(res.status, 201);
  const e = await res.json();
  assert.equal(e.association_id, A.association.id, 'the association is the contact\'s own');
  assert.equal(e.internal_note, 'Til bestyrelsen', 'the holding association sees its note');
  let r = await post(A.contact.token, '/v1/events', eventBody({ kind: 'info_meeting' }));
  assert.equal((await expectProblem(assert, r, 403, 'forbidden')).errors[0].field, 'kind');
  r = await post(A.contact.token, '/v1/events', eventBody({ association_id: A.otherAssociation.id }));
  assert.equal((await expectProblem(assert, r, 403, 'forbidden')).errors[0].field, 'association_id');
  const unlinked = await createContact(w.A.id, null);
  await expectProblem(assert, await post(unlinked.token, '/v1/events', eventBody()), 403, 'forbidden');
  // it changes its own activity, not the centre's events, and never moves one
  r = await patch(A.contact.token, `/v1/events/${e.id}`, { title: 'Åben gåtur for alle' });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).title, 'Åben gåtur for alle');
  r = await patch(A.contact.token, `/v1/events/${e.id}`, { association_id: A.otherAssociation.id });
  assert.equal((await expectProblem(assert, r, 403, 'forbidden')).errors[0].field, 'association_id');
  const centres = await createEvent(w.tokens.A.coordinator, { internal_note: 'Kun for personalet' });
  await expectProblem(assert, await patch(A.contact.token, `/v1/events/${centres.id}`, { title: 'Overtaget' }), 403, 'forbidden');
  const seen = await (await get(A.contact.token, `/v1/events/${centres.id}`)).json();
  assert.ok(!('internal_note' in seen), 'no internal note of another\'s event');
  assert.equal(psql(`SELECT title FROM event WHERE id = '${centres.id}'`), 'Fællesspisning');
});

// --- changing -------------------------------------------------------------------

test('PATCH is a merge patch honouring If-Match; a stale version is 412', async () => {
  const e = await createEvent(w.tokens.A.coordinator, { description: 'Mad og hygge', postal_code: '5000', capacity: 10, category_ids: [A.category] });
  const url = `/v1/events/${e.id}`;
  let r = await patch(w.tokens.A.coordinator, url, { title: 'Ny titel' }, { 'If-Match': '"7"' });
  await expectProblem(assert, r, 412, 'precondition_failed');
  r = await patch(w.tokens.A.coordinator, url, { title: 'Ny titel' }, { 'If-Match': 'nonsense' });
  await expectProblem(assert, r, 412, 'precondition_failed');
  r = await k.fetch(url, {
    method: 'PATCH',
    headers: { Authorization: `Bearer ${w.tokens.A.coordinator}`, 'Content-Type': 'application/merge-patch+json', 'If-Match': '"1"' },
    body: JSON.stringify({ title: 'Ny titel', description: null, capacity: null, category_ids: [] }),
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), '"2"');
  const changed = await r.json();
  assert.equal(changed.title, 'Ny titel');
  assert.equal(changed.description, null, 'null clears');
  assert.equal(changed.capacity, null);
  assert.equal(changed.places_left, null, 'unlimited');
  assert.deepEqual(changed.categories, []);
  assert.equal(changed.postal_code, '5000', 'absent members stay');
  await expectProblem(assert, await patch(w.tokens.A.coordinator, url, { title: 'Igen' }, { 'If-Match': '"1"' }), 412, 'precondition_failed');
  // the times are checked against the stored ones
  const bad = await expectProblem(assert, await patch(w.tokens.A.coordinator, url, { ends_at: plusHours(e.starts_at, -1) }), 422, 'validation_failed');
  assert.deepEqual(bad.errors.map((x) => x.field), ['ends_at']);
  await expectProblem(assert, await patch(w.tokens.A.coordinator, url, { title: null }), 422, 'validation_failed');
  await expectProblem(assert, await patch(w.tokens.A.coordinator, url, { kind: 'info_meeting' }), 422, 'validation_failed');
  r = await patch(w.tokens.A.coordinator, url, { starts_at: plusHours(e.starts_at, 24), ends_at: plusHours(e.ends_at, 24) });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).starts_at, plusHours(e.starts_at, 24));
  await expectProblem(assert, await patch(w.tokens.A.coordinator, '/v1/events/not-a-uuid', { title: 'x y' }), 404, 'not_found');
  await expectProblem(assert, await patch(w.tokens.A.coordinator, `/v1/events/${randomUUID()}`, { title: 'x y' }), 404, 'not_found');
});

// --- series ------------------------------------------------------------------------

// The last Sunday of October of the next October to come: daylight saving
// time ends in Copenhagen at 03:00 local (01:00 UTC) that day.
function nextDstEnd() {
  const now = new Date();
  let year = now.getUTCFullYear();
  if (now.getUTCMonth() >= 9) year += 1;
  const d = new Date(Date.UTC(year, 9, 31));
  while (d.getUTCDay() !== 0) d.setUTCDate(d.getUTCDate() - 1);
  return d;
}

test('a weekly series of 10 keeps 19:00 Copenhagen time across the end of summer time', async () => {
  const dstEnd = nextDstEnd();
  const first = new Date(dstEnd.getTime() - 13 * DAY); // a Monday, two weeks before
  const day = first.toISOString().slice(0, 10);
  const res = await post(w.tokens.A.coordinator, '/v1/event-series', {
    kind: 'guide_training', title: 'Kompasguide-uddannelse', description: 'Modul 1 til 10',
    starts_at: `${day}T19:00:00+02:00`, ends_at: `${day}T21:30:00+02:00`, address: 'Frivilligcentret',
    postal_code: '5000', capacity: 15, category_ids: [A.category], internal_note: 'Bestil kaffe',
    frequency: 'weekly', count: 10,
  });
  assert.equal(res.status, 201);
  const s = await res.json();
  assert.equal(s.frequency, 'weekly');
  assert.equal(s.interval, 1);
  assert.equal(s.count, 10);
  assert.equal(s.until, null);
  assert.equal(s.time_zone, 'Europe/Copenhagen');
  assert.equal(s.starts_at, `${day}T17:00:00Z`);
  assert.deepEqual(s.category_ids, [A.category]);
  assert.equal(s.occurrences.length, 10);
  s.occurrences.forEach((o, i) => {
    const d = new Date(first.getTime() + i * 7 * DAY);
    const summer = d < dstEnd;
    const date = d.toISOString().slice(0, 10);
    // 19:00 local: 17:00 UTC in summer time, 18:00 UTC after
    assert.equal(o.starts_at, `${date}T${summer ? '17' : '18'}:00:00Z`, `occurrence ${i}`);
    assert.equal(o.ends_at, `${date}T${summer ? '19' : '20'}:30:00Z`, `occurrence ${i}`);
  });
  assert.equal(s.occurrences.filter((o) => o.starts_at.includes('T17:')).length, 2, 'two before the change');
  // every occurrence is a full event with the template's fields
  const e = await (await get(w.tokens.A.coordinator, `/v1/events/${s.occurrences[9].id}`)).json();
  assert.equal(e.series_id, s.id);
  assert.equal(e.kind, 'guide_training');
  assert.equal(e.capacity, 15);
  assert.equal(e.internal_note, 'Bestil kaffe');
  assert.equal(e.categories[0].id, A.category);
  // the occurrences list by series, in time order
  const list = await (await get(w.tokens.A.coordinator, `/v1/events?series_id=${s.id}&limit=200`)).json();
  assert.deepEqual(list.items.map((x) => x.id), s.occurrences.map((o) => o.id));
  assert.equal(psql(`SELECT count(*) FROM event WHERE series_id = '${s.id}'`), '10');
  // Copenhagen wall-clock time of every occurrence, seen by PostgreSQL
  assert.equal(psql(`SELECT string_agg(DISTINCT to_char(starts_at AT TIME ZONE 'Europe/Copenhagen', 'HH24:MI'), ',') FROM event WHERE series_id = '${s.id}'`), '19:00');
});

test('a monthly series until a date: a day past a month\'s end falls on its last day', async () => {
  const year = new Date().getUTCFullYear() + 1;
  const res = await post(w.tokens.A.coordinator, '/v1/event-series', {
    kind: 'info_meeting', title: 'Informationsmøde', starts_at: `${year}-01-31T17:00:00+01:00`,
    ends_at: `${year}-01-31T18:00:00+01:00`, frequency: 'monthly', until: `${year}-05-31`,
  });
  assert.equal(res.status, 201);
  const s = await res.json();
  assert.equal(s.until, `${year}-05-31`);
  assert.equal(s.count, null);
  const feb = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  assert.deepEqual(s.occurrences.map((o) => o.starts_at), [
    `${year}-01-31T16:00:00Z`, `${year}-02-${feb}T16:00:00Z`, `${year}-03-31T15:00:00Z`, `${year}-04-30T15:00:00Z`, `${year}-05-31T15:00:00Z`,
  ]);
  // every second month, three times
  const r = await post(w.tokens.A.coordinator, '/v1/event-series', {
    kind: 'welcome_workshop', title: 'Velkomstworkshop', starts_at: `${year}-02-10T16:00:00Z`, ends_at: `${year}-02-10T19:00:00Z`,
    frequency: 'monthly', interval: 2, count: 3,
  });
  assert.equal(r.status, 201);
  assert.deepEqual((await r.json()).occurrences.map((o) => o.starts_at.slice(0, 10)), [`${year}-02-10`, `${year}-04-10`, `${year}-06-10`]);
});

test('a series is bounded: 104 occurrences, 2 years, count or until', async () => {
  const year = new Date().getUTCFullYear() + 1;
  const base = { kind: 'activity', title: 'Strikkeklub', starts_at: `${year}-03-01T10:00:00Z`, ends_at: `${year}-03-01T12:00:00Z`, frequency: 'weekly' };
  const weeksLater = (n) => new Date(Date.parse(base.starts_at) + n * 7 * DAY).toISOString().slice(0, 10);
  const cases = [
    [{ count: 105 }, 'count:too_large'],
    [{ count: 0 }, 'count:too_small'],
    [{ count: 2, interval: 5 }, 'interval:too_large'],
    [{}, 'count:required'],
    [{ count: 2, until: `${year}-04-01` }, 'until:unknown_field'],
    [{ until: `${year + 2}-03-02` }, 'until:too_large'],
    [{ until: `${year}-02-27` }, 'until:too_small'],
    [{ until: weeksLater(104) }, 'until:too_large'], // within 2 years, but 105 occurrences
    [{ frequency: 'monthly', interval: 4, count: 8 }, 'count:too_large'], // 28 months
    [{ frequency: 'daily', count: 2 }, 'frequency:not_in_enum'],
    [{ count: 2, until: 'soon' }, 'until:invalid_format'],
    [{ count: 3, ends_at: `${year}-03-01T09:00:00Z` }, 'ends_at:too_small'],
  ];
  for (const [extra, want] of cases) {
    const res = await post(w.tokens.A.coordinator, '/v1/event-series', { ...base, ...extra });
    const body = await expectProblem(assert, res, 422, 'validation_failed');
    assert.ok(body.errors.some((e) => `${e.field}:${e.code}` === want), `${JSON.stringify(extra)}: ${JSON.stringify(body.errors)}`);
  }
  // the largest ones are fine: 104 weekly, and monthly every 4th for 2 years
  let r = await post(w.tokens.A.coordinator, '/v1/event-series', { ...base, count: 104 });
  assert.equal(r.status, 201);
  assert.equal((await r.json()).occurrences.length, 104);
  r = await post(w.tokens.A.coordinator, '/v1/event-series', { ...base, frequency: 'monthly', interval: 4, count: 7 });
  assert.equal(r.status, 201);
  assert.equal((await r.json()).occurrences.at(-1).starts_at, `${year + 2}-03-01T10:00:00Z`);
  r = await post(w.tokens.A.coordinator, '/v1/event-series', { ...base, until: weeksLater(103) });
  assert.equal(r.status, 201);
  assert.equal((await r.json()).occurrences.length, 104);
});

test('a series reads back with its occurrences; PATCH changes the template and the occurrences to come', async () => {
  const cat2 = createCategory(w.A.id, 'Strik');
  const body = { kind: 'guide_training', title: uniq('Uddannelse'), starts_at: at(3, 17), ends_at: at(3, 19), address: 'Jernbanegade 16',
    postal_code: '5000', capacity: 4, category_ids: [A.category], internal_note: 'Kaffe', frequency: 'weekly', count: 4 };
  let r = await post(w.tokens.A.coordinator, '/v1/event-series', body);
  assert.equal(r.status, 201);
  const s = await r.json();
  assert.equal(r.headers.get('location'), `/v1/event-series/${s.id}`);
  assert.equal(r.headers.get('etag'), '"1"');
  assert.deepEqual(s.occurrences.map((o) => o.cancelled), [false, false, false, false]);
  const [first, second, third] = s.occurrences.map((o) => o.id);
  // the first occurrence has been held already (moved into the past as the owner)
  psql(`UPDATE event SET starts_at = now() - interval '2 days', ends_at = now() - interval '2 days' + interval '2 hours' WHERE id = '${first}'`);
  // a guide signs up for the second; one occurrence is cancelled on its own
  assert.equal((await post(A.guide.token, `/v1/events/${second}/signups`, {})).status, 201);
  assert.equal((await post(A.contact.token, `/v1/events/${second}/signups`, {})).status, 422, 'trainings are for volunteers');
  assert.equal((await patch(w.tokens.A.coordinator, `/v1/events/${third}`, { cancelled: true })).status, 200);

  r = await get(w.tokens.A.coordinator, `/v1/event-series/${s.id}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), '"1"');
  const read = await r.json();
  assert.deepEqual(Object.keys(read).sort(), Object.keys(s).sort());
  assert.equal(read.title, body.title);
  assert.deepEqual(read.category_ids, [A.category]);
  assert.deepEqual(read.occurrences.map((o) => o.id), s.occurrences.map((o) => o.id), 'in time order');
  assert.deepEqual(read.occurrences.map((o) => o.cancelled), [false, false, true, false]);

  // a stale version, a member that cannot change here, capacity below the sign-ups
  await expectProblem(assert, await patch(w.tokens.A.coordinator, `/v1/event-series/${s.id}`, { title: 'Nyt' }, { 'If-Match': '"7"' }), 412, 'precondition_failed');
  r = await patch(w.tokens.A.coordinator, `/v1/event-series/${s.id}`, { starts_at: at(5), kind: 'activity' });
  const bad = await expectProblem(assert, r, 422, 'validation_failed');
  assert.deepEqual(bad.errors.map((e) => [e.field, e.code]).sort(), [['kind', 'unknown_field'], ['starts_at', 'unknown_field']]);
  r = await patch(w.tokens.A.coordinator, `/v1/event-series/${s.id}`, { association_id: randomUUID(), category_ids: [randomUUID()] });
  assert.deepEqual((await expectProblem(assert, r, 422, 'validation_failed')).errors.map((e) => e.field).sort(), ['association_id', 'category_ids[0]']);
  psql(`UPDATE event SET capacity = 1 WHERE id = '${second}'`);
  r = await patch(w.tokens.A.coordinator, `/v1/event-series/${s.id}`, { capacity: 1 });
  assert.equal(r.status, 200, 'one sign-up fits one place');
  r = await patch(w.tokens.A.coordinator, `/v1/event-series/${s.id}`, { capacity: null });
  assert.equal(r.status, 200);
  assert.equal((await post(w.tokens.A.coordinator, `/v1/events/${second}/signups`, { volunteer_id: (await createGuide(w.A.id)).volunteerId })).status, 201);
  r = await patch(w.tokens.A.coordinator, `/v1/event-series/${s.id}`, { capacity: 1 });
  assert.equal((await expectProblem(assert, r, 409, 'conflict')).errors[0].field, 'capacity');

  // the change: title and address set, the note cleared, the categories replaced
  r = await patch(w.tokens.A.coordinator, `/v1/event-series/${s.id}`,
    { title: 'Uddannelse, efterår', address: 'Østre Stationsvej 2', internal_note: null, category_ids: [cat2] }, { 'If-Match': '"3"' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), '"4"');
  const changed = await r.json();
  assert.equal(changed.title, 'Uddannelse, efterår');
  assert.equal(changed.address, 'Østre Stationsvej 2');
  assert.equal(changed.internal_note, null);
  assert.equal(changed.postal_code, '5000', 'a member left out stays');
  assert.deepEqual(changed.category_ids, [cat2]);
  const occ = (id) => get(w.tokens.A.coordinator, `/v1/events/${id}`).then((x) => x.json());
  const held = await occ(first);
  assert.equal(held.title, body.title, 'an occurrence already held keeps what it was');
  assert.equal(held.internal_note, 'Kaffe');
  assert.deepEqual(held.categories.map((c) => c.id), [A.category]);
  for (const id of [second, third, s.occurrences[3].id]) {
    const e = await occ(id);
    assert.equal(e.title, 'Uddannelse, efterår', id);
    assert.equal(e.address, 'Østre Stationsvej 2');
    assert.equal(e.internal_note, null);
    assert.equal(e.postal_code, '5000');
    assert.deepEqual(e.categories.map((c) => c.id), [cat2]);
  }
  assert.equal((await occ(third)).cancelled, true, 'its own cancellation stays');
  assert.equal((await occ(second)).signups, 2, 'sign-ups are kept');

  // cancelled: true cancels the rest of the series, false reinstates it
  r = await patch(w.tokens.A.coordinator, `/v1/event-series/${s.id}`, { cancelled: true });
  assert.deepEqual((await r.json()).occurrences.map((o) => o.cancelled), [false, true, true, true]);
  r = await patch(w.tokens.A.coordinator, `/v1/event-series/${s.id}`, { cancelled: false });
  assert.deepEqual((await r.json()).occurrences.map((o) => o.cancelled), [false, false, false, false]);

  // who may: coordinators of the centre; the others are refused or do not see it
  await expectProblem(assert, await get(w.tokens.B.coordinator, `/v1/event-series/${s.id}`), 404, 'not_found');
  await expectProblem(assert, await patch(w.tokens.B.coordinator, `/v1/event-series/${s.id}`, { title: 'Hacket' }), 404, 'not_found');
  await expectProblem(assert, await get(w.tokens.A.coordinator, '/v1/event-series/not-a-uuid'), 404, 'not_found');
  await expectProblem(assert, await get(w.tokens.A.coordinator, `/v1/event-series/${randomUUID()}`), 404, 'not_found');
  await expectProblem(assert, await get(A.guide.token, `/v1/event-series/${s.id}`), 403, 'forbidden');
  await expectProblem(assert, await patch(A.contact.token, `/v1/event-series/${s.id}`, { title: 'Hacket' }), 403, 'forbidden');
  assert.equal((await get(w.tokens.national.admin, `/v1/event-series/${s.id}`)).status, 200, 'an admin reads it');
  assert.equal(psql(`SELECT title FROM event_series WHERE id = '${s.id}'`), 'Uddannelse, efterår');
});

test('cancelling one occurrence leaves the others', async () => {
  const c = await freshCentre();
  const r = await post(c.token, '/v1/event-series', {
    kind: 'activity', title: 'Sangaften', starts_at: at(3, 17), ends_at: at(3, 19), frequency: 'weekly', count: 4,
  });
  const s = await r.json();
  const third = s.occurrences[2].id;
  const res = await patch(c.token, `/v1/events/${third}`, { cancelled: true });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).cancelled, true);
  for (const o of s.occurrences) {
    const e = await (await get(c.token, `/v1/events/${o.id}`)).json();
    assert.equal(e.cancelled, o.id === third, o.id);
  }
  const listed = await (await get(c.token, '/v1/events')).json();
  assert.deepEqual(listed.items.map((e) => e.id), s.occurrences.filter((o) => o.id !== third).map((o) => o.id));
  const all = await (await get(c.token, '/v1/events?include_cancelled=true')).json();
  assert.equal(all.items.length, 4);
  // the portal shows the cancelled one as cancelled
  const pub = await (await call(k, 'GET', `/v1/public/events?centre=${c.slug}`)).json();
  assert.deepEqual(pub.items.map((e) => [e.id, e.cancelled]), s.occurrences.map((o) => [o.id, o.id === third]));
  // and it can be reinstated
  assert.equal((await (await patch(c.token, `/v1/events/${third}`, { cancelled: false })).json()).cancelled, false);
});

// --- search and filters ------------------------------------------------------------

test('Danish free-text search: stemming, ranking by relevance, stop words', async () => {
  const c = await freshCentre();
  const gaatur = await createEvent(c.token, { title: 'Gåtur i parken', description: 'Vi mødes ved indgangen.' });
  const strikker = await createEvent(c.token, { title: 'Strikkeaften', description: 'Vi strikker sammen og drikker kaffe.' });
  const strikning = await createEvent(c.token, { title: 'Strikning for begyndere', starts_at: at(8) });
  const described = await createEvent(c.token, { title: 'Søndagshygge', description: 'Bagefter tager vi på gåture i byen.', starts_at: at(2) });
  const search = async (q, extra = '') => (await (await get(c.token, `/v1/events?q=${encodeURIComponent(q)}${extra}`)).json()).items.map((e) => e.id);

  // "gåture" (plural) finds "Gåtur" (singular) and the plural in a
  // description; the title match ranks first although it starts later
  assert.deepEqual(await search('gåture'), [gaatur.id, described.id]);
  assert.deepEqual(await search('Gåturen'), [gaatur.id, described.id]);
  // "strik" finds the verb forms (strikker, strikke) ...
  assert.deepEqual(await search('strik'), [strikker.id]);
  assert.deepEqual(await search('strikke'), [strikker.id]);
  // ... and "strikningen" the noun "Strikning"
  assert.deepEqual(await search('strikningen'), [strikning.id]);
  // all the words must match
  assert.deepEqual(await search('gåtur parken'), [gaatur.id]);
  assert.deepEqual(await search('gåtur kaffe'), []);
  // nothing but stop words finds nothing, and is no error
  assert.deepEqual(await search('og i på'), []);
  // the public listing searches the same way
  const pub = await (await call(k, 'GET', `/v1/public/events?centre=${c.slug}&q=g%C3%A5ture`)).json();
  assert.deepEqual(pub.items.map((e) => e.id), [gaatur.id, described.id]);
});

test('filters: dates in Copenhagen time, category, association, postal code, kind', async () => {
  const c = await freshCentre();
  const assoc = createAssociation(c.id);
  const cat = createCategory(c.id, 'Motion');
  // 23:30 UTC is already the next day in Copenhagen
  const d = new Date(Date.now() + 20 * DAY);
  const day = d.toISOString().slice(0, 10);
  const next = new Date(d.getTime() + DAY).toISOString().slice(0, 10);
  const late = await createEvent(c.token, { title: 'Natløb', starts_at: `${day}T23:30:00Z`, ends_at: `${next}T00:30:00Z`, postal_code: '8600', category_ids: [cat] });
  const noon = await createEvent(c.token, { title: 'Frokost', starts_at: `${day}T10:00:00Z`, ends_at: `${day}T11:00:00Z`, association_id: assoc.id, kind: 'info_meeting' });
  const ids = async (qs) => {
    const r = await get(c.token, `/v1/events?${qs}`);
    assert.equal(r.status, 200, qs);
    return (await r.json()).items.map((e) => e.id);
  };
  assert.deepEqual(await ids(`from=${day}&to=${day}`), [noon.id], 'the late one is on the next local day');
  assert.deepEqual(await ids(`from=${next}&to=${next}`), [late.id]);
  assert.deepEqual(await ids(`from=${day}T23:00:00Z`), [late.id]);
  assert.deepEqual(await ids(`to=${day}T10:00:00Z`), [noon.id], 'to with a time is inclusive');
  assert.deepEqual(await ids(`from=${encodeURIComponent(`${day}T13:00:00+02:00`)}`), [late.id]);
  assert.deepEqual(await ids(`category=${cat}`), [late.id]);
  assert.deepEqual(await ids(`association=${assoc.id}`), [noon.id]);
  assert.deepEqual(await ids('postal_code=8600'), [late.id]);
  assert.deepEqual(await ids('kind=info_meeting'), [noon.id]);
  assert.deepEqual(await ids('kind=activity&postal_code=8600'), [late.id]);
  assert.deepEqual(await ids('kind=guide_training'), []);
  const bad = await expectProblem(assert, await get(c.token, '/v1/events?postal_code=12&kind=party&category=x'), 422, 'validation_failed');
  assert.deepEqual(bad.errors.map((e) => e.field).sort(), ['category', 'kind', 'postal_code']);
  const dates = await expectProblem(assert, await get(c.token, '/v1/events?from=2026-13-01&to=next%20week%20please'), 422, 'validation_failed');
  assert.deepEqual(dates.errors.map((e) => `${e.field}:${e.code}`), ['from:invalid_format', 'to:invalid_format']);
  // an admin lists every centre's events
  const admin = await (await get(w.tokens.national.admin, `/v1/events?postal_code=8600&from=${next}&to=${next}`)).json();
  assert.ok(admin.items.some((e) => e.id === late.id));
});

test('keyset pagination by time, and by relevance with q', async () => {
  const c = await freshCentre();
  const made = [];
  for (let i = 0; i < 5; i++) made.push((await createEvent(c.token, { title: `Gåtur nummer ${i}`, starts_at: at(30 + (i % 3), 9 + i) })).id);
  // two at exactly the same time: the id breaks the tie
  made.push((await createEvent(c.token, { title: 'Gåtur samme tid', starts_at: at(30, 9) })).id);
  const expected = psql(`SELECT string_agg(id::text, ',' ORDER BY starts_at, id) FROM event WHERE centre_id = '${c.id}'`).split(',');
  const pages = [];
  let url = '/v1/events?limit=2';
  while (url) {
    const r = await get(c.token, url);
    assert.equal(r.status, 200);
    const body = await r.json();
    pages.push(body.items.map((e) => e.id));
    url = body.next;
    if (url) assert.match(url, /^\/v1\/events\?limit=2&cursor=/);
  }
  assert.deepEqual(pages.map((p) => p.length), [2, 2, 2]);
  assert.deepEqual(pages.flat(), expected);
  // with q: ranked (title matches are all equally good here), paged the same way
  const ranked = [];
  url = `/v1/events?q=${encodeURIComponent('gåture')}&limit=4`;
  while (url) {
    const body = await (await get(c.token, url)).json();
    ranked.push(...body.items.map((e) => e.id));
    url = body.next;
  }
  assert.deepEqual([...ranked].sort(), [...expected].sort(), 'every match once');
  // a cursor is checked
  await expectProblem(assert, await get(c.token, '/v1/events?cursor=not-a-cursor'), 422, 'validation_failed');
  await expectProblem(assert, await get(c.token, `/v1/events?q=tur&cursor=${encodeURIComponent(`2026-01-01T00:00:00Z_${randomUUID()}`)}`), 422, 'validation_failed');
  await expectProblem(assert, await get(c.token, '/v1/events?limit=0'), 422, 'validation_failed');
});

// --- the public listing ---------------------------------------------------------------

test('the public listing: no credential, public fields only, one centre', async () => {
  const c = await freshCentre();
  const assoc = createAssociation(c.id, uniq('Sangkoret'));
  const cat = createCategory(c.id, 'Sang');
  const e = await createEvent(c.token, {
    title: 'Fællessang', description: 'Alle kan synge med.', internal_note: 'Pianisten er syg', capacity: 30,
    address: 'Torvet 1', postal_code: '8600', online_url: 'https://sang.example.invalid', accessibility: 'Elevator',
    association_id: assoc.id, category_ids: [cat],
  });
  insertEvent(c.id, { kind: 'activity', startsIn: -3 }); // ended: not shown by default
  await createEvent(w.tokens.A.coordinator, { title: 'Fællessang i A' }); // another centre
  for (const centre of [c.slug, c.id, c.id.toUpperCase()]) {
    const res = await k.fetch(`/v1/public/events?centre=${centre}`);
    assert.equal(res.status, 200, centre);
    const body = await res.json();
    assert.equal(body.items.length, 1, centre);
    assert.deepEqual(body.items[0], {
      id: e.id, kind: 'activity', title: 'Fællessang', description: 'Alle kan synge med.', starts_at: e.starts_at,
      ends_at: e.ends_at, address: 'Torvet 1', postal_code: '8600', online_url: 'https://sang.example.invalid',
      accessibility: 'Elevator', categories: e.categories, association_id: assoc.id, association_name: assoc.name, cancelled: false,
    });
    assert.equal(body.next, null);
  }
  const text = await (await k.fetch(`/v1/public/events?centre=${c.slug}`)).text();
  for (const hidden of ['internal_note', 'Pianisten', 'capacity', 'signups', 'places_left', 'created_by', 'centre_id']) {
    assert.ok(!text.includes(hidden), `no ${hidden} in the public listing`);
  }
  // the past is there when asked for
  const past = await (await k.fetch(`/v1/public/events?centre=${c.slug}&from=2000-01-01`)).json();
  assert.equal(past.items.length, 2);
  // filters
  assert.equal((await (await k.fetch(`/v1/public/events?centre=${c.slug}&category=${cat}&postal_code=8600&kind=activity&association=${assoc.id}`)).json()).items.length, 1);
  assert.equal((await (await k.fetch(`/v1/public/events?centre=${c.slug}&kind=info_meeting`)).json()).items.length, 0);
  // a token is not needed and changes nothing
  assert.equal((await call(k, 'GET', `/v1/public/events?centre=${c.slug}`, { token: w.tokens.A.coordinator })).status, 200);
  await expectProblem(assert, await k.fetch('/v1/public/events'), 422, 'validation_failed');
  await expectProblem(assert, await k.fetch(`/v1/public/events?centre=${uniq('nowhere')}`), 404, 'not_found');
  await expectProblem(assert, await k.fetch(`/v1/public/events?centre=${c.slug}&include_cancelled=true`), 422, 'validation_failed');
});

// --- sign-ups ------------------------------------------------------------------------

test('sign-ups: a guide for trainings, a contact for workshops, a coordinator for a volunteer', async () => {
  const training = await createEvent(w.tokens.A.coordinator, { kind: 'guide_training', title: 'Guideuddannelse', capacity: 10 });
  let r = await post(A.guide.token, `/v1/events/${training.id}/signups`, {});
  assert.equal(r.status, 201);
  const s = await r.json();
  assert.equal(r.headers.get('location'), `/v1/events/${training.id}/signups/${s.id}`);
  assert.deepEqual(Object.keys(s).sort(), ['account_id', 'cancelled_at', 'created_at', 'event_id', 'id', 'name', 'volunteer_id']);
  assert.equal(s.volunteer_id, A.guide.volunteerId);
  assert.equal(s.account_id, null);
  assert.equal(s.event_id, training.id);
  assert.equal(s.cancelled_at, null);
  let e = await (await get(w.tokens.A.coordinator, `/v1/events/${training.id}`)).json();
  assert.equal(e.signups, 1);
  assert.equal(e.places_left, 9);
  // twice is a conflict
  r = await post(A.guide.token, `/v1/events/${training.id}/signups`, {});
  assert.equal((await expectProblem(assert, r, 409, 'conflict')).errors[0].code, 'already_taken');
  // a guide signs up only themselves
  r = await post(A.guide.token, `/v1/events/${training.id}/signups`, { volunteer_id: A.guide.volunteerId });
  await expectProblem(assert, r, 403, 'forbidden');
  // trainings are not for association contacts, workshops not for volunteers
  await expectProblem(assert, await post(A.contact.token, `/v1/events/${training.id}/signups`, {}), 422, 'validation_failed');
  const workshop = await createEvent(w.tokens.A.coordinator, { kind: 'welcome_workshop', title: 'Velkomstworkshop' });
  await expectProblem(assert, await post(A.guide.token, `/v1/events/${workshop.id}/signups`, {}), 422, 'validation_failed');
  r = await post(A.contact.token, `/v1/events/${workshop.id}/signups`, {});
  assert.equal(r.status, 201);
  assert.equal((await r.json()).account_id, A.contact.account.id);
  // activities take no sign-ups
  const activity = await createEvent(w.tokens.A.coordinator);
  await expectProblem(assert, await post(A.guide.token, `/v1/events/${activity.id}/signups`, {}), 422, 'validation_failed');
  // a coordinator signs up a volunteer, or a contact, of the centre
  const other = await createGuide(w.A.id);
  r = await post(w.tokens.A.coordinator, `/v1/events/${training.id}/signups`, { volunteer_id: other.volunteerId });
  assert.equal(r.status, 201);
  const meeting = await createEvent(w.tokens.A.coordinator, { kind: 'info_meeting', title: 'Informationsmøde' });
  r = await post(w.tokens.A.coordinator, `/v1/events/${meeting.id}/signups`, { account_id: A.contact.account.id });
  assert.equal(r.status, 201);
  await expectProblem(assert, await post(w.tokens.A.coordinator, `/v1/events/${meeting.id}/signups`, {}), 422, 'validation_failed');
  await expectProblem(assert, await post(w.tokens.A.coordinator, `/v1/events/${meeting.id}/signups`, { volunteer_id: B.guide.volunteerId }), 422, 'validation_failed');
  await expectProblem(assert, await post(w.tokens.A.coordinator, `/v1/events/${meeting.id}/signups`, { account_id: w.accounts.A.guide.id }), 422, 'validation_failed');
  // a guide without a volunteer record
  await expectProblem(assert, await post(w.tokens.A.guide, `/v1/events/${meeting.id}/signups`, {}), 403, 'forbidden');

  // the coordinator's list, and cancelling
  r = await get(w.tokens.A.coordinator, `/v1/events/${training.id}/signups`);
  assert.equal(r.status, 200);
  let list = await r.json();
  assert.deepEqual(list.items.map((x) => x.volunteer_id), [A.guide.volunteerId, other.volunteerId]);
  assert.equal(list.items[0].name, `Guide ${A.guide.account.email}`);
  // a guide cannot cancel another's sign-up
  await expectProblem(assert, await call(k, 'DELETE', `/v1/events/${training.id}/signups/${list.items[1].id}`, { token: A.guide.token }), 404, 'not_found');
  r = await call(k, 'DELETE', `/v1/events/${training.id}/signups/${s.id}`, { token: A.guide.token });
  assert.equal(r.status, 204);
  assert.equal((await call(k, 'DELETE', `/v1/events/${training.id}/signups/${s.id}`, { token: A.guide.token })).status, 204, 'again: still cancelled');
  await expectProblem(assert, await call(k, 'DELETE', `/v1/events/${workshop.id}/signups/${s.id}`, { token: w.tokens.A.coordinator }), 404, 'not_found');
  list = await (await get(w.tokens.A.coordinator, `/v1/events/${training.id}/signups`)).json();
  assert.deepEqual(list.items.map((x) => x.volunteer_id), [other.volunteerId]);
  list = await (await get(w.tokens.A.coordinator, `/v1/events/${training.id}/signups?include_cancelled=true`)).json();
  assert.equal(list.items.length, 2);
  assert.match(list.items[0].cancelled_at, RFC3339_UTC);
  e = await (await get(w.tokens.A.coordinator, `/v1/events/${training.id}`)).json();
  assert.equal(e.signups, 1);
  // and the guide may sign up again
  assert.equal((await post(A.guide.token, `/v1/events/${training.id}/signups`, {})).status, 201);
});

test('my_signup_id: each caller sees their own active sign-up on the event and in the list', async () => {
  const training = await createEvent(w.tokens.A.coordinator, { kind: 'info_meeting', title: uniq('Møde') });
  const mine = async (token) => (await (await get(token, `/v1/events/${training.id}`)).json()).my_signup_id;
  const listed = async (token) => (await (await get(token, `/v1/events?limit=200&from=${training.starts_at}&to=${training.starts_at}`)).json())
    .items.find((x) => x.id === training.id).my_signup_id;
  assert.equal(await mine(A.guide.token), null, 'nobody signed up yet');
  const g = await (await post(A.guide.token, `/v1/events/${training.id}/signups`, {})).json();
  const c = await (await post(A.contact.token, `/v1/events/${training.id}/signups`, {})).json();
  assert.equal(await mine(A.guide.token), g.id, 'the guide sees their own sign-up');
  assert.equal(await mine(A.contact.token), c.id, 'the association contact sees theirs');
  assert.equal(await listed(A.guide.token), g.id, 'the list carries it too');
  assert.equal(await mine(w.tokens.A.coordinator), null, 'a coordinator has no sign-up of their own');
  const other = await createGuide(w.A.id);
  assert.equal(await mine(other.token), null, 'another guide does not see it');
  // a sign-up a coordinator made for the guide is the guide's own too
  const meeting = await createEvent(w.tokens.A.coordinator, { kind: 'guide_training' });
  const made = await (await post(w.tokens.A.coordinator, `/v1/events/${meeting.id}/signups`, { volunteer_id: other.volunteerId })).json();
  assert.equal((await (await get(other.token, `/v1/events/${meeting.id}`)).json()).my_signup_id, made.id);
  // cancelled: gone; signed up again: the new one
  assert.equal((await call(k, 'DELETE', `/v1/events/${training.id}/signups/${g.id}`, { token: A.guide.token })).status, 204);
  assert.equal(await mine(A.guide.token), null);
  const again = await (await post(A.guide.token, `/v1/events/${training.id}/signups`, {})).json();
  assert.equal(await mine(A.guide.token), again.id);
});

test('sign-ups: not for cancelled or past events; capacity cannot drop below them', async () => {
  const cancelled = insertEvent(w.A.id, { cancelled: true });
  await expectProblem(assert, await post(A.guide.token, `/v1/events/${cancelled}/signups`, {}), 409, 'conflict');
  const past = insertEvent(w.A.id, { startsIn: -1 });
  await expectProblem(assert, await post(A.guide.token, `/v1/events/${past}/signups`, {}), 409, 'conflict');
  const e = await createEvent(w.tokens.A.coordinator, { kind: 'info_meeting', capacity: 5 });
  assert.equal((await post(A.guide.token, `/v1/events/${e.id}/signups`, {})).status, 201);
  assert.equal((await post(A.contact.token, `/v1/events/${e.id}/signups`, {})).status, 201);
  const r = await patch(w.tokens.A.coordinator, `/v1/events/${e.id}`, { capacity: 1 });
  assert.equal((await expectProblem(assert, r, 409, 'conflict')).errors[0].field, 'capacity');
  assert.equal((await patch(w.tokens.A.coordinator, `/v1/events/${e.id}`, { capacity: 2 })).status, 200);
  const full = await post(w.tokens.A.coordinator, `/v1/events/${e.id}/signups`, { volunteer_id: (await createGuide(w.A.id)).volunteerId });
  assert.equal((await expectProblem(assert, full, 409, 'conflict')).errors[0].field, 'capacity');
  // the database refuses too: a count above capacity breaks a constraint
  const err = psqlTry(`UPDATE event SET signup_count = 3 WHERE id = '${e.id}'`);
  assert.notEqual(err.code, 0);
  assert.match(err.stderr, /event_capacity_kept/);
});

test('parallel sign-ups for the last place: exactly one wins', async () => {
  const e = await createEvent(w.tokens.A.coordinator, { kind: 'guide_training', capacity: 2 });
  assert.equal((await post(A.guide.token, `/v1/events/${e.id}/signups`, {})).status, 201);
  const guides = [];
  for (let i = 0; i < 6; i++) guides.push(await createGuide(w.A.id));
  const answers = await Promise.all(guides.map((g) => post(g.token, `/v1/events/${e.id}/signups`, {})));
  const statuses = answers.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409]);
  for (const r of answers.filter((x) => x.status === 409)) await expectProblem(assert, r, 409, 'conflict');
  assert.equal(psql(`SELECT count(*) FROM event_signup WHERE event_id = '${e.id}' AND cancelled_at IS NULL`), '2');
  assert.equal(psql(`SELECT signup_count FROM event WHERE id = '${e.id}'`), '2');
});

// --- isolation, idempotency -----------------------------------------------------------

test('another centre\'s event is 404 everywhere, and never listed', async () => {
  const e = await createEvent(w.tokens.A.coordinator, { kind: 'info_meeting', title: 'Kun i A' });
  for (const token of [w.tokens.B.coordinator, w.tokens.B.guide, w.tokens.B.association]) {
    await expectProblem(assert, await get(token, `/v1/events/${e.id}`), 404, 'not_found');
  }
  await expectProblem(assert, await patch(w.tokens.B.coordinator, `/v1/events/${e.id}`, { title: 'Kapret' }), 404, 'not_found');
  await expectProblem(assert, await get(w.tokens.B.coordinator, `/v1/events/${e.id}/signups`), 404, 'not_found');
  await expectProblem(assert, await post(B.guide.token, `/v1/events/${e.id}/signups`, {}), 404, 'not_found');
  await expectProblem(assert, await post(w.tokens.B.coordinator, `/v1/events/${e.id}/signups`, { volunteer_id: B.guide.volunteerId }), 404, 'not_found');
  const listed = await (await get(w.tokens.B.coordinator, '/v1/events?limit=200&include_cancelled=true&from=2000-01-01')).json();
  assert.ok(listed.items.every((x) => x.centre_id === w.B.id));
  assert.equal(psql(`SELECT title FROM event WHERE id = '${e.id}'`), 'Kun i A');
  const pub = await (await k.fetch(`/v1/public/events?centre=${w.B.slug}&limit=200`)).json();
  assert.ok(!pub.items.some((x) => x.id === e.id));
});

test('row-level security: sign-ups and series as kompasd sees them in the database', async () => {
  const e = await createEvent(w.tokens.A.coordinator, { kind: 'info_meeting' });
  await post(A.guide.token, `/v1/events/${e.id}/signups`, {});
  await post(A.contact.token, `/v1/events/${e.id}/signups`, {});
  const as = (role, centre, account, sql) => psql(`BEGIN; DO $$ BEGIN PERFORM kompas_set_context('${role}', ${centre ? `'${centre}'` : 'NULL'}, ${account ? `'${account}'` : 'NULL'}); END $$; ${sql}; ROLLBACK;`, { user: 'kompasd' });
  const count = `SELECT count(*) FROM event_signup WHERE event_id = '${e.id}'`;
  assert.equal(as('coordinator', w.A.id, w.accounts.A.coordinator.id, count), '2');
  assert.equal(as('guide', w.A.id, A.guide.account.id, count), '1', 'a guide sees their own sign-up');
  assert.equal(as('association', w.A.id, A.contact.account.id, count), '1');
  assert.equal(as('guide', w.A.id, w.accounts.A.guide.id, count), '0');
  assert.equal(as('coordinator', w.B.id, w.accounts.B.coordinator.id, count), '0');
  assert.equal(psql(count, { user: 'kompasd' }), '0', 'no context, no rows');
  assert.equal(as('guide', w.A.id, A.guide.account.id, 'SELECT count(*) FROM event_series'), '0', 'series templates are for staff');
  // a guide cannot change an event, even one it sees
  assert.equal(as('guide', w.A.id, A.guide.account.id, `WITH u AS (UPDATE event SET title = 'Hacket' WHERE id = '${e.id}' RETURNING 1) SELECT count(*) FROM u`), '0');
  // the public view needs no context and has no internal columns
  assert.equal(psql(`SELECT count(*) FROM event_public WHERE id = '${e.id}'`, { user: 'kompasd' }), '1');
  assert.equal(psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'event_public' AND column_name IN ('internal_note', 'capacity', 'signup_count', 'created_by')"), '0');
});

test('Idempotency-Key: a retried POST makes nothing twice', async () => {
  const key = uniq('idem');
  const body = eventBody({ title: uniq('Idempotent') });
  const first = await post(w.tokens.A.coordinator, '/v1/events', body, { 'Idempotency-Key': key });
  assert.equal(first.status, 201);
  const a = await first.json();
  const again = await post(w.tokens.A.coordinator, '/v1/events', body, { 'Idempotency-Key': key });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.headers.get('location'), `/v1/events/${a.id}`);
  assert.deepEqual(await again.json(), a);
  assert.equal(psql(`SELECT count(*) FROM event WHERE title = '${body.title}'`), '1');
  const other = await post(w.tokens.A.coordinator, '/v1/events', { ...body, title: 'Noget andet' }, { 'Idempotency-Key': key });
  await expectProblem(assert, other, 422, 'idempotency_key_reused');

  const skey = uniq('idem-series');
  const sbody = { kind: 'activity', title: uniq('Serie'), starts_at: at(4), ends_at: at(4, 12), frequency: 'weekly', count: 3 };
  const s1 = await (await post(w.tokens.A.coordinator, '/v1/event-series', sbody, { 'Idempotency-Key': skey })).json();
  const s2 = await post(w.tokens.A.coordinator, '/v1/event-series', sbody, { 'Idempotency-Key': skey });
  assert.equal(s2.status, 201);
  assert.deepEqual(await s2.json(), s1);
  assert.equal(psql(`SELECT count(*) FROM event WHERE title = '${sbody.title}'`), '3');
  // a sign-up too
  const meeting = await createEvent(w.tokens.A.coordinator, { kind: 'info_meeting' });
  const gkey = uniq('idem-signup');
  const g1 = await post(A.guide.token, `/v1/events/${meeting.id}/signups`, {}, { 'Idempotency-Key': gkey });
  const g2 = await post(A.guide.token, `/v1/events/${meeting.id}/signups`, {}, { 'Idempotency-Key': gkey });
  assert.equal(g1.status, 201);
  assert.equal(g2.status, 201);
  assert.deepEqual(await g2.json(), await g1.json());
});
