// The coordinator's whole job in Chromium, at 1366 px and at 390 px: every
// form saved with its optional fields left empty (what is stored checked in
// the database), a phone or walk-in request recorded and found again by the
// global search, the start page with the work lists, the queue at a glance,
// the referral of a citizen to an association, and the small things: the
// logout button hidden while logged out, the preselected association of a
// course, the print stylesheet and changing one's own password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, openPage, login, visit, shot, shotTop, answered, settled, ODENSE, DESKTOP, PHONE } from './_people_harness.mjs';
import { PASSWORD } from '../api/fixtures.mjs';

const env = setup();
const q = (sql) => env.q(sql);
const COORD = 'koordinator@odense.demo';

// --- the API, for making the world a test starts from ---------------------------

const tokens = new Map();
async function call(email, method, path, body) {
  if (!tokens.has(email)) {
    const r = await fetch(`${env.k.base}/v1/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
    assert.equal(r.status, 201, `login ${email}`);
    tokens.set(email, (await r.json()).token);
  }
  const r = await fetch(`${env.k.base}${path}`, {
    method, headers: { Authorization: `Bearer ${tokens.get(email)}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

let seq = 0;
// A phone request of Odense moved through the workflow up to state (one of
// received, accepted, guide_assigned, contacted, conversation_held).
async function requestIn(state, extra = {}) {
  const n = ++seq;
  const made = await call(COORD, 'POST', '/v1/requests', {
    source: 'phone', citizen: { name: `Testborger ${n}`, phone: `+45 7070 ${String(1000 + n).slice(-4)}` }, postal_code: '5000', ...extra,
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const id = made.body.id;
  const path = ['accepted', 'guide_assigned', 'contacted', 'conversation_held'];
  for (const to of path.slice(0, path.indexOf(state) + 1)) {
    let body = { to };
    if (to === 'guide_assigned') {
      const g = await call(COORD, 'GET', `/v1/requests/${id}/guide-suggestions`);
      body = { to, volunteer_id: g.body.items[0].volunteer_id };
    }
    if (to === 'conversation_held') {
      const c = await call(COORD, 'POST', `/v1/requests/${id}/conversations`, { held_on: new Date().toISOString().slice(0, 10), duration_minutes: 30, next_step: 'course' });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      continue;
    }
    const r = await call(COORD, 'POST', `/v1/requests/${id}/transitions`, body);
    assert.equal(r.status, 200, `${to}: ${JSON.stringify(r.body)}`);
  }
  return id;
}

// The body a click sends to method path (re), with the answer's status.
async function sent(page, method, re, status, fn) {
  const req = page.waitForRequest((r) => r.method() === method && re.test(new URL(r.url()).pathname));
  await answered(page, method, re, status, fn);
  return JSON.parse((await req).postData() || 'null');
}

// Nothing on the page wider than the screen.
async function noSideScroll(page, what) {
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${what}: no horizontal scrolling`);
}

// --- 1. every form with its optional fields left empty ------------------------------

for (const [label, viewport] of [['1366', DESKTOP], ['390', PHONE]]) {
  test(`forms saved with the optional fields empty send no nulls and store what was filled in (${label} px)`, async () => {
    const id = await requestIn('contacted');
    const { context, page } = await openPage(env, viewport);
    await login(env, page, COORD);
    await visit(env, page, `#/requests/${id}`);

    // a conversation: no summary, no guide (the centre's own staff)
    const conv = page.locator('form.conversation-form');
    await page.locator('details.add', { has: conv }).locator('summary').click();
    await conv.getByLabel('Guide').selectOption('');
    const body = await sent(page, 'POST', /\/conversations$/, 201, () => conv.getByRole('button', { name: 'Registrér samtale' }).click());
    assert.equal(body.summary, undefined, 'no summary sent');
    assert.equal(body.volunteer_id, undefined, 'no guide sent');
    assert.ok(!Object.values(body).includes(null), 'no null sent');
    await settled(page);
    assert.equal(q(`SELECT count(*) FILTER (WHERE summary_sealed IS NULL AND volunteer_id IS NULL) || '/' || count(*) FROM conversation WHERE request_id = '${id}'`), '1/1');
    assert.equal(await page.getByTestId('request-state').textContent(), 'Samtale holdt');

    // a measurement with the defaults
    const meas = page.locator('form.measurement-form');
    await page.locator('details.add', { has: meas }).locator('summary').click();
    await answered(page, 'POST', /\/measurements$/, 201, () => meas.getByRole('button', { name: 'Registrér måling' }).click());
    await settled(page);
    assert.equal(q(`SELECT instrument || ' ' || timepoint || ' ' || cardinality(answers) FROM measurement WHERE request_id = '${id}'`), 'who5 baseline 5');

    // a course without the number of visits: the centre's default
    const course = page.locator('form.course-form');
    await course.getByLabel('Planlagte besøg').fill('');
    const cbody = await sent(page, 'POST', /\/courses$/, 201, () => course.getByRole('button', { name: 'Start forløb' }).click());
    assert.equal(cbody.planned_visits, undefined);
    await page.waitForFunction(() => /^#\/courses\/[0-9a-f-]{36}$/.test(location.hash));
    await settled(page);
    const courseId = q(`SELECT id FROM course WHERE request_id = '${id}'`);
    assert.equal(q(`SELECT planned_visits = (SELECT default_planned_visits FROM centre WHERE id = '${ODENSE}') FROM course WHERE id = '${courseId}'`), 't');

    // a visit without a note
    const vf = page.locator('form.visit-form');
    const vbody = await sent(page, 'POST', /\/visits$/, 201, () => vf.getByRole('button', { name: 'Registrér besøg' }).click());
    assert.equal(vbody.note, undefined);
    await settled(page);
    assert.equal(q(`SELECT count(*) FILTER (WHERE note_sealed IS NULL) || '/' || count(*) FROM visit WHERE course_id = '${courseId}'`), '1/1');

    // complete it, then the follow-up
    await page.locator('details.add summary', { hasText: 'Gennemført' }).click();
    await answered(page, 'POST', /\/transitions$/, 200, () => page.locator('form.end-completed').getByRole('button', { name: 'Gennemført' }).click());
    await settled(page);
    await answered(page, 'POST', /\/follow-up$/, 200, () => page.getByRole('button', { name: 'Registrér opfølgning' }).click());
    await settled(page);
    assert.equal(q(`SELECT state || ' ' || follow_up_result || ' ' || (follow_up_on IS NOT NULL) FROM course WHERE id = '${courseId}'`), 'completed still_taking_part true');

    // closing a request without a note
    const other = await requestIn('received');
    await visit(env, page, `#/requests/${other}`);
    await page.locator('button[data-to="closed"]').click();
    const close = page.locator('form.close-form');
    const tbody = await sent(page, 'POST', /\/transitions$/, 200, () => close.getByRole('button', { name: 'Afsluttet' }).click());
    assert.deepEqual(tbody, { to: 'closed', reason: 'need_met' });
    await settled(page);
    assert.equal(q(`SELECT state || ' ' || close_reason FROM request WHERE id = '${other}'`), 'closed need_met');
    assert.equal(q(`SELECT count(*) FROM request_event WHERE request_id = '${other}' AND to_state = 'closed' AND note IS NULL`), '1');
    await noSideScroll(page, 'request page');
    page.check('forms with optional fields empty');
    await context.close();
  });
}
