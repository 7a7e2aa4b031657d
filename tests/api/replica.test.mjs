// Reads from a streaming replica: a real primary and a real replica made
// with pg_basebackup (tools/pgcluster.sh replica), kompasd configured with
// database.replica_conninfo. Routes marked ROUTE_REPLICA (public event
// search, feeds, centres, statistics, listings of associations, categories
// and events) read from the replica; authorization stays on the primary;
// when the replica is stopped or too far behind, the primary serves them.
// Uses its own clusters so the other test files are not disturbed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startKompasd, pgcluster, psql, until } from './harness.mjs';
import { PASSWORD } from './fixtures.mjs';

const HASH = '$argon2id$v=19$m=65536,t=2,p=1$oJSPmbfj8nO7rOTy28BAHQ$joh+LUJX4UuBmGSxGD0ZDDOC7llKQCISRoN0Ew4YM3A';
let pdir;
let rdir;
let k;
const statuses = [];
const centres = {};
const tokens = {};

const onPrimary = (sql) => psql(sql, { dir: pdir });
const onReplica = (sql) => psql(sql, { dir: rdir });

function request(method, p, { token, body } = {}) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    // A new connection each time, so requests spread over both workers
    // (each has its own primary and replica connections).
    const req = http.request(k.url(p), { method, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => {
        statuses.push(res.statusCode);
        resolve({ status: res.statusCode, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function metric(name) {
  const text = (await request('GET', '/metrics')).text;
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `${name} is exported`);
  return Number(m[1]);
}

function newCentre(slug) {
  const id = randomUUID();
  onPrimary(`INSERT INTO centre (id, slug, name, municipality) VALUES ('${id}', '${slug}', 'Frivilligcenter ${slug}', 'Testkommune')`);
  return id;
}

async function centreSlugs() {
  const res = await request('GET', '/v1/centres?limit=100');
  assert.equal(res.status, 200, res.text);
  return res.json().items.map((c) => c.slug);
}

const replicated = (sql, want) => until(() => onReplica(sql) === want, { timeoutMs: 20000 });

before(async () => {
  const base = process.env.KOMPAS_TEST_TMP || os.tmpdir();
  pdir = fs.mkdtempSync(path.join(base, 'primary-'));
  rdir = fs.mkdtempSync(path.join(base, 'replica-'));
  pgcluster('init', pdir, '--fast');
  pgcluster('start', pdir);
  pgcluster('createdb', pdir, 'kompas');
  fs.rmdirSync(rdir); // pgcluster replica makes it
  pgcluster('replica', rdir, pdir);
  pgcluster('start', rdir);
  assert.equal(onReplica('SELECT pg_is_in_recovery()'), 't', 'the replica is a standby');
  const phost = pgcluster('socket', pdir).trim();
  const rhost = pgcluster('socket', rdir).trim();
  k = await startKompasd({
    conninfo: `host=${phost} dbname=kompas user=kompasd`,
    args: ['--migrate'],
    env: {
      KOMPAS_DATABASE_MIGRATE_CONNINFO: `host=${phost} dbname=kompas user=kompas_owner`,
      KOMPAS_DATABASE_REPLICA_CONNINFO: `host=${rhost} dbname=kompas user=kompasd`,
      KOMPAS_DATABASE_REPLICA_MAX_LAG: '3600',
    },
  });
  centres.A = newCentre('replica-a');
  centres.B = newCentre('replica-b');
  for (const [who, role, centre] of [['coordA', 'coordinator', centres.A], ['analyst', 'analyst', null]]) {
    const email = `${who.toLowerCase()}-${randomUUID().slice(0, 8)}@test.invalid`;
    onPrimary(`INSERT INTO account (email, display_name, role, centre_id, password_hash)
               VALUES ('${email}', 'Test ${who}', '${role}', ${centre ? `'${centre}'` : 'NULL'}, '${HASH}')`);
    const res = await request('POST', '/v1/sessions', { body: JSON.stringify({ email, password: PASSWORD }) });
    assert.equal(res.status, 201, res.text);
    tokens[who] = res.json().token;
  }
  onPrimary(`INSERT INTO association (centre_id, name) VALUES ('${centres.A}', 'Strikkeklubben A'), ('${centres.B}', 'Løbeklubben B')`);
  await replicated("SELECT count(*) FROM association WHERE name IN ('Strikkeklubben A', 'Løbeklubben B')", '2');
});

after(async () => {
  try {
    if (k && k.proc.exitCode === null && k.proc.signalCode === null) await k.stop();
  } finally {
    for (const d of [rdir, pdir]) {
      try { pgcluster('stop', d); } catch { /* already stopped */ }
      fs.rmSync(d, { recursive: true, force: true });
    }
  }
});

test('public reads come from the replica: a write replay has not applied yet is not seen', async () => {
  await replicated("SELECT count(*) FROM centre WHERE slug LIKE 'replica-%'", '2');
  assert.deepEqual((await centreSlugs()).filter((s) => s.startsWith('replica-')).sort(), ['replica-a', 'replica-b']);
  const reads = await metric('kompas_db_replica_reads_total');
  onReplica('SELECT pg_wal_replay_pause()');
  try {
    newCentre('replica-late');
    // On the primary now, but the replica has not replayed it: a read
    // served by the replica does not have it.
    assert.equal(onPrimary("SELECT count(*) FROM centre WHERE slug = 'replica-late'"), '1');
    for (let i = 0; i < 6; i++) assert.ok(!(await centreSlugs()).includes('replica-late'), 'served by the replica');
    assert.ok(await metric('kompas_db_replica_reads_total') >= reads + 6, 'the replica served the reads');
  } finally {
    onReplica('SELECT pg_wal_replay_resume()');
  }
  await until(async () => (await centreSlugs()).includes('replica-late'), { timeoutMs: 20000 });
});

test('statistics and listings with roles: authorized on the primary, read on the replica under row-level security', async () => {
  const reads = await metric('kompas_db_replica_reads_total');
  const list = await request('GET', '/v1/associations', { token: tokens.coordA });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json().items.map((a) => a.name), ['Strikkeklubben A'], 'only the own centre on the replica');
  const funnel = await request('GET', '/v1/stats/funnel?from=2026-01-01&to=2026-12-31', { token: tokens.analyst });
  assert.equal(funnel.status, 200, funnel.text);
  const mine = await request('GET', '/v1/stats/funnel?from=2026-01-01&to=2026-12-31', { token: tokens.coordA });
  assert.equal(mine.status, 200, mine.text);
  assert.ok(await metric('kompas_db_replica_reads_total') >= reads + 3);
  // A bad token is refused on the primary before the replica is asked.
  const bad = await request('GET', '/v1/associations', { token: `kps_${'B'.repeat(43)}` });
  assert.equal(bad.status, 401);
});

test('writes go to the primary', async () => {
  const res = await request('POST', '/v1/associations', {
    token: tokens.coordA,
    body: JSON.stringify({ name: 'Skakklubben A' }),
  });
  assert.equal(res.status, 201, res.text);
  assert.equal(onPrimary("SELECT count(*) FROM association WHERE name = 'Skakklubben A'"), '1');
  await replicated("SELECT count(*) FROM association WHERE name = 'Skakklubben A'", '1');
});

test('with the replica stopped, the primary serves the same reads and nothing fails', async () => {
  const fallbacks = await metric('kompas_db_replica_fallbacks_total');
  pgcluster('stop', rdir);
  newCentre('replica-while-down');
  for (let i = 0; i < 8; i++) {
    const slugs = await centreSlugs();
    assert.ok(slugs.includes('replica-while-down'), 'read from the primary');
    const list = await request('GET', '/v1/associations', { token: tokens.coordA });
    assert.equal(list.status, 200, list.text);
    assert.ok(list.json().items.every((a) => a.name.endsWith(' A')));
    const funnel = await request('GET', '/v1/stats/funnel?from=2026-01-01&to=2026-12-31', { token: tokens.analyst });
    assert.equal(funnel.status, 200, funnel.text);
  }
  assert.ok(await metric('kompas_db_replica_fallbacks_total') >= fallbacks + 16, 'counted as fallbacks');
  assert.ok(!statuses.some((s) => s >= 500), `no 5xx: ${statuses}`);
});

test('a replica that is back is used again', async () => {
  pgcluster('start', rdir);
  await replicated("SELECT count(*) FROM centre WHERE slug = 'replica-while-down'", '1');
  const reads = await metric('kompas_db_replica_reads_total');
  // Reconnects are spaced by 5 s per worker: wait for the condition.
  await until(async () => {
    await centreSlugs();
    return (await metric('kompas_db_replica_reads_total')) > reads;
  }, { timeoutMs: 30000, intervalMs: 200 });
  assert.ok(!statuses.some((s) => s >= 500), `no 5xx: ${statuses}`);
});

test('a replica further behind than replica_max_lag is not used', async () => {
  const phost = pgcluster('socket', pdir).trim();
  const rhost = pgcluster('socket', rdir).trim();
  const strict = await startKompasd({
    conninfo: `host=${phost} dbname=kompas user=kompasd`,
    env: {
      KOMPAS_DATABASE_REPLICA_CONNINFO: `host=${rhost} dbname=kompas user=kompasd`,
      KOMPAS_DATABASE_REPLICA_MAX_LAG: '1',
    },
  });
  try {
    onReplica('SELECT pg_wal_replay_pause()');
    newCentre('replica-lagging');
    // Once the replica's last replayed transaction is more than a second
    // old while WAL waits, kompasd reads from the primary and sees it.
    await until(async () => {
      const res = await fetch(strict.url('/v1/centres?limit=100'));
      return (await res.json()).items.some((c) => c.slug === 'replica-lagging');
    }, { timeoutMs: 20000, intervalMs: 200 });
    await strict.waitForLine((l) => l.includes('behind the primary: reading from the primary'));
  } finally {
    onReplica('SELECT pg_wal_replay_resume()');
    await strict.stop();
  }
});
