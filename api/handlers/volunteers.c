/* volunteers.c - the centre's volunteer Kompasguides: contact details,
 * status, languages, postal areas, interests, weekly availability,
 * capacity and recruitment, created, read and changed here, and the
 * guide's own profile (GET/PATCH /v1/me/volunteer); what the volunteer
 * files share (api/handlers/volunteers.h). The list: api/handlers/volunteer_lists.c; the
 * status history, trainings and record checks: api/handlers/volunteer_records.c.
 *
 * Coordinators manage their centre's volunteers (admins read them); a guide
 * reads their own record and changes only their contact details, languages,
 * postal areas, interests, availability and capacity. Row-level security
 * hides everything else (404). The status transitions are the table below,
 * the one place that holds them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../pipeline/auth.h"
#include "../routes.h"
#include "volunteers.h"
#include "../sql_format.h"

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

/* The problem (409) of an illegal change, with the allowed statuses in
 * "allowed". */
static json_t *
illegal_transition(const struct http_request *rq, const char *from, const char *to)
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
	return p;
}

/* --- vocabularies ------------------------------------------------------------- */

const char *const volunteer_statuses[] = {"applicant", "in_training", "active", "paused",
                                          "retired",   "rejected",    NULL};
static const char *const initial_statuses[] = {"applicant", "in_training", "active", NULL};
static const char *const recruited_via[] = {
    "socialkompas", "association", "word_of_mouth", "local_paper", "event", "other", NULL};

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

bool
volunteer_is_language(const char *s)
{
	for (const char *const *l = iso639_1; s != NULL && *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

/* --- specs -------------------------------------------------------------------- */

static const struct spec_field language_item = {.type = SPEC_STRING, .min = 2, .max = 2};
static const struct spec_field postal_item = {.type = SPEC_STRING,
                                              .format = SPEC_FMT_POSTAL_CODE_DK};
static const struct spec_field uuid_item = {.type = SPEC_STRING, .format = SPEC_FMT_UUID};
static const struct spec_field slot_fields[] = {
    {.name = "weekday", .type = SPEC_INTEGER, .flags = SPEC_REQUIRED, .min = 1, .max = 7},
    SPEC_TEXT("starts", SPEC_REQUIRED, 5, 5),
    SPEC_TEXT("ends", SPEC_REQUIRED, 5, 5),
    SPEC_END};
static const struct spec_field slot_item = {.type = SPEC_OBJECT, .fields = slot_fields};

/* The members a guide may change themselves, shared by every body. */
#define SELF_FIELDS                                                                                \
	SPEC_EMAIL("email", SPEC_NULLABLE), SPEC_TEXT("phone", SPEC_NULLABLE, 8, 30),              \
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
	SPEC_ENUM("recruited_via", SPEC_NULLABLE, recruited_via),                                  \
	    SPEC_UUID("recruited_association_id", SPEC_NULLABLE),                                  \
	    SPEC_MULTILINE_TEXT("notes", SPEC_NULLABLE, 1, 2000),                                  \
	    SPEC_UUID("account_id", SPEC_NULLABLE)

static const struct spec_field volunteers_create_spec[] = {SPEC_TEXT("name", SPEC_REQUIRED, 1, 200),
                                                           SPEC_ENUM("status", 0, initial_statuses),
                                                           SELF_FIELDS, STAFF_FIELDS, SPEC_END};

static const struct spec_field volunteers_update_spec[] = {
    SPEC_TEXT("name", 0, 1, 200),
    SPEC_ENUM("status", 0, volunteer_statuses),
    SPEC_MULTILINE_TEXT("status_reason", SPEC_NULLABLE, 1, 500),
    SELF_FIELDS,
    STAFF_FIELDS,
    SPEC_END};

static const struct spec_field volunteers_me_update_spec[] = {SELF_FIELDS, SPEC_END};

/* The json column `column` of row as a JSON value; an empty array when
 * NULL or not JSON. */
static json_t *
json_column(const PGresult *res, int row, const char *column)
{
	const char *text = row_text(res, row, column);
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;

	return v ? v : json_array();
}

/* A volunteer's answer (VOLUNTEER_COLUMNS) in order: the head, languages
 * and postal_areas (json_column), the middle, the four lists
 * (json_column), the times. */
static const struct row_field volunteer_head_fields[] = {ROW_TEXT("id"),
                                                         ROW_TEXT("centre_id"),
                                                         ROW_TEXT_OR_NULL("account_id"),
                                                         ROW_TEXT("name"),
                                                         ROW_TEXT_OR_NULL("email"),
                                                         ROW_TEXT_OR_NULL("phone"),
                                                         ROW_TEXT("status"),
                                                         ROW_END};
static const struct row_field volunteer_middle_fields[] = {
    ROW_INTEGER("capacity"),           ROW_INTEGER("active_citizens"),
    ROW_TEXT_OR_NULL("recruited_via"), ROW_TEXT_OR_NULL("recruited_association_id"),
    ROW_TEXT_OR_NULL("notes"),         ROW_END};
static const struct row_field volunteer_times_fields[] = {ROW_TEXT("created_at"),
                                                          ROW_TEXT("updated_at"), ROW_END};
static const char *const volunteer_lists[] = {"interests", "availability", "trainings",
                                              "record_checks"};

/* One volunteer row (VOLUNTEER_COLUMNS) as JSON. active_citizens counts
 * the open requests assigned to the volunteer (their current load). */
json_t *
volunteer_json(const PGresult *res, int row)
{
	json_t *j = row_json(res, row, volunteer_head_fields);

	json_object_set_new(j, "languages", json_column(res, row, "languages"));
	json_object_set_new(j, "postal_areas", json_column(res, row, "postal_areas"));
	row_json_add(j, res, row, volunteer_middle_fields);
	for (size_t i = 0; i < sizeof(volunteer_lists) / sizeof(volunteer_lists[0]); i++)
		json_object_set_new(j, volunteer_lists[i],
		                    json_column(res, row, volunteer_lists[i]));
	return row_json_add(j, res, row, volunteer_times_fields);
}

/* --- small helpers -------------------------------------------------------------- */

static const char *
present(const json_t *obj, const char *key)
{
	return json_object_get(obj, key) != NULL ? "true" : "false";
}

void
volunteer_reply_not_found(struct http_request *rq)
{
	http_reply_problem(rq, ERR_NOT_FOUND, "No volunteer has this id.");
}

void
volunteer_reply_failure(struct http_request *rq, enum db_qs qs, json_t *problem)
{
	if (problem != NULL) {
		http_reply_problem_json(rq, problem);
		if (qs == DB_ROLLBACK)
			rq->db_error = DB_ROLLBACK;
	} else if (qs < 0) {
		http_reply_db_error(rq, qs);
	} else {
		volunteer_reply_not_found(rq);
	}
}

/* The problem of a statement that failed on a constraint the checks here
 * missed (409 or 422, never a 500) or a refused privilege (403); NULL for
 * any other failure (the database error). */
static json_t *
constraint_problem(const struct http_request *rq, enum db_qs qs)
{
	const char *state = rq->db != NULL && !db_conn_lost(rq->db) && qs == DB_HARD_ERROR
	                        ? db_last_sqlstate(rq->db)
	                        : NULL;

	if (state != NULL && strcmp(state, "23505") == 0)
		return problem_new(ERR_CONFLICT,
		                   "The change conflicts with another record (a guide account "
		                   "linked twice, or a repeated slot).",
		                   rq->request_id);
	if (state != NULL && (strcmp(state, "23514") == 0 || strcmp(state, "23503") == 0))
		return problem_new(ERR_VALIDATION_FAILED,
		                   "The change breaks a rule of the volunteer record.",
		                   rq->request_id);
	if (state != NULL && strcmp(state, "42501") == 0)
		return problem_new(ERR_FORBIDDEN, "You may not change this.", rq->request_id);
	return NULL;
}

/* Run a statement; answers nothing (volunteers.h). */
enum db_qs
volunteer_run(const struct http_request *rq, struct db_stmt *stmt, const char *const *params,
              PGresult **res, json_t **problem)
{
	enum db_qs qs;

	*problem = NULL;
	*res = db_exec(rq->db, stmt, params, &qs);
	if (*res != NULL)
		return qs;
	*problem = constraint_problem(rq, qs);
	return *problem != NULL ? DB_ROLLBACK : qs;
}

/* Run a statement whose result is not needed. */
enum db_qs
volunteer_run_ok(const struct http_request *rq, struct db_stmt *stmt, const char *const *params,
                 json_t **problem)
{
	PGresult *res;
	enum db_qs qs = volunteer_run(rq, stmt, params, &res, problem);

	if (res != NULL)
		PQclear(res);
	return qs;
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

#define LOCK_COLUMNS                                                                               \
	"id, centre_id, status, version, recruited_via, recruited_association_id, account_id,"     \
	" " DAY(TODAY) " AS today"

void
volunteer_current_of(const PGresult *res, struct current *cur)
{
	cur->id = row_value(res, 0, "id");
	cur->centre = row_value(res, 0, "centre_id");
	cur->status = row_value(res, 0, "status");
	cur->version = row_value(res, 0, "version");
	cur->via = row_text(res, 0, "recruited_via");
	cur->association = row_text(res, 0, "recruited_association_id");
	cur->account = row_text(res, 0, "account_id");
	cur->today = row_value(res, 0, "today");
}

static void
check_languages(const json_t *langs, json_t *p)
{
	size_t i;
	json_t *v;

	json_array_foreach(langs, i, v)
	{
		char field[64];

		if (volunteer_is_language(json_string_value(v)))
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

/* Each interest names a visible interest or activity category (field
 * errors added to p). Returns the query status: below 0 a failure of
 * volunteer_run, *failure as there. */
static enum db_qs
check_interests(const struct http_request *rq, const json_t *ids, json_t *p, json_t **failure)
{
	char *text;
	PGresult *res;
	enum db_qs qs;
	size_t i;
	json_t *v;

	if (json_array_size(ids) == 0)
		return DB_ONE_RESULT;
	text = json_dumps(ids, JSON_COMPACT);
	qs = volunteer_run(rq, &stmt_categories, (const char *const[]){text}, &res, failure);
	free(text);
	if (res == NULL)
		return qs;
	json_array_foreach(ids, i, v)
	{
		bool found = false;
		char field[64];

		for (int r = 0; r < PQntuples(res) && !found; r++)
			found = strcmp(row_value(res, r, "id"), json_string_value(v)) == 0;
		if (found)
			continue;
		snprintf(field, sizeof(field), "interests[%zu]", i);
		problem_add_field_error(p, field, ERR_FIELD_NOT_IN_ENUM,
		                        "no interest or activity category has this id");
	}
	PQclear(res);
	return qs;
}

static struct db_stmt stmt_association = DB_STMT(
    "volunteers_association", "SELECT 1 FROM association WHERE id = $1 AND centre_id = $2", 2);

static struct db_stmt stmt_account =
    DB_STMT("volunteers_account",
            "SELECT a.role, (SELECT v.id FROM volunteer v WHERE v.account_id = a.id)"
            " AS volunteer_id"
            " FROM account a WHERE a.id = $1 AND a.centre_id = $2",
            2);

/* The recruiting association: one of the centre, and only for volunteers
 * recruited through an association (the stored value counts when the body
 * leaves it out). Field errors go to p; returns the query status as
 * check_interests. */
static enum db_qs
check_recruitment(const struct http_request *rq, const json_t *b, const struct current *cur,
                  const char *centre, json_t *p, json_t **failure)
{
	const char *via =
	    json_object_get(b, "recruited_via") ? str_of(b, "recruited_via") : cur->via;
	const char *assoc = json_object_get(b, "recruited_association_id")
	                        ? str_of(b, "recruited_association_id")
	                        : cur->association;
	const char *given = str_of(b, "recruited_association_id");
	PGresult *res;
	enum db_qs qs;

	if (assoc != NULL && (via == NULL || strcmp(via, "association") != 0))
		problem_add_field_error(p, "recruited_association_id", ERR_FIELD_NOT_IN_ENUM,
		                        "is given only when recruited_via is association");
	if (given == NULL)
		return DB_ONE_RESULT;
	qs = volunteer_run(rq, &stmt_association, (const char *const[]){given, centre}, &res,
	                   failure);
	if (res == NULL)
		return qs;
	if (PQntuples(res) == 0)
		problem_add_field_error(p, "recruited_association_id", ERR_FIELD_NOT_IN_ENUM,
		                        "no association of the centre has this id");
	PQclear(res);
	return qs;
}

/* The linked account: a guide account of the centre, linked to no other
 * volunteer (*taken when it is). Field errors go to p; returns the query
 * status as check_interests. */
static enum db_qs
check_account(const struct http_request *rq, const json_t *b, const struct current *cur,
              const char *centre, json_t *p, bool *taken, json_t **failure)
{
	const char *account = str_of(b, "account_id");
	PGresult *res;
	enum db_qs qs;

	if (account == NULL)
		return DB_ONE_RESULT;
	qs =
	    volunteer_run(rq, &stmt_account, (const char *const[]){account, centre}, &res, failure);
	if (res == NULL)
		return qs;
	if (PQntuples(res) == 0)
		problem_add_field_error(p, "account_id", ERR_FIELD_NOT_IN_ENUM,
		                        "no account of the centre has this id");
	else if (strcmp(row_value(res, 0, "role"), "guide") != 0)
		problem_add_field_error(p, "account_id", ERR_FIELD_NOT_IN_ENUM,
		                        "must be a guide account");
	else if (!row_is_null(res, 0, "volunteer_id") &&
	         (cur->id == NULL || strcmp(row_value(res, 0, "volunteer_id"), cur->id) != 0))
		*taken = true;
	PQclear(res);
	return qs;
}

/* Check a POST or PATCH body beyond its spec. Every failing field is
 * reported at once (422); an account linked to another volunteer is 409.
 * phone gets the normalised number. Answers nothing: returns the query
 * status with *problem set when the body is refused (or a failure of
 * volunteer_run, as there); the handler answers with
 * volunteer_reply_failure. */
static enum db_qs
check_body(const struct http_request *rq, const json_t *b, const struct current *cur,
           const char *centre, char *phone, size_t phonelen, json_t **problem)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	bool taken = false;
	enum db_qs qs;

	*problem = NULL;
	phone[0] = '\0';
	if (str_of(b, "phone") != NULL &&
	    crypto_normalise_phone(str_of(b, "phone"), phone, phonelen) != 0)
		problem_add_field_error(p, "phone", ERR_FIELD_FORMAT,
		                        "must be a phone number with at least 8 digits");
	check_languages(json_object_get(b, "languages"), p);
	check_availability(json_object_get(b, "availability"), p);
	qs = check_interests(rq, json_object_get(b, "interests"), p, problem);
	if (qs >= 0)
		qs = check_recruitment(rq, b, cur, centre, p, problem);
	if (qs >= 0)
		qs = check_account(rq, b, cur, centre, p, &taken, problem);
	if (qs < 0) {
		json_decref(p);
		return qs;
	}
	if (json_object_get(b, "status_reason") != NULL &&
	    json_is_string(json_object_get(b, "status_reason")) &&
	    (str_of(b, "status") == NULL ||
	     (cur->status != NULL && strcmp(str_of(b, "status"), cur->status) == 0)))
		problem_add_field_error(p, "status_reason", ERR_FIELD_NOT_IN_ENUM,
		                        "is given only with a change of status");
	if (problem_field_error_count(p) > 0) {
		*problem = p;
		return DB_ONE_RESULT;
	}
	json_decref(p);
	if (taken) {
		*problem = problem_new(ERR_CONFLICT, "The account is linked to another volunteer.",
		                       rq->request_id);
		problem_add_field_error(*problem, "account_id", ERR_FIELD_TAKEN,
		                        "is linked to another volunteer");
	}
	return DB_ONE_RESULT;
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
 * has it. Answers nothing: returns the query status, below 0 a failure of
 * volunteer_run (*problem as there). */
static enum db_qs
replace_list(const struct http_request *rq, const json_t *b, const char *key, const char *id,
             const char *centre, json_t **problem)
{
	bool interests = strcmp(key, "interests") == 0;
	const json_t *list = json_object_get(b, key);
	char *text;
	enum db_qs qs;

	*problem = NULL;
	if (list == NULL)
		return DB_ONE_RESULT;
	qs = volunteer_run_ok(rq, interests ? &stmt_clear_interests : &stmt_clear_slots,
	                      (const char *const[]){id}, problem);
	if (qs < 0 || json_array_size(list) == 0)
		return qs;
	text = json_dumps(list, JSON_COMPACT);
	qs = volunteer_run_ok(rq, interests ? &stmt_add_interests : &stmt_add_slots,
	                      (const char *const[]){id, centre, text}, problem);
	free(text);
	return qs;
}

/* Replace both lists (interests, then availability) as the body says. */
static enum db_qs
replace_lists(const struct http_request *rq, const json_t *b, const char *id, const char *centre,
              json_t **problem)
{
	enum db_qs qs = replace_list(rq, b, "interests", id, centre, problem);

	if (qs >= 0)
		qs = replace_list(rq, b, "availability", id, centre, problem);
	return qs;
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
	PGresult *res;
	json_t *p;
	enum db_qs qs = volunteer_run(rq, &stmt_get, (const char *const[]){id}, &res, &p);

	if (res != NULL && PQntuples(res) == 0) {
		PQclear(res);
		res = NULL;
		qs = DB_NO_RESULTS;
	}
	if (res == NULL) {
		volunteer_reply_failure(rq, qs, p);
		return;
	}
	http_reply_json(rq, status, volunteer_json(res, 0));
	http_set_etag(rq, row_value(res, 0, "version"));
	if (status == 201) {
		snprintf(location, sizeof(location), "/v1/volunteers/%s", row_value(res, 0, "id"));
		http_set_header(rq, "Location", location);
	}
	PQclear(res);
}

/* GET /v1/volunteers/{id}: coordinators and admins; a guide their own. */
static void
volunteers_get(struct http_request *rq)
{
	const char *id = http_param(rq, "id");

	reply_volunteer(rq, 200, id);
}

/* The caller's own volunteer row by stmt (read or locked): the query
 * status with *res set, or *res NULL and *problem the 404 when the account
 * has none (or NULL for a database error). Answers nothing. */
static enum db_qs
own_volunteer(struct http_request *rq, struct db_stmt *stmt, PGresult **res, json_t **problem)
{
	enum db_qs qs = volunteer_run(rq, stmt, NULL, res, problem);

	if (*res != NULL && PQntuples(*res) == 0) {
		PQclear(*res);
		*res = NULL;
		*problem = problem_new(
		    ERR_NOT_FOUND, "Your account has no volunteer record; ask your coordinator.",
		    rq->request_id);
		qs = DB_NO_RESULTS;
	}
	return qs;
}

/* GET /v1/me/volunteer: the guide's own volunteer record. */
static void
me_volunteer_get(struct http_request *rq)
{
	PGresult *res;
	json_t *p;
	enum db_qs qs = own_volunteer(rq, &stmt_get_own, &res, &p);

	if (res == NULL) {
		volunteer_reply_failure(rq, qs, p);
		return;
	}
	http_reply_json(rq, 200, volunteer_json(res, 0));
	http_set_etag(rq, row_value(res, 0, "version"));
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
	const char *params[11], *id, *centre;
	PGresult *res = NULL;
	json_t *p;
	enum db_qs qs = check_body(rq, b, &cur, rq->caller.centre_id, phone, sizeof(phone), &p);

	if (qs < 0 || p != NULL)
		goto fail;
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
	qs = volunteer_run(rq, &stmt_insert, params, &res, &p);
	if (res == NULL)
		goto fail;
	id = row_value(res, 0, "id");
	centre = row_value(res, 0, "centre_id");
	qs = volunteer_run_ok(
	    rq, &stmt_history_add,
	    (const char *const[]){id, centre, NULL, row_value(res, 0, "status"), NULL}, &p);
	if (qs >= 0)
		qs = replace_lists(rq, b, id, centre, &p);
	if (qs < 0)
		goto fail;
	reply_volunteer(rq, 201, id);
	goto out;
fail:
	volunteer_reply_failure(rq, qs, p);
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

/* Check a patch and apply it to the locked volunteer cur. Answers
 * nothing: returns the query status with *problem set when the patch is
 * refused (or a failure of volunteer_run, as there); the handler answers
 * the volunteer (200) or the failure. */
static enum db_qs
apply_patch(const struct http_request *rq, const json_t *b, const struct current *cur,
            json_t **problem)
{
	const char *to = str_of(b, "status");
	bool change = to != NULL && strcmp(to, cur->status) != 0;
	char phone[64], capacity[24];
	char *langs = NULL, *areas = NULL;
	const char *params[18];
	enum db_qs qs = check_body(rq, b, cur, cur->centre, phone, sizeof(phone), problem);

	if (qs < 0 || *problem != NULL)
		return qs;
	if (change && !transition_allowed(cur->status, to)) {
		*problem = illegal_transition(rq, cur->status, to);
		return DB_ONE_RESULT;
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
	qs = volunteer_run_ok(rq, &stmt_update, params, problem);
	if (qs >= 0 && change)
		qs = volunteer_run_ok(rq, &stmt_history_add,
		                      (const char *const[]){cur->id, cur->centre, cur->status, to,
		                                            str_of(b, "status_reason")},
		                      problem);
	if (qs >= 0)
		qs = replace_lists(rq, b, cur->id, cur->centre, problem);
	free(langs);
	free(areas);
	return qs;
}

/* The locked volunteer res (its If-Match checked here) changed by the
 * body's patch, and the answer: 200 with the volunteer, or the refusal. */
static void
patch_locked(struct http_request *rq, const PGresult *res)
{
	struct current cur;
	json_t *p;
	enum db_qs qs;

	volunteer_current_of(res, &cur);
	if (!http_version_ok(rq, cur.version)) {
		http_reply_stale(rq, "volunteer");
		return;
	}
	qs = apply_patch(rq, rq->body, &cur, &p);
	if (qs < 0 || p != NULL)
		volunteer_reply_failure(rq, qs, p);
	else
		reply_volunteer(rq, 200, cur.id);
}

/* Lock the volunteer named in the path; answers nothing (volunteers.h). */
enum db_qs
volunteer_lock(const struct http_request *rq, PGresult **res, json_t **problem)
{
	const char *id = http_param(rq, "id");
	enum db_qs qs = volunteer_run(rq, &stmt_lock, (const char *const[]){id}, res, problem);

	if (*res != NULL && PQntuples(*res) == 0) {
		PQclear(*res);
		*res = NULL;
		return DB_NO_RESULTS;
	}
	return qs;
}

/* PATCH /v1/volunteers/{id}: a coordinator changes a volunteer by a merge
 * patch, honouring If-Match; a status change must follow the transitions
 * and is written to the history with its reason. */
static void
volunteers_update(struct http_request *rq)
{
	PGresult *res;
	json_t *p;
	enum db_qs qs = volunteer_lock(rq, &res, &p);

	if (res == NULL) {
		volunteer_reply_failure(rq, qs, p);
		return;
	}
	patch_locked(rq, res);
	PQclear(res);
}

/* PATCH /v1/me/volunteer: a guide changes their own contact details,
 * languages, postal areas, interests, availability and capacity. */
static void
me_volunteer_update(struct http_request *rq)
{
	PGresult *res;
	json_t *p;
	enum db_qs qs = own_volunteer(rq, &stmt_lock_own, &res, &p);

	if (res == NULL) {
		volunteer_reply_failure(rq, qs, p);
		return;
	}
	patch_locked(rq, res);
	PQclear(res);
}

/* The routes of a volunteer's record, joined into the one table by
 * api/routes.c (after the list's, api/handlers/volunteer_lists.c). */
static const struct route routes[] = {
    {"GET", "/v1/me/volunteer", me_volunteer_get, DB, ROLE_GUIDE, NULL, NULL, NULL},
    {"PATCH", "/v1/me/volunteer", me_volunteer_update, DB | BODY, ROLE_GUIDE,
     volunteers_me_update_spec, NULL, NULL},
    {"POST", "/v1/volunteers", volunteers_create, DB | BODY, ROLE_COORDINATOR,
     volunteers_create_spec, NULL, NULL},
    {"GET", "/v1/volunteers/{id}", volunteers_get, DB, ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE,
     NULL, NULL, "id=volunteer"},
    {"PATCH", "/v1/volunteers/{id}", volunteers_update, DB | BODY, ROLE_COORDINATOR,
     volunteers_update_spec, NULL, "id=volunteer"},
};

API_ROUTES(volunteers_routes, routes);
