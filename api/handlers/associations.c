/* associations.c - the communities and associations (kompasfællesskaber) a
 * centre lists on socialkompas: what they offer, for whom, their
 * accompaniment scheme, their welcome contact and training, and how many
 * newcomers they can receive.
 *
 * Who sees what:
 *   - coordinators and admins: everything; they create and change
 *     associations (admins in any centre, naming it with centre_id);
 *   - guides: everything of their centre's associations (they arrange the
 *     visits with the contacts);
 *   - association contacts: everything of their own association, which they
 *     may partly change (description, contact_*, welcome_*,
 *     newcomer_places); the public view of the centre's others;
 *   - the portal: the public view of its centre's associations.
 * The public view leaves out the internal fields (PUBLIC_HIDDEN): the
 * contact persons' names, e-mails and phones, membership of the centre, how
 * staff refer to the scheme, the welcome training and the newcomer capacity.
 * Other centres' associations are invisible (row-level security): 404. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/list.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "../text_cursor.h"
#include "../sql_format.h"

/* The columns of an association, named for association_fields
 * (lib/row.h), and own: is it the caller's own association. */
/* clang-format off */
#define ASSOCIATION_COLUMNS                                                                        \
	"a.id, a.version, a.centre_id, coalesce(a.id = (SELECT kompas_association()), false)"      \
	" AS own, a.name, a.cvr, a.description,"                                                   \
	" (SELECT coalesce(json_agg(json_build_object('id', c.id, 'kind', c.kind, 'slug', c.slug," \
	"   'name_da', c.name_da, 'name_en', c.name_en)"                                           \
	"   ORDER BY c.kind, c.name_da COLLATE kompas_da, c.id), '[]'::json)"                      \
	"   FROM association_category ac JOIN category c ON c.id = ac.category_id"                 \
	"   WHERE ac.association_id = a.id) AS categories,"                                        \
	" a.address, a.postal_code, a.latitude, a.longitude, a.contact_name, a.contact_email,"     \
	" a.contact_phone, a.website, a.socialkompas_ref, a.is_member, a.scheme_offered,"          \
	" a.scheme_for, a.scheme_how_to_refer, a.welcome_contact_name, a.welcome_contact_email,"   \
	" a.welcome_contact_phone,"                                                                \
	" " DAY("a.welcome_training_on") " AS welcome_training_on, a.newcomer_places,"             \
	" " TS("a.newcomer_places_updated_at") " AS newcomer_places_updated_at,"                   \
	" " TS("a.created_at") " AS created_at, " TS("a.updated_at") " AS updated_at"
/* clang-format on */
#define ASSOCIATION_SELECT "SELECT " ASSOCIATION_COLUMNS " FROM association a"

/* An association's answer, in this order (the coordinates are JSON
 * numbers as PostgreSQL writes them). */
static const struct row_field association_fields[] = {
    ROW_TEXT("id"),
    ROW_TEXT("centre_id"),
    ROW_TEXT("name"),
    ROW_TEXT_OR_NULL("cvr"),
    ROW_TEXT_OR_NULL("description"),
    ROW_JSON("categories"),
    ROW_TEXT_OR_NULL("address"),
    ROW_TEXT_OR_NULL("postal_code"),
    ROW_JSON("latitude"),
    ROW_JSON("longitude"),
    ROW_TEXT_OR_NULL("contact_name"),
    ROW_TEXT_OR_NULL("contact_email"),
    ROW_TEXT_OR_NULL("contact_phone"),
    ROW_TEXT_OR_NULL("website"),
    ROW_TEXT_OR_NULL("socialkompas_ref"),
    ROW_BOOLEAN("is_member"),
    ROW_BOOLEAN("scheme_offered"),
    ROW_TEXT_OR_NULL("scheme_for"),
    ROW_TEXT_OR_NULL("scheme_how_to_refer"),
    ROW_TEXT_OR_NULL("welcome_contact_name"),
    ROW_TEXT_OR_NULL("welcome_contact_email"),
    ROW_TEXT_OR_NULL("welcome_contact_phone"),
    ROW_TEXT_OR_NULL("welcome_training_on"),
    ROW_INTEGER_OR_NULL("newcomer_places"),
    ROW_TEXT_OR_NULL("newcomer_places_updated_at"),
    ROW_TEXT("created_at"),
    ROW_TEXT("updated_at"),
    ROW_END};

/* Left out of the public view (the portal; association contacts looking at
 * other associations than their own). */
static const char *const PUBLIC_HIDDEN[] = {"contact_name",
                                            "contact_email",
                                            "contact_phone",
                                            "is_member",
                                            "scheme_how_to_refer",
                                            "welcome_contact_name",
                                            "welcome_contact_email",
                                            "welcome_contact_phone",
                                            "welcome_training_on",
                                            "newcomer_places",
                                            "newcomer_places_updated_at",
                                            NULL};

/* What an association's own contact may change. */
static const char *const CONTACT_EDITABLE[] = {"description",           "contact_name",
                                               "contact_email",         "contact_phone",
                                               "welcome_contact_name",  "welcome_contact_email",
                                               "welcome_contact_phone", "welcome_training_on",
                                               "newcomer_places",       NULL};

static const struct spec_field category_item = {.type = SPEC_STRING, .format = SPEC_FMT_UUID};

/* The fields of an association, shared by create and update; name,
 * is_member and scheme_offered may not be null. */
/* clang-format off */
#define ASSOCIATION_FIELDS(NAME_FLAGS)                                                             \
	SPEC_TEXT("name", NAME_FLAGS, 2, 200),                                                     \
	{.name = "cvr", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .format = SPEC_FMT_CVR},      \
	SPEC_MULTILINE_TEXT("description", SPEC_NULLABLE, 1, 4000),                                \
	{.name = "categories", .type = SPEC_ARRAY, .flags = SPEC_UNIQUE, .max = 50,                \
	 .items = &category_item},                                                                 \
	SPEC_MULTILINE_TEXT("address", SPEC_NULLABLE, 1, 300),                                     \
	SPEC_POSTAL_CODE("postal_code", SPEC_NULLABLE),                                            \
	{.name = "latitude", .type = SPEC_NUMBER, .flags = SPEC_NULLABLE, .min = 54, .max = 58},   \
	{.name = "longitude", .type = SPEC_NUMBER, .flags = SPEC_NULLABLE, .min = 8, .max = 16},   \
	SPEC_TEXT("contact_name", SPEC_NULLABLE, 1, 200),                                          \
	SPEC_EMAIL("contact_email", SPEC_NULLABLE),                                                \
	SPEC_TEXT("contact_phone", SPEC_NULLABLE, 8, 20),                                          \
	SPEC_URL("website", SPEC_NULLABLE, 300),                                                                  \
	SPEC_TEXT("socialkompas_ref", SPEC_NULLABLE, 1, 200),                                      \
	{.name = "is_member", .type = SPEC_BOOLEAN},                                               \
	{.name = "scheme_offered", .type = SPEC_BOOLEAN},                                          \
	SPEC_MULTILINE_TEXT("scheme_for", SPEC_NULLABLE, 1, 1000),                                 \
	SPEC_MULTILINE_TEXT("scheme_how_to_refer", SPEC_NULLABLE, 1, 2000),                        \
	SPEC_TEXT("welcome_contact_name", SPEC_NULLABLE, 1, 200),                                  \
	SPEC_EMAIL("welcome_contact_email", SPEC_NULLABLE),                                        \
	SPEC_TEXT("welcome_contact_phone", SPEC_NULLABLE, 8, 20),                                  \
	SPEC_DATE("welcome_training_on", SPEC_NULLABLE),                                           \
	{.name = "newcomer_places", .type = SPEC_INTEGER, .flags = SPEC_NULLABLE, .min = 0,        \
	 .max = 10000}
/* clang-format on */

static const struct spec_field associations_create_spec[] = {ASSOCIATION_FIELDS(SPEC_REQUIRED),
                                                             SPEC_UUID("centre_id", 0), SPEC_END};

static const struct spec_field associations_update_spec[] = {ASSOCIATION_FIELDS(0), SPEC_END};

static const struct spec_field associations_list_query[] = {
    SPEC_UUID("category", 0),
    SPEC_POSTAL_CODE("postal_code", 0),
    {.name = "is_member", .type = SPEC_BOOLEAN},
    {.name = "scheme_offered", .type = SPEC_BOOLEAN},
    {.name = "welcome_trained", .type = SPEC_BOOLEAN},
    SPEC_TEXT("q", 0, 1, 100),
    SPEC_UUID("centre_id", 0),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .min = 1, .max = TEXT_CURSOR_MAX},
    SPEC_END};

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* Does the caller see the whole record of this row? */
static bool
full_view(const struct http_request *rq, const PGresult *res, int row)
{
	if (rq->caller.role == ROLE_PORTAL)
		return false;
	if (rq->caller.role == ROLE_ASSOCIATION)
		return row_value(res, row, "own")[0] == 't';
	return true;
}

/* The row as the caller may see it. */
static json_t *
association_json(const struct http_request *rq, const PGresult *res, int row)
{
	json_t *j = row_json(res, row, association_fields);

	if (!full_view(rq, res, row))
		for (const char *const *f = PUBLIC_HIDDEN; *f != NULL; f++)
			json_object_del(j, *f);
	return j;
}

static struct db_stmt stmt_list =
    DB_STMT("associations_list",
            ASSOCIATION_SELECT
            " WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM association_category ac"
            "   WHERE ac.association_id = a.id AND ac.category_id = $1))"
            " AND ($2::text IS NULL OR a.postal_code = $2)"
            " AND ($3::boolean IS NULL OR a.is_member = $3)"
            " AND ($4::boolean IS NULL OR a.scheme_offered = $4)"
            " AND ($5::boolean IS NULL OR (a.welcome_training_on IS NOT NULL) = $5)"
            " AND ($6::text IS NULL"
            "   OR strpos(lower(a.name COLLATE kompas_da), lower($6::text COLLATE kompas_da)) > 0)"
            " AND ($7::uuid IS NULL OR a.centre_id = $7)"
            " AND ($8::text IS NULL OR (a.name COLLATE kompas_da, a.id)"
            "   > ($8::text COLLATE kompas_da, $9::uuid))"
            " ORDER BY a.name COLLATE kompas_da, a.id LIMIT $10",
            10);

static const struct list_param associations_list_params[] = {LIST_QUERY("category"),
                                                             LIST_QUERY("postal_code"),
                                                             LIST_QUERY("is_member"),
                                                             LIST_QUERY("scheme_offered"),
                                                             LIST_QUERY("welcome_trained"),
                                                             LIST_QUERY("q"),
                                                             LIST_QUERY("centre_id"),
                                                             LIST_CURSOR(0),
                                                             LIST_CURSOR(1),
                                                             LIST_FETCH,
                                                             LIST_END};

static const struct list_cursor associations_cursor = TEXT_CURSOR("name", "id");

static const struct keyset_list associations_list_decl = {.stmt = &stmt_list,
                                                          .query = associations_list_query,
                                                          .params = associations_list_params,
                                                          .item_json = association_json,
                                                          .cursor = &associations_cursor,
                                                          .path = "/v1/associations"};

/* GET /v1/associations: the centre's associations (an admin's: every
 * centre's, or one centre's with centre_id) by name in Danish order, keyset
 * paged, filtered by category, postal code, membership, scheme, welcome
 * training and a part of the name. The portal may not filter on what its
 * view leaves out (membership, welcome training): 403. */
static void
associations_list(struct http_request *rq)
{
	const json_t *qy = rq->query;
	json_t *p;

	if (rq->caller.role == ROLE_PORTAL) {
		p = problem_new(ERR_FORBIDDEN,
		                "The public view cannot be filtered on internal fields.",
		                rq->request_id);
		if (json_object_get(qy, "is_member") != NULL)
			problem_add_field_error(p, "is_member", ERR_FIELD_NOT_IN_ENUM,
			                        "is not part of the public view");
		if (json_object_get(qy, "welcome_trained") != NULL)
			problem_add_field_error(p, "welcome_trained", ERR_FIELD_NOT_IN_ENUM,
			                        "is not part of the public view");
		if (problem_field_error_count(p) > 0) {
			http_reply_problem_json(rq, p);
			return;
		}
		json_decref(p);
	}
	keyset_list_run(rq, &associations_list_decl);
}

static struct db_stmt stmt_get =
    DB_STMT("associations_get", ASSOCIATION_SELECT " WHERE a.id = $1", 1);

/* Answer with the association id as the caller may see it (status 200 or
 * 201), with its ETag (and Location for 201). */
static void
reply_association(struct http_request *rq, unsigned status, const char *id)
{
	char location[64];
	PGresult *res;
	enum db_qs qs = http_fetch_row(rq, &stmt_get, id, &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "association");
		return;
	}
	http_reply_json(rq, status, association_json(rq, res, 0));
	http_set_etag(rq, row_value(res, 0, "version"));
	if (status == 201) {
		snprintf(location, sizeof(location), "/v1/associations/%s", id);
		http_set_header(rq, "Location", location);
	}
	PQclear(res);
}

/* GET /v1/associations/{id} */
static void
associations_get(struct http_request *rq)
{
	reply_association(rq, 200, http_param(rq, "id"));
}

static struct db_stmt stmt_bad_categories =
    DB_STMT("associations_bad_categories",
            "SELECT x.i - 1 AS position FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY "
            "AS x(id, i)"
            " WHERE NOT EXISTS (SELECT 1 FROM category c WHERE c.id = x.id::uuid"
            "   AND (c.centre_id IS NULL OR c.centre_id = $2)) ORDER BY x.i",
            2);

/* Add a field error to p for each category in cats (a JSON array of UUIDs)
 * that does not exist, is not visible to the caller or belongs to another
 * centre than centre. Returns the query status (below 0 a database error,
 * for the caller to answer); answers nothing. */
static enum db_qs
check_categories(const struct http_request *rq, const json_t *cats, const char *centre, json_t *p)
{
	char *text, field[48];
	enum db_qs qs;
	PGresult *res;

	if (cats == NULL || json_array_size(cats) == 0)
		return DB_NO_RESULTS;
	text = json_dumps(cats, JSON_COMPACT);
	res = db_exec(rq->db, &stmt_bad_categories, (const char *const[]){text, centre}, &qs);
	free(text);
	if (res == NULL)
		return qs;
	for (int i = 0; i < PQntuples(res); i++) {
		snprintf(field, sizeof(field), "categories[%s]", row_value(res, i, "position"));
		problem_add_field_error(p, field, ERR_FIELD_NOT_IN_ENUM,
		                        "no such category (shared or of the association's centre)");
	}
	PQclear(res);
	return qs;
}

static struct db_stmt stmt_drop_categories =
    DB_STMT("associations_drop_categories",
            "DELETE FROM association_category WHERE association_id = $1 AND category_id NOT IN"
            " (SELECT x::uuid FROM jsonb_array_elements_text($2::jsonb) x)",
            2);

static struct db_stmt stmt_add_categories =
    DB_STMT("associations_add_categories",
            "INSERT INTO association_category (association_id, category_id)"
            " SELECT $1, x::uuid FROM jsonb_array_elements_text($2::jsonb) x"
            " ON CONFLICT DO NOTHING",
            2);

/* Make the association's categories exactly cats (when given). Returns
 * the query status (below 0 a database error, for the caller to answer);
 * answers nothing. */
static enum db_qs
set_categories(const struct http_request *rq, const char *id, const json_t *cats)
{
	char *text;
	enum db_qs qs;

	if (cats == NULL)
		return DB_NO_RESULTS;
	text = json_dumps(cats, JSON_COMPACT);
	qs = db_run(rq->db, &stmt_drop_categories, (const char *const[]){id, text});
	if (qs >= 0)
		qs = db_run(rq->db, &stmt_add_categories, (const char *const[]){id, text});
	free(text);
	return qs;
}

/* latitude and longitude come together: add an error to p when the result
 * of applying body to a row with (had_lat, had_lon) has only one. */
static void
check_coordinates(const json_t *body, bool had_lat, bool had_lon, json_t *p)
{
	json_t *lat = json_object_get(body, "latitude"), *lon = json_object_get(body, "longitude");
	bool has_lat = lat ? !json_is_null(lat) : had_lat;
	bool has_lon = lon ? !json_is_null(lon) : had_lon;

	if (has_lat && !has_lon)
		problem_add_field_error(p, "longitude", ERR_FIELD_REQUIRED,
		                        "is required with latitude (or clear both)");
	if (has_lon && !has_lat)
		problem_add_field_error(p, "latitude", ERR_FIELD_REQUIRED,
		                        "is required with longitude (or clear both)");
}

/* Did the last statement (status qs) fail on the unique name per centre?
 * Answers nothing (the caller answers with reply_name_taken). */
static bool
name_taken(const struct http_request *rq, enum db_qs qs)
{
	const char *state = rq->db ? db_last_sqlstate(rq->db) : NULL;

	return qs == DB_HARD_ERROR && !db_conn_lost(rq->db) && state != NULL &&
	       strcmp(state, "23505") == 0;
}

/* Answer 409: the centre has another association of that name. */
static void
reply_name_taken(struct http_request *rq)
{
	http_reply_field_error(rq, ERR_CONFLICT, "name", ERR_FIELD_TAKEN,
	                       "another association of the centre has this name");
}

/* The columns a body sets, in this order, and them taken from r, the body
 * as a record (jsonb_populate_record). */
#define BODY_COLUMNS                                                                               \
	"name, cvr, description, address, postal_code, latitude, longitude, contact_name,"         \
	" contact_email, contact_phone, website, socialkompas_ref, is_member, scheme_offered,"     \
	" scheme_for, scheme_how_to_refer, welcome_contact_name, welcome_contact_email,"           \
	" welcome_contact_phone, welcome_training_on, newcomer_places"
#define BODY_VALUES                                                                                \
	"r.name, r.cvr, r.description, r.address, r.postal_code, r.latitude, r.longitude,"         \
	" r.contact_name, r.contact_email, r.contact_phone, r.website, r.socialkompas_ref,"        \
	" coalesce(r.is_member, false), coalesce(r.scheme_offered, false), r.scheme_for,"          \
	" r.scheme_how_to_refer, r.welcome_contact_name, r.welcome_contact_email,"                 \
	" r.welcome_contact_phone, r.welcome_training_on, r.newcomer_places"

/* A new association of centre $1 from the body $2. */
static struct db_stmt stmt_insert =
    DB_STMT("associations_insert",
            "INSERT INTO association (centre_id, newcomer_places_updated_at, " BODY_COLUMNS ")"
            " SELECT $1, CASE WHEN r.newcomer_places IS NOT NULL THEN now() END, " BODY_VALUES
            " FROM jsonb_populate_record(NULL::association, $2::jsonb) r"
            " ON CONFLICT DO NOTHING RETURNING id",
            2);

static struct db_stmt stmt_centre_exists =
    DB_STMT("associations_centre_exists", "SELECT 1 FROM centre WHERE id = $1", 1);

/* POST /v1/associations: coordinators add to their centre; admins name the
 * centre with centre_id. 409 when the centre has an association of that
 * name; 422 for an unknown category. */
static void
associations_create(struct http_request *rq)
{
	const json_t *b = rq->body;
	const char *centre = json_string_value(json_object_get(b, "centre_id"));
	char *text = NULL;
	const char *params[2];
	char id[37];
	json_t *p;
	enum db_qs qs;
	PGresult *res;

	if (rq->caller.role == ROLE_COORDINATOR) {
		if (centre != NULL && strcmp(centre, rq->caller.centre_id) != 0) {
			http_reply_field_error(rq, ERR_FORBIDDEN, "centre_id",
			                       ERR_FIELD_NOT_IN_ENUM,
			                       "coordinators add associations to their own centre");
			return;
		}
		centre = rq->caller.centre_id;
	}
	p = problem_new(ERR_VALIDATION_FAILED, "The request body has invalid fields.",
	                rq->request_id);
	if (centre == NULL) {
		problem_add_field_error(p, "centre_id", ERR_FIELD_REQUIRED,
		                        "admins name the association's centre");
	} else {
		res = db_exec(rq->db, &stmt_centre_exists, (const char *const[]){centre}, &qs);
		if (res == NULL) {
			json_decref(p);
			http_reply_db_error(rq, qs);
			return;
		}
		PQclear(res);
		if (qs == DB_NO_RESULTS)
			problem_add_field_error(p, "centre_id", ERR_FIELD_NOT_IN_ENUM,
			                        "no such centre");
		else if ((qs = check_categories(rq, json_object_get(b, "categories"), centre, p)) <
		         0) {
			json_decref(p);
			http_reply_db_error(rq, qs);
			return;
		}
	}
	check_coordinates(b, false, false, p);
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		return;
	}
	json_decref(p);
	text = json_dumps(b, JSON_COMPACT);
	params[0] = centre;
	params[1] = text;
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	free(text);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		reply_name_taken(rq);
		return;
	}
	snprintf(id, sizeof(id), "%s", row_value(res, 0, "id"));
	PQclear(res);
	qs = set_categories(rq, id, json_object_get(b, "categories"));
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		return;
	}
	reply_association(rq, 201, id);
}

static struct db_stmt stmt_lock =
    DB_STMT("associations_lock",
            "SELECT id, version, centre_id, latitude IS NOT NULL AS has_latitude,"
            " longitude IS NOT NULL AS has_longitude"
            " FROM association WHERE id = $1 FOR UPDATE",
            1);

/* The merge patch $2 applied to association $1: jsonb_populate_record over
 * the row keeps the columns the patch leaves out and takes the others from
 * it (null included). */
static struct db_stmt stmt_update =
    DB_STMT("associations_update",
            "UPDATE association a SET (" BODY_COLUMNS ") = (SELECT " BODY_VALUES
            " FROM jsonb_populate_record(a, $2::jsonb) r),"
            " newcomer_places_updated_at = CASE WHEN $2::jsonb ? 'newcomer_places' THEN now()"
            "   ELSE a.newcomer_places_updated_at END,"
            " updated_at = now(), version = a.version + 1 WHERE a.id = $1 RETURNING a.id",
            2);

/* PATCH /v1/associations/{id}: a merge patch; categories, when given,
 * replace the list. Honours If-Match. An association's own contact may
 * change only CONTACT_EDITABLE (403 naming the others); other associations
 * are not theirs to change (404). Setting newcomer_places stamps
 * newcomer_places_updated_at. */
static void
associations_update(struct http_request *rq)
{
	const char *id = http_param(rq, "id");
	const json_t *b = rq->body;
	char *text = NULL;
	const char *key;
	json_t *p, *v;
	PGresult *cur, *res;
	enum db_qs qs = http_fetch_row(rq, &stmt_lock, id, &cur);

	if (cur == NULL) {
		http_reply_fetch_failure(rq, qs, "association");
		return;
	}
	if (rq->caller.role == ROLE_ASSOCIATION) {
		p = problem_new(ERR_FORBIDDEN,
		                "An association's contact changes its description, "
		                "contacts, welcome details and newcomer places only.",
		                rq->request_id);
		json_object_foreach((json_t *)b, key, v)
		{
			if (!in_list(CONTACT_EDITABLE, key))
				problem_add_field_error(p, key, ERR_FIELD_NOT_IN_ENUM,
				                        "is changed by the centre's coordinators");
		}
		if (problem_field_error_count(p) > 0) {
			http_reply_problem_json(rq, p);
			goto out;
		}
		json_decref(p);
	}
	if (!http_version_ok(rq, row_value(cur, 0, "version"))) {
		http_reply_stale(rq, "association");
		goto out;
	}
	p = problem_new(ERR_VALIDATION_FAILED, "The request body has invalid fields.",
	                rq->request_id);
	check_coordinates(b, row_value(cur, 0, "has_latitude")[0] == 't',
	                  row_value(cur, 0, "has_longitude")[0] == 't', p);
	qs = check_categories(rq, json_object_get(b, "categories"), row_value(cur, 0, "centre_id"),
	                      p);
	if (qs < 0) {
		json_decref(p);
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		goto out;
	}
	json_decref(p);
	text = json_dumps(b, JSON_COMPACT);
	res = db_exec(rq->db, &stmt_update, (const char *const[]){id, text}, &qs);
	free(text);
	if (res == NULL) {
		if (name_taken(rq, qs)) {
			reply_name_taken(rq);
			rq->db_error = DB_ROLLBACK;
		} else {
			http_reply_db_error(rq, qs);
		}
		goto out;
	}
	PQclear(res);
	qs = set_categories(rq, id, json_object_get(b, "categories"));
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	reply_association(rq, 200, id);
out:
	PQclear(cur);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* categories and associations */
    {"GET", "/v1/associations", associations_list, RO,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION | ROLE_PORTAL, NULL,
     associations_list_query, NULL},
    {"POST", "/v1/associations", associations_create, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     associations_create_spec, NULL, NULL},
    {"GET", "/v1/associations/{id}", associations_get, DB,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION | ROLE_PORTAL, NULL, NULL,
     "id=association"},
    {"PATCH", "/v1/associations/{id}", associations_update, DB | BODY,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_ASSOCIATION, associations_update_spec, NULL,
     "id=association"},
};

API_ROUTES(associations_routes, routes);
