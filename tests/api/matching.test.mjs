// Matching: guide suggestions (hard rules, scored components, explain=excluded)
// and activity suggestions (events and associations) for a request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import {
  makeWorld, call, uniq, createVolunteer, createTraining, createRecordCheck, sharedCategory,
} from './fixtures.mjs';

let k;
let w;
let natur;
let musik;
before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  natur = sharedCategory('interest', 'natur');
  musik = sharedCategory('interest', 'musik');
});
after(async () => { assert.equal((await k.stop()).code, 0); });

const coord = () => w.tokens.A.coordinator;

async function newRequest(extra = {}, token = coord()) {
  const res = await call(k, 'POST', '/v1/requests', {
    token, body: { source: 'phone', citizen: { name: 'Bodil Borger', phone: '+45 40 41 42 43' }, ...extra },
  });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

// A volunteer of centre A that passes every hard rule unless told otherwise.
function guide(name, {
  languages = ['da'], areas = [], capacity = 2, interests = [], slots = 0,
  status = 'active', trained = true, checked = true, centre = w.A.id, accountId = null,
} = {}) {
  const v = createVolunteer(centre, { name: `${name} ${uniq('x')}`, status, accountId });
  if (trained) createTraining(v);
  if (checked) createRecordCheck(v);
  psql(`UPDATE volunteer SET languages = '{${languages.join(',')}}', postal_areas = '{${areas.join(',')}}',
        capacity = ${capacity} WHERE id = '${v.id}'`);
  for (const c of interests) {
    psql(`INSERT INTO volunteer_interest (volunteer_id, category_id, centre_id) VALUES ('${v.id}', '${c}', '${centre}')`);
  }
  for (let d = 1; d <= slots; d++) {
    psql(`INSERT INTO volunteer_availability (volunteer_id, centre_id, weekday, starts, ends)
          VALUES ('${v.id}', '${centre}', ${d}, '10:00', '12:00')`);
  }
  return v;
}

// Give volunteer v an open assigned request (counts against the capacity).
async function assign(v, state = 'guide_assigned') {
  const r = await newRequest();
  const reason = state === 'closed' ? "'need_met'" : 'NULL';
  psql(`UPDATE request SET state = '${state}', close_reason = ${reason}, assigned_volunteer_id = '${v.id}'
        WHERE id = '${r.id}'`);
  return r;
}

// The suggestions for request id; every eligible volunteer of the centre
// (limit=100, the most) unless query names a limit.
async function suggestions(id, query = '', token = coord()) {
  const q = query.includes('limit=') ? query : `${query}${query ? '&' : '?'}limit=100`;
  const res = await call(k, 'GET', `/v1/requests/${id}/guide-suggestions${q}`, { token });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}
const ids = (list) => list.map((s) => s.volunteer_id);

test('same postal area and shared interests rank above a volunteer without', async () => {
  const r = await newRequest({ postal_code: '5000', categories: [natur, musik] });
  const good = guide('Bente', { areas: ['5000'], interests: [natur, musik], slots: 1 });
  const near = guide('Carl', { areas: ['5010'], interests: [natur] });
  const plain = guide('Dorte');
  const body = await suggestions(r.id);
  assert.equal(body.request_id, r.id);
  assert.equal(body.language, 'da');
  assert.equal(body.excluded, undefined, 'excluded only with explain=excluded');
  const order = ids(body.items);
  assert.ok(order.indexOf(good.id) >= 0 && order.indexOf(near.id) >= 0 && order.indexOf(plain.id) >= 0);
  assert.ok(order.indexOf(good.id) < order.indexOf(near.id));
  assert.ok(order.indexOf(near.id) < order.indexOf(plain.id));
  const g = body.items.find((s) => s.volunteer_id === good.id);
  const comp = Object.fromEntries(g.components.map((c) => [c.name, c]));
  // default weights: interests 3, area 4, availability 1, load 2
  assert.deepEqual([comp.interests.value, comp.interests.points], [2, 6]);
  assert.deepEqual([comp.area.value, comp.area.points], [1, 4]);
  assert.deepEqual([comp.availability.value, comp.availability.points], [1, 1]);
  assert.deepEqual([comp.load.value, comp.load.points], [1, 2]);
  assert.equal(g.score, 13);
  assert.match(g.reason.da, /2 fælles interesser, samme postområde/);
  assert.match(g.reason.en, /2 shared interests, same postal area/);
  const n = body.items.find((s) => s.volunteer_id === near.id);
  assert.equal(n.components.find((c) => c.name === 'area').value, 0.5);
  assert.equal(n.score, 3 + 2 + 0 + 2);
});

test('a volunteer without a valid record check never appears, and explain names the rule', async () => {
  const r = await newRequest({ postal_code: '5000', categories: [natur] });
  const unchecked = guide('Erik', { areas: ['5000'], interests: [natur], checked: false });
  const expired = guide('Frida', { areas: ['5000'], interests: [natur], checked: false });
  createRecordCheck(expired, { checkedOn: '2020-01-01', validUntil: '2023-01-01' });
  const untrained = guide('Gorm', { trained: false });
  const paused = guide('Hanne', { status: 'paused' });
  const body = await suggestions(r.id);
  for (const v of [unchecked, expired, untrained, paused]) assert.ok(!ids(body.items).includes(v.id));
  const explained = await suggestions(r.id, '?explain=excluded');
  const rule = (v) => explained.excluded.find((x) => x.volunteer_id === v.id)?.rule;
  assert.equal(rule(unchecked), 'record_check');
  assert.equal(rule(expired), 'record_check');
  assert.equal(rule(untrained), 'training');
  assert.equal(rule(paused), 'status');
  assert.equal(explained.excluded.find((x) => x.volunteer_id === unchecked.id).reason.en, 'no valid criminal record check');
  assert.ok(!ids(explained.items).includes(unchecked.id));
});

test('full capacity excludes; an open slot does not', async () => {
  const r = await newRequest();
  const full = guide('Ida', { capacity: 1 });
  const half = guide('Jens', { capacity: 2 });
  await assign(full);
  await assign(half);
  const karen = guide('Karen', { capacity: 1 });
  await assign(karen, 'closed');
  const body = await suggestions(r.id, '?explain=excluded');
  assert.ok(!ids(body.items).includes(full.id));
  assert.equal(body.excluded.find((x) => x.volunteer_id === full.id).rule, 'capacity');
  const h = body.items.find((s) => s.volunteer_id === half.id);
  assert.ok(h, 'one of two places used: still suggested');
  assert.equal(h.components.find((c) => c.name === 'load').value, 0.5);
  assert.match(h.reason.da, /1 af 2 pladser i brug/);
  assert.ok(ids(body.items).includes(karen.id), 'a closed request does not count');
});

test('a language mismatch excludes; the request language counts, Danish by default', async () => {
  const danish = guide('Lars', { languages: ['da'] });
  const arabic = guide('Mona', { languages: ['ar', 'en'] });
  const da = await suggestions((await newRequest()).id, '?explain=excluded');
  assert.ok(ids(da.items).includes(danish.id));
  assert.equal(da.excluded.find((x) => x.volunteer_id === arabic.id).rule, 'language');
  const ar = await suggestions((await newRequest({ preferred_language: 'ar' })).id, '?explain=excluded');
  assert.equal(ar.language, 'ar');
  assert.ok(ids(ar.items).includes(arabic.id));
  assert.equal(ar.excluded.find((x) => x.volunteer_id === danish.id).rule, 'language');
});

test('equal scores are ordered by name, then id', async () => {
  const r = await newRequest({ postal_code: '9990' });
  const tag = uniq('t');
  const b = guide(`Zz ${tag} B`, { areas: ['9990'] });
  const a = guide(`Zz ${tag} A`, { areas: ['9990'] });
  const body = await suggestions(r.id);
  const order = ids(body.items);
  assert.ok(order.indexOf(a.id) >= 0);
  assert.equal(order.indexOf(b.id), order.indexOf(a.id) + 1);
  const again = await suggestions(r.id);
  assert.deepEqual(ids(again.items), order);
});

test('the centre\'s weights are used; suggestions are not logged as reads', async () => {
  const r = await newRequest({ postal_code: '5000', categories: [natur] });
  psql(`UPDATE centre SET matching_weights = '{"guide_interests": 10, "guide_area": "x"}' WHERE id = '${w.A.id}'`);
  try {
    const body = await suggestions(r.id);
    assert.equal(body.weights.interests, 10);
    assert.equal(body.weights.area, 4, 'a value that is not a number takes the default');
  } finally {
    psql(`UPDATE centre SET matching_weights = '{}' WHERE id = '${w.A.id}'`);
  }
  const logged = psql(`SELECT count(*) FROM access_log WHERE subject_id = '${r.id}' AND action = 'read'`);
  assert.equal(logged, '0');
});

test('guide suggestions: 404 for another centre\'s or an unknown request; coordinators only', async () => {
  const rB = await newRequest({}, w.tokens.B.coordinator);
  await expectProblem(assert, await call(k, 'GET', `/v1/requests/${rB.id}/guide-suggestions`, { token: coord() }), 404, 'not_found');
  await expectProblem(assert, await call(k, 'GET', `/v1/requests/${randomUUID()}/guide-suggestions`, { token: coord() }), 404, 'not_found');
  const r = await newRequest();
  await expectProblem(assert, await call(k, 'GET', `/v1/requests/${r.id}/guide-suggestions`, { token: w.tokens.A.guide }), 403, 'forbidden');
  const bad = await call(k, 'GET', `/v1/requests/${r.id}/guide-suggestions?explain=all`, { token: coord() });
  assert.equal(bad.status, 422);
});

test('limit keeps the best suggestions; eligible and excluded_counts count them all', async () => {
  const postal = '7' + String(Date.now() % 1000).padStart(3, '0');
  const r = await newRequest({ postal_code: postal });
  const tag = uniq('l');
  // Three close by (area 4 points) ahead of everyone else in the centre.
  const near = [guide(`${tag} C`, { areas: [postal] }), guide(`${tag} A`, { areas: [postal] }),
    guide(`${tag} B`, { areas: [postal] })];
  guide(`${tag} paused`, { status: 'paused' });
  for (let i = 0; i < 18; i++) guide(`${tag} more ${i}`);
  const all = await suggestions(r.id, '?explain=excluded&limit=100');
  assert.ok(all.eligible > 20, `more than 20 eligible (${all.eligible})`);
  assert.equal(all.items.length, Math.min(all.eligible, 100));
  const counts = all.excluded_counts;
  assert.deepEqual(Object.keys(counts).sort(), ['capacity', 'language', 'record_check', 'status', 'training']);
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), all.excluded.length);
  assert.equal(counts.status, all.excluded.filter((x) => x.rule === 'status').length);
  assert.ok(counts.status >= 1);

  const dflt = await call(k, 'GET', `/v1/requests/${r.id}/guide-suggestions`, { token: coord() });
  assert.equal(dflt.status, 200);
  const body = await dflt.json();
  assert.equal(body.items.length, 20, 'twenty by default');
  assert.equal(body.eligible, all.eligible);
  assert.deepEqual(body.excluded_counts, counts);
  assert.equal(body.excluded, undefined);
  assert.deepEqual(ids(body.items), ids(all.items).slice(0, 20), 'the best twenty, in the same order');

  const two = await suggestions(r.id, '?limit=2');
  assert.deepEqual(ids(two.items), [near[1].id, near[2].id], 'the two best, by score then name');
  for (const bad of ['0', '101', 'x']) {
    const res = await call(k, 'GET', `/v1/requests/${r.id}/guide-suggestions?limit=${bad}`, { token: coord() });
    await expectProblem(assert, res, 422, 'validation_failed');
  }
  await expectProblem(assert, await call(k, 'GET', '/v1/requests/not-a-uuid/guide-suggestions', { token: coord() }), 404, 'not_found');
});

// The facts the guide rules read from the volunteer row (schema/0024),
// against a recount from their source tables.
function factsMatchRecount(v) {
  const row = psql(`SELECT v.intro_valid = coalesce((SELECT range_agg(daterange(t.completed_on, t.expires_on, '[]'))
                                                    FROM volunteer_training t WHERE t.volunteer_id = v.id AND t.module = 'intro'), '{}')
                           AND v.record_check_valid = coalesce((SELECT range_agg(daterange(k.checked_on, k.valid_until, '[]'))
                                                    FROM volunteer_record_check k WHERE k.volunteer_id = v.id
                                                     AND k.kind = 'criminal_record' AND k.outcome = 'clear'), '{}')
                           AND v.availability_slots = (SELECT count(*) FROM volunteer_availability a WHERE a.volunteer_id = v.id)
                           AND v.open_requests = (SELECT count(*) FROM request o WHERE o.assigned_volunteer_id = v.id
                                                   AND o.state NOT IN ('closed', 'declined', 'withdrawn')),
                           v.open_requests, v.availability_slots, current_date <@ v.intro_valid, current_date <@ v.record_check_valid
                      FROM volunteer v WHERE v.id = '${v.id}'`);
  const [same, load, slots, trained, checked] = row.split('|');
  assert.equal(same, 't', `facts of ${v.id} equal a recount (${row})`);
  return { load: Number(load), slots: Number(slots), trained: trained === 't', checked: checked === 't' };
}

test('the facts on the volunteer row follow trainings, checks, availability and assignments', async () => {
  const v = guide('Facts', { trained: false, checked: false });
  const u = guide('Other');
  let f = factsMatchRecount(v);
  assert.deepEqual(f, { load: 0, slots: 0, trained: false, checked: false });
  // an expired intro, then a valid one; a check that is not clear does not count
  const old = createTraining(v, { completedOn: '2020-01-01', expiresOn: '2021-01-01' });
  assert.equal(factsMatchRecount(v).trained, false);
  const now = createTraining(v);
  assert.equal(factsMatchRecount(v).trained, true);
  psql(`UPDATE volunteer_training SET expires_on = current_date - 1 WHERE id = '${now}'`);
  assert.equal(factsMatchRecount(v).trained, false, 'an update that expires it counts');
  psql(`DELETE FROM volunteer_training WHERE id IN ('${old}', '${now}')`);
  createTraining(v, { module: 'conversation' });
  assert.equal(factsMatchRecount(v).trained, false, 'another module is not the intro');
  createTraining(v);
  const check = createRecordCheck(v);
  assert.equal(factsMatchRecount(v).checked, true);
  psql(`UPDATE volunteer_record_check SET outcome = 'remarks' WHERE id = '${check}'`);
  assert.equal(factsMatchRecount(v).checked, false);
  psql(`UPDATE volunteer_record_check SET outcome = 'clear' WHERE id = '${check}'`);
  psql(`INSERT INTO volunteer_availability (volunteer_id, centre_id, weekday, starts, ends)
        VALUES ('${v.id}', '${w.A.id}', 1, '10:00', '12:00'), ('${v.id}', '${w.A.id}', 3, '10:00', '12:00')`);
  assert.equal(factsMatchRecount(v).slots, 2, 'a bulk insert counts every row');
  psql(`DELETE FROM volunteer_availability WHERE volunteer_id = '${v.id}' AND weekday = 3`);
  assert.equal(factsMatchRecount(v).slots, 1);
  // the load: assign, reassign, close, reopen by a state change, delete
  const r1 = await assign(v);
  const r2 = await assign(v, 'contacted');
  assert.equal(factsMatchRecount(v).load, 2);
  psql(`UPDATE request SET assigned_volunteer_id = '${u.id}' WHERE id = '${r1.id}'`);
  assert.equal(factsMatchRecount(v).load, 1, 'reassigned away');
  assert.equal(factsMatchRecount(u).load, 1, 'reassigned to');
  psql(`UPDATE request SET state = 'closed', close_reason = 'need_met' WHERE id = '${r2.id}'`);
  assert.equal(factsMatchRecount(v).load, 0, 'a closed request does not count');
  psql(`UPDATE request SET state = 'contacted', close_reason = NULL WHERE id = '${r2.id}'`);
  assert.equal(factsMatchRecount(v).load, 1);
  // the suggestions read them: this volunteer is now trained, checked, with
  // one of two places used
  const r = await newRequest();
  const body = await suggestions(r.id);
  const mine = body.items.find((s) => s.volunteer_id === v.id);
  assert.ok(mine, 'suggested');
  assert.equal(mine.components.find((c) => c.name === 'load').value, 0.5);
  assert.equal(mine.components.find((c) => c.name === 'availability').value, 1);
  // the request itself does not count against its own guide
  const own = await suggestions(r2.id);
  assert.equal(own.items.find((s) => s.volunteer_id === v.id).components.find((c) => c.name === 'load').value, 1);
});

function association({ name, postal = null, places = null, welcome = null, categories = [] }) {
  const id = psql(`INSERT INTO association (centre_id, name, postal_code, newcomer_places, newcomer_places_updated_at, welcome_training_on)
    VALUES ('${w.A.id}', '${name}', ${postal ? `'${postal}'` : 'NULL'}, ${places ?? 'NULL'}, ${places === null ? 'NULL' : 'now()'},
            ${welcome ? `'${welcome}'` : 'NULL'}) RETURNING id`).split('\n')[0];
  for (const c of categories) psql(`INSERT INTO association_category (association_id, category_id) VALUES ('${id}', '${c}')`);
  return id;
}
function event({ title, days, association = null, postal = null, categories = [], cancelled = false }) {
  const id = psql(`INSERT INTO event (centre_id, association_id, kind, title, starts_at, ends_at, postal_code, cancelled)
    VALUES ('${w.A.id}', ${association ? `'${association}'` : 'NULL'}, 'activity', '${title}',
            now() + interval '${days} days', now() + interval '${days} days 2 hours',
            ${postal ? `'${postal}'` : 'NULL'}, ${cancelled}) RETURNING id`).split('\n')[0];
  for (const c of categories) {
    psql(`INSERT INTO event_category (event_id, category_id, centre_id) VALUES ('${id}', '${c}', '${w.A.id}')`);
  }
  return id;
}

test('activity suggestions rank events and associations for the citizen', async () => {
  const r = await newRequest({ postal_code: '5000', categories: [natur] });
  const tag = uniq('f');
  const best = association({ name: `${tag} Naturholdet`, postal: '5000', places: 3, welcome: '2026-03-01', categories: [natur] });
  const other = association({ name: `${tag} Andet`, postal: '8000' });
  const soon = event({ title: `${tag} Gåtur`, days: 3, association: best, postal: '5000', categories: [natur] });
  const far = event({ title: `${tag} Senere`, days: 90, postal: '5000', categories: [natur] });
  const off = event({ title: `${tag} Aflyst`, days: 5, postal: '5000', categories: [natur], cancelled: true });
  const plain = event({ title: `${tag} Spil`, days: 4, postal: '8000' });
  const res = await call(k, 'GET', `/v1/requests/${r.id}/activity-suggestions`, { token: coord() });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  const ev = body.events.map((e) => e.event_id);
  assert.ok(ev.includes(soon));
  assert.ok(!ev.includes(far) && !ev.includes(off), 'beyond 60 days or cancelled: left out');
  assert.ok(ev.indexOf(soon) < ev.indexOf(plain));
  const s = body.events.find((e) => e.event_id === soon);
  // 3 (natur) + 2 (area) + 2 (newcomer places) + 1 (welcome training)
  assert.equal(s.score, 8);
  assert.equal(s.association_id, best);
  assert.match(s.reason.en, /1 shared category, same postal code, has places for newcomers, trained in welcoming newcomers/);
  const as = body.associations.map((a) => a.association_id);
  assert.ok(as.indexOf(best) >= 0 && as.indexOf(best) < as.indexOf(other));
  assert.equal(body.associations.find((a) => a.association_id === other).reason.da, 'ingen særlige match');
});

test('activity suggestions: limit keeps the best events and associations', async () => {
  const r = await newRequest({ postal_code: '6100', categories: [musik] });
  const tag = uniq('m');
  const evs = [];
  for (let i = 0; i < 3; i++) evs.push(event({ title: `${tag} Kor ${i}`, days: 2 + i, postal: '6100', categories: [musik] }));
  const as = [];
  for (let i = 0; i < 3; i++) as.push(association({ name: `${tag} Musik ${i}`, postal: '6100', categories: [musik] }));
  const res = await call(k, 'GET', `/v1/requests/${r.id}/activity-suggestions?limit=2`, { token: coord() });
  assert.equal(res.status, 200, await res.clone().text());
  const body = await res.json();
  // Each shares musik and the postal code (5 points); nothing else in the
  // centre shares musik or a 61xx code (3 points at most: newcomer places
  // and welcome training), so these lead, the earliest event first.
  assert.deepEqual(body.events.map((e) => e.event_id), evs.slice(0, 2));
  assert.deepEqual(body.associations.map((a) => a.association_id), as.slice(0, 2));
  const wide = await (await call(k, 'GET', `/v1/requests/${r.id}/activity-suggestions?limit=100`, { token: coord() })).json();
  assert.ok(wide.events.length >= 3 && wide.associations.length >= 3);
  await expectProblem(assert, await call(k, 'GET', `/v1/requests/${r.id}/activity-suggestions?limit=101`, { token: coord() }), 422, 'validation_failed');
});

test('activity suggestions: the assigned guide may read them, another guide gets 404', async () => {
  const v = guide('Nina', { accountId: w.accounts.A.guide.id });
  const mine = await assign(v);
  const res = await call(k, 'GET', `/v1/requests/${mine.id}/activity-suggestions`, { token: w.tokens.A.guide });
  assert.equal(res.status, 200, await res.clone().text());
  const notMine = await newRequest();
  await expectProblem(assert, await call(k, 'GET', `/v1/requests/${notMine.id}/activity-suggestions`, { token: w.tokens.A.guide }), 404, 'not_found');
});

// The association facts on the event rows (schema/0031), against a recount
// from the associations: every event of centre A.
function eventFactsMismatches() {
  return Number(psql(`SELECT count(*) FROM event e LEFT JOIN association a ON a.id = e.association_id
    WHERE e.centre_id = '${w.A.id}'
      AND (e.association_places, e.association_welcome)
          IS DISTINCT FROM (coalesce(a.newcomer_places, 0) > 0, a.welcome_training_on IS NOT NULL)`));
}
const factsOf = (id) => psql(`SELECT association_places || ',' || association_welcome FROM event WHERE id = '${id}'`);

test('the association facts on the event rows follow the associations', async () => {
  const tag = uniq('af');
  const a1 = association({ name: `${tag} Et` });
  const a2 = association({ name: `${tag} To`, places: 3, welcome: '2026-02-01' });
  const e1 = event({ title: `${tag} Et`, days: 3, association: a1 });
  const e2 = event({ title: `${tag} To`, days: 3, association: a2 });
  const e3 = event({ title: `${tag} Ingen`, days: 3 });
  assert.deepEqual([factsOf(e1), factsOf(e2), factsOf(e3)], ['false,false', 'true,true', 'false,false']);
  psql(`UPDATE association SET newcomer_places = 2, newcomer_places_updated_at = now() WHERE id = '${a1}'`);
  assert.equal(factsOf(e1), 'true,false', 'places given');
  psql(`UPDATE association SET welcome_training_on = '2026-03-01' WHERE id = '${a1}'`);
  assert.equal(factsOf(e1), 'true,true', 'welcome training taken');
  psql(`UPDATE association SET newcomer_places = 0 WHERE id = '${a1}'`);
  assert.equal(factsOf(e1), 'false,true', 'no places left');
  psql(`UPDATE event SET association_id = '${a2}' WHERE id = '${e1}'`);
  assert.equal(factsOf(e1), 'true,true', 'moved to another association');
  psql(`UPDATE event SET association_id = NULL WHERE id = '${e2}'`);
  assert.equal(factsOf(e2), 'false,false', 'no association');
  psql(`UPDATE event SET association_places = true, association_welcome = true WHERE id = '${e3}'`);
  assert.equal(factsOf(e3), 'false,false', 'written directly: overwritten');
  psql(`UPDATE event SET association_places = false, title = '${tag} Et igen' WHERE id = '${e1}'`);
  assert.equal(factsOf(e1), 'true,true', 'kept with the association');
  // the occurrences of a series are events too (written by kompasd)
  const day = new Date(Date.now() + 86400e3).toISOString().slice(0, 10);
  const res = await call(k, 'POST', '/v1/event-series', {
    token: coord(),
    body: {
      kind: 'activity', title: `${tag} Serie`, association_id: a2, starts_at: `${day}T10:00:00Z`,
      ends_at: `${day}T11:00:00Z`, frequency: 'weekly', count: 3,
    },
  });
  assert.equal(res.status, 201, await res.clone().text());
  const series = await res.json();
  assert.equal(psql(`SELECT string_agg(DISTINCT association_places || ',' || association_welcome, ';') FROM event
                      WHERE series_id = '${series.id}'`), 'true,true');
  assert.equal(eventFactsMismatches(), 0, 'every event of the centre agrees with a recount');
});

test('activity suggestions: the best events and associations of all, at every limit (a full recount)', async () => {
  const r = await newRequest({ postal_code: '7100', categories: [natur, musik] });
  const tag = uniq('c');
  const a1 = association({ name: `${tag} Alfa`, postal: '7100', places: 2, welcome: '2026-01-10', categories: [natur] });
  const a2 = association({ name: `${tag} Beta`, postal: '7190', places: 1 });
  const a3 = association({ name: `${tag} Gamma`, welcome: '2025-05-05', categories: [natur, musik] });
  // Events in every class: 0-2 shared categories, the same, a near, another
  // and no postal code, each association or none; many at the same time.
  const sql = [];
  let n = 0;
  for (const assoc of [a1, a2, a3, null]) {
    for (const postal of ['7100', '7150', '2200', null]) {
      for (const cats of [[], [natur], [natur, musik]]) {
        n++;
        const id = randomUUID();
        sql.push(`INSERT INTO event (id, centre_id, association_id, kind, title, starts_at, ends_at, postal_code)
          VALUES ('${id}', '${w.A.id}', ${assoc ? `'${assoc}'` : 'NULL'}, 'activity', '${tag} E${n % 5}',
                  date_trunc('hour', now()) + interval '${1 + (n % 3)} days', date_trunc('hour', now()) + interval '${1 + (n % 3)} days 1 hour',
                  ${postal ? `'${postal}'` : 'NULL'});`);
        for (const c of cats) sql.push(`INSERT INTO event_category (event_id, category_id, centre_id) VALUES ('${id}', '${c}', '${w.A.id}');`);
      }
    }
  }
  psql(sql.join('\n'));
  // The reference: every upcoming activity of the centre scored from the
  // associations and categories themselves, the best `lim`.
  const reference = (lim) => psql(`WITH r AS (SELECT id, centre_id, postal_code FROM request WHERE id = '${r.id}'),
    rc AS (SELECT category_id FROM request_category WHERE request_id = '${r.id}'),
    e AS (SELECT e.id, e.starts_at, e.title,
            (SELECT count(*) FROM event_category ec WHERE ec.event_id = e.id AND ec.category_id IN (SELECT category_id FROM rc)) AS shared,
            CASE WHEN e.postal_code IS NULL THEN 0 WHEN e.postal_code = r.postal_code THEN 1
                 WHEN left(e.postal_code, 2) = left(r.postal_code, 2) THEN 0.5 ELSE 0 END AS area,
            coalesce(a.newcomer_places, 0) > 0 AS places, a.welcome_training_on IS NOT NULL AS welcome
          FROM event e JOIN r ON e.centre_id = r.centre_id LEFT JOIN association a ON a.id = e.association_id
         WHERE e.kind = 'activity' AND NOT e.cancelled AND e.starts_at >= now() AND e.starts_at < now() + interval '60 days'
           AND (e.capacity IS NULL OR e.signup_count < e.capacity)),
    s AS (SELECT e.*, 3 * shared + 2 * area + CASE WHEN places THEN 2 ELSE 0 END + CASE WHEN welcome THEN 1 ELSE 0 END AS score FROM e),
    a AS (SELECT a.id, a.name,
            3 * (SELECT count(*) FROM association_category ac WHERE ac.association_id = a.id AND ac.category_id IN (SELECT category_id FROM rc))
            + 2 * CASE WHEN a.postal_code IS NULL THEN 0 WHEN a.postal_code = r.postal_code THEN 1
                       WHEN left(a.postal_code, 2) = left(r.postal_code, 2) THEN 0.5 ELSE 0 END
            + CASE WHEN coalesce(a.newcomer_places, 0) > 0 THEN 2 ELSE 0 END
            + CASE WHEN a.welcome_training_on IS NOT NULL THEN 1 ELSE 0 END AS score
          FROM association a JOIN r ON a.centre_id = r.centre_id)
    SELECT (SELECT coalesce(string_agg(id::text, ',' ORDER BY score DESC, starts_at, title, id), '')
              FROM (SELECT * FROM s ORDER BY score DESC, starts_at, title, id LIMIT ${lim}) x)
           || '|' ||
           (SELECT coalesce(string_agg(id::text, ',' ORDER BY score DESC, name, id), '')
              FROM (SELECT * FROM a ORDER BY score DESC, name, id LIMIT ${lim}) y)`);
  const check = async (what) => {
    for (const lim of [1, 2, 5, 13, 100]) {
      const res = await call(k, 'GET', `/v1/requests/${r.id}/activity-suggestions?limit=${lim}`, { token: coord() });
      assert.equal(res.status, 200, await res.clone().text());
      const body = await res.json();
      const got = `${body.events.map((e) => e.event_id).join(',')}|${body.associations.map((a) => a.association_id).join(',')}`;
      assert.equal(got, reference(lim), `${what}, limit ${lim}`);
    }
  };
  await check('as created');
  psql(`UPDATE association SET newcomer_places = 0 WHERE id = '${a2}'`);
  psql(`UPDATE association SET welcome_training_on = NULL WHERE id = '${a3}'`);
  psql(`UPDATE association SET newcomer_places = 5, newcomer_places_updated_at = now() WHERE id = '${a3}'`);
  await check('after the associations changed');
  assert.equal(eventFactsMismatches(), 0);
});

test('activity suggestions: the candidates are only for a caller of the centre', async () => {
  const ask = (role, centre) => psql(`BEGIN;
    SELECT kompas_set_context('${role}', ${centre ? `'${centre}'` : 'NULL'}, NULL);
    SELECT count(*) FROM matching_activity_candidates('${w.A.id}', '5000', '{}', 5);
    COMMIT;`).split('\n').pop();
  assert.ok(Number(ask('coordinator', w.A.id)) > 0, 'the centre\'s coordinator');
  assert.equal(ask('coordinator', w.B.id), '0', 'another centre\'s coordinator');
  assert.equal(ask('anonymous', null), '0', 'no one');
  assert.ok(Number(ask('admin', null)) > 0, 'an admin');
});

// Planned for each call's centre (schema/functions/matching_activity_candidates.sql): the
// generic plan of the associations' statement, which PostgreSQL's plan cache took from the
// sixth call on a connection, is made for an average centre and was about twice as slow for
// the largest one of the national dataset (docs/benchmarks.md).
test('activity suggestions: the candidates are planned anew for each call', () => {
  const config = psql(`SELECT array_to_string(proconfig, ',') FROM pg_proc
                        WHERE oid = 'matching_activity_candidates(uuid, text, uuid[], int)'::regprocedure`);
  assert.ok(config.split(',').includes('plan_cache_mode=force_custom_plan'), config);
});
