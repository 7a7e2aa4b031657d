// Basics: system endpoints, routing, standard headers, request ids,
// keep-alive, metrics and the access log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startKompasd, expectProblem } from './harness.mjs';

let k;
before(async () => { k = await startKompasd(); });
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

test('GET /healthz answers 200 without the database', async () => {
  const res = await k.fetch('/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
});

test('GET /readyz reports the schema version', async () => {
  const res = await k.fetch('/readyz');
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, 'ready');
  assert.ok(Number.isInteger(body.schema_version) && body.schema_version >= 1);
});

test('GET /v1 names the API, its version and links', async () => {
  const res = await k.fetch('/v1');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const body = await res.json();
  assert.equal(body.name, 'Kompas');
  assert.match(body.version, /^\d+\.\d+\.\d+/);
  assert.equal(body.links.openapi, '/v1/openapi.yaml');
  assert.equal(body.links.self, '/v1');
});

test('GET /v1/openapi.yaml serves docs/openapi.yaml', async () => {
  const res = await k.fetch('/v1/openapi.yaml');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/yaml/);
  const text = await res.text();
  assert.match(text, /^openapi: 3\.1/m);
});

test('HEAD is answered like GET without a body', async () => {
  const res = await k.fetch('/v1', { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '');
});

test('unknown path is 404 route_not_found', async () => {
  await expectProblem(assert, await k.fetch('/v1/nowhere'), 404, 'route_not_found');
  await expectProblem(assert, await k.fetch('/v1/'), 404, 'route_not_found');
});

test('known path with a wrong method is 405 with Allow', async () => {
  const res = await k.fetch('/v1/centres', { method: 'DELETE' });
  assert.equal(res.headers.get('allow'), 'GET, HEAD, POST');
  await expectProblem(assert, res, 405, 'method_not_allowed');
  const res2 = await k.fetch('/healthz', { method: 'POST' });
  assert.equal(res2.headers.get('allow'), 'GET, HEAD');
  await expectProblem(assert, res2, 405, 'method_not_allowed');
});

test('every response carries security headers and no-store', async () => {
  for (const p of ['/v1', '/healthz', '/v1/nowhere']) {
    const res = await k.fetch(p);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', p);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', p);
    assert.equal(res.headers.get('cache-control'), 'no-store', p);
    assert.match(res.headers.get('content-security-policy'), /default-src 'none'/, p);
    await res.arrayBuffer();
  }
});

test('X-Request-Id: a sane incoming id is echoed, otherwise one is made', async () => {
  const mine = await k.fetch('/healthz', { headers: { 'X-Request-Id': 'portal-42.abc_DEF:1' } });
  assert.equal(mine.headers.get('x-request-id'), 'portal-42.abc_DEF:1');
  const bad = await k.fetch('/healthz', { headers: { 'X-Request-Id': 'has spaces and <html>' } });
  assert.match(bad.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
  const long = await k.fetch('/healthz', { headers: { 'X-Request-Id': 'a'.repeat(65) } });
  assert.match(long.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
  const none1 = await k.fetch('/healthz');
  const none2 = await k.fetch('/healthz');
  assert.match(none1.headers.get('x-request-id'), /^[0-9a-f]{32}$/);
  assert.notEqual(none1.headers.get('x-request-id'), none2.headers.get('x-request-id'));
});

test('keep-alive: several requests travel on one connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports = [];
  for (let i = 0; i < 5; i++) {
    const port = await new Promise((resolve, reject) => {
      const req = http.get(k.url(i % 2 ? '/v1' : '/healthz'), { agent }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.notEqual((res.headers.connection || '').toLowerCase(), 'close');
        res.resume();
        res.on('end', () => resolve(req.socket.localPort));
      });
      req.on('error', reject);
    });
    ports.push(port);
  }
  agent.destroy();
  assert.equal(new Set(ports).size, 1, `all requests used one socket: ${ports}`);
});

test('one access-log line per request, with the route pattern and no query string', async () => {
  const id = `log-test-${Date.now()}`;
  const res = await k.fetch('/v1/centres/00000000-0000-4000-8000-000000000000?secret=personal', {
    headers: { 'X-Request-Id': id },
  });
  await res.arrayBuffer();
  const line = await k.waitForLine((l) => l.includes(`"request_id":"${id}"`));
  const entry = JSON.parse(line);
  assert.equal(entry.type, 'access');
  assert.equal(entry.method, 'GET');
  assert.equal(entry.route, '/v1/centres/{id}');
  assert.equal(typeof entry.duration_us, 'number');
  assert.equal(typeof entry.bytes, 'number');
  assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  // status 422: the route takes no query parameters
  assert.equal(entry.status, res.status);
  assert.ok(!line.includes('secret') && !line.includes('personal'), 'no query string in the log');
  assert.ok(!line.includes('00000000-0000-4000'), 'no raw URL in the log');
  assert.equal(k.lines.filter((l) => l.includes(`"request_id":"${id}"`)).length, 1);
});

function metricValue(text, name, labels) {
  const want = Object.entries(labels).map(([a, b]) => `${a}="${b}"`).join(',');
  const re = new RegExp(`^${name}\\{${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\} (\\S+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : 0;
}

test('metrics count requests by route and status', async () => {
  const before = await (await k.fetch('/metrics')).text();
  const ok0 = metricValue(before, 'kompas_http_requests_total', { route: 'GET /healthz', status: '200' });
  const nf0 = metricValue(before, 'kompas_http_requests_total', { route: 'unmatched', status: '404' });
  for (let i = 0; i < 3; i++) await (await k.fetch('/healthz')).arrayBuffer();
  await (await k.fetch('/no/such/thing')).arrayBuffer();
  const res = await k.fetch('/metrics');
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const after = await res.text();
  assert.equal(metricValue(after, 'kompas_http_requests_total', { route: 'GET /healthz', status: '200' }), ok0 + 3);
  assert.equal(metricValue(after, 'kompas_http_requests_total', { route: 'unmatched', status: '404' }), nf0 + 1);
  const count = metricValue(after, 'kompas_http_request_duration_seconds_count', { route: 'GET /healthz' });
  const inf = metricValue(after, 'kompas_http_request_duration_seconds_bucket', { route: 'GET /healthz', le: '+Inf' });
  assert.equal(count, inf);
  assert.ok(count >= ok0 + 3);
  // the request being answered is in flight
  assert.match(after, /^kompas_http_requests_in_flight 1$/m);
  assert.match(after, /^kompas_db_errors_total \d+$/m);
  const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(after)?.[1]);
  assert.ok(rss > 1024 * 1024, `resident memory ${rss} B`);
});

test('metrics add up the counts of every worker thread', async () => {
  // New connections, in parallel: spread over both workers, whose counters
  // are kept apart and summed when rendered.
  const label = { route: 'GET /v1', status: '200' };
  const before = metricValue(await (await k.fetch('/metrics')).text(), 'kompas_http_requests_total', label);
  await Promise.all(Array.from({ length: 40 }, () => new Promise((resolve, reject) => {
    http.get(k.url('/v1'), { agent: false }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
  })));
  const after = metricValue(await (await k.fetch('/metrics')).text(), 'kompas_http_requests_total', label);
  assert.equal(after, before + 40);
});
