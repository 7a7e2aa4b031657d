/* event_lists.c - finding events: GET /v1/events, the centre's events
 * (an admin's: every centre's) for staff, guides and association contacts,
 * and GET /v1/public/events, what a centre's portal shows without a
 * credential (the view event_public: public fields only). Both filter by
 * period (dates in Copenhagen time), category, association, postal code
 * and kind, and page by time, or by relevance with a Danish full-text
 * search q. The events themselves: api/handlers/events.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/list.h"
#include "../../lib/mem.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../pipeline/auth.h"
#include "events.h"
#include "../routes.h"

/* The tsquery of the free text $2; NULL (matches nothing) when the text has
 * no searchable word (only stop words), so PostgreSQL has nothing to warn
 * about. */
#define TSQ                                                                                        \
	"CASE WHEN to_tsvector('danish', $2) = ''::tsvector THEN NULL"                             \
	" ELSE plainto_tsquery('danish', $2) END"

/* What the portals publish (the view event_public). */
/* clang-format off */
#define PUBLIC_COLUMNS                                                                             \
	"e.id, e.kind, e.title, e.description, " TS("e.starts_at") " AS starts_at,"                \
	" " TS("e.ends_at") " AS ends_at, e.address, e.postal_code, e.online_url, e.accessibility," \
	" e.cancelled, e.association_id, e.association_name, e.categories,"                        \
	" " TSUS("e.starts_at") " AS cursor_time"
/* clang-format on */
#define PUBLIC_FROM " FROM event_public e"

/* An event as the portals get it (PUBLIC_COLUMNS), in answer order:
 * categories (json_column) between the head and the tail. */
static const struct row_field public_head_fields[] = {ROW_TEXT("id"), EVENT_WHAT_WHEN_WHERE_FIELDS,
                                                      ROW_END};
static const struct row_field public_tail_fields[] = {ROW_TEXT_OR_NULL("association_id"),
                                                      ROW_TEXT_OR_NULL("association_name"),
                                                      ROW_BOOLEAN("cancelled"), ROW_END};

/* The filters both listings share. */
#define LIST_FILTER_FIELDS                                                                         \
	SPEC_TEXT("q", 0, 1, 200), SPEC_TEXT("from", 0, 10, 40), SPEC_TEXT("to", 0, 10, 40),       \
	    SPEC_UUID("category", 0), SPEC_UUID("association", 0),                                 \
	    SPEC_POSTAL_CODE("postal_code", 0), SPEC_ENUM("kind", 0, event_kinds),                 \
	    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},                         \
	{                                                                                          \
		.name = "cursor", .type = SPEC_STRING, .min = 2, .max = 120                        \
	}

static const struct spec_field events_list_query[] = {
    LIST_FILTER_FIELDS,
    {.name = "include_cancelled", .type = SPEC_BOOLEAN},
    SPEC_UUID("series_id", 0),
    SPEC_END};

static const struct spec_field events_public_query[] = {SPEC_TEXT("centre", SPEC_REQUIRED, 2, 40),
                                                        LIST_FILTER_FIELDS, SPEC_END};

/* The event in row of a result of PUBLIC_COLUMNS as the portals get it. */
static json_t *
public_event_json(const PGresult *res, int row)
{
	json_t *j = row_json(res, row, public_head_fields);

	json_object_set_new(j, "categories", json_column(res, row, row_col(res, "categories")));
	row_json_add(j, res, row, public_tail_fields);
	return j;
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

/* EVENT_CURSOR_RANKED: "<rank>_<time>_<uuid>" (with q), else "<time>_<uuid>". */
#define EVENT_CURSOR_RANKED 1u

/* list_cursor encode: the cursor of row (its k_rank with q, cursor_time, id). */
static bool
encode_cursor(const struct list_cursor *c, const PGresult *res, int row, char *out, size_t outlen)
{
	int n;

	if (c->flags & EVENT_CURSOR_RANKED)
		n = snprintf(out, outlen, "%s_%s_%s", row_value(res, row, "k_rank"),
		             row_value(res, row, "cursor_time"), row_value(res, row, "id"));
	else
		n = snprintf(out, outlen, "%s_%s", row_value(res, row, "cursor_time"),
		             row_value(res, row, "id"));
	return n >= 0 && (size_t)n < outlen;
}

/* list_cursor decode: the parts time, id (and rank with q) of a cursor;
 * false when it is not one of ours. */
static bool
decode_cursor(const struct list_cursor *c, const char *s, struct list_cursor_parts *parts)
{
	const char *rest = s, *sep;
	char rank[32], *end;
	double d;

	if (c->flags & EVENT_CURSOR_RANKED) {
		sep = strchr(s, '_');
		if (sep == NULL || (size_t)(sep - s) >= sizeof(rank) || sep == s)
			return false;
		snprintf(rank, sizeof(rank), "%.*s", (int)(sep - s), s);
		d = strtod(rank, &end);
		if (*end != '\0' || !(d >= 0 && d <= 1e30))
			return false;
		rest = sep + 1;
	}
	if (!spec_format_ok(SPEC_FMT_KEYSET, rest))
		return false;
	sep = strrchr(rest, '_');
	if ((size_t)(sep - rest) >= 48)
		return false;
	parts->part[0] = xstrndup(rest, (size_t)(sep - rest));
	parts->part[1] = xstrndup(sep + 1, 36);
	if (c->flags & EVENT_CURSOR_RANKED)
		parts->part[2] = xstrdup(rank);
	return true;
}

static const struct list_cursor time_cursor = {
    .encode = encode_cursor,
    .decode = decode_cursor,
    .message = "must be a cursor from a next link (of the same q)"};
static const struct list_cursor rank_cursor = {
    .encode = encode_cursor,
    .decode = decode_cursor,
    .flags = EVENT_CURSOR_RANKED,
    .message = "must be a cursor from a next link (of the same q)"};

static bool
date_or_datetime(const char *s)
{
	return spec_format_ok(SPEC_FMT_DATE, s) || spec_format_ok(SPEC_FMT_DATETIME, s);
}

/* list check: from and to are dates or date-times. */
static void
check_period(const struct http_request *rq, json_t *p)
{
	const char *from = str_of(rq->query, "from"), *to = str_of(rq->query, "to");

	if (from != NULL && !date_or_datetime(from))
		problem_add_field_error(p, "from", ERR_FIELD_FORMAT,
		                        "must be a date (YYYY-MM-DD) or an RFC 3339 date-time");
	if (to != NULL && !date_or_datetime(to))
		problem_add_field_error(p, "to", ERR_FIELD_FORMAT,
		                        "must be a date (YYYY-MM-DD) or an RFC 3339 date-time");
}

/* The statements' parameters $1 to $14 (LIST_WHERE, LIST_BY_TIME). */
#define EVENT_LIST_PARAMS(centre, cancelled, upcoming, series)                                     \
	centre, LIST_QUERY("q"), LIST_QUERY("from"), LIST_QUERY("to"), LIST_QUERY("category"),     \
	    LIST_QUERY("association"), LIST_QUERY("postal_code"), LIST_QUERY("kind"), cancelled,   \
	    upcoming, series, LIST_CURSOR(0), LIST_CURSOR(1), LIST_FETCH

/* The caller's centre; cancelled ones with include_cancelled. */
#define STAFF_PARAMS                                                                               \
	EVENT_LIST_PARAMS(LIST_CENTRE, LIST_QUERY_OR("include_cancelled", "false"),                \
	                  LIST_CONST("false"), LIST_QUERY("series_id"))
/* The portal shows cancelled occurrences as cancelled, and by default only
 * what has not ended yet: the centre looked up and that default are the
 * handler's (LIST_ARG 0 and 1). */
#define PUBLIC_PARAMS EVENT_LIST_PARAMS(LIST_ARG(0), LIST_CONST("true"), LIST_ARG(1), LIST_NULL)

static const struct list_param staff_time_params[] = {STAFF_PARAMS, LIST_END};
static const struct list_param staff_rank_params[] = {STAFF_PARAMS, LIST_CURSOR(2), LIST_END};
static const struct list_param public_time_params[] = {PUBLIC_PARAMS, LIST_END};
static const struct list_param public_rank_params[] = {PUBLIC_PARAMS, LIST_CURSOR(2), LIST_END};

#define EVENT_LIST(stmt_, query_, params_, json_, cursor_, path_)                                  \
	{                                                                                          \
		.stmt = stmt_, .query = query_, .params = params_, .row_json = json_,              \
		.cursor = cursor_, .check = check_period, .path = path_                            \
	}

static const struct keyset_list staff_lists[] = {
    EVENT_LIST(&stmt_list_time, events_list_query, staff_time_params, event_json, &time_cursor,
               "/v1/events"),
    EVENT_LIST(&stmt_list_rank, events_list_query, staff_rank_params, event_json, &rank_cursor,
               "/v1/events"),
};
static const struct keyset_list public_lists[] = {
    EVENT_LIST(&stmt_public_time, events_public_query, public_time_params, public_event_json,
               &time_cursor, "/v1/public/events"),
    EVENT_LIST(&stmt_public_rank, events_public_query, public_rank_params, public_event_json,
               &rank_cursor, "/v1/public/events"),
};

/* GET /v1/events: the events of the caller's centre (an admin's: of every
 * centre), filtered; by time, or by relevance with q. */
static void
events_list(struct http_request *rq)
{
	keyset_list_run(rq, &staff_lists[str_of(rq->query, "q") != NULL]);
}

static struct db_stmt stmt_centre_of = DB_STMT(
    "events_public_centre", "SELECT id FROM centre WHERE slug = $1 OR id::text = lower($1)", 1);

/* GET /v1/public/events?centre=: what a centre's portal shows, without a
 * credential: public fields only; 404 for an unknown centre. */
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
	snprintf(centre, sizeof(centre), "%s", row_value(res, 0, "id"));
	PQclear(res);
	keyset_list_run_args(
	    rq, &public_lists[str_of(rq->query, "q") != NULL],
	    (const char *const[]){centre, str_of(rq->query, "from") == NULL ? "true" : "false"});
}

/* The routes of the listings, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    {"GET", "/v1/events", events_list, RO,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, NULL, events_list_query, NULL},
    {"GET", "/v1/public/events", events_public_list, RO, 0, NULL, events_public_query, NULL},
};

API_ROUTES(event_lists_routes, routes);
