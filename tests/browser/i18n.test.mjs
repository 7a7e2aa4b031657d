// The client's names for the API's values (clients/web/js/i18n-enums.js):
// every enum of docs/openapi.yaml that the client shows has a Danish and an
// English name for each of its values, every problem code of the central
// table (lib/errors.c) has a Danish and an English text, and every language
// code has a Danish name. An enum added to the API fails here until it is
// either named or listed below as never shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../api/harness.mjs';
import { openapiEnums } from './_checks.mjs';

// The module is plain browser JavaScript; a copy named .mjs loads in Node.
async function loadEnums() {
  const dir = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'i18n-'));
  const file = path.join(dir, 'i18n-enums.mjs');
  fs.copyFileSync(path.join(ROOT, 'clients/web/js/i18n-enums.js'), file);
  try {
    return await import(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Where each enum of the OpenAPI document (by its path there) gets its names.
const KINDS = [
  [/^(Role|AccountRole|ApiKeyRole|Visit\.recorded_by_role|Measurement\.recorded_by_role)$/, 'Role'],
  [/^Source$|\/v1\/stats\/funnel.*\.rows\.items\.source$/, 'Source'],
  [/^ContactPreference$/, 'ContactPreference'],
  [/^HeardFrom$|\/v1\/stats\/funnel.*\.rows\.items\.heard_from$/, 'HeardFrom'],
  [/^RequestState$|^Worklists\.awaiting_first_contact\.items\.state$/, 'RequestState'],
  [/^(CitizenStatus|WebhookPayload\.status)$/, 'CitizenStatus'],
  [/^CloseReason$/, 'CloseReason'],
  [/^ConsentPurpose$/, 'ConsentPurpose'],
  [/^RequestEvent\.kind$/, 'RequestEventKind'],
  [/^RequestEvent\.actor\.kind$/, 'ActorKind'],
  [/^ConversationNextStep$/, 'ConversationNextStep'],
  [/\.instrument$/, 'Instrument'],
  [/\.timepoint$/, 'Timepoint'],
  [/^(Measurement|MeasurementCreate|SubjectAccessExport\.measurements\.items)\.mode$/, 'MeasurementMode'],
  [/^Worklists\.expiring_checks\.items\.what$/, 'WorklistWhat'],
  [/^(VolunteerStatus|VolunteerCreate\.allOf\[1\]\.status)$/, 'VolunteerStatus'],
  [/^RecruitedVia$/, 'RecruitedVia'],
  [/^TrainingModule$/, 'TrainingModule'],
  [/^VolunteerInterest\.kind$/, 'VolunteerInterestKind'],
  [/^VolunteerRecordCheck(Create)?\.kind$/, 'RecordCheckKind'],
  [/^VolunteerRecordCheck(Create)?\.outcome$/, 'RecordCheckOutcome'],
  [/^CourseState$|^Worklists\.courses_without_visits\.items\.state$/, 'CourseState'],
  [/^CourseOutcome$/, 'CourseOutcome'],
  [/^FollowUpResult$/, 'FollowUpResult'],
  [/^(ReferralState|ReferralTransition\.to)$/, 'ReferralState'],
  [/^(CategoryKind|EventCategory\.kind)$/, 'CategoryKind'],
  [/^EventKind$/, 'EventKind'],
  [/^MailKind$/, 'MailKind'],
  [/^EventSeries(Create)?\.frequency$/, 'SeriesFrequency'],
  [/guide-suggestions.*\.excluded\.items\.rule$/, 'ExcludedRule'],
  [/\/v1\/stats\/.*\.filters\.group_by\.items$/, 'GroupBy'],
  [/\/v1\/stats\/funnel.*\.rows\.items\.measure$/, 'FunnelMeasure'],
  [/\/v1\/stats\/outcomes.*\.rows\.items\.measure$/, 'OutcomeMeasure'],
  [/\/v1\/stats\/courses.*\.rows\.items\.category$/, 'CourseStatsCategory'],
  [/\/v1\/stats\/courses.*\.rows\.items\.measure$/, 'CourseMeasure'],
  [/\/v1\/stats\/volunteers.*\.rows\.items\.category$/, 'VolunteerStatsCategory'],
  [/\/v1\/stats\/volunteers.*\.rows\.items\.measure$/, 'VolunteerMeasure'],
  [/\/v1\/stats\/associations.*\.rows\.items\.measure$/, 'AssociationMeasure'],
  [/\/v1\/stats\/.*\.rows\.items\.reason$/, 'SuppressionReason'],
];

// Enums the client never shows as text, and why.
const NOT_SHOWN = [
  [/\/v1\/stats\/.*\.parameters\[\d+\]\.schema$/, 'format=json|csv: the CSV buttons ask for it'],
  [/guide-suggestions\.get\.parameters/, 'explain=excluded: a query parameter the client sends'],
  [/\/v1\/hsds\//, 'the public HSDS feed: read by other systems, never by this client'],
  [/webhook|Webhook/, 'webhooks: administered through the API only'],
  [/^MailKind$/, 'mail kinds: the settings name each kind in a sentence of their own (notifications.js)'],
  [/^(ProblemCode|FieldErrorCode)$|\.content\.application\/problem\+json\./, 'problem codes: checked against lib/errors.c below'],
  [/^SubjectAccessExport\./, 'the subject access export is a downloaded JSON file, never shown'],
  [/\/v1\/stats\/.*(\.rounding|Kompas-Stats-Truncated\.schema)$/, 'metadata of the answer (rounding, truncation): not shown by the client yet'],
  [/^AgeBand$/, 'age bands are shown as they are ("65-79")'],
  [/^Language$/, 'languages: named by Intl.DisplayNames, checked below'],
  [/\/v1\/stats\/associations.*\.rows\.items\.category$/, 'always null'],
];

test('every enum value of the API that the client shows has a Danish and an English name', async () => {
  const { ENUMS, FLAT_ORDER } = await loadEnums();
  const missing = [];
  let checked = 0;
  for (const [where, values] of openapiEnums()) {
    const kind = KINDS.find(([re]) => re.test(where))?.[1];
    if (!kind) {
      if (!NOT_SHOWN.some(([re]) => re.test(where))) missing.push(`${where}: neither named in i18n-enums.js nor listed as not shown`);
      continue;
    }
    for (const v of values) {
      checked++;
      for (const lang of ['da', 'en']) {
        const name = ENUMS[lang][kind]?.[v];
        if (typeof name !== 'string' || !name.trim()) missing.push(`${where} (${kind}): no ${lang} name for "${v}"`);
        else if (/_/.test(name) || (name === v && lang === 'da')) missing.push(`${where} (${kind}): the ${lang} name of "${v}" is the raw value`);
      }
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(checked > 250, `${checked} values checked`);
  for (const k of FLAT_ORDER) assert.ok(ENUMS.da[k] && ENUMS.en[k], `FLAT_ORDER names ${k}`);
  // a Danish name is never the same as another kind's name for a different value
  // in the same kind (no two values of one kind look alike)
  for (const [kind, names] of Object.entries(ENUMS.da)) {
    const seen = new Map();
    for (const [v, n] of Object.entries(names)) {
      assert.ok(!seen.has(n), `${kind}: "${v}" and "${seen.get(n)}" are both called "${n}"`);
      seen.set(n, v);
    }
  }
});

test('every problem code of lib/errors.c has a Danish and an English text in the client', async () => {
  const { PROBLEMS } = await loadEnums();
  const src = fs.readFileSync(path.join(ROOT, 'lib/errors.c'), 'utf8');
  const codes = [...src.matchAll(/\{ERR_\w+,\s*"([a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(codes.length >= 30, `the table of lib/errors.c parsed (${codes.length} codes)`);
  for (const code of codes) {
    for (const lang of ['da', 'en']) assert.ok(typeof PROBLEMS[lang][code] === 'string' && PROBLEMS[lang][code].length > 5, `${lang} text for ${code}`);
  }
  assert.deepEqual(Object.keys(PROBLEMS.da).sort(), [...codes].sort(), 'no text for a code that is not in the table');
  assert.deepEqual(Object.keys(PROBLEMS.en).sort(), [...codes].sort());
});

test('every language code of the API has a Danish name', () => {
  const langs = openapiEnums().get('Language');
  assert.ok(langs.length >= 20);
  const names = new Intl.DisplayNames(['da'], { type: 'language' });
  for (const code of langs) {
    const name = names.of(code);
    assert.ok(name && name !== code && /^[a-zæøå]/.test(name), `${code}: ${name}`);
  }
  assert.equal(names.of('ar'), 'arabisk');
});

// i18n.js with its dictionaries, loaded in Node: the modules copied into a
// folder of ES modules, localStorage stood in for.
async function loadTexts() {
  const dir = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'i18n-'));
  for (const f of ['i18n.js', 'i18n-enums.js', 'i18n-people.js', 'i18n-coord.js']) fs.copyFileSync(path.join(ROOT, 'clients/web/js', f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}');
  globalThis.localStorage ??= { getItem: () => null, setItem: () => {} };
  try {
    const [m, people, coord] = await Promise.all(['i18n.js', 'i18n-people.js', 'i18n-coord.js'].map((f) => import(path.join(dir, f))));
    const src = fs.readFileSync(path.join(ROOT, 'clients/web/js/i18n.js'), 'utf8');
    // i18n.js's own dictionaries are not exported: its keys from the source
    const own = new Set([...src.matchAll(/'([a-z0-9_]+\.[a-z0-9_.]+)':/g)].map((x) => x[1]));
    return { t: m.t, keys: new Set([...own, ...Object.keys(people.da), ...Object.keys(coord.da), ...Object.keys(people.en), ...Object.keys(coord.en)]) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a count of one reads in the singular ("1 opfølgning forfalder", never "1 opfølgninger")', async () => {
  const { t, keys } = await loadTexts();
  assert.equal(t('home.follow_ups_due', { n: 1 }), 'opfølgning forfalder');
  assert.equal(t('home.follow_ups_due', { n: 3 }), 'opfølgninger forfalder');
  assert.equal(t('stats.days', { n: '1' }), '1 dag');
  assert.equal(t('stats.days', { n: '1,5' }), '1,5 dage');
  assert.equal(t('ev.every_weeks', { n: 1 }), 'Hver uge');
  assert.equal(t('ev.every_weeks', { n: 2 }), 'Hver 2. uge');
  // every text with a count before a plural word ("{n} dage", "{n}
  // anmodninger") has its singular, and the work-list headings shown after
  // their count too; a singular belongs to a text that exists
  const plural = /\{n\} (?!mere\b)[a-zæøå]+(er|e|ene)\b/;
  const missing = [];
  for (const key of keys) {
    if (key.endsWith('_one')) {
      if (!keys.has(key.slice(0, -4))) missing.push(`${key}: no ${key.slice(0, -4)}`);
      continue;
    }
    const text = t(key);
    if (plural.test(text) && t(`${key}_one`, {}) === `${key}_one`) missing.push(`${key}: "${text}" has no singular ${key}_one`);
  }
  for (const key of ['follow_ups_due', 'expiring_checks', 'stale_association_capacity']) {
    if (!keys.has(`home.${key}_one`)) missing.push(`home.${key}: no singular`);
  }
  assert.deepEqual(missing, []);
});
