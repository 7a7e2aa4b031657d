// Stored functions live in schema/functions/<name>.sql, one file each,
// applied by `kompasd migrate` after the numbered migrations and again
// whenever a file changes (lib/migrate.h, docs/conventions.md). Checked on
// databases of their own in the test cluster:
//   - each function is defined in exactly one file, and no numbered
//     migration defines one;
//   - a fresh migrate applies every file, a second one changes nothing;
//   - a database migrated with the migrations as they were before the
//     functions moved (from git) upgrades to exactly the schema of a fresh
//     one, also from a version in between;
//   - a new, changed, broken or removed function file is handled on the next
//     migrate, and serve refuses a database whose functions are behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, psql, privilegeEnv } from './harness.mjs';

const APP_CONNINFO = process.env.KOMPAS_TEST_CONNINFO;
const OWNER_CONNINFO = process.env.KOMPAS_TEST_OWNER_CONNINFO || APP_CONNINFO;
// The last commit whose numbered migrations still defined the functions
// (lib/migrate.c lists the checksums its files had as superseded).
const BEFORE = '7d1ec6484ccbebeac20431da8b9224f4f652a9b5';

const SCHEMA = path.join(ROOT, 'schema');
const FUNCTIONS = path.join(SCHEMA, 'functions');
const migrations = fs.readdirSync(SCHEMA).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
const functionFiles = fs.readdirSync(FUNCTIONS).filter((f) => f.endsWith('.sql')).sort();
const N = migrations.length;
const F = functionFiles.length;
const sha256 = (p) => createHash('sha256').update(fs.readFileSync(p)).digest('hex');

const tag = randomBytes(4).toString('hex');
let tmp;
const databases = [];

before(() => {
  tmp = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'schema-functions-'));
  fs.chmodSync(tmp, 0o755);
});
after(() => {
  for (const db of databases) psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, { db: 'postgres' });
  fs.rmSync(tmp, { recursive: true, force: true });
});

function freshDatabase(suffix) {
  const db = `sf_${tag}_${suffix}`;
  psql(`CREATE DATABASE ${db}`, { db: 'postgres' });
  databases.push(db);
  return {
    db,
    conninfo: APP_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`),
    ownerConninfo: OWNER_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`),
  };
}

// kompasd with the schema folder dir against database fdb, to completion.
function run(args, fdb, dir = SCHEMA, timeoutMs = 60000) {
  const proc = spawn(process.env.KOMPASD, ['-c', 'kompas.conf', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      KOMPAS_DATABASE_CONNINFO: fdb.conninfo,
      KOMPAS_DATABASE_MIGRATE_CONNINFO: fdb.ownerConninfo,
      KOMPAS_PATHS_SCHEMA_DIR: dir,
      KOMPAS_HTTP_PORT: '0',
      ...privilegeEnv(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  return once(proc, 'exit').then(([code, signal]) => {
    clearTimeout(timer);
    return { code, signal, stdout, stderr };
  });
}

async function migrate(fdb, dir = SCHEMA) {
  const r = await run(['migrate'], fdb, dir);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

// A copy of the schema folder to change.
function schemaCopy(name) {
  const dir = path.join(tmp, name);
  fs.cpSync(SCHEMA, dir, { recursive: true });
  return dir;
}

// The migrations of commit BEFORE (the first `upto` of them), as main had
// them before the functions moved. They are kept as
// tests/api/fixtures/schema-<BEFORE>.tar.gz (`git archive BEFORE schema`),
// not read from git, so that the test also runs in a shallow clone.
const OLD_SCHEMA = path.join(ROOT, 'tests/api/fixtures', `schema-${BEFORE.slice(0, 7)}.tar.gz`);
function oldSchema(name, upto = Infinity) {
  const dir = path.join(tmp, name);
  const unpacked = path.join(tmp, `${name}-tar`);
  fs.mkdirSync(dir);
  fs.mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', OLD_SCHEMA, '-C', unpacked]);
  const files = fs.readdirSync(path.join(unpacked, 'schema')).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort().slice(0, upto);
  assert.equal(files.length, Math.min(upto, 30), `${OLD_SCHEMA} holds the 30 migrations of ${BEFORE}`);
  for (const f of files) fs.copyFileSync(path.join(unpacked, 'schema', f), path.join(dir, f));
  return dir;
}

const PG_BIN = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b))
  .map((v) => `/usr/lib/postgresql/${v}/bin`).pop();

// The database's schema as pg_dump writes it, without its comments and the
// per-run \restrict key; and the rows the migrations wrote: per table their
// count, and the shared categories (ids and times are made anew each time).
function dumpOf(fdb) {
  const socket = /host=(\S+)/.exec(OWNER_CONNINFO)[1];
  const schema = execFileSync(path.join(PG_BIN, 'pg_dump'), ['-h', socket, '-U', 'kompas_owner', '--schema-only', fdb.db],
    { encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\n').filter((l) => l && !l.startsWith('--') && !/^\\(un)?restrict /.test(l)).join('\n');
  const data = psql(`SELECT string_agg(table_name || '=' || (xpath('/row/n/text()',
                             query_to_xml(format('SELECT count(*) AS n FROM %I', table_name), false, true, '')))[1]::text,
                           ',' ORDER BY table_name)
                       FROM information_schema.tables
                      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
                        AND table_name NOT IN ('schema_migration', 'schema_function')`, { db: fdb.db }) + '\n' +
    psql("SELECT string_agg(concat_ws('|', kind, slug, name_da, name_en), ',' ORDER BY kind, slug) FROM category WHERE centre_id IS NULL", { db: fdb.db });
  return { schema, data };
}

const recorded = (fdb) => psql('SELECT name, checksum FROM schema_function ORDER BY name COLLATE "C"', { db: fdb.db })
  .split('\n').filter(Boolean).map((l) => l.split('|'));
const expectedRecord = (dir = SCHEMA) => fs.readdirSync(path.join(dir, 'functions')).filter((f) => f.endsWith('.sql')).sort()
  .map((f) => [f.slice(0, -4), sha256(path.join(dir, 'functions', f))]);

// ---- one file per function ----------------------------------------------------

// A function (or aggregate) of the public schema (tools' data scripts make
// their helpers in schemas of their own, or pg_temp).
const CREATE = /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|AGGREGATE)\s+(?:public\.)?([a-z_][a-z0-9_]*)\s*\(/gi;

test('each stored function is defined in exactly one file, schema/functions/<its name>.sql, and no numbered migration defines one', () => {
  assert.ok(F >= 50, `function files: ${F}`);
  const definedIn = new Map();
  for (const f of migrations) {
    const sql = fs.readFileSync(path.join(SCHEMA, f), 'utf8');
    assert.deepEqual([...sql.matchAll(CREATE)].map((m) => m[1]), [], `${f} defines no function`);
  }
  for (const f of functionFiles) {
    assert.match(f, /^[a-z_][a-z0-9_]*\.sql$/);
    const names = [...fs.readFileSync(path.join(FUNCTIONS, f), 'utf8').matchAll(CREATE)].map((m) => m[1].toLowerCase());
    assert.deepEqual(names, [f.slice(0, -4)], `${f} defines the one function it is named after, once`);
    for (const n of names) definedIn.set(n, [...(definedIn.get(n) || []), f]);
  }
  for (const [n, files] of definedIn) assert.equal(files.length, 1, `${n}: ${files.join(', ')}`);
  // and nowhere else in the tree's SQL
  const elsewhere = execFileSync('git', ['-C', ROOT, 'ls-files', '*.sql'], { encoding: 'utf8' }).split('\n')
    .filter((p) => p && !p.startsWith('schema/functions/'))
    .filter((p) => [...fs.readFileSync(path.join(ROOT, p), 'utf8').matchAll(CREATE)].length > 0);
  assert.deepEqual(elsewhere, [], 'SQL files outside schema/functions/ that define functions of the public schema');
});

test('every include in a numbered migration names a function file, and the migrations include only what their own statements use', () => {
  const includes = [];
  for (const f of migrations) {
    for (const line of fs.readFileSync(path.join(SCHEMA, f), 'utf8').split('\n')) {
      if (!line.startsWith('\\')) continue;
      const m = /^\\ir functions\/([a-z_][a-z0-9_]*)\.sql$/.exec(line);
      assert.ok(m, `${f}: ${line}`);
      assert.ok(functionFiles.includes(`${m[1]}.sql`), `${f}: ${line}`);
      includes.push(m[1]);
    }
  }
  assert.equal(new Set(includes).size, includes.length, 'each function is included at one place at most');
  assert.ok(includes.includes('kompas_centre'), 'the policies of 0002 need kompas_centre()');
});

// ---- fresh, twice ----------------------------------------------------------------

let fresh;

test('a fresh migrate applies every migration and every function file; a second one changes nothing', async () => {
  fresh = freshDatabase('fresh');
  assert.equal(await migrate(fresh), `applied ${N} migration(s); schema version ${N}\n`);
  assert.deepEqual(recorded(fresh), expectedRecord());
  const procs = psql("SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace", { db: fresh.db });
  assert.equal(procs, String(F), 'one function per file, none left over');
  // nothing is written the second time: no function, no record
  const state = () => psql(`SELECT (SELECT string_agg(proname || ':' || xmin::text, ',' ORDER BY proname)
                                      FROM pg_proc WHERE pronamespace = 'public'::regnamespace)
                                   || (SELECT string_agg(name || applied_at::text, ',' ORDER BY name) FROM schema_function)`,
  { db: fresh.db });
  const before1 = state();
  assert.equal(await migrate(fresh), `applied 0 migration(s); schema version ${N}\n`);
  assert.equal(state(), before1);
  const r = await run(['migrate', '--status'], fresh);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `schema version ${N} of ${N}, 0 pending\n`);
  // kompasd's own role reads the record for its check at start
  assert.equal(psql('SELECT count(*) FROM schema_function', { db: fresh.db, user: 'kompasd' }), String(F));
});

// ---- upgrading a database migrated with the old files ------------------------------

test('a database migrated with the migrations before the move upgrades to exactly the schema of a fresh one', async () => {
  const old = freshDatabase('old');
  const oldDir = oldSchema('before');
  assert.equal(fs.readdirSync(oldDir).length, 30);
  assert.equal(await migrate(old, oldDir), 'applied 30 migration(s); schema version 30\n');
  assert.equal(psql("SELECT to_regclass('schema_function') IS NULL", { db: old.db }), 't', 'the old files have no function files');
  const oldSums = psql('SELECT checksum FROM schema_migration ORDER BY version', { db: old.db }).split('\n');
  assert.notDeepEqual(oldSums, migrations.slice(0, 30).map((f) => sha256(path.join(SCHEMA, f))), 'the old files differ');

  // the new files: nothing to migrate, every function file to apply
  // (while numbered migrations are pending, the function files are not
  // counted: they are applied after them anyway)
  let r = await run(['migrate', '--status'], old);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, N === 30 ? `schema version 30 of 30, 0 pending, ${F} function file(s) to apply\n`
    : `schema version 30 of ${N}, ${N - 30} pending\n`);
  if (N === 30) {
    r = await run(['serve'], old);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`${F} stored function file\\(s\\) in .*functions are new, changed or gone since the last migrate`));
    assert.doesNotMatch(r.stderr, /listening on/);
  }

  assert.equal(await migrate(old), `applied ${N - 30} migration(s); schema version ${N}\n`);
  assert.deepEqual(psql('SELECT checksum FROM schema_migration WHERE version <= 30 ORDER BY version', { db: old.db }).split('\n'),
    oldSums, 'the old checksums stay recorded: lib/migrate.c accepts them for these files');
  assert.deepEqual(recorded(old), expectedRecord());
  const a = dumpOf(old);
  const b = dumpOf(fresh);
  assert.ok(a.schema.includes('CREATE FUNCTION public.kompas_stats_funnel('), 'the dump has the functions');
  assert.equal(a.schema, b.schema, 'pg_dump --schema-only of the upgraded and the fresh database');
  assert.equal(a.data, b.data, 'the data the migrations write');
  assert.equal(await migrate(old), `applied 0 migration(s); schema version ${N}\n`);
});

test('a database at an older version (0025, before the statistics functions changed their signatures) upgrades to the same schema', async () => {
  const mid = freshDatabase('mid');
  assert.equal(await migrate(mid, oldSchema('before25', 25)), 'applied 25 migration(s); schema version 25\n');
  assert.equal(await migrate(mid), `applied ${N - 25} migration(s); schema version ${N}\n`);
  const a = dumpOf(mid);
  const b = dumpOf(fresh);
  assert.equal(a.schema, b.schema);
  assert.equal(a.data, b.data);
});

test('a checksum the runner does not list as superseded is still refused', async () => {
  const old = freshDatabase('tampered');
  const oldDir = oldSchema('tampered', 2);
  fs.appendFileSync(path.join(oldDir, '0002_identity.sql'), '-- changed\n');
  await migrate(old, oldDir);
  const r = await run(['migrate'], old);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /0002_identity\.sql was changed after it was applied \(checksum differs\)/);
});

// ---- changing the function files ---------------------------------------------------

test('a changed function file is applied again on the next migrate, and serve refuses until then', async () => {
  const db = freshDatabase('change');
  const dir = schemaCopy('change');
  await migrate(db, dir);
  const file = path.join(dir, 'functions/kompas_stats_round.sql');
  const sql = fs.readFileSync(file, 'utf8');
  assert.ok(sql.includes('p_v::bigint / 5 * 5'));
  fs.writeFileSync(file, sql.replace('p_v::bigint / 5 * 5', 'p_v::bigint / 10 * 10'));
  const stamps = () => psql("SELECT string_agg(name || applied_at::text, ',' ORDER BY name) FROM schema_function WHERE name <> 'kompas_stats_round'", { db: db.db });
  const others = stamps();

  let r = await run(['migrate', '--status'], db, dir);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, `schema version ${N} of ${N}, 0 pending, 1 function file(s) to apply\n`);
  r = await run(['serve'], db, dir);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /1 stored function file\(s\) in .*functions are new, changed or gone/);

  assert.equal(await migrate(db, dir), `applied 0 migration(s); schema version ${N}\n`);
  assert.equal(psql('SELECT kompas_stats_round(17)', { db: db.db }), '10');
  assert.deepEqual(recorded(db), expectedRecord(dir));
  assert.equal(stamps(), others, 'only the changed file was applied');
  // its privileges and comment are the file's
  assert.equal(psql("SELECT has_function_privilege('kompas_app', 'kompas_stats_round(numeric)', 'EXECUTE')", { db: db.db }), 'f');
  assert.equal(psql("SELECT obj_description('kompas_stats_round(numeric)'::regprocedure)", { db: db.db }),
    'A count as published: rounded down to a multiple of 5');
});

test('a new function file is created; a changed return type needs its DROP; a broken body or a removed file is refused', async () => {
  const db = freshDatabase('life');
  const dir = schemaCopy('life');
  await migrate(db, dir);
  const file = path.join(dir, 'functions/kompas_probe.sql');
  const sumOf = () => psql("SELECT checksum FROM schema_function WHERE name = 'kompas_probe'", { db: db.db });

  fs.writeFileSync(file, `CREATE OR REPLACE FUNCTION kompas_probe() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
REVOKE ALL ON FUNCTION kompas_probe() FROM PUBLIC;\n`);
  await migrate(db, dir);
  assert.equal(psql('SELECT kompas_probe()', { db: db.db }), '1');
  assert.equal(sumOf(), sha256(file));

  // CREATE OR REPLACE cannot change the return type: the pass is refused
  // and rolled back as a whole, naming the file
  const one = sha256(file);
  fs.writeFileSync(file, `CREATE OR REPLACE FUNCTION kompas_probe() RETURNS text LANGUAGE sql AS $$ SELECT 'two' $$;\n`);
  let r = await run(['migrate'], db, dir);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /functions\/kompas_probe\.sql: ERROR: +cannot change return type/);
  assert.equal(psql('SELECT kompas_probe()', { db: db.db }), '1');
  assert.equal(sumOf(), one);
  // with the DROP of the old signature first it is applied
  fs.writeFileSync(file, `DROP FUNCTION IF EXISTS kompas_probe();
CREATE OR REPLACE FUNCTION kompas_probe() RETURNS text LANGUAGE sql AS $$ SELECT 'two' $$;\n`);
  await migrate(db, dir);
  assert.equal(psql('SELECT kompas_probe()', { db: db.db }), 'two');

  // a body is checked against the schema (second round of the pass)
  fs.writeFileSync(file, `CREATE OR REPLACE FUNCTION kompas_probe() RETURNS text LANGUAGE sql AS $$ SELECT name FROM no_such_table $$;\n`);
  r = await run(['migrate'], db, dir);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /functions\/kompas_probe\.sql: .*no_such_table/);
  assert.equal(psql('SELECT kompas_probe()', { db: db.db }), 'two');

  // a removed file whose function is still there is refused; once a
  // migration has dropped the function, the record is forgotten
  fs.rmSync(file);
  r = await run(['migrate', '--status'], db, dir);
  assert.equal(r.code, 3);
  assert.match(r.stdout, /, 1 function file\(s\) to apply\n$/);
  r = await run(['migrate'], db, dir);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /functions\/kompas_probe\.sql was applied before and is gone, but function kompas_probe still exists/);
  psql('DROP FUNCTION kompas_probe()', { db: db.db });
  await migrate(db, dir);
  assert.equal(sumOf(), '');
  r = await run(['migrate', '--status'], db, dir);
  assert.equal(r.code, 0);
});

test('a backslash line in a migration must include an existing function file', async () => {
  const dir = schemaCopy('include');
  const db = { conninfo: APP_CONNINFO, ownerConninfo: OWNER_CONNINFO };
  const last = path.join(dir, migrations[N - 1]);
  for (const line of ['\\ir functions/no_such_function.sql', '\\i functions/kompas_role.sql', '\\ir ../0001_centres.sql']) {
    fs.writeFileSync(last, fs.readFileSync(path.join(SCHEMA, migrations[N - 1]), 'utf8') + line + '\n');
    const r = await run(['migrate', '--status'], db, dir);
    assert.equal(r.code, 1, line);
    assert.ok(r.stderr.includes(`${migrations[N - 1]}:`) && r.stderr.includes('\\ir functions/<name>.sql'), r.stderr);
  }
});
