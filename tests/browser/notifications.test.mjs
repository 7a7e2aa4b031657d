// E-mail in the web client, in Chromium, at 1366 and 390 px: each role's
// own e-mail settings on Min konto (one checkbox per kind of mail it
// receives, all on at first; saving sends PATCH /v1/me and is stored; a
// reload shows what is stored); and a coordinator planning a course's next
// visit (the day before it the guide gets a reminder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, openPage, login, visit, shot, answered, settled, DESKTOP, PHONE } from './_people_harness.mjs';

const env = setup();
const q = (sql) => env.q(sql);
const optOut = (email) => q(`SELECT array_to_string(mail_opt_out, ',') FROM account WHERE email = '${email}'`);

test('a coordinator switches the daily digest off and on again on Min konto', async () => {
  const email = 'koordinator@odense.demo';
  const { context, page } = await openPage(env, DESKTOP);
  await login(env, page, email);
  await visit(env, page, '#/account');
  const box = (name) => page.getByRole('checkbox', { name });
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'E-mails fra Kompas' }) });
  await section.waitFor();
  assert.deepEqual(await section.getByRole('checkbox').evaluateAll((els) => els.map((e) => [e.name, e.checked])),
    [['new_request', true], ['daily_digest', true]]);
  assert.match(await section.textContent(), /aldrig oplysninger om borgere/);
  assert.match(await section.textContent(), /sender ikke e-mail endnu/, 'the test server has no [mail] server');
  await box('Dagligt overblik over arbejdslisterne').uncheck();
  const res = await answered(page, 'PATCH', /^\/v1\/me$/, 200, () => section.getByRole('button', { name: 'Gem e-mailvalg' }).click());
  assert.deepEqual(JSON.parse(res.request().postData()), { notifications: { new_request: true, daily_digest: false } });
  await page.locator('.flash', { hasText: 'Dine e-mailvalg er gemt' }).waitFor();
  assert.equal(optOut(email), 'daily_digest');
  await page.reload();
  await settled(page);
  await section.waitFor();
  assert.equal(await box('Dagligt overblik over arbejdslisterne').isChecked(), false, 'the page shows what is stored');
  assert.equal(await box('Nye anmodninger fra portalen (med det samme)').isChecked(), true);
  await shot(page, 'account-notifications');
  await box('Dagligt overblik over arbejdslisterne').check();
  await answered(page, 'PATCH', /^\/v1\/me$/, 200, () => section.getByRole('button', { name: 'Gem e-mailvalg' }).click());
  assert.equal(optOut(email), '');
  page.check('account notifications');
  await context.close();
});

test('a guide on a phone sees the guide\'s kinds on Min konto and switches the visit reminder off', async () => {
  const email = 'guide@odense.demo';
  const { context, page } = await openPage(env, PHONE);
  await login(env, page, email);
  await visit(env, page, '#/account');
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'E-mails fra Kompas' }) });
  await section.waitFor();
  assert.deepEqual(await section.getByRole('checkbox').evaluateAll((els) => els.map((e) => e.name)), ['assignment', 'visit_reminder']);
  await page.getByRole('checkbox', { name: 'Påmindelse dagen før et planlagt besøg' }).uncheck();
  await answered(page, 'PATCH', /^\/v1\/me$/, 200, () => section.getByRole('button', { name: 'Gem e-mailvalg' }).click());
  assert.equal(optOut(email), 'visit_reminder');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling');
  page.check('guide notifications');
  await context.close();
});

test('an association contact has the referral mail on Min konto', async () => {
  const email = 'forening@odense.demo';
  const { context, page } = await openPage(env, DESKTOP);
  await login(env, page, email);
  await visit(env, page, '#/account');
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'E-mails fra Kompas' }) });
  await section.waitFor();
  assert.deepEqual(await section.getByRole('checkbox').evaluateAll((els) => els.map((e) => [e.name, e.checked])), [['referral', true]]);
  await page.getByRole('checkbox', { name: 'Nye henvisninger til foreningen' }).uncheck();
  await answered(page, 'PATCH', /^\/v1\/me$/, 200, () => section.getByRole('button', { name: 'Gem e-mailvalg' }).click());
  assert.equal(optOut(email), 'referral');
  page.check('association notifications');
  await context.close();
});


test('a coordinator plans a course\'s next visit (the guide\'s reminder) and clears it', async () => {
  const course = q(`SELECT id FROM course WHERE centre_id = 'a0000000-0000-4000-8000-000000000001' AND state IN ('planned', 'active') ORDER BY created_at, id LIMIT 1`);
  assert.ok(course, 'the demo has a running course');
  const tomorrow = q(`SELECT to_char((now() AT TIME ZONE 'Europe/Copenhagen')::date + 1, 'YYYY-MM-DD')`);
  const { context, page } = await openPage(env, PHONE);
  await login(env, page, 'koordinator@odense.demo');
  await visit(env, page, `#/courses/${course}`);
  const f = page.locator('form.next-visit-form');
  await f.getByLabel('Næste planlagte besøg').fill(tomorrow);
  const res = await answered(page, 'PATCH', new RegExp(`^/v1/courses/${course}$`), 200, () => f.getByRole('button', { name: 'Gem næste besøg' }).click());
  assert.deepEqual(JSON.parse(res.request().postData()), { next_visit_on: tomorrow });
  assert.equal(q(`SELECT next_visit_on FROM course WHERE id = '${course}'`), tomorrow);
  await settled(page);
  assert.notEqual(await page.locator('[data-testid="next-visit"]').textContent(), '–');
  await page.locator('form.next-visit-form').getByLabel('Næste planlagte besøg').fill('');
  await answered(page, 'PATCH', new RegExp(`^/v1/courses/${course}$`), 200, () => page.locator('form.next-visit-form').getByRole('button', { name: 'Gem næste besøg' }).click());
  assert.equal(q(`SELECT next_visit_on IS NULL FROM course WHERE id = '${course}'`), 't');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling');
  page.check('next visit');
  await context.close();
});
