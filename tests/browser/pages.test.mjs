// Every page of the client, for every role, at 1366 px and at 390 px: axe-core
// finds no violation, no element sticks out past the right edge, no API enum
// value is shown raw, and there is no console error or CSP violation. A
// screenshot of each page goes to build/artifacts/screenshots/tour-*.png
// (tools/screenshots.sh copies a curated set into clients/web/docs/screenshots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, openPage, login, visit, shot, ODENSE, DESKTOP, PHONE } from './_people_harness.mjs';
import { rawEnumTokens, overflowing, axeViolations } from './_checks.mjs';

const env = setup();
const q = (sql) => env.q(sql);
const GUIDE_VOL = `(SELECT v.id FROM volunteer v JOIN account a ON a.id = v.account_id WHERE a.email = 'guide@odense.demo')`;

function ids() {
  return {
    request: q(`SELECT r.id FROM request r WHERE r.centre_id = '${ODENSE}' AND r.anonymised_at IS NULL
      ORDER BY (SELECT count(*) FROM measurement m WHERE m.request_id = r.id) + (SELECT count(*) FROM conversation c WHERE c.request_id = r.id) DESC, r.id LIMIT 1`),
    guideRequest: q(`SELECT r.id FROM request r WHERE r.assigned_volunteer_id = ${GUIDE_VOL} ORDER BY r.created_at DESC LIMIT 1`),
    course: q(`SELECT c.id FROM course c WHERE c.centre_id = '${ODENSE}' ORDER BY (SELECT count(*) FROM visit v WHERE v.course_id = c.id) DESC, c.id LIMIT 1`),
    guideCourse: q(`SELECT c.id FROM course c WHERE c.volunteer_id = ${GUIDE_VOL} ORDER BY c.started_on DESC NULLS LAST LIMIT 1`),
    volunteer: q(`SELECT v.id FROM volunteer v WHERE v.centre_id = '${ODENSE}' ORDER BY (SELECT count(*) FROM volunteer_training t WHERE t.volunteer_id = v.id) DESC, v.id LIMIT 1`),
    event: q(`SELECT e.id FROM event e WHERE e.centre_id = '${ODENSE}' AND e.starts_at > now() AND NOT e.cancelled ORDER BY e.starts_at LIMIT 1`),
    series: q(`SELECT s.id FROM event_series s WHERE s.centre_id = '${ODENSE}' LIMIT 1`),
  };
}

// [name, hash] for each role; the names become the screenshots' names.
function tours(id) {
  return {
    coordinator: [['home', '#/home'], ['request-new', '#/requests/new'], ['search', '#/search'], ['account', '#/account'], ['queue', '#/queue'], ['request', `#/requests/${id.request}`], ['courses', '#/courses'], ['course', `#/courses/${id.course}`],
      ['volunteers', '#/volunteers'], ['volunteer', `#/volunteers/${id.volunteer}`], ['volunteer-new', '#/volunteers/new'],
      ['volunteer-edit', `#/volunteers/${id.volunteer}/edit`], ['associations', '#/associations'], ['events', '#/events'],
      ['events-week', '#/events?view=week'], ['events-month', '#/events?view=month'], ['event', `#/events/${id.event}`],
      ['event-new', '#/events/new'], ['event-edit', `#/events/${id.event}/edit`], ['series', `#/event-series/${id.series}`], ['stats', '#/stats']],
    guide: [['mine', '#/mine'], ['request', `#/requests/${id.guideRequest}`], ['courses', '#/courses'], ['course', `#/courses/${id.guideCourse}`],
      ['events', '#/events'], ['event', `#/events/${id.event}`], ['associations', '#/associations']],
    association: [['referrals', '#/referrals'], ['my-association', '#/my-association'], ['events', '#/events'], ['event-new', '#/events/new'],
      ['associations', '#/associations']],
    analyst: [['stats', '#/stats'], ['account', '#/account']],
    admin: [['volunteers', '#/volunteers'], ['volunteer', `#/volunteers/${id.volunteer}`], ['associations', '#/associations'], ['events', '#/events']],
  };
}

const LOGINS = { coordinator: 'koordinator@odense.demo', guide: 'guide@odense.demo', association: 'forening@odense.demo', analyst: 'analytiker@frise.demo', admin: 'admin@kompas.demo' };

async function checkAll(page, what) {
  const out = [];
  for (const v of await rawEnumTokens(page)) out.push(`${what}: ${v}`);
  for (const v of await overflowing(page)) out.push(`${what}: overflow ${v}`);
  for (const v of await axeViolations(page)) out.push(`${what}: axe ${v}`);
  return out;
}

test('the checks find what they look for: an image without text, a box too wide, a raw value', async () => {
  const { context, page } = await openPage(env, PHONE);
  await page.goto(`${env.k.base}/app/`);
  await page.getByLabel('E-mail').waitFor();
  await page.evaluate(() => {
    const img = document.createElement('img');
    img.src = 'favicon.svg';
    const wide = document.createElement('div');
    wide.className = 'too-wide';
    wide.textContent = 'municipal_staff Trukket tilbage (Trukket tilbage) phone';
    document.querySelector('main').append(img, wide);
    // a width set through the CSSOM (no style attribute: the CSP allows none)
    wide.style.width = '500px';
  });
  const axe = await axeViolations(page);
  assert.ok(axe.some((v) => v.startsWith('image-alt')), axe.join('\n'));
  assert.ok((await overflowing(page)).some((v) => v.startsWith('div.too-wide')));
  assert.deepEqual((await rawEnumTokens(page)).sort(), ['doubled label "Trukket tilbage (Trukket tilbage)"', 'raw value "municipal_staff"', 'raw value "phone"']);
  await context.close();
});

for (const [wname, viewport] of [['1366', DESKTOP], ['390', PHONE]]) {
  test(`the login page at ${wname} px passes axe, fits and shows no raw value`, async () => {
    const { context, page } = await openPage(env, viewport);
    await page.goto(`${env.k.base}/app/`);
    await page.getByLabel('E-mail').waitFor();
    await shot(page, `tour-login-${wname}`);
    assert.deepEqual(await checkAll(page, `login ${wname}`), []);
    page.check('login');
    await context.close();
  });

  for (const role of Object.keys(LOGINS)) {
    test(`every page of the ${role} at ${wname} px passes axe, fits and shows no raw value`, async () => {
      const id = ids();
      for (const [k, v] of Object.entries(id)) assert.ok(v, `a demo ${k}`);
      const { context, page } = await openPage(env, viewport);
      await login(env, page, LOGINS[role]);
      const problems = [];
      for (const [name, hash] of tours(id)[role]) {
        await visit(env, page, hash);
        for (const e of await page.locator('main .form-error:visible').allTextContents()) problems.push(`${role} ${name} ${wname}: error shown: ${e}`);
        await shot(page, `tour-${role}-${name}-${wname}`);
        problems.push(...await checkAll(page, `${role} ${name} ${wname}`));
      }
      assert.deepEqual(problems, []);
      page.check(`${role} at ${wname}`);
      await context.close();
    });
  }
}
