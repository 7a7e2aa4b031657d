/* volunteers.c - the centre's volunteer Kompasguides: contact details,
 * status with its history, languages, postal areas, interests, weekly
 * availability, capacity, training modules and record checks, and the
 * guide's own profile (GET/PATCH /v1/me/volunteer).
 *
 * Coordinators manage their centre's volunteers (admins read them); a guide
 * reads their own record and changes only their contact details, languages,
 * postal areas, interests, availability and capacity. Row-level security
 * hides everything else (404). The status transitions are the table below,
 * the one place that holds them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../lib/crypto.h"
#include "../lib/db.h"
#include "../lib/http.h"
#include "../lib/problem.h"
#include "../lib/spec.h"
#include "app.h"
#include "routes.h"
#include "auth.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* The day in Denmark: expiry dates are Danish calendar days. */
#define TODAY "((now() AT TIME ZONE 'Europe/Copenhagen')::date)"

/* --- the status machine ----------------------------------------------------- */

struct transition {
	const char *from;
	const char *to[4]; /* NULL-terminated */
};

static const struct transition transitions[] = {
    {"applicant", {"in_training", "rejected", NULL}},
    {"in_training", {"active", "retired", "rejected", NULL}},
    {"active", {"paused", "retired", NULL}},
    {"paused", {"active", "retired", NULL}},
    {"retired", {NULL}},
    {"rejected", {NULL}},
};

static const struct transition *
transition_from(const char *status)
{
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (strcmp(transitions[i].from, status) == 0)
			return &transitions[i];
	return NULL;
}

static bool
transition_allowed(const char *from, const char *to)
{
	const struct transition *t = transition_from(from);

	for (size_t i = 0; t != NULL && t->to[i] != NULL; i++)
		if (strcmp(t->to[i], to) == 0)
			return true;
	return false;
}

/* 409 for an illegal change, with the allowed statuses in "allowed". */
static void
reply_illegal_transition(struct http_request *rq, const char *from, const char *to)
{
	const struct transition *t = transition_from(from);
	json_t *allowed = json_array();
	char detail[160], message[160];
	size_t off = 0;
	json_t *p;

	message[0] = '\0';
	for (size_t i = 0; t != NULL && t->to[i] != NULL; i++) {
		json_array_append_new(allowed, json_string(t->to[i]));
		off += (size_t)snprintf(message + off, sizeof(message) - off, "%s%s", i ? ", " : "",
		                        t->to[i]);
		if (off >= sizeof(message))
			break;
	}
	snprintf(detail, sizeof(detail), "A volunteer cannot go from %s to %s.", from, to);
	p = problem_new(ERR_CONFLICT, detail, rq->request_id);
	problem_add_field_error(p, "status", ERR_FIELD_NOT_IN_ENUM,
	                        json_array_size(allowed) > 0 ? message
	                                                     : "this status is final: no change");
	json_object_set_new(p, "current_status", json_string(from));
	json_object_set_new(p, "allowed", allowed);
	http_reply_problem_json(rq, p);
}

/* --- vocabularies ------------------------------------------------------------- */

static const char *const statuses[] = {"applicant", "in_training", "active", "paused",
                                       "retired",   "rejected",    NULL};
static const char *const initial_statuses[] = {"applicant", "in_training", "active", NULL};
static const char *const recruited_via[] = {
    "socialkompas", "association", "word_of_mouth", "local_paper", "event", "other", NULL};
static const char *const modules[] = {
    "intro", "conversation", "accompaniment", "first_aid_mental_health", "data_protection", NULL};
static const char *const check_kinds[] = {"child_protection", "criminal_record", NULL};
static const char *const check_outcomes[] = {"clear", "remarks", NULL};

/* ISO 639-1 language codes. */
static const char *const iso639_1[] = {
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi",
    "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de",
    "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy",
    "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia",
    "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk",
    "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln", "lo",
    "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd",
    "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl",
    "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl",
    "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk",
    "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa",
    "wo", "xh", "yi", "yo", "za", "zh", "zu", NULL};

static bool
is_language(const char *s)
{
	for (const char *const *l = iso639_1; s != NULL && *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

#define LANGUAGE_MESSAGE "must be an ISO 639-1 language code in lower case, such as da, en or ar"

/* --- specs -------------------------------------------------------------------- */

static const struct spec_field language_item = {.type = SPEC_STRING, .min = 2, .max = 2};
static const struct spec_field postal_item = {.type = SPEC_STRING,
                                              .format = SPEC_FMT_POSTAL_CODE_DK};
static const struct spec_field uuid_item = {.type = SPEC_STRING, .format = SPEC_FMT_UUID};
static const struct spec_field slot_fields[] = {
    {.name = "weekday", .type = SPEC_INTEGER, .flags = SPEC_REQUIRED, .min = 1, .max = 7},
    {.name = "starts", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 5, .max = 5},
    {.name = "ends", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 5, .max = 5},
    SPEC_END};
static const struct spec_field slot_item = {.type = SPEC_OBJECT, .fields = slot_fields};
static const struct spec_field status_item = {.type = SPEC_STRING, .enum_values = statuses};

/* The members a guide may change themselves, shared by every body. */
#define SELF_FIELDS                                                                                \
	{.name = "email",                                                                          \
	 .type = SPEC_STRING,                                                                      \
	 .flags = SPEC_NULLABLE,                                                                   \
	 .max = 254,                                                                               \
	 .format = SPEC_FMT_EMAIL},                                                                \
	    {.name = "phone", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .min = 8, .max = 30},   \
	    {.name = "languages",                                                                  \
	     .type = SPEC_ARRAY,                                                                   \
	     .flags = SPEC_UNIQUE,                                                                 \
	     .max = 20,                                                                            \
	     .items = &language_item},                                                             \
	    {.name = "postal_areas",                                                               \
	     .type = SPEC_ARRAY,                                                                   \
	     .flags = SPEC_UNIQUE,                                                                 \
	     .max = 50,                                                                            \
	     .items = &postal_item},                                                               \
	    {.name = "interests",                                                                  \
	     .type = SPEC_ARRAY,                                                                   \
	     .flags = SPEC_UNIQUE,                                                                 \
	     .max = 30,                                                                            \
	     .items = &uuid_item},                                                                 \
	    {.name = "availability",                                                               \
	     .type = SPEC_ARRAY,                                                                   \
	     .flags = SPEC_UNIQUE,                                                                 \
	     .max = 28,                                                                            \
	     .items = &slot_item},                                                                 \
	{                                                                                          \
		.name = "capacity", .type = SPEC_INTEGER, .min = 1, .max = 10                      \
	}

/* The members only a coordinator changes. */
#define STAFF_FIELDS                                                                               \
	{.name = "recruited_via",                                                                  \
	 .type = SPEC_STRING,                                                                      \
	 .flags = SPEC_NULLABLE,                                                                   \
	 .enum_values = recruited_via},                                                            \
	    {.name = "recruited_association_id",                                                   \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE,                                                               \
	     .format = SPEC_FMT_UUID},                                                             \
	    {.name = "notes",                                                                      \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE | SPEC_MULTILINE,                                              \
	     .min = 1,                                                                             \
	     .max = 2000},                                                                         \
	{                                                                                          \
		.name = "account_id", .type = SPEC_STRING, .flags = SPEC_NULLABLE,                 \
		.format = SPEC_FMT_UUID                                                            \
	}

static const struct spec_field volunteers_create_spec[] = {
    {.name = "name", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 1, .max = 200},
    {.name = "status", .type = SPEC_STRING, .enum_values = initial_statuses},
    SELF_FIELDS,
    STAFF_FIELDS,
    SPEC_END};

static const struct spec_field volunteers_update_spec[] = {
    {.name = "name", .type = SPEC_STRING, .min = 1, .max = 200},
    {.name = "status", .type = SPEC_STRING, .enum_values = statuses},
    {.name = "status_reason",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 500},
    SELF_FIELDS,
    STAFF_FIELDS,
    SPEC_END};

static const struct spec_field volunteers_me_update_spec[] = {SELF_FIELDS, SPEC_END};

static const struct spec_field volunteers_list_query[] = {
    {.name = "status",
     .type = SPEC_ARRAY,
     .flags = SPEC_UNIQUE,
     .min = 1,
     .max = 6,
     .items = &status_item},
    {.name = "language", .type = SPEC_STRING, .min = 2, .max = 2},
    {.name = "postal_area", .type = SPEC_STRING, .format = SPEC_FMT_POSTAL_CODE_DK},
    {.name = "interest", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    {.name = "expiring_within_days", .type = SPEC_INTEGER, .min = 1, .max = 365},
    {.name = "q", .type = SPEC_STRING, .min = 1, .max = 100},
    {.name = "centre_id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .min = 38, .max = 1200},
    SPEC_END};

static const struct spec_field volunteers_history_query[] = {
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_INTEGER, .min = 1, .max = 9007199254740991LL},
    SPEC_END};

static const struct spec_field volunteers_training_spec[] = {
    {.name = "module", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = modules},
    {.name = "completed_on", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .format = SPEC_FMT_DATE},
    {.name = "expires_on", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .format = SPEC_FMT_DATE},
    SPEC_END};

static const struct spec_field volunteers_record_check_spec[] = {
    {.name = "kind", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = check_kinds},
    {.name = "checked_on", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .format = SPEC_FMT_DATE},
    {.name = "outcome", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = check_outcomes},
    {.name = "valid_until", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .format = SPEC_FMT_DATE},
    SPEC_END};

/* --- the representation --------------------------------------------------------- */

#define VOLUNTEER_COLUMNS                                                                          \
	"v.id, v.centre_id, v.account_id, v.name, v.email, v.phone, v.status,"                     \
	" array_to_json(v.languages), array_to_json(v.postal_areas), v.capacity,"                  \
	" v.recruited_via, v.recruited_association_id, v.notes, " TS("v.created_at") ", " TS(      \
	    "v.updated_at") ", v.version,"                                                         \
	                    " (SELECT coalesce(json_agg(json_build_object('id', c.id, 'kind', "    \
	                    "c.kind, 'slug', c.slug,"                                              \
	                    "   'name_da', c.name_da, 'name_en', c.name_en) ORDER BY c.kind, "     \
	                    "c.slug, c.id), '[]')"                                                 \
	                    "  FROM volunteer_interest i JOIN category c ON c.id = i.category_id"  \
	                    "  WHERE i.volunteer_id = v.id),"                                      \
	                    " (SELECT coalesce(json_agg(json_build_object('weekday', a.weekday,"   \
	                    "   'starts', to_char(a.starts, 'HH24:MI'), 'ends', to_char(a.ends, "  \
	                    "'HH24:MI'))"                                                          \
	                    "   ORDER BY a.weekday, a.starts), '[]')"                              \
	                    "  FROM volunteer_availability a WHERE a.volunteer_id = v.id),"        \
	                    " (SELECT coalesce(json_agg(json_build_object('id', t.id, 'module', "  \
	                    "t.module,"                                                            \
	                    "   'completed_on', to_char(t.completed_on, 'YYYY-MM-DD'),"            \
	                    "   'expires_on', to_char(t.expires_on, 'YYYY-MM-DD'))"                \
	                    "   ORDER BY t.completed_on, t.id), '[]')"                             \
	                    "  FROM volunteer_training t WHERE t.volunteer_id = v.id),"            \
	                    " (SELECT coalesce(json_agg(json_build_object('id', r.id, 'kind', "    \
	                    "r.kind,"                                                              \
	                    "   'checked_on', to_char(r.checked_on, 'YYYY-MM-DD'), 'outcome', "    \
	                    "r.outcome,"                                                           \
	                    "   'valid_until', to_char(r.valid_until, 'YYYY-MM-DD'))"              \
	                    "   ORDER BY r.checked_on, r.id), '[]')"                               \
	                    "  FROM volunteer_record_check r WHERE r.volunteer_id = v.id),"        \
	                    " (SELECT count(*) FROM request q WHERE q.assigned_volunteer_id = "    \
	                    "v.id"                                                                 \
	                    "   AND q.anonymised_at IS NULL AND q.state IN ('guide_assigned',"     \
	                    "   'contacted', 'conversation_held', 'course_started'))"

enum {
	C_ID,
	C_CENTRE,
	C_ACCOUNT,
	C_NAME,
	C_EMAIL,
	C_PHONE,
	C_STATUS,
	C_LANGUAGES,
	C_POSTAL_AREAS,
	C_CAPACITY,
	C_VIA,
	C_ASSOCIATION,
	C_NOTES,
	C_CREATED,
	C_UPDATED,
	C_VERSION,
	C_INTERESTS,
	C_AVAILABILITY,
	C_TRAININGS,
	C_CHECKS,
	C_ACTIVE_CITIZENS,
};

static json_t *
json_column(const PGresult *res, int row, int col)
{
	json_t *v =
	    PQgetisnull(res, row, col) ? NULL : json_loads(PQgetvalue(res, row, col), 0, NULL);

	return v ? v : json_array();
}

/* One volunteer row (VOLUNTEER_COLUMNS) as JSON. active_citizens counts
 * the open requests assigned to the volunteer (their current load). */
static json_t *
volunteer_json(const PGresult *res, int row)
{
	json_t *j = json_pack(
	    "{s:s, s:s, s:o, s:s, s:o, s:o, s:s, s:o, s:o, s:i, s:i, s:o, s:o, s:o}", "id",
	    PQgetvalue(res, row, C_ID), "centre_id", PQgetvalue(res, row, C_CENTRE), "account_id",
	    db_json_text(res, row, C_ACCOUNT), "name", PQgetvalue(res, row, C_NAME), "email",
	    db_json_text(res, row, C_EMAIL), "phone", db_json_text(res, row, C_PHONE), "status",
	    PQgetvalue(res, row, C_STATUS), "languages", json_column(res, row, C_LANGUAGES),
	    "postal_areas", json_column(res, row, C_POSTAL_AREAS), "capacity",
	    atoi(PQgetvalue(res, row, C_CAPACITY)), "active_citizens",
	    atoi(PQgetvalue(res, row, C_ACTIVE_CITIZENS)), "recruited_via",
	    db_json_text(res, row, C_VIA), "recruited_association_id",
	    db_json_text(res, row, C_ASSOCIATION), "notes", db_json_text(res, row, C_NOTES));

	json_object_set_new(j, "interests", json_column(res, row, C_INTERESTS));
	json_object_set_new(j, "availability", json_column(res, row, C_AVAILABILITY));
	json_object_set_new(j, "trainings", json_column(res, row, C_TRAININGS));
	json_object_set_new(j, "record_checks", json_column(res, row, C_CHECKS));
	json_object_set_new(j, "created_at", json_string(PQgetvalue(res, row, C_CREATED)));
	json_object_set_new(j, "updated_at", json_string(PQgetvalue(res, row, C_UPDATED)));
	return j;
}

/* --- small helpers -------------------------------------------------------------- */

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static const char *
present(const json_t *obj, const char *key)
{
	return json_object_get(obj, key) != NULL ? "true" : "false";
}

static void
reply_not_found(struct http_request *rq)
{
	http_reply_problem(rq, ERR_NOT_FOUND, "No volunteer has this id.");
}

/* Run a statement; on failure answer (a constraint the checks here missed
 * is a 409 or 422, never a 500) and return NULL. */
static PGresult *
run(struct http_request *rq, struct db_stmt *stmt, const char *const *params)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, stmt, params, &qs);
	const char *state;

	if (res != NULL)
		return res;
	state = rq->db != NULL && !db_conn_lost(rq->db) && qs == DB_HARD_ERROR
	            ? db_last_sqlstate(rq->db)
	            : NULL;
	if (state != NULL && strcmp(state, "23505") == 0) {
		http_reply_problem(rq, ERR_CONFLICT,
		                   "The change conflicts with another record (a guide account "
		                   "linked twice, or a repeated slot).");
		rq->db_error = DB_ROLLBACK;
	} else if (state != NULL && (strcmp(state, "23514") == 0 || strcmp(state, "23503") == 0)) {
		http_reply_problem(rq, ERR_VALIDATION_FAILED,
		                   "The change breaks a rule of the volunteer record.");
		rq->db_error = DB_ROLLBACK;
	} else if (state != NULL && strcmp(state, "42501") == 0) {
		http_reply_problem(rq, ERR_FORBIDDEN, "You may not change this.");
		rq->db_error = DB_ROLLBACK;
	} else {
		http_reply_db_error(rq, qs);
	}
	return NULL;
}

/* Run a statement whose result is not needed. */
static bool
run_ok(struct http_request *rq, struct db_stmt *stmt, const char *const *params)
{
	PGresult *res = run(rq, stmt, params);

	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

/* "HH:MM" (00:00 to 23:59) into minutes; -1 when malformed. */
static int
minutes_of(const char *s)
{
	int h, m;

	if (s == NULL || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

/* --- checks shared by POST and PATCH ------------------------------------------------ */

/* The stored values a patch is checked against (NULL members on POST). */
struct current {
	const char *id;
	const char *centre;
	const char *status;
	const char *version;
	const char *via;
	const char *association;
	const char *account;
	const char *today;
};

enum { L_ID, L_CENTRE, L_STATUS, L_VERSION, L_VIA, L_ASSOCIATION, L_ACCOUNT, L_TODAY };

#define LOCK_COLUMNS                                                                               \
	"id, centre_id, status, version, recruited_via, recruited_association_id, account_id,"     \
	" to_char(" TODAY ", 'YYYY-MM-DD')"

static void
current_of(const PGresult *res, struct current *cur)
{
	cur->id = PQgetvalue(res, 0, L_ID);
	cur->centre = PQgetvalue(res, 0, L_CENTRE);
	cur->status = PQgetvalue(res, 0, L_STATUS);
	cur->version = PQgetvalue(res, 0, L_VERSION);
	cur->via = PQgetisnull(res, 0, L_VIA) ? NULL : PQgetvalue(res, 0, L_VIA);
	cur->association =
	    PQgetisnull(res, 0, L_ASSOCIATION) ? NULL : PQgetvalue(res, 0, L_ASSOCIATION);
	cur->account = PQgetisnull(res, 0, L_ACCOUNT) ? NULL : PQgetvalue(res, 0, L_ACCOUNT);
	cur->today = PQgetvalue(res, 0, L_TODAY);
}

static void
check_languages(const json_t *langs, json_t *p)
{
	size_t i;
	json_t *v;

	json_array_foreach(langs, i, v)
	{
		char field[64];

		if (is_language(json_string_value(v)))
			continue;
		snprintf(field, sizeof(field), "languages[%zu]", i);
		problem_add_field_error(p, field, ERR_FIELD_NOT_IN_ENUM, LANGUAGE_MESSAGE);
	}
}

/* Times of each slot, and no two slots of a day overlapping. */
static void
check_availability(const json_t *slots, json_t *p)
{
	size_t n = json_array_size(slots);

	for (size_t i = 0; i < n; i++) {
		const json_t *s = json_array_get(slots, i);
		int a = minutes_of(str_of(s, "starts")), b = minutes_of(str_of(s, "ends"));
		char field[80];

		if (a < 0) {
			snprintf(field, sizeof(field), "availability[%zu].starts", i);
			problem_add_field_error(p, field, ERR_FIELD_FORMAT,
			                        "must be a time of day HH:MM (00:00 to 23:59)");
		}
		if (b < 0) {
			snprintf(field, sizeof(field), "availability[%zu].ends", i);
			problem_add_field_error(p, field, ERR_FIELD_FORMAT,
			                        "must be a time of day HH:MM (00:00 to 23:59)");
		}
		if (a < 0 || b < 0)
			continue;
		if (b <= a) {
			snprintf(field, sizeof(field), "availability[%zu].ends", i);
			problem_add_field_error(p, field, ERR_FIELD_TOO_SMALL,
			                        "must be after starts");
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const json_t *o = json_array_get(slots, j);
			int c = minutes_of(str_of(o, "starts")), d = minutes_of(str_of(o, "ends"));
			char message[80];

			if (json_integer_value(json_object_get(o, "weekday")) !=
			        json_integer_value(json_object_get(s, "weekday")) ||
			    c < 0 || d <= c || b <= c || a >= d)
				continue;
			snprintf(field, sizeof(field), "availability[%zu]", i);
			snprintf(message, sizeof(message), "overlaps item %zu on the same day", j);
			problem_add_field_error(p, field, ERR_FIELD_DUPLICATE_ITEM, message);
			break;
		}
	}
}

static struct db_stmt stmt_categories =
    DB_STMT("volunteers_categories",
            "SELECT id FROM category WHERE kind IN ('interest', 'activity')"
            " AND id IN (SELECT (json_array_elements_text($1::json))::uuid)",
            1);

/* Each interest names a visible interest or activity category. */
static bool
check_interests(struct http_request *rq, const json_t *ids, json_t *p)
{
	char *text;
	PGresult *res;
	size_t i;
	json_t *v;

	if (json_array_size(ids) == 0)
		return true;
	text = json_dumps(ids, JSON_COMPACT);
	res = run(rq, &stmt_categories, (const char *const[]){text});
	free(text);
	if (res == NULL)
		return false;
	json_array_foreach(ids, i, v)
	{
		bool found = false;
		char field[64];

		for (int r = 0; r < PQntuples(res) && !found; r++)
			found = strcmp(PQgetvalue(res, r, 0), json_string_value(v)) == 0;
		if (found)
			continue;
		snprintf(field, sizeof(field), "interests[%zu]", i);
		problem_add_field_error(p, field, ERR_FIELD_NOT_IN_ENUM,
		                        "no interest or activity category has this id");
	}
	PQclear(res);
	return true;
}

static struct db_stmt stmt_association = DB_STMT(
    "volunteers_association", "SELECT 1 FROM association WHERE id = $1 AND centre_id = $2", 2);

static struct db_stmt stmt_account =
    DB_STMT("volunteers_account",
            "SELECT a.role, (SELECT v.id FROM volunteer v WHERE v.account_id = a.id)"
            " FROM account a WHERE a.id = $1 AND a.centre_id = $2",
            2);

/* The recruiting association: one of the centre, and only for volunteers
 * recruited through an association (the stored value counts when the body
 * leaves it out). */
static bool
check_recruitment(struct http_request *rq, const json_t *b, const struct current *cur,
                  const char *centre, json_t *p)
{
	const char *via =
	    json_object_get(b, "recruited_via") ? str_of(b, "recruited_via") : cur->via;
	const char *assoc = json_object_get(b, "recruited_association_id")
	                        ? str_of(b, "recruited_association_id")
	                        : cur->association;
	const char *given = str_of(b, "recruited_association_id");
	PGresult *res;

	if (assoc != NULL && (via == NULL || strcmp(via, "association") != 0))
		problem_add_field_error(p, "recruited_association_id", ERR_FIELD_NOT_IN_ENUM,
		                        "is given only when recruited_via is association");
	if (given == NULL)
		return true;
	res = run(rq, &stmt_association, (const char *const[]){given, centre});
	if (res == NULL)
		return false;
	if (PQntuples(res) == 0)
		problem_add_field_error(p, "recruited_association_id", ERR_FIELD_NOT_IN_ENUM,
		                        "no association of the centre has this id");
	PQclear(res);
	return true;
}

/* The linked account: a guide account of the centre, linked to no other
 * volunteer (*taken when it is). */
static bool
check_account(struct http_request *rq, const json_t *b, const struct current *cur,
              const char *centre, json_t *p, bool *taken)
{
	const char *account = str_of(b, "account_id");
	PGresult *res;

	if (account == NULL)
		return true;
	res = run(rq, &stmt_account, (const char *const[]){account, centre});
	if (res == NULL)
		return false;
	if (PQntuples(res) == 0)
		problem_add_field_error(p, "account_id", ERR_FIELD_NOT_IN_ENUM,
		                        "no account of the centre has this id");
	else if (strcmp(PQgetvalue(res, 0, 0), "guide") != 0)
		problem_add_field_error(p, "account_id", ERR_FIELD_NOT_IN_ENUM,
		                        "must be a guide account");
	else if (!PQgetisnull(res, 0, 1) &&
	         (cur->id == NULL || strcmp(PQgetvalue(res, 0, 1), cur->id) != 0))
		*taken = true;
	PQclear(res);
	return true;
}

/* Check a POST or PATCH body beyond its spec. Every failing field is
 * reported at once (422); an account linked to another volunteer is 409.
 * phone gets the normalised number. Returns false after answering. */
static bool
check_body(struct http_request *rq, const json_t *b, const struct current *cur, const char *centre,
           char *phone, size_t phonelen)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	bool taken = false;

	phone[0] = '\0';
	if (str_of(b, "phone") != NULL &&
	    crypto_normalise_phone(str_of(b, "phone"), phone, phonelen) != 0)
		problem_add_field_error(p, "phone", ERR_FIELD_FORMAT,
		                        "must be a phone number with at least 8 digits");
	check_languages(json_object_get(b, "languages"), p);
	check_availability(json_object_get(b, "availability"), p);
	if (!check_interests(rq, json_object_get(b, "interests"), p) ||
	    !check_recruitment(rq, b, cur, centre, p) ||
	    !check_account(rq, b, cur, centre, p, &taken)) {
		json_decref(p);
		return false;
	}
	if (json_object_get(b, "status_reason") != NULL &&
	    json_is_string(json_object_get(b, "status_reason")) &&
	    (str_of(b, "status") == NULL ||
	     (cur->status != NULL && strcmp(str_of(b, "status"), cur->status) == 0)))
		problem_add_field_error(p, "status_reason", ERR_FIELD_NOT_IN_ENUM,
		                        "is given only with a change of status");
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		return false;
	}
	json_decref(p);
	if (taken) {
		p = problem_new(ERR_CONFLICT, "The account is linked to another volunteer.",
		                rq->request_id);
		problem_add_field_error(p, "account_id", ERR_FIELD_TAKEN,
		                        "is linked to another volunteer");
		http_reply_problem_json(rq, p);
		return false;
	}
	return true;
}

/* --- writes of the lists ---------------------------------------------------------- */

static struct db_stmt stmt_clear_interests = DB_STMT(
    "volunteers_clear_interests", "DELETE FROM volunteer_interest WHERE volunteer_id = $1", 1);

static struct db_stmt stmt_add_interests =
    DB_STMT("volunteers_add_interests",
            "INSERT INTO volunteer_interest (volunteer_id, centre_id, category_id)"
            " SELECT $1, $2, (json_array_elements_text($3::json))::uuid",
            3);

static struct db_stmt stmt_clear_slots = DB_STMT(
    "volunteers_clear_slots", "DELETE FROM volunteer_availability WHERE volunteer_id = $1", 1);

static struct db_stmt stmt_add_slots =
    DB_STMT("volunteers_add_slots",
            "INSERT INTO volunteer_availability (volunteer_id, centre_id, weekday, starts, ends)"
            " SELECT $1, $2, (e->>'weekday')::integer, (e->>'starts')::time, (e->>'ends')::time"
            " FROM json_array_elements($3::json) e",
            3);

/* Replace the list named key (interests or availability) when the body
 * has it. */
static bool
replace_list(struct http_request *rq, const json_t *b, const char *key, const char *id,
             const char *centre)
{
	bool interests = strcmp(key, "interests") == 0;
	const json_t *list = json_object_get(b, key);
	char *text;
	bool ok;

	if (list == NULL)
		return true;
	if (!run_ok(rq, interests ? &stmt_clear_interests : &stmt_clear_slots,
	            (const char *const[]){id}))
		return false;
	if (json_array_size(list) == 0)
		return true;
	text = json_dumps(list, JSON_COMPACT);
	ok = run_ok(rq, interests ? &stmt_add_interests : &stmt_add_slots,
	            (const char *const[]){id, centre, text});
	free(text);
	return ok;
}

static struct db_stmt stmt_history_add =
    DB_STMT("volunteers_history_add",
            "INSERT INTO volunteer_status_change (volunteer_id, centre_id, from_status, to_status,"
            " reason, changed_by) VALUES ($1, $2, $3, $4, $5, kompas_account())",
            5);

/* --- reading one ------------------------------------------------------------------- */

static struct db_stmt stmt_get =
    DB_STMT("volunteers_get", "SELECT " VOLUNTEER_COLUMNS " FROM volunteer v WHERE v.id = $1", 1);

static struct db_stmt stmt_get_own = DB_STMT(
    "volunteers_get_own",
    "SELECT " VOLUNTEER_COLUMNS " FROM volunteer v WHERE v.account_id = kompas_account()", 0);

/* Answer status with the volunteer id (as it is now) and its ETag. */
static void
reply_volunteer(struct http_request *rq, unsigned status, const char *id)
{
	char location[64];
	PGresult *res = run(rq, &stmt_get, (const char *const[]){id});

	if (res == NULL)
		return;
	if (PQntuples(res) == 0) {
		PQclear(res);
		reply_not_found(rq);
		return;
	}
	http_reply_json(rq, status, volunteer_json(res, 0));
	http_set_etag(rq, PQgetvalue(res, 0, C_VERSION));
	if (status == 201) {
		snprintf(location, sizeof(location), "/v1/volunteers/%s", PQgetvalue(res, 0, C_ID));
		http_set_header(rq, "Location", location);
	}
	PQclear(res);
}

/* GET /v1/volunteers/{id}: coordinators and admins; a guide their own. */
static void
volunteers_get(struct http_request *rq)
{
	const char *id = http_param(rq, "id");

	if (!spec_format_ok(SPEC_FMT_UUID, id)) {
		reply_not_found(rq);
		return;
	}
	reply_volunteer(rq, 200, id);
}

/* GET /v1/me/volunteer: the guide's own volunteer record. */
static void
me_volunteer_get(struct http_request *rq)
{
	PGresult *res = run(rq, &stmt_get_own, NULL);

	if (res == NULL)
		return;
	if (PQntuples(res) == 0) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND,
		                   "Your account has no volunteer record; ask your coordinator.");
		return;
	}
	http_reply_json(rq, 200, volunteer_json(res, 0));
	http_set_etag(rq, PQgetvalue(res, 0, C_VERSION));
	PQclear(res);
}

/* --- the list ----------------------------------------------------------------------- */

/* The newest check of each kind and the newest completion of each module
 * count: one renewed in time is not expiring. */
static struct db_stmt stmt_list = DB_STMT(
    "volunteers_list",
    "SELECT " VOLUNTEER_COLUMNS " FROM volunteer v"
    " WHERE (kompas_centre() IS NULL OR v.centre_id = kompas_centre())"
    " AND ($1::uuid IS NULL OR v.centre_id = $1)"
    " AND ($2::json IS NULL OR v.status IN (SELECT json_array_elements_text($2::json)))"
    " AND ($3::text IS NULL OR $3 = ANY (v.languages))"
    " AND ($4::text IS NULL OR $4 = ANY (v.postal_areas))"
    " AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM volunteer_interest i"
    "      WHERE i.volunteer_id = v.id AND i.category_id = $5))"
    " AND ($6::integer IS NULL"
    "      OR EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (r.kind) r.valid_until AS due"
    "        FROM volunteer_record_check r WHERE r.volunteer_id = v.id"
    "        ORDER BY r.kind, r.checked_on DESC, r.valid_until DESC) x"
    "        WHERE x.due BETWEEN " TODAY " AND " TODAY " + $6::integer)"
    "      OR EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (t.module) t.expires_on AS due"
    "        FROM volunteer_training t WHERE t.volunteer_id = v.id"
    "        ORDER BY t.module, t.completed_on DESC, t.expires_on DESC NULLS FIRST) y"
    "        WHERE y.due BETWEEN " TODAY " AND " TODAY " + $6::integer))"
    " AND ($7::text IS NULL OR v.name ILIKE '%' || replace(replace(replace($7, '\\', '\\\\'),"
    "      '%', '\\%'), '_', '\\_') || '%')"
    " AND ($8::text IS NULL OR (v.name, v.id) > ($8, $9::uuid))"
    " ORDER BY v.name, v.id LIMIT $10",
    10);

/* A list cursor: base64url of the last name, ".", the last id. */
static void
make_cursor(const char *name, const char *id, char *out, size_t outlen)
{
	size_t n = strlen(name);
	size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *b64 = malloc(need);

	if (b64 == NULL)
		abort();
	sodium_bin2base64(b64, need, (const unsigned char *)name, n,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, outlen, "%s.%s", b64, id);
	free(b64);
}

/* Split a cursor into name (a new string, caller frees) and id; false when
 * it is not one of ours. */
static bool
parse_cursor(const char *cursor, char **name, char id[37])
{
	const char *dot = strrchr(cursor, '.');
	size_t blen, nlen;
	unsigned char *bin;
	json_t *check;

	*name = NULL;
	if (dot == NULL || !spec_format_ok(SPEC_FMT_UUID, dot + 1) || strlen(dot + 1) != 36)
		return false;
	memcpy(id, dot + 1, 37);
	blen = (size_t)(dot - cursor);
	bin = malloc(blen + 1);
	if (bin == NULL)
		abort();
	if (sodium_base642bin(bin, blen + 1, cursor, blen, NULL, &nlen, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    nlen == 0 || memchr(bin, '\0', nlen) != NULL) {
		free(bin);
		return false;
	}
	bin[nlen] = '\0';
	check = json_stringn((const char *)bin, nlen); /* NULL unless valid UTF-8 */
	if (check == NULL) {
		free(bin);
		return false;
	}
	json_decref(check);
	*name = (char *)bin;
	return true;
}

static void
reply_query_error(struct http_request *rq, const char *field, enum err_code code,
                  const char *message)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);

	problem_add_field_error(p, field, code, message);
	http_reply_problem_json(rq, p);
}

/* GET /v1/volunteers: the centre's volunteers by name, keyset paged, with
 * filters (status, language, postal_area, interest, expiring_within_days,
 * q on the name; admins also centre_id). */
static void
volunteers_list(struct http_request *rq)
{
	const json_t *q = rq->query;
	json_t *jl = json_object_get(q, "limit"),
	       *jexp = json_object_get(q, "expiring_within_days");
	long long limit = jl ? json_integer_value(jl) : 50;
	const char *cursor = str_of(q, "cursor");
	char fetch[24], days[24], cid[37], next[1400];
	char *status = NULL, *cname = NULL;
	const char *params[10];
	json_t *items;
	PGresult *res;
	int n;

	if (str_of(q, "language") != NULL && !is_language(str_of(q, "language"))) {
		reply_query_error(rq, "language", ERR_FIELD_NOT_IN_ENUM, LANGUAGE_MESSAGE);
		return;
	}
	if (cursor != NULL && !parse_cursor(cursor, &cname, cid)) {
		reply_query_error(rq, "cursor", ERR_FIELD_FORMAT,
		                  "is not a cursor of this list: follow next");
		return;
	}
	if (json_object_get(q, "status") != NULL)
		status = json_dumps(json_object_get(q, "status"), JSON_COMPACT);
	snprintf(fetch, sizeof(fetch), "%lld", limit + 1);
	snprintf(days, sizeof(days), "%lld", jexp ? json_integer_value(jexp) : 0);
	params[0] = str_of(q, "centre_id");
	params[1] = status;
	params[2] = str_of(q, "language");
	params[3] = str_of(q, "postal_area");
	params[4] = str_of(q, "interest");
	params[5] = jexp ? days : NULL;
	params[6] = str_of(q, "q");
	params[7] = cname;
	params[8] = cname ? cid : NULL;
	params[9] = fetch;
	res = run(rq, &stmt_list, params);
	free(status);
	free(cname);
	if (res == NULL)
		return;
	n = PQntuples(res);
	items = json_array();
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, volunteer_json(res, i));
	if (n > limit)
		make_cursor(PQgetvalue(res, (int)limit - 1, C_NAME),
		            PQgetvalue(res, (int)limit - 1, C_ID), next, sizeof(next));
	http_reply_json(
	    rq, 200,
	    json_pack("{s:o, s:o}", "items", items, "next",
	              n > limit ? http_next_link(rq, "/v1/volunteers", next) : json_null()));
	PQclear(res);
}

/* --- creating ------------------------------------------------------------------------ */

static struct db_stmt stmt_insert = DB_STMT(
    "volunteers_insert",
    "INSERT INTO volunteer (centre_id, account_id, name, email, phone, languages, postal_areas,"
    " capacity, recruited_via, recruited_association_id, notes, status)"
    " VALUES (kompas_centre(), $1, $2, $3, $4,"
    " ARRAY(SELECT json_array_elements_text(coalesce($5::json, '[]'))),"
    " ARRAY(SELECT json_array_elements_text(coalesce($6::json, '[]'))),"
    " coalesce($7::integer, 2), $8, $9, $10, coalesce($11, 'applicant'))"
    " RETURNING id, centre_id, status",
    11);

/* JSON text of body member key, or NULL when absent (caller frees). */
static char *
dump_member(const json_t *b, const char *key)
{
	const json_t *v = json_object_get(b, key);

	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* POST /v1/volunteers: a coordinator registers a volunteer of their
 * centre (status applicant unless given); the registration starts the
 * history. */
static void
volunteers_create(struct http_request *rq)
{
	const json_t *b = rq->body;
	struct current cur = {0};
	char phone[64], capacity[24];
	char *langs = dump_member(b, "languages"), *areas = dump_member(b, "postal_areas");
	const char *params[11];
	PGresult *res = NULL;

	if (!check_body(rq, b, &cur, rq->caller.centre_id, phone, sizeof(phone)))
		goto out;
	snprintf(capacity, sizeof(capacity), "%lld",
	         json_integer_value(json_object_get(b, "capacity")));
	params[0] = str_of(b, "account_id");
	params[1] = str_of(b, "name");
	params[2] = str_of(b, "email");
	params[3] = phone[0] ? phone : NULL;
	params[4] = langs;
	params[5] = areas;
	params[6] = json_object_get(b, "capacity") ? capacity : NULL;
	params[7] = str_of(b, "recruited_via");
	params[8] = str_of(b, "recruited_association_id");
	params[9] = str_of(b, "notes");
	params[10] = str_of(b, "status");
	res = run(rq, &stmt_insert, params);
	if (res == NULL)
		goto out;
	if (!run_ok(rq, &stmt_history_add,
	            (const char *const[]){PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), NULL,
	                                  PQgetvalue(res, 0, 2), NULL}) ||
	    !replace_list(rq, b, "interests", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1)) ||
	    !replace_list(rq, b, "availability", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1)))
		goto out;
	reply_volunteer(rq, 201, PQgetvalue(res, 0, 0));
out:
	if (res != NULL)
		PQclear(res);
	free(langs);
	free(areas);
}

/* --- changing ------------------------------------------------------------------------- */

static struct db_stmt stmt_lock = DB_STMT(
    "volunteers_lock", "SELECT " LOCK_COLUMNS " FROM volunteer WHERE id = $1 FOR UPDATE", 1);

static struct db_stmt stmt_lock_own =
    DB_STMT("volunteers_lock_own",
            "SELECT " LOCK_COLUMNS " FROM volunteer WHERE account_id = kompas_account()"
            " FOR UPDATE",
            0);

/* JSON merge patch in SQL: $k is the value, $k+1 says whether the member
 * was present (so null clears a nullable column). */
static struct db_stmt stmt_update =
    DB_STMT("volunteers_update",
            "UPDATE volunteer SET name = coalesce($2, name),"
            " email = CASE WHEN $4::boolean THEN $3 ELSE email END,"
            " phone = CASE WHEN $6::boolean THEN $5 ELSE phone END,"
            " languages = CASE WHEN $7::json IS NULL THEN languages"
            "   ELSE ARRAY(SELECT json_array_elements_text($7::json)) END,"
            " postal_areas = CASE WHEN $8::json IS NULL THEN postal_areas"
            "   ELSE ARRAY(SELECT json_array_elements_text($8::json)) END,"
            " capacity = coalesce($9::integer, capacity),"
            " recruited_via = CASE WHEN $11::boolean THEN $10 ELSE recruited_via END,"
            " recruited_association_id = CASE WHEN $13::boolean THEN $12::uuid"
            "   ELSE recruited_association_id END,"
            " notes = CASE WHEN $15::boolean THEN $14 ELSE notes END,"
            " account_id = CASE WHEN $17::boolean THEN $16::uuid ELSE account_id END,"
            " status = coalesce($18, status), updated_at = now(), version = version + 1"
            " WHERE id = $1",
            18);

/* Apply a checked patch to the locked volunteer cur and answer 200. */
static void
apply_patch(struct http_request *rq, const json_t *b, const struct current *cur)
{
	const char *to = str_of(b, "status");
	bool change = to != NULL && strcmp(to, cur->status) != 0;
	char phone[64], capacity[24];
	char *langs = NULL, *areas = NULL;
	const char *params[18];

	if (!check_body(rq, b, cur, cur->centre, phone, sizeof(phone)))
		return;
	if (change && !transition_allowed(cur->status, to)) {
		reply_illegal_transition(rq, cur->status, to);
		return;
	}
	langs = dump_member(b, "languages");
	areas = dump_member(b, "postal_areas");
	snprintf(capacity, sizeof(capacity), "%lld",
	         json_integer_value(json_object_get(b, "capacity")));
	params[0] = cur->id;
	params[1] = str_of(b, "name");
	params[2] = str_of(b, "email");
	params[3] = present(b, "email");
	params[4] = phone[0] ? phone : NULL;
	params[5] = present(b, "phone");
	params[6] = langs;
	params[7] = areas;
	params[8] = json_object_get(b, "capacity") ? capacity : NULL;
	params[9] = str_of(b, "recruited_via");
	params[10] = present(b, "recruited_via");
	params[11] = str_of(b, "recruited_association_id");
	params[12] = present(b, "recruited_association_id");
	params[13] = str_of(b, "notes");
	params[14] = present(b, "notes");
	params[15] = str_of(b, "account_id");
	params[16] = present(b, "account_id");
	params[17] = change ? to : NULL;
	if (!run_ok(rq, &stmt_update, params) ||
	    (change && !run_ok(rq, &stmt_history_add,
	                       (const char *const[]){cur->id, cur->centre, cur->status, to,
	                                             str_of(b, "status_reason")})) ||
	    !replace_list(rq, b, "interests", cur->id, cur->centre) ||
	    !replace_list(rq, b, "availability", cur->id, cur->centre))
		goto out;
	reply_volunteer(rq, 200, cur->id);
out:
	free(langs);
	free(areas);
}

/* Lock the volunteer named in the path (404 when not visible). */
static PGresult *
lock_volunteer(struct http_request *rq)
{
	const char *id = http_param(rq, "id");
	PGresult *res;

	if (!spec_format_ok(SPEC_FMT_UUID, id)) {
		reply_not_found(rq);
		return NULL;
	}
	res = run(rq, &stmt_lock, (const char *const[]){id});
	if (res != NULL && PQntuples(res) == 0) {
		PQclear(res);
		reply_not_found(rq);
		return NULL;
	}
	return res;
}

/* PATCH /v1/volunteers/{id}: a coordinator changes a volunteer by a merge
 * patch, honouring If-Match; a status change must follow the transitions
 * and is written to the history with its reason. */
static void
volunteers_update(struct http_request *rq)
{
	PGresult *res = lock_volunteer(rq);
	struct current cur;

	if (res == NULL)
		return;
	current_of(res, &cur);
	if (http_version_matches(rq, cur.version, "volunteer"))
		apply_patch(rq, rq->body, &cur);
	PQclear(res);
}

/* PATCH /v1/me/volunteer: a guide changes their own contact details,
 * languages, postal areas, interests, availability and capacity. */
static void
me_volunteer_update(struct http_request *rq)
{
	PGresult *res = run(rq, &stmt_lock_own, NULL);
	struct current cur;

	if (res == NULL)
		return;
	if (PQntuples(res) == 0) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND,
		                   "Your account has no volunteer record; ask your coordinator.");
		return;
	}
	current_of(res, &cur);
	if (http_version_matches(rq, cur.version, "volunteer"))
		apply_patch(rq, rq->body, &cur);
	PQclear(res);
}

/* --- history ---------------------------------------------------------------------------- */

static struct db_stmt stmt_exists =
    DB_STMT("volunteers_exists", "SELECT 1 FROM volunteer WHERE id = $1", 1);

static struct db_stmt stmt_history =
    DB_STMT("volunteers_history",
            "SELECT id, from_status, to_status, reason, " TS(
                "changed_at") ", changed_by"
                              " FROM volunteer_status_change WHERE volunteer_id = $1"
                              " AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3",
            3);

/* GET /v1/volunteers/{id}/history: every status with its time, oldest
 * first, keyset paged. */
static void
volunteers_history(struct http_request *rq)
{
	const char *id = http_param(rq, "id");
	json_t *jl = json_object_get(rq->query, "limit"),
	       *jc = json_object_get(rq->query, "cursor");
	long long limit = jl ? json_integer_value(jl) : 50;
	char fetch[24], after[24];
	json_t *items;
	PGresult *res;
	int n;

	if (!spec_format_ok(SPEC_FMT_UUID, id)) {
		reply_not_found(rq);
		return;
	}
	res = run(rq, &stmt_exists, (const char *const[]){id});
	if (res == NULL)
		return;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		reply_not_found(rq);
		return;
	}
	snprintf(fetch, sizeof(fetch), "%lld", limit + 1);
	snprintf(after, sizeof(after), "%lld", jc ? json_integer_value(jc) : 0);
	res = run(rq, &stmt_history, (const char *const[]){id, jc ? after : NULL, fetch});
	if (res == NULL)
		return;
	n = PQntuples(res);
	items = json_array();
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(
		    items, json_pack("{s:o, s:s, s:o, s:s, s:o}", "from_status",
		                     db_json_text(res, i, 1), "to_status", PQgetvalue(res, i, 2),
		                     "reason", db_json_text(res, i, 3), "changed_at",
		                     PQgetvalue(res, i, 4), "changed_by", db_json_text(res, i, 5)));
	if (n > limit) {
		char path[80];

		snprintf(path, sizeof(path), "/v1/volunteers/%s/history", id);
		http_reply_json(
		    rq, 200,
		    json_pack("{s:o, s:o}", "items", items, "next",
		              http_next_link(rq, path, PQgetvalue(res, (int)limit - 1, 0))));
	} else {
		http_reply_json(rq, 200, json_pack("{s:o, s:n}", "items", items, "next"));
	}
	PQclear(res);
}

/* --- trainings and record checks ---------------------------------------------------------- */

static struct db_stmt stmt_touch =
    DB_STMT("volunteers_touch",
            "UPDATE volunteer SET updated_at = now(), version = version + 1 WHERE id = $1", 1);

static struct db_stmt stmt_training_add =
    DB_STMT("volunteers_training_add",
            "INSERT INTO volunteer_training (volunteer_id, centre_id, module, completed_on,"
            " expires_on, created_by) VALUES ($1, $2, $3, $4, $5, kompas_account())"
            " RETURNING id, module, to_char(completed_on, 'YYYY-MM-DD'),"
            " to_char(expires_on, 'YYYY-MM-DD')",
            5);

static struct db_stmt stmt_check_add =
    DB_STMT("volunteers_check_add",
            "INSERT INTO volunteer_record_check (volunteer_id, centre_id, kind, checked_on,"
            " outcome, valid_until, created_by) VALUES ($1, $2, $3, $4, $5, $6, kompas_account())"
            " RETURNING id, kind, to_char(checked_on, 'YYYY-MM-DD'), outcome,"
            " to_char(valid_until, 'YYYY-MM-DD')",
            6);

/* A dated fact's two dates: first not after today, second after first
 * (dates compare as text in YYYY-MM-DD). False after answering 422. */
static bool
check_dates(struct http_request *rq, const char *today, const char *first_name, const char *first,
            const char *second_name, const char *second)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	char message[80];

	if (strcmp(first, today) > 0)
		problem_add_field_error(p, first_name, ERR_FIELD_TOO_LARGE,
		                        "must not be in the future");
	if (second != NULL && strcmp(second, first) <= 0) {
		snprintf(message, sizeof(message), "must be after %s", first_name);
		problem_add_field_error(p, second_name, ERR_FIELD_TOO_SMALL, message);
	}
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		return false;
	}
	json_decref(p);
	return true;
}

static void
reply_created(struct http_request *rq, json_t *body, const char *volunteer, const char *kind,
              const char *id)
{
	char location[128];

	snprintf(location, sizeof(location), "/v1/volunteers/%s/%s/%s", volunteer, kind, id);
	http_reply_json(rq, 201, body);
	http_set_header(rq, "Location", location);
}

/* POST /v1/volunteers/{id}/trainings: record a completed module. */
static void
volunteers_add_training(struct http_request *rq)
{
	const json_t *b = rq->body;
	PGresult *lock = lock_volunteer(rq), *res;
	struct current cur;

	if (lock == NULL)
		return;
	current_of(lock, &cur);
	if (!check_dates(rq, cur.today, "completed_on", str_of(b, "completed_on"), "expires_on",
	                 str_of(b, "expires_on")))
		goto out;
	res = run(rq, &stmt_training_add,
	          (const char *const[]){cur.id, cur.centre, str_of(b, "module"),
	                                str_of(b, "completed_on"), str_of(b, "expires_on")});
	if (res == NULL)
		goto out;
	if (run_ok(rq, &stmt_touch, (const char *const[]){cur.id}))
		reply_created(rq,
		              json_pack("{s:s, s:s, s:s, s:o}", "id", PQgetvalue(res, 0, 0),
		                        "module", PQgetvalue(res, 0, 1), "completed_on",
		                        PQgetvalue(res, 0, 2), "expires_on",
		                        db_json_text(res, 0, 3)),
		              cur.id, "trainings", PQgetvalue(res, 0, 0));
	PQclear(res);
out:
	PQclear(lock);
}

/* POST /v1/volunteers/{id}/record-checks: record a record check (the
 * facts, never the document). */
static void
volunteers_add_record_check(struct http_request *rq)
{
	const json_t *b = rq->body;
	PGresult *lock = lock_volunteer(rq), *res;
	struct current cur;

	if (lock == NULL)
		return;
	current_of(lock, &cur);
	if (!check_dates(rq, cur.today, "checked_on", str_of(b, "checked_on"), "valid_until",
	                 str_of(b, "valid_until")))
		goto out;
	res = run(rq, &stmt_check_add,
	          (const char *const[]){cur.id, cur.centre, str_of(b, "kind"),
	                                str_of(b, "checked_on"), str_of(b, "outcome"),
	                                str_of(b, "valid_until")});
	if (res == NULL)
		goto out;
	if (run_ok(rq, &stmt_touch, (const char *const[]){cur.id}))
		reply_created(rq,
		              json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", PQgetvalue(res, 0, 0),
		                        "kind", PQgetvalue(res, 0, 1), "checked_on",
		                        PQgetvalue(res, 0, 2), "outcome", PQgetvalue(res, 0, 3),
		                        "valid_until", PQgetvalue(res, 0, 4)),
		              cur.id, "record-checks", PQgetvalue(res, 0, 0));
	PQclear(res);
out:
	PQclear(lock);
}

static struct db_stmt stmt_training_delete =
    DB_STMT("volunteers_training_delete",
            "DELETE FROM volunteer_training WHERE id = $2 AND volunteer_id = $1 RETURNING id", 2);

static struct db_stmt stmt_check_delete = DB_STMT(
    "volunteers_check_delete",
    "DELETE FROM volunteer_record_check WHERE id = $2 AND volunteer_id = $1 RETURNING id", 2);

/* Delete a training or record check of the volunteer in the path; 204. */
static void
delete_child(struct http_request *rq, struct db_stmt *stmt, const char *param, const char *what)
{
	const char *child = http_param(rq, param);
	PGresult *lock, *res;
	char detail[80];
	int n;

	snprintf(detail, sizeof(detail), "The volunteer has no %s with this id.", what);
	lock = lock_volunteer(rq);
	if (lock == NULL)
		return;
	if (!spec_format_ok(SPEC_FMT_UUID, child)) {
		http_reply_problem(rq, ERR_NOT_FOUND, detail);
		goto out;
	}
	res = run(rq, stmt, (const char *const[]){PQgetvalue(lock, 0, L_ID), child});
	if (res == NULL)
		goto out;
	n = PQntuples(res);
	PQclear(res);
	if (n == 0)
		http_reply_problem(rq, ERR_NOT_FOUND, detail);
	else if (run_ok(rq, &stmt_touch, (const char *const[]){PQgetvalue(lock, 0, L_ID)}))
		http_reply_data(rq, 204, NULL, "", 0, false);
out:
	PQclear(lock);
}

/* DELETE /v1/volunteers/{id}/trainings/{training_id} */
static void
volunteers_delete_training(struct http_request *rq)
{
	delete_child(rq, &stmt_training_delete, "training_id", "training");
}

/* DELETE /v1/volunteers/{id}/record-checks/{check_id} */
static void
volunteers_delete_record_check(struct http_request *rq)
{
	delete_child(rq, &stmt_check_delete, "check_id", "record check");
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* volunteers */
    {"GET", "/v1/me/volunteer", me_volunteer_get, DB, ROLE_GUIDE, NULL, NULL, NULL},
    {"PATCH", "/v1/me/volunteer", me_volunteer_update, DB | BODY, ROLE_GUIDE,
     volunteers_me_update_spec, NULL, NULL},
    {"GET", "/v1/volunteers", volunteers_list, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     volunteers_list_query, NULL},
    {"POST", "/v1/volunteers", volunteers_create, DB | BODY, ROLE_COORDINATOR,
     volunteers_create_spec, NULL, NULL},
    {"GET", "/v1/volunteers/{id}", volunteers_get, DB, ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE,
     NULL, NULL, "id=volunteer"},
    {"PATCH", "/v1/volunteers/{id}", volunteers_update, DB | BODY, ROLE_COORDINATOR,
     volunteers_update_spec, NULL, "id=volunteer"},
    {"GET", "/v1/volunteers/{id}/history", volunteers_history, DB,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE, NULL, volunteers_history_query, "id=volunteer"},
    {"POST", "/v1/volunteers/{id}/trainings", volunteers_add_training, DB | BODY, ROLE_COORDINATOR,
     volunteers_training_spec, NULL, "id=volunteer"},
    {"DELETE", "/v1/volunteers/{id}/trainings/{training_id}", volunteers_delete_training, DB,
     ROLE_COORDINATOR, NULL, NULL, "id=volunteer training_id=volunteer_training"},
    {"POST", "/v1/volunteers/{id}/record-checks", volunteers_add_record_check, DB | BODY,
     ROLE_COORDINATOR, volunteers_record_check_spec, NULL, "id=volunteer"},
    {"DELETE", "/v1/volunteers/{id}/record-checks/{check_id}", volunteers_delete_record_check, DB,
     ROLE_COORDINATOR, NULL, NULL, "id=volunteer check_id=volunteer_record_check"},
};

API_ROUTES(volunteers_routes, routes);
