// Running in production: privilege drop, the seccomp filter, readiness
// notification (sd_notify), configuration reload on SIGHUP, access-log
// reopen on SIGUSR1 and HTTPS served directly by kompasd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { ROOT, startKompasd, runKompasd, privilegeEnv, until, pgcluster } from './harness.mjs';

const isRoot = process.getuid() === 0;
const notRoot = isRoot ? false : 'needs root: the privilege drop is only tested when the suite runs as root (as CI does)';
let dir;

before(() => {
  dir = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP, 'ops-'));
  fs.chmodSync(dir, 0o755);
  // kompasd creates access-log files here after leaving root (as a log
  // folder must be writable by the service user).
  if (isRoot) {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(dir, id('-u'), id('-g'));
  }
});
after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

// Every "Key:\tvalue" line of /proc/<pid>/<file>.
function procStatus(file) {
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

function threadStatuses(pid) {
  return fs.readdirSync(`/proc/${pid}/task`).map((t) => procStatus(`/proc/${pid}/task/${t}/status`));
}

// Run `kompasd serve` expecting it to refuse to start; returns its stderr.
async function refusedServe(env) {
  const r = await runKompasd(['-c', 'kompas.conf', 'serve'], { env: { KOMPAS_HTTP_PORT: '0', ...env } });
  assert.notEqual(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /listening on/);
  return r.stderr;
}

test('started as root, every thread of kompasd runs as the configured user, which cannot regain root', { skip: notRoot }, async () => {
  const uid = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
  const k = await startKompasd({ env: { KOMPAS_SERVER_USER: 'postgres' } });
  try {
    assert.equal((await k.fetch('/readyz')).status, 200, 'the database is reachable after the drop');
    const threads = threadStatuses(k.proc.pid);
    assert.ok(threads.length >= 3, 'main, worker and helper threads');
    for (const st of threads) {
      assert.deepEqual(st.Uid.split(/\s+/), [uid, uid, uid, uid], `thread ${st.Name} real/effective/saved/fs uid`);
      assert.deepEqual(st.Gid.split(/\s+/), [gid, gid, gid, gid], `thread ${st.Name} gids`);
      assert.ok(!st.Groups.split(/\s+/).includes('0'), 'no supplementary root group');
      assert.equal(st.CapEff, '0000000000000000', 'no effective capabilities');
      assert.equal(st.CapPrm, '0000000000000000', 'no permitted capabilities');
    }
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});

test('started as root without [server] user, kompasd refuses to serve and says why', { skip: notRoot }, async () => {
  const stderr = await refusedServe({ KOMPAS_SERVER_USER: '' });
  assert.match(stderr, /does not serve as root: set \[server\] user/);
});

test('an unknown user or root itself is refused as [server] user', { skip: notRoot }, async () => {
  assert.match(await refusedServe({ KOMPAS_SERVER_USER: 'no-such-account-kompas' }), /no account named 'no-such-account-kompas'/);
  assert.match(await refusedServe({ KOMPAS_SERVER_USER: 'root' }), /user 'root' is root/);
});

test('a key file that others may read is refused by serve, naming the file and its mode', async () => {
  const loose = path.join(dir, 'loose.key');
  fs.copyFileSync(process.env.KOMPAS_CRYPTO_KEY_FILE, loose);
  fs.chmodSync(loose, 0o644);
  const stderr = await refusedServe({ KOMPAS_CRYPTO_KEY_FILE: loose, ...privilegeEnv() });
  assert.ok(stderr.includes(`${loose}: group or others may read the key file (mode 0644)`), stderr);
});

test('the seccomp filter is installed on every thread (on in kompas.conf), with no_new_privs', { skip: process.env.KOMPAS_TEST_WRAPPER ? 'seccomp is off under valgrind' : false }, async () => {
  const k = await startKompasd();
  try {
    assert.equal((await k.fetch('/readyz')).status, 200);
    for (const st of threadStatuses(k.proc.pid)) {
      assert.equal(st.Seccomp, '2', `thread ${st.Name} is in seccomp filter mode`);
      assert.equal(st.NoNewPrivs, '1');
    }
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});

test('[security] seccomp = 0 leaves the filter off and says so', async () => {
  const k = await startKompasd({ env: { KOMPAS_SECURITY_SECCOMP: '0' } });
  try {
    assert.equal(procStatus(`/proc/${k.proc.pid}/status`).Seccomp, '0');
    assert.ok(k.jsonLines().some((l) => l.level === 'warn' && /system-call filter is off/.test(l.msg)));
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});

// A notification socket made by tests/helpers/notify_listen.c.
async function notifySocket(name) {
  const sock = path.join(dir, name);
  const proc = spawn(path.join(path.dirname(process.env.KOMPASD), 'tests/notify-listen'), [sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  let partial = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => {
    partial += d;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) { lines.push(partial.slice(0, nl)); partial = partial.slice(nl + 1); }
  });
  await until(() => lines.includes('listening'));
  return { sock, lines, stop: () => { proc.kill('SIGTERM'); return once(proc, 'exit'); } };
}

// One HTTP/1.1 keep-alive connection: send a request, read one response.
class KeepAlive {
  constructor(port) {
    this.sock = net.connect(port, '127.0.0.1');
    this.data = '';
    this.closed = false;
    this.sock.setEncoding('utf8');
    this.sock.on('data', (d) => { this.data += d; });
    this.sock.on('close', () => { this.closed = true; });
  }

  async get(p) {
    this.data = '';
    this.sock.write(`GET ${p} HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n`);
    await until(() => {
      const head = this.data.indexOf('\r\n\r\n');
      if (head < 0) return false;
      const len = Number(/content-length: (\d+)/i.exec(this.data.slice(0, head))[1]);
      return this.data.length >= head + 4 + len;
    });
    return Number(/^HTTP\/1\.1 (\d+)/.exec(this.data)[1]);
  }
}

test('readiness is notified once serving, RELOADING/READY around a SIGHUP reload, STOPPING on SIGTERM', async () => {
  const n = await notifySocket('notify.sock');
  try {
    const k = await startKompasd({ env: { NOTIFY_SOCKET: n.sock } });
    await until(() => n.lines.includes('READY=1 STATUS=serving'));
    assert.equal((await k.fetch('/readyz')).status, 200, 'ready means the database answers');
    k.proc.kill('SIGHUP');
    await k.waitForLine((l) => /configuration reloaded/.test(l));
    await until(() => n.lines.length >= 4);
    assert.match(n.lines[2], /^RELOADING=1 MONOTONIC_USEC=\d+$/);
    assert.equal(n.lines[3], 'READY=1');
    assert.equal((await k.stop()).code, 0);
    await until(() => n.lines.includes('STOPPING=1'));
    assert.deepEqual(n.lines.slice(4), ['STOPPING=1']);
  } finally {
    await n.stop();
  }
});

test('SIGHUP applies a new log level and access log at once, names keys needing a restart, and keeps connections', async () => {
  const conf = path.join(dir, 'reload.conf');
  const base = fs.readFileSync(path.join(ROOT, 'kompas.conf'), 'utf8');
  const logA = path.join(dir, 'access-a.log');
  const logB = path.join(dir, 'access-b.log');
  const configure = (level, file, retryAfter, bodyLimit = '1M', connectionLimit = 1024) => fs.writeFileSync(conf, base
    .replace(/^level = .*$/m, `level = ${level}`)
    .replace(/^access_log = .*$/m, `access_log = ${file}`)
    .replace(/^retry_after = .*$/m, `retry_after = ${retryAfter}`)
    .replace(/^body_limit = .*$/m, `body_limit = ${bodyLimit}`)
    .replace(/^connection_limit = .*$/m, `connection_limit = ${connectionLimit}`));
  const login = (bytes) => fetch(k.url('/v1/sessions'), {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'nobody@test.invalid', password: 'x'.repeat(bytes) }),
  });
  const lines = (file) => fs.readFileSync(file, 'utf8').trim().split('\n');
  configure('info', logA, 1);
  const k = await startKompasd({ config: conf, env: { KOMPAS_LOG_LEVEL: undefined } });
  const conn = new KeepAlive(k.port);
  try {
    assert.equal(await conn.get('/healthz'), 200);
    await until(() => fs.existsSync(logA) && fs.readFileSync(logA, 'utf8').includes('"route":"/healthz"'));

    // A 2000-byte body is well inside the limit of 1M.
    assert.notEqual((await login(2000)).status, 413);
    configure('warn', logB, 7, '1k', 512);
    k.proc.kill('SIGHUP');
    const line = JSON.parse(await k.waitForLine((l) => /configuration reloaded/.test(l)));
    assert.equal(line.level, 'info');
    assert.match(line.msg, /applied: (?=.*log\.level)(?=.*log\.access_log)(?=.*http\.body_limit)(?=.*http\.retry_after)/);
    assert.match(line.msg, /needing a restart: http\.connection_limit$/);
    // The new body limit is in force at once.
    const big = await login(2000);
    assert.equal(big.status, 413);
    assert.match((await big.json()).detail, /1024 bytes/);

    assert.equal(await conn.get('/healthz'), 200, 'the keep-alive connection survived the reload');
    assert.equal(conn.closed, false);
    await until(() => fs.existsSync(logB) && fs.readFileSync(logB, 'utf8').includes('"route":"/healthz"'));
    assert.equal(lines(logA).length, 2, 'the old file got no more lines (the /healthz and the login before the reload)');

    // The new level is in force: the info line of a reopen is not written.
    fs.renameSync(logB, `${logB}.1`);
    k.proc.kill('SIGUSR1');
    await until(async () => (await conn.get('/v1')) === 200 && fs.existsSync(logB));
    // A file that does not parse is refused; the running configuration stays.
    fs.writeFileSync(conf, `${base}\n[http]\nnonsense = 1\n`);
    k.proc.kill('SIGHUP');
    const refused = JSON.parse(await k.waitForLine((l) => /configuration reload refused/.test(l)));
    assert.equal(refused.level, 'error');
    assert.ok(refused.msg.includes(`${conf}:`) && /unknown key 'nonsense'/.test(refused.msg), refused.msg);
    assert.ok(!k.lines.some((l) => /access log reopened/.test(l)), 'info lines are dropped at level warn');
    assert.equal(await conn.get('/readyz'), 200);
    assert.equal(conn.closed, false);
    await until(() => fs.readFileSync(logB, 'utf8').includes('"route":"/readyz"'));
    assert.ok(!fs.readFileSync(`${logB}.1`, 'utf8').includes('"route":"/readyz"'));
  } finally {
    conn.sock.destroy();
    assert.equal((await k.stop()).code, 0);
  }
});

test('SIGUSR1 reopens the access-log file after rotation: old lines stay in the moved file, new ones go to a new file', async () => {
  const file = path.join(dir, 'access.log');
  const k = await startKompasd({ env: { KOMPAS_LOG_ACCESS_LOG: file } });
  try {
    assert.equal((await k.fetch('/healthz')).status, 200);
    await until(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"route":"/healthz"'));
    fs.renameSync(file, `${file}.1`);
    k.proc.kill('SIGUSR1');
    await k.waitForLine((l) => /access log reopened/.test(l));
    assert.equal((await k.fetch('/v1')).status, 200);
    await until(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"route":"/v1"'));
    const old = fs.readFileSync(`${file}.1`, 'utf8');
    assert.ok(old.includes('"route":"/healthz"') && !old.includes('"route":"/v1"'));
    assert.ok(!fs.readFileSync(file, 'utf8').includes('"route":"/healthz"'));
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});

// A self-signed certificate for localhost made with openssl.
function makeCertificate() {
  const key = path.join(dir, 'tls.key');
  const cert = path.join(dir, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  fs.chmodSync(key, 0o600);
  return { key, cert };
}

function httpsGet(port, p, ca, options = {}) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: p, ca, servername: 'localhost', agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on('error', reject);
  });
}

// Open a TLS connection allowing only `version`; resolves with the protocol
// negotiated, rejects when the handshake fails.
// The client's security level is lowered so that a refusal of old versions
// comes from kompasd, not from Node.
function tlsHandshake(port, ca, version) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1', port, ca, servername: 'localhost', minVersion: version, maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0',
    }, () => {
      const proto = s.getProtocol();
      s.end();
      resolve(proto);
    });
    s.on('error', reject);
  });
}

test('HTTPS served directly: TLS 1.2 and 1.3 answer, TLS 1.1 and plain HTTP do not', async () => {
  const { key, cert } = makeCertificate();
  const ca = fs.readFileSync(cert);
  const k = await startKompasd({ env: { KOMPAS_HTTP_TLS_CERT: cert, KOMPAS_HTTP_TLS_KEY: key } });
  try {
    assert.match(k.base, /^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await httpsGet(k.port, '/readyz', ca);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).status, 'ready');
    assert.equal(r.headers['strict-transport-security'], 'max-age=31536000', 'HSTS over HTTPS');
    assert.equal(await tlsHandshake(k.port, ca, 'TLSv1.3'), 'TLSv1.3');
    assert.equal(await tlsHandshake(k.port, ca, 'TLSv1.2'), 'TLSv1.2');
    await assert.rejects(tlsHandshake(k.port, ca, 'TLSv1.1'), 'TLS 1.1 is refused');
    await assert.rejects(fetch(`http://127.0.0.1:${k.port}/healthz`), 'plain HTTP gets no answer');
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});

test('a TLS key that others may read, or a certificate without its key, is refused', async () => {
  const { key, cert } = makeCertificate();
  fs.chmodSync(key, 0o644);
  assert.match(await refusedServe({ KOMPAS_HTTP_TLS_CERT: cert, KOMPAS_HTTP_TLS_KEY: key, ...privilegeEnv() }),
    /TLS key .*tls\.key: others may read it \(mode 0644\)/);
  assert.match(await refusedServe({ KOMPAS_HTTP_TLS_CERT: cert, ...privilegeEnv() }), /tls_cert and tls_key must be set together/);
});

// A free TCP port on 127.0.0.1 (bound and released).
async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

test('under the filter, libpq connects over TCP with its default GSSAPI negotiation (gssencmode=prefer)', async () => {
  // The shared test cluster listens on a Unix socket only, where libpq never
  // tries GSSAPI: this one listens on TCP.
  const pgdir = path.join(dir, 'tcp-pg');
  const port = await freePort();
  pgcluster('init', pgdir, '--fast');
  const conf = path.join(pgdir, 'data/postgresql.conf');
  fs.appendFileSync(conf, `listen_addresses = '127.0.0.1'\nport = ${port}\n`);
  fs.appendFileSync(path.join(pgdir, 'data/pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
  const env = { ...process.env, PGPORT: String(port) };
  const cluster = (cmd, ...args) => execFileSync(path.join(ROOT, 'tools/pgcluster.sh'), [cmd, pgdir, ...args], { env, encoding: 'utf8' });
  cluster('start');
  try {
    cluster('createdb', 'kompas');
    const tcp = (user) => `host=127.0.0.1 port=${port} dbname=kompas user=${user}`;
    assert.doesNotMatch(tcp('kompasd'), /gssencmode/);
    const m = await runKompasd(['-c', 'kompas.conf', 'migrate'], { conninfo: tcp('kompas_owner') });
    assert.equal(m.code, 0, m.stderr);
    const k = await startKompasd({ conninfo: tcp('kompasd') });
    try {
      assert.equal((await k.fetch('/readyz')).status, 200);
      assert.equal((await k.fetch('/v1/centres')).status, 200);
      assert.equal(procStatus(`/proc/${k.proc.pid}/status`).Seccomp, process.env.KOMPAS_TEST_WRAPPER ? '0' : '2');
    } finally {
      assert.equal((await k.stop()).code, 0);
    }
  } finally {
    cluster('stop');
  }
});
