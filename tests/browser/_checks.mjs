// Checks any browser test can run on the page it is showing:
//   await axeCheck(page, 'queue at 390 px')    axe-core (npm axe-core) finds no violation
//   await noOverflow(page, 'queue at 390 px')  no visible element sticks out of the viewport
//   await rawEnums(page, 'queue at 390 px')    no API enum value shown raw ("municipal_staff",
//                                              "phone") and no doubled label ("Aflyst (Aflyst)")
// axe-core is injected through playwright-core's page.evaluate (a DevTools
// evaluation, which the client's strict Content-Security-Policy does not
// block), so the page under test stays exactly as the users get it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import YAML from 'yaml';
import { ROOT } from '../api/harness.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// The rules: WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices.
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

// The axe violations of the page as readable lines ("rule: target (summary)").
export async function axeViolations(page, { exclude = [] } = {}) {
  await page.evaluate(`if (!window.axe) { ${AXE_SOURCE}\n }`);
  const violations = await page.evaluate(async ({ tags, exclude: ex }) => {
    const res = await window.axe.run({ exclude: ex.map((s) => [s]) }, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return res.violations.map((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} - ${n.failureSummary.replace(/\s+/g, ' ').slice(0, 200)}`)).flat();
  }, { tags: AXE_TAGS, exclude });
  return violations;
}

export async function axeCheck(page, what, opts) {
  assert.deepEqual(await axeViolations(page, opts), [], `${what}: axe-core violations`);
}

// Visible elements whose right edge is past the viewport (and not inside a
// box that scrolls or clips them), and the page's own horizontal scrolling.
export async function overflowing(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > vw + 1) out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${vw})`);
    const clipped = (el) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox !== 'visible') return true;
      }
      return false;
    };
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.right > vw + 1 && !clipped(el)) {
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.split(/\s+/).join('.')}` : '';
        out.push(`${el.tagName.toLowerCase()}${cls} "${(el.textContent || '').trim().slice(0, 40)}" right=${Math.round(r.right)}`);
      }
    }
    return out;
  });
}

export async function noOverflow(page, what) {
  assert.deepEqual(await overflowing(page), [], `${what}: elements past the right edge of the viewport`);
}

// Every enum value of docs/openapi.yaml (components and inline schemas).
export function openapiEnums() {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, 'docs/openapi.yaml'), 'utf8'));
  const out = new Map();
  const walk = (o, p) => {
    if (Array.isArray(o)) { o.forEach((x, i) => walk(x, `${p}[${i}]`)); return; }
    if (!o || typeof o !== 'object') return;
    if (Array.isArray(o.enum)) out.set(p.replace(/^\.components\.schemas\./, '').replace(/\.properties\./g, '.'), o.enum.filter((v) => v !== null));
    for (const [k, v] of Object.entries(o)) walk(v, `${p}.${k}`);
  };
  walk(doc, '');
  return out;
}

// Tokens that are API values and never Danish words: snake_case values and
// the one-word English values of the enums the client shows.
const ONE_WORD = ['phone', 'email', 'sms', 'letter', 'relative', 'association', 'other', 'received', 'accepted', 'declined',
  'contacted', 'referred', 'signposted', 'closed', 'withdrawn', 'contact', 'statistics', 'created', 'state', 
  'consent', 'conversation', 'course', 'referral', 'signposting', 'none', 'baseline', 'alone', 'helped', 'applicant',
  'active', 'paused', 'retired', 'rejected', 'intro', 'accompaniment', 'planned', 'completed', 'stopped', 
  'clear', 'remarks', 'activity', 'interest', 'need', 'weekly', 'monthly', 'coordinator', 'analyst', 'admin', 'account',
  'training', 'capacity', 'language', 'who5', 'ucla3'];

export async function rawEnumTokens(page) {
  return page.evaluate((oneWord) => {
    const text = document.body.innerText;
    const out = [];
    for (const m of text.matchAll(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g)) out.push(`raw value "${m[0]}"`);
    const words = new Set(oneWord);
    for (const m of text.matchAll(/[A-Za-zÆØÅæøå0-9]+/g)) if (words.has(m[0])) out.push(`raw value "${m[0]}"`);
    for (const m of text.matchAll(/([\p{L}][\p{L} .-]{1,40}?) \(\1\)/gu)) out.push(`doubled label "${m[0]}"`);
    return [...new Set(out)];
  }, ONE_WORD);
}

export async function rawEnums(page, what) {
  assert.deepEqual(await rawEnumTokens(page), [], `${what}: API values shown raw`);
}

// All three at once, the usual call after a page has settled.
export async function pageChecks(page, what) {
  await rawEnums(page, what);
  await noOverflow(page, what);
  await axeCheck(page, what);
}
