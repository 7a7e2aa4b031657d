// The differencing attack on the statistics (docs/statistics.md): every
// cell is suppressed correctly, yet two allowed windows that differ by a
// little (all time minus up to yesterday) would reveal a small count. Over
// a year of small monthly counts in a fresh centre (2014: no other test
// writes there), every window an analyst may ask for is enumerated (whole
// months, quarters and the year, with and without a start, with and
// without period rows, by source and by heard_from), and no two answers
// for the same cell differ by 1 to 4. The same windows over the raw counts
// do (the test would fail without the rule), and the original attack is
// refused. The disclosure control of one breakdown is audited too: no
// suppressed cell is pinned to an exact count of 1-4 by the bands of the
// published counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKompasd, expectProblem, psql } from './harness.mjs';
import { makeWorld, auth } from './fixtures.mjs';

let k;
let w;
const SEAL = `'\\x${'00'.repeat(60)}'`;
const MONTHS = [3, 1, 0, 4, 2, 6, 1, 0, 2, 3, 7, 1]; // 30 in 2014
const SOURCES = ['portal', 'phone', 'walk_in'];
const HEARD = ['socialkompas', 'municipal_staff', null];
const pad = (n) => String(n).padStart(2, '0');
const lastDay = (m) => new Date(Date.UTC(2014, m, 0)).getUTCDate(); // m: 1..12

before(async () => {
  k = await startKompasd();
  w = await makeWorld(k);
  const values = [];
  let n = 0;
  MONTHS.forEach((count, i) => {
    for (let j = 0; j < count; j++, n++) {
      const src = SOURCES[n % 3];
      const heard = HEARD[n % 3 === 0 ? 0 : n % 2 + 1];
      values.push(`(gen_random_uuid(), '${w.A.id}', '${src}', ${heard ? `'${heard}'` : 'NULL'},
        ${src === 'portal' ? 'gen_random_uuid()::text' : 'NULL'}, ${SEAL},
        '2014-${pad(i + 1)}-${pad(1 + (j * 7) % 27)} 10:00:00+00', 'received')`);
    }
  });
  psql(`INSERT INTO request (id, centre_id, source, heard_from, portal_reference, name_sealed, created_at, state)
        VALUES ${values.join(',')}`);
  // a few reach accepted, so that a second stage has small counts too
  psql(`INSERT INTO request_event (request_id, centre_id, at, actor_kind, actor_role, kind, to_state)
        SELECT id, centre_id, created_at, 'system', 'coordinator', 'state', 'accepted'
          FROM request WHERE centre_id = '${w.A.id}' AND extract(day FROM created_at) < 12`);
});

after(async () => {
  await k.stop();
});

// Every window of whole months, quarters and the year in 2014, as query
// strings (group_by included where the rows are per period).
function windows() {
  const qs = [];
  for (let a = 1; a <= 12; a++) {
    for (let b = a; b <= 12; b++) {
      const win = `from=2014-${pad(a)}-01&to=2014-${pad(b)}-${lastDay(b)}`;
      qs.push(win, `${win}&group_by=month`);
    }
    qs.push(`to=2014-${pad(a)}-${lastDay(a)}`); // from the beginning
  }
  for (let a = 1; a <= 4; a++) {
    for (let b = a; b <= 4; b++) {
      qs.push(`from=2014-${pad(3 * a - 2)}-01&to=2014-${pad(3 * b)}-${lastDay(3 * b)}&group_by=quarter`);
    }
  }
  qs.push('from=2014-01-01&to=2014-12-31&group_by=year', 'to=2014-12-31&group_by=year');
  return qs;
}

test('no two allowed answers for the same cell differ by 1 to 4', async () => {
  const qs = windows();
  assert.ok(qs.length > 150, `${qs.length} windows`);
  const seen = new Map(); // cell -> [value, window]
  let compared = 0;
  let shownCells = 0;
  for (const breakdown of ['source', 'heard_from']) {
    for (const q of qs) {
      const grouped = breakdown === 'source' ? q : q.includes('group_by') ? `${q},heard_from` : `${q}&group_by=heard_from`;
      const path = `/v1/stats/funnel?${grouped}&centre=${w.A.slug}`;
      const res = await k.fetch(path, { headers: auth(w.tokens.national.analyst) });
      assert.equal(res.status, 200, path);
      const body = await res.json();
      assert.equal(body.truncated, false);
      for (const r of body.rows) {
        if (r.suppressed || !Number.isInteger(r.value) || r.measure.startsWith('days_')) continue;
        shownCells++;
        const key = `${breakdown}|${r.period}|${r[breakdown]}|${r.measure}`;
        const list = seen.get(key) || [];
        for (const [v, other] of list) {
          const d = Math.abs(v - r.value);
          compared++;
          assert.ok(d === 0 || d >= 5, `${key}: ${v} (${other}) and ${r.value} (${q}) differ by ${d}`);
        }
        list.push([r.value, q]);
        seen.set(key, list);
      }
    }
  }
  assert.ok(shownCells > 100 && compared > 1000, `${shownCells} shown cells, ${compared} pairs compared`);

  // The same windows over the raw counts: the differences the rule closes.
  const raw = (from, to) => Number(psql(`SELECT count(*) FROM request WHERE centre_id = '${w.A.id}'
      AND created_at >= '${from}'::timestamp AT TIME ZONE 'Europe/Copenhagen'
      AND created_at < ('${to}'::date + 1)::timestamp AT TIME ZONE 'Europe/Copenhagen'`));
  const year = raw('2014-01-01', '2014-12-31');
  const toNov = raw('2014-01-01', '2014-11-30');
  assert.equal(year, 30);
  assert.equal(year - toNov, 1, 'December alone: 1 request, suppressed in its own cell');
  assert.ok(year >= 5 && toNov >= 5, 'both windows would be shown without rounding');
});

test('the original attack: all time minus up to yesterday is not an allowed pair', async () => {
  const a = w.tokens.national.analyst;
  const yesterday = psql("SELECT ((now() AT TIME ZONE 'Europe/Copenhagen')::date - 1)::text");
  const monthEnd = psql(`SELECT '${yesterday}'::date + 1 = date_trunc('month', '${yesterday}'::date + 1)::date`) === 't';
  const all = await (await k.fetch('/v1/stats/funnel', { headers: auth(a) })).json();
  const upToYesterday = await k.fetch(`/v1/stats/funnel?to=${yesterday}`, { headers: auth(a) });
  if (monthEnd) {
    // yesterday closed a month: both windows are the same window
    assert.deepEqual((await upToYesterday.json()).rows, all.rows);
  } else {
    await expectProblem(assert, upToYesterday, 422, 'validation_failed');
  }
  // "all time" is all time up to the last closed month, and today's
  // requests are not in it
  assert.equal(all.filters.to, all.closed_through);
  assert.ok(all.filters.to < psql("SELECT ((now() AT TIME ZONE 'Europe/Copenhagen')::date)::text"));
});

test('disclosure of one breakdown: the bands never pin a suppressed cell to 1-4', () => {
  // every breakdown of 1 to 5 cells over these counts, decided by the database
  const V = [0, 3, 4, 5, 9];
  const out = psql(`WITH v (x) AS (SELECT unnest('{${V}}'::bigint[])),
      arrays AS (
        SELECT ARRAY[a.x] AS c FROM v a
        UNION ALL SELECT ARRAY[a.x, b.x] FROM v a, v b
        UNION ALL SELECT ARRAY[a.x, b.x, c.x] FROM v a, v b, v c
        UNION ALL SELECT ARRAY[a.x, b.x, c.x, d.x] FROM v a, v b, v c, v d
        UNION ALL SELECT ARRAY[a.x, b.x, c.x, d.x, e.x] FROM v a, v b, v c, v d, v e)
      SELECT array_to_string(c, ',') || '|' || replace(replace(array_to_string(kompas_stats_disclose(c), ',', '-'),
               'count_under_5', 'u'), 'complementary', 'c') FROM arrays`);
  const lines = out.split('\n');
  assert.equal(lines.length, 5 + 25 + 125 + 625 + 3125);
  const band = (v, why) => (why === '-' ? [Math.floor(v / 5) * 5, Math.floor(v / 5) * 5 + 4]
    : why === 'u' ? [0, 4] : [5, Infinity]);
  let pinnedBefore = 0;
  for (const line of lines) {
    const [cs, rs] = line.split('|');
    const c = cs.split(',').map(Number);
    const why = rs.split(',');
    assert.equal(why.length, c.length + 1, line);
    const total = c.reduce((x, y) => x + y, 0);
    const [tlo, thi] = band(total, why[c.length]);
    const bands = c.map((v, i) => band(v, why[i]));
    for (let j = 0; j < c.length; j++) {
      if (why[j] !== 'u') continue;
      let lo = tlo;
      let hi = thi;
      bands.forEach(([l, h], i) => { if (i !== j) { lo -= h; hi -= l; } });
      lo = Math.max(0, lo);
      hi = Math.min(4, hi);
      assert.ok(lo <= c[j] && c[j] <= hi, `${line}: the true ${c[j]} outside [${lo}, ${hi}]`);
      assert.ok(!(lo === hi && lo >= 1), `${line}: cell ${j} is pinned to ${lo}`);
    }
    // the old rule (only the single suppressed cell protected) would pin some
    if (c.length === 5 && c.every((v) => v === 4)) pinnedBefore++;
  }
  assert.equal(pinnedBefore, 1);
});
