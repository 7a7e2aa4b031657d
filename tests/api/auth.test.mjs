// Identity: logging in and out, session expiry, login throttling,
// integration keys and account management.
//
// Failed logins are counted per e-mail and per client address in the shared
// login_throttle table; every test file calls from 127.0.0.1, so this file
// empties that table before and after its own failures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startKompasd, expectProblem, psql, until } from './harness.mjs';
import { PASSWORD, uniq, createAccount, login, createKey, makeWorld, call } from './fixtures.mjs';

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NEW_PASSWORD = 'Nyt og langt kodeord 2026';
const BAD_LOGIN = 'The e-mail or the password is wrong.';

let k;
let w; // makeWorld: centres A and B, an account and token of every role
before(async () => {
  psql('DELETE FROM login_throttle');
  k = await startKompasd();
  w = await makeWorld(k);
});
after(async () => {
  psql('DELETE FROM login_throttle');
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

const loginRes = (email, password) => call(k, 'POST', '/v1/sessions', { body: { email, password } });
const me = (token) => call(k, 'GET', '/v1/me', { token });
const admin = () => w.tokens.national.admin;
const coordA = () => w.tokens.A.coordinator;

async function expect401(res, what) {
  assert.match(res.headers.get('www-authenticate') || '', /^Bearer/, `${what}: WWW-Authenticate`);
  return expectProblem(assert, res, 401, 'unauthenticated');
}

// A 4xx problem with exactly one field error.
async function expectFieldError(res, status, code, field, fieldCode, message) {
  const body = await expectProblem(assert, res, status, code);
  assert.equal(body.errors.length, 1, JSON.stringify(body.errors));
  assert.equal(body.errors[0].field, field);
  assert.equal(body.errors[0].code, fieldCode);
  if (message !== undefined) assert.equal(body.errors[0].message, message);
  return body;
}

const sameProblem = (b) => ({ type: b.type, title: b.title, status: b.status, code: b.code, detail: b.detail });

// --- sessions ------------------------------------------------------------------

test('login answers 201 with a bearer token, its expiry and the account', async () => {
  const a = createAccount('guide', w.A.id);
  const t0 = Date.now();
  const res = await loginRes(a.email, PASSWORD);
  assert.equal(res.status, 201);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const body = await res.json();
  assert.deepEqual(Object.keys(body).sort(), ['account', 'expires_at', 'idle_timeout_seconds', 'token', 'token_type']);
  assert.match(body.token, /^kps_[A-Za-z0-9_-]{43}$/);
  assert.equal(body.token_type, 'Bearer');
  assert.match(body.expires_at, RFC3339_UTC);
  const lifetime = Date.parse(body.expires_at) - t0;
  assert.ok(Math.abs(lifetime - 12 * 3600 * 1000) < 120_000, `a session lasts 12 hours (${lifetime} ms)`);
  assert.equal(body.idle_timeout_seconds, 1800);
  assert.deepEqual(body.account, { id: a.id, email: a.email, display_name: 'Test guide', role: 'guide', centre_id: w.A.id });
  // the token is not stored, only its 32-byte keyed hash; the login is recorded
  assert.equal(psql(`SELECT count(*) FROM session WHERE account_id = '${a.id}' AND length(token_hash) = 32 AND revoked_at IS NULL`), '1');
  assert.equal(psql(`SELECT last_login_at > now() - interval '1 minute' FROM account WHERE id = '${a.id}'`), 't');
  const second = await login(k, a.email);
  assert.notEqual(second, body.token, 'every login gets its own token');
});

test('GET /v1/me describes a session, a portal key and an analyst key', async () => {
  const c = w.accounts.A.coordinator;
  const res = await loginRes(c.email, PASSWORD);
  const { token, expires_at: expiresAt } = await res.json();
  let r = await me(token);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), {
    kind: 'session', role: 'coordinator', centre_id: w.A.id, expires_at: expiresAt,
    account: { id: c.id, email: c.email, display_name: 'Test coordinator' },
    mail_enabled: false, notifications: { new_request: true, daily_digest: true },
  });
  const portal = await createKey(k, admin(), { name: uniq('portal me'), role: 'portal', centre_id: w.A.id });
  r = await me(portal.key);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { kind: 'api_key', role: 'portal', centre_id: w.A.id, api_key: { id: portal.id, name: portal.name }, mail_enabled: false });
  const analyst = await createKey(k, admin(), { name: uniq('frise me'), role: 'analyst' });
  r = await me(analyst.key);
  assert.deepEqual(await r.json(), { kind: 'api_key', role: 'analyst', centre_id: null, api_key: { id: analyst.id, name: analyst.name }, mail_enabled: false });
  r = await me(w.tokens.national.analyst);
  const body = await r.json();
  assert.equal(body.kind, 'session');
  assert.equal(body.role, 'analyst');
  assert.equal(body.centre_id, null);
  assert.equal(body.account.id, w.accounts.national.analyst.id);
});

test('wrong password, unknown e-mail, disabled account and no password all get the same 401', async () => {
  const a = createAccount('guide', w.A.id);
  const disabled = createAccount('guide', w.A.id, { disabled: true });
  const noPassword = createAccount('guide', w.A.id);
  psql(`UPDATE account SET password_hash = NULL WHERE id = '${noPassword.id}'`);
  const answers = {
    'wrong password': await loginRes(a.email, 'not the password at all'),
    'unknown e-mail': await loginRes(`${uniq('nobody')}@test.invalid`, PASSWORD),
    'disabled account, right password': await loginRes(disabled.email, PASSWORD),
    'account without a password': await loginRes(noPassword.email, PASSWORD),
  };
  const seen = {};
  for (const [what, res] of Object.entries(answers)) {
    assert.equal(res.headers.get('content-type'), 'application/problem+json', what);
    seen[what] = sameProblem(await expectProblem(assert, res, 401, 'unauthenticated'));
    assert.equal(seen[what].detail, BAD_LOGIN, what);
  }
  for (const what of Object.keys(seen)) assert.deepEqual(seen[what], seen['wrong password'], `${what} looks like a wrong password`);
  psql('DELETE FROM login_throttle');
});

test('the e-mail is case-insensitive and surrounding spaces are ignored', async () => {
  const a = createAccount('association', w.A.id);
  for (const email of [a.email.toUpperCase(), `  ${a.email.replace(/^./, (ch) => ch.toUpperCase())} `]) {
    const res = await loginRes(email, PASSWORD);
    assert.equal(res.status, 201, email);
    assert.equal((await res.json()).account.email, a.email);
  }
});

test('logout ends that session at once and only that one', async () => {
  const a = createAccount('guide', w.A.id);
  const t1 = await login(k, a.email);
  const t2 = await login(k, a.email);
  const res = await call(k, 'DELETE', '/v1/sessions/current', { token: t1 });
  assert.equal(res.status, 204);
  assert.equal(await res.text(), '');
  await expect401(await me(t1), 'the logged-out token');
  assert.equal((await me(t2)).status, 200, 'the other session of the account still works');
  await expect401(await call(k, 'DELETE', '/v1/sessions/current', { token: t1 }), 'a second logout');
  assert.equal(psql(`SELECT count(*) FILTER (WHERE revoked_at IS NOT NULL) || '/' || count(*) FROM session WHERE account_id = '${a.id}'`), '1/2');
});

test('a session idle for longer than 30 minutes is refused; use keeps it alive', async () => {
  const a = createAccount('association', w.A.id);
  const token = await login(k, a.email);
  psql(`UPDATE session SET last_seen_at = now() - interval '29 minutes' WHERE account_id = '${a.id}'`);
  assert.equal((await me(token)).status, 200, 'idle for 29 minutes');
  assert.equal(psql(`SELECT last_seen_at > now() - interval '1 minute' FROM session WHERE account_id = '${a.id}'`), 't', 'use moved last_seen_at');
  psql(`UPDATE session SET last_seen_at = now() - interval '31 minutes' WHERE account_id = '${a.id}'`);
  await expect401(await me(token), 'idle for 31 minutes');
});

test('a session past its absolute expiry is refused', async () => {
  const a = createAccount('guide', w.A.id);
  const token = await login(k, a.email);
  assert.equal((await me(token)).status, 200);
  psql(`UPDATE session SET expires_at = now() - interval '1 second' WHERE account_id = '${a.id}'`);
  const body = await expect401(await me(token), 'expired session');
  assert.equal(body.detail, 'The token is unknown, expired or revoked.');
});

test('throttling: from the 3rd failure the e-mail is locked, even for the right password', async () => {
  psql('DELETE FROM login_throttle');
  const a = createAccount('guide', w.A.id);
  for (let i = 1; i <= 3; i++) {
    const body = await expectProblem(assert, await loginRes(a.email, `wrong password ${i}`), 401, 'unauthenticated');
    assert.equal(body.detail, BAD_LOGIN, `failure ${i}`);
  }
  let res = await loginRes(a.email, PASSWORD);
  assert.equal(res.headers.get('retry-after'), '1', 'the first lock lasts 2^0 s');
  await expectProblem(assert, res, 429, 'too_many_requests');
  // the lock is the e-mail's, not the address's: another account logs in
  const b = createAccount('guide', w.A.id);
  assert.equal((await loginRes(b.email, PASSWORD)).status, 201);
  // once it has passed, the next failure locks for 2^1 s
  await until(async () => {
    const r = await loginRes(a.email, 'wrong password 4');
    await r.arrayBuffer();
    assert.ok([401, 429].includes(r.status), `${r.status}`);
    return r.status === 401;
  }, { timeoutMs: 10_000 });
  res = await loginRes(a.email, PASSWORD);
  assert.equal(res.status, 429);
  const retry = Number(res.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 2, `Retry-After ${retry} after the 4th failure`);
  await res.arrayBuffer();
  // an operator clearing the throttle lets the right password in
  psql('DELETE FROM login_throttle');
  assert.equal((await loginRes(a.email, PASSWORD)).status, 201);
});

// --- integration keys ----------------------------------------------------------

test('an integration key is shown once, records its use, and stops working when revoked', async () => {
  const adminId = w.accounts.national.admin.id;
  const name = uniq('socialkompas');
  let res = await call(k, 'POST', '/v1/api-keys', { token: admin(), body: { name, role: 'portal', centre_id: w.A.id } });
  assert.equal(res.status, 201);
  const key = await res.json();
  assert.match(key.id, UUID);
  assert.equal(res.headers.get('location'), `/v1/api-keys/${key.id}`);
  assert.match(key.key, /^kpk_[A-Za-z0-9_-]{43}$/);
  assert.match(key.created_at, RFC3339_UTC);
  assert.deepEqual({ ...key, key: undefined, id: undefined, created_at: undefined }, {
    key: undefined, id: undefined, created_at: undefined,
    name, role: 'portal', centre_id: w.A.id, created_by: adminId, last_used_at: null, revoked_at: null,
  });

  const listed = async (query = '') => {
    const r = await call(k, 'GET', `/v1/api-keys${query}`, { token: admin() });
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.ok(!text.includes(key.key), 'a listing never shows a key');
    const body = JSON.parse(text);
    assert.equal(body.next, null);
    for (const item of body.items) assert.ok(!('key' in item), 'no key member in a listing');
    return body.items.find((i) => i.id === key.id);
  };
  let item = await listed();
  assert.deepEqual(Object.keys(item).sort(), ['centre_id', 'created_at', 'created_by', 'id', 'last_used_at', 'name', 'revoked_at', 'role']);
  assert.equal(item.last_used_at, null);

  assert.equal((await me(key.key)).status, 200);
  item = await listed();
  assert.match(item.last_used_at, RFC3339_UTC);
  assert.ok(Math.abs(Date.parse(item.last_used_at) - Date.now()) < 60_000, 'last_used_at is now');

  res = await call(k, 'DELETE', `/v1/api-keys/${key.id}`, { token: admin() });
  assert.equal(res.status, 204);
  assert.equal(await res.text(), '');
  await expect401(await me(key.key), 'a revoked key');
  await expect401(await call(k, 'POST', '/v1/requests', { token: key.key, body: { portal_reference: uniq('r'), citizen: { name: 'X', phone: '12345678' } } }), 'a revoked key');
  assert.equal(await listed(), undefined, 'revoked keys are not listed by default');
  item = await listed('?include_revoked=true');
  assert.match(item.revoked_at, RFC3339_UTC);
  // revoking again changes nothing
  assert.equal((await call(k, 'DELETE', `/v1/api-keys/${key.id}`, { token: admin() })).status, 204);
  assert.equal((await listed('?include_revoked=true')).revoked_at, item.revoked_at);
});

test('a coordinator creates portal keys for its own centre only', async () => {
  const bKeys = () => psql(`SELECT count(*) FROM api_key WHERE centre_id = '${w.B.id}'`);
  const before = bKeys();
  let res = await call(k, 'POST', '/v1/api-keys', { token: coordA(), body: { name: uniq('portal'), role: 'portal' } });
  assert.equal(res.status, 201);
  const made = await res.json();
  assert.equal(made.centre_id, w.A.id, 'the centre is the coordinator\'s');
  assert.equal(made.created_by, w.accounts.A.coordinator.id);
  res = await call(k, 'POST', '/v1/api-keys', { token: coordA(), body: { name: uniq('portal'), role: 'portal', centre_id: w.A.id } });
  assert.equal(res.status, 201);
  assert.equal((await res.json()).centre_id, w.A.id);

  res = await call(k, 'POST', '/v1/api-keys', { token: coordA(), body: { name: uniq('frise'), role: 'analyst' } });
  await expectFieldError(res, 403, 'forbidden', 'role', 'not_in_enum');
  res = await call(k, 'POST', '/v1/api-keys', { token: coordA(), body: { name: uniq('portal'), role: 'portal', centre_id: w.B.id } });
  await expectFieldError(res, 403, 'forbidden', 'centre_id', 'not_in_enum');
  assert.equal(bKeys(), before, 'no key was made for centre B');

  res = await call(k, 'GET', '/v1/api-keys', { token: coordA() });
  assert.equal(res.status, 200);
  const { items } = await res.json();
  assert.ok(items.some((i) => i.id === made.id));
  for (const i of items) {
    assert.equal(i.centre_id, w.A.id, 'a coordinator lists its centre\'s keys only');
    assert.equal(i.role, 'portal');
  }
});

test('an admin creates national analyst keys; a portal key needs an existing centre', async () => {
  let res = await call(k, 'POST', '/v1/api-keys', { token: admin(), body: { name: uniq('frise'), role: 'analyst' } });
  assert.equal(res.status, 201);
  const key = await res.json();
  assert.equal(key.role, 'analyst');
  assert.equal(key.centre_id, null);
  res = await call(k, 'POST', '/v1/api-keys', { token: admin(), body: { name: uniq('frise'), role: 'analyst', centre_id: w.A.id } });
  await expectFieldError(res, 422, 'validation_failed', 'centre_id', 'not_in_enum', 'analyst keys are national: give no centre');
  res = await call(k, 'POST', '/v1/api-keys', { token: admin(), body: { name: uniq('portal'), role: 'portal' } });
  await expectFieldError(res, 422, 'validation_failed', 'centre_id', 'not_in_enum', 'a portal key needs its centre');
  res = await call(k, 'POST', '/v1/api-keys', { token: admin(), body: { name: uniq('portal'), role: 'portal', centre_id: null } });
  await expectFieldError(res, 422, 'validation_failed', 'centre_id', 'not_in_enum', 'a portal key needs its centre');
  res = await call(k, 'POST', '/v1/api-keys', { token: admin(), body: { name: uniq('portal'), role: 'portal', centre_id: randomUUID() } });
  await expectFieldError(res, 422, 'validation_failed', 'centre_id', 'not_in_enum', 'no such centre');
});

// --- accounts --------------------------------------------------------------------

const newAccount = (extra) => ({ email: `${uniq('ny')}@test.invalid`, display_name: 'Ny kollega', password: NEW_PASSWORD, ...extra });
const emailCount = (email) => psql(`SELECT count(*) FROM account WHERE email = '${email.toLowerCase()}'`);

test('an admin creates accounts in any centre, and national ones without a centre', async () => {
  const mixed = `Ny.Guide-${uniq('b')}@Test.Invalid`;
  let res = await call(k, 'POST', '/v1/accounts', { token: admin(), body: newAccount({ email: mixed, role: 'guide', centre_id: w.B.id }) });
  assert.equal(res.status, 201);
  const b = await res.json();
  assert.equal(res.headers.get('location'), `/v1/accounts/${b.id}`);
  assert.equal(res.headers.get('etag'), '"1"');
  assert.match(b.created_at, RFC3339_UTC);
  assert.deepEqual({ ...b, id: undefined, created_at: undefined, updated_at: undefined }, {
    id: undefined, created_at: undefined, updated_at: undefined,
    email: mixed.toLowerCase(), display_name: 'Ny kollega', role: 'guide', centre_id: w.B.id,
    disabled: false, disabled_at: null, last_login_at: null, association_id: null,
  });
  assert.equal((await loginRes(mixed, NEW_PASSWORD)).status, 201, 'the new account logs in');

  res = await call(k, 'POST', '/v1/accounts', { token: admin(), body: newAccount({ role: 'coordinator', centre_id: w.A.id }) });
  assert.equal(res.status, 201);
  assert.equal((await res.json()).centre_id, w.A.id);
  res = await call(k, 'POST', '/v1/accounts', { token: admin(), body: newAccount({ role: 'analyst' }) });
  assert.equal(res.status, 201);
  assert.equal((await res.json()).centre_id, null);

  res = await call(k, 'POST', '/v1/accounts', { token: admin(), body: newAccount({ role: 'admin', centre_id: w.A.id }) });
  await expectFieldError(res, 422, 'validation_failed', 'centre_id', 'not_in_enum');
  res = await call(k, 'POST', '/v1/accounts', { token: admin(), body: newAccount({ role: 'guide' }) });
  await expectFieldError(res, 422, 'validation_failed', 'centre_id', 'required');
  const ghost = newAccount({ role: 'guide', centre_id: randomUUID() });
  res = await call(k, 'POST', '/v1/accounts', { token: admin(), body: ghost });
  await expectFieldError(res, 422, 'validation_failed', 'centre_id', 'not_in_enum', 'no such centre');
  assert.equal(emailCount(ghost.email), '0');
});

test('a coordinator creates accounts in its own centre only, and no national ones', async () => {
  let res = await call(k, 'POST', '/v1/accounts', { token: coordA(), body: newAccount({ role: 'guide' }) });
  assert.equal(res.status, 201);
  assert.equal((await res.json()).centre_id, w.A.id, 'the centre is forced to the coordinator\'s');
  res = await call(k, 'POST', '/v1/accounts', { token: coordA(), body: newAccount({ role: 'association', centre_id: w.A.id }) });
  assert.equal(res.status, 201);
  for (const role of ['admin', 'analyst']) {
    const body = newAccount({ role });
    await expectFieldError(await call(k, 'POST', '/v1/accounts', { token: coordA(), body }), 403, 'forbidden', 'role', 'not_in_enum');
    assert.equal(emailCount(body.email), '0', role);
  }
  const body = newAccount({ role: 'guide', centre_id: w.B.id });
  await expectFieldError(await call(k, 'POST', '/v1/accounts', { token: coordA(), body }), 403, 'forbidden', 'centre_id', 'not_in_enum');
  assert.equal(emailCount(body.email), '0');
});

test('the password policy: length, common passwords, the e-mail, one repeated character', async () => {
  const email = `${uniq('policy-guide')}@test.invalid`;
  const cases = [
    ['kort-1234', 'must be at least 10 characters long'],
    ['æøåæøåæøå', 'must be at least 10 characters long'],
    ['x'.repeat(257), 'must be at most 256 characters long'],
    ['password123', 'is one of the most commonly used passwords'],
    ['PassWord123', 'is one of the most commonly used passwords'],
    ['kodeord1234', 'is one of the most commonly used passwords'],
    [email, 'must not be the e-mail address'],
    [email.toUpperCase(), 'must not be the e-mail address'],
    [email.split('@')[0], 'must not be the e-mail address'],
    ['aaaaaaaaaaaa', 'must not repeat one character'],
  ];
  for (const [password, message] of cases) {
    const res = await call(k, 'POST', '/v1/accounts', { token: coordA(), body: { email, display_name: 'Policy', role: 'guide', password } });
    await expectFieldError(res, 422, 'validation_failed', 'password', 'invalid_format', message);
  }
  assert.equal(emailCount(email), '0');
});

test('a taken e-mail is 409, whatever its case', async () => {
  for (const email of [w.accounts.B.guide.email, w.accounts.B.guide.email.toUpperCase()]) {
    const res = await call(k, 'POST', '/v1/accounts', { token: admin(), body: newAccount({ email, role: 'guide', centre_id: w.A.id }) });
    await expectFieldError(res, 409, 'conflict', 'email', 'already_taken', 'another account has this e-mail');
  }
  assert.equal(psql(`SELECT centre_id FROM account WHERE email = '${w.accounts.B.guide.email}'`), w.B.id, 'the first account is untouched');
});

test('a coordinator lists and reads its own centre\'s accounts only', async () => {
  let res = await call(k, 'GET', '/v1/accounts?limit=200', { token: coordA() });
  assert.equal(res.status, 200);
  const { items, next } = await res.json();
  assert.equal(next, null);
  const ids = items.map((i) => i.id);
  for (const role of ['coordinator', 'guide', 'association']) {
    assert.ok(ids.includes(w.accounts.A[role].id), `A's ${role} is listed`);
    assert.ok(!ids.includes(w.accounts.B[role].id), `B's ${role} is not listed`);
  }
  assert.ok(!ids.includes(w.accounts.national.admin.id), 'national accounts are not listed');
  for (const i of items) assert.equal(i.centre_id, w.A.id, i.email);
  assert.equal(items.length, Number(psql(`SELECT count(*) FROM account WHERE centre_id = '${w.A.id}'`)), 'every account of A');
  for (const i of items) assert.ok(!('password_hash' in i));

  res = await call(k, 'GET', `/v1/accounts?centre_id=${w.B.id}`, { token: coordA() });
  assert.deepEqual((await res.json()).items, [], 'asking for another centre finds nothing');
  res = await call(k, 'GET', '/v1/accounts?role=coordinator&limit=200', { token: coordA() });
  const coordinators = (await res.json()).items;
  assert.ok(coordinators.length >= 1);
  for (const i of coordinators) assert.deepEqual([i.role, i.centre_id], ['coordinator', w.A.id]);
  await expectProblem(assert, await call(k, 'GET', `/v1/accounts/${w.accounts.national.admin.id}`, { token: coordA() }), 404, 'not_found');

  res = await call(k, 'GET', `/v1/accounts?centre_id=${w.B.id}&limit=200`, { token: admin() });
  const bIds = (await res.json()).items.map((i) => i.id);
  for (const role of ['coordinator', 'guide', 'association']) assert.ok(bIds.includes(w.accounts.B[role].id), `an admin sees B's ${role}`);
});

test('PATCH honours If-Match: a stale version is 412, the current one 200 with the next ETag', async () => {
  const a = createAccount('guide', w.A.id);
  const url = `/v1/accounts/${a.id}`;
  let res = await call(k, 'GET', url, { token: coordA() });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('etag'), '"1"');
  const created = await res.json();
  for (const stale of ['"7"', '"0"', 'not-a-version']) {
    res = await call(k, 'PATCH', url, { token: coordA(), body: { display_name: 'Stale' }, headers: { 'If-Match': stale } });
    await expectProblem(assert, res, 412, 'precondition_failed');
  }
  assert.equal(psql(`SELECT display_name || '|' || version FROM account WHERE id = '${a.id}'`), 'Test guide|1');
  res = await call(k, 'PATCH', url, { token: coordA(), body: { display_name: 'Frisk navn' }, headers: { 'If-Match': '"1"' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('etag'), '"2"');
  const body = await res.json();
  assert.equal(body.display_name, 'Frisk navn');
  assert.equal(body.role, 'guide');
  assert.ok(Date.parse(body.updated_at) >= Date.parse(created.updated_at));
  res = await call(k, 'PATCH', url, { token: coordA(), body: { display_name: 'For sent' }, headers: { 'If-Match': '"1"' } });
  await expectProblem(assert, res, 412, 'precondition_failed');
  assert.equal(psql(`SELECT display_name || '|' || version FROM account WHERE id = '${a.id}'`), 'Frisk navn|2');
});

test('role changes: within centre roles by a coordinator, never across kinds', async () => {
  const c2 = createAccount('coordinator', w.A.id);
  const t2 = await login(k, c2.email);
  assert.equal((await call(k, 'GET', '/v1/accounts', { token: t2 })).status, 200);
  let res = await call(k, 'PATCH', `/v1/accounts/${c2.id}`, { token: coordA(), body: { role: 'guide' } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).role, 'guide');
  // the running session acts in the new role at once
  assert.equal((await (await me(t2)).json()).role, 'guide');
  await expectProblem(assert, await call(k, 'GET', '/v1/accounts', { token: t2 }), 403, 'forbidden');

  const g = createAccount('guide', w.A.id);
  for (const role of ['admin', 'analyst']) {
    res = await call(k, 'PATCH', `/v1/accounts/${g.id}`, { token: coordA(), body: { role } });
    await expectFieldError(res, 403, 'forbidden', 'role', 'not_in_enum');
  }
  res = await call(k, 'PATCH', `/v1/accounts/${g.id}`, { token: admin(), body: { role: 'analyst' } });
  await expectFieldError(res, 422, 'validation_failed', 'role', 'not_in_enum');
  assert.equal(psql(`SELECT role || '|' || centre_id FROM account WHERE id = '${g.id}'`), `guide|${w.A.id}`);
  const n = createAccount('analyst');
  res = await call(k, 'PATCH', `/v1/accounts/${n.id}`, { token: admin(), body: { role: 'coordinator' } });
  await expectFieldError(res, 422, 'validation_failed', 'role', 'not_in_enum');
  res = await call(k, 'PATCH', `/v1/accounts/${g.id}`, { token: admin(), body: { role: 'association' } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).role, 'association');
});

test('disabling an account ends its sessions and blocks its login; enabling lets it log in again', async () => {
  const d = createAccount('guide', w.A.id);
  const token = await login(k, d.email);
  let res = await call(k, 'PATCH', `/v1/accounts/${d.id}`, { token: coordA(), body: { disabled: true } });
  assert.equal(res.status, 200);
  let body = await res.json();
  assert.equal(body.disabled, true);
  assert.match(body.disabled_at, RFC3339_UTC);
  await expect401(await me(token), 'a session of a disabled account');
  assert.equal(psql(`SELECT count(*) FROM session WHERE account_id = '${d.id}' AND revoked_at IS NULL`), '0');
  const refused = await expectProblem(assert, await loginRes(d.email, PASSWORD), 401, 'unauthenticated');
  assert.equal(refused.detail, BAD_LOGIN);

  res = await call(k, 'PATCH', `/v1/accounts/${d.id}`, { token: coordA(), body: { disabled: false } });
  body = await res.json();
  assert.equal(body.disabled, false);
  assert.equal(body.disabled_at, null);
  assert.equal((await loginRes(d.email, PASSWORD)).status, 201);
  await expect401(await me(token), 'the old session stays ended');
  psql('DELETE FROM login_throttle');
});

test('no one can disable their own account (409)', async () => {
  for (const [token, account] of [[coordA(), w.accounts.A.coordinator], [admin(), w.accounts.national.admin]]) {
    const res = await call(k, 'PATCH', `/v1/accounts/${account.id}`, { token, body: { disabled: true } });
    await expectFieldError(res, 409, 'conflict', 'disabled', 'not_in_enum', 'you cannot disable your own account');
    assert.equal((await me(token)).status, 200);
    assert.equal(psql(`SELECT disabled_at IS NULL FROM account WHERE id = '${account.id}'`), 't');
  }
});

test('a password reset by a coordinator ends the account\'s sessions; the new password works', async () => {
  const r = createAccount('association', w.A.id);
  const token = await login(k, r.email);
  const url = `/v1/accounts/${r.id}/password`;
  await expectFieldError(await call(k, 'POST', url, { token: coordA(), body: { password: 'password123' } }),
    422, 'validation_failed', 'password', 'invalid_format', 'is one of the most commonly used passwords');
  assert.equal((await me(token)).status, 200, 'a refused reset changes nothing');
  const res = await call(k, 'POST', url, { token: coordA(), body: { password: NEW_PASSWORD } });
  assert.equal(res.status, 204);
  assert.equal(await res.text(), '');
  await expect401(await me(token), 'a session from before the reset');
  await expectProblem(assert, await loginRes(r.email, PASSWORD), 401, 'unauthenticated');
  assert.equal((await loginRes(r.email, NEW_PASSWORD)).status, 201);
  // another centre's or a national account is not the coordinator's to reset
  for (const id of [w.accounts.B.guide.id, w.accounts.national.admin.id]) {
    await expectProblem(assert, await call(k, 'POST', `/v1/accounts/${id}/password`, { token: coordA(), body: { password: NEW_PASSWORD } }), 404, 'not_found');
  }
  psql('DELETE FROM login_throttle');
});

test('PUT /v1/me/password checks the current password and ends the other sessions', async () => {
  const m = createAccount('coordinator', w.A.id);
  const t1 = await login(k, m.email);
  const t2 = await login(k, m.email);
  let res = await call(k, 'PUT', '/v1/me/password', { token: t1, body: { current_password: 'not my password', new_password: NEW_PASSWORD } });
  await expectFieldError(res, 422, 'validation_failed', 'current_password', 'invalid_format');
  res = await call(k, 'PUT', '/v1/me/password', { token: t1, body: { current_password: PASSWORD, new_password: 'password123' } });
  await expectFieldError(res, 422, 'validation_failed', 'new_password', 'invalid_format', 'is one of the most commonly used passwords');
  assert.equal((await me(t2)).status, 200, 'refused changes end nothing');
  res = await call(k, 'PUT', '/v1/me/password', { token: t1, body: { current_password: PASSWORD, new_password: NEW_PASSWORD } });
  assert.equal(res.status, 204);
  assert.equal((await me(t1)).status, 200, 'the session that changed it keeps working');
  await expect401(await me(t2), 'the other session');
  await expectProblem(assert, await loginRes(m.email, PASSWORD), 401, 'unauthenticated');
  assert.equal((await loginRes(m.email, NEW_PASSWORD)).status, 201);
  psql('DELETE FROM login_throttle');
});

test('every account role can change its own password, national ones included', async () => {
  for (const [role, centre] of [['admin', null], ['analyst', null], ['guide', w.A.id], ['association', w.A.id]]) {
    const a = createAccount(role, centre);
    const token = await login(k, a.email);
    const res = await call(k, 'PUT', '/v1/me/password', { token, body: { current_password: PASSWORD, new_password: NEW_PASSWORD } });
    assert.equal(res.status, 204, `${role}: ${res.status} ${await res.text()}`);
    assert.equal((await loginRes(a.email, NEW_PASSWORD)).status, 201, `${role} logs in with the new password`);
  }
});

// --- centres ---------------------------------------------------------------------

test('POST /v1/centres is for admins only', async () => {
  const body = () => ({ slug: uniq('auth-c'), name: 'Frivilligcenter Test', municipality: 'Testkommune' });
  for (const token of [coordA(), w.tokens.A.guide, w.tokens.national.analyst, w.tokens.A.portal]) {
    const b = body();
    await expectProblem(assert, await call(k, 'POST', '/v1/centres', { token, body: b }), 403, 'forbidden');
    assert.equal(psql(`SELECT count(*) FROM centre WHERE slug = '${b.slug}'`), '0');
  }
  const b = body();
  const res = await call(k, 'POST', '/v1/centres', { token: admin(), body: b });
  assert.equal(res.status, 201);
  const made = await res.json();
  assert.equal(made.slug, b.slug);
  assert.equal(res.headers.get('location'), `/v1/centres/${made.id}`);
});

test('an association account is linked to an association of its own centre', async () => {
  const { createAssociationRow } = await import('./course_fixtures.mjs');
  const own = createAssociationRow(w.A.id);
  const other = createAssociationRow(w.B.id);
  const create = (body) => k.fetch('/v1/accounts', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${w.tokens.A.coordinator}` },
    body: JSON.stringify({ email: `${uniq('assoc')}@test.invalid`, display_name: 'Kontakt', password: 'Lang og god adgang 77', ...body }),
  });
  const ok = await create({ role: 'association', association_id: own });
  assert.equal(ok.status, 201);
  assert.equal((await ok.json()).association_id, own);
  const foreign = await create({ role: 'association', association_id: other });
  assert.equal(foreign.status, 422);
  assert.equal((await foreign.json()).errors[0].field, 'association_id');
  const wrongRole = await create({ role: 'guide', association_id: own });
  assert.equal(wrongRole.status, 422);
});
