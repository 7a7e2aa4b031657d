// make install / make uninstall into a temporary DESTDIR, and the installed
// kompasd run with the installed configuration against the test database
// (the installed paths redirected into DESTDIR by environment overrides).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startKompasd, runKompasd } from './harness.mjs';

let dest;
const PREFIX = '/usr/local';
const at = (p) => path.join(dest, p);
const migrations = fs.readdirSync(path.join(ROOT, 'schema')).filter((f) => f.endsWith('.sql')).sort();
const functionFiles = fs.readdirSync(path.join(ROOT, 'schema/functions')).sort();

function make(target) {
  const r = spawnSync('make', ['-s', '--no-print-directory', target, `DESTDIR=${dest}`, `PREFIX=${PREFIX}`, `INSTALL_BIN=${process.env.KOMPASD}`],
    { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return r.stdout;
}

// The installed kompasd's environment: database and key of the test run,
// the installed files found under DESTDIR.
const installedEnv = () => ({
  KOMPAS_PATHS_SCHEMA_DIR: at(`${PREFIX}/share/kompas/schema`),
  KOMPAS_PATHS_OPENAPI: at(`${PREFIX}/share/kompas/openapi.yaml`),
});

before(() => {
  dest = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP, 'destdir-'));
  fs.chmodSync(dest, 0o755);
  make('install');
});
after(() => { fs.rmSync(dest, { recursive: true, force: true }); });

test('install puts the binary, migrations, stored functions, OpenAPI document, example configuration, unit and docs in place', () => {
  const bin = at(`${PREFIX}/sbin/kompasd`);
  assert.equal(fs.statSync(bin).mode & 0o777, 0o755);
  assert.deepEqual(fs.readdirSync(at(`${PREFIX}/share/kompas/schema`)).sort(), [...migrations, 'functions'].sort());
  assert.ok(functionFiles.length >= 50, 'the stored functions');
  assert.deepEqual(fs.readdirSync(at(`${PREFIX}/share/kompas/schema/functions`)).sort(), functionFiles);
  for (const f of functionFiles) {
    assert.ok(fs.readFileSync(at(`${PREFIX}/share/kompas/schema/functions/${f}`)).equals(fs.readFileSync(path.join(ROOT, 'schema/functions', f))), f);
  }
  assert.ok(fs.readFileSync(at(`${PREFIX}/share/kompas/openapi.yaml`)).equals(fs.readFileSync(path.join(ROOT, 'docs/openapi.yaml'))));
  const conf = fs.readFileSync(at('/etc/kompas/kompas.conf'), 'utf8');
  assert.equal(fs.statSync(at('/etc/kompas/kompas.conf')).mode & 0o777, 0o640);
  assert.equal(conf, fs.readFileSync(at(`${PREFIX}/share/kompas/kompas.conf.example`), 'utf8'));
  assert.match(conf, /^schema_dir = \/usr\/local\/share\/kompas\/schema$/m);
  assert.match(conf, /^openapi = \/usr\/local\/share\/kompas\/openapi\.yaml$/m);
  assert.match(conf, /^key_file = \/etc\/kompas\/kompas\.key /m);
  assert.match(conf, /^user = kompasd$/m);
  assert.match(conf, /^conninfo = "dbname=kompas user=kompasd gssencmode=disable"$/m);
  assert.match(conf, /^seccomp = 1/m);
  const unit = fs.readFileSync(at(`${PREFIX}/lib/systemd/system/kompasd.service`), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/local\/sbin\/kompasd -c \/etc\/kompas\/kompas\.conf serve$/m);
  assert.match(unit, /^Type=notify$/m);
  for (const k of ['ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'NoNewPrivileges=yes', 'MemoryDenyWriteExecute=yes']) {
    assert.ok(unit.split('\n').includes(k), k);
  }
  assert.ok(fs.existsSync(at(`${PREFIX}/share/doc/kompas/operations.md`)));
  if (fs.existsSync(path.join(ROOT, 'clients/web/index.html'))) {
    assert.ok(fs.existsSync(at(`${PREFIX}/share/kompas/web/index.html`)), 'the web client');
  }
});

test('the installed kompasd reports its version and the schema status with the installed configuration', async () => {
  const bin = at(`${PREFIX}/sbin/kompasd`);
  const v = execFileSync(bin, ['version'], { encoding: 'utf8' });
  assert.equal(v, execFileSync(process.env.KOMPASD, ['version'], { encoding: 'utf8' }));
  const r = await runKompasd(['-c', at('/etc/kompas/kompas.conf'), 'migrate', '--status'], { env: installedEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `schema version ${migrations.length} of ${migrations.length}, 0 pending\n`);
});

test('the installed kompasd serves /readyz and the installed OpenAPI document', async () => {
  const k = await startKompasd({ bin: at(`${PREFIX}/sbin/kompasd`), config: at('/etc/kompas/kompas.conf'), env: installedEnv() });
  try {
    const ready = await k.fetch('/readyz');
    assert.equal(ready.status, 200);
    assert.equal((await ready.json()).schema_version, migrations.length);
    const doc = await k.fetch('/v1/openapi.yaml');
    assert.equal(doc.status, 200);
    assert.equal(await doc.text(), fs.readFileSync(path.join(ROOT, 'docs/openapi.yaml'), 'utf8'));
  } finally {
    assert.equal((await k.stop()).code, 0);
  }
});

test('install again keeps a changed configuration; uninstall removes everything else, then the unchanged one', () => {
  const conf = at('/etc/kompas/kompas.conf');
  const original = fs.readFileSync(conf, 'utf8');
  fs.writeFileSync(conf, original.replace(/^port = 8080/m, 'port = 8081'));
  assert.match(make('install'), /keeping .*\/etc\/kompas\/kompas\.conf/);
  assert.match(fs.readFileSync(conf, 'utf8'), /^port = 8081/m);

  assert.match(make('uninstall'), /keeping .*kompas\.conf \(changed locally\)/);
  for (const p of [`${PREFIX}/sbin/kompasd`, `${PREFIX}/share/kompas`, `${PREFIX}/lib/systemd/system/kompasd.service`, `${PREFIX}/share/doc/kompas`]) {
    assert.equal(fs.existsSync(at(p)), false, `${p} removed`);
  }
  assert.ok(fs.existsSync(conf));

  make('install');
  fs.writeFileSync(conf, fs.readFileSync(at(`${PREFIX}/share/kompas/kompas.conf.example`)));
  make('uninstall');
  assert.equal(fs.existsSync(at('/etc/kompas')), false, 'an unchanged configuration goes, and its folder');
});
