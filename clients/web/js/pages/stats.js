// stats.js - the funnel, WHO-5 outcomes over time and volunteers by status
// as inline SVG charts, with each table offered as CSV (the API's own).
import { get, api, withQuery } from '../api.js';
import { t, tv } from '../i18n.js';
import { h, field, section, busy, showProblem } from '../dom.js';
import { barChart, lineChart } from '../charts.js';
import { go, link } from '../router.js';
import { download } from './request.js';

const FUNNEL = ['received', 'accepted', 'contacted', 'conversation_held', 'course_started', 'referred', 'signposted', 'closed'];
const STATUSES = ['applicant', 'in_training', 'active', 'paused', 'retired', 'rejected'];

function csvButton(name, path, holder) {
  const btn = h('button.small.csv', {
    type: 'button', 'data-csv': name,
    onclick: async () => {
      try {
        const text = await busy(btn, () => api('GET', path, undefined, { accept: 'text/csv' }));
        download(`kompas-${name}.csv`, 'text/csv', text);
      } catch (err) { showProblem(holder(), err); }
    },
  }, `${t('stats.csv')} (${name})`);
  return btn;
}

export async function statsPage(params, query) {
  const range = { from: query.from || '', to: query.to || '' };
  const [funnel, outcomes, vols] = await Promise.all([
    get(withQuery('/v1/stats/funnel', range)),
    get(withQuery('/v1/stats/outcomes', { ...range, group_by: 'quarter' })),
    get(withQuery('/v1/stats/volunteers', range)),
  ]);
  const suppressed = t('stats.suppressed');

  const frows = funnel.rows.filter((r) => r.source === null && FUNNEL.includes(r.measure));
  const fdata = FUNNEL.map((m) => {
    const r = frows.find((x) => x.measure === m);
    return { label: tv(m), value: r && !r.suppressed ? r.value : null, measure: m };
  });
  const fsec = section(t('stats.funnel'), barChart(fdata, { title: t('stats.funnel'), suppressedText: suppressed, cls: 'funnel' }),
    h('table.list.compact.funnel-table', h('caption.sr-only', t('stats.table')), h('tbody', fdata.map((d) => h('tr', { 'data-measure': d.measure }, h('th', { scope: 'row' }, d.label), h('td', d.value === null ? suppressed : String(d.value)))))),
    csvButton('funnel', withQuery('/v1/stats/funnel', { ...range, format: 'csv' }), () => fsec));

  const who = outcomes.rows.filter((r) => r.instrument === 'who5');
  const periods = [...new Set(who.map((r) => r.period).filter(Boolean))].sort();
  const pick = (m) => periods.map((p) => { const r = who.find((x) => x.period === p && x.measure === m); return r && !r.suppressed ? r.value : null; });
  const osec = section(t('stats.outcomes'), periods.length
    ? lineChart(periods, [
      { name: t('stats.baseline'), points: pick('mean_baseline') },
      { name: t('stats.course_end'), points: pick('mean_course_end') },
      { name: t('stats.follow_up'), points: pick('mean_follow_up') }], { title: t('stats.outcomes') })
    : h('p.muted', t('app.none')),
  csvButton('outcomes', withQuery('/v1/stats/outcomes', { ...range, group_by: 'quarter', format: 'csv' }), () => osec));

  const vdata = STATUSES.map((st) => {
    const r = vols.rows.find((x) => x.category === st && x.measure === 'volunteers');
    return { label: tv(st), value: r && !r.suppressed ? r.value : null };
  });
  const vsec = section(t('stats.volunteers'), barChart(vdata, { title: t('stats.volunteers'), suppressedText: suppressed, cls: 'volunteers' }),
    csvButton('volunteers', withQuery('/v1/stats/volunteers', { ...range, format: 'csv' }), () => vsec));

  const f = h('form.filters',
    field({ name: 'from', label: t('stats.from'), type: 'date', value: range.from }),
    field({ name: 'to', label: t('stats.to'), type: 'date', value: range.to }),
    h('div.actions', h('button', { type: 'submit' }, t('stats.update'))));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); const d = new FormData(f); go(link('/stats', { from: d.get('from'), to: d.get('to') })); });
  return h('div.page.stats', h('h1', t('stats.title')), f, h('div.grid', h('div.col', fsec, vsec), h('div.col', osec)));
}
