// Personal data: sealed at rest, opened only for the right row and field,
// exact search through blind indexes, the portal's idempotent intake
// without personal data in its answers, and the access log (one entry per
// access, append-only for kompasd).
//
// The database is shared with other test files that may run at the same
// time: everything here is made in this file's own centres (makeWorld) with
// unique values, and counted by its own ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import { startKompasd, expectProblem, psql, until } from './harness.mjs';
import { makeWorld, uniq, auth, psqlTry, JSON_HEADERS } from './fixtures.mjs';

let k;
let world;

before(async () => {
  k = await startKompasd();
  world = await makeWorld(k);
});
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

const SEALED = ['name', 'phone', 'email', 'address', 'notes'];
const STATUS_KEYS = ['created_at', 'id', 'portal_reference', 'status', 'updated_at'];
const HASH_PARAM = /^\\x[0-9a-f]{64}$/;

// The id of the key new values are sealed with: the highest data key id in
// the key file kompasd runs with (1 for a fresh file of gen-keyfile).
function activeKeyId() {
  const text = fs.readFileSync(process.env.KOMPAS_CRYPTO_KEY_FILE, 'utf8');
  const ids = [...text.matchAll(/^\s*data\s+(\d+)\s/gm)].map((m) => Number(m[1]));
  assert.ok(ids.length > 0, 'the key file has a data key');
  return Math.max(...ids);
}

// A Danish 8-digit number nobody else in this run uses.
function uniquePhone() {
  return `${randomInt(2, 10)}${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
}
const spaced = (p) => p.match(/../g).join(' '); // "20304050" -> "20 30 40 50"

// A citizen with distinctive values in every sealed field; every one made
// is remembered, for the check of kompasd's log at the end.
const citizens = [];
function citizen(tag = uniq('cz')) {
  const phone = uniquePhone();
  return remember({
    name: `Åse Ærbø-Østergård ${tag}`,
    phone: `+45 ${spaced(phone)}`,
    email: `Aase.${tag}@Example.DK`,
    address: `Søndergade 7, 2. th.\n5970 Ærøskøbing ${tag}`,
    notes: `Første henvendelse: ønsker en Kompasguide (æøå ÆØÅ).\nAnden linje ${tag}`,
    digits: phone,
    tag,
  });
}
function remember(c) {
  citizens.push(c);
  return c;
}
const personal = (c) => ({ name: c.name, phone: c.phone, email: c.email, address: c.address, notes: c.notes });

// The citizen's personal fields of a full request, checked to be all there
// is in `citizen` (besides, perhaps, the request's postal code, which is not
// sealed and is checked apart with postalCode()).
function citizenFields(body) {
  const extra = Object.keys(body.citizen).filter((key) => !SEALED.includes(key) && key !== 'postal_code');
  assert.deepEqual(extra, [], 'citizen holds the personal fields only');
  return Object.fromEntries(SEALED.map((f) => [f, body.citizen[f]]));
}
const postalCode = (body) => ('postal_code' in body ? body.postal_code : body.citizen.postal_code);

async function postRequest(token, body) {
  const res = await k.fetch('/v1/requests', {
    method: 'POST', headers: auth(token, JSON_HEADERS), body: JSON.stringify(body),
  });
  const text = await res.text();
  return { res, text, body: text ? JSON.parse(text) : null };
}

// A coordinator of centre (A or B) records a request for c; 201 checked.
async function createRequest(c, centre = 'A', extra = {}) {
  const r = await postRequest(world.tokens[centre].coordinator,
    { source: 'phone', citizen: personal(c), postal_code: '5970', ...extra });
  assert.equal(r.res.status, 201, r.text);
  return r.body;
}

async function get(token, path) {
  const res = await k.fetch(path, { headers: auth(token) });
  const text = await res.text();
  return { res, text, body: text ? JSON.parse(text) : null, rid: res.headers.get('x-request-id') };
}

// Every value of c that must never appear outside the coordinator's view,
// in the forms it could take (as sent, normalised, JSON-escaped).
function secrets(c) {
  const values = [...Object.values(personal(c)), c.digits, `+45${c.digits}`, c.email.toLowerCase(), c.tag];
  return [...values, ...values.map((v) => JSON.stringify(v).slice(1, -1))];
}
function assertNoSecrets(text, c, what) {
  for (const s of secrets(c)) assert.ok(!text.includes(s), `${what} must not contain ${JSON.stringify(s)}: ${text}`);
}

// PostgreSQL's escape encoding of bytea, for comparison with encode(x, 'escape').
function escapeEncode(s) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0 || b >= 0x80) out += `\\${b.toString(8).padStart(3, '0')}`;
    else if (b === 0x5c) out += '\\\\';
    else out += String.fromCharCode(b);
  }
  return out;
}

// True when any 5-byte window of plain's UTF-8 bytes occurs in bytes.
function sharesBytes(bytes, plain) {
  const p = Buffer.from(plain, 'utf8');
  for (let i = 0; i + 5 <= p.length; i++) if (bytes.indexOf(p.subarray(i, i + 5)) >= 0) return true;
  return false;
}

// Access-log entries (as JSON objects), oldest first.
function accessLog(where) {
  return JSON.parse(psql(`SELECT coalesce(json_agg(a ORDER BY a.id), '[]') FROM access_log a WHERE ${where}`));
}
const logOfSubject = (id) => accessLog(`subject_id = '${id}'`);
const logOfRequest = (rid) => accessLog(`request_id = '${rid}'`);

// The error kompasd logs when a request's sealed field does not open: the
// first error line naming id among the lines from index `from` on.
function waitForDecryptError(id, from) {
  const isIt = (l) => {
    try {
      const j = JSON.parse(l);
      return j.level === 'error' && typeof j.msg === 'string' && j.msg.includes(id);
    } catch {
      return false;
    }
  };
  return until(() => k.lines.slice(from).find(isIt), { timeoutMs: 10000 });
}

async function assertHealthy() {
  const res = await k.fetch('/healthz');
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

// ---- encryption at rest --------------------------------------------------

test('personal fields are sealed at rest: key id, nonce, tag, no plaintext anywhere in the row', async () => {
  const c = citizen();
  const created = await createRequest(c);
  const id = created.id;
  const cols = SEALED.map((f) => `'${f}_hex', encode(${f}_sealed, 'hex'), '${f}_esc', encode(${f}_sealed, 'escape'),`
    + ` '${f}_len', length(${f}_sealed), '${f}_kid', get_byte(${f}_sealed, 0) * 256 + get_byte(${f}_sealed, 1)`).join(', ');
  const row = JSON.parse(psql(`SELECT json_build_object(${cols},
      'phone_bidx_len', length(phone_bidx), 'email_bidx_len', length(email_bidx),
      'phone_bidx', encode(phone_bidx, 'hex'), 'email_bidx', encode(email_bidx, 'hex'),
      'row', row_to_json(r)::text) FROM request r WHERE id = '${id}'`));
  const keyId = activeKeyId();
  for (const f of SEALED) {
    const plain = c[f];
    const hex = row[`${f}_hex`];
    const bytes = Buffer.from(hex, 'hex');
    assert.equal(row[`${f}_len`], Buffer.byteLength(plain, 'utf8') + 42, `${f}: plaintext + 2 key id + 24 nonce + 16 tag`);
    assert.equal(bytes.length, row[`${f}_len`]);
    assert.equal(row[`${f}_kid`], keyId, `${f} is sealed with the active key`);
    assert.equal(bytes.readUInt16BE(0), keyId);
    assert.ok(!hex.includes(Buffer.from(plain, 'utf8').toString('hex')), `${f}: no plaintext bytes (hex)`);
    assert.ok(!sharesBytes(bytes, plain), `${f}: no 5 bytes of the plaintext in the sealed value`);
    const esc = row[`${f}_esc`];
    assert.ok(!esc.includes(escapeEncode(plain)), `${f}: no plaintext (escape)`);
    assert.ok(!esc.includes(c.tag), `${f}: not even the tag (escape)`);
  }
  // every sealed value has its own nonce
  const nonces = new Set(SEALED.map((f) => row[`${f}_hex`].slice(4, 52)));
  assert.equal(nonces.size, SEALED.length);
  assert.equal(row.phone_bidx_len, 32);
  assert.equal(row.email_bidx_len, 32);
  assert.notEqual(row.phone_bidx, row.email_bidx);
  // nothing in the whole row gives the citizen away
  assertNoSecrets(row.row, c, 'the row');
  for (const v of Object.values(personal(c))) {
    assert.ok(!row.row.includes(Buffer.from(v, 'utf8').toString('hex')), `the row has no hex of ${v}`);
  }
  assert.ok(!row.row.includes('Søndergade') && !row.row.includes('S\\u00f8ndergade'));
  // the statistics fields are not sealed
  const plainCols = JSON.parse(row.row);
  assert.equal(plainCols.postal_code, '5970');
  assert.equal(plainCols.source, 'phone');
  assert.equal(plainCols.centre_id, world.A.id);
});

test('GET /v1/requests/{id} returns exactly the citizen data that was sent', async () => {
  const c = citizen();
  const created = await createRequest(c, 'A', { age_band: '65-79', preferred_language: 'da' });
  assert.deepEqual(citizenFields(created), personal(c));
  assert.equal(postalCode(created), '5970');
  const r = await get(world.tokens.A.coordinator, `/v1/requests/${created.id}`);
  assert.equal(r.res.status, 200, r.text);
  assert.deepEqual(citizenFields(r.body), personal(c));
  assert.equal(postalCode(r.body), '5970');
  assert.equal(r.body.citizen.notes.split('\n')[1], `Anden linje ${c.tag}`);
  assert.equal(r.body.id, created.id);
  assert.equal(r.body.centre_id, world.A.id);
  assert.equal(r.body.source, 'phone');
  assert.equal(r.body.state, 'received');
  assert.equal(r.body.age_band, '65-79');
  assert.equal(r.body.preferred_language, 'da');
  assert.equal(r.body.anonymised, false);
  // absent optional fields come back as null, not as empty strings
  const c2 = citizen();
  const only = await createRequest({ ...c2, email: null, address: null, notes: null }, 'A');
  const r2 = await get(world.tokens.A.coordinator, `/v1/requests/${only.id}`);
  assert.equal(r2.res.status, 200, r2.text);
  assert.deepEqual(citizenFields(r2.body), { name: c2.name, phone: c2.phone, email: null, address: null, notes: null });
  assert.equal(psql(`SELECT (email_sealed IS NULL AND email_bidx IS NULL AND address_sealed IS NULL AND notes_sealed IS NULL)
                     FROM request WHERE id = '${only.id}'`), 't');
});

// ---- tampering and moving ------------------------------------------------

// A sealed field that does not open: 500 without any personal data, an
// error logged naming the request, no access-log entry, and kompasd lives.
async function expectBrokenRead(id, cs) {
  const before = logOfSubject(id).length;
  const from = k.lines.length;
  const res = await k.fetch(`/v1/requests/${id}`, { headers: auth(world.tokens.A.coordinator) });
  const text = await res.clone().text();
  const body = await expectProblem(assert, res, 500, 'internal_error');
  for (const c of cs) assertNoSecrets(text, c, 'the 500 answer');
  assert.equal(body.citizen, undefined);
  const line = await waitForDecryptError(id, from);
  for (const c of cs) assertNoSecrets(line, c, 'the error log line');
  assert.equal(logOfSubject(id).length, before, 'a read that failed is not logged as a read');
  assert.deepEqual(logOfRequest(body.request_id), []);
  await assertHealthy();
}

test('a tampered sealed field answers 500 without personal data and is logged', async () => {
  const c = citizen();
  const { id } = await createRequest(c);
  psql(`UPDATE request SET name_sealed = set_byte(name_sealed, 30, get_byte(name_sealed, 30) # 1) WHERE id = '${id}'`);
  await expectBrokenRead(id, [c]);
  // a search that finds it fails the same way, and logs no search entry
  const from = k.lines.length;
  const res = await searchRaw(world.tokens.A.coordinator, { phone: c.digits });
  const text = await res.clone().text();
  const body = await expectProblem(assert, res, 500, 'internal_error');
  assertNoSecrets(text, c, 'the search 500 answer');
  assertNoSecrets(await waitForDecryptError(id, from), c, 'the error log line');
  assert.deepEqual(logOfRequest(body.request_id), []);
  await assertHealthy();
  // only the tampered value breaks: flipping the bit back restores it
  psql(`UPDATE request SET name_sealed = set_byte(name_sealed, 30, get_byte(name_sealed, 30) # 1) WHERE id = '${id}'`);
  const r = await get(world.tokens.A.coordinator, `/v1/requests/${id}`);
  assert.equal(r.res.status, 200, r.text);
  assert.equal(r.body.citizen.name, c.name);
});

test('tampering with the key id, the nonce or the tag is detected as well', async () => {
  for (const [what, sql] of [
    ['key id', "set_byte(phone_sealed, 1, get_byte(phone_sealed, 1) # 2)"],
    ['nonce', "set_byte(phone_sealed, 2, get_byte(phone_sealed, 2) # 128)"],
    ['tag', 'set_byte(phone_sealed, length(phone_sealed) - 1, get_byte(phone_sealed, length(phone_sealed) - 1) # 1)'],
    ['length', 'substring(phone_sealed FROM 1 FOR length(phone_sealed) - 1)'],
  ]) {
    const c = citizen();
    const { id } = await createRequest(c);
    psql(`UPDATE request SET phone_sealed = ${sql} WHERE id = '${id}'`);
    await expectBrokenRead(id, [c]).catch((e) => { e.message = `${what}: ${e.message}`; throw e; });
  }
});

test('a sealed value moved to another row or field does not open', async () => {
  const cx = citizen();
  const cy = citizen();
  const x = await createRequest(cx);
  const y = await createRequest(cy);
  psql(`UPDATE request SET name_sealed = (SELECT name_sealed FROM request WHERE id = '${x.id}') WHERE id = '${y.id}'`);
  assert.equal(psql(`SELECT count(DISTINCT name_sealed) FROM request WHERE id IN ('${x.id}', '${y.id}')`), '1');
  await expectBrokenRead(y.id, [cx, cy]);
  // the original is untouched
  const rx = await get(world.tokens.A.coordinator, `/v1/requests/${x.id}`);
  assert.equal(rx.res.status, 200, rx.text);
  assert.equal(rx.body.citizen.name, cx.name);
  // within one row, from one field to another
  const cz = citizen();
  const z = await createRequest(cz);
  psql(`UPDATE request SET notes_sealed = email_sealed WHERE id = '${z.id}'`);
  await expectBrokenRead(z.id, [cz]);
});

// ---- blind-index search --------------------------------------------------

// POST /v1/requests/search: the criteria travel in the body, never in the URL.
function searchRaw(token, criteria) {
  return k.fetch('/v1/requests/search', {
    method: 'POST', headers: auth(token, JSON_HEADERS), body: JSON.stringify(criteria),
  });
}
async function search(token, criteria) {
  const res = await searchRaw(token, criteria);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body).sort(), ['items', 'more']);
  assert.equal(body.more, false);
  return { res, text, body, rid: res.headers.get('x-request-id') };
}

test('search by phone finds the request whatever the formatting', async () => {
  const c = citizen();
  const { id } = await createRequest(c); // sent as "+45 20 30 40 50"
  for (const q of [c.digits, spaced(c.digits), `+45${c.digits}`, `0045 ${spaced(c.digits)}`]) {
    const r = await search(world.tokens.A.coordinator, { phone: q });
    assert.deepEqual(r.body.items.map((i) => i.id), [id], `phone=${q}`);
    assert.deepEqual(citizenFields(r.body.items[0]), personal(c));
    assert.equal(postalCode(r.body.items[0]), '5970');
  }
  // another number finds nothing
  const other = await search(world.tokens.A.coordinator, { phone: uniquePhone() });
  assert.deepEqual(other.body.items, []);
  // a number that cannot be normalised is a validation error
  const bad = await searchRaw(world.tokens.A.coordinator, { phone: '12-34-56-7' });
  const badBody = await expectProblem(assert, bad, 422, 'validation_failed');
  assert.deepEqual(badBody.errors.map((e) => [e.field, e.code]), [['phone', 'invalid_format']]);
  assert.deepEqual(logOfRequest(badBody.request_id), [], 'a refused search is not logged');
  // search criteria are not accepted in a URL (they would end up in logs)
  const inUrl = await k.fetch(`/v1/requests?phone=${c.digits}`, { headers: auth(world.tokens.A.coordinator) });
  const inUrlBody = await expectProblem(assert, inUrl, 422, 'validation_failed');
  assert.deepEqual(inUrlBody.errors.map((e) => [e.field, e.code]), [['phone', 'unknown_field']]);
});

test('search by e-mail ignores upper and lower case', async () => {
  const c = citizen();
  const { id } = await createRequest(c); // Aase.<tag>@Example.DK
  for (const q of [c.email, c.email.toLowerCase(), c.email.toUpperCase()]) {
    const r = await search(world.tokens.A.coordinator, { email: q });
    assert.deepEqual(r.body.items.map((i) => i.id), [id], `email=${q}`);
    assert.equal(r.body.items[0].citizen.email, c.email, 'the e-mail comes back as it was sent');
  }
  const none = await search(world.tokens.A.coordinator, { email: `nobody.${c.tag}@example.dk` });
  assert.deepEqual(none.body.items, []);
});

test('search by reference: the portal reference as written or in capitals, or the beginning of the id; the list shows the needs', async () => {
  const cats = psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM (SELECT id FROM category WHERE centre_id IS NULL ORDER BY id LIMIT 2) c").split(',');
  const ref = uniq('SK-REF').toUpperCase();
  const c = citizen();
  const made = await createRequest(c, 'A', { portal_reference: ref, categories: cats });
  for (const reference of [ref, ref.toLowerCase(), made.id.slice(0, 8), made.id.slice(0, 8).toUpperCase(), made.id]) {
    const r = await search(world.tokens.A.coordinator, { reference });
    assert.deepEqual(r.body.items.map((i) => i.id), [made.id], `reference=${reference}`);
    assert.equal(r.body.items[0].citizen.name, c.name);
    const log = logOfRequest(r.rid);
    assert.deepEqual(log.map((e) => [e.action, e.subject_id, e.criterion?.reference]), [['search', made.id, reference]], 'the search is logged with its reference');
  }
  // too short a piece of the id, or another centre's request, finds nothing
  for (const reference of [made.id.slice(0, 7), `${ref}X`]) {
    const r = await search(world.tokens.A.coordinator, { reference });
    assert.deepEqual(r.body.items, [], `reference=${reference}`);
  }
  const fromB = await search(world.tokens.B.coordinator, { reference: ref });
  assert.deepEqual(fromB.body.items, []);
  // with a phone as well, both must match
  assert.deepEqual((await search(world.tokens.A.coordinator, { reference: ref, phone: c.digits })).body.items.map((i) => i.id), [made.id]);
  assert.deepEqual((await search(world.tokens.A.coordinator, { reference: ref, phone: uniquePhone() })).body.items, []);
  // nothing at all is refused on phone; an empty reference on reference
  const none = await expectProblem(assert, await searchRaw(world.tokens.A.coordinator, {}), 422, 'validation_failed');
  assert.deepEqual(none.errors.map((e) => [e.field, e.code]), [['phone', 'required']]);
  const empty = await expectProblem(assert, await searchRaw(world.tokens.A.coordinator, { reference: '' }), 422, 'validation_failed');
  assert.deepEqual(empty.errors.map((e) => e.field), ['reference']);
  // the list (without personal data) names the needs
  const list = await get(world.tokens.A.coordinator, `/v1/requests?received_from=${made.created_at.slice(0, 10)}&limit=200`);
  const entry = list.body.items.find((i) => i.id === made.id);
  assert.deepEqual(entry.categories, [...cats].sort());
  assertNoSecrets(list.text, c, 'the list');
});

test("centre A's coordinator does not find centre B's citizen", async () => {
  const c = citizen();
  const b = await createRequest(c, 'B');
  const fromA = await search(world.tokens.A.coordinator, { phone: c.digits });
  assert.deepEqual(fromA.body.items, []);
  const byMail = await search(world.tokens.A.coordinator, { email: c.email });
  assert.deepEqual(byMail.body.items, []);
  assertNoSecrets(fromA.text, c, "A's search answer");
  const fromB = await search(world.tokens.B.coordinator, { phone: c.digits });
  assert.deepEqual(fromB.body.items.map((i) => i.id), [b.id]);
  // nor by id
  const byId = await k.fetch(`/v1/requests/${b.id}`, { headers: auth(world.tokens.A.coordinator) });
  const text = await byId.clone().text();
  await expectProblem(assert, byId, 404, 'not_found');
  assertNoSecrets(text, c, "A's read of B's request");
});

test('a second request with the same phone or e-mail lists the first in possible_duplicates', async () => {
  const c = citizen();
  const first = await createRequest(c);
  assert.deepEqual(first.possible_duplicates, []);
  // the same number, written differently, another name and no e-mail
  const c2 = { ...citizen(), phone: c.digits, digits: c.digits };
  const second = await createRequest({ ...c2, email: null });
  assert.deepEqual(second.possible_duplicates, [first.id]);
  // the same e-mail in capitals with another phone: only the first has it
  const c3 = { ...citizen(), email: c.email.toUpperCase() };
  const third = await createRequest(c3);
  assert.deepEqual(third.possible_duplicates, [first.id]);
  // the same phone and e-mail: every earlier match, newest first
  const fourth = await createRequest({ ...citizen(), phone: `0045${c.digits}`, email: c.email });
  assert.deepEqual(fourth.possible_duplicates, [third.id, second.id, first.id]);
  // a duplicate in another centre is not mentioned
  const inB = await createRequest({ ...citizen(), phone: c.digits }, 'B');
  assert.deepEqual(inB.possible_duplicates, []);
  // and the search finds the centre's requests with that number, oldest first
  const r = await search(world.tokens.A.coordinator, { phone: c.digits });
  assert.deepEqual(r.body.items.map((i) => i.id), [first.id, second.id, fourth.id]);
});

// ---- the portal ------------------------------------------------------------

function assertStatusOnly(body, text, c, what) {
  assert.deepEqual(Object.keys(body).sort(), STATUS_KEYS, `${what}: only the status fields`);
  for (const key of [...SEALED, 'citizen', 'postal_code', 'possible_duplicates']) assert.equal(body[key], undefined, `${what}: no ${key}`);
  assertNoSecrets(text, c, what);
}

test('the portal: a repeated submission answers 200 with the first request, no personal data', async () => {
  const ref = uniq('portal-ref');
  const c = citizen();
  const first = await postRequest(world.tokens.A.portal, { portal_reference: ref, citizen: personal(c), postal_code: '5970' });
  assert.equal(first.res.status, 201, first.text);
  // the portal can follow the Location it is given
  const location = first.res.headers.get('location');
  assert.ok(location.startsWith(`/v1/requests/${first.body.id}`), location);
  const followed = await get(world.tokens.A.portal, location);
  assert.equal(followed.res.status, 200, `the portal follows Location ${location}: ${followed.text}`);
  assertStatusOnly(followed.body, followed.text, c, 'the Location');
  assertStatusOnly(first.body, first.text, c, 'the portal create answer');
  assert.equal(first.body.portal_reference, ref);
  assert.equal(first.body.status, 'received');
  const id = first.body.id;
  const count = () => Number(psql(`SELECT count(*) FROM request WHERE centre_id = '${world.A.id}' AND portal_reference = '${ref}'`));
  assert.equal(count(), 1);

  // the same submission again, and once with other data: the first stands
  const again = await postRequest(world.tokens.A.portal, { portal_reference: ref, citizen: personal(c), postal_code: '5970' });
  assert.equal(again.res.status, 200, again.text);
  assert.equal(again.body.id, id);
  assertStatusOnly(again.body, again.text, c, 'the repeated answer');
  const c2 = citizen();
  const changed = await postRequest(world.tokens.A.portal, { portal_reference: ref, source: 'portal', citizen: personal(c2) });
  assert.equal(changed.res.status, 200, changed.text);
  assert.equal(changed.body.id, id);
  assertStatusOnly(changed.body, changed.text, c2, 'the repeated answer with other data');
  assert.equal(count(), 1, 'no second row');
  const full = await get(world.tokens.A.coordinator, `/v1/requests/${id}`);
  assert.equal(full.body.citizen.name, c.name, 'the repeat changed nothing');
  assert.equal(full.body.source, 'portal');
  assert.equal(full.body.portal_reference, ref);

  // one create entry, by the portal's key
  const keyId = psql(`SELECT id FROM api_key WHERE centre_id = '${world.A.id}' AND role = 'portal'`);
  const creates = logOfSubject(id).filter((e) => e.action === 'create');
  assert.equal(creates.length, 1);
  assert.equal(creates[0].actor_kind, 'api_key');
  assert.equal(creates[0].actor_id, keyId);
  assert.equal(creates[0].actor_role, 'portal');
  assert.equal(creates[0].request_id, first.res.headers.get('x-request-id'));

  // the same reference from another centre's portal is another request
  const inB = await postRequest(world.tokens.B.portal, { portal_reference: ref, citizen: personal(c) });
  assert.equal(inB.res.status, 201, inB.text);
  assert.notEqual(inB.body.id, id);
  assert.equal(count(), 1);
});

test('the portal: simultaneous submissions with one reference make one request', async () => {
  const ref = uniq('portal-ref');
  const c = citizen();
  const answers = await Promise.all(Array.from({ length: 6 }, () =>
    postRequest(world.tokens.A.portal, { portal_reference: ref, citizen: personal(c) })));
  const statuses = answers.map((a) => a.res.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 201], answers.map((a) => a.text).join('\n'));
  const ids = new Set(answers.map((a) => a.body.id));
  assert.equal(ids.size, 1, 'every answer names the same request');
  const [id] = ids;
  for (const a of answers) assertStatusOnly(a.body, a.text, c, 'a simultaneous answer');
  assert.equal(psql(`SELECT count(*) FROM request WHERE centre_id = '${world.A.id}' AND portal_reference = '${ref}'`), '1');
  assert.deepEqual(logOfSubject(id).map((e) => e.action), ['create']);
});

test('GET /v1/requests/{id}/status shows no personal data, to the portal or a coordinator', async () => {
  const ref = uniq('portal-ref');
  const c = citizen();
  const created = await postRequest(world.tokens.A.portal, { portal_reference: ref, citizen: personal(c) });
  assert.equal(created.res.status, 201, created.text);
  for (const token of [world.tokens.A.portal, world.tokens.A.coordinator]) {
    const r = await get(token, `/v1/requests/${created.body.id}/status`);
    assert.equal(r.res.status, 200, r.text);
    assertStatusOnly(r.body, r.text, c, 'the status');
    assert.deepEqual(r.body, { ...created.body });
  }
  // the portal cannot read the request itself
  const full = await k.fetch(`/v1/requests/${created.body.id}`, { headers: auth(world.tokens.A.portal) });
  const text = await full.clone().text();
  await expectProblem(assert, full, 403, 'forbidden');
  assertNoSecrets(text, c, 'the 403 answer');
  // nor the other centre's portal the status
  const other = await k.fetch(`/v1/requests/${created.body.id}/status`, { headers: auth(world.tokens.B.portal) });
  await expectProblem(assert, other, 404, 'not_found');
});

// ---- the access log --------------------------------------------------------

test('the access log has exactly one entry per access to personal data', async () => {
  const coordinator = world.accounts.A.coordinator;
  const token = world.tokens.A.coordinator;
  const c = citizen();

  // create: one entry
  const made = await postRequest(token, { source: 'walk_in', citizen: personal(c) });
  assert.equal(made.res.status, 201, made.text);
  const id = made.body.id;
  assert.equal(made.res.headers.get('location'), `/v1/requests/${id}`);
  let log = logOfSubject(id);
  assert.equal(log.length, 1);
  assert.equal(log[0].action, 'create');
  assert.equal(log[0].subject, 'request');
  assert.equal(log[0].actor_kind, 'account');
  assert.equal(log[0].actor_id, coordinator.id);
  assert.equal(log[0].actor_role, 'coordinator');
  assert.equal(log[0].centre_id, world.A.id);
  assert.equal(log[0].criterion, null);
  assert.equal(log[0].request_id, made.res.headers.get('x-request-id'));
  assert.equal(typeof log[0].purpose, 'string');
  assertNoSecrets(JSON.stringify(log), c, 'the access log');

  // one read: exactly one more
  const read = await get(token, `/v1/requests/${id}`);
  assert.equal(read.res.status, 200, read.text);
  log = logOfSubject(id);
  assert.equal(log.length, 2);
  assert.equal(log[1].action, 'read');
  assert.equal(log[1].actor_role, 'coordinator');
  assert.equal(log[1].actor_id, coordinator.id);
  assert.equal(log[1].request_id, read.rid);
  assert.deepEqual(logOfRequest(read.rid).map((e) => e.subject_id), [id]);

  // the status holds no personal data: no entry
  for (const t of [token, world.tokens.A.portal]) {
    const st = await get(t, `/v1/requests/${id}/status`);
    assert.equal(st.res.status, 200, st.text);
    assert.deepEqual(logOfRequest(st.rid), []);
  }
  // nor does the list without search criteria
  const list = await get(token, '/v1/requests?limit=5');
  assert.equal(list.res.status, 200, list.text);
  for (const item of list.body.items) assert.equal(item.citizen, undefined);
  assert.deepEqual(logOfRequest(list.rid), []);
  assert.equal(logOfSubject(id).length, 2);

  // a search that matches two requests: one search entry for each
  const c2 = { ...citizen(), phone: c.digits, digits: c.digits };
  const second = await createRequest(c2);
  const found = await search(token, { phone: c.digits });
  assert.deepEqual(found.body.items.map((i) => i.id), [id, second.id]);
  const entries = logOfRequest(found.rid);
  assert.deepEqual(entries.map((e) => e.subject_id).sort(), [id, second.id].sort());
  const bidx = psql(`SELECT encode(phone_bidx, 'hex') FROM request WHERE id = '${id}'`);
  for (const e of entries) {
    assert.equal(e.action, 'search');
    assert.equal(e.actor_role, 'coordinator');
    assert.equal(e.actor_id, coordinator.id);
    assert.deepEqual(Object.keys(e.criterion), ['phone']);
    assert.match(e.criterion.phone, HASH_PARAM);
    assert.equal(e.criterion.phone, `\\x${bidx}`, 'the criterion is the blind index that was compared');
    const crit = JSON.stringify(e.criterion);
    for (const s of [c.digits, `+45${c.digits}`, spaced(c.digits)]) assert.ok(!crit.includes(s), `no plain number in ${crit}`);
  }
  assert.deepEqual(logOfSubject(id).map((e) => e.action), ['create', 'read', 'search']);
  assert.deepEqual(logOfSubject(second.id).map((e) => e.action), ['create', 'search']);

  // a search that matches nothing: one entry without a subject
  const nobody = uniquePhone();
  const none = await search(token, { phone: nobody });
  assert.deepEqual(none.body.items, []);
  const noneLog = logOfRequest(none.rid);
  assert.equal(noneLog.length, 1);
  assert.equal(noneLog[0].subject_id, null);
  assert.equal(noneLog[0].action, 'search');
  assert.equal(noneLog[0].centre_id, world.A.id);
  assert.match(noneLog[0].criterion.phone, HASH_PARAM);
  assert.ok(!JSON.stringify(noneLog[0].criterion).includes(nobody));
  const noMail = await search(token, { email: `nobody.${c.tag}@example.dk` });
  const mailLog = logOfRequest(noMail.rid);
  assert.equal(mailLog.length, 1);
  assert.equal(mailLog[0].subject_id, null);
  assert.deepEqual(Object.keys(mailLog[0].criterion), ['email']);
  assert.match(mailLog[0].criterion.email, HASH_PARAM);
  assert.ok(!JSON.stringify(mailLog[0]).includes('nobody'));

  // failed accesses write nothing
  const failures = [
    // a guide may read requests assigned to them: this one is not, so it is invisible
    [world.tokens.A.guide, `/v1/requests/${id}`, 404, 'not_found'],
    [world.tokens.A.guide, '/v1/requests/search', 403, 'forbidden', { phone: c.digits }],
    [world.tokens.B.portal, '/v1/requests/search', 403, 'forbidden', { phone: c.digits }],
    [world.tokens.A.association, `/v1/requests/${id}`, 403, 'forbidden'],
    [world.tokens.B.coordinator, `/v1/requests/${id}`, 404, 'not_found'],
    [world.tokens.B.coordinator, `/v1/requests/${id}/status`, 404, 'not_found'],
  ];
  for (const [t, p, status, code, body] of failures) {
    const res = await k.fetch(p, body
      ? { method: 'POST', headers: auth(t, JSON_HEADERS), body: JSON.stringify(body) }
      : { headers: auth(t) });
    const text = await res.clone().text();
    await expectProblem(assert, res, status, code);
    assertNoSecrets(text, c, `${p} (${status})`);
    assert.deepEqual(logOfRequest(res.headers.get('x-request-id')), [], `${p} (${status}) is not logged`);
  }
  const anon = await k.fetch(`/v1/requests/${id}`);
  await expectProblem(assert, anon, 401, 'unauthenticated');
  assert.deepEqual(logOfRequest(anon.headers.get('x-request-id')), []);
  assert.deepEqual(logOfSubject(id).map((e) => e.action), ['create', 'read', 'search']);
});

test('kompasd cannot change or delete access-log entries', async () => {
  const c = citizen();
  const { id } = await createRequest(c);
  const before = logOfSubject(id);
  assert.equal(before.length, 1);
  for (const sql of [
    `UPDATE access_log SET purpose = 'changed' WHERE subject_id = '${id}'`,
    `DELETE FROM access_log WHERE subject_id = '${id}'`,
    'TRUNCATE access_log',
  ]) {
    const r = psqlTry(sql, { user: 'kompasd' });
    assert.notEqual(r.code, 0, `${sql} must fail`);
    assert.match(r.stderr, /permission denied for table access_log/, sql);
  }
  assert.deepEqual(logOfSubject(id), before);
});

test("kompasd's log never contains a citizen's personal data", () => {
  assert.ok(citizens.length >= 20, `${citizens.length} citizens were made`);
  assert.ok(k.lines.length > 50, 'the log has lines to look at');
  const log = k.lines.join('\n');
  for (const c of citizens) assertNoSecrets(log, c, "kompasd's log");
});
