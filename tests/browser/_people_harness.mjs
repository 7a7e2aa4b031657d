// A stop-gap for the volunteer, association and event browser tests until
// the shared browser harness lands: kompasd with the demo loaded into a
// database of its own, Chromium, and a page that fails on console errors
// and CSP violations (the minimum of web.test.mjs).
import { before, after } from 'node:test';
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

export const SHOTS = path.join(ROOT, 'build/artifacts/screenshots');
export const ODENSE = 'a0000000-0000-4000-8000-000000000001';
export const DESKTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

// The world of one test file: env.k (kompasd), env.browser, env.q(sql).
export function setup() {
  const env = {};
  const db = `web_${randomBytes(4).toString('hex')}`;
  let tmp;
  let created = false;
  env.q = (sql) => psql(sql, { db });
  before(async () => {
    const APP = process.env.KOMPAS_TEST_CONNINFO;
    const OWNER = process.env.KOMPAS_TEST_OWNER_CONNINFO || APP;
    fs.mkdirSync(SHOTS, { recursive: true });
    tmp = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'web-'));
    psql(`CREATE DATABASE ${db}`, { db: 'postgres' });
    created = true;
    const m = await runKompasd(['-c', 'kompas.conf', 'migrate'], { conninfo: OWNER.replace(/dbname=\S+/, `dbname=${db}`) });
    assert.equal(m.code, 0, m.stderr);
    pgcluster('psql', process.env.KOMPAS_TEST_PGDIR, '-d', db, '-v', 'ON_ERROR_STOP=1', '-f', path.join(ROOT, 'tools/demo-data.sql'));
    env.k = await startKompasd({ conninfo: APP.replace(/dbname=\S+/, `dbname=${db}`), env: { KOMPAS_PATHS_WEB_ROOT: path.join(ROOT, 'clients/web') } });
    const timeline = path.join(tmp, 'timeline.sql');
    const proc = spawn(process.execPath, [path.join(ROOT, 'tools/demo-load.mjs'), env.k.base, '--timeline', timeline], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    proc.stdout.resume();
    const [code] = await once(proc, 'exit');
    assert.equal(code, 0, `demo-load failed:\n${stderr}`);
    pgcluster('psql', process.env.KOMPAS_TEST_PGDIR, '-d', db, '-v', 'ON_ERROR_STOP=1', '-f', timeline);
    env.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  });
  after(async () => {
    try {
      if (env.browser) await env.browser.close();
      if (env.k) await env.k.stop();
    } finally {
      if (created) psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, { db: 'postgres' });
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  return env;
}

// A page that records console errors, uncaught exceptions and CSP
// violations; page.check() fails on any but the failed API calls allowed
// with page.allowFailed(/path/). Dialogs (confirm) are accepted.
export async function openPage(env, viewport = DESKTOP) {
  const context = await env.browser.newContext({ viewport, locale: 'da-DK', timezoneId: 'Europe/Copenhagen' });
  const page = await context.newPage();
  const problems = [];
  const allowed = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push({ text: `console: ${msg.text()}`, url: msg.location()?.url || '' });
  });
  page.on('pageerror', (err) => problems.push({ text: `page error: ${err.message}`, url: '' }));
  page.on('dialog', (d) => d.accept());
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.allowFailed = (re) => allowed.push(re);
  page.check = (what) => assert.deepEqual(problems
    .filter((p) => !(/Failed to load resource/.test(p.text) && allowed.some((re) => re.test(new URL(p.url || 'x:/').pathname))))
    .map((p) => `${p.text} ${p.url}`), [], `${what}: no console errors or CSP violations`);
  return { context, page };
}

export async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('main[aria-busy]') && !document.querySelector('main .loading'));
}

export async function shot(page, name) {
  await settled(page);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// The visible part of the page only (for looking at a phone layout).
export async function shotTop(page, name) {
  await settled(page);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

export async function login(env, page, email) {
  await page.goto(`${env.k.base}/app/`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Adgangskode').fill(PASSWORD);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/v1/sessions') && r.status() === 201),
    page.getByRole('button', { name: 'Log ind' }).click(),
  ]);
  await page.locator('#logout').waitFor();
  await settled(page);
}

// Go to a hash route of the client and wait for it to render.
export async function visit(env, page, hash) {
  await page.goto(`${env.k.base}/app/${hash}`);
  await settled(page);
}

// The answer of a call (method, path pattern, status) while fn runs.
export async function answered(page, method, re, status, fn) {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === method && re.test(new URL(r.url()).pathname) && r.status() === status),
    fn(),
  ]);
  return res;
}

// Words split across two lines inside the elements of selector (a word:
// letters between spaces or hyphens), and elements wider than their box.
export async function brokenWords(page, selector) {
  return page.evaluate((sel) => {
    const out = [];
    for (const root of document.querySelectorAll(sel)) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.textContent;
        const re = /[^\s\-–/]+/g;
        for (let m = re.exec(text); m; m = re.exec(text)) {
          const r = document.createRange();
          r.setStart(n, m.index);
          r.setEnd(n, m.index + m[0].length);
          const tops = new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top)));
          if (tops.size > 1) out.push(m[0]);
        }
      }
      for (const el of root.querySelectorAll('*')) {
        if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible' && el.clientWidth > 0) out.push(`overflow: ${el.tagName}.${el.className}`);
      }
    }
    return out;
  }, selector);
}
