-- 0014: anonymisation also clears the personal data kept with courses and
-- referrals (visit notes, notes to the association).

-- The functions this migration created or changed are in schema/functions/:
-- kompas_anonymise_children.
