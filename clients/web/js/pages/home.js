// home.js - the coordinator's start page: the work lists of GET
// /v1/worklists (waiting too long for first contact, courses without
// visits, follow-ups due, expiring record checks and trainings, stale
// newcomer places), each with its count, its first entries as links and a
// link to the whole list.
import { get, all, withQuery } from '../api.js';
import { t, tv, fmtDate } from '../i18n.js';
import { h } from '../dom.js';
import { volunteerNames, categoryNames } from '../data.js';
import { needText, refText } from './queue.js';

const SHOWN = 5;

// One work list: heading with its count, the first entries, the rest behind
// a "show all", and the page where the list is worked through.
function worklist(key, items, entry, more) {
  const id = `wl-${key}`;
  const n = items.length;
  const li = (x) => h('li', entry(x));
  return h(`section.card.worklist${n ? '.has-items' : ''}`, { 'aria-labelledby': id, 'data-list': key },
    h('h2', { id }, h('span.wl-count', { 'data-testid': `count-${key}` }, String(n)), ' ', t(`home.${key}`, { n })),
    n ? h('ul.plain.wl-items', items.slice(0, SHOWN).map(li)) : h('p.muted', t('home.nothing')),
    n > SHOWN ? h('details.wl-rest', h('summary', t('home.show_all', { n })), h('ul.plain.wl-items', items.slice(SHOWN).map(li))) : null,
    more ? h('p.wl-link', h('a', { href: more.href }, more.text)) : null);
}

export async function homePage() {
  const [work, reqs, names, cats] = await Promise.all([
    get('/v1/worklists'),
    all(withQuery('/v1/requests', { limit: 200, state: 'received,accepted,guide_assigned' })),
    volunteerNames(), categoryNames(),
  ]);
  const byId = new Map(reqs.map((r) => [r.id, r]));
  const vname = (id) => names.get(id) || '–';
  const target = work.first_contact_target_days;
  const reqLink = (id) => {
    const r = byId.get(id);
    return h('a', { href: `#/requests/${id}` }, r ? refText(r) : id.slice(0, 8));
  };
  const lists = [
    worklist('awaiting_first_contact', work.awaiting_first_contact, (w) => [
      reqLink(w.request_id), ' ', h('span.badge.warn', t('queue.days', { n: w.days_waiting })), ' ', h('span.badge', { class: `badge state-${w.state}` }, tv(w.state)),
      byId.get(w.request_id) ? h('span.muted', ` ${needText(byId.get(w.request_id), cats)}`) : null],
    { href: '#/queue?stalled=1', text: t('home.to_queue') }),
    worklist('courses_without_visits', work.courses_without_visits, (c) => [
      h('a', { href: `#/courses/${c.course_id}` }, `${vname(c.volunteer_id)} · ${tv(c.state)}`), ' ',
      h('span.muted', c.last_visit_on ? t('home.last_visit', { d: fmtDate(c.last_visit_on), n: c.days_since }) : t('home.no_visit', { n: c.days_since }))],
    { href: '#/courses?state=active', text: t('home.to_courses') }),
    worklist('follow_ups_due', work.follow_ups_due, (c) => [
      h('a', { href: `#/courses/${c.course_id}` }, `${vname(c.volunteer_id)} · ${t('course.due')} ${fmtDate(c.follow_up_due)}`)],
    { href: '#/courses?state=completed', text: t('home.to_courses') }),
    worklist('expiring_checks', work.expiring_checks, (x) => [
      h('a', { href: `#/volunteers/${x.volunteer_id}` }, x.name), ' ', h('span.muted', `${tv(x.kind)} ${t(x.expires_on < new Date().toISOString().slice(0, 10) ? 'vol.expired' : 'vol.expires', { d: fmtDate(x.expires_on) })}`)],
    { href: '#/volunteers?expiring=1', text: t('home.to_volunteers') }),
    worklist('stale_association_capacity', work.stale_association_capacity, (a) => [
      h('strong', a.name), ' ',
      h('span.muted', a.updated_at ? t('home.places_at', { n: a.newcomer_places ?? '–', d: fmtDate(a.updated_at) }) : t('home.places_never'))],
    { href: '#/associations', text: t('home.to_associations') }),
  ];
  const total = ['awaiting_first_contact', 'courses_without_visits', 'follow_ups_due', 'expiring_checks', 'stale_association_capacity']
    .reduce((n, k) => n + work[k].length, 0);
  return h('div.page.home',
    h('div.page-head', h('h1', t('home.title')),
      h('div.buttons', h('a.button.primary', { href: '#/requests/new' }, t('co.new_request')), h('a.button', { href: '#/queue' }, t('home.to_queue')))),
    h('p.muted', total ? t('home.intro', { d: target }) : t('home.all_clear')),
    h('div.worklists', lists));
}
