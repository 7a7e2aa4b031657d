// The event-loop workers ([http] mode = events) on one loop with two
// database connections: concurrent GET /readyz requests run their statement
// alone, pipelined on one connection (lib/db_alone.c), beside authorized
// requests that hold a connection for their transaction. Every answer is its
// own request's; a lost connection is answered 503 with Retry-After, never
// 500, and the loop recovers by itself. (tests/db/test_db_alone.c checks the
// pipeline itself: one backend, a transaction each, a failure or a lost
// connection in the middle.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startKompasd, psql, until, ROOT, openConnection } from './harness.mjs';
import { createCentre, createAccount, login, call } from './fixtures.mjs';

const RETRY_AFTER = '4';
let k;
let schemaVersion;

before(async () => {
  k = await startKompasd({
    env: {
      KOMPAS_HTTP_MODE: 'events',
      KOMPAS_HTTP_THREADS: '1',
      KOMPAS_DATABASE_LOOP_CONNECTIONS: '2',
      KOMPAS_HTTP_RETRY_AFTER: RETRY_AFTER,
    },
  });
  schemaVersion = Number(psql('SELECT max(version) FROM schema_migration'));
});

after(async () => {
  if (k) await k.stop();
});

async function readyz() {
  const res = await k.fetch('/readyz');
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

test('concurrent GET /readyz on one loop: each answered with the schema version', async () => {
  const answers = await Promise.all(Array.from({ length: 48 }, readyz));
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { status: 'ready', schema_version: schemaVersion });
  }
});

test('pipelined readiness checks beside authorized requests: no answer or context mixes', async () => {
  const centre = createCentre();
  const accounts = [createAccount('coordinator', centre.id), createAccount('guide', centre.id)];
  const tokens = await Promise.all(accounts.map((a) => login(k, a.email)));
  const mine = async (i) => {
    const res = await call(k, 'GET', '/v1/me', { token: tokens[i % 2] });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.account.email, accounts[i % 2].email);
    assert.equal(body.role, accounts[i % 2].role);
  };
  const ready = async () => {
    const a = await readyz();
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { status: 'ready', schema_version: schemaVersion });
  };
  await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? mine(i) : ready())));
});

test('the loop\'s connections terminated: 200 or 503 with Retry-After, never 500, then 200',
  { timeout: 60000 }, async () => {
  await Promise.all(Array.from({ length: 8 }, readyz)); // both connections open
  const ended = psql(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                      WHERE usename = 'kompasd' AND application_name = 'kompasd'`);
  assert.ok(Number(ended) >= 1, `terminated ${ended} backends`);
  const answers = await Promise.all(Array.from({ length: 32 }, readyz));
  for (const a of answers) {
    assert.ok(a.status === 200 || a.status === 503, `status ${a.status}`);
    if (a.status === 503) {
      assert.equal(a.retryAfter, RETRY_AFTER);
      assert.equal(a.body.code, 'database_unavailable');
    }
  }
  const a = await readyz();
  assert.equal(a.status, 200);
});

// A second session holding schema_migration locked: GET /readyz's
// statement waits on the lock until release() commits.
async function lockSchemaTable() {
  const child = spawn(path.join(ROOT, 'tools/pgcluster.sh'),
    ['psql', process.env.KOMPAS_TEST_PGDIR, '-d', 'kompas', '-tA', '-v', 'ON_ERROR_STOP=1'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const locked = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { out += d; if (out.includes('locked')) resolve(); });
    child.on('exit', (code) => reject(new Error(`the locking session ended (${code}): ${out}`)));
  });
  child.stdin.write("BEGIN; LOCK TABLE schema_migration IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n");
  await locked;
  const ended = new Promise((resolve) => child.on('exit', resolve));
  return async () => { child.stdin.end('COMMIT;\n'); await ended; };
}

// The backend of a statement kompasd is waiting for, terminated under it:
// libpq closes the socket as it reads the end, and the reconnect's socket
// usually gets the same descriptor number. The loop must watch that new
// socket (it once kept the closed one's registration and waited forever).
// Three rounds, each: the lost statement answered 503 with Retry-After,
// the next check answered 200 on a new backend.
test('a backend terminated while its statement waits: 503, then the reconnected connection answers',
  { timeout: 60000 }, async () => {
  for (let round = 0; round < 3; round++) {
    const release = await lockSchemaTable();
    const waiting = readyz();
    const pid = await until(() => psql(`SELECT pid FROM pg_stat_activity
      WHERE usename = 'kompasd' AND application_name = 'kompasd' AND wait_event_type = 'Lock'`));
    assert.equal(psql(`SELECT pg_terminate_backend(${pid})`), 't');
    const lost = await waiting;
    await release();
    assert.equal(lost.status, 503, `round ${round}: ${JSON.stringify(lost.body)}`);
    assert.equal(lost.retryAfter, RETRY_AFTER);
    assert.equal(lost.body.code, 'database_unavailable');
    const next = await readyz();
    assert.equal(next.status, 200, `round ${round}: ${JSON.stringify(next.body)}`);
    assert.deepEqual(next.body, { status: 'ready', schema_version: schemaVersion });
    assert.equal(psql(`SELECT count(*) FROM pg_stat_activity WHERE pid = ${pid}`), '0');
  }
});

// Ask for /healthz on a raw connection (kept alive; its first request) and
// return the answer's status.
async function healthz(c) {
  c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  return (await c.answer()).status;
}

// How many connections wait in the listening socket's accept queue
// (/proc/net/tcp's rx_queue of a listening socket).
function acceptQueue(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const col = line.trim().split(/\s+/);
      if (col.length > 4 && col[1].endsWith(`:${hex}`) && col[3] === '0A')
        return parseInt(col[4].split(':')[1], 16);
    }
  }
  return -1;
}

// The shared limits of two loops: a connection over its address's limit is
// closed unanswered; at the total limit a new client is not accepted (and
// not closed): it waits in the listen queue and is answered once a
// connection closes. (The total's slot is taken before accept, so two
// loops accepting at once cannot both pass the check at the limit.)
test('two loops at the connection limits: over an address\'s limit closed, at the total limit kept waiting, then answered',
  { timeout: 60000 }, async () => {
  const k2 = await startKompasd({
    env: {
      KOMPAS_HTTP_MODE: 'events', KOMPAS_HTTP_THREADS: '2',
      KOMPAS_HTTP_CONNECTION_LIMIT: '4', KOMPAS_HTTP_PER_IP_CONNECTION_LIMIT: '2',
    },
  });
  const open = [];
  try {
    for (const addr of ['127.0.0.2', '127.0.0.2', '127.0.0.3']) {
      const c = await openConnection(k2.port, { localAddress: addr });
      open.push(c);
      assert.equal(await healthz(c), 200);
    }
    const third = await openConnection(k2.port, { localAddress: '127.0.0.2' });
    third.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await third.closedPromise;
    assert.equal(third.received(), '', 'the third connection from one address is closed unanswered');
    const fourth = await openConnection(k2.port, { localAddress: '127.0.0.3' });
    open.push(fourth);
    assert.equal(await healthz(fourth), 200);
    // All four slots taken: the next client waits in the accept queue.
    const waiting = await openConnection(k2.port, { localAddress: '127.0.0.4' });
    waiting.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await until(() => acceptQueue(k2.port) === 1, { intervalMs: 5 });
    assert.equal(waiting.received(), '');
    assert.equal(waiting.isClosed(), false);
    open.shift().destroy();
    assert.equal((await waiting.answer()).status, 200);
  } finally {
    for (const c of open) c.destroy();
    await k2.stop();
  }
});
