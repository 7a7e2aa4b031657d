// fixtures.mjs - test data made directly in the database as the owner
// (fast: no argon2 per account), and credentials obtained through the API.
import { randomBytes, randomUUID } from 'node:crypto';
import { psql } from './harness.mjs';

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
