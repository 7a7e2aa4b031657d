/* requests.h - what the request files share (requests.c, request_lists.c,
 * request_workflow.c, conversations.c and the request's other files). */
#ifndef KOMPAS_REQUESTS_H
#define KOMPAS_REQUESTS_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/spec.h"
#include "../sql_format.h"

/* The columns of a request row, FROM request (request_fetch, the list and
 * the search), each named for the result specs (lib/row.h) and for
 * row_value: id, state, version, anonymised ('t' once anonymised), the
 * sealed fields name_sealed ... notes_sealed, cursor_time (the keyset's
 * time), categories and consents (json text). Statements that use them
 * order by request.created_at (qualified: created_at is the formatted
 * text). */
/* clang-format off */
#define REQUEST_COLUMNS                                                                            \
	"id, centre_id, source, portal_reference, state, postal_code, age_band,"                   \
	" preferred_language, contact_preference, heard_from,"                                     \
	" " TS("created_at") " AS created_at, " TS("updated_at") " AS updated_at,"                 \
	" version, anonymised_at IS NOT NULL AS anonymised,"                                       \
	" name_sealed, phone_sealed, email_sealed, address_sealed, notes_sealed,"                  \
	" " TSUS("created_at") " AS cursor_time,"                                                  \
	" assigned_volunteer_id, close_reason, " TS("closed_at") " AS closed_at,"                  \
	" " TS("first_contact_at") " AS first_contact_at,"                                         \
	" (SELECT coalesce(json_agg(rc.category_id ORDER BY rc.category_id), '[]')"                \
	"   FROM request_category rc WHERE rc.request_id = request.id) AS categories,"             \
	" (SELECT coalesce(json_agg(json_build_object('purpose', c.purpose, 'given', c.given,"     \
	"   'text_version', c.text_version, 'at', " TS("c.at") ") ORDER BY c.purpose),"            \
	" '[]')"                                                                                   \
	"   FROM (SELECT DISTINCT ON (purpose) * FROM request_consent"                             \
	"   WHERE request_id = request.id ORDER BY purpose, id DESC) c) AS consents"
/* clang-format on */

/* How a request came in (NULL-terminated): portal, phone, walk_in, ... */
extern const char *const request_sources[];

/* The blind index of a normalised phone number or e-mail address (kind
 * "phone" or "email") under the process keys, as a bytea parameter. The
 * caller frees the result. */
char *request_blind_param(const char *kind, const char *normalised);

/* The json column (text) `column` of row as a JSON value; an empty array
 * when NULL or not JSON. The caller owns the result. */
json_t *request_json_or_array(const PGresult *res, int row, const char *column);

/* Is the request row (REQUEST_COLUMNS) anonymised? Answers nothing: on
 * true the handler answers with request_reply_anonymised. */
bool request_is_anonymised(const PGresult *row);

/* Answer 409 "The request is anonymised; nothing can be added to it." */
void request_reply_anonymised(struct http_request *rq);

/* The request with this id visible to the caller (FOR UPDATE when asked)
 * into *row, NULL when none is (not a UUID, absent or another centre's).
 * Returns the query status (http_fetch_row) and answers nothing: the
 * handler answers a missing row with http_reply_fetch_failure(rq, qs,
 * "request"). The caller frees *row with PQclear. */
enum db_qs request_fetch(const struct http_request *rq, const char *id, bool for_update,
                         PGresult **row);

/* The coordinator's view of row `row`, the citizen's data opened; NULL when
 * a sealed field does not open (logged). Does not write the access log. */
json_t *request_full_json(const PGresult *res, int row);

/* Record a history entry (kind: created, state, assignee, data, consent,
 * conversation) for request id by the caller. fields is a JSON array of
 * field names (never values) or NULL. Returns a query status. */
enum db_qs request_event_write(struct http_request *rq, const char *id, const char *kind,
                               const char *from, const char *to, const char *reason,
                               const char *volunteer, const json_t *fields, const char *note);

/* Replace the request's categories with the ids in the JSON array (NULL:
 * leave them). Answers nothing. Returns a query status: below 0 a database
 * error; DB_NO_RESULTS with *problem set (422, caller answers it) when one
 * does not exist or is not visible; else DB_ONE_RESULT (*problem NULL). */
enum db_qs request_set_categories(struct http_request *rq, const char *id, const json_t *ids,
                                  json_t **problem);

/* Record consents ([{purpose, given, text_version}], NULL: none). Answers
 * nothing; returns a query status (below 0 a database error). */
enum db_qs request_add_consents(struct http_request *rq, const char *id, const json_t *consents);

/* Move the locked request row (REQUEST_COLUMNS) to state `to` (checked by
 * the caller), setting reason, assignment, first contact and closing time,
 * and record the history entry, the webhook event and the guide's e-mail.
 * Answers nothing; returns a query status (below 0 a database error, which
 * the caller answers with http_reply_db_error). */
enum db_qs request_move(struct http_request *rq, const PGresult *row, const char *to,
                        const char *reason, const char *volunteer, const char *note);

/* Answer `status` with the request as the caller sees it now, writing the
 * access-log entry `action` (the answer holds the citizen's data). */
void request_reply_current(struct http_request *rq, const char *id, unsigned status,
                           const char *action, const char *purpose);

/* The request's conversations, summaries opened (conversations.c), as a
 * new JSON array into *items. Returns the query status and answers
 * nothing: on a database error *items is NULL (answer qs); a summary that
 * does not open is logged and makes *items NULL and *problem a 500 (answer
 * with http_reply_failure). No access-log entry. */
enum db_qs conversations_of(const struct http_request *rq, const char *request_id, json_t **items,
                            json_t **problem);

/* What the portal may tell the citizen about a state: received,
 * in_progress, closed or withdrawn. Never NULL. */
const char *request_citizen_status(const char *state);

/* Queue a request.status_changed webhook event for the centre's endpoints
 * (api/jobs/webhooks.c), in the caller's transaction. Returns a query status. */
enum db_qs webhooks_enqueue(struct http_request *rq, const char *request_id, const char *status);

/* Is e-mail on ([mail] server set)? */
bool mail_enabled(void);

/* Queue the e-mails of an event in the caller's transaction (api/jobs/mail.c):
 * kind new_request (ref: the request; to the centre's coordinators),
 * assignment (ref: the request; to its assigned guide) or referral (ref:
 * the referral; to the association's contacts), for each account that has
 * not switched the kind off. Does nothing while mail is off. Returns a
 * query status. */
enum db_qs mail_enqueue(struct http_request *rq, const char *kind, const char *ref);

/* Specs shared with the workflow routes. */
extern const struct spec_field request_uuid_item;
extern const struct spec_field request_consent_item;

#endif
