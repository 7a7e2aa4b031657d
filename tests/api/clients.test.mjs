// The integration clients run as their users run them, as child processes
// against a live kompasd: the socialkompas portal's scripts
// (clients/portal: create a request with the portal key and reference,
// read its status, receive signed webhooks) and FriSe's frise-pull
// (clients/frise, run under dash to prove it is POSIX sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startKompasd, psql, until, ROOT } from './harness.mjs';
import { makeWorld, auth, call, createAccount, createCentre, createKey, createRequest, login, uniq } from './fixtures.mjs';

const PORTAL = path.join(ROOT, 'clients/portal');
const FRISE = path.join(ROOT, 'clients/frise/frise-pull');
const YEAR = '2007'; // frise-pull's data: no other test writes requests in 2007

let k;
let w;
let tmp;
let closedUrl; // a URL where nothing listens

// A child process whose output lines can be waited for.
class Child {
  constructor(cmd, args, env) {
    this.proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.out = '';
    this.err = '';
    this.waiters = [];
    this.exited = once(this.proc, 'exit');
    this.proc.stdout.setEncoding('utf8').on('data', (d) => { this.out += d; this.check(); });
    this.proc.stderr.setEncoding('utf8').on('data', (d) => { this.err += d; this.check(); });
  }

  lines(stream = 'out') {
    return this[stream].split('\n').filter(Boolean).flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  }

  check() { this.waiters = this.waiters.filter((wt) => !wt()); }

  // Resolve with the first JSON line on stream for which pred is true.
  waitFor(pred, stream = 'out', timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; ${stream}:\n${this[stream]}\nstderr:\n${this.err}`)), timeoutMs);
      const tryIt = () => {
        const found = this.lines(stream).find(pred);
        if (found === undefined) return false;
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      if (!tryIt()) this.waiters.push(tryIt);
    });
  }

  async result() {
    const [code] = await this.exited;
    return { code, stdout: this.out, stderr: this.err };
  }
}

// The environment of a client: PATH and HOME, plus what the test gives;
// nothing of kompasd's test environment.
const clientEnv = (extra) => ({ PATH: process.env.PATH, HOME: process.env.HOME || '/tmp', LANG: 'C.UTF-8', ...extra });

function portal(script, args, { key = w.tokens.A.portal, url = k.base } = {}) {
  return new Child(process.execPath, [path.join(PORTAL, script), ...args],
    clientEnv({ KOMPAS_URL: url, ...(key ? { KOMPAS_PORTAL_KEY: key } : {}) })).result();
}

function frise(args, { key = w.tokens.national.analystKey, url = k.base } = {}) {
  return new Child('dash', [FRISE, '--url', url, ...args], clientEnv(key ? { FRISE_KEY: key } : {})).result();
}

// Every file below dir with its content: to prove nothing changed.
function snapshot(dir) {
  const out = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    out[name] = fs.statSync(p).isDirectory() ? snapshot(p) : fs.readFileSync(p, 'utf8');
  }
  return out;
}
const leftovers = (dir) => fs.readdirSync(dir).filter((n) => n.startsWith('.frise-pull'));

before(async () => {
  k = await startKompasd({ env: { KOMPAS_WEBHOOKS_ALLOW_HTTP: '1' } });
  w = await makeWorld(k);
  tmp = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'clients-'));
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  closedUrl = `http://127.0.0.1:${s.address().port}`;
  await new Promise((r) => s.close(r));
});

after(async () => {
  if (k) assert.equal((await k.stop()).code, 0);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// --- the portal --------------------------------------------------------------

test('create-request makes the request with the portal\'s reference; a repeat answers the same one', async () => {
  const ref = uniq('sk');
  const file = path.join(tmp, `${ref}.json`);
  fs.writeFileSync(file, JSON.stringify({
    portal_reference: ref,
    citizen: { name: 'Birthe Portal', phone: '+45 61 62 63 64' },
    postal_code: '5000',
    age_band: '65-79',
  }));
  const first = await portal('create-request.mjs', ['--file', file, '--heard-from', 'socialkompas']);
  assert.equal(first.code, 0, first.stderr);
  const made = JSON.parse(first.stdout);
  assert.match(made.id, /^[0-9a-f-]{36}$/);
  assert.equal(made.portal_reference, ref);
  assert.equal(made.status, 'received');
  assert.equal(made.created, true);
  assert.equal(made.replayed, false);

  // the coordinator sees it, with the reference and the data the portal sent
  const res = await call(k, 'GET', `/v1/requests/${made.id}`, { token: w.tokens.A.coordinator });
  assert.equal(res.status, 200);
  const full = await res.json();
  assert.equal(full.portal_reference, ref);
  assert.equal(full.source, 'portal');
  assert.equal(full.citizen.name, 'Birthe Portal');
  assert.equal(full.postal_code, '5000');
  assert.equal(full.heard_from, 'socialkompas');

  // the same submission again (same Idempotency-Key): the stored answer
  const again = await portal('create-request.mjs', ['--file', file, '--heard-from', 'socialkompas']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), { ...made, created: false, replayed: true });
  // another key but the same reference: the request the reference made first
  const other = await portal('create-request.mjs', ['--file', file, '--idempotency-key', uniq('other')]);
  assert.equal(other.code, 0, other.stderr);
  const o = JSON.parse(other.stdout);
  assert.equal(o.id, made.id);
  assert.equal(o.created, false);
  assert.equal(psql(`SELECT count(*) FROM request WHERE portal_reference = '${ref}'`), '1');
});

test('request-status reads the citizen-safe status back by id, and follows the coordinator\'s work', async () => {
  const ref = uniq('sk');
  const made = JSON.parse((await portal('create-request.mjs', ['--reference', ref, '--name', 'Kurt Status', '--email', 'kurt@test.invalid'])).stdout);
  let st = await portal('request-status.mjs', [made.id]);
  assert.equal(st.code, 0, st.stderr);
  const s1 = JSON.parse(st.stdout);
  assert.equal(s1.id, made.id);
  assert.equal(s1.portal_reference, ref);
  assert.equal(s1.status, 'received');
  assert.ok(!st.stdout.includes('Kurt'), 'no personal data');
  assert.equal((await call(k, 'POST', `/v1/requests/${made.id}/transitions`, { token: w.tokens.A.coordinator, body: { to: 'accepted' } })).status, 200);
  st = await portal('request-status.mjs', ['--id', made.id]);
  assert.equal(st.code, 0, st.stderr);
  assert.equal(JSON.parse(st.stdout).status, 'in_progress');
  // another centre's portal does not see it
  const b = await portal('request-status.mjs', [made.id], { key: w.tokens.B.portal });
  assert.equal(b.code, 4);
  assert.match(b.stderr, /404 not_found/);
});

test('the portal scripts fail clearly: bad key 2, unreachable 3, refused 4, bad usage 1', async () => {
  const bad = await portal('create-request.mjs', ['--reference', uniq('sk'), '--name', 'X', '--phone', '+45 11 22 33 44'],
    { key: `kpk_${'A'.repeat(43)}` });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^create-request: the key was refused: 401 unauthenticated: /);
  assert.equal(bad.stdout, '');

  const down = await portal('create-request.mjs', ['--reference', uniq('sk'), '--name', 'X', '--phone', '+45 11 22 33 44', '--retries', '0'],
    { url: closedUrl });
  assert.equal(down.code, 3);
  assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);

  const invalid = await portal('create-request.mjs', ['--reference', uniq('sk'), '--name', 'X', '--phone', '+45 11 22 33 44', '--postal-code', '12']);
  assert.equal(invalid.code, 4);
  assert.match(invalid.stderr, /422 validation_failed/);
  assert.match(invalid.stderr, /\n {2}postal_code: /);
  assert.match(invalid.stderr, /request id [0-9a-f]/);

  const noRef = await portal('create-request.mjs', ['--name', 'X', '--phone', '+45 11 22 33 44']);
  assert.equal(noRef.code, 1);
  assert.match(noRef.stderr, /reference is required/);
  const noKey = await portal('request-status.mjs', ['00000000-0000-4000-8000-000000000000'], { key: null });
  assert.equal(noKey.code, 1);
  assert.match(noKey.stderr, /KOMPAS_PORTAL_KEY/);
  const missing = await portal('request-status.mjs', ['00000000-0000-4000-8000-000000000000']);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /404 not_found/);
});

// --- webhooks ---------------------------------------------------------------

test('the webhook receiver verifies kompasd\'s deliveries, deduplicates a replay and refuses forgeries with 401', async (t) => {
  // The receiver starts on a free port with a placeholder secret; the
  // coordinator registers its URL and the secret shown once goes into the
  // receiver's secret file, which it reads for every delivery.
  const secretFile = path.join(tmp, 'whsec');
  fs.writeFileSync(secretFile, `whsec_${'0'.repeat(43)}\n`, { mode: 0o600 });
  const rx = new Child(process.execPath, [path.join(PORTAL, 'webhook-receiver.mjs'), '--port', '0'],
    clientEnv({ KOMPAS_WEBHOOK_SECRET_FILE: secretFile }));
  t.after(async () => { rx.proc.kill('SIGTERM'); await rx.exited; });
  const { listening: hookUrl } = await rx.waitFor((l) => l.listening);
  assert.match(hookUrl, /^http:\/\/127\.0\.0\.1:\d+\/kompas\/webhook$/);
  const reg = await call(k, 'POST', '/v1/webhooks', { token: w.tokens.A.coordinator, body: { url: hookUrl } });
  assert.equal(reg.status, 201);
  const hook = await reg.json();
  fs.writeFileSync(`${secretFile}.new`, `${hook.secret}\n`, { mode: 0o600 });
  fs.renameSync(`${secretFile}.new`, secretFile);

  // a real change of status: delivered by kompasd, verified by the receiver
  const ref = uniq('sk');
  const made = JSON.parse((await portal('create-request.mjs', ['--reference', ref, '--name', 'Hanne Hook', '--phone', '+45 71 72 73 74'])).stdout);
  assert.equal((await call(k, 'POST', `/v1/requests/${made.id}/transitions`, { token: w.tokens.A.coordinator, body: { to: 'accepted' } })).status, 200);
  const got = await rx.waitFor((l) => l.verified && l.event.portal_reference === ref);
  assert.equal(got.duplicate, false);
  assert.equal(got.event.type, 'request.status_changed');
  assert.equal(got.event.request_id, made.id);
  assert.equal(got.event.status, 'in_progress');

  // a replay of the same event is recognised as a duplicate (replayed once
  // kompasd has recorded the first delivery: a replay while the delivery is
  // in flight is overwritten by its result)
  await waitDelivered(hook.id, got.event.event_id, 1);
  const replay = await call(k, 'POST', `/v1/webhook-events/${got.event.event_id}/replay`, { token: w.tokens.A.coordinator });
  assert.equal(replay.status, 202);
  const dup = await rx.waitFor((l) => l.verified && l.duplicate && l.event.event_id === got.event.event_id);
  assert.equal(dup.event.portal_reference, ref);
  await waitDelivered(hook.id, got.event.event_id, 2);

  // deliveries sent by the test straight to the receiver
  const body = JSON.stringify({ event_id: '11111111-2222-4333-8444-555555555555', type: 'request.status_changed', occurred_at: '2026-01-01T00:00:00Z', request_id: made.id, portal_reference: ref, status: 'closed' });
  const now = String(Math.floor(Date.now() / 1000));
  const sign = (secret, ts, b) => `v1=${createHmac('sha256', secret).update(`${ts}.${b}`).digest('hex')}`;
  const post = async (b, headers) => (await fetch(hookUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Kompas-Event-Id': '11111111-2222-4333-8444-555555555555', ...headers }, body: b })).status;

  assert.equal(await post(body, { 'Kompas-Timestamp': now, 'Kompas-Signature': sign(`whsec_${'x'.repeat(43)}`, now, body) }), 401, 'another secret');
  const tampered = body.replace('"closed"', '"withdrawn"');
  assert.equal(await post(tampered, { 'Kompas-Timestamp': now, 'Kompas-Signature': sign(hook.secret, now, body) }), 401, 'a changed body');
  const old = String(Math.floor(Date.now() / 1000) - 3600);
  assert.equal(await post(body, { 'Kompas-Timestamp': old, 'Kompas-Signature': sign(hook.secret, old, body) }), 401, 'a stale timestamp');
  assert.equal(await post(body, { 'Kompas-Timestamp': now, 'Kompas-Signature': sign(hook.secret, String(Number(now) + 1), body) }), 401, 'another timestamp');
  assert.equal(await post(body, { 'Kompas-Timestamp': now }), 401, 'no signature');
  assert.equal(await post(body, { 'Kompas-Timestamp': now, 'Kompas-Signature': sign(`whsec_${'0'.repeat(43)}`, now, body) }), 401, 'the replaced secret');
  const rejected = await rx.waitFor((l) => l.rejected && l.reason.includes('stale'), 'err');
  assert.equal(rejected.status, 401);
  assert.equal(rx.lines().filter((l) => l.verified && l.event.status === 'closed').length, 0, 'no forged event was accepted');
  // the same delivery signed with the right secret is accepted
  assert.equal(await post(body, { 'Kompas-Timestamp': now, 'Kompas-Signature': sign(hook.secret, now, body) }), 204);
  const genuine = await rx.waitFor((l) => l.verified && l.event.status === 'closed');
  assert.equal(genuine.event.portal_reference, ref);
  assert.equal(rx.lines('err').filter((l) => l.rejected).length, 6);
});

// Wait until kompasd has recorded `attempts` successful attempts for the
// event (the receiver's 2xx reached it).
function waitDelivered(hookId, eventId, attempts) {
  return until(async () => {
    const ev = (await (await call(k, 'GET', `/v1/webhooks/${hookId}/events`, { token: w.tokens.A.coordinator })).json())
      .items.find((e) => e.id === eventId);
    return ev && ev.log.filter((a) => a.status >= 200 && a.status < 300).length >= attempts;
  }, { timeoutMs: 30000 });
}

// --- FriSe ------------------------------------------------------------------

// Requests made through the API (sealed as kompasd seals them: other tests
// re-seal every request) by a portal or a coordinator, then moved back to
// YEAR as the owner.
async function oldRequests(token, portalKey, count) {
  for (let i = 0; i < count; i++) {
    const r = await createRequest(k, token, { portal: portalKey });
    psql(`UPDATE request SET created_at = '${YEAR}-05-1${i % 10} 12:00:00+00' WHERE id = '${r.id}'`);
  }
}

const HEADERS = {
  funnel: 'period,centre_id,centre_slug,source,measure,value,suppressed,reason',
  'funnel-heard-from': 'period,centre_id,centre_slug,heard_from,measure,value,suppressed,reason',
  outcomes: 'period,centre_id,centre_slug,instrument,measure,value,suppressed,reason',
  courses: 'period,centre_id,centre_slug,category,measure,value,suppressed,reason',
  volunteers: 'period,centre_id,centre_slug,category,measure,value,suppressed,reason',
  associations: 'period,centre_id,centre_slug,category,measure,value,suppressed,reason',
};
const PERIOD = ['--from', `${YEAR}-01-01`, '--to', `${YEAR}-12-31`];

// The rows of a CSV text (no quoted commas in these files) as objects.
function csvRows(text) {
  const [head, ...rest] = text.split('\r\n').filter(Boolean);
  const names = head.split(',');
  return rest.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
}

test('frise-pull writes every statistic for all centres and per centre, matching the API', async () => {
  await oldRequests(w.tokens.A.portal, true, 7);
  await oldRequests(w.tokens.B.coordinator, false, 5);
  const out = path.join(tmp, 'frise-ok');
  const r = await frise([...PERIOD, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /frise-pull: 13 files for 2007-01-01 to 2007-12-31/);
  const files = fs.readdirSync(out).sort();
  assert.deepEqual(files, ['centres.csv', 'summary.txt', ...Object.keys(HEADERS).flatMap((s) => [`${s}-by-centre.csv`, `${s}.csv`])].sort());
  for (const [s, header] of Object.entries(HEADERS)) {
    for (const f of [`${s}.csv`, `${s}-by-centre.csv`]) {
      assert.equal(fs.readFileSync(path.join(out, f), 'utf8').split('\r\n')[0], header, f);
    }
  }
  // the numbers are the API's: all centres together, and per centre
  const api = async (q) => {
    const res = await k.fetch(`/v1/stats/funnel?from=${YEAR}-01-01&to=${YEAR}-12-31${q}`, { headers: auth(w.tokens.national.analystKey) });
    assert.equal(res.status, 200);
    return (await res.json()).rows;
  };
  const all = csvRows(fs.readFileSync(path.join(out, 'funnel.csv'), 'utf8'));
  const total = all.find((x) => x.source === '' && x.measure === 'received');
  assert.equal(total.value, '10'); // 12, rounded down to a multiple of 5
  assert.equal(total.suppressed, 'false');
  const apiTotal = (await api('')).find((x) => x.source === null && x.measure === 'received');
  assert.equal(Number(total.value), apiTotal.value);
  assert.equal(all.length, (await api('')).length);
  const byCentre = csvRows(fs.readFileSync(path.join(out, 'funnel-by-centre.csv'), 'utf8'));
  const received = (slug) => byCentre.find((x) => x.centre_slug === slug && x.source === '' && x.measure === 'received');
  assert.equal(received(w.A.slug).value, '5'); // 7
  assert.equal(received(w.A.slug).centre_id, w.A.id);
  assert.equal(received(w.B.slug).value, '5');
  const apiA = (await api('&group_by=centre')).find((x) => x.centre_slug === w.A.slug && x.source === null && x.measure === 'received');
  assert.equal(apiA.value, 5);
  assert.equal(byCentre.find((x) => x.centre_slug === w.A.slug && x.source === 'portal' && x.measure === 'received').value, '5');
  // the same requests by how they heard of the offer
  const heard = csvRows(fs.readFileSync(path.join(out, 'funnel-heard-from.csv'), 'utf8'));
  assert.equal(heard.find((x) => x.heard_from === '' && x.measure === 'received').value, '10');
  assert.ok(heard.every((x) => x.heard_from === '' || ['socialkompas', 'municipal_staff', 'relative', 'local_paper', 'association', 'other', 'not_given'].includes(x.heard_from)));
  // the file is the API's CSV, byte for byte
  const apiCsv = await (await k.fetch(`/v1/stats/funnel?from=${YEAR}-01-01&to=${YEAR}-12-31&format=csv&group_by=centre`, { headers: auth(w.tokens.national.analystKey) })).text();
  assert.equal(fs.readFileSync(path.join(out, 'funnel-by-centre.csv'), 'utf8'), apiCsv);

  const centres = csvRows(fs.readFileSync(path.join(out, 'centres.csv'), 'utf8'));
  assert.deepEqual(Object.keys(centres[0]), ['id', 'slug', 'name', 'municipality']);
  assert.equal(centres.find((c) => c.slug === w.A.slug).id, w.A.id);

  const summary = fs.readFileSync(path.join(out, 'summary.txt'), 'utf8');
  assert.match(summary, /^period: +2007-01-01 to 2007-12-31/m);
  // totals: received, accepted (under 5: suppressed), then no courses,
  // volunteers or associations in these centres
  assert.match(summary, /^ {2}all centres +10 +suppressed +- +\S+ +-$/m); // volunteers: now, of every test
  assert.match(summary, new RegExp(`^ {2}${w.A.slug} +5 +suppressed +- +- +-$`, 'm'));
  assert.match(summary, new RegExp(`^ {2}${w.B.slug} +5 +suppressed +- +- +-$`, 'm'));
  assert.match(summary, /^server: +.* \(Kompas \d+\.\d+\.\d+/m);
  assert.match(summary, /^key: +FriSe$/m);
  assert.match(summary, /^pulled at: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
  assert.match(summary, /^ {2}funnel-by-centre\.csv +\d+ +\d+$/m);
  assert.deepEqual(leftovers(tmp), []);

  // a second run into the same folder replaces the files, keeps others
  fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
  const again = await frise([...PERIOD, '--out', out, '--by', 'quarter']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine');
  const q = csvRows(fs.readFileSync(path.join(out, 'funnel-by-centre.csv'), 'utf8'));
  assert.equal(q.find((x) => x.centre_slug === w.A.slug && x.source === '' && x.measure === 'received').period, `${YEAR}-Q2`);
  assert.deepEqual(leftovers(tmp), []);
});

test('frise-pull --excel: semicolons, decimal comma, UTF-8 with BOM and Danish labels; a --to in the open month is cut', async () => {
  // the 2007 requests of A were contacted after a day and a half: a median with decimals
  psql(`UPDATE request SET first_contact_at = created_at + interval '36 hours'
         WHERE centre_id = '${w.A.id}' AND created_at < '2008-01-01'`);
  const odd = createCentre(uniq('semi'));
  psql(`UPDATE centre SET name = 'Center "Syd"; Øst' WHERE id = '${odd.id}'`);
  const out = path.join(tmp, 'frise-excel');
  const r = await frise([...PERIOD, '--out', out, '--excel']);
  assert.equal(r.code, 0, r.stderr);
  const raw = fs.readFileSync(path.join(out, 'funnel.csv'));
  assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte order mark');
  const lines = raw.subarray(3).toString('utf8').split('\r\n');
  assert.equal(lines[0], 'Periode;Center-id;Center;Kilde;Mål;Værdi;Skjult;Årsag');
  assert.ok(lines.includes(';;;I alt;Modtaget;10;nej;'), lines.join('\n'));
  assert.ok(lines.includes(';;;I alt;Dage til første kontakt (median);1,5;nej;'));
  assert.ok(lines.includes(';;;I alt;Accepteret;;ja;Under 5'));
  assert.ok(lines.includes(';;;Portal;Modtaget;5;nej;'));
  assert.equal(lines.length, csvRows(fs.readFileSync(path.join(tmp, 'frise-ok', 'funnel.csv'), 'utf8')).length + 2, 'the same rows');
  const byCentre = fs.readFileSync(path.join(out, 'funnel-by-centre.csv'), 'utf8').slice(1).split('\r\n');
  assert.ok(byCentre.includes(`;${w.A.id};${w.A.slug};Portal;Modtaget;5;nej;`), byCentre.join('\n'));
  for (const [f, head] of [['outcomes.csv', 'Periode;Center-id;Center;Instrument;Mål;Værdi;Skjult;Årsag'],
    ['volunteers.csv', 'Periode;Center-id;Center;Kategori;Mål;Værdi;Skjult;Årsag'],
    ['centres.csv', 'Id;Kortnavn;Navn;Kommune']]) {
    assert.equal(fs.readFileSync(path.join(out, f), 'utf8').slice(1).split('\r\n')[0], head, f);
  }
  // a field with a semicolon or a quote is quoted, quotes doubled
  const centres = fs.readFileSync(path.join(out, 'centres.csv'), 'utf8');
  assert.ok(centres.includes(`;${odd.slug};"Center ""Syd""; Øst";Testkommune\r\n`), centres);
  // the summary says what the files are; the default stays the server's CSV
  assert.match(fs.readFileSync(path.join(out, 'summary.txt'), 'utf8'), /^format: +for Danish spreadsheets/m);
  assert.match(fs.readFileSync(path.join(tmp, 'frise-ok', 'funnel.csv'), 'utf8'), /^period,centre_id,centre_slug,source,measure,value,suppressed,reason\r\n/);
  // by quarter: the periods in Danish
  const q = await frise([...PERIOD, '--out', out, '--excel', '--by', 'quarter']);
  assert.equal(q.code, 0, q.stderr);
  assert.ok(fs.readFileSync(path.join(out, 'funnel.csv'), 'utf8').includes('\r\n2. kvt. 2007;;;I alt;Modtaget;10;nej;\r\n'));
  // a --to in the month that has not ended is cut to the last closed month
  const thisYear = psql("SELECT extract(year FROM now() AT TIME ZONE 'Europe/Copenhagen')::int");
  const closed = psql("SELECT (date_trunc('month', (now() AT TIME ZONE 'Europe/Copenhagen')::date::timestamp) - interval '1 day')::date");
  const cut = await frise(['--from', `${Number(thisYear) - 1}-01-01`, '--to', `${thisYear}-12-31`, '--out', path.join(tmp, 'frise-cut')]);
  assert.equal(cut.code, 0, cut.stderr);
  const summary = fs.readFileSync(path.join(tmp, 'frise-cut', 'summary.txt'), 'utf8');
  assert.match(summary, new RegExp(`^period: +${Number(thisYear) - 1}-01-01 to ${closed} `, 'm'));
  assert.match(summary, new RegExp(`^cut: +--to ${thisYear}-12-31 lies in a period that has not ended; the statistics end ${closed}$`, 'm'));
  assert.deepEqual(leftovers(tmp), []);
});

// A folder with earlier results, to show a failed run changes nothing.
function earlierResults(name) {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'funnel.csv'), 'earlier,content\r\n');
  fs.writeFileSync(path.join(dir, 'summary.txt'), 'an earlier pull\n');
  return dir;
}

test('frise-pull: a bad key is exit 2 and nothing is written', async () => {
  const dir = earlierResults('frise-badkey');
  const before = snapshot(dir);
  const bad = await frise([...PERIOD, '--out', dir], { key: `kpk_${'B'.repeat(43)}` });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^frise-pull: the key was refused \(unknown or revoked\): unauthenticated: /);
  // a portal key is a key, but not FriSe's
  const portalKey = await frise([...PERIOD, '--out', dir], { key: w.tokens.A.portal });
  assert.equal(portalKey.code, 2);
  assert.match(portalKey.stderr, /this is a 'portal' credential; frise-pull needs an analyst key/);
  // a revoked analyst key
  const admin = createAccount('admin');
  const revoked = await createKey(k, await login(k, admin.email), { name: 'FriSe old', role: 'analyst' });
  assert.equal((await call(k, 'DELETE', `/v1/api-keys/${revoked.id}`, { token: w.tokens.national.admin })).status, 204);
  const rev = await frise([...PERIOD, '--out', dir], { key: revoked.key });
  assert.equal(rev.code, 2);
  assert.deepEqual(snapshot(dir), before);
  assert.deepEqual(leftovers(tmp), []);
  // and nothing is made where there was nothing
  const fresh = path.join(tmp, 'frise-never');
  assert.equal((await frise([...PERIOD, '--out', fresh], { key: `kpk_${'B'.repeat(43)}` })).code, 2);
  assert.equal(fs.existsSync(fresh), false);
});

test('frise-pull: an unreachable server is exit 3 and nothing is written', async () => {
  const dir = earlierResults('frise-down');
  const before = snapshot(dir);
  const r = await frise([...PERIOD, '--out', dir], { url: closedUrl });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^frise-pull: cannot reach the Kompas server at http:\/\/127\.0\.0\.1:\d+: .*Couldn't connect/);
  assert.deepEqual(snapshot(dir), before);
  assert.deepEqual(leftovers(tmp), []);
});

// A proxy in front of kompasd that breaks one statistic: answers 500 with a
// problem, or drops the connection without an answer.
async function brokenProxy(brokenPath, mode) {
  const proxy = http.createServer((req, res) => {
    if (req.url.startsWith(brokenPath)) {
      if (mode === 'drop') { req.socket.destroy(); return; }
      res.writeHead(500, { 'Content-Type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'urn:kompas:problem:internal_error', title: 'Internal error', status: 500, code: 'internal_error', detail: 'The test broke this statistic.' }));
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: k.port, path: req.url, method: req.method, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  return proxy;
}

test('frise-pull: a statistic failing midway is exit 4 and the output folder is untouched', async (t) => {
  for (const [brokenPath, mode, why] of [['/v1/stats/courses', 'error', /HTTP 500 internal_error: The test broke this statistic\./],
    ['/v1/stats/volunteers', 'drop', /no answer: /]]) {
    const proxy = await brokenProxy(brokenPath, mode);
    t.after(() => proxy.close());
    const dir = earlierResults(`frise-partial-${mode}`);
    const before = snapshot(dir);
    const r = await frise([...PERIOD, '--out', dir], { url: `http://127.0.0.1:${proxy.address().port}` });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /^frise-pull: the statistic (courses|volunteers) \(\w+\.csv\) failed after \d+ of the files had arrived: /);
    assert.match(r.stderr, why);
    assert.match(r.stderr, /nothing in .* was changed/);
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(leftovers(tmp), []);
    // where there was no folder, none is made
    const fresh = path.join(tmp, `frise-partial-${mode}-new`);
    assert.equal((await frise([...PERIOD, '--out', fresh], { url: `http://127.0.0.1:${proxy.address().port}` })).code, 4);
    assert.equal(fs.existsSync(fresh), false);
    assert.deepEqual(leftovers(tmp), []);
  }
});

test('frise-pull: bad usage is exit 1 before anything is asked; the key is refused on the command line', async () => {
  const cases = [
    [['--from', '2026-02-30', '--to', '2026-03-01'], /--from is not a date/],
    [['--from', '2026-01-01', '--to', '2025-12-31'], /--to \(2025-12-31\) is before --from/],
    [['--from', '2026-1-1', '--to', '2026-12-31'], /--from is not a date/],
    [['--to', '2026-12-31'], /--from is required/],
    [['--from', '2026-01-01', '--to', '2026-12-31', '--by', 'week'], /--by is month, quarter or year/],
    [['--from', '2026-01-01', '--to', '2026-12-31', '--key', 'kpk_x'], /never given on the command line/],
    [['--from', '2026-01-01', '--to', '2026-12-31', '--frobnicate'], /unknown argument: --frobnicate/],
    // statistics cover whole periods
    [['--from', '2026-01-02', '--to', '2026-12-31'], /--from must be the first day of a month/],
    [['--from', '2026-01-01', '--to', '2026-02-27'], /--to must be the last day of a month/],
    [['--from', '2025-01-01', '--to', '2025-02-29'], /--to is not a date/],
    [['--from', '2026-02-01', '--to', '2026-12-31', '--by', 'quarter'], /--from must be the first day of a quarter/],
    [['--from', '2026-01-01', '--to', '2026-11-30', '--by', 'year'], /--to must be the last day of a year/],
  ];
  for (const [args, msg] of cases) {
    const r = await frise(args, { url: closedUrl });
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, msg);
  }
  const noKey = await frise([...PERIOD], { key: null, url: closedUrl });
  assert.equal(noKey.code, 1);
  assert.match(noKey.stderr, /no key: set FRISE_KEY or use --key-file/);
  // the leap day is a date and ends February; --help exits 0
  const help = await frise(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: frise-pull --from YYYY-MM-DD --to YYYY-MM-DD/);
  const keyFile = path.join(tmp, 'frise.key');
  fs.writeFileSync(keyFile, `${w.tokens.national.analystKey}\n`, { mode: 0o600 });
  const out = path.join(tmp, 'frise-leap');
  const leap = await frise(['--from', '2008-02-01', '--to', '2008-02-29', '--out', out, '--key-file', keyFile], { key: null });
  assert.equal(leap.code, 0, leap.stderr);
  assert.ok(fs.existsSync(path.join(out, 'summary.txt')));
});

test('frise-pull is POSIX sh: dash and sh parse it, and shellcheck -s sh finds nothing where installed', async () => {
  for (const sh of ['dash', 'sh']) {
    const r = await new Child(sh, ['-n', FRISE], clientEnv({})).result();
    assert.equal(r.code, 0, `${sh} -n: ${r.stderr}`);
  }
  assert.equal(fs.readFileSync(FRISE, 'utf8').split('\n')[0], '#!/bin/sh');
  assert.ok(fs.statSync(FRISE).mode & 0o111, 'executable');
  const which = await new Child('sh', ['-c', 'command -v shellcheck'], clientEnv({})).result();
  if (which.code === 0) {
    const r = await new Child('shellcheck', ['-s', 'sh', FRISE], clientEnv({})).result();
    assert.equal(r.code, 0, r.stdout);
  }
});
