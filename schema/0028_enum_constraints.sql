-- 0028: the database refuses what the API refuses. Every enum-like column
-- is checked against the same values the API accepts (docs/openapi.yaml),
-- so a script, a migration or a bug that writes past the API cannot store
-- what the API would answer 422 to. tests/api/db_enums.test.mjs compares
-- each CHECK below with the API's enum and tries a bad row for each.

-- A volunteer's interests are interest and activity categories only (the
-- API: POST/PATCH /v1/volunteers interest_ids). A CHECK cannot look at the
-- category, so a trigger does; and a category's kind and slug never change
-- (PATCH /v1/categories changes the names only), so what was checked stays
-- true. Rows the API could never have written (the demo data stored target
-- groups as interests) are removed first: matching reads interests and
-- activities only, so nothing that uses them changes.
DELETE FROM volunteer_interest vi
 USING category c
 WHERE c.id = vi.category_id AND c.kind NOT IN ('interest', 'activity');

\ir functions/volunteer_interest_kind_check.sql

CREATE TRIGGER volunteer_interest_kind_check BEFORE INSERT OR UPDATE OF category_id ON volunteer_interest
    FOR EACH ROW EXECUTE FUNCTION volunteer_interest_kind_check();

\ir functions/category_kind_fixed.sql

CREATE TRIGGER category_kind_fixed BEFORE UPDATE OF kind, slug ON category
    FOR EACH ROW EXECUTE FUNCTION category_kind_fixed();

\ir functions/kompas_iso639_1.sql

ALTER TABLE volunteer ADD CONSTRAINT volunteer_languages_iso639_1
    CHECK (languages <@ kompas_iso639_1());
ALTER TABLE request ADD CONSTRAINT request_preferred_language_known
    CHECK (preferred_language IN ('da', 'en', 'de', 'ar', 'so', 'tr', 'fa', 'ur', 'pl', 'uk', 'ru',
                                  'ro', 'ti', 'ku', 'bs', 'sv', 'no', 'es', 'fr', 'vi', 'th', 'tl'));

-- Who did it: the role of the account or key that acted, or system for
-- kompasd's own jobs (retention). These were free text. A consent is
-- recorded by the portal or by staff of the centre.
ALTER TABLE request_event ADD CONSTRAINT request_event_actor_role_known
    CHECK (actor_role IN ('admin', 'coordinator', 'guide', 'association', 'analyst', 'portal',
                          'system'));
ALTER TABLE access_log ADD CONSTRAINT access_log_actor_role_known
    CHECK (actor_role IN ('admin', 'coordinator', 'guide', 'association', 'analyst', 'portal',
                          'system'));
ALTER TABLE request_consent ADD CONSTRAINT request_consent_recorded_by_role_known
    CHECK (recorded_by_role IN ('portal', 'coordinator', 'guide'));

-- The reason of a closing, declining or withdrawing step is from the fixed
-- list (as request.close_reason).
ALTER TABLE request_event ADD CONSTRAINT request_event_reason_known
    CHECK (reason IN ('need_met', 'no_longer_needed', 'not_appropriate', 'no_capacity',
                      'unreachable', 'referred_elsewhere', 'withdrawn'));

-- A state step of a request names two states of the request workflow.
ALTER TABLE request_event ADD CONSTRAINT request_event_states_known
    CHECK (from_state IN ('received', 'accepted', 'declined', 'guide_assigned', 'contacted',
                          'conversation_held', 'course_started', 'referred', 'signposted',
                          'closed', 'withdrawn')
           AND to_state IN ('received', 'accepted', 'declined', 'guide_assigned', 'contacted',
                            'conversation_held', 'course_started', 'referred', 'signposted',
                            'closed', 'withdrawn'));

-- Values allowed but never written: a guide's assignment is a state step
-- (to guide_assigned), not a kind of its own, and erasure is logged as
-- anonymise. The API's lists (the history's kind, the access log's action)
-- are the ones written.
ALTER TABLE request_event DROP CONSTRAINT request_event_kind_check;
ALTER TABLE request_event ADD CONSTRAINT request_event_kind_check
    CHECK (kind IN ('created', 'state', 'data', 'consent', 'conversation'));
ALTER TABLE access_log DROP CONSTRAINT access_log_action_check;
ALTER TABLE access_log ADD CONSTRAINT access_log_action_check
    CHECK (action IN ('read', 'search', 'create', 'update', 'export', 'anonymise'));
COMMENT ON COLUMN access_log.action IS 'read, search, create, update, export or anonymise';
COMMENT ON COLUMN request_event.kind IS 'created, state, data, consent or conversation';

-- The functions this migration created or changed are in schema/functions/:
-- volunteer_interest_kind_check, category_kind_fixed, kompas_iso639_1.
