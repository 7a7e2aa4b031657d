// Tenant isolation in PostgreSQL itself: hand-written SQL run as kompasd's
// unprivileged login role, the way a handler with a forgotten centre filter
// would run it, sees and changes only the caller's centre. Rows of two
// centres are made through the API (so the access log has entries of both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, psql } from './harness.mjs';
import { createCentre, createAccount, login, createKey, createRequest, psqlTry, uniq } from './fixtures.mjs';

let k;
let A;
let B;
const acc = {};
const rows = {}; // ids made through the API

before(async () => {
  k = await startKompasd();
  A = createCentre(uniq('rls-a'));
  B = createCentre(uniq('rls-b'));
  for (const [name, c] of [['A', A], ['B', B]]) {
    acc[name] = { coordinator: createAccount('coordinator', c.id), guide: createAccount('guide', c.id) };
    const token = await login(k, acc[name].coordinator.email);
    rows[name] = {
      request: (await createRequest(k, token)).id,
      key: (await createKey(k, token, { name: uniq('rls portal'), role: 'portal' })).id,
    };
  }
});
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

// SQL as kompasd inside one transaction with the caller set the way
// kompas_authenticate sets it. end: ROLLBACK (default) or COMMIT.
const ctx = (role, centre, account) => `'${role}', ${centre ? `'${centre}'` : 'NULL'}, ${account ? `'${account}'` : 'NULL'}`;
const tx = (context, sql, end = 'ROLLBACK') => `BEGIN; DO $$ BEGIN PERFORM kompas_set_context(${context}); END $$; ${sql}; ${end};`;
const asKompasd = (context, sql, end) => psql(tx(context, sql, end), { user: 'kompasd' });
const failAsKompasd = (context, sql) => {
  const r = psqlTry(tx(context, sql), { user: 'kompasd' });
  assert.notEqual(r.code, 0, `expected an error from: ${sql}\ngot: ${r.stdout}`);
  return r.stderr;
};
const coordA = () => ctx('coordinator', A.id, acc.A.coordinator.id);
const lines = (out) => out.split('\n').filter(Boolean);
// centre_id|count per centre, for the rows a query sees
const perCentre = (context, table) => asKompasd(context, `SELECT centre_id || '|' || count(*) FROM ${table} GROUP BY centre_id ORDER BY 1`);

test('the kompasd role is not a superuser, has no BYPASSRLS and is in no role that has', () => {
  assert.equal(psql("SELECT rolsuper || '|' || rolbypassrls || '|' || rolcanlogin FROM pg_roles WHERE rolname = 'kompasd'"), 'false|false|true');
  assert.equal(psql(`SELECT count(*) FROM pg_roles r
                     WHERE pg_has_role('kompasd', r.oid, 'MEMBER') AND (r.rolsuper OR r.rolbypassrls)`), '0');
  assert.equal(psql("SELECT rolsuper || '|' || rolbypassrls FROM pg_roles WHERE rolname = 'kompas_app'"), 'false|false');
  assert.equal(psql('SELECT current_user', { user: 'kompasd' }), 'kompasd');
  assert.match(process.env.KOMPAS_TEST_CONNINFO, /\buser=kompasd\b/, 'the tests run kompasd as the kompasd role');
});

test('kompasd owns no table, and every table it can reach has row-level security', () => {
  const all = lines(psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"));
  for (const t of ['account', 'access_log', 'api_key', 'centre', 'request', 'session']) assert.ok(all.includes(t), t);
  assert.equal(psql(`SELECT string_agg(tablename || ':' || tableowner, ', ') FROM pg_tables
                     WHERE schemaname = 'public' AND pg_has_role('kompasd', tableowner, 'MEMBER')`), '', 'tables owned by kompasd or a role it is in');
  // the two tables kompasd may read without row-level security (what was
  // migrated: readiness and the schema check at start) hold no tenant data
  assert.equal(psql(`SELECT string_agg(relname, ', ' ORDER BY relname) FROM pg_class
                     WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') AND NOT relrowsecurity
                       AND (has_table_privilege('kompasd', oid, 'SELECT') OR has_table_privilege('kompasd', oid, 'INSERT')
                            OR has_table_privilege('kompasd', oid, 'UPDATE') OR has_table_privilege('kompasd', oid, 'DELETE'))`), 'schema_function, schema_migration');
  // the throttle table is reached only through the security-definer functions
  assert.match(failAsKompasd(coordA(), 'SELECT count(*) FROM login_throttle'), /permission denied for table login_throttle/);
});

test('both centres have rows (seen as the owner)', () => {
  for (const [name, c] of [['A', A], ['B', B]]) {
    assert.equal(psql(`SELECT count(*) FROM request WHERE centre_id = '${c.id}'`), '1', `${name} requests`);
    assert.equal(psql(`SELECT count(*) FROM account WHERE centre_id = '${c.id}'`), '2', `${name} accounts`);
    assert.equal(psql(`SELECT count(*) FROM api_key WHERE centre_id = '${c.id}'`), '1', `${name} keys`);
    assert.equal(psql(`SELECT count(*) FROM access_log WHERE centre_id = '${c.id}'`), '1', `${name} access log`);
    assert.equal(psql(`SELECT count(*) FROM session WHERE centre_id = '${c.id}'`), '1', `${name} sessions`);
  }
});

test('SELECT without a centre filter sees only the caller\'s centre', () => {
  for (const [name, c, other] of [['A', A, B], ['B', B, A]]) {
    const me = ctx('coordinator', c.id, acc[name].coordinator.id);
    // SELECT * as a careless handler would write it: only this centre's rows
    const requests = lines(asKompasd(me, "SELECT * FROM request"));
    assert.equal(requests.length, 1, `${name}: requests`);
    assert.ok(requests[0].startsWith(`${rows[name].request}|${c.id}|`), requests[0]);
    assert.equal(perCentre(me, 'request'), `${c.id}|1`, `${name}: requests per centre`);
    assert.equal(perCentre(me, 'account'), `${c.id}|2`, `${name}: accounts per centre`);
    assert.equal(perCentre(me, 'api_key'), `${c.id}|1`, `${name}: keys per centre`);
    assert.equal(perCentre(me, 'access_log'), `${c.id}|1`, `${name}: access log per centre`);
    assert.equal(perCentre(me, 'session'), `${c.id}|1`, `${name}: sessions per centre`);
    const all = asKompasd(me, 'SELECT * FROM account; SELECT * FROM request; SELECT * FROM api_key; SELECT * FROM access_log; SELECT * FROM session');
    assert.ok(!all.includes(other.id), `${name} sees nothing of the other centre`);
    assert.ok(!all.includes(rows[name === 'A' ? 'B' : 'A'].request), `${name} sees no id of the other centre's request`);
  }
});

test('portal and guide contexts see their own centre\'s rows only', () => {
  assert.equal(perCentre(ctx('portal', A.id, null), 'request'), `${A.id}|1`);
  // a guide sees only the requests assigned to them (none here)
  assert.equal(perCentre(ctx('guide', A.id, acc.A.guide.id), 'request'), '');
  const vol = psql(`INSERT INTO volunteer (centre_id, name, status, account_id) VALUES ('${A.id}', 'RLS Guide', 'active', '${acc.A.guide.id}')
                    ON CONFLICT (account_id) DO UPDATE SET name = volunteer.name RETURNING id`);
  const assigned = psql(`UPDATE request SET assigned_volunteer_id = '${vol}' WHERE id = (SELECT id FROM request WHERE centre_id = '${A.id}' ORDER BY created_at LIMIT 1) RETURNING id`);
  assert.equal(asKompasd(ctx('guide', A.id, acc.A.guide.id), 'SELECT id FROM request'), assigned);
  psql(`UPDATE request SET assigned_volunteer_id = NULL WHERE id = '${assigned}'`);
  assert.equal(asKompasd(ctx('portal', A.id, null), `SELECT count(*) FROM request WHERE centre_id = '${B.id}'`), '0');
  assert.equal(asKompasd(ctx('portal', A.id, null), `SELECT count(*) FROM account WHERE centre_id = '${B.id}'`), '0', 'a portal sees no account of another centre');
  assert.equal(asKompasd(ctx('guide', A.id, acc.A.guide.id), `SELECT count(*) FROM account WHERE centre_id = '${B.id}'`), '0', 'a guide sees no account of another centre');
});

test('national roles see no citizens\' requests; only admins see every account', () => {
  for (const role of ['admin', 'analyst']) {
    assert.equal(asKompasd(ctx(role, null, null), `SELECT count(*) FROM request WHERE centre_id IN ('${A.id}', '${B.id}')`), '0', role);
    assert.equal(asKompasd(ctx(role, null, null), `SELECT count(*) FROM access_log WHERE centre_id IN ('${A.id}', '${B.id}')`), '0', role);
  }
  assert.equal(asKompasd(ctx('admin', null, null), `SELECT count(*) FROM account WHERE centre_id IN ('${A.id}', '${B.id}')`), '4');
  assert.equal(asKompasd(ctx('analyst', null, null), 'SELECT count(*) FROM account'), '0');
});

test('without any context kompasd sees nothing', () => {
  for (const t of ['request', 'account', 'api_key', 'access_log', 'session']) {
    assert.ok(Number(psql(`SELECT count(*) FROM ${t}`)) >= 2, `the owner sees ${t} rows`);
    assert.equal(psql(`SELECT count(*) FROM ${t}`, { user: 'kompasd' }), '0', `${t} without a context`);
  }
  assert.equal(psql('SELECT kompas_role()', { user: 'kompasd' }), 'anonymous');
});

test('INSERT with another centre\'s id fails with a row-level security error', () => {
  const sealed = "decode(repeat('00', 60), 'hex')";
  const inserts = {
    request: (c) => `INSERT INTO request (id, centre_id, source, name_sealed) VALUES (gen_random_uuid(), '${c}', 'phone', ${sealed}) RETURNING centre_id`,
    account: (c) => `INSERT INTO account (email, display_name, role, centre_id) VALUES ('${uniq('rls')}@test.invalid', 'RLS', 'guide', '${c}') RETURNING centre_id`,
    api_key: (c) => `INSERT INTO api_key (name, role, centre_id, key_hash) VALUES ('rls', 'portal', '${c}', decode(repeat('ab', 32), 'hex')) RETURNING centre_id`,
    access_log: (c) => `INSERT INTO access_log (centre_id, actor_kind, actor_role, action, subject) VALUES ('${c}', 'account', 'coordinator', 'read', 'request') RETURNING centre_id`,
  };
  for (const [table, sql] of Object.entries(inserts)) {
    const before = psql(`SELECT count(*) FROM ${table}`);
    // the same statement for the caller's own centre works (rolled back): the
    // refusal below is row-level security, not some other constraint
    assert.equal(asKompasd(coordA(), sql(A.id)), A.id, `${table}: own centre`);
    const err = failAsKompasd(coordA(), sql(B.id));
    assert.match(err, new RegExp(`new row violates row-level security policy for table "${table}"`), `${table}: ${err}`);
    assert.equal(psql(`SELECT count(*) FROM ${table}`), before, `${table}: nothing was written`);
  }
  // a centre cannot be made by a coordinator either
  assert.match(failAsKompasd(coordA(), `INSERT INTO centre (slug, name, municipality) VALUES ('${uniq('rls')}', 'RLS centre', 'Testkommune')`),
    /new row violates row-level security policy for table "centre"/);
});

test('UPDATE aimed at another centre changes 0 rows, and a row cannot be moved there', () => {
  const snap = () => psql(`SELECT string_agg(row_to_json(t)::text, ',' ORDER BY t.id) FROM (
      SELECT id, state, version, updated_at FROM request WHERE centre_id = '${B.id}'
      UNION ALL SELECT id, display_name, version, updated_at FROM account WHERE centre_id = '${B.id}'
      UNION ALL SELECT id, name, 0, revoked_at FROM api_key WHERE centre_id = '${B.id}') t`);
  const before = snap();
  const updates = [
    `UPDATE request SET state = 'declined', version = version + 1 WHERE centre_id = '${B.id}'`,
    `UPDATE request SET state = 'declined' WHERE id = '${rows.B.request}'`,
    `UPDATE account SET display_name = 'taken over', disabled_at = now() WHERE centre_id = '${B.id}'`,
    `UPDATE account SET role = 'coordinator' WHERE id = '${acc.B.guide.id}'`,
    `UPDATE api_key SET revoked_at = now() WHERE centre_id = '${B.id}'`,
    `UPDATE session SET revoked_at = now() WHERE centre_id = '${B.id}'`,
  ];
  for (const u of updates) {
    // committed: nothing to roll back because nothing was touched
    assert.equal(asKompasd(coordA(), `WITH u AS (${u} RETURNING 1) SELECT count(*) FROM u`, 'COMMIT'), '0', u);
  }
  assert.equal(snap(), before, 'centre B is unchanged');
  assert.equal(psql(`SELECT count(*) FROM session WHERE centre_id = '${B.id}' AND revoked_at IS NULL`), '1');
  // moving one's own row into another centre violates the policy
  assert.match(failAsKompasd(coordA(), `UPDATE request SET centre_id = '${B.id}' WHERE id = '${rows.A.request}'`),
    /new row violates row-level security policy for table "request"/);
  assert.match(failAsKompasd(coordA(), `UPDATE account SET centre_id = '${B.id}' WHERE id = '${acc.A.guide.id}'`),
    /new row violates row-level security policy for table "account"/);
  assert.equal(psql(`SELECT centre_id FROM request WHERE id = '${rows.A.request}'`), A.id);
  // and nothing may be deleted at all
  for (const t of ['request', 'account', 'api_key', 'session']) {
    assert.match(failAsKompasd(coordA(), `DELETE FROM ${t} WHERE centre_id = '${A.id}'`), new RegExp(`permission denied for table ${t}`), t);
  }
});

test('the access log is append-only for kompasd: UPDATE and DELETE are refused', () => {
  const before = psql(`SELECT string_agg(row_to_json(l)::text, ',') FROM access_log l WHERE centre_id = '${A.id}'`);
  assert.notEqual(before, '');
  assert.match(failAsKompasd(coordA(), `UPDATE access_log SET purpose = 'nothing happened' WHERE centre_id = '${A.id}'`), /permission denied for table access_log/);
  assert.match(failAsKompasd(coordA(), `DELETE FROM access_log WHERE centre_id = '${A.id}'`), /permission denied for table access_log/);
  assert.match(failAsKompasd(coordA(), 'TRUNCATE access_log'), /permission denied for table access_log/);
  // not even the purge function may cut the retention below 30 days
  assert.match(failAsKompasd(coordA(), "SELECT kompas_access_log_purge(interval '1 day')"), /at least 30 days/);
  assert.equal(psql(`SELECT string_agg(row_to_json(l)::text, ',') FROM access_log l WHERE centre_id = '${A.id}'`), before);
});
