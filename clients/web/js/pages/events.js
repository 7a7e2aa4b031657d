// events.js - the centre's events as a list, a week and a month (Monday
// to Sunday, Copenhagen time, today marked), each linking to its page;
// the caller's own sign-up shown and cancellable where it is made.
import { all, post, del, withQuery } from '../api.js';
import { t, tv, getLang } from '../i18n.js';
import { h, busy, showProblem, flash } from '../dom.js';
import { link } from '../router.js';
import { cphParts, cphToday } from '../forms.js';

const TZ = 'Europe/Copenhagen';
const DAY = 86400000;
const locale = () => (getLang() === 'da' ? 'da-DK' : 'en-GB');

// --- dates as YYYY-MM-DD strings (calendar days, no time zone) ------------------

const utc = (ymd) => new Date(`${ymd}T12:00:00Z`);
const ymdOf = (d) => d.toISOString().slice(0, 10);
export const addDays = (ymd, n) => ymdOf(new Date(utc(ymd).getTime() + n * DAY));
const weekday = (ymd) => (utc(ymd).getUTCDay() + 6) % 7; // 0 Monday
const mondayOf = (ymd) => addDays(ymd, -weekday(ymd));
const dayText = (ymd, opts) => utc(ymd).toLocaleDateString(locale(), { timeZone: 'UTC', ...opts });

// The ISO week (and its year) of a day: the week of its Thursday.
function isoWeek(ymd) {
  const thu = utc(addDays(ymd, 3 - weekday(ymd)));
  const y = thu.getUTCFullYear();
  const jan4 = `${y}-01-04`;
  const thu1 = utc(addDays(jan4, 3 - weekday(jan4)));
  return { w: 1 + Math.round((thu - thu1) / (7 * DAY)), y };
}

// --- times ------------------------------------------------------------------------

export const timeText = (iso) => new Date(iso).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit', timeZone: TZ });

// "tor. 3. dec., 10.00–11.30" (long: "torsdag 3. december 2026, 10.00–11.30");
// an event over several days names both days.
export function rangeText(e, long = false) {
  const a = cphParts(e.starts_at);
  const b = cphParts(e.ends_at);
  const opts = long ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' } : { weekday: 'short', day: 'numeric', month: 'short' };
  if (a.date === b.date) return `${dayText(a.date, opts)}, ${timeText(e.starts_at)}–${timeText(e.ends_at)}`;
  return `${dayText(a.date, opts)}, ${timeText(e.starts_at)} – ${dayText(b.date, opts)}, ${timeText(e.ends_at)}`;
}

// --- sign-ups ----------------------------------------------------------------------

// Kinds a role signs up for itself.
const SIGNS_UP = { guide: ['guide_training', 'info_meeting'], association: ['welcome_workshop', 'info_meeting'] };
export const takesMySignup = (e, me) => (SIGNS_UP[me.role] || []).includes(e.kind);

// The caller's sign-up state of event e and the button that changes it:
// "signed up" with a cancel button, a sign-up button, or why there is none.
export function signupControl(e, me, rerender, { big = false } = {}) {
  if (!takesMySignup(e, me)) return null;
  const cls = big ? 'button.primary' : 'button.small';
  const started = Date.parse(e.starts_at) <= Date.now();
  const box = h('div.signup', { 'data-testid': 'signup' });
  const act = (label, fn, done, style = cls) => {
    const btn = h(style, {
      type: 'button',
      onclick: async () => {
        try {
          await busy(btn, fn, box);
          flash(done);
          await rerender();
        } catch (err) { showProblem(box, err); }
      },
    }, label);
    return btn;
  };
  if (e.my_signup_id) {
    box.append(h('span.badge.ok.signed-up', `✓ ${t('ev.signed_up')}`),
      started ? null : act(t('ev.cancel_signup'), () => del(`/v1/events/${e.id}/signups/${e.my_signup_id}`), t('ev.signup_cancelled'), big ? 'button' : 'button.small'));
  } else if (e.cancelled) {
    return null;
  } else if (started) {
    box.append(h('span.muted', t('ev.signup_closed')));
  } else if (e.places_left === 0) {
    box.append(h('span.badge.warn', t('ev.full')));
  } else {
    box.append(act(t('ev.signup'), () => post(`/v1/events/${e.id}/signups`, {}), t('ev.signed_up')));
  }
  return box;
}

export const placesText = (e) => (e.capacity
  ? t('ev.places_of', { s: e.signups, c: e.capacity, n: e.places_left })
  : (e.signups ? t('ev.signups_n', { n: e.signups }) : null));

// --- the views ----------------------------------------------------------------------

function eventItem(e, me, rerender) {
  const meta = [rangeText(e), tv(e.kind), e.association_name].filter(Boolean).join(' · ');
  return h(`li.event${e.cancelled ? '.cancelled' : ''}`, { 'data-kind': e.kind, 'data-id': e.id },
    h('a.event-title', { href: `#/events/${e.id}` }, h('strong', e.title)),
    e.cancelled ? h('span.badge.warn', t('ev.cancelled')) : null,
    h('div.muted', meta),
    placesText(e) ? h('div', placesText(e)) : null,
    signupControl(e, me, rerender));
}

// One day of the week or month view: its date, today marked, its events.
function dayCell(ymd, events, { today, outside = false }) {
  const isToday = ymd === today;
  const cls = `li.day${isToday ? '.today' : ''}${outside ? '.outside' : ''}${events.length ? '' : '.empty'}`;
  return h(cls, { 'data-date': ymd, 'aria-current': isToday ? 'date' : null },
    h('h3.day-head',
      h('span.day-num', { 'aria-hidden': 'true' }, String(Number(ymd.slice(8)))),
      h('span.day-full', dayText(ymd, { weekday: 'long', day: 'numeric', month: 'long' })),
      isToday ? h('span.badge.today-badge', t('ev.today_mark')) : null),
    events.length ? h('ul.day-events', events.map((e) => h(`li${e.cancelled ? '.cancelled' : ''}`, { 'data-kind': e.kind, 'data-id': e.id },
      h('a', { href: `#/events/${e.id}` },
        h('time', { datetime: e.starts_at }, timeText(e.starts_at)), ' ', h('span.ev-title', e.title),
        e.cancelled ? h('span.sr-only', ` (${t('ev.cancelled')})`) : null),
      e.my_signup_id ? h('span.badge.ok.mine', { title: t('ev.signed_up') }, '✓', h('span.sr-only', ` ${t('ev.signed_up')}`)) : null))) : null);
}

function byDay(events) {
  const m = new Map();
  for (const e of events) {
    const d = cphParts(e.starts_at).date;
    if (!m.has(d)) m.set(d, []);
    m.get(d).push(e);
  }
  return m;
}

const weekdayHeads = () => h('div.weekdays', { 'aria-hidden': 'true' },
  [0, 1, 2, 3, 4, 5, 6].map((i) => h('span', dayText(addDays('2024-01-01', i), { weekday: 'short' }))));

function monthView(events, month, today) {
  const first = `${month}-01`;
  const next = ymdOf(new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1, 12)));
  const start = mondayOf(first);
  const end = addDays(mondayOf(addDays(next, -1)), 6);
  const days = byDay(events);
  const cells = [];
  for (let d = start; d <= end; d = addDays(d, 1)) cells.push(dayCell(d, days.get(d) || [], { today, outside: d.slice(0, 7) !== month }));
  const prev = ymdOf(new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 2, 1, 12))).slice(0, 7);
  const title = dayText(first, { month: 'long', year: 'numeric' });
  return h('section.calendar.month', { 'aria-labelledby': 'cal-title' },
    h('div.cal-nav',
      h('a.button', { href: link('/events', { view: 'month', month: prev }), 'aria-label': t('ev.prev_month') }, '←', h('span.nav-word', t('ev.prev_month'))),
      h('h2#cal-title', { 'data-testid': 'month-title' }, title),
      h('a.button', { href: link('/events', { view: 'month', month: next.slice(0, 7) }), 'aria-label': t('ev.next_month') }, h('span.nav-word', t('ev.next_month')), '→')),
    today.slice(0, 7) === month ? null : h('p', h('a', { href: link('/events', { view: 'month' }) }, t('ev.this_month'))),
    weekdayHeads(),
    h('ol.days', cells),
    events.length ? null : h('p.muted', t('ev.none_month')));
}

function weekView(events, start, today) {
  const { w, y } = isoWeek(start);
  const days = byDay(events);
  const cells = [];
  for (let i = 0; i < 7; i++) cells.push(dayCell(addDays(start, i), days.get(addDays(start, i)) || [], { today }));
  return h('section.calendar.week-cal', { 'aria-labelledby': 'cal-title' },
    h('div.cal-nav',
      h('a.button', { href: link('/events', { view: 'week', week: addDays(start, -7) }), 'aria-label': t('ev.prev') }, '←', h('span.nav-word', t('ev.prev'))),
      h('h2#cal-title', { 'data-testid': 'week-title' }, t('ev.week_of', { w, y })),
      h('a.button', { href: link('/events', { view: 'week', week: addDays(start, 7) }), 'aria-label': t('ev.next') }, h('span.nav-word', t('ev.next')), '→')),
    weekdayHeads(),
    h('ol.days', cells));
}

export async function eventsPage(params, query, { me, rerender }) {
  const view = ['week', 'month'].includes(query.view) ? query.view : 'list';
  const today = cphToday();
  let from;
  let to;
  let month;
  let start;
  if (view === 'month') {
    month = /^\d{4}-\d{2}$/.test(query.month || '') ? query.month : today.slice(0, 7);
    from = mondayOf(`${month}-01`);
    to = addDays(from, 41);
  } else if (view === 'week') {
    start = mondayOf(/^\d{4}-\d{2}-\d{2}$/.test(query.week || '') ? query.week : today);
    from = start;
    to = addDays(start, 6);
  } else {
    from = today;
    to = addDays(today, 28);
  }
  const events = await all(withQuery('/v1/events', { limit: 200, from, to, include_cancelled: view === 'list' ? '' : 'true' }), 600);
  const tabs = h('nav.tabs', { 'aria-label': t('ev.views') },
    [['list', t('ev.list'), link('/events')], ['week', t('ev.week'), link('/events', { view: 'week' })], ['month', t('ev.month'), link('/events', { view: 'month' })]]
      .map(([v, text, href]) => h('a', { href, 'aria-current': view === v ? 'page' : null }, text)));
  const canAdd = ['coordinator', 'association'].includes(me.role);
  const head = h('div.page-head', h('h1', t('ev.title')),
    canAdd ? h('a.button.primary', { href: '#/events/new' }, me.role === 'association' ? t('ev.new_activity') : t('ev.new')) : null);
  let body;
  if (view === 'month') body = monthView(events, month, today);
  else if (view === 'week') body = weekView(events, start, today);
  else body = events.length ? h('ul.events', events.map((e) => eventItem(e, me, rerender))) : h('p.muted', t('ev.none'));
  return h('div.page.events-page', head, tabs, body);
}
