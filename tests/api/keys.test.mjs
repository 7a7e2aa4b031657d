// Key rotation: a new data key is added to the key file, `kompasd
// rotate-keys` re-seals every sealed value with it, and the data reads the
// same through the API; the old key can then be removed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startKompasd, runKompasd, psql } from './harness.mjs';
import { makeWorld, auth, JSON_HEADERS } from './fixtures.mjs';

let k;
let w;
let dir;
let request;
const keyIds = (id) => psql(`SELECT get_byte(name_sealed, 1) || ',' || get_byte(phone_sealed, 1) || ',' ||
  (SELECT string_agg(get_byte(summary_sealed, 1)::text, ',') FROM conversation WHERE request_id = r.id)
  FROM request r WHERE id = '${id}'`);

before(async () => {
  dir = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'keys-'));
  k = await startKompasd();
  w = await makeWorld(k);
  const vol = psql(`INSERT INTO volunteer (centre_id, name, status) VALUES ('${w.A.id}', 'Kim Key', 'active') RETURNING id`);
  const call = (method, p, body) => k.fetch(p, { method, headers: { ...auth(w.tokens.A.coordinator), ...JSON_HEADERS }, body: JSON.stringify(body) });
  request = await (await call('POST', '/v1/requests', { source: 'phone', citizen: { name: 'Rotér Mig', phone: '+45 71 72 73 74' } })).json();
  for (const [to, extra] of [['accepted', {}], ['guide_assigned', { volunteer_id: vol }], ['contacted', {}]]) {
    assert.equal((await call('POST', `/v1/requests/${request.id}/transitions`, { to, ...extra })).status, 200);
  }
  assert.equal((await call('POST', `/v1/requests/${request.id}/conversations`, { held_on: '2026-11-01', duration_minutes: 20, summary: 'Hemmelig snak', next_step: 'none' })).status, 201);
});
after(async () => {
  assert.equal((await k.stop()).code, 0);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('rotate-keys re-seals requests and conversations with the new key; the data reads the same', async () => {
  assert.equal(keyIds(request.id), '1,1,1');
  const rotated = path.join(dir, 'rotated.key');
  const old = fs.readFileSync(process.env.KOMPAS_CRYPTO_KEY_FILE, 'utf8');
  fs.writeFileSync(rotated, `${old}data 2 ${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const run = await runKompasd(['-c', 'kompas.conf', 'rotate-keys'], { env: { KOMPAS_CRYPTO_KEY_FILE: rotated } });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /re-sealed [1-9]\d* request row\(s\) with data key 2/);
  assert.match(run.stdout, /re-sealed [1-9]\d* conversation row\(s\) with data key 2/);
  assert.equal(keyIds(request.id), '2,2,2');
  // idempotent: nothing left to do
  const again = await runKompasd(['-c', 'kompas.conf', 'rotate-keys'], { env: { KOMPAS_CRYPTO_KEY_FILE: rotated } });
  assert.match(again.stdout, /re-sealed 0 request row/);
  // a server with only the new key (the old one removed) reads everything
  const onlyNew = path.join(dir, 'only-new.key');
  fs.writeFileSync(onlyNew, fs.readFileSync(rotated, 'utf8').split('\n').filter((l) => !l.startsWith('data 1 ')).join('\n'), { mode: 0o600 });
  const k2 = await startKompasd({ env: { KOMPAS_CRYPTO_KEY_FILE: onlyNew } });
  try {
    const r = await (await k2.fetch(`/v1/requests/${request.id}`, { headers: auth(w.tokens.A.coordinator) })).json();
    assert.equal(r.citizen.name, 'Rotér Mig');
    const c = await (await k2.fetch(`/v1/requests/${request.id}/conversations`, { headers: auth(w.tokens.A.coordinator) })).json();
    assert.equal(c.items[0].summary, 'Hemmelig snak');
  } finally {
    assert.equal((await k2.stop()).code, 0);
  }
});

test('rotate-keys refuses to run as kompasd\'s own role (row-level security would hide rows)', async () => {
  const run = await runKompasd(['-c', 'kompas.conf', 'rotate-keys'], { env: { KOMPAS_DATABASE_MIGRATE_CONNINFO: process.env.KOMPAS_TEST_CONNINFO } });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /schema owner/);
});

test('a key file that others may read is refused', async () => {
  const loose = path.join(dir, 'loose.key');
  fs.copyFileSync(process.env.KOMPAS_CRYPTO_KEY_FILE, loose);
  fs.chmodSync(loose, 0o644);
  const run = await runKompasd(['-c', 'kompas.conf', 'check-config'], { env: { KOMPAS_CRYPTO_KEY_FILE: loose } });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /group or others may read the key file/);
});
