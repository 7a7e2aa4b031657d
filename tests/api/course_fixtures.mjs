// course_fixtures.mjs - test data for courses, referrals and measurements:
// requests brought to conversation_held through the API, associations and
// events made as the owner (their APIs are other files' business), and
// dates relative to today.
import { randomUUID } from 'node:crypto';
import { psql } from './harness.mjs';
import { call, createRequest, uniq } from './fixtures.mjs';

// YYYY-MM-DD of today (UTC) plus `days` (negative: in the past).
export function day(days = 0, from = new Date()) {
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// A date string plus `days`.
export function addDays(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// An association of the centre, made as the owner; returns its id.
export function createAssociationRow(centreId, name = uniq('Forening')) {
  const id = randomUUID();
  psql(`INSERT INTO association (id, centre_id, name) VALUES ('${id}', '${centreId}', '${name}')`);
  return id;
}

// An activity of the centre (optionally of an association), made as the
// owner; returns its id.
export function createEventRow(centreId, associationId = null) {
  const id = randomUUID();
  psql(`INSERT INTO event (id, centre_id, association_id, kind, title, starts_at, ends_at)
        VALUES ('${id}', '${centreId}', ${associationId ? `'${associationId}'` : 'NULL'}, 'activity',
                'Strikkecafé ${uniq('e')}', now() - interval '20 days', now() - interval '20 days' + interval '2 hours')`);
  return id;
}

// Move a request one step; throws unless 200.
export async function step(k, token, requestId, body) {
  const res = await call(k, 'POST', `/v1/requests/${requestId}/transitions`, { token, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`request ${requestId} to ${body.to}: ${res.status} ${text}`);
  return JSON.parse(text);
}

// A request of the coordinator's centre assigned to volunteerId, moved
// through the workflow to conversation_held; resolves with its last body.
export async function heldRequest(k, coordinatorToken, volunteerId) {
  const r = await createRequest(k, coordinatorToken);
  await step(k, coordinatorToken, r.id, { to: 'accepted' });
  await step(k, coordinatorToken, r.id, { to: 'guide_assigned', volunteer_id: volunteerId });
  await step(k, coordinatorToken, r.id, { to: 'contacted' });
  return step(k, coordinatorToken, r.id, { to: 'conversation_held' });
}

// A course for a new held request; resolves with the course.
export async function createCourse(k, coordinatorToken, volunteerId, body = {}) {
  const r = await heldRequest(k, coordinatorToken, volunteerId);
  const res = await call(k, 'POST', `/v1/requests/${r.id}/courses`, { token: coordinatorToken, body: { planned_end: day(60), ...body } });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`create course: ${res.status} ${text}`);
  return JSON.parse(text);
}

// A referral of a new held request to associationId; resolves with it.
export async function createReferral(k, coordinatorToken, volunteerId, associationId) {
  const r = await heldRequest(k, coordinatorToken, volunteerId);
  const res = await call(k, 'POST', `/v1/requests/${r.id}/referrals`, { token: coordinatorToken, body: { association_id: associationId } });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`create referral: ${res.status} ${text}`);
  return JSON.parse(text);
}
