// Status back to the portal: webhook endpoints, the outbox written with the
// state change, signed delivery with retries, a restart between the change
// and the delivery, replay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { startKompasd, expectProblem, psql, until } from './harness.mjs';
import { makeWorld, auth, JSON_HEADERS, uniq } from './fixtures.mjs';

let k;
let w;
let receiver;
let hookUrl;
const received = []; // {headers, body, status}
let failNext = 0; // answer 500 to this many requests
let hold = null; // {arrived, wait}: report the next delivery, answer it once wait resolves

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d) => { body += d; }).on('end', async () => {
      if (hold) {
        const h = hold;
        hold = null;
        h.arrived(body);
        await h.wait;
      }
      const status = failNext > 0 ? 500 : 204;
      if (failNext > 0) failNext--;
      received.push({ headers: req.headers, body, status, path: req.url });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
  k = await startKompasd({ env: { KOMPAS_WEBHOOKS_ALLOW_HTTP: '1' } });
  w = await makeWorld(k);
});
after(async () => {
  if (k) assert.equal((await k.stop()).code, 0);
  receiver.close();
});

const call = (kk, method, p, token, body) => kk.fetch(p, {
  method, headers: { ...auth(token), ...(body ? JSON_HEADERS : {}) }, body: body ? JSON.stringify(body) : undefined,
});
const coord = () => w.tokens.A.coordinator;
let hook;

test('a coordinator registers an endpoint; the secret is shown once', async () => {
  const res = await call(k, 'POST', '/v1/webhooks', coord(), { url: hookUrl });
  assert.equal(res.status, 201);
  hook = await res.json();
  assert.match(hook.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(hook.event_types, ['request.status_changed']);
  const list = await (await call(k, 'GET', '/v1/webhooks', coord())).json();
  const mine = list.items.find((x) => x.id === hook.id);
  assert.ok(mine && mine.secret === undefined, 'the secret is not listed');
  const stored = psql(`SELECT encode(secret_sealed, 'escape') FROM webhook_endpoint WHERE id = '${hook.id}'`);
  assert.ok(!stored.includes(hook.secret.slice(6, 20)), 'the secret is sealed');
  await expectProblem(assert, await call(k, 'GET', `/v1/webhooks/${hook.id}/events`, w.tokens.B.coordinator), 404, 'not_found');
});

async function portalRequest() {
  const ref = uniq('ref');
  const r = await (await call(k, 'POST', '/v1/requests', w.tokens.A.portal, { portal_reference: ref, citizen: { name: 'Hanne Hook', phone: '+45 81 82 83 84' } })).json();
  return { id: r.id, ref };
}
const eventsFor = (ref) => received.filter((x) => x.status === 204 && JSON.parse(x.body).portal_reference === ref);

test('a change of the citizen-safe status is delivered, signed, without personal data', async () => {
  const { id, ref } = await portalRequest();
  assert.equal((await call(k, 'POST', `/v1/requests/${id}/transitions`, coord(), { to: 'accepted' })).status, 200);
  await until(() => eventsFor(ref).length === 1, { timeoutMs: 10000 });
  const got = eventsFor(ref)[0];
  const body = JSON.parse(got.body);
  assert.equal(body.type, 'request.status_changed');
  assert.equal(body.request_id, id);
  assert.equal(body.status, 'in_progress');
  assert.equal(got.headers['kompas-event-id'], body.event_id);
  assert.ok(!got.body.includes('Hanne') && !got.body.includes('8182'), 'no personal data');
  const expected = `v1=${createHmac('sha256', hook.secret).update(`${got.headers['kompas-timestamp']}.${got.body}`).digest('hex')}`;
  assert.equal(got.headers['kompas-signature'], expected);
  assert.ok(Math.abs(Number(got.headers['kompas-timestamp']) - Date.now() / 1000) < 60);
  // a step inside "in progress" tells the portal nothing new: no event
  const before = received.length;
  const vol = psql(`INSERT INTO volunteer (centre_id, name, status) VALUES ('${w.A.id}', 'Hook Guide', 'active') RETURNING id`);
  assert.equal((await call(k, 'POST', `/v1/requests/${id}/transitions`, coord(), { to: 'guide_assigned', volunteer_id: vol })).status, 200);
  assert.equal(psql(`SELECT count(*) FROM webhook_event WHERE payload->>'request_id' = '${id}'`), '1');
  assert.equal(received.length, before);
});

test('a failing receiver is retried with backoff until it answers; every attempt is logged', async () => {
  failNext = 2;
  const { id, ref } = await portalRequest();
  assert.equal((await call(k, 'POST', `/v1/requests/${id}/transitions`, coord(), { to: 'declined', reason: 'not_appropriate' })).status, 200);
  await until(() => eventsFor(ref).length === 1, { timeoutMs: 20000, intervalMs: 100 });
  assert.equal(JSON.parse(eventsFor(ref)[0].body).status, 'closed');
  const attempts = received.filter((x) => JSON.parse(x.body).portal_reference === ref).map((x) => x.status);
  assert.deepEqual(attempts, [500, 500, 204]);
  const events = (await (await call(k, 'GET', `/v1/webhooks/${hook.id}/events`, coord())).json()).items;
  const ev = events.find((e) => e.payload.portal_reference === ref);
  assert.equal(ev.attempts, 3);
  assert.ok(ev.delivered_at);
  assert.deepEqual(ev.log.map((a) => a.status), [500, 500, 204]);
});

test('kompasd stopping between the change and the delivery loses nothing: delivered once after the restart', async () => {
  failNext = 1000;
  const { id, ref } = await portalRequest();
  assert.equal((await call(k, 'POST', `/v1/requests/${id}/transitions`, coord(), { to: 'withdrawn', reason: 'withdrawn' })).status, 200);
  await until(() => received.some((x) => JSON.parse(x.body).portal_reference === ref), { timeoutMs: 10000 });
  assert.equal((await k.stop()).code, 0);
  k = null;
  failNext = 0;
  k = await startKompasd({ env: { KOMPAS_WEBHOOKS_ALLOW_HTTP: '1' } });
  await until(() => eventsFor(ref).length >= 1, { timeoutMs: 20000, intervalMs: 100 });
  // give any duplicate the chance to arrive: wait for the outbox to say delivered
  await until(() => psql(`SELECT count(*) FROM webhook_event WHERE payload->>'portal_reference' = '${ref}' AND delivered_at IS NOT NULL`) === '1');
  assert.equal(eventsFor(ref).length, 1);
  assert.equal(JSON.parse(eventsFor(ref)[0].body).status, 'withdrawn');
});

test('an event can be replayed', async () => {
  const { id, ref } = await portalRequest();
  assert.equal((await call(k, 'POST', `/v1/requests/${id}/transitions`, coord(), { to: 'accepted' })).status, 200);
  await until(() => eventsFor(ref).length === 1, { timeoutMs: 10000 });
  const eventId = JSON.parse(eventsFor(ref)[0].body).event_id;
  const res = await call(k, 'POST', `/v1/webhook-events/${eventId}/replay`, coord());
  assert.equal(res.status, 202);
  await until(() => eventsFor(ref).length === 2, { timeoutMs: 10000 });
  assert.equal(JSON.parse(eventsFor(ref)[1].body).event_id, eventId);
});

test('a replay asked for while the event is being delivered is not lost', async () => {
  const { id, ref } = await portalRequest();
  let release;
  const wait = new Promise((r) => { release = r; });
  const arrived = new Promise((r) => { hold = { arrived: r, wait }; });
  assert.equal((await call(k, 'POST', `/v1/requests/${id}/transitions`, coord(), { to: 'accepted' })).status, 200);
  // The first delivery is at the receiver, unanswered: replay it now.
  const eventId = JSON.parse(await arrived).event_id;
  const res = await call(k, 'POST', `/v1/webhook-events/${eventId}/replay`, coord());
  assert.equal(res.status, 202);
  release();
  await until(() => eventsFor(ref).length === 2, { timeoutMs: 15000 });
  assert.deepEqual(eventsFor(ref).map((e) => JSON.parse(e.body).event_id), [eventId, eventId]);
  assert.equal(psql(`SELECT delivered_at IS NOT NULL AND NOT replay_requested FROM webhook_event WHERE id = '${eventId}'`), 't');
});

test('https is required unless the server allows http; a removed endpoint gets no events', async () => {
  const strict = await startKompasd();
  try {
    const res = await call(strict, 'POST', '/v1/webhooks', coord(), { url: hookUrl });
    const body = await expectProblem(assert, res, 422, 'validation_failed');
    assert.equal(body.errors[0].field, 'url');
  } finally {
    assert.equal((await strict.stop()).code, 0);
  }
  assert.equal((await call(k, 'DELETE', `/v1/webhooks/${hook.id}`, coord())).status, 204);
  const { id } = await portalRequest();
  assert.equal((await call(k, 'POST', `/v1/requests/${id}/transitions`, coord(), { to: 'accepted' })).status, 200);
  assert.equal(psql(`SELECT count(*) FROM webhook_event WHERE payload->>'request_id' = '${id}'`), '0');
});
