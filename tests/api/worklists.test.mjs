// The coordinator's work lists: each list shows exactly what is due, for
// the coordinator's own centre only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import { makeWorld, auth } from './fixtures.mjs';

let k;
let w;
let lists;
const ids = {};
before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  const A = w.A.id;
  const B = w.B.id;
  const req = (centre, ageDays, extra = '') => psql(`INSERT INTO request (id, centre_id, source, name_sealed, created_at ${extra ? ', first_contact_at, state' : ''})
      VALUES (gen_random_uuid(), '${centre}', 'phone', '\\x${'00'.repeat(60)}', now() - interval '${ageDays} days' ${extra})
      RETURNING id`);
  ids.late = req(A, 8);
  ids.fresh = req(A, 2);
  ids.contacted = req(A, 9, ", now(), 'contacted'");
  ids.lateB = req(B, 8);
  const vol = (centre, name, status = 'active') => psql(`INSERT INTO volunteer (centre_id, name, status) VALUES ('${centre}', '${name}', '${status}') RETURNING id`);
  ids.vExpiring = vol(A, 'Ellen Udløber');
  ids.vFine = vol(A, 'Finn Fin');
  ids.vRetired = vol(A, 'Rita Retired', 'retired');
  ids.vB = vol(B, 'Bo B');
  const check = (v, centre, days) => psql(`INSERT INTO volunteer_record_check (volunteer_id, centre_id, kind, checked_on, outcome, valid_until)
      VALUES ('${v}', '${centre}', 'child_protection', current_date - 700, 'clear', current_date + ${days})`);
  check(ids.vExpiring, A, 10);
  check(ids.vFine, A, 200);
  check(ids.vRetired, A, 5);
  check(ids.vB, B, 5);
  const course = (centre, request, volunteer, cols, vals) => psql(`INSERT INTO course (centre_id, request_id, volunteer_id, planned_visits, planned_end ${cols})
      VALUES ('${centre}', '${request}', '${volunteer}', 4, current_date + 30 ${vals}) RETURNING id`);
  ids.idleCourse = course(A, req(A, 40, ", now(), 'course_started'"), ids.vFine, ', state, started_on, last_visit_on', ", 'active', current_date - 30, current_date - 20");
  ids.busyCourse = course(A, req(A, 40, ", now(), 'course_started'"), ids.vFine, ', state, started_on, last_visit_on', ", 'active', current_date - 30, current_date - 3");
  ids.followUp = course(A, req(A, 200, ", now(), 'course_started'"), ids.vFine,
    ', state, started_on, ended_on, outcome, follow_up_due', ", 'completed', current_date - 150, current_date - 88, 'continues_on_own', current_date + 2");
  ids.followUpLater = course(A, req(A, 200, ", now(), 'course_started'"), ids.vFine,
    ', state, started_on, ended_on, outcome, follow_up_due', ", 'completed', current_date - 100, current_date - 30, 'continues_on_own', current_date + 60");
  ids.staleAssoc = psql(`INSERT INTO association (centre_id, name, newcomer_places, newcomer_places_updated_at) VALUES ('${A}', 'Gammel Strikkeklub', 3, now() - interval '120 days') RETURNING id`);
  ids.freshAssoc = psql(`INSERT INTO association (centre_id, name, newcomer_places, newcomer_places_updated_at) VALUES ('${A}', 'Ny Gåklub', 5, now()) RETURNING id`);
  ids.neverAssoc = psql(`INSERT INTO association (centre_id, name) VALUES ('${A}', 'Aldrig Opdateret') RETURNING id`);
  const res = await k.fetch('/v1/worklists', { headers: auth(w.tokens.A.coordinator) });
  assert.equal(res.status, 200);
  lists = await res.json();
});
after(async () => { assert.equal((await k.stop()).code, 0); });

test('requests waiting longer than the target for first contact', () => {
  assert.equal(lists.first_contact_target_days, 5);
  const got = lists.awaiting_first_contact.map((x) => x.request_id);
  assert.deepEqual(got, [ids.late]);
  assert.equal(lists.awaiting_first_contact[0].days_waiting, 8);
  assert.ok(!JSON.stringify(lists).includes('sealed'), 'no personal data');
});

test('courses without a visit for 14 days, and follow-ups due within a week', () => {
  assert.deepEqual(lists.courses_without_visits.map((x) => x.course_id), [ids.idleCourse]);
  assert.equal(lists.courses_without_visits[0].days_since, 20);
  assert.deepEqual(lists.follow_ups_due.map((x) => x.course_id), [ids.followUp]);
});

test('volunteers whose record check runs out soon (active ones, own centre)', () => {
  assert.deepEqual(lists.expiring_checks.map((x) => [x.volunteer_id, x.what, x.kind]), [[ids.vExpiring, 'record_check', 'child_protection']]);
});

test('associations whose newcomer capacity is stale or never given', () => {
  assert.deepEqual(lists.stale_association_capacity.map((x) => x.association_id), [ids.neverAssoc, ids.staleAssoc]);
});

test('the thresholds can be widened, and only coordinators get the lists', async () => {
  const wide = await (await k.fetch('/v1/worklists?expiring_within_days=365&stale_after_days=1', { headers: auth(w.tokens.A.coordinator) })).json();
  assert.deepEqual(new Set(wide.expiring_checks.map((x) => x.volunteer_id)), new Set([ids.vExpiring, ids.vFine]));
  await expectProblem(assert, await k.fetch('/v1/worklists', { headers: auth(w.tokens.A.guide) }), 403, 'forbidden');
  await expectProblem(assert, await k.fetch('/v1/worklists?expiring_within_days=0', { headers: auth(w.tokens.A.coordinator) }), 422, 'validation_failed');
});
