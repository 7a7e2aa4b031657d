/* requests.c - citizens' requests for a Kompasguide: intake from the
 * portal and from coordinators, reading back (full for coordinators, a
 * citizen-safe status for the portal), changing by merge patch, and what
 * the request files share (api/handlers/requests.h). The list and the exact search
 * by phone, e-mail or reference: api/handlers/request_lists.c.
 *
 * The citizen's personal fields are sealed per field with the row id bound
 * in (lib/crypto.h) before they reach SQL, and every access to them is
 * written to the access log in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/log.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../access_log.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "request_states.h"
#include "requests.h"
#include "../sealed.h"

/* The sealed personal fields; column <field>_sealed of REQUEST_COLUMNS. */
static const char *const sealed_fields[] = {"name", "phone", "email", "address", "notes"};
#define NSEALED 5

/* The coordinator's view of a request (request_full_json), in answer
 * order: the head, then the citizen (opened), then the rest; categories,
 * consents and allowed_transitions follow. */
static const struct row_field request_head_fields[] = {
    ROW_TEXT("id"),     ROW_TEXT("centre_id"),
    ROW_TEXT("source"), ROW_TEXT_OR_NULL("portal_reference"),
    ROW_TEXT("state"),  ROW_END};
static const struct row_field request_rest_fields[] = {ROW_TEXT_OR_NULL("postal_code"),
                                                       ROW_TEXT_OR_NULL("age_band"),
                                                       ROW_TEXT_OR_NULL("preferred_language"),
                                                       ROW_TEXT_OR_NULL("contact_preference"),
                                                       ROW_TEXT_OR_NULL("heard_from"),
                                                       ROW_TEXT("created_at"),
                                                       ROW_TEXT("updated_at"),
                                                       ROW_BOOLEAN("anonymised"),
                                                       ROW_TEXT_OR_NULL("assigned_volunteer_id"),
                                                       ROW_TEXT_OR_NULL("close_reason"),
                                                       ROW_TEXT_OR_NULL("closed_at"),
                                                       ROW_TEXT_OR_NULL("first_contact_at"),
                                                       ROW_END};
/* What the portal shows the citizen; status (computed) after
 * portal_reference. */
static const struct row_field status_head_fields[] = {
    ROW_TEXT("id"), ROW_TEXT_OR_NULL("portal_reference"), ROW_END};
static const struct row_field status_times_fields[] = {ROW_TEXT("created_at"),
                                                       ROW_TEXT("updated_at"), ROW_END};

const char *const request_sources[] = {
    "portal", "phone", "walk_in", "municipal_referral", "relative_referral", NULL};
static const char *const age_bands[] = {"18-24", "25-34", "35-49", "50-64", "65-79", "80+", NULL};
static const char *const contact_prefs[] = {"phone", "email", "sms", "letter", NULL};
static const char *const heard_from[] = {
    "socialkompas", "municipal_staff", "relative", "local_paper", "association", "other", NULL};
static const char *const languages[] = {"da", "en", "de", "ar", "so", "tr", "fa", "ur",
                                        "pl", "uk", "ru", "ro", "ti", "ku", "bs", "sv",
                                        "no", "es", "fr", "vi", "th", "tl", NULL};

static const struct spec_field citizen_spec[] = {
    SPEC_TEXT("name", SPEC_REQUIRED, 1, 200),
    SPEC_TEXT("phone", SPEC_NULLABLE, 8, 30),
    SPEC_EMAIL("email", SPEC_NULLABLE),
    SPEC_MULTILINE_TEXT("address", SPEC_NULLABLE, 1, 300),
    SPEC_MULTILINE_TEXT("notes", SPEC_NULLABLE, 1, 4000),
    SPEC_END};

const struct spec_field request_uuid_item = {.type = SPEC_STRING, .format = SPEC_FMT_UUID};
#define uuid_item request_uuid_item

static const char *const consent_purposes[] = {"contact", "share_with_association", "follow_up",
                                               "statistics", NULL};
static const struct spec_field consent_fields[] = {
    SPEC_ENUM("purpose", SPEC_REQUIRED, consent_purposes),
    {.name = "given", .type = SPEC_BOOLEAN, .flags = SPEC_REQUIRED},
    SPEC_TEXT("text_version", SPEC_REQUIRED, 1, 40),
    SPEC_END};
const struct spec_field request_consent_item = {.type = SPEC_OBJECT, .fields = consent_fields};
#define consent_item request_consent_item

/* The request's details, the same in POST and PATCH. */
#define REQUEST_DETAIL_FIELDS                                                                      \
	SPEC_POSTAL_CODE("postal_code", SPEC_NULLABLE),                                            \
	    SPEC_ENUM("age_band", SPEC_NULLABLE, age_bands),                                       \
	    SPEC_ENUM("preferred_language", SPEC_NULLABLE, languages),                             \
	    SPEC_ENUM("contact_preference", SPEC_NULLABLE, contact_prefs),                         \
	    SPEC_ENUM("heard_from", SPEC_NULLABLE, heard_from),                                    \
	{                                                                                          \
		.name = "categories", .type = SPEC_ARRAY, .flags = SPEC_UNIQUE, .max = 30,         \
		.items = &uuid_item                                                                \
	}

static const struct spec_field requests_create_spec[] = {
    SPEC_ENUM("source", 0, request_sources),
    SPEC_TEXT("portal_reference", 0, 1, 100),
    {.name = "citizen", .type = SPEC_OBJECT, .flags = SPEC_REQUIRED, .fields = citizen_spec},
    REQUEST_DETAIL_FIELDS,
    {.name = "consents", .type = SPEC_ARRAY, .max = 8, .items = &consent_item},
    SPEC_END};

/* The address a sealed field is bound to: "request/<id>/<field>". */
static void
seal_place(char *out, size_t outlen, const char *id, const char *field)
{
	snprintf(out, outlen, "request/%s/%s", id, field);
}

/* The sealed field i of row opened: a JSON string, null when absent,
 * NULL when it does not open (tampered, moved, unknown key): never
 * garbage. */
static json_t *
open_field(const PGresult *res, int row, int i, const char *id)
{
	char place[96], column[32];

	seal_place(place, sizeof(place), id, sealed_fields[i]);
	snprintf(column, sizeof(column), "%s_sealed", sealed_fields[i]);
	return sealed_json(res, row, column, place);
}

/* A json column (text) as a JSON value; an empty array if absent. */
json_t *
request_json_or_array(const PGresult *res, int row, const char *column)
{
	const char *text = row_text(res, row, column);
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;

	return v ? v : json_array();
}

/* The coordinator's view of a request, with the citizen's data opened.
 * Returns NULL when a sealed field does not open (logged; the caller
 * answers 500 without echoing anything). */
json_t *
request_full_json(const PGresult *res, int row)
{
	const char *id = row_value(res, row, "id");
	bool broken = false;
	json_t *citizen = json_object();
	json_t *j, *v;

	for (int i = 0; i < NSEALED; i++) {
		v = open_field(res, row, i, id);
		broken = broken || v == NULL;
		json_object_set_new(citizen, sealed_fields[i], v ? v : json_null());
	}
	if (broken) {
		json_decref(citizen);
		log_msg(LOG_ERROR,
		        "request %s: a sealed field failed authentication (tampered, moved, or "
		        "sealed with an unknown key)",
		        id);
		return NULL;
	}
	j = row_json(res, row, request_head_fields);
	json_object_set_new(j, "citizen", citizen);
	row_json_add(j, res, row, request_rest_fields);
	json_object_set_new(j, "categories", request_json_or_array(res, row, "categories"));
	json_object_set_new(j, "consents", request_json_or_array(res, row, "consents"));
	json_object_set_new(j, "allowed_transitions",
	                    request_transitions_from(row_value(res, row, "state")));
	return j;
}

/* What the citizen may see through the portal: no personal data. */
const char *
request_citizen_status(const char *state)
{
	if (strcmp(state, "received") == 0)
		return "received";
	if (strcmp(state, "withdrawn") == 0)
		return "withdrawn";
	if (strcmp(state, "declined") == 0 || strcmp(state, "closed") == 0 ||
	    strcmp(state, "referred") == 0 || strcmp(state, "signposted") == 0)
		return "closed";
	return "in_progress";
}

static json_t *
request_status_json(const PGresult *res, int row)
{
	json_t *j = row_json(res, row, status_head_fields);

	json_object_set_new(j, "status",
	                    json_string(request_citizen_status(row_value(res, row, "state"))));
	return row_json_add(j, res, row, status_times_fields);
}

/* Parameters for an insert: sealed fields and blind indexes, owned here. */
struct sealed_params {
	char *sealed[NSEALED];
	char *phone_bidx;
	char *email_bidx;
};

static void
sealed_params_cleanup(struct sealed_params *sp)
{
	for (int i = 0; i < NSEALED; i++)
		free(sp->sealed[i]);
	free(sp->phone_bidx);
	free(sp->email_bidx);
	memset(sp, 0, sizeof(*sp));
}

char *
request_blind_param(const char *kind, const char *normalised)
{
	unsigned char h[CRYPTO_HASH_BYTES];

	crypto_blind_index(app.keys, kind, normalised, h);
	return db_bytea_param(h, sizeof(h));
}

/* Seal the citizen object for row id. Answers nothing: returns the 422
 * problem when the phone number cannot be normalised (sp then holds
 * nothing), else NULL. */
static json_t *
seal_citizen(const struct http_request *rq, const json_t *citizen, const char *id,
             struct sealed_params *sp)
{
	char norm[300], place[96];

	memset(sp, 0, sizeof(*sp));
	for (int i = 0; i < NSEALED; i++) {
		const char *v = json_string_value(json_object_get(citizen, sealed_fields[i]));

		if (v == NULL)
			continue;
		seal_place(place, sizeof(place), id, sealed_fields[i]);
		sp->sealed[i] = sealed_param(place, v, strlen(v));
	}
	if (json_string_value(json_object_get(citizen, "phone")) != NULL) {
		if (crypto_normalise_phone(json_string_value(json_object_get(citizen, "phone")),
		                           norm, sizeof(norm)) != 0) {
			json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);

			problem_add_field_error(p, "citizen.phone", ERR_FIELD_FORMAT,
			                        "must be a phone number with at least 8 digits");
			sealed_params_cleanup(sp);
			return p;
		}
		sp->phone_bidx = request_blind_param("phone", norm);
	}
	if (json_string_value(json_object_get(citizen, "email")) != NULL &&
	    crypto_normalise_email(json_string_value(json_object_get(citizen, "email")), norm,
	                           sizeof(norm)) == 0)
		sp->email_bidx = request_blind_param("email", norm);
	return NULL;
}

static struct db_stmt stmt_insert = DB_STMT(
    "requests_insert",
    "INSERT INTO request (id, centre_id, source, portal_reference, name_sealed, phone_sealed,"
    " email_sealed, address_sealed, notes_sealed, phone_bidx, email_bidx, postal_code, age_band,"
    " preferred_language, contact_preference, heard_from)"
    " VALUES ($1, kompas_centre(), $2, $3, $4::bytea, $5::bytea, $6::bytea, $7::bytea,"
    " $8::bytea, $9::bytea, $10::bytea, $11, $12, $13, $14, $15)"
    " ON CONFLICT (centre_id, portal_reference) DO NOTHING RETURNING id",
    15);

static struct db_stmt stmt_by_reference =
    DB_STMT("requests_by_reference",
            "SELECT " REQUEST_COLUMNS " FROM request WHERE centre_id = kompas_centre()"
            " AND portal_reference = $1",
            1);

static struct db_stmt stmt_duplicates =
    DB_STMT("requests_duplicates",
            "SELECT id FROM request WHERE centre_id = kompas_centre() AND id <> $1"
            " AND anonymised_at IS NULL AND ((phone_bidx = $2::bytea) OR (email_bidx = $3::bytea))"
            " ORDER BY created_at DESC LIMIT 10",
            3);

/* Requests of the same centre with the same phone or e-mail: a warning for
 * the coordinator, never a refusal. Answers nothing: returns the query
 * status with *ids a new JSON array of their ids, or *ids NULL on a
 * database error (the caller answers qs). */
static enum db_qs
possible_duplicates(const struct http_request *rq, const char *id, const struct sealed_params *sp,
                    json_t **ids)
{
	enum db_qs qs;
	PGresult *res;

	*ids = NULL;
	if (sp->phone_bidx == NULL && sp->email_bidx == NULL) {
		*ids = json_array();
		return DB_NO_RESULTS;
	}
	res = db_exec(rq->db, &stmt_duplicates,
	              (const char *const[]){id, sp->phone_bidx, sp->email_bidx}, &qs);
	if (res == NULL)
		return qs;
	*ids = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(*ids, json_string(row_value(res, i, "id")));
	PQclear(res);
	return qs;
}

/* The request a repeated portal submission made first (its portal
 * reference). Answers nothing: returns the query status with *res its row
 * (the caller frees it), or *res NULL: below 0 a database error,
 * DB_NO_RESULTS when no request has the reference (the insert has just
 * found one: a concurrent change, answered as a database error to retry). */
static enum db_qs
existing_request(const struct http_request *rq, const char *reference, PGresult **res)
{
	enum db_qs qs;

	*res = db_exec(rq->db, &stmt_by_reference, (const char *const[]){reference}, &qs);
	if (*res != NULL && qs == DB_NO_RESULTS) {
		PQclear(*res);
		*res = NULL;
	}
	return qs;
}

/* Answer a new request whose portal reference is taken: a portal's repeat
 * 200 with the request it made first, a coordinator's 409. */
static void
reply_reference_taken(struct http_request *rq, bool portal, const char *reference)
{
	PGresult *res;
	json_t *c;
	enum db_qs qs;

	if (!portal) {
		c = problem_new(ERR_CONFLICT, NULL, rq->request_id);
		problem_add_field_error(c, "portal_reference", ERR_FIELD_TAKEN,
		                        "another request of the centre has this reference");
		http_reply_problem_json(rq, c);
		return;
	}
	qs = existing_request(rq, reference, &res);
	if (res == NULL) {
		http_reply_db_error(rq, qs < 0 ? qs : DB_SOFT_ERROR);
		return;
	}
	http_reply_json(rq, 200, request_status_json(res, 0));
	http_set_etag(rq, row_value(res, 0, "version"));
	PQclear(res);
}

static bool
has_contact(const json_t *citizen)
{
	return json_string_value(json_object_get(citizen, "phone")) != NULL ||
	       json_string_value(json_object_get(citizen, "email")) != NULL ||
	       json_string_value(json_object_get(citizen, "address")) != NULL;
}

/* The rules of a new request beyond its spec: a portal sends its own
 * reference and source portal, a coordinator says how it came, and there
 * is a way to contact the citizen. Answers nothing: returns the 422
 * problem (every failing field), or NULL when the request keeps them. */
static json_t *
check_new_request(const struct http_request *rq, bool portal, const char *source,
                  const char *reference, const json_t *citizen)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);

	if (portal && reference == NULL)
		problem_add_field_error(p, "portal_reference", ERR_FIELD_REQUIRED,
		                        "the portal sends its own reference");
	if (portal && source != NULL && strcmp(source, "portal") != 0)
		problem_add_field_error(p, "source", ERR_FIELD_NOT_IN_ENUM,
		                        "a portal's requests have source portal");
	if (!portal && source == NULL)
		problem_add_field_error(p, "source", ERR_FIELD_REQUIRED,
		                        "how did the request come?");
	if (!has_contact(citizen))
		problem_add_field_error(p, "citizen", ERR_FIELD_REQUIRED,
		                        "give a phone number, an e-mail or an address");
	if (problem_field_error_count(p) > 0)
		return p;
	json_decref(p);
	return NULL;
}

/* Insert request id from the body with the sealed citizen sp. Answers
 * nothing: returns DB_ONE_RESULT when inserted, DB_NO_RESULTS when its
 * portal reference is taken (the handler answers reply_reference_taken),
 * below 0 the database error. */
static enum db_qs
insert_request(const struct http_request *rq, const char *id, bool portal, const char *source,
               const char *reference, const struct sealed_params *sp)
{
	const json_t *b = rq->body;
	const char *params[15];
	enum db_qs qs;
	PGresult *res;

	params[0] = id;
	params[1] = portal ? "portal" : source;
	params[2] = reference;
	for (int i = 0; i < NSEALED; i++)
		params[3 + i] = sp->sealed[i];
	params[8] = sp->phone_bidx;
	params[9] = sp->email_bidx;
	params[10] = json_string_value(json_object_get(b, "postal_code"));
	params[11] = json_string_value(json_object_get(b, "age_band"));
	params[12] = json_string_value(json_object_get(b, "preferred_language"));
	params[13] = json_string_value(json_object_get(b, "contact_preference"));
	params[14] = json_string_value(json_object_get(b, "heard_from"));
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL)
		return qs;
	PQclear(res);
	return qs == DB_NO_RESULTS ? DB_NO_RESULTS : DB_ONE_RESULT;
}

/* What goes with a new request: its categories and consents, the access-log
 * entry, the first history entry and, for a portal's, the coordinators'
 * e-mail. Answers nothing: returns the query status, with *problem set
 * (422) when a category is unknown; the handler answers with
 * http_reply_failure. */
static enum db_qs
record_new_request(struct http_request *rq, const char *id, bool portal, json_t **problem)
{
	const json_t *b = rq->body;
	enum db_qs qs = request_set_categories(rq, id, json_object_get(b, "categories"), problem);

	if (qs >= 0 && *problem == NULL)
		qs = request_add_consents(rq, id, json_object_get(b, "consents"));
	if (qs < 0 || *problem != NULL)
		return qs;
	qs = access_log_write(rq, "create", id, NULL,
	                      portal ? "the request was received from the portal"
	                             : "a coordinator recorded the request");
	if (qs >= 0)
		qs = request_event_write(rq, id, "created", NULL, "received", NULL, NULL, NULL,
		                         NULL);
	/* the coordinators hear of a portal's request at once */
	if (qs >= 0 && portal)
		qs = mail_enqueue(rq, "new_request", id);
	return qs;
}

/* Answer 201 with new request id: the portal reads back the status,
 * coordinators the whole request with its possible duplicates. */
static void
reply_new_request(struct http_request *rq, const char *id, bool portal,
                  const struct sealed_params *sp)
{
	PGresult *res;
	char location[64];
	json_t *body, *dups;
	enum db_qs qs = request_fetch(rq, id, false, &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	if (portal) {
		body = request_status_json(res, 0);
	} else {
		body = request_full_json(res, 0);
		qs = body ? possible_duplicates(rq, id, sp, &dups) : DB_NO_RESULTS;
		if (body == NULL || dups == NULL) {
			json_decref(body);
			PQclear(res);
			if (body == NULL)
				http_reply_problem(rq, ERR_INTERNAL, NULL);
			else
				http_reply_db_error(rq, qs);
			return;
		}
		json_object_set_new(body, "possible_duplicates", dups);
	}
	snprintf(location, sizeof(location), "/v1/requests/%s%s", id, portal ? "/status" : "");
	http_reply_json(rq, 201, body);
	http_set_etag(rq, row_value(res, 0, "version"));
	http_set_header(rq, "Location", location);
	PQclear(res);
}

/* POST /v1/requests: a portal (with its reference; a repeat answers 200 with
 * the first) or a coordinator records a citizen's request. */
static void
requests_create(struct http_request *rq)
{
	const json_t *b = rq->body, *citizen = json_object_get(b, "citizen");
	bool portal = rq->caller.role == ROLE_PORTAL;
	const char *source = json_string_value(json_object_get(b, "source"));
	const char *reference = json_string_value(json_object_get(b, "portal_reference"));
	struct sealed_params sp;
	char id[37];
	json_t *p = check_new_request(rq, portal, source, reference, citizen);
	enum db_qs qs;

	if (p == NULL) {
		crypto_uuid_v4(id);
		p = seal_citizen(rq, citizen, id, &sp);
	}
	if (p != NULL) {
		http_reply_problem_json(rq, p);
		return;
	}
	qs = insert_request(rq, id, portal, source, reference, &sp);
	if (qs == DB_NO_RESULTS) {
		reply_reference_taken(rq, portal, reference);
		goto out;
	}
	if (qs >= 0)
		qs = record_new_request(rq, id, portal, &p);
	if (qs < 0 || p != NULL)
		http_reply_failure(rq, qs, p);
	else
		reply_new_request(rq, id, portal, &sp);
out:
	sealed_params_cleanup(&sp);
}

static struct db_stmt stmt_set_categories =
    DB_STMT("requests_set_categories",
            "WITH wanted AS (SELECT c.id FROM category c WHERE c.id = ANY($2::uuid[])),"
            " gone AS (DELETE FROM request_category WHERE request_id = $1"
            "   AND category_id NOT IN (SELECT id FROM wanted)),"
            " added AS (INSERT INTO request_category (request_id, category_id, centre_id)"
            "   SELECT $1, id, kompas_centre() FROM wanted ON CONFLICT DO NOTHING)"
            " SELECT count(*) AS visible FROM wanted",
            2);

enum db_qs
request_set_categories(struct http_request *rq, const char *id, const json_t *ids, json_t **problem)
{
	size_t visible;
	char *arr;
	enum db_qs qs;
	PGresult *res;

	*problem = NULL;
	if (ids == NULL)
		return DB_ONE_RESULT;
	arr = db_uuid_array_param(ids);
	res = db_exec(rq->db, &stmt_set_categories, (const char *const[]){id, arr}, &qs);
	free(arr);
	if (res == NULL)
		return qs;
	/* every id given must be a category the caller can see */
	visible = strtoul(row_value(res, 0, "visible"), NULL, 10);
	PQclear(res);
	if (visible != json_array_size(ids)) {
		*problem = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
		problem_add_field_error(*problem, "categories", ERR_FIELD_NOT_IN_ENUM,
		                        "every category must exist (shared or the centre's own)");
		return DB_NO_RESULTS;
	}
	return DB_ONE_RESULT;
}

static struct db_stmt stmt_add_consent =
    DB_STMT("requests_add_consent",
            "INSERT INTO request_consent (request_id, centre_id, purpose, given, text_version,"
            " recorded_by_role) VALUES ($1, kompas_centre(), $2, $3, $4, $5)",
            5);

enum db_qs
request_add_consents(struct http_request *rq, const char *id, const json_t *consents)
{
	enum db_qs qs = DB_ONE_RESULT;

	for (size_t i = 0; i < json_array_size(consents) && qs >= 0; i++) {
		const json_t *c = json_array_get(consents, i);
		const char *params[5] = {id, json_string_value(json_object_get(c, "purpose")),
		                         json_is_true(json_object_get(c, "given")) ? "true"
		                                                                   : "false",
		                         json_string_value(json_object_get(c, "text_version")),
		                         rq->caller.role_name ? rq->caller.role_name : "unknown"};

		qs = db_run(rq->db, &stmt_add_consent, params);
	}
	return qs;
}

static struct db_stmt stmt_event = DB_STMT(
    "requests_event",
    "INSERT INTO request_event (request_id, centre_id, actor_kind, actor_id, actor_role, kind,"
    " from_state, to_state, reason, volunteer_id, fields, note)"
    " VALUES ($1, kompas_centre(), $2, $3, $4, $5, $6, $7, $8, $9,"
    " ARRAY(SELECT json_array_elements_text($10::json)), $11)",
    11);

enum db_qs
request_event_write(struct http_request *rq, const char *id, const char *kind, const char *from,
                    const char *to, const char *reason, const char *volunteer, const json_t *fields,
                    const char *note)
{
	const struct http_caller *c = &rq->caller;
	char *f = fields ? json_dumps(fields, JSON_COMPACT) : NULL;
	const char *params[11];
	enum db_qs qs;
	PGresult *res;

	params[0] = id;
	params[1] = c->is_key ? "api_key" : "account";
	params[2] = c->is_key ? c->credential_id : c->account_id;
	params[3] = c->role_name ? c->role_name : "unknown";
	params[4] = kind;
	params[5] = from;
	params[6] = to;
	params[7] = reason;
	params[8] = volunteer;
	params[9] = f;
	params[10] = note;
	res = db_exec(rq->db, &stmt_event, params, &qs);
	free(f);
	if (res == NULL)
		return qs;
	PQclear(res);
	return DB_ONE_RESULT;
}

static struct db_stmt stmt_get =
    DB_STMT("requests_get", "SELECT " REQUEST_COLUMNS " FROM request WHERE id = $1", 1);
static struct db_stmt stmt_get_locked = DB_STMT(
    "requests_get_locked", "SELECT " REQUEST_COLUMNS " FROM request WHERE id = $1 FOR UPDATE", 1);

enum db_qs
request_fetch(const struct http_request *rq, const char *id, bool for_update, PGresult **row)
{
	return http_fetch_row(rq, for_update ? &stmt_get_locked : &stmt_get, id, row);
}

/* GET /v1/requests/{id}: the whole request with the citizen's data, for
 * coordinators; logged as a read. */
static void
requests_get(struct http_request *rq)
{
	request_reply_current(rq, http_param(rq, "id"), 200, "read",
	                      rq->caller.role == ROLE_GUIDE ? "the assigned guide read the request"
	                                                    : "a coordinator read the request");
}

/* GET /v1/requests/{id}/status: what the portal shows the citizen. */
static void
requests_status(struct http_request *rq)
{
	PGresult *res;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), false, &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	http_reply_json(rq, 200, request_status_json(res, 0));
	http_set_etag(rq, row_value(res, 0, "version"));
	PQclear(res);
}

static const struct spec_field citizen_patch_spec[] = {
    SPEC_TEXT("name", 0, 1, 200),
    SPEC_TEXT("phone", SPEC_NULLABLE, 8, 30),
    SPEC_EMAIL("email", SPEC_NULLABLE),
    SPEC_MULTILINE_TEXT("address", SPEC_NULLABLE, 1, 300),
    SPEC_MULTILINE_TEXT("notes", SPEC_NULLABLE, 1, 4000),
    SPEC_END};

static const struct spec_field requests_update_spec[] = {
    {.name = "citizen", .type = SPEC_OBJECT, .fields = citizen_patch_spec},
    REQUEST_DETAIL_FIELDS,
    SPEC_END};

/* Merge patch in SQL: for each column $k is the value and $k+1 whether the
 * member was present (null clears). */
static struct db_stmt stmt_update =
    DB_STMT("requests_update",
            "UPDATE request SET"
            " name_sealed = CASE WHEN $3::boolean THEN $2::bytea ELSE name_sealed END,"
            " phone_sealed = CASE WHEN $5::boolean THEN $4::bytea ELSE phone_sealed END,"
            " email_sealed = CASE WHEN $7::boolean THEN $6::bytea ELSE email_sealed END,"
            " address_sealed = CASE WHEN $9::boolean THEN $8::bytea ELSE address_sealed END,"
            " notes_sealed = CASE WHEN $11::boolean THEN $10::bytea ELSE notes_sealed END,"
            " phone_bidx = CASE WHEN $5::boolean THEN $12::bytea ELSE phone_bidx END,"
            " email_bidx = CASE WHEN $7::boolean THEN $13::bytea ELSE email_bidx END,"
            " postal_code = CASE WHEN $15::boolean THEN $14 ELSE postal_code END,"
            " age_band = CASE WHEN $17::boolean THEN $16 ELSE age_band END,"
            " preferred_language = CASE WHEN $19::boolean THEN $18 ELSE preferred_language END,"
            " contact_preference = CASE WHEN $21::boolean THEN $20 ELSE contact_preference END,"
            " heard_from = CASE WHEN $23::boolean THEN $22 ELSE heard_from END,"
            " updated_at = now(), version = version + 1 WHERE id = $1",
            23);

static const char *const plain_fields[] = {"postal_code", "age_band", "preferred_language",
                                           "contact_preference", "heard_from"};

/* PATCH /v1/requests/{id} (coordinators): a JSON merge patch of the
 * citizen's data and the request's details; changed personal fields are
 * sealed anew, the history names the fields changed (never the values). */
static void
requests_update(struct http_request *rq)
{
	const json_t *b = rq->body, *citizen = json_object_get(b, "citizen");
	PGresult *row, *res;
	struct sealed_params sp;
	const char *params[23];
	json_t *fields = json_array(), *p;
	const char *id;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), true, &row);

	memset(&sp, 0, sizeof(sp));
	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		goto out;
	}
	id = row_value(row, 0, "id");
	if (!http_version_ok(rq, row_value(row, 0, "version"))) {
		http_reply_stale(rq, "request");
		goto out;
	}
	if (request_is_anonymised(row)) {
		http_reply_problem(rq, ERR_CONFLICT,
		                   "The request is anonymised; nothing can change.");
		goto out;
	}
	p = citizen != NULL ? seal_citizen(rq, citizen, id, &sp) : NULL;
	if (p != NULL) {
		http_reply_problem_json(rq, p);
		goto out;
	}
	params[0] = id;
	for (int i = 0; i < NSEALED; i++) {
		bool present = json_object_get(citizen, sealed_fields[i]) != NULL;
		char path[32];

		params[1 + 2 * i] = sp.sealed[i];
		params[2 + 2 * i] = present ? "true" : "false";
		if (present) {
			snprintf(path, sizeof(path), "citizen.%s", sealed_fields[i]);
			json_array_append_new(fields, json_string(path));
		}
	}
	params[11] = sp.phone_bidx;
	params[12] = sp.email_bidx;
	for (int i = 0; i < 5; i++) {
		bool present = json_object_get(b, plain_fields[i]) != NULL;

		params[13 + 2 * i] = json_string_value(json_object_get(b, plain_fields[i]));
		params[14 + 2 * i] = present ? "true" : "false";
		if (present)
			json_array_append_new(fields, json_string(plain_fields[i]));
	}
	res = db_exec(rq->db, &stmt_update, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	if (json_object_get(b, "categories") != NULL) {
		qs = request_set_categories(rq, id, json_object_get(b, "categories"), &p);
		if (qs < 0 || p != NULL) {
			http_reply_failure(rq, qs, p);
			goto out;
		}
		json_array_append_new(fields, json_string("categories"));
	}
	qs = request_event_write(rq, id, "data", NULL, NULL, NULL, NULL, fields, NULL);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	request_reply_current(rq, id, 200, "update", "the request's data was changed");
out:
	sealed_params_cleanup(&sp);
	json_decref(fields);
	if (row != NULL)
		PQclear(row);
}

bool
request_is_anonymised(const PGresult *row)
{
	return row_value(row, 0, "anonymised")[0] == 't';
}

void
request_reply_anonymised(struct http_request *rq)
{
	http_reply_problem(rq, ERR_CONFLICT,
	                   "The request is anonymised; nothing can be added to it.");
}

/* The routes of a request, joined into the one table by api/routes.c (after
 * the list's and the search's, api/handlers/request_lists.c). */
static const struct route routes[] = {
    {"POST", "/v1/requests", requests_create, DB | BODY, ROLE_COORDINATOR | ROLE_PORTAL,
     requests_create_spec, NULL, NULL},
    {"GET", "/v1/requests/{id}", requests_get, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL, NULL,
     "id=request"},
    {"PATCH", "/v1/requests/{id}", requests_update, DB | BODY, ROLE_COORDINATOR,
     requests_update_spec, NULL, "id=request"},
    {"GET", "/v1/requests/{id}/status", requests_status, DB, ROLE_COORDINATOR | ROLE_PORTAL, NULL,
     NULL, "id=request"},
};

API_ROUTES(requests_routes, routes);
