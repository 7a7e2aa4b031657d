// fixtures.mjs - test data made directly in the database as the owner
// (fast: no argon2 per account), and credentials obtained through the API.
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { psql, ROOT } from './harness.mjs';

// argon2id of PASSWORD (the same hash the demo data uses).
export const PASSWORD = 'kompas-demo-2026';
export const HASH = '$argon2id$v=19$m=65536,t=2,p=1$oJSPmbfj8nO7rOTy28BAHQ$joh+LUJX4UuBmGSxGD0ZDDOC7llKQCISRoN0Ew4YM3A';

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

// --- helpers added for the volunteer tests ---

// A volunteer of centreId made directly in the database (optionally linked
// to a guide account of that centre); resolves nothing, returns { id }.
export function createVolunteer(centreId, { accountId = null, name = uniq('Frivillig'), status = 'active' } = {}) {
  const id = randomUUID();
  psql(`INSERT INTO volunteer (id, centre_id, account_id, name, status)
        VALUES ('${id}', '${centreId}', ${accountId ? `'${accountId}'` : 'NULL'}, '${name}', '${status}')`);
  return { id, centreId, name };
}

// A completed training module of a volunteer (made as the owner); returns its id.
export function createTraining(volunteer, { module = 'intro', completedOn = '2025-01-10', expiresOn = null } = {}) {
  const id = randomUUID();
  psql(`INSERT INTO volunteer_training (id, volunteer_id, centre_id, module, completed_on, expires_on)
        VALUES ('${id}', '${volunteer.id}', '${volunteer.centreId}', '${module}', '${completedOn}',
                ${expiresOn ? `'${expiresOn}'` : 'NULL'})`);
  return id;
}

// A record check of a volunteer (made as the owner); returns its id.
export function createRecordCheck(volunteer, { kind = 'criminal_record', checkedOn = '2025-01-10', validUntil = '2028-01-10' } = {}) {
  const id = randomUUID();
  psql(`INSERT INTO volunteer_record_check (id, volunteer_id, centre_id, kind, checked_on, outcome, valid_until)
        VALUES ('${id}', '${volunteer.id}', '${volunteer.centreId}', '${kind}', '${checkedOn}', 'clear', '${validUntil}')`);
  return id;
}

// --- helpers added for the association tests ---

// An association made through the API by a coordinator (of its centre) or
// an admin (give centre_id in body); resolves with the created body.
export async function createAssociation(k, token, body = {}) {
  const res = await call(k, 'POST', '/v1/associations', { token, body: { name: uniq('Forening'), ...body } });
  if (res.status !== 201) throw new Error(`create association: ${res.status} ${await res.text()}`);
  return res.json();
}

// Make an association account the contact of an association (there is no
// route for the link yet: it is account.association_id).
export function linkAssociationAccount(accountId, associationId) {
  psql(`UPDATE account SET association_id = '${associationId}' WHERE id = '${accountId}'`);
}

// The id of a shared category by kind and slug (seeded by 0008).
export function sharedCategory(kind, slug) {
  return psql(`SELECT id FROM category WHERE centre_id IS NULL AND kind = '${kind}' AND slug = '${slug}'`);
}
