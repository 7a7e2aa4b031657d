// Idempotency-Key on POST: a retry gets the first answer, not a second
// record; the same key with another request is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import { makeWorld, uniq, auth, JSON_HEADERS } from './fixtures.mjs';

let k;
let w;
before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
});
after(async () => { assert.equal((await k.stop()).code, 0); });

const post = (path, token, body, key) => k.fetch(path, {
  method: 'POST',
  headers: { ...JSON_HEADERS, ...auth(token), ...(key ? { 'Idempotency-Key': key } : {}) },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const citizen = () => ({ name: 'Ida Idempotent', phone: '+45 31 32 33 34' });
const countRequests = (centre) => Number(psql(`SELECT count(*) FROM request WHERE centre_id = '${centre}'`));

test('a retry with the same key and body replays the first answer and creates nothing', async () => {
  const key = uniq('retry');
  const body = { source: 'phone', citizen: citizen() };
  const n = countRequests(w.A.id);
  const first = await post('/v1/requests', w.tokens.A.coordinator, body, key);
  assert.equal(first.status, 201);
  const a = await first.json();
  const again = await post('/v1/requests', w.tokens.A.coordinator, body, key);
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.headers.get('location'), first.headers.get('location'));
  assert.equal(again.headers.get('etag'), first.headers.get('etag'));
  const b = await again.json();
  assert.deepEqual(b, a);
  assert.equal(countRequests(w.A.id), n + 1);
  // the kept answer holds the citizen's data: it is sealed like it
  const kept = psql(`SELECT encode(response_sealed, 'escape') FROM idempotency_key WHERE key = '${key}'`);
  assert.ok(kept.length > 40 && !kept.includes('Idempotent') && !kept.includes('31 32 33'));
  // the replay did not read personal data again: one create entry only
  assert.equal(psql(`SELECT count(*) FROM access_log WHERE subject_id = '${a.id}'`), '1');
});

test('the same key with another body or path is 422 idempotency_key_reused', async () => {
  const key = uniq('reuse');
  assert.equal((await post('/v1/requests', w.tokens.A.coordinator, { source: 'phone', citizen: citizen() }, key)).status, 201);
  const n = countRequests(w.A.id);
  await expectProblem(assert, await post('/v1/requests', w.tokens.A.coordinator, { source: 'walk_in', citizen: citizen() }, key), 422, 'idempotency_key_reused');
  await expectProblem(assert, await post('/v1/api-keys', w.tokens.A.coordinator, { name: 'x', role: 'portal' }, key), 422, 'idempotency_key_reused');
  assert.equal(countRequests(w.A.id), n);
});

test('keys belong to one caller: another caller may use the same key', async () => {
  const key = uniq('shared');
  const body = { source: 'phone', citizen: citizen() };
  const mine = await (await post('/v1/requests', w.tokens.A.coordinator, body, key)).json();
  const theirs = await post('/v1/requests', w.tokens.B.coordinator, body, key);
  assert.equal(theirs.status, 201);
  assert.notEqual((await theirs.json()).id, mine.id);
});

test('portal keys are idempotent too', async () => {
  const key = uniq('portal');
  const body = { portal_reference: uniq('ref'), citizen: citizen() };
  const first = await post('/v1/requests', w.tokens.A.portal, body, key);
  assert.equal(first.status, 201);
  const again = await post('/v1/requests', w.tokens.A.portal, body, key);
  assert.equal(again.status, 201);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal((await again.json()).id, (await first.json()).id);
});

test('a failed request keeps nothing: the corrected retry with the same key works', async () => {
  const key = uniq('fix');
  await expectProblem(assert, await post('/v1/requests', w.tokens.A.coordinator, { source: 'phone', citizen: { name: 'No contact' } }, key), 422, 'validation_failed');
  const ok = await post('/v1/requests', w.tokens.A.coordinator, { source: 'phone', citizen: citizen() }, key);
  assert.equal(ok.status, 201);
  assert.equal(ok.headers.get('idempotent-replayed'), null);
});

test('simultaneous requests with one key make one record', async () => {
  const key = uniq('race');
  const body = { source: 'phone', citizen: citizen() };
  const n = countRequests(w.A.id);
  const answers = await Promise.all(Array.from({ length: 6 }, () => post('/v1/requests', w.tokens.A.coordinator, body, key)));
  const ids = new Set();
  for (const res of answers) {
    assert.equal(res.status, 201);
    ids.add((await res.json()).id);
  }
  assert.equal(ids.size, 1);
  assert.equal(countRequests(w.A.id), n + 1);
});

test('a malformed key is 422 naming the header', async () => {
  for (const bad of ['has space', 'x'.repeat(101), 'æøå']) {
    const body = await expectProblem(assert, await post('/v1/requests', w.tokens.A.coordinator, { source: 'phone', citizen: citizen() }, bad), 422, 'validation_failed');
    assert.equal(body.errors[0].field, 'Idempotency-Key');
  }
});

test('stored answers belong to their caller under row-level security', () => {
  const other = psql(`BEGIN; SELECT kompas_set_context('coordinator', '${w.B.id}', '${w.accounts.B.coordinator.id}');
    SELECT count(*) FROM idempotency_key WHERE principal = '${w.accounts.A.coordinator.id}'; COMMIT;`, { user: 'kompasd' });
  assert.match(other, /^0$/m);
});
