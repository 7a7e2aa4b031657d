-- data.sql - the national dataset for `make bench-national`: all 70
-- volunteer centres with associations, weekly and monthly event series,
-- volunteers with their histories, and three years of citizens' requests
-- with full state histories, conversations, courses with visits, referrals
-- and WHO-5 / UCLA-3 measurements.
--
--   BENCH_SEALER='COMMAND' psql -v scale=1 -f tools/bench/data.sql
--
-- Run by tools/bench/data.sh (read it first) as the schema owner, into a
-- migrated, empty database. Set-based: every table is filled by a few
-- INSERT ... SELECT over generate_series, with every constraint, foreign
-- key and trigger of the schema in force (but the funnel's, see below).
-- At scale 1, about:
--   70 centres (sizes skewed: weight 1/rank^0.8, the largest about 14%)
--   11,000 associations, 11,250 event series expanded to ~480,000
--     occurrences (85% weekly) plus ~20,000 one-off events
--   14,000 volunteers (55% active) with status histories, interests,
--     availability, trainings and record checks
--   200,000 requests over three years (more recent ones more often), their
--     state histories following the workflow of api/handlers/request_states.c (most
--     closed; those closed more than the centre's retention period ago are
--     anonymised, as the maintenance job would have done), ~100,000 courses
--     with 1-6 visits, referrals, and measurements before and after.
-- Random choices that a join depends on are made in MATERIALIZED CTEs or
-- tables first: a subquery with random() could be evaluated again for
-- every row of a nested loop and match twice.
-- Every count is multiplied by scale (0.002 for the tests, 10 for a larger
-- run); every centre keeps at least one association and one volunteer.
--
-- The citizens' names and contact details are sealed by kompasd with the
-- key file's data key (bound to the row id and field), which SQL cannot do:
-- this script writes the plain values to a staging table and runs the
-- command in $BENCH_SEALER (psql \copy ... FROM PROGRAM), which must print the
-- sealed values and blind indexes in COPY format (tools/bench/seal.sh:
-- `kompasd seal-requests`). The plain values are fictional and the staging
-- schema is dropped at the end. Conversation summaries and visit notes are
-- left empty (they are optional).
--
-- \timing is on, and the three largest inserts run under EXPLAIN ANALYZE,
-- which reports the time spent in each trigger (foreign keys included):
-- data.sh keeps the output in var/bench-pg/load.log and summarises it.
--
-- Accounts (all with the demo password kompas-demo-2026):
--   admin@bench.invalid (admin), analytiker@bench.invalid (analyst),
--   koordinator@<slug>.bench.invalid and guide@<slug>.bench.invalid per centre.
\set ON_ERROR_STOP on
\timing on
\if :{?scale}
\else
\set scale 1
\endif
\getenv sealer BENCH_SEALER
\if :{?sealer}
\else
DO $$ BEGIN RAISE EXCEPTION 'data.sql: set BENCH_SEALER to the sealing command (see tools/bench/data.sh)'; END $$;
\endif
SET client_min_messages = warning;
SELECT setseed(0.20261123) AS seed \gset

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM centre) THEN
        RAISE EXCEPTION 'data.sql: the database already has centres; load into an empty, migrated database';
    END IF;
END
$$;

DROP SCHEMA IF EXISTS bench_stage CASCADE;
CREATE SCHEMA bench_stage;

SELECT now() AS t0, (now() AT TIME ZONE 'Europe/Copenhagen')::date AS today \gset
CREATE TABLE bench_stage.param AS
SELECT (:'scale')::numeric AS scale, (:'t0')::timestamptz AS t0, (:'today')::date AS today;

-- A random element of an array, and one by weights.
CREATE FUNCTION bench_stage.pick(v text[]) RETURNS text LANGUAGE sql VOLATILE AS
$$ SELECT v[1 + floor(random() * cardinality(v))::int] $$;
CREATE FUNCTION bench_stage.wpick(v text[], w numeric[]) RETURNS text LANGUAGE plpgsql VOLATILE AS
$$
DECLARE
    total numeric := 0;
    acc numeric := 0;
    r numeric;
BEGIN
    FOR i IN 1 .. cardinality(w) LOOP
        total := total + w[i];
    END LOOP;
    r := random() * total;
    FOR i IN 1 .. cardinality(v) LOOP
        acc := acc + w[i];
        IF r < acc THEN
            RETURN v[i];
        END IF;
    END LOOP;
    RETURN v[cardinality(v)];
END
$$;
-- A random whole number in [lo, hi].
CREATE FUNCTION bench_stage.rint(lo int, hi int) RETURNS int LANGUAGE sql VOLATILE AS
$$ SELECT lo + floor(random() * (hi - lo + 1))::int $$;

\echo 'data.sql: centres and accounts'
-- ------------------------------------------------------------------ centres
-- Ranked by size; weight 1/rank^0.8 (a Zipf-like skew: the capital has
-- about 14% of everything, the smallest about 0.5%).
CREATE TABLE bench_stage.centre_def (rank int, slug text, municipality text, postal text);
INSERT INTO bench_stage.centre_def VALUES
 (1,'koebenhavn','København','1550'),(2,'aarhus','Aarhus','8000'),(3,'odense','Odense','5000'),
 (4,'aalborg','Aalborg','9000'),(5,'esbjerg','Esbjerg','6700'),(6,'randers','Randers','8900'),
 (7,'kolding','Kolding','6000'),(8,'horsens','Horsens','8700'),(9,'vejle','Vejle','7100'),
 (10,'roskilde','Roskilde','4000'),(11,'herning','Herning','7400'),(12,'silkeborg','Silkeborg','8600'),
 (13,'naestved','Næstved','4700'),(14,'frederiksberg','Frederiksberg','2000'),(15,'viborg','Viborg','8800'),
 (16,'koege','Køge','4600'),(17,'holstebro','Holstebro','7500'),(18,'slagelse','Slagelse','4200'),
 (19,'hoeje-taastrup','Høje-Taastrup','2630'),(20,'hilleroed','Hillerød','3400'),(21,'svendborg','Svendborg','5700'),
 (22,'hjoerring','Hjørring','9800'),(23,'holbaek','Holbæk','4300'),(24,'soenderborg','Sønderborg','6400'),
 (25,'skive','Skive','7800'),(26,'frederikshavn','Frederikshavn','9900'),(27,'ringsted','Ringsted','4100'),
 (28,'haderslev','Haderslev','6100'),(29,'helsingoer','Helsingør','3000'),(30,'guldborgsund','Guldborgsund','4800'),
 (31,'lolland','Lolland','4900'),(32,'faaborg-midtfyn','Faaborg-Midtfyn','5600'),(33,'middelfart','Middelfart','5500'),
 (34,'nyborg','Nyborg','5800'),(35,'kerteminde','Kerteminde','5300'),(36,'assens','Assens','5610'),
 (37,'fredericia','Fredericia','7000'),(38,'billund','Billund','7190'),(39,'varde','Varde','6800'),
 (40,'aabenraa','Aabenraa','6200'),(41,'toender','Tønder','6270'),(42,'vejen','Vejen','6600'),
 (43,'ikast-brande','Ikast-Brande','7430'),(44,'ringkoebing-skjern','Ringkøbing-Skjern','6950'),(45,'lemvig','Lemvig','7620'),
 (46,'struer','Struer','7600'),(47,'thisted','Thisted','7700'),(48,'morsoe','Morsø','7900'),
 (49,'vesthimmerland','Vesthimmerland','9600'),(50,'rebild','Rebild','9520'),(51,'mariagerfjord','Mariagerfjord','9500'),
 (52,'jammerbugt','Jammerbugt','9440'),(53,'broenderslev','Brønderslev','9700'),(54,'norddjurs','Norddjurs','8500'),
 (55,'syddjurs','Syddjurs','8400'),(56,'favrskov','Favrskov','8450'),(57,'skanderborg','Skanderborg','8660'),
 (58,'odder','Odder','8300'),(59,'hedensted','Hedensted','8722'),(60,'gentofte','Gentofte','2820'),
 (61,'gladsaxe','Gladsaxe','2860'),(62,'lyngby-taarbaek','Lyngby-Taarbæk','2800'),(63,'ballerup','Ballerup','2750'),
 (64,'albertslund','Albertslund','2620'),(65,'glostrup','Glostrup','2600'),(66,'hvidovre','Hvidovre','2650'),
 (67,'greve','Greve','2670'),(68,'kalundborg','Kalundborg','4400'),(69,'vordingborg','Vordingborg','4760'),
 (70,'bornholm','Bornholm','3700');

INSERT INTO centre (slug, name, municipality, postal_code, email, phone, website, created_at, updated_at)
SELECT slug, 'Frivilligcenter ' || municipality, municipality, postal,
       'kontakt@' || slug || '.frivilligcenter.invalid', '+45' || (70000000 + rank * 1013)::text,
       'https://' || slug || '.socialkompas.dk', t0 - interval '5 years', t0 - interval '5 years'
  FROM bench_stage.centre_def, bench_stage.param;

-- Each centre's share of everything, and its postal code.
CREATE TABLE bench_stage.centre AS
SELECT c.id, d.rank, d.slug, d.postal::int AS postal, c.municipality,
       (1 / power(d.rank, 0.8)) / sum(1 / power(d.rank, 0.8)) OVER () AS share
  FROM centre c JOIN bench_stage.centre_def d ON d.slug = c.slug;

-- How many of something a centre gets: n * scale * share, at least lo.
CREATE FUNCTION bench_stage.n_of(n numeric, share numeric, lo int) RETURNS int LANGUAGE sql STABLE AS
$$ SELECT greatest(lo, round(n * (SELECT scale FROM bench_stage.param) * share))::int $$;

-- ----------------------------------------------------------------- accounts
INSERT INTO account (email, display_name, role, centre_id, password_hash, created_at, updated_at)
SELECT email, display_name, role, centre_id,
       '$argon2id$v=19$m=65536,t=2,p=1$oJSPmbfj8nO7rOTy28BAHQ$joh+LUJX4UuBmGSxGD0ZDDOC7llKQCISRoN0Ew4YM3A',
       t0 - interval '4 years', t0 - interval '4 years'
  FROM bench_stage.param,
       (SELECT 'admin@bench.invalid', 'Bench Admin', 'admin', NULL::uuid
        UNION ALL SELECT 'analytiker@bench.invalid', 'Bench Analytiker', 'analyst', NULL
        UNION ALL SELECT 'koordinator@' || slug || '.bench.invalid', 'Koordinator ' || municipality,
                         'coordinator', id FROM bench_stage.centre
        UNION ALL SELECT 'guide@' || slug || '.bench.invalid', 'Guide ' || municipality,
                         'guide', id FROM bench_stage.centre) a (email, display_name, role, centre_id);

CREATE TABLE bench_stage.coordinator AS
SELECT a.centre_id, a.id FROM account a WHERE a.role = 'coordinator';
CREATE UNIQUE INDEX ON bench_stage.coordinator (centre_id);

\echo 'data.sql: associations'
-- ------------------------------------------------------------- associations
CREATE TABLE bench_stage.assoc AS
SELECT gen_random_uuid() AS id, c.id AS centre_id, g.rn,
       bench_stage.pick('{Gåklubben,Fællesspisningen,Strikkecaféen,Koret,Brætspilscaféen,Motionsholdet,Naturgruppen,Kreaværkstedet,Sprogcaféen,Læsekredsen,Havefællesskabet,Cykelklubben,Mandeklubben,Seniorklubben,Ungdomsnetværket,Familienetværket,Besøgsvennerne,Café Fællesskab,Værestedet,Ældre Sagen}')
           || ' ' || c.municipality || ' ' || g.rn AS name,
       c.postal, random() < 0.08 AS scheme, random() AS u
  FROM bench_stage.centre c
 CROSS JOIN LATERAL generate_series(1, bench_stage.n_of(11000, c.share, 1)) g (rn);
CREATE UNIQUE INDEX ON bench_stage.assoc (centre_id, rn);
ANALYZE bench_stage.assoc;
CREATE TABLE bench_stage.assoc_count AS
SELECT centre_id, count(*)::int AS n, count(*) FILTER (WHERE scheme)::int AS n_scheme
  FROM bench_stage.assoc GROUP BY centre_id;
CREATE TABLE bench_stage.assoc_scheme AS
SELECT id, centre_id, row_number() OVER (PARTITION BY centre_id ORDER BY rn)::int AS rn
  FROM bench_stage.assoc WHERE scheme;
CREATE UNIQUE INDEX ON bench_stage.assoc_scheme (centre_id, rn);

INSERT INTO association (id, centre_id, name, description, address, postal_code, latitude, longitude,
                         contact_name, contact_email, contact_phone, website, socialkompas_ref,
                         is_member, scheme_offered, scheme_for, scheme_how_to_refer,
                         welcome_contact_name, welcome_contact_email, welcome_training_on,
                         newcomer_places, newcomer_places_updated_at, created_at, updated_at)
SELECT a.id, a.centre_id, a.name,
       'Et lokalt fællesskab, hvor nye altid er velkomne. Vi mødes fast hver uge og drikker kaffe sammen.',
       'Foreningsvej ' || a.rn, lpad(least(9990, a.postal + (a.rn % 10) * 10)::text, 4, '0'),
       54.8 + random() * 2.6, 8.3 + random() * 4.2,
       'Kontakt ' || a.rn, 'kontakt' || a.rn || '@forening.invalid', '+45' || (30000000 + a.rn)::text,
       NULL, 'socialkompas/' || a.rn, a.u < 0.7, a.scheme,
       CASE WHEN a.scheme THEN 'Voksne, der har svært ved at komme afsted alene første gang.' END,
       CASE WHEN a.scheme THEN 'Send en henvisning i Kompas; vi ringer borgeren op inden for en uge.' END,
       'Velkomstven ' || a.rn, 'velkommen' || a.rn || '@forening.invalid',
       CASE WHEN random() < 0.4 THEN p.today - bench_stage.rint(10, 700) END,
       CASE WHEN a.u < 0.6 THEN bench_stage.rint(0, 10) END,
       CASE WHEN a.u < 0.6 THEN p.t0 - bench_stage.rint(1, 200) * interval '1 day' END,
       p.t0 - interval '3 years', p.t0 - interval '30 days'
  FROM bench_stage.assoc a, bench_stage.param p;

-- Categories: one activity, one target group, one need.
CREATE TABLE bench_stage.cat AS
SELECT id, kind, slug, row_number() OVER (PARTITION BY kind ORDER BY slug)::int AS rn,
       count(*) OVER (PARTITION BY kind)::int AS n
  FROM category WHERE centre_id IS NULL;
CREATE UNIQUE INDEX ON bench_stage.cat (kind, rn);
CREATE TABLE bench_stage.cat_n AS SELECT kind, max(n) AS n FROM bench_stage.cat GROUP BY kind;

CREATE TABLE bench_stage.assoc_cat AS
SELECT a.id AS association_id, k.kind, 1 + floor(random() * n.n)::int AS rn
  FROM bench_stage.assoc a
 CROSS JOIN (VALUES ('activity'), ('target_group'), ('need')) k (kind)
  JOIN bench_stage.cat_n n ON n.kind = k.kind;
INSERT INTO association_category (association_id, category_id)
SELECT ac.association_id, c.id FROM bench_stage.assoc_cat ac JOIN bench_stage.cat c USING (kind, rn);

\echo 'data.sql: volunteers'
-- --------------------------------------------------------------- volunteers
CREATE TABLE bench_stage.vol AS
SELECT gen_random_uuid() AS id, c.id AS centre_id, g.rn, c.postal,
       CASE WHEN g.rn = 1 THEN 'active'
            ELSE bench_stage.wpick('{active,paused,retired,applicant,in_training,rejected}',
                                   '{55,8,15,7,8,7}') END AS status,
       p.t0 - (30 + random() * 1400) * interval '1 day' AS created_at,
       bench_stage.pick('{Anne,Mette,Kirsten,Hanne,Helle,Susanne,Lene,Maria,Louise,Camilla,Karen,Birgitte,Peter,Jens,Michael,Lars,Henrik,Thomas,Søren,Niels,Martin,Jørgen,Anders,Rasmus,Ahmed,Fatima,Olena,Yusuf,Amina,Sara}')
           || ' ' ||
       bench_stage.pick('{Nielsen,Jensen,Hansen,Pedersen,Andersen,Christensen,Larsen,Sørensen,Rasmussen,Jørgensen,Petersen,Madsen,Kristensen,Olsen,Thomsen,Poulsen,Møller,Mortensen,Knudsen,Lund,Holm,Ali,Hassan,Kovalenko,Yilmaz}') AS name,
       bench_stage.wpick('{socialkompas,association,word_of_mouth,local_paper,event,other}',
                         '{30,25,20,8,10,7}') AS via
  FROM bench_stage.centre c
 CROSS JOIN LATERAL generate_series(1, bench_stage.n_of(14000, c.share, 1)) g (rn)
 CROSS JOIN bench_stage.param p;
ALTER TABLE bench_stage.vol ADD PRIMARY KEY (id);
ANALYZE bench_stage.vol;

-- The recruiting association (when recruited through one): one of the centre's.
CREATE TABLE bench_stage.vol_assoc AS
WITH v AS MATERIALIZED (SELECT v.id, v.centre_id, 1 + floor(random() * n.n)::int AS pick
          FROM bench_stage.vol v JOIN bench_stage.assoc_count n USING (centre_id)
         WHERE v.via = 'association')
SELECT v.id, a.id AS association_id
  FROM v
  JOIN bench_stage.assoc a ON a.centre_id = v.centre_id AND a.rn = v.pick;

INSERT INTO volunteer (id, centre_id, name, status, email, phone, languages, postal_areas, capacity,
                       recruited_via, recruited_association_id, created_at, updated_at)
SELECT v.id, v.centre_id, v.name, v.status,
       'frivillig' || v.rn || '@' || c.slug || '.bench.invalid',
       '+45' || (40000000 + c.rank * 100000 + v.rn)::text,
       CASE WHEN random() < 0.2 THEN '{da,en}'::text[]
            WHEN random() < 0.06 THEN ARRAY['da', bench_stage.pick('{ar,uk,tr,so,fa,pl}')]
            ELSE '{da}' END,
       ARRAY(SELECT DISTINCT lpad(least(9990, v.postal + k * 10)::text, 4, '0')
               FROM generate_series(0, bench_stage.rint(1, 4)) k),
       bench_stage.rint(1, 4), v.via, va.association_id, v.created_at, v.created_at
  FROM bench_stage.vol v
  JOIN bench_stage.centre c ON c.id = v.centre_id
  LEFT JOIN bench_stage.vol_assoc va ON va.id = v.id;

-- The guide account of each centre is the first (active) volunteer.
UPDATE volunteer v SET account_id = a.id
  FROM bench_stage.vol bv, account a
 WHERE bv.id = v.id AND bv.rn = 1 AND a.centre_id = v.centre_id AND a.role = 'guide';

-- Status history: registration, then the path to the status of today,
-- spread over the time since registration.
INSERT INTO volunteer_status_change (volunteer_id, centre_id, from_status, to_status, reason,
                                     changed_at, changed_by)
SELECT v.id, v.centre_id, p.path[s.i - 1], p.path[s.i],
       CASE WHEN s.i > 1 THEN 'ændret af koordinator' END,
       v.created_at + (pa.t0 - v.created_at) * ((s.i - 1) / cardinality(p.path)::numeric),
       co.id
  FROM bench_stage.vol v
  JOIN (VALUES ('applicant', '{applicant}'::text[]),
               ('in_training', '{applicant,in_training}'),
               ('active', '{applicant,in_training,active}'),
               ('paused', '{applicant,in_training,active,paused}'),
               ('retired', '{applicant,in_training,active,retired}'),
               ('rejected', '{applicant,rejected}')) p (status, path) ON p.status = v.status
 CROSS JOIN LATERAL generate_series(1, cardinality(p.path)) s (i)
  JOIN bench_stage.coordinator co ON co.centre_id = v.centre_id
 CROSS JOIN bench_stage.param pa;

INSERT INTO volunteer_interest (volunteer_id, category_id, centre_id)
WITH x AS MATERIALIZED (SELECT v.id, v.centre_id, k.kind, 1 + floor(random() * n.n)::int AS rn
          FROM bench_stage.vol v
         CROSS JOIN (VALUES ('interest'), ('interest'), ('activity')) k (kind)
          JOIN bench_stage.cat_n n ON n.kind = k.kind)
SELECT DISTINCT x.id, c.id, x.centre_id
  FROM x
  JOIN bench_stage.cat c USING (kind, rn);

INSERT INTO volunteer_availability (volunteer_id, centre_id, weekday, starts, ends)
SELECT v.id, v.centre_id, 1 + (v.rn + k * 2) % 7, s.starts, s.starts + interval '3 hours'
  FROM bench_stage.vol v
 CROSS JOIN LATERAL generate_series(0, bench_stage.rint(0, 2)) k
 CROSS JOIN LATERAL (SELECT (ARRAY['09:00', '13:00', '17:00'])[1 + (v.rn + k) % 3]::time AS starts) s
 WHERE v.status IN ('active', 'paused', 'in_training');

-- Trainings: intro for everyone past applicant; the rest for active,
-- paused and retired guides; data protection expires after two years.
INSERT INTO volunteer_training (volunteer_id, centre_id, module, completed_on, expires_on,
                                created_at, created_by)
SELECT v.id, v.centre_id, m.module, d.on_date,
       CASE WHEN m.module = 'data_protection' THEN d.on_date + 730 END,
       d.on_date::timestamp AT TIME ZONE 'Europe/Copenhagen', co.id
  FROM bench_stage.vol v
  JOIN bench_stage.coordinator co ON co.centre_id = v.centre_id
 CROSS JOIN bench_stage.param p
  JOIN (VALUES ('intro', 0.3), ('conversation', 0.5), ('accompaniment', 0.6),
               ('data_protection', 0.7)) m (module, f)
    ON m.module = 'intro' OR v.status IN ('active', 'paused', 'retired')
 CROSS JOIN LATERAL (SELECT (v.created_at + (p.t0 - v.created_at) * m.f)::date AS on_date) d
 WHERE v.status NOT IN ('applicant', 'rejected');

INSERT INTO volunteer_record_check (volunteer_id, centre_id, kind, checked_on, outcome, valid_until,
                                    created_at, created_by)
SELECT v.id, v.centre_id, k.kind, d.on_date, 'clear', d.on_date + 1095,
       d.on_date::timestamp AT TIME ZONE 'Europe/Copenhagen', co.id
  FROM bench_stage.vol v
  JOIN bench_stage.coordinator co ON co.centre_id = v.centre_id
 CROSS JOIN bench_stage.param p
 CROSS JOIN (VALUES ('criminal_record'), ('child_protection')) k (kind)
 CROSS JOIN LATERAL (SELECT greatest(v.created_at::date, p.today - bench_stage.rint(1, 900)) AS on_date) d
 WHERE v.status IN ('active', 'paused', 'retired', 'in_training')
   AND (k.kind = 'criminal_record' OR v.rn % 3 = 0);

-- The guides a request can be assigned to: those who were ever active.
CREATE TABLE bench_stage.guide AS
SELECT id, centre_id, row_number() OVER (PARTITION BY centre_id ORDER BY rn)::int AS rn
  FROM bench_stage.vol WHERE status IN ('active', 'paused', 'retired');
CREATE UNIQUE INDEX ON bench_stage.guide (centre_id, rn);
CREATE TABLE bench_stage.guide_count AS
SELECT centre_id, count(*)::int AS n FROM bench_stage.guide GROUP BY centre_id;

\echo 'data.sql: event series and events'
-- ------------------------------------------------------------------- events
-- Series: 85% weekly (one in seven every other week), 15% monthly, a year
-- of occurrences from a first one in the last six months; the title names
-- the activity and the association.
CREATE TABLE bench_stage.series AS
WITH x AS MATERIALIZED (SELECT c.id AS centre_id, 1 + floor(random() * n.n)::int AS pick,
               1 + floor(random() * cn.n)::int AS act_rn,
               CASE WHEN random() < 0.85 THEN 'weekly' ELSE 'monthly' END AS freq,
               CASE WHEN random() < 0.15 THEN 2 ELSE 1 END AS ri,
               (p.today - bench_stage.rint(1, 182))
                 + (ARRAY['10:00', '14:00', '17:00', '19:00']::time[])[bench_stage.rint(1, 4)] AS first_local,
               (ARRAY[90, 120, 150])[bench_stage.rint(1, 3)] AS minutes,
               CASE WHEN random() < 0.2 THEN bench_stage.rint(8, 30) END AS capacity
          FROM bench_stage.centre c
         CROSS JOIN LATERAL generate_series(1, bench_stage.n_of(11250, c.share, 1)) g
          JOIN bench_stage.assoc_count n ON n.centre_id = c.id
         CROSS JOIN bench_stage.cat_n cn
         CROSS JOIN bench_stage.param p
         WHERE cn.kind = 'activity')
SELECT gen_random_uuid() AS id, x.centre_id, a.id AS association_id, a.name AS association_name,
       a.postal, x.act_rn, x.freq, x.ri, x.first_local, x.minutes, x.capacity
  FROM x
  JOIN bench_stage.assoc a ON a.centre_id = x.centre_id AND a.rn = x.pick;
ALTER TABLE bench_stage.series ADD PRIMARY KEY (id);
ANALYZE bench_stage.series;

CREATE TABLE bench_stage.activity_label (slug text PRIMARY KEY, label text, text text);
INSERT INTO bench_stage.activity_label VALUES
 ('gaatur', 'Gåtur', 'Vi går en tur på en til to timer i roligt tempo.'),
 ('faellesspisning', 'Fællesspisning', 'Vi laver mad sammen og spiser ved et langt bord.'),
 ('strikkeklub', 'Strikkecafé', 'Vi strikker, hækler og hjælper hinanden med mønstrene.'),
 ('kor-og-sang', 'Korsang', 'Vi synger sammen fra højskolesangbogen og nyere sange.'),
 ('braetspil', 'Brætspilsaften', 'Vi spiller brætspil og kortspil; nye spil bliver forklaret.'),
 ('motion', 'Motion for alle', 'Let motion og udstrækning for alle niveauer.'),
 ('naturoplevelser', 'Naturtur', 'Vi tager ud i naturen og ser på fugle og planter.'),
 ('kreativt-vaerksted', 'Kreativt værksted', 'Maling, ler og genbrug i værkstedet.'),
 ('sprogcafe', 'Sprogcafé', 'Øv dansk i en hyggelig snak over en kop kaffe.'),
 ('laesekreds', 'Læsekreds', 'Vi læser en bog om måneden og taler om den.'),
 ('havefaellesskab', 'Havedag', 'Vi passer køkkenhaven og deler høsten.'),
 ('cykling', 'Cykeltur', 'En cykeltur på 15 til 30 km med pause undervejs.');

INSERT INTO event_series (id, centre_id, association_id, kind, title, description, address, postal_code,
                          accessibility, capacity, frequency, repeat_interval, occurrence_count,
                          first_starts_at, first_ends_at, created_by, created_at, updated_at)
SELECT s.id, s.centre_id, s.association_id, 'activity',
       left(l.label || ' hos ' || s.association_name, 200),
       l.text || ' Alle er velkomne, også hvis du kommer alene for første gang. Vi drikker kaffe bagefter.',
       'Mødestedet ' || (s.act_rn * 7), lpad(s.postal::text, 4, '0'),
       CASE WHEN s.act_rn % 2 = 0 THEN 'Niveaufri adgang og handicaptoilet.' END,
       s.capacity, s.freq, s.ri,
       CASE WHEN s.freq = 'weekly' THEN 52 / s.ri ELSE 12 END,
       s.first_local AT TIME ZONE 'Europe/Copenhagen',
       (s.first_local + s.minutes * interval '1 minute') AT TIME ZONE 'Europe/Copenhagen',
       co.id, (s.first_local - interval '14 days') AT TIME ZONE 'Europe/Copenhagen',
       (s.first_local - interval '14 days') AT TIME ZONE 'Europe/Copenhagen'
  FROM bench_stage.series s
  JOIN bench_stage.cat c ON c.kind = 'activity' AND c.rn = s.act_rn
  JOIN bench_stage.activity_label l ON l.slug = c.slug
  JOIN bench_stage.coordinator co ON co.centre_id = s.centre_id;

-- The occurrences, on the wall clock of Copenhagen (as the API expands them).
\echo 'data.sql: measured: event (series occurrences)'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON)
INSERT INTO event (centre_id, association_id, kind, title, description, starts_at, ends_at, cancelled,
                   address, postal_code, accessibility, capacity, series_id, created_by,
                   created_at, updated_at)
SELECT es.centre_id, es.association_id, es.kind, es.title, es.description,
       o.local_start AT TIME ZONE 'Europe/Copenhagen',
       (o.local_start + bs.minutes * interval '1 minute') AT TIME ZONE 'Europe/Copenhagen',
       random() < 0.02, es.address, es.postal_code, es.accessibility, es.capacity, es.id,
       es.created_by, es.created_at, es.created_at
  FROM event_series es
  JOIN bench_stage.series bs ON bs.id = es.id
 CROSS JOIN LATERAL (
       SELECT bs.first_local + CASE WHEN es.frequency = 'weekly'
                                    THEN k * es.repeat_interval * interval '7 days'
                                    ELSE k * es.repeat_interval * interval '1 month' END AS local_start
         FROM generate_series(0, es.occurrence_count - 1) k) o;

-- One-off events of the centres: guide trainings, welcome workshops and
-- information meetings over the last year and the next half year.
INSERT INTO event (centre_id, kind, title, description, starts_at, ends_at, address, postal_code,
                   capacity, created_by, created_at, updated_at)
WITH x AS MATERIALIZED (SELECT c.id AS centre_id, c.postal, g,
               bench_stage.wpick('{guide_training,welcome_workshop,info_meeting}', '{50,25,25}') AS kind,
               (p.today + bench_stage.rint(-365, 182)) + time '17:00' AS local_start
          FROM bench_stage.centre c
         CROSS JOIN LATERAL generate_series(1, bench_stage.n_of(20000, c.share, 1)) g
         CROSS JOIN bench_stage.param p)
SELECT x.centre_id, x.kind,
       CASE x.kind WHEN 'guide_training' THEN 'Kompasguide-uddannelse, modul ' || (x.g % 4 + 1)
                   WHEN 'welcome_workshop' THEN 'Workshop: at tage godt imod nye'
                   ELSE 'Informationsmøde om Flere i fællesskab' END,
       'Frivilligcentret inviterer. Tilmelding i Kompas; kaffe og kage.',
       x.local_start AT TIME ZONE 'Europe/Copenhagen',
       (x.local_start + interval '3 hours') AT TIME ZONE 'Europe/Copenhagen',
       'Frivilligcentret, Hovedgaden 1', lpad(x.postal::text, 4, '0'), 25, co.id,
       x.local_start AT TIME ZONE 'Europe/Copenhagen' - interval '30 days',
       x.local_start AT TIME ZONE 'Europe/Copenhagen' - interval '30 days'
  FROM x
  JOIN bench_stage.coordinator co ON co.centre_id = x.centre_id;

-- Categories of the activities: their activity, and the association's
-- target group.
\echo 'data.sql: measured: event_category'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON)
INSERT INTO event_category (event_id, category_id, centre_id)
SELECT e.id, c.id, e.centre_id
  FROM event e
  JOIN bench_stage.series s ON s.id = e.series_id
  JOIN bench_stage.cat c ON c.kind = 'activity' AND c.rn = s.act_rn
UNION ALL
SELECT e.id, c.id, e.centre_id
  FROM event e
  JOIN bench_stage.assoc_cat ac ON ac.association_id = e.association_id AND ac.kind = 'target_group'
  JOIN bench_stage.cat c ON c.kind = ac.kind AND c.rn = ac.rn
 WHERE e.series_id IS NOT NULL;

\echo 'data.sql: requests (plain values to be sealed)'
-- ----------------------------------------------------------------- requests
-- Nine paths through the workflow (api/handlers/request_states.c), with their
-- shares when the centre has guides, and the delay of each step in days.
CREATE TABLE bench_stage.path_step (path int, ord int, to_state text, reason text, lo numeric, hi numeric);
INSERT INTO bench_stage.path_step VALUES
 -- 1 declined (8%)
 (1, 1, 'declined', 'not_appropriate', 0, 5),
 -- 2 withdrawn before a guide (4%)
 (2, 1, 'accepted', NULL, 0, 3), (2, 2, 'withdrawn', 'withdrawn', 1, 20),
 -- 3 no guide free (3%)
 (3, 1, 'accepted', NULL, 0, 3), (3, 2, 'closed', 'no_capacity', 5, 30),
 -- 4 unreachable (6%)
 (4, 1, 'accepted', NULL, 0, 3), (4, 2, 'guide_assigned', NULL, 1, 10),
 (4, 3, 'closed', 'unreachable', 7, 30),
 -- 5 no longer needed after the first contact (4%)
 (5, 1, 'accepted', NULL, 0, 3), (5, 2, 'guide_assigned', NULL, 1, 10),
 (5, 3, 'contacted', NULL, 0, 5), (5, 4, 'closed', 'no_longer_needed', 3, 20),
 -- 6 the conversation was enough (5%)
 (6, 1, 'accepted', NULL, 0, 3), (6, 2, 'guide_assigned', NULL, 1, 10),
 (6, 3, 'contacted', NULL, 0, 5), (6, 4, 'conversation_held', NULL, 3, 14),
 (6, 5, 'closed', 'need_met', 1, 14),
 -- 7 signposted (9%)
 (7, 1, 'accepted', NULL, 0, 3), (7, 2, 'guide_assigned', NULL, 1, 10),
 (7, 3, 'contacted', NULL, 0, 5), (7, 4, 'conversation_held', NULL, 3, 14),
 (7, 5, 'signposted', NULL, 0, 7), (7, 6, 'closed', 'need_met', 7, 30),
 -- 8 referred to a partner's scheme (11%)
 (8, 1, 'accepted', NULL, 0, 3), (8, 2, 'guide_assigned', NULL, 1, 10),
 (8, 3, 'contacted', NULL, 0, 5), (8, 4, 'conversation_held', NULL, 3, 14),
 (8, 5, 'referred', NULL, 1, 10), (8, 6, 'closed', 'referred_elsewhere', 14, 60),
 -- 9 a follow-along course (50%)
 (9, 1, 'accepted', NULL, 0, 3), (9, 2, 'guide_assigned', NULL, 1, 10),
 (9, 3, 'contacted', NULL, 0, 5), (9, 4, 'conversation_held', NULL, 3, 14),
 (9, 5, 'course_started', NULL, 7, 21), (9, 6, 'closed', 'need_met', 30, 90);

CREATE TABLE bench_stage.req AS
SELECT gen_random_uuid() AS id, c.id AS centre_id, c.slug, c.postal, g.rn,
       -- more requests lately: the density grows over the three years
       p.t0 - (1095 * (1 - sqrt(random())) + 0.01) * interval '1 day' AS created_at,
       CASE WHEN gc.n IS NULL
            THEN bench_stage.wpick('{1,2,3}', '{8,4,3}')::int
            ELSE bench_stage.wpick('{1,2,3,4,5,6,7,8,9}', '{8,4,3,6,4,5,9,11,50}')::int END AS path,
       1 + floor(random() * coalesce(gc.n, 1))::int AS guide_pick,
       bench_stage.wpick('{portal,phone,walk_in,municipal_referral,relative_referral}',
                         '{45,20,5,20,10}') AS source,
       bench_stage.wpick('{18-24,25-34,35-49,50-64,65-79,80+}', '{8,12,18,22,28,12}') AS age_band,
       bench_stage.wpick('{da,en,ar,uk,so,tr,fa,pl}', '{86,4,3,2,1,1,2,1}') AS lang,
       bench_stage.wpick('{phone,email,sms,letter}', '{60,25,10,5}') AS contact,
       bench_stage.wpick('{socialkompas,municipal_staff,relative,local_paper,association,other}',
                         '{35,25,15,8,10,7}') AS heard,
       random() AS u
  FROM bench_stage.centre c
 CROSS JOIN LATERAL generate_series(1, bench_stage.n_of(200000, c.share, 0)) g (rn)
  LEFT JOIN bench_stage.guide_count gc ON gc.centre_id = c.id
 CROSS JOIN bench_stage.param p;
ALTER TABLE bench_stage.req ADD PRIMARY KEY (id);
ANALYZE bench_stage.req;

-- The steps each request has taken by now (times after now are not yet).
CREATE TABLE bench_stage.step AS
WITH s AS MATERIALIZED (SELECT r.id AS request_id, r.centre_id, ps.ord, ps.to_state, ps.reason,
               lag(ps.to_state, 1, 'received') OVER w AS from_state,
               r.created_at + sum((ps.lo + random() * (ps.hi - ps.lo)) * interval '1 day') OVER w AS at
          FROM bench_stage.req r
          JOIN bench_stage.path_step ps ON ps.path = r.path
        WINDOW w AS (PARTITION BY r.id ORDER BY ps.ord))
SELECT s.*
  FROM s, bench_stage.param p
 WHERE s.at <= p.t0;
CREATE INDEX ON bench_stage.step (request_id, ord);
ANALYZE bench_stage.step;

-- Where each request is now.
CREATE TABLE bench_stage.req_now AS
SELECT r.id,
       coalesce(l.to_state, 'received') AS state, l.reason,
       CASE WHEN l.reason IS NOT NULL THEN l.at END AS closed_at,
       (SELECT s.at FROM bench_stage.step s WHERE s.request_id = r.id AND s.to_state = 'contacted') AS first_contact_at,
       (SELECT s.at FROM bench_stage.step s WHERE s.request_id = r.id AND s.to_state = 'guide_assigned') AS assigned_at,
       coalesce(l.at, r.created_at) AS updated_at
  FROM bench_stage.req r
  LEFT JOIN LATERAL (SELECT s.to_state, s.reason, s.at FROM bench_stage.step s
                      WHERE s.request_id = r.id ORDER BY s.ord DESC LIMIT 1) l ON true;
ALTER TABLE bench_stage.req_now ADD PRIMARY KEY (id);

-- Anonymised: closed longer ago than the retention period (24 months).
ALTER TABLE bench_stage.req_now ADD COLUMN anonymised_at timestamptz;
UPDATE bench_stage.req_now n
   SET anonymised_at = n.closed_at + interval '24 months' + random() * interval '1 day'
  FROM bench_stage.param p
 WHERE n.closed_at IS NOT NULL AND n.closed_at + interval '24 months 1 day' < p.t0;
ANALYZE bench_stage.req_now;

-- The citizens' plain contact details, for the sealer (fictional people).
CREATE UNLOGGED TABLE bench_stage.req_plain AS
SELECT r.id,
       bench_stage.pick('{Anne,Mette,Kirsten,Hanne,Helle,Susanne,Lene,Maria,Inge,Bente,Jette,Karen,Peter,Jens,Michael,Lars,Henrik,Thomas,Søren,Jan,Niels,Erik,Ole,Hans,Poul,Ahmed,Fatima,Olena,Yusuf,Amina,Omar,Leila}')
           || ' ' ||
       bench_stage.pick('{Nielsen,Jensen,Hansen,Pedersen,Andersen,Christensen,Larsen,Sørensen,Rasmussen,Jørgensen,Petersen,Madsen,Kristensen,Olsen,Thomsen,Poulsen,Møller,Mortensen,Knudsen,Lund,Holm,Ali,Hassan,Kovalenko,Yilmaz}') AS name,
       CASE WHEN r.u < 0.95 THEN '+45' || (20000000 + (r.rn * 7919 + length(r.slug) * 104729) % 79999999)::text END AS phone,
       CASE WHEN r.u > 0.3 OR r.u >= 0.95 THEN 'borger' || r.rn || '@' || r.slug || '.example.invalid' END AS email,
       CASE WHEN r.u < 0.6 THEN 'Borgervej ' || (r.rn % 200 + 1) || E'\n' || lpad(r.postal::text, 4, '0') END AS address,
       CASE WHEN r.u < 0.25 THEN 'Vil gerne ud blandt andre; bedst om formiddagen.' END AS notes
  FROM bench_stage.req r
  JOIN bench_stage.req_now n ON n.id = r.id
 WHERE n.anonymised_at IS NULL;

\echo 'data.sql: sealing the citizens'' details (kompasd seal-requests)'
CREATE UNLOGGED TABLE bench_stage.req_sealed (
    id uuid PRIMARY KEY, name_sealed bytea NOT NULL, phone_sealed bytea, email_sealed bytea,
    address_sealed bytea, notes_sealed bytea, phone_bidx bytea, email_bidx bytea);
\copy bench_stage.req_sealed FROM PROGRAM 'sh -c "$BENCH_SEALER"'
DO $$
DECLARE
    want bigint := (SELECT count(*) FROM bench_stage.req_plain);
    got bigint := (SELECT count(*) FROM bench_stage.req_sealed);
BEGIN
    IF want <> got THEN
        RAISE EXCEPTION 'data.sql: the sealer returned % rows for % requests', got, want;
    END IF;
END
$$;
DROP TABLE bench_stage.req_plain;

\echo 'data.sql: requests and their histories'
-- The one trigger not in force while the requests are loaded: the funnel's
-- (request_funnel_change, 0033). Row by row it would add each request to
-- its cells and move it again at every state change, some 40 upserts per
-- request, many of the same national cells within this one transaction,
-- where ON CONFLICT walks every earlier version of the cell: quadratic,
-- more than 20 minutes at scale 1. The cells are built once the requests
-- and their histories are in, by the query 0034 built them with for an
-- existing database (below).
ALTER TABLE request DISABLE TRIGGER request_funnel_change;
INSERT INTO request (id, centre_id, source, portal_reference, state, name_sealed, phone_sealed,
                     email_sealed, address_sealed, notes_sealed, phone_bidx, email_bidx, postal_code,
                     age_band, preferred_language, contact_preference, heard_from, created_at,
                     updated_at, version, anonymised_at, assigned_volunteer_id, close_reason,
                     closed_at, first_contact_at)
SELECT r.id, r.centre_id, r.source,
       CASE WHEN r.source = 'portal' AND n.anonymised_at IS NULL THEN 'sk-' || r.rn END,
       n.state, s.name_sealed, s.phone_sealed, s.email_sealed, s.address_sealed, s.notes_sealed,
       s.phone_bidx, s.email_bidx,
       CASE WHEN n.anonymised_at IS NULL THEN lpad(least(9990, r.postal + (r.rn % 10) * 10)::text, 4, '0')
            ELSE left(lpad(r.postal::text, 4, '0'), 2) || '00' END,
       r.age_band, r.lang, r.contact, r.heard, r.created_at,
       coalesce(n.anonymised_at, n.updated_at),
       1 + (SELECT count(*) FROM bench_stage.step s2 WHERE s2.request_id = r.id)::int
         + (n.anonymised_at IS NOT NULL)::int,
       n.anonymised_at, CASE WHEN n.assigned_at IS NOT NULL THEN g.id END, n.reason, n.closed_at,
       n.first_contact_at
  FROM bench_stage.req r
  JOIN bench_stage.req_now n ON n.id = r.id
  LEFT JOIN bench_stage.req_sealed s ON s.id = r.id
  LEFT JOIN bench_stage.guide g ON g.centre_id = r.centre_id AND g.rn = r.guide_pick;
DROP TABLE bench_stage.req_sealed;

-- The history: created, then every state change (the assignment names the guide).
INSERT INTO request_event (request_id, centre_id, at, actor_kind, actor_id, actor_role, kind, to_state)
SELECT r.id, r.centre_id, r.created_at,
       CASE WHEN r.source = 'portal' THEN 'api_key' ELSE 'account' END,
       CASE WHEN r.source = 'portal' THEN NULL ELSE co.id END,
       CASE WHEN r.source = 'portal' THEN 'portal' ELSE 'coordinator' END, 'created', 'received'
  FROM bench_stage.req r JOIN bench_stage.coordinator co ON co.centre_id = r.centre_id;
\echo 'data.sql: measured: request_event (state changes)'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON)
INSERT INTO request_event (request_id, centre_id, at, actor_kind, actor_id, actor_role, kind,
                           from_state, to_state, reason, volunteer_id)
SELECT s.request_id, s.centre_id, s.at, 'account', co.id, 'coordinator', 'state', s.from_state,
       s.to_state, s.reason, CASE WHEN s.to_state = 'guide_assigned' THEN q.assigned_volunteer_id END
  FROM bench_stage.step s
  JOIN request q ON q.id = s.request_id
  JOIN bench_stage.coordinator co ON co.centre_id = s.centre_id
 ORDER BY s.at;

-- The funnel's cells of every request, as 0034 built them, and the trigger
-- in force again for everything after (tests/api/bench_data.test.mjs
-- compares the cells with the requests).
DELETE FROM request_funnel_cell;
INSERT INTO request_funnel_cell
SELECT r.month, coalesce(r.centre_id, '00000000-0000-0000-0000-000000000000'), b.breakdown, b.value, count(*),
       count(*) FILTER (WHERE 'accepted' = ANY (r.reached_states)),
       count(*) FILTER (WHERE r.first_contact_at IS NOT NULL),
       count(*) FILTER (WHERE 'conversation_held' = ANY (r.reached_states)),
       count(*) FILTER (WHERE 'course_started' = ANY (r.reached_states)),
       count(*) FILTER (WHERE 'referred' = ANY (r.reached_states)),
       count(*) FILTER (WHERE 'signposted' = ANY (r.reached_states)),
       count(*) FILTER (WHERE r.closed_at IS NOT NULL),
       coalesce(array_agg((extract(epoch FROM r.first_contact_at - r.created_at) / 86400.0)::double precision
                          ORDER BY (extract(epoch FROM r.first_contact_at - r.created_at) / 86400.0)::double precision)
                    FILTER (WHERE r.first_contact_at IS NOT NULL), '{}')
  FROM (SELECT date_trunc('month', q.created_at AT TIME ZONE 'Europe/Copenhagen')::date AS month,
               q.centre_id, q.source, q.heard_from, q.reached_states, q.first_contact_at,
               q.created_at, q.closed_at
          FROM request q) r
 CROSS JOIN LATERAL (VALUES ('source', r.source),
                            ('heard_from', coalesce(r.heard_from, 'not_given'))) b (breakdown, value)
 GROUP BY GROUPING SETS ((r.month, r.centre_id, b.breakdown, b.value), (r.month, b.breakdown, b.value));
ALTER TABLE request ENABLE TRIGGER request_funnel_change;

INSERT INTO request_category (request_id, category_id, centre_id)
WITH x AS MATERIALIZED (SELECT r.id, r.centre_id, k.kind, 1 + floor(random() * n.n)::int AS rn
          FROM bench_stage.req r
         CROSS JOIN (VALUES ('need'), ('interest'), ('interest')) k (kind)
          JOIN bench_stage.cat_n n ON n.kind = k.kind)
SELECT DISTINCT x.id, c.id, x.centre_id
  FROM x
  JOIN bench_stage.cat c USING (kind, rn);

INSERT INTO request_consent (request_id, centre_id, purpose, given, text_version, at, recorded_by_role)
SELECT r.id, r.centre_id, k.purpose, k.purpose <> 'follow_up' OR r.u < 0.7, '2025-09', r.created_at,
       CASE WHEN r.source = 'portal' THEN 'portal' ELSE 'coordinator' END
  FROM bench_stage.req r
 CROSS JOIN (VALUES ('contact'), ('statistics'), ('follow_up')) k (purpose)
UNION ALL
SELECT s.request_id, s.centre_id, 'share_with_association', true, '2025-09', s.at, 'coordinator'
  FROM bench_stage.step s WHERE s.to_state = 'referred';

\echo 'data.sql: conversations, courses, visits, referrals, measurements'
-- -------------------------------------------------------------- conversations
INSERT INTO conversation (id, request_id, centre_id, volunteer_id, held_on, duration_minutes,
                          next_step, created_at)
SELECT gen_random_uuid(), s.request_id, s.centre_id, q.assigned_volunteer_id,
       (s.at AT TIME ZONE 'Europe/Copenhagen')::date, bench_stage.rint(30, 120),
       CASE nx.to_state WHEN 'course_started' THEN 'course' WHEN 'referred' THEN 'referral'
                        WHEN 'signposted' THEN 'signposting' WHEN 'closed' THEN 'none'
                        ELSE 'another_conversation' END,
       s.at
  FROM bench_stage.step s
  JOIN request q ON q.id = s.request_id
  LEFT JOIN bench_stage.step nx ON nx.request_id = s.request_id AND nx.ord = s.ord + 1
 WHERE s.to_state = 'conversation_held';

-- ----------------------------------------------------------------- courses
-- One per request that reached course_started: the request's guide, one
-- of the centre's associations; ended when the request closed.
CREATE TABLE bench_stage.course AS
WITH x AS MATERIALIZED (
    SELECT s.request_id, s.centre_id, s.at,
           bench_stage.wpick('{1,2,3,4,5,6}', '{5,10,20,35,15,15}')::int AS planned_visits,
           bench_stage.rint(4, 10) AS weeks, random() AS u, random() AS u2,
           1 + floor(random() * n.n)::int AS pick
      FROM bench_stage.step s JOIN bench_stage.assoc_count n ON n.centre_id = s.centre_id
     WHERE s.to_state = 'course_started')
SELECT gen_random_uuid() AS id, x.request_id, x.centre_id, q.assigned_volunteer_id AS volunteer_id,
       a.id AS association_id, x.planned_visits,
       (x.at AT TIME ZONE 'Europe/Copenhagen')::date AS start_date,
       (x.at AT TIME ZONE 'Europe/Copenhagen')::date + x.weeks * 7 AS planned_end,
       CASE WHEN q.closed_at IS NOT NULL
            THEN CASE WHEN x.u < 0.85 THEN 'completed' ELSE 'ended_early' END
            WHEN x.u < 0.9 THEN 'active' ELSE 'planned' END AS state,
       (q.closed_at AT TIME ZONE 'Europe/Copenhagen')::date AS ended_on,
       x.at AS created_at, x.u, x.u2
  FROM x
  JOIN request q ON q.id = x.request_id
  JOIN bench_stage.assoc a ON a.centre_id = x.centre_id AND a.rn = x.pick;
ALTER TABLE bench_stage.course ADD PRIMARY KEY (id);
ANALYZE bench_stage.course;

-- The visits: as planned for completed courses, fewer for those ended
-- early, and as far as the course has come for running ones; spread
-- evenly from the start to the end (or today).
CREATE TABLE bench_stage.visit AS
SELECT gen_random_uuid() AS id, c.id AS course_id, c.centre_id, c.association_id, k,
       c.start_date + floor((k - 1) * (greatest(v.last_day - c.start_date, 0)::numeric / v.n))::int AS visited_on
  FROM bench_stage.course c
 CROSS JOIN bench_stage.param p
 CROSS JOIN LATERAL (
       SELECT coalesce(c.ended_on, least(c.planned_end, p.today)) AS last_day,
              CASE c.state
                   WHEN 'completed' THEN c.planned_visits
                   WHEN 'ended_early' THEN greatest(1, floor(c.planned_visits * c.u2)::int)
                   WHEN 'active' THEN greatest(1, least(c.planned_visits,
                        ceil(c.planned_visits * (p.today - c.start_date)::numeric
                             / greatest(c.planned_end - c.start_date, 1))::int))
                   ELSE 0 END AS n) v
 CROSS JOIN LATERAL generate_series(1, v.n) k;
-- (indexed and analysed like every large staging table: the statements
-- below look rows up in them)
CREATE INDEX ON bench_stage.visit (course_id);
ANALYZE bench_stage.visit;

INSERT INTO course (id, centre_id, request_id, volunteer_id, association_id, planned_visits,
                    planned_end, state, started_on, ended_on, outcome, follow_up_due, follow_up_on,
                    follow_up_result, last_visit_on, created_at, updated_at)
SELECT c.id, c.centre_id, c.request_id, c.volunteer_id, c.association_id, c.planned_visits,
       c.planned_end, c.state,
       CASE WHEN c.state <> 'planned' THEN c.start_date END,
       c.ended_on,
       CASE c.state
            WHEN 'completed' THEN bench_stage.wpick('{continues_on_own,continues_with_support,referred,stopped}', '{55,25,10,10}')
            WHEN 'ended_early' THEN bench_stage.wpick('{stopped,referred}', '{60,40}') END,
       c.ended_on + 90,
       f.on_date, CASE WHEN f.on_date IS NOT NULL THEN CASE WHEN c.u2 < 0.65 THEN 'still_taking_part' ELSE 'not_taking_part' END END,
       (SELECT max(v.visited_on) FROM bench_stage.visit v WHERE v.course_id = c.id),
       c.created_at, coalesce(c.ended_on::timestamp AT TIME ZONE 'Europe/Copenhagen', c.created_at)
  FROM bench_stage.course c
 CROSS JOIN bench_stage.param p
 CROSS JOIN LATERAL (SELECT CASE WHEN c.ended_on + 90 <= p.today AND c.u < 0.75
                                 THEN least(p.today, c.ended_on + 90 + bench_stage.rint(0, 14)) END AS on_date) f;

INSERT INTO visit (id, course_id, centre_id, visited_on, association_id, citizen_came, guide_went,
                   minutes, recorded_by_role, created_at)
SELECT v.id, v.course_id, v.centre_id, v.visited_on, v.association_id, random() < 0.88,
       v.k = 1 OR random() < 0.7, bench_stage.rint(60, 180),
       CASE WHEN random() < 0.7 THEN 'guide' ELSE 'coordinator' END,
       (v.visited_on + time '18:00') AT TIME ZONE 'Europe/Copenhagen'
  FROM bench_stage.visit v;

-- --------------------------------------------------------------- referrals
-- To an association of the centre with its own scheme (any, if none has one).
INSERT INTO referral (centre_id, request_id, association_id, state, scheme_note, sent_at, answered_at,
                      completed_at, created_at, updated_at)
WITH x AS MATERIALIZED (SELECT s.request_id, s.centre_id, coalesce(sa.id, a.id) AS association_id, s.at AS sent_at,
               s.at + (1 + random() * 9) * interval '1 day' AS answered_at,
               s.at + (30 + random() * 60) * interval '1 day' AS completed_at,
               bench_stage.wpick('{completed,accepted,declined,sent}', '{50,25,15,10}') AS want
          FROM bench_stage.step s
          JOIN bench_stage.assoc_count n ON n.centre_id = s.centre_id
          LEFT JOIN bench_stage.assoc_scheme sa
                 ON sa.centre_id = s.centre_id AND sa.rn = 1 + ((hashtext(s.request_id::text)::bigint & 2147483647) % greatest(n.n_scheme, 1))
          LEFT JOIN bench_stage.assoc a
                 ON a.centre_id = s.centre_id AND a.rn = 1 + ((hashtext(s.request_id::text)::bigint & 2147483647) % n.n)
         WHERE s.to_state = 'referred')
SELECT x.centre_id, x.request_id, x.association_id, y.state, 'Følgeskabsordningen', x.sent_at,
       CASE WHEN y.state <> 'sent' THEN x.answered_at END,
       CASE WHEN y.state = 'completed' THEN x.completed_at END, x.sent_at,
       CASE y.state WHEN 'sent' THEN x.sent_at WHEN 'completed' THEN x.completed_at ELSE x.answered_at END
  FROM x
 CROSS JOIN bench_stage.param p
 CROSS JOIN LATERAL (SELECT CASE WHEN x.want = 'completed' AND x.completed_at > p.t0 THEN 'accepted'
                                 ELSE x.want END AS want2) w
 CROSS JOIN LATERAL (SELECT CASE WHEN w.want2 <> 'sent' AND x.answered_at > p.t0 THEN 'sent'
                                 ELSE w.want2 END AS state) y;

-- ------------------------------------------------------------ measurements
-- WHO-5 (items 0-5) and UCLA-3 (items 1-4) at the conversation (baseline,
-- three in four), at the end of completed courses (seven in ten) and at
-- the follow-up (six in ten): a little better after than before.
INSERT INTO measurement (centre_id, request_id, course_id, instrument, instrument_version, timepoint,
                         taken_on, mode, answers, recorded_by_role, created_at)
WITH m AS MATERIALIZED (SELECT cv.centre_id, cv.request_id, NULL::uuid AS course_id, 'baseline' AS timepoint,
               cv.held_on AS taken_on, 0 AS lift
          FROM conversation cv WHERE random() < 0.75
        UNION ALL
        SELECT c.centre_id, c.request_id, c.id, 'course_end', c.ended_on, 1
          FROM course c WHERE c.state = 'completed' AND random() < 0.7
        UNION ALL
        SELECT c.centre_id, c.request_id, c.id, 'follow_up', c.follow_up_on, 1
          FROM course c WHERE c.follow_up_on IS NOT NULL AND random() < 0.6)
SELECT m.centre_id, m.request_id, m.course_id, i.instrument,
       CASE i.instrument WHEN 'who5' THEN 'da-1998' ELSE 'da-shp-2021' END, m.timepoint, m.taken_on,
       CASE WHEN random() < 0.6 THEN 'alone' ELSE 'helped' END,
       CASE i.instrument
            WHEN 'who5' THEN ARRAY[least(5, m.lift + bench_stage.rint(0, 3)), least(5, m.lift + bench_stage.rint(0, 3)),
                                   least(5, m.lift + bench_stage.rint(0, 3)), least(5, m.lift + bench_stage.rint(0, 3)),
                                   least(5, m.lift + bench_stage.rint(0, 3))]
            ELSE ARRAY[greatest(1, 4 - m.lift - bench_stage.rint(0, 1)), greatest(1, 4 - m.lift - bench_stage.rint(0, 1)),
                       greatest(1, 4 - m.lift - bench_stage.rint(0, 1))] END,
       'guide', (m.taken_on + time '15:00') AT TIME ZONE 'Europe/Copenhagen'
  FROM m
 CROSS JOIN (VALUES ('who5'), ('ucla3')) i (instrument);

\echo 'data.sql: done; dropping the staging schema'
DROP SCHEMA bench_stage CASCADE;
VACUUM (ANALYZE);
