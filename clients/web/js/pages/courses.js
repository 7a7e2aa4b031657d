// courses.js - the courses with their visits (log a visit in a few
// clicks), state steps, follow-ups due.
import { get, post, patch, all, withQuery } from '../api.js';
import { t, tv, fmtDate } from '../i18n.js';
import { h, field, form, section, busy, showProblem, flash, today } from '../dom.js';
import { link, go } from '../router.js';
import { volunteerNames, associationList } from '../data.js';

const OUTCOMES = ['continues_on_own', 'continues_with_support', 'referred', 'stopped'];

export async function coursesPage(params, query, { me }) {
  const state = query.state || '';
  const [courses, names, assocs] = await Promise.all([
    all(withQuery('/v1/courses', { limit: 200, state })), volunteerNames(), associationList(),
  ]);
  const aname = new Map(assocs.map((a) => [a.id, a.name]));
  const due = courses.filter((c) => c.follow_up_due && !c.follow_up_on && c.follow_up_due <= today());
  const states = ['', 'planned', 'active', 'completed', 'ended_early'];
  return h('div.page',
    h('h1', me.role === 'guide' ? t('nav.mycourses') : t('course.title')),
    h('ul.counts', states.map((s) => h('li', h('a', { href: link('/courses', { state: s }), 'aria-current': s === state ? 'true' : null }, s ? tv(s) : t('queue.all'))))),
    due.length ? section(t('course.followups'), h('ul.plain.followups', due.map((c) => h('li', h('a', { href: `#/courses/${c.id}` }, `${aname.get(c.association_id) || '–'} · ${t('course.due')} ${fmtDate(c.follow_up_due)}`))))) : null,
    courses.length ? h('div.table-wrap', h('table.list.courses.cards-phone',
      h('thead', h('tr', COLS.map((x) => h('th', { scope: 'col' }, t(x))))),
      h('tbody', courses.map((c) => h('tr', { 'data-id': c.id }, [
        h('a', { href: `#/courses/${c.id}` }, h('span', { class: `badge course-${c.state}` }, tv(c.state, 'CourseState'))),
        aname.get(c.association_id) || '–',
        names.get(c.volunteer_id) || (me.role === 'guide' ? '✓' : '–'),
        `${c.visits_recorded}/${c.planned_visits}`,
        fmtDate(c.last_visit_on),
        fmtDate(c.started_on)].map((v, i) => h('td', { 'data-label': t(COLS[i]) }, v))))))) : h('p.empty', t('course.none')));
}

const COLS = ['course.state', 'course.association', 'course.guide', 'course.visits', 'course.last_visit', 'course.started'];

export async function coursePage({ id }, query, { me, rerender }) {
  const [c, names, assocs] = await Promise.all([get(`/v1/courses/${id}`), volunteerNames(), associationList()]);
  const aname = new Map(assocs.map((a) => [a.id, a.name]));
  const done = () => { flash(t('app.saved')); return rerender(); };
  const open = ['planned', 'active'].includes(c.state);

  const visitForm = open ? form([
    field({ name: 'visited_on', label: t('course.visited_on'), type: 'date', value: today(), max: today(), required: true }),
    field({ name: 'minutes', label: t('course.minutes'), type: 'number', value: 90, min: 0, max: 600, required: true, inputmode: 'numeric' }),
    field({ name: 'citizen_came', label: t('course.citizen_came'), type: 'checkbox', value: true }),
    field({ name: 'guide_went', label: t('course.guide_went'), type: 'checkbox', value: true }),
    field({ name: 'note', label: t('course.note'), type: 'textarea', rows: 2 }),
  ], t('course.log_visit'), async (v) => {
    const body = { visited_on: v.visited_on, minutes: v.minutes, citizen_came: v.citizen_came, guide_went: v.guide_went };
    if (v.note) body.note = v.note;
    await post(`/v1/courses/${id}/visits`, body);
    await done();
  }, { cls: '.visit-form' }) : null;

  // the next planned visit: the guide is reminded by e-mail the day before
  const nextSec = open && me.role === 'coordinator' ? section(t('course.next_visit'), h('p.muted', t('course.next_visit_hint')), form([
    field({ name: 'next_visit_on', label: t('course.next_visit_on'), type: 'date', value: c.next_visit_on, min: today() }),
  ], t('course.next_visit_save'), async (v) => {
    await patch(`/v1/courses/${id}`, { next_visit_on: v.next_visit_on || null });
    await done();
  }, { cls: '.next-visit-form' })) : null;

  const stepSec = section(t('req.transitions'));
  for (const to of c.allowed_transitions) {
    if (to === 'active') {
      stepSec.append(h('button.primary', {
        type: 'button', 'data-to': to,
        onclick: async (ev) => {
          try { await busy(ev.currentTarget, () => post(`/v1/courses/${id}/transitions`, { to })); await done(); } catch (err) { showProblem(stepSec, err); }
        },
      }, tv(to)));
    } else {
      stepSec.append(h('details.add', h('summary', tv(to)), form([
        field({ name: 'outcome', label: t('course.outcome'), type: 'select', options: OUTCOMES.map((o) => [o, tv(o, 'CourseOutcome')]) }),
        field({ name: 'on', label: t('course.end_on'), type: 'date', value: today(), max: today() }),
      ], tv(to), async (v) => {
        await post(`/v1/courses/${id}/transitions`, { to, outcome: v.outcome, on: v.on });
        await done();
      }, { cls: `.end-${to}` })));
    }
  }
  if (!c.allowed_transitions.length) stepSec.append(h('p.muted', t('app.none')));

  const followSec = c.follow_up_due && !c.follow_up_on ? section(t('course.followup'), form([
    field({ name: 'result', label: t('course.result'), type: 'select', options: [['still_taking_part', tv('still_taking_part')], ['not_taking_part', tv('not_taking_part')]] }),
    field({ name: 'on', label: t('course.end_on'), type: 'date', value: today(), max: today() }),
  ], t('course.followup'), async (v) => { await post(`/v1/courses/${id}/follow-up`, v); await done(); })) : null;

  return h('div.page.course',
    h('p.crumbs', h('a', { href: '#/courses' }, `← ${t('app.back')}`)),
    h('h1', `${t('req.course')}: ${aname.get(c.association_id) || ''}`),
    h('p.meta', h('span', { class: `badge course-${c.state}`, 'data-testid': 'course-state' }, tv(c.state)), ' · ',
      h('a', { href: `#/requests/${c.request_id}` }, t('course.request')), ' · ', t('course.guide'), ': ', names.get(c.volunteer_id) || '–'),
    h('dl.kv.summary',
      h('dt', t('course.visits')), h('dd', { 'data-testid': 'visit-count' }, `${c.visits_recorded}/${c.planned_visits}`),
      h('dt', t('course.started')), h('dd', fmtDate(c.started_on)),
      h('dt', t('course.planned_end')), h('dd', fmtDate(c.planned_end)),
      h('dt', t('course.next_visit_on')), h('dd', { 'data-testid': 'next-visit' }, fmtDate(c.next_visit_on)),
      h('dt', t('course.outcome')), h('dd', c.outcome ? tv(c.outcome, 'CourseOutcome') : '–'),
      h('dt', t('course.due')), h('dd', fmtDate(c.follow_up_due))),
    h('div.grid',
      h('div.col', visitForm ? section(t('course.log_visit'), visitForm) : null, nextSec, stepSec, followSec),
      h('div.col', section(t('course.visits'), c.visits.length ? h('ol.timeline.visits', c.visits.map((v) => h('li',
        h('strong', fmtDate(v.visited_on)), ` · ${v.minutes} min · ${v.citizen_came ? '✓' : '✗'} ${t('course.citizen_came').toLowerCase()}`,
        v.note ? h('p', v.note) : null))) : h('p.muted', t('course.no_visits'))))));
}

export { go };
