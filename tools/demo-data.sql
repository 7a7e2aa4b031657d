-- Demo data for `make run`: the first two volunteer centres of
-- "Flere i fællesskab". Fictional contact details. Loaded once, into an
-- empty database.
INSERT INTO centre (slug, name, municipality, postal_code, email, phone, website) VALUES
  ('odense', 'Frivilligcenter Odense', 'Odense', '5000', 'kontakt@odense.frivilligcenter.invalid', '+4566000000', 'https://odense.socialkompas.dk'),
  ('silkeborg', 'Frivilligcenter Silkeborg', 'Silkeborg', '8600', 'kontakt@silkeborg.frivilligcenter.invalid', '+4586000000', 'https://silkeborg.socialkompas.dk');
