// E-mail notifications, sent to a real SMTP server (aiosmtpd, started here
// on a local port, writing each message it accepts to a folder): who gets
// which mail, the texts and links, no citizen data in any mail, the
// opt-outs of GET and PATCH /v1/me, the digest and the visit reminder once
// per day and visit with two kompasd processes, and a mail server that is
// down delaying delivery without losing anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { startKompasd, runKompasd, expectProblem, psql, until, ROOT } from './harness.mjs';
import { makeWorld, auth, call, createAccount, login, createVolunteer, uniq } from './fixtures.mjs';
import { createAssociationRow, createCourse, createReferral, step } from './course_fixtures.mjs';

const BASE = 'https://kompas.test.invalid';
const SMTP_USER = 'kompas-smtp';
const SMTP_PASSWORD = `hemmelig-${uniq('pw')}`;
const CITIZEN = { name: 'Karen Fortrolig', phone: '+45 61 62 63 64', email: 'karen.fortrolig@borger.invalid' };
const FORBIDDEN = ['Karen', 'Fortrolig', '61 62 63 64', '61626364', 'karen.fortrolig'];

let dir;
let port;
let sink;
let k;
let k2;
let w;
const extra = {}; // accounts made here

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function startSink({ onPort = port, into = dir, env = {} } = {}) {
  const proc = spawn('/usr/bin/python3', [path.join(ROOT, 'tests/helpers/smtp_sink.py'), String(onPort), into, SMTP_USER, SMTP_PASSWORD],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  proc.stderr.resume();
  let out = '';
  proc.stdout.setEncoding('utf8');
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => { out += d; if (out.includes('ready')) resolve(); });
    proc.once('exit', (code) => reject(new Error(`smtp sink exited ${code}`)));
  });
  return proc;
}

async function stopSink(proc = sink) {
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  await exited;
  if (proc === sink) sink = null;
}

const mailEnv = (more = {}) => ({
  KOMPAS_MAIL_SERVER: '127.0.0.1',
  KOMPAS_MAIL_PORT: String(port),
  KOMPAS_MAIL_STARTTLS: 'none',
  KOMPAS_MAIL_USER: SMTP_USER,
  KOMPAS_MAIL_PASSWORD: SMTP_PASSWORD,
  KOMPAS_MAIL_FROM: 'Kompas <kompas@test.invalid>',
  KOMPAS_MAIL_BASE_URL: `${BASE}/`,
  KOMPAS_MAIL_DIGEST_HOUR: '0',
  KOMPAS_MAIL_MAX_BACKOFF: '1',
  KOMPAS_MAIL_SCHEDULE_INTERVAL: '1',
  KOMPAS_LOG_LEVEL: 'debug',
  ...more,
});

// Every message the sink accepted so far.
function messages() {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}
const to = (email, subject) => messages().filter((m) => m.rcpt_tos.includes(email) && (!subject || m.subject.startsWith(subject)));
const waitFor = (email, subject, n = 1) => until(() => (to(email, subject).length >= n ? to(email, subject) : null), { timeoutMs: 20000, intervalMs: 100 });
const outbox = (where) => psql(`SELECT count(*) FROM mail_outbox WHERE ${where}`);
const danishDay = (plus) => psql(`SELECT to_char((now() AT TIME ZONE 'Europe/Copenhagen')::date + ${plus}, 'YYYY-MM-DD')`);

// Resolve once kompasd kk has logged n more scheduling passes than now.
async function passes(kk, n = 2) {
  const count = () => kk.lines.filter((l) => l.includes('mail: scheduling pass')).length;
  const start = count();
  await until(() => count() >= start + n, { timeoutMs: 20000, intervalMs: 50 });
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kompas-mail-'));
  port = await freePort();
  sink = await startSink();
  k = await startKompasd({ env: mailEnv() });
  w = await makeWorld(k);
  extra.coord2 = createAccount('coordinator', w.A.id);
  extra.coord2.token = await login(k, extra.coord2.email);
  extra.guideVolunteer = createVolunteer(w.A.id, { accountId: w.accounts.A.guide.id });
  extra.association = createAssociationRow(w.A.id);
  psql(`UPDATE account SET association_id = '${extra.association}' WHERE id = '${w.accounts.A.association.id}'`);
});

after(async () => {
  if (k2) await k2.stop();
  if (k) {
    const lines = k.lines.join('\n');
    assert.ok(!lines.includes(SMTP_PASSWORD), 'the SMTP password is never logged');
    assert.equal((await k.stop()).code, 0);
  }
  if (sink) await stopSink();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('GET /v1/me shows each role the kinds of mail it receives, all on by default', async () => {
  const me = async (token) => (await k.fetch('/v1/me', { headers: auth(token) })).json();
  assert.deepEqual((await me(w.tokens.A.coordinator)).notifications, { new_request: true, daily_digest: true });
  assert.deepEqual((await me(w.tokens.A.guide)).notifications, { assignment: true, visit_reminder: true });
  assert.deepEqual((await me(w.tokens.A.association)).notifications, { referral: true });
  assert.deepEqual((await me(w.tokens.national.admin)).notifications, {});
  const key = await me(w.tokens.A.portal);
  assert.equal(key.mail_enabled, true);
  assert.equal(key.notifications, undefined, 'integration keys get no mail');
});

test('PATCH /v1/me switches one kind off and on, and refuses kinds of other roles', async () => {
  const patch = (token, body) => call(k, 'PATCH', '/v1/me', { token, body });
  let res = await patch(extra.coord2.token, { notifications: { new_request: false } });
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()).notifications, { new_request: false, daily_digest: true });
  res = await patch(extra.coord2.token, { notifications: { daily_digest: false } });
  assert.deepEqual((await res.json()).notifications, { new_request: false, daily_digest: false }, 'a kind left out keeps its setting');
  const bad = await expectProblem(assert, await patch(extra.coord2.token, { notifications: { referral: false } }), 422, 'validation_failed');
  assert.equal(bad.errors[0].field, 'notifications.referral');
  await expectProblem(assert, await patch(extra.coord2.token, { notifications: { new_request: 'no' } }), 422, 'validation_failed');
  await expectProblem(assert, await patch(extra.coord2.token, { display_name: 'x' }), 422, 'validation_failed');
  await expectProblem(assert, await patch(w.tokens.A.portal, { notifications: {} }), 403, 'forbidden');
  // on again, and off again for the rest of the file
  res = await patch(extra.coord2.token, { notifications: { daily_digest: true } });
  assert.equal((await res.json()).notifications.daily_digest, true);
  res = await patch(extra.coord2.token, { notifications: { daily_digest: false } });
  assert.equal((await res.json()).notifications.daily_digest, false);
});

test('a portal request is mailed at once to the coordinators who want it, with a link and no citizen data', async () => {
  const res = await call(k, 'POST', '/v1/requests', { token: w.tokens.A.portal, body: { portal_reference: uniq('ref'), citizen: CITIZEN } });
  assert.equal(res.status, 201);
  const { id } = await res.json();
  const [m] = await waitFor(w.accounts.A.coordinator.email, 'Kompas: ny anmodning');
  assert.equal(m.subject, 'Kompas: ny anmodning fra portalen');
  assert.equal(m.mail_from, 'kompas@test.invalid');
  assert.equal(m.headers.From, 'Kompas <kompas@test.invalid>');
  assert.equal(m.login, SMTP_USER, 'kompasd logged in with the password from the environment');
  assert.match(m.body, /ny anmodning om en Kompasguide/);
  assert.ok(m.body.includes(`${BASE}/app/#/requests/${id}`), m.body);
  assert.match(m.headers['Message-ID'], /^<[0-9a-f-]{36}@test\.invalid>$/);
  // the one who switched it off, and the other centre, get nothing
  assert.equal(outbox(`account_id = '${extra.coord2.id}' AND kind = 'new_request'`), '0');
  assert.equal(outbox(`account_id = '${w.accounts.B.coordinator.id}'`), '0');
  assert.equal(outbox(`payload->>'request_id' = '${id}' AND sent_at IS NOT NULL`), '1');
  // a request a coordinator records is not announced
  const own = await call(k, 'POST', '/v1/requests', { token: w.tokens.A.coordinator, body: { source: 'phone', citizen: CITIZEN } });
  assert.equal(outbox(`payload->>'request_id' = '${(await own.json()).id}'`), '0');
});

test('the guide hears of an assignment with a link only', async () => {
  const r = await (await call(k, 'POST', '/v1/requests', { token: w.tokens.A.coordinator, body: { source: 'phone', citizen: CITIZEN } })).json();
  await step(k, w.tokens.A.coordinator, r.id, { to: 'accepted' });
  await step(k, w.tokens.A.coordinator, r.id, { to: 'guide_assigned', volunteer_id: extra.guideVolunteer.id });
  const found = await until(() => to(w.accounts.A.guide.email).find((m) => m.body.includes(`/app/#/requests/${r.id}`)), { timeoutMs: 20000, intervalMs: 100 });
  assert.equal(found.subject, 'Kompas: du er blevet Kompasguide for en borger');
  assert.match(found.body, /Log ind og se anmodningen her/);
});

test('an association contact hears of a new referral', async () => {
  const f = await createReferral(k, w.tokens.A.coordinator, extra.guideVolunteer.id, extra.association);
  const [m] = await waitFor(w.accounts.A.association.email, 'Kompas: ny henvisning');
  assert.ok(m.body.includes(`${BASE}/app/#/referrals`));
  assert.equal(outbox(`payload->>'referral_id' = '${f.id}'`), '1');
  // another association's contact gets nothing
  assert.equal(outbox(`account_id = '${w.accounts.B.association.id}'`), '0');
});

test('the guide is reminded the day before a planned visit, once, with two kompasd processes running', async () => {
  const course = await createCourse(k, w.tokens.A.coordinator, extra.guideVolunteer.id);
  const tomorrow = danishDay(1);
  await expectProblem(assert, await call(k, 'PATCH', `/v1/courses/${course.id}`, { token: w.tokens.A.coordinator, body: { next_visit_on: '2020-01-01' } }), 422, 'validation_failed');
  const res = await call(k, 'PATCH', `/v1/courses/${course.id}`, { token: w.tokens.A.coordinator, body: { next_visit_on: tomorrow } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).next_visit_on, tomorrow);
  k2 = await startKompasd({ env: mailEnv() });
  const link = `${BASE}/app/#/courses/${course.id}`;
  const reminders = () => to(w.accounts.A.guide.email, 'Kompas: påmindelse').filter((m) => m.body.includes(link));
  await until(() => reminders().length >= 1, { timeoutMs: 20000, intervalMs: 100 });
  const [, y, mo, d] = /^(\d+)-(\d+)-(\d+)$/.exec(tomorrow);
  const months = ['januar', 'februar', 'marts', 'april', 'maj', 'juni', 'juli', 'august', 'september', 'oktober', 'november', 'december'];
  assert.ok(reminders()[0].body.includes(`i morgen, ${Number(d)}. ${months[Number(mo) - 1]} ${y}`), reminders()[0].body);
  await Promise.all([passes(k), passes(k2)]);
  assert.equal(reminders().length, 1, 'one reminder however many processes schedule');
  assert.equal(outbox(`kind = 'visit_reminder' AND payload->>'course_id' = '${course.id}'`), '1');
  // a guide who switched reminders off is not reminded
  const off = await call(k, 'PATCH', '/v1/me', { token: w.tokens.A.guide, body: { notifications: { visit_reminder: false } } });
  assert.equal(off.status, 200);
  const other = await createCourse(k, w.tokens.A.coordinator, extra.guideVolunteer.id);
  assert.equal((await call(k, 'PATCH', `/v1/courses/${other.id}`, { token: w.tokens.A.coordinator, body: { next_visit_on: tomorrow } })).status, 200);
  await Promise.all([passes(k), passes(k2)]);
  assert.equal(outbox(`kind = 'visit_reminder' AND payload->>'course_id' = '${other.id}'`), '0');
});

test('the daily digest counts the work lists, once a day, for the coordinators who want it', async () => {
  const A = w.A.id;
  psql(`INSERT INTO request (id, centre_id, source, name_sealed, created_at)
        VALUES (gen_random_uuid(), '${A}', 'phone', '\\x${'00'.repeat(60)}', now() - interval '9 days')`);
  const v = createVolunteer(A, { name: 'Ellen Udløber' });
  psql(`INSERT INTO volunteer_record_check (volunteer_id, centre_id, kind, checked_on, outcome, valid_until)
        VALUES ('${v.id}', '${A}', 'child_protection', current_date - 700, 'clear', current_date + 10)`);
  // the day's digest was made (empty) when the centre appeared: make it again
  psql(`DELETE FROM mail_daily WHERE centre_id = '${A}'`);
  const [m] = await waitFor(w.accounts.A.coordinator.email, 'Kompas: arbejdslisterne');
  const lists = await (await k.fetch('/v1/worklists', { headers: auth(w.tokens.A.coordinator) })).json();
  assert.ok(m.body.includes(`Venter på første kontakt ud over målet: ${lists.awaiting_first_contact.length}`), m.body);
  assert.ok(lists.awaiting_first_contact.length >= 1);
  assert.ok(m.body.includes('Børne- og straffeattester der udløber inden for 30 dage: 1'), m.body);
  assert.ok(m.body.includes(`${BASE}/app/#/queue`));
  assert.ok(!m.body.includes('Ellen') && !m.subject.includes('Ellen'), 'no names, counts only');
  // a second look the same day (both processes) writes no second digest
  psql(`DELETE FROM mail_daily WHERE centre_id = '${A}'`);
  await Promise.all([passes(k), passes(k2)]);
  assert.equal(to(w.accounts.A.coordinator.email, 'Kompas: arbejdslisterne').length, 1);
  assert.equal(outbox(`kind = 'daily_digest' AND account_id = '${w.accounts.A.coordinator.id}'`), '1');
  assert.equal(outbox(`kind = 'daily_digest' AND account_id = '${extra.coord2.id}'`), '0', 'switched off');
  await k2.stop();
  k2 = null;
});

test('with the mail server down nothing is lost: delivery is retried and happens when it is back', async () => {
  await stopSink();
  const res = await call(k, 'POST', '/v1/requests', { token: w.tokens.A.portal, body: { portal_reference: uniq('ref'), citizen: CITIZEN } });
  assert.equal(res.status, 201, 'the change itself does not wait for the mail server');
  const { id } = await res.json();
  const row = `payload->>'request_id' = '${id}' AND account_id = '${w.accounts.A.coordinator.id}'`;
  await until(() => psql(`SELECT attempts >= 2 AND sent_at IS NULL AND last_error IS NOT NULL FROM mail_outbox WHERE ${row}`) === 't', { timeoutMs: 20000, intervalMs: 100 });
  await k.waitForLine((l) => l.includes('not sent') && l.includes('new_request'));
  // kompasd restarting while the server is down loses nothing either
  assert.equal((await k.stop()).code, 0);
  k = await startKompasd({ env: mailEnv() });
  sink = await startSink();
  const got = await until(() => to(w.accounts.A.coordinator.email).find((m) => m.body.includes(`/app/#/requests/${id}`)), { timeoutMs: 20000, intervalMs: 100 });
  assert.ok(got);
  await until(() => outbox(`${row} AND sent_at IS NOT NULL`) === '1');
  assert.equal(to(w.accounts.A.coordinator.email).filter((m) => m.body.includes(`/app/#/requests/${id}`)).length, 1);
  const metrics = await (await k.fetch('/metrics')).text();
  assert.match(metrics, /^kompas_mail_sent_total [1-9]\d*$/m);
  assert.match(metrics, /^kompas_mail_given_up_total 0$/m);
});

test('no mail holds any of the citizen\'s data', () => {
  const all = messages();
  assert.ok(all.length >= 6, `got ${all.length} messages`);
  for (const m of all) {
    for (const s of FORBIDDEN) {
      assert.ok(!m.raw.includes(s) && !m.body.includes(s) && !m.subject.includes(s), `"${s}" in a mail: ${m.subject}`);
    }
  }
});

test('mail is off without [mail] server: nothing is queued; a bad [mail] section is refused', async () => {
  const off = await startKompasd();
  try {
    const me = await (await off.fetch('/v1/me', { headers: auth(w.tokens.A.coordinator) })).json();
    assert.equal(me.mail_enabled, false);
    const r = await (await call(off, 'POST', '/v1/requests', { token: w.tokens.A.portal, body: { portal_reference: uniq('ref'), citizen: CITIZEN } })).json();
    assert.equal(outbox(`payload->>'request_id' = '${r.id}'`), '0');
  } finally {
    assert.equal((await off.stop()).code, 0);
  }
  const bad = await runKompasd(['-c', 'kompas.conf', 'check-config'], { env: { KOMPAS_MAIL_SERVER: 'smtp.test.invalid', KOMPAS_MAIL_FROM: '' } });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /\[mail\] from/);
  const tls = await runKompasd(['-c', 'kompas.conf', 'check-config'], { env: { KOMPAS_MAIL_STARTTLS: 'maybe' } });
  assert.equal(tls.code, 1);
  assert.match(tls.stderr, /required or none/);
});

test('STARTTLS required: a certificate that does not verify sends nothing (and loses nothing); with its CA the mail goes over TLS', async () => {
  assert.ok(!k.lines.join('\n').includes(SMTP_PASSWORD), 'the SMTP password is never logged');
  assert.equal((await k.stop()).code, 0); // only the processes below deliver now
  k = null;
  const tlsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kompas-mail-tls-'));
  const pki = fs.mkdtempSync(path.join(os.tmpdir(), 'kompas-mail-pki-'));
  fs.chmodSync(pki, 0o755); // kompasd reads the CA file as its unprivileged user
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(pki, 'key.pem'), '-out', path.join(pki, 'cert.pem'),
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  fs.chmodSync(path.join(pki, 'cert.pem'), 0o644);
  const tlsPort = await freePort();
  const tlsSink = await startSink({ onPort: tlsPort, into: tlsDir, env: { SMTP_SINK_TLS_CERT: path.join(pki, 'cert.pem'), SMTP_SINK_TLS_KEY: path.join(pki, 'key.pem') } });
  const tlsEnv = (more) => mailEnv({ KOMPAS_MAIL_PORT: String(tlsPort), KOMPAS_MAIL_STARTTLS: 'required', ...more });
  let kt = await startKompasd({ env: tlsEnv() });
  try {
    const r = await (await call(kt, 'POST', '/v1/requests', { token: w.tokens.A.portal, body: { portal_reference: uniq('ref'), citizen: CITIZEN } })).json();
    const row = `payload->>'request_id' = '${r.id}' AND account_id = '${w.accounts.A.coordinator.id}'`;
    await until(() => psql(`SELECT attempts >= 1 AND sent_at IS NULL FROM mail_outbox WHERE ${row}`) === 't', { timeoutMs: 20000, intervalMs: 100 });
    assert.match(psql(`SELECT last_error FROM mail_outbox WHERE ${row}`), /SSL|certificate/i);
    assert.equal((await kt.stop()).code, 0);
    kt = await startKompasd({ env: tlsEnv({ KOMPAS_MAIL_CA_FILE: path.join(pki, 'cert.pem') }) });
    const read = () => fs.readdirSync(tlsDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(tlsDir, f), 'utf8')));
    const got = await until(() => read().find((m) => m.body.includes(`/app/#/requests/${r.id}`)), { timeoutMs: 20000, intervalMs: 100 });
    assert.equal(got.tls, true, 'sent after STARTTLS');
    assert.equal(got.login, SMTP_USER);
    assert.ok(!got.raw.includes('Karen'));
  } finally {
    await kt.stop();
    await stopSink(tlsSink);
    fs.rmSync(tlsDir, { recursive: true, force: true });
    fs.rmSync(pki, { recursive: true, force: true });
  }
});
