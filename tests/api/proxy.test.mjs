// Behind a trusted reverse proxy, login throttling counts the client's
// address from X-Forwarded-For; from anyone else the header is ignored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, psql } from './harness.mjs';
import { createAccount, createCentre, uniq } from './fixtures.mjs';

let k;
const json = { 'Content-Type': 'application/json' };
before(async () => {
  psql('DELETE FROM login_throttle');
  k = await startKompasd({ env: { KOMPAS_HTTP_TRUSTED_PROXY: '127.0.0.1' } });
});
after(async () => {
  psql('DELETE FROM login_throttle');
  assert.equal((await k.stop()).code, 0);
});

const attempt = (email, password, xff) => k.fetch('/v1/sessions', {
  method: 'POST',
  headers: { ...json, ...(xff ? { 'X-Forwarded-For': xff } : {}) },
  body: JSON.stringify({ email, password }),
});

test('twelve failures from one forwarded address lock that address, not the proxy', async () => {
  const attacker = '198.51.100.7';
  // Different e-mails, so no single e-mail is locked: only the address.
  for (let i = 0; i < 12; i++) {
    const res = await attempt(`${uniq('nobody')}@test.invalid`, 'wrong password', `203.0.113.9, ${attacker}`);
    assert.equal(res.status, 401, `failure ${i + 1}`);
  }
  const locked = await attempt(`${uniq('nobody')}@test.invalid`, 'wrong password', attacker);
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get('retry-after')) >= 1);
  // The header's first entries are the client's to forge; only the last
  // one (appended by the proxy) counts. Asked at once, while the lock of
  // the first second certainly holds (a login takes most of a second on a
  // loaded machine under the sanitizers).
  const forged = await attempt(`${uniq('nobody')}@test.invalid`, 'wrong password', `192.0.2.44, ${attacker}`);
  assert.equal(forged.status, 429);
  // Another client behind the same proxy logs in.
  const user = createAccount('guide', createCentre().id);
  const ok = await attempt(user.email, user.password, '192.0.2.44');
  assert.equal(ok.status, 201);
});
