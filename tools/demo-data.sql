-- Demo data for `make run`: the first two volunteer centres of
-- "Flere i fællesskab" (Odense and Silkeborg), a demo account for each role,
-- and around them a believable world: associations (the partner
-- associations named in the project description and fictional
-- kompasfællesskaber), volunteers in every status with trainings and record
-- checks, and events from a month ago to three months ahead.
--
-- Loaded once, into an empty (migrated) database, as the schema owner, in
-- one transaction. Every date is relative to the day it is loaded.
-- Everything here is fictional: people, e-mail addresses (.invalid), phone
-- numbers and street addresses; only the partner associations' names are
-- real. Every demo account's password is kompas-demo-2026 (argon2id below).
--
-- The citizens' requests, conversations, courses, visits, referrals and
-- measurements are NOT here: their personal data is sealed with a key only
-- kompasd holds, so tools/demo-load.mjs makes them through the API
-- afterwards (tools/dev-run.sh runs it once kompasd listens).

BEGIN;

-- ------------------------------------------------------------------ centres

INSERT INTO centre (id, slug, name, municipality, postal_code, email, phone, website, cors_origins) VALUES
  ('a0000000-0000-4000-8000-000000000001', 'odense', 'Frivilligcenter Odense', 'Odense', '5000',
   'kontakt@odense.frivilligcenter.invalid', '+4566000000', 'https://odense.socialkompas.dk',
   '{https://odense.socialkompas.dk}'),
  ('a0000000-0000-4000-8000-000000000002', 'silkeborg', 'Frivilligcenter Silkeborg', 'Silkeborg', '8600',
   'kontakt@silkeborg.frivilligcenter.invalid', '+4586000000', 'https://silkeborg.socialkompas.dk',
   '{https://silkeborg.socialkompas.dk}');

-- ----------------------------------------------------------------- accounts

INSERT INTO account (email, display_name, role, centre_id, password_hash)
SELECT email, display_name, role, centre_id::uuid,
       '$argon2id$v=19$m=65536,t=2,p=1$oJSPmbfj8nO7rOTy28BAHQ$joh+LUJX4UuBmGSxGD0ZDDOC7llKQCISRoN0Ew4YM3A'
FROM (VALUES
  ('admin@kompas.demo',              'Anne Admin',          'admin',       NULL),
  ('analytiker@frise.demo',          'Frida Analytiker',    'analyst',     NULL),
  ('koordinator@odense.demo',        'Karen Koordinator',   'coordinator', 'a0000000-0000-4000-8000-000000000001'),
  ('guide@odense.demo',              'Gustav Guide',        'guide',       'a0000000-0000-4000-8000-000000000001'),
  ('forening@odense.demo',           'Fatima Forening',     'association', 'a0000000-0000-4000-8000-000000000001'),
  ('koordinator@silkeborg.demo',     'Søren Koordinator',   'coordinator', 'a0000000-0000-4000-8000-000000000002'),
  ('guide@silkeborg.demo',           'Sofie Guide',         'guide',       'a0000000-0000-4000-8000-000000000002'),
  ('forening@silkeborg.demo',        'Frederik Forening',   'association', 'a0000000-0000-4000-8000-000000000002')
) AS d (email, display_name, role, centre_id);

-- ------------------------------------------------------------- associations
-- trained: days since the welcome (inclusion) training, NULL when not yet;
-- places_age: days since newcomer_places was set (over 90 shows as stale on
-- the coordinators' work list), NULL with places NULL (unknown).

CREATE TEMP TABLE demo_assoc (
    centre text, name text, description text, address text, postal_code text,
    latitude double precision, longitude double precision,
    contact_name text, contact_email text, contact_phone text, website text,
    is_member boolean, scheme_for text, scheme_how_to_refer text,
    trained integer, places integer, places_age integer, age integer, cats text[]
) ON COMMIT DROP;

INSERT INTO demo_assoc VALUES
-- Odense: the four partners with their own accompaniment schemes ...
  ('odense', 'Et Fælles Skridt',
   'Frivillige følgevenner, der går med voksne det første stykke vej ind i et fællesskab: en forening, en aktivitet, en hobby. Metodepartner i Flere i fællesskab.',
   'Østergade 40, 1. sal', '5000', 55.3963, 10.3905,
   'Louise Brandt', 'louise.brandt@etfaellesskridt.invalid', '+4561223344', NULL, true,
   'Voksne, der er ensomme eller socialt isolerede og har svært ved at tage det første skridt ind i et fællesskab.',
   'Send en henvisning i Kompas. Koordinatoren ringer borgeren op inden for en uge; borgeren skal have givet samtykke til, at navn og telefon deles med foreningen.',
   120, 6, 10, 400, '{target_group:psykisk-saarbare,need:ensomhed,need:social-angst,need:nye-venner}'),
  ('odense', 'Ældre Sagen Odense',
   'Lokalafdelingen af Ældre Sagen: besøgsvenner, motion, foredrag, frokostklub og følgeskab for ældre.',
   'Klostervej 28', '5000', 55.4010, 10.3830,
   'Jørgen Lauridsen', 'joergen.lauridsen@aeldresagen-odense.invalid', '+4566112233', 'https://www.aeldresagen.dk', true,
   'Ældre over 65, der er ensomme eller har svært ved at komme ud alene.',
   'Ring til følgeskabskoordinatoren tirsdag 10-12 eller send en henvisning i Kompas.',
   200, 10, 40, 420, '{target_group:aeldre,need:ensomhed,activity:faellesspisning,activity:gaatur}'),
  ('odense', 'Red Barnet Odense',
   'Fritidsvenner og familievenner: frivillige, der følger børn og unge til fritidsaktiviteter og støtter familier i hverdagen.',
   'Kongensgade 70', '5000', 55.3958, 10.3829,
   'Maja Kjær', 'maja.kjaer@redbarnet-odense.invalid', '+4566334455', 'https://redbarnet.dk', true,
   'Børn og unge fra 6 til 17 år og deres familier, der har brug for en voksen til at komme i gang med en fritidsaktivitet.',
   'Henvis i Kompas med forældrenes samtykke. Red Barnet holder et opstartsmøde med familien, før en fritidsven matches.',
   NULL, 3, 120, 380, '{target_group:familier,target_group:unge,target_group:nydanskere,need:nye-venner}'),
  ('odense', 'Social Sundhed Odense',
   'Sundhedsfaglige frivillige, der ledsager socialt udsatte borgere til læge, tandlæge og andre aftaler i sundhedsvæsenet - og videre ud i fællesskaber.',
   'Vindegade 74', '5000', 55.3985, 10.3760,
   'Anders Bruun', 'anders.bruun@socialsundhed-odense.invalid', '+4566445566', NULL, true,
   'Socialt udsatte voksne, der har brug for en frivillig ved sin side i mødet med sundhedsvæsenet og på vej ind i et fællesskab.',
   'Henvis i Kompas; Social Sundhed kontakter borgeren inden for 14 dage.',
   60, 4, 5, 360, '{target_group:psykisk-saarbare,need:struktur-i-hverdagen}'),
-- ... and kompasfællesskaber (fictional)
  ('odense', 'Strik & Snak Vollsmose',
   'Vi strikker, hækler og drikker kaffe hver tirsdag. Garn og pinde kan lånes, og begyndere er meget velkomne.',
   'Vollsmose Allé 16', '5240', 55.4080, 10.4360,
   'Birthe Jensen', 'birthe@strikogsnak.invalid', '+4523456781', NULL, true, NULL, NULL,
   90, 5, 20, 300, '{activity:strikkeklub,interest:haandarbejde,target_group:aeldre,target_group:nydanskere}'),
  ('odense', 'Gåklubben Fynske Fødder',
   'Rolige gåture på 3-5 km fra Munke Mose hver onsdag. Vi går i samlet flok i alle slags vejr og slutter med kaffe.',
   'Munke Mose, ved Frederiksbroen', '5000', 55.3920, 10.3800,
   'Poul Andersen', 'poul@fynskefoedder.invalid', '+4524567812', NULL, true, NULL, NULL,
   30, 15, 15, 340, '{activity:gaatur,activity:motion,interest:natur,need:fysisk-aktivitet}'),
  ('odense', 'Fællesspisning i Bolbro',
   'Vi laver mad og spiser sammen hver anden torsdag. 40 kr. for tre retter; hjælp i køkkenet er frivillig.',
   'Stadionvej 50', '5200', 55.3890, 10.3560,
   'Hanne Rasmussen', 'hanne@spisbolbro.invalid', '+4525678123', NULL, true, NULL, NULL,
   NULL, 8, 200, 320, '{activity:faellesspisning,interest:madlavning,need:nye-venner,need:ensomhed}'),
  ('odense', 'Åbent Sangkor Odense',
   'Et kor uden optagelsesprøve: vi synger danske sange og sange fra hele verden. Ingen krav om nodekendskab.',
   'Filosofgangen 30', '5000', 55.3940, 10.3850,
   'Ida Storm', 'ida@aabentsangkor.invalid', '+4526781234', NULL, true, NULL, NULL,
   150, 10, 30, 310, '{activity:kor-og-sang,interest:musik,interest:kultur}'),
  ('odense', 'Havefællesskabet Rosenhaven',
   'Fælles køkkenhave med højbede, frugttræer og bål. Vi mødes lørdag formiddag; om vinteren drikker vi kaffe i drivhuset og planlægger næste sæson.',
   'Rosenhavevej 3', '5220', 55.3790, 10.4230,
   'Kasper Mikkelsen', 'kasper@rosenhaven.invalid', '+4527812345', NULL, false, NULL, NULL,
   NULL, 6, 60, 200, '{activity:havefaellesskab,activity:naturoplevelser,interest:natur}'),
  ('odense', 'Sprogcafé Dalum',
   'Øv dansk i en hyggelig snak med frivillige. For nydanskere på alle niveauer - også dig, der lige er begyndt.',
   'Dalumvej 3', '5250', 55.3720, 10.3690,
   'Nadia Hansen', 'nadia@sprogcafedalum.invalid', '+4528123456', NULL, true, NULL, NULL,
   45, 12, 12, 290, '{activity:sprogcafe,target_group:nydanskere,need:at-laere-dansk}'),
  ('odense', 'Mændenes Værksted Odense',
   'Et værksted for mænd, der vil bruge hænderne: træ, cykler og små reparationer - og en kop kaffe og en snak.',
   'Rugårdsvej 100', '5210', 55.4030, 10.3480,
   'Erik Mortensen', 'erik@maendensvaerksted.invalid', '+4529234567', NULL, true, NULL, NULL,
   75, 4, 25, 280, '{activity:kreativt-vaerksted,target_group:maend,need:struktur-i-hverdagen}'),
  ('odense', 'Brætspilsklubben Terningen',
   'Brætspil for voksne hver anden fredag. Vi lærer dig spillene; du behøver ikke kende reglerne.',
   'Overgade 23', '5000', 55.3965, 10.3880,
   'Rasmus Kirk', 'rasmus@terningen.invalid', '+4520345678', NULL, false, NULL, NULL,
   NULL, NULL, NULL, 150, '{activity:braetspil,interest:spil,target_group:unge}'),
-- Silkeborg: partners with schemes ...
  ('silkeborg', 'Ældre Sagen Silkeborg',
   'Lokalafdelingen af Ældre Sagen: onsdagscafé, gåture, besøgsvenner og følgevenner til aktiviteter.',
   'Vestergade 22', '8600', 56.1690, 9.5470,
   'Gitte Nørgaard', 'gitte.noergaard@aeldresagen-silkeborg.invalid', '+4586112233', 'https://www.aeldresagen.dk', true,
   'Ældre over 65, der gerne vil i gang med en aktivitet, men ikke har lyst til at gå alene de første gange.',
   'Henvis i Kompas; følgevenskoordinatoren ringer borgeren op og aftaler et første møde.',
   100, 8, 20, 400, '{target_group:aeldre,need:ensomhed,activity:gaatur}'),
  ('silkeborg', 'Red Barnet Silkeborg',
   'Lektiecafé og fritidsvenner: frivillige, der hjælper børn og unge i gang med en fritidsaktivitet.',
   'Hostrupsgade 41', '8600', 56.1650, 9.5500,
   'Thomas Vinther', 'thomas.vinther@redbarnet-silkeborg.invalid', '+4586223344', 'https://redbarnet.dk', true,
   'Børn og unge fra 6 til 17 år, især i familier, der er nye i Danmark.',
   'Henvis i Kompas med forældrenes samtykke; Red Barnet inviterer familien til en snak.',
   140, 4, 50, 380, '{target_group:familier,target_group:unge,target_group:nydanskere}'),
  ('silkeborg', 'Følgevennerne Silkeborg',
   'Frivillige følgevenner for voksne, der har været psykisk sårbare og vil tilbage i fællesskaber. Vi går med, til du selv kan.',
   'Tværgade 9', '8600', 56.1700, 9.5520,
   'Lise Damgaard', 'lise@foelgevennerne.invalid', '+4586334455', NULL, true,
   'Voksne med psykisk sårbarhed, der vil tilbage i et fællesskab i eget tempo.',
   'Henvis i Kompas; en følgeven ringer borgeren op inden for ti dage.',
   30, 5, 8, 300, '{target_group:psykisk-saarbare,need:social-angst,need:nye-venner}'),
-- ... and kompasfællesskaber (fictional)
  ('silkeborg', 'Gåklubben Søhøjlandet',
   'Gåture langs Langsø og gennem Nordskoven hver mandag formiddag. Tempoet er roligt, og ingen bliver ladt tilbage.',
   'P-pladsen ved Lunden', '8600', 56.1710, 9.5580,
   'Karsten Bjerre', 'karsten@gaaklubben-soehoejlandet.invalid', '+4521456789', NULL, true, NULL, NULL,
   80, 20, 14, 330, '{activity:gaatur,activity:motion,interest:natur,need:fysisk-aktivitet}'),
  ('silkeborg', 'Strikkeklubben Masken',
   'Strik, hækling og broderi onsdag aften. Vi deler mønstre, hjælper hinanden og griner meget.',
   'Tietgensgade 3', '8600', 56.1660, 9.5440,
   'Merete Skov', 'merete@masken.invalid', '+4522567891', NULL, true, NULL, NULL,
   NULL, 6, 100, 260, '{activity:strikkeklub,interest:haandarbejde}'),
  ('silkeborg', 'Fællesspisning i Alderslyst',
   'Fællesspisning hver anden torsdag: vi laver maden sammen og spiser ved lange borde. Børn er velkomne.',
   'Frederiksberggade 4', '8600', 56.1780, 9.5410,
   'Bente Overgaard', 'bente@spisalderslyst.invalid', '+4523678912', NULL, true, NULL, NULL,
   160, 10, 35, 310, '{activity:faellesspisning,interest:madlavning,target_group:familier,need:nye-venner}'),
  ('silkeborg', 'Silkeborg Åbne Kor',
   'Alle kan synge med: vi lærer sangene på gehør og slutter altid med en fællessang.',
   'Drewsensvej 20', '8600', 56.1640, 9.5560,
   'Johanne Riis', 'johanne@aabnekor.invalid', '+4524789123', NULL, true, NULL, NULL,
   55, 12, 18, 290, '{activity:kor-og-sang,interest:musik}'),
  ('silkeborg', 'Havelauget i Sejs',
   'Et lille havefællesskab med køkkenhave, bistader og et fælles drivhus. Vi mødes hver anden lørdag.',
   'Sejsvej 31', '8600', 56.1460, 9.6120,
   'Henning Østergaard', 'henning@havelauget-sejs.invalid', '+4525891234', NULL, false, NULL, NULL,
   NULL, 4, 130, 210, '{activity:havefaellesskab,interest:natur,interest:dyr}'),
  ('silkeborg', 'Sprogcafé Silkeborg',
   'Snak dansk over en kop te med frivillige og andre, der lærer sproget. Mandag eftermiddag, alle niveauer.',
   'Christian 8.s Vej 2', '8600', 56.1670, 9.5490,
   'Amira Petersen', 'amira@sprogcafe-silkeborg.invalid', '+4526912345', NULL, true, NULL, NULL,
   40, 15, 6, 280, '{activity:sprogcafe,target_group:nydanskere,need:at-laere-dansk}'),
  ('silkeborg', 'Mændenes Værksted Kjellerup',
   'Træværksted og cykelværksted for mænd i alle aldre. Vi reparerer, bygger og drikker kaffe.',
   'Søndergade 12', '8620', 56.2860, 9.4330,
   'Flemming Kragh', 'flemming@mvkjellerup.invalid', '+4527123456', NULL, true, NULL, NULL,
   110, 3, 45, 250, '{activity:kreativt-vaerksted,target_group:maend,need:struktur-i-hverdagen}'),
  ('silkeborg', 'Læseklubben Sidelæns',
   'En læsekreds for alle, der kan lide at læse - og at snakke om det bagefter. Vi læser én bog om måneden.',
   'Hostrupsgade 39', '8600', 56.1655, 9.5495,
   'Else Munk', 'else@sidelaens.invalid', '+4528234567', NULL, false, NULL, NULL,
   NULL, NULL, NULL, 120, '{activity:laesekreds,interest:kultur}'),
  ('silkeborg', 'Naturfællesskabet Gudenåen',
   'Kano, bål og naturoplevelser langs Gudenåen hver anden søndag. Udstyr kan lånes.',
   'Kanostien 1', '8680', 56.0900, 9.7650,
   'Mikkel Holst', 'mikkel@naturgudenaa.invalid', '+4529345678', NULL, true, NULL, NULL,
   20, 8, 22, 230, '{activity:naturoplevelser,interest:natur,need:fysisk-aktivitet}');

INSERT INTO association (centre_id, name, description, address, postal_code, latitude, longitude,
                         contact_name, contact_email, contact_phone, website, is_member,
                         scheme_offered, scheme_for, scheme_how_to_refer,
                         welcome_contact_name, welcome_contact_email, welcome_contact_phone,
                         welcome_training_on, newcomer_places, newcomer_places_updated_at,
                         created_at, updated_at)
SELECT c.id, d.name, d.description, d.address, d.postal_code, d.latitude, d.longitude,
       d.contact_name, d.contact_email, d.contact_phone, d.website, d.is_member,
       d.scheme_for IS NOT NULL, d.scheme_for, d.scheme_how_to_refer,
       d.contact_name, d.contact_email, d.contact_phone,
       current_date - d.trained, d.places,
       CASE WHEN d.places IS NOT NULL THEN now() - make_interval(days => d.places_age) END,
       now() - make_interval(days => d.age), now() - make_interval(days => least(d.age, coalesce(d.places_age, d.age)))
  FROM demo_assoc d JOIN centre c ON c.slug = d.centre;

INSERT INTO association_category (association_id, category_id)
SELECT a.id, cat.id
  FROM demo_assoc d
  JOIN centre c ON c.slug = d.centre
  JOIN association a ON a.centre_id = c.id AND a.name = d.name
  CROSS JOIN LATERAL unnest(d.cats) AS k(ref)
  JOIN category cat ON cat.centre_id IS NULL AND cat.kind = split_part(k.ref, ':', 1)
                   AND cat.slug = split_part(k.ref, ':', 2);

-- The association contacts speak for a partner each.
UPDATE account SET association_id = (SELECT id FROM association WHERE name = 'Et Fælles Skridt')
 WHERE email = 'forening@odense.demo';
UPDATE account SET association_id = (SELECT id FROM association WHERE name = 'Ældre Sagen Silkeborg')
 WHERE email = 'forening@silkeborg.demo';

-- --------------------------------------------------------------- volunteers
-- reg: days since registration; act: days since becoming active (NULL if
-- never); fin: days since pausing, retiring or being rejected. rc_left and
-- cp_left: days until the criminal record / child-protection check runs out
-- (NULL: none on file). fa: days since first aid in mental health (expires
-- after two years), NULL if not taken. avail: ISO weekday and local times.

CREATE TEMP TABLE demo_vol (
    centre text, name text, status text, account text, email text, phone text,
    languages text[], postal_areas text[], capacity integer,
    recruited_via text, recruited_from text, notes text,
    reg integer, act integer, fin integer, reason text,
    rc_left integer, cp_left integer, fa integer,
    avail text, interests text[]
) ON COMMIT DROP;

INSERT INTO demo_vol VALUES
-- Odense
  ('odense', 'Gustav Guide', 'active', 'guide@odense.demo', 'gustav.guide@frivillig.invalid', '+4520112233',
   '{da,en}', '{5000,5200,5210,5230}', 4, 'socialkompas', NULL, 'Demo-guidens egen profil (guide@odense.demo).',
   330, 260, NULL, NULL, 700, NULL, 200, '2 10:00-15:00,4 13:00-18:00', '{interest:natur,interest:musik,activity:gaatur}'),
  ('odense', 'Mette Sørensen', 'active', NULL, 'mette.soerensen@frivillig.invalid', '+4521223344',
   '{da,en,de}', '{5000,5220,5230}', 3, 'association', 'Ældre Sagen Odense', 'Erfaren besøgsven; god til de stille samtaler.',
   420, 370, NULL, NULL, 12, NULL, NULL, '1 09:00-12:00,3 09:00-12:00', '{interest:haandarbejde,activity:strikkeklub}'),
  ('odense', 'Aisha Mahmoud', 'active', NULL, 'aisha.mahmoud@frivillig.invalid', '+4522334455',
   '{da,ar,en}', '{5240,5220,5000}', 3, 'association', 'Sprogcafé Dalum', 'Taler arabisk; matches gerne med nydanskere.',
   300, 240, NULL, NULL, 800, 800, 150, '2 16:00-20:00,6 10:00-14:00', '{activity:sprogcafe,interest:madlavning}'),
  ('odense', 'Lars Kristensen', 'active', NULL, 'lars.kristensen@frivillig.invalid', '+4523445566',
   '{da}', '{5200,5210,5250}', 2, 'local_paper', NULL, 'Pensioneret tømrer; kender Mændenes Værksted godt.',
   280, 220, NULL, NULL, 850, NULL, NULL, '4 09:00-13:00', '{activity:kreativt-vaerksted}'),
  ('odense', 'Camilla Vestergaard', 'active', NULL, 'camilla.vestergaard@frivillig.invalid', '+4524556677',
   '{da,en}', '{5000,5260,5270}', 2, 'word_of_mouth', NULL, NULL,
   250, 190, NULL, NULL, 900, 25, 100, '1 17:00-20:00,3 17:00-20:00', '{interest:kultur,interest:musik,activity:kor-og-sang}'),
  ('odense', 'Oksana Kovalenko', 'active', NULL, 'oksana.kovalenko@frivillig.invalid', '+4525667788',
   '{uk,ru,da,en}', '{5000,5240}', 2, 'event', NULL, 'Kom via infomødet; taler ukrainsk og russisk.',
   200, 140, NULL, NULL, 950, NULL, NULL, '5 10:00-14:00', '{activity:sprogcafe,interest:madlavning}'),
  ('odense', 'Jonas Friis', 'active', NULL, 'jonas.friis@frivillig.invalid', '+4526778899',
   '{da,en}', '{5000,5200,5230,5260}', 3, 'socialkompas', NULL, 'Studerende; ledig om eftermiddagen.',
   380, 355, NULL, NULL, 1000, NULL, 340, '2 13:00-17:00,4 13:00-17:00', '{activity:braetspil,interest:spil,interest:sport}'),
  ('odense', 'Birgitte Holm', 'paused', NULL, 'birgitte.holm@frivillig.invalid', '+4527889900',
   '{da}', '{5210,5270}', 2, 'association', 'Et Fælles Skridt', 'Holder pause i vinterhalvåret.',
   400, 330, 40, 'Pause i vinterhalvåret efter eget ønske', 500, NULL, NULL, '3 10:00-14:00', '{activity:havefaellesskab,interest:natur}'),
  ('odense', 'Henrik Dahl', 'retired', NULL, 'henrik.dahl@frivillig.invalid', '+4528990011',
   '{da,en}', '{5000}', 2, 'word_of_mouth', NULL, NULL,
   450, 400, 90, 'Flyttet til Aarhus', 300, NULL, NULL, '', '{interest:sport}'),
  ('odense', 'Fatma Yilmaz', 'in_training', NULL, 'fatma.yilmaz@frivillig.invalid', '+4529001122',
   '{da,tr}', '{5240,5220}', 2, 'association', 'Strik & Snak Vollsmose', 'Taler tyrkisk; på modul 2 i næste måned.',
   45, NULL, NULL, NULL, NULL, NULL, NULL, '2 10:00-14:00', '{activity:strikkeklub,interest:haandarbejde}'),
  ('odense', 'Peter Møller', 'in_training', NULL, 'peter.moeller@frivillig.invalid', '+4520012233',
   '{da}', '{5230,5250,5260}', 1, 'local_paper', NULL, NULL,
   35, NULL, NULL, NULL, NULL, NULL, NULL, '1 09:00-12:00,5 09:00-12:00', '{activity:gaatur,activity:cykling}'),
  ('odense', 'Sara Lund', 'applicant', NULL, 'sara.lund@frivillig.invalid', '+4521123344',
   '{da,en,es}', '{5000}', 2, 'socialkompas', NULL, 'Samtale aftalt i næste uge.',
   6, NULL, NULL, NULL, NULL, NULL, NULL, '', '{interest:kultur}'),
  ('odense', 'Mohammed Rahimi', 'applicant', NULL, 'mohammed.rahimi@frivillig.invalid', '+4522234455',
   '{da,fa,en}', '{5240}', 2, 'event', NULL, NULL,
   12, NULL, NULL, NULL, NULL, NULL, NULL, '6 10:00-16:00', '{activity:sprogcafe,interest:sport}'),
  ('odense', 'Ole Jakobsen', 'rejected', NULL, 'ole.jakobsen@frivillig.invalid', '+4523345566',
   '{da}', '{5200}', 1, 'other', NULL, NULL,
   70, NULL, 50, 'Ønskede ikke at indhente straffeattest', NULL, NULL, NULL, '', '{}'),
-- Silkeborg
  ('silkeborg', 'Sofie Guide', 'active', 'guide@silkeborg.demo', 'sofie.guide@frivillig.invalid', '+4530112233',
   '{da,en}', '{8600,8620,8680}', 4, 'socialkompas', NULL, 'Demo-guidens egen profil (guide@silkeborg.demo).',
   310, 250, NULL, NULL, 720, NULL, 180, '1 10:00-15:00,3 13:00-18:00', '{interest:natur,activity:naturoplevelser,activity:gaatur}'),
  ('silkeborg', 'Hanne Lund', 'active', NULL, 'hanne.lund@frivillig.invalid', '+4531223344',
   '{da}', '{8600,8653}', 3, 'association', 'Ældre Sagen Silkeborg', 'Også følgeven i Ældre Sagen.',
   410, 360, NULL, NULL, 20, NULL, NULL, '3 09:00-13:00', '{activity:faellesspisning}'),
  ('silkeborg', 'Niels Thomsen', 'active', NULL, 'niels.thomsen@frivillig.invalid', '+4532334455',
   '{da,de}', '{8600,8620}', 2, 'local_paper', NULL, NULL,
   290, 230, NULL, NULL, 800, NULL, NULL, '2 09:00-12:00', '{activity:kreativt-vaerksted,activity:cykling}'),
  ('silkeborg', 'Lene Bach', 'active', NULL, 'lene.bach@frivillig.invalid', '+4533445566',
   '{da,en}', '{8600,8680}', 3, 'word_of_mouth', NULL, 'Tidligere sygeplejerske.',
   260, 200, NULL, NULL, 850, 700, 120, '1 13:00-17:00,4 13:00-17:00', '{activity:kor-og-sang,interest:musik}'),
  ('silkeborg', 'Yusuf Abdi', 'active', NULL, 'yusuf.abdi@frivillig.invalid', '+4534556677',
   '{da,so,en}', '{8600}', 2, 'association', 'Sprogcafé Silkeborg', 'Taler somali.',
   220, 160, NULL, NULL, 900, 900, NULL, '1 16:00-19:00,6 10:00-13:00', '{activity:sprogcafe,interest:sport}'),
  ('silkeborg', 'Karina Winther', 'active', NULL, 'karina.winther@frivillig.invalid', '+4535667788',
   '{da,pl,en}', '{8600,8641,8643}', 2, 'socialkompas', NULL, 'Taler polsk.',
   190, 130, NULL, NULL, 950, NULL, NULL, '3 16:00-20:00', '{activity:strikkeklub,interest:haandarbejde}'),
  ('silkeborg', 'Torben Lykke', 'paused', NULL, 'torben.lykke@frivillig.invalid', '+4536778899',
   '{da}', '{8620}', 1, 'association', 'Mændenes Værksted Kjellerup', NULL,
   350, 300, 25, 'Pause under sygeorlov', 400, NULL, NULL, '2 09:00-12:00', '{activity:kreativt-vaerksted}'),
  ('silkeborg', 'Inge Kjeldsen', 'retired', NULL, 'inge.kjeldsen@frivillig.invalid', '+4537889900',
   '{da}', '{8600}', 2, 'word_of_mouth', NULL, NULL,
   500, 450, 120, 'Stopper efter tre gode år', 200, NULL, NULL, '', '{activity:laesekreds}'),
  ('silkeborg', 'Emil Sand', 'in_training', NULL, 'emil.sand@frivillig.invalid', '+4538990011',
   '{da,en}', '{8600,8680}', 2, 'event', NULL, NULL,
   40, NULL, NULL, NULL, NULL, NULL, NULL, '6 10:00-15:00', '{activity:naturoplevelser,interest:sport}'),
  ('silkeborg', 'Rikke Dam', 'in_training', NULL, 'rikke.dam@frivillig.invalid', '+4539001122',
   '{da}', '{8600}', 2, 'association', 'Fællesspisning i Alderslyst', NULL,
   30, NULL, NULL, NULL, NULL, NULL, NULL, '4 16:00-20:00', '{activity:faellesspisning,interest:madlavning}'),
  ('silkeborg', 'Anders Berg', 'applicant', NULL, 'anders.berg@frivillig.invalid', '+4530012233',
   '{da,en}', '{8600}', 2, 'socialkompas', NULL, NULL,
   4, NULL, NULL, NULL, NULL, NULL, NULL, '', '{interest:natur}'),
  ('silkeborg', 'Leila Hassan', 'applicant', NULL, 'leila.hassan@frivillig.invalid', '+4531123344',
   '{da,ar}', '{8600}', 2, 'local_paper', NULL, 'Har spurgt til næste infomøde.',
   9, NULL, NULL, NULL, NULL, NULL, NULL, '2 10:00-14:00', '{activity:sprogcafe}'),
  ('silkeborg', 'Bo Frandsen', 'rejected', NULL, 'bo.frandsen@frivillig.invalid', '+4532234455',
   '{da}', '{8620}', 1, 'other', NULL, NULL,
   60, NULL, 45, 'Opgaven passede ikke til det, han søgte', NULL, NULL, NULL, '', '{}');

INSERT INTO volunteer (centre_id, account_id, name, status, email, phone, languages, postal_areas,
                       capacity, recruited_via, recruited_association_id, notes, created_at, updated_at)
SELECT c.id, (SELECT a.id FROM account a WHERE a.email = d.account), d.name, d.status, d.email, d.phone,
       d.languages, d.postal_areas, d.capacity, d.recruited_via,
       (SELECT s.id FROM association s WHERE s.centre_id = c.id AND s.name = d.recruited_from),
       d.notes, now() - make_interval(days => d.reg),
       now() - make_interval(days => coalesce(d.fin, d.act, d.reg))
  FROM demo_vol d JOIN centre c ON c.slug = d.centre;

-- Status history: registered as applicant, then the way to today's status.
INSERT INTO volunteer_status_change (volunteer_id, centre_id, from_status, to_status, reason, changed_at, changed_by)
SELECT v.id, v.centre_id, h.from_status, h.to_status,
       CASE WHEN h.to_status = v.status AND h.to_status IN ('paused', 'retired', 'rejected') THEN d.reason END,
       now() - make_interval(days => h.days_ago) + make_interval(hours => 10 + h.step),
       (SELECT a.id FROM account a WHERE a.centre_id = v.centre_id AND a.role = 'coordinator' LIMIT 1)
  FROM demo_vol d
  JOIN centre c ON c.slug = d.centre
  JOIN volunteer v ON v.centre_id = c.id AND v.name = d.name
  CROSS JOIN LATERAL (VALUES
      (0, NULL, 'applicant', d.reg),
      (1, 'applicant', 'in_training',
       CASE WHEN d.status IN ('in_training', 'active', 'paused', 'retired') THEN d.reg - 10 END),
      (2, 'in_training', 'active', d.act),
      (3, CASE WHEN d.status = 'rejected' THEN 'applicant' ELSE 'active' END,
       d.status, CASE WHEN d.status IN ('paused', 'retired', 'rejected') THEN d.fin END)
  ) AS h (step, from_status, to_status, days_ago)
 WHERE h.days_ago IS NOT NULL;

INSERT INTO volunteer_interest (volunteer_id, category_id, centre_id)
SELECT v.id, cat.id, v.centre_id
  FROM demo_vol d
  JOIN centre c ON c.slug = d.centre
  JOIN volunteer v ON v.centre_id = c.id AND v.name = d.name
  CROSS JOIN LATERAL unnest(d.interests) AS k(ref)
  JOIN category cat ON cat.centre_id IS NULL AND cat.kind = split_part(k.ref, ':', 1)
                   AND cat.slug = split_part(k.ref, ':', 2);

INSERT INTO volunteer_availability (volunteer_id, centre_id, weekday, starts, ends)
SELECT v.id, v.centre_id, split_part(s.slot, ' ', 1)::integer,
       split_part(split_part(s.slot, ' ', 2), '-', 1)::time,
       split_part(split_part(s.slot, ' ', 2), '-', 2)::time
  FROM demo_vol d
  JOIN centre c ON c.slug = d.centre
  JOIN volunteer v ON v.centre_id = c.id AND v.name = d.name
  CROSS JOIN LATERAL unnest(string_to_array(nullif(d.avail, ''), ',')) AS s(slot);

-- Trainings: the intro on starting training; the conversation and
-- accompaniment modules and data protection (renewed yearly) on becoming
-- active; first aid in mental health (renewed every two years) for some.
INSERT INTO volunteer_training (volunteer_id, centre_id, module, completed_on, expires_on, created_at, created_by)
SELECT v.id, v.centre_id, t.module, current_date - t.days_ago,
       current_date - t.days_ago + t.valid_days,
       now() - make_interval(days => t.days_ago),
       (SELECT a.id FROM account a WHERE a.centre_id = v.centre_id AND a.role = 'coordinator' LIMIT 1)
  FROM demo_vol d
  JOIN centre c ON c.slug = d.centre
  JOIN volunteer v ON v.centre_id = c.id AND v.name = d.name
  CROSS JOIN LATERAL (VALUES
      ('intro', CASE WHEN d.status IN ('in_training', 'active', 'paused', 'retired') THEN d.reg - 12 END, NULL::integer),
      ('conversation', CASE WHEN d.act IS NOT NULL THEN d.act + 6
                            WHEN d.status = 'in_training' AND d.reg > 40 THEN 8 END, NULL),
      ('accompaniment', d.act + 2, NULL),
      -- renewed every year while the guide works with citizens
      ('data_protection', CASE WHEN d.status IN ('active', 'paused') THEN (d.act + 1) % 365
                               ELSE d.act + 1 END, 365),
      ('first_aid_mental_health', d.fa, 730)
  ) AS t (module, days_ago, valid_days)
 WHERE t.days_ago IS NOT NULL;

-- Record checks (the facts only): a criminal record check for every guide
-- who has worked with citizens, a child-protection check for those who meet
-- families. Some run out within the month: they show on the work list.
INSERT INTO volunteer_record_check (volunteer_id, centre_id, kind, checked_on, outcome, valid_until, created_at, created_by)
SELECT v.id, v.centre_id, r.kind, current_date + r.left_days - 1095, 'clear', current_date + r.left_days,
       now() - make_interval(days => 1095 - r.left_days),
       (SELECT a.id FROM account a WHERE a.centre_id = v.centre_id AND a.role = 'coordinator' LIMIT 1)
  FROM demo_vol d
  JOIN centre c ON c.slug = d.centre
  JOIN volunteer v ON v.centre_id = c.id AND v.name = d.name
  CROSS JOIN LATERAL (VALUES ('criminal_record', d.rc_left), ('child_protection', d.cp_left)) AS r (kind, left_days)
 WHERE r.left_days IS NOT NULL;

-- ------------------------------------------------------------------- events
-- Weekly activities as series (the shape POST /v1/event-series makes: one
-- event_series row and its occurrences as events with series_id), from
-- about five weeks ago to thirteen weeks ahead; every: 1, 2 or 4 weeks.

CREATE TEMP TABLE demo_series (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    centre text, association text, title text, description text, address text, postal_code text,
    accessibility text, capacity integer, weekday integer, starts time, ends time, every integer,
    cats text[]
) ON COMMIT DROP;

INSERT INTO demo_series (centre, association, title, description, address, postal_code, accessibility,
                         capacity, weekday, starts, ends, every, cats) VALUES
  ('odense', 'Et Fælles Skridt', 'Fællesskabscafé', 'Kom og mød frivillige følgevenner og andre, der også gerne vil i gang med noget nyt. Kaffe og kage.',
   'Østergade 40, 1. sal', '5000', 'Elevator; handicaptoilet', NULL, 1, '13:00', '15:00', 1, '{need:nye-venner,need:ensomhed}'),
  ('odense', 'Ældre Sagen Odense', 'Frokostklubben', 'Frokost og en god snak hver anden torsdag. Tilmelding er ikke nødvendig første gang.',
   'Klostervej 28', '5000', 'Niveaufri adgang', 30, 4, '12:00', '14:00', 2, '{activity:faellesspisning,target_group:aeldre}'),
  ('odense', 'Red Barnet Odense', 'Familieklub søndag', 'Leg, spil og madpakker for familier med børn. Fritidsvennerne er med.',
   'Kongensgade 70', '5000', NULL, NULL, 7, '10:00', '13:00', 2, '{target_group:familier}'),
  ('odense', 'Strik & Snak Vollsmose', 'Strik & snak', 'Strik, hækling og kaffe. Garn og pinde kan lånes.',
   'Vollsmose Allé 16', '5240', 'Niveaufri adgang; teleslynge', NULL, 2, '14:00', '16:00', 1, '{activity:strikkeklub,interest:haandarbejde}'),
  ('odense', 'Gåklubben Fynske Fødder', 'Onsdagsgåtur fra Munke Mose', 'Rolig gåtur på 3-5 km. Vi mødes ved Frederiksbroen og slutter med kaffe.',
   'Munke Mose, ved Frederiksbroen', '5000', 'Jævne stier; ruten kan afkortes', NULL, 3, '10:00', '11:30', 1, '{activity:gaatur,activity:motion}'),
  ('odense', 'Fællesspisning i Bolbro', 'Fællesspisning', 'Vi laver mad sammen fra kl. 17.30 og spiser kl. 18.30. 40 kr. for tre retter.',
   'Stadionvej 50', '5200', 'Niveaufri adgang', 40, 4, '17:30', '19:30', 2, '{activity:faellesspisning,interest:madlavning}'),
  ('odense', 'Åbent Sangkor Odense', 'Korprøve for alle', 'Vi synger danske sange og sange fra hele verden. Ingen optagelsesprøve.',
   'Filosofgangen 30', '5000', 'Elevator', NULL, 1, '19:00', '21:00', 1, '{activity:kor-og-sang,interest:musik}'),
  ('odense', 'Havefællesskabet Rosenhaven', 'Havedag i Rosenhaven', 'Vi passer højbedene og drikker kaffe i drivhuset. Tag tøj på efter vejret.',
   'Rosenhavevej 3', '5220', NULL, NULL, 6, '10:00', '13:00', 2, '{activity:havefaellesskab,interest:natur}'),
  ('odense', 'Sprogcafé Dalum', 'Sprogcafé', 'Øv dansk i små grupper med frivillige. Alle niveauer.',
   'Dalumvej 3', '5250', 'Niveaufri adgang', NULL, 2, '16:00', '18:00', 1, '{activity:sprogcafe,need:at-laere-dansk}'),
  ('odense', 'Mændenes Værksted Odense', 'Åbent værksted', 'Træ, cykler og små reparationer. Kaffen er klar fra kl. 9.30.',
   'Rugårdsvej 100', '5210', NULL, 12, 4, '09:30', '12:00', 1, '{activity:kreativt-vaerksted,target_group:maend}'),
  ('odense', 'Brætspilsklubben Terningen', 'Brætspilsaften', 'Vi spiller alt fra klassikere til nye spil og lærer dig reglerne.',
   'Overgade 23', '5000', NULL, 24, 5, '19:00', '22:00', 2, '{activity:braetspil,interest:spil}'),
  ('silkeborg', 'Ældre Sagen Silkeborg', 'Onsdagscafé', 'Kaffe, kage og en god snak - og nogle gange et lille foredrag.',
   'Vestergade 22', '8600', 'Niveaufri adgang; teleslynge', 40, 3, '14:00', '16:00', 1, '{target_group:aeldre,need:ensomhed}'),
  ('silkeborg', 'Red Barnet Silkeborg', 'Lektiecafé', 'Hjælp til lektierne og en snak om fritidsaktiviteter. Fritidsvennerne er med.',
   'Hostrupsgade 41', '8600', NULL, NULL, 2, '15:30', '17:30', 1, '{target_group:unge,target_group:familier}'),
  ('silkeborg', 'Følgevennerne Silkeborg', 'Åben café for følgevenner', 'Mød en følgeven og hør, hvordan vi kan gå med dig de første gange.',
   'Tværgade 9', '8600', 'Elevator', NULL, 4, '16:00', '18:00', 2, '{need:nye-venner,need:social-angst}'),
  ('silkeborg', 'Gåklubben Søhøjlandet', 'Mandagsgåtur langs Langsø', 'Rolig gåtur på 4 km langs Langsø og gennem Nordskoven.',
   'P-pladsen ved Lunden', '8600', 'Grusstier; ruten kan afkortes', NULL, 1, '10:00', '11:30', 1, '{activity:gaatur,activity:motion}'),
  ('silkeborg', 'Strikkeklubben Masken', 'Strikkeaften', 'Strik, hækling og broderi. Vi deler mønstre og hjælper hinanden.',
   'Tietgensgade 3', '8600', NULL, NULL, 3, '19:00', '21:00', 1, '{activity:strikkeklub,interest:haandarbejde}'),
  ('silkeborg', 'Fællesspisning i Alderslyst', 'Fællesspisning', 'Vi laver maden sammen og spiser ved lange borde. Børn spiser gratis.',
   'Frederiksberggade 4', '8600', 'Niveaufri adgang', 50, 4, '17:30', '19:30', 2, '{activity:faellesspisning,target_group:familier}'),
  ('silkeborg', 'Silkeborg Åbne Kor', 'Åben korprøve', 'Vi lærer sangene på gehør og slutter med en fællessang.',
   'Drewsensvej 20', '8600', NULL, NULL, 2, '19:00', '21:00', 1, '{activity:kor-og-sang,interest:musik}'),
  ('silkeborg', 'Havelauget i Sejs', 'Havedag', 'Køkkenhave, bistader og drivhus. Vi slutter med suppe over bål.',
   'Sejsvej 31', '8600', NULL, NULL, 6, '10:00', '12:00', 2, '{activity:havefaellesskab,interest:natur}'),
  ('silkeborg', 'Sprogcafé Silkeborg', 'Sprogcafé', 'Snak dansk over en kop te. Alle niveauer.',
   'Christian 8.s Vej 2', '8600', 'Niveaufri adgang', NULL, 1, '16:00', '18:00', 1, '{activity:sprogcafe,need:at-laere-dansk}'),
  ('silkeborg', 'Mændenes Værksted Kjellerup', 'Værkstedsformiddag', 'Træ- og cykelværksted. Kaffen er på kanden.',
   'Søndergade 12', '8620', NULL, 10, 2, '09:00', '12:00', 1, '{activity:kreativt-vaerksted,target_group:maend}'),
  ('silkeborg', 'Læseklubben Sidelæns', 'Læseklub', 'Vi taler om månedens bog. Ny bog udleveres på mødet.',
   'Hostrupsgade 39', '8600', NULL, 15, 4, '19:00', '21:00', 4, '{activity:laesekreds,interest:kultur}'),
  ('silkeborg', 'Naturfællesskabet Gudenåen', 'Kano og bål på Gudenåen', 'En tur i kano og frokost over bål. Redningsveste og kanoer kan lånes.',
   'Kanostien 1', '8680', NULL, 16, 7, '10:00', '13:00', 2, '{activity:naturoplevelser,interest:natur}');

-- The first occurrence: the series' weekday on or after 35 days ago; the
-- last on or before 91 days ahead. Local wall-clock times in Copenhagen.
CREATE TEMP TABLE demo_occ ON COMMIT DROP AS
SELECT s.id AS series_id,
       (o.ts::date + s.starts) AT TIME ZONE 'Europe/Copenhagen' AS starts_at,
       (o.ts::date + s.ends) AT TIME ZONE 'Europe/Copenhagen' AS ends_at
  FROM demo_series s
  CROSS JOIN LATERAL (SELECT current_date - 35
                             + (s.weekday - extract(isodow FROM current_date - 35)::integer + 7) % 7 AS first) f
  CROSS JOIN LATERAL generate_series(f.first::timestamp, (current_date + 91)::timestamp,
                                     make_interval(weeks => s.every)) AS o(ts);

INSERT INTO event_series (id, centre_id, association_id, kind, title, description, address, postal_code,
                          accessibility, capacity, frequency, repeat_interval, until_date,
                          first_starts_at, first_ends_at, created_by, created_at, updated_at)
SELECT s.id, c.id, a.id, 'activity', s.title, s.description, s.address, s.postal_code, s.accessibility,
       s.capacity, 'weekly', s.every, current_date + 91,
       (SELECT min(o.starts_at) FROM demo_occ o WHERE o.series_id = s.id),
       (SELECT min(o.ends_at) FROM demo_occ o WHERE o.series_id = s.id),
       (SELECT x.id FROM account x WHERE x.centre_id = c.id AND x.role = 'coordinator' LIMIT 1),
       now() - interval '42 days', now() - interval '42 days'
  FROM demo_series s
  JOIN centre c ON c.slug = s.centre
  JOIN association a ON a.centre_id = c.id AND a.name = s.association;

INSERT INTO event (centre_id, association_id, kind, title, description, starts_at, ends_at, address,
                   postal_code, accessibility, capacity, series_id, created_by, created_at, updated_at)
SELECT es.centre_id, es.association_id, es.kind, es.title, es.description, o.starts_at, o.ends_at,
       es.address, es.postal_code, es.accessibility, es.capacity, es.id, es.created_by,
       es.created_at, es.created_at
  FROM demo_occ o JOIN event_series es ON es.id = o.series_id;

INSERT INTO event_category (event_id, category_id, centre_id)
SELECT e.id, cat.id, e.centre_id
  FROM demo_series s
  JOIN event e ON e.series_id = s.id
  CROSS JOIN LATERAL unnest(s.cats) AS k(ref)
  JOIN category cat ON cat.centre_id IS NULL AND cat.kind = split_part(k.ref, ':', 1)
                   AND cat.slug = split_part(k.ref, ':', 2);

-- The template keeps the categories its occurrences got.
UPDATE event_series es
   SET category_ids = ARRAY(SELECT DISTINCT ec.category_id FROM event_category ec
                              JOIN event e ON e.id = ec.event_id WHERE e.series_id = es.id
                             ORDER BY ec.category_id)
 WHERE es.id IN (SELECT id FROM demo_series);

-- One cancelled occurrence per centre: a walk in about two weeks.
UPDATE event SET cancelled = true, version = version + 1, updated_at = now(),
       internal_note = 'Aflyst: turlederen er forhindret. Deltagerne har fået besked på sms.'
 WHERE id IN (SELECT DISTINCT ON (e.centre_id) e.id
                FROM event e JOIN event_series es ON es.id = e.series_id
               WHERE es.title IN ('Onsdagsgåtur fra Munke Mose', 'Mandagsgåtur langs Langsø')
                 AND e.starts_at > now() + interval '10 days'
               ORDER BY e.centre_id, e.starts_at);

-- The centres' own events: guide training modules, welcome workshops for
-- the associations and information meetings. days: from today; hours in
-- local time; len: the length in hours (a two-day course ends the next day).
CREATE TEMP TABLE demo_event (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    centre text, kind text, title text, description text, address text, postal_code text,
    online_url text, capacity integer, days integer, starts time, len interval, note text
) ON COMMIT DROP;

INSERT INTO demo_event (centre, kind, title, description, address, postal_code, online_url, capacity, days, starts, len, note) VALUES
  ('odense', 'guide_training', 'Kompasguide-uddannelse, modul 1: Den afklarende samtale',
   'Hvordan holder man en god første samtale? Aktiv lytning, afklaring og at finde fællesskaber på socialkompas sammen med borgeren.',
   'Frivilligcenter Odense, mødelokale 2, Kongensgade 65', '5000', NULL, 16, -24, '17:00', '3 hours 30 minutes', NULL),
  ('odense', 'guide_training', 'Kompasguide-uddannelse, modul 2: Følgeskab - at gå med og at give slip',
   'Forløbet med en begyndelse og en afslutning: planlægning af besøg, at tage med og at trække sig, når borgeren selv kan.',
   'Frivilligcenter Odense, mødelokale 2, Kongensgade 65', '5000', NULL, 16, 12, '17:00', '3 hours 30 minutes', 'Husk kaffe til 18'),
  ('odense', 'guide_training', 'Kompasguide-uddannelse, modul 3: Samtykke, tavshedspligt og grænser',
   'Hvad må vi notere, hvad deler vi med foreningerne, og hvornår skal koordinatoren ind over?',
   'Frivilligcenter Odense, mødelokale 2, Kongensgade 65', '5000', NULL, 16, 33, '17:00', '3 hours', NULL),
  ('odense', 'guide_training', 'Førstehjælp til psykisk sundhed (to dage)',
   'Certificeret kursus: at genkende og støtte et menneske i psykisk krise. Begge dage er obligatoriske.',
   'Frivilligcenter Odense, salen, Kongensgade 65', '5000', NULL, 20, 54, '09:00', '1 day 6 hours 30 minutes', 'Underviseren er bekræftet'),
  ('odense', 'welcome_workshop', 'Workshop: Sådan tager vi godt imod nye deltagere',
   'For foreningernes frivillige: den første kontakt, velkomstrollen og små greb, der gør, at nye kommer igen.',
   'Frivilligcenter Odense, salen, Kongensgade 65', '5000', NULL, 25, -16, '16:00', '3 hours', NULL),
  ('odense', 'welcome_workshop', 'Workshop: Sådan tager vi godt imod nye deltagere',
   'For foreningernes frivillige: den første kontakt, velkomstrollen og små greb, der gør, at nye kommer igen.',
   'Frivilligcenter Odense, salen, Kongensgade 65', '5000', NULL, 25, 19, '16:00', '3 hours', NULL),
  ('odense', 'info_meeting', 'Infomøde: Bliv Kompasguide',
   'Hør om at være frivillig Kompasguide: samtalerne, følgeskabet, uddannelsen og fællesskabet med de andre guider.',
   'Frivilligcenter Odense, salen, Kongensgade 65', '5000', NULL, 40, 8, '19:00', '1 hour 30 minutes', NULL),
  ('odense', 'info_meeting', 'Online infomøde for foreninger: Flere i fællesskab',
   'Hvad betyder projektet for jeres forening? Henvisninger, følgeskab og modtagelse af nye deltagere.',
   NULL, NULL, 'https://moede.odense.frivilligcenter.invalid/flere-i-faellesskab', 100, 26, '15:00', '1 hour', NULL),
  ('silkeborg', 'guide_training', 'Kompasguide-uddannelse, modul 1: Den afklarende samtale',
   'Hvordan holder man en god første samtale? Aktiv lytning, afklaring og at finde fællesskaber på socialkompas sammen med borgeren.',
   'Frivilligcenter Silkeborg, Tværgade 5', '8600', NULL, 14, -19, '17:00', '3 hours 30 minutes', NULL),
  ('silkeborg', 'guide_training', 'Kompasguide-uddannelse, modul 2: Følgeskab - at gå med og at give slip',
   'Forløbet med en begyndelse og en afslutning: planlægning af besøg, at tage med og at trække sig, når borgeren selv kan.',
   'Frivilligcenter Silkeborg, Tværgade 5', '8600', NULL, 14, 16, '17:00', '3 hours 30 minutes', NULL),
  ('silkeborg', 'guide_training', 'Kompasguide-uddannelse, modul 3: Samtykke, tavshedspligt og grænser',
   'Hvad må vi notere, hvad deler vi med foreningerne, og hvornår skal koordinatoren ind over?',
   'Frivilligcenter Silkeborg, Tværgade 5', '8600', NULL, 14, 44, '17:00', '3 hours', NULL),
  ('silkeborg', 'welcome_workshop', 'Velkomstworkshop for kompasfællesskaber',
   'Om at tage imod nye: velkomstrollen, de første fem minutter og at følge op, hvis en ny ikke kommer igen.',
   'Frivilligcenter Silkeborg, Tværgade 5', '8600', NULL, 20, 23, '16:30', '2 hours 30 minutes', NULL),
  ('silkeborg', 'info_meeting', 'Infomøde: Bliv Kompasguide i Silkeborg',
   'Mød koordinatoren og to af guiderne og hør, hvad opgaven kræver og giver.',
   'Frivilligcenter Silkeborg, Tværgade 5', '8600', NULL, 30, 5, '19:00', '1 hour 30 minutes', NULL),
  ('silkeborg', 'info_meeting', 'Infomøde: Bliv Kompasguide i Silkeborg',
   'Mød koordinatoren og to af guiderne og hør, hvad opgaven kræver og giver.',
   'Frivilligcenter Silkeborg, Tværgade 5', '8600', NULL, 30, -30, '19:00', '1 hour 30 minutes', NULL);

-- They fall on a Tuesday, Wednesday or Thursday, and not around Christmas
-- and New Year: the first such day on or after the one asked for.
CREATE FUNCTION pg_temp.demo_workday(p date) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN extract(isodow FROM x.d) IN (2, 3, 4) THEN x.d
                ELSE x.d + (9 - extract(isodow FROM x.d)::integer) % 7 END
      FROM (SELECT CASE WHEN to_char(p, 'MM-DD') >= '12-20'
                        THEN make_date(extract(year FROM p)::integer + 1, 1, 6)
                        WHEN to_char(p, 'MM-DD') <= '01-05'
                        THEN make_date(extract(year FROM p)::integer, 1, 6)
                        ELSE p END AS d) x
$$;

INSERT INTO event (id, centre_id, kind, title, description, starts_at, ends_at, address, postal_code,
                   online_url, capacity, internal_note, created_by, created_at, updated_at)
SELECT d.id, c.id, d.kind, d.title, d.description,
       (pg_temp.demo_workday(current_date + d.days) + d.starts) AT TIME ZONE 'Europe/Copenhagen',
       (pg_temp.demo_workday(current_date + d.days) + d.starts + d.len) AT TIME ZONE 'Europe/Copenhagen',
       d.address, d.postal_code, d.online_url, d.capacity, d.note,
       (SELECT x.id FROM account x WHERE x.centre_id = c.id AND x.role = 'coordinator' LIMIT 1),
       now() - make_interval(days => greatest(60, 30 - d.days)), now() - make_interval(days => greatest(60, 30 - d.days))
  FROM demo_event d JOIN centre c ON c.slug = d.centre;

-- Sign-ups: volunteers in training for the guide trainings (the past
-- module too), active guides for first aid, the association contacts for
-- the welcome workshops; the coordinator signed most of them up.
INSERT INTO event_signup (event_id, centre_id, volunteer_id, created_by, created_at)
SELECT e.id, e.centre_id, v.id,
       (SELECT x.id FROM account x WHERE x.centre_id = e.centre_id AND x.role = 'coordinator' LIMIT 1),
       least(e.starts_at - interval '5 days', now() - interval '1 day')
  FROM event e
  JOIN volunteer v ON v.centre_id = e.centre_id
 WHERE e.kind = 'guide_training'
   AND ((e.title LIKE 'Kompasguide-uddannelse%' AND v.status = 'in_training')
        OR (e.title LIKE 'Førstehjælp%' AND v.status = 'active'
            AND NOT EXISTS (SELECT 1 FROM volunteer_training t
                             WHERE t.volunteer_id = v.id AND t.module = 'first_aid_mental_health')));

INSERT INTO event_signup (event_id, centre_id, account_id, created_by, created_at)
SELECT e.id, e.centre_id, a.id, a.id, least(e.starts_at - interval '7 days', now() - interval '2 days')
  FROM event e
  JOIN account a ON a.centre_id = e.centre_id AND a.role = 'association'
 WHERE e.kind = 'welcome_workshop';

COMMIT;
