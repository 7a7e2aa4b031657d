// intake.js - the coordinator's new request (a phone call or a walk-in:
// how it came, how the citizen heard of us, the needs, the consents asked)
// and the global search by phone, e-mail or reference (POST
// /v1/requests/search: the criteria go in the body, never in the URL, so
// the term is kept in memory, not in the address).
import { post, all } from '../api.js';
import { t, tv } from '../i18n.js';
import { h, field, busy, showProblem, clearProblem } from '../dom.js';
import { go } from '../router.js';
import { readForm, createBody, foldItemErrors, checkGroup } from '../forms.js';
import { catName } from '../data.js';
import { langName, phoneText } from './volunteers.js';

const SOURCES = ['phone', 'walk_in', 'municipal_referral', 'relative_referral'];
const AGE_BANDS = ['18-24', '25-34', '35-49', '50-64', '65-79', '80+'];
const LANGUAGES = ['da', 'en', 'de', 'ar', 'so', 'tr', 'fa', 'ur', 'pl', 'uk', 'ru', 'ro', 'ti', 'ku', 'bs', 'sv', 'no', 'es', 'fr', 'vi', 'th', 'tl'];
const CONTACT = ['phone', 'email', 'sms', 'letter'];
const HEARD = ['socialkompas', 'municipal_staff', 'relative', 'local_paper', 'association', 'other'];
export const PURPOSES = ['contact', 'share_with_association', 'follow_up', 'statistics'];
// The version of the consent texts read out to the citizen (the demo's).
const CONSENT_TEXT = '2025-09';
const CAT_KINDS = ['need', 'interest', 'activity', 'target_group'];

const opts = (values, label, empty = t('co.not_given')) => [['', empty], ...values.map((v) => [v, label(v)])];

export async function newRequestPage() {
  const cats = await all('/v1/categories?limit=200');
  const btn = h('button.primary', { type: 'submit' }, t('co.create_request'));
  const groups = CAT_KINDS.map((kind) => {
    const list = cats.filter((c) => c.kind === kind).sort((a, b) => catName(a).localeCompare(catName(b)));
    return list.length ? checkGroup({ name: 'categories', label: t(`co.cat_${kind}`), options: list.map((c) => [c.id, catName(c)]) }) : null;
  });
  const consentRows = PURPOSES.map((p) => field({
    name: `consent_${p}`, label: t(`co.consent_${p}`), type: 'select',
    options: [['', t('co.consent_not_asked')], ['yes', t('co.consent_yes')], ['no', t('co.consent_no')]],
  }));
  const f = h('form.request-form', { novalidate: true },
    h('div.form-error', { role: 'alert', hidden: true }),
    h('fieldset', h('legend', t('co.how')), h('div.form-grid',
      field({ name: 'source', label: t('queue.source'), type: 'select', required: true, value: 'phone', options: SOURCES.map((s) => [s, tv(s)]) }),
      field({ name: 'heard_from', label: t('req.heard_from'), type: 'select', options: opts(HEARD, tv) }))),
    h('fieldset', h('legend', t('req.citizen')),
      h('p.hint', t('co.citizen_hint')),
      h('div.form-grid',
        field({ name: 'citizen.name', label: t('req.name'), required: true, autocomplete: 'off' }),
        field({ name: 'citizen.phone', label: t('req.phone'), type: 'tel', inputmode: 'tel', autocomplete: 'off' }),
        field({ name: 'citizen.email', label: t('req.email'), type: 'email', autocomplete: 'off' }),
        field({ name: 'postal_code', label: t('queue.postal'), inputmode: 'numeric', autocomplete: 'off' })),
      field({ name: 'citizen.address', label: t('req.address'), type: 'textarea', rows: 2 }),
      h('div.form-grid',
        field({ name: 'age_band', label: t('queue.ageband'), type: 'select', options: opts(AGE_BANDS, (a) => a) }),
        field({ name: 'preferred_language', label: t('req.language'), type: 'select', options: opts(LANGUAGES, langName) }),
        field({ name: 'contact_preference', label: t('req.contact_pref'), type: 'select', options: opts(CONTACT, (c) => t(`co.contact_${c}`)) })),
      field({ name: 'citizen.notes', label: t('req.notes'), type: 'textarea', rows: 3, hint: t('co.notes_hint') })),
    h('fieldset.needs', h('legend', t('co.needs')), groups),
    h('fieldset.consents', h('legend', t('req.consent')), h('p.hint', t('co.consent_hint', { v: CONSENT_TEXT })),
      h('div.form-grid', consentRows), h('span.field-error', { 'data-error-for': 'consents' })),
    h('div.actions', btn));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(f);
    const v = readForm(f);
    const citizen = createBody({ name: v['citizen.name'], phone: v['citizen.phone'], email: v['citizen.email'], address: v['citizen.address'], notes: v['citizen.notes'] });
    const consents = PURPOSES.filter((p) => v[`consent_${p}`]).map((p) => ({ purpose: p, given: v[`consent_${p}`] === 'yes', text_version: CONSENT_TEXT }));
    const body = createBody({
      source: v.source, citizen, postal_code: v.postal_code, age_band: v.age_band, preferred_language: v.preferred_language,
      contact_preference: v.contact_preference, heard_from: v.heard_from, categories: v.categories, consents,
    });
    try {
      const made = await busy(btn, () => post('/v1/requests', body), f);
      lastCreated = made;
      go(`#/requests/${made.id}`);
    } catch (err) {
      // "consents[1].given" and the like at the consents' slot
      showProblem(f, foldItemErrors(err, f));
    }
  });
  return h('div.page.new-request',
    h('p.crumbs', h('a', { href: '#/queue' }, `← ${t('app.back')}`)),
    h('h1', t('co.new_request')), f);
}

// The request just made (its possible duplicates are shown on its page once).
let lastCreated = null;
export function takeCreated(id) {
  const made = lastCreated && lastCreated.id === id ? lastCreated : null;
  lastCreated = null;
  return made;
}

// --- search --------------------------------------------------------------------

let term = '';
// What the term is, as the criteria to search by: an e-mail address (with
// @), a phone number (8 or more digits and only phone punctuation) or else a
// reference. A term that can be both a phone number and a reference (8 digits
// are a phone number, and the start of an id such as 43223622) is searched
// both ways.
export function criteria(text) {
  const s = text.trim();
  if (s.includes('@')) return [{ email: s }];
  const reference = /^[0-9a-f-]{8,36}$/i.test(s);
  if (/^[+\d\s().-]+$/.test(s) && (s.match(/\d/g) || []).length >= 8 && !/^[0-9a-f]{8}-/i.test(s)) return reference ? [{ phone: s }, { reference: s }] : [{ phone: s }];
  return [{ reference: s }];
}

// Every request found by any of the criteria, each once, in the order found.
async function searchAll(crits) {
  const seen = new Map();
  let more = false;
  for (const crit of crits) {
    const r = await post('/v1/requests/search', { ...crit, limit: 50 });
    for (const item of r.items) if (!seen.has(item.id)) seen.set(item.id, item);
    more ||= r.more;
  }
  return { items: [...seen.values()], more };
}

// The search box of the top bar (coordinators): the term stays in memory.
export function searchBox() {
  const input = h('input#global-search', { type: 'search', name: 'q', autocomplete: 'off', placeholder: t('co.search_placeholder'), value: term, 'aria-label': t('co.search_label') });
  const f = h('form.global-search', { role: 'search', 'aria-label': t('co.search_label') },
    input, h('button.small', { type: 'submit' }, t('co.search')));
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) { input.focus(); return; }
    term = input.value.trim();
    go('#/search');
  });
  return f;
}

export async function searchPage() {
  const input = h('input', { id: 'search-term', type: 'search', name: 'q', value: term, autocomplete: 'off', required: true });
  const btn = h('button.primary', { type: 'submit' }, t('co.search'));
  const out = h('div.search-results', { 'aria-live': 'polite' });
  const f = h('form.search-form', { role: 'search', novalidate: true },
    h('div.form-error', { role: 'alert', hidden: true }),
    h('div.field', h('label', { for: 'search-term' }, t('co.search_label')), h('small.hint', t('co.search_hint')), input,
      h('span.field-error', { 'data-error-for': 'q' })),
    h('div.actions', btn));
  const run = async () => {
    clearProblem(f);
    term = input.value.trim();
    if (!term) { out.replaceChildren(); return; }
    const crits = criteria(term);
    try {
      const r = await busy(btn, () => searchAll(crits), f);
      const by = crits.map((c) => t(`co.by_${Object.keys(c)[0]}`)).join(` ${t('co.or')} `);
      out.replaceChildren(
        h('p.muted', t(r.items.length === 1 ? 'co.found_one' : 'co.found', { n: r.items.length, by })),
        r.items.length ? h('ul.cards.search-hits', [...r.items].reverse().map(hit)) : null,
        r.more ? h('p.notice.warn', t('co.more')) : null);
    } catch (err) {
      // the API names phone, email or reference: show it at the one box
      for (const fe of err?.problem?.errors || []) fe.field = 'q';
      showProblem(f, err);
    }
  };
  f.addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
  if (term) run();
  return h('div.page.search-page', h('h1', t('co.search_title')), f, out);
}

function hit(r) {
  const c = r.citizen || {};
  return h('li.card.hit', { 'data-id': r.id },
    h('h2', h('a', { href: `#/requests/${r.id}` }, c.name || t('co.anonymised'))),
    h('p.meta', h('span', { class: `badge state-${r.state}` }, tv(r.state)), ' ', r.portal_reference || r.id.slice(0, 8), ' · ', tv(r.source)),
    h('dl.kv',
      c.phone ? [h('dt', t('req.phone')), h('dd', phoneText(c.phone))] : null,
      c.email ? [h('dt', t('req.email')), h('dd', c.email)] : null,
      r.postal_code ? [h('dt', t('queue.postal')), h('dd', r.postal_code)] : null),
    h('a.button.primary', { href: `#/requests/${r.id}` }, t('co.open_request')));
}
