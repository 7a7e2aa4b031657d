// app.js - the Kompas web client: session, navigation by role, pages.
import { api, session, setUnauthorizedHandler, ApiError } from './api.js';
import { t, tv, setLang, getLang } from './i18n.js';
import { h, clear, problemText } from './dom.js';
import { route, current, go } from './router.js';
import { loginPage } from './pages/login.js';
import { queuePage } from './pages/queue.js';
import { requestPage } from './pages/request.js';
import { coursesPage, coursePage } from './pages/courses.js';
import { volunteersPage, volunteerPage, volunteerFormPage } from './pages/volunteers.js';
import { associationsPage } from './pages/associations.js';
import { eventsPage } from './pages/events.js';
import { eventPage, eventFormPage, seriesPage } from './pages/event.js';
import { referralsPage, myAssociationPage } from './pages/contact.js';
import { statsPage } from './pages/stats.js';
import { guidePage } from './pages/guide.js';
import { homePage } from './pages/home.js';
import { newRequestPage, searchPage, searchBox } from './pages/intake.js';
import { accountPage } from './pages/account.js';

const COORD = ['coordinator'];
route('/login', loginPage);
// the coordinator's start page, new request, search; everyone's own account (web-a)
route('/home', homePage, COORD);
route('/requests/new', newRequestPage, COORD);
route('/search', searchPage, COORD);
route('/account', accountPage, ['admin', 'coordinator', 'guide', 'association', 'analyst']);
route('/queue', queuePage, COORD);
route('/requests/:id', requestPage, ['coordinator', 'guide']);
route('/courses', coursesPage, ['coordinator', 'guide']);
route('/courses/:id', coursePage, ['coordinator', 'guide']);
route('/volunteers', volunteersPage, ['coordinator', 'admin']);
// volunteers, the association contact's pages and events (web-people)
route('/volunteers/new', volunteerFormPage, COORD);
route('/volunteers/:id/edit', volunteerFormPage, COORD);
route('/volunteers/:id', volunteerPage, ['coordinator', 'admin']);
route('/events/new', eventFormPage, ['coordinator', 'association']);
route('/events/:id/edit', eventFormPage, ['coordinator', 'association']);
route('/events/:id', eventPage, ['coordinator', 'admin', 'guide', 'association']);
route('/event-series/:id', seriesPage, COORD);
route('/referrals', referralsPage, ['association']);
route('/my-association', myAssociationPage, ['association']);
route('/associations', associationsPage, ['coordinator', 'admin', 'guide', 'association']);
route('/events', eventsPage, ['coordinator', 'admin', 'guide', 'association']);
route('/stats', statsPage, ['coordinator', 'analyst']);
route('/mine', guidePage, ['guide']);

// The menu for each role: [hash, text key].
const MENUS = {
  coordinator: [['#/home', 'nav.home'], ['#/queue', 'nav.queue'], ['#/courses', 'nav.courses'], ['#/volunteers', 'nav.volunteers'],
    ['#/associations', 'nav.associations'], ['#/events', 'nav.events'], ['#/stats', 'nav.stats']],
  guide: [['#/mine', 'nav.mine'], ['#/courses', 'nav.mycourses'], ['#/events', 'nav.events'], ['#/associations', 'nav.associations']],
  analyst: [['#/stats', 'nav.stats']],
  admin: [['#/volunteers', 'nav.volunteers'], ['#/associations', 'nav.associations'], ['#/events', 'nav.events']],
  association: [['#/referrals', 'nav.referrals'], ['#/my-association', 'nav.myassoc'], ['#/events', 'nav.events'],
    ['#/associations', 'nav.associations']],
};

export function homeFor(role) {
  return (MENUS[role] || [['#/login']])[0][0];
}

function renderChrome() {
  const me = session.me;
  document.documentElement.lang = getLang();
  document.getElementById('skip-link').textContent = t('app.skip');
  document.getElementById('lang').textContent = t('app.other_lang');
  document.getElementById('lang').setAttribute('lang', getLang() === 'da' ? 'en' : 'da');
  const nav = document.getElementById('nav');
  nav.setAttribute('aria-label', t('app.nav'));
  const here = location.hash.split('?')[0];
  clear(nav, me ? h('ul', (MENUS[me.role] || []).map(([href, key]) => h('li', h('a', {
    href, 'aria-current': here === href || (href !== '#/' && here.startsWith(`${href}/`)) ? 'page' : null,
  }, t(key))))) : null);
  // who is logged in, with the role in words; the name opens "Min konto"
  const who = document.getElementById('who');
  clear(who, me ? [me.account ? h('a.account-link', { href: '#/account', 'aria-current': here === '#/account' ? 'page' : null, title: t('acct.title') }, me.account.display_name || t('acct.title')) : null,
    ' · ', h('span.role', tv(me.role, 'Role'))] : null);
  // the coordinator's search box (phone, e-mail or reference)
  const slot = document.getElementById('search-slot') || h('div#search-slot');
  if (!slot.isConnected) document.querySelector('header.top').insertBefore(slot, document.querySelector('.top-tools'));
  if (me?.role === 'coordinator') { if (!slot.firstChild || slot.dataset.lang !== getLang()) { clear(slot, searchBox()); slot.dataset.lang = getLang(); } } else clear(slot);
  slot.hidden = me?.role !== 'coordinator';
  // On a phone the menu folds behind a button (style.css shows it below 960 px).
  const toggle = document.getElementById('menu-toggle');
  toggle.textContent = t('app.menu');
  toggle.hidden = !me;
  setMenu(false);
  const logout = document.getElementById('logout');
  logout.textContent = t('app.logout');
  logout.hidden = !me;
}

// Renders can overlap (a hash change while a page is loading): only the
// latest one may touch the page.
let renderSeq = 0;

async function render({ focus = false } = {}) {
  const seq = ++renderSeq;
  const main = document.getElementById('main');
  const r = current();
  if (!session.token) {
    if (!r || r.path !== '/login') { go('#/login'); return; }
  } else if (!session.me) {
    try {
      const me = await api('GET', '/v1/me');
      if (seq !== renderSeq) return;
      session.me = me;
    } catch (err) {
      if (seq !== renderSeq) return;
      if (err instanceof ApiError && err.status === 401) { session.token = null; go('#/login'); return; }
      clear(main, h('p.form-error', problemText(err)));
      return;
    }
  }
  if (session.me && (!r || r.path === '/login' || r.path === '/')) { go(homeFor(session.me.role)); return; }
  renderChrome();
  if (!r) { clear(main, h('h1', t('app.notfound'))); return; }
  if (r.roles && !r.roles.includes(session.me?.role)) { clear(main, h('h1', t('app.forbidden'))); return; }
  clear(main, h('p.loading', { 'aria-busy': 'true' }, t('app.loading')));
  main.setAttribute('aria-busy', 'true');
  try {
    const page = await r.render(r.params, r.query, { me: session.me, rerender: render });
    if (seq === renderSeq) {
      clear(main, page);
      // after navigating, keyboard and screen-reader users start at the page
      if (focus) main.focus({ preventScroll: true });
    }
  } catch (err) {
    if (seq === renderSeq) clear(main, h('div.form-error', { role: 'alert' }, problemText(err)));
  } finally {
    if (seq === renderSeq) main.removeAttribute('aria-busy');
  }
}

async function logout() {
  const btn = document.getElementById('logout');
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  try { await api('DELETE', '/v1/sessions/current'); } catch { /* the session may be gone already */ }
  btn.disabled = false;
  btn.removeAttribute('aria-busy');
  session.token = null;
  session.me = null;
  go('#/login');
}

function setMenu(open) {
  document.getElementById('menu-toggle').setAttribute('aria-expanded', open ? 'true' : 'false');
  document.getElementById('nav').classList.toggle('open', open);
}

setUnauthorizedHandler(() => { session.token = null; session.me = null; go('#/login'); });
document.getElementById('lang').addEventListener('click', () => { setLang(getLang() === 'da' ? 'en' : 'da'); render(); });
document.getElementById('logout').addEventListener('click', logout);
document.getElementById('menu-toggle').addEventListener('click', (ev) => setMenu(ev.currentTarget.getAttribute('aria-expanded') !== 'true'));
document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && document.getElementById('nav').classList.contains('open')) { setMenu(false); document.getElementById('menu-toggle').focus(); } });
window.addEventListener('hashchange', () => { document.getElementById('flash').replaceChildren(); render({ focus: true }); });
setLang(getLang());
render();
