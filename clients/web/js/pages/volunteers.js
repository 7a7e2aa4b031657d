// volunteers.js - volunteers with status, capacity and expiring checks.
import { all, withQuery } from '../api.js';
import { t, tv, fmtDate } from '../i18n.js';
import { h, field } from '../dom.js';
import { go, link } from '../router.js';

const STATUSES = ['applicant', 'in_training', 'active', 'paused', 'retired', 'rejected'];
const soon = new Date(Date.now() + 60 * 86400000).toISOString().slice(0, 10);
const now = new Date().toISOString().slice(0, 10);
const when = (d) => t(d < now ? 'vol.expired' : 'vol.expires', { d: fmtDate(d) });

function expiring(v) {
  const out = [];
  for (const tr of v.trainings || []) if (tr.expires_on && tr.expires_on <= soon) out.push(`${tv(tr.module)} ${when(tr.expires_on)}`);
  for (const rc of v.record_checks || []) if (rc.valid_until && rc.valid_until <= soon) out.push(`${tv(rc.kind)} ${when(rc.valid_until)}`);
  return out;
}

export async function volunteersPage(params, query) {
  const status = query.status || '';
  const q = query.q || '';
  const vols = await all(withQuery('/v1/volunteers', { limit: 200, status, q }));
  const f = h('form.filters', { role: 'search' },
    field({ name: 'status', label: t('vol.status'), type: 'select', value: status, options: [['', t('queue.all')], ...STATUSES.map((s) => [s, tv(s)])] }),
    field({ name: 'q', label: t('vol.search'), type: 'search', value: q }),
    h('div.actions', h('button', { type: 'submit' }, t('queue.filter'))));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); const d = new FormData(f); go(link('/volunteers', { status: d.get('status'), q: d.get('q') })); });
  return h('div.page',
    h('h1', t('vol.title')), f,
    h('div.table-wrap', h('table.list.volunteers',
      h('thead', h('tr', [t('req.name'), t('vol.status'), t('vol.load'), t('vol.languages'), t('vol.areas'), t('vol.expiring')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', vols.map((v) => {
        const exp = expiring(v);
        const full = v.capacity !== null && v.active_citizens >= v.capacity;
        return h(`tr${exp.length ? '.expiring' : ''}`,
          h('td', h('strong', v.name), h('br'), h('small.muted', v.email || '')),
          h('td', h('span', { class: `badge vol-${v.status}` }, tv(v.status))),
          h('td', h(`span${full ? '.badge.warn' : ''}`, `${v.active_citizens}/${v.capacity ?? '–'}`)),
          h('td', (v.languages || []).join(', ')),
          h('td', (v.postal_areas || []).join(', ')),
          h('td', exp.length ? h('ul.plain', exp.map((e) => h('li.warn-text', `⚠ ${e}`))) : '–'));
      })))));
}
