// Categories and associations (issue 4): the shared vocabulary and centres'
// additions, associations with their categories, who may see and change
// what (coordinators, guides, association contacts, the portal, admins),
// validation, If-Match, Idempotency-Key, keyset pages and filters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import {
  makeWorld, uniq, call, createCentre, createAccount, login, psqlTry,
  createAssociation, linkAssociationAccount, sharedCategory,
} from './fixtures.mjs';

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let k;
let w; // makeWorld: centres A and B, an account and token of every role
let own; // the association whose contact is w.accounts.A.association
let neighbour; // another association of A
let theirs; // an association of B
before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  own = await createAssociation(k, w.tokens.A.coordinator, {
    name: uniq('Ældre Sagen Odense'), contact_name: 'Karen Holm', contact_email: 'karen@aeldresagen.invalid',
    contact_phone: '+45 20 30 40 50', is_member: true, newcomer_places: 4,
  });
  linkAssociationAccount(w.accounts.A.association.id, own.id);
  neighbour = await createAssociation(k, w.tokens.A.coordinator, {
    name: uniq('Strikkecafé Vollsmose'), contact_email: 'strik@vollsmose.invalid', is_member: true,
  });
  theirs = await createAssociation(k, w.tokens.B.coordinator, { name: uniq('Silkeborg Gå-klub') });
});
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

const get = (p, token) => call(k, 'GET', p, { token });
const post = (p, token, body, headers) => call(k, 'POST', p, { token, body, headers });
const patch = (p, token, body, headers) => call(k, 'PATCH', p, { token, body, headers });
const coordA = () => w.tokens.A.coordinator;
const coordB = () => w.tokens.B.coordinator;
const admin = () => w.tokens.national.admin;

// Every page of a list, following next from path.
async function allPages(path, token) {
  const items = [];
  let next = path;
  let pages = 0;
  while (next) {
    const res = await get(next, token);
    assert.equal(res.status, 200, `${next}: ${res.status}`);
    const body = await res.json();
    items.push(...body.items);
    next = body.next;
    pages += 1;
    assert.ok(pages < 100, 'the pages end');
  }
  return { items, pages };
}

async function fieldErrors(res, status = 422, code = 'validation_failed') {
  const body = await expectProblem(assert, res, status, code);
  return Object.fromEntries(body.errors.map((e) => [e.field, e.code]));
}

// --- categories ----------------------------------------------------------------

const SEEDED = {
  activity: ['gaatur', 'faellesspisning', 'strikkeklub', 'kor-og-sang', 'braetspil', 'motion', 'naturoplevelser',
    'kreativt-vaerksted', 'sprogcafe', 'laesekreds', 'havefaellesskab', 'cykling'],
  target_group: ['aeldre', 'unge', 'psykisk-saarbare', 'nydanskere', 'familier', 'maend', 'paaroerende', 'mennesker-med-handicap'],
  need: ['ensomhed', 'social-angst', 'struktur-i-hverdagen', 'fysisk-aktivitet', 'at-laere-dansk', 'nye-venner'],
  interest: ['natur', 'musik', 'madlavning', 'haandarbejde', 'sport', 'kultur', 'spil', 'dyr'],
};

test('the shared vocabulary is seeded in Danish and English, and every role reads it', async () => {
  for (const token of [coordA(), w.tokens.A.guide, w.tokens.A.association, w.tokens.A.portal, admin(),
    w.tokens.national.analyst, w.tokens.national.analystKey]) {
    const { items } = await allPages('/v1/categories?limit=200', token);
    for (const [kind, slugs] of Object.entries(SEEDED)) {
      const shared = items.filter((c) => c.kind === kind && c.centre_id === null).map((c) => c.slug);
      for (const s of slugs) assert.ok(shared.includes(s), `${kind}/${s} is in the shared vocabulary`);
    }
  }
  const res = await get('/v1/categories?kind=activity&limit=200', w.tokens.A.portal);
  const body = await res.json();
  assert.ok(body.items.every((c) => c.kind === 'activity'));
  const walk = body.items.find((c) => c.slug === 'gaatur' && c.centre_id === null);
  assert.deepEqual(Object.keys(walk).sort(), ['centre_id', 'created_at', 'id', 'kind', 'name_da', 'name_en', 'slug', 'updated_at']);
  assert.equal(walk.name_da, 'Gåtur');
  assert.equal(walk.name_en, 'Walking group');
  assert.match(walk.id, UUID);
  assert.match(walk.created_at, RFC3339_UTC);
});

test('categories are ordered by kind, then by Danish name (æ, ø, å last)', async () => {
  const { items } = await allPages('/v1/categories?kind=target_group&limit=200', w.tokens.A.guide);
  const shared = items.filter((c) => c.centre_id === null && SEEDED.target_group.includes(c.slug)).map((c) => c.name_da);
  assert.deepEqual(shared, ['Familier', 'Mennesker med handicap', 'Mænd', 'Nydanskere', 'Psykisk sårbare', 'Pårørende', 'Unge', 'Ældre']);
  const all = (await allPages('/v1/categories?limit=200', w.tokens.A.guide)).items.map((c) => c.kind);
  assert.deepEqual(all, [...all].sort(), 'kinds in order');
});

// The base64url text cursor "<text bytes>.<uuid>" of bytes that are not
// UTF-8: 0xff 0xfe ("__4"), an overlong '/' (C0 AF), a UTF-16 surrogate
// (ED A0 80), a cut-off 'æ' (C3).
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const notUtf8Cursors = (prefix) => [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xc3]]
  .map((bytes) => `${b64url([...Buffer.from(prefix), ...bytes])}.${randomUUID()}`);

// A cursor whose text is not UTF-8 is answered as any other malformed cursor
// of list: the same 422 (code, detail, the one cursor field error), and the
// list's first page is what it was.
async function refusesNotUtf8(list, prefix, token) {
  const before = await (await get(`${list}?limit=200`, token)).json();
  const usual = await expectProblem(assert, await get(`${list}?cursor=garbage`, token), 422, 'validation_failed');
  assert.equal(usual.errors.length, 1);
  assert.equal(usual.errors[0].field, 'cursor');
  assert.equal(usual.errors[0].code, 'invalid_format');
  const cursors = notUtf8Cursors(prefix);
  if (!prefix) assert.equal(cursors[0].split('.')[0], '__4', 'the cursor of the report');
  for (const cursor of cursors) {
    const res = await get(`${list}?cursor=${encodeURIComponent(cursor)}`, token);
    const body = await expectProblem(assert, res, 422, 'validation_failed');
    const { request_id: _a, ...rest } = body;
    const { request_id: _b, ...expected } = usual;
    assert.deepEqual(rest, expected, cursor);
  }
  assert.deepEqual(await (await get(`${list}?limit=200`, token)).json(), before);
}

test('a category cursor whose text is not UTF-8 is refused with the usual 422, not a 500', async () => {
  await refusesNotUtf8('/v1/categories', 'interest/', coordA());
  await refusesNotUtf8('/v1/categories', '', coordA());
});

test('category pages: limit=3 following next gives every category once, in order', async () => {
  const whole = (await (await get('/v1/categories?kind=interest&limit=200', coordA())).json()).items;
  const { items, pages } = await allPages('/v1/categories?kind=interest&limit=3', coordA());
  assert.deepEqual(items.map((c) => c.id), whole.map((c) => c.id));
  assert.equal(pages, Math.ceil(whole.length / 3));
  const first = await (await get('/v1/categories?kind=interest&limit=3', coordA())).json();
  assert.match(first.next, /^\/v1\/categories\?kind=interest&limit=3&cursor=/);
  await expectProblem(assert, await get('/v1/categories?cursor=garbage', coordA()), 422, 'validation_failed');
  await expectProblem(assert, await get(`/v1/categories?cursor=${encodeURIComponent(`bm8tc2xhc2g.${randomUUID()}`)}`, coordA()), 422, 'validation_failed');
  await expectProblem(assert, await get('/v1/categories?kind=hobby', coordA()), 422, 'validation_failed');
});

test('a coordinator adds a category to their centre; other centres never see it', async () => {
  const slug = uniq('kortspil');
  const res = await post('/v1/categories', coordA(), { kind: 'activity', slug, name_da: 'Kortspil', name_en: 'Card games' });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('etag'), '"1"');
  const c = await res.json();
  assert.equal(res.headers.get('location'), `/v1/categories/${c.id}`);
  assert.equal(c.centre_id, w.A.id);
  assert.equal(c.slug, slug);
  // the centre's guide and portal see it; B's callers do not
  for (const t of [w.tokens.A.guide, w.tokens.A.portal]) {
    assert.equal((await get(`/v1/categories/${c.id}`, t)).status, 200);
    assert.ok((await allPages('/v1/categories?kind=activity&limit=200', t)).items.some((x) => x.id === c.id));
  }
  for (const t of [coordB(), w.tokens.B.portal]) {
    await expectProblem(assert, await get(`/v1/categories/${c.id}`, t), 404, 'not_found');
    assert.ok(!(await allPages('/v1/categories?kind=activity&limit=200', t)).items.some((x) => x.id === c.id));
  }
  // admins and analysts see every centre's; centre_id narrows an admin's list
  assert.equal((await get(`/v1/categories/${c.id}`, admin())).status, 200);
  assert.equal((await get(`/v1/categories/${c.id}`, w.tokens.national.analyst)).status, 200);
  const bOnly = (await allPages(`/v1/categories?centre_id=${w.B.id}&limit=200`, admin())).items;
  assert.ok(!bOnly.some((x) => x.id === c.id));
  assert.ok(bOnly.every((x) => x.centre_id === null || x.centre_id === w.B.id));
  // the same slug again in the same kind and centre: 409; in B: fine
  const again = await post('/v1/categories', coordA(), { kind: 'activity', slug, name_da: 'Kortspil 2', name_en: 'Cards' });
  assert.deepEqual(await fieldErrors(again, 409, 'conflict'), { slug: 'already_taken' });
  assert.equal((await post('/v1/categories', coordB(), { kind: 'activity', slug, name_da: 'Kortspil', name_en: 'Card games' })).status, 201);
});

test('coordinators cannot add to the shared vocabulary or to another centre; admins can', async () => {
  const body = { kind: 'need', slug: uniq('tryghed'), name_da: 'Tryghed', name_en: 'Feeling safe' };
  assert.deepEqual(await fieldErrors(await post('/v1/categories', coordA(), { ...body, centre_id: null }), 403, 'forbidden'), { centre_id: 'not_in_enum' });
  assert.deepEqual(await fieldErrors(await post('/v1/categories', coordA(), { ...body, centre_id: w.B.id }), 403, 'forbidden'), { centre_id: 'not_in_enum' });
  const shared = await post('/v1/categories', admin(), body);
  assert.equal(shared.status, 201);
  assert.equal((await shared.json()).centre_id, null);
  const forB = await post('/v1/categories', admin(), { ...body, slug: uniq('tryghed'), centre_id: w.B.id });
  assert.equal(forB.status, 201);
  assert.equal((await forB.json()).centre_id, w.B.id);
  assert.deepEqual(await fieldErrors(await post('/v1/categories', admin(), { ...body, slug: uniq('x'), centre_id: randomUUID() })), { centre_id: 'not_in_enum' });
});

test('category validation reports every failing field at once', async () => {
  const errors = await fieldErrors(await post('/v1/categories', coordA(), { kind: 'hobby', slug: 'Not A Slug', name_da: '', colour: 'red' }));
  assert.deepEqual(errors, { kind: 'not_in_enum', slug: 'invalid_format', name_da: 'too_short', name_en: 'required', colour: 'unknown_field' });
});

test('PATCH a category: names only, If-Match honoured, the shared vocabulary is for admins', async () => {
  const c = await (await post('/v1/categories', coordA(), { kind: 'interest', slug: uniq('fiskeri'), name_da: 'Fiskeri', name_en: 'Fishing' })).json();
  const p = `/v1/categories/${c.id}`;
  const got = await get(p, coordA());
  assert.equal(got.headers.get('etag'), '"1"');
  await expectProblem(assert, await patch(p, coordA(), { name_en: 'Angling' }, { 'If-Match': '"7"' }), 412, 'precondition_failed');
  await expectProblem(assert, await patch(p, coordA(), { name_en: 'Angling' }, { 'If-Match': 'yesterday' }), 412, 'precondition_failed');
  const ok = await patch(p, coordA(), { name_en: 'Angling' }, { 'If-Match': '"1"' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('etag'), '"2"');
  const changed = await ok.json();
  assert.equal(changed.name_en, 'Angling');
  assert.equal(changed.name_da, 'Fiskeri', 'absent members stay');
  await expectProblem(assert, await patch(p, coordA(), { name_en: 'Old' }, { 'If-Match': '"1"' }), 412, 'precondition_failed');
  assert.deepEqual(await fieldErrors(await patch(p, coordA(), { slug: 'fish', name_da: null })), { slug: 'unknown_field', name_da: 'wrong_type' });
  // another centre's category is invisible; the shared ones are for admins
  await expectProblem(assert, await patch(p, coordB(), { name_en: 'Mine now' }), 404, 'not_found');
  const walk = sharedCategory('activity', 'gaatur');
  await expectProblem(assert, await patch(`/v1/categories/${walk}`, coordA(), { name_en: 'Walk' }), 403, 'forbidden');
  assert.equal(psql(`SELECT name_en FROM category WHERE id = '${walk}'`), 'Walking group');
  const byAdmin = await patch(p, admin(), { name_da: 'Lystfiskeri' });
  assert.equal(byAdmin.status, 200);
  assert.equal(byAdmin.headers.get('etag'), '"3"');
  await expectProblem(assert, await patch('/v1/categories/not-a-uuid', coordA(), {}), 404, 'not_found');
});

// --- associations: create and read ----------------------------------------------

const FULL = () => ({
  name: uniq('Et Fælles Skridt'),
  cvr: '35209115',
  description: 'Frivillige følger nye deltagere til fællesskaber.\nVi mødes hver tirsdag.',
  categories: [sharedCategory('activity', 'gaatur'), sharedCategory('target_group', 'aeldre'), sharedCategory('need', 'ensomhed')],
  address: 'Munkebjergvej 12, 1. sal',
  postal_code: '5230',
  latitude: 55.3959,
  longitude: 10.4191,
  contact_name: 'Mette Sørensen',
  contact_email: 'mette@etfaellesskridt.invalid',
  contact_phone: '+45 61 62 63 64',
  website: 'https://etfaellesskridt.invalid',
  socialkompas_ref: 'odense.socialkompas.dk/tilbud/1234',
  is_member: true,
  scheme_offered: true,
  scheme_for: 'Voksne, der har svært ved at komme af sted alene',
  scheme_how_to_refer: 'Ring til koordinatoren på 61 62 63 64 eller send en sikker mail.',
  welcome_contact_name: 'Jens Madsen',
  welcome_contact_email: 'jens@etfaellesskridt.invalid',
  welcome_contact_phone: '+45 71 72 73 74',
  welcome_training_on: '2026-03-14',
  newcomer_places: 5,
});

test('a coordinator creates an association with every field; the answer holds it all', async () => {
  const body = FULL();
  const before = Date.now();
  const res = await post('/v1/associations', coordA(), body);
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('etag'), '"1"');
  const a = await res.json();
  assert.equal(res.headers.get('location'), `/v1/associations/${a.id}`);
  assert.match(a.id, UUID);
  assert.equal(a.centre_id, w.A.id);
  for (const [key, value] of Object.entries(body)) if (key !== 'categories') assert.deepEqual(a[key], value, key);
  assert.deepEqual(a.categories.map((c) => c.slug), ['gaatur', 'ensomhed', 'aeldre'], 'by kind (activity, need, target_group), then name');
  assert.deepEqual(Object.keys(a.categories[0]).sort(), ['id', 'kind', 'name_da', 'name_en', 'slug']);
  assert.match(a.newcomer_places_updated_at, RFC3339_UTC);
  assert.ok(Math.abs(Date.parse(a.newcomer_places_updated_at) - before) < 120_000);
  assert.match(a.created_at, RFC3339_UTC);
  assert.match(a.updated_at, RFC3339_UTC);
  // read back: the same, with the same ETag
  const got = await get(`/v1/associations/${a.id}`, coordA());
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('etag'), '"1"');
  assert.deepEqual(await got.json(), a);
});

test('a minimal association: defaults and nulls', async () => {
  const res = await post('/v1/associations', coordA(), { name: uniq('Brætspilsklubben') });
  assert.equal(res.status, 201);
  const a = await res.json();
  assert.equal(a.is_member, false);
  assert.equal(a.scheme_offered, false);
  assert.deepEqual(a.categories, []);
  for (const key of ['cvr', 'description', 'address', 'postal_code', 'latitude', 'longitude', 'contact_email',
    'welcome_training_on', 'newcomer_places', 'newcomer_places_updated_at']) assert.equal(a[key], null, key);
});

test('admins create in a centre they name; coordinators only in their own', async () => {
  const res = await post('/v1/associations', admin(), { name: uniq('Red Barnet Silkeborg'), centre_id: w.B.id });
  assert.equal(res.status, 201);
  assert.equal((await res.json()).centre_id, w.B.id);
  assert.deepEqual(await fieldErrors(await post('/v1/associations', admin(), { name: uniq('Uden centre') })), { centre_id: 'required' });
  assert.deepEqual(await fieldErrors(await post('/v1/associations', admin(), { name: uniq('Ukendt'), centre_id: randomUUID() })), { centre_id: 'not_in_enum' });
  assert.deepEqual(await fieldErrors(await post('/v1/associations', coordA(), { name: uniq('Fremmed'), centre_id: w.B.id }), 403, 'forbidden'), { centre_id: 'not_in_enum' });
  const same = await post('/v1/associations', coordA(), { name: uniq('Eget centre'), centre_id: w.A.id });
  assert.equal(same.status, 201);
});

test('association validation: CVR check digit, postal code, coordinates, categories, formats, bounds', async () => {
  const foreign = await (await post('/v1/categories', coordB(), { kind: 'activity', slug: uniq('b-only'), name_da: 'Kun B', name_en: 'Only B' })).json();
  const bad = await post('/v1/associations', coordA(), {
    name: 'X',
    cvr: '35209116', // wrong check digit
    postal_code: '0123',
    latitude: 60.1,
    longitude: 7,
    categories: [sharedCategory('activity', 'motion'), randomUUID(), foreign.id, 'not-a-uuid'],
    contact_email: 'not an e-mail',
    website: 'ftp://example.invalid',
    newcomer_places: -1,
    welcome_training_on: '2026-02-30',
    is_member: 'yes',
    colour: 'blue',
  });
  const errors = await fieldErrors(bad);
  assert.deepEqual(errors, {
    name: 'too_short', cvr: 'invalid_format', postal_code: 'invalid_format', latitude: 'too_large',
    longitude: 'too_small', 'categories[3]': 'invalid_format', contact_email: 'invalid_format',
    website: 'invalid_format', newcomer_places: 'too_small', welcome_training_on: 'invalid_format',
    is_member: 'wrong_type', colour: 'unknown_field',
  });
  // the database-backed checks come once the shape is valid: unknown and
  // other centres' categories, and coordinates given alone
  const errors2 = await fieldErrors(await post('/v1/associations', coordA(), {
    name: uniq('Gyldig'), categories: [sharedCategory('activity', 'motion'), randomUUID(), foreign.id], latitude: 55.4,
  }));
  assert.deepEqual(errors2, { 'categories[1]': 'not_in_enum', 'categories[2]': 'not_in_enum', longitude: 'required' });
  for (const cvr of ['1234567', '123456789', '02345678', 'abcdefgh', '12345678']) {
    assert.deepEqual(await fieldErrors(await post('/v1/associations', coordA(), { name: uniq('Cvr'), cvr })), { cvr: 'invalid_format' }, cvr);
  }
  for (const postal of ['123', '12345', '0799', '9999', '5OOO']) {
    assert.deepEqual(await fieldErrors(await post('/v1/associations', coordA(), { name: uniq('Post'), postal_code: postal })), { postal_code: 'invalid_format' }, postal);
  }
  assert.deepEqual(await fieldErrors(await post('/v1/associations', coordA(), { name: uniq('Dobbelt'), categories: [sharedCategory('interest', 'natur'), sharedCategory('interest', 'natur')] })), { 'categories[1]': 'duplicate_item' });
  assert.deepEqual(await fieldErrors(await post('/v1/associations', coordA(), { name: null })), { name: 'wrong_type' });
  assert.equal(psql(`SELECT count(*) FROM association WHERE name = 'X'`), '0', 'nothing was stored');
});

test('the schema repeats the rules as the last line of defence', async () => {
  for (const [col, value] of [['cvr', "'1234'"], ['postal_code', "'12'"], ['latitude', '70'], ['newcomer_places', '-3']]) {
    const r = psqlTry(`INSERT INTO association (centre_id, name, ${col}${col === 'latitude' ? ', longitude' : ''})
                       VALUES ('${w.A.id}', '${uniq('Db')}', ${value}${col === 'latitude' ? ', 10' : ''})`);
    assert.notEqual(r.code, 0, `${col} = ${value} is refused`);
    assert.match(r.stderr, /violates check constraint/);
  }
  const lonely = psqlTry(`INSERT INTO association (centre_id, name, latitude) VALUES ('${w.A.id}', '${uniq('Db')}', 55.4)`);
  assert.match(lonely.stderr, /association_coordinates_together/);
  const foreign = psql(`INSERT INTO category (centre_id, kind, slug, name_da, name_en) VALUES ('${w.B.id}', 'activity', '${uniq('db')}', 'B', 'B') RETURNING id`).split('\n')[0];
  // kompasd's own role with A's coordinator as the caller cannot attach B's category
  const r = psqlTry(`BEGIN; SELECT kompas_set_context('coordinator', '${w.A.id}', NULL);
    INSERT INTO association_category VALUES ('${neighbour.id}', '${foreign}'); COMMIT;`, { user: 'kompasd' });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /row-level security/);
});

test('one name per centre, without regard to case; the same name in another centre is fine', async () => {
  const name = uniq('Kor og Sang Odense');
  assert.equal((await post('/v1/associations', coordA(), { name })).status, 201);
  assert.deepEqual(await fieldErrors(await post('/v1/associations', coordA(), { name: name.toUpperCase() }), 409, 'conflict'), { name: 'already_taken' });
  assert.equal((await post('/v1/associations', coordB(), { name })).status, 201);
  // renaming onto a taken name is 409 too, and changes nothing
  const other = await createAssociation(k, coordA());
  assert.deepEqual(await fieldErrors(await patch(`/v1/associations/${other.id}`, coordA(), { name: name.toLowerCase() }), 409, 'conflict'), { name: 'already_taken' });
  assert.equal((await (await get(`/v1/associations/${other.id}`, coordA())).json()).name, other.name);
});

test('Idempotency-Key: a retried POST replays the first answer and creates one association', async () => {
  const key = uniq('assoc');
  const body = { name: uniq('Havefællesskabet'), categories: [sharedCategory('activity', 'havefaellesskab')] };
  const first = await post('/v1/associations', coordA(), body, { 'Idempotency-Key': key });
  assert.equal(first.status, 201);
  const a = await first.json();
  const again = await post('/v1/associations', coordA(), body, { 'Idempotency-Key': key });
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.headers.get('location'), first.headers.get('location'));
  assert.equal(again.headers.get('etag'), first.headers.get('etag'));
  assert.deepEqual(await again.json(), a);
  assert.equal(psql(`SELECT count(*) FROM association WHERE name = '${body.name}'`), '1');
  await expectProblem(assert, await post('/v1/associations', coordA(), { ...body, is_member: true }, { 'Idempotency-Key': key }), 422, 'idempotency_key_reused');
  const cat = await post('/v1/categories', coordA(), { kind: 'activity', slug: uniq('idem'), name_da: 'Idem', name_en: 'Idem' }, { 'Idempotency-Key': key });
  await expectProblem(assert, cat, 422, 'idempotency_key_reused');
});

// --- changing an association ------------------------------------------------------

test('PATCH is a merge patch with If-Match; the ETag changes with every change', async () => {
  const a = await createAssociation(k, coordA(), FULL());
  const p = `/v1/associations/${a.id}`;
  await expectProblem(assert, await patch(p, coordA(), { description: 'Ny' }, { 'If-Match': '"2"' }), 412, 'precondition_failed');
  await expectProblem(assert, await patch(p, coordA(), { description: 'Ny' }, { 'If-Match': 'W/"x"' }), 412, 'precondition_failed');
  const res = await patch(p, coordA(), {
    description: null, website: null, latitude: null, longitude: null, is_member: false,
    categories: [sharedCategory('interest', 'musik'), sharedCategory('activity', 'gaatur')],
  }, { 'If-Match': '"1"', 'Content-Type': 'application/merge-patch+json' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('etag'), '"2"');
  const b = await res.json();
  for (const key of ['description', 'website', 'latitude', 'longitude']) assert.equal(b[key], null, `${key} cleared`);
  assert.equal(b.is_member, false);
  assert.deepEqual(b.categories.map((c) => c.slug), ['gaatur', 'musik'], 'the list replaced');
  for (const key of ['name', 'cvr', 'contact_email', 'scheme_for', 'welcome_training_on', 'newcomer_places', 'newcomer_places_updated_at']) {
    assert.deepEqual(b[key], a[key], `${key} stays`);
  }
  assert.equal((await get(p, coordA())).headers.get('etag'), '"2"');
  await expectProblem(assert, await patch(p, coordA(), { description: 'Gammel' }, { 'If-Match': '"1"' }), 412, 'precondition_failed');
  // W/"2" and * match; no If-Match changes whatever the version
  assert.equal((await patch(p, coordA(), { address: 'Vestergade 1' }, { 'If-Match': 'W/"2"' })).headers.get('etag'), '"3"');
  assert.equal((await patch(p, coordA(), { address: 'Vestergade 2' }, { 'If-Match': '*' })).headers.get('etag'), '"4"');
  const last = await patch(p, coordA(), { categories: [] });
  assert.equal(last.headers.get('etag'), '"5"');
  assert.deepEqual((await last.json()).categories, []);
  // rules on a patch: null for a required member, coordinates alone
  assert.deepEqual(await fieldErrors(await patch(p, coordA(), { name: null, is_member: null, centre_id: w.B.id })),
    { name: 'wrong_type', is_member: 'wrong_type', centre_id: 'unknown_field' });
  // both coordinates were cleared above: one alone is refused
  assert.deepEqual(await fieldErrors(await patch(p, coordA(), { latitude: 55.5 })), { longitude: 'required' });
  assert.deepEqual(await fieldErrors(await patch(p, coordA(), { categories: [randomUUID()] })), { 'categories[0]': 'not_in_enum' });
  assert.equal((await get(p, coordA())).headers.get('etag'), '"5"', 'refused patches change nothing');
});

test('setting newcomer_places stamps newcomer_places_updated_at; other changes leave it', async () => {
  const a = await createAssociation(k, coordA());
  const p = `/v1/associations/${a.id}`;
  assert.equal(a.newcomer_places_updated_at, null);
  psql(`UPDATE association SET newcomer_places = 2, newcomer_places_updated_at = now() - interval '40 days' WHERE id = '${a.id}'`);
  const stale = await (await get(p, coordA())).json();
  assert.ok(Date.now() - Date.parse(stale.newcomer_places_updated_at) > 39 * 86400_000);
  const other = await (await patch(p, coordA(), { description: 'Vi spiller kort.' })).json();
  assert.equal(other.newcomer_places_updated_at, stale.newcomer_places_updated_at);
  const fresh = await (await patch(p, coordA(), { newcomer_places: 0 })).json();
  assert.equal(fresh.newcomer_places, 0);
  assert.ok(Date.now() - Date.parse(fresh.newcomer_places_updated_at) < 120_000);
});

// --- lists ---------------------------------------------------------------------------

test('keyset pages: limit=2 following next gives every association once, in Danish name order', async () => {
  const c = createCentre(uniq('p'));
  const coord = await login(k, createAccount('coordinator', c.id).email);
  const names = ['Åbent Værksted', 'Ældrecafé', 'Østerbro Kor', 'Zumba_for/alle', 'alfa', 'Bridge & Brætspil'];
  for (const name of names) await createAssociation(k, coord, { name });
  const { items, pages } = await allPages('/v1/associations?limit=2', coord);
  assert.equal(pages, 3);
  assert.deepEqual(items.map((a) => a.name), ['alfa', 'Bridge & Brætspil', 'Zumba_for/alle', 'Ældrecafé', 'Østerbro Kor', 'Åbent Værksted']);
  assert.equal(new Set(items.map((a) => a.id)).size, names.length);
  const first = await (await get('/v1/associations?limit=2&q=a', coord)).json();
  const link = new URL(first.next, 'http://x');
  assert.equal(link.pathname, '/v1/associations');
  assert.equal(link.searchParams.get('q'), 'a');
  assert.equal(link.searchParams.get('limit'), '2');
  assert.match(link.searchParams.get('cursor'), /^[A-Za-z0-9_-]+\.[0-9a-f-]{36}$/);
  // the filters stay in the next link
  const filtered = await allPages('/v1/associations?limit=1&q=%C3%A6', coord);
  assert.deepEqual(filtered.items.map((a) => a.name), ['Bridge & Brætspil', 'Ældrecafé', 'Åbent Værksted']);
  assert.equal(filtered.pages, 3);
  // a renamed row does not break a page in progress
  const page1 = await (await get('/v1/associations?limit=2', coord)).json();
  psql(`UPDATE association SET name = 'zzz renamed' WHERE id = '${page1.items[1].id}'`);
  const page2 = await (await get(page1.next, coord)).json();
  assert.deepEqual(page2.items.map((a) => a.name), ['Zumba_for/alle', 'zzz renamed']);
  await expectProblem(assert, await get('/v1/associations?cursor=abc', coord), 422, 'validation_failed');
  await expectProblem(assert, await get(`/v1/associations?cursor=${'%25'.repeat(3)}.${randomUUID()}`, coord), 422, 'validation_failed');
  await expectProblem(assert, await get('/v1/associations?limit=0', coord), 422, 'validation_failed');
  await expectProblem(assert, await get('/v1/associations?limit=201', coord), 422, 'validation_failed');
});

test('an association cursor whose text is not UTF-8 is refused with the usual 422, not a 500', async () => {
  await refusesNotUtf8('/v1/associations', '', coordA());
  await refusesNotUtf8('/v1/associations', 'Ældre', coordA());
});

test('list filters narrow the list and combine', async () => {
  const c = createCentre(uniq('f'));
  const coord = await login(k, createAccount('coordinator', c.id).email);
  const walk = sharedCategory('activity', 'gaatur');
  const young = sharedCategory('target_group', 'unge');
  const mk = (name, body) => createAssociation(k, coord, { name, ...body });
  const aeldre = await mk('Ældre Sagen Odense', { categories: [walk], postal_code: '5000', is_member: true, welcome_training_on: '2026-01-20' });
  const barnet = await mk('Red Barnet Odense', { categories: [young], postal_code: '5000', scheme_offered: true });
  const sund = await mk('Social Sundhed Odense', { categories: [walk, young], postal_code: '5230', is_member: true, scheme_offered: true });
  const list = async (query) => (await allPages(`/v1/associations?${query}`, coord)).items.map((x) => x.id);
  assert.deepEqual(await list(''), [barnet.id, sund.id, aeldre.id], 'Danish order: Æ after S');
  assert.deepEqual(await list(`category=${walk}`), [sund.id, aeldre.id]);
  assert.deepEqual(await list(`category=${young}&postal_code=5000`), [barnet.id]);
  assert.deepEqual(await list('postal_code=5230'), [sund.id]);
  assert.deepEqual(await list('is_member=true'), [sund.id, aeldre.id]);
  assert.deepEqual(await list('is_member=false'), [barnet.id]);
  assert.deepEqual(await list('scheme_offered=true'), [barnet.id, sund.id]);
  assert.deepEqual(await list('welcome_trained=true'), [aeldre.id]);
  assert.deepEqual(await list('welcome_trained=false'), [barnet.id, sund.id]);
  assert.deepEqual(await list(`q=${encodeURIComponent('ÆLDRE')}`), [aeldre.id], 'case-insensitive, Danish letters too');
  assert.deepEqual(await list('q=odense&scheme_offered=true&is_member=true'), [sund.id]);
  assert.deepEqual(await list('q=nothing-like-this'), []);
  assert.deepEqual(await list(`category=${sharedCategory('interest', 'dyr')}`), []);
  const errors = await fieldErrors(await get('/v1/associations?category=x&postal_code=12&is_member=maybe&colour=red', coord));
  assert.deepEqual(errors, { category: 'invalid_format', postal_code: 'invalid_format', is_member: 'wrong_type', colour: 'unknown_field' });
});

// --- who sees and changes what ---------------------------------------------------------

test('another centre\'s associations are invisible: 404, and never listed', async () => {
  for (const t of [coordB(), w.tokens.B.guide, w.tokens.B.association, w.tokens.B.portal]) {
    await expectProblem(assert, await get(`/v1/associations/${own.id}`, t), 404, 'not_found');
    const { items } = await allPages('/v1/associations?limit=200', t);
    assert.ok(items.every((a) => a.centre_id === w.B.id), 'only B\'s associations');
    assert.ok(items.some((a) => a.id === theirs.id));
  }
  const before = psql(`SELECT row_to_json(a)::text FROM association a WHERE id = '${own.id}'`);
  await expectProblem(assert, await patch(`/v1/associations/${own.id}`, coordB(), { name: 'Overtaget' }), 404, 'not_found');
  assert.equal(psql(`SELECT row_to_json(a)::text FROM association a WHERE id = '${own.id}'`), before);
  // an admin sees both centres, and may narrow to one
  assert.equal((await get(`/v1/associations/${own.id}`, admin())).status, 200);
  const onlyB = (await allPages(`/v1/associations?centre_id=${w.B.id}&limit=200`, admin())).items;
  assert.ok(onlyB.length > 0 && onlyB.every((a) => a.centre_id === w.B.id));
  await expectProblem(assert, await get('/v1/associations/not-a-uuid', coordA()), 404, 'not_found');
  await expectProblem(assert, await get(`/v1/associations/${randomUUID()}`, coordA()), 404, 'not_found');
  await expectProblem(assert, await get('/v1/associations', w.tokens.national.analyst), 403, 'forbidden');
});

test('guides read the centre\'s associations in full', async () => {
  const res = await get(`/v1/associations/${own.id}`, w.tokens.A.guide);
  assert.equal(res.status, 200);
  const a = await res.json();
  assert.equal(a.contact_email, 'karen@aeldresagen.invalid');
  assert.equal(a.is_member, true);
  await expectProblem(assert, await patch(`/v1/associations/${own.id}`, w.tokens.A.guide, { description: 'x' }), 403, 'forbidden');
});

const INTERNAL = ['contact_name', 'contact_email', 'contact_phone', 'is_member', 'scheme_how_to_refer', 'welcome_contact_name',
  'welcome_contact_email', 'welcome_contact_phone', 'welcome_training_on', 'newcomer_places', 'newcomer_places_updated_at'];
const PUBLIC = ['id', 'centre_id', 'name', 'cvr', 'description', 'categories', 'address', 'postal_code', 'latitude', 'longitude',
  'website', 'socialkompas_ref', 'scheme_offered', 'scheme_for', 'created_at', 'updated_at'];

test('an association contact reads its own association in full and changes the fields it may', async () => {
  const token = w.tokens.A.association;
  const p = `/v1/associations/${own.id}`;
  const got = await get(p, token);
  assert.equal(got.status, 200);
  const a = await got.json();
  assert.deepEqual(Object.keys(a).sort(), [...PUBLIC, ...INTERNAL].sort());
  const res = await patch(p, token, {
    description: 'Vi går en tur hver onsdag kl. 10.', contact_phone: '+45 22 33 44 55', welcome_contact_name: 'Bodil',
    welcome_training_on: '2026-04-01', newcomer_places: 3,
  }, { 'If-Match': got.headers.get('etag') });
  assert.equal(res.status, 200);
  const b = await res.json();
  assert.equal(b.newcomer_places, 3);
  assert.equal(b.welcome_training_on, '2026-04-01');
  assert.ok(Date.now() - Date.parse(b.newcomer_places_updated_at) < 120_000);
  assert.notEqual(res.headers.get('etag'), got.headers.get('etag'));
  // the centre's fields are not theirs: 403 naming each, and nothing changes
  const version = psql(`SELECT version FROM association WHERE id = '${own.id}'`);
  const refused = await patch(p, token, { name: 'Nyt navn', is_member: false, categories: [], description: 'ok' });
  assert.deepEqual(await fieldErrors(refused, 403, 'forbidden'), { name: 'not_in_enum', is_member: 'not_in_enum', categories: 'not_in_enum' });
  assert.equal(psql(`SELECT version FROM association WHERE id = '${own.id}'`), version);
  // another association of the centre is not theirs: 404, unchanged
  await expectProblem(assert, await patch(`/v1/associations/${neighbour.id}`, token, { description: 'Overtaget' }), 404, 'not_found');
  assert.equal(psql(`SELECT description IS NULL FROM association WHERE id = '${neighbour.id}'`), 't');
  // an association account linked to nothing changes nothing
  const loose = await login(k, createAccount('association', w.A.id).email);
  await expectProblem(assert, await patch(p, loose, { description: 'x' }), 404, 'not_found');
});

test('association contacts see the centre\'s other associations in the public view', async () => {
  const token = w.tokens.A.association;
  const other = await (await get(`/v1/associations/${neighbour.id}`, token)).json();
  assert.deepEqual(Object.keys(other).sort(), [...PUBLIC].sort());
  const { items } = await allPages('/v1/associations?limit=200', token);
  for (const a of items) {
    if (a.id === own.id) assert.ok('contact_email' in a, 'own: full');
    else assert.ok(!('contact_email' in a) && !('is_member' in a), `${a.name}: public view`);
  }
});

test('the portal gets the public view, without internal fields, and cannot filter on them', async () => {
  const token = w.tokens.A.portal;
  const a = await createAssociation(k, coordA(), FULL());
  const res = await get(`/v1/associations/${a.id}`, token);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('etag'), '"1"');
  const view = await res.json();
  assert.deepEqual(Object.keys(view).sort(), [...PUBLIC].sort());
  for (const key of PUBLIC) assert.deepEqual(view[key], a[key], key);
  const text = JSON.stringify(view);
  for (const secret of ['mette@etfaellesskridt.invalid', '61 62 63 64', 'Jens Madsen', 'sikker mail']) assert.ok(!text.includes(secret), secret);
  const { items } = await allPages('/v1/associations?limit=200', token);
  assert.ok(items.some((x) => x.id === a.id));
  for (const x of items) for (const key of INTERNAL) assert.ok(!(key in x), `${x.name}: no ${key}`);
  assert.ok((await allPages('/v1/associations?scheme_offered=true&limit=200', token)).items.some((x) => x.id === a.id));
  assert.deepEqual(await fieldErrors(await get('/v1/associations?is_member=true&welcome_trained=true', token), 403, 'forbidden'),
    { is_member: 'not_in_enum', welcome_trained: 'not_in_enum' });
  await expectProblem(assert, await patch(`/v1/associations/${a.id}`, token, { description: 'x' }), 403, 'forbidden');
  await expectProblem(assert, await post('/v1/associations', token, { name: uniq('Portal') }), 403, 'forbidden');
});
