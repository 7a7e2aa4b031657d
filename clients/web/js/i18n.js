// i18n.js - the interface text in Danish (default) and English. The choice
// is kept in localStorage.

import * as people from './i18n-people.js';
import { ENUMS, FLAT_ORDER, PROBLEMS } from './i18n-enums.js';
import * as coord from './i18n-coord.js';

const LANG_KEY = 'kompas.lang';

const da = {
  'app.loading': 'Indlæser …', 'app.skip': 'Spring til indhold', 'app.nav': 'Hovedmenu',
  'app.other_lang': 'English', 'app.logout': 'Log ud', 'app.menu': 'Menu', 'app.error': 'Noget gik galt',
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
  'queue.days_one': '{n} dag', 'queue.stalled_note_one': '{n} anmodning har ventet på første kontakt længere end målet på {d} dage.',
  'req.title': 'Anmodning', 'req.citizen': 'Borger', 'req.name': 'Navn', 'req.phone': 'Telefon', 'req.email': 'E-mail',
  'req.address': 'Adresse', 'req.notes': 'Noter', 'req.details': 'Oplysninger', 'req.language': 'Sprog',
  'req.contact_pref': 'Foretrukken kontakt', 'req.heard_from': 'Hørt om os via', 'req.categories': 'Kategorier',
  'req.consent': 'Samtykke', 'req.history': 'Historik', 'req.conversations': 'Afklarende samtaler',
  'req.measurements': 'Målinger', 'req.guides': 'Forslag til guide', 'req.activities': 'Forslag til aktiviteter',
  'req.transitions': 'Næste skridt', 'req.export': 'Eksportér (indsigt)', 'req.assign': 'Tildel', 'req.assigned': 'Tildelt guide',
  'req.score': 'Score', 'req.reason': 'Begrundelse', 'req.course': 'Forløb', 'req.start_course': 'Start forløb',
  'req.no_citizen': 'Borgerens oplysninger vises ikke for din rolle.', 'req.given': 'givet', 'req.not_given': 'ikke givet',
  'req.close_reason': 'Årsag', 'req.note': 'Note', 'req.move': 'Flyt til', 'req.excluded': 'Ikke foreslået',
  'req.call': 'Ring', 'req.you': 'dig', 'req.write': 'Skriv til', 'req.consent_text': 'tekst {v}', 'req.reference': 'Reference',
  'req.points': '{p} point', 'req.score_why': 'Hvorfor score {s}?', 'req.score_interests': 'Fælles interesser: {n} af anmodningens kategorier ({p})',
  'req.score_area_same': 'Bor i borgerens postnummer ({p})', 'req.score_area_near': 'Bor i nærheden: samme første to cifre i postnummeret ({p})',
  'req.score_area_far': 'Bor ikke i nærheden af borgeren ({p})', 'req.score_avail': 'Har faste ugentlige tider ({p})',
  'req.score_no_avail': 'Har ingen faste ugentlige tider ({p})', 'req.score_load': 'Ledig kapacitet: {n} % af pladserne er fri ({p})',
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
  'course.next_visit': 'Næste besøg', 'course.next_visit_on': 'Næste planlagte besøg', 'course.next_visit_save': 'Gem næste besøg',
  'course.next_visit_hint': 'Guiden får en påmindelse på e-mail dagen før. Tomt: intet besøg planlagt.',
  'vol.title': 'Frivillige', 'vol.status': 'Status', 'vol.capacity': 'Kapacitet', 'vol.load': 'Borgere',
  'vol.languages': 'Sprog', 'vol.areas': 'Postområder', 'vol.expiring': 'Udløber snart', 'vol.trainings': 'Uddannelser',
  'vol.checks': 'Børne-/straffeattester', 'vol.search': 'Søg', 'vol.expires': 'udløber {d}', 'vol.expired': 'udløbet {d}',
  'assoc.title': 'Foreninger', 'assoc.welcome': 'Velkomst', 'assoc.places': 'Pladser til nye', 'assoc.trained': 'Uddannet {d}',
  'assoc.not_trained': 'Ikke uddannet', 'assoc.member': 'Medlem', 'assoc.contact': 'Velkomstperson', 'assoc.updated': 'opdateret {d}',
  'ev.title': 'Aktiviteter', 'ev.list': 'Liste', 'ev.week': 'Uge', 'ev.prev': 'Forrige uge', 'ev.next': 'Næste uge',
  'ev.week_of': 'Uge {w}, {y}', 'ev.signups': 'Tilmeldte', 'ev.places': '{n} ledige pladser', 'ev.places_one': '{n} ledig plads', 'ev.signup': 'Tilmeld mig',
  'ev.signed_up': 'Du er tilmeldt', 'ev.cancelled': 'Aflyst', 'ev.kind': 'Type', 'ev.today': 'Denne uge',
  'stats.title': 'Statistik', 'stats.funnel': 'Tragt: anmodninger pr. trin', 'stats.outcomes': 'Trivsel (WHO-5) over tid',
  'stats.volunteers': 'Frivillige pr. status', 'stats.csv': 'Hent CSV', 'stats.suppressed': 'skjult',
  'stats.from': 'Fra', 'stats.to': 'Til og med', 'stats.update': 'Opdatér', 'stats.table': 'Tabel',
  'stats.baseline': 'Start', 'stats.course_end': 'Forløbets slut', 'stats.follow_up': 'Opfølgning',
  'stats.csv_of': 'Hent som CSV: {what}', 'stats.csv_funnel': 'første kontakt pr. {per}', 'stats.csv_funnel_all': 'tragten',
  'stats.csv_courses': 'forløb', 'stats.csv_outcomes': 'trivsel pr. {per}', 'stats.csv_associations': 'nye i foreningerne', 'stats.csv_volunteers': 'frivillige', 'stats.csv_heard_from': 'hørt om os via', 'stats.csv_centres': 'centrene',
  'stats.days': '{n} dage', 'stats.days_one': '{n} dag', 'stats.first_contact': 'Tid til første kontakt', 'stats.median': 'Median', 'stats.p90': '90 % inden for',
  'stats.first_contact_text': 'Halvdelen af borgerne blev kontaktet inden for {m} dage efter deres anmodning, og 90 % inden for {p} dage.',
  'stats.first_contact_hidden': 'For få borgere er kontaktet i perioden til at vise tiden (under 5).',
  'stats.courses': 'Forløb og resultater', 'stats.courses_ended': 'Startede og afsluttede forløb', 'stats.courses_outcome': 'Resultat ved forløbets slut',
  'stats.courses_follow_up': 'Ved opfølgningen', 'stats.visits_text': 'Et afsluttet forløb havde i gennemsnit {v} besøg, heraf {a} hvor borgeren kom.',
  'stats.visits_hidden': 'For få afsluttede forløb til at vise antal besøg.',
  'stats.dots_explained': 'Hver prik er gennemsnittet af borgernes WHO-5-trivselsscore (0 til 100, højere er bedre) for de anmodninger, der kom ind i perioden eller {the}: ved forløbets start, ved dets slut og ved opfølgningen. Stregen mellem prikkerne viser, hvor meget trivslen ændrede sig. En score under 50 tyder på nedsat trivsel. {periods} med færre end 5 borgere vises ikke.',
  'stats.change_text': 'Fra start til slut ændrede trivslen sig i gennemsnit {c} point for de {n} borgere, der er målt begge gange.',
  'stats.change_text_one': 'Fra start til slut ændrede trivslen sig {c} point for den {n} borger, der er målt begge gange.',
  'stats.share_text': '{s} af dem fik 10 point eller mere.', 'stats.whole_period': 'Hele perioden',
  'stats.change_hidden': 'For få borgere er målt både ved start og slut til at vise ændringen.',
  'stats.by_centre': 'Fordelt på centre', 'stats.centre': 'Center', 'stats.col_received': 'Anmodninger', 'stats.col_median': 'Første kontakt (median)',
  'stats.col_courses': 'Forløb startet', 'stats.col_completed': 'Gennemført', 'stats.col_change': 'WHO-5-ændring (point)',
  'stats.hidden_note': '"Skjult" betyder færre end 5: små tal vises aldrig, så ingen borger kan genkendes.',
  'stats.heard_from': 'Hvordan borgerne hørte om tilbuddet (anmodninger)', 'stats.recruited': 'Hvordan de frivillige blev rekrutteret',
  'stats.rounding_note': 'Alle antal er rundet ned til et multiplum af 5 (fx 18 som 15), og kun hele, afsluttede måneder, kvartaler og år tælles, så ingen borger kan regnes ud af to tal.',
  'stats.truncated_note': 'Perioden er afkortet til {d}, den sidste afsluttede periode.',
  'stats.scope_all': 'Alle centre tilsammen; tabellen "Fordelt på centre" viser hvert center.', 'stats.scope_centre': 'Dit centers tal.',
  'stats.unit': 'Opdel i', 'stats.unit_month': 'Måneder', 'stats.unit_quarter': 'Kvartaler', 'stats.unit_year': 'År',
  'stats.window_label': 'Vælg periode', 'stats.window': 'Tallene gælder {from} til og med {to}.',
  'stats.per_month': 'måned', 'stats.per_quarter': 'kvartal', 'stats.per_year': 'år',
  'stats.the_month': 'måneden', 'stats.the_quarter': 'kvartalet', 'stats.the_year': 'året',
  'stats.periods_month': 'Måneder', 'stats.periods_quarter': 'Kvartaler', 'stats.periods_year': 'År',
  'stats.alone_title': 'Overgangen: besøg borgeren klarede alene', 'stats.col_courses_n': 'Forløb', 'stats.all_ended': 'Alle afsluttede forløb',
  'stats.alone_explained': 'For hvert afsluttet forløb andelen af de besøg, borgeren kom til, hvor borgeren kom uden guiden; gennemsnittet over forløbene, for alle og efter resultatet ved opfølgningen.',
  'stats.handover_assoc': 'Nye i foreningerne ved opfølgningen', 'stats.association': 'Forening', 'stats.no_welcome': 'Ikke endnu',
  'stats.handover_assoc_explained': 'Borgere, der blev fulgt til en forening i et forløb fra perioden, og hvis forløb er fulgt op: hvor mange der stadig deltog, ved siden af foreningens velkomstuddannelse. Færre end 5 vises som skjult.',
  'stats.handover_none': 'Ingen forløb til en forening er fulgt op i perioden.',
  'guide.title': 'Mine borgere', 'guide.courses': 'Mine forløb', 'guide.trainings': 'Mine uddannelser',
  'guide.calendar': 'Min kalender', 'guide.calendar_make': 'Lav kalenderlink', 'guide.calendar_note': 'Abonnér på dette link i din kalender. Det viser dine besøg og aktiviteter uden borgeroplysninger.',
  'guide.calendar_revoke': 'Tilbagekald link', 'guide.upcoming': 'Kommende uddannelser og møder',
  'err.fix': 'Ret venligst felterne markeret nedenfor.',
};

const en = {
  'app.loading': 'Loading …', 'app.skip': 'Skip to content', 'app.nav': 'Main menu',
  'app.other_lang': 'Dansk', 'app.logout': 'Log out', 'app.menu': 'Menu', 'app.error': 'Something went wrong',
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
  'queue.days_one': '{n} day', 'queue.stalled_note_one': '{n} request has waited for first contact longer than the target of {d} days.',
  'req.title': 'Request', 'req.citizen': 'Citizen', 'req.name': 'Name', 'req.phone': 'Phone', 'req.email': 'E-mail',
  'req.address': 'Address', 'req.notes': 'Notes', 'req.details': 'Details', 'req.language': 'Language',
  'req.contact_pref': 'Contact preference', 'req.heard_from': 'Heard of us via', 'req.categories': 'Categories',
  'req.consent': 'Consent', 'req.history': 'History', 'req.conversations': 'Clarifying conversations',
  'req.measurements': 'Measurements', 'req.guides': 'Suggested guides', 'req.activities': 'Suggested activities',
  'req.transitions': 'Next step', 'req.export': 'Export (subject access)', 'req.assign': 'Assign', 'req.assigned': 'Assigned guide',
  'req.score': 'Score', 'req.reason': 'Reason', 'req.course': 'Course', 'req.start_course': 'Start course',
  'req.no_citizen': 'The citizen\'s data is not shown to your role.', 'req.given': 'given', 'req.not_given': 'not given',
  'req.close_reason': 'Reason', 'req.note': 'Note', 'req.move': 'Move to', 'req.excluded': 'Not suggested',
  'req.call': 'Call', 'req.you': 'you', 'req.write': 'Write to', 'req.consent_text': 'text {v}', 'req.reference': 'Reference',
  'req.points': '{p} points', 'req.score_why': 'Why score {s}?', 'req.score_interests': 'Shared interests: {n} of the request\'s categories ({p})',
  'req.score_area_same': 'Lives in the citizen\'s postal code ({p})', 'req.score_area_near': 'Lives nearby: same first two digits of the postal code ({p})',
  'req.score_area_far': 'Does not live near the citizen ({p})', 'req.score_avail': 'Has regular weekly times ({p})',
  'req.score_no_avail': 'Has no regular weekly times ({p})', 'req.score_load': 'Free capacity: {n} % of the places are free ({p})',
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
  'course.next_visit': 'Next visit', 'course.next_visit_on': 'Next planned visit', 'course.next_visit_save': 'Save next visit',
  'course.next_visit_hint': 'The guide gets an e-mail reminder the day before. Empty: no visit planned.',
  'vol.title': 'Volunteers', 'vol.status': 'Status', 'vol.capacity': 'Capacity', 'vol.load': 'Citizens',
  'vol.languages': 'Languages', 'vol.areas': 'Postal areas', 'vol.expiring': 'Expiring soon', 'vol.trainings': 'Trainings',
  'vol.checks': 'Record checks', 'vol.search': 'Search', 'vol.expires': 'expires {d}', 'vol.expired': 'expired {d}',
  'assoc.title': 'Associations', 'assoc.welcome': 'Welcome', 'assoc.places': 'Places for newcomers', 'assoc.trained': 'Trained {d}',
  'assoc.not_trained': 'Not trained', 'assoc.member': 'Member', 'assoc.contact': 'Welcome contact', 'assoc.updated': 'updated {d}',
  'ev.title': 'Events', 'ev.list': 'List', 'ev.week': 'Week', 'ev.prev': 'Previous week', 'ev.next': 'Next week',
  'ev.week_of': 'Week {w}, {y}', 'ev.signups': 'Signed up', 'ev.places': '{n} places left', 'ev.places_one': '{n} place left', 'ev.signup': 'Sign me up',
  'ev.signed_up': 'You are signed up', 'ev.cancelled': 'Cancelled', 'ev.kind': 'Kind', 'ev.today': 'This week',
  'stats.title': 'Statistics', 'stats.funnel': 'Funnel: requests per stage', 'stats.outcomes': 'Wellbeing (WHO-5) over time',
  'stats.volunteers': 'Volunteers by status', 'stats.csv': 'Download CSV', 'stats.suppressed': 'hidden',
  'stats.from': 'From', 'stats.to': 'To (inclusive)', 'stats.update': 'Update', 'stats.table': 'Table',
  'stats.baseline': 'Baseline', 'stats.course_end': 'Course end', 'stats.follow_up': 'Follow-up',
  'stats.csv_of': 'Download as CSV: {what}', 'stats.csv_funnel': 'first contact per {per}', 'stats.csv_funnel_all': 'the funnel',
  'stats.csv_courses': 'courses', 'stats.csv_outcomes': 'wellbeing per {per}', 'stats.csv_associations': 'newcomers in the associations', 'stats.csv_volunteers': 'volunteers', 'stats.csv_heard_from': 'heard of us via', 'stats.csv_centres': 'the centres',
  'stats.days': '{n} days', 'stats.days_one': '{n} day', 'stats.first_contact': 'Time to first contact', 'stats.median': 'Median', 'stats.p90': '90 % within',
  'stats.first_contact_text': 'Half of the citizens were contacted within {m} days of their request, and 90 % within {p} days.',
  'stats.first_contact_hidden': 'Too few citizens were contacted in the period to show the time (under 5).',
  'stats.courses': 'Courses and outcomes', 'stats.courses_ended': 'Courses started and ended', 'stats.courses_outcome': 'Outcome at the end of the course',
  'stats.courses_follow_up': 'At the follow-up', 'stats.visits_text': 'An ended course had {v} visits on average, {a} of them with the citizen.',
  'stats.visits_hidden': 'Too few ended courses to show the number of visits.',
  'stats.dots_explained': 'Each dot is the mean WHO-5 wellbeing score (0 to 100, higher is better) of the citizens whose requests came in the period or {the}: at the start of the course, at its end and at the follow-up. The line between the dots shows how much wellbeing changed. A score under 50 suggests poor wellbeing. {periods} with fewer than 5 citizens are not shown.',
  'stats.change_text': 'From start to end, wellbeing changed by {c} points on average for the {n} citizens measured both times.',
  'stats.change_text_one': 'From start to end, wellbeing changed by {c} points for the {n} citizen measured both times.',
  'stats.share_text': '{s} of them gained 10 points or more.', 'stats.whole_period': 'Whole period',
  'stats.change_hidden': 'Too few citizens were measured at both start and end to show the change.',
  'stats.by_centre': 'By centre', 'stats.centre': 'Centre', 'stats.col_received': 'Requests', 'stats.col_median': 'First contact (median)',
  'stats.col_courses': 'Courses started', 'stats.col_completed': 'Completed', 'stats.col_change': 'WHO-5 change (points)',
  'stats.hidden_note': '"Hidden" means fewer than 5: small numbers are never shown, so no citizen can be recognised.',
  'stats.heard_from': 'How the citizens heard of the offer (requests)', 'stats.recruited': 'How the volunteers were recruited',
  'stats.rounding_note': 'All counts are rounded down to a multiple of 5 (18 as 15, say), and only whole, ended months, quarters and years are counted, so no citizen can be worked out from two numbers.',
  'stats.truncated_note': 'The period was cut to {d}, the last ended period.',
  'stats.scope_all': 'All centres together; the table "By centre" shows each centre.', 'stats.scope_centre': 'Your centre\'s numbers.',
  'stats.unit': 'Split into', 'stats.unit_month': 'Months', 'stats.unit_quarter': 'Quarters', 'stats.unit_year': 'Years',
  'stats.window_label': 'Choose the period', 'stats.window': 'The numbers cover {from} to {to} inclusive.',
  'stats.per_month': 'month', 'stats.per_quarter': 'quarter', 'stats.per_year': 'year',
  'stats.the_month': 'month', 'stats.the_quarter': 'quarter', 'stats.the_year': 'year',
  'stats.periods_month': 'Months', 'stats.periods_quarter': 'Quarters', 'stats.periods_year': 'Years',
  'stats.alone_title': 'The hand-over: visits the citizen managed alone', 'stats.col_courses_n': 'Courses', 'stats.all_ended': 'All ended courses',
  'stats.alone_explained': 'For each ended course the share of the visits the citizen came to where the citizen came without the guide; the mean over the courses, for all and by the result at the follow-up.',
  'stats.handover_assoc': 'Newcomers in the associations at the follow-up', 'stats.association': 'Association', 'stats.no_welcome': 'Not yet',
  'stats.handover_assoc_explained': 'Citizens accompanied to an association in a course from the period whose course has been followed up: how many were still taking part, next to the association\'s welcome training. Fewer than 5 are shown as hidden.',
  'stats.handover_none': 'No course to an association has been followed up in the period.',
  'guide.title': 'My citizens', 'guide.courses': 'My courses', 'guide.trainings': 'My trainings',
  'guide.calendar': 'My calendar', 'guide.calendar_make': 'Make calendar link', 'guide.calendar_note': 'Subscribe to this link in your calendar. It shows your visits and events without citizen data.',
  'guide.calendar_revoke': 'Revoke link', 'guide.upcoming': 'Upcoming trainings and meetings',
  'err.fix': 'Please correct the fields marked below.',
};

// The texts of the volunteer, association-contact and event pages.
Object.assign(da, people.da);
Object.assign(en, people.en);
// The texts of the coordinator's start page, new request, search, referral and account pages.
Object.assign(da, coord.da);
Object.assign(en, coord.en);

const dicts = { da, en };
let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'da';

export function getLang() { return lang; }

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'da';
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
}

// The text for key with {name} placeholders filled from vars. A count of
// one (vars.n 1 or '1') takes the singular, key_one, where the key has one:
// "1 opfølgning forfalder", never "1 opfølgninger".
export function t(key, vars = {}) {
  const one = vars.n === 1 || vars.n === '1' ? `${key}_one` : null;
  const d = dicts[lang];
  const s = (one && d[one]) ?? d[key] ?? (one && dicts.da[one]) ?? dicts.da[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

// Each value's name when shown without its kind (the first kind of
// FLAT_ORDER that has it).
const flat = {};
for (const l of ['da', 'en']) {
  flat[l] = {};
  for (const kind of [...FLAT_ORDER].reverse()) Object.assign(flat[l], ENUMS[l][kind]);
}

// The name of an API enum value (state, source, ...): of kind (an OpenAPI
// schema name of i18n-enums.js, e.g. 'HeardFrom') when given, or the value
// itself when unknown.
export function tv(value, kind) {
  if (value === null || value === undefined) return '–';
  return (kind && ENUMS[lang][kind]?.[value]) ?? flat[lang][value] ?? value;
}

// The options [[value, name], ...] of a select for the values of a kind.
export const enumOptions = (kind, values = Object.keys(ENUMS.da[kind])) => values.map((v) => [v, tv(v, kind)]);

// A language's name from its ISO 639-1 code ("arabisk"), or the code.
export function langName(code) {
  try {
    return new Intl.DisplayNames([lang], { type: 'language' }).of(code) || code;
  } catch {
    return code;
  }
}

// The text of a problem or field error code (lib/errors.c), or null; n
// fills the limit of too_long and the like.
export function problemCodeText(code, n) {
  const s = PROBLEMS[lang][code];
  if (s === undefined) return null;
  return n === undefined || n === null ? s.replace(/ \([^)]*\{n\}\)/, '') : s.replace('{n}', fmtNum(n, 2));
}

const locale = () => (lang === 'da' ? 'da-DK' : 'en-GB');

// A number in the interface language: 12,5 in Danish (digits: the most
// decimals shown).
export function fmtNum(n, digits = 1) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return Number(n).toLocaleString(locale(), { maximumFractionDigits: digits });
}

// A short date without the year: "30. nov." in Danish.
export function fmtDay(iso) {
  if (!iso) return '–';
  const d = new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso);
  return d.toLocaleDateString(locale(), { month: 'short', day: 'numeric', timeZone: 'Europe/Copenhagen' });
}

// A statistics period: "2026-Q4" as "4. kvt. 2026", "2026-03" as "mar. 2026".
export function fmtPeriod(p) {
  if (!p) return '–';
  let m = /^(\d{4})-Q([1-4])$/.exec(p);
  if (m) return lang === 'da' ? `${m[2]}. kvt. ${m[1]}` : `Q${m[2]} ${m[1]}`;
  m = /^(\d{4})-(\d{2})$/.exec(p);
  if (m) return new Date(`${p}-15T12:00:00Z`).toLocaleDateString(locale(), { month: 'short', year: 'numeric' });
  return p;
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
