// volunteers.js - the coordinator's volunteers: a list readable at a
// glance, a volunteer's page (details, status and its history, trainings,
// record checks) and the form that creates or edits one.
import { all, post, del, getVersioned, patchVersioned, withQuery } from '../api.js';
import { t, tv, fmtDate, fmtDateTime, getLang, langName } from '../i18n.js';
import { h, field, section, busy, showProblem, clearProblem, flash } from '../dom.js';
import { go, link } from '../router.js';
import { readForm, createBody, patchBody, foldItemErrors, checkGroup, cphToday } from '../forms.js';
import { catName } from '../data.js';

const STATUSES = ['applicant', 'in_training', 'active', 'paused', 'retired', 'rejected'];
// The API's status table (PATCH /v1/volunteers/{id}); a 409 names the
// allowed ones should it ever differ.
const NEXT = {
  applicant: ['in_training', 'rejected'],
  in_training: ['active', 'retired', 'rejected'],
  active: ['paused', 'retired'],
  paused: ['active', 'retired'],
  retired: [],
  rejected: [],
};
const DONE = ['retired', 'rejected']; // no expiry warnings for these
const MODULES = ['intro', 'conversation', 'accompaniment', 'first_aid_mental_health', 'data_protection'];
const RECRUITED = ['socialkompas', 'association', 'word_of_mouth', 'local_paper', 'event', 'other'];
// Languages offered as checkboxes (ISO 639-1); a volunteer's others are added.
const LANGUAGES = ['da', 'en', 'de', 'ar', 'fa', 'so', 'tr', 'ur', 'pl', 'uk', 'ru', 'ro', 'ti', 'ku', 'es', 'fr', 'sv', 'no'];
const SOON_DAYS = 60;

// A language's name in the interface language ("arabisk"): i18n.js's.
export { langName };

const weekdayName = (n) => new Date(Date.UTC(2024, 0, n)).toLocaleDateString(getLang() === 'en' ? 'en-GB' : 'da-DK', { weekday: 'long', timeZone: 'UTC' });

// The newest entry of each group (training module, check kind).
function newest(items, key, date) {
  const by = new Map();
  for (const x of items || []) if (!by.has(x[key]) || x[date] > by.get(x[key])[date]) by.set(x[key], x);
  return [...by.values()];
}

// What expires within 60 days (or has expired): the newest training per
// module and record check per kind; nothing for retired or rejected ones.
export function expiring(v) {
  if (DONE.includes(v.status)) return [];
  const today = cphToday();
  const soon = new Date(Date.now() + SOON_DAYS * 86400000).toISOString().slice(0, 10);
  const when = (d) => t(d < today ? 'vol.expired' : 'vol.expires', { d: fmtDate(d) });
  const out = [];
  for (const tr of newest(v.trainings, 'module', 'completed_on')) {
    if (tr.expires_on && tr.expires_on <= soon) out.push({ what: tv(tr.module, 'TrainingModule'), when: when(tr.expires_on), text: `${tv(tr.module, 'TrainingModule')} ${when(tr.expires_on)}` });
  }
  for (const rc of newest(v.record_checks, 'kind', 'checked_on')) {
    if (rc.valid_until <= soon) out.push({ what: tv(rc.kind), when: when(rc.valid_until), text: `${tv(rc.kind)} ${when(rc.valid_until)}` });
  }
  return out;
}

// +4520304050 as +45 20 30 40 50 (Danish numbers in pairs).
export const phoneText = (p) => (/^\+45\d{8}$/.test(p) ? `+45 ${p.slice(3).match(/\d\d/g).join(' ')}` : p);

const load = (v) => `${v.active_citizens}/${v.capacity ?? '–'}`;
const langs = (v) => (v.languages || []).map(langName).join(', ') || '–';

// --- the list -------------------------------------------------------------------

export async function volunteersPage(params, query, { me }) {
  const status = query.status || '';
  const q = query.q || '';
  const soon = query.expiring === '1';
  const vols = await all(withQuery('/v1/volunteers', { limit: 200, status, q, expiring_within_days: soon ? SOON_DAYS : '' }));
  const f = h('form.filters', { role: 'search', 'aria-label': t('vol.filters') },
    field({ name: 'status', label: t('vol.status'), type: 'select', value: status, options: [['', t('queue.all')], ...STATUSES.map((s) => [s, tv(s)])] }),
    field({ name: 'q', label: t('vol.search'), type: 'search', value: q }),
    field({ name: 'expiring', label: t('vol.only_expiring'), type: 'checkbox', value: soon }),
    h('div.actions', h('button', { type: 'submit' }, t('queue.filter'))));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = new FormData(f);
    go(link('/volunteers', { status: d.get('status'), q: d.get('q'), expiring: d.get('expiring') ? '1' : '' }));
  });
  const cols = [t('req.name'), t('vol.status'), t('vol.load'), t('vol.languages'), t('vol.areas'), t('vol.expiring')];
  const rows = vols.map((v) => {
    const exp = expiring(v);
    const full = v.capacity !== null && v.active_citizens >= v.capacity;
    const cell = (i, ...c) => h('td', { 'data-label': cols[i] }, h('div.cell', ...c));
    return h(`tr${exp.length ? '.expiring' : ''}`, { 'data-id': v.id },
      cell(0, h('a.name', { href: `#/volunteers/${v.id}` }, v.name), v.email ? [h('br'), h('small.muted', v.email)] : null),
      cell(1, h('span', { class: `badge vol-${v.status}` }, tv(v.status))),
      cell(2, h(`span${full ? '.badge.warn' : ''}`, { title: t('vol.load_title') }, load(v))),
      cell(3, langs(v)),
      cell(4, (v.postal_areas || []).join(', ') || '–'),
      cell(5, exp.length ? h('ul.plain', exp.map((e) => h('li.warn-text', `⚠ ${e.text}`))) : '–'));
  });
  return h('div.page.volunteers-page',
    h('div.page-head',
      h('h1', t('vol.title')),
      me.role === 'coordinator' ? h('a.button.primary', { href: '#/volunteers/new' }, t('vol.new')) : null),
    f,
    h('p.muted', { 'data-testid': 'vol-count' }, t('vol.count', { n: vols.length })),
    vols.length
      ? h('div.table-wrap', h('table.list.volunteers.cards-phone',
        h('caption.sr-only', t('vol.title')),
        h('thead', h('tr', cols.map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', rows)))
      : h('p.muted', t('vol.none')));
}

// --- one volunteer --------------------------------------------------------------

function availabilityText(slots) {
  if (!slots?.length) return '–';
  return h('ul.plain', slots.map((s) => h('li', `${weekdayName(s.weekday)} ${s.starts}–${s.ends}`)));
}

function detailsCard(v, names, edit) {
  const assoc = v.recruited_association_id ? names.associations.get(v.recruited_association_id) : null;
  const account = v.account_id ? names.accounts.get(v.account_id) : null;
  const kv = (label, value) => [h('dt', label), h('dd', value ?? '–')];
  return section(t('vol.details'), h('dl.kv',
    kv(t('req.email'), v.email ? h('a', { href: `mailto:${v.email}` }, v.email) : '–'),
    kv(t('req.phone'), v.phone ? h('a', { href: `tel:${v.phone}` }, phoneText(v.phone)) : '–'),
    kv(t('vol.languages'), langs(v)),
    kv(t('vol.areas'), (v.postal_areas || []).join(', ') || '–'),
    kv(t('vol.capacity'), t('vol.capacity_text', { n: v.active_citizens, c: v.capacity ?? '–' })),
    kv(t('vol.interests'), (v.interests || []).map(catName).join(', ') || '–'),
    kv(t('vol.availability'), availabilityText(v.availability)),
    kv(t('vol.recruited_via'), v.recruited_via ? `${tv(v.recruited_via)}${assoc ? ` (${assoc})` : ''}` : '–'),
    kv(t('vol.account'), account || (v.account_id ? t('vol.account_linked') : t('vol.account_none'))),
    kv(t('vol.notes'), v.notes ? h('span.pre', v.notes) : '–'),
    kv(t('vol.registered'), fmtDate(v.created_at))),
  edit ? h('div.actions', h('a.button', { href: `#/volunteers/${v.id}/edit` }, t('vol.edit'))) : null);
}

function statusCard(v, etag, history, names, edit, rerender) {
  const next = NEXT[v.status] || [];
  let form = null;
  if (next.length && edit) {
    const btn = h('button.primary', { type: 'submit' }, t('vol.status_change'));
    form = h('form.status-form', { novalidate: true },
      h('div.form-error', { role: 'alert', hidden: true }),
      field({ name: 'status', label: t('vol.new_status'), type: 'select', options: next.map((s) => [s, tv(s)]) }),
      field({ name: 'status_reason', label: t('vol.status_reason'), type: 'textarea', rows: 2, hint: t('vol.optional') }),
      h('div.actions', btn));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearProblem(form);
      try {
        await busy(btn, () => patchVersioned(`/v1/volunteers/${v.id}`, createBody(readForm(form)), etag), form);
        flash(t('app.saved'));
        await rerender();
      } catch (err) { showProblem(form, err); }
    });
  }
  return section(t('vol.status'),
    h('p', h('span', { class: `badge vol-${v.status}`, 'data-testid': 'vol-status' }, tv(v.status)),
      next.length ? null : h('span.muted', ` ${t('vol.status_final')}`)),
    form,
    h('h3', t('vol.history')),
    h('ol.timeline.vol-history', history.map((c) => h('li',
      h('strong', c.from_status ? `${tv(c.from_status)} → ${tv(c.to_status)}` : t('vol.registered_as', { s: tv(c.to_status) })),
      h('div.muted', `${fmtDateTime(c.changed_at)}${c.changed_by && names.accounts.get(c.changed_by) ? ` · ${names.accounts.get(c.changed_by)}` : ''}`),
      c.reason ? h('p', c.reason) : null))));
}

// A list of entries with a delete button each, and a form that adds one.
function entriesCard({ title, addLabel, cls, items, describe, deletePath, addForm, edit, rerender }) {
  const list = items.length ? h(`ul.plain.entries.${cls}`, items.map((x) => {
    const btn = edit && h('button.small.danger', {
      type: 'button', 'aria-label': t('vol.delete_entry', { what: describe(x).name }),
      onclick: async () => {
        if (!window.confirm(t('vol.delete_confirm', { what: describe(x).name }))) return;
        try {
          await busy(btn, () => del(deletePath(x)));
          flash(t('vol.deleted'));
          await rerender();
        } catch (err) { showProblem(btn.closest('section'), err); }
      },
    }, t('vol.delete'));
    const d = describe(x);
    return h(`li.entry${d.warn ? '.expiring' : ''}`, { 'data-id': x.id },
      h('div', h('strong', d.name), h('div.muted', d.text), d.warn ? h('div.warn-text', `⚠ ${d.warn}`) : null), btn);
  })) : h('p.muted', t('app.none'));
  return section(title, list, edit ? h('details.add', h('summary', addLabel), addForm) : null);
}

// A form posting to path; fields left empty are left out.
function addForm(cls, fields, label, path, rerender) {
  const btn = h('button.primary', { type: 'submit' }, label);
  const f = h(`form.${cls}`, { novalidate: true }, h('div.form-error', { role: 'alert', hidden: true }), fields, h('div.actions', btn));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(f);
    try {
      await busy(btn, () => post(path, createBody(readForm(f))), f);
      flash(t('app.saved'));
      await rerender();
    } catch (err) { showProblem(f, err); }
  });
  return f;
}

function trainingsCard(v, edit, rerender) {
  const current = new Set(newest(v.trainings, 'module', 'completed_on').map((x) => x.id));
  const warn = new Map(expiring(v).map((e) => [e.what, e.when]));
  return entriesCard({
    title: t('vol.trainings'), addLabel: t('vol.add_training'), cls: 'trainings', items: v.trainings || [], edit, rerender,
    describe: (x) => ({
      name: tv(x.module, 'TrainingModule'),
      text: `${t('vol.completed_on', { d: fmtDate(x.completed_on) })}${x.expires_on ? ` · ${t('vol.expires', { d: fmtDate(x.expires_on) })}` : ''}`,
      warn: current.has(x.id) ? warn.get(tv(x.module, 'TrainingModule')) : null,
    }),
    deletePath: (x) => `/v1/volunteers/${v.id}/trainings/${x.id}`,
    addForm: addForm('training-form', [
      field({ name: 'module', label: t('vol.module'), type: 'select', required: true, options: MODULES.map((m) => [m, tv(m, 'TrainingModule')]) }),
      field({ name: 'completed_on', label: t('vol.completed'), type: 'date', required: true, value: cphToday(), max: cphToday() }),
      field({ name: 'expires_on', label: t('vol.expires_on'), type: 'date', hint: t('vol.expires_hint') }),
    ], t('vol.add_training'), `/v1/volunteers/${v.id}/trainings`, rerender),
  });
}

function checksCard(v, edit, rerender) {
  const current = new Set(newest(v.record_checks, 'kind', 'checked_on').map((x) => x.id));
  const warn = new Map(expiring(v).map((e) => [e.what, e.when]));
  return entriesCard({
    title: t('vol.checks'), addLabel: t('vol.add_check'), cls: 'checks', items: v.record_checks || [], edit, rerender,
    describe: (x) => ({
      name: tv(x.kind),
      text: `${t('vol.checked_on', { d: fmtDate(x.checked_on) })} · ${tv(x.outcome)} · ${t('vol.valid_until', { d: fmtDate(x.valid_until) })}`,
      warn: current.has(x.id) ? warn.get(tv(x.kind)) : null,
    }),
    deletePath: (x) => `/v1/volunteers/${v.id}/record-checks/${x.id}`,
    addForm: addForm('check-form', [
      h('p.hint', t('vol.check_note')),
      field({ name: 'kind', label: t('vol.check_kind'), type: 'select', required: true, options: [['criminal_record', tv('criminal_record')], ['child_protection', tv('child_protection')]] }),
      field({ name: 'checked_on', label: t('vol.checked'), type: 'date', required: true, value: cphToday(), max: cphToday() }),
      field({ name: 'outcome', label: t('vol.outcome'), type: 'select', required: true, options: [['clear', tv('clear')], ['remarks', tv('remarks')]] }),
      field({ name: 'valid_until', label: t('vol.valid_until_label'), type: 'date', required: true }),
    ], t('vol.add_check'), `/v1/volunteers/${v.id}/record-checks`, rerender),
  });
}

// Names of accounts and associations for the pages (ids in the record).
async function lookups() {
  const [accounts, associations] = await Promise.all([all('/v1/accounts?limit=200'), all('/v1/associations?limit=200')]);
  return {
    accountList: accounts,
    accounts: new Map(accounts.map((a) => [a.id, a.display_name])),
    associationList: associations,
    associations: new Map(associations.map((a) => [a.id, a.name])),
  };
}

export async function volunteerPage(params, query, { me, rerender }) {
  const edit = me.role === 'coordinator';
  const [{ data: v, etag }, history, names] = await Promise.all([
    getVersioned(`/v1/volunteers/${encodeURIComponent(params.id)}`),
    all(`/v1/volunteers/${encodeURIComponent(params.id)}/history?limit=200`),
    lookups(),
  ]);
  return h('div.page.volunteer',
    h('p.crumbs', h('a', { href: '#/volunteers' }, `← ${t('vol.title')}`)),
    h('h1', v.name),
    h('div.grid',
      h('div.col', detailsCard(v, names, edit), statusCard(v, etag, history, names, edit, rerender)),
      h('div.col', trainingsCard(v, edit, rerender), checksCard(v, edit, rerender))));
}

// --- create and edit ------------------------------------------------------------

function availabilityEditor(slots) {
  const rows = h('ol.plain.slots');
  const addRow = (s = { weekday: 1, starts: '', ends: '' }) => {
    const row = h('li.slot',
      field({ name: `slot_weekday`, label: t('vol.weekday'), type: 'select', value: s.weekday, options: [1, 2, 3, 4, 5, 6, 7].map((n) => [n, weekdayName(n)]) }),
      field({ name: `slot_starts`, label: t('vol.from'), type: 'time', value: s.starts }),
      field({ name: `slot_ends`, label: t('vol.to'), type: 'time', value: s.ends }),
      h('button.small', { type: 'button', onclick: () => { row.remove(); } }, t('vol.remove_slot')),
      h('span.field-error', { 'data-error-for': '' }));
    rows.append(row);
  };
  for (const s of slots || []) addRow(s);
  return h('fieldset.availability', h('legend', t('vol.availability')), rows,
    h('button.small', { type: 'button', onclick: () => addRow() }, t('vol.add_slot')),
    h('span.field-error', { 'data-error-for': 'availability' }));
}

// The availability rows as the API wants them; rows without times left out.
function readSlots(form) {
  const out = [];
  for (const row of form.querySelectorAll('li.slot')) {
    const [wd, s, e] = ['slot_weekday', 'slot_starts', 'slot_ends'].map((n) => row.querySelector(`[name="${n}"]`).value);
    // the row's error slot names the item it becomes
    row.querySelector(':scope > .field-error').dataset.errorFor = s || e ? `availability[${out.length}]` : '';
    if (s || e) out.push({ weekday: Number(wd), starts: s, ends: e });
  }
  return out;
}

async function categoryOptions() {
  const cats = await all('/v1/categories?limit=200');
  return cats.filter((c) => c.kind === 'interest' || c.kind === 'activity').map((c) => [c.id, catName(c)]);
}

export async function volunteerFormPage(params) {
  const editing = !!params.id;
  const [current, names, cats] = await Promise.all([
    editing ? getVersioned(`/v1/volunteers/${encodeURIComponent(params.id)}`) : Promise.resolve({ data: null, etag: null }),
    lookups(),
    categoryOptions(),
  ]);
  const v = current.data || {};
  const guides = names.accountList.filter((a) => a.role === 'guide' && !a.disabled);
  const langOptions = [...new Set([...LANGUAGES, ...(v.languages || [])])].map((c) => [c, langName(c)])
    .sort((a, b) => (a[0] === 'da' ? -1 : b[0] === 'da' ? 1 : a[1].localeCompare(b[1], 'da')));
  const recruitedAssoc = field({
    name: 'recruited_association_id', label: t('vol.recruited_association'), type: 'select', value: v.recruited_association_id,
    options: [['', t('vol.choose')], ...names.associationList.map((a) => [a.id, a.name])],
  });
  const via = field({ name: 'recruited_via', label: t('vol.recruited_via'), type: 'select', value: v.recruited_via, options: [['', t('vol.unknown')], ...RECRUITED.map((r) => [r, tv(r)])] });
  const showAssoc = () => { recruitedAssoc.hidden = via.querySelector('select').value !== 'association'; };
  via.querySelector('select').addEventListener('change', showAssoc);
  const btn = h('button.primary', { type: 'submit' }, editing ? t('app.save') : t('vol.create'));
  const f = h('form.volunteer-form', { novalidate: true },
    h('div.form-error', { role: 'alert', hidden: true }),
    h('div.form-grid',
      field({ name: 'name', label: t('req.name'), required: true, value: v.name, autocomplete: 'off' }),
      editing ? null : field({ name: 'status', label: t('vol.status'), type: 'select', value: 'applicant', options: ['applicant', 'in_training', 'active'].map((s) => [s, tv(s)]) }),
      field({ name: 'email', label: t('req.email'), type: 'email', value: v.email, autocomplete: 'off' }),
      field({ name: 'phone', label: t('req.phone'), type: 'tel', value: v.phone, autocomplete: 'off' }),
      field({ name: 'capacity', label: t('vol.capacity_label'), type: 'number', min: 1, max: 10, value: v.capacity, hint: t('vol.capacity_hint') }),
      field({ name: 'postal_areas', label: t('vol.areas'), value: (v.postal_areas || []).join(' '), hint: t('vol.areas_hint'), inputmode: 'numeric' })),
    checkGroup({ name: 'languages', label: t('vol.languages'), options: langOptions, checked: v.languages || [] }),
    cats.length ? checkGroup({ name: 'interests', label: t('vol.interests'), options: cats, checked: (v.interests || []).map((c) => c.id) }) : null,
    availabilityEditor(v.availability),
    h('div.form-grid',
      via, recruitedAssoc,
      field({ name: 'account_id', label: t('vol.account'), type: 'select', value: v.account_id, hint: t('vol.account_hint'),
        options: [['', t('vol.account_none')], ...guides.map((a) => [a.id, `${a.display_name} (${a.email})`])] })),
    field({ name: 'notes', label: t('vol.notes'), type: 'textarea', rows: 3, value: v.notes, hint: t('vol.notes_hint') }),
    h('div.actions', btn, h('a.button', { href: editing ? `#/volunteers/${v.id}` : '#/volunteers' }, t('app.cancel'))));
  showAssoc();
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(f);
    const values = readForm(f);
    for (const k of ['slot_weekday', 'slot_starts', 'slot_ends']) delete values[k];
    values.postal_areas = (values.postal_areas || '').split(/[\s,;]+/).filter(Boolean);
    values.availability = readSlots(f);
    if (values.recruited_via !== 'association') values.recruited_association_id = null;
    try {
      if (editing) {
        const was = { ...v, interests: (v.interests || []).map((c) => c.id) };
        const body = patchBody(was, values);
        if (Object.keys(body).length) await busy(btn, () => patchVersioned(`/v1/volunteers/${v.id}`, body, current.etag), f);
        flash(t('app.saved'));
        go(`#/volunteers/${v.id}`);
      } else {
        const made = await busy(btn, () => post('/v1/volunteers', createBody(values)), f);
        flash(t('vol.created', { name: made.name }));
        go(`#/volunteers/${made.id}`);
      }
    } catch (err) { showProblem(f, foldItemErrors(err, f)); }
  });
  return h('div.page.volunteer-edit',
    h('p.crumbs', h('a', { href: editing ? `#/volunteers/${v.id}` : '#/volunteers' }, `← ${editing ? v.name : t('vol.title')}`)),
    h('h1', editing ? t('vol.edit_title', { name: v.name }) : t('vol.new')),
    f);
}

