// fixtures.mjs - test data made directly in the database as the owner
// (fast: no argon2 per account), and credentials obtained through the API.
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { psql, ROOT } from './harness.mjs';

// argon2id of PASSWORD (the same hash the demo data uses).
export const PASSWORD = 'kompas-demo-2026';
const HASH = '$argon2id$v=19$m=65536,t=2,p=1$oJSPmbfj8nO7rOTy28BAHQ$joh+LUJX4UuBmGSxGD0ZDDOC7llKQCISRoN0Ew4YM3A';

export const ROLES = ['admin', 'coordinator', 'guide', 'association', 'analyst', 'portal'];

export const uniq = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}`;

export function createCentre(slug = uniq('c')) {
  const id = randomUUID();
  psql(`INSERT INTO centre (id, slug, name, municipality) VALUES ('${id}', '${slug}', 'Frivilligcenter ${slug}', 'Testkommune')`);
  return { id, slug };
}

// role: an account role; centreId: null for admin and analyst.
export function createAccount(role, centreId = null, { disabled = false } = {}) {
  const id = randomUUID();
  const email = `${uniq(role)}@test.invalid`;
  psql(`INSERT INTO account (id, email, display_name, role, centre_id, password_hash, disabled_at)
        VALUES ('${id}', '${email}', 'Test ${role}', '${role}', ${centreId ? `'${centreId}'` : 'NULL'},
                '${HASH}', ${disabled ? 'now()' : 'NULL'})`);
  return { id, email, password: PASSWORD, role, centreId };
}

export async function login(k, email, password = PASSWORD) {
  const res = await k.fetch('/v1/sessions', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 201) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

export async function createKey(k, token, body) {
  const res = await k.fetch('/v1/api-keys', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${await res.text()}`);
  return res.json();
}

// Two centres, an account of each role in each (national ones once), a
// token for each, a portal key per centre and an analyst key.
// world.tokens.A.coordinator, world.tokens.B.portal, world.tokens.national.admin ...
export async function makeWorld(k) {
  const A = createCentre(uniq('a'));
  const B = createCentre(uniq('b'));
  const accounts = { A: {}, B: {}, national: {} };
  const tokens = { A: {}, B: {}, national: {} };
  for (const role of ['admin', 'analyst']) {
    accounts.national[role] = createAccount(role);
    tokens.national[role] = await login(k, accounts.national[role].email);
  }
  for (const [name, c] of [['A', A], ['B', B]]) {
    for (const role of ['coordinator', 'guide', 'association']) {
      accounts[name][role] = createAccount(role, c.id);
      tokens[name][role] = await login(k, accounts[name][role].email);
    }
    tokens[name].portal = (await createKey(k, tokens.national.admin, { name: `portal ${c.slug}`, role: 'portal', centre_id: c.id })).key;
    // national roles act everywhere
    tokens[name].admin = tokens.national.admin;
    tokens[name].analyst = tokens.national.analyst;
  }
  tokens.national.analystKey = (await createKey(k, tokens.national.admin, { name: 'FriSe', role: 'analyst' })).key;
  return { A, B, accounts, tokens };
}

export function auth(token, extra = {}) {
  return { Authorization: `Bearer ${token}`, ...extra };
}

export const JSON_HEADERS = { 'Content-Type': 'application/json' };

// --- helpers added for the identity tests (roles, rls, auth) ---

// Run SQL like psql() but never throw: { code, stdout, stderr }. For
// statements that are expected to fail (row-level security, grants).
export function psqlTry(sql, { db = 'kompas', user } = {}) {
  const dir = process.env.KOMPAS_TEST_PGDIR;
  if (!dir) throw new Error('KOMPAS_TEST_PGDIR is not set: run the API tests through \'make test\'');
  const as = user ? ['-U', user] : [];
  const r = spawnSync(path.join(ROOT, 'tools/pgcluster.sh'),
    ['psql', dir, ...as, '-d', db, '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  return { code: r.status, stdout: (r.stdout || '').trim(), stderr: (r.stderr || '').trim() };
}

// A request with an optional bearer token and JSON body; resolves with the
// Response (body unread).
export function call(k, method, p, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  return k.fetch(p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
}

// A citizen's request made through the API by a coordinator (source phone)
// or a portal key (source portal); resolves with the created body.
export async function createRequest(k, token, { portal = false } = {}) {
  const body = portal
    ? { portal_reference: uniq('ref'), citizen: { name: 'Test Borger', email: `${uniq('b')}@test.invalid` } }
    : { source: 'phone', citizen: { name: 'Test Borger', phone: '+45 12 34 56 78' } };
  const res = await call(k, 'POST', '/v1/requests', { token, body });
  if (res.status !== 201) throw new Error(`create request: ${res.status} ${await res.text()}`);
  return res.json();
}
