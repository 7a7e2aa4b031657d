// Faults under load: PostgreSQL restarted while requests are being created,
// kompasd killed with SIGKILL in the middle of writes and started again, a
// read-only database and (as root) a full disk. Nothing crashes, nothing is
// half-written, nothing is written twice, and the answers are 201 or 503,
// never 500. Uses its own PostgreSQL cluster (restarts and a full disk
// would disturb the other test files).
//
// Counts, not clocks: the load runs for a number of requests, and the
// time kompasd takes to recover after the database is back is printed as a
// diagnostic (the soak run, `make soak`, reports it against its target).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { startKompasd, pgcluster, psql, until } from './harness.mjs';
import { PASSWORD } from './fixtures.mjs';

const HASH = '$argon2id$v=19$m=65536,t=2,p=1$oJSPmbfj8nO7rOTy28BAHQ$joh+LUJX4UuBmGSxGD0ZDDOC7llKQCISRoN0Ew4YM3A';
let dir;
let host;
let k;
let centre;
let portalKey;
let coordinator;
let volunteer;
let association;

const sql = (q) => psql(q, { dir });

function request(kd, method, p, { token, body } = {}) {
  return new Promise((resolve) => {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    const data = body === undefined ? undefined : JSON.stringify(body);
    if (data) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(data);
    }
    const req = http.request(kd.url(p), { method, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => {
        resolve({ status: res.statusCode, text, json: () => JSON.parse(text), headers: res.headers });
      });
    });
    // A connection refused or reset (kompasd killed) is an answer too.
    req.on('error', (e) => resolve({ status: 0, text: e.code || e.message }));
    req.end(data);
  });
}

function startServer(extraEnv = {}) {
  return startKompasd({
    conninfo: `host=${host} dbname=kompas user=kompasd`,
    args: ['--migrate'],
    env: {
      KOMPAS_DATABASE_MIGRATE_CONNINFO: `host=${host} dbname=kompas user=kompas_owner`,
      KOMPAS_HTTP_THREADS: '4',
      ...extraEnv,
    },
  });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'faults-'));
  pgcluster('init', dir, '--fast');
  pgcluster('start', dir);
  pgcluster('createdb', dir, 'kompas');
  host = pgcluster('socket', dir).trim();
  k = await startServer();
  centre = randomUUID();
  sql(`INSERT INTO centre (id, slug, name, municipality) VALUES ('${centre}', 'faults', 'Frivilligcenter Fejl', 'Testkommune')`);
  const login = async (role, centreId) => {
    const email = `${role}-${randomUUID().slice(0, 8)}@test.invalid`;
    const id = randomUUID();
    sql(`INSERT INTO account (id, email, display_name, role, centre_id, password_hash)
         VALUES ('${id}', '${email}', 'Test ${role}', '${role}', ${centreId ? `'${centreId}'` : 'NULL'}, '${HASH}')`);
    const res = await request(k, 'POST', '/v1/sessions', { body: { email, password: PASSWORD } });
    assert.equal(res.status, 201, res.text);
    return { id, token: res.json().token };
  };
  const admin = await login('admin', null);
  coordinator = await login('coordinator', centre);
  const key = await request(k, 'POST', '/v1/api-keys', { token: admin.token, body: { name: 'portal', role: 'portal', centre_id: centre } });
  assert.equal(key.status, 201, key.text);
  portalKey = key.json().key;
  volunteer = randomUUID();
  sql(`INSERT INTO volunteer (id, centre_id, name, status) VALUES ('${volunteer}', '${centre}', 'Guide Fejl', 'active')`);
  association = randomUUID();
  sql(`INSERT INTO association (id, centre_id, name) VALUES ('${association}', '${centre}', 'Strikkeklubben')`);
});

after(async () => {
  try {
    if (k && k.proc.exitCode === null && k.proc.signalCode === null) await k.stop();
  } finally {
    try { pgcluster('stop', dir); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
  }
});

// Every request's stored state is the one its history arrived at, it has
// exactly one 'created' entry, and a course exists only for a request in a
// state after conversation_held; a course's last visit is its latest visit.
function assertConsistent() {
  assert.equal(sql(`SELECT count(*) FROM request r WHERE (SELECT count(*) FROM request_event e
                      WHERE e.request_id = r.id AND e.kind = 'created') <> 1`), '0', 'one created entry each');
  assert.equal(sql(`SELECT count(*) FROM request r WHERE r.state <> coalesce(
                      (SELECT e.to_state FROM request_event e WHERE e.request_id = r.id AND e.kind = 'state'
                        ORDER BY e.id DESC LIMIT 1), 'received')`), '0', 'state = last history state');
  assert.equal(sql(`SELECT count(*) FROM course c JOIN request r ON r.id = c.request_id
                      WHERE r.state NOT IN ('course_started', 'referred', 'signposted', 'closed', 'withdrawn')`),
  '0', 'courses only for requests past the conversation');
  assert.equal(sql(`SELECT count(*) FROM course c WHERE c.last_visit_on IS DISTINCT FROM
                      (SELECT max(v.visited_on) FROM visit v WHERE v.course_id = c.id)`), '0', 'last_visit_on = latest visit');
}

test('PostgreSQL restarted during a load of portal intake: only 201 or 503, every 201 stored once, recovery by itself', async () => {
  const answered = new Map(); // reference -> status
  const before201 = Number(sql(`SELECT count(*) FROM request WHERE centre_id = '${centre}'`));
  let restarted = false;
  let backAt = 0;
  let recoveredAt = 0;
  let after201 = 0; // answered 201 after PostgreSQL was back
  let n = 0;
  // Until 100 requests made after the restart have been stored: how many
  // meet the outage depends on the machine's speed, so the load is counted
  // in successes, with a bound in case recovery never comes.
  const worker = async () => {
    while (after201 < 100 && n < 5000) {
      const ref = `fault-${n++}-${randomUUID().slice(0, 8)}`;
      const res = await request(k, 'POST', '/v1/requests', {
        token: portalKey,
        body: { portal_reference: ref, citizen: { name: 'Test Borger', email: `${ref}@test.invalid` } },
      });
      answered.set(ref, res.status);
      if (backAt && res.status === 201) {
        after201++;
        if (!recoveredAt) recoveredAt = Date.now();
      }
      if (!restarted && n >= 100) {
        restarted = true;
        pgcluster('stop', dir);
        // Requests meet the outage while the database is down.
        for (let i = 0; i < 10; i++) {
          const down = await request(k, 'POST', '/v1/requests', {
            token: portalKey,
            body: { portal_reference: `down-${i}-${randomUUID().slice(0, 8)}`, citizen: { name: 'Test Borger' } },
          });
          assert.equal(down.status, 503, down.text);
          assert.ok(down.headers['retry-after'], 'Retry-After while the database is down');
        }
        pgcluster('start', dir);
        backAt = Date.now();
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const statuses = [...answered.values()];
  assert.ok(statuses.every((s) => s === 201 || s === 503), `only 201 and 503: ${[...new Set(statuses)]}`);
  // The first 100 are sent while the database is up (at most 4 are in
  // flight when it stops).
  assert.ok(statuses.filter((s) => s === 201).length >= after201 + 96, 'the requests before the restart were stored');
  assert.ok(after201 >= 100, `the load went on after the restart: ${after201} stored after it, ${n} sent in all`);
  assert.ok(recoveredAt > 0, 'a request succeeded after the database came back');
  console.log(`# recovery after PostgreSQL was back: ${recoveredAt - backAt} ms`);
  const stored = new Map(sql(`SELECT portal_reference, count(*) FROM request WHERE portal_reference LIKE 'fault-%' GROUP BY 1`)
    .split('\n').filter(Boolean).map((l) => l.split('|')).map(([r, c]) => [r, Number(c)]));
  for (const [ref, status] of answered) {
    if (status === 201) assert.equal(stored.get(ref), 1, `${ref} answered 201 is stored once`);
  }
  for (const [ref, count] of stored) assert.equal(count, 1, `${ref} stored once`);
  assert.ok(Number(sql(`SELECT count(*) FROM request WHERE centre_id = '${centre}'`)) >= before201 + statuses.filter((s) => s === 201).length);
  assert.ok(!k.jsonLines().some((j) => j.type === 'access' && j.status >= 500 && j.status !== 503), 'no 5xx but 503 in the access log');
  assertConsistent();
});

// Drive one request through the workflow into a course with visits.
async function workflow(kd, i) {
  const token = coordinator.token;
  const created = await request(kd, 'POST', '/v1/requests', { token, body: { source: 'phone', citizen: { name: `Borger ${i}`, phone: '+45 12 34 56 78' } } });
  if (created.status !== 201) return created.status;
  const id = created.json().id;
  for (const body of [{ to: 'accepted' }, { to: 'guide_assigned', volunteer_id: volunteer }, { to: 'contacted' }, { to: 'conversation_held' }]) {
    const res = await request(kd, 'POST', `/v1/requests/${id}/transitions`, { token, body });
    if (res.status !== 200) return res.status;
  }
  const planned = new Date(Date.now() + 60 * 86400000).toISOString().slice(0, 10);
  const course = await request(kd, 'POST', `/v1/requests/${id}/courses`, { token, body: { association_id: association, planned_visits: 3, planned_end: planned } });
  if (course.status !== 201) return course.status;
  const cid = course.json().id;
  for (let v = 0; v < 3; v++) {
    const d = new Date().toISOString().slice(0, 10);
    const visit = await request(kd, 'POST', `/v1/courses/${cid}/visits`, {
      token, body: { visited_on: d, association_id: association, citizen_came: true, guide_went: true, minutes: 90 },
    });
    if (visit.status !== 201) return visit.status;
  }
  return 201;
}

test('kompasd killed with SIGKILL during writes and started again: nothing half-written, the work goes on', async () => {
  // Check the workflow itself once, so a failure here is not blamed on the kill.
  assert.equal(await workflow(k, 'check'), 201);
  let done = 0;
  let killed = false;
  const results = [];
  const worker = async () => {
    for (let i = 0; i < 12; i++) {
      results.push(await workflow(k, i));
      done++;
      if (!killed && done >= 6) {
        killed = true;
        k.proc.kill('SIGKILL');
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  const [, signal] = await k.exited;
  assert.equal(signal, 'SIGKILL');
  assert.ok(results.some((s) => s === 0), 'some requests met the dead server');
  assert.ok(!results.some((s) => s >= 500), `no 5xx: ${results}`);
  assertConsistent();
  k = await startServer();
  assert.equal(await workflow(k, 'after'), 201, 'the restarted kompasd takes the work');
  assertConsistent();
});

test('a read-only database is answered 503 with Retry-After, reads still work, and writes come back', async () => {
  sql('ALTER SYSTEM SET default_transaction_read_only = on');
  sql('SELECT pg_reload_conf()');
  try {
    await until(() => sql('SHOW default_transaction_read_only') === 'on');
    for (let i = 0; i < 6; i++) {
      const res = await request(k, 'POST', '/v1/requests', { token: coordinator.token, body: { source: 'phone', citizen: { name: 'Læs Kun', phone: '+45 12 34 56 78' } } });
      if (res.status === 201) continue; // a worker whose session had not seen the reload yet
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json().code, 'database_unavailable');
      assert.ok(res.headers['retry-after']);
    }
    const read = await request(k, 'GET', '/v1/centres');
    assert.equal(read.status, 200);
  } finally {
    sql('ALTER SYSTEM RESET default_transaction_read_only');
    sql('SELECT pg_reload_conf()');
  }
  await until(async () => (await request(k, 'POST', '/v1/requests', { token: coordinator.token, body: { source: 'phone', citizen: { name: 'Skriv Igen', phone: '+45 12 34 56 78' } } })).status === 201);
  assert.ok(!k.jsonLines().some((j) => j.type === 'access' && j.status === 500), 'no 500');
});

test('a full disk is answered 503, not a crash, and writes work again when there is room', { skip: process.getuid() !== 0 && 'needs root to mount a small file system' }, async () => {
  const mnt = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'small-'));
  fs.chmodSync(mnt, 0o755);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mnt]);
  try {
    execFileSync('chown', ['postgres:', mnt]);
    // Compacted first, so that new rows need new pages rather than the room
    // left in old ones by the earlier tests' updates.
    sql('VACUUM FULL request');
    sql('VACUUM FULL request_event');
    sql(`CREATE TABLESPACE small LOCATION '${mnt}'`);
    sql('ALTER TABLE request SET TABLESPACE small');
    sql('ALTER TABLE request_event SET TABLESPACE small');
    // Fill what is left, as the postgres user (the file system's owner).
    // In 64 KiB blocks, then in 4 KiB ones (tmpfs' page), so that less than
    // a page stays free.
    for (const [name, bs] of [['filler', '64k'], ['filler2', '4k']]) {
      try {
        execFileSync('runuser', ['-u', 'postgres', '--', 'dd', 'if=/dev/zero', `of=${mnt}/${name}`, `bs=${bs}`], { stdio: 'ignore' });
      } catch { /* dd ends with "no space left": that is the point */ }
    }
    let full = 0;
    for (let i = 0; i < 100 && full < 3; i++) {
      const res = await request(k, 'POST', '/v1/requests', { token: coordinator.token, body: { source: 'phone', citizen: { name: 'Fuld Disk', phone: '+45 12 34 56 78', notes: 'x'.repeat(1900) } } });
      if (res.status === 201) continue; // room left in a page
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json().code, 'database_unavailable');
      full++;
    }
    assert.equal(full, 3, 'the full disk was met');
    assert.equal((await request(k, 'GET', '/healthz')).status, 200, 'kompasd lives');
    fs.rmSync(`${mnt}/filler`);
    fs.rmSync(`${mnt}/filler2`, { force: true });
    await until(async () => (await request(k, 'POST', '/v1/requests', { token: coordinator.token, body: { source: 'phone', citizen: { name: 'Plads Igen', phone: '+45 12 34 56 78' } } })).status === 201);
  } finally {
    for (const name of ['filler', 'filler2']) {
      try { fs.rmSync(`${mnt}/${name}`, { force: true }); } catch { /* gone */ }
    }
    try {
      sql('ALTER TABLE request SET TABLESPACE pg_default');
      sql('ALTER TABLE request_event SET TABLESPACE pg_default');
      sql('DROP TABLESPACE small');
    } finally {
      execFileSync('umount', [mnt]);
      fs.rmdirSync(mnt);
    }
  }
  assert.ok(!k.jsonLines().some((j) => j.type === 'access' && j.status === 500), 'no 500');
  assertConsistent();
});
