// notifications.js - the caller's own e-mail settings (GET /v1/me
// notifications, PATCH /v1/me): one checkbox per kind of mail the role
// receives. A section for the account page.
import { api, session } from './api.js';
import { getLang } from './i18n.js';
import { h, field, section, form, flash } from './dom.js';

const TEXT = {
  da: {
    title: 'E-mails fra Kompas',
    intro: 'Vælg, hvilke e-mails du vil have. Der står aldrig oplysninger om borgere i dem, kun et link hertil.',
    off: 'Serveren sender ikke e-mail endnu; dine valg gælder, når den gør.',
    none: 'Din rolle får ingen e-mails fra Kompas.',
    save: 'Gem e-mailvalg',
    saved: 'Dine e-mailvalg er gemt',
    new_request: 'Nye anmodninger fra portalen (med det samme)',
    daily_digest: 'Dagligt overblik over arbejdslisterne',
    assignment: 'Når jeg bliver Kompasguide for en borger',
    visit_reminder: 'Påmindelse dagen før et planlagt besøg',
    referral: 'Nye henvisninger til foreningen',
  },
  en: {
    title: 'E-mails from Kompas',
    intro: 'Choose which e-mails you want. They never hold anything about citizens, only a link here.',
    off: 'This server does not send e-mail yet; your choices apply once it does.',
    none: 'Your role gets no e-mails from Kompas.',
    save: 'Save e-mail choices',
    saved: 'Your e-mail choices are saved',
    new_request: 'New requests from the portal (at once)',
    daily_digest: 'Daily summary of the work lists',
    assignment: 'When I become a citizen\'s Kompasguide',
    visit_reminder: 'Reminder the day before a planned visit',
    referral: 'New referrals to the association',
  },
};
const tx = (key) => (TEXT[getLang()] || TEXT.da)[key];

// The section for `me` (a GET /v1/me answer); null for integration keys.
export function notificationSection(me) {
  const kinds = Object.keys(me.notifications || {});
  if (!me.notifications) return null;
  if (kinds.length === 0) return section(tx('title'), h('p.muted', tx('none')));
  const f = form(h('fieldset.notification-settings', h('legend', tx('intro')),
    kinds.map((kind) => field({ name: kind, type: 'checkbox', label: tx(kind), value: me.notifications[kind] }))),
  tx('save'), async (values) => {
    const notifications = {};
    for (const kind of kinds) notifications[kind] = values[kind] === true;
    const updated = await api('PATCH', '/v1/me', { notifications });
    session.me = updated;
    flash(tx('saved'));
  });
  return section(tx('title'), me.mail_enabled ? null : h('p.notice.warn', tx('off')), f);
}
