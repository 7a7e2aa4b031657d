// Feeds: the iCalendar feed of a centre's public events (GET /v1/events.ics),
// parsed back with a small RFC 5545 reader (unfolding, properties,
// parameters, text unescaping), and the HSDS 3.0 export of associations
// and their activities (GET /v1/hsds/organizations, /v1/hsds/services),
// validated with ajv against the HSDS 3.0 schemas in ../shared/hsds-3.0/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startKompasd, expectProblem, psql, ROOT } from './harness.mjs';
import { uniq, createCentre, createAccount, login, call } from './fixtures.mjs';

const DAY = 24 * 3600 * 1000;

let k;
const C = {}; // the centre whose feed is read
const D = {}; // another centre: none of its events may appear

const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const dateOf = (d) => d.toISOString().slice(0, 10);

async function freshCentre(X) {
  Object.assign(X, createCentre(uniq('feed')));
  X.token = await login(k, createAccount('coordinator', X.id).email);
}
function createCategory(centreId, nameDa) {
  const id = randomUUID();
  psql(`INSERT INTO category (id, centre_id, kind, slug, name_da, name_en)
        VALUES ('${id}', '${centreId}', 'activity', '${uniq('kat')}', '${nameDa}', '${nameDa} (en)')`);
  return id;
}
async function createEvent(X, body) {
  const start = body.starts_at;
  const res = await call(k, 'POST', '/v1/events', {
    token: X.token,
    body: { kind: 'activity', ends_at: iso(new Date(Date.parse(start) + 90 * 60 * 1000)), ...body },
  });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

// --- a small iCalendar reader ---------------------------------------------------

// The physical lines (without CRLF), checking every one ends with CRLF.
function physicalLines(text) {
  assert.ok(text.endsWith('\r\n'), 'the feed ends with CRLF');
  const lines = text.slice(0, -2).split('\r\n');
  for (const l of lines) assert.ok(!l.includes('\n') && !l.includes('\r'), `no bare line break in ${JSON.stringify(l)}`);
  return lines;
}
// Unfold: a line starting with a space or tab continues the previous one.
function unfold(lines) {
  const out = [];
  for (const l of lines) {
    if ((l.startsWith(' ') || l.startsWith('\t')) && out.length) out[out.length - 1] += l.slice(1);
    else out.push(l);
  }
  return out;
}
// "NAME;P=V;Q=W:value" -> { name, params, value }
function property(line) {
  let i = 0;
  let quoted = false;
  for (; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ':' && !quoted) break;
  }
  const [name, ...ps] = line.slice(0, i).split(';');
  const params = Object.fromEntries(ps.map((p) => p.split('=')));
  return { name: name.toUpperCase(), params, value: line.slice(i + 1) };
}
// Split a TEXT list on unescaped commas, then unescape each value.
function textValues(v) {
  const out = [''];
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\' && i + 1 < v.length) {
      const c = v[++i];
      out[out.length - 1] += c === 'n' || c === 'N' ? '\n' : c;
    } else if (v[i] === ',') out.push('');
    else out[out.length - 1] += v[i];
  }
  return out;
}
const text = (v) => {
  const vs = textValues(v);
  assert.equal(vs.length, 1, `one TEXT value in ${v}`);
  return vs[0];
};
// The components as a tree: { name, props: [{name, params, value}], children }
function parseIcs(body) {
  const lines = unfold(physicalLines(body));
  const root = { name: 'ROOT', props: [], children: [] };
  const stack = [root];
  for (const l of lines) {
    const p = property(l);
    if (p.name === 'BEGIN') {
      const c = { name: p.value, props: [], children: [] };
      stack[stack.length - 1].children.push(c);
      stack.push(c);
    } else if (p.name === 'END') {
      assert.equal(stack.pop().name, p.value, `END:${p.value} closes its BEGIN`);
    } else stack[stack.length - 1].props.push(p);
  }
  assert.equal(stack.length, 1, 'every BEGIN is closed');
  assert.equal(root.children.length, 1);
  return root.children[0];
}
const prop = (c, name) => c.props.find((p) => p.name === name);
const props = (c, name) => c.props.filter((p) => p.name === name);

async function feed(query) {
  const res = await k.fetch(`/v1/events.ics?${query}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/calendar; charset=utf-8');
  const body = await res.text();
  return { body, cal: parseIcs(body) };
}
const vevents = (cal) => cal.children.filter((c) => c.name === 'VEVENT');

// The next change of daylight-saving time (last Sunday of March or of
// October, at 01:00 UTC) at least 20 days ahead, and the UTC offset in hours
// before it.
function nextDstChange() {
  const lastSunday = (y, m) => {
    const d = new Date(Date.UTC(y, m + 1, 0, 1));
    while (d.getUTCDay() !== 0) d.setUTCDate(d.getUTCDate() - 1);
    return d;
  };
  const soon = Date.now() + 20 * DAY;
  const year = new Date().getUTCFullYear();
  const candidates = [year, year + 1].flatMap((y) => [[lastSunday(y, 2), 1], [lastSunday(y, 9), 2]]);
  const [at, before] = candidates.find(([d]) => d.getTime() > soon);
  return { at, before };
}

before(async () => {
  k = await startKompasd();
  await freshCentre(C);
  await freshCentre(D);
});
after(async () => {
  const { code } = await k.stop();
  assert.equal(code, 0, 'kompasd exits 0 on SIGTERM');
});

// --- iCalendar ----------------------------------------------------------------

test('GET /v1/events.ics: a VCALENDAR with a Copenhagen VTIMEZONE; public, centre required', async () => {
  const { cal } = await feed(`centre=${C.slug}`);
  assert.equal(cal.name, 'VCALENDAR');
  assert.equal(prop(cal, 'VERSION').value, '2.0');
  assert.match(prop(cal, 'PRODID').value, /Kompas/);
  assert.equal(prop(cal, 'CALSCALE').value, 'GREGORIAN');
  const tz = cal.children.find((c) => c.name === 'VTIMEZONE');
  assert.ok(tz, 'a VTIMEZONE');
  assert.equal(prop(tz, 'TZID').value, 'Europe/Copenhagen');
  const daylight = tz.children.find((c) => c.name === 'DAYLIGHT');
  const standard = tz.children.find((c) => c.name === 'STANDARD');
  assert.equal(prop(daylight, 'TZOFFSETTO').value, '+0200');
  assert.equal(prop(daylight, 'RRULE').value, 'FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU');
  assert.equal(prop(standard, 'TZOFFSETTO').value, '+0100');
  assert.equal(prop(standard, 'RRULE').value, 'FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU');
  // by id as well as by slug; an unknown centre is 404; centre is required
  assert.equal((await k.fetch(`/v1/events.ics?centre=${C.id}`)).status, 200);
  await expectProblem(assert, await k.fetch('/v1/events.ics?centre=no-such-centre'), 404, 'not_found');
  await expectProblem(assert, await k.fetch('/v1/events.ics'), 422, 'validation_failed');
  await expectProblem(assert, await k.fetch(`/v1/events.ics?centre=${C.slug}&from=yesterday`), 422, 'validation_failed');
});

test('one VEVENT per occurrence with UID and DTSTAMP; local times across a DST change', async () => {
  const { at, before: offBefore } = nextDstChange();
  const first = new Date(at.getTime() - 13 * DAY); // the Monday two weeks before
  const day = dateOf(first);
  const sign = `+0${offBefore}:00`;
  const res = await call(k, 'POST', '/v1/event-series', {
    token: C.token,
    body: {
      kind: 'activity', title: 'Gåtur i skoven', starts_at: `${day}T10:00:00${sign}`,
      ends_at: `${day}T11:30:00${sign}`, frequency: 'weekly', count: 4,
    },
  });
  assert.equal(res.status, 201, await res.clone().text());
  const s = await res.json();
  const last = dateOf(new Date(first.getTime() + 3 * 7 * DAY));
  const { cal } = await feed(`centre=${C.slug}&from=${day}&to=${last}`);
  const evs = vevents(cal).filter((e) => s.occurrences.some((o) => prop(e, 'UID').value === `${o.id}@kompas`));
  assert.equal(evs.length, 4, 'four occurrences');
  for (const e of vevents(cal)) {
    assert.match(prop(e, 'UID').value, /^[0-9a-f-]{36}@kompas$/);
    assert.match(prop(e, 'DTSTAMP').value, /^\d{8}T\d{6}Z$/);
  }
  evs.forEach((e, i) => {
    const date = dateOf(new Date(first.getTime() + i * 7 * DAY)).replaceAll('-', '');
    const start = prop(e, 'DTSTART');
    assert.equal(start.params.TZID, 'Europe/Copenhagen');
    assert.equal(start.value, `${date}T100000`, `occurrence ${i}: 10:00 local`);
    assert.equal(prop(e, 'DTEND').params.TZID, 'Europe/Copenhagen');
    assert.equal(prop(e, 'DTEND').value, `${date}T113000`);
    assert.equal(text(prop(e, 'SUMMARY').value), 'Gåtur i skoven');
    assert.equal(prop(e, 'STATUS').value, 'CONFIRMED');
  });
  // the UTC times differ across the change: 10:00 local is two UTC hours
  assert.deepEqual([...new Set(s.occurrences.map((o) => o.starts_at.slice(11, 13)))].sort(),
    ['08', '09']);
  // UIDs are stable
  const again = await feed(`centre=${C.slug}&from=${day}&to=${last}`);
  assert.deepEqual(vevents(again.cal).map((e) => prop(e, 'UID').value), vevents(cal).map((e) => prop(e, 'UID').value));
});

test('escaping, folding at 75 octets, cancelled occurrences, categories; another centre not included', async () => {
  const cat = createCategory(C.id, 'Gåtur, kaffe; hygge');
  const start = new Date(Date.now() + 3 * DAY);
  start.setUTCHours(9, 0, 0, 0);
  const title = 'Kaffe, kage; og \\ sang';
  const description = `Første linje med æøå\nAnden linje; med komma, semikolon og ${'ø'.repeat(60)} slut`;
  const e = await createEvent(C, {
    title, description, starts_at: iso(start), address: 'Nørregade 1, 2. sal', postal_code: '5000',
    online_url: 'https://example.org/moede?id=1;s=2', category_ids: [cat],
  });
  const cancelled = await createEvent(C, { title: 'Aflyst møde', starts_at: iso(new Date(start.getTime() + DAY)) });
  const r = await call(k, 'PATCH', `/v1/events/${cancelled.id}`, {
    token: C.token, body: { cancelled: true }, headers: { 'If-Match': '"1"' },
  });
  assert.equal(r.status, 200, await r.clone().text());
  const other = await createEvent(D, { title: 'Hos D', starts_at: iso(start) });

  const { body, cal } = await feed(`centre=${C.slug}`);
  for (const l of physicalLines(body)) assert.ok(Buffer.byteLength(l, 'utf8') <= 75, `at most 75 octets: ${l}`);
  assert.ok(body.split('\r\n').some((l) => l.startsWith(' ')), 'a long line was folded');
  assert.ok(!body.includes('\uFFFD'), 'folding keeps UTF-8 sequences whole');
  const byUid = (id) => vevents(cal).find((v) => prop(v, 'UID').value === `${id}@kompas`);
  const v = byUid(e.id);
  assert.ok(v, 'the event is in the feed');
  assert.match(prop(v, 'SUMMARY').value, /^Kaffe\\, kage\\; og \\\\ sang$/);
  assert.equal(text(prop(v, 'SUMMARY').value), title);
  assert.ok(text(prop(v, 'DESCRIPTION').value).startsWith(description), 'description round-trips');
  assert.ok(prop(v, 'DESCRIPTION').value.includes('æøå\\nAnden linje\\; med komma\\,'), 'newline, ; and , escaped');
  assert.equal(text(prop(v, 'LOCATION').value), 'Nørregade 1, 2. sal, 5000');
  assert.equal(prop(v, 'URL').value, 'https://example.org/moede?id=1;s=2');
  assert.deepEqual(textValues(prop(v, 'CATEGORIES').value), ['Gåtur, kaffe; hygge']);
  assert.equal(prop(v, 'STATUS').value, 'CONFIRMED');
  const c = byUid(cancelled.id);
  assert.ok(c, 'a cancelled occurrence stays in the feed');
  assert.equal(prop(c, 'STATUS').value, 'CANCELLED');
  assert.equal(byUid(other.id), undefined, 'not another centre\'s event');
  for (const x of vevents(cal)) {
    assert.equal(props(x, 'UID').length, 1);
    assert.equal(props(x, 'DTSTAMP').length, 1);
  }
  // D's feed has its own event only
  const d = await feed(`centre=${D.slug}`);
  assert.deepEqual(vevents(d.cal).map((x) => prop(x, 'UID').value), [`${other.id}@kompas`]);
});

test('the feed is cacheable: the same events give the same bytes and ETag; If-None-Match answers 304', async () => {
  const X = {};
  await freshCentre(X);
  const start = new Date(Date.now() + 5 * DAY);
  const e = await createEvent(X, { title: 'Strikkecafé', starts_at: iso(start) });
  const url = `/v1/events.ics?centre=${X.slug}`;
  const a = await k.fetch(url);
  assert.equal(a.status, 200);
  const etag = a.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  assert.equal(a.headers.get('cache-control'), 'public, max-age=300');
  const body = await a.text();
  // DTSTAMP is when the event was last changed, not the time of the request
  const stamp = psql(`SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') FROM event WHERE id = '${e.id}'`);
  const ev = vevents(parseIcs(body)).find((v) => prop(v, 'UID').value === `${e.id}@kompas`);
  assert.equal(prop(ev, 'DTSTAMP').value, stamp);
  psql(`UPDATE event SET updated_at = updated_at - interval '1 day' WHERE id = '${e.id}'`);
  psql(`UPDATE event SET updated_at = updated_at + interval '1 day' WHERE id = '${e.id}'`);
  const b = await k.fetch(url);
  assert.equal(await b.text(), body, 'byte for byte the same');
  assert.equal(b.headers.get('etag'), etag);

  const notModified = await k.fetch(url, { headers: { 'If-None-Match': etag } });
  assert.equal(notModified.status, 304);
  assert.equal(await notModified.text(), '');
  assert.equal(notModified.headers.get('etag'), etag);
  assert.equal(notModified.headers.get('cache-control'), 'public, max-age=300');
  assert.equal((await k.fetch(url, { headers: { 'If-None-Match': '"0123"' } })).status, 200);

  const r = await call(k, 'PATCH', `/v1/events/${e.id}`, {
    token: X.token, body: { title: 'Strikkecafé og kaffe' }, headers: { 'If-Match': '"1"' },
  });
  assert.equal(r.status, 200, await r.clone().text());
  const c = await k.fetch(url, { headers: { 'If-None-Match': etag } });
  assert.equal(c.status, 200, 'changed: the whole feed again');
  assert.notEqual(c.headers.get('etag'), etag);
  assert.match(await c.text(), /SUMMARY:Strikkecafé og kaffe/);
});

test('bounded: by default from today to 180 days ahead; limit and filters apply', async () => {
  const X = {};
  await freshCentre(X);
  const at = (days) => {
    const d = new Date(Date.now() + days * DAY);
    d.setUTCHours(11, 0, 0, 0);
    return iso(d);
  };
  const past = await createEvent(X, { title: 'Forbi', starts_at: at(-3) });
  const soon = await createEvent(X, { title: 'Snart', starts_at: at(2), postal_code: '8000' });
  const later = await createEvent(X, { title: 'Senere', starts_at: at(100) });
  const far = await createEvent(X, { title: 'Langt ude', starts_at: at(200) });
  const uids = async (q) => vevents((await feed(`centre=${X.slug}${q}`)).cal).map((v) => prop(v, 'UID').value);
  assert.deepEqual(await uids(''), [`${soon.id}@kompas`, `${later.id}@kompas`]);
  assert.deepEqual(await uids(`&from=${at(-10).slice(0, 10)}&to=${at(300).slice(0, 10)}`),
    [past, soon, later, far].map((e) => `${e.id}@kompas`));
  assert.deepEqual(await uids('&limit=1'), [`${soon.id}@kompas`]);
  assert.deepEqual(await uids('&postal_code=8000'), [`${soon.id}@kompas`]);
  assert.deepEqual(await uids('&kind=info_meeting'), []);
  assert.deepEqual(await uids(`&to=${encodeURIComponent(at(2))}`), [`${soon.id}@kompas`], 'to as a date-time, inclusive');
  assert.deepEqual(await uids(`&from=${encodeURIComponent(at(2))}&to=${at(150).slice(0, 10)}`), [soon, later].map((e) => `${e.id}@kompas`));
  await expectProblem(assert, await k.fetch(`/v1/events.ics?centre=${X.slug}&limit=1001`), 422, 'validation_failed');
});

// --- HSDS 3.0 -------------------------------------------------------------------

const HSDS_DIR = path.resolve(ROOT, '../shared/hsds-3.0');
const HSDS_FILES = ['compiled-organization_list.json', 'compiled-organization.json',
  'compiled-service_list.json', 'compiled-service.json'];
const hsdsMissing = HSDS_FILES.filter((f) => !existsSync(path.join(HSDS_DIR, f)));
const HSDS_SKIP = hsdsMissing.length
  ? `the HSDS 3.0 schemas are absent (${hsdsMissing.join(', ')} not in ${HSDS_DIR}): HSDS validation skipped`
  : false;
if (HSDS_SKIP) console.log(`# ${HSDS_SKIP}`);

// The validators of the HSDS schemas, by file name.
function hsdsValidators() {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  return Object.fromEntries(HSDS_FILES.map((f) => [f, ajv.compile(JSON.parse(readFileSync(path.join(HSDS_DIR, f), 'utf8')))]));
}
function assertValid(validate, item, what) {
  assert.ok(validate(item), `${what}: ${JSON.stringify(validate.errors)}`);
}
const hsds = async (p) => {
  const res = await k.fetch(p);
  assert.equal(res.status, 200, p);
  return res.json();
};

// A centre with three associations (two with activity categories and
// series), and another centre with one.
const H = {};
const HB = {};
async function hsdsWorld() {
  if (H.id) return;
  await freshCentre(H);
  await freshCentre(HB);
  const cat = (centreId, kind, nameDa) => {
    const id = randomUUID();
    psql(`INSERT INTO category (id, centre_id, kind, slug, name_da, name_en)
          VALUES ('${id}', '${centreId}', '${kind}', '${uniq('k')}', '${nameDa}', '${nameDa} (en)')`);
    return id;
  };
  const assoc = (centreId, name, extra = '', values = '', categories = []) => {
    const id = randomUUID();
    psql(`INSERT INTO association (id, centre_id, name${extra}) VALUES ('${id}', '${centreId}', '${name}'${values})`);
    for (const c of categories) psql(`INSERT INTO association_category VALUES ('${id}', '${c}')`);
    return id;
  };
  H.walk = cat(H.id, 'activity', 'Gåtur');
  H.knit = cat(H.id, 'activity', 'Strik');
  H.elderly = cat(H.id, 'target_group', 'Ældre');
  H.a1 = assoc(H.id, 'Aa Gåklubben',
    ', description, address, postal_code, latitude, longitude, website, contact_name, contact_email, contact_phone, is_member, scheme_how_to_refer, welcome_contact_email',
    `, 'Vi går ture.', 'Munke Mose', '5000', 55.39, 10.38, 'https://gaa.example.org', 'Hemmelig Person', 'hemmelig@example.org', '12345678', true, 'Intern henvisning', 'velkomst@example.org'`,
    [H.walk, H.elderly]);
  H.a2 = assoc(H.id, 'Bb Strikkeklubben', '', '', [H.knit]);
  H.a3 = assoc(H.id, 'Cc Uden aktiviteter');
  HB.walk = cat(HB.id, 'activity', 'Gåtur');
  HB.a1 = assoc(HB.id, 'Dd Andet center', '', '', [HB.walk]);
  // a weekly series of Aa's walks, 10:00 Copenhagen time, from 3 days ahead
  const first = new Date(Date.now() + 3 * DAY);
  H.weeklyDay = dateOf(first);
  H.weeklyDow = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][first.getUTCDay()];
  const series = async (X, body) => {
    const res = await call(k, 'POST', '/v1/event-series', { token: X.token, body: { kind: 'activity', ...body } });
    assert.equal(res.status, 201, await res.clone().text());
    return res.json();
  };
  // 10:00 local: 09:00Z or 08:00Z; let PostgreSQL say which
  const utc = (day, hhmm) => psql(`SELECT to_char(('${day} ${hhmm}'::timestamp AT TIME ZONE 'Europe/Copenhagen') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);
  H.weekly = await series(H, {
    title: 'Gåtur i Munke Mose', starts_at: utc(H.weeklyDay, '10:00'), ends_at: utc(H.weeklyDay, '11:30'),
    address: 'Munke Mose', postal_code: '5000', association_id: H.a1, category_ids: [H.walk],
    internal_note: 'Intern note', frequency: 'weekly', count: 6,
  });
  const m = new Date(Date.now() + 5 * DAY);
  H.monthlyDay = dateOf(m);
  H.monthly = await series(H, {
    title: 'Strikkecafé', starts_at: utc(H.monthlyDay, '14:00'), ends_at: utc(H.monthlyDay, '16:00'),
    online_url: 'https://strik.example.org/cafe', association_id: H.a2, category_ids: [H.knit],
    frequency: 'monthly', until: dateOf(new Date(m.getTime() + 100 * DAY)),
  });
  await series(HB, {
    title: 'Andet centers gåtur', starts_at: utc(H.weeklyDay, '10:00'), ends_at: utc(H.weeklyDay, '11:00'),
    address: 'Et andet sted', association_id: HB.a1, category_ids: [HB.walk], frequency: 'weekly', count: 2,
  });
}

test('GET /v1/hsds/organizations: HSDS 3.0 organizations, paged, public fields only', { skip: HSDS_SKIP }, async () => {
  await hsdsWorld();
  const v = hsdsValidators();
  const p1 = await hsds(`/v1/hsds/organizations?centre=${H.slug}&per_page=2`);
  assert.deepEqual({ ...p1, contents: undefined }, {
    total_items: 3, total_pages: 2, page_number: 1, size: 2, first_page: true, last_page: false, empty: false, contents: undefined,
  });
  const p2 = await hsds(`/v1/hsds/organizations?centre=${H.id}&per_page=2&page=2`);
  assert.deepEqual([p2.page_number, p2.size, p2.first_page, p2.last_page, p2.empty], [2, 1, false, true, false]);
  const p3 = await hsds(`/v1/hsds/organizations?centre=${H.slug}&per_page=2&page=3`);
  assert.deepEqual([p3.size, p3.contents, p3.last_page, p3.empty, p3.total_items], [0, [], true, true, 3]);
  const all = [...p1.contents, ...p2.contents];
  assert.deepEqual(all.map((o) => o.id), [H.a1, H.a2, H.a3], 'by name, no other centre\'s');
  for (const o of all) {
    assertValid(v['compiled-organization_list.json'], o, `organization ${o.name} (list schema)`);
    assertValid(v['compiled-organization.json'], o, `organization ${o.name}`);
  }
  const [a1, a2] = all;
  assert.equal(a1.name, 'Aa Gåklubben');
  assert.equal(a1.description, 'Vi går ture.');
  assert.equal(a1.website, 'https://gaa.example.org');
  assert.equal(a1.locations[0].name, 'Munke Mose');
  assert.equal(a1.locations[0].latitude, 55.39);
  assert.deepEqual(a1.attributes.map((x) => [x.taxonomy_term_id, x.link_type, x.taxonomy_term.name]).sort(),
    [[H.walk, 'activity', 'Gåtur'], [H.elderly, 'target_group', 'Ældre']].sort());
  assert.equal(a2.description, '', 'description is required by HSDS: empty when unknown');
  assert.equal(a2.locations, undefined);
  const text = JSON.stringify(all);
  for (const secret of ['hemmelig', 'Hemmelig', '12345678', 'velkomst', 'Intern', 'is_member', 'email', 'phone'])
    assert.ok(!text.includes(secret), `no ${secret} in the export`);
  // the other centre sees its own only
  const b = await hsds(`/v1/hsds/organizations?centre=${HB.slug}`);
  assert.deepEqual(b.contents.map((o) => o.id), [HB.a1]);
  // errors
  await expectProblem(assert, await k.fetch('/v1/hsds/organizations?centre=no-such-centre'), 404, 'not_found');
  await expectProblem(assert, await k.fetch('/v1/hsds/organizations'), 422, 'validation_failed');
  await expectProblem(assert, await k.fetch(`/v1/hsds/organizations?centre=${H.slug}&per_page=201`), 422, 'validation_failed');
  await expectProblem(assert, await k.fetch(`/v1/hsds/organizations?centre=${H.slug}&page=0`), 422, 'validation_failed');
});

test('GET /v1/hsds/services: one service per association activity with schedules, locations and terms', { skip: HSDS_SKIP }, async () => {
  await hsdsWorld();
  const v = hsdsValidators();
  const page = await hsds(`/v1/hsds/services?centre=${H.slug}`);
  assert.deepEqual([page.total_items, page.total_pages, page.page_number, page.size, page.first_page, page.last_page, page.empty],
    [2, 1, 1, 2, true, true, false]);
  for (const s of page.contents) {
    assertValid(v['compiled-service_list.json'], s, `service ${s.name} (list schema)`);
    assertValid(v['compiled-service.json'], s, `service ${s.name}`);
  }
  const [walk, knit] = page.contents;
  assert.equal(walk.organization_id, H.a1);
  assert.equal(walk.organization.name, 'Aa Gåklubben');
  assert.equal(walk.name, 'Gåtur: Aa Gåklubben');
  assert.equal(walk.status, 'active');
  assert.deepEqual(walk.attributes.map((x) => x.taxonomy_term_id), [H.walk, H.elderly], 'the activity first, then the other terms');
  assert.ok(walk.attributes.every((x) => x.link_id === walk.id && x.link_entity === 'service'));
  assert.equal(walk.schedules.length, 1);
  assert.deepEqual({ ...walk.schedules[0] }, {
    id: H.weekly.id, service_id: walk.id, freq: 'WEEKLY', interval: 1, wkst: 'MO', byday: H.weeklyDow,
    dtstart: H.weeklyDay, valid_from: H.weeklyDay, count: 6, opens_at: '10:00', closes_at: '11:30',
    description: 'Gåtur i Munke Mose', attending_type: 'in_person',
  });
  assert.equal(walk.service_at_locations.length, 1);
  assert.equal(walk.service_at_locations[0].location.name, 'Munke Mose');
  assert.equal(walk.service_at_locations[0].location_id, walk.service_at_locations[0].location.id);
  assert.equal(knit.organization_id, H.a2);
  const m = knit.schedules[0];
  assert.deepEqual([m.freq, m.bymonthday, m.byday, m.dtstart, m.opens_at, m.closes_at, m.attending_type, m.count],
    ['MONTHLY', String(Number(H.monthlyDay.slice(8))), undefined, H.monthlyDay, '14:00', '16:00', 'online', undefined]);
  assert.match(m.until, /^\d{4}-\d\d-\d\d$/);
  assert.equal(knit.service_at_locations, undefined, 'an online series has no place');
  // ids are stable
  const again = await hsds(`/v1/hsds/services?centre=${H.slug}&per_page=1&page=2`);
  assert.deepEqual([again.size, again.total_pages, again.contents[0].id], [1, 2, knit.id]);
  // nothing internal, nothing of the other centre
  const text = JSON.stringify(page.contents);
  for (const secret of ['Intern', 'hemmelig', 'internal_note', 'capacity', 'Andet'])
    assert.ok(!text.includes(secret), `no ${secret} in the export`);
  const b = await hsds(`/v1/hsds/services?centre=${HB.slug}`);
  assert.deepEqual(b.contents.map((s) => s.organization_id), [HB.a1]);
  await expectProblem(assert, await k.fetch('/v1/hsds/services?centre=no-such-centre'), 404, 'not_found');
});
