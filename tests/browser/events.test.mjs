// Events in Chromium: a guide on a phone signs up on the event page, sees
// it and cancels it; the month and week views mark today and break no
// word (1366 px and 390 px); a coordinator creates an event and a weekly
// series with the optional fields left empty, edits them (only the changed
// members are sent), sees an API problem next to the time fields, and
// cancels an event and the rest of a series.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, openPage, login, visit, shot, shotTop, answered, settled, brokenWords, ODENSE, DESKTOP, PHONE } from './_people_harness.mjs';

const env = setup();
const q = (sql) => env.q(sql);
const cphDate = (d) => d.toLocaleDateString('sv-SE', { timeZone: 'Europe/Copenhagen' });
const inDays = (n) => cphDate(new Date(Date.now() + n * 86400000));

test('a guide on a phone signs up on the event page, sees it in the list and cancels it', async () => {
  const event = q(`SELECT e.id FROM event e WHERE e.centre_id = '${ODENSE}' AND e.kind IN ('info_meeting', 'guide_training') AND NOT e.cancelled
    AND (e.capacity IS NULL OR e.signup_count < e.capacity) AND e.starts_at > now() + interval '1 day' AND e.starts_at < now() + interval '27 days'
    AND NOT EXISTS (SELECT 1 FROM event_signup s JOIN volunteer v ON v.id = s.volunteer_id JOIN account a ON a.id = v.account_id
                     WHERE s.event_id = e.id AND a.email = 'guide@odense.demo' AND s.cancelled_at IS NULL) ORDER BY e.starts_at LIMIT 1`);
  assert.ok(event, 'an event the guide can sign up for');
  const mine = () => q(`SELECT count(*) FROM event_signup s JOIN volunteer v ON v.id = s.volunteer_id JOIN account a ON a.id = v.account_id
    WHERE s.event_id = '${event}' AND a.email = 'guide@odense.demo' AND s.cancelled_at IS NULL`);
  const { context, page } = await openPage(env, PHONE);
  await login(env, page, 'guide@odense.demo');
  await visit(env, page, '#/events');
  await page.locator(`li.event[data-id="${event}"] a.event-title`).click();
  await page.waitForFunction((id) => location.hash === `#/events/${id}`, event);
  await settled(page);
  const title = q(`SELECT title FROM event WHERE id = '${event}'`);
  assert.equal(await page.locator('h1').textContent(), title);
  // the time in Copenhagen, in Danish: "torsdag 10. december 2026, 17.00–20.30"
  assert.match(await page.locator('[data-testid="event-when"]').textContent(), /^[a-zæøå]+ (den )?\d{1,2}\. [a-zæøå]+ \d{4}, \d\d\.\d\d–\d\d\.\d\d$/);
  await shotTop(page, 'event-phone');
  const button = page.locator('[data-testid="signup"] button', { hasText: 'Tilmeld mig' });
  const box = await button.boundingBox();
  assert.ok(box.width >= 300 && box.height >= 44, `a big button on a phone (${box.width}x${box.height})`);
  await answered(page, 'POST', /\/signups$/, 201, () => button.click());
  await page.locator('[data-testid="signup"]', { hasText: 'Du er tilmeldt' }).waitFor();
  assert.equal(mine(), '1');
  await shotTop(page, 'event-signed-up-phone');
  // the list shows it too, with the cancel button
  await visit(env, page, '#/events');
  const item = page.locator(`li.event[data-id="${event}"]`);
  assert.match(await item.locator('[data-testid="signup"]').textContent(), /Du er tilmeldt/);
  await shotTop(page, 'events-phone');
  // cancelled from the event page
  await visit(env, page, `#/events/${event}`);
  await answered(page, 'DELETE', new RegExp(`^/v1/events/${event}/signups/[0-9a-f-]{36}$`), 204,
    () => page.locator('[data-testid="signup"] button', { hasText: 'Afmeld' }).click());
  await page.locator('[data-testid="signup"] button', { hasText: 'Tilmeld mig' }).waitFor();
  assert.equal(mine(), '0');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling');
  page.check('guide sign-up');
  await context.close();
});

test('the month and the week mark today and break no word, at 1366 px and at 390 px', async () => {
  const { context, page } = await openPage(env, DESKTOP);
  await login(env, page, 'koordinator@odense.demo');
  const today = inDays(0);
  const month = today.slice(0, 7);
  for (const [viewport, suffix] of [[DESKTOP, ''], [PHONE, '-phone']]) {
    await page.setViewportSize(viewport);
    await visit(env, page, '#/events?view=month');
    const marked = page.locator('li.day[aria-current="date"]');
    assert.equal(await marked.count(), 1, 'one day is today');
    assert.equal(await marked.getAttribute('data-date'), today);
    assert.match(await marked.textContent(), /I dag/);
    assert.ok(await marked.isVisible());
    const expected = new Date(`${today}T12:00:00Z`).toLocaleDateString('da-DK', { month: 'long', year: 'numeric', timeZone: 'UTC' });
    assert.equal((await page.locator('[data-testid="month-title"]').textContent()).toLowerCase(), expected);
    // every event of the month is on its day
    const n = Number(q(`SELECT count(*) FROM event WHERE centre_id = '${ODENSE}'
      AND to_char(starts_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY-MM') = '${month}'`));
    assert.equal(await page.locator(`li.day[data-date^="${month}"] ul.day-events > li`).count(), n);
    assert.deepEqual(await brokenWords(page, '.calendar'), [], `no word broken in the month${suffix}`);
    await shot(page, `events-month${suffix}`);
    await visit(env, page, '#/events?view=week');
    assert.equal(await page.locator('li.day[aria-current="date"]').count(), 1);
    assert.deepEqual(await brokenWords(page, '.calendar'), [], `no word broken in the week${suffix}`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling');
    await shot(page, `events-week${suffix}`);
  }
  // the next month and back
  await page.setViewportSize(DESKTOP);
  await visit(env, page, '#/events?view=month');
  const thisMonth = await page.locator('[data-testid="month-title"]').textContent();
  await page.getByRole('link', { name: 'Næste måned' }).click();
  await page.waitForFunction(() => location.hash.includes('month='));
  await settled(page);
  assert.notEqual(await page.locator('[data-testid="month-title"]').textContent(), thisMonth);
  await page.getByRole('link', { name: 'Til denne måned' }).click();
  await page.locator('li.day[aria-current="date"]').waitFor();
  page.check('calendar');
  await context.close();
});

test('a coordinator creates an event with only the required fields, edits it, sees a problem at the times, cancels it', async () => {
  const { context, page } = await openPage(env, DESKTOP);
  await login(env, page, 'koordinator@odense.demo');
  await visit(env, page, '#/events');
  await page.getByRole('link', { name: 'Ny aktivitet' }).click();
  const form = page.locator('form.event-form');
  await form.waitFor();
  await settled(page);
  await shot(page, 'event-new');
  const day = inDays(9);
  await form.getByLabel('Type').selectOption('info_meeting');
  await form.getByLabel('Titel').fill('Informationsmøde om Kompasguide');
  await form.getByLabel('Dato', { exact: true }).fill(day);
  await form.getByLabel('Starter kl.').fill('10:00');
  await form.getByLabel('Slutter kl.').fill('11:30');
  const req = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/v1/events'));
  await answered(page, 'POST', /^\/v1\/events$/, 201, () => form.getByRole('button', { name: 'Opret' }).click());
  const body = JSON.parse((await req).postData());
  assert.deepEqual(Object.keys(body).sort(), ['ends_at', 'kind', 'starts_at', 'title']);
  assert.match(body.starts_at, new RegExp(`^${day}T10:00:00\\+0[12]:00$`), 'Copenhagen time with its offset');
  await page.waitForFunction(() => /^#\/events\/[0-9a-f-]{36}$/.test(location.hash));
  const id = await page.locator('.event-page').getAttribute('data-id');
  assert.equal(q(`SELECT kind || ' ' || to_char(starts_at AT TIME ZONE 'Europe/Copenhagen', 'YYYY-MM-DD HH24:MI') || ' ' || coalesce(description, '-') || ' ' || coalesce(capacity::text, '-') FROM event WHERE id = '${id}'`),
    `info_meeting ${day} 10:00 - -`);
  assert.match(await page.locator('[data-testid="event-when"]').textContent(), /10\.00–11\.30$/);

  // edit: an end before the start is refused, shown at the times
  await page.getByRole('link', { name: 'Redigér' }).click();
  const edit = page.locator('form.event-form');
  await edit.waitFor();
  await settled(page);
  page.allowFailed(new RegExp(`^/v1/events/${id}$`));
  await edit.getByLabel('Slutter kl.').fill('09:00');
  await answered(page, 'PATCH', new RegExp(`^/v1/events/${id}$`), 422, () => edit.getByRole('button', { name: 'Gem' }).click());
  await edit.locator('[data-error-for="ends_at"]').filter({ hasText: /./ }).waitFor();
  // then a new title, an address and places: only those are sent
  await edit.getByLabel('Slutter kl.').fill('11:30');
  await edit.getByLabel('Titel').fill('Informationsmøde for nye guider');
  await edit.getByLabel('Adresse').fill('Kongensgade 65');
  await edit.getByLabel('Antal pladser').fill('20');
  const preq = page.waitForRequest((r) => r.method() === 'PATCH');
  await answered(page, 'PATCH', new RegExp(`^/v1/events/${id}$`), 200, () => edit.getByRole('button', { name: 'Gem' }).click());
  assert.deepEqual(JSON.parse((await preq).postData()), { title: 'Informationsmøde for nye guider', address: 'Kongensgade 65', capacity: 20 });
  await page.waitForFunction((x) => location.hash === `#/events/${x}`, id);
  await settled(page);
  assert.equal(await page.locator('h1').textContent(), 'Informationsmøde for nye guider');
  // a volunteer signed up by the coordinator, then cancelled for them
  await page.locator('summary', { hasText: 'Tilmeld en frivillig' }).click();
  await answered(page, 'POST', /\/signups$/, 201, () => page.locator('form.signup-for').getByRole('button', { name: 'Tilmeld en frivillig' }).click());
  await page.locator('ul.signups li.entry').waitFor();
  assert.equal(q(`SELECT signup_count FROM event WHERE id = '${id}'`), '1');
  await shot(page, 'event');
  await answered(page, 'DELETE', /\/signups\/[0-9a-f-]+$/, 204, () => page.locator('ul.signups li.entry button').click());
  await page.locator('ul.signups li.entry').waitFor({ state: 'detached' });
  // cancelled
  await settled(page);
  await answered(page, 'PATCH', new RegExp(`^/v1/events/${id}$`), 200, () => page.getByRole('button', { name: 'Aflys' }).click());
  await page.locator('[data-testid="event-cancelled"]').waitFor();
  assert.equal(q(`SELECT cancelled FROM event WHERE id = '${id}'`), 't');
  page.check('event form');
  await context.close();
});

test('a coordinator creates a weekly series with the optional fields empty and changes the occurrences to come', async () => {
  const { context, page } = await openPage(env, DESKTOP);
  await login(env, page, 'koordinator@odense.demo');
  await visit(env, page, '#/events/new');
  const form = page.locator('form.event-form');
  const day = inDays(3);
  await form.getByLabel('Type').selectOption('guide_training');
  await form.getByLabel('Titel').fill('Kompasguide-uddannelse, forår');
  await form.getByLabel('Dato', { exact: true }).fill(day);
  await form.getByLabel('Starter kl.').fill('19:00');
  await form.getByLabel('Slutter kl.').fill('21:30');
  await form.getByLabel('Gentag').selectOption('weekly');
  await form.getByLabel('Antal gange').fill('4');
  const req = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/v1/event-series'));
  await answered(page, 'POST', /^\/v1\/event-series$/, 201, () => form.getByRole('button', { name: 'Opret' }).click());
  const body = JSON.parse((await req).postData());
  assert.deepEqual(Object.keys(body).sort(), ['count', 'ends_at', 'frequency', 'kind', 'starts_at', 'title']);
  await page.waitForFunction(() => /^#\/event-series\/[0-9a-f-]{36}$/.test(location.hash));
  await settled(page);
  const sid = new URL(page.url()).hash.split('/')[2];
  assert.equal(await page.locator('ol.occurrences li').count(), 4);
  assert.equal(q(`SELECT string_agg(DISTINCT to_char(starts_at AT TIME ZONE 'Europe/Copenhagen', 'HH24:MI'), ',') FROM event WHERE series_id = '${sid}'`), '19:00');
  await shot(page, 'event-series');

  const sf = page.locator('form.series-form');
  await sf.getByLabel('Adresse').fill('Frivilligcenter Odense, Kongensgade 65');
  await sf.getByLabel('Antal pladser').fill('16');
  const preq = page.waitForRequest((r) => r.method() === 'PATCH');
  await answered(page, 'PATCH', new RegExp(`^/v1/event-series/${sid}$`), 200, () => sf.getByRole('button', { name: 'Gem for de kommende gange' }).click());
  assert.deepEqual(JSON.parse((await preq).postData()), { address: 'Frivilligcenter Odense, Kongensgade 65', capacity: 16 });
  await page.locator('#flash', { hasText: 'Gemt for 4 kommende gange' }).waitFor();
  assert.equal(q(`SELECT count(*) FROM event WHERE series_id = '${sid}' AND address = 'Frivilligcenter Odense, Kongensgade 65' AND capacity = 16`), '4');
  await settled(page);
  await answered(page, 'PATCH', new RegExp(`^/v1/event-series/${sid}$`), 200, () => page.getByRole('button', { name: 'Aflys resten af serien' }).click());
  await page.getByRole('button', { name: 'Genoptag resten af serien' }).waitFor();
  assert.equal(q(`SELECT count(*) FROM event WHERE series_id = '${sid}' AND cancelled`), '4');
  // an occurrence links back to its series
  await page.locator('ol.occurrences li a').first().click();
  await page.getByRole('link', { name: 'Redigér hele serien' }).waitFor();
  page.check('series');
  await context.close();
});
