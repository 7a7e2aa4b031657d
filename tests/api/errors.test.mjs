// Bad input: 400, 413, 415, 422 as RFC 9457 problems, and nothing changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, expectProblem, rawRequest, psql } from './harness.mjs';
import { createAccount, login } from './fixtures.mjs';

let k;
let admin;
const LIMIT = 4096;
before(async () => {
  k = await startKompasd({ env: { KOMPAS_HTTP_BODY_LIMIT: String(LIMIT) } });
  admin = await login(k, createAccount('admin').email);
});
after(async () => { assert.equal((await k.stop()).code, 0); });

const json = { 'Content-Type': 'application/json' };
const centreCount = () => Number(psql('SELECT count(*) FROM centre'));
const post = (body, headers = json) => k.fetch('/v1/centres', {
  method: 'POST', headers: { Authorization: `Bearer ${admin}`, ...headers }, body,
});

test('a body that is not application/json is 415', async () => {
  const n = centreCount();
  await expectProblem(assert, await post('{"slug":"x"}', { 'Content-Type': 'text/plain' }), 415, 'unsupported_media_type');
  await expectProblem(assert, await post('{"slug":"x"}', { 'Content-Type': 'application/jsonx' }), 415, 'unsupported_media_type');
  await expectProblem(assert, await post('slug=x', { 'Content-Type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  assert.equal(centreCount(), n);
});

test('application/json with a charset parameter is accepted', async () => {
  const res = await post('{}', { 'Content-Type': 'application/json; charset=utf-8' });
  assert.equal(res.status, 422);
});

test('malformed JSON is 400 with line and column', async () => {
  const body = await expectProblem(assert, await post('{\n  "slug": "abc",\n  "name": }'), 400, 'malformed_json');
  assert.equal(body.line, 3);
  assert.equal(typeof body.column, 'number');
  assert.match(body.detail, /line 3/);
});

test('duplicate keys are rejected as malformed JSON', async () => {
  const body = await expectProblem(assert, await post('{"slug":"dup","slug":"dup2"}'), 400, 'malformed_json');
  assert.match(body.detail, /duplicate/);
  assert.equal(body.line, 1);
});

test('an empty body is 400', async () => {
  await expectProblem(assert, await post(''), 400, 'malformed_json');
});

test('a JSON value that is not an object is 422', async () => {
  const body = await expectProblem(assert, await post('[1,2]'), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => e.code), ['wrong_type']);
});

test('every invalid field is reported at once (422)', async () => {
  const n = centreCount();
  const body = await expectProblem(assert, await post(JSON.stringify({
    slug: 'x', name: 5, postal_code: '0123', email: 'not-an-email', website: 'ftp://x', phone: '1', extra: true,
  })), 422, 'validation_failed');
  const byField = Object.fromEntries(body.errors.map((e) => [e.field, e.code]));
  assert.deepEqual(byField, {
    slug: 'too_short',
    name: 'wrong_type',
    municipality: 'required',
    postal_code: 'invalid_format',
    email: 'invalid_format',
    website: 'invalid_format',
    phone: 'too_short',
    extra: 'unknown_field',
  });
  for (const e of body.errors) assert.equal(typeof e.message, 'string');
  assert.equal(centreCount(), n, 'nothing was written');
});

test('string limits count characters, not bytes', async () => {
  const slug = `aeroe-${Date.now().toString(36)}`;
  const ok = await post(JSON.stringify({ slug, name: 'æø', municipality: 'Ærø' }));
  assert.equal(ok.status, 201);
  const long = await post(JSON.stringify({ slug: `${slug}-2`, name: 'å'.repeat(121), municipality: 'Ærø' }));
  const body = await expectProblem(assert, long, 422, 'validation_failed');
  assert.deepEqual(body.errors, [{ field: 'name', code: 'too_long', message: 'must be at most 120 characters long' }]);
});

test('control characters in strings are refused', async () => {
  const body = await expectProblem(assert, await post(JSON.stringify({ slug: 'ctl', name: 'a\u0001b', municipality: 'Odense' })), 422, 'validation_failed');
  assert.equal(body.errors[0].field, 'name');
  assert.equal(body.errors[0].code, 'invalid_format');
});

test('a body over the limit with Content-Length is 413 before the body is read', async () => {
  const n = centreCount();
  // Announce a large body but send none of it: the answer must come anyway.
  const reply = await rawRequest(k.port, [
    'POST /v1/centres HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${LIMIT * 100}\r\n\r\n`,
  ], { until: (t) => t.includes('}') });
  assert.match(reply, /^HTTP\/1\.1 413 /);
  assert.match(reply, /application\/problem\+json/);
  assert.match(reply, /"code":"body_too_large"/);
  assert.equal(centreCount(), n);
});

test('a chunked body that grows over the limit is 413', async () => {
  const big = JSON.stringify({ slug: 'big', name: 'x'.repeat(LIMIT * 2), municipality: 'Odense' });
  const res = await k.fetch('/v1/centres', {
    method: 'POST', headers: json, duplex: 'half',
    body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } }),
  });
  await expectProblem(assert, res, 413, 'body_too_large');
});

test('query parameters are validated: types, bounds, unknown and repeated names', async () => {
  let body = await expectProblem(assert, await k.fetch('/v1/centres?limit=abc&colour=red'), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['limit', 'wrong_type'], ['colour', 'unknown_field']]);
  body = await expectProblem(assert, await k.fetch('/v1/centres?limit=0'), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['limit', 'too_small']]);
  body = await expectProblem(assert, await k.fetch('/v1/centres?limit=201'), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['limit', 'too_large']]);
  body = await expectProblem(assert, await k.fetch('/v1/centres?limit=1&limit=2'), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['limit', 'repeated_parameter']]);
  body = await expectProblem(assert, await k.fetch('/healthz?x=1'), 422, 'validation_failed');
  assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['x', 'unknown_field']]);
});

test('a cursor that no next link made is 422, not a database error', async () => {
  for (const cursor of ['x', '2026-01-01T00:00:00Z_nope', "1' OR '1'='1"]) {
    const res = await k.fetch(`/v1/api-keys?cursor=${encodeURIComponent(cursor)}`, { headers: { Authorization: `Bearer ${admin}` } });
    const body = await expectProblem(assert, res, 422, 'validation_failed');
    assert.deepEqual(body.errors.map((e) => [e.field, e.code]), [['cursor', 'invalid_format']]);
  }
});
