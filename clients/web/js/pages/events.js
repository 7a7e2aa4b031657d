// events.js - events as a list and as a week view; sign-ups.
import { all, get, post, withQuery } from '../api.js';
import { t, tv, fmtDateTime, getLang } from '../i18n.js';
import { h, busy, showProblem, flash } from '../dom.js';
import { link } from '../router.js';

const DAY = 86400000;

function monday(d) {
  const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const wd = (x.getUTCDay() + 6) % 7;
  return new Date(x.getTime() - wd * DAY);
}

function isoWeek(d) {
  const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  x.setUTCDate(x.getUTCDate() + 4 - (x.getUTCDay() || 7));
  const y0 = new Date(Date.UTC(x.getUTCFullYear(), 0, 1));
  return { w: Math.ceil(((x - y0) / DAY + 1) / 7), y: x.getUTCFullYear() };
}

const ymd = (d) => d.toISOString().slice(0, 10);
const locale = () => (getLang() === 'da' ? 'da-DK' : 'en-GB');

function signupButton(e, me, rerender) {
  if (me.role !== 'guide' || e.kind === 'activity' || e.cancelled || e.places_left === 0) return null;
  const btn = h('button.small', {
    type: 'button',
    onclick: async () => {
      try {
        await busy(btn, () => post(`/v1/events/${e.id}/signups`, {}));
        flash(t('ev.signed_up'));
        await rerender();
      } catch (err) { showProblem(btn.parentElement, err); }
    },
  }, t('ev.signup'));
  return btn;
}

// For coordinators: who is signed up, loaded when the details open.
function signupList(e, me) {
  if (me.role !== 'coordinator' || !e.signups) return null;
  const list = h('ul.plain.signups');
  const d = h('details.signups', h('summary', `${t('ev.signups')} (${e.signups})`), list);
  d.addEventListener('toggle', async () => {
    if (!d.open || d.dataset.loaded) return;
    d.dataset.loaded = '1';
    list.setAttribute('aria-busy', 'true');
    try {
      const r = await get(`/v1/events/${e.id}/signups?limit=200`);
      list.replaceChildren(...r.items.map((s) => h('li', s.name)));
    } catch (err) { showProblem(d, err); } finally { list.removeAttribute('aria-busy'); }
  });
  return d;
}

function eventLine(e, me, rerender) {
  return h(`li.event${e.cancelled ? '.cancelled' : ''}`, { 'data-kind': e.kind, 'data-id': e.id },
    h('div', h('strong', e.title), e.cancelled ? h('span.badge.warn', t('ev.cancelled')) : null),
    h('div.muted', `${fmtDateTime(e.starts_at)} · ${tv(e.kind)}${e.association_name ? ` · ${e.association_name}` : ''}`),
    e.capacity ? h('div', `${t('ev.signups')}: ${e.signups}/${e.capacity} · ${t('ev.places', { n: e.places_left })}`) : null,
    signupButton(e, me, rerender), signupList(e, me));
}

export async function eventsPage(params, query, { me, rerender }) {
  const view = query.view === 'week' ? 'week' : 'list';
  const start = monday(query.week ? new Date(`${query.week}T12:00:00Z`) : new Date());
  const from = view === 'week' ? start : new Date();
  const to = new Date(view === 'week' ? start.getTime() + 6 * DAY : Date.now() + 28 * DAY);
  const events = await all(withQuery('/v1/events', { limit: 200, from: ymd(from), to: ymd(to) }), 400);
  const tabs = h('nav.tabs', { 'aria-label': t('ev.title') },
    h('a', { href: link('/events'), 'aria-current': view === 'list' ? 'page' : null }, t('ev.list')),
    h('a', { href: link('/events', { view: 'week' }), 'aria-current': view === 'week' ? 'page' : null }, t('ev.week')));
  if (view === 'list') {
    return h('div.page', h('h1', t('ev.title')), tabs, h('ul.events', events.map((e) => eventLine(e, me, rerender))));
  }
  const { w, y } = isoWeek(start);
  const days = [];
  for (let i = 0; i < 7; i++) {
    const d = new Date(start.getTime() + i * DAY);
    const key = ymd(d);
    const todays = events.filter((e) => new Date(e.starts_at).toLocaleDateString('sv-SE', { timeZone: 'Europe/Copenhagen' }) === key);
    days.push(h('section.day', { 'aria-label': d.toLocaleDateString(locale(), { weekday: 'long', day: 'numeric', month: 'long' }) },
      h('h2', d.toLocaleDateString(locale(), { weekday: 'short', day: 'numeric', month: 'short' })),
      h('ul.events', todays.map((e) => h(`li.event${e.cancelled ? '.cancelled' : ''}`, { 'data-kind': e.kind, 'data-id': e.id },
        h('time', { datetime: e.starts_at }, new Date(e.starts_at).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Copenhagen' })),
        ' ', h('strong', e.title), e.association_name ? h('div.muted', e.association_name) : null, signupButton(e, me, rerender))))));
  }
  return h('div.page', h('h1', t('ev.title')), tabs,
    h('div.week-nav',
      h('a.button', { href: link('/events', { view: 'week', week: ymd(new Date(start.getTime() - 7 * DAY)) }) }, `← ${t('ev.prev')}`),
      h('h2', { 'data-testid': 'week-title' }, t('ev.week_of', { w, y })),
      h('a.button', { href: link('/events', { view: 'week', week: ymd(new Date(start.getTime() + 7 * DAY)) }) }, `${t('ev.next')} →`)),
    h('div.week', days));
}
