// guide.js - a guide's own view: my citizens, my courses (log a visit from
// there), my trainings, my calendar link.
import { get, api, del, all, withQuery } from '../api.js';
import { t, tv, fmtDate, fmtDateTime } from '../i18n.js';
import { h, section, busy, showProblem, flash } from '../dom.js';

export async function guidePage(params, query, { rerender }) {
  const today = new Date().toISOString().slice(0, 10);
  const [reqs, courses, me, trainings] = await Promise.all([
    all('/v1/requests?limit=200'),
    all('/v1/courses?limit=200'),
    get('/v1/me/volunteer'),
    all(withQuery('/v1/events', { limit: 50, kind: 'guide_training', from: today }), 50),
  ]);
  const open = reqs.filter((r) => !['closed', 'declined', 'withdrawn'].includes(r.state));
  const citizens = section(t('guide.title'), open.length ? h('ul.cards.mine', open.map((r) => h('li.card', { 'data-id': r.id },
    h('a', { href: `#/requests/${r.id}` }, h('strong', r.portal_reference || r.id.slice(0, 8))),
    ' ', h('span', { class: `badge state-${r.state}` }, tv(r.state)),
    h('div.muted', `${r.postal_code || ''} · ${r.age_band || ''} · ${fmtDate(r.created_at)}`)))) : h('p.muted', t('app.none')));

  const running = courses.filter((c) => ['planned', 'active'].includes(c.state));
  const mycourses = section(t('guide.courses'), running.length ? h('ul.cards', running.map((c) => h('li.card',
    h('a', { href: `#/courses/${c.id}` }, h('strong', `${tv(c.state)} · ${c.visits_recorded}/${c.planned_visits}`)),
    h('div.muted', `${t('course.last_visit')}: ${fmtDate(c.last_visit_on)}`),
    h('a.button.primary', { href: `#/courses/${c.id}` }, t('course.log_visit'))))) : h('p.muted', t('course.none')));

  const mytrain = section(t('guide.trainings'),
    h('ul.plain', (me.trainings || []).map((tr) => h('li', `${tv(tr.module, 'TrainingModule')}: ${fmtDate(tr.completed_on)}${tr.expires_on ? ` (${t('vol.expires', { d: fmtDate(tr.expires_on) })})` : ''}`))),
    h('h3', t('guide.upcoming')),
    trainings.length ? h('ul.plain', trainings.map((e) => h('li', `${fmtDateTime(e.starts_at)} · ${e.title}`))) : h('p.muted', t('app.none')));

  const out = h('div.cal-out');
  const cal = section(t('guide.calendar'), h('p', t('guide.calendar_note')), out,
    h('div.buttons',
      h('button.primary', {
        type: 'button', class: 'primary calendar-make',
        onclick: async (ev) => {
          try {
            const r = await busy(ev.currentTarget, () => api('POST', '/v1/me/calendar-token'));
            const url = new URL(r.url, location.origin).href;
            out.replaceChildren(h('label', { for: 'cal-url' }, t('guide.calendar')), h('input#cal-url', { type: 'text', readonly: true, value: url }));
          } catch (err) { showProblem(cal, err); }
        },
      }, t('guide.calendar_make')),
      h('button', {
        type: 'button',
        onclick: async (ev) => {
          try { await busy(ev.currentTarget, () => del('/v1/me/calendar-token')); out.replaceChildren(); flash(t('app.saved')); } catch (err) { showProblem(cal, err); }
        },
      }, t('guide.calendar_revoke'))));
  void rerender;
  return h('div.page.guide', h('h1', `${t('guide.title')} – ${me.name}`), h('div.grid', h('div.col', citizens, mycourses), h('div.col', mytrain, cal)));
}
