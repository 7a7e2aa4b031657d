// queue.js - the coordinator's request queue, readable at a glance: each
// request by its reference and what it is about (its needs), its state,
// how long it has waited; open requests by default (the ended ones behind
// the state filter), filters applied by their button (never on every arrow
// key in a select), requests waiting too long for first contact first.
import { get, all, withQuery } from '../api.js';
import { t, tv, fmtDate } from '../i18n.js';
import { h, field } from '../dom.js';
import { go, link } from '../router.js';
import { volunteerNames, categoryNames } from '../data.js';

export const STATES = ['received', 'accepted', 'declined', 'guide_assigned', 'contacted', 'conversation_held',
  'course_started', 'referred', 'signposted', 'closed', 'withdrawn'];
export const ENDED = ['closed', 'declined', 'withdrawn'];
const OPEN = STATES.filter((s) => !ENDED.includes(s));
const SOURCES = ['portal', 'phone', 'walk_in', 'municipal_referral', 'relative_referral'];
const DAY = 86400000;

// How a request is named in lists: the portal's reference, else the
// beginning of its id (which the search finds too).
export const refText = (r) => r.portal_reference || `#${r.id.slice(0, 8)}`;

// What a request is about: the names of its categories (needs, interests).
export function needText(r, cats) {
  const named = (r.categories || []).map((id) => cats.get(id)).filter(Boolean);
  return named.join(', ') || t('co.no_need');
}

function ageRange(age) {
  const d = (n) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);
  if (age === 'new') return { received_from: d(7) };
  if (age === '7') return { received_to: d(8) };
  if (age === '30') return { received_to: d(31) };
  return {};
}

// The states asked for: '' the open ones, 'ended' the ended ones, 'all' every one.
function stateParam(state) {
  if (!state) return OPEN.join(',');
  if (state === 'ended') return ENDED.join(',');
  if (state === 'all') return '';
  return state;
}

export async function queuePage(params, query) {
  const filters = { state: query.state || '', source: query.source || '', age: query.age || '', stalled: query.stalled === '1' ? '1' : '' };
  const [everything, list, work, names, cats] = await Promise.all([
    all('/v1/requests?limit=200'),
    all(withQuery('/v1/requests', { limit: 200, state: stateParam(filters.state), source: filters.source, ...ageRange(filters.age) })),
    get('/v1/worklists'),
    volunteerNames(),
    categoryNames(),
  ]);
  const target = work.first_contact_target_days;
  const stalled = new Map(work.awaiting_first_contact.filter((w) => w.days_waiting > target).map((w) => [w.request_id, w.days_waiting]));
  const shown = filters.stalled ? list.filter((r) => stalled.has(r.id)) : list;

  const counts = new Map(STATES.map((s) => [s, 0]));
  for (const r of everything) counts.set(r.state, (counts.get(r.state) || 0) + 1);
  const openCount = OPEN.reduce((n, s) => n + counts.get(s), 0);
  const chip = (state, n, text) => h('li', h('a', {
    href: link('/queue', { ...filters, stalled: '', state }), 'aria-current': filters.state === state && !filters.stalled ? 'true' : null, 'data-state': state || 'open',
  }, h('span.count', String(n)), ' ', text));
  const countList = h('ul.counts', { 'aria-label': t('queue.count') },
    chip('', openCount, t('co.open')),
    OPEN.filter((s) => counts.get(s)).map((s) => chip(s, counts.get(s), tv(s))),
    chip('ended', everything.length - openCount, t('co.ended')));

  const stateOptions = [['', t('co.open')], ['ended', t('co.ended')], ['all', t('queue.all')], ...STATES.map((s) => [s, tv(s)])];
  const filterForm = h('form.filters.queue-filters', { role: 'search', 'aria-label': t('co.queue_filters') },
    field({ name: 'state', label: t('queue.state'), type: 'select', value: filters.state, options: stateOptions }),
    field({ name: 'source', label: t('queue.source'), type: 'select', value: filters.source, options: [['', t('queue.all')], ...SOURCES.map((s) => [s, tv(s)])] }),
    field({ name: 'age', label: t('queue.age'), type: 'select', value: filters.age, options: [['', t('queue.age_any')], ['new', t('queue.age_new')], ['7', t('queue.age_7')], ['30', t('queue.age_30')]] }),
    field({ name: 'stalled', label: t('co.only_stalled'), type: 'checkbox', value: !!filters.stalled }),
    h('div.actions', h('button.primary', { type: 'submit' }, t('queue.filter'))));
  // applied by the button (or Enter) only: a select changes on every arrow key
  filterForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(filterForm);
    go(link('/queue', { state: fd.get('state'), source: fd.get('source'), age: fd.get('age'), stalled: fd.get('stalled') === 'on' ? '1' : '' }));
  });

  // stalled first (longest waiting first), then the newest
  shown.sort((a, b) => ((stalled.get(b.id) || 0) - (stalled.get(a.id) || 0)) || b.created_at.localeCompare(a.created_at));
  const heads = [t('co.reference'), t('co.need'), t('queue.state'), t('queue.received'), t('queue.source'), t('queue.postal'), t('queue.guide')];
  const rows = shown.map((r) => {
    const waited = stalled.get(r.id);
    const cell = (i, ...c) => h('td', { 'data-label': heads[i] }, ...c);
    return h(`tr${waited ? '.stalled' : ''}`, { 'data-id': r.id },
      cell(0, h('a.ref', { href: `#/requests/${r.id}` }, refText(r))),
      cell(1, h('span.need', needText(r, cats))),
      cell(2, h('span', { class: `badge state-${r.state}` }, tv(r.state)),
        waited ? h('span.badge.warn', { title: t('queue.stalled') }, `⚠ ${t('co.waited', { n: waited })}`) : null),
      cell(3, fmtDate(r.created_at)),
      cell(4, tv(r.source)),
      cell(5, r.postal_code || '–'),
      cell(6, r.assigned_volunteer_id ? names.get(r.assigned_volunteer_id) || '✓' : '–'));
  });
  return h('div.page.queue-page',
    h('div.page-head', h('h1', t('queue.title')), h('a.button.primary', { href: '#/requests/new' }, t('co.new_request'))),
    stalled.size ? h('p.notice.warn', t('queue.stalled_note', { n: stalled.size, d: target }), ' ',
      filters.stalled ? null : h('a', { href: link('/queue', { stalled: '1' }) }, t('co.show_stalled'))) : null,
    countList, filterForm,
    h('p.muted.queue-count', { 'data-testid': 'queue-count' }, t('co.shown', { n: shown.length })),
    shown.length ? h('div.table-wrap', h('table.list.queue',
      h('thead', h('tr', heads.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', rows))) : h('p.empty', t('queue.empty')));
}
