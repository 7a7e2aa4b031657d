// request.js - one request: citizen data (when the role may see it),
// workflow buttons, guide and activity suggestions, conversations,
// measurements, the course, consent, history and export.
import { get, post, all, session, ApiError } from '../api.js';
import { t, tv, fmtDate, fmtDateTime, getLang, langName, fmtNum } from '../i18n.js';
import { h, field, form, section, busy, showProblem, flash, today } from '../dom.js';
import { volunteerNames, categoryNames, associationList } from '../data.js';
import { takeCreated } from './intake.js';
import { referralSection } from './referral.js';

const FINAL = ['closed', 'declined', 'withdrawn'];
const MEAS_COLS = ['meas.taken_on', 'meas.instrument', 'meas.timepoint', 'meas.answers', 'meas.score'];
const REASONS = ['need_met', 'no_longer_needed', 'not_appropriate', 'no_capacity', 'unreachable', 'referred_elsewhere', 'withdrawn'];
const INSTRUMENTS = { who5: { items: 5, min: 0, max: 5, version: 'da-1998' }, ucla3: { items: 3, min: 1, max: 4, version: 'da-sundhedsprofil' } };
const soft = (p) => p.catch((err) => (err instanceof ApiError && (err.status === 403 || err.status === 404) ? null : Promise.reject(err)));

export async function requestPage({ id }, query, { me, rerender }) {
  const coord = me.role === 'coordinator';
  const [req, history, convs, meas, guides, acts, names, cats, courses, assocs, refs] = await Promise.all([
    get(`/v1/requests/${id}`),
    get(`/v1/requests/${id}/history`),
    get(`/v1/requests/${id}/conversations`),
    get(`/v1/requests/${id}/measurements`),
    coord ? soft(get(`/v1/requests/${id}/guide-suggestions`)) : null,
    soft(get(`/v1/requests/${id}/activity-suggestions`)),
    volunteerNames(),
    categoryNames(),
    all('/v1/courses?limit=200'),
    associationList(),
    coord ? all(`/v1/referrals?request_id=${id}&limit=200`) : null,
  ]);
  const created = takeCreated(id);
  const course = courses.find((c) => c.request_id === id);
  const vname = (vid) => (vid ? names.get(vid) || (session.me.role === 'guide' ? t('req.you') : vid.slice(0, 8)) : '–');
  const done = (msg) => { flash(msg || t('app.saved')); return rerender(); };
  const lang = getLang();

  const head = h('header.page-head',
    h('p.crumbs', h('a', { href: coord ? '#/queue' : '#/mine' }, `← ${t('app.back')}`)),
    h('h1', `${t('req.title')} ${req.portal_reference || req.id.slice(0, 8)}`),
    h('p.meta', h('span', { class: `badge state-${req.state}`, 'data-testid': 'request-state' }, tv(req.state)), ' · ',
      tv(req.source), ' · ', fmtDateTime(req.created_at),
      req.assigned_volunteer_id ? [' · ', t('req.assigned'), ': ', h('strong.assigned', vname(req.assigned_volunteer_id))] : null),
    h('div.buttons.no-print', h('button.print', { type: 'button', onclick: () => window.print() }, t('co.print'))),
    created ? h('div.notice.ok.created', { role: 'status' }, t('co.request_created'),
      created.possible_duplicates?.length ? h('p.warn-text.duplicates', t('co.duplicates', { n: created.possible_duplicates.length }), ' ',
        created.possible_duplicates.map((d, i) => [i ? ', ' : '', h('a', { href: `#/requests/${d}` }, `#${d.slice(0, 8)}`)])) : null) : null);

  // Workflow buttons for the allowed steps (guide_assigned goes through the suggestions).
  const steps = req.allowed_transitions.filter((s) => s !== 'guide_assigned');
  const reasonForm = h('form.inline.close-form', { hidden: true });
  const stepButtons = steps.map((to) => h('button', {
    type: 'button', class: FINAL.includes(to) ? 'danger' : 'primary', 'data-to': to,
    onclick: async (ev) => {
      if (FINAL.includes(to)) { showReason(to); return; }
      try {
        await busy(ev.currentTarget, () => post(`/v1/requests/${id}/transitions`, { to }));
        await done(`${t('req.move')}: ${tv(to)}`);
      } catch (err) { showProblem(transitions, err); }
    },
  }, `${t('req.move')}: ${tv(to)}`));
  function showReason(to) {
    reasonForm.replaceWith(reasonFormFor(to));
  }
  function reasonFormFor(to) {
    const f = form([
      field({ name: 'reason', label: `${tv(to)} – ${t('req.close_reason')}`, type: 'select', required: true, options: REASONS.map((r) => [r, tv(r)]), value: to === 'withdrawn' ? 'withdrawn' : 'need_met' }),
      field({ name: 'note', label: t('req.note'), type: 'textarea', rows: 2 }),
    ], tv(to), async (v) => {
      await post(`/v1/requests/${id}/transitions`, { to, reason: v.reason, ...(v.note ? { note: v.note } : {}) });
      await done();
    }, { cls: '.inline.close-form' });
    return f;
  }
  const transitions = section(t('req.transitions'), steps.length ? h('div.buttons', stepButtons) : h('p', t('app.none')), reasonForm);

  // The citizen's contact details on top (on a phone: tap to call or write).
  const c = req.citizen;
  const citizen = c
    ? h('section.card.contact-card', { 'aria-labelledby': 'citizen-h', 'data-testid': 'citizen-contact' },
      h('h2#citizen-h', c.name ? `${t('req.citizen')}: ${c.name}` : t('req.citizen')),
      h('div.contact-links',
        c.phone ? h('a.button.primary.tel', { href: `tel:${c.phone.replace(/[^+\d]/g, '')}` }, `${t('req.call')} ${c.phone}`) : null,
        c.email ? h('a.button.mail', { href: `mailto:${c.email}` }, `${t('req.write')} ${c.email}`) : null),
      h('dl.kv',
        h('dt', t('req.contact_pref')), h('dd', req.contact_preference ? tv(req.contact_preference, 'ContactPreference') : '–'),
        h('dt', t('req.language')), h('dd', langName(req.preferred_language || 'da')),
        h('dt', t('req.address')), h('dd', c.address || '–'),
        c.notes ? [h('dt', t('req.notes')), h('dd.pre', c.notes)] : null))
    : section(t('req.citizen'), h('p.muted', t('req.no_citizen')));

  const details = section(t('req.details'), h('dl.kv',
    h('dt', t('queue.postal')), h('dd', req.postal_code || '–'),
    h('dt', t('queue.ageband')), h('dd', req.age_band || '–'),
    h('dt', t('req.language')), h('dd', req.preferred_language ? langName(req.preferred_language) : '–'),
    h('dt', t('req.contact_pref')), h('dd', req.contact_preference ? tv(req.contact_preference, 'ContactPreference') : '–'),
    h('dt', t('req.heard_from')), h('dd', req.heard_from ? tv(req.heard_from, 'HeardFrom') : '–'),
    h('dt', t('req.categories')), h('dd', (req.categories || []).map((c) => cats.get(c) || c).join(', ') || '–')),
  h('h3', t('req.consent')),
  h('ul.plain', (req.consents || []).map((c) => h('li', `${tv(c.purpose, 'ConsentPurpose')}: ${c.given ? t('req.given') : t('req.not_given')} (${t('req.consent_text', { v: c.text_version })}, ${fmtDate(c.at)})`))));

  let guideSec = null;
  if (guides && req.allowed_transitions.includes('guide_assigned')) {
    guideSec = section(t('req.guides'), h('ol.suggestions', guides.items.slice(0, 5).map((g, i) => h('li.suggestion', { 'data-volunteer': g.volunteer_id },
      h('div', h('strong', g.name), ' ', h('span.score', `${t('req.score')} ${fmtNum(g.score, 2)}`)),
      h('p.reason', g.reason[lang]),
      scoreParts(g),
      h('button.primary', {
        type: 'button', 'data-rank': String(i + 1),
        onclick: async (ev) => {
          try {
            await busy(ev.currentTarget, () => post(`/v1/requests/${id}/transitions`, { to: 'guide_assigned', volunteer_id: g.volunteer_id }));
            await done(`${t('req.assigned')}: ${g.name}`);
          } catch (err) { showProblem(guideSec, err); }
        },
      }, `${t('req.assign')} ${g.name}`)))),
    guides.excluded?.length ? h('details', h('summary', `${t('req.excluded')} (${guides.excluded.length})`),
      h('ul.plain', guides.excluded.map((x) => h('li', `${x.name}: ${tv(x.rule, 'ExcludedRule')} (${x.reason[lang]})`)))) : null);
  }

  const actSec = acts ? section(t('req.activities'), h('ul.suggestions',
    acts.events.slice(0, 3).map((e) => h('li.suggestion', h('strong', e.title), ` · ${e.association_name || ''} · ${fmtDateTime(e.starts_at)}`, h('p.reason', e.reason[lang]))),
    acts.associations.slice(0, 3).map((a) => h('li.suggestion', h('strong', a.name), h('p.reason', a.reason[lang]))))) : null;

  const convForm = form([
    field({ name: 'held_on', label: t('conv.held_on'), type: 'date', value: today(), required: true, max: today() }),
    field({ name: 'duration_minutes', label: t('conv.minutes'), type: 'number', value: 45, min: 1, max: 600, required: true }),
    field({ name: 'next_step', label: t('conv.next'), type: 'select', required: true, options: ['course', 'referral', 'signposting', 'another_conversation', 'none'].map((s) => [s, tv(s)]) }),
    coord ? field({ name: 'volunteer_id', label: t('conv.volunteer'), type: 'select', value: req.assigned_volunteer_id || '', options: [['', '–'], ...[...names].map(([vid, n]) => [vid, n])] }) : null,
    field({ name: 'summary', label: t('conv.summary'), type: 'textarea', rows: 3 }),
  ], t('conv.add'), async (v) => {
    await post(`/v1/requests/${id}/conversations`, v);
    await done();
  }, { cls: '.conversation-form' });
  const convSec = section(t('req.conversations'),
    convs.items.length ? h('ul.timeline', convs.items.map((c) => h('li', h('strong', fmtDate(c.held_on)), ` · ${c.duration_minutes} min · ${tv(c.next_step)} · ${vname(c.volunteer_id)}`, c.summary ? h('p', c.summary) : null))) : h('p.muted', t('app.none')),
    h('details.add', h('summary', t('conv.add')), convForm));

  const measSec = section(t('req.measurements'),
    meas.items.length ? h('div.table-wrap', h('table.list.measurements.cards-phone',
      h('thead', h('tr', MEAS_COLS.map((x) => h('th', { scope: 'col' }, t(x))))),
      h('tbody', meas.items.map((m) => h('tr', [fmtDate(m.taken_on), tv(m.instrument, 'Instrument'), tv(m.timepoint, 'Timepoint'), m.answers.join(' '),
        [h('strong', fmtNum(m.score, 1)), ` (${m.score_range.min}–${m.score_range.max})`]].map((v, i) => h('td', { 'data-label': t(MEAS_COLS[i]) }, v))))))) : h('p.muted', t('app.none')),
    h('details.add', h('summary', t('meas.add')), measurementForm(id, course, done)));

  let courseSec;
  if (course) {
    courseSec = section(t('req.course'), h('p', h('a', { href: `#/courses/${course.id}` }, `${tv(course.state)} · ${course.visits_recorded}/${course.planned_visits} ${t('course.visits')}`)));
  } else if (coord && req.state === 'conversation_held') {
    // the activity suggestions in their order (the top one preselected), then the rest by name
    const rank = new Map((acts?.associations || []).map((a, i) => [a.association_id, i]));
    const byRank = (a) => (rank.has(a.id) ? rank.get(a.id) : Infinity);
    const opts = [...assocs].sort((a, b) => (byRank(a) - byRank(b)) || a.name.localeCompare(b.name));
    const end = new Date(Date.now() + 90 * 86400000).toISOString().slice(0, 10);
    courseSec = section(t('req.course'), form([
      field({
        name: 'association_id', label: t('course.association'), type: 'select', value: opts.length && rank.has(opts[0].id) ? opts[0].id : '',
        hint: rank.size ? t('co.course_assoc_hint') : null,
        options: [...opts.map((a) => [a.id, `${rank.has(a.id) ? '★ ' : ''}${a.name}`]), ['', t('co.no_association')]],
      }),
      field({ name: 'planned_visits', label: t('course.planned'), type: 'number', value: 6, min: 1, max: 20 }),
      field({ name: 'planned_end', label: t('course.planned_end'), type: 'date', value: end, required: true }),
    ], t('req.start_course'), async (v) => {
      const c = await post(`/v1/requests/${id}/courses`, v);
      flash(t('app.saved'));
      location.hash = `#/courses/${c.id}`;
    }, { cls: '.course-form' }));
  }

  const histSec = section(t('req.history'), h('ol.timeline', history.items.map((e) => h('li',
    h('time', { datetime: e.at }, fmtDateTime(e.at)), ' ', h('strong', tv(e.kind, 'RequestEventKind')),
    e.to_state ? ` → ${tv(e.to_state, 'RequestState')}` : '', e.reason ? ` (${tv(e.reason, 'CloseReason')})` : '',
    e.volunteer_id ? ` · ${vname(e.volunteer_id)}` : '', e.fields?.length ? ` · ${e.fields.map(fieldName).join(', ')}` : '',
    e.note ? h('p', e.note) : null, h('small.muted', ` · ${e.actor?.role ? tv(e.actor.role, 'Role') : tv(e.actor?.kind, 'ActorKind')}`)))));

  const exportSec = coord ? section(t('req.export'), h('button', {
    type: 'button', class: 'export',
    onclick: async (ev) => {
      try {
        const data = await busy(ev.currentTarget, () => get(`/v1/requests/${id}/export`));
        download(`kompas-${id}.json`, 'application/json', JSON.stringify(data, null, 2));
      } catch (err) { showProblem(exportSec, err); }
    },
  }, t('req.export'))) : null;

  const refSec = coord ? referralSection({ req, refs, assocs, acts, rerender: done }) : null;

  return h('div.page.request', head, citizen,
    h('div.grid', h('div.col', transitions, guideSec, courseSec, refSec, convSec, measSec, actSec),
      h('div.col', details, histSec, exportSec)));
}

// The request fields named in the history, by their labels.
const FIELD_KEYS = {
  name: 'req.name', phone: 'req.phone', email: 'req.email', address: 'req.address', notes: 'req.notes', postal_code: 'queue.postal',
  age_band: 'queue.ageband', preferred_language: 'req.language', contact_preference: 'req.contact_pref', heard_from: 'req.heard_from',
  categories: 'req.categories', source: 'queue.source', portal_reference: 'req.reference',
};
const fieldName = (f) => (FIELD_KEYS[f.replace(/^citizen\./, '')] ? t(FIELD_KEYS[f.replace(/^citizen\./, '')]) : f.replace(/_/g, ' '));

// The matching score in words: what each component counts and its points
// (value x the centre's weight; the API's components).
function scoreParts(g) {
  const words = (c) => {
    const pts = t('req.points', { p: fmtNum(c.points, 2) });
    if (c.name === 'interests') return t('req.score_interests', { n: fmtNum(c.value, 0), p: pts });
    if (c.name === 'area') return t(c.value >= 1 ? 'req.score_area_same' : c.value > 0 ? 'req.score_area_near' : 'req.score_area_far', { p: pts });
    if (c.name === 'availability') return t(c.value > 0 ? 'req.score_avail' : 'req.score_no_avail', { p: pts });
    if (c.name === 'load') return t('req.score_load', { n: fmtNum(c.value * 100, 0), p: pts });
    return `${c.name.replace(/_/g, ' ')}: ${pts}`;
  };
  return h('details.score-parts', h('summary', t('req.score_why', { s: fmtNum(g.score, 2) })),
    h('ul', (g.components || []).map((c) => h('li', { 'data-part': c.name }, words(c)))));
}

function measurementForm(id, course, done) {
  const answers = h('fieldset.answers');
  const instrument = field({ name: 'instrument', label: t('meas.instrument'), type: 'select', options: [['who5', 'WHO-5'], ['ucla3', 'UCLA-3']] });
  const fillAnswers = (inst) => {
    const spec = INSTRUMENTS[inst];
    answers.replaceChildren(h('legend', t('meas.answers')));
    for (let i = 0; i < spec.items; i++) {
      const opts = [];
      for (let v = spec.min; v <= spec.max; v++) opts.push([String(v), String(v)]);
      answers.append(field({ name: `answer${i}`, label: t('meas.question', { n: i + 1 }), type: 'select', options: opts, value: String(spec.max - 1) }));
    }
    answers.append(h('span.field-error', { 'data-error-for': 'answers' }));
  };
  fillAnswers('who5');
  instrument.querySelector('select').addEventListener('change', (ev) => fillAnswers(ev.target.value));
  return form([
    instrument,
    field({ name: 'timepoint', label: t('meas.timepoint'), type: 'select', options: ['baseline', 'course_end', 'follow_up'].map((s) => [s, tv(s)]) }),
    field({ name: 'taken_on', label: t('meas.taken_on'), type: 'date', value: today(), required: true, max: today() }),
    field({ name: 'mode', label: t('meas.mode'), type: 'select', options: [['alone', tv('alone')], ['helped', tv('helped')]] }),
    answers,
  ], t('meas.add'), async (v) => {
    const list = Object.keys(v).filter((k) => /^answer\d+$/.test(k)).sort().map((k) => Number(v[k]));
    const body = { instrument: v.instrument, instrument_version: INSTRUMENTS[v.instrument].version, timepoint: v.timepoint, taken_on: v.taken_on, mode: v.mode, answers: list };
    if (course && v.timepoint !== 'baseline') body.course_id = course.id;
    await post(`/v1/requests/${id}/measurements`, body);
    await done();
  }, { cls: '.measurement-form' });
}

// Offer text as a file download (a blob: link; no inline script needed).
export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
