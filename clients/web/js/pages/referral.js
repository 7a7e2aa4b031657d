// referral.js - the referrals of a request on the coordinator's request
// page: each referral with its association and where it stands (sent,
// accepted, declined, completed, with dates), and the form that refers the
// citizen to a partner association's accompaniment scheme (POST
// /v1/requests/{id}/referrals; from conversation_held or referred).
import { post } from '../api.js';
import { t, fmtDateTime } from '../i18n.js';
import { h, field, section, busy, showProblem, clearProblem } from '../dom.js';
import { readForm, createBody } from '../forms.js';

const CAN_REFER = ['conversation_held', 'referred'];
const OPEN = ['sent', 'accepted'];

function referralItem(r, aname) {
  const dates = [[t('co.ref_sent_at'), r.sent_at], [t('co.ref_answered_at'), r.answered_at], [t('co.ref_completed_at'), r.completed_at]]
    .filter(([, d]) => d).map(([k, d]) => `${k} ${fmtDateTime(d)}`).join(' · ');
  return h('li.referral-item', { 'data-id': r.id, 'data-state': r.state },
    h('div', h('strong', aname(r.association_id)), ' ',
      h('span', { class: `badge ref-${r.state}`, 'data-testid': 'referral-state' }, t(`co.ref_${r.state}`))),
    r.scheme_note ? h('p.pre.scheme', r.scheme_note) : null,
    h('small.muted', dates));
}

export function referralSection({ req, refs, assocs, acts, rerender }) {
  const aname = (id) => assocs.find((a) => a.id === id)?.name || '–';
  const list = refs || [];
  const busyWith = new Set(list.filter((r) => OPEN.includes(r.state)).map((r) => r.association_id));
  const shared = (req.consents || []).find((c) => c.purpose === 'share_with_association')?.given;
  let formEl = null;
  if (CAN_REFER.includes(req.state)) {
    // associations with an accompaniment scheme first (the suggested ones
    // in their order), then the rest; none with an open referral already
    const rank = new Map((acts?.associations || []).map((a, i) => [a.association_id, i]));
    const key = (a) => [a.scheme_offered ? 0 : 1, rank.has(a.id) ? rank.get(a.id) : Infinity];
    const choices = assocs.filter((a) => !busyWith.has(a.id)).sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return (x[0] - y[0]) || (x[1] - y[1]) || a.name.localeCompare(b.name);
    });
    const about = h('div.scheme-about', { 'aria-live': 'polite' });
    const show = (id) => {
      const a = assocs.find((x) => x.id === id);
      about.replaceChildren(...(a ? [
        a.scheme_offered ? null : h('p.warn-text', t('co.no_scheme')),
        a.scheme_for ? h('p', h('strong', `${t('co.scheme_for')}: `), a.scheme_for) : null,
        a.scheme_how_to_refer ? h('p', h('strong', `${t('co.scheme_how')}: `), a.scheme_how_to_refer) : null,
      ] : []));
    };
    const select = field({
      name: 'association_id', label: t('co.ref_association'), type: 'select', required: true, value: choices[0]?.id,
      options: choices.map((a) => [a.id, `${a.name}${a.scheme_offered ? ` (${t('co.scheme')})` : ''}`]),
    });
    select.querySelector('select').addEventListener('change', (ev) => show(ev.target.value));
    show(choices[0]?.id);
    const btn = h('button.primary', { type: 'submit' }, t('co.refer'));
    formEl = h('form.referral-form', { novalidate: true },
      h('div.form-error', { role: 'alert', hidden: true }),
      select, about,
      field({ name: 'scheme_note', label: t('co.scheme_note'), type: 'textarea', rows: 2, hint: t('co.scheme_note_hint') }),
      h('p', { class: shared ? 'ok-text' : 'warn-text' }, t(shared ? 'co.share_yes' : 'co.share_no')),
      h('div.actions', btn));
    formEl.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearProblem(formEl);
      try {
        await busy(btn, () => post(`/v1/requests/${req.id}/referrals`, createBody(readForm(formEl))), formEl);
        await rerender(t('co.referred'));
      } catch (err) { showProblem(formEl, err); }
    });
    if (!choices.length) formEl = h('p.muted', t('co.no_choices'));
  }
  if (!list.length && !formEl) return null;
  return section(t('co.referrals'),
    list.length ? h('ul.plain.referrals-of-request', list.map((r) => referralItem(r, aname))) : h('p.muted', t('co.no_referrals')),
    formEl ? h('h3', t('co.new_referral')) : null, formEl);
}
