/* volunteer_lists.c - GET /v1/volunteers: the centre's volunteers (an
 * admin's: every centre's) by name, keyset paged with an opaque cursor,
 * filtered by status, language, postal area, interest, training or record
 * check running out, and name. The records: api/handlers/volunteers.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/list.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../pipeline/auth.h"
#include "../routes.h"
#include "../text_cursor.h"
#include "volunteers.h"

static const struct spec_field status_item = {.type = SPEC_STRING,
                                              .enum_values = volunteer_statuses};

static const struct spec_field volunteers_list_query[] = {
    {.name = "status",
     .type = SPEC_ARRAY,
     .flags = SPEC_UNIQUE,
     .min = 1,
     .max = 6,
     .items = &status_item},
    SPEC_TEXT("language", 0, 2, 2),
    SPEC_POSTAL_CODE("postal_area", 0),
    SPEC_UUID("interest", 0),
    {.name = "expiring_within_days", .type = SPEC_INTEGER, .min = 1, .max = 365},
    SPEC_TEXT("q", 0, 1, 100),
    SPEC_UUID("centre_id", 0),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .min = 38, .max = 1200},
    SPEC_END};

/* --- the list ----------------------------------------------------------------------- */

/* The newest check of each kind and the newest completion of each module
 * count: one renewed in time is not expiring. */
static struct db_stmt stmt_list = DB_STMT(
    "volunteers_list",
    "SELECT " VOLUNTEER_COLUMNS " FROM volunteer v"
    " WHERE (kompas_centre() IS NULL OR v.centre_id = kompas_centre())"
    " AND ($1::uuid IS NULL OR v.centre_id = $1)"
    " AND ($2::text[] IS NULL OR v.status = ANY ($2::text[]))"
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

static const struct list_param volunteers_list_params[] = {LIST_QUERY("centre_id"),
                                                           LIST_QUERY("status"),
                                                           LIST_QUERY("language"),
                                                           LIST_QUERY("postal_area"),
                                                           LIST_QUERY("interest"),
                                                           LIST_QUERY("expiring_within_days"),
                                                           LIST_QUERY("q"),
                                                           LIST_CURSOR(0),
                                                           LIST_CURSOR(1),
                                                           LIST_FETCH,
                                                           LIST_END};

/* base64url of the last name, ".", the last id; a name that is empty or
 * not UTF-8 is not one of ours. */
static const struct list_cursor volunteers_cursor = {
    .encode = text_cursor_encode_row,
    .decode = text_cursor_decode_parts,
    .columns = {"name", "id"},
    .flags = TEXT_CURSOR_STRICT,
    .message = "is not a cursor of this list: follow next"};

static const struct keyset_list volunteers_list_decl = {.stmt = &stmt_list,
                                                        .query = volunteers_list_query,
                                                        .params = volunteers_list_params,
                                                        .row_json = volunteer_json,
                                                        .cursor = &volunteers_cursor,
                                                        .path = "/v1/volunteers"};

/* GET /v1/volunteers: the centre's volunteers by name, keyset paged, with
 * filters (status, language, postal_area, interest, expiring_within_days,
 * q on the name; admins also centre_id). An unknown language is answered
 * before the list runs. */
static void
volunteers_list(struct http_request *rq)
{
	const char *language = str_of(rq->query, "language");
	json_t *p;

	if (language != NULL && !volunteer_is_language(language)) {
		p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
		problem_add_field_error(p, "language", ERR_FIELD_NOT_IN_ENUM, LANGUAGE_MESSAGE);
		http_reply_problem_json(rq, p);
		return;
	}
	keyset_list_run(rq, &volunteers_list_decl);
}

/* The route of the list, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    {"GET", "/v1/volunteers", volunteers_list, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     volunteers_list_query, NULL},
};

API_ROUTES(volunteer_lists_routes, routes);
