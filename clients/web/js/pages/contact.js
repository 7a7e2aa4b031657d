// contact.js - an association contact's own pages: the referrals sent to
// its association (accept, decline, complete; the citizen's name and phone
// only while the citizen consents to sharing, read on request because each
// read is logged) and its own association (newcomer places, the details
// the contact may change, its coming activities).
import { all, get, post, getVersioned, patchVersioned, withQuery } from '../api.js';
import { t, tv, fmtDate, fmtDateTime } from '../i18n.js';
import { h, field, section, busy, showProblem, clearProblem, flash } from '../dom.js';
import { link } from '../router.js';
import { readForm, patchBody, cphToday } from '../forms.js';
import { rangeText } from './events.js';
import { phoneText } from './volunteers.js';

const OPEN = ['sent', 'accepted'];
const SHOWN_EVENTS = 8;
// The button for each step of the referral's state table.
const STEP = { accepted: 'ref.accept', declined: 'ref.decline', completed: 'ref.complete' };

function citizenDetails(r) {
  const out = h('div.citizen', { 'aria-live': 'polite' });
  const d = h('details.citizen-details', h('summary', t('ref.show_citizen')), out);
  d.addEventListener('toggle', async () => {
    if (!d.open || d.dataset.loaded) return;
    d.dataset.loaded = '1';
    out.setAttribute('aria-busy', 'true');
    try {
      const full = await get(`/v1/referrals/${r.id}`);
      const c = full.citizen;
      out.replaceChildren(c ? h('dl.kv',
        h('dt', t('req.name')), h('dd', { 'data-testid': 'citizen-name' }, c.name || '–'),
        h('dt', t('req.phone')), h('dd', c.phone ? h('a.tel', { href: `tel:${c.phone.replace(/\s+/g, '')}` }, phoneText(c.phone)) : '–'))
        : h('p.muted', t('ref.no_consent')));
    } catch (err) { showProblem(d, err); } finally { out.removeAttribute('aria-busy'); }
  });
  return d;
}

function referralCard(r, rerender) {
  const card = h(`li.card.referral.state-card-${r.state}`, { 'data-id': r.id, 'data-state': r.state });
  const buttons = (r.allowed_transitions || []).map((to) => {
    const btn = h(`button${to === 'declined' ? '.danger' : '.primary'}`, {
      type: 'button', 'data-to': to,
      onclick: async () => {
        if (to !== 'accepted' && !window.confirm(t(to === 'declined' ? 'ref.decline_confirm' : 'ref.complete_confirm'))) return;
        try {
          await busy(btn, () => post(`/v1/referrals/${r.id}/transitions`, { to }), card);
          flash(t('ref.now', { s: tv(to) }));
          await rerender();
        } catch (err) { showProblem(card, err); }
      },
    }, t(STEP[to]));
    return btn;
  });
  const dates = [
    [t('ref.sent'), fmtDateTime(r.sent_at)],
    r.answered_at ? [t('ref.answered'), fmtDateTime(r.answered_at)] : null,
    r.completed_at ? [t('ref.completed'), fmtDateTime(r.completed_at)] : null,
  ].filter(Boolean);
  card.append(
    h('div.referral-head',
      h('h2', t('ref.heading', { d: fmtDate(r.sent_at) })),
      h('span', { class: `badge ref-${r.state}`, 'data-testid': 'referral-state' }, tv(r.state))),
    r.scheme_note ? h('p.pre.scheme', r.scheme_note) : null,
    h('dl.kv', dates.map(([a, b]) => [h('dt', a), h('dd', b)])),
    h('p', { class: r.consent_to_share ? 'ok-text' : 'warn-text' }, r.consent_to_share ? t('ref.consent') : t('ref.no_consent')),
    r.consent_to_share && OPEN.includes(r.state) ? citizenDetails(r) : null,
    buttons.length ? h('div.actions', buttons) : null);
  return card;
}

export async function referralsPage(params, query, { rerender }) {
  const show = query.show === 'all' ? 'all' : 'open';
  const list = await all('/v1/referrals?limit=200', 2000);
  const open = list.filter((r) => OPEN.includes(r.state));
  // open ones oldest first (waiting longest); all of them newest first
  const shown = show === 'all' ? [...list].reverse() : open;
  return h('div.page.referrals-page',
    h('h1', t('ref.title')),
    h('p.muted', t('ref.intro')),
    h('nav.tabs', { 'aria-label': t('ref.title') },
      h('a', { href: link('/referrals'), 'aria-current': show === 'open' ? 'page' : null }, t('ref.open', { n: open.length })),
      h('a', { href: link('/referrals', { show: 'all' }), 'aria-current': show === 'all' ? 'page' : null }, t('ref.all', { n: list.length }))),
    shown.length ? h('ul.cards.referrals', shown.map((r) => referralCard(r, rerender))) : h('p.muted', t(show === 'all' ? 'ref.none' : 'ref.none_open')));
}

// --- the contact's own association ------------------------------------------------

function placesCard(a, etag, rerender) {
  const btn = h('button.primary', { type: 'submit' }, t('myassoc.save_places'));
  const f = h('form.places-form', { novalidate: true },
    h('div.form-error', { role: 'alert', hidden: true }),
    field({ name: 'newcomer_places', label: t('assoc.places'), type: 'number', min: 0, max: 10000, value: a.newcomer_places, inputmode: 'numeric', hint: t('myassoc.places_hint') }),
    h('div.actions', btn));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(f);
    // always sent, also unchanged: it confirms the number (and its date)
    const { newcomer_places: n } = readForm(f);
    try {
      await busy(btn, () => patchVersioned(`/v1/associations/${a.id}`, { newcomer_places: n }, etag), f);
      flash(t('myassoc.places_saved'));
      await rerender();
    } catch (err) { showProblem(f, err); }
  });
  return section(t('assoc.places'),
    h('p.places-now', h('strong.big', { 'data-testid': 'places' }, a.newcomer_places ?? '–'), ' ',
      h('span.muted', a.newcomer_places_updated_at ? t('assoc.updated', { d: fmtDate(a.newcomer_places_updated_at) }) : t('myassoc.never'))),
    f);
}

const CONTACT_FIELDS = [
  ['description', 'myassoc.description', 'textarea'], ['contact_name', 'myassoc.contact_name'], ['contact_email', 'req.email', 'email'],
  ['contact_phone', 'req.phone', 'tel'], ['welcome_contact_name', 'myassoc.welcome_name'], ['welcome_contact_email', 'req.email', 'email'],
  ['welcome_contact_phone', 'req.phone', 'tel'], ['welcome_training_on', 'myassoc.welcome_training', 'date'],
];

function detailsForm(a, etag, rerender) {
  const f2 = (name, key, type) => field({ name, label: t(key), type: type || 'text', value: a[name], rows: 4, autocomplete: 'off' });
  const btn = h('button.primary', { type: 'submit' }, t('app.save'));
  const [desc, cn, ce, cp, wn, we, wp, wt] = CONTACT_FIELDS.map(([n, k, ty]) => f2(n, k, ty));
  const f = h('form.association-form', { novalidate: true },
    h('div.form-error', { role: 'alert', hidden: true }),
    desc,
    h('fieldset', h('legend', t('myassoc.contact')), h('div.form-grid', cn, ce, cp)),
    h('fieldset', h('legend', t('myassoc.welcome')), h('div.form-grid', wn, we, wp, wt)),
    h('div.actions', btn));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(f);
    const body = patchBody(a, readForm(f));
    try {
      if (Object.keys(body).length) await busy(btn, () => patchVersioned(`/v1/associations/${a.id}`, body, etag), f);
      flash(t('app.saved'));
      await rerender();
    } catch (err) { showProblem(f, err); }
  });
  return section(t('myassoc.details'), f);
}

export async function myAssociationPage(params, query, { rerender }) {
  const list = await all('/v1/associations?limit=200', 2000);
  // the contact gets every field of its own association only
  const mine = list.find((x) => 'newcomer_places' in x);
  if (!mine) return h('div.page', h('h1', t('nav.myassoc')), h('p.notice.warn', t('myassoc.none')));
  return myAssociationView(mine.id, rerender);
}

async function myAssociationView(id, rerender) {
  const [{ data: a, etag }, events] = await Promise.all([
    getVersioned(`/v1/associations/${id}`),
    all(withQuery('/v1/events', { limit: 200, association: id, from: cphToday(), include_cancelled: 'true' }), 200),
  ]);
  return h('div.page.my-association',
    h('div.page-head', h('h1', a.name), h('a.button.primary', { href: '#/events/new' }, t('ev.new_activity'))),
    h('div.grid',
      h('div.col', placesCard(a, etag, rerender), detailsForm(a, etag, rerender)),
      h('div.col', section(t('myassoc.events'),
        events.length ? h('ul.plain.assoc-events', events.slice(0, SHOWN_EVENTS).map((e) => h(`li${e.cancelled ? '.cancelled' : ''}`,
          h('a', { href: `#/events/${e.id}` }, e.title), h('div.muted', rangeText(e)),
          e.cancelled ? h('span.badge.warn', t('ev.cancelled')) : null))) : h('p.muted', t('myassoc.no_events')),
        events.length > SHOWN_EVENTS ? h('p', h('a', { href: link('/events', { view: 'month' }) }, t('myassoc.more_events', { n: events.length - SHOWN_EVENTS }))) : null))));
}
