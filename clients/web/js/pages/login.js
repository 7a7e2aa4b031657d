// login.js - POST /v1/sessions; the token is kept in sessionStorage.
import { api, session } from '../api.js';
import { t } from '../i18n.js';
import { h, field, form } from '../dom.js';
import { go } from '../router.js';

export function loginPage() {
  const f = form([
    field({ name: 'email', label: t('login.email'), type: 'email', required: true, autocomplete: 'username' }),
    field({ name: 'password', label: t('login.password'), type: 'password', required: true, autocomplete: 'current-password' }),
  ], t('login.submit'), async (v) => {
    const s = await api('POST', '/v1/sessions', { email: v.email || '', password: v.password || '' });
    session.token = s.token;
    session.me = null;
    go('#/');
  }, { cls: '.login' });
  return h('div.login-page', h('h1', t('login.title')), f);
}
