// E-mail in the web client, in Chromium: a coordinator plans a course's
// next visit (the day before it the guide gets a reminder) and clears it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, openPage, login, visit, answered, settled, PHONE } from './_people_harness.mjs';

const env = setup();
const q = (sql) => env.q(sql);

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
