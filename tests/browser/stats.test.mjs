// The statistics page in Chromium at 1366 px and at 390 px: time to first
// contact per quarter with a sentence in Danish numbers, courses and
// outcomes, WHO-5 at start and end as dots with the sentence that explains
// them, periods as "4. kvt. 2026", CSV buttons in Danish that download the
// API's CSV, and the analyst's split by centre (a coordinator has none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setup, openPage, login, visit, shot, DESKTOP, PHONE } from './_people_harness.mjs';
import { pageChecks } from './_checks.mjs';

const env = setup();

// The API's answer as the page's user (the token in sessionStorage).
const apiGet = (page, path) => page.evaluate(async (p) => {
  const res = await fetch(p, { headers: { Authorization: `Bearer ${sessionStorage.getItem('kompas.token')}` } });
  return res.json();
}, path);
const da = (n, d = 1) => n.toLocaleString('da-DK', { maximumFractionDigits: d });
const value = (rows, where) => rows.find((r) => Object.entries(where).every(([k, v]) => r[k] === v));

for (const [wname, viewport] of [['1366', DESKTOP], ['390', PHONE]]) {
  test(`a coordinator's statistics at ${wname} px: first contact, courses, WHO-5 dots, Danish periods and CSV`, async () => {
    const { context, page } = await openPage(env, viewport);
    await login(env, page, 'koordinator@odense.demo');
    await visit(env, page, '#/stats');
    const funnel = await apiGet(page, '/v1/stats/funnel');
    const median = value(funnel.rows, { source: null, measure: 'days_to_first_contact_median' });
    const p90 = value(funnel.rows, { source: null, measure: 'days_to_first_contact_p90' });
    assert.ok(median && !median.suppressed && median.value > 0, 'the demo has a median time to first contact');
    assert.equal(await page.getByTestId('first-contact-summary').textContent(),
      `Halvdelen af borgerne blev kontaktet inden for ${da(median.value)} dage efter deres anmodning, og 90 % inden for ${da(p90.value)} dage.`);
    // the quarters in Danish, in the charts and nowhere as 2026-Q4
    const labels = await page.locator('svg.chart.bars-grouped text.label').allTextContents();
    assert.ok(labels.length >= 2, `quarters of first contact: ${labels}`);
    for (const l of labels) assert.match(l, /^[1-4]\. kvt\. 20\d\d$/);
    const dotLabels = await page.locator('svg.chart.dots text.label').allTextContents();
    assert.equal(dotLabels[0], 'Hele perioden');
    assert.ok(dotLabels.length >= 2 && dotLabels.slice(1).every((l) => /^[1-4]\. kvt\. 20\d\d$/.test(l)), `WHO-5 quarters: ${dotLabels}`);
    const text = await page.locator('main').innerText();
    assert.doesNotMatch(text, /20\d\d-Q\d/);
    // the dots: a dot per shown mean, and the sentence that says what they are
    const outcomes = await apiGet(page, '/v1/stats/outcomes');
    const shownMeans = outcomes.rows.filter((r) => r.instrument === 'who5' && /^mean_(baseline|course_end|follow_up)$/.test(r.measure) && !r.suppressed).length;
    assert.ok(shownMeans >= 1, 'the demo shows a WHO-5 mean');
    assert.ok(await page.locator('svg.chart.dots circle.dot').count() >= shownMeans);
    assert.match(await page.getByTestId('dots-explained').textContent(), /^Hver prik er gennemsnittet af borgernes WHO-5-trivselsscore \(0 til 100, højere er bedre\)/);
    assert.match(await page.getByTestId('who5-change').textContent(), /^(Fra start til slut ændrede trivslen sig i gennemsnit [+-]?\d+(,\d)? point for de \d+ borgere|For få borgere)/);
    // courses and outcomes by their Danish names
    const outcomeLabels = await page.locator('svg.chart.outcomes text.label').allTextContents();
    assert.deepEqual(outcomeLabels, ['Fortsætter selv', 'Fortsætter med støtte', 'Henvist videre', 'Stoppet']);
    assert.match(await page.getByTestId('visits-mean').textContent(), /^(Et afsluttet forløb havde i gennemsnit \d+(,\d)? besøg|For få)/);
    // CSV buttons in Danish; one downloads the API's CSV
    const buttons = await page.locator('button.csv').allTextContents();
    assert.ok(buttons.length >= 5);
    for (const b of buttons) assert.match(b, /^Hent som CSV: [a-zæøå. ]+$/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-csv="courses"]').click()]);
    assert.equal(download.suggestedFilename(), 'kompas-courses.csv');
    const csv = fs.readFileSync(await download.path(), 'utf8');
    assert.match(csv, /^period,centre_id,centre_slug,category,measure,value,suppressed,reason\r\n/);
    // how the citizens heard of the offer and how the volunteers were
    // recruited: Danish names, the API's (rounded) numbers or "skjult"
    const heard = await apiGet(page, '/v1/stats/funnel?group_by=heard_from');
    const channels = ['socialkompas', 'municipal_staff', 'relative', 'local_paper', 'association', 'other', 'not_given'];
    assert.deepEqual(await page.locator('svg.chart.heard-from text.label').allTextContents(),
      ['Socialkompas', 'Kommunens medarbejdere', 'Pårørende', 'Lokalavisen', 'En forening', 'Andet', 'Ikke oplyst']);
    const shown = channels.map((c) => {
      const r = value(heard.rows, { heard_from: c, measure: 'received' });
      return r && !r.suppressed ? String(r.value) : 'skjult';
    });
    assert.deepEqual(await page.locator('svg.chart.heard-from text.value').allTextContents(), shown);
    assert.ok(shown.some((v) => /^\d+$/.test(v) && Number(v) % 5 === 0), `a channel with a count, rounded to 5: ${shown}`);
    assert.deepEqual(await page.locator('svg.chart.recruited text.label').allTextContents(),
      ['Socialkompas', 'En forening', 'Mund til mund', 'Lokalavisen', 'Et arrangement', 'Andet']);
    assert.match(await page.getByTestId('stats-rounding').textContent(), /rundet ned til et multiplum af 5/);
    // a coordinator sees their own centre only
    assert.equal(await page.locator('table.by-centre').count(), 0);
    await shot(page, `stats-coordinator-${wname}`);
    await pageChecks(page, `stats at ${wname}`);
    page.check('coordinator stats');
    await context.close();
  });

  test(`the analyst sees the split by centre at ${wname} px`, async () => {
    const { context, page } = await openPage(env, viewport);
    await login(env, page, 'analytiker@frise.demo');
    await visit(env, page, '#/stats');
    const rows = page.locator('table.by-centre tbody tr');
    assert.equal(await rows.count(), 2);
    assert.deepEqual(await page.locator('table.by-centre tbody th').allTextContents(), ['Frivilligcenter Odense', 'Frivilligcenter Silkeborg']);
    const byCentre = await apiGet(page, '/v1/stats/funnel?group_by=centre');
    const odense = byCentre.rows.find((r) => r.centre_slug === 'odense' && r.source === null && r.measure === 'received');
    const cells = await rows.first().locator('td').allTextContents();
    assert.equal(cells[0], odense.suppressed ? 'skjult' : da(odense.value, 0));
    assert.match(cells[1], /^(\d+(,\d)? dage|skjult)$/);
    if (wname === '390') {
      // a card per centre, each cell with its column name
      assert.equal(await rows.first().locator('td').first().evaluate((td) => getComputedStyle(td, '::before').content), '"Anmodninger"');
    }
    await shot(page, `stats-analyst-${wname}`);
    await pageChecks(page, `analyst stats at ${wname}`);
    page.check('analyst stats');
    await context.close();
  });
}
