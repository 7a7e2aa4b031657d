// Danish everywhere and the phone layout, at 1366 px and at 390 px: the
// request page names every value in Danish (heard-from, contact preference,
// consents, history), dates as "14. jun. 2026", the matching score in words
// that add up to the score; API problems in Danish from their code; the
// menu behind a button on a phone with every item whole; the citizen's
// contact details on top of the guide's request page with tel: and mailto:.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, openPage, login, visit, shotTop, answered, ODENSE, DESKTOP, PHONE } from './_people_harness.mjs';
import { pageChecks, rawEnums } from './_checks.mjs';

const env = setup();
const q = (sql) => env.q(sql);
const apiGet = (page, path) => page.evaluate(async (p) => {
  const res = await fetch(p, { headers: { Authorization: `Bearer ${sessionStorage.getItem('kompas.token')}` } });
  return res.json();
}, path);
const HEARD = { socialkompas: 'Socialkompas', municipal_staff: 'Kommunens medarbejdere', relative: 'Pårørende', local_paper: 'Lokalavisen', association: 'En forening', other: 'Andet' };
const PREF = { phone: 'Telefon', email: 'E-mail', sms: 'Sms', letter: 'Brev' };

for (const [wname, viewport] of [['1366', DESKTOP], ['390', PHONE]]) {
  test(`a request in Danish at ${wname} px: values, dates, consents and the score in words`, async () => {
    const id = q(`SELECT id FROM request WHERE centre_id = '${ODENSE}' AND state = 'accepted' AND heard_from IS NOT NULL
      AND contact_preference IS NOT NULL ORDER BY created_at LIMIT 1`);
    assert.ok(id, 'an accepted request with heard_from and contact_preference');
    const [heard, pref] = q(`SELECT heard_from || ' ' || contact_preference FROM request WHERE id = '${id}'`).split(' ');
    const { context, page } = await openPage(env, viewport);
    await login(env, page, 'koordinator@odense.demo');
    await visit(env, page, `#/requests/${id}`);
    const dd = (label) => page.locator('dl.kv dt', { hasText: new RegExp(`^${label}$`) }).first().locator('xpath=following-sibling::dd[1]');
    assert.equal(await dd('Hørt om os via').textContent(), HEARD[heard]);
    assert.equal(await dd('Foretrukken kontakt').textContent(), PREF[pref]);
    for (const li of await page.locator('section.card li', { hasText: /: (givet|ikke givet) \(/ }).allTextContents()) {
      assert.match(li, /^(Kontakt|Deling med forening|Opfølgning|Statistik): (givet|ikke givet) \(tekst [^)]+, \d{1,2}\. [a-zæø]{3}\.? 20\d\d\)$/);
    }
    for (const time of await page.locator('ol.timeline time').allTextContents()) assert.match(time, /^\d{1,2}\. [a-zæø]{3,4}\.? 20\d\d \d\d\.\d\d$|^\d{1,2}\. [a-zæø]{3,4}\.? 20\d\d, \d\d\.\d\d$/);
    // the score in words: one line per component, whose points add up to the score
    const sugg = await apiGet(page, `/v1/requests/${id}/guide-suggestions`);
    assert.ok(sugg.items.length > 0, 'the demo request has guide suggestions');
    const first = page.locator('li.suggestion').first();
    await first.locator('details.score-parts summary').click();
    const parts = await first.locator('details.score-parts li').allTextContents();
    assert.equal(parts.length, sugg.items[0].components.length);
    assert.ok(parts.some((p) => /^(Bor i borgerens postnummer|Bor i nærheden: samme første to cifre i postnummeret|Bor ikke i nærheden af borgeren) \(\d+(,\d+)? point\)$/.test(p)), parts.join('\n'));
    assert.ok(parts.some((p) => /^Ledig kapacitet: \d+ % af pladserne er fri \(\d+(,\d+)? point\)$/.test(p)), parts.join('\n'));
    const sum = parts.map((p) => Number(/\((\d+(?:,\d+)?) point\)$/.exec(p)[1].replace(',', '.'))).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - sugg.items[0].score) < 0.02, `the parts (${sum}) add up to the score (${sugg.items[0].score})`);
    assert.equal(await first.locator('details.score-parts summary').textContent(), `Hvorfor score ${sugg.items[0].score.toLocaleString('da-DK', { maximumFractionDigits: 2 })}?`);
    await rawEnums(page, `request ${wname}`);
    await shotTop(page, `request-danish-${wname}`);
    // an API problem in Danish, from its code: a conversation of 9999 minutes
    await page.locator('summary', { hasText: 'Registrér samtale' }).click();
    const f = page.locator('form.conversation-form');
    await f.getByLabel('Varighed (minutter)').fill('9999');
    await answered(page, 'POST', /\/conversations$/, 422, () => f.getByRole('button', { name: 'Registrér samtale' }).click());
    page.allowFailed(/\/conversations$/);
    assert.equal(await f.locator('.form-error strong').textContent(), 'Nogle felter er ikke udfyldt rigtigt.');
    assert.equal(await f.locator('[data-error-for="duration_minutes"]').textContent(), 'Er for stor (højst 600).');
    await pageChecks(page, `request with a problem at ${wname}`);
    page.check('request in Danish');
    await context.close();
  });

  test(`the menu at ${wname} px: every item whole, behind a button on a phone`, async () => {
    const { context, page } = await openPage(env, viewport);
    await login(env, page, 'koordinator@odense.demo');
    const toggle = page.locator('#menu-toggle');
    const items = ['Anmodninger', 'Forløb', 'Frivillige', 'Foreninger', 'Aktiviteter', 'Statistik'];
    if (wname === '390') {
      assert.ok(await toggle.isVisible());
      assert.equal(await page.locator('#nav').isVisible(), false, 'the menu is folded');
      await toggle.click();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      await shotTop(page, 'menu-open-390');
      await pageChecks(page, 'menu open at 390');
    } else {
      assert.equal(await toggle.isVisible(), false);
    }
    const links = page.locator('#nav a');
    for (const item of items) {
      const a = links.filter({ hasText: new RegExp(`^${item}$`) }).first();
      assert.ok(await a.isVisible(), `${item} shown`);
      assert.ok(await a.evaluate((el) => el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().right <= document.documentElement.clientWidth), `${item} whole`);
    }
    // choosing an item goes there and folds the menu again
    await links.filter({ hasText: /^Foreninger$/ }).first().click();
    await page.waitForFunction(() => location.hash === '#/associations');
    if (wname === '390') {
      await page.locator('#nav:not(.open)').waitFor({ state: 'attached' });
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      await toggle.click();
      await page.keyboard.press('Escape');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false', 'Escape folds it');
    }
    page.check('menu');
    await context.close();
  });

  test(`the guide's request at ${wname} px starts with the citizen's contact details, tap to call or write`, async () => {
    const id = q(`SELECT r.id FROM request r JOIN volunteer v ON v.id = r.assigned_volunteer_id JOIN account a ON a.id = v.account_id
      WHERE a.email = 'guide@odense.demo' AND r.state NOT IN ('closed', 'declined', 'withdrawn') ORDER BY r.created_at DESC LIMIT 1`);
    assert.ok(id, 'an open request of the demo guide');
    const { context, page } = await openPage(env, viewport);
    await login(env, page, 'guide@odense.demo');
    await visit(env, page, `#/requests/${id}`);
    const req = await apiGet(page, `/v1/requests/${id}`);
    assert.ok(req.citizen?.phone, 'the guide gets the citizen\'s phone');
    const card = page.getByTestId('citizen-contact');
    assert.equal(await card.locator('h2').textContent(), `Borger: ${req.citizen.name}`);
    const tel = card.locator('a[href^="tel:"]');
    assert.equal(await tel.getAttribute('href'), `tel:${req.citizen.phone.replace(/[^+\d]/g, '')}`);
    assert.equal(await tel.textContent(), `Ring ${req.citizen.phone}`);
    if (req.citizen.email) assert.equal(await card.locator('a[href^="mailto:"]').getAttribute('href'), `mailto:${req.citizen.email}`);
    // first on the page, right under the heading
    const cardBox = await card.boundingBox();
    const sections = await page.locator('main section').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
    assert.equal(Math.min(...sections), cardBox.y, 'no section above the contact details');
    if (wname === '390') {
      const box = await tel.boundingBox();
      assert.ok(box.y + box.height < PHONE.height * 0.6, `the call button is high on the first screen (${box.y})`);
      assert.ok(box.width >= 300 && box.height >= 44, `a big call button (${box.width}x${box.height})`);
    }
    await shotTop(page, `guide-request-${wname}`);
    await pageChecks(page, `guide request at ${wname}`);
    page.check('guide request');
    await context.close();
  });
}

test('a wrong password is explained in Danish from the problem code', async () => {
  const { context, page } = await openPage(env, PHONE);
  await page.goto(`${env.k.base}/app/`);
  await page.getByLabel('E-mail').fill('koordinator@odense.demo');
  await page.getByLabel('Adgangskode').fill('not-the-password');
  page.allowFailed(/\/v1\/sessions$/);
  await answered(page, 'POST', /\/v1\/sessions$/, 401, () => page.getByRole('button', { name: 'Log ind' }).click());
  await page.locator('.form-error', { hasText: 'Du er ikke logget ind, eller e-mail og adgangskode passer ikke.' }).waitFor();
  await pageChecks(page, 'login problem');
  page.check('login problem');
  await context.close();
});
