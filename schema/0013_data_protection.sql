-- 0013: data-protection duties: anonymising a request (on the citizen's
-- request, or when a closed request's retention period has ended) removes
-- every personal field and free text while states, dates, outcomes and
-- scores stay for the statistics.

ALTER TABLE request DROP CONSTRAINT request_check1;
ALTER TABLE request ADD CONSTRAINT request_portal_has_reference
    CHECK (source <> 'portal' OR portal_reference IS NOT NULL OR anonymised_at IS NOT NULL);

-- The functions this migration created or changed are in schema/functions/:
-- kompas_anonymise_children, kompas_anonymise, kompas_anonymise_due.
