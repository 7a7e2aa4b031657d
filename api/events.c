/* events.c - dated occurrences: an association's activity, a guide
 * training, a welcome workshop for associations or an information meeting.
 * Single events and weekly or monthly series (expanded into occurrences in
 * local Copenhagen time), Danish full-text search with filters, a public
 * listing for the portals, and sign-ups with capacity.
 *
 * Who may do what (besides the route table's roles): coordinators write
 * their centre's events; an association contact adds and changes the
 * activities of its own association (account.association_id) and sees the
 * internal note of those only. Sign-ups: guides sign themselves up (their
 * volunteer record) for guide trainings and information meetings,
 * association contacts themselves for welcome workshops and information
 * meetings, coordinators anyone of the centre for those kinds. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/db.h"
#include "../lib/http.h"
#include "../lib/problem.h"
#include "../lib/spec.h"
#include "app.h"
#include "routes.h"
#include "auth.h"

#define TS(col)   "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TSUS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define LOCAL_TZ  "'Europe/Copenhagen'"

/* The tsquery of the free text $2; NULL (matches nothing) when the text has
 * no searchable word (only stop words), so PostgreSQL has nothing to warn
 * about. */
#define TSQ                                                                                        \
	"CASE WHEN to_tsvector('danish', $2) = ''::tsvector THEN NULL"                             \
	" ELSE plainto_tsquery('danish', $2) END"

/* The categories of event e as a JSON array. */
#define CATEGORIES_JSON                                                                            \
	"coalesce((SELECT json_agg(json_build_object('id', c.id, 'kind', c.kind, 'slug', c.slug,"  \
	" 'name_da', c.name_da, 'name_en', c.name_en) ORDER BY c.kind, c.slug)"                    \
	" FROM event_category ec JOIN category c ON c.id = ec.category_id"                         \
	" WHERE ec.event_id = e.id), '[]'::json)"

/* The caller's own active sign-up for event e: a guide's (through their
 * volunteer record) or an association contact's (their account); NULL for
 * anyone else. */
#define MY_SIGNUP                                                                                  \
	"(SELECT ms.id FROM event_signup ms WHERE ms.event_id = e.id AND ms.cancelled_at IS NULL"  \
	" AND (ms.account_id = kompas_account() OR ms.volunteer_id IN"                             \
	"   (SELECT mv.id FROM volunteer mv WHERE mv.account_id = kompas_account())) LIMIT 1)"

/* The full event, for the centre's own callers. */
#define EVENT_COLUMNS                                                                              \
	"e.id, e.centre_id, e.kind, e.title, e.description, " TS("e.starts_at") ", " TS(           \
	    "e.ends_at") ", e.address, e.postal_code, e.online_url, e.accessibility, e.capacity,"  \
	                 " e.signup_count, e.cancelled, e.association_id, s.name, e.series_id,"    \
	                 " (kompas_role() IN ('admin', 'coordinator') OR (kompas_role() = "        \
	                 "'association'"                                                           \
	                 " AND e.association_id = (SELECT kompas_association()))),"                \
	                 " e.internal_note, " TS("e.created_at") ", " TS(                          \
	                     "e.updated_at") ", e.version, " CATEGORIES_JSON ", " MY_SIGNUP        \
	                                     ", " TSUS("e.starts_at")
#define EVENT_FROM " FROM event e LEFT JOIN association s ON s.id = e.association_id"
enum {
	EC_ID,
	EC_CENTRE,
	EC_KIND,
	EC_TITLE,
	EC_DESCRIPTION,
	EC_STARTS,
	EC_ENDS,
	EC_ADDRESS,
	EC_POSTAL,
	EC_URL,
	EC_ACCESS,
	EC_CAPACITY,
	EC_SIGNUPS,
	EC_CANCELLED,
	EC_ASSOC,
	EC_ASSOC_NAME,
	EC_SERIES,
	EC_SEES_NOTE,
	EC_NOTE,
	EC_CREATED,
	EC_UPDATED,
	EC_VERSION,
	EC_CATEGORIES,
	EC_MY_SIGNUP,
	EC_CURSOR,
	EC_RANK_AT = EC_CURSOR + 3 /* ranked lists: after k_at, k_id */
};

/* What the portals publish (the view event_public). */
#define PUBLIC_COLUMNS                                                                             \
	"e.id, e.kind, e.title, e.description, " TS("e.starts_at") ", " TS(                        \
	    "e.ends_at") ", e.address, e.postal_code, e.online_url, e.accessibility,"              \
	                 " e.cancelled, e.association_id, e.association_name, "                    \
	                 "e.categories, " TSUS("e.starts_at")
#define PUBLIC_FROM " FROM event_public e"
enum {
	PC_ID,
	PC_KIND,
	PC_TITLE,
	PC_DESCRIPTION,
	PC_STARTS,
	PC_ENDS,
	PC_ADDRESS,
	PC_POSTAL,
	PC_URL,
	PC_ACCESS,
	PC_CANCELLED,
	PC_ASSOC,
	PC_ASSOC_NAME,
	PC_CATEGORIES,
	PC_CURSOR,
	PC_RANK_AT = PC_CURSOR + 3
};

static const char *const kinds[] = {"activity", "guide_training", "welcome_workshop",
                                    "info_meeting", NULL};
static const char *const frequencies[] = {"weekly", "monthly", NULL};

static const struct spec_field uuid_item = {.type = SPEC_STRING, .format = SPEC_FMT_UUID};

/* The fields of an event (and of a series' template) on creation. */
#define EVENT_CREATE_FIELDS                                                                        \
	{.name = "kind", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = kinds},       \
	    {.name = "title", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 2, .max = 200},  \
	    {.name = "description",                                                                \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE | SPEC_MULTILINE,                                              \
	     .min = 1,                                                                             \
	     .max = 4000},                                                                         \
	    {.name = "starts_at",                                                                  \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_REQUIRED,                                                               \
	     .format = SPEC_FMT_DATETIME},                                                         \
	    {.name = "ends_at",                                                                    \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_REQUIRED,                                                               \
	     .format = SPEC_FMT_DATETIME},                                                         \
	    {.name = "address",                                                                    \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE,                                                               \
	     .min = 1,                                                                             \
	     .max = 300},                                                                          \
	    {.name = "postal_code",                                                                \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE,                                                               \
	     .format = SPEC_FMT_POSTAL_CODE_DK},                                                   \
	    {.name = "online_url",                                                                 \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE,                                                               \
	     .max = 500,                                                                           \
	     .format = SPEC_FMT_URL},                                                              \
	    {.name = "accessibility",                                                              \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE | SPEC_MULTILINE,                                              \
	     .min = 1,                                                                             \
	     .max = 1000},                                                                         \
	    {.name = "capacity",                                                                   \
	     .type = SPEC_INTEGER,                                                                 \
	     .flags = SPEC_NULLABLE,                                                               \
	     .min = 1,                                                                             \
	     .max = 10000},                                                                        \
	    {.name = "association_id",                                                             \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE,                                                               \
	     .format = SPEC_FMT_UUID},                                                             \
	    {.name = "category_ids",                                                               \
	     .type = SPEC_ARRAY,                                                                   \
	     .flags = SPEC_UNIQUE,                                                                 \
	     .max = 10,                                                                            \
	     .items = &uuid_item},                                                                 \
	{                                                                                          \
		.name = "internal_note", .type = SPEC_STRING,                                      \
		.flags = SPEC_NULLABLE | SPEC_MULTILINE, .min = 1, .max = 4000                     \
	}

static const struct spec_field events_create_spec[] = {EVENT_CREATE_FIELDS, SPEC_END};

static const struct spec_field event_series_create_spec[] = {
    EVENT_CREATE_FIELDS,
    {.name = "frequency", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = frequencies},
    {.name = "interval", .type = SPEC_INTEGER, .min = 1, .max = 4},
    {.name = "count", .type = SPEC_INTEGER, .min = 1, .max = 104},
    {.name = "until", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    SPEC_END};

/* PATCH /v1/event-series/{id}: the template's members (no times: those
 * are changed per occurrence) and cancelled. */
static const struct spec_field event_series_update_spec[] = {
    {.name = "title", .type = SPEC_STRING, .min = 2, .max = 200},
    {.name = "description",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 4000},
    {.name = "address", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .min = 1, .max = 300},
    {.name = "postal_code",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .format = SPEC_FMT_POSTAL_CODE_DK},
    {.name = "online_url",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .max = 500,
     .format = SPEC_FMT_URL},
    {.name = "accessibility",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 1000},
    {.name = "capacity", .type = SPEC_INTEGER, .flags = SPEC_NULLABLE, .min = 1, .max = 10000},
    {.name = "association_id",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .format = SPEC_FMT_UUID},
    {.name = "category_ids",
     .type = SPEC_ARRAY,
     .flags = SPEC_UNIQUE,
     .max = 10,
     .items = &uuid_item},
    {.name = "cancelled", .type = SPEC_BOOLEAN},
    {.name = "internal_note",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 4000},
    SPEC_END};

static const struct spec_field events_update_spec[] = {
    {.name = "title", .type = SPEC_STRING, .min = 2, .max = 200},
    {.name = "description",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 4000},
    {.name = "starts_at", .type = SPEC_STRING, .format = SPEC_FMT_DATETIME},
    {.name = "ends_at", .type = SPEC_STRING, .format = SPEC_FMT_DATETIME},
    {.name = "address", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .min = 1, .max = 300},
    {.name = "postal_code",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .format = SPEC_FMT_POSTAL_CODE_DK},
    {.name = "online_url",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .max = 500,
     .format = SPEC_FMT_URL},
    {.name = "accessibility",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 1000},
    {.name = "capacity", .type = SPEC_INTEGER, .flags = SPEC_NULLABLE, .min = 1, .max = 10000},
    {.name = "association_id",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .format = SPEC_FMT_UUID},
    {.name = "category_ids",
     .type = SPEC_ARRAY,
     .flags = SPEC_UNIQUE,
     .max = 10,
     .items = &uuid_item},
    {.name = "cancelled", .type = SPEC_BOOLEAN},
    {.name = "internal_note",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 4000},
    SPEC_END};

/* The filters both listings share. */
#define LIST_FILTER_FIELDS                                                                         \
	{.name = "q", .type = SPEC_STRING, .min = 1, .max = 200},                                  \
	    {.name = "from", .type = SPEC_STRING, .min = 10, .max = 40},                           \
	    {.name = "to", .type = SPEC_STRING, .min = 10, .max = 40},                             \
	    {.name = "category", .type = SPEC_STRING, .format = SPEC_FMT_UUID},                    \
	    {.name = "association", .type = SPEC_STRING, .format = SPEC_FMT_UUID},                 \
	    {.name = "postal_code", .type = SPEC_STRING, .format = SPEC_FMT_POSTAL_CODE_DK},       \
	    {.name = "kind", .type = SPEC_STRING, .enum_values = kinds},                           \
	    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},                         \
	{                                                                                          \
		.name = "cursor", .type = SPEC_STRING, .min = 2, .max = 120                        \
	}

static const struct spec_field events_list_query[] = {
    LIST_FILTER_FIELDS,
    {.name = "include_cancelled", .type = SPEC_BOOLEAN},
    {.name = "series_id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    SPEC_END};

static const struct spec_field events_public_query[] = {
    {.name = "centre", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 2, .max = 40},
    LIST_FILTER_FIELDS,
    SPEC_END};

static const struct spec_field event_signups_create_spec[] = {
    {.name = "volunteer_id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    {.name = "account_id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    SPEC_END};

static const struct spec_field event_signups_list_query[] = {
    {.name = "include_cancelled", .type = SPEC_BOOLEAN},
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .max = 80, .format = SPEC_FMT_KEYSET},
    SPEC_END};

/* --- small helpers ---------------------------------------------------------- */

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static bool
is_role(const struct http_request *rq, unsigned role)
{
	return rq->caller.role == role;
}

static json_t *
int_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null()
	                                  : json_integer(atoll(PQgetvalue(res, row, col)));
}

static json_t *
json_column(const PGresult *res, int row, int col)
{
	json_t *v = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY, NULL);

	return v ? v : json_array();
}

static void
reply_field(struct http_request *rq, enum err_code code, const char *detail, const char *field,
            enum err_code field_code, const char *message)
{
	json_t *p = problem_new(code, detail, rq->request_id);

	problem_add_field_error(p, field, field_code, message);
	http_reply_problem_json(rq, p);
}

static void
reply_not_found(struct http_request *rq)
{
	http_reply_problem(rq, ERR_NOT_FOUND, "No event has this id.");
}

/* Seconds since the epoch of an RFC 3339 date-time already checked with
 * SPEC_FMT_DATETIME (a fraction of a second is ignored, as the server
 * stores whole seconds). */
static long long
rfc3339_seconds(const char *s)
{
	struct tm tm;
	const char *p = s + 19;
	long long t;
	int y, mo, d, h, mi, sec;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%*c%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (long long)timegm(&tm);
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == '+' || *p == '-') {
		long long off = (long long)atoi(p + 1) * 3600 + (long long)atoi(p + 4) * 60;

		t += *p == '+' ? -off : off;
	}
	return t;
}

#define MAX_EVENT_SECONDS (14LL * 24 * 3600)
#define MAX_AHEAD_SECONDS (5LL * 366 * 24 * 3600)
#define EARLIEST_START    946684800LL /* 2000-01-01T00:00:00Z */

/* Check the times of an event: ends after it starts, lasts at most 14
 * days, starts from 2000 and at most about 5 years ahead. check_start:
 * the start was given in this request. Adds field errors to p. */
static void
check_times(json_t *p, long long start, long long end, bool check_start)
{
	if (check_start && start < EARLIEST_START)
		problem_add_field_error(p, "starts_at", ERR_FIELD_TOO_SMALL,
		                        "must be in 2000 or later");
	if (check_start && start > (long long)time(NULL) + MAX_AHEAD_SECONDS)
		problem_add_field_error(p, "starts_at", ERR_FIELD_TOO_LARGE,
		                        "must be at most 5 years ahead");
	if (end <= start)
		problem_add_field_error(p, "ends_at", ERR_FIELD_TOO_SMALL,
		                        "must be after starts_at");
	else if (end - start > MAX_EVENT_SECONDS)
		problem_add_field_error(p, "ends_at", ERR_FIELD_TOO_LARGE,
		                        "an event lasts at most 14 days: make a series instead");
}

/* A PostgreSQL uuid[] literal of a JSON array of UUID strings (validated),
 * or NULL when arr is NULL. Caller frees. */
static char *
uuid_array_param(const json_t *arr)
{
	size_t n = json_array_size(arr), i;
	char *out, *q;

	if (arr == NULL)
		return NULL;
	out = malloc(n * 37 + 3);
	if (out == NULL)
		abort();
	q = out;
	*q++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*q++ = ',';
		memcpy(q, json_string_value(json_array_get(arr, i)), 36);
		q += 36;
	}
	*q++ = '}';
	*q = '\0';
	return out;
}

static struct db_stmt stmt_my_association =
    DB_STMT("events_my_association", "SELECT kompas_association()", 0);

/* The caller's association (an association contact's), into out (37
 * bytes); false with 403 answered when there is none. */
static bool
my_association(struct http_request *rq, char *out)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_my_association, NULL, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	if (qs == DB_NO_RESULTS || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		http_reply_problem(rq, ERR_FORBIDDEN,
		                   "Your account is not the contact of an association: ask a "
		                   "coordinator to link it.");
		return false;
	}
	snprintf(out, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

static struct db_stmt stmt_association_ok =
    DB_STMT("events_association_ok",
            "SELECT 1 FROM association WHERE id = $1 AND centre_id = kompas_centre()", 1);

static struct db_stmt stmt_unknown_categories =
    DB_STMT("events_unknown_categories",
            "SELECT u.i - 1 FROM unnest($1::uuid[]) WITH ORDINALITY u (x, i)"
            " WHERE NOT EXISTS (SELECT 1 FROM category c WHERE c.id = u.x"
            "   AND (c.centre_id IS NULL OR c.centre_id = kompas_centre())) ORDER BY u.i",
            1);

/* Check that the association (when given) is of the caller's centre and
 * every category is shared or the centre's; adds field errors to p.
 * Returns a query status (< 0: answered with the database error). */
static enum db_qs
check_references(struct http_request *rq, json_t *p, const char *association,
                 const char *categories)
{
	enum db_qs qs = DB_NO_RESULTS;
	PGresult *res;

	if (association != NULL) {
		res =
		    db_exec(rq->db, &stmt_association_ok, (const char *const[]){association}, &qs);
		if (res == NULL) {
			http_reply_db_error(rq, qs);
			return qs;
		}
		PQclear(res);
		if (qs == DB_NO_RESULTS)
			problem_add_field_error(p, "association_id", ERR_FIELD_NOT_IN_ENUM,
			                        "no association of your centre has this id");
	}
	if (categories != NULL) {
		res = db_exec(rq->db, &stmt_unknown_categories, (const char *const[]){categories},
		              &qs);
		if (res == NULL) {
			http_reply_db_error(rq, qs);
			return qs;
		}
		for (int i = 0; i < PQntuples(res); i++) {
			char field[40];

			snprintf(field, sizeof(field), "category_ids[%s]", PQgetvalue(res, i, 0));
			problem_add_field_error(p, field, ERR_FIELD_NOT_IN_ENUM,
			                        "no category shared or of your centre has this id");
		}
		PQclear(res);
	}
	return DB_ONE_RESULT;
}

/* --- the event as JSON -------------------------------------------------------- */

static json_t *
event_json(const PGresult *res, int row)
{
	json_t *j = json_object();
	json_t *cap = int_or_null(res, row, EC_CAPACITY);
	long long signups = atoll(PQgetvalue(res, row, EC_SIGNUPS));

	json_object_set_new(j, "id", json_string(PQgetvalue(res, row, EC_ID)));
	json_object_set_new(j, "centre_id", json_string(PQgetvalue(res, row, EC_CENTRE)));
	json_object_set_new(j, "kind", json_string(PQgetvalue(res, row, EC_KIND)));
	json_object_set_new(j, "title", json_string(PQgetvalue(res, row, EC_TITLE)));
	json_object_set_new(j, "description", db_json_text(res, row, EC_DESCRIPTION));
	json_object_set_new(j, "starts_at", json_string(PQgetvalue(res, row, EC_STARTS)));
	json_object_set_new(j, "ends_at", json_string(PQgetvalue(res, row, EC_ENDS)));
	json_object_set_new(j, "address", db_json_text(res, row, EC_ADDRESS));
	json_object_set_new(j, "postal_code", db_json_text(res, row, EC_POSTAL));
	json_object_set_new(j, "online_url", db_json_text(res, row, EC_URL));
	json_object_set_new(j, "accessibility", db_json_text(res, row, EC_ACCESS));
	json_object_set_new(j, "categories", json_column(res, row, EC_CATEGORIES));
	json_object_set_new(j, "association_id", db_json_text(res, row, EC_ASSOC));
	json_object_set_new(j, "association_name", db_json_text(res, row, EC_ASSOC_NAME));
	json_object_set_new(j, "capacity", cap);
	json_object_set_new(j, "signups", json_integer(signups));
	json_object_set_new(j, "places_left",
	                    json_is_null(cap) ? json_null()
	                                      : json_integer(json_integer_value(cap) - signups));
	json_object_set_new(j, "cancelled", db_json_bool(res, row, EC_CANCELLED));
	json_object_set_new(j, "series_id", db_json_text(res, row, EC_SERIES));
	if (PQgetvalue(res, row, EC_SEES_NOTE)[0] == 't')
		json_object_set_new(j, "internal_note", db_json_text(res, row, EC_NOTE));
	json_object_set_new(j, "my_signup_id", db_json_text(res, row, EC_MY_SIGNUP));
	json_object_set_new(j, "created_at", json_string(PQgetvalue(res, row, EC_CREATED)));
	json_object_set_new(j, "updated_at", json_string(PQgetvalue(res, row, EC_UPDATED)));
	return j;
}

static json_t *
public_event_json(const PGresult *res, int row)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", json_string(PQgetvalue(res, row, PC_ID)));
	json_object_set_new(j, "kind", json_string(PQgetvalue(res, row, PC_KIND)));
	json_object_set_new(j, "title", json_string(PQgetvalue(res, row, PC_TITLE)));
	json_object_set_new(j, "description", db_json_text(res, row, PC_DESCRIPTION));
	json_object_set_new(j, "starts_at", json_string(PQgetvalue(res, row, PC_STARTS)));
	json_object_set_new(j, "ends_at", json_string(PQgetvalue(res, row, PC_ENDS)));
	json_object_set_new(j, "address", db_json_text(res, row, PC_ADDRESS));
	json_object_set_new(j, "postal_code", db_json_text(res, row, PC_POSTAL));
	json_object_set_new(j, "online_url", db_json_text(res, row, PC_URL));
	json_object_set_new(j, "accessibility", db_json_text(res, row, PC_ACCESS));
	json_object_set_new(j, "categories", json_column(res, row, PC_CATEGORIES));
	json_object_set_new(j, "association_id", db_json_text(res, row, PC_ASSOC));
	json_object_set_new(j, "association_name", db_json_text(res, row, PC_ASSOC_NAME));
	json_object_set_new(j, "cancelled", db_json_bool(res, row, PC_CANCELLED));
	return j;
}

static struct db_stmt stmt_get =
    DB_STMT("events_get", "SELECT " EVENT_COLUMNS EVENT_FROM " WHERE e.id = $1", 1);

/* Answer status with event id (re-read), its ETag and, for 201, Location. */
static void
reply_event(struct http_request *rq, unsigned status, const char *id)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_get, (const char *const[]){id}, &qs);
	char location[64];

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		reply_not_found(rq);
		return;
	}
	http_reply_json(rq, status, event_json(res, 0));
	http_set_etag(rq, PQgetvalue(res, 0, EC_VERSION));
	if (status == 201) {
		snprintf(location, sizeof(location), "/v1/events/%s", id);
		http_set_header(rq, "Location", location);
	}
	PQclear(res);
}

/* GET /v1/events/{id} */
static void
events_get(struct http_request *rq)
{
	const char *id = http_param(rq, "id");

	if (!spec_format_ok(SPEC_FMT_UUID, id)) {
		reply_not_found(rq);
		return;
	}
	reply_event(rq, 200, id);
}

/* --- listing and search ----------------------------------------------------------- */

/* Parameters of the list statements:
 *   $1 centre (NULL: every centre the caller sees)  $2 free text
 *   $3 from, $4 to (dates in Copenhagen time, or date-times)
 *   $5 category  $6 association  $7 postal code  $8 kind
 *   $9 include cancelled  $10 only events not yet ended  $11 series
 *   $12, $13 cursor time and id  $14 limit (+1)  $15 cursor rank */
#define LIST_WHERE(category_cond)                                                                  \
	" WHERE ($1::uuid IS NULL OR e.centre_id = $1)"                                            \
	" AND ($2::text IS NULL OR e.search @@ " TSQ ")"                                           \
	" AND ($3::text IS NULL OR e.starts_at >= CASE WHEN length($3) = 10"                       \
	"   THEN $3::date::timestamp AT TIME ZONE " LOCAL_TZ " ELSE $3::timestamptz END)"          \
	" AND ($4::text IS NULL OR CASE WHEN length($4) = 10"                                      \
	"   THEN e.starts_at < ($4::date + 1)::timestamp AT TIME ZONE " LOCAL_TZ                   \
	"   ELSE e.starts_at <= $4::timestamptz END)"                                              \
	" AND ($5::uuid IS NULL OR " category_cond ")"                                             \
	" AND ($6::uuid IS NULL OR e.association_id = $6)"                                         \
	" AND ($7::text IS NULL OR e.postal_code = $7)"                                            \
	" AND ($8::text IS NULL OR e.kind = $8)"                                                   \
	" AND ($9::boolean OR NOT e.cancelled)"                                                    \
	" AND (NOT $10::boolean OR e.ends_at > now())"                                             \
	" AND ($11::uuid IS NULL OR e.series_id = $11)"

/* By time: keyset on (starts_at, id). */
#define LIST_BY_TIME(cols, from, category_cond)                                                    \
	"SELECT " cols from LIST_WHERE(category_cond) " AND ($12::text IS NULL OR (e.starts_at, "  \
	                                              "e.id) > ($12::timestamptz, $13::uuid))"     \
	                                              " ORDER BY e.starts_at, e.id LIMIT $14"

/* By relevance: keyset on (rank descending, starts_at, id). */
#define LIST_BY_RANK(cols, from, category_cond)                                                    \
	"SELECT * FROM (SELECT " cols ", e.starts_at AS k_at, e.id AS k_id,"                       \
	" ts_rank(e.search, " TSQ ") AS k_rank" from                                               \
	LIST_WHERE(category_cond) ") r"                                                            \
	                          " WHERE ($12::text IS NULL OR r.k_rank < $15::real"              \
	                          "   OR (r.k_rank = $15::real AND (r.k_at, r.k_id) > "            \
	                          "($12::timestamptz, $13::uuid)))"                                \
	                          " ORDER BY r.k_rank DESC, r.k_at, r.k_id LIMIT $14"

#define EVENT_CATEGORY_COND                                                                        \
	"EXISTS (SELECT 1 FROM event_category ec WHERE ec.event_id = e.id AND ec.category_id = "   \
	"$5)"
#define PUBLIC_CATEGORY_COND "$5 = ANY (e.category_ids)"

static struct db_stmt stmt_list_time =
    DB_STMT("events_list_time", LIST_BY_TIME(EVENT_COLUMNS, EVENT_FROM, EVENT_CATEGORY_COND), 14);
static struct db_stmt stmt_list_rank =
    DB_STMT("events_list_rank", LIST_BY_RANK(EVENT_COLUMNS, EVENT_FROM, EVENT_CATEGORY_COND), 15);
static struct db_stmt stmt_public_time = DB_STMT(
    "events_public_time", LIST_BY_TIME(PUBLIC_COLUMNS, PUBLIC_FROM, PUBLIC_CATEGORY_COND), 14);
static struct db_stmt stmt_public_rank = DB_STMT(
    "events_public_rank", LIST_BY_RANK(PUBLIC_COLUMNS, PUBLIC_FROM, PUBLIC_CATEGORY_COND), 15);

struct list_cursor {
	char rank[32];
	char at[48];
	char id[37];
};

/* Split a cursor: "<time>_<uuid>", or "<rank>_<time>_<uuid>" with q.
 * Returns false when it is not one of ours. */
static bool
parse_cursor(const char *s, bool ranked, struct list_cursor *c)
{
	const char *rest = s;
	const char *sep;

	memset(c, 0, sizeof(*c));
	if (ranked) {
		char *end;
		double d;

		sep = strchr(s, '_');
		if (sep == NULL || (size_t)(sep - s) >= sizeof(c->rank) || sep == s)
			return false;
		memcpy(c->rank, s, (size_t)(sep - s));
		d = strtod(c->rank, &end);
		if (*end != '\0' || !(d >= 0 && d <= 1e30))
			return false;
		rest = sep + 1;
	}
	if (!spec_format_ok(SPEC_FMT_KEYSET, rest))
		return false;
	sep = strrchr(rest, '_');
	if ((size_t)(sep - rest) >= sizeof(c->at))
		return false;
	memcpy(c->at, rest, (size_t)(sep - rest));
	snprintf(c->id, sizeof(c->id), "%s", sep + 1);
	return true;
}

static bool
date_or_datetime(const char *s)
{
	return spec_format_ok(SPEC_FMT_DATE, s) || spec_format_ok(SPEC_FMT_DATETIME, s);
}

/* The listing of GET /v1/events (public false) and GET /v1/public/events. */
static void
list_events(struct http_request *rq, bool public, const char *centre)
{
	const json_t *qy = rq->query;
	const char *q = str_of(qy, "q"), *cursor = str_of(qy, "cursor");
	json_t *jl = json_object_get(qy, "limit");
	long long limit = jl ? json_integer_value(jl) : 50;
	bool ranked = q != NULL;
	struct list_cursor cur;
	char fetch[24], next[200];
	const char *params[15];
	struct db_stmt *stmt;
	json_t *p, *items;
	enum db_qs qs;
	PGresult *res;
	int n, ccol, rcol;

	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	if (str_of(qy, "from") != NULL && !date_or_datetime(str_of(qy, "from")))
		problem_add_field_error(p, "from", ERR_FIELD_FORMAT,
		                        "must be a date (YYYY-MM-DD) or an RFC 3339 date-time");
	if (str_of(qy, "to") != NULL && !date_or_datetime(str_of(qy, "to")))
		problem_add_field_error(p, "to", ERR_FIELD_FORMAT,
		                        "must be a date (YYYY-MM-DD) or an RFC 3339 date-time");
	if (cursor != NULL && !parse_cursor(cursor, ranked, &cur))
		problem_add_field_error(p, "cursor", ERR_FIELD_FORMAT,
		                        "must be a cursor from a next link (of the same q)");
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		return;
	}
	json_decref(p);
	snprintf(fetch, sizeof(fetch), "%lld", limit + 1);
	params[0] = centre;
	params[1] = q;
	params[2] = str_of(qy, "from");
	params[3] = str_of(qy, "to");
	params[4] = str_of(qy, "category");
	params[5] = str_of(qy, "association");
	params[6] = str_of(qy, "postal_code");
	params[7] = str_of(qy, "kind");
	/* The portal shows cancelled occurrences as cancelled, and by default
	 * only what has not ended yet. */
	params[8] =
	    (public || json_is_true(json_object_get(qy, "include_cancelled"))) ? "true" : "false";
	params[9] = public && str_of(qy, "from") == NULL ? "true" : "false";
	params[10] = str_of(qy, "series_id");
	params[11] = cursor ? cur.at : NULL;
	params[12] = cursor ? cur.id : NULL;
	params[13] = fetch;
	params[14] = cursor ? cur.rank : NULL;
	if (public)
		stmt = ranked ? &stmt_public_rank : &stmt_public_time;
	else
		stmt = ranked ? &stmt_list_rank : &stmt_list_time;
	res = db_exec(rq->db, stmt, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	ccol = public ? PC_CURSOR : EC_CURSOR;
	rcol = public ? PC_RANK_AT : EC_RANK_AT;
	n = PQntuples(res);
	items = json_array();
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items,
		                      public ? public_event_json(res, i) : event_json(res, i));
	if (n > limit) {
		int last = (int)limit - 1;

		if (ranked)
			snprintf(next, sizeof(next), "%s_%s_%s", PQgetvalue(res, last, rcol),
			         PQgetvalue(res, last, ccol), PQgetvalue(res, last, 0));
		else
			snprintf(next, sizeof(next), "%s_%s", PQgetvalue(res, last, ccol),
			         PQgetvalue(res, last, 0));
	}
	http_reply_json(
	    rq, 200,
	    json_pack("{s:o, s:o}", "items", items, "next",
	              n > limit
	                  ? http_next_link(rq, public ? "/v1/public/events" : "/v1/events", next)
	                  : json_null()));
	PQclear(res);
}

/* GET /v1/events: the events of the caller's centre (an admin's: of every
 * centre), filtered; by time, or by relevance with q. */
static void
events_list(struct http_request *rq)
{
	list_events(rq, false, rq->caller.centre_id[0] ? rq->caller.centre_id : NULL);
}

static struct db_stmt stmt_centre_of = DB_STMT(
    "events_public_centre", "SELECT id FROM centre WHERE slug = $1 OR id::text = lower($1)", 1);

/* GET /v1/public/events?centre=: what a centre's portal shows, without a
 * credential: public fields only. */
static void
events_public_list(struct http_request *rq)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_centre_of,
	                        (const char *const[]){str_of(rq->query, "centre")}, &qs);
	char centre[37];

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND, "No centre has this slug or id.");
		return;
	}
	snprintf(centre, sizeof(centre), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	list_events(rq, true, centre);
}

/* --- creating ------------------------------------------------------------------------ */

/* Checks shared by POST /v1/events and POST /v1/event-series: times,
 * references and (for an association contact) its own association. p
 * holds the field errors found so far and is consumed. Sets *association
 * to the association of the new event(s) (an association contact's own,
 * written to own: 37 bytes). Returns false when it has answered. */
static bool
check_new_event(struct http_request *rq, const char **association, char *own,
                const char *categories, json_t *p)
{
	const json_t *b = rq->body;
	const char *kind = str_of(b, "kind");

	*association = str_of(b, "association_id");
	if (is_role(rq, ROLE_ASSOCIATION)) {
		if (!my_association(rq, own))
			goto refused;
		if (strcmp(kind, "activity") != 0) {
			reply_field(rq, ERR_FORBIDDEN, NULL, "kind", ERR_FIELD_NOT_IN_ENUM,
			            "association contacts add activities of their association");
			goto refused;
		}
		if (*association != NULL && strcmp(*association, own) != 0) {
			reply_field(rq, ERR_FORBIDDEN, NULL, "association_id",
			            ERR_FIELD_NOT_IN_ENUM,
			            "association contacts add events of their own association");
			goto refused;
		}
		*association = own;
	}
	check_times(p, rfc3339_seconds(str_of(b, "starts_at")),
	            rfc3339_seconds(str_of(b, "ends_at")), true);
	if (check_references(rq, p, is_role(rq, ROLE_ASSOCIATION) ? NULL : *association,
	                     categories) < 0)
		goto refused;
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		return false;
	}
	json_decref(p);
	return true;
refused:
	json_decref(p);
	return false;
}

static struct db_stmt stmt_insert = DB_STMT(
    "events_insert",
    "INSERT INTO event (centre_id, association_id, kind, title, description, starts_at, ends_at,"
    " address, postal_code, online_url, accessibility, capacity, internal_note, created_by)"
    " VALUES (kompas_centre(), $1, $2, $3, $4, date_trunc('second', $5::timestamptz),"
    " date_trunc('second', $6::timestamptz), $7, $8, $9, $10, $11::integer, $12, $13)"
    " RETURNING id",
    13);

static struct db_stmt stmt_set_categories =
    DB_STMT("events_set_categories",
            "INSERT INTO event_category (event_id, category_id, centre_id)"
            " SELECT e.id, c, e.centre_id FROM event e, unnest($2::uuid[]) c"
            " WHERE e.id = $1 OR e.series_id = $1",
            2);

static struct db_stmt stmt_clear_categories =
    DB_STMT("events_clear_categories", "DELETE FROM event_category WHERE event_id = $1", 1);

/* Insert the categories of event (or series) id. */
static enum db_qs
set_categories(struct http_request *rq, const char *id, const char *categories)
{
	enum db_qs qs;
	PGresult *res;

	if (categories == NULL || strcmp(categories, "{}") == 0)
		return DB_NO_RESULTS;
	res = db_exec(rq->db, &stmt_set_categories, (const char *const[]){id, categories}, &qs);
	if (res == NULL)
		http_reply_db_error(rq, qs);
	else
		PQclear(res);
	return qs;
}

static void
integer_param(const json_t *obj, const char *key, char *out, size_t outlen, const char **param)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v)) {
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
		*param = out;
	} else {
		*param = NULL;
	}
}

/* POST /v1/events: one event (an occurrence without a series). */
static void
events_create(struct http_request *rq)
{
	const json_t *b = rq->body;
	char *categories = uuid_array_param(json_object_get(b, "category_ids"));
	char own[37], capacity[24], id[37];
	const char *association, *params[13];
	enum db_qs qs;
	PGresult *res;

	if (!check_new_event(rq, &association, own, categories,
	                     problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id)))
		goto out;
	params[0] = association;
	params[1] = str_of(b, "kind");
	params[2] = str_of(b, "title");
	params[3] = str_of(b, "description");
	params[4] = str_of(b, "starts_at");
	params[5] = str_of(b, "ends_at");
	params[6] = str_of(b, "address");
	params[7] = str_of(b, "postal_code");
	params[8] = str_of(b, "online_url");
	params[9] = str_of(b, "accessibility");
	integer_param(b, "capacity", capacity, sizeof(capacity), &params[10]);
	params[11] = str_of(b, "internal_note");
	params[12] = rq->caller.account_id;
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (set_categories(rq, id, categories) < 0)
		goto out;
	reply_event(rq, 201, id);
out:
	free(categories);
}

/* The occurrences of a series: $1 first start, $2 first end, $3 frequency,
 * $4 interval, $5 count (NULL with until: at most 105 are made, one more
 * than allowed, to notice too many), $6 until. Each occurrence starts at
 * the first one's local wall-clock time in Copenhagen (so 19:00 stays 19:00
 * across daylight-saving changes) and lasts as long in local time; monthly
 * dates past a month's end fall on its last day. within: not more than 2
 * years after the first. */
#define OCCURRENCES                                                                                \
	"(SELECT x.ls AT TIME ZONE " LOCAL_TZ " AS starts_at,"                                     \
	" (x.ls + x.dur) AT TIME ZONE " LOCAL_TZ " AS ends_at,"                                    \
	" x.ls <= x.first + interval '2 years' AS within"                                          \
	" FROM (SELECT b.ls + CASE WHEN $3::text = 'weekly' THEN make_interval(weeks => n * "      \
	"$4::integer)"                                                                             \
	"   ELSE make_interval(months => n * $4::integer) END AS ls,"                              \
	"   b.le - b.ls AS dur, b.ls AS first"                                                     \
	"   FROM (SELECT date_trunc('second', $1::timestamptz) AT TIME ZONE " LOCAL_TZ " AS ls,"   \
	"                date_trunc('second', $2::timestamptz) AT TIME ZONE " LOCAL_TZ             \
	" AS le) b,"                                                                               \
	"        generate_series(0, coalesce($5::integer, 105) - 1) n) x"                          \
	" WHERE $6::date IS NULL OR x.ls::date <= $6::date)"

static struct db_stmt stmt_series_plan = DB_STMT(
    "event_series_plan",
    "SELECT count(*), coalesce(bool_and(o.within), true),"
    " $6::date IS NULL OR $6::date >= (date_trunc('second', $1::timestamptz) AT TIME ZONE " LOCAL_TZ
    ")::date,"
    " $6::date IS NULL OR $6::date <= ((date_trunc('second', $1::timestamptz) AT TIME "
    "ZONE " LOCAL_TZ ")::date + interval '2 years')::date"
    " FROM " OCCURRENCES " o",
    6);

#define SERIES_COLUMNS                                                                             \
	"id, kind, title, description, address, postal_code, online_url, accessibility, capacity," \
	" association_id, internal_note, frequency, repeat_interval, occurrence_count,"            \
	" until_date::text, " TS("first_starts_at") ", " TS("first_ends_at") ", time_zone, " TS(   \
	    "created_at") ", version, array_to_json(category_ids)"
enum { SC_VERSION = 19, SC_CATEGORIES = 20 };

static struct db_stmt stmt_series_insert = DB_STMT(
    "event_series_insert",
    "INSERT INTO event_series (centre_id, association_id, kind, title, description, address,"
    " postal_code, online_url, accessibility, capacity, internal_note, frequency, repeat_interval,"
    " occurrence_count, until_date, first_starts_at, first_ends_at, created_by, category_ids)"
    " VALUES (kompas_centre(), $1, $2, $3, $4, $5, $6, $7, $8, $9::integer, $10, $11,"
    " $12::integer, $13::integer, $14::date, date_trunc('second', $15::timestamptz),"
    " date_trunc('second', $16::timestamptz), $17, coalesce($18::uuid[], '{}'))"
    " RETURNING " SERIES_COLUMNS,
    18);

static struct db_stmt stmt_series_expand =
    DB_STMT("event_series_expand",
            "WITH ins AS (INSERT INTO event (centre_id, association_id, kind, title, description,"
            " starts_at, ends_at, address, postal_code, online_url, accessibility, capacity,"
            " internal_note, created_by, series_id)"
            " SELECT s.centre_id, s.association_id, s.kind, s.title, s.description, o.starts_at,"
            " o.ends_at, s.address, s.postal_code, s.online_url, s.accessibility, s.capacity,"
            " s.internal_note, s.created_by, s.id FROM event_series s, " OCCURRENCES " o"
            " WHERE s.id = $7 RETURNING id, starts_at, ends_at, cancelled)"
            " SELECT id, " TS("starts_at") ", " TS("ends_at") ", cancelled FROM ins"
                                                              " ORDER BY starts_at, id",
            7);

static json_t *
series_json(const PGresult *res)
{
	json_t *j = json_object();

	json_object_set_new(j, "id", db_json_text(res, 0, 0));
	json_object_set_new(j, "kind", db_json_text(res, 0, 1));
	json_object_set_new(j, "title", db_json_text(res, 0, 2));
	json_object_set_new(j, "description", db_json_text(res, 0, 3));
	json_object_set_new(j, "address", db_json_text(res, 0, 4));
	json_object_set_new(j, "postal_code", db_json_text(res, 0, 5));
	json_object_set_new(j, "online_url", db_json_text(res, 0, 6));
	json_object_set_new(j, "accessibility", db_json_text(res, 0, 7));
	json_object_set_new(j, "association_id", db_json_text(res, 0, 9));
	json_object_set_new(j, "internal_note", db_json_text(res, 0, 10));
	json_object_set_new(j, "frequency", db_json_text(res, 0, 11));
	json_object_set_new(j, "capacity", int_or_null(res, 0, 8));
	json_object_set_new(j, "interval", int_or_null(res, 0, 12));
	json_object_set_new(j, "count", int_or_null(res, 0, 13));
	json_object_set_new(j, "until", db_json_text(res, 0, 14));
	json_object_set_new(j, "starts_at", db_json_text(res, 0, 15));
	json_object_set_new(j, "ends_at", db_json_text(res, 0, 16));
	json_object_set_new(j, "time_zone", db_json_text(res, 0, 17));
	json_object_set_new(j, "created_at", db_json_text(res, 0, 18));
	json_object_set_new(j, "category_ids", json_column(res, 0, SC_CATEGORIES));
	return j;
}

/* The occurrences of a series as JSON, from rows (id, start, end,
 * cancelled) in time order. */
static json_t *
occurrences_json(const PGresult *res)
{
	json_t *occ = json_array();

	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(
		    occ, json_pack("{s:s, s:s, s:s, s:o}", "id", PQgetvalue(res, i, 0), "starts_at",
		                   PQgetvalue(res, i, 1), "ends_at", PQgetvalue(res, i, 2),
		                   "cancelled", db_json_bool(res, i, 3)));
	return occ;
}

/* Check the expansion of a series before making it: count or until,
 * at most 104 occurrences within 2 years. Adds field errors to p. */
static enum db_qs
check_series(struct http_request *rq, json_t *p, const char *const *plan)
{
	const json_t *b = rq->body;
	bool has_count = json_object_get(b, "count") != NULL;
	bool has_until = json_object_get(b, "until") != NULL;
	enum db_qs qs;
	PGresult *res;

	if (has_count == has_until) {
		problem_add_field_error(p, has_count ? "until" : "count",
		                        has_count ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
		                        "give either count or until");
		return DB_NO_RESULTS;
	}
	if (!spec_format_ok(SPEC_FMT_DATETIME, plan[0]) ||
	    !spec_format_ok(SPEC_FMT_DATETIME, plan[1]))
		return DB_NO_RESULTS;
	res = db_exec(rq->db, &stmt_series_plan, plan, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return qs;
	}
	if (PQgetvalue(res, 0, 2)[0] != 't')
		problem_add_field_error(p, "until", ERR_FIELD_TOO_SMALL,
		                        "must not be before the first occurrence");
	else if (PQgetvalue(res, 0, 3)[0] != 't')
		problem_add_field_error(p, "until", ERR_FIELD_TOO_LARGE,
		                        "a series lasts at most 2 years");
	else if (atoi(PQgetvalue(res, 0, 0)) > 104)
		problem_add_field_error(p, "until", ERR_FIELD_TOO_LARGE,
		                        "a series has at most 104 occurrences");
	else if (PQgetvalue(res, 0, 1)[0] != 't')
		problem_add_field_error(p, "count", ERR_FIELD_TOO_LARGE,
		                        "a series lasts at most 2 years");
	PQclear(res);
	return DB_ONE_RESULT;
}

/* POST /v1/event-series: a weekly or monthly series and all its
 * occurrences, in one call. */
static void
event_series_create(struct http_request *rq)
{
	const json_t *b = rq->body;
	char *categories = uuid_array_param(json_object_get(b, "category_ids"));
	char own[37], capacity[24], interval[24], count[24], sid[37], version[24], location[64];
	const char *association, *params[18], *plan[7];
	json_t *p, *body;
	enum db_qs qs;
	PGresult *res;

	plan[0] = str_of(b, "starts_at");
	plan[1] = str_of(b, "ends_at");
	plan[2] = str_of(b, "frequency");
	snprintf(interval, sizeof(interval), "%lld",
	         json_object_get(b, "interval") ? json_integer_value(json_object_get(b, "interval"))
	                                        : 1LL);
	plan[3] = interval;
	integer_param(b, "count", count, sizeof(count), &plan[4]);
	plan[5] = str_of(b, "until");
	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	if (check_series(rq, p, plan) < 0) {
		json_decref(p);
		goto out;
	}
	if (!check_new_event(rq, &association, own, categories, p))
		goto out;
	params[0] = association;
	params[1] = str_of(b, "kind");
	params[2] = str_of(b, "title");
	params[3] = str_of(b, "description");
	params[4] = str_of(b, "address");
	params[5] = str_of(b, "postal_code");
	params[6] = str_of(b, "online_url");
	params[7] = str_of(b, "accessibility");
	integer_param(b, "capacity", capacity, sizeof(capacity), &params[8]);
	params[9] = str_of(b, "internal_note");
	params[10] = plan[2];
	params[11] = interval;
	params[12] = plan[4];
	params[13] = plan[5];
	params[14] = plan[0];
	params[15] = plan[1];
	params[16] = rq->caller.account_id;
	params[17] = categories;
	res = db_exec(rq->db, &stmt_series_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	body = series_json(res);
	snprintf(sid, sizeof(sid), "%s", PQgetvalue(res, 0, 0));
	snprintf(version, sizeof(version), "%s", PQgetvalue(res, 0, SC_VERSION));
	PQclear(res);
	plan[6] = sid;
	res = db_exec(rq->db, &stmt_series_expand, plan, &qs);
	if (res == NULL) {
		json_decref(body);
		http_reply_db_error(rq, qs);
		goto out;
	}
	json_object_set_new(body, "occurrences", occurrences_json(res));
	PQclear(res);
	if (set_categories(rq, sid, categories) < 0) {
		json_decref(body);
		goto out;
	}
	http_reply_json(rq, 201, body);
	http_set_etag(rq, version);
	snprintf(location, sizeof(location), "/v1/event-series/%s", sid);
	http_set_header(rq, "Location", location);
out:
	free(categories);
}

static struct db_stmt stmt_series_get =
    DB_STMT("event_series_get", "SELECT " SERIES_COLUMNS " FROM event_series WHERE id = $1", 1);

static struct db_stmt stmt_series_occurrences = DB_STMT(
    "event_series_occurrences",
    "SELECT id, " TS("starts_at") ", " TS("ends_at") ", cancelled FROM event"
                                                     " WHERE series_id = $1 ORDER BY starts_at, id",
    1);

/* Answer status with series id and every occurrence (re-read), and its
 * ETag; 404 when the caller does not see it. */
static void
reply_series(struct http_request *rq, unsigned status, const char *id)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_series_get, (const char *const[]){id}, &qs);
	PGresult *occ;
	json_t *body;

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND, "No event series has this id.");
		return;
	}
	occ = db_exec(rq->db, &stmt_series_occurrences, (const char *const[]){id}, &qs);
	if (occ == NULL) {
		PQclear(res);
		http_reply_db_error(rq, qs);
		return;
	}
	body = series_json(res);
	json_object_set_new(body, "occurrences", occurrences_json(occ));
	http_reply_json(rq, status, body);
	http_set_etag(rq, PQgetvalue(res, 0, SC_VERSION));
	PQclear(occ);
	PQclear(res);
}

/* GET /v1/event-series/{id}: the template and its occurrences (staff). */
static void
event_series_get(struct http_request *rq)
{
	const char *id = http_param(rq, "id");

	if (!spec_format_ok(SPEC_FMT_UUID, id)) {
		http_reply_problem(rq, ERR_NOT_FOUND, "No event series has this id.");
		return;
	}
	reply_series(rq, 200, id);
}

/* The members of a series a PATCH may change, in the order of the update
 * statements' parameters $2..$19: each value is followed by whether it was
 * present (merge patch: null clears). */
static const char *const series_members[] = {
    "title",         "description", "address",        "postal_code",   "online_url",
    "accessibility", "capacity",    "association_id", "internal_note", NULL};

static struct db_stmt stmt_series_lock =
    DB_STMT("event_series_lock",
            "SELECT s.version, (SELECT coalesce(max(e.signup_count), 0) FROM event e"
            " WHERE e.series_id = s.id AND e.starts_at > now())"
            " FROM event_series s WHERE s.id = $1 FOR NO KEY UPDATE OF s",
            1);

/* The merge patch of the template: $2..$19 the members of series_members
 * (each value and whether it was present), $20 the categories (NULL:
 * keep), $21 the version named in If-Match (NULL: any). */
#define SERIES_SET                                                                                 \
	" title = CASE WHEN $3::boolean THEN $2 ELSE title END,"                                   \
	" description = CASE WHEN $5::boolean THEN $4 ELSE description END,"                       \
	" address = CASE WHEN $7::boolean THEN $6 ELSE address END,"                               \
	" postal_code = CASE WHEN $9::boolean THEN $8 ELSE postal_code END,"                       \
	" online_url = CASE WHEN $11::boolean THEN $10 ELSE online_url END,"                       \
	" accessibility = CASE WHEN $13::boolean THEN $12 ELSE accessibility END,"                 \
	" capacity = CASE WHEN $15::boolean THEN $14::integer ELSE capacity END,"                  \
	" association_id = CASE WHEN $17::boolean THEN $16::uuid ELSE association_id END,"         \
	" internal_note = CASE WHEN $19::boolean THEN $18 ELSE internal_note END,"                 \
	" updated_at = now(), version = version + 1"

static struct db_stmt stmt_series_update = DB_STMT(
    "event_series_update",
    "UPDATE event_series SET" SERIES_SET ", category_ids = coalesce($20::uuid[], category_ids)"
    " WHERE id = $1 AND ($21::integer IS NULL OR version = $21) RETURNING id",
    21);

/* The same members on every occurrence that has not started; $20 cancels
 * (true) or reinstates (false) them, NULL keeps. */
static struct db_stmt stmt_series_update_upcoming =
    DB_STMT("event_series_update_upcoming",
            "UPDATE event SET" SERIES_SET ", cancelled = coalesce($20::boolean, cancelled)"
            " WHERE series_id = $1 AND starts_at > now() RETURNING id",
            20);

static struct db_stmt stmt_series_clear_upcoming_categories =
    DB_STMT("event_series_clear_upcoming_categories",
            "DELETE FROM event_category ec USING event e"
            " WHERE ec.event_id = e.id AND e.series_id = $1 AND e.starts_at > now()",
            1);

static struct db_stmt stmt_series_set_upcoming_categories =
    DB_STMT("event_series_set_upcoming_categories",
            "INSERT INTO event_category (event_id, category_id, centre_id)"
            " SELECT e.id, c, e.centre_id FROM event e, unnest($2::uuid[]) c"
            " WHERE e.series_id = $1 AND e.starts_at > now()",
            2);

/* Run a statement whose rows are not needed; false after answering a
 * database error. */
static bool
run(struct http_request *rq, struct db_stmt *stmt, const char *const *params)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, stmt, params, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	PQclear(res);
	return true;
}

/* Checks of a series patch against the locked series (cur: version and
 * the most active sign-ups of an upcoming occurrence) and the centre's
 * associations and categories. Returns false when it has answered. */
static bool
check_series_patch(struct http_request *rq, const PGresult *cur, const char *categories)
{
	const json_t *b = rq->body;
	json_t *jcap = json_object_get(b, "capacity");
	json_t *p;

	if (json_is_integer(jcap) && json_integer_value(jcap) < atoll(PQgetvalue(cur, 0, 1))) {
		reply_field(rq, ERR_CONFLICT,
		            "More people are signed up for an upcoming occurrence than the new "
		            "capacity.",
		            "capacity", ERR_FIELD_TOO_SMALL,
		            "is below the active sign-ups of an upcoming occurrence");
		return false;
	}
	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	if (check_references(rq, p, str_of(b, "association_id"), categories) < 0) {
		json_decref(p);
		return false;
	}
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		return false;
	}
	json_decref(p);
	return true;
}

/* PATCH /v1/event-series/{id}: a merge patch of the template, applied to
 * every occurrence that has not started yet (those held keep what they
 * were); cancelled: true cancels the upcoming occurrences. If-Match names
 * the series' version. */
static void
event_series_update(struct http_request *rq)
{
	const json_t *b = rq->body;
	const char *id = http_param(rq, "id");
	char *categories = uuid_array_param(json_object_get(b, "category_ids"));
	json_t *jcan = json_object_get(b, "cancelled");
	const char *params[21];
	char version[24], capacity[24];
	long long want = 0;
	int m = http_if_match(rq, &want);
	enum db_qs qs;
	PGresult *cur = NULL, *res;

	if (!spec_format_ok(SPEC_FMT_UUID, id)) {
		http_reply_problem(rq, ERR_NOT_FOUND, "No event series has this id.");
		goto out;
	}
	if (m < 0) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "If-Match is not a version of ours.");
		goto out;
	}
	cur = db_exec(rq->db, &stmt_series_lock, (const char *const[]){id}, &qs);
	if (cur == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		http_reply_problem(rq, ERR_NOT_FOUND, "No event series has this id.");
		goto out;
	}
	if (m == 1 && want != atoll(PQgetvalue(cur, 0, 0))) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "The series has changed since you read it; read it again.");
		goto out;
	}
	if (!check_series_patch(rq, cur, categories))
		goto out;
	params[0] = id;
	for (int i = 0; series_members[i] != NULL; i++) {
		const char *k = series_members[i];

		if (strcmp(k, "capacity") == 0)
			integer_param(b, k, capacity, sizeof(capacity), &params[1 + 2 * i]);
		else
			params[1 + 2 * i] = str_of(b, k);
		params[2 + 2 * i] = json_object_get(b, k) ? "true" : "false";
	}
	params[19] = categories;
	snprintf(version, sizeof(version), "%lld", want);
	params[20] = m == 1 ? version : NULL;
	res = db_exec(rq->db, &stmt_series_update, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	params[19] = jcan ? (json_is_true(jcan) ? "true" : "false") : NULL;
	if (!run(rq, &stmt_series_update_upcoming, params))
		goto out;
	if (categories != NULL &&
	    (!run(rq, &stmt_series_clear_upcoming_categories, (const char *const[]){id}) ||
	     !run(rq, &stmt_series_set_upcoming_categories, (const char *const[]){id, categories})))
		goto out;
	reply_series(rq, 200, id);
out:
	if (cur != NULL)
		PQclear(cur);
	free(categories);
}

/* --- changing ------------------------------------------------------------------------ */

static struct db_stmt stmt_current =
    DB_STMT("events_current",
            "SELECT e.version, extract(epoch FROM e.starts_at)::bigint,"
            " extract(epoch FROM e.ends_at)::bigint, e.signup_count"
            " FROM event e WHERE e.id = $1 FOR NO KEY UPDATE",
            1);

static struct db_stmt stmt_visible =
    DB_STMT("events_visible", "SELECT 1 FROM event WHERE id = $1", 1);

/* JSON merge patch (RFC 7396): $k the value, $k+1 whether the member was
 * present (so null clears a nullable column). */
static struct db_stmt stmt_update =
    DB_STMT("events_update",
            "UPDATE event SET title = coalesce($2, title),"
            " description = CASE WHEN $4::boolean THEN $3 ELSE description END,"
            " starts_at = coalesce(date_trunc('second', $5::timestamptz), starts_at),"
            " ends_at = coalesce(date_trunc('second', $6::timestamptz), ends_at),"
            " address = CASE WHEN $8::boolean THEN $7 ELSE address END,"
            " postal_code = CASE WHEN $10::boolean THEN $9 ELSE postal_code END,"
            " online_url = CASE WHEN $12::boolean THEN $11 ELSE online_url END,"
            " accessibility = CASE WHEN $14::boolean THEN $13 ELSE accessibility END,"
            " capacity = CASE WHEN $16::boolean THEN $15::integer ELSE capacity END,"
            " association_id = CASE WHEN $18::boolean THEN $17::uuid ELSE association_id END,"
            " internal_note = CASE WHEN $20::boolean THEN $19 ELSE internal_note END,"
            " cancelled = coalesce($21::boolean, cancelled),"
            " updated_at = now(), version = version + 1"
            " WHERE id = $1 AND ($22::integer IS NULL OR version = $22) RETURNING id",
            22);

/* stmt_current locks the row, which needs the update policy (coordinators;
 * an association contact for its own activities): an event the caller
 * sees but may not change gets 403, one it does not see 404. */
static void
reply_cannot_change(struct http_request *rq, const char *id)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_visible, (const char *const[]){id}, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	PQclear(res);
	if (qs == DB_NO_RESULTS)
		reply_not_found(rq);
	else
		http_reply_problem(rq, ERR_FORBIDDEN,
		                   "Coordinators change events; an association contact only the "
		                   "activities of its own association.");
}

/* PATCH /v1/events/{id}: a merge patch honouring If-Match; cancelled: true
 * cancels this one occurrence (sign-ups are kept). */
static void
events_update(struct http_request *rq)
{
	const json_t *b = rq->body;
	const char *id = http_param(rq, "id");
	char *categories = uuid_array_param(json_object_get(b, "category_ids"));
	const char *params[22], *s_at = str_of(b, "starts_at"), *e_at = str_of(b, "ends_at");
	const char *association = str_of(b, "association_id");
	json_t *jcap = json_object_get(b, "capacity"), *jcan = json_object_get(b, "cancelled");
	char version[24], capacity[24];
	long long want = 0, start, end;
	int m = http_if_match(rq, &want);
	enum db_qs qs;
	PGresult *cur = NULL, *res;
	json_t *p;

	if (!spec_format_ok(SPEC_FMT_UUID, id)) {
		reply_not_found(rq);
		goto out;
	}
	if (m < 0) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "If-Match is not a version of ours.");
		goto out;
	}
	cur = db_exec(rq->db, &stmt_current, (const char *const[]){id}, &qs);
	if (cur == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		reply_cannot_change(rq, id);
		goto out;
	}
	if (m == 1 && want != atoll(PQgetvalue(cur, 0, 0))) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "The event has changed since you read it; read it again.");
		goto out;
	}
	if (is_role(rq, ROLE_ASSOCIATION) && json_object_get(b, "association_id") != NULL) {
		reply_field(rq, ERR_FORBIDDEN, NULL, "association_id", ERR_FIELD_NOT_IN_ENUM,
		            "only coordinators move an event to another association");
		goto out;
	}
	if (json_is_integer(jcap) && json_integer_value(jcap) < atoll(PQgetvalue(cur, 0, 3))) {
		reply_field(rq, ERR_CONFLICT, "More people are signed up than the new capacity.",
		            "capacity", ERR_FIELD_TOO_SMALL,
		            "is below the number of active sign-ups");
		goto out;
	}
	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	start = s_at ? rfc3339_seconds(s_at) : atoll(PQgetvalue(cur, 0, 1));
	end = e_at ? rfc3339_seconds(e_at) : atoll(PQgetvalue(cur, 0, 2));
	if (s_at != NULL || e_at != NULL)
		check_times(p, start, end, s_at != NULL);
	if (check_references(rq, p, association, categories) < 0) {
		json_decref(p);
		goto out;
	}
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		goto out;
	}
	json_decref(p);
	params[0] = id;
	params[1] = str_of(b, "title");
	params[2] = str_of(b, "description");
	params[3] = json_object_get(b, "description") ? "true" : "false";
	params[4] = s_at;
	params[5] = e_at;
	params[6] = str_of(b, "address");
	params[7] = json_object_get(b, "address") ? "true" : "false";
	params[8] = str_of(b, "postal_code");
	params[9] = json_object_get(b, "postal_code") ? "true" : "false";
	params[10] = str_of(b, "online_url");
	params[11] = json_object_get(b, "online_url") ? "true" : "false";
	params[12] = str_of(b, "accessibility");
	params[13] = json_object_get(b, "accessibility") ? "true" : "false";
	integer_param(b, "capacity", capacity, sizeof(capacity), &params[14]);
	params[15] = jcap ? "true" : "false";
	params[16] = association;
	params[17] = json_object_get(b, "association_id") ? "true" : "false";
	params[18] = str_of(b, "internal_note");
	params[19] = json_object_get(b, "internal_note") ? "true" : "false";
	params[20] = jcan ? (json_is_true(jcan) ? "true" : "false") : NULL;
	snprintf(version, sizeof(version), "%lld", want);
	params[21] = m == 1 ? version : NULL;
	res = db_exec(rq->db, &stmt_update, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	if (qs == DB_NO_RESULTS) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "The event has changed since you read it; read it again.");
		goto out;
	}
	if (categories != NULL) {
		res = db_exec(rq->db, &stmt_clear_categories, (const char *const[]){id}, &qs);
		if (res == NULL) {
			http_reply_db_error(rq, qs);
			goto out;
		}
		PQclear(res);
		if (set_categories(rq, id, categories) < 0)
			goto out;
	}
	reply_event(rq, 200, id);
out:
	if (cur != NULL)
		PQclear(cur);
	free(categories);
}

/* --- sign-ups ---------------------------------------------------------------------- */

#define SIGNUP_COLUMNS                                                                             \
	"s.id, s.event_id, s.volunteer_id, s.account_id, coalesce(v.name, a.display_name),"        \
	" " TS("s.created_at") ", " TS("s.cancelled_at") ", " TSUS("s.created_at")
#define SIGNUP_JOINS                                                                               \
	" LEFT JOIN volunteer v ON v.id = s.volunteer_id LEFT JOIN account a ON a.id = "           \
	"s.account_id"

static json_t *
signup_json(const PGresult *res, int row)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:o}", "id", PQgetvalue(res, row, 0),
	                 "event_id", PQgetvalue(res, row, 1), "volunteer_id",
	                 db_json_text(res, row, 2), "account_id", db_json_text(res, row, 3), "name",
	                 db_json_text(res, row, 4), "created_at", PQgetvalue(res, row, 5),
	                 "cancelled_at", db_json_text(res, row, 6));
}

static struct db_stmt stmt_lock = DB_STMT(
    "event_signups_lock",
    "SELECT kind, starts_at > now(), cancelled, capacity, signup_count FROM kompas_event_lock($1)",
    1);

static struct db_stmt stmt_own_volunteer = DB_STMT(
    "event_signups_own_volunteer",
    "SELECT id FROM volunteer WHERE account_id = kompas_account() AND centre_id = kompas_centre()",
    0);

static struct db_stmt stmt_volunteer_ok =
    DB_STMT("event_signups_volunteer_ok",
            "SELECT 1 FROM volunteer WHERE id = $1 AND centre_id = kompas_centre()", 1);

static struct db_stmt stmt_contact_ok = DB_STMT(
    "event_signups_contact_ok",
    "SELECT 1 FROM account WHERE id = $1 AND centre_id = kompas_centre() AND role = 'association'",
    1);

static struct db_stmt stmt_active =
    DB_STMT("event_signups_active",
            "SELECT 1 FROM event_signup WHERE event_id = $1 AND cancelled_at IS NULL"
            " AND (volunteer_id = $2 OR account_id = $3)",
            3);

static struct db_stmt stmt_signup_insert = DB_STMT(
    "event_signups_insert",
    "WITH s AS (INSERT INTO event_signup (event_id, centre_id, volunteer_id, account_id,"
    " created_by) VALUES ($1, kompas_centre(), $2, $3, $4) ON CONFLICT DO NOTHING RETURNING *)"
    " SELECT " SIGNUP_COLUMNS " FROM s" SIGNUP_JOINS,
    4);

/* Run a check statement: 1 when it finds a row (its first column copied to
 * out, 37 bytes, when out is given), 0 when not, -1 after answering a
 * database error. */
static int
exists(struct http_request *rq, struct db_stmt *stmt, const char *const *params, char *out)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, stmt, params, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return -1;
	}
	if (out != NULL && qs > 0)
		snprintf(out, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return qs > 0 ? 1 : 0;
}

/* Who is signed up: the volunteer (vol) or the association contact's
 * account (acc), 37 bytes each, one left empty. Returns false when it has
 * answered. */
static bool
signup_person(struct http_request *rq, char *vol, char *acc)
{
	const char *v = str_of(rq->body, "volunteer_id"), *a = str_of(rq->body, "account_id");
	int r;

	vol[0] = acc[0] = '\0';
	if (is_role(rq, ROLE_COORDINATOR)) {
		if ((v == NULL) == (a == NULL)) {
			reply_field(rq, ERR_VALIDATION_FAILED, NULL,
			            v ? "account_id" : "volunteer_id",
			            v ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
			            "give either volunteer_id or account_id");
			return false;
		}
		r = exists(rq, v ? &stmt_volunteer_ok : &stmt_contact_ok,
		           (const char *const[]){v ? v : a}, NULL);
		if (r < 0)
			return false;
		if (r == 0) {
			reply_field(rq, ERR_VALIDATION_FAILED, NULL,
			            v ? "volunteer_id" : "account_id", ERR_FIELD_NOT_IN_ENUM,
			            v ? "no volunteer of your centre has this id"
			              : "no association contact of your centre has this id");
			return false;
		}
		snprintf(v ? vol : acc, 37, "%s", v ? v : a);
		return true;
	}
	if (v != NULL || a != NULL) {
		reply_field(rq, ERR_FORBIDDEN, NULL, v ? "volunteer_id" : "account_id",
		            ERR_FIELD_UNKNOWN, "you sign yourself up: send {}");
		return false;
	}
	if (is_role(rq, ROLE_ASSOCIATION)) {
		snprintf(acc, 37, "%s", rq->caller.account_id);
		return true;
	}
	r = exists(rq, &stmt_own_volunteer, NULL, vol);
	if (r == 0)
		http_reply_problem(rq, ERR_FORBIDDEN,
		                   "Your account has no volunteer record: ask a coordinator.");
	return r > 0;
}

/* POST /v1/events/{id}/signups: capacity is enforced under the event
 * row's lock, so of two sign-ups for the last place exactly one wins. */
static void
event_signups_create(struct http_request *rq)
{
	const char *id = http_param(rq, "id");
	char vol[37], acc[37], location[120];
	const char *kind;
	enum db_qs qs;
	PGresult *ev, *res;
	bool for_volunteer;

	if (!spec_format_ok(SPEC_FMT_UUID, id)) {
		reply_not_found(rq);
		return;
	}
	ev = db_exec(rq->db, &stmt_lock, (const char *const[]){id}, &qs);
	if (ev == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(ev);
		reply_not_found(rq);
		return;
	}
	kind = PQgetvalue(ev, 0, 0);
	if (strcmp(kind, "activity") == 0) {
		reply_field(rq, ERR_VALIDATION_FAILED,
		            "Sign-ups are for guide trainings, welcome workshops and information "
		            "meetings, not activities.",
		            "$", ERR_FIELD_NOT_IN_ENUM, "this event takes no sign-ups");
		goto out;
	}
	if (!signup_person(rq, vol, acc))
		goto out;
	for_volunteer = vol[0] != '\0';
	if ((for_volunteer && strcmp(kind, "welcome_workshop") == 0) ||
	    (!for_volunteer && strcmp(kind, "guide_training") == 0)) {
		reply_field(rq, ERR_VALIDATION_FAILED,
		            for_volunteer ? "Welcome workshops are for association contacts."
		                          : "Guide trainings are for volunteers.",
		            "$", ERR_FIELD_NOT_IN_ENUM,
		            for_volunteer
		                ? "volunteers sign up for guide trainings and information "
		                  "meetings"
		                : "association contacts sign up for welcome workshops and "
		                  "information meetings");
		goto out;
	}
	if (PQgetvalue(ev, 0, 2)[0] == 't') {
		http_reply_problem(rq, ERR_CONFLICT, "The event is cancelled.");
		goto out;
	}
	if (PQgetvalue(ev, 0, 1)[0] != 't') {
		http_reply_problem(rq, ERR_CONFLICT, "The event has already started.");
		goto out;
	}
	switch (exists(
	    rq, &stmt_active,
	    (const char *const[]){id, for_volunteer ? vol : NULL, for_volunteer ? NULL : acc},
	    NULL)) {
	case -1:
		goto out;
	case 1:
		reply_field(rq, ERR_CONFLICT, "Already signed up for this event.",
		            for_volunteer ? "volunteer_id" : "account_id", ERR_FIELD_TAKEN,
		            "is signed up already");
		goto out;
	default:
		break;
	}
	if (!PQgetisnull(ev, 0, 3) && atoll(PQgetvalue(ev, 0, 4)) >= atoll(PQgetvalue(ev, 0, 3))) {
		reply_field(rq, ERR_CONFLICT, "The event is full.", "capacity", ERR_FIELD_TAKEN,
		            "every place is taken");
		goto out;
	}
	res = db_exec(rq->db, &stmt_signup_insert,
	              (const char *const[]){id, for_volunteer ? vol : NULL,
	                                    for_volunteer ? NULL : acc, rq->caller.account_id},
	              &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		reply_field(rq, ERR_CONFLICT, "Already signed up for this event.",
		            for_volunteer ? "volunteer_id" : "account_id", ERR_FIELD_TAKEN,
		            "is signed up already");
		goto out;
	}
	snprintf(location, sizeof(location), "/v1/events/%s/signups/%s", id, PQgetvalue(res, 0, 0));
	http_reply_json(rq, 201, signup_json(res, 0));
	http_set_header(rq, "Location", location);
	PQclear(res);
out:
	PQclear(ev);
}

static struct db_stmt stmt_signup_cancel =
    DB_STMT("event_signups_cancel",
            "UPDATE event_signup SET cancelled_at = coalesce(cancelled_at, now())"
            " WHERE id = $2 AND event_id = $1 RETURNING id",
            2);

/* DELETE /v1/events/{id}/signups/{signup_id}: cancel a sign-up (one's own,
 * or for coordinators any of the centre); the place is free again. */
static void
event_signups_cancel(struct http_request *rq)
{
	const char *id = http_param(rq, "id"), *sid = http_param(rq, "signup_id");
	enum db_qs qs;
	PGresult *res;

	if (!spec_format_ok(SPEC_FMT_UUID, id) || !spec_format_ok(SPEC_FMT_UUID, sid)) {
		http_reply_problem(rq, ERR_NOT_FOUND, "No sign-up of this event has this id.");
		return;
	}
	res = db_exec(rq->db, &stmt_signup_cancel, (const char *const[]){id, sid}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	PQclear(res);
	if (qs == DB_NO_RESULTS) {
		http_reply_problem(rq, ERR_NOT_FOUND, "No sign-up of this event has this id.");
		return;
	}
	http_reply_data(rq, 204, NULL, "", 0, false);
}

static struct db_stmt stmt_signups_list =
    DB_STMT("event_signups_list",
            "SELECT " SIGNUP_COLUMNS " FROM event_signup s" SIGNUP_JOINS
            " WHERE s.event_id = $1 AND ($2::boolean OR s.cancelled_at IS NULL)"
            " AND ($3::text IS NULL OR (s.created_at, s.id) > (split_part($3, '_', 1)::timestamptz,"
            "      split_part($3, '_', 2)::uuid))"
            " ORDER BY s.created_at, s.id LIMIT $4",
            4);

/* GET /v1/events/{id}/signups: who is signed up, first come first. */
static void
event_signups_list(struct http_request *rq)
{
	const char *id = http_param(rq, "id");
	json_t *jl = json_object_get(rq->query, "limit");
	long long limit = jl ? json_integer_value(jl) : 50;
	char fetch[24], cursor[100], path[80];
	const char *params[4];
	json_t *items;
	enum db_qs qs;
	PGresult *res;
	int n;

	if (!spec_format_ok(SPEC_FMT_UUID, id)) {
		reply_not_found(rq);
		return;
	}
	n = exists(rq, &stmt_visible, (const char *const[]){id}, NULL);
	if (n <= 0) {
		if (n == 0)
			reply_not_found(rq);
		return;
	}
	snprintf(fetch, sizeof(fetch), "%lld", limit + 1);
	params[0] = id;
	params[1] =
	    json_is_true(json_object_get(rq->query, "include_cancelled")) ? "true" : "false";
	params[2] = str_of(rq->query, "cursor");
	params[3] = fetch;
	res = db_exec(rq->db, &stmt_signups_list, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	n = PQntuples(res);
	items = json_array();
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, signup_json(res, i));
	if (n > limit)
		snprintf(cursor, sizeof(cursor), "%s_%s", PQgetvalue(res, (int)limit - 1, 7),
		         PQgetvalue(res, (int)limit - 1, 0));
	snprintf(path, sizeof(path), "/v1/events/%s/signups", id);
	http_reply_json(rq, 200,
	                json_pack("{s:o, s:o}", "items", items, "next",
	                          n > limit ? http_next_link(rq, path, cursor) : json_null()));
	PQclear(res);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* events */
    {"GET", "/v1/events", events_list, RO,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, NULL, events_list_query, NULL},
    {"POST", "/v1/events", events_create, DB | BODY, ROLE_COORDINATOR | ROLE_ASSOCIATION,
     events_create_spec, NULL, NULL},
    {"POST", "/v1/event-series", event_series_create, DB | BODY, ROLE_COORDINATOR,
     event_series_create_spec, NULL, NULL},
    {"GET", "/v1/event-series/{id}", event_series_get, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     NULL, "id=event_series"},
    {"PATCH", "/v1/event-series/{id}", event_series_update, DB | BODY, ROLE_COORDINATOR,
     event_series_update_spec, NULL, "id=event_series"},
    {"GET", "/v1/public/events", events_public_list, RO, 0, NULL, events_public_query, NULL},
    {"GET", "/v1/events/{id}", events_get, DB,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, NULL, NULL, "id=event"},
    {"PATCH", "/v1/events/{id}", events_update, DB | BODY, ROLE_COORDINATOR | ROLE_ASSOCIATION,
     events_update_spec, NULL, "id=event"},
    {"GET", "/v1/events/{id}/signups", event_signups_list, DB, ROLE_COORDINATOR, NULL,
     event_signups_list_query, "id=event"},
    {"POST", "/v1/events/{id}/signups", event_signups_create, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, event_signups_create_spec, NULL, "id=event"},
    {"DELETE", "/v1/events/{id}/signups/{signup_id}", event_signups_cancel, DB,
     ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, NULL, NULL,
     "id=event signup_id=event_signup"},
};

API_ROUTES(events_routes, routes);
