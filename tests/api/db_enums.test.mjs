// The database refuses what the API refuses (schema/0028): every enum-like
// column has a CHECK whose values are exactly an enum of docs/openapi.yaml,
// no text column is left unchecked but the few free ones named below, and
// rows the API would answer 422 to fail in PostgreSQL itself, written as the
// owner past the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { psql, ROOT, startKompasd } from './harness.mjs';
import { createCentre, createAccount, createVolunteer, createRequest, login, psqlTry, uniq } from './fixtures.mjs';

let k;
before(async () => { k = await startKompasd(); });
after(async () => { await k.stop(); });

const lines = (out) => out.split('\n').filter(Boolean);

// Every enum of the API: the value lists of docs/openapi.yaml (null dropped).
function apiEnums() {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, 'docs/openapi.yaml'), 'utf8'));
  const found = [];
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node.enum)) found.push(node.enum.filter((v) => v !== null).map(String).sort());
    Object.values(node).forEach(walk);
  };
  walk(doc);
  return found.map((e) => e.join(','));
}

// Columns whose values no single enum of the API lists: who acted is an
// account role, the portal's key or kompasd itself (system); a consent is
// recorded by the portal or by the centre's staff.
const KNOWN_SUPERSETS = {
  'request_event.actor_role': 'admin,analyst,association,coordinator,guide,portal,system',
  'access_log.actor_role': 'admin,analyst,association,coordinator,guide,portal,system',
  'request_consent.recorded_by_role': 'coordinator,guide,portal',
};

// table.column -> sorted values of each "col = ANY (ARRAY[...])" CHECK.
function dbEnumChecks() {
  const out = lines(psql(`SELECT r.relname || '|' || pg_get_constraintdef(k.oid)
                            FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid
                            JOIN pg_namespace n ON n.oid = r.relnamespace
                           WHERE n.nspname = 'public' AND k.contype = 'c'`));
  const checks = [];
  for (const line of out) {
    const [table, def] = [line.slice(0, line.indexOf('|')), line.slice(line.indexOf('|') + 1)];
    // only plain membership checks, "(col = ANY (ARRAY['a'::text, ...]))"
    // alone or joined by AND; not rules like "(state IN (...)) = (x IS NULL)"
    const member = /\((\w+) = ANY \(ARRAY\[([^\]]*)\]\)\)/g;
    if (def.replace(member, '').replace(/CHECK|AND|[()\s]/g, '') !== '') continue;
    for (const m of def.matchAll(member)) {
      const values = [...m[2].matchAll(/'([^']*)'::text/g)].map((v) => v[1]).sort();
      checks.push({ column: `${table}.${m[1]}`, values: values.join(','), def });
    }
  }
  return checks;
}

test('every enum CHECK of the database holds exactly the values of an API enum', () => {
  const api = new Set(apiEnums());
  const checks = dbEnumChecks();
  assert.ok(checks.length >= 35, `found only ${checks.length} enum checks`);
  const wrong = checks.filter((c) => !api.has(c.values) && KNOWN_SUPERSETS[c.column] !== c.values);
  assert.deepEqual(wrong.map((c) => `${c.column}: ${c.values}`), [],
    'each of these CHECKs allows a set of values no enum of docs/openapi.yaml has');
  for (const col of ['request.source', 'request.heard_from', 'request.contact_preference', 'request.state',
    'request_event.to_state', 'request_event.from_state', 'request_event.reason', 'request_event.actor_role',
    'volunteer.recruited_via', 'volunteer.status', 'course.outcome', 'referral.state', 'category.kind']) {
    assert.ok(checks.some((c) => c.column === col), `${col} has an enum CHECK`);
  }
});

test('no text column is left without a CHECK but the free ones', () => {
  const unchecked = lines(psql(`
    SELECT c.table_name || '.' || c.column_name
      FROM information_schema.columns c
      JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                                      AND t.table_type = 'BASE TABLE'
     WHERE c.table_schema = 'public' AND c.data_type = 'text'
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid
                        WHERE r.relname = c.table_name AND k.contype = 'c'
                          AND pg_get_constraintdef(k.oid) ~ ('\\m' || c.column_name || '\\M'))
     ORDER BY 1`));
  // an HTTP ETag and Location replayed verbatim, and the migration's file name
  assert.deepEqual(unchecked, ['idempotency_key.etag', 'idempotency_key.location', 'schema_migration.name']);
});

test('a volunteer\'s interest must be an interest or activity category, in the database too', () => {
  const c = createCentre(uniq('enum'));
  const v = createVolunteer(c.id);
  const cat = (kind) => psql(`SELECT id FROM category WHERE centre_id IS NULL AND kind = '${kind}' ORDER BY slug LIMIT 1`);
  for (const kind of ['target_group', 'need']) {
    const r = psqlTry(`INSERT INTO volunteer_interest (volunteer_id, category_id, centre_id) VALUES ('${v.id}', '${cat(kind)}', '${c.id}')`);
    assert.notEqual(r.code, 0, `a ${kind} category was stored as an interest`);
    assert.match(r.stderr, /interest or activity category/);
  }
  for (const kind of ['interest', 'activity']) {
    psql(`INSERT INTO volunteer_interest (volunteer_id, category_id, centre_id) VALUES ('${v.id}', '${cat(kind)}', '${c.id}')`);
  }
  assert.equal(psql(`SELECT count(*) FROM volunteer_interest WHERE volunteer_id = '${v.id}'`), '2');
  // and a category used so keeps its kind and slug (the API changes names only)
  const r = psqlTry(`UPDATE category SET kind = 'target_group' WHERE id = '${cat('interest')}'`);
  assert.notEqual(r.code, 0, 'an interest category became a target group');
  assert.match(r.stderr, /kind and slug do not change/);
  psql(`UPDATE category SET name_en = name_en WHERE id = '${cat('interest')}'`);
});

test('languages, roles, states and reasons outside the API\'s lists are refused', async () => {
  const c = createCentre(uniq('enum'));
  const v = createVolunteer(c.id);
  const refuse = (sql, constraint) => {
    const r = psqlTry(sql);
    assert.notEqual(r.code, 0, `stored: ${sql}`);
    assert.match(r.stderr, new RegExp(constraint));
  };
  refuse(`UPDATE volunteer SET languages = '{da,xx}' WHERE id = '${v.id}'`, 'volunteer_languages_iso639_1');
  psql(`UPDATE volunteer SET languages = '{da,ti,zu}' WHERE id = '${v.id}'`);
  const token = await login(k, createAccount('coordinator', c.id).email);
  const req = (await createRequest(k, token)).id;
  refuse(`UPDATE request SET preferred_language = 'zu' WHERE id = '${req}'`, 'request_preferred_language_known');
  psql(`UPDATE request SET preferred_language = 'ti' WHERE id = '${req}'`);
  const ev = (role, from, to, reason) => `INSERT INTO request_event
    (request_id, centre_id, actor_kind, actor_role, kind, from_state, to_state, reason)
    VALUES ('${req}', '${c.id}', 'account', '${role}', 'state', '${from}', '${to}', ${reason ? `'${reason}'` : 'NULL'})`;
  refuse(ev('coordinator', 'received', 'follow_up'), 'request_event_states_known');
  refuse(ev('citizen', 'received', 'accepted'), 'request_event_actor_role_known');
  refuse(ev('coordinator', 'received', 'closed', 'felt like it'), 'request_event_reason_known');
  psql(ev('coordinator', 'received', 'closed', 'unreachable'));
  refuse(`INSERT INTO access_log (centre_id, actor_kind, actor_role, action, subject)
          VALUES ('${c.id}', 'account', 'superuser', 'read', 'request')`, 'access_log_actor_role_known');
  refuse(`INSERT INTO request_consent (request_id, centre_id, purpose, given, text_version, recorded_by_role)
          VALUES ('${req}', '${c.id}', 'contact', true, 'v1', 'analyst')`, 'request_consent_recorded_by_role_known');
});
