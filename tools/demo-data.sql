-- Demo data for `make run`: the first two volunteer centres of
-- "Flere i fællesskab" and a demo account for each role. Fictional people
-- and contact details. Loaded once, into an empty database, as the owner.
-- Every demo account's password is kompas-demo-2026 (argon2id below).

INSERT INTO centre (id, slug, name, municipality, postal_code, email, phone, website, cors_origins) VALUES
  ('a0000000-0000-4000-8000-000000000001', 'odense', 'Frivilligcenter Odense', 'Odense', '5000',
   'kontakt@odense.frivilligcenter.invalid', '+4566000000', 'https://odense.socialkompas.dk',
   '{https://odense.socialkompas.dk}'),
  ('a0000000-0000-4000-8000-000000000002', 'silkeborg', 'Frivilligcenter Silkeborg', 'Silkeborg', '8600',
   'kontakt@silkeborg.frivilligcenter.invalid', '+4586000000', 'https://silkeborg.socialkompas.dk',
   '{https://silkeborg.socialkompas.dk}');

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
  ('guide@silkeborg.demo',           'Sofie Guide',         'guide',       'a0000000-0000-4000-8000-000000000002')
) AS d (email, display_name, role, centre_id);
