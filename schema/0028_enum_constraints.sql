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

CREATE FUNCTION volunteer_interest_kind_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM category c
                    WHERE c.id = NEW.category_id AND c.kind IN ('interest', 'activity')) THEN
        RAISE EXCEPTION 'a volunteer''s interest must be an interest or activity category'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION volunteer_interest_kind_check() IS 'Trigger: a volunteer''s interest is a category of kind interest or activity';
REVOKE ALL ON FUNCTION volunteer_interest_kind_check() FROM PUBLIC;
CREATE TRIGGER volunteer_interest_kind_check BEFORE INSERT OR UPDATE OF category_id ON volunteer_interest
    FOR EACH ROW EXECUTE FUNCTION volunteer_interest_kind_check();

CREATE FUNCTION category_kind_fixed() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.slug IS DISTINCT FROM OLD.slug THEN
        RAISE EXCEPTION 'a category''s kind and slug do not change'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION category_kind_fixed() IS 'Trigger: a category keeps its kind and slug (what uses it was checked against them)';
REVOKE ALL ON FUNCTION category_kind_fixed() FROM PUBLIC;
CREATE TRIGGER category_kind_fixed BEFORE UPDATE OF kind, slug ON category
    FOR EACH ROW EXECUTE FUNCTION category_kind_fixed();

-- Languages: the API takes a request's preferred language from its list of
-- 22 (requests.c) and a volunteer's languages from ISO 639-1 (volunteers.c);
-- the database checked only the shape (two letters).
CREATE FUNCTION kompas_iso639_1() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT ARRAY['aa', 'ab', 'ae', 'af', 'ak', 'am', 'an', 'ar', 'as', 'av', 'ay', 'az', 'ba', 'be',
             'bg', 'bi', 'bm', 'bn', 'bo', 'br', 'bs', 'ca', 'ce', 'ch', 'co', 'cr', 'cs', 'cu',
             'cv', 'cy', 'da', 'de', 'dv', 'dz', 'ee', 'el', 'en', 'eo', 'es', 'et', 'eu', 'fa',
             'ff', 'fi', 'fj', 'fo', 'fr', 'fy', 'ga', 'gd', 'gl', 'gn', 'gu', 'gv', 'ha', 'he',
             'hi', 'ho', 'hr', 'ht', 'hu', 'hy', 'hz', 'ia', 'id', 'ie', 'ig', 'ii', 'ik', 'io',
             'is', 'it', 'iu', 'ja', 'jv', 'ka', 'kg', 'ki', 'kj', 'kk', 'kl', 'km', 'kn', 'ko',
             'kr', 'ks', 'ku', 'kv', 'kw', 'ky', 'la', 'lb', 'lg', 'li', 'ln', 'lo', 'lt', 'lu',
             'lv', 'mg', 'mh', 'mi', 'mk', 'ml', 'mn', 'mr', 'ms', 'mt', 'my', 'na', 'nb', 'nd',
             'ne', 'ng', 'nl', 'nn', 'no', 'nr', 'nv', 'ny', 'oc', 'oj', 'om', 'or', 'os', 'pa',
             'pi', 'pl', 'ps', 'pt', 'qu', 'rm', 'rn', 'ro', 'ru', 'rw', 'sa', 'sc', 'sd', 'se',
             'sg', 'si', 'sk', 'sl', 'sm', 'sn', 'so', 'sq', 'sr', 'ss', 'st', 'su', 'sv', 'sw',
             'ta', 'te', 'tg', 'th', 'ti', 'tk', 'tl', 'tn', 'to', 'tr', 'ts', 'tt', 'tw', 'ty',
             'ug', 'uk', 'ur', 'uz', 've', 'vi', 'vo', 'wa', 'wo', 'xh', 'yi', 'yo', 'za', 'zh',
             'zu']
$$;
COMMENT ON FUNCTION kompas_iso639_1() IS 'The ISO 639-1 language codes (the API''s list for a volunteer''s languages)';

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
