// associations.js - associations with welcome status and capacity.
import { all } from '../api.js';
import { t, fmtDate } from '../i18n.js';
import { h } from '../dom.js';
import { catName } from '../data.js';

export async function associationsPage() {
  const list = await all('/v1/associations?limit=200');
  return h('div.page',
    h('h1', t('assoc.title')),
    h('ul.cards', list.map((a) => h('li.card.assoc',
      h('h2', a.name), a.description ? h('p', a.description) : null,
      h('p.muted', [a.address, a.postal_code].filter(Boolean).join(', ')),
      h('p.tags', (a.categories || []).slice(0, 4).map((c) => h('span.tag', catName(c)))),
      h('dl.kv',
        // the public view (an association contact reading another association)
        // leaves the welcome training out: nothing is shown, not "not trained"
        'welcome_training_on' in a ? [h('dt', t('assoc.welcome')), h('dd', a.welcome_training_on ? h('span.badge.ok', t('assoc.trained', { d: fmtDate(a.welcome_training_on) })) : h('span.badge', t('assoc.not_trained')))] : null,
        a.welcome_contact_name !== undefined ? [h('dt', t('assoc.contact')), h('dd', a.welcome_contact_name || '–')] : null,
        'newcomer_places' in a ? [h('dt', t('assoc.places')), h('dd', a.newcomer_places === null ? '–'
          : [h(`strong${a.newcomer_places === 0 ? '.warn-text' : ''}`, String(a.newcomer_places)), a.newcomer_places_updated_at ? h('small.muted', ` (${t('assoc.updated', { d: fmtDate(a.newcomer_places_updated_at) })})`) : null])] : null,
        a.is_member !== undefined ? [h('dt', t('assoc.member')), h('dd', a.is_member ? t('app.yes') : t('app.no'))] : null)))));
}
