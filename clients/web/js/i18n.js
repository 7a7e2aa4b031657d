// i18n.js - the interface text in Danish (default) and English. The choice
// is kept in localStorage.

import * as people from './i18n-people.js';

const LANG_KEY = 'kompas.lang';

const da = {
  'app.loading': 'Indlæser …', 'app.skip': 'Spring til indhold', 'app.nav': 'Hovedmenu',
  'app.other_lang': 'English', 'app.logout': 'Log ud', 'app.error': 'Noget gik galt',
  'app.network': 'Ingen forbindelse til serveren. Prøv igen.', 'app.forbidden': 'Du har ikke adgang til denne side.',
  'app.saved': 'Gemt', 'app.notfound': 'Siden findes ikke.', 'app.none': 'Ingen', 'app.save': 'Gem',
  'app.cancel': 'Annullér', 'app.yes': 'Ja', 'app.no': 'Nej', 'app.back': 'Tilbage', 'app.more': 'Vis flere',
  'nav.queue': 'Anmodninger', 'nav.courses': 'Forløb', 'nav.volunteers': 'Frivillige',
  'nav.associations': 'Foreninger', 'nav.events': 'Aktiviteter', 'nav.stats': 'Statistik',
  'nav.mine': 'Mine borgere', 'nav.mycourses': 'Mine forløb', 'nav.mytrainings': 'Mine uddannelser',
  'login.title': 'Log ind', 'login.email': 'E-mail', 'login.password': 'Adgangskode', 'login.submit': 'Log ind',
  'login.busy': 'Logger ind …', 'login.failed': 'Login mislykkedes',
  'queue.title': 'Anmodninger', 'queue.state': 'Tilstand', 'queue.source': 'Kilde', 'queue.age': 'Alder',
  'queue.all': 'Alle', 'queue.age_any': 'Alle aldre', 'queue.age_7': 'Ældre end 7 dage',
  'queue.age_30': 'Ældre end 30 dage', 'queue.age_new': 'Seneste 7 dage', 'queue.filter': 'Filtrér',
  'queue.count': 'Antal pr. tilstand', 'queue.stalled': 'Venter for længe', 'queue.received': 'Modtaget',
  'queue.postal': 'Postnr.', 'queue.ageband': 'Aldersgruppe', 'queue.guide': 'Guide', 'queue.empty': 'Ingen anmodninger matcher filtrene.',
  'queue.days': '{n} dage', 'queue.open': 'Åbn', 'queue.stalled_note': '{n} anmodninger har ventet på første kontakt længere end målet på {d} dage.',
  'req.title': 'Anmodning', 'req.citizen': 'Borger', 'req.name': 'Navn', 'req.phone': 'Telefon', 'req.email': 'E-mail',
  'req.address': 'Adresse', 'req.notes': 'Noter', 'req.details': 'Oplysninger', 'req.language': 'Sprog',
  'req.contact_pref': 'Foretrukken kontakt', 'req.heard_from': 'Hørt om os via', 'req.categories': 'Kategorier',
  'req.consent': 'Samtykke', 'req.history': 'Historik', 'req.conversations': 'Afklarende samtaler',
  'req.measurements': 'Målinger', 'req.guides': 'Forslag til guide', 'req.activities': 'Forslag til aktiviteter',
  'req.transitions': 'Næste skridt', 'req.export': 'Eksportér (indsigt)', 'req.assign': 'Tildel', 'req.assigned': 'Tildelt guide',
  'req.score': 'Score', 'req.reason': 'Begrundelse', 'req.course': 'Forløb', 'req.start_course': 'Start forløb',
  'req.no_citizen': 'Borgerens oplysninger vises ikke for din rolle.', 'req.given': 'givet', 'req.not_given': 'ikke givet',
  'req.close_reason': 'Årsag', 'req.note': 'Note', 'req.move': 'Flyt til', 'req.excluded': 'Ikke foreslået',
  'conv.held_on': 'Dato', 'conv.minutes': 'Varighed (minutter)', 'conv.summary': 'Resumé', 'conv.next': 'Næste skridt',
  'conv.add': 'Registrér samtale', 'conv.volunteer': 'Guide',
  'meas.instrument': 'Skema', 'meas.timepoint': 'Tidspunkt', 'meas.taken_on': 'Dato', 'meas.mode': 'Udfyldt',
  'meas.answers': 'Svar', 'meas.add': 'Registrér måling', 'meas.question': 'Spørgsmål {n}', 'meas.score': 'Score',
  'course.title': 'Forløb', 'course.state': 'Tilstand', 'course.visits': 'Besøg', 'course.planned': 'Planlagte besøg',
  'course.planned_end': 'Planlagt slut', 'course.association': 'Forening', 'course.event': 'Aktivitet',
  'course.log_visit': 'Registrér besøg', 'course.visited_on': 'Dato', 'course.citizen_came': 'Borgeren kom',
  'course.guide_went': 'Guiden var med', 'course.minutes': 'Minutter', 'course.note': 'Note',
  'course.outcome': 'Resultat', 'course.end_on': 'Dato', 'course.followups': 'Opfølgning forfalden',
  'course.followup': 'Registrér opfølgning', 'course.result': 'Status ved opfølgning', 'course.last_visit': 'Seneste besøg',
  'course.started': 'Startet', 'course.request': 'Anmodning', 'course.guide': 'Guide', 'course.none': 'Ingen forløb.',
  'course.no_visits': 'Ingen besøg endnu.', 'course.due': 'Forfalder',
  'vol.title': 'Frivillige', 'vol.status': 'Status', 'vol.capacity': 'Kapacitet', 'vol.load': 'Borgere',
  'vol.languages': 'Sprog', 'vol.areas': 'Postområder', 'vol.expiring': 'Udløber snart', 'vol.trainings': 'Uddannelser',
  'vol.checks': 'Børne-/straffeattester', 'vol.search': 'Søg', 'vol.expires': 'udløber {d}', 'vol.expired': 'udløbet {d}',
  'assoc.title': 'Foreninger', 'assoc.welcome': 'Velkomst', 'assoc.places': 'Pladser til nye', 'assoc.trained': 'Uddannet {d}',
  'assoc.not_trained': 'Ikke uddannet', 'assoc.member': 'Medlem', 'assoc.contact': 'Velkomstperson', 'assoc.updated': 'opdateret {d}',
  'ev.title': 'Aktiviteter', 'ev.list': 'Liste', 'ev.week': 'Uge', 'ev.prev': 'Forrige uge', 'ev.next': 'Næste uge',
  'ev.week_of': 'Uge {w}, {y}', 'ev.signups': 'Tilmeldte', 'ev.places': '{n} ledige pladser', 'ev.signup': 'Tilmeld mig',
  'ev.signed_up': 'Du er tilmeldt', 'ev.cancelled': 'Aflyst', 'ev.kind': 'Type', 'ev.today': 'Denne uge',
  'stats.title': 'Statistik', 'stats.funnel': 'Tragt: anmodninger pr. trin', 'stats.outcomes': 'Trivsel (WHO-5) over tid',
  'stats.volunteers': 'Frivillige pr. status', 'stats.csv': 'Hent CSV', 'stats.suppressed': 'skjult (< 5)',
  'stats.from': 'Fra', 'stats.to': 'Til', 'stats.update': 'Opdatér', 'stats.table': 'Tabel',
  'stats.baseline': 'Start', 'stats.course_end': 'Forløbets slut', 'stats.follow_up': 'Opfølgning',
  'guide.title': 'Mine borgere', 'guide.courses': 'Mine forløb', 'guide.trainings': 'Mine uddannelser',
  'guide.calendar': 'Min kalender', 'guide.calendar_make': 'Lav kalenderlink', 'guide.calendar_note': 'Abonnér på dette link i din kalender. Det viser dine besøg og aktiviteter uden borgeroplysninger.',
  'guide.calendar_revoke': 'Tilbagekald link', 'guide.upcoming': 'Kommende uddannelser og møder',
  'err.fix': 'Ret venligst felterne markeret nedenfor.',
};

const en = {
  'app.loading': 'Loading …', 'app.skip': 'Skip to content', 'app.nav': 'Main menu',
  'app.other_lang': 'Dansk', 'app.logout': 'Log out', 'app.error': 'Something went wrong',
  'app.network': 'No connection to the server. Try again.', 'app.forbidden': 'You do not have access to this page.',
  'app.saved': 'Saved', 'app.notfound': 'No such page.', 'app.none': 'None', 'app.save': 'Save',
  'app.cancel': 'Cancel', 'app.yes': 'Yes', 'app.no': 'No', 'app.back': 'Back', 'app.more': 'Show more',
  'nav.queue': 'Requests', 'nav.courses': 'Courses', 'nav.volunteers': 'Volunteers',
  'nav.associations': 'Associations', 'nav.events': 'Events', 'nav.stats': 'Statistics',
  'nav.mine': 'My citizens', 'nav.mycourses': 'My courses', 'nav.mytrainings': 'My trainings',
  'login.title': 'Log in', 'login.email': 'E-mail', 'login.password': 'Password', 'login.submit': 'Log in',
  'login.busy': 'Logging in …', 'login.failed': 'Login failed',
  'queue.title': 'Requests', 'queue.state': 'State', 'queue.source': 'Source', 'queue.age': 'Age',
  'queue.all': 'All', 'queue.age_any': 'Any age', 'queue.age_7': 'Older than 7 days',
  'queue.age_30': 'Older than 30 days', 'queue.age_new': 'Last 7 days', 'queue.filter': 'Filter',
  'queue.count': 'Count per state', 'queue.stalled': 'Waiting too long', 'queue.received': 'Received',
  'queue.postal': 'Postal code', 'queue.ageband': 'Age band', 'queue.guide': 'Guide', 'queue.empty': 'No requests match the filters.',
  'queue.days': '{n} days', 'queue.open': 'Open', 'queue.stalled_note': '{n} requests have waited for first contact longer than the target of {d} days.',
  'req.title': 'Request', 'req.citizen': 'Citizen', 'req.name': 'Name', 'req.phone': 'Phone', 'req.email': 'E-mail',
  'req.address': 'Address', 'req.notes': 'Notes', 'req.details': 'Details', 'req.language': 'Language',
  'req.contact_pref': 'Contact preference', 'req.heard_from': 'Heard of us via', 'req.categories': 'Categories',
  'req.consent': 'Consent', 'req.history': 'History', 'req.conversations': 'Clarifying conversations',
  'req.measurements': 'Measurements', 'req.guides': 'Suggested guides', 'req.activities': 'Suggested activities',
  'req.transitions': 'Next step', 'req.export': 'Export (subject access)', 'req.assign': 'Assign', 'req.assigned': 'Assigned guide',
  'req.score': 'Score', 'req.reason': 'Reason', 'req.course': 'Course', 'req.start_course': 'Start course',
  'req.no_citizen': 'The citizen\'s data is not shown to your role.', 'req.given': 'given', 'req.not_given': 'not given',
  'req.close_reason': 'Reason', 'req.note': 'Note', 'req.move': 'Move to', 'req.excluded': 'Not suggested',
  'conv.held_on': 'Date', 'conv.minutes': 'Duration (minutes)', 'conv.summary': 'Summary', 'conv.next': 'Next step',
  'conv.add': 'Record conversation', 'conv.volunteer': 'Guide',
  'meas.instrument': 'Instrument', 'meas.timepoint': 'Time point', 'meas.taken_on': 'Date', 'meas.mode': 'Filled in',
  'meas.answers': 'Answers', 'meas.add': 'Record measurement', 'meas.question': 'Question {n}', 'meas.score': 'Score',
  'course.title': 'Courses', 'course.state': 'State', 'course.visits': 'Visits', 'course.planned': 'Planned visits',
  'course.planned_end': 'Planned end', 'course.association': 'Association', 'course.event': 'Event',
  'course.log_visit': 'Log visit', 'course.visited_on': 'Date', 'course.citizen_came': 'The citizen came',
  'course.guide_went': 'The guide went along', 'course.minutes': 'Minutes', 'course.note': 'Note',
  'course.outcome': 'Outcome', 'course.end_on': 'Date', 'course.followups': 'Follow-ups due',
  'course.followup': 'Record follow-up', 'course.result': 'Status at follow-up', 'course.last_visit': 'Last visit',
  'course.started': 'Started', 'course.request': 'Request', 'course.guide': 'Guide', 'course.none': 'No courses.',
  'course.no_visits': 'No visits yet.', 'course.due': 'Due',
  'vol.title': 'Volunteers', 'vol.status': 'Status', 'vol.capacity': 'Capacity', 'vol.load': 'Citizens',
  'vol.languages': 'Languages', 'vol.areas': 'Postal areas', 'vol.expiring': 'Expiring soon', 'vol.trainings': 'Trainings',
  'vol.checks': 'Record checks', 'vol.search': 'Search', 'vol.expires': 'expires {d}', 'vol.expired': 'expired {d}',
  'assoc.title': 'Associations', 'assoc.welcome': 'Welcome', 'assoc.places': 'Places for newcomers', 'assoc.trained': 'Trained {d}',
  'assoc.not_trained': 'Not trained', 'assoc.member': 'Member', 'assoc.contact': 'Welcome contact', 'assoc.updated': 'updated {d}',
  'ev.title': 'Events', 'ev.list': 'List', 'ev.week': 'Week', 'ev.prev': 'Previous week', 'ev.next': 'Next week',
  'ev.week_of': 'Week {w}, {y}', 'ev.signups': 'Signed up', 'ev.places': '{n} places left', 'ev.signup': 'Sign me up',
  'ev.signed_up': 'You are signed up', 'ev.cancelled': 'Cancelled', 'ev.kind': 'Kind', 'ev.today': 'This week',
  'stats.title': 'Statistics', 'stats.funnel': 'Funnel: requests per stage', 'stats.outcomes': 'Wellbeing (WHO-5) over time',
  'stats.volunteers': 'Volunteers by status', 'stats.csv': 'Download CSV', 'stats.suppressed': 'hidden (< 5)',
  'stats.from': 'From', 'stats.to': 'To', 'stats.update': 'Update', 'stats.table': 'Table',
  'stats.baseline': 'Baseline', 'stats.course_end': 'Course end', 'stats.follow_up': 'Follow-up',
  'guide.title': 'My citizens', 'guide.courses': 'My courses', 'guide.trainings': 'My trainings',
  'guide.calendar': 'My calendar', 'guide.calendar_make': 'Make calendar link', 'guide.calendar_note': 'Subscribe to this link in your calendar. It shows your visits and events without citizen data.',
  'guide.calendar_revoke': 'Revoke link', 'guide.upcoming': 'Upcoming trainings and meetings',
  'err.fix': 'Please correct the fields marked below.',
};

// Names of enumerated API values, per language.
const enums = {
  da: {
    received: 'Modtaget', accepted: 'Accepteret', declined: 'Afvist', guide_assigned: 'Guide tildelt', contacted: 'Kontaktet',
    conversation_held: 'Samtale holdt', course_started: 'Forløb startet', referred: 'Henvist', signposted: 'Vejledt videre',
    closed: 'Afsluttet', withdrawn: 'Trukket tilbage',
    portal: 'Portal', phone: 'Telefon', walk_in: 'Personligt fremmøde', municipal_referral: 'Kommunal henvisning', relative_referral: 'Pårørende',
    need_met: 'Behov dækket', no_longer_needed: 'Ikke længere behov', not_appropriate: 'Ikke relevant', no_capacity: 'Ingen kapacitet',
    unreachable: 'Kunne ikke kontaktes', referred_elsewhere: 'Henvist andetsteds',
    course: 'Forløb', referral: 'Henvisning', signposting: 'Vejledning', another_conversation: 'Ny samtale', none: 'Intet',
    who5: 'WHO-5', ucla3: 'UCLA-3', baseline: 'Start', course_end: 'Forløbets slut', follow_up: 'Opfølgning', alone: 'Selv', helped: 'Med hjælp',
    planned: 'Planlagt', active: 'Aktiv', completed: 'Gennemført', ended_early: 'Afbrudt',
    continues_on_own: 'Fortsætter selv', continues_with_support: 'Fortsætter med støtte', stopped: 'Stoppet',
    still_taking_part: 'Deltager stadig', not_taking_part: 'Deltager ikke',
    applicant: 'Ansøger', in_training: 'Under uddannelse', paused: 'På pause', retired: 'Stoppet', rejected: 'Afvist',
    contact: 'Kontakt', share_with_association: 'Deling med forening', statistics: 'Statistik',
    created: 'Oprettet', state: 'Tilstand', data: 'Oplysninger ændret', consent: 'Samtykke', conversation: 'Samtale',
    activity: 'Aktivitet', guide_training: 'Guideuddannelse', welcome_workshop: 'Velkomstworkshop', info_meeting: 'Informationsmøde',
    intro: 'Introduktion', accompaniment: 'Følgeskab', first_aid_mental_health: 'Førstehjælp (mental sundhed)', data_protection: 'Databeskyttelse',
    record_check: 'Attest', training: 'Uddannelse', child_protection: 'Børneattest', criminal_record: 'Straffeattest',
  },
  en: {
    received: 'Received', accepted: 'Accepted', declined: 'Declined', guide_assigned: 'Guide assigned', contacted: 'Contacted',
    conversation_held: 'Conversation held', course_started: 'Course started', referred: 'Referred', signposted: 'Signposted',
    closed: 'Closed', withdrawn: 'Withdrawn',
    portal: 'Portal', phone: 'Phone', walk_in: 'Walk-in', municipal_referral: 'Municipal referral', relative_referral: 'Relative',
    need_met: 'Need met', no_longer_needed: 'No longer needed', not_appropriate: 'Not appropriate', no_capacity: 'No capacity',
    unreachable: 'Unreachable', referred_elsewhere: 'Referred elsewhere',
    course: 'Course', referral: 'Referral', signposting: 'Signposting', another_conversation: 'Another conversation', none: 'None',
    who5: 'WHO-5', ucla3: 'UCLA-3', baseline: 'Baseline', course_end: 'Course end', follow_up: 'Follow-up', alone: 'Alone', helped: 'Helped',
    planned: 'Planned', active: 'Active', completed: 'Completed', ended_early: 'Ended early',
    continues_on_own: 'Continues on own', continues_with_support: 'Continues with support', stopped: 'Stopped',
    still_taking_part: 'Still taking part', not_taking_part: 'Not taking part',
    applicant: 'Applicant', in_training: 'In training', paused: 'Paused', retired: 'Retired', rejected: 'Rejected',
    contact: 'Contact', share_with_association: 'Share with association', statistics: 'Statistics',
    created: 'Created', state: 'State', data: 'Data changed', consent: 'Consent', conversation: 'Conversation',
    activity: 'Activity', guide_training: 'Guide training', welcome_workshop: 'Welcome workshop', info_meeting: 'Information meeting',
    intro: 'Introduction', accompaniment: 'Accompaniment', first_aid_mental_health: 'Mental health first aid', data_protection: 'Data protection',
    record_check: 'Record check', training: 'Training', child_protection: 'Child protection', criminal_record: 'Criminal record',
  },
};

// The texts of the volunteer, association-contact and event pages.
Object.assign(da, people.da);
Object.assign(en, people.en);

const dicts = { da, en };
let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'da';

export function getLang() { return lang; }

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'da';
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
}

// The text for key with {name} placeholders filled from vars.
export function t(key, vars = {}) {
  const s = dicts[lang][key] ?? dicts.da[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

// The name of an API enum value (state, source, ...), or the value itself.
export function tv(value) {
  if (value === null || value === undefined) return '–';
  return enums[lang][value] ?? value;
}

export function fmtDate(iso) {
  if (!iso) return '–';
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return d.toLocaleDateString(lang === 'da' ? 'da-DK' : 'en-GB', { year: 'numeric', month: 'short', day: 'numeric' });
}

export function fmtDateTime(iso) {
  if (!iso) return '–';
  return new Date(iso).toLocaleString(lang === 'da' ? 'da-DK' : 'en-GB', {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Copenhagen',
  });
}
