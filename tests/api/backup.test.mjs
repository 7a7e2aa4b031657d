// Backup and restore (docs/operations.md): tools/backup-restore-check.sh
// dumps a database holding the demo data and a citizen's sealed request,
// drops it, restores it and compares every table's row count and checksum;
// kompasd then serves the restored data, sealed fields included.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startKompasd, runKompasd, psql, pgcluster } from './harness.mjs';
import { call, login } from './fixtures.mjs';

const db = `backup_${randomBytes(4).toString('hex')}`;
const conninfo = process.env.KOMPAS_TEST_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`);
const ownerConninfo = process.env.KOMPAS_TEST_OWNER_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`);
const socketDir = pgcluster('socket', process.env.KOMPAS_TEST_PGDIR).trim();
let tmp;

// The script with the libpq environment of the test cluster's superuser.
function check(args) {
  return new Promise((resolve) => {
    execFile(path.join(ROOT, 'tools/backup-restore-check.sh'), args, {
      env: { ...process.env, PGHOST: socketDir, PGUSER: 'kompas_owner', PGDATABASE: 'postgres' },
      encoding: 'utf8',
    }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

let requestId;
before(async () => {
  tmp = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP, 'backup-'));
  psql(`CREATE DATABASE ${db}`, { db: 'postgres' });
  const m = await runKompasd(['-c', 'kompas.conf', 'migrate'], { conninfo: ownerConninfo });
  assert.equal(m.code, 0, m.stderr);
  pgcluster('psql', process.env.KOMPAS_TEST_PGDIR, '-d', db, '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.join(ROOT, 'tools/demo-data.sql'));
  const k = await startKompasd({ conninfo });
  try {
    const token = await login(k, 'koordinator@odense.demo');
    const res = await call(k, 'POST', '/v1/requests', {
      token, body: { source: 'phone', citizen: { name: 'Backup Borger', phone: '+45 20 00 00 00' } },
    });
    assert.equal(res.status, 201, await res.clone().text());
    requestId = (await res.json()).id;
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});
after(() => {
  psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, { db: 'postgres' });
  psql(`DROP DATABASE IF EXISTS ${db}_restorecheck WITH (FORCE)`, { db: 'postgres' });
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the scratch check restores a copy and finds every table identical, leaving the database alone', async () => {
  const before = psql('SELECT oid FROM pg_database WHERE datname = current_database()', { db });
  const r = await check([db]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /restored into \S+_restorecheck/);
  assert.match(r.stdout, /backup-restore-check: ok \(\d+ tables and sequences identical\)/);
  assert.match(r.stdout, /public\.volunteer\s+\d+ rows/);
  assert.equal(psql('SELECT oid FROM pg_database WHERE datname = current_database()', { db }), before, 'same database');
  assert.equal(psql(`SELECT count(*) FROM pg_database WHERE datname = '${db}_restorecheck'`, { db: 'postgres' }), '0', 'scratch copy dropped');
});

test('--drop: dump, drop, restore and compare; kompasd serves the restored data, sealed fields included', async () => {
  const counts = psql('SELECT (SELECT count(*) FROM centre) || \'/\' || (SELECT count(*) FROM volunteer) || \'/\' || (SELECT count(*) FROM request)', { db });
  const dump = path.join(tmp, 'kompas.dump');
  const oid = psql('SELECT oid FROM pg_database WHERE datname = current_database()', { db });
  const r = await check(['--drop', db, dump]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, new RegExp(`dropped ${db}\\n`));
  assert.match(r.stdout, /backup-restore-check: ok/);
  assert.ok(fs.statSync(dump).size > 10000, 'the dump file named is kept');
  assert.notEqual(psql('SELECT oid FROM pg_database WHERE datname = current_database()', { db }), oid, 'a new database');
  assert.equal(psql('SELECT (SELECT count(*) FROM centre) || \'/\' || (SELECT count(*) FROM volunteer) || \'/\' || (SELECT count(*) FROM request)', { db }), counts);
  assert.equal(psql(`SELECT has_database_privilege('kompasd', '${db}', 'CONNECT')`, { db }), 't');

  const k = await startKompasd({ conninfo });
  try {
    assert.equal((await k.fetch('/readyz')).status, 200);
    const token = await login(k, 'koordinator@odense.demo');
    const res = await call(k, 'GET', `/v1/requests/${requestId}`, { token });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).citizen.name, 'Backup Borger', 'sealed data opens with the same key');
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});
