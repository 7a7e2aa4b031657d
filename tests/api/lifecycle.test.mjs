// Lifecycle: configuration errors, migrations on fresh databases, the
// schema check of /readyz, and graceful shutdown on SIGTERM / SIGINT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { ROOT, startKompasd, psql, until, privilegeEnv } from './harness.mjs';
import { createAccount, login } from './fixtures.mjs';

// kompasd serves as an unprivileged role and migrates as the schema owner.
const APP_CONNINFO = process.env.KOMPAS_TEST_CONNINFO;
const OWNER_CONNINFO = process.env.KOMPAS_TEST_OWNER_CONNINFO || APP_CONNINFO;

const tag = randomBytes(4).toString('hex');
let tmp;
const databases = [];

before(() => {
  tmp = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'lifecycle-'));
});
after(() => {
  for (const db of databases) psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, { db: 'postgres' });
  fs.rmSync(tmp, { recursive: true, force: true });
});

// Run kompasd to completion, killing it (and failing) if it is still
// running after timeoutMs: a command that should refuse to start must not
// hang the suite when it starts after all.
// db: { conninfo, ownerConninfo } of another database than the shared one.
function run(args, { env = {}, db, timeoutMs = 15000 } = {}) {
  const proc = spawn(process.env.KOMPASD, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      KOMPAS_DATABASE_CONNINFO: db ? db.conninfo : APP_CONNINFO,
      KOMPAS_DATABASE_MIGRATE_CONNINFO: db ? db.ownerConninfo : OWNER_CONNINFO,
      KOMPAS_HTTP_PORT: '0',
      ...privilegeEnv(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; proc.kill('SIGKILL'); }, timeoutMs);
  return once(proc, 'exit').then(([code, signal]) => {
    clearTimeout(timer);
    if (timedOut) throw new Error(`kompasd ${args.join(' ')} still ran after ${timeoutMs} ms:\n${stderr}`);
    return { code, signal, stdout, stderr };
  });
}

const conf = ['-c', 'kompas.conf'];

function writeConf(name, text) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

// Messages of kompasd's JSON log lines at a level.
function logMessages(stderr, level) {
  return stderr.split('\n').flatMap((l) => {
    try { const j = JSON.parse(l); return j.level === level ? [j.msg] : []; } catch { return []; }
  });
}

// ---- (a) configuration ------------------------------------------------------

const GOOD = '# a test configuration\n[http]\nlisten = 127.0.0.1\nport = 0\n\n[log]\nlevel = info\n';

test('check-config accepts kompas.conf and a small valid file', async () => {
  let r = await run([...conf, 'check-config']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'kompas.conf: ok\n');
  assert.equal(r.stderr, '');
  const file = writeConf('good.conf', GOOD);
  r = await run(['-c', file, 'check-config']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${file}: ok\n`);
});

const BAD_FILES = [
  { what: 'an unknown key', text: '[http]\nport = 0\ncolour = red\n', line: 3, reason: /unknown key 'colour' in section \[http\]/ },
  { what: 'a bad number', text: '# comment\n[http]\nport = eighty\n', line: 3, reason: /value of 'port' is not a whole number/ },
  { what: 'an unknown section', text: '[http]\nport = 0\n\n[htpp]\nthreads = 2\n', line: 4, reason: /unknown section \[htpp\]/ },
  { what: 'a number out of range', text: '[http]\nport = 70000\n', line: 2, reason: /value of 'port' must be between 0 and 65535/ },
  { what: 'a bad size suffix', text: '[http]\nport = 0\nbody_limit = 1X\n', line: 3, reason: /value of 'body_limit' is not a whole number/ },
  { what: 'a duplicate key', text: '[http]\nport = 0\nport = 1\n', line: 3, reason: /duplicate key 'port'/ },
  { what: 'a key outside any section', text: 'port = 0\n', line: 1, reason: /outside of any \[section\]/ },
  { what: 'an unknown log level', text: '[log]\nlevel = loud\n', line: 2, reason: /value of 'level' must be one of/ },
  { what: 'an unterminated quote', text: '[database]\nconninfo = "dbname=x\n', line: 2, reason: /unterminated quoted value/ },
];

for (const bad of BAD_FILES) {
  test(`serve refuses a configuration file with ${bad.what}, naming file:line and the reason`, async () => {
    const file = writeConf(`bad-${bad.line}-${bad.what.replace(/\W+/g, '-')}.conf`, bad.text);
    for (const cmd of ['serve', 'check-config']) {
      const r = await run(['-c', file, cmd]);
      assert.notEqual(r.code, 0, `${cmd} exits non-zero`);
      assert.equal(r.code, 1, `${cmd} exit code`);
      assert.equal(r.signal, null);
      assert.ok(r.stderr.includes(`${file}:${bad.line}: `), `${cmd}: stderr names ${file}:${bad.line}: ${r.stderr}`);
      assert.match(r.stderr, bad.reason);
      assert.match(r.stderr, /configuration refused/);
      assert.doesNotMatch(r.stderr, /listening on/);
      assert.equal(r.stdout, '');
    }
  });
}

test('a missing configuration file is refused with its name', async () => {
  const file = path.join(tmp, 'does-not-exist.conf');
  const r = await run(['-c', file, 'serve']);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(file), r.stderr);
  assert.match(r.stderr, /No such file/);
});

test('an unknown option of serve or migrate is refused before anything starts', async () => {
  for (const args of [['serve', '--migrat'], ['migrate', '--stat'], ['serve', '--migrate', '--migrate']]) {
    const r = await run([...conf, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`unknown option '${args[args.length - 1]}'`));
    assert.match(r.stderr, /^usage: kompasd/m);
    assert.doesNotMatch(r.stderr, /listening on/);
  }
});

test('check-config and serve refuse a missing key file, naming it', async () => {
  const file = path.join(tmp, 'no-such.key');
  for (const cmd of ['check-config', 'serve']) {
    const r = await run([...conf, cmd], { env: { KOMPAS_CRYPTO_KEY_FILE: file } });
    assert.equal(r.code, 1, `${cmd}: ${r.stderr}`);
    assert.ok(r.stderr.includes(file), `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, /key file refused/);
    assert.doesNotMatch(r.stderr, /listening on/);
    assert.equal(r.stdout, '');
  }
});

test('a bad environment override is refused, naming the variable', async () => {
  let r = await run([...conf, 'serve'], { env: { KOMPAS_HTTP_PORT: 'notanumber' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /KOMPAS_HTTP_PORT/);
  assert.match(r.stderr, /value of 'port' is not a whole number/);
  assert.doesNotMatch(r.stderr, /listening on/);
  r = await run([...conf, 'check-config'], { env: { KOMPAS_LOG_LEVEL: 'chatty' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /KOMPAS_LOG_LEVEL/);
  assert.equal(r.stdout, '');
  r = await run([...conf, 'check-config'], { env: { KOMPAS_HTTP_BODY_LIMIT: '1' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /KOMPAS_HTTP_BODY_LIMIT/);
  assert.match(r.stderr, /must be between 1024 and/);
});

// ---- (b) migrations -----------------------------------------------------------

const migrations = fs.readdirSync(path.join(ROOT, 'schema')).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
const N = migrations.length;

// A new, empty database in the test cluster; dropped after the file.
function freshDatabase(suffix) {
  const db = `x_${tag}_${suffix}`;
  psql(`CREATE DATABASE ${db}`, { db: 'postgres' });
  databases.push(db);
  const conninfo = APP_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`);
  const ownerConninfo = OWNER_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`);
  assert.notEqual(conninfo, APP_CONNINFO);
  assert.notEqual(ownerConninfo, OWNER_CONNINFO);
  return { db, conninfo, ownerConninfo };
}

// startKompasd on a fresh database, with the owner for --migrate.
const startOn = (fdb, args = []) => startKompasd({
  conninfo: fdb.conninfo, args, env: { KOMPAS_DATABASE_MIGRATE_CONNINFO: fdb.ownerConninfo },
});

let fresh;

test('serve refuses an unmigrated database and tells to run migrate', async () => {
  assert.ok(N >= 1, 'there are migration files');
  fresh = freshDatabase('a');
  const r = await run([...conf, 'serve'], { db: fresh });
  assert.notEqual(r.code, 0);
  assert.equal(r.signal, null);
  const errors = logMessages(r.stderr, 'error');
  assert.ok(errors.some((m) => /kompasd migrate/.test(m) && m.includes(`version 0 but this kompasd needs ${N}`)), r.stderr);
  assert.doesNotMatch(r.stderr, /listening on/);
  assert.equal(psql("SELECT to_regclass('schema_migration') IS NULL", { db: fresh.db }), 't', 'serve applied nothing');
});

test('migrate --status reports pending migrations with exit code 3', async () => {
  const r = await run([...conf, 'migrate', '--status'], { db: fresh });
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, `schema version 0 of ${N}, ${N} pending\n`);
  assert.equal(psql("SELECT to_regclass('schema_migration') IS NULL", { db: fresh.db }), 't', '--status changes nothing');
});

test('migrate applies every migration once, recording name and checksum; a second run applies none', async () => {
  let r = await run([...conf, 'migrate'], { db: fresh });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `applied ${N} migration(s); schema version ${N}\n`);
  const rows = psql('SELECT version, name, checksum FROM schema_migration ORDER BY version', { db: fresh.db })
    .split('\n').map((l) => l.split('|'));
  assert.deepEqual(rows, migrations.map((name, i) => [
    String(i + 1), name, createHash('sha256').update(fs.readFileSync(path.join(ROOT, 'schema', name))).digest('hex'),
  ]));
  assert.equal(psql("SELECT to_regclass('centre') IS NOT NULL", { db: fresh.db }), 't');

  r = await run([...conf, 'migrate'], { db: fresh });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `applied 0 migration(s); schema version ${N}\n`);
  assert.equal(psql('SELECT count(*) FROM schema_migration', { db: fresh.db }), String(N));

  r = await run([...conf, 'migrate', '--status'], { db: fresh });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `schema version ${N} of ${N}, 0 pending\n`);
});

test('serve starts on the migrated database', async () => {
  const k = await startOn(fresh);
  try {
    const res = await k.fetch('/readyz');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready', schema_version: N });
    const list = await k.fetch('/v1/centres');
    assert.equal(list.status, 200);
    assert.deepEqual(await list.json(), { items: [], next: null });
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});

test('a migration whose checksum differs from the file is refused by migrate and serve, naming the file', async () => {
  const first = migrations[0];
  psql("UPDATE schema_migration SET checksum = repeat('0', 64) WHERE version = 1", { db: fresh.db });
  let r = await run([...conf, 'migrate'], { db: fresh });
  assert.notEqual(r.code, 0);
  assert.ok(r.stderr.includes(first), r.stderr);
  assert.match(r.stderr, /checksum/);
  assert.equal(r.stdout, '');

  r = await run([...conf, 'migrate', '--status'], { db: fresh });
  assert.notEqual(r.code, 0);
  assert.notEqual(r.code, 3, 'not merely pending');
  assert.ok(r.stderr.includes(first), r.stderr);

  r = await run([...conf, 'serve'], { db: fresh });
  assert.notEqual(r.code, 0);
  assert.ok(logMessages(r.stderr, 'error').some((m) => m.includes(first) && /checksum/.test(m)), r.stderr);
  assert.doesNotMatch(r.stderr, /listening on/);

  r = await run([...conf, 'serve', '--migrate'], { db: fresh });
  assert.notEqual(r.code, 0, 'serve --migrate refuses too');
  assert.ok(r.stderr.includes(first), r.stderr);
  assert.doesNotMatch(r.stderr, /listening on/);
  assert.equal(psql('SELECT checksum FROM schema_migration WHERE version = 1', { db: fresh.db }), '0'.repeat(64), 'the row was left alone');
});

test('serve --migrate on a fresh database migrates it and becomes ready', async () => {
  const fdb = freshDatabase('b');
  const { db } = fdb;
  const k = await startOn(fdb, ['--migrate']);
  try {
    assert.equal(psql('SELECT count(*) FROM schema_migration', { db }), String(N));
    const res = await k.fetch('/readyz');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready', schema_version: N });
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});

// ---- (c) readiness follows the schema ---------------------------------------------

test('/readyz answers 503 schema_behind while the database is behind, and recovers', async () => {
  const fdb = freshDatabase('c');
  const { db } = fdb;
  const k = await startOn(fdb, ['--migrate']);
  try {
    let res = await k.fetch('/readyz');
    assert.equal(res.status, 200);
    await res.arrayBuffer();

    const row = psql(`DELETE FROM schema_migration WHERE version = ${N} RETURNING version, name, checksum`, { db }).split('\n')[0];
    const [version, name, checksum] = row.split('|');
    assert.equal(version, String(N));
    assert.equal(name, migrations[N - 1]);

    res = await k.fetch('/readyz');
    assert.equal(res.status, 503);
    assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
    const body = await res.json();
    assert.equal(body.code, 'schema_behind');
    assert.equal(body.type, 'urn:kompas:problem:schema_behind');
    assert.equal(body.status, 503);
    assert.equal(body.request_id, res.headers.get('x-request-id'));
    assert.ok(body.detail.includes(`version ${N - 1}`) && body.detail.includes(`needs ${N}`), body.detail);
    // Liveness does not depend on the schema.
    assert.equal((await k.fetch('/healthz')).status, 200);

    psql(`INSERT INTO schema_migration (version, name, checksum) VALUES (${version}, '${name}', '${checksum}')`, { db });
    res = await k.fetch('/readyz');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready', schema_version: N });
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});

// ---- (d) graceful shutdown -----------------------------------------------------

function connectRefused(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(false); });
    s.on('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });
}

function messages(k) {
  return k.jsonLines().filter((j) => j.type !== 'access').map((j) => j.msg);
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`${signal} stops kompasd with exit code 0 and closes the port`, async () => {
    const k = await startKompasd();
    // An idle keep-alive connection must not hold up the shutdown.
    const idle = net.connect(k.port, '127.0.0.1');
    let idleData = '';
    idle.setEncoding('utf8').on('data', (d) => { idleData += d; });
    idle.on('error', () => {});
    await once(idle, 'connect');
    idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => idleData.includes('{"status":"ok"}'));
    assert.equal((await k.fetch('/healthz')).status, 200);

    const { code, signal: sig } = await k.stop(signal);
    assert.equal(code, 0);
    assert.equal(sig, null);
    const msgs = messages(k);
    assert.ok(msgs.includes(`received ${signal}: finishing in-flight requests`), msgs.join('\n'));
    assert.equal(msgs[msgs.length - 1], 'stopped');
    assert.ok(!msgs.some((m) => /still running/.test(m)), 'nothing was left running');
    assert.equal(await connectRefused(k.port), true, 'the port refuses connections after the stop');
    idle.destroy();
  });
}

test('SIGTERM lets a request that is in flight finish before exiting', async () => {
  const k = await startKompasd();
  // Creating a centre is for admins.
  const token = await login(k, createAccount('admin').email);
  const slug = `l-${tag}-inflight`;
  const body = JSON.stringify({ slug, name: 'In Flight', municipality: 'Odense' });
  const sock = net.connect(k.port, '127.0.0.1');
  let reply = '';
  sock.setEncoding('utf8').on('data', (d) => { reply += d; });
  sock.on('error', () => {});
  await once(sock, 'connect');
  // Headers and half the body: the request has begun but cannot finish.
  sock.write(`POST /v1/centres HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
  sock.write(body.slice(0, 10));
  await until(async () => {
    const m = /^kompas_http_requests_in_flight (\d+)$/m.exec(await (await k.fetch('/metrics')).text());
    return m && Number(m[1]) >= 2; // the POST and this /metrics request
  });

  k.proc.kill('SIGTERM');
  await k.waitForLine((l) => l.includes('received SIGTERM'));
  sock.write(body.slice(10));
  await until(() => /\r\n\r\n\{.*\}$/s.test(reply));
  assert.match(reply, /^HTTP\/1\.1 201 /);
  assert.ok(reply.includes(`"slug":"${slug}"`), reply);

  const [code, sig] = await k.exited;
  assert.equal(code, 0);
  assert.equal(sig, null);
  const msgs = messages(k);
  assert.equal(msgs[msgs.length - 1], 'stopped');
  assert.ok(!msgs.some((m) => /still running/.test(m)), 'the request finished in time');
  assert.equal(psql(`SELECT count(*) FROM centre WHERE slug = '${slug}'`), '1');
  assert.equal(await connectRefused(k.port), true);
  sock.destroy();
});
