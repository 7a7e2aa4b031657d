// stats.js - the statistics: time to first contact per quarter, the funnel,
// courses and their outcomes, wellbeing (WHO-5) at the start and at the end
// per quarter as dots, volunteers by status and, for analysts, the split by
// centre; inline SVG charts, each table offered as CSV (the API's own).
// Hidden (suppressed) cells are shown as such, never as 0.
import { get, api, all, withQuery, session } from '../api.js';
import { t, tv, fmtNum, fmtPeriod, fmtDate } from '../i18n.js';
import { h, field, section, busy, showProblem } from '../dom.js';
import { barChart, groupedBars, dotChart } from '../charts.js';
import { go, link } from '../router.js';
import { download } from './request.js';

const FUNNEL = ['received', 'accepted', 'contacted', 'conversation_held', 'course_started', 'referred', 'signposted', 'closed'];
const STATUSES = ['applicant', 'in_training', 'active', 'paused', 'retired', 'rejected'];
const CHANNELS = ['socialkompas', 'municipal_staff', 'relative', 'local_paper', 'association', 'other', 'not_given'];
const RECRUITED = ['socialkompas', 'association', 'word_of_mouth', 'local_paper', 'event', 'other'];

function csvButton(name, path, holder) {
  const btn = h('button.small.csv', {
    type: 'button', 'data-csv': name,
    onclick: async () => {
      try {
        const text = await busy(btn, () => api('GET', path, undefined, { accept: 'text/csv' }));
        download(`kompas-${name}.csv`, 'text/csv', text);
      } catch (err) { showProblem(holder(), err); }
    },
  }, t('stats.csv_of', { what: t(`stats.csv_${name}`) }));
  return btn;
}

// The value of the row matching where (null when hidden or missing).
const cell = (rows, where) => {
  const r = rows.find((x) => Object.entries(where).every(([k, v]) => x[k] === v));
  return r && !r.suppressed ? r.value : null;
};
const periodsOf = (rows) => [...new Set(rows.map((r) => r.period).filter(Boolean))].sort();

export async function statsPage(params, query, { me }) {
  const range = { from: query.from || '', to: query.to || '' };
  const analyst = me.role === 'analyst';
  const q = (p, extra = {}) => withQuery(p, { ...range, ...extra });
  const [funnel, funnelQ, courses, outcomes, outcomesQ, vols, heard, byCentre, centres] = await Promise.all([
    get(q('/v1/stats/funnel')),
    get(q('/v1/stats/funnel', { group_by: 'quarter' })),
    get(q('/v1/stats/courses')),
    get(q('/v1/stats/outcomes')),
    get(q('/v1/stats/outcomes', { group_by: 'quarter' })),
    get(q('/v1/stats/volunteers')),
    get(q('/v1/stats/funnel', { group_by: 'heard_from' })),
    analyst ? Promise.all([get(q('/v1/stats/funnel', { group_by: 'centre' })), get(q('/v1/stats/courses', { group_by: 'centre' })),
      get(q('/v1/stats/outcomes', { group_by: 'centre' }))]) : null,
    analyst ? all('/v1/centres?limit=100') : null,
  ]);
  const hidden = t('stats.suppressed');
  const days = (v) => (v === null ? hidden : t('stats.days', { n: fmtNum(v, 1) }));

  // Time to first contact: median and 90th percentile per quarter.
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
    csvButton('funnel', q('/v1/stats/funnel', { group_by: 'quarter', format: 'csv' }), () => contactSec));

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
    csvButton('courses', q('/v1/stats/courses', { format: 'csv' }), () => csec));

  // Wellbeing (WHO-5) at the start, at the end and at the follow-up, per quarter.
  const who = outcomesQ.rows.filter((r) => r.instrument === 'who5');
  const operiods = periodsOf(who);
  const series = ['mean_baseline', 'mean_course_end', 'mean_follow_up'];
  const whoAll = outcomes.rows.filter((r) => r.instrument === 'who5');
  const change = cell(whoAll, { measure: 'mean_change_course_end' });
  const share = cell(whoAll, { measure: 'share_up_10_course_end' });
  const paired = cell(whoAll, { measure: 'n_paired_course_end' });
  const osec = section(t('stats.outcomes'),
    h('p.chart-explain', { 'data-testid': 'dots-explained' }, t('stats.dots_explained')),
    whoAll.length ? dotChart([{ label: t('stats.whole_period'), points: series.map((m) => cell(whoAll, { measure: m })) },
      ...operiods.map((p) => ({ label: fmtPeriod(p), points: series.map((m) => cell(who, { period: p, measure: m })) }))],
      [t('stats.baseline'), t('stats.course_end'), t('stats.follow_up')], { title: t('stats.outcomes') }) : h('p.muted', t('app.none')),
    h('p', { 'data-testid': 'who5-change' }, change === null ? t('stats.change_hidden')
      : [t('stats.change_text', { c: `${change > 0 ? '+' : ''}${fmtNum(change, 1)}`, n: paired === null ? hidden : fmtNum(paired, 0) }),
        share === null ? '' : ` ${t('stats.share_text', { s: `${fmtNum(share * 100, 0)} %` })}`]),
    csvButton('outcomes', q('/v1/stats/outcomes', { group_by: 'quarter', format: 'csv' }), () => osec));

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

  const f = h('form.filters',
    field({ name: 'from', label: t('stats.from'), type: 'date', value: range.from }),
    field({ name: 'to', label: t('stats.to'), type: 'date', value: range.to }),
    h('div.actions', h('button', { type: 'submit' }, t('stats.update'))));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); const d = new FormData(f); go(link('/stats', { from: d.get('from'), to: d.get('to') })); });
  return h('div.page.stats', h('h1', t('stats.title')), f,
    h('p.hint', t(session.me?.role === 'analyst' ? 'stats.scope_all' : 'stats.scope_centre')),
    h('p.hint', { 'data-testid': 'stats-rounding' }, t('stats.rounding_note')),
    funnel.truncated ? h('p.hint', { 'data-testid': 'stats-truncated' }, t('stats.truncated_note', { d: fmtDate(funnel.closed_through) })) : null,
    centreSec,
    h('div.grid', h('div.col', contactSec, fsec, hsec, vsec, rsec), h('div.col', osec, csec)));
}
