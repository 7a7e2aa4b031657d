// harness.mjs - start kompasd against the test PostgreSQL and talk to it.
//
// tools/test.sh makes a throwaway cluster and exports:
//   KOMPASD               the binary under test
//   KOMPAS_TEST_CONNINFO  libpq conninfo of the test database as kompasd's role
//   KOMPAS_TEST_OWNER_CONNINFO  the same as the schema owner (migrations)
//   KOMPAS_CRYPTO_KEY_FILE  a key file made for the run
//   KOMPAS_TEST_PGDIR     the cluster folder (for tools/pgcluster.sh)
//   KOMPAS_TEST_WRAPPER   optional command prefix (valgrind)
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { checkAnswer } from './openapi-check.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the API tests through 'make test'`);
  return v;
}

// A running kompasd. Collects every stderr line (application log and access
// log, both JSON) so tests can wait for a specific one.
export class Kompasd {
  constructor(proc) {
    this.proc = proc;
    this.lines = [];
    this.waiters = [];
    this.schemaViolations = [];
    this.exited = once(proc, 'exit');
    let partial = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk) => {
      partial += chunk;
      let nl;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        this.lines.push(line);
        if (process.env.KOMPAS_TEST_VERBOSE) process.stderr.write(`[kompasd] ${line}\n`);
        this.waiters = this.waiters.filter((w) => !w(line));
      }
    });
    proc.stdout.resume();
  }

  // Resolve with the first line (past or future) for which pred is true.
  waitForLine(pred, timeoutMs = 10000) {
    const found = this.lines.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a log line')), timeoutMs);
      const onExit = () => reject(new Error(`kompasd exited while waiting:\n${this.lines.join('\n')}`));
      this.proc.once('exit', onExit);
      this.waiters.push((line) => {
        if (!pred(line)) return false;
        clearTimeout(timer);
        this.proc.off('exit', onExit);
        resolve(line);
        return true;
      });
    });
  }

  // Parsed JSON log lines.
  jsonLines() {
    return this.lines.flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  }

  url(p) { return `${this.base}${p}`; }

  // fetch, and check the answer against docs/openapi.yaml (see stop()).
  // First two turns of the event loop (one poll phase between them): a
  // test that blocked in psql (spawnSync) for longer than kompasd keeps an
  // idle connection would otherwise send on a pooled socket whose close
  // has arrived but not yet been read ("other side closed").
  async fetch(p, init = {}) {
    await new Promise(setImmediate);
    await new Promise(setImmediate);
    const res = await fetch(this.url(p), init);
    const ct = res.headers.get('content-type') || '';
    if (ct.includes('json')) {
      const text = await res.clone().text();
      const urlPath = new URL(this.url(p)).pathname;
      const problem = checkAnswer(ROOT, (init.method || 'GET').toUpperCase(), urlPath, res.status, ct, text);
      if (problem) this.schemaViolations.push(problem);
    }
    return res;
  }

  // SIGTERM and wait; resolves with { code, signal }. Rejects when an
  // answer seen through fetch() did not match docs/openapi.yaml.
  async stop(signal = 'SIGTERM') {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    const [code, sig] = await this.exited;
    if (this.schemaViolations.length > 0) {
      const list = [...new Set(this.schemaViolations)];
      throw new Error(`${list.length} answer(s) not described by docs/openapi.yaml:\n${list.slice(0, 20).join('\n')}`);
    }
    return { code, signal: sig };
  }
}

// Started as root (CI), kompasd must switch to an unprivileged account: the
// test cluster's owner 'postgres', the one account that can reach its
// private socket folder. valgrind cannot run under the seccomp filter, so the
// filter is off in valgrind runs only (docs/operations.md).
export function privilegeEnv() {
  const env = {};
  if (process.getuid && process.getuid() === 0) env.KOMPAS_SERVER_USER = 'postgres';
  if (process.env.KOMPAS_TEST_WRAPPER) env.KOMPAS_SECURITY_SECCOMP = '0';
  return env;
}

// Start kompasd (serve) with env overrides; resolves when it listens.
// config: another configuration file than kompas.conf; bin: another binary.
export async function startKompasd({ env = {}, args = [], conninfo, config, bin = need('KOMPASD') } = {}) {
  const wrapper = (process.env.KOMPAS_TEST_WRAPPER || '').split(' ').filter(Boolean);
  const cmd = wrapper.length ? wrapper[0] : bin;
  const argv = [...wrapper.slice(1), ...(wrapper.length ? [bin] : []), '-c', config || path.join(ROOT, 'kompas.conf'), 'serve', ...args];
  const proc = spawn(cmd, argv, {
    cwd: ROOT,
    env: {
      ...process.env,
      KOMPAS_DATABASE_CONNINFO: conninfo || need('KOMPAS_TEST_CONNINFO'),
      KOMPAS_DATABASE_MIGRATE_CONNINFO: conninfo || need('KOMPAS_TEST_OWNER_CONNINFO'),
      KOMPAS_HTTP_PORT: '0',
      KOMPAS_HTTP_THREADS: '2',
      KOMPAS_LOG_LEVEL: 'info',
      ...privilegeEnv(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const k = new Kompasd(proc);
  let line;
  try {
    line = await k.waitForLine((l) => /listening on https?:\/\//.test(l), 30000);
  } catch (e) {
    proc.kill('SIGKILL'); // never leave a kompasd behind that keeps the test file alive
    throw e;
  }
  const m = /listening on (https?:\/\/[^ ]+?):(\d+)/.exec(line);
  k.port = Number(m[2]);
  k.base = `${m[1]}:${m[2]}`;
  return k;
}

// Run kompasd with a command (migrate, routes, ...) and collect its output.
export function runKompasd(args, { env = {}, conninfo } = {}) {
  const proc = spawn(need('KOMPASD'), args, {
    cwd: ROOT,
    env: {
      ...process.env,
      KOMPAS_DATABASE_CONNINFO: conninfo || need('KOMPAS_TEST_CONNINFO'),
      KOMPAS_DATABASE_MIGRATE_CONNINFO: conninfo || need('KOMPAS_TEST_OWNER_CONNINFO'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  return once(proc, 'exit').then(([code]) => ({ code, stdout, stderr }));
}

// tools/pgcluster.sh with the given command on a cluster folder.
export function pgcluster(cmd, dir, ...args) {
  return execFileSync(path.join(ROOT, 'tools/pgcluster.sh'), [cmd, dir, ...args], { encoding: 'utf8' });
}

// Run SQL in the test database as the owner role (or as `user`, e.g.
// 'kompasd', kompasd's unprivileged role); returns psql's output.
export function psql(sql, { dir = need('KOMPAS_TEST_PGDIR'), db = 'kompas', user } = {}) {
  const as = user ? ['-U', user] : [];
  return pgcluster('psql', dir, ...as, '-d', db, '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql).trim();
}

// Send raw bytes on one TCP connection and collect everything the server
// answers until it closes the connection or `until(text)` is true.
export function rawRequest(port, chunks, { until, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`raw request timed out; got: ${data}`)); }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      data += d;
      if (until && until(data)) { clearTimeout(timer); sock.destroy(); resolve(data); }
    });
    sock.on('close', () => { clearTimeout(timer); resolve(data); });
    sock.on('error', (e) => { if (e.code === 'EPIPE' || e.code === 'ECONNRESET') return; clearTimeout(timer); reject(e); });
    sock.on('connect', () => { for (const c of chunks) sock.write(c); });
  });
}

// Poll fn() until it returns a truthy value or the deadline passes. Used to
// wait for conditions another process brings about (a database coming back).
export async function until(fn, { timeoutMs = 15000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error('condition not reached before the deadline');
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// Assert that res is an RFC 9457 problem with the given status and code.
export async function expectProblem(assert, res, status, code) {
  assert.equal(res.status, status, `expected status ${status}`);
  assert.match(res.headers.get('content-type') || '', /^application\/problem\+json/);
  const body = await res.json();
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(body.type, `urn:kompas:problem:${code}`);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  assert.equal(body.request_id, res.headers.get('x-request-id'));
  return body;
}

// Open a raw connection (optionally from a given local address); resolves
// when connected. sock.text() resolves with everything read until the
// server closes; sock.answer() resolves with the first complete HTTP answer
// head (and body, by Content-Length) as soon as it has arrived.
export function openConnection(port, { localAddress, tlsOptions } = {}) {
  return new Promise((resolve, reject) => {
    const sock = tlsOptions
      ? tls.connect({ port, host: '127.0.0.1', ...tlsOptions })
      : net.connect({ port, host: '127.0.0.1', localAddress });
    let data = Buffer.alloc(0);
    let closed = false;
    const waiters = [];
    const check = () => {
      for (const w of [...waiters]) if (w()) waiters.splice(waiters.indexOf(w), 1);
    };
    sock.on('data', (d) => { data = Buffer.concat([data, d]); check(); });
    sock.on('error', () => {});
    sock.on('close', () => { closed = true; check(); });
    sock.closedPromise = new Promise((r) => sock.once('close', r));
    sock.isClosed = () => closed;
    sock.received = () => data.toString('latin1');
    sock.answer = () => new Promise((res, rej) => {
      const w = () => {
        const text = data.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end >= 0) {
          const head = text.slice(0, end);
          const lines = head.split('\r\n');
          const status = Number(lines[0].split(' ')[1]);
          const headers = {};
          for (const l of lines.slice(1)) {
            const i = l.indexOf(':');
            headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
          }
          const len = Number(headers['content-length'] || 0);
          if (text.length >= end + 4 + len) {
            res({ status, headers, body: text.slice(end + 4, end + 4 + len) });
            return true;
          }
        }
        if (closed) { rej(new Error(`closed without a complete answer: ${JSON.stringify(text.slice(0, 200))}`)); return true; }
        return false;
      };
      if (!w()) waiters.push(w);
    });
    sock.once(tlsOptions ? 'secureConnect' : 'connect', () => resolve(sock));
    sock.once('error', reject);
  });
}
