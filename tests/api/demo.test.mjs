// The demo of `make run`: tools/demo-data.sql into a fresh database, then
// tools/demo-load.mjs against a kompasd on it and the timeline it writes,
// as tools/dev-run.sh does. Checks that the world is believable: requests
// in every state, volunteers in every status, the partner associations,
// events ahead, courses with visits and measurements, a history spread over
// months, and that every demo account (and the portal keys) can log in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startKompasd, runKompasd, psql, pgcluster } from './harness.mjs';
import { PASSWORD, call, login } from './fixtures.mjs';

const APP_CONNINFO = process.env.KOMPAS_TEST_CONNINFO;
const OWNER_CONNINFO = process.env.KOMPAS_TEST_OWNER_CONNINFO || APP_CONNINFO;
const db = `demo_${randomBytes(4).toString('hex')}`;
const STATES = ['received', 'accepted', 'declined', 'guide_assigned', 'contacted', 'conversation_held',
  'course_started', 'referred', 'signposted', 'closed', 'withdrawn'];
const STATUSES = ['applicant', 'in_training', 'active', 'paused', 'retired', 'rejected'];
const PARTNERS = ['Et Fælles Skridt', 'Ældre Sagen Odense', 'Red Barnet Odense', 'Social Sundhed Odense'];

let k;
let tmp;
let load;
const tokens = {};
let created = false;

const q = (sql) => psql(sql, { db });
const rows = (sql) => q(sql).split('\n').filter(Boolean).map((l) => l.split('|'));

// node tools/demo-load.mjs BASE ...args, to completion (killed after 120 s).
function runLoader(args) {
  const proc = spawn(process.execPath, [path.join(ROOT, 'tools/demo-load.mjs'), ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  proc.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 120000);
  return once(proc, 'exit').then(([code, signal]) => {
    clearTimeout(timer);
    return { code, signal, stdout, stderr };
  });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(process.env.KOMPAS_TEST_TMP || os.tmpdir(), 'demo-'));
  psql(`CREATE DATABASE ${db}`, { db: 'postgres' });
  created = true;
  const conninfo = APP_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`);
  const ownerConninfo = OWNER_CONNINFO.replace(/dbname=\S+/, `dbname=${db}`);
  assert.notEqual(conninfo, APP_CONNINFO);
  const m = await runKompasd(['-c', 'kompas.conf', 'migrate'], { conninfo: ownerConninfo });
  assert.equal(m.code, 0, m.stderr);
  pgcluster('psql', process.env.KOMPAS_TEST_PGDIR, '-d', db, '-v', 'ON_ERROR_STOP=1',
    '-f', path.join(ROOT, 'tools/demo-data.sql'));
  k = await startKompasd({ conninfo });
  const timeline = path.join(tmp, 'timeline.sql');
  const keys = path.join(tmp, 'keys');
  load = await runLoader([k.base, '--timeline', timeline, '--keys', keys]);
  load.keys = fs.existsSync(keys) ? fs.readFileSync(keys, 'utf8') : '';
  if (load.code === 0) {
    pgcluster('psql', process.env.KOMPAS_TEST_PGDIR, '-d', db, '-v', 'ON_ERROR_STOP=1', '-f', timeline);
  }
});

after(async () => {
  try {
    if (k) await k.stop();
  } finally {
    if (created) psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, { db: 'postgres' });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
});

async function token(email) {
  tokens[email] ||= await login(k, email);
  return tokens[email];
}

async function get(email, p) {
  const res = await call(k, 'GET', p, { token: await token(email) });
  const text = await res.text();
  assert.equal(res.status, 200, `GET ${p} as ${email}: ${text}`);
  return JSON.parse(text);
}

test('the loader runs to the end and reports what it made', () => {
  assert.equal(load.code, 0, `demo-load failed:\n${load.stderr}`);
  assert.equal(load.stderr, '');
  assert.match(load.stdout, /Frivilligcenter Odense: 26 requests/);
  assert.match(load.stdout, /Frivilligcenter Silkeborg: 26 requests/);
});

test('every demo account logs in, and the portal keys work', async () => {
  const emails = q("SELECT email FROM account WHERE email LIKE '%.demo' ORDER BY email").split('\n');
  assert.deepEqual(rows("SELECT DISTINCT role FROM account WHERE email LIKE '%.demo' ORDER BY role").flat(),
    ['admin', 'analyst', 'association', 'coordinator', 'guide']);
  assert.ok(emails.length >= 8, emails.join(' '));
  for (const email of emails) {
    const res = await call(k, 'POST', '/v1/sessions', { body: { email, password: PASSWORD } });
    assert.equal(res.status, 201, `${email} logs in`);
  }
  const keys = load.keys.trim().split('\n').map((l) => l.split(' '));
  assert.deepEqual(keys.map(([slug]) => slug), ['odense', 'silkeborg']);
  for (const [slug, key] of keys) {
    const res = await call(k, 'GET', '/v1/me', { token: key });
    assert.equal(res.status, 200);
    const me = await res.json();
    assert.equal(me.role, 'portal');
    assert.equal(me.centre_id, q(`SELECT id FROM centre WHERE slug = '${slug}'`));
  }
});

test('requests in every state in both centres, made through the API (the citizen data opens)', async () => {
  for (const slug of ['odense', 'silkeborg']) {
    const states = rows(`SELECT DISTINCT r.state FROM request r JOIN centre c ON c.id = r.centre_id
                          WHERE c.slug = '${slug}' ORDER BY 1`).flat();
    assert.deepEqual(states, [...STATES].sort(), slug);
    assert.equal(q(`SELECT count(*) FROM request r JOIN centre c ON c.id = r.centre_id
                     WHERE c.slug = '${slug}' AND r.name_sealed IS NULL`), '0');
  }
  assert.deepEqual(rows('SELECT DISTINCT source FROM request ORDER BY 1').flat(),
    ['municipal_referral', 'phone', 'portal', 'relative_referral', 'walk_in']);
  assert.equal(q("SELECT count(DISTINCT heard_from) FROM request"), '6');
  assert.equal(q("SELECT count(*) FROM request WHERE state IN ('closed', 'declined', 'withdrawn') AND close_reason IS NULL"), '0');
  // the coordinator reads a citizen: kompasd opens what it sealed
  const list = await get('koordinator@odense.demo', '/v1/requests?limit=200');
  assert.equal(list.items.length, 26);
  const one = await get('koordinator@odense.demo', `/v1/requests/${list.items[0].id}`);
  assert.match(one.citizen.name, /^\p{Lu}\p{Ll}+ /u);
  assert.ok(one.categories.length > 0 && one.consents.length >= 3, JSON.stringify(one));
  // the demo guide sees the requests assigned to them, and nothing else
  const mine = await get('guide@odense.demo', '/v1/requests?limit=200');
  assert.ok(mine.items.length >= 4, `the demo guide has ${mine.items.length} citizens`);
  const vol = await get('guide@odense.demo', '/v1/me/volunteer');
  assert.equal(String(mine.items.length), q(`SELECT count(*) FROM request WHERE assigned_volunteer_id = '${vol.id}'`));
});

test('volunteers in every status, with languages, areas, availability, trainings and record checks', async () => {
  for (const slug of ['odense', 'silkeborg']) {
    const statuses = rows(`SELECT DISTINCT v.status FROM volunteer v JOIN centre c ON c.id = v.centre_id
                            WHERE c.slug = '${slug}' ORDER BY 1`).flat();
    assert.deepEqual(statuses, [...STATUSES].sort(), slug);
  }
  // the guide accounts are active volunteers
  assert.equal(q(`SELECT count(*) FROM volunteer v JOIN account a ON a.id = v.account_id
                   WHERE a.email LIKE 'guide@%.demo' AND v.status = 'active'`), '2');
  assert.equal(q(`SELECT count(*) FROM volunteer WHERE status = 'active'
                   AND (cardinality(languages) = 0 OR cardinality(postal_areas) = 0)`), '0');
  assert.equal(q(`SELECT count(*) FROM volunteer v WHERE status = 'active' AND NOT EXISTS
                   (SELECT 1 FROM volunteer_record_check r WHERE r.volunteer_id = v.id AND r.kind = 'criminal_record')`), '0');
  assert.equal(q(`SELECT count(*) FROM volunteer v WHERE status = 'active' AND NOT EXISTS
                   (SELECT 1 FROM volunteer_availability a WHERE a.volunteer_id = v.id)`), '0');
  // every status has its history, from the registration on
  assert.equal(q(`SELECT count(*) FROM volunteer v WHERE v.status <> (SELECT s.to_status FROM volunteer_status_change s
                   WHERE s.volunteer_id = v.id ORDER BY s.changed_at DESC, s.id DESC LIMIT 1)`), '0');
  // something runs out soon: the coordinators' work list shows it
  const wl = await get('koordinator@odense.demo', '/v1/worklists');
  assert.ok(wl.expiring_checks.some((e) => e.what === 'record_check'), JSON.stringify(wl.expiring_checks));
  assert.ok(wl.expiring_checks.some((e) => e.what === 'training'), JSON.stringify(wl.expiring_checks));
});

test('the partner associations with their schemes, and fictional kompasfællesskaber with categories', async () => {
  const list = await get('koordinator@odense.demo', '/v1/associations?limit=200');
  for (const name of PARTNERS) {
    const a = list.items.find((x) => x.name === name);
    assert.ok(a, `${name} exists`);
    assert.equal(a.scheme_offered, true, name);
    assert.ok(a.scheme_for && a.categories.length > 0, name);
  }
  assert.ok(list.items.length >= 10, `${list.items.length} associations in Odense`);
  assert.ok(list.items.every((a) => a.categories.length > 0 && a.postal_code));
  assert.ok(list.items.some((a) => a.welcome_training_on) && list.items.some((a) => !a.welcome_training_on));
  assert.ok(Number(q("SELECT count(*) FROM association a JOIN centre c ON c.id = a.centre_id WHERE c.slug = 'silkeborg'")) >= 10);
  // the association contacts speak for a partner each
  assert.equal(q(`SELECT string_agg(s.name, ', ' ORDER BY s.name) FROM account a JOIN association s ON s.id = a.association_id
                   WHERE a.role = 'association' AND a.email LIKE '%.demo'`), 'Et Fælles Skridt, Ældre Sagen Silkeborg');
  const refs = await get('forening@odense.demo', '/v1/referrals');
  assert.ok(refs.items.length >= 2 && refs.items.some((r) => r.state === 'sent'), JSON.stringify(refs.items));
});

test('events: weekly series from the past month to months ahead, trainings, workshops, one cancelled', async () => {
  for (const slug of ['odense', 'silkeborg']) {
    const where = `FROM event e JOIN centre c ON c.id = e.centre_id WHERE c.slug = '${slug}'`;
    assert.ok(Number(q(`SELECT count(*) ${where} AND e.starts_at BETWEEN now() AND now() + interval '3 weeks'`)) >= 20, slug);
    assert.ok(Number(q(`SELECT count(*) ${where} AND e.starts_at < now() - interval '3 weeks'`)) >= 10, slug);
    assert.ok(Number(q(`SELECT count(*) ${where} AND e.starts_at > now() + interval '11 weeks'`)) >= 5, slug);
    assert.equal(q(`SELECT count(*) ${where} AND e.cancelled`), '1', slug);
    assert.deepEqual(rows(`SELECT DISTINCT e.kind ${where} ORDER BY 1`).flat(),
      ['activity', 'guide_training', 'info_meeting', 'welcome_workshop'], slug);
  }
  // series rows as POST /v1/event-series makes them
  assert.equal(q(`SELECT count(*) FROM event_series s WHERE NOT EXISTS (SELECT 1 FROM event e WHERE e.series_id = s.id)
                   OR s.first_starts_at <> (SELECT min(e.starts_at) FROM event e WHERE e.series_id = s.id)`), '0');
  const pub = await (await k.fetch('/v1/public/events?centre=odense&limit=50')).json();
  assert.ok(pub.items.length >= 20);
  assert.ok(pub.items.some((e) => e.kind === 'guide_training' || e.kind === 'info_meeting'));
  // sign-ups for the trainings and the workshops
  assert.ok(Number(q("SELECT count(*) FROM event_signup s JOIN event e ON e.id = s.event_id WHERE e.kind = 'guide_training'")) > 0);
  assert.ok(Number(q("SELECT count(*) FROM event_signup s JOIN event e ON e.id = s.event_id WHERE e.kind = 'welcome_workshop'")) > 0);
});

test('courses in every state with visits, outcomes, follow-ups, referrals and measurements', async () => {
  assert.deepEqual(rows('SELECT DISTINCT state FROM course ORDER BY 1').flat(), ['active', 'completed', 'ended_early', 'planned']);
  assert.ok(Number(q('SELECT count(*) FROM visit')) >= 30);
  assert.ok(Number(q('SELECT count(*) FROM visit WHERE event_id IS NOT NULL')) >= 5, 'recent visits are at real occurrences');
  assert.ok(Number(q('SELECT count(*) FROM visit WHERE note_sealed IS NOT NULL')) > 0);
  assert.equal(q("SELECT count(*) FROM visit WHERE visited_on > current_date"), '0');
  assert.deepEqual(rows('SELECT DISTINCT follow_up_result FROM course WHERE follow_up_result IS NOT NULL ORDER BY 1').flat(),
    ['not_taking_part', 'still_taking_part']);
  assert.deepEqual(rows('SELECT DISTINCT state FROM referral ORDER BY 1').flat(), ['accepted', 'completed', 'declined', 'sent']);
  assert.deepEqual(rows('SELECT DISTINCT timepoint FROM measurement ORDER BY 1').flat(), ['baseline', 'course_end', 'follow_up']);
  assert.deepEqual(rows('SELECT DISTINCT instrument FROM measurement ORDER BY 1').flat(), ['ucla3', 'who5']);
  assert.ok(Number(q('SELECT count(*) FROM conversation WHERE summary_sealed IS NOT NULL')) >= 20);
  // the guide reads a course of theirs with the visit notes opened
  const courses = await get('guide@odense.demo', '/v1/courses');
  assert.ok(courses.items.length >= 2);
  const full = await get('guide@odense.demo', `/v1/courses/${courses.items.find((c) => c.visits_recorded > 0).id}`);
  assert.ok(full.visits.some((v) => typeof v.note === 'string' && v.note.length > 0));
  // the coordinators' work list has something in every list
  const wl = await get('koordinator@odense.demo', '/v1/worklists');
  for (const list of ['awaiting_first_contact', 'courses_without_visits', 'follow_ups_due', 'stale_association_capacity']) {
    assert.ok(wl[list].length > 0, `${list}: ${JSON.stringify(wl[list])}`);
  }
});

test('the history is spread over months and in order, and nothing lies in the future', () => {
  assert.ok(Number(q("SELECT count(*) FROM request WHERE created_at < now() - interval '150 days'")) >= 2);
  assert.ok(Number(q("SELECT count(*) FROM request WHERE created_at > now() - interval '7 days'")) >= 4);
  assert.equal(q(`SELECT count(*) FROM (SELECT at < lag(at) OVER (PARTITION BY request_id ORDER BY id) AS back
                   FROM request_event) x WHERE back`), '0');
  assert.equal(q("SELECT count(*) FROM request_event e JOIN request r ON r.id = e.request_id WHERE e.at < r.created_at"), '0');
  assert.equal(q('SELECT count(*) FROM request WHERE first_contact_at < created_at OR closed_at < created_at'), '0');
  for (const [table, col] of [['request', 'updated_at'], ['request_event', 'at'], ['conversation', 'created_at'],
    ['course', 'created_at'], ['visit', 'created_at'], ['referral', 'sent_at'], ['measurement', 'created_at']]) {
    assert.equal(q(`SELECT count(*) FROM ${table} WHERE ${col} > now()`), '0', `${table}.${col}`);
  }
  // a conversation is recorded on the day it was held, a course after the conversation
  assert.equal(q("SELECT count(*) FROM conversation WHERE (created_at AT TIME ZONE 'UTC')::date <> held_on"), '0');
  assert.equal(q(`SELECT count(*) FROM course c WHERE c.created_at < (SELECT max(v.created_at) FROM conversation v
                   WHERE v.request_id = c.request_id)`), '0');
});

test('the loader refuses a database that has requests already', async () => {
  const again = await runLoader([k.base]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /has requests already/);
  assert.equal(q('SELECT count(*) FROM request'), '52');
});
