#!/usr/bin/env node
// demo-load.mjs BASE [--timeline FILE] [--keys FILE]
//
// The citizens of the demo, made through the API of a running kompasd at
// BASE (e.g. http://127.0.0.1:8080): their personal data is sealed with a
// key only kompasd holds, so it cannot come from SQL. tools/demo-data.sql
// must have been loaded first (centres, demo accounts, associations,
// volunteers, events); tools/dev-run.sh runs this once, while the database
// has no requests.
//
// For each centre it logs in as the coordinator, the guide and the
// association contact, makes a portal key, and plays 26 citizens' stories:
// requests from the portal and from the coordinator, moved through the
// workflow to every state, with clarifying conversations, courses with
// visits (the past ones on the associations' real occurrences), outcomes and
// follow-ups, referrals answered by the associations, and WHO-5 / UCLA-3
// measurements at baseline, course end and follow-up. The demo guide
// accounts do their own part (contact, conversations, visits, measurements).
//
// Everything the API records is stamped with the time of the call. The
// stories happened over the last six months, so every call is also noted
// with the time it pretends to happen at; --timeline FILE writes SQL that
// moves the timestamps of each request's rows (history, consents,
// conversations, courses, visits, referrals, measurements) to those times.
// The access log is left as it is: it truthfully says that the loader wrote
// the data today. Dates given in bodies (held on, visited on, ...) are the
// story's dates already, and never in the future.
//
// --keys FILE writes the portal keys made (shown once by the API), one line
// per centre: "<slug> <key>".
//
// Node 18 or later; no packages. Exits non-zero with the call and the answer
// on any unexpected answer, and refuses to run when a centre has requests.
import fs from 'node:fs';

const PASSWORD = 'kompas-demo-2026';
const CONSENT_TEXT = '2025-09';
const DAY = 86400000;

class DemoError extends Error {}

// ----------------------------------------------------------------- arguments

function usage(msg) {
  if (msg) process.stderr.write(`demo-load: ${msg}\n`);
  process.stderr.write('usage: node tools/demo-load.mjs BASE_URL [--timeline FILE] [--keys FILE]\n');
  process.exit(2);
}

const opts = { base: null, timeline: null, keys: null };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--timeline' || a === '--keys') {
    if (i + 1 >= process.argv.length) usage(`${a} needs a file`);
    opts[a.slice(2)] = process.argv[++i];
  } else if (a.startsWith('-')) {
    usage(`unknown option ${a}`);
  } else if (opts.base === null) {
    opts.base = a.replace(/\/+$/, '');
  } else {
    usage(`unexpected argument ${a}`);
  }
}
if (!opts.base || !/^https?:\/\//.test(opts.base)) usage('give the base URL of kompasd, e.g. http://127.0.0.1:8080');
if (typeof fetch !== 'function') usage(`Node 18 or later is needed (this is ${process.version})`);

// ------------------------------------------------------------------ the API

let calls = 0;

async function api(token, method, path, body, expect = [200, 201]) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(opts.base + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new DemoError(`${method} ${path}: no answer from ${opts.base} (${e.cause?.code || e.message})`);
  }
  calls++;
  const text = await res.text();
  if (!expect.includes(res.status)) {
    throw new DemoError(`${method} ${path} answered ${res.status} (expected ${expect.join(' or ')}):\n${text.slice(0, 3000)}`);
  }
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new DemoError(`${method} ${path} answered ${res.status} with a body that is not JSON:\n${text.slice(0, 500)}`);
  }
}

// Every page of a list.
async function all(token, path) {
  const items = [];
  let next = path;
  while (next) {
    const page = await api(token, 'GET', next);
    if (!Array.isArray(page?.items)) throw new DemoError(`GET ${next}: the answer has no items array`);
    items.push(...page.items);
    next = page.next;
  }
  return items;
}

async function login(email) {
  const r = await api(null, 'POST', '/v1/sessions', { email, password: PASSWORD }, [201, 401]);
  if (r?.status === 401) {
    throw new DemoError(`cannot log in as ${email} with the demo password: load tools/demo-data.sql into an empty database first`);
  }
  if (!r?.token) throw new DemoError(`POST /v1/sessions (${email}): no token in the answer`);
  return r.token;
}

// --------------------------------------------------------------------- time
// Story times are whole days ago, at office hours: a step d days ago at
// hour h is today - d days, h o'clock UTC (an hour or two earlier than
// Danish time), never later than a few minutes ago.

const NOW = Date.now();
const TODAY = Date.UTC(new Date(NOW).getUTCFullYear(), new Date(NOW).getUTCMonth(), new Date(NOW).getUTCDate());

function at(daysAgo, hour = 9) {
  return Math.min(TODAY - Math.floor(daysAgo) * DAY + hour * 3600000, NOW - 10 * 60000);
}

const dateOf = (t) => new Date(t).toISOString().slice(0, 10);

// A small deterministic random generator: the demo is the same every time.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- the world

// Associations by the part they play in the stories.
const ROLES = {
  odense: {
    adult: 'Et Fælles Skridt', elderly: 'Ældre Sagen Odense', family: 'Red Barnet Odense',
    health: 'Social Sundhed Odense', knit: 'Strik & Snak Vollsmose', walk: 'Gåklubben Fynske Fødder',
    choir: 'Åbent Sangkor Odense', garden: 'Havefællesskabet Rosenhaven', lang: 'Sprogcafé Dalum',
    men: 'Mændenes Værksted Odense', games: 'Brætspilsklubben Terningen', dine: 'Fællesspisning i Bolbro',
  },
  silkeborg: {
    adult: 'Følgevennerne Silkeborg', elderly: 'Ældre Sagen Silkeborg', family: 'Red Barnet Silkeborg',
    health: 'Ældre Sagen Silkeborg', knit: 'Strikkeklubben Masken', walk: 'Gåklubben Søhøjlandet',
    choir: 'Silkeborg Åbne Kor', garden: 'Naturfællesskabet Gudenåen', lang: 'Sprogcafé Silkeborg',
    men: 'Mændenes Værksted Kjellerup', games: 'Læseklubben Sidelæns', dine: 'Fællesspisning i Alderslyst',
  },
};

const CENTRES = [
  { slug: 'odense', coordinator: 'koordinator@odense.demo', guide: 'guide@odense.demo',
    association: 'forening@odense.demo', refPrefix: 'SK-ODE' },
  { slug: 'silkeborg', coordinator: 'koordinator@silkeborg.demo', guide: 'guide@silkeborg.demo',
    association: 'forening@silkeborg.demo', refPrefix: 'SK-SKB' },
];

// The stories, the same in both centres (with each centre's citizens and
// associations; Silkeborg's a day or two earlier). Every number is days
// ago. age: when the request came; final: the state it ends in; guide
// 'demo': the demo guide account's own volunteer (else the best match);
// conv: the clarifying conversation (next: its agreed next step, else the
// one the story implies; baseline: WHO-5 and UCLA-3 then); course: its
// target association (by ROLES), when it was made, the planned visits, the
// visits (one within the last five weeks lands on the association's nearest
// occurrence; alone: the guide did not go along; missed: the citizen did
// not come), its end and follow-up; referrals: to whom, when, and the
// association's answers; signpost: to whom, when; close: why, when.
const STORIES = [
  { key: 'r1', final: 'received', age: 0 },
  { key: 'r2', final: 'received', age: 2 },
  { key: 'r3', final: 'received', age: 9 },
  { key: 'a1', final: 'accepted', age: 6 },
  { key: 'a2', final: 'accepted', age: 3 },
  { key: 'd1', final: 'declined', age: 20 },
  { key: 'g1', final: 'guide_assigned', age: 4, guide: 'demo' },
  { key: 'g2', final: 'guide_assigned', age: 8 },
  { key: 'c1', final: 'contacted', age: 10, guide: 'demo' },
  { key: 'c2', final: 'contacted', age: 12 },
  { key: 'h1', final: 'conversation_held', age: 18, conv: 12, next: 'another_conversation', baseline: true },
  { key: 'h2', final: 'conversation_held', age: 15, guide: 'demo', conv: 5, next: 'course', baseline: true },
  { key: 's1', final: 'course_started', age: 20, conv: 13, baseline: true,
    course: { target: 'knit', at: 11, planned: 4, visits: [] } },
  { key: 's2', final: 'course_started', age: 45, guide: 'demo', conv: 38, baseline: true,
    course: { target: 'walk', at: 36, planned: 6, visits: [31, 24, 17, 10, 3], alone: [3], missed: [17] } },
  { key: 's3', final: 'course_started', age: 60, conv: 52, baseline: true,
    course: { target: 'lang', at: 49, planned: 5, visits: [34, 27, 20] } },
  { key: 's4', final: 'course_started', age: 135, conv: 128, baseline: true,
    course: { target: 'choir', at: 126, planned: 5, visits: [121, 114, 107, 100, 93], alone: [93],
              end: { to: 'completed', outcome: 'continues_with_support', on: 88 } } },
  { key: 'f1', final: 'referred', age: 14, conv: 8,
    referrals: [{ to: 'adult', at: 7, answers: [['accepted', 5]] }] },
  { key: 'f2', final: 'referred', age: 30, conv: 23, baseline: true,
    referrals: [{ to: 'elderly', at: 22, answers: [] }] },
  { key: 'f3', final: 'referred', age: 40, conv: 32, baseline: true,
    referrals: [{ to: 'health', at: 31, answers: [['declined', 27]] }, { to: 'adult', at: 26, answers: [] }] },
  { key: 'p1', final: 'signposted', age: 25, conv: 18, signpost: { to: 'games', at: 17 } },
  { key: 'x1', final: 'closed', age: 175, guide: 'demo', conv: 168, baseline: true,
    course: { target: 'garden', at: 166, planned: 6, visits: [161, 154, 147, 140, 133, 126], alone: [126],
              end: { to: 'completed', outcome: 'continues_on_own', on: 124 },
              followUp: { result: 'still_taking_part', on: 32 } },
    close: { reason: 'need_met', at: 31, note: 'Kommer fast i fællesskabet; opfølgningen viste, at hun stadig deltager.' } },
  { key: 'x2', final: 'closed', age: 160, conv: 152, baseline: true,
    course: { target: 'men', at: 150, planned: 4, visits: [146, 139], missed: [139],
              end: { to: 'ended_early', outcome: 'stopped', on: 136 },
              followUp: { result: 'not_taking_part', on: 44 } },
    close: { reason: 'no_longer_needed', at: 43, note: 'Borgeren ønskede ikke at fortsætte; tilbud om ny samtale senere.' } },
  { key: 'x3', final: 'closed', age: 35, close: { reason: 'unreachable', at: 20, note: 'Tre opkald og to sms\'er over to uger uden svar.' } },
  { key: 'x4', final: 'closed', age: 80, conv: 72, baseline: true,
    referrals: [{ to: 'family', at: 71, answers: [['accepted', 68], ['completed', 20]] }],
    close: { reason: 'need_met', at: 18, note: 'Forløbet i foreningens ordning er afsluttet.' } },
  { key: 'x5', final: 'closed', age: 50, conv: 42, signpost: { to: 'walk', at: 41 },
    close: { reason: 'need_met', at: 10, note: 'Går selv i klubben hver uge.' } },
  { key: 'w1', final: 'withdrawn', age: 22, withdraw: 16 },
];

// The citizens, in the order of STORIES. Fictional names, phone numbers and
// addresses; e-mail addresses end in .invalid. src: the source (portal
// requests carry the portal's own reference). cats: interests and needs as
// shared category slugs (kind:slug).
const CITIZENS = {
  odense: [
    { name: 'Inger Madsen', phone: '+45 51 23 44 10', postal: '5200', age: '80+', lang: 'da', pref: 'phone', heard: 'socialkompas', src: 'portal',
      cats: ['need:ensomhed', 'activity:faellesspisning'], notes: 'Mistede sin mand i foråret og spiser mest alene. Vil gerne et sted hen, hvor man spiser sammen.' },
    { name: 'Jamal Haddad', phone: '+45 52 87 10 33', email: 'jamal.haddad@post.invalid', postal: '5240', age: '25-34', lang: 'ar', pref: 'sms', heard: 'association', src: 'portal',
      cats: ['need:at-laere-dansk', 'need:nye-venner', 'activity:sprogcafe'], notes: 'Kom til Danmark for to år siden. Vil øve dansk og møde folk uden for sprogskolen.' },
    { name: 'Bent Christiansen', phone: '+45 40 12 87 65', address: 'Kochsgade 14, st. tv., 5000 Odense C', postal: '5000', age: '65-79', lang: 'da', pref: 'phone', heard: 'local_paper', src: 'phone',
      cats: ['activity:kreativt-vaerksted', 'target_group:maend'], notes: 'Ringer igen efter sin tidligere henvendelse. Vil gerne i gang med noget med hænderne.' },
    { name: 'Kirsten Poulsen', phone: '+45 60 44 21 98', email: 'kirsten.p@post.invalid', postal: '5000', age: '50-64', lang: 'da', pref: 'email', heard: 'socialkompas', src: 'portal',
      cats: ['need:social-angst', 'activity:kor-og-sang', 'interest:musik'], notes: 'Har været væk fra arbejdsmarkedet længe og vil gerne tilbage i et fællesskab, gerne noget med musik.' },
    { name: 'Daniel Nielsen', phone: '+45 31 90 55 72', postal: '5220', age: '18-24', lang: 'da', pref: 'sms', heard: 'municipal_staff', src: 'municipal_referral',
      cats: ['target_group:unge', 'activity:braetspil', 'need:nye-venner'], notes: 'Henvist af sin vejleder i kommunen, med samtykke. Bor alene og ser ikke mange på sin egen alder.' },
    { name: 'Preben Thomsen', phone: '+45 29 71 63 04', postal: '5000', age: '50-64', lang: 'da', pref: 'phone', heard: 'municipal_staff', src: 'phone',
      cats: ['need:struktur-i-hverdagen'], decline: { reason: 'not_appropriate', note: 'Har brug for professionel støtte først; aftalt at kontakte kommunens rådgivning.' } },
    { name: 'Else Marie Hansen', phone: '+45 66 17 38 29', postal: '5230', age: '80+', lang: 'da', pref: 'phone', heard: 'relative', src: 'portal',
      cats: ['activity:gaatur', 'interest:natur', 'need:ensomhed'], notes: 'Datteren har udfyldt anmodningen sammen med hende. Går gerne ture, men ikke alene.' },
    { name: 'Ahmed Yusuf', phone: '+45 50 33 86 17', postal: '5240', age: '35-49', lang: 'so', pref: 'phone', heard: 'association', src: 'walk_in',
      cats: ['need:struktur-i-hverdagen', 'activity:kreativt-vaerksted', 'target_group:maend'], notes: 'Kom forbi frivilligcentret. Er ledig og vil gerne have noget at stå op til.' },
    { name: 'Lone Kjær', phone: '+45 23 58 14 76', email: 'lone.kjaer@post.invalid', postal: '5000', age: '65-79', lang: 'da', pref: 'email', heard: 'socialkompas', src: 'portal',
      cats: ['activity:kor-og-sang', 'interest:musik', 'need:nye-venner'], notes: 'Er lige flyttet til Odense for at bo tæt på børnebørnene og kender ingen i byen.' },
    { name: 'Svend Aage Larsen', phone: '+45 65 91 27 40', address: 'Hjallesevej 88, 5260 Odense S', postal: '5260', age: '80+', lang: 'da', pref: 'letter', heard: 'relative', src: 'relative_referral',
      cats: ['activity:faellesspisning', 'target_group:aeldre', 'need:ensomhed'], notes: 'Sønnen ringede. Svend Aage hører dårligt i telefon: lad det ringe længe.' },
    { name: 'Maria Pedersen', phone: '+45 28 40 19 63', postal: '5250', age: '35-49', lang: 'da', pref: 'sms', heard: 'local_paper', src: 'portal',
      cats: ['need:social-angst', 'activity:havefaellesskab', 'interest:natur'], notes: 'Vil gerne noget udendørs og roligt, hvor man ikke skal tale hele tiden.' },
    { name: 'Hassan Karimi', phone: '+45 42 66 08 31', email: 'hassan.karimi@post.invalid', postal: '5230', age: '25-34', lang: 'fa', pref: 'sms', heard: 'socialkompas', src: 'portal',
      cats: ['activity:gaatur', 'activity:motion', 'need:fysisk-aktivitet', 'need:nye-venner'], notes: 'Vil gerne i bedre form og lære danskere at kende.' },
    { name: 'Tove Frederiksen', phone: '+45 66 12 90 47', postal: '5240', age: '65-79', lang: 'da', pref: 'phone', heard: 'municipal_staff', src: 'phone',
      cats: ['activity:strikkeklub', 'interest:haandarbejde', 'need:ensomhed'], notes: 'Hjemmeplejen har fortalt hende om tilbuddet. Strikker meget, men altid alene.' },
    { name: 'Gitte Rasmussen', phone: '+45 21 77 35 02', email: 'gitte.r@post.invalid', postal: '5000', age: '50-64', lang: 'da', pref: 'phone', heard: 'socialkompas', src: 'portal',
      cats: ['activity:gaatur', 'interest:natur', 'need:struktur-i-hverdagen'], notes: 'Vil gerne ud at gå fast en gang om ugen, men har svært ved at tage af sted alene.' },
    { name: 'Karim Benali', phone: '+45 53 20 71 88', postal: '5240', age: '35-49', lang: 'ar', pref: 'phone', heard: 'municipal_staff', src: 'municipal_referral',
      cats: ['activity:sprogcafe', 'need:at-laere-dansk', 'need:nye-venner'], notes: 'Henvist af jobcentret med samtykke. Vil øve dansk inden sin praktik.' },
    { name: 'Anna Sørensen', phone: '+45 62 41 57 19', postal: '5220', age: '65-79', lang: 'da', pref: 'phone', heard: 'association', src: 'walk_in',
      cats: ['activity:kor-og-sang', 'interest:musik', 'need:ensomhed'], notes: 'Sang i kor i mange år, før hun flyttede. Vil gerne i gang igen.' },
    { name: 'Mikkel Jørgensen', phone: '+45 26 93 48 50', email: 'mikkel.j@post.invalid', postal: '5000', age: '25-34', lang: 'da', pref: 'sms', heard: 'socialkompas', src: 'portal', share: true,
      cats: ['need:social-angst', 'need:nye-venner'], notes: 'Har mest været hjemme de sidste år. Vil gerne have én at gå med de første gange.' },
    { name: 'Ruth Andersen', phone: '+45 65 90 13 66', address: 'Åsumvej 21, 5210 Odense NV', postal: '5210', age: '80+', lang: 'da', pref: 'letter', heard: 'relative', src: 'relative_referral', share: true,
      cats: ['target_group:aeldre', 'need:ensomhed', 'activity:faellesspisning'], notes: 'Barnebarnet har kontaktet os. Ruth kommer ikke ud, siden hun holdt op med at køre bil.' },
    { name: 'Jan Mortensen', phone: '+45 30 28 64 91', postal: '5000', age: '50-64', lang: 'da', pref: 'phone', heard: 'municipal_staff', src: 'municipal_referral', share: true,
      cats: ['need:struktur-i-hverdagen', 'need:ensomhed'], notes: 'Henvist af sin sagsbehandler med samtykke. Ønsker en fast aktivitet i ugen.' },
    { name: 'Sofie Lauridsen', email: 'sofie.lauridsen@post.invalid', postal: '5000', age: '25-34', lang: 'en', pref: 'email', heard: 'other', src: 'portal',
      cats: ['activity:braetspil', 'interest:spil', 'need:nye-venner'], notes: 'Moved to Odense for work; would like to meet people outside the office.' },
    { name: 'Birthe Mikkelsen', phone: '+45 66 18 42 07', postal: '5230', age: '65-79', lang: 'da', pref: 'phone', heard: 'local_paper', src: 'portal',
      cats: ['activity:havefaellesskab', 'interest:natur', 'need:ensomhed'], notes: 'Har haft have hele livet og savner at have jord under neglene og nogen at snakke med.' },
    { name: 'Carsten Holm', phone: '+45 40 55 91 26', postal: '5210', age: '50-64', lang: 'da', pref: 'phone', heard: 'municipal_staff', src: 'phone',
      cats: ['activity:kreativt-vaerksted', 'target_group:maend', 'need:struktur-i-hverdagen'], notes: 'Er tidligere smed. Vil gerne bruge hænderne igen.' },
    { name: 'Leon Schmidt', email: 'leon.schmidt@post.invalid', postal: '5000', age: '18-24', lang: 'de', pref: 'email', heard: 'socialkompas', src: 'portal',
      cats: ['need:nye-venner', 'interest:sport'], notes: 'Studerende fra Tyskland. Skriver helst på e-mail.' },
    { name: 'Amal Hussein', phone: '+45 52 14 67 39', postal: '5240', age: '35-49', lang: 'ar', pref: 'phone', heard: 'municipal_staff', src: 'municipal_referral', share: true,
      cats: ['target_group:familier', 'need:nye-venner'], notes: 'Alene med tre børn. Ønsker, at den ældste søn kommer i gang med en fritidsaktivitet.' },
    { name: 'Jens Bruun', phone: '+45 61 37 20 84', postal: '5250', age: '65-79', lang: 'da', pref: 'phone', heard: 'socialkompas', src: 'portal',
      cats: ['activity:gaatur', 'interest:natur'], notes: 'Nypensioneret. Vil gerne finde nogen at gå ture med.' },
    { name: 'Bent Christiansen', phone: '+45 40 12 87 65', address: 'Kochsgade 14, st. tv., 5000 Odense C', postal: '5000', age: '65-79', lang: 'da', pref: 'phone', heard: 'local_paper', src: 'phone',
      cats: ['activity:kreativt-vaerksted', 'target_group:maend'], notes: 'Så annoncen i avisen. Vil gerne i gang med noget med hænderne.',
      withdraw: { note: 'Borgeren vil vente, til familiens besøg er overstået; er velkommen til at henvende sig igen.' } },
  ],
  silkeborg: [
    { name: 'Gudrun Nissen', phone: '+45 86 82 41 17', postal: '8600', age: '80+', lang: 'da', pref: 'phone', heard: 'socialkompas', src: 'portal',
      cats: ['need:ensomhed', 'target_group:aeldre'], notes: 'Bor alene i huset efter sin mands død. Vil gerne ud blandt andre.' },
    { name: 'Olena Shevchenko', phone: '+45 71 48 20 95', email: 'olena.sh@post.invalid', postal: '8600', age: '35-49', lang: 'uk', pref: 'email', heard: 'association', src: 'portal',
      cats: ['need:at-laere-dansk', 'activity:sprogcafe', 'need:nye-venner'], notes: 'Kom fra Kharkiv med sin datter. Vil gerne tale mere dansk.' },
    { name: 'Per Vestergaard', phone: '+45 40 63 18 52', postal: '8620', age: '65-79', lang: 'da', pref: 'phone', heard: 'local_paper', src: 'phone',
      cats: ['activity:kreativt-vaerksted', 'target_group:maend'], notes: 'Henvender sig igen. Har tid og lyst til et værksted nu.' },
    { name: 'Louise Kragh', phone: '+45 28 19 74 30', email: 'louise.kragh@post.invalid', postal: '8600', age: '25-34', lang: 'da', pref: 'sms', heard: 'socialkompas', src: 'portal',
      cats: ['need:social-angst', 'activity:kor-og-sang'], notes: 'Har haft svært ved at komme ud efter en lang sygemelding. Synger gerne.' },
    { name: 'Mathias Bach', phone: '+45 31 52 86 07', postal: '8680', age: '18-24', lang: 'da', pref: 'sms', heard: 'municipal_staff', src: 'municipal_referral',
      cats: ['target_group:unge', 'activity:naturoplevelser', 'need:nye-venner'], notes: 'Henvist af ungevejlederen med samtykke. Kan lide at være ude.' },
    { name: 'Dawit Tesfay', phone: '+45 50 26 93 41', postal: '8600', age: '25-34', lang: 'ti', pref: 'phone', heard: 'association', src: 'walk_in',
      cats: ['need:nye-venner', 'interest:sport'], decline: { reason: 'no_capacity', note: 'Ingen guide taler tigrinya lige nu; aftalt at prøve igen i foråret.' } },
    { name: 'Aase Kristiansen', phone: '+45 86 81 55 29', postal: '8600', age: '80+', lang: 'da', pref: 'phone', heard: 'relative', src: 'portal',
      cats: ['activity:naturoplevelser', 'interest:natur', 'need:ensomhed'], notes: 'Sønnen har hjulpet med anmodningen. Har altid holdt af skoven.' },
    { name: 'Kenneth Madsen', phone: '+45 22 47 61 83', postal: '8620', age: '50-64', lang: 'da', pref: 'phone', heard: 'municipal_staff', src: 'phone',
      cats: ['activity:kreativt-vaerksted', 'need:struktur-i-hverdagen'], notes: 'Har været ledig i et år. Vil gerne have noget fast i ugen.' },
    { name: 'Hanne Bjerregaard', phone: '+45 86 89 14 02', email: 'hanne.bj@post.invalid', postal: '8680', age: '65-79', lang: 'da', pref: 'email', heard: 'socialkompas', src: 'portal',
      cats: ['activity:gaatur', 'interest:natur', 'need:nye-venner'], notes: 'Flyttet til Ry sidste år. Kender kun naboerne.' },
    { name: 'Villy Andreasen', phone: '+45 86 84 37 71', address: 'Kirkevej 6, 8653 Them', postal: '8653', age: '80+', lang: 'da', pref: 'letter', heard: 'relative', src: 'relative_referral',
      cats: ['target_group:aeldre', 'activity:faellesspisning'], notes: 'Datteren ringede. Villy vil gerne spise sammen med andre.' },
    { name: 'Pernille Dahl', phone: '+45 27 35 80 16', postal: '8600', age: '35-49', lang: 'da', pref: 'sms', heard: 'local_paper', src: 'portal',
      cats: ['need:social-angst', 'activity:havefaellesskab'], notes: 'Vil gerne noget roligt, helst udendørs.' },
    { name: 'Tobias Skov', phone: '+45 42 91 06 58', email: 'tobias.skov@post.invalid', postal: '8600', age: '25-34', lang: 'da', pref: 'sms', heard: 'socialkompas', src: 'portal',
      cats: ['activity:gaatur', 'need:fysisk-aktivitet', 'need:nye-venner'], notes: 'Vil gerne i gang med at bevæge sig og møde nogen.' },
    { name: 'Lis Overgaard', phone: '+45 86 85 22 90', postal: '8600', age: '65-79', lang: 'da', pref: 'phone', heard: 'municipal_staff', src: 'phone',
      cats: ['activity:strikkeklub', 'interest:haandarbejde', 'need:ensomhed'], notes: 'Strikker til børnebørnene, men sidder mest alene.' },
    { name: 'Jette Lund', phone: '+45 23 64 09 15', email: 'jette.lund@post.invalid', postal: '8600', age: '50-64', lang: 'da', pref: 'phone', heard: 'socialkompas', src: 'portal',
      cats: ['activity:gaatur', 'interest:natur', 'need:struktur-i-hverdagen'], notes: 'Vil gerne gå fast om mandagen, men har svært ved at komme af sted alene.' },
    { name: 'Abdi Warsame', phone: '+45 53 78 41 26', postal: '8600', age: '35-49', lang: 'so', pref: 'phone', heard: 'municipal_staff', src: 'municipal_referral',
      cats: ['activity:sprogcafe', 'need:at-laere-dansk'], notes: 'Henvist af jobcentret med samtykke. Vil øve dansk før sin praktik.' },
    { name: 'Karen Margrethe Holm', phone: '+45 86 80 63 48', postal: '8600', age: '65-79', lang: 'da', pref: 'phone', heard: 'association', src: 'walk_in',
      cats: ['activity:kor-og-sang', 'interest:musik'], notes: 'Sang i kirkekor i Vejle og savner at synge sammen med andre.' },
    { name: 'Stine Juhl', phone: '+45 26 13 57 92', email: 'stine.juhl@post.invalid', postal: '8600', age: '25-34', lang: 'da', pref: 'sms', heard: 'socialkompas', src: 'portal', share: true,
      cats: ['need:social-angst', 'need:nye-venner'], notes: 'Vil gerne have følgeskab de første gange i et nyt fællesskab.' },
    { name: 'Erna Thygesen', phone: '+45 86 83 90 24', address: 'Vestre Ringvej 40, 8600 Silkeborg', postal: '8600', age: '80+', lang: 'da', pref: 'letter', heard: 'relative', src: 'relative_referral', share: true,
      cats: ['target_group:aeldre', 'need:ensomhed'], notes: 'Nevøen har kontaktet os. Erna kommer sjældent ud af lejligheden.' },
    { name: 'Michael Brandt', phone: '+45 30 81 25 67', postal: '8600', age: '50-64', lang: 'da', pref: 'phone', heard: 'municipal_staff', src: 'municipal_referral', share: true,
      cats: ['need:struktur-i-hverdagen', 'need:ensomhed'], notes: 'Henvist af sin sagsbehandler. Ønsker faste aftaler i ugen.' },
    { name: 'Nanna Friis', email: 'nanna.friis@post.invalid', postal: '8600', age: '25-34', lang: 'da', pref: 'email', heard: 'other', src: 'portal',
      cats: ['activity:laesekreds', 'interest:kultur', 'need:nye-venner'], notes: 'Læser meget og vil gerne tale med andre om bøgerne.' },
    { name: 'Bodil Jepsen', phone: '+45 86 87 31 59', postal: '8680', age: '65-79', lang: 'da', pref: 'phone', heard: 'local_paper', src: 'portal',
      cats: ['activity:naturoplevelser', 'interest:natur', 'need:ensomhed'], notes: 'Har boet ved Gudenåen hele livet, men kommer ikke længere ud på vandet.' },
    { name: 'Finn Laursen', phone: '+45 40 92 17 38', postal: '8620', age: '50-64', lang: 'da', pref: 'phone', heard: 'municipal_staff', src: 'phone',
      cats: ['activity:kreativt-vaerksted', 'target_group:maend'], notes: 'Tidligere mekaniker. Vil gerne skrue på cykler.' },
    { name: 'Jonas Ibsen', email: 'jonas.ibsen@post.invalid', postal: '8600', age: '18-24', lang: 'da', pref: 'email', heard: 'socialkompas', src: 'portal',
      cats: ['need:nye-venner'], notes: 'Skriver, at han helst vil kontaktes på e-mail.' },
    { name: 'Fadumo Ali', phone: '+45 52 60 84 13', postal: '8600', age: '35-49', lang: 'so', pref: 'phone', heard: 'municipal_staff', src: 'municipal_referral', share: true,
      cats: ['target_group:familier', 'need:nye-venner'], notes: 'Mor til fire. Ønsker, at datteren på elleve kommer i gang med en fritidsaktivitet.' },
    { name: 'Poul Erik Bech', phone: '+45 86 88 46 05', postal: '8600', age: '65-79', lang: 'da', pref: 'phone', heard: 'socialkompas', src: 'portal',
      cats: ['activity:gaatur', 'interest:natur'], notes: 'Vil gerne gå ture med andre om formiddagen.' },
    { name: 'Per Vestergaard', phone: '+45 40 63 18 52', postal: '8620', age: '65-79', lang: 'da', pref: 'phone', heard: 'local_paper', src: 'phone',
      cats: ['activity:kreativt-vaerksted', 'target_group:maend'], notes: 'Så en artikel om værkstedet i Kjellerup.',
      withdraw: { note: 'Borgeren trak anmodningen: har fået travlt med at hjælpe sin søn med et husbyggeri.' } },
  ],
};

// What the guide wrote after the conversation, by the agreed next step.
function summaryFor(story, cit, world) {
  const first = cit.name.split(' ')[0];
  const target = story.course ? world.assoc(story.course.target).name
    : story.referrals ? world.assoc(story.referrals[0].to).name
    : story.signpost ? world.assoc(story.signpost.to).name : null;
  switch (story.next || (story.course ? 'course' : story.referrals ? 'referral' : story.signpost ? 'signposting' : 'none')) {
    case 'course':
      return target
        ? `Vi talte om, hvad ${first} savner i hverdagen, og så sammen på socialkompas. ${first} vil gerne prøve ${target}, men ikke alene de første gange. Vi aftalte et forløb med følgeskab.`
        : `Vi talte om, hvad ${first} savner i hverdagen, og så sammen på socialkompas. ${first} vil gerne prøve et par fællesskaber med følgeskab; koordinatoren laver forløbet.`;
    case 'referral':
      return `${first} har brug for mere følgeskab, end en Kompasguide kan give. Vi talte om følgeskabsordningen hos ${target}, og ${first} gav samtykke til, at navn og telefon deles med foreningen.`;
    case 'signposting':
      return `${first} har selv fundet ${target} på socialkompas og har mod på at gå derhen alene. Vi aftalte, at ${first} ringer, hvis det bliver svært.`;
    case 'another_conversation':
      return `En god første samtale. ${first} vil gerne tænke over mulighederne; vi mødes igen om to uger og kigger på socialkompas sammen.`;
    default:
      return `Samtale med ${first}.`;
  }
}

const VISIT_NOTES = [
  'Første gang. Velkomstpersonen tog godt imod os og viste rundt.',
  'Gik fint. Fik en aftale med en af de andre om at følges næste gang.',
  null,
  'Borgeren var mere tryg i dag og talte med flere af de andre.',
  null,
  'Sidste gang med følgeskab; borgeren fortsætter selv.',
];

// WHO-5 (five items 0-5) and UCLA-3 (three items 1-4) answers: lower
// wellbeing and more loneliness at baseline, better at course end and
// follow-up (unless the course stopped).
function answers(r, timepoint, stopped) {
  const base = { baseline: [2, 3], course_end: stopped ? [2, 3] : [3, 2], follow_up: stopped ? [2, 3] : [3, 2] }[timepoint];
  const who5 = Array.from({ length: 5 }, () => Math.max(0, Math.min(5, base[0] + Math.round(r() * 2 - 1))));
  const ucla3 = Array.from({ length: 3 }, () => Math.max(1, Math.min(4, base[1] + Math.round(r() * 2 - 1))));
  if (timepoint === 'follow_up' && !stopped) who5[0] = Math.min(5, who5[0] + 1);
  return { who5, ucla3 };
}

// The story k days earlier: every day in it plus k.
function shifted(story, k) {
  const d = (x) => (x === undefined ? x : x + k);
  const s = { ...story, age: d(story.age), conv: d(story.conv), withdraw: d(story.withdraw) };
  if (story.signpost) s.signpost = { ...story.signpost, at: d(story.signpost.at) };
  if (story.course) {
    const c = story.course;
    s.course = {
      ...c, at: d(c.at), visits: c.visits.map(d), alone: c.alone?.map(d), missed: c.missed?.map(d),
      end: c.end && { ...c.end, on: d(c.end.on) }, followUp: c.followUp && { ...c.followUp, on: d(c.followUp.on) },
    };
  }
  if (story.referrals) s.referrals = story.referrals.map((f) => ({ ...f, at: d(f.at), answers: f.answers.map(([to, x]) => [to, d(x)]) }));
  if (story.close) s.close = { ...story.close, at: d(story.close.at) };
  return s;
}

// ------------------------------------------------------------------ playing

const marks = []; // { request_id, real, sim }: see --timeline
const counts = {};

function count(centre, what, key) {
  const c = (counts[centre] ||= {});
  const m = (c[what] ||= {});
  m[key] = (m[key] || 0) + 1;
}

// The world of one centre as the API shows it.
async function loadWorld(centre) {
  const w = { slug: centre.slug };
  w.coordinator = await login(centre.coordinator);
  w.guide = await login(centre.guide);
  w.association = await login(centre.association);

  const me = await api(w.coordinator, 'GET', '/v1/me');
  w.centreId = me.centre_id;
  const existing = await api(w.coordinator, 'GET', '/v1/requests?limit=1');
  if (existing.items.length > 0) {
    throw new DemoError(`the centre ${centre.slug} has requests already: the demo requests are loaded once, into a database that has none`);
  }

  const cats = await all(w.coordinator, '/v1/categories?limit=200');
  w.cat = new Map(cats.filter((c) => c.centre_id === null).map((c) => [`${c.kind}:${c.slug}`, c.id]));
  const assocs = await all(w.coordinator, '/v1/associations?limit=200');
  w.assocs = new Map(assocs.map((a) => [a.name, a]));
  w.assoc = (role) => {
    const name = ROLES[centre.slug][role];
    const a = w.assocs.get(name);
    if (!a) throw new DemoError(`the association "${name}" of ${centre.slug} is missing: load tools/demo-data.sql into an empty database first`);
    return a;
  };
  for (const role of Object.keys(ROLES[centre.slug])) w.assoc(role);

  const mine = await api(w.guide, 'GET', '/v1/me/volunteer');
  w.demoVolunteer = mine.id;
  const myAccount = await api(w.association, 'GET', '/v1/me');
  w.associationAccountId = myAccount.account.id;
  const accounts = await all(w.coordinator, '/v1/accounts?limit=200');
  const contact = accounts.find((a) => a.id === w.associationAccountId);
  w.contactAssociation = contact?.association_id || null;

  const vols = await all(w.coordinator, '/v1/volunteers?status=active&limit=200');
  if (!vols.some((v) => v.id === w.demoVolunteer)) {
    throw new DemoError(`the demo guide ${centre.guide} is not linked to an active volunteer: load tools/demo-data.sql first`);
  }
  w.volunteers = vols.map((v) => ({ ...v, load: 0 }));

  // The associations' occurrences of the last five weeks, for the visits.
  const from = dateOf(TODAY - 36 * DAY);
  const to = dateOf(TODAY - DAY);
  w.pastEvents = await all(w.coordinator, `/v1/events?from=${from}&to=${to}&kind=activity&limit=200`);
  return w;
}

// Who takes the citizen: the demo guide when the story says so, else an
// active guide who speaks the citizen's language and covers the postal
// code, with room for one more (open requests only count).
function pickVolunteer(w, story, cit) {
  const open = !['closed', 'withdrawn', 'declined'].includes(story.final);
  if (story.guide === 'demo') {
    const v = w.volunteers.find((x) => x.id === w.demoVolunteer);
    if (open) v.load++;
    return v;
  }
  const candidates = w.volunteers.filter((v) => v.id !== w.demoVolunteer && (!open || v.load < v.capacity));
  const pool = candidates.length ? candidates : w.volunteers.filter((v) => v.id !== w.demoVolunteer);
  const score = (v) => (v.languages.includes(cit.lang) ? 4 : 0) + (v.postal_areas.includes(cit.postal) ? 2 : 0) - v.load;
  const v = pool.reduce((best, x) => (score(x) > score(best) ? x : best), pool[0]);
  if (open) v.load++;
  return v;
}

// One citizen's story. when(d, h) is the pretended time of the next call:
// d days ago at about h o'clock, and always after the story's last call.
async function play(w, centre, story, cit, index, r) {
  let id = null;
  let last = 0;
  const when = (days, hour = 9) => {
    let t = Math.min(at(days, hour) + Math.floor(r() * 50) * 60000, NOW - 10 * 60000);
    if (t <= last) t = last + 7 * 60000 + Math.floor(r() * 20 * 60000);
    last = t;
    return t;
  };
  // Call the API for this request, noting the pretended time.
  const call = async (token, method, path, body, days, hour, expect) => {
    const sim = when(days, hour);
    const real = Date.now();
    const res = await api(token, method, path, body, expect);
    if (id) marks.push({ request_id: id, real, sim });
    return res;
  };

  const assigned = ['received', 'accepted', 'declined'].includes(story.final) ? null
    : pickVolunteer(w, story, cit);
  const byDemo = assigned && assigned.id === w.demoVolunteer;
  const actor = byDemo ? w.guide : w.coordinator;
  const C = w.coordinator;

  // --- the request comes in (two citizens say no to statistics, two to
  // being followed up; none of them is measured or followed up)
  const consents = [
    { purpose: 'contact', given: true, text_version: CONSENT_TEXT },
    { purpose: 'statistics', given: !['a2', 'x3'].includes(story.key), text_version: CONSENT_TEXT },
    { purpose: 'follow_up', given: !['a1', 'p1'].includes(story.key), text_version: CONSENT_TEXT },
  ];
  if (cit.share) consents.push({ purpose: 'share_with_association', given: true, text_version: CONSENT_TEXT });
  const citizen = { name: cit.name };
  for (const f of ['phone', 'email', 'address', 'notes']) if (cit[f]) citizen[f] = cit[f];
  const categories = cit.cats.map((k) => {
    const c = w.cat.get(k);
    if (!c) throw new DemoError(`the shared category ${k} is missing`);
    return c;
  });
  const body = {
    citizen, postal_code: cit.postal, age_band: cit.age, preferred_language: cit.lang,
    contact_preference: cit.pref, heard_from: cit.heard, categories, consents,
  };
  const portal = cit.src === 'portal';
  if (portal) body.portal_reference = `${centre.refPrefix}-${String(24100 + index * 7 + Math.floor(r() * 5)).padStart(6, '0')}`;
  else body.source = cit.src;
  const createdHour = 7 + Math.floor(r() * 8);
  const createdSim = when(story.age, createdHour);
  const createdReal = Date.now();
  const created = await api(portal ? w.portal : C, 'POST', '/v1/requests', body, [201]);
  id = created.id;
  if (!id) throw new DemoError('POST /v1/requests: no id in the answer');
  marks.push({ request_id: id, real: createdReal, sim: createdSim });
  const path = `/v1/requests/${id}`;
  const step = (token, to, days, extra = {}, hour = 10) =>
    call(token, 'POST', `${path}/transitions`, { to, ...extra }, days, hour);

  if (story.final === 'received') return done();

  if (cit.decline) {
    await step(C, 'declined', story.age - 1, { reason: cit.decline.reason, note: cit.decline.note });
    return done();
  }

  // --- triage and matching
  const d0 = story.age;
  await step(C, 'accepted', d0 - 1, {}, 9);
  if (story.final === 'accepted') return done();
  await step(C, 'guide_assigned', d0 - 2, { volunteer_id: assigned.id }, 11);
  if (story.final === 'guide_assigned') return done();
  if (story.close?.reason === 'unreachable') {
    await step(C, 'closed', story.close.at, { reason: 'unreachable', note: story.close.note });
    return done();
  }

  // --- first contact
  await step(actor, 'contacted', d0 - Math.min(4, Math.max(2, Math.floor(d0 / 5))), {}, 14);
  if (story.final === 'contacted') return done();
  if (cit.withdraw) {
    await call(C, 'POST', `${path}/consents`, { consents: [{ purpose: 'follow_up', given: false, text_version: CONSENT_TEXT }] }, story.withdraw, 9);
    await step(C, 'withdrawn', story.withdraw, { reason: 'withdrawn', note: cit.withdraw.note }, 13);
    return done();
  }

  // --- the clarifying conversation (the guide's, recorded by them or the coordinator)
  const conv = {
    held_on: dateOf(at(story.conv)), duration_minutes: 45 + Math.floor(r() * 7) * 5,
    summary: summaryFor(story, cit, w),
    next_step: story.next || (story.course ? 'course' : story.referrals ? 'referral' : story.signpost ? 'signposting' : 'none'),
  };
  if (!byDemo) conv.volunteer_id = assigned.id;
  await call(actor, 'POST', `${path}/conversations`, conv, story.conv, 15, [201]);
  count(centre.slug, 'conversations', 'all');
  if (story.baseline) await measure(story.conv, 'baseline', null, false);

  // --- what came of it
  if (story.course) await course(story.course);
  for (const ref of story.referrals || []) await refer(ref);
  if (story.signpost) await step(C, 'signposted', story.signpost.at, { note: `Selv videre til ${w.assoc(story.signpost.to).name}.` });
  if (story.close) await step(C, 'closed', story.close.at, { reason: story.close.reason, note: story.close.note }, 12);
  return done();

  async function measure(days, timepoint, courseId, stopped) {
    const a = answers(r, timepoint, stopped);
    const common = { timepoint, taken_on: dateOf(at(days)), mode: r() < 0.6 ? 'helped' : 'alone' };
    if (courseId) common.course_id = courseId;
    await call(actor, 'POST', `${path}/measurements`, { instrument: 'who5', instrument_version: 'da-1998', answers: a.who5, ...common }, days, 15, [201]);
    await call(actor, 'POST', `${path}/measurements`, { instrument: 'ucla3', instrument_version: 'da-sundhedsprofil', answers: a.ucla3, ...common }, days, 15, [201]);
    count(centre.slug, 'measurements', timepoint);
    count(centre.slug, 'measurements', timepoint);
  }

  async function course(plan) {
    const target = w.assoc(plan.target);
    const planned = dateOf(at(plan.at) + (plan.planned * 7 + 14) * DAY);
    const made = await call(C, 'POST', `${path}/courses`, { planned_visits: plan.planned, planned_end: planned, association_id: target.id }, plan.at, 10, [201]);
    const cpath = `/v1/courses/${made.id}`;
    let n = 0;
    for (const days of plan.visits) {
      // the association's occurrence nearest that day, when there is one
      const want = TODAY - days * DAY;
      const occ = w.pastEvents
        .filter((e) => e.association_id === target.id && !e.cancelled)
        .map((e) => ({ e, off: Math.abs(Date.parse(e.starts_at.slice(0, 10)) - want) }))
        .filter((x) => x.off <= 3 * DAY)
        .sort((a, b) => a.off - b.off)[0];
      const day = occ ? Math.round((TODAY - Date.parse(occ.e.starts_at.slice(0, 10))) / DAY) : days;
      const came = !(plan.missed || []).includes(days);
      const alone = (plan.alone || []).includes(days);
      const visit = {
        visited_on: dateOf(TODAY - day * DAY), citizen_came: came, guide_went: !alone,
        minutes: alone ? 15 : came ? 90 + Math.floor(r() * 5) * 15 : 30,
        association_id: target.id,
        note: came ? VISIT_NOTES[n % VISIT_NOTES.length] : 'Borgeren meldte afbud samme morgen; vi aftalte næste gang.',
      };
      if (occ) visit.event_id = occ.e.id;
      await call(actor, 'POST', `${cpath}/visits`, visit, day, 17, [201]);
      count(centre.slug, 'visits', 'all');
      n++;
    }
    let state = plan.visits.length ? 'active' : 'planned';
    if (plan.end) {
      await call(actor, 'POST', `${cpath}/transitions`, { to: plan.end.to, outcome: plan.end.outcome, on: dateOf(at(plan.end.on)) }, plan.end.on, 12);
      state = plan.end.to;
      await measure(plan.end.on, 'course_end', made.id, plan.end.outcome === 'stopped');
    }
    if (plan.followUp) {
      await call(actor, 'POST', `${cpath}/follow-up`, { result: plan.followUp.result, on: dateOf(at(plan.followUp.on)) }, plan.followUp.on, 11);
      await measure(plan.followUp.on, 'follow_up', made.id, plan.end.outcome === 'stopped');
      count(centre.slug, 'follow-ups', plan.followUp.result);
    }
    count(centre.slug, 'courses', state);
  }

  async function refer(ref) {
    const target = w.assoc(ref.to);
    const made = await call(C, 'POST', `${path}/referrals`, {
      association_id: target.id,
      scheme_note: `Følgeskabsordningen hos ${target.name}.`,
    }, ref.at, 11, [201]);
    let state = 'sent';
    for (const [to, days] of ref.answers) {
      // the association's contact answers when the demo has one for it
      const token = target.id === w.contactAssociation ? w.association : C;
      await call(token, 'POST', `/v1/referrals/${made.id}/transitions`, { to }, days, 13);
      state = to;
    }
    count(centre.slug, 'referrals', state);
  }

  function done() {
    count(centre.slug, 'requests', story.final);
    return id;
  }
}

// ------------------------------------------------------------------ output

function timelineSql() {
  const lit = (s) => `'${s}'`;
  const iso = (t) => new Date(t).toISOString();
  const rows = marks.map((m) => `  (${lit(m.request_id)}, ${lit(iso(m.real))}, ${lit(iso(m.sim))})`).join(',\n');
  return `-- Written by tools/demo-load.mjs: moves the timestamps of the demo requests'
-- rows from the time the loader called the API to the time each step
-- pretends to have happened (see the top of tools/demo-load.mjs). A mark
-- (request, real, sim) says: what the API stamped at or after "real" (until
-- the request's next mark) happened at "sim" plus the same offset. Run once,
-- as the schema owner. The access log is left as it is.
BEGIN;
CREATE TEMP TABLE demo_mark (request_id uuid NOT NULL, real_at timestamptz NOT NULL,
                             sim_at timestamptz NOT NULL) ON COMMIT DROP;
INSERT INTO demo_mark (request_id, real_at, sim_at) VALUES
${rows};
CREATE INDEX ON demo_mark (request_id, real_at);
CREATE FUNCTION pg_temp.demo_warp(p_request uuid, p_at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT m.sim_at + (p_at - m.real_at) FROM demo_mark m
                      WHERE m.request_id = p_request AND m.real_at <= p_at
                      ORDER BY m.real_at DESC LIMIT 1), p_at)
$$;
UPDATE request SET created_at = pg_temp.demo_warp(id, created_at),
                   updated_at = pg_temp.demo_warp(id, updated_at),
                   first_contact_at = pg_temp.demo_warp(id, first_contact_at),
                   closed_at = pg_temp.demo_warp(id, closed_at)
 WHERE id IN (SELECT request_id FROM demo_mark);
UPDATE request_event SET at = pg_temp.demo_warp(request_id, at)
 WHERE request_id IN (SELECT request_id FROM demo_mark);
UPDATE request_consent SET at = pg_temp.demo_warp(request_id, at)
 WHERE request_id IN (SELECT request_id FROM demo_mark);
UPDATE conversation SET created_at = pg_temp.demo_warp(request_id, created_at)
 WHERE request_id IN (SELECT request_id FROM demo_mark);
UPDATE course SET created_at = pg_temp.demo_warp(request_id, created_at),
                  updated_at = pg_temp.demo_warp(request_id, updated_at)
 WHERE request_id IN (SELECT request_id FROM demo_mark);
UPDATE visit v SET created_at = pg_temp.demo_warp(c.request_id, v.created_at)
  FROM course c WHERE c.id = v.course_id AND c.request_id IN (SELECT request_id FROM demo_mark);
UPDATE referral SET sent_at = pg_temp.demo_warp(request_id, sent_at),
                    answered_at = pg_temp.demo_warp(request_id, answered_at),
                    completed_at = pg_temp.demo_warp(request_id, completed_at),
                    created_at = pg_temp.demo_warp(request_id, created_at),
                    updated_at = pg_temp.demo_warp(request_id, updated_at)
 WHERE request_id IN (SELECT request_id FROM demo_mark);
UPDATE measurement SET created_at = pg_temp.demo_warp(request_id, created_at)
 WHERE request_id IN (SELECT request_id FROM demo_mark);
COMMIT;
`;
}

const ORDER = {
  requests: ['received', 'accepted', 'declined', 'guide_assigned', 'contacted', 'conversation_held',
    'course_started', 'referred', 'signposted', 'closed', 'withdrawn'],
  courses: ['planned', 'active', 'completed', 'ended_early'],
  referrals: ['sent', 'accepted', 'declined', 'completed'],
};

function summary(slug, name) {
  const c = counts[slug] || {};
  const fmt = (what) => Object.entries(c[what] || {})
    .sort(([a], [b]) => ORDER[what].indexOf(a) - ORDER[what].indexOf(b))
    .map(([k, v]) => `${k} ${v}`).join(', ');
  const total = (m) => Object.values(m || {}).reduce((a, b) => a + b, 0);
  return [
    `  ${name}: ${total(c.requests)} requests (${fmt('requests')})`,
    `    ${total(c.conversations)} conversations; ${total(c.courses)} courses (${fmt('courses')}) with ${total(c.visits)} visits;`
      + ` ${total(c['follow-ups'])} follow-ups; ${total(c.referrals)} referrals (${fmt('referrals')}); ${total(c.measurements)} measurements`,
  ].join('\n');
}

// --------------------------------------------------------------------- main

async function main() {
  const ready = await fetch(`${opts.base}/readyz`).catch((e) => {
    throw new DemoError(`no answer from ${opts.base}/readyz (${e.cause?.code || e.message}): is kompasd running?`);
  });
  if (ready.status !== 200) throw new DemoError(`${opts.base}/readyz answered ${ready.status}: kompasd is not ready`);

  // Read and check everything first: nothing is made unless both centres
  // are ready for it.
  const worlds = [];
  for (const centre of CENTRES) worlds.push([centre, await loadWorld(centre)]);
  for (const [centre, w] of worlds) {
    const key = await api(w.coordinator, 'POST', '/v1/api-keys', { name: `socialkompas ${centre.slug} (demo)`, role: 'portal' }, [201]);
    w.portal = key.key;
  }
  for (const [centre, w] of worlds) {
    const r = rng(centre.slug === 'odense' ? 5000 : 8600);
    const cits = CITIZENS[centre.slug];
    if (cits.length !== STORIES.length) throw new Error(`${centre.slug}: ${cits.length} citizens for ${STORIES.length} stories`);
    // Silkeborg's stories happened a day or two earlier than Odense's.
    const stories = STORIES.map((s) => (centre.slug === 'odense' ? s : shifted(s, Math.floor(r() * 3))));
    // oldest first, as they came in
    const order = stories.map((s, i) => i).sort((a, b) => stories[b].age - stories[a].age);
    for (const i of order) await play(w, centre, stories[i], cits[i], i, r);
  }
  if (opts.timeline) fs.writeFileSync(opts.timeline, timelineSql());
  if (opts.keys) {
    fs.writeFileSync(opts.keys, worlds.map(([c, w]) => `${c.slug} ${w.portal}\n`).join(''), { mode: 0o600 });
  }
  const me = await Promise.all(worlds.map(([, w]) => api(w.coordinator, 'GET', '/v1/me')));
  const centres = await api(null, 'GET', '/v1/centres');
  const nameOf = (id) => (centres.items || []).find((c) => c.id === id)?.name || id;
  process.stdout.write(`demo-load: made through the API (${calls} calls):\n`);
  worlds.forEach(([c], i) => process.stdout.write(`${summary(c.slug, nameOf(me[i].centre_id))}\n`));
}

main().catch((e) => {
  if (e instanceof DemoError) {
    process.stderr.write(`demo-load: ${e.message}\n`);
  } else {
    process.stderr.write(`demo-load: ${e.stack || e}\n`);
  }
  process.exit(1);
});
