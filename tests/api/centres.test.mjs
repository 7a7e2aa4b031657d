// Centres: create, read, conflicts, slug rules and keyset pagination.
// The database is shared with the other test files (which may run at the
// same time), so every slug made here carries this run's random tag.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import { createAccount, login } from './fixtures.mjs';

// Lower-case letters and digits only, so slugs stay valid and sort predictably.
const tag = randomBytes(4).toString('hex');
const json = { 'Content-Type': 'application/json' };
let k;
let token; // a national admin's session: creating a centre is for admins

before(async () => {
  k = await startKompasd();
  token = await login(k, createAccount('admin').email);
  assert.equal(typeof token, 'string');
});
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

const post = (body, auth = `Bearer ${token}`) => k.fetch('/v1/centres', {
  method: 'POST',
  headers: { ...json, ...(auth ? { Authorization: auth } : {}) },
  body: JSON.stringify(body),
});
const centreCount = () => Number(psql('SELECT count(*) FROM centre'));
const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// The next link of a page, checked and split into its parameters.
function nextParams(next) {
  const u = new URL(next, 'http://x');
  assert.equal(u.pathname, '/v1/centres');
  assert.deepEqual([...u.searchParams.keys()].sort(), ['cursor', 'limit']);
  return { limit: u.searchParams.get('limit'), cursor: u.searchParams.get('cursor') };
}

function assertRecentUtc(value, what) {
  assert.match(value, RFC3339_UTC, `${what} is RFC 3339 UTC`);
  const t = Date.parse(value);
  assert.ok(Math.abs(Date.now() - t) < 60_000, `${what} (${value}) is close to now`);
}

test('POST /v1/centres creates a centre: 201, Location and every field', async () => {
  const slug = `c-${tag}-full`;
  const input = {
    slug,
    name: 'Frivilligcenter Ærø',
    municipality: 'Ærø',
    postal_code: '5970',
    email: 'kontakt@example.org',
    phone: '+45 12345678',
    website: 'https://example.org/aeroe',
  };
  const n = centreCount();
  const res = await post(input);
  assert.equal(res.status, 201);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const body = await res.json();
  assert.match(body.id, UUID);
  assert.equal(res.headers.get('location'), `/v1/centres/${body.id}`);
  // (The resource may grow more fields; these are the ones it must have.)
  for (const f of ['id', 'slug', 'name', 'municipality', 'postal_code', 'email', 'phone', 'website', 'created_at', 'updated_at']) {
    assert.ok(Object.hasOwn(body, f), `the centre has ${f}`);
  }
  for (const [key, value] of Object.entries(input)) assert.equal(body[key], value, key);
  assertRecentUtc(body.created_at, 'created_at');
  assertRecentUtc(body.updated_at, 'updated_at');
  assert.equal(body.created_at, body.updated_at, 'a new centre was not updated yet');
  assert.equal(centreCount(), n + 1);
  assert.equal(psql(`SELECT name || '|' || municipality FROM centre WHERE id = '${body.id}'`), 'Frivilligcenter Ærø|Ærø');

  // The Location points at the same centre.
  const again = await k.fetch(res.headers.get('location'));
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), body);
});

test('optional fields left out or sent as null come back as null', async () => {
  for (const [suffix, extra] of [['omit', {}], ['null', { postal_code: null, email: null, phone: null, website: null }]]) {
    const res = await post({ slug: `c-${tag}-${suffix}`, name: 'Frivilligcenter Odense', municipality: 'Odense', ...extra });
    assert.equal(res.status, 201, suffix);
    const body = await res.json();
    assert.equal(body.slug, `c-${tag}-${suffix}`);
    assert.equal(body.name, 'Frivilligcenter Odense');
    assert.equal(body.municipality, 'Odense');
    for (const f of ['postal_code', 'email', 'phone', 'website']) {
      assert.ok(f in body, `${f} is present`);
      assert.equal(body[f], null, `${f} is null (${suffix})`);
    }
    const got = await (await k.fetch(`/v1/centres/${body.id}`)).json();
    assert.deepEqual(got, body);
  }
});

test('GET /v1/centres/{id} answers 200 with the centre, 404 for unknown or malformed ids', async () => {
  const made = await (await post({ slug: `c-${tag}-get`, name: 'Get Me', municipality: 'Aarhus', postal_code: '8000' })).json();
  const res = await k.fetch(`/v1/centres/${made.id}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const body = await res.json();
  assert.deepEqual(body, made);
  assert.equal(body.postal_code, '8000');
  assert.equal(body.email, null);

  // A well-formed uuid that names no centre.
  let p = await expectProblem(assert, await k.fetch('/v1/centres/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
  assert.equal(p.errors, undefined);
  // Ids that are not uuids at all: still 404 not_found, never 400/500.
  for (const id of ['nope', '12345', `${made.id}x`, made.id.replace(/-/g, ''), 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz']) {
    p = await expectProblem(assert, await k.fetch(`/v1/centres/${encodeURIComponent(id)}`), 404, 'not_found');
  }
});

test('a duplicate slug is 409 conflict naming the slug field, and nothing is written', async () => {
  const slug = `c-${tag}-dup`;
  const first = await post({ slug, name: 'First', municipality: 'Vejle' });
  assert.equal(first.status, 201);
  const firstBody = await first.json();
  const n = centreCount();
  const res = await post({ slug, name: 'Second', municipality: 'Kolding' });
  assert.equal(res.headers.get('location'), null);
  const body = await expectProblem(assert, res, 409, 'conflict');
  assert.ok(Array.isArray(body.errors) && body.errors.length === 1, 'one field error');
  assert.equal(body.errors[0].field, 'slug');
  assert.equal(body.errors[0].code, 'already_taken');
  assert.equal(typeof body.errors[0].message, 'string');
  assert.equal(centreCount(), n, 'the row count is unchanged');
  // The first centre is untouched.
  assert.equal(psql(`SELECT name || '|' || municipality FROM centre WHERE slug = '${slug}'`), 'First|Vejle');
  assert.deepEqual(await (await k.fetch(`/v1/centres/${firstBody.id}`)).json(), firstBody);
});

test('slugs that are not lower-case letters, digits and inner hyphens are 422 invalid_format', async () => {
  const n = centreCount();
  for (const slug of ['Odense', '-x', 'x-', `c-${tag}-`, 'a_b', 'a b', 'æøå', `C-${tag}`, 'a.b']) {
    const res = await post({ slug, name: 'Bad Slug', municipality: 'Odense' });
    const body = await expectProblem(assert, res, 422, 'validation_failed');
    assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['slug', 'invalid_format']], `slug ${JSON.stringify(slug)}`);
    assert.equal(typeof body.errors[0].message, 'string');
  }
  assert.equal(centreCount(), n, 'nothing was written');
  // The boundaries that are allowed: two characters, digits, inner hyphens.
  for (const slug of [`${tag.slice(0, 2)}`, `c-${tag}-9-x`]) {
    const res = await post({ slug, name: 'Good Slug', municipality: 'Odense' });
    // a two-character slug may exist from an earlier run of this tag: both are fine
    assert.ok(res.status === 201 || res.status === 409, `slug ${slug}: ${res.status}`);
    await res.arrayBuffer();
  }
  assert.equal(psql(`SELECT count(*) FROM centre WHERE slug = 'c-${tag}-9-x'`), '1');
});

test('a bad slug is reported together with the other invalid fields', async () => {
  const n = centreCount();
  const body = await expectProblem(assert, await post({ slug: 'Odense', name: 'Bad Slug', municipality: 'Odense', email: 'nope' }), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => [e.field, e.code]).sort(), [['email', 'invalid_format'], ['slug', 'invalid_format']]);
  assert.equal(centreCount(), n);
});

test('creating a centre needs an admin: 401 without or with a bad token, nothing written', async () => {
  const n = centreCount();
  const slug = `c-${tag}-anon`;
  await expectProblem(assert, await post({ slug, name: 'Anonymous', municipality: 'Odense' }, null), 401, 'unauthenticated');
  await expectProblem(assert, await post({ slug, name: 'Anonymous', municipality: 'Odense' }, 'Bearer not-a-real-token'), 401, 'unauthenticated');
  await expectProblem(assert, await post({ slug, name: 'Anonymous', municipality: 'Odense' }, `Basic ${Buffer.from('a:b').toString('base64')}`), 401, 'unauthenticated');
  assert.equal(centreCount(), n);
  assert.equal(psql(`SELECT count(*) FROM centre WHERE slug = '${slug}'`), '0');
  // Reading is public.
  assert.equal((await k.fetch('/v1/centres?limit=1')).status, 200);
});

test('list: keyset pagination with limit=2 follows next links, each centre once, ordered by slug', async () => {
  // Created out of order; the list must sort them.
  const mine = ['p-e', 'p-a', 'p-d', 'p-b', 'p-c'].map((s) => `c-${tag}-${s}`);
  const ids = new Map();
  for (const slug of mine) {
    const res = await post({ slug, name: `Centre ${slug}`, municipality: 'Odense' });
    assert.equal(res.status, 201, slug);
    ids.set(slug, (await res.json()).id);
  }

  const seen = [];
  let next = '/v1/centres?limit=2';
  let pages = 0;
  while (next !== null) {
    assert.ok(pages++ < 10000, 'pagination ends');
    const res = await k.fetch(next);
    assert.equal(res.status, 200, next);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ['items', 'next']);
    assert.ok(Array.isArray(body.items));
    assert.ok(body.items.length <= 2, 'at most limit items');
    if (body.next !== null) {
      assert.equal(body.items.length, 2, 'a page with a next link is full');
      assert.deepEqual(nextParams(body.next), { limit: '2', cursor: body.items[1].slug });
    }
    seen.push(...body.items);
    next = body.next;
  }
  assert.ok(pages >= 3, `five centres need at least three pages of two (got ${pages})`);

  const slugs = seen.map((c) => c.slug);
  for (let i = 1; i < slugs.length; i++) {
    assert.ok(slugs[i - 1] < slugs[i], `ordered by slug with no repeats: ${slugs[i - 1]} then ${slugs[i]}`);
  }
  assert.equal(new Set(seen.map((c) => c.id)).size, seen.length, 'no centre twice');
  // Ours are contiguous (shared prefix) and in slug order, each exactly once.
  const ours = seen.filter((c) => ids.has(c.slug));
  assert.deepEqual(ours.map((c) => c.slug), [...mine].sort());
  for (const c of ours) {
    assert.equal(c.id, ids.get(c.slug));
    assert.equal(c.name, `Centre ${c.slug}`);
  }
  // Every centre of this run in the table was listed.
  const inDb = psql(`SELECT slug FROM centre WHERE slug LIKE 'c-${tag}-%' ORDER BY slug COLLATE "C"`).split('\n');
  assert.deepEqual(slugs.filter((s) => s.startsWith(`c-${tag}-`)), inDb);
});

test('list: a cursor continues strictly after that slug; a short page has next null', async () => {
  const cursor = `c-${tag}-p-b`;
  const res = await k.fetch(`/v1/centres?limit=2&cursor=${cursor}`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.items.map((c) => c.slug), [`c-${tag}-p-c`, `c-${tag}-p-d`]);
  assert.deepEqual(nextParams(body.next), { limit: '2', cursor: `c-${tag}-p-d` });

  // A limit large enough for everything after the last of ours.
  const total = Number(psql(`SELECT count(*) FROM centre WHERE slug > 'c-${tag}-p-d' COLLATE "C"`));
  assert.ok(total >= 1 && total <= 200, `centres after the cursor: ${total}`);
  const tail = await (await k.fetch(`/v1/centres?limit=${Math.min(200, total + 5)}&cursor=c-${tag}-p-d`)).json();
  assert.equal(tail.items[0].slug, `c-${tag}-p-e`);
  assert.equal(tail.next, null);
});
