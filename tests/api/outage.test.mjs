// A database outage: kompasd keeps running, answers 503 database_unavailable
// with Retry-After while PostgreSQL is down, and recovers by itself when it
// is back. Uses its own PostgreSQL cluster so the other test files (which
// share KOMPAS_TEST_PGDIR and may run at the same time) are not disturbed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startKompasd, pgcluster, psql, until } from './harness.mjs';

const RETRY_AFTER = '3';
// Well-formed but unknown: only the database could say it is unknown.
const TOKEN = { Authorization: `Bearer kps_${'A'.repeat(43)}` };
let dir;
let k;
let centreId;
const statuses = []; // every status this file saw, to check that none was 500

before(async () => {
  dir = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'outage-'));
  pgcluster('init', dir, '--fast');
  pgcluster('start', dir);
  // The database and the roles kompasd needs (its own login role, and the
  // group migrations grant to), as tools/test.sh makes them.
  pgcluster('createdb', dir, 'kompas');
  assert.equal(psql("SELECT count(*) FROM pg_roles WHERE rolname IN ('kompasd', 'kompas_app')", { dir }), '2');
  const host = pgcluster('socket', dir).trim();
  k = await startKompasd({
    conninfo: `host=${host} dbname=kompas user=kompasd`,
    args: ['--migrate'],
    env: {
      KOMPAS_DATABASE_MIGRATE_CONNINFO: `host=${host} dbname=kompas user=kompas_owner`,
      KOMPAS_HTTP_RETRY_AFTER: RETRY_AFTER,
    },
  });
});

after(async () => {
  try {
    if (k && k.proc.exitCode === null && k.proc.signalCode === null) await k.stop();
  } finally {
    try { pgcluster('stop', dir); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  }
});

// One request on a new connection each time, so that the requests are
// spread over kompasd's worker threads (each has its own database
// connection) instead of riding one keep-alive connection.
function request(method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(k.url(p), {
      method,
      agent: false,
      headers: { ...headers, ...(body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => {
        statuses.push(res.statusCode);
        resolve({ status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function metric(text, name) {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `${name} is exported`);
  return Number(m[1]);
}

function assertUnavailable(res, what) {
  assert.equal(res.status, 503, `${what}: ${res.text}`);
  assert.match(res.headers['content-type'], /^application\/problem\+json/, what);
  assert.equal(res.headers['retry-after'], RETRY_AFTER, `${what}: Retry-After`);
  const body = res.json();
  assert.equal(body.status, 503, what);
  assert.equal(body.code, 'database_unavailable', what);
  assert.equal(body.type, 'urn:kompas:problem:database_unavailable', what);
  assert.equal(body.request_id, res.headers['x-request-id'], what);
  assert.ok(!/postgres|socket|libpq|connection to server/i.test(body.detail), `${what}: no internals in the detail`);
}

let before0;

test('with the database up, centres are listed', async () => {
  centreId = psql("INSERT INTO centre (slug, name, municipality) VALUES ('outage-centre', 'Outage Centre', 'Odense') RETURNING id", { dir });
  const res = await request('GET', '/v1/centres');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json().items.map((c) => c.slug), ['outage-centre']);
  assert.equal(res.json().items[0].id, centreId);
  assert.equal((await request('GET', `/v1/centres/${centreId}`)).status, 200);
  assert.equal((await request('GET', '/readyz')).status, 200);
  before0 = (await request('GET', '/metrics')).text;
});

test('with PostgreSQL stopped: 503 database_unavailable with Retry-After, liveness stays 200, no 500', async () => {
  pgcluster('stop', dir);
  assert.throws(() => pgcluster('status', dir), 'PostgreSQL is down');

  for (let i = 0; i < 6; i++) {
    assertUnavailable(await request('GET', '/v1/centres'), `GET /v1/centres #${i}`);
    assertUnavailable(await request('GET', '/readyz'), `GET /readyz #${i}`);
    assertUnavailable(await request('GET', `/v1/centres/${centreId}`), `GET /v1/centres/{id} #${i}`);
    // Routes that authorize the caller in a transaction: the caller cannot
    // be checked, so this is 503 too, not 401.
    assertUnavailable(await request('POST', '/v1/centres', JSON.stringify({ slug: `outage-${i}`, name: 'Never', municipality: 'Odense' }), TOKEN), `POST /v1/centres #${i}`);
    assertUnavailable(await request('GET', '/v1/me', undefined, TOKEN), `GET /v1/me #${i}`);
    // No credential at all needs no database to refuse.
    assert.equal((await request('GET', '/v1/me')).status, 401);
    assertUnavailable(await request('POST', '/v1/sessions', JSON.stringify({ email: 'nobody@example.org', password: 'wrong password' })), `POST /v1/sessions #${i}`);
    const h = await request('GET', '/healthz');
    assert.equal(h.status, 200);
    assert.deepEqual(h.json(), { status: 'ok' });
  }
  // Endpoints that need no database keep working.
  const index = await request('GET', '/v1');
  assert.equal(index.status, 200);
  assert.equal(index.json().name, 'Kompas');
  // Input is still validated first: a bad body is 422, not 503.
  assert.equal((await request('POST', '/v1/centres', '{"slug":5}', TOKEN)).status, 422);
  assert.equal((await request('GET', '/metrics')).status, 200);

  assert.equal(k.proc.exitCode, null, 'kompasd is still running');
  assert.equal(k.proc.signalCode, null);
  assert.ok(k.jsonLines().some((j) => j.level === 'warn' && /database/.test(j.msg)), 'the outage is logged');
  assert.ok(!statuses.includes(500), `no 500 answered: ${statuses}`);
});

test('when PostgreSQL is back, kompasd recovers by itself and counts the errors', async () => {
  pgcluster('start', dir);
  await until(async () => (await request('GET', '/v1/centres')).status === 200, { timeoutMs: 15000, intervalMs: 100 });
  await until(async () => (await request('GET', '/readyz')).status === 200, { timeoutMs: 15000, intervalMs: 100 });

  const list = await request('GET', '/v1/centres');
  assert.equal(list.status, 200);
  assert.deepEqual(list.json().items.map((c) => c.slug), ['outage-centre'], 'the data is intact; nothing from the outage was written');
  const one = await request('GET', `/v1/centres/${centreId}`);
  assert.equal(one.status, 200);
  assert.equal(one.json().name, 'Outage Centre');
  assert.equal(psql('SELECT count(*) FROM centre', { dir }), '1');

  const now = (await request('GET', '/metrics')).text;
  const errors = metric(now, 'kompas_db_errors_total');
  assert.ok(errors > 0, `kompas_db_errors_total is ${errors}`);
  assert.ok(errors > metric(before0, 'kompas_db_errors_total'), 'db errors were counted during the outage');
  assert.ok(metric(now, 'kompas_db_connects_total') > metric(before0, 'kompas_db_connects_total'), 'kompasd reconnected');
  assert.ok(!statuses.includes(500), `no 500 answered: ${statuses}`);
  assert.ok(!k.jsonLines().some((j) => j.type === 'access' && j.status === 500), 'no 500 in the access log');
});

test('a restart while kompasd is idle costs no request: every one after it is 200', async () => {
  // Warm every worker's connection, restart PostgreSQL, then ask again on
  // fresh connections (spread over the workers): the dead connections are
  // noticed and replaced before their first statement.
  for (let i = 0; i < 8; i++) assert.equal((await request('GET', '/v1/centres')).status, 200);
  pgcluster('stop', dir);
  pgcluster('start', dir);
  const after = [];
  for (let i = 0; i < 20; i++) after.push((await request('GET', '/v1/centres')).status);
  assert.deepEqual(after, Array(20).fill(200));
});

test('kompasd stops cleanly after the outage', async () => {
  const { code, signal } = await k.stop();
  assert.equal(code, 0);
  assert.equal(signal, null);
  const msgs = k.jsonLines().filter((j) => j.type !== 'access').map((j) => j.msg);
  assert.equal(msgs[msgs.length - 1], 'stopped');
});
