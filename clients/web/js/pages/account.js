// account.js - "Min konto": who the caller is and the settings of their
// own account. Each setting is one section made by a function in SECTIONS,
// so another (notification settings, say) is one more entry there.
import { api, ApiError } from '../api.js';
import { t } from '../i18n.js';
import { h, field, section, busy, showProblem, clearProblem, flash } from '../dom.js';
import { notificationSection } from '../notifications.js';

// Change one's own password (PUT /v1/me/password): the current one and the
// new one twice; the other sessions of the account end, this one stays.
function passwordSection() {
  const btn = h('button.primary', { type: 'submit' }, t('acct.change_password'));
  const f = h('form.password-form', { novalidate: true },
    h('div.form-error', { role: 'alert', hidden: true }),
    field({ name: 'current_password', label: t('acct.current'), type: 'password', required: true, autocomplete: 'current-password' }),
    field({ name: 'new_password', label: t('acct.new'), type: 'password', required: true, autocomplete: 'new-password', hint: t('acct.rules') }),
    field({ name: 'repeat', label: t('acct.repeat'), type: 'password', required: true, autocomplete: 'new-password' }),
    h('div.actions', btn));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(f);
    const get = (n) => f.elements[n].value;
    const local = [];
    if (!get('current_password')) local.push({ field: 'current_password', message: t('acct.required') });
    if (!get('new_password')) local.push({ field: 'new_password', message: t('acct.required') });
    else if (get('repeat') !== get('new_password')) local.push({ field: 'repeat', message: t('acct.mismatch') });
    if (local.length) { showProblem(f, new ApiError(422, { detail: t('acct.not_changed'), errors: local })); return; }
    try {
      await busy(btn, () => api('PUT', '/v1/me/password', { current_password: get('current_password'), new_password: get('new_password') }), f);
      f.reset();
      flash(t('acct.changed'));
    } catch (err) { showProblem(f, err); }
  });
  return section(t('acct.password'), h('p.muted', t('acct.password_note')), f);
}

// The sections of the page, in order: fn(me) -> element (or null).
export const SECTIONS = [passwordSection, notificationSection];

export async function accountPage(params, query, { me }) {
  const who = section(t('acct.who'), h('dl.kv',
    h('dt', t('acct.name')), h('dd', me.account?.display_name || '–'),
    h('dt', t('login.email')), h('dd', me.account?.email || '–'),
    h('dt', t('acct.role')), h('dd', t(`role.${me.role}`))));
  return h('div.page.account', h('h1', t('acct.title')),
    h('div.grid', h('div.col', ...SECTIONS.map((s) => s(me))), h('div.col', who)));
}
