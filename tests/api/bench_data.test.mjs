// The national benchmark dataset (tools/bench/data.sql) at a tiny scale, in
// a database of its own in the test cluster (the shared test database is
// left alone: other files count its rows): migrated by kompasd, filled by
// the generator with the citizens' details sealed by `kompasd
// seal-requests`, then checked: the row counts and shares the generator
// promises, the request histories against the workflow, courses, visits
// and measurements against their requests, no reference across centres,
// and through the API that kompasd opens every citizen's details and finds
// them by phone (the blind index). The database is dropped at the end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT, startKompasd, runKompasd, pgcluster, psql } from './harness.mjs';
import { login, auth } from './fixtures.mjs';
import { FUNNEL_RECOUNT_SQL } from './funnel_recount.mjs';

const SCALE = '0.002';
const DB = `bench_${randomBytes(4).toString('hex')}`;
const dir = process.env.KOMPAS_TEST_PGDIR;
let sock;
let k;
let load;

const q = (sql) => psql(sql, { db: DB });
const num = (sql) => Number(q(sql));

// The workflow of api/handlers/request_states.c: the steps, and closed or withdrawn
// from every open state.
const OPEN = ['received', 'accepted', 'guide_assigned', 'contacted', 'conversation_held',
  'course_started', 'referred', 'signposted'];
const STEPS = new Set([
  'received>accepted', 'received>declined', 'accepted>guide_assigned', 'guide_assigned>contacted',
  'contacted>conversation_held', 'conversation_held>course_started', 'conversation_held>referred',
  'conversation_held>signposted',
  ...OPEN.flatMap((s) => [`${s}>closed`, `${s}>withdrawn`]),
]);

before(async () => {
  sock = pgcluster('socket', dir).trim();
  pgcluster('createdb', dir, DB);
  const owner = `host=${sock} dbname=${DB} user=kompas_owner`;
  const m = await runKompasd(['-c', path.join(ROOT, 'kompas.conf'), 'migrate'], { conninfo: owner });
  assert.equal(m.code, 0, m.stderr);
  const started = Date.now();
  const r = spawnSync(path.join(ROOT, 'tools/pgcluster.sh'),
    ['psql', dir, '-d', DB, '-v', 'ON_ERROR_STOP=1', '-v', `scale=${SCALE}`, '-f', 'tools/bench/data.sql'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        PGHOST: sock, PGDATABASE: DB, PGUSER: 'kompas_owner',
        BENCH_SEALER: 'sh tools/bench/seal.sh',
      },
    });
  load = { code: r.status, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
  if (load.code === 0) {
    k = await startKompasd({ conninfo: `host=${sock} dbname=${DB} user=kompasd` });
  }
});

after(async () => {
  if (k) await k.stop();
  psql(`DROP DATABASE IF EXISTS "${DB}"`, { db: 'postgres' });
});

test('the generator runs through with every constraint and trigger in force', () => {
  assert.equal(load.code, 0, load.stderr);
  assert.equal(num("SELECT count(*) FROM pg_namespace WHERE nspname = 'bench_stage'"), 0,
    'the staging schema (with the plain values) is dropped');
  assert.equal(num('SELECT count(*) FROM pg_trigger WHERE NOT tgenabled::text = \'O\''), 0,
    'no trigger was left disabled');
});

test('the funnel\'s cells, built after the requests were loaded, are every request\'s', () => {
  assert.ok(num('SELECT count(*) FROM request_funnel_cell') > 0, 'cells were built');
  assert.equal(num(FUNNEL_RECOUNT_SQL), 0, 'cells that differ from a recount of the requests');
});

test('row counts follow the scale, and every centre has an association and a volunteer', () => {
  assert.equal(num('SELECT count(*) FROM centre'), 70);
  const requests = num('SELECT count(*) FROM request');
  assert.ok(requests >= 350 && requests <= 450, `about 200000 x ${SCALE} requests: ${requests}`);
  assert.equal(num(`SELECT count(*) FROM centre c WHERE NOT EXISTS (SELECT 1 FROM association a WHERE a.centre_id = c.id)
                       OR NOT EXISTS (SELECT 1 FROM volunteer v WHERE v.centre_id = c.id AND v.status = 'active')`), 0);
  assert.ok(num('SELECT count(*) FROM event') >= 500000 * Number(SCALE) * 0.8, 'events');
  assert.equal(num('SELECT count(*) FROM event e WHERE e.series_id IS NOT NULL AND e.starts_at < now()') > 0, true);
  // most series weekly
  const weekly = num("SELECT avg((frequency = 'weekly')::int) FROM event_series");
  assert.ok(weekly > 0.7, `weekly share ${weekly}`);
  // skewed centres: the largest has many times the smallest's requests
  const [big, small] = q(`SELECT max(n) || ' ' || min(n) FROM (SELECT count(r.id) AS n FROM centre c
                            LEFT JOIN request r ON r.centre_id = c.id GROUP BY c.id) x`).split(' ').map(Number);
  assert.ok(big >= 20 && big > 5 * small, `largest ${big}, smallest ${small}`);
});

test('most requests are closed; anonymised ones have no personal data left', () => {
  const closed = num('SELECT avg((closed_at IS NOT NULL)::int) FROM request');
  assert.ok(closed > 0.7, `closed share ${closed}`);
  assert.ok(num('SELECT count(*) FROM request WHERE anonymised_at IS NOT NULL') > 0);
  assert.equal(num(`SELECT count(*) FROM request WHERE anonymised_at IS NOT NULL
                      AND (name_sealed IS NOT NULL OR phone_bidx IS NOT NULL OR portal_reference IS NOT NULL
                           OR closed_at IS NULL OR anonymised_at < closed_at + interval '24 months')`), 0);
  assert.equal(num('SELECT count(*) FROM request WHERE anonymised_at IS NULL AND name_sealed IS NULL'), 0);
});

test('every history starts with created and follows the workflow to the request\'s state', () => {
  assert.equal(num(`SELECT count(*) FROM request r WHERE (SELECT count(*) FROM request_event e
                      WHERE e.request_id = r.id AND e.kind = 'created' AND e.to_state = 'received') <> 1`), 0);
  const pairs = q(`SELECT DISTINCT coalesce(from_state, '-') || '>' || to_state FROM request_event WHERE kind = 'state'`)
    .split('\n').filter(Boolean);
  for (const p of pairs) assert.ok(STEPS.has(p), `transition ${p} is in the workflow`);
  // each change starts where the one before ended, in time order
  assert.equal(num(`SELECT count(*) FROM (SELECT from_state, at, lag(to_state) OVER w AS prev, lag(at) OVER w AS prev_at
                      FROM request_event WHERE kind IN ('created', 'state')
                      WINDOW w AS (PARTITION BY request_id ORDER BY id)) x
                     WHERE prev IS NOT NULL AND (from_state IS DISTINCT FROM prev OR at < prev_at)`), 0);
  // the last change is the request's state, with its reason and time
  assert.equal(num(`SELECT count(*) FROM request r
                      JOIN LATERAL (SELECT e.to_state, e.reason, e.at FROM request_event e
                                     WHERE e.request_id = r.id ORDER BY e.id DESC LIMIT 1) l ON true
                     WHERE l.to_state <> r.state OR l.reason IS DISTINCT FROM r.close_reason
                        OR (r.closed_at IS NOT NULL AND r.closed_at <> l.at)`), 0);
  assert.equal(num(`SELECT count(*) FROM request WHERE state IN ('closed', 'declined', 'withdrawn')
                      AND (closed_at IS NULL OR close_reason IS NULL)`), 0);
  assert.equal(num(`SELECT count(*) FROM request r WHERE (r.first_contact_at IS NOT NULL) <>
                      EXISTS (SELECT 1 FROM request_event e WHERE e.request_id = r.id AND e.to_state = 'contacted')`), 0);
  assert.equal(num('SELECT count(*) FROM request_event WHERE at > now()'), 0, 'nothing in the future');
});

test('courses belong to requests that started one; visits lie within the course', () => {
  const courses = num('SELECT count(*) FROM course');
  const requests = num('SELECT count(*) FROM request');
  assert.ok(courses / requests > 0.3 && courses / requests < 0.6, `courses per request ${courses / requests}`);
  assert.equal(num(`SELECT count(*) FROM course c JOIN request r ON r.id = c.request_id
                     WHERE r.assigned_volunteer_id IS DISTINCT FROM c.volunteer_id
                        OR NOT EXISTS (SELECT 1 FROM request_event e WHERE e.request_id = r.id AND e.to_state = 'course_started')
                        OR (c.state IN ('completed', 'ended_early')) <> (r.closed_at IS NOT NULL)`), 0);
  assert.equal(num(`SELECT count(*) FROM visit v JOIN course c ON c.id = v.course_id
                     WHERE c.started_on IS NULL OR v.visited_on < c.started_on
                        OR v.visited_on > coalesce(c.ended_on, current_date)`), 0);
  assert.equal(num(`SELECT count(*) FROM course c WHERE c.state <> 'planned' AND
                      (SELECT count(*) FROM visit v WHERE v.course_id = c.id) NOT BETWEEN 1 AND 6`), 0);
  assert.equal(num(`SELECT count(*) FROM course c WHERE c.last_visit_on IS DISTINCT FROM
                      (SELECT max(visited_on) FROM visit v WHERE v.course_id = c.id)`), 0);
  // measurements before (baseline) and after, the after ones of a course of the request
  assert.ok(num("SELECT count(*) FROM measurement WHERE timepoint = 'baseline'") > 0);
  assert.ok(num("SELECT count(*) FROM measurement WHERE timepoint = 'course_end'") > 0);
  assert.equal(num("SELECT count(*) FROM measurement WHERE timepoint <> 'baseline' AND course_id IS NULL"), 0);
});

test('no reference crosses a centre', () => {
  const checks = {
    'request guide': 'SELECT count(*) FROM request r JOIN volunteer v ON v.id = r.assigned_volunteer_id WHERE v.centre_id <> r.centre_id',
    'request history': 'SELECT count(*) FROM request_event e JOIN request r ON r.id = e.request_id WHERE e.centre_id <> r.centre_id',
    'assigned guide in history': 'SELECT count(*) FROM request_event e JOIN volunteer v ON v.id = e.volunteer_id WHERE v.centre_id <> e.centre_id',
    consent: 'SELECT count(*) FROM request_consent c JOIN request r ON r.id = c.request_id WHERE c.centre_id <> r.centre_id',
    'request category': "SELECT count(*) FROM request_category rc JOIN request r ON r.id = rc.request_id WHERE rc.centre_id <> r.centre_id",
    conversation: 'SELECT count(*) FROM conversation c JOIN request r ON r.id = c.request_id LEFT JOIN volunteer v ON v.id = c.volunteer_id WHERE c.centre_id <> r.centre_id OR v.centre_id <> r.centre_id',
    course: 'SELECT count(*) FROM course c JOIN request r ON r.id = c.request_id JOIN volunteer v ON v.id = c.volunteer_id LEFT JOIN association a ON a.id = c.association_id WHERE c.centre_id <> r.centre_id OR v.centre_id <> c.centre_id OR a.centre_id <> c.centre_id',
    visit: 'SELECT count(*) FROM visit x JOIN course c ON c.id = x.course_id LEFT JOIN association a ON a.id = x.association_id WHERE x.centre_id <> c.centre_id OR a.centre_id <> c.centre_id',
    referral: 'SELECT count(*) FROM referral f JOIN request r ON r.id = f.request_id JOIN association a ON a.id = f.association_id WHERE f.centre_id <> r.centre_id OR a.centre_id <> r.centre_id',
    measurement: 'SELECT count(*) FROM measurement m JOIN request r ON r.id = m.request_id WHERE m.centre_id <> r.centre_id',
    event: 'SELECT count(*) FROM event e JOIN association a ON a.id = e.association_id WHERE a.centre_id <> e.centre_id',
    'event series': 'SELECT count(*) FROM event e JOIN event_series s ON s.id = e.series_id WHERE s.centre_id <> e.centre_id',
    'recruiting association': 'SELECT count(*) FROM volunteer v JOIN association a ON a.id = v.recruited_association_id WHERE a.centre_id <> v.centre_id',
  };
  for (const [name, sql] of Object.entries(checks)) assert.equal(num(sql), 0, name);
});

test('kompasd opens every citizen\'s details and finds them by phone through the blind index', async () => {
  assert.ok(k, 'kompasd started on the generated database');
  const slug = q(`SELECT c.slug FROM centre c ORDER BY (SELECT count(*) FROM request r WHERE r.centre_id = c.id) DESC LIMIT 1`);
  const token = await login(k, `koordinator@${slug}.bench.invalid`);
  const ids = q(`SELECT r.id FROM request r JOIN centre c ON c.id = r.centre_id
                  WHERE c.slug = '${slug}' AND r.anonymised_at IS NULL ORDER BY r.id`).split('\n').filter(Boolean);
  assert.ok(ids.length >= 10, `requests to read: ${ids.length}`);
  let phone = null;
  let multiline = false;
  for (const id of ids) {
    const res = await k.fetch(`/v1/requests/${id}`, { headers: auth(token) });
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json();
    assert.match(body.citizen.name, /^\S+ \S+$/);
    assert.ok(body.citizen.phone || body.citizen.email, 'a way to reach the citizen');
    if (!phone && body.citizen.phone) phone = { id, value: body.citizen.phone };
    // COPY's \n escape in a value comes out as a line break
    if (body.citizen.address) multiline ||= /^Borgervej \d+\n\d{4}$/.test(body.citizen.address);
  }
  assert.ok(multiline, 'an address on two lines');
  assert.ok(phone, 'a citizen with a phone number');
  const res = await k.fetch('/v1/requests/search', {
    method: 'POST', headers: auth(token, { 'Content-Type': 'application/json' }),
    body: JSON.stringify({ phone: phone.value }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.ok((await res.json()).items.some((i) => i.id === phone.id), 'found by phone');
});
