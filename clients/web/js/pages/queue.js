// queue.js - the coordinator's request queue: filters by state, source and
// age, a count per state, stalled requests highlighted.
import { get, all, withQuery } from '../api.js';
import { t, tv, fmtDate } from '../i18n.js';
import { h, field } from '../dom.js';
import { go, link } from '../router.js';
import { volunteerNames } from '../data.js';

export const STATES = ['received', 'accepted', 'declined', 'guide_assigned', 'contacted', 'conversation_held',
  'course_started', 'referred', 'signposted', 'closed', 'withdrawn'];
const SOURCES = ['portal', 'phone', 'walk_in', 'municipal_referral', 'relative_referral'];
const DAY = 86400000;

function ageRange(age) {
  const d = (n) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);
  if (age === 'new') return { received_from: d(7) };
  if (age === '7') return { received_to: d(8) };
  if (age === '30') return { received_to: d(31) };
  return {};
}

export async function queuePage(params, query) {
  const filters = { state: query.state || '', source: query.source || '', age: query.age || '' };
  const [everything, list, work, names] = await Promise.all([
    all('/v1/requests?limit=200'),
    all(withQuery('/v1/requests', { limit: 200, state: filters.state, source: filters.source, ...ageRange(filters.age) })),
    get('/v1/worklists'),
    volunteerNames(),
  ]);
  const target = work.first_contact_target_days;
  const stalled = new Map(work.awaiting_first_contact.filter((w) => w.days_waiting > target).map((w) => [w.request_id, w.days_waiting]));

  const counts = new Map(STATES.map((s) => [s, 0]));
  for (const r of everything) counts.set(r.state, (counts.get(r.state) || 0) + 1);
  const countList = h('ul.counts', { 'aria-label': t('queue.count') }, STATES.map((s) => h('li', h('a', {
    href: link('/queue', { ...filters, state: s }), 'aria-current': filters.state === s ? 'true' : null, 'data-state': s,
  }, h('span.count', String(counts.get(s))), ' ', tv(s)))));

  const filterForm = h('form.filters', { role: 'search' },
    field({ name: 'state', label: t('queue.state'), type: 'select', value: filters.state, options: [['', t('queue.all')], ...STATES.map((s) => [s, tv(s)])] }),
    field({ name: 'source', label: t('queue.source'), type: 'select', value: filters.source, options: [['', t('queue.all')], ...SOURCES.map((s) => [s, tv(s)])] }),
    field({ name: 'age', label: t('queue.age'), type: 'select', value: filters.age, options: [['', t('queue.age_any')], ['new', t('queue.age_new')], ['7', t('queue.age_7')], ['30', t('queue.age_30')]] }),
    h('div.actions', h('button', { type: 'submit' }, t('queue.filter'))));
  const apply = (ev) => {
    ev?.preventDefault();
    const fd = new FormData(filterForm);
    go(link('/queue', { state: fd.get('state'), source: fd.get('source'), age: fd.get('age') }));
  };
  filterForm.addEventListener('submit', apply);
  filterForm.addEventListener('change', apply);

  // stalled first, then the newest
  list.sort((a, b) => (stalled.has(b.id) - stalled.has(a.id)) || b.created_at.localeCompare(a.created_at));
  const heads = [t('req.title'), t('queue.state'), t('queue.source'), t('queue.received'), t('queue.postal'), t('queue.ageband'), t('queue.guide')];
  const rows = list.map((r) => {
    const waited = stalled.get(r.id);
    const cell = (i, ...c) => h('td', { 'data-label': heads[i] }, ...c);
    return h(`tr${waited ? '.stalled' : ''}`, { 'data-id': r.id },
      cell(0, h('a', { href: `#/requests/${r.id}` }, r.portal_reference || r.id.slice(0, 8))),
      cell(1, h('span', { class: `badge state-${r.state}` }, tv(r.state)),
        waited ? h('span.badge.warn', { title: t('queue.stalled') }, `⚠ ${t('queue.days', { n: waited })}`) : null),
      cell(2, tv(r.source)),
      cell(3, fmtDate(r.created_at)),
      cell(4, r.postal_code || '–'),
      cell(5, r.age_band || '–'),
      cell(6, r.assigned_volunteer_id ? names.get(r.assigned_volunteer_id) || '✓' : '–'));
  });
  return h('div.page',
    h('h1', t('queue.title')),
    stalled.size ? h('p.notice.warn', t('queue.stalled_note', { n: stalled.size, d: target })) : null,
    countList, filterForm,
    list.length ? h('div.table-wrap', h('table.list.queue',
      h('thead', h('tr', heads.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', rows))) : h('p.empty', t('queue.empty')));
}
