/* events.h - what the event files share: api/handlers/events.c (single events:
 * creating, reading, changing; it defines the helpers below),
 * api/handlers/event_lists.c (the listing and search, and the portals' public
 * listing), api/handlers/event_series.c (weekly or monthly series) and
 * api/handlers/event_signups.c (sign-ups with capacity). Who may do what is said at
 * the top of api/handlers/events.c. */
#ifndef KOMPAS_EVENTS_H
#define KOMPAS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "../../lib/db.h"
#include "../../lib/errors.h"
#include "../../lib/http.h"
#include "../../lib/spec.h"
#include "../sql_format.h"

#define LOCAL_TZ "'Europe/Copenhagen'"

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

/* The full event, for the centre's own callers, each column named for
 * event_json's result specs and for row_value: starts_at, ends_at,
 * association_name, sees_note (may the caller read internal_note),
 * created_at, updated_at, version, categories (json text), my_signup_id
 * and cursor_time (the keyset's time). Statements that use them order by
 * e.starts_at (qualified: starts_at is the formatted text). */
/* clang-format off */
#define EVENT_COLUMNS                                                                              \
	"e.id, e.centre_id, e.kind, e.title, e.description, " TS("e.starts_at") " AS starts_at,"   \
	" " TS("e.ends_at") " AS ends_at, e.address, e.postal_code, e.online_url, e.accessibility," \
	" e.capacity, e.signup_count, e.cancelled, e.association_id, s.name AS association_name,"  \
	" e.series_id, (kompas_role() IN ('admin', 'coordinator') OR (kompas_role() = 'association'" \
	" AND e.association_id = (SELECT kompas_association()))) AS sees_note,"                    \
	" e.internal_note, " TS("e.created_at") " AS created_at, " TS("e.updated_at")              \
	" AS updated_at, e.version, " CATEGORIES_JSON " AS categories, " MY_SIGNUP                 \
	" AS my_signup_id, " TSUS("e.starts_at") " AS cursor_time"
/* clang-format on */
#define EVENT_FROM " FROM event e LEFT JOIN association s ON s.id = e.association_id"

/* The kinds of event (NULL-terminated): activity, guide_training,
 * welcome_workshop, info_meeting. */
extern const char *const event_kinds[];

/* A spec item: a UUID string (the members of category_ids). */
extern const struct spec_field event_uuid_item;

/* The fields of an event (and of a series' template) after its times, on
 * creation and change alike: where, how many, whose and which categories. */
/* clang-format off */
#define EVENT_PLACE_FIELDS                                                                         \
	SPEC_TEXT("address", SPEC_NULLABLE, 1, 300),                                               \
	SPEC_POSTAL_CODE("postal_code", SPEC_NULLABLE),                                            \
	SPEC_URL("online_url", SPEC_NULLABLE, 500),                                                \
	SPEC_MULTILINE_TEXT("accessibility", SPEC_NULLABLE, 1, 1000),                              \
	{.name = "capacity", .type = SPEC_INTEGER, .flags = SPEC_NULLABLE, .min = 1,                \
	 .max = 10000},                                                                            \
	SPEC_UUID("association_id", SPEC_NULLABLE),                                                \
	{.name = "category_ids", .type = SPEC_ARRAY, .flags = SPEC_UNIQUE, .max = 10,              \
	 .items = &event_uuid_item}

/* The fields of an event (and of a series' template) on creation. */
#define EVENT_CREATE_FIELDS                                                                        \
	SPEC_ENUM("kind", SPEC_REQUIRED, event_kinds),                                             \
	SPEC_TEXT("title", SPEC_REQUIRED, 2, 200),                                                 \
	SPEC_MULTILINE_TEXT("description", SPEC_NULLABLE, 1, 4000),                                \
	SPEC_DATETIME("starts_at", SPEC_REQUIRED),                                                 \
	SPEC_DATETIME("ends_at", SPEC_REQUIRED),                                                   \
	EVENT_PLACE_FIELDS,                                                                        \
	SPEC_MULTILINE_TEXT("internal_note", SPEC_NULLABLE, 1, 4000)
/* clang-format on */

/* --- small accessors -------------------------------------------------------- */

/* The string member key of obj, or NULL when absent or not a string. */
static inline const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The result-spec fields (lib/row.h) an event's answer and the portals'
 * share, in answer order: what it is, when and where. */
#define EVENT_WHAT_WHEN_WHERE_FIELDS                                                               \
	ROW_TEXT("kind"), ROW_TEXT("title"), ROW_TEXT_OR_NULL("description"),                      \
	    ROW_TEXT("starts_at"), ROW_TEXT("ends_at"), ROW_TEXT_OR_NULL("address"),               \
	    ROW_TEXT_OR_NULL("postal_code"), ROW_TEXT_OR_NULL("online_url"),                       \
	    ROW_TEXT_OR_NULL("accessibility")

/* Whether the caller's role is role (one ROLE_* of api/pipeline/auth.h). */
static inline bool
is_role(const struct http_request *rq, unsigned role)
{
	return rq->caller.role == role;
}

/* The JSON text in column col of row, decoded (an empty array when it does
 * not decode). The caller owns the result. */
static inline json_t *
json_column(const PGresult *res, int row, int col)
{
	json_t *v = json_loads(PQgetvalue(res, row, col), JSON_DECODE_ANY, NULL);

	return v ? v : json_array();
}

/* --- shared by the event files (api/handlers/events.c) --------------------------------- */

/* The event in row of a result of EVENT_COLUMNS as the API answers it
 * (internal_note only when sees_note). The caller owns the result. */
json_t *event_json(const PGresult *res, int row);

/* Answer 404 not_found: "No event has this id.". */
void event_reply_not_found(struct http_request *rq);

/* A problem of code with detail (NULL: the code's own) and one field
 * error (field, field_code, message), for a helper to return. The caller
 * owns the result. */
json_t *event_field_problem(const struct http_request *rq, enum err_code code, const char *detail,
                            const char *field, enum err_code field_code, const char *message);

/* Answer event_field_problem(rq, code, detail, field, field_code,
 * message). */
void event_reply_field(struct http_request *rq, enum err_code code, const char *detail,
                       const char *field, enum err_code field_code, const char *message);

/* A PostgreSQL uuid[] literal of a JSON array of UUID strings (validated by
 * its spec), or NULL when arr is NULL. The caller frees the result; it
 * aborts on out-of-memory. */
char *event_uuid_array(const json_t *arr);

/* When member key of obj is an integer, write it in decimal to out (outlen
 * bytes) and point *param at out; otherwise set *param to NULL. */
void event_integer_param(const json_t *obj, const char *key, char *out, size_t outlen,
                         const char **param);

/* Check that the association (when not NULL) is of the caller's centre and
 * every category of the uuid[] literal categories (when not NULL) is shared
 * or the centre's; adds field errors to p. Answers nothing: returns a
 * query status, below 0 a database error (p is the caller's still; the
 * caller answers qs). */
enum db_qs event_check_references(const struct http_request *rq, json_t *p, const char *association,
                                  const char *categories);

/* Checks shared by POST /v1/events and POST /v1/event-series on rq->body:
 * times, references and (for an association contact) its own association.
 * p holds the field errors found so far and is consumed. Sets *association
 * to the association of the new event(s) (an association contact's own,
 * written to own: 37 bytes). Answers nothing: returns the query status,
 * with *problem set (403 or 422) when the event is refused; the handler
 * answers with http_reply_failure when qs is below 0 or *problem is set. */
enum db_qs event_check_new(const struct http_request *rq, const char **association, char *own,
                           const char *categories, json_t *p, json_t **problem);

/* Insert the categories (a uuid[] literal; NULL or "{}": none) of event id,
 * or of every occurrence of series id. Answers nothing: returns a query
 * status, below 0 a database error (the caller answers it). */
enum db_qs event_set_categories(const struct http_request *rq, const char *id,
                                const char *categories);

/* Whether the caller sees event id. Answers nothing: returns
 * DB_ONE_RESULT when it does, DB_NO_RESULTS when not (answer
 * event_reply_not_found), below 0 a database error. */
enum db_qs event_visible(const struct http_request *rq, const char *id);

/* The fields a change of an event or of a series may set: its title and
 * description (EVENT_UPDATE_TEXT_FIELDS), then, after an event's own
 * starts_at and ends_at, the rest (EVENT_UPDATE_OTHER_FIELDS). */
/* clang-format off */
#define EVENT_UPDATE_TEXT_FIELDS                                                                   \
	SPEC_TEXT("title", 0, 2, 200), SPEC_MULTILINE_TEXT("description", SPEC_NULLABLE, 1, 4000)
#define EVENT_UPDATE_OTHER_FIELDS                                                                  \
	EVENT_PLACE_FIELDS,                                                                        \
	{.name = "cancelled", .type = SPEC_BOOLEAN},                                               \
	SPEC_MULTILINE_TEXT("internal_note", SPEC_NULLABLE, 1, 4000)
/* clang-format on */

#endif
