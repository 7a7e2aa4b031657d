// event.js - one event's page (when and where, the caller's sign-up,
// for coordinators who is signed up), the form that creates or edits an
// event (coordinators also a weekly or monthly series), and a series' page
// where its template and the occurrences still to come are changed.
import { all, post, del, getVersioned, patchVersioned } from '../api.js';
import { t, tv, fmtDateTime } from '../i18n.js';
import { h, field, section, busy, showProblem, clearProblem, flash } from '../dom.js';
import { go } from '../router.js';
import { readForm, createBody, patchBody, foldItemErrors, checkGroup, cphIso, cphParts } from '../forms.js';
import { catName } from '../data.js';
import { rangeText, timeText, signupControl, takesMySignup, placesText } from './events.js';

const KINDS = ['activity', 'guide_training', 'welcome_workshop', 'info_meeting'];
const kv = (label, value) => (value === null || value === undefined || value === '' ? null : [h('dt', label), h('dd', value)]);

// May the caller change event e? Coordinators theirs; an association
// contact the activities of its own association (the only other callers
// the API shows the internal note to).
export const canEdit = (e, me) => me.role === 'coordinator' || (me.role === 'association' && e.kind === 'activity' && 'internal_note' in e);

function whereCard(e) {
  return section(t('ev.when_where'), h('dl.kv',
    kv(t('ev.when'), h('span', { 'data-testid': 'event-when' }, rangeText(e, true))),
    kv(t('ev.address'), [e.address, e.postal_code].filter(Boolean).join(', ')),
    kv(t('ev.online'), e.online_url ? h('a', { href: e.online_url, rel: 'noopener noreferrer', target: '_blank' }, t('ev.online_link')) : null),
    kv(t('ev.accessibility'), e.accessibility ? h('span.pre', e.accessibility) : null),
    kv(t('ev.association'), e.association_name),
    kv(t('ev.kind'), tv(e.kind)),
    kv(t('ev.categories'), e.categories?.length ? h('span', e.categories.map((c) => h('span.tag', catName(c)))) : null),
    kv(t('ev.places_label'), placesText(e) || (e.capacity === null ? t('ev.unlimited') : null))));
}

// Coordinators: who is signed up (each can be cancelled), and signing up
// a volunteer for a training or meeting.
async function signupsCard(e, rerender) {
  if (e.kind === 'activity') return null;
  const [signups, vols] = await Promise.all([
    all(`/v1/events/${e.id}/signups?limit=200`),
    e.kind === 'welcome_workshop' ? [] : all('/v1/volunteers?limit=200&status=in_training,active,paused'),
  ]);
  const card = section(t('ev.signups'));
  card.append(signups.length ? h('ul.plain.entries.signups', signups.map((s) => {
    const btn = h('button.small', {
      type: 'button', 'aria-label': t('ev.cancel_for', { name: s.name || '' }),
      onclick: async () => {
        try { await busy(btn, () => del(`/v1/events/${e.id}/signups/${s.id}`)); flash(t('ev.signup_cancelled')); await rerender(); } catch (err) { showProblem(card, err); }
      },
    }, t('ev.cancel_signup'));
    return h('li.entry', { 'data-id': s.id }, h('div', h('strong', s.name || '–'), h('div.muted', fmtDateTime(s.created_at))), btn);
  })) : h('p.muted', t('ev.no_signups')));
  const taken = new Set(signups.map((s) => s.volunteer_id));
  const free = vols.filter((v) => !taken.has(v.id));
  if (free.length && !e.cancelled && Date.parse(e.starts_at) > Date.now()) {
    const btn = h('button', { type: 'submit' }, t('ev.signup_volunteer'));
    const f = h('form.signup-for', { novalidate: true }, h('div.form-error', { role: 'alert', hidden: true }),
      field({ name: 'volunteer_id', label: t('ev.volunteer'), type: 'select', options: free.map((v) => [v.id, v.name]) }),
      h('div.actions', btn));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearProblem(f);
      try { await busy(btn, () => post(`/v1/events/${e.id}/signups`, readForm(f)), f); flash(t('app.saved')); await rerender(); } catch (err) { showProblem(f, err); }
    });
    card.append(h('details.add', h('summary', t('ev.signup_volunteer')), f));
  }
  return card;
}

export async function eventPage(params, query, { me, rerender }) {
  const { data: e, etag } = await getVersioned(`/v1/events/${encodeURIComponent(params.id)}`);
  const edit = canEdit(e, me);
  const toggle = edit ? h('button', {
    type: 'button', class: e.cancelled ? '' : 'danger',
    onclick: async (ev) => {
      if (!e.cancelled && !window.confirm(t('ev.cancel_confirm'))) return;
      try {
        await busy(ev.currentTarget, () => patchVersioned(`/v1/events/${e.id}`, { cancelled: !e.cancelled }, etag));
        flash(e.cancelled ? t('ev.reinstated') : t('ev.was_cancelled'));
        await rerender();
      } catch (err) { showProblem(ev.currentTarget.closest('.page'), err); }
    },
  }, e.cancelled ? t('ev.reinstate') : t('ev.cancel_event')) : null;
  const signup = takesMySignup(e, me) ? section(t('ev.signup_title'),
    placesText(e) ? h('p', placesText(e)) : null, signupControl(e, me, rerender, { big: true })) : null;
  return h('div.page.event-page', { 'data-id': e.id },
    h('p.crumbs', h('a', { href: '#/events' }, `← ${t('ev.title')}`)),
    h('h1', e.title),
    h('p.badges', h('span', { class: 'badge', 'data-kind': e.kind }, tv(e.kind)),
      e.cancelled ? h('span.badge.warn', { 'data-testid': 'event-cancelled' }, t('ev.cancelled')) : null,
      e.series_id ? h('span.badge', t('ev.in_series')) : null),
    signup,
    h('div.grid',
      h('div.col', whereCard(e),
        e.description ? section(t('ev.description'), h('p.pre', e.description)) : null,
        'internal_note' in e && e.internal_note ? section(t('ev.internal_note'), h('p.pre', e.internal_note)) : null),
      h('div.col', me.role === 'coordinator' ? await signupsCard(e, rerender) : null)),
    edit ? h('div.actions.event-actions',
      h('a.button.primary', { href: `#/events/${e.id}/edit` }, t('ev.edit')), toggle,
      e.series_id && me.role === 'coordinator' ? h('a.button', { href: `#/event-series/${e.series_id}` }, t('ev.edit_series')) : null) : null);
}

// --- the form ---------------------------------------------------------------------

async function formLookups(me, e) {
  const [cats, assocs] = await Promise.all([
    all('/v1/categories?limit=200&kind=activity'),
    me.role === 'coordinator' ? all('/v1/associations?limit=200') : [],
  ]);
  const opts = cats.map((c) => [c.id, catName(c)]);
  for (const c of e?.categories || []) if (!opts.some(([id]) => id === c.id)) opts.push([c.id, catName(c)]);
  return { cats: opts, assocs };
}

// The fields an event and a series' template share; e the current values.
function templateFields(e, me, { cats, assocs }, { times = true } = {}) {
  const start = e.starts_at ? cphParts(e.starts_at) : { date: '', time: '' };
  const end = e.ends_at ? cphParts(e.ends_at) : { date: '', time: '' };
  return [
    field({ name: 'title', label: t('ev.title_label'), required: true, value: e.title }),
    times ? h('fieldset.when',
      h('legend', t('ev.when')),
      h('div.form-grid.times',
        field({ name: 'start_date', label: t('ev.date'), type: 'date', required: true, value: start.date }),
        field({ name: 'start_time', label: t('ev.starts'), type: 'time', required: true, value: start.time }),
        field({ name: 'end_time', label: t('ev.ends'), type: 'time', required: true, value: end.time }),
        field({ name: 'end_date', label: t('ev.end_date'), type: 'date', value: end.date && end.date !== start.date ? end.date : '', hint: t('ev.end_date_hint') })),
      h('span.field-error', { 'data-error-for': 'starts_at' }),
      h('span.field-error', { 'data-error-for': 'ends_at' })) : null,
    field({ name: 'description', label: t('ev.description'), type: 'textarea', rows: 4, value: e.description }),
    h('div.form-grid',
      field({ name: 'address', label: t('ev.address'), value: e.address, autocomplete: 'off' }),
      field({ name: 'postal_code', label: t('ev.postal_code'), value: e.postal_code, inputmode: 'numeric' }),
      field({ name: 'online_url', label: t('ev.online'), type: 'url', value: e.online_url, hint: t('ev.online_hint') }),
      field({ name: 'capacity', label: t('ev.capacity'), type: 'number', min: 1, max: 10000, value: e.capacity, hint: t('ev.capacity_hint') }),
      me.role === 'coordinator' ? field({ name: 'association_id', label: t('ev.association'), type: 'select', value: e.association_id,
        options: [['', t('ev.no_association')], ...assocs.map((a) => [a.id, a.name])] }) : null),
    field({ name: 'accessibility', label: t('ev.accessibility'), type: 'textarea', rows: 2, value: e.accessibility, hint: t('ev.accessibility_hint') }),
    cats.length ? checkGroup({ name: 'category_ids', label: t('ev.categories'), options: cats, checked: (e.categories || []).map((c) => c.id).concat(e.category_ids || []) }) : null,
    field({ name: 'internal_note', label: t('ev.internal_note'), type: 'textarea', rows: 2, value: e.internal_note, hint: t('ev.internal_note_hint') }),
  ];
}

// The values of the form as the API names them: times from the date and
// time fields in Copenhagen time.
function eventValues(f) {
  const v = readForm(f);
  if ('start_date' in v) {
    if (v.start_date && v.start_time) v.starts_at = cphIso(v.start_date, v.start_time);
    if ((v.end_date || v.start_date) && v.end_time) v.ends_at = cphIso(v.end_date || v.start_date, v.end_time);
  }
  for (const k of ['start_date', 'start_time', 'end_date', 'end_time']) delete v[k];
  return v;
}

function repeatFields() {
  const freq = field({ name: 'frequency', label: t('ev.repeat'), type: 'select', value: '',
    options: [['', t('ev.repeat_none')], ['weekly', t('ev.weekly')], ['monthly', t('ev.monthly')]] });
  const more = h('div.form-grid.repeat-more',
    field({ name: 'interval', label: t('ev.interval'), type: 'number', min: 1, max: 4, hint: t('ev.interval_hint') }),
    field({ name: 'count', label: t('ev.count'), type: 'number', min: 1, max: 104, hint: t('ev.count_hint') }),
    field({ name: 'until', label: t('ev.until'), type: 'date', hint: t('ev.until_hint') }));
  const sel = freq.querySelector('select');
  const show = () => {
    more.hidden = !sel.value;
    for (const el of more.querySelectorAll('input')) el.disabled = !sel.value;
  };
  sel.addEventListener('change', show);
  show();
  return h('fieldset.repeat', h('legend', t('ev.repeat_title')), freq, more);
}

export async function eventFormPage(params, query, { me }) {
  const editing = !!params.id;
  const current = editing ? await getVersioned(`/v1/events/${encodeURIComponent(params.id)}`) : { data: null, etag: null };
  const e = current.data || {};
  if (editing && !canEdit(e, me)) throw new Error(t('app.forbidden'));
  const looks = await formLookups(me, e);
  const kinds = me.role === 'association' ? ['activity'] : KINDS;
  const btn = h('button.primary', { type: 'submit' }, editing ? t('app.save') : t('ev.create'));
  const startDefaults = !editing && /^\d{4}-\d{2}-\d{2}$/.test(query.date || '') ? query.date : '';
  const f = h('form.event-form', { novalidate: true },
    h('div.form-error', { role: 'alert', hidden: true }),
    editing ? h('p', h('strong', `${t('ev.kind')}: `), tv(e.kind))
      : (kinds.length > 1 ? field({ name: 'kind', label: t('ev.kind'), type: 'select', value: 'activity', options: kinds.map((k) => [k, tv(k)]) }) : null),
    templateFields(e, me, looks),
    !editing && me.role === 'coordinator' ? repeatFields() : null,
    h('div.actions', btn, h('a.button', { href: editing ? `#/events/${e.id}` : '#/events' }, t('app.cancel'))));
  if (startDefaults) f.querySelector('[name="start_date"]').value = startDefaults;
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(f);
    const v = eventValues(f);
    try {
      if (editing) {
        const was = { ...e, category_ids: (e.categories || []).map((c) => c.id) };
        const body = patchBody(was, v);
        for (const k of ['starts_at', 'ends_at']) if (body[k] && Date.parse(body[k]) === Date.parse(e[k])) delete body[k];
        if (Object.keys(body).length) await busy(btn, () => patchVersioned(`/v1/events/${e.id}`, body, current.etag), f);
        flash(t('app.saved'));
        go(`#/events/${e.id}`);
        return;
      }
      if (!v.kind) v.kind = 'activity';
      const repeat = v.frequency;
      if (!repeat) for (const k of ['frequency', 'interval', 'count', 'until']) delete v[k];
      const made = await busy(btn, () => post(repeat ? '/v1/event-series' : '/v1/events', createBody(v)), f);
      flash(repeat ? t('ev.series_created', { n: made.occurrences.length }) : t('ev.created'));
      go(repeat ? `#/event-series/${made.id}` : `#/events/${made.id}`);
    } catch (err) { showProblem(f, foldItemErrors(err, f)); }
  });
  return h('div.page.event-edit',
    h('p.crumbs', h('a', { href: editing ? `#/events/${e.id}` : '#/events' }, `← ${editing ? e.title : t('ev.title')}`)),
    h('h1', editing ? t('ev.edit_title') : (me.role === 'association' ? t('ev.new_activity') : t('ev.new'))),
    f);
}

// --- a series ---------------------------------------------------------------------

export async function seriesPage(params, query, { me, rerender }) {
  const { data: s, etag } = await getVersioned(`/v1/event-series/${encodeURIComponent(params.id)}`);
  const looks = await formLookups(me, null);
  const now = Date.now();
  const upcoming = s.occurrences.filter((o) => Date.parse(o.starts_at) > now);
  const btn = h('button.primary', { type: 'submit' }, t('ev.save_series'));
  const f = h('form.series-form', { novalidate: true },
    h('div.form-error', { role: 'alert', hidden: true }),
    h('p.hint', t('ev.series_note', { n: upcoming.length })),
    templateFields(s, me, looks, { times: false }),
    h('div.actions', btn));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(f);
    const body = patchBody(s, readForm(f));
    try {
      if (Object.keys(body).length) await busy(btn, () => patchVersioned(`/v1/event-series/${s.id}`, body, etag), f);
      flash(t('ev.series_saved', { n: upcoming.length }));
      await rerender();
    } catch (err) { showProblem(f, foldItemErrors(err, f)); }
  });
  const allCancelled = upcoming.length > 0 && upcoming.every((o) => o.cancelled);
  const toggle = upcoming.length ? h('button', {
    type: 'button', class: allCancelled ? '' : 'danger',
    onclick: async (ev) => {
      if (!allCancelled && !window.confirm(t('ev.cancel_series_confirm', { n: upcoming.length }))) return;
      try {
        await busy(ev.currentTarget, () => patchVersioned(`/v1/event-series/${s.id}`, { cancelled: !allCancelled }, etag));
        flash(allCancelled ? t('ev.reinstated') : t('ev.was_cancelled'));
        await rerender();
      } catch (err) { showProblem(f, err); }
    },
  }, allCancelled ? t('ev.reinstate_series') : t('ev.cancel_series')) : null;
  const freq = t(s.frequency === 'monthly' ? 'ev.every_months' : 'ev.every_weeks', { n: s.interval });
  return h('div.page.series-page',
    h('p.crumbs', h('a', { href: '#/events' }, `← ${t('ev.title')}`)),
    h('h1', s.title),
    h('p.badges', h('span.badge', tv(s.kind)), h('span.badge', freq),
      h('span.badge', `${timeText(s.starts_at)}–${timeText(s.ends_at)}`)),
    h('div.grid',
      h('div.col', section(t('ev.change_series'), f)),
      h('div.col', section(t('ev.occurrences', { n: s.occurrences.length }),
        h('ol.plain.occurrences', s.occurrences.map((o) => h(`li${o.cancelled ? '.cancelled' : ''}`, { 'data-id': o.id },
          h('a', { href: `#/events/${o.id}` }, rangeText(o)),
          o.cancelled ? h('span.badge.warn', ` ${t('ev.cancelled')}`) : null,
          Date.parse(o.starts_at) <= now ? h('span.muted', ` · ${t('ev.held')}`) : null))),
        toggle ? h('div.actions', toggle) : null))));
}

