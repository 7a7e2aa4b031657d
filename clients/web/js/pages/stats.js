// stats.js - the statistics: time to first contact per period, the funnel,
// courses and their outcomes with the hand-over (visits the citizen managed
// alone, by the follow-up result), wellbeing (WHO-5) at the start and at the
// end per period as dots, volunteers by status, the hand-over per
// association next to its welcome training and, for analysts, the split by
// centre; inline SVG charts, each table offered as CSV (the API's own).
// The window is chosen as whole, ended months, quarters or years
// (Europe/Copenhagen), the only windows the API answers; by default the
// last 12 ended months. Hidden (suppressed) cells are shown as such, never
// as 0.
import { get, api, all, withQuery, session, ApiError } from '../api.js';
import { t, tv, fmtNum, fmtPeriod, fmtDate } from '../i18n.js';
import { h, field, section, busy, showProblem } from '../dom.js';
import { barChart, groupedBars, dotChart } from '../charts.js';
import { go, link } from '../router.js';
import { download } from './request.js';

const FUNNEL = ['received', 'accepted', 'contacted', 'conversation_held', 'course_started', 'referred', 'signposted', 'closed'];
const STATUSES = ['applicant', 'in_training', 'active', 'paused', 'retired', 'rejected'];
const CHANNELS = ['socialkompas', 'municipal_staff', 'relative', 'local_paper', 'association', 'other', 'not_given'];
const RECRUITED = ['socialkompas', 'association', 'word_of_mouth', 'local_paper', 'event', 'other'];

// Periods: a month, quarter or year as an index (months and quarters
// counted from year 0) and as the API's period name (2026-03, 2026-Q1, 2026).
const UNITS = ['month', 'quarter', 'year'];
const PER_YEAR = { month: 12, quarter: 4, year: 1 };
const OFFERED = { month: 48, quarter: 16, year: 6 }; // how many ended periods the pickers offer
const DEFAULT_SPAN = { month: 12, quarter: 4, year: 1 }; // the window when none is chosen
const pad2 = (n) => String(n).padStart(2, '0');

// Today's year and month in Copenhagen, where the API's periods end.
function copenhagenMonth() {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Copenhagen', year: 'numeric', month: 'numeric' }).formatToParts(new Date());
  const part = (type) => Number(parts.find((x) => x.type === type).value);
  return { y: part('year'), m: part('month') };
}

// The index of the last ended period of unit (the one before today's).
function lastClosed(unit) {
  const { y, m } = copenhagenMonth();
  return Math.floor((y * 12 + m - 1) / (12 / PER_YEAR[unit])) - 1;
}

export function periodName(unit, i) {
  const y = Math.floor(i / PER_YEAR[unit]);
  const k = i % PER_YEAR[unit];
  return unit === 'month' ? `${y}-${pad2(k + 1)}` : unit === 'quarter' ? `${y}-Q${k + 1}` : String(y);
}

function periodIndex(unit, name) {
  const re = { month: /^(\d{4})-(0[1-9]|1[0-2])$/, quarter: /^(\d{4})-Q([1-4])$/, year: /^(\d{4})$/ }[unit];
  const m = re.exec(name || '');
  if (!m) return null;
  return unit === 'year' ? Number(m[1]) : Number(m[1]) * PER_YEAR[unit] + Number(m[2]) - 1;
}

// The first and the last day (YYYY-MM-DD) of period i of unit.
export function periodDays(unit, i) {
  const months = 12 / PER_YEAR[unit];
  const m0 = i * months; // months from year 0
  const first = `${Math.floor(m0 / 12)}-${pad2((m0 % 12) + 1)}-01`;
  const m1 = m0 + months - 1;
  const y1 = Math.floor(m1 / 12);
  const lastDay = new Date(Date.UTC(y1, (m1 % 12) + 1, 0)).getUTCDate();
  return [first, `${y1}-${pad2((m1 % 12) + 1)}-${pad2(lastDay)}`];
}

// The window of the address (?unit=month&from=2025-12&to=2026-11): unit and
// period indexes, the last DEFAULT_SPAN ended periods when not given.
function windowOf(query) {
  const unit = UNITS.includes(query.unit) ? query.unit : 'month';
  const last = lastClosed(unit);
  let from = periodIndex(unit, query.from);
  let to = periodIndex(unit, query.to);
  if (from === null || to === null) [from, to] = [last - DEFAULT_SPAN[unit] + 1, last];
  if (from > to) [from, to] = [to, from];
  return { unit, from, to };
}

// The pickers: the unit, then from and to among the ended periods of that
// unit (newest first); changing the unit offers its own periods.
function periodPicker(win) {
  const unitField = field({ name: 'unit', label: t('stats.unit'), type: 'select', value: win.unit,
    options: UNITS.map((u) => [u, t(`stats.unit_${u}`)]) });
  const fromField = field({ name: 'from', label: t('stats.from'), type: 'select', options: [] });
  const toField = field({ name: 'to', label: t('stats.to'), type: 'select', options: [] });
  const fill = (unit, from, to) => {
    const last = lastClosed(unit);
    const names = [];
    for (let i = last; i > last - OFFERED[unit]; i--) names.push(periodName(unit, i));
    for (const [f, chosen] of [[fromField, from], [toField, to]]) {
      const sel = f.querySelector('select');
      sel.replaceChildren(...names.map((n) => h('option', { value: n }, fmtPeriod(n))));
      sel.value = periodName(unit, chosen);
      if (sel.value === '') sel.append(h('option', { value: periodName(unit, chosen), selected: true }, fmtPeriod(periodName(unit, chosen))));
    }
  };
  fill(win.unit, win.from, win.to);
  unitField.querySelector('select').addEventListener('change', (ev) => {
    const unit = ev.target.value;
    const last = lastClosed(unit);
    fill(unit, last - DEFAULT_SPAN[unit] + 1, last);
  });
  const f = h('form.filters.period-picker', { 'aria-label': t('stats.window_label') }, unitField, fromField, toField,
    h('div.actions', h('button', { type: 'submit' }, t('stats.update'))));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = new FormData(f);
    let [from, to] = [d.get('from'), d.get('to')];
    if (from > to) [from, to] = [to, from];
    go(link('/stats', { unit: d.get('unit'), from, to }));
  });
  return f;
}

function csvButton(name, path, holder, vars = {}) {
  const btn = h('button.small.csv', {
    type: 'button', 'data-csv': name,
    onclick: async () => {
      try {
        const text = await busy(btn, () => api('GET', path, undefined, { accept: 'text/csv' }));
        download(`kompas-${name}.csv`, 'text/csv', text);
      } catch (err) { showProblem(holder(), err); }
    },
  }, t('stats.csv_of', { what: t(`stats.csv_${name}`, vars) }));
  return btn;
}

// The value of the row matching where (null when hidden or missing).
const cell = (rows, where) => {
  const r = rows.find((x) => Object.entries(where).every(([k, v]) => x[k] === v));
  return r && !r.suppressed ? r.value : null;
};
const periodsOf = (rows) => [...new Set(rows.map((r) => r.period).filter(Boolean))].sort();

export async function statsPage(params, query, { me }) {
  const win = windowOf(query);
  const unit = win.unit;
  const range = { from: periodDays(unit, win.from)[0], to: periodDays(unit, win.to)[1] };
  const analyst = me.role === 'analyst';
  const q = (p, extra = {}) => withQuery(p, { ...range, ...extra });
  const picker = periodPicker(win);
  const head = [h('h1', t('stats.title')), picker];
  let answers;
  try {
    answers = await Promise.all([
      get(q('/v1/stats/funnel')),
      get(q('/v1/stats/funnel', { group_by: unit })),
      get(q('/v1/stats/courses')),
      get(q('/v1/stats/outcomes')),
      get(q('/v1/stats/outcomes', { group_by: unit })),
      get(q('/v1/stats/volunteers')),
      get(q('/v1/stats/funnel', { group_by: 'heard_from' })),
      get(q('/v1/stats/associations')),
      analyst ? Promise.all([get(q('/v1/stats/funnel', { group_by: 'centre' })), get(q('/v1/stats/courses', { group_by: 'centre' })),
        get(q('/v1/stats/outcomes', { group_by: 'centre' }))]) : null,
      analyst ? all('/v1/centres?limit=100') : null,
    ]);
  } catch (err) {
    // A window the API refuses (a period not ended yet, typed into the
    // address): its reason in Danish at the pickers, which can choose again.
    if (!(err instanceof ApiError) || err.status !== 422) throw err;
    showProblem(picker, err);
    return h('div.page.stats', ...head);
  }
  const [funnel, funnelQ, courses, outcomes, outcomesQ, vols, heard, assocs, byCentre, centres] = answers;
  const per = { per: t(`stats.per_${unit}`), the: t(`stats.the_${unit}`), periods: t(`stats.periods_${unit}`) };
  const hidden = t('stats.suppressed');
  const days = (v) => (v === null ? hidden : t('stats.days', { n: fmtNum(v, 1) }));
  const pct = (v) => `${fmtNum(v * 100, 1)} %`;
  const share = (v) => `${fmtNum(v * 100, 0)} %`;

  // Time to first contact: median and 90th percentile per period.
  const fq = funnelQ.rows.filter((r) => r.source === null);
  const fperiods = periodsOf(fq);
  const median = cell(funnel.rows, { source: null, measure: 'days_to_first_contact_median' });
  const p90 = cell(funnel.rows, { source: null, measure: 'days_to_first_contact_p90' });
  const contactSec = section(t('stats.first_contact'),
    h('p.lead', { 'data-testid': 'first-contact-summary' }, median === null
      ? t('stats.first_contact_hidden')
      : t('stats.first_contact_text', { m: fmtNum(median, 1), p: p90 === null ? hidden : fmtNum(p90, 1) })),
    fperiods.length ? groupedBars(fperiods.map((p) => ({
      label: fmtPeriod(p),
      bars: ['days_to_first_contact_median', 'days_to_first_contact_p90'].map((m) => {
        const v = cell(fq, { period: p, measure: m });
        return { value: v, text: days(v) };
      }),
    })), { title: t('stats.first_contact'), legend: [t('stats.median'), t('stats.p90')], suppressedText: hidden }) : h('p.muted', t('app.none')),
    csvButton('funnel', q('/v1/stats/funnel', { group_by: unit, format: 'csv' }), () => contactSec, per));

  // The funnel.
  const fdata = FUNNEL.map((m) => ({ label: tv(m, 'FunnelMeasure'), value: cell(funnel.rows, { source: null, measure: m }), measure: m }));
  const fsec = section(t('stats.funnel'), barChart(fdata, { title: t('stats.funnel'), suppressedText: hidden, cls: 'funnel' }),
    h('table.list.compact.funnel-table', h('caption.sr-only', t('stats.table')), h('tbody', fdata.map((d) => h('tr', { 'data-measure': d.measure }, h('th', { scope: 'row' }, d.label), h('td', d.value === null ? hidden : fmtNum(d.value, 0)))))),
    csvButton('funnel_all', q('/v1/stats/funnel', { format: 'csv' }), () => fsec));

  // Courses and their outcomes.
  const cr = courses.rows;
  const crow = (measure, category = null) => ({ label: category ? tv(category, 'CourseStatsCategory') : tv(measure, 'CourseMeasure'), value: cell(cr, { measure, category }) });
  const visits = cell(cr, { measure: 'visits_per_course_mean', category: null });
  const attended = cell(cr, { measure: 'attended_visits_per_course_mean', category: null });
  const csec = section(t('stats.courses'),
    h('h3', t('stats.courses_ended')),
    barChart([crow('started'), crow('ended', 'completed'), crow('ended', 'ended_early')], { title: t('stats.courses_ended'), suppressedText: hidden, cls: 'courses' }),
    h('h3', t('stats.courses_outcome')),
    barChart(['continues_on_own', 'continues_with_support', 'referred', 'stopped'].map((c) => crow('outcome', c)), { title: t('stats.courses_outcome'), suppressedText: hidden, cls: 'outcomes' }),
    h('h3', t('stats.courses_follow_up')),
    barChart(['still_taking_part', 'not_taking_part'].map((c) => crow('follow_up', c)), { title: t('stats.courses_follow_up'), suppressedText: hidden, cls: 'follow-ups' }),
    h('p', { 'data-testid': 'visits-mean' }, visits === null ? t('stats.visits_hidden') : t('stats.visits_text', { v: fmtNum(visits, 1), a: attended === null ? hidden : fmtNum(attended, 1) })),
    h('h3', t('stats.alone_title')),
    h('p.hint', t('stats.alone_explained')),
    h('table.list.compact.handover-courses',
      h('caption.sr-only', t('stats.alone_title')),
      h('thead', h('tr', h('th', { scope: 'col' }, t('stats.courses_follow_up')), h('th.num', { scope: 'col' }, t('stats.col_courses_n')),
        h('th.num', { scope: 'col' }, tv('attended_alone_share_mean', 'CourseMeasure')))),
      h('tbody', [['ended', null, 'stats.all_ended'], ['follow_up', 'still_taking_part'], ['follow_up', 'not_taking_part']].map(([measure, category, label]) => {
        const n = cell(cr, { measure, category });
        const alone = cell(cr, { measure: 'attended_alone_share_mean', category });
        return h('tr', { 'data-category': category || 'all' },
          h('th', { scope: 'row' }, label ? t(label) : tv(category, 'CourseStatsCategory')),
          h('td.num', n === null ? hidden : fmtNum(n, 0)),
          h('td.num', alone === null ? hidden : share(alone)));
      }))),
    csvButton('courses', q('/v1/stats/courses', { format: 'csv' }), () => csec));

  // Wellbeing (WHO-5) at the start, at the end and at the follow-up, per quarter.
  const who = outcomesQ.rows.filter((r) => r.instrument === 'who5');
  const operiods = periodsOf(who);
  const series = ['mean_baseline', 'mean_course_end', 'mean_follow_up'];
  const whoAll = outcomes.rows.filter((r) => r.instrument === 'who5');
  const change = cell(whoAll, { measure: 'mean_change_course_end' });
  const shareUp = cell(whoAll, { measure: 'share_up_10_course_end' });
  const paired = cell(whoAll, { measure: 'n_paired_course_end' });
  const osec = section(t('stats.outcomes'),
    h('p.chart-explain', { 'data-testid': 'dots-explained' }, t('stats.dots_explained', per)),
    whoAll.length ? dotChart([{ label: t('stats.whole_period'), points: series.map((m) => cell(whoAll, { measure: m })) },
      ...operiods.map((p) => ({ label: fmtPeriod(p), points: series.map((m) => cell(who, { period: p, measure: m })) }))],
      [t('stats.baseline'), t('stats.course_end'), t('stats.follow_up')], { title: t('stats.outcomes') }) : h('p.muted', t('app.none')),
    h('p', { 'data-testid': 'who5-change' }, change === null ? t('stats.change_hidden')
      : [t('stats.change_text', { c: `${change > 0 ? '+' : ''}${fmtNum(change, 1)}`, n: paired === null ? hidden : fmtNum(paired, 0) }),
        shareUp === null ? '' : ` ${t('stats.share_text', { s: pct(shareUp) })}`]),
    csvButton('outcomes', q('/v1/stats/outcomes', { group_by: unit, format: 'csv' }), () => osec, per));

  // Volunteers by status.
  const vdata = STATUSES.map((st) => ({ label: tv(st, 'VolunteerStatus'), value: cell(vols.rows, { category: st, measure: 'volunteers' }) }));
  const vsec = section(t('stats.volunteers'), barChart(vdata, { title: t('stats.volunteers'), suppressedText: hidden, cls: 'volunteers' }),
    csvButton('volunteers', q('/v1/stats/volunteers', { format: 'csv' }), () => vsec));

  // How the citizens heard of the offer (requests received per channel),
  // and how the volunteers were recruited (those registered in the window).
  const hdata = CHANNELS.map((c) => ({ label: tv(c, 'HeardFrom'), value: cell(heard.rows, { heard_from: c, measure: 'received' }) }));
  const hsec = section(t('stats.heard_from'), barChart(hdata, { title: t('stats.heard_from'), suppressedText: hidden, cls: 'heard-from' }),
    csvButton('heard_from', q('/v1/stats/funnel', { group_by: 'heard_from', format: 'csv' }), () => hsec));
  const rdata = RECRUITED.map((c) => ({ label: tv(c, 'RecruitedVia'), value: cell(vols.rows, { category: c, measure: 'recruited' }) }));
  const rsec = section(t('stats.recruited'), barChart(rdata, { title: t('stats.recruited'), suppressedText: hidden, cls: 'recruited' }));

  // The hand-over per association: the newcomers accompanied there whose
  // course was followed up, those still taking part, next to the
  // association's welcome training. The API sends the three cells of an
  // association one after the other (newcomers_followed_up first).
  const handover = [];
  for (const r of assocs.rows) {
    if (r.measure === 'newcomers_followed_up') handover.push({ name: r.category, followed: r });
    else if (handover.length && (r.measure === 'newcomers_still_taking_part' || r.measure === 'welcome_training_on')) handover[handover.length - 1][r.measure] = r;
  }
  const acols = [t('stats.association'), ...['welcome_training_on', 'newcomers_followed_up', 'newcomers_still_taking_part'].map((m) => tv(m, 'AssociationMeasure'))];
  const count = (r) => (!r || r.suppressed || r.value === null ? hidden : fmtNum(Number(r.value), 0));
  const asec = section(t('stats.handover_assoc'),
    h('p.hint', t('stats.handover_assoc_explained')),
    handover.length ? h('div.table-wrap', h('table.list.handover-assoc.cards-phone',
      h('caption.sr-only', t('stats.handover_assoc')),
      h('thead', h('tr', acols.map((c, i) => h(i < 2 ? 'th' : 'th.num', { scope: 'col' }, c)))),
      h('tbody', handover.map((a) => h('tr', { 'data-association': a.name }, [
        a.name,
        a.welcome_training_on?.value ? fmtDate(a.welcome_training_on.value) : t('stats.no_welcome'),
        count(a.followed),
        count(a.newcomers_still_taking_part),
      ].map((v, i) => (i === 0 ? h('th', { scope: 'row', 'data-label': acols[i] }, v)
        : h(i < 2 ? 'td' : 'td.num', { 'data-label': acols[i] }, v)))))))) : h('p.muted', t('stats.handover_none')),
    csvButton('associations', q('/v1/stats/associations', { format: 'csv' }), () => asec));

  // The analyst: the same per centre.
  let centreSec = null;
  if (byCentre) {
    const [fc, cc, oc] = byCentre;
    const names = new Map((centres || []).map((c) => [c.id, c.name]));
    const ids = [...new Set([...fc.rows, ...cc.rows].map((r) => r.centre_id).filter(Boolean))]
      .sort((a, b) => (names.get(a) || '').localeCompare(names.get(b) || ''));
    const cols = ['stats.centre', 'stats.col_received', 'stats.col_median', 'stats.col_courses', 'stats.col_completed', 'stats.col_change'];
    const num = (v, d = 0) => (v === null ? hidden : fmtNum(v, d));
    centreSec = section(t('stats.by_centre'), h('div.table-wrap', h('table.list.by-centre.cards-phone',
      h('thead', h('tr', cols.map((c) => h('th', { scope: 'col' }, t(c))))),
      h('tbody', ids.map((id) => {
        const ch = cell(oc.rows, { centre_id: id, instrument: 'who5', measure: 'mean_change_course_end' });
        return h('tr', { 'data-centre': id }, [
          names.get(id) || id.slice(0, 8),
          num(cell(fc.rows, { centre_id: id, source: null, measure: 'received' })),
          cell(fc.rows, { centre_id: id, source: null, measure: 'days_to_first_contact_median' }) === null ? hidden : days(cell(fc.rows, { centre_id: id, source: null, measure: 'days_to_first_contact_median' })),
          num(cell(cc.rows, { centre_id: id, measure: 'started', category: null })),
          num(cell(cc.rows, { centre_id: id, measure: 'ended', category: 'completed' })),
          ch === null ? hidden : `${ch > 0 ? '+' : ''}${fmtNum(ch, 1)}`,
        ].map((v, i) => (i === 0 ? h('th', { scope: 'row', 'data-label': t(cols[i]) }, v) : h('td', { 'data-label': t(cols[i]) }, v))));
      })))),
    h('p.hint', t('stats.hidden_note')),
    csvButton('centres', q('/v1/stats/funnel', { group_by: 'centre', format: 'csv' }), () => centreSec));
  }

  return h('div.page.stats', ...head,
    h('p.window', { 'data-testid': 'stats-window' }, t('stats.window', { from: fmtDate(funnel.filters.from), to: fmtDate(funnel.filters.to) })),
    h('p.hint', t(session.me?.role === 'analyst' ? 'stats.scope_all' : 'stats.scope_centre')),
    h('p.hint', { 'data-testid': 'stats-rounding' }, t('stats.rounding_note')),
    funnel.truncated ? h('p.hint', { 'data-testid': 'stats-truncated' }, t('stats.truncated_note', { d: fmtDate(funnel.closed_through) })) : null,
    centreSec,
    h('div.grid', h('div.col', contactSec, fsec, hsec, vsec, rsec), h('div.col', osec, csec, asec)));
}
