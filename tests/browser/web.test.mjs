// The web client (clients/web) in a real browser: Debian's chromium driven
// by playwright-core against a kompasd serving /app/ with the demo loaded
// (tools/demo-data.sql + tools/demo-load.mjs into a database of its own).
// A coordinator triages a request through to a completed course and sees
// the statistics change; a guide sees only their own citizens. Every page
// must load without a console error or a CSP violation. Screenshots of the
// main pages go to build/artifacts/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, startKompasd, runKompasd, psql, pgcluster } from '../api/harness.mjs';
import { PASSWORD } from '../api/fixtures.mjs';

const SHOTS = path.join(ROOT, 'build/artifacts/screenshots');
const APP_CONNINFO = process.env.KOMPAS_TEST_CONNINFO;
const OWNER_CONNINFO = process.env.KOMPAS_TEST_OWNER_CONNINFO || APP_CONNINFO;
const db = `web_${randomBytes(4).toString('hex')}`;
const ODENSE = 'a0000000-0000-4000-8000-000000000001';

let k;
let browser;
let tmp;
let created = false;
const q = (sql) => psql(sql, { db });

function runLoader(args) {
  const proc = spawn(process.execPath, [path.join(ROOT, 'tools/demo-load.mjs'), ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  proc.stdout.resume();
  return once(proc, 'exit').then(([code]) => ({ code, stderr }));
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  tmp = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'web-'));
  psql(`CREATE DATABASE ${db}`, { db: 'postgres' });
  created = true;
  const conninfo = APP_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`);
  const m = await runKompasd(['-c', 'kompas.conf', 'migrate'], { conninfo: OWNER_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`) });
  assert.equal(m.code, 0, m.stderr);
  pgcluster('psql', process.env.KOMPAS_TEST_PGDIR, '-d', db, '-v', 'ON_ERROR_STOP=1', '-f', path.join(ROOT, 'tools/demo-data.sql'));
  k = await startKompasd({ conninfo, env: { KOMPAS_PATHS_WEB_ROOT: path.join(ROOT, 'clients/web') } });
  const timeline = path.join(tmp, 'timeline.sql');
  const load = await runLoader([k.base, '--timeline', timeline]);
  assert.equal(load.code, 0, `demo-load failed:\n${load.stderr}`);
  pgcluster('psql', process.env.KOMPAS_TEST_PGDIR, '-d', db, '-v', 'ON_ERROR_STOP=1', '-f', timeline);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  try {
    if (browser) await browser.close();
    if (k) await k.stop();
  } finally {
    if (created) psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, { db: 'postgres' });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// A page that records console errors, uncaught exceptions and CSP
// violations; check() fails the test on any but the failed API calls a test
// provoked on purpose, allowed with page.allowFailed(/path/).
async function openPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'da-DK', timezoneId: 'Europe/Copenhagen' });
  const page = await context.newPage();
  const problems = [];
  const allowed = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push({ text: `console: ${msg.text()}`, url: msg.location()?.url || '' });
  });
  page.on('pageerror', (err) => problems.push({ text: `page error: ${err.message}`, url: '' }));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.allowFailed = (re) => allowed.push(re);
  page.unexpected = () => problems
    .filter((p) => !(/Failed to load resource/.test(p.text) && allowed.some((re) => re.test(new URL(p.url || 'x:/').pathname))))
    .map((p) => `${p.text} ${p.url}`);
  page.check = (what) => assert.deepEqual(page.unexpected(), [], `${what}: no console errors or CSP violations`);
  return { context, page };
}

// Wait until the page has finished rendering the current route.
async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('main[aria-busy]') && !document.querySelector('main .loading'));
}

async function shot(page, name) {
  await settled(page);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function login(page, email) {
  await page.goto(`${k.base}/app/`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Adgangskode').fill(PASSWORD);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/v1/sessions') && r.status() === 201),
    page.getByRole('button', { name: 'Log ind' }).click(),
  ]);
  await page.locator('#logout').waitFor();
  await settled(page);
}

const posted = (page, re, status) => page.waitForResponse((r) => r.request().method() === 'POST' && re.test(new URL(r.url()).pathname) && r.status() === status);

async function funnelValue(page, measure) {
  await page.goto(`${k.base}/app/#/stats`);
  await settled(page);
  const cell = page.locator(`tr[data-measure="${measure}"] td`);
  return Number(await cell.textContent());
}

test('the CSP and the client files are served as the browser needs them', async () => {
  const res = await fetch(`${k.base}/app/`);
  assert.match(res.headers.get('content-security-policy'), /script-src 'self'/);
  const html = await res.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)/, 'no inline script');
  assert.doesNotMatch(html, /\sstyle=|<style/, 'no inline style');
  for (const f of fs.readdirSync(path.join(ROOT, 'clients/web/js'), { recursive: true }).filter((n) => n.endsWith('.js'))) {
    const src = fs.readFileSync(path.join(ROOT, 'clients/web/js', f), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const bad = /innerHTML|outerHTML|\.style\.|setAttribute\('style'|eval\(|new Function/.exec(src);
    assert.equal(bad, null, `${f} uses no inline code or styles`);
  }
});

test('a coordinator triages a request through to a completed course and sees the statistics change', async () => {
  const { context, page } = await openPage();
  await login(page, 'koordinator@odense.demo');
  assert.equal(await page.locator('h1').textContent(), 'Overblik', 'the start page with the work lists');
  assert.match(await page.locator('#who').textContent(), /· Koordinator$/, 'the role in Danish');
  await page.getByRole('link', { name: 'Anmodninger' }).first().click();
  await page.waitForFunction(() => location.hash === '#/queue');
  await settled(page);
  // the queue: a count per state that matches the database, stalled ones marked
  const received = Number(q(`SELECT count(*) FROM request WHERE centre_id = '${ODENSE}' AND state = 'received'`));
  assert.equal(await page.locator('.counts a[data-state="received"] .count').textContent(), String(received));
  assert.ok(await page.locator('tr.stalled').count() >= 1, 'a stalled request is highlighted');
  await shot(page, 'queue');

  const before = await funnelValue(page, 'course_started');
  assert.ok(before >= 5, `course_started is shown (${before})`);

  // filter by state, open the oldest received request
  await page.goto(`${k.base}/app/#/queue`);
  await settled(page);
  await page.getByLabel('Tilstand', { exact: true }).selectOption('received');
  await page.getByRole('button', { name: 'Filtrér' }).click();
  await page.waitForFunction(() => location.hash.includes('state=received'));
  await settled(page);
  assert.equal(await page.locator('table.queue tbody tr').count(), received);
  const id = q(`SELECT id FROM request WHERE centre_id = '${ODENSE}' AND state = 'received' ORDER BY created_at LIMIT 1`);
  await page.locator(`tr[data-id="${id}"] a`).click();
  await page.locator('[data-testid="request-state"]', { hasText: 'Modtaget' }).waitFor();
  await settled(page);
  const name = q(`SELECT 1 FROM request WHERE id = '${id}'`);
  assert.equal(name, '1');
  await page.getByRole('heading', { name: 'Borger' }).waitFor();
  assert.notEqual(await page.locator('dl.kv dd').first().textContent(), '–', 'the coordinator sees the citizen');

  // triage: accept
  await Promise.all([posted(page, /\/transitions$/, 200), page.getByRole('button', { name: 'Flyt til: Accepteret' }).click()]);
  await page.locator('[data-testid="request-state"]', { hasText: 'Accepteret' }).waitFor();
  assert.equal(q(`SELECT state FROM request WHERE id = '${id}'`), 'accepted');

  // assign the top suggested guide
  await settled(page);
  const top = page.locator('li.suggestion[data-volunteer]').first();
  const volunteer = await top.getAttribute('data-volunteer');
  const guideName = await top.locator('strong').first().textContent();
  await shot(page, 'request-detail');
  await Promise.all([posted(page, /\/transitions$/, 200), top.locator('button[data-rank="1"]').click()]);
  await page.locator('[data-testid="request-state"]', { hasText: 'Guide tildelt' }).waitFor();
  assert.equal(await page.locator('strong.assigned').textContent(), guideName);
  assert.equal(q(`SELECT state || ' ' || assigned_volunteer_id FROM request WHERE id = '${id}'`), `guide_assigned ${volunteer}`);

  // contact, then a clarifying conversation (moves it to conversation_held)
  await settled(page);
  await Promise.all([posted(page, /\/transitions$/, 200), page.getByRole('button', { name: 'Flyt til: Kontaktet' }).click()]);
  await page.locator('[data-testid="request-state"]', { hasText: 'Kontaktet' }).waitFor();
  await settled(page);
  await page.getByText('Registrér samtale', { exact: true }).first().click();
  const conv = page.locator('form.conversation-form');
  // a field the API refuses: its problem detail on top, the field's error next to it
  page.allowFailed(new RegExp(`^/v1/requests/${id}/conversations$`));
  await conv.getByLabel('Varighed (minutter)').fill('0');
  await Promise.all([posted(page, /\/conversations$/, 422), conv.getByRole('button', { name: 'Registrér samtale' }).click()]);
  await conv.locator('[data-error-for="duration_minutes"]').filter({ hasText: /./ }).waitFor();
  assert.equal(await conv.getByLabel('Varighed (minutter)').getAttribute('aria-invalid'), 'true');
  assert.ok((await conv.locator('.form-error[role="alert"]').textContent()).length > 5);
  assert.equal(q(`SELECT count(*) FROM conversation WHERE request_id = '${id}'`), '0');
  await conv.getByLabel('Varighed (minutter)').fill('50');
  await conv.getByLabel('Næste skridt').selectOption('course');
  await conv.getByLabel('Resumé').fill('Vil gerne i gang med et værksted.');
  await Promise.all([posted(page, /\/conversations$/, 201), conv.getByRole('button', { name: 'Registrér samtale' }).click()]);
  await page.locator('[data-testid="request-state"]', { hasText: 'Samtale holdt' }).waitFor();
  assert.equal(q(`SELECT count(*) || ' ' || max(duration_minutes) FROM conversation WHERE request_id = '${id}'`), '1 50');

  // a WHO-5 baseline: five answers of 4 -> raw 20 -> score 80
  await settled(page);
  await page.getByText('Registrér måling', { exact: true }).first().click();
  const meas = page.locator('form.measurement-form');
  for (let i = 1; i <= 5; i++) await meas.getByLabel(`Spørgsmål ${i}`, { exact: true }).selectOption('4');
  await Promise.all([posted(page, /\/measurements$/, 201), meas.getByRole('button', { name: 'Registrér måling' }).click()]);
  await page.locator('section', { hasText: 'Målinger' }).locator('td strong', { hasText: '80' }).waitFor();
  assert.equal(q(`SELECT instrument || ' ' || timepoint || ' ' || answers::text FROM measurement WHERE request_id = '${id}'`), 'who5 baseline {4,4,4,4,4}');

  // start a course; the page moves to it
  await settled(page);
  const course = page.locator('form.course-form');
  await Promise.all([posted(page, /\/courses$/, 201), course.getByRole('button', { name: 'Start forløb' }).click()]);
  await page.waitForFunction(() => location.hash.startsWith('#/courses/'));
  await page.locator('[data-testid="course-state"]', { hasText: 'Planlagt' }).waitFor();
  const courseId = q(`SELECT id FROM course WHERE request_id = '${id}'`);
  assert.equal(new URL(page.url()).hash, `#/courses/${courseId}`);
  assert.equal(q(`SELECT state FROM request WHERE id = '${id}'`), 'course_started');

  // log a visit in a few clicks: the defaults are today, 90 minutes, both came
  await settled(page);
  await Promise.all([posted(page, /\/visits$/, 201), page.locator('form.visit-form').getByRole('button', { name: 'Registrér besøg' }).click()]);
  await page.locator('[data-testid="course-state"]', { hasText: 'Aktiv' }).waitFor();
  assert.equal(await page.locator('[data-testid="visit-count"]').textContent(), '1/6');
  assert.equal(q(`SELECT count(*) || ' ' || bool_and(citizen_came) FROM visit WHERE course_id = '${courseId}'`), '1 true');
  await shot(page, 'course');

  // complete it
  await settled(page);
  await page.locator('summary', { hasText: 'Gennemført' }).click();
  const end = page.locator('form.end-completed');
  await end.getByLabel('Resultat').selectOption('continues_on_own');
  await Promise.all([posted(page, /\/transitions$/, 200), end.getByRole('button', { name: 'Gennemført' }).click()]);
  await page.locator('[data-testid="course-state"]', { hasText: 'Gennemført' }).waitFor();
  assert.equal(q(`SELECT state || ' ' || outcome FROM course WHERE id = '${courseId}'`), 'completed continues_on_own');

  // the statistics count the new course: over whole, closed months and
  // rounded down to a multiple of 5 (docs/statistics.md), so one more
  // course shows only when it completes a band of five
  const afterCount = await funnelValue(page, 'course_started');
  assert.equal(afterCount % 5, 0, `course_started ${afterCount} is rounded`);
  assert.ok(afterCount === before || afterCount === before + 5, `course_started ${before} -> ${afterCount}`);
  assert.ok(await page.locator('svg.chart.funnel rect').count() >= 5, 'the funnel is drawn');
  await shot(page, 'stats');

  // the other pages render
  await page.goto(`${k.base}/app/#/courses`);
  await page.locator(`table.courses tr[data-id="${courseId}"]`).waitFor();
  await shot(page, 'courses');
  await page.goto(`${k.base}/app/#/volunteers`);
  await page.locator('table.volunteers tbody tr').first().waitFor();
  assert.equal(await page.locator('table.volunteers tbody tr').count(),
    Number(q(`SELECT count(*) FROM volunteer WHERE centre_id = '${ODENSE}'`)));
  await shot(page, 'volunteers');
  await page.goto(`${k.base}/app/#/associations`);
  await page.locator('li.card.assoc').first().waitFor();
  await shot(page, 'associations');
  await page.goto(`${k.base}/app/#/events?view=week`);
  await page.locator('li.day').nth(6).waitFor();
  assert.match(await page.locator('[data-testid="week-title"]').textContent(), /^Uge \d+, \d{4}$/);
  await shot(page, 'events-week');
  // English on request, kept across pages
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Events' }).waitFor();
  await page.locator('nav a', { hasText: 'Statistics' }).click();
  await page.getByRole('heading', { name: 'Statistics' }).waitFor();
  await page.getByRole('button', { name: 'Dansk' }).click();
  await page.getByRole('heading', { name: 'Statistik' }).waitFor();

  // the queue on a phone
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${k.base}/app/#/queue`);
  await page.locator('table.queue tbody tr').first().waitFor();
  await shot(page, 'queue-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // log out: the session ends in the database too
  const sessions = () => Number(q("SELECT count(*) FROM session s JOIN account a ON a.id = s.account_id WHERE a.email = 'koordinator@odense.demo' AND s.revoked_at IS NULL"));
  const open = sessions();
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'DELETE' && r.status() === 204), page.locator('#logout').click()]);
  await page.getByRole('heading', { name: 'Log ind' }).waitFor();
  assert.equal(sessions(), open - 1);
  page.check('coordinator pages');
  await context.close();
});

test('a wrong password shows the API problem next to the form', async () => {
  const { context, page } = await openPage();
  await page.goto(`${k.base}/app/`);
  await page.getByLabel('E-mail').fill('koordinator@odense.demo');
  await page.getByLabel('Adgangskode').fill('wrong-password-123');
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/v1/sessions') && r.status() === 401), page.getByRole('button', { name: 'Log ind' }).click()]);
  const alert = page.locator('form .form-error[role="alert"]');
  await alert.waitFor();
  assert.ok((await alert.textContent()).length > 5);
  // the browser logs the failed call itself; nothing else may appear
  page.allowFailed(/^\/v1\/sessions$/);
  page.check('login page');
  await context.close();
});

test('a guide sees only their own citizens, and the guide view works on a phone', async () => {
  const { context, page } = await openPage({ width: 390, height: 844 });
  await login(page, 'guide@odense.demo');
  assert.equal(new URL(page.url()).hash, '#/mine');
  await page.locator('h1', { hasText: 'Mine borgere' }).waitFor();
  const mine = q(`SELECT string_agg(r.id::text, ',' ORDER BY r.id) FROM request r JOIN volunteer v ON v.id = r.assigned_volunteer_id
    JOIN account a ON a.id = v.account_id WHERE a.email = 'guide@odense.demo' AND r.state NOT IN ('closed', 'declined', 'withdrawn')`).split(',').filter(Boolean);
  assert.ok(mine.length >= 1, 'the demo guide has citizens');
  const shown = await page.locator('ul.mine li[data-id]').evaluateAll((els) => els.map((e) => e.dataset.id));
  assert.deepEqual(shown.sort(), mine.sort());
  // the menu has no coordinator pages
  const menu = await page.locator('#nav a').allTextContents();
  assert.deepEqual(menu, ['Mine borgere', 'Mine forløb', 'Aktiviteter', 'Foreninger']);
  await shot(page, 'guide-phone');

  // another guide's request is not visible (404 from the API, shown as text)
  const other = q(`SELECT r.id FROM request r WHERE r.centre_id = '${ODENSE}' AND r.id NOT IN (SELECT r2.id FROM request r2 JOIN volunteer v ON v.id = r2.assigned_volunteer_id
    JOIN account a ON a.id = v.account_id WHERE a.email = 'guide@odense.demo') LIMIT 1`);
  page.allowFailed(new RegExp(`^/v1/requests/${other}(/|$)`));
  await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/v1/requests/${other}`) && r.status() === 404), page.goto(`${k.base}/app/#/requests/${other}`)]);
  await page.locator('main .form-error').waitFor();
  assert.equal(await page.locator('[data-testid="request-state"]').count(), 0);

  // open an own citizen; the detail page shows the workflow without coordinator parts
  await page.goto(`${k.base}/app/#/requests/${mine[0]}`);
  await page.locator('[data-testid="request-state"]').waitFor();
  await settled(page);
  assert.equal(await page.getByText('Forslag til guide').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Eksportér (indsigt)' }).count(), 0);

  // sign up for an information meeting or training in the coming weeks
  const event = q(`SELECT e.id FROM event e WHERE e.centre_id = '${ODENSE}' AND e.kind <> 'activity' AND NOT e.cancelled AND (e.capacity IS NULL OR e.signup_count < e.capacity)
    AND e.starts_at > now() AND e.starts_at < now() + interval '27 days' AND NOT EXISTS (SELECT 1 FROM event_signup s JOIN volunteer v ON v.id = s.volunteer_id
    JOIN account a ON a.id = v.account_id WHERE s.event_id = e.id AND a.email = 'guide@odense.demo') ORDER BY e.starts_at LIMIT 1`);
  assert.ok(event, 'an event the guide can sign up for');
  await page.goto(`${k.base}/app/#/events`);
  await settled(page);
  await Promise.all([posted(page, /\/signups$/, 201), page.locator(`li.event[data-id="${event}"] button`, { hasText: 'Tilmeld mig' }).click()]);
  await page.locator('#flash', { hasText: 'Du er tilmeldt' }).waitFor();
  assert.equal(q(`SELECT count(*) FROM event_signup s JOIN volunteer v ON v.id = s.volunteer_id JOIN account a ON a.id = v.account_id
    WHERE s.event_id = '${event}' AND a.email = 'guide@odense.demo' AND s.cancelled_at IS NULL`), '1');

  // my courses and the calendar link
  await page.goto(`${k.base}/app/#/mine`);
  await settled(page);
  await Promise.all([posted(page, /\/me\/calendar-token$/, 201), page.getByRole('button', { name: 'Lav kalenderlink' }).click()]);
  const url = await page.locator('#cal-url').inputValue();
  assert.match(url, /\/v1\/guides\/calendar\//);
  const feed = await fetch(url);
  assert.equal(feed.status, 200);
  assert.match(await feed.text(), /BEGIN:VCALENDAR/);
  await page.setViewportSize({ width: 1280, height: 900 });
  await shot(page, 'guide');
  page.check('guide pages');
  await context.close();
});
