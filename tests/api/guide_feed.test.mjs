// A guide's private calendar feed (GET /v1/guides/calendar/<token>.ics):
// their own course visits, planned course ends and sign-ups behind a
// revocable token, with no citizen data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import { makeWorld, call, createAccount, createVolunteer, login, uniq } from './fixtures.mjs';
import { step, createAssociationRow, day } from './course_fixtures.mjs';

let k;
let w;
const ids = {};
const CITIZEN = `Xanthippe Feedborger ${uniq('n')}`;

// The VEVENTs of a calendar, lines unfolded, as arrays of content lines.
function vevents(text) {
  const lines = text.replace(/\r\n[ \t]/g, '').split('\r\n');
  const events = [];
  let cur = null;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') cur = [];
    else if (line === 'END:VEVENT') { events.push(cur); cur = null; } else if (cur) cur.push(line);
  }
  return events;
}
const prop = (ev, name) => ev.find((l) => l.startsWith(`${name}:`) || l.startsWith(`${name};`));

async function newToken(token) {
  const res = await call(k, 'POST', '/v1/me/calendar-token', { token });
  assert.equal(res.status, 201, await res.clone().text());
  const body = await res.json();
  assert.match(body.token, /^kgc_[A-Za-z0-9_-]{43}$/);
  assert.equal(body.url, `/v1/guides/calendar/${body.token}.ics`);
  return body;
}

async function feed(url) {
  const res = await k.fetch(url);
  const text = await res.text();
  return { res, text };
}

before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  const coord = w.tokens.A.coordinator;
  ids.vol = createVolunteer(w.A.id, { accountId: w.accounts.A.guide.id }).id;
  ids.guide2 = createAccount('guide', w.A.id);
  ids.vol2 = createVolunteer(w.A.id, { accountId: ids.guide2.id }).id;
  ids.guide2Token = await login(k, ids.guide2.email);
  ids.assocName = `Gåklubben Feed ${uniq('g')}`;
  ids.assoc = createAssociationRow(w.A.id, ids.assocName);
  // a request with a distinctive citizen name, assigned to the guide, with a course
  const res = await call(k, 'POST', '/v1/requests', { token: coord, body: { source: 'phone', citizen: { name: CITIZEN, phone: '+45 12 34 56 78' } } });
  assert.equal(res.status, 201);
  ids.request = (await res.json()).id;
  await step(k, coord, ids.request, { to: 'accepted' });
  await step(k, coord, ids.request, { to: 'guide_assigned', volunteer_id: ids.vol });
  await step(k, coord, ids.request, { to: 'contacted' });
  await step(k, coord, ids.request, { to: 'conversation_held' });
  const cres = await call(k, 'POST', `/v1/requests/${ids.request}/courses`, { token: coord, body: { planned_end: day(40), association_id: ids.assoc } });
  assert.equal(cres.status, 201, await cres.clone().text());
  ids.course = (await cres.json()).id;
  ids.visit = psql(`INSERT INTO visit (id, course_id, centre_id, visited_on, association_id, citizen_came, guide_went, minutes, recorded_by_role)
    VALUES (gen_random_uuid(), '${ids.course}', '${w.A.id}', current_date - 3, '${ids.assoc}', true, true, 90, 'coordinator') RETURNING id`);
  ids.oldVisit = psql(`INSERT INTO visit (id, course_id, centre_id, visited_on, association_id, citizen_came, guide_went, minutes, recorded_by_role)
    VALUES (gen_random_uuid(), '${ids.course}', '${w.A.id}', current_date - 90, '${ids.assoc}', true, true, 60, 'coordinator') RETURNING id`);
  ids.trainingTitle = `Guidekursus; modul 2, ${uniq('t')}`;
  ids.training = psql(`INSERT INTO event (centre_id, kind, title, starts_at, ends_at, address, postal_code)
    VALUES ('${w.A.id}', 'guide_training', '${ids.trainingTitle}', now() + interval '5 days', now() + interval '5 days 3 hours', 'Kongensgade 1', '5000') RETURNING id`);
  ids.signup = psql(`INSERT INTO event_signup (event_id, centre_id, volunteer_id) VALUES ('${ids.training}', '${w.A.id}', '${ids.vol}') RETURNING id`);
});
after(async () => { assert.equal((await k.stop()).code, 0); });

test('a guide\'s feed lists their visits, course end and sign-ups, and no citizen data', async () => {
  const { url } = await newToken(w.tokens.A.guide);
  const { res, text } = await feed(url);
  assert.equal(res.status, 200, text);
  assert.match(res.headers.get('content-type'), /^text\/calendar/);
  assert.ok(text.startsWith('BEGIN:VCALENDAR\r\n') && text.endsWith('END:VCALENDAR\r\n'));
  assert.ok(text.includes('BEGIN:VTIMEZONE\r\nTZID:Europe/Copenhagen\r\n'));
  for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, `folded: ${line}`);
  const evs = vevents(text);
  const uids = evs.map((e) => prop(e, 'UID'));
  assert.ok(uids.includes(`UID:visit-${ids.visit}@kompas`), uids.join('\n'));
  assert.ok(!uids.includes(`UID:visit-${ids.oldVisit}@kompas`), 'visits older than 30 days are left out');
  assert.ok(uids.includes(`UID:course-end-${ids.course}@kompas`));
  assert.ok(uids.includes(`UID:signup-${ids.signup}@kompas`));
  for (const e of evs) {
    assert.match(prop(e, 'UID'), /^UID:.+@kompas$/);
    assert.match(prop(e, 'DTSTAMP'), /^DTSTAMP:\d{8}T\d{6}Z$/);
    assert.ok(prop(e, 'DTSTART') && prop(e, 'DTEND') && prop(e, 'SUMMARY'));
  }
  const visit = evs.find((e) => prop(e, 'UID') === `UID:visit-${ids.visit}@kompas`);
  assert.equal(prop(visit, 'SUMMARY'), `SUMMARY:Følgeskab: ${ids.assocName}`);
  assert.match(prop(visit, 'DTSTART'), /^DTSTART;VALUE=DATE:\d{8}$/);
  assert.equal(prop(visit, 'DTSTART'), `DTSTART;VALUE=DATE:${day(-3).replaceAll('-', '')}`);
  const training = evs.find((e) => prop(e, 'UID') === `UID:signup-${ids.signup}@kompas`);
  assert.equal(prop(training, 'SUMMARY'), `SUMMARY:${ids.trainingTitle.replace(/[;,]/g, (c) => `\\${c}`)}`);
  assert.match(prop(training, 'DTSTART'), /^DTSTART;TZID=Europe\/Copenhagen:\d{8}T\d{6}$/);
  assert.equal(prop(training, 'LOCATION'), 'LOCATION:Kongensgade 1\\, 5000');
  // no citizen data: neither the name nor the request id
  const unfolded = text.replace(/\r\n[ \t]/g, '');
  assert.ok(!unfolded.includes('Xanthippe') && !unfolded.includes('Feedborger'), 'no citizen name');
  assert.ok(!unfolded.includes(ids.request), 'no request id');
});

test('another guide\'s feed does not include them', async () => {
  const { url } = await newToken(ids.guide2Token);
  const { res, text } = await feed(url);
  assert.equal(res.status, 200);
  assert.equal(vevents(text).length, 0, text);
  assert.ok(!text.includes(ids.visit) && !text.includes(ids.signup) && !text.includes(ids.course));
});

test('a new token or DELETE revokes the old address; .ics is optional', async () => {
  const first = await newToken(w.tokens.A.guide);
  assert.equal((await feed(`/v1/guides/calendar/${first.token}`)).res.status, 200, 'without .ics');
  const second = await newToken(w.tokens.A.guide);
  await expectProblem(assert, await k.fetch(first.url), 404, 'not_found');
  assert.equal((await feed(second.url)).res.status, 200);
  assert.equal(psql(`SELECT count(*) FROM guide_feed_token WHERE volunteer_id = '${ids.vol}' AND revoked_at IS NULL`), '1');
  const del = await call(k, 'DELETE', '/v1/me/calendar-token', { token: w.tokens.A.guide });
  assert.equal(del.status, 204);
  await expectProblem(assert, await k.fetch(second.url), 404, 'not_found');
  assert.equal((await call(k, 'DELETE', '/v1/me/calendar-token', { token: w.tokens.A.guide })).status, 204, 'again: still 204');
  // unknown and malformed tokens
  await expectProblem(assert, await k.fetch(`/v1/guides/calendar/kgc_${'A'.repeat(43)}.ics`), 404, 'not_found');
  await expectProblem(assert, await k.fetch('/v1/guides/calendar/nonsense.ics'), 404, 'not_found');
  // only the keyed hash is stored
  const tok = second.token;
  assert.equal(psql(`SELECT count(*) FROM guide_feed_token WHERE position(convert_to('${tok}', 'UTF8') in token_hash) > 0`), '0');
});

test('a guide without a volunteer record gets 404; other roles 403', async () => {
  const lone = createAccount('guide', w.A.id);
  const t = await login(k, lone.email);
  await expectProblem(assert, await call(k, 'POST', '/v1/me/calendar-token', { token: t }), 404, 'not_found');
  await expectProblem(assert, await call(k, 'POST', '/v1/me/calendar-token', { token: w.tokens.A.coordinator }), 403, 'forbidden');
});
