/* volunteers.h - what the volunteer files share: api/handlers/volunteers.c (a
 * volunteer's record: created, read, changed, and the guide's own
 * /v1/me/volunteer; it defines the functions below), api/handlers/volunteer_lists.c
 * (the list) and api/handlers/volunteer_records.c (the status history, trainings and
 * record checks). */
#ifndef KOMPAS_VOLUNTEERS_H
#define KOMPAS_VOLUNTEERS_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../sql_format.h"

/* The day in Denmark: expiry dates are Danish calendar days. */
#define TODAY "((now() AT TIME ZONE 'Europe/Copenhagen')::date)"

/* A volunteer row as the API answers it (volunteer_json), from volunteer v,
 * each column named for volunteer_json's result specs and for row_value:
 * the json columns languages, postal_areas, interests, availability,
 * trainings and record_checks, and active_citizens. */
/* clang-format off */
#define VOLUNTEER_COLUMNS                                                                          \
	"v.id, v.centre_id, v.account_id, v.name, v.email, v.phone, v.status,"                     \
	" array_to_json(v.languages) AS languages, array_to_json(v.postal_areas) AS postal_areas," \
	" v.capacity, v.recruited_via, v.recruited_association_id, v.notes,"                       \
	" " TS("v.created_at") " AS created_at, " TS("v.updated_at") " AS updated_at, v.version,"  \
	" (SELECT coalesce(json_agg(json_build_object('id', c.id, 'kind', c.kind, 'slug', c.slug," \
	"   'name_da', c.name_da, 'name_en', c.name_en) ORDER BY c.kind, c.slug, c.id), '[]')"     \
	"  FROM volunteer_interest i JOIN category c ON c.id = i.category_id"                      \
	"  WHERE i.volunteer_id = v.id) AS interests,"                                             \
	" (SELECT coalesce(json_agg(json_build_object('weekday', a.weekday,"                       \
	"   'starts', " HM("a.starts") ", 'ends', " HM("a.ends") ")"                               \
	"   ORDER BY a.weekday, a.starts), '[]')"                                                  \
	"  FROM volunteer_availability a WHERE a.volunteer_id = v.id) AS availability,"            \
	" (SELECT coalesce(json_agg(json_build_object('id', t.id, 'module', t.module,"             \
	"   'completed_on', " DAY("t.completed_on") ","                                            \
	"   'expires_on', " DAY("t.expires_on") ")"                                                \
	"   ORDER BY t.completed_on, t.id), '[]')"                                                 \
	"  FROM volunteer_training t WHERE t.volunteer_id = v.id) AS trainings,"                   \
	" (SELECT coalesce(json_agg(json_build_object('id', r.id, 'kind', r.kind,"                 \
	"   'checked_on', " DAY("r.checked_on") ", 'outcome', r.outcome,"                          \
	"   'valid_until', " DAY("r.valid_until") ")"                                              \
	"   ORDER BY r.checked_on, r.id), '[]')"                                                   \
	"  FROM volunteer_record_check r WHERE r.volunteer_id = v.id) AS record_checks,"           \
	" (SELECT count(*) FROM request q WHERE q.assigned_volunteer_id = v.id"                    \
	"   AND q.anonymised_at IS NULL AND q.state IN ('guide_assigned',"                         \
	"   'contacted', 'conversation_held', 'course_started')) AS active_citizens"
/* clang-format on */

/* The statuses of a volunteer (NULL-terminated). */
extern const char *const volunteer_statuses[];

/* Whether s is an ISO 639-1 language code (lower case); false for NULL. */
bool volunteer_is_language(const char *s);

#define LANGUAGE_MESSAGE "must be an ISO 639-1 language code in lower case, such as da, en or ar"

/* The string member key of obj, or NULL when absent or not a string. */
static inline const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* One volunteer row (VOLUNTEER_COLUMNS) as JSON. active_citizens counts
 * the open requests assigned to the volunteer (their current load). The
 * caller owns the result. */
json_t *volunteer_json(const PGresult *res, int row);

/* Answer 404 not_found: "No volunteer has this id.". */
void volunteer_reply_not_found(struct http_request *rq);

/* Answer the failure a volunteer helper reported (volunteer_run,
 * volunteer_lock, ...): the problem when it is not NULL (taken; when qs is
 * DB_ROLLBACK the transaction is also marked to roll back), else the
 * database error when qs is below 0, else 404 as volunteer_reply_not_found.
 * The one place the volunteer handlers turn a helper's status into a
 * reply. */
void volunteer_reply_failure(struct http_request *rq, enum db_qs qs, json_t *problem);

/* Run a statement on rq's connection. Answers nothing: returns the query
 * status and sets *res to the result (the caller frees it) and *problem to
 * NULL. On failure *res is NULL and the status is below 0: DB_ROLLBACK
 * with *problem set when a constraint the checks missed failed (409 or
 * 422, never a 500) or a privilege was refused (403), else the database
 * error with *problem NULL. The handler answers with
 * volunteer_reply_failure. */
enum db_qs volunteer_run(const struct http_request *rq, struct db_stmt *stmt,
                         const char *const *params, PGresult **res, json_t **problem);

/* volunteer_run for a statement whose result is not needed: the same
 * status and *problem, the result freed. */
enum db_qs volunteer_run_ok(const struct http_request *rq, struct db_stmt *stmt,
                            const char *const *params, json_t **problem);

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

/* Lock the volunteer named in the path parameter id (FOR UPDATE), with the
 * columns of struct current (id, centre_id, status, version, recruited_via,
 * recruited_association_id, account_id, today). Answers nothing: returns
 * the query status with *res the row (the caller frees it), or *res NULL:
 * DB_NO_RESULTS when no volunteer is visible, else a failure of
 * volunteer_run (*problem as there). The handler answers a NULL *res with
 * volunteer_reply_failure. */
enum db_qs volunteer_lock(const struct http_request *rq, PGresult **res, json_t **problem);

/* Point cur's members into row 0 of a volunteer_lock result (valid while
 * the result is). */
void volunteer_current_of(const PGresult *res, struct current *cur);

#endif
