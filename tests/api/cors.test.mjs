// CORS: only the web origins a centre has configured may call the API from
// a browser; preflights answer with the methods the path allows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, psql } from './harness.mjs';
import { createCentre, uniq } from './fixtures.mjs';

let k;
const ALLOWED = `https://${uniq('portal')}.socialkompas.dk`;
before(async () => {
  // configured before kompasd starts: its origin cache is filled at first use
  const c = createCentre();
  psql(`UPDATE centre SET cors_origins = '{${ALLOWED}}' WHERE id = '${c.id}'`);
  k = await startKompasd();
});
after(async () => { assert.equal((await k.stop()).code, 0); });

const preflight = (path, origin, method) => k.fetch(path, {
  method: 'OPTIONS',
  headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'authorization, content-type' },
});

test('a preflight from a configured origin is allowed for the methods of the path', async () => {
  const res = await preflight('/v1/requests', ALLOWED, 'POST');
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
  assert.equal(res.headers.get('access-control-allow-methods'), 'POST');
  assert.match(res.headers.get('access-control-allow-headers'), /Authorization/);
  assert.match(res.headers.get('access-control-allow-headers'), /Idempotency-Key/);
  assert.equal(res.headers.get('access-control-max-age'), '600');
  assert.match(res.headers.get('vary'), /Origin/);
  // the origin's scheme and host are compared without case
  const upper = await preflight('/v1/requests', ALLOWED.toUpperCase().replace('HTTPS', 'https'), 'POST');
  assert.ok(upper.headers.get('access-control-allow-origin'));
});

test('another origin gets no CORS permission', async () => {
  for (const origin of ['https://evil.example', `${ALLOWED}.evil.example`, 'null']) {
    const res = await preflight('/v1/requests', origin, 'POST');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
    assert.equal(res.headers.get('access-control-allow-methods'), null, origin);
    const real = await k.fetch('/v1/centres', { headers: { Origin: origin } });
    assert.equal(real.status, 200);
    assert.equal(real.headers.get('access-control-allow-origin'), null, origin);
    assert.match(real.headers.get('vary'), /Origin/);
    await real.arrayBuffer();
  }
});

test('an actual request from the configured origin may read the answer and its headers', async () => {
  const res = await k.fetch('/v1/centres', { headers: { Origin: ALLOWED } });
  assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
  assert.match(res.headers.get('access-control-expose-headers'), /X-Request-Id/);
  assert.match(res.headers.get('access-control-expose-headers'), /ETag/);
  await res.arrayBuffer();
});

test('a preflight for an unknown path is 404, and without Origin OPTIONS is 405', async () => {
  assert.equal((await preflight('/v1/nowhere', ALLOWED, 'GET')).status, 404);
  const res = await k.fetch('/v1/centres', { method: 'OPTIONS' });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'GET, HEAD, POST');
});
