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
      // room for the many citizens these tests make
      q(`UPDATE volunteer SET capacity = 10 WHERE centre_id = '${ODENSE}' AND status = 'active' AND capacity < 10`);
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

// --- 2. a new request by phone or walk-in, and the global search -----------------

for (const [label, viewport] of [['1366', DESKTOP], ['390', PHONE]]) {
  test(`a walk-in request with needs and consents, its duplicate noticed, found again by phone and reference (${label} px)`, async () => {
    const phone = `2${String(Date.now()).slice(-7)}`;
    const need = q("SELECT id || '|' || name_da FROM category WHERE centre_id IS NULL AND kind = 'need' ORDER BY name_da LIMIT 1").split('|');
    const { context, page } = await openPage(env, viewport);
    await login(env, page, COORD);
    assert.equal(await page.evaluate(() => location.hash), '#/home', 'the start page is the default');
    await page.getByRole('link', { name: 'Ny anmodning' }).first().click();
    const f = page.locator('form.request-form');
    await f.waitFor();
    await settled(page);
    await f.getByLabel('Kilde').selectOption('walk_in');
    await f.getByLabel('Hørt om os via').selectOption('relative');
    await f.getByLabel('Navn', { exact: true }).fill(`Walk In ${label}`);
    await f.getByLabel('Telefon', { exact: true }).fill(`${phone.slice(0, 2)} ${phone.slice(2, 4)} ${phone.slice(4, 6)} ${phone.slice(6)}`);
    await f.getByLabel('Postnr.').fill('5000');
    await f.getByLabel(need[1], { exact: true }).check();
    await f.getByLabel('Må kontaktes af centret').selectOption('yes');
    await f.getByLabel('Må indgå i statistik').selectOption('no');
    if (label === '1366') await shot(page, 'request-new');
    const body = await sent(page, 'POST', /^\/v1\/requests$/, 201, () => f.getByRole('button', { name: 'Opret anmodning' }).click());
    assert.deepEqual(Object.keys(body).sort(), ['categories', 'citizen', 'consents', 'heard_from', 'postal_code', 'source']);
    assert.deepEqual(Object.keys(body.citizen).sort(), ['name', 'phone'], 'only what was filled in');
    assert.deepEqual(body.consents, [{ purpose: 'contact', given: true, text_version: '2025-09' }, { purpose: 'statistics', given: false, text_version: '2025-09' }]);
    await page.waitForFunction(() => /^#\/requests\/[0-9a-f-]{36}$/.test(location.hash));
    await settled(page);
    const id = await page.evaluate(() => location.hash.slice(11));
    assert.equal(q(`SELECT source || ' ' || heard_from || ' ' || state || ' ' || (SELECT string_agg(category_id::text, ',') FROM request_category WHERE request_id = r.id) FROM request r WHERE id = '${id}'`), `walk_in relative received ${need[0]}`);
    assert.equal(q(`SELECT string_agg(purpose || '=' || given, ' ' ORDER BY purpose) FROM request_consent WHERE request_id = '${id}'`), 'contact=true statistics=false');
    await page.locator('.notice.created', { hasText: 'Anmodningen er oprettet' }).waitFor();
    assert.equal(await page.locator('.duplicates').count(), 0);

    // the same citizen again (phone written otherwise): the first is named as a possible duplicate
    await visit(env, page, '#/requests/new');
    await f.getByLabel('Navn', { exact: true }).fill(`Walk In ${label} igen`);
    await f.getByLabel('Telefon', { exact: true }).fill(`+45${phone}`);
    await answered(page, 'POST', /^\/v1\/requests$/, 201, () => f.getByRole('button', { name: 'Opret anmodning' }).click());
    await page.locator('.duplicates').waitFor();
    assert.equal(await page.locator(`.duplicates a[href="#/requests/${id}"]`).count(), 1);
    if (label === '390') await shotTop(page, 'request-created-phone');

    // the search box of the top bar: by phone (any spelling) both, by reference the one.
    // Eight digits can be a phone number or the start of an id: searched both ways.
    const searched = [];
    const onSearch = (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/requests/search') searched.push(JSON.parse(r.postData())); };
    page.on('request', onSearch);
    const box = page.locator('#global-search');
    assert.ok(await box.isVisible(), 'the search box is on every page');
    await box.fill(phone);
    await box.press('Enter');
    await page.locator('.search-results', { hasText: '2 anmodninger fundet på telefon eller reference' }).waitFor();
    assert.equal(await page.locator('.search-hits li.hit').count(), 2);
    assert.deepEqual(searched, [{ phone, limit: 50 }, { reference: phone, limit: 50 }]);
    assert.doesNotMatch(await page.evaluate(() => location.href), new RegExp(phone), 'the term is not in the address');
    const ref = id.slice(0, 8);
    const digits = /^\d{8}$/.test(ref);
    searched.length = 0;
    await box.fill(ref);
    await page.locator('.global-search button').click();
    await page.locator('.search-results', { hasText: `Én anmodning fundet på ${digits ? 'telefon eller reference' : 'reference'}` }).waitFor();
    assert.deepEqual(searched, digits ? [{ phone: ref, limit: 50 }, { reference: ref, limit: 50 }] : [{ reference: ref, limit: 50 }]);
    page.off('request', onSearch);
    if (label === '1366') await shot(page, 'search');
    await page.locator(`li.hit[data-id="${id}"]`).getByRole('link', { name: 'Åbn anmodningen' }).click();
    await page.waitForFunction((x) => location.hash === `#/requests/${x}`, id);
    await settled(page);
    assert.match(await page.locator('h1').textContent(), new RegExp(id.slice(0, 8)));
    // a phone number the API refuses: its message at the search field
    await visit(env, page, '#/search');
    page.allowFailed(/^\/v1\/requests\/search$/);
    await page.locator('#search-term').fill('+45 2012 345');
    await answered(page, 'POST', /^\/v1\/requests\/search$/, 422, () => page.locator('form.search-form').getByRole('button', { name: 'Søg' }).click());
    await page.locator('form.search-form [data-error-for="q"]').filter({ hasText: /./ }).waitFor();
    await noSideScroll(page, 'search');
    page.check('new request and search');
    await context.close();
  });
}

// --- 3. the start page with the work lists -------------------------------------------

for (const [label, viewport] of [['1366', DESKTOP], ['390', PHONE]]) {
  test(`the coordinator starts on the work lists, each with its count and links (${label} px)`, async () => {
    const work = (await call(COORD, 'GET', '/v1/worklists')).body;
    const { context, page } = await openPage(env, viewport);
    await login(env, page, COORD);
    assert.equal(await page.evaluate(() => location.hash), '#/home');
    for (const key of ['awaiting_first_contact', 'courses_without_visits', 'follow_ups_due', 'expiring_checks', 'stale_association_capacity']) {
      assert.equal(await page.getByTestId(`count-${key}`).textContent(), String(work[key].length), key);
      const items = page.locator(`[data-list="${key}"] > ul.wl-items > li`);
      assert.equal(await items.count(), Math.min(5, work[key].length), `${key}: the first five`);
    }
    assert.ok(work.awaiting_first_contact.length > 0 && work.expiring_checks.length > 0, 'the demo has work waiting');
    // an entry opens its item
    const first = work.awaiting_first_contact[0];
    assert.equal(await page.locator(`[data-list="awaiting_first_contact"] a[href="#/requests/${first.request_id}"]`).count(), 1);
    const x = work.expiring_checks[0];
    assert.equal(await page.locator(`[data-list="expiring_checks"] a[href="#/volunteers/${x.volunteer_id}"]`).count(), 1);
    await (label === '1366' ? shot(page, 'home') : shotTop(page, 'home-phone'));
    await noSideScroll(page, 'start page');
    // the list's link: the queue with only those waiting too long
    await page.locator('[data-list="awaiting_first_contact"] .wl-link a').click();
    await page.waitForFunction(() => location.hash.includes('stalled=1'));
    await settled(page);
    const stalled = work.awaiting_first_contact.filter((w) => w.days_waiting > work.first_contact_target_days).map((w) => w.request_id).sort();
    const rows = await page.locator('table.queue tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
    assert.deepEqual([...rows].sort(), stalled);
    page.check('start page');
    await context.close();
  });
}

// --- 4. the queue at a glance ----------------------------------------------------------

for (const [label, viewport] of [['1366', DESKTOP], ['390', PHONE]]) {
  test(`the queue: open requests by reference and need, ended ones behind the filter, filters on the button only, the role in Danish (${label} px)`, async () => {
    const { context, page } = await openPage(env, viewport);
    await login(env, page, COORD);
    assert.match(await page.locator('#who').textContent(), /Koordinator/);
    assert.doesNotMatch(await page.locator('#who').textContent(), /coordinator/);
    await visit(env, page, '#/queue');
    const open = Number(q(`SELECT count(*) FROM request WHERE centre_id = '${ODENSE}' AND state NOT IN ('closed', 'declined', 'withdrawn')`));
    const rows = page.locator('table.queue tbody tr');
    assert.equal(await rows.count(), open, 'the open requests by default');
    // a portal request by its reference with its needs by name
    const [rid, ref, needs] = q(`SELECT r.id || '|' || r.portal_reference || '|' || string_agg(c.name_da, ', ' ORDER BY c.id)
      FROM request r JOIN request_category rc ON rc.request_id = r.id JOIN category c ON c.id = rc.category_id
      WHERE r.centre_id = '${ODENSE}' AND r.portal_reference IS NOT NULL AND r.state = 'received' GROUP BY r.id ORDER BY r.id LIMIT 1`).split('|');
    const row = page.locator(`tr[data-id="${rid}"]`);
    assert.equal(await row.locator('a.ref').textContent(), ref);
    assert.equal(await row.locator('.need').textContent(), needs);
    assert.equal(await row.locator('.badge').first().textContent(), 'Modtaget');
    await (label === '1366' ? shot(page, 'queue') : shotTop(page, 'queue-phone'));
    await noSideScroll(page, 'queue');
    // arrow keys in a select change nothing until the button is pressed
    const before = await page.evaluate(() => location.hash);
    const state = page.locator('form.queue-filters select[name="state"]');
    await state.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(700);
    assert.equal(await page.evaluate(() => location.hash), before, 'no navigation on arrow keys');
    await state.selectOption('ended');
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => location.hash), before);
    await page.getByRole('button', { name: 'Filtrér' }).click();
    await page.waitForFunction(() => location.hash.includes('state=ended'));
    await settled(page);
    const ended = Number(q(`SELECT count(*) FROM request WHERE centre_id = '${ODENSE}' AND state IN ('closed', 'declined', 'withdrawn')`));
    assert.equal(await page.locator('table.queue tbody tr').count(), ended);
    const states = await page.locator('table.queue tbody tr .badge').allTextContents();
    assert.ok(states.every((s) => ['Afsluttet', 'Afvist', 'Trukket tilbage'].includes(s)), states.join());
    page.check('queue');
    await context.close();
  });
}

// --- 5. referring a citizen to an association --------------------------------------------

for (const [label, viewport] of [['1366', DESKTOP], ['390', PHONE]]) {
  test(`a coordinator refers a citizen to a partner's scheme and sees its status (${label} px)`, async () => {
    const assoc = q("SELECT association_id FROM account WHERE email = 'forening@odense.demo'");
    const id = await requestIn('conversation_held');
    const { context, page } = await openPage(env, viewport);
    await login(env, page, COORD);
    await visit(env, page, `#/requests/${id}`);
    const f = page.locator('form.referral-form');
    await f.getByLabel('Forening').selectOption(assoc);
    await f.locator('.scheme-about').filter({ hasText: /./ }).waitFor();
    assert.match(await f.textContent(), /ikke sagt ja til deling/, 'no consent to share: said so');
    const body = await sent(page, 'POST', /\/referrals$/, 201, () => f.getByRole('button', { name: 'Send henvisning' }).click());
    assert.deepEqual(body, { association_id: assoc }, 'the empty note is left out');
    await settled(page);
    assert.equal(q(`SELECT r.state || ' ' || q.state || ' ' || (r.scheme_note IS NULL) FROM referral r JOIN request q ON q.id = r.request_id WHERE r.request_id = '${id}'`), 'sent referred true');
    const item = page.locator('li.referral-item');
    assert.equal(await item.getByTestId('referral-state').textContent(), 'Sendt');
    assert.equal(await page.getByTestId('request-state').textContent(), 'Henvist');
    // a second referral to the same association is not offered
    assert.equal(await page.locator(`form.referral-form option[value="${assoc}"]`).count(), 0);
    // the association accepts: the request page shows it
    const ref = q(`SELECT id FROM referral WHERE request_id = '${id}'`);
    const acc = await call('forening@odense.demo', 'POST', `/v1/referrals/${ref}/transitions`, { to: 'accepted' });
    assert.equal(acc.status, 200, JSON.stringify(acc.body));
    await page.reload();
    await settled(page);
    assert.equal(await page.locator('li.referral-item').getByTestId('referral-state').textContent(), 'Accepteret');
    assert.match(await page.locator('li.referral-item').textContent(), /besvaret/);
    await (label === '1366' ? shot(page, 'request-referral') : shotTop(page, 'request-referral-phone'));
    await noSideScroll(page, 'request page');
    page.check('referral');
    await context.close();
  });
}

// --- 11. the small things ----------------------------------------------------------------

for (const [label, viewport] of [['1366', DESKTOP], ['390', PHONE]]) {
  test(`logout hidden while logged out, the top suggestion preselected, printing, own password changed (${label} px)`, async () => {
    const { context, page } = await openPage(env, viewport);
    await page.goto(`${env.k.base}/app/`);
    await page.getByLabel('E-mail').waitFor();
    assert.equal(await page.locator('#logout').evaluate((el) => getComputedStyle(el).display), 'none', 'no logout button while logged out');
    await login(env, page, COORD);
    assert.notEqual(await page.locator('#logout').evaluate((el) => getComputedStyle(el).display), 'none');

    // association cards: nothing sticks out of a card
    await visit(env, page, '#/associations');
    const outside = await page.evaluate(() => [...document.querySelectorAll('.card.assoc')].flatMap((card) => {
      const right = card.getBoundingClientRect().right;
      return [...card.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > right + 1).map((el) => `${el.tagName}.${el.className}: ${el.textContent.slice(0, 30)}`);
    }));
    assert.deepEqual(outside, [], 'nothing outside its association card');

    // the course form's association: the top activity suggestion
    const id = await requestIn('conversation_held', { categories: [q("SELECT id FROM category WHERE centre_id IS NULL AND slug = 'strikkeklub'")] });
    const top = (await call(COORD, 'GET', `/v1/requests/${id}/activity-suggestions`)).body.associations[0];
    assert.ok(top, 'an association is suggested');
    await visit(env, page, `#/requests/${id}`);
    assert.equal(await page.locator('form.course-form select[name="association_id"]').inputValue(), top.association_id);

    // printed: no menu, no forms, no buttons; the request's details stay
    await page.emulateMedia({ media: 'print' });
    for (const sel of ['header.top', 'form.course-form', 'button.print']) {
      assert.equal(await page.locator(sel).first().evaluate((el) => getComputedStyle(el).display), 'none', `${sel} not printed`);
    }
    assert.ok(await page.locator('h1').isVisible());
    assert.ok(await page.getByText(/Testborger/).first().isVisible(), 'the citizen is printed');
    const course = q(`SELECT id FROM course WHERE centre_id = '${ODENSE}' AND state = 'active' LIMIT 1`);
    await visit(env, page, `#/courses/${course}`);
    assert.equal(await page.locator('form.visit-form').evaluate((el) => getComputedStyle(el).display), 'none');
    assert.ok(await page.getByTestId('visit-count').isVisible());
    await page.emulateMedia({ media: 'screen' });
    await context.close();

    // own password, from "Min konto" (a guide, and on the phone the analyst,
    // so that the coordinator's sessions live on)
    const who = label === '1366' ? 'guide@odense.demo' : 'analytiker@frise.demo';
    const { context: c2, page: p2 } = await openPage(env, viewport);
    await login(env, p2, who);
    await p2.locator('#who a.account-link').click();
    await p2.waitForFunction(() => location.hash === '#/account');
    await settled(p2);
    const f = p2.locator('form.password-form');
    // the repetition differs: refused before the API is asked
    await f.getByLabel('Nuværende adgangskode').fill(PASSWORD);
    await f.getByLabel('Ny adgangskode', { exact: true }).fill('Ny-kode-til-guiden-1');
    await f.getByLabel('Gentag ny adgangskode').fill('Ny-kode-til-guiden-2');
    await f.getByRole('button', { name: 'Skift adgangskode' }).click();
    await f.locator('[data-error-for="repeat"]').filter({ hasText: /./ }).waitFor();
    // a wrong current password: the API's answer at its field
    p2.allowFailed(/^\/v1\/me\/password$/);
    await f.getByLabel('Nuværende adgangskode').fill('forkert-kodeord');
    await f.getByLabel('Gentag ny adgangskode').fill('Ny-kode-til-guiden-1');
    await answered(p2, 'PUT', /^\/v1\/me\/password$/, 422, () => f.getByRole('button', { name: 'Skift adgangskode' }).click());
    await f.locator('[data-error-for="current_password"]').filter({ hasText: /./ }).waitFor();
    if (label === '1366') await shot(p2, 'account');
    const newPw = `Ny-kode-${label}-guiden`;
    await f.getByLabel('Nuværende adgangskode').fill(PASSWORD);
    await f.getByLabel('Ny adgangskode', { exact: true }).fill(newPw);
    await f.getByLabel('Gentag ny adgangskode').fill(newPw);
    await answered(p2, 'PUT', /^\/v1\/me\/password$/, 204, () => f.getByRole('button', { name: 'Skift adgangskode' }).click());
    await p2.locator('#flash', { hasText: 'Din adgangskode er ændret' }).waitFor();
    const r = await fetch(`${env.k.base}/v1/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: who, password: newPw }) });
    assert.equal(r.status, 201, 'the new password logs in');
    await noSideScroll(p2, 'account');
    p2.check('account');
    await c2.close();
  });
}
