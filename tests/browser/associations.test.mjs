// The association contact's view in Chromium, at 1366 px and at 390 px:
// the referrals sent to its association (accept, decline, complete; the
// citizen's name only with consent), its newcomer places (confirmed even
// when unchanged), its details (only the changed members are sent, an
// emptied one as null), an activity of its own with the optional fields
// left empty, and the associations page showing nothing where the data
// is hidden from the role (never "Ikke uddannet").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, openPage, login, visit, shot, shotTop, answered, settled, ODENSE, DESKTOP, PHONE } from './_people_harness.mjs';

const env = setup();
const q = (sql) => env.q(sql);
const CONTACT = 'forening@odense.demo';
const mine = () => q(`SELECT association_id FROM account WHERE email = '${CONTACT}'`);

test('the referrals sent to the association: accept, decline and complete them; the citizen only with consent', async () => {
  const assoc = mine();
  // two more referrals: the citizen of one consents to sharing, the other's withdrew it
  const requests = q(`SELECT string_agg(id::text, ',') FROM (SELECT r.id FROM request r WHERE r.centre_id = '${ODENSE}' AND NOT EXISTS (SELECT 1 FROM referral f
    WHERE f.request_id = r.id AND f.association_id = '${assoc}') ORDER BY r.created_at LIMIT 2) x`).split(',');
  const refer = (request, given, ago) => {
    q(`INSERT INTO request_consent (request_id, centre_id, purpose, given, text_version, recorded_by_role)
       VALUES ('${request}', '${ODENSE}', 'share_with_association', ${given}, 'test-1', 'coordinator')`);
    return q(`WITH i AS (INSERT INTO referral (centre_id, request_id, association_id, scheme_note, sent_at)
      VALUES ('${ODENSE}', '${request}', '${assoc}', 'Torsdagsholdet', now() - interval '${ago} minutes') RETURNING id) SELECT id FROM i`);
  };
  const extra = refer(requests[0], true, 60);
  const withdrawn = refer(requests[1], false, 30);
  const open = q(`SELECT string_agg(id::text, ',' ORDER BY sent_at, id) FROM referral WHERE association_id = '${assoc}' AND state IN ('sent', 'accepted')`).split(',');
  assert.ok(open.length >= 3, 'open referrals: the demo\'s and one more');

  const { context, page } = await openPage(env, PHONE);
  await login(env, page, CONTACT);
  assert.equal(new URL(page.url()).hash, '#/referrals', 'the contact starts at the referrals');
  assert.deepEqual(await page.locator('#nav a').allTextContents(), ['Henvisninger', 'Min forening', 'Aktiviteter', 'Foreninger']);
  assert.deepEqual(await page.locator('li.referral').evaluateAll((els) => els.map((e) => e.dataset.id)), open, 'the open ones, oldest first');
  await shotTop(page, 'referrals-phone');

  // accept the new one; its citizen's name shows when asked for, if the citizen consents
  const card = page.locator(`li.referral[data-id="${extra}"]`);
  await answered(page, 'POST', new RegExp(`^/v1/referrals/${extra}/transitions$`), 200, () => card.getByRole('button', { name: 'Acceptér' }).click());
  await page.locator(`li.referral[data-id="${extra}"] [data-testid="referral-state"]`, { hasText: 'Accepteret' }).waitFor();
  assert.equal(q(`SELECT state FROM referral WHERE id = '${extra}'`), 'accepted');
  const c = page.locator(`li.referral[data-id="${extra}"]`);
  assert.match(await c.textContent(), /Borgeren har givet samtykke/);
  await answered(page, 'GET', new RegExp(`^/v1/referrals/${extra}$`), 200, () => c.locator('summary', { hasText: 'Vis borgerens navn og telefon' }).click());
  await c.locator('[data-testid="citizen-name"]').filter({ hasText: /\w/ }).waitFor();
  assert.equal(await c.locator('a.tel[href^="tel:+"]').count(), 1, 'tap to call');
  // the read is logged (the answer to the transition opened it too)
  assert.ok(Number(q(`SELECT count(*) FROM access_log WHERE subject_id = '${requests[0]}' AND action = 'read' AND actor_role = 'association'`)) >= 1, 'the read is logged');
  assert.equal(q(`SELECT count(*) FROM access_log WHERE subject_id = '${requests[1]}' AND actor_role = 'association'`), '0', 'nothing read without consent');
  // without consent: said so, and no way to see the citizen
  const w = page.locator(`li.referral[data-id="${withdrawn}"]`);
  assert.match(await w.textContent(), /ikke givet samtykke/);
  assert.equal(await w.locator('summary').count(), 0);
  // complete the accepted one, then decline the last sent one
  await settled(page);
  await answered(page, 'POST', new RegExp(`^/v1/referrals/${extra}/transitions$`), 200,
    () => page.locator(`li.referral[data-id="${extra}"]`).getByRole('button', { name: 'Markér som gennemført' }).click());
  await page.locator(`li.referral[data-id="${extra}"]`).waitFor({ state: 'detached' });
  assert.equal(q(`SELECT state || ' ' || (completed_at IS NOT NULL) FROM referral WHERE id = '${extra}'`), 'completed true');
  await answered(page, 'POST', new RegExp(`^/v1/referrals/${withdrawn}/transitions$`), 200,
    () => page.locator(`li.referral[data-id="${withdrawn}"]`).getByRole('button', { name: 'Afvis' }).click());
  await page.locator(`li.referral[data-id="${withdrawn}"]`).waitFor({ state: 'detached' });
  assert.equal(q(`SELECT state FROM referral WHERE id = '${withdrawn}'`), 'declined');
  // every referral under "Alle", newest first
  await page.getByRole('link', { name: /^Alle/ }).click();
  await page.waitForFunction(() => location.hash.includes('show=all'));
  await settled(page);
  assert.equal(await page.locator('li.referral').count(), Number(q(`SELECT count(*) FROM referral WHERE association_id = '${assoc}'`)));
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling');
  await page.setViewportSize(DESKTOP);
  await shot(page, 'referrals');
  page.check('referrals');
  await context.close();
});

test('my association: newcomer places confirmed even when unchanged, details with an emptied field, an activity of its own', async () => {
  const assoc = mine();
  q(`UPDATE association SET newcomer_places = 4, newcomer_places_updated_at = now() - interval '40 days', contact_phone = '+45 61 62 63 64' WHERE id = '${assoc}'`);
  const { context, page } = await openPage(env, DESKTOP);
  await login(env, page, CONTACT);
  await page.locator('#nav a', { hasText: 'Min forening' }).click();
  await page.locator('form.places-form').waitFor();
  await settled(page);
  assert.equal(await page.locator('h1').textContent(), q(`SELECT name FROM association WHERE id = '${assoc}'`));
  assert.equal(await page.locator('[data-testid="places"]').textContent(), '4');
  await shot(page, 'my-association');
  // the same number again: it is sent, and its date moves
  const preq = page.waitForRequest((r) => r.method() === 'PATCH');
  await answered(page, 'PATCH', new RegExp(`^/v1/associations/${assoc}$`), 200, () => page.getByRole('button', { name: 'Gem antal' }).click());
  assert.deepEqual(JSON.parse((await preq).postData()), { newcomer_places: 4 });
  assert.equal(q(`SELECT newcomer_places || ' ' || (newcomer_places_updated_at > now() - interval '1 minute') FROM association WHERE id = '${assoc}'`), '4 true');
  // details: the welcome person's name set, the contact's phone emptied, nothing else sent
  await settled(page);
  const f = page.locator('form.association-form');
  await f.getByLabel('Velkomstperson').fill('Bodil Jensen');
  await f.locator('fieldset', { hasText: 'Kontaktperson' }).getByLabel('Telefon').fill('');
  const dreq = page.waitForRequest((r) => r.method() === 'PATCH');
  await answered(page, 'PATCH', new RegExp(`^/v1/associations/${assoc}$`), 200, () => f.getByRole('button', { name: 'Gem' }).click());
  assert.deepEqual(JSON.parse((await dreq).postData()), { contact_phone: null, welcome_contact_name: 'Bodil Jensen' });
  assert.equal(q(`SELECT coalesce(contact_phone, '-') || ' ' || welcome_contact_name FROM association WHERE id = '${assoc}'`), '- Bodil Jensen');

  // a new activity, only the required fields: the association is the contact's own
  await settled(page);
  await page.getByRole('link', { name: 'Ny aktivitet' }).click();
  const ef = page.locator('form.event-form');
  await ef.waitFor();
  await settled(page);
  assert.equal(await ef.getByLabel('Type').count(), 0, 'a contact adds activities only');
  const day = new Date(Date.now() + 5 * 86400000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Copenhagen' });
  await ef.getByLabel('Titel').fill('Gåtur for nye');
  await ef.getByLabel('Dato', { exact: true }).fill(day);
  await ef.getByLabel('Starter kl.').fill('10:00');
  await ef.getByLabel('Slutter kl.').fill('11:00');
  const ereq = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/v1/events'));
  await answered(page, 'POST', /^\/v1\/events$/, 201, () => ef.getByRole('button', { name: 'Opret' }).click());
  assert.deepEqual(Object.keys(JSON.parse((await ereq).postData())).sort(), ['ends_at', 'kind', 'starts_at', 'title']);
  await page.waitForFunction(() => /^#\/events\/[0-9a-f-]{36}$/.test(location.hash));
  const id = await page.locator('.event-page').getAttribute('data-id');
  assert.equal(q(`SELECT kind || ' ' || (association_id = '${assoc}') FROM event WHERE id = '${id}'`), 'activity true');
  // and edits it
  await settled(page);
  await page.getByRole('link', { name: 'Redigér' }).click();
  await page.locator('form.event-form').waitFor();
  await settled(page);
  await page.locator('form.event-form').getByLabel('Adresse').fill('Munke Mose');
  await answered(page, 'PATCH', new RegExp(`^/v1/events/${id}$`), 200, () => page.locator('form.event-form').getByRole('button', { name: 'Gem' }).click());
  await page.waitForFunction((x) => location.hash === `#/events/${x}`, id);
  assert.equal(q(`SELECT address FROM event WHERE id = '${id}'`), 'Munke Mose');
  // it is listed on the association's page; another association's activity cannot be edited
  await visit(env, page, '#/my-association');
  assert.ok(await page.locator(`ul.assoc-events a[href="#/events/${id}"]`).count() === 1);
  const other = q(`SELECT id FROM event WHERE centre_id = '${ODENSE}' AND kind = 'activity' AND association_id <> '${assoc}' AND starts_at > now() LIMIT 1`);
  await visit(env, page, `#/events/${other}`);
  assert.equal(await page.getByRole('link', { name: 'Redigér' }).count(), 0);
  await page.setViewportSize(PHONE);
  await visit(env, page, '#/my-association');
  await shotTop(page, 'my-association-phone');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling');
  page.check('my association');
  await context.close();
});

test('the associations page shows an association contact nothing of what is hidden from it', async () => {
  const assoc = mine();
  const { context, page } = await openPage(env, DESKTOP);
  await login(env, page, CONTACT);
  await visit(env, page, '#/associations');
  const cards = page.locator('li.card.assoc');
  assert.ok(await cards.count() >= 3);
  assert.equal(await page.getByText('Ikke uddannet').count(), 0, 'never "not trained" where the data is hidden');
  const texts = await cards.allTextContents();
  const own = q(`SELECT name FROM association WHERE id = '${assoc}'`);
  for (const text of texts) {
    if (text.includes(own)) continue;
    assert.doesNotMatch(text, /Velkomst|Pladser til nye|Medlem/, 'another association: no welcome, places or membership');
  }
  assert.match(texts.find((x) => x.includes(own)), /Pladser til nye/, 'its own association in full');
  await page.setViewportSize(PHONE);
  await shotTop(page, 'associations-contact-phone');
  page.check('associations as a contact');
  await context.close();
});
