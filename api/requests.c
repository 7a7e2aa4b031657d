/* requests.c - citizens' requests for a Kompasguide: intake from the
 * portal and from coordinators, reading back (full for coordinators, a
 * citizen-safe status for the portal), changing by merge patch, and what
 * the request files share (api/requests.h). The list and the exact search
 * by phone, e-mail or reference: api/request_lists.c.
 *
 * The citizen's personal fields are sealed per field with the row id bound
 * in (lib/crypto.h) before they reach SQL, and every access to them is
 * written to the access log in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/crypto.h"
#include "../lib/db.h"
#include "../lib/http.h"
#include "../lib/log.h"
#include "../lib/problem.h"
#include "../lib/spec.h"
#include "access_log.h"
#include "app.h"
#include "routes.h"
#include "auth.h"
#include "request_states.h"
#include "requests.h"

/* The sealed personal fields, in column order. */
static const char *const sealed_fields[] = {"name", "phone", "email", "address", "notes"};
#define NSEALED 5

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
    {.name = "name", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 1, .max = 200},
    {.name = "phone", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .min = 8, .max = 30},
    {.name = "email",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .max = 254,
     .format = SPEC_FMT_EMAIL},
    {.name = "address",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 300},
    {.name = "notes",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 4000},
    SPEC_END};

const struct spec_field request_uuid_item = {.type = SPEC_STRING, .format = SPEC_FMT_UUID};
#define uuid_item request_uuid_item

static const char *const consent_purposes[] = {"contact", "share_with_association", "follow_up",
                                               "statistics", NULL};
static const struct spec_field consent_fields[] = {
    {.name = "purpose",
     .type = SPEC_STRING,
     .flags = SPEC_REQUIRED,
     .enum_values = consent_purposes},
    {.name = "given", .type = SPEC_BOOLEAN, .flags = SPEC_REQUIRED},
    {.name = "text_version", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 1, .max = 40},
    SPEC_END};
const struct spec_field request_consent_item = {.type = SPEC_OBJECT, .fields = consent_fields};
#define consent_item request_consent_item

/* The request's details, the same in POST and PATCH. */
#define REQUEST_DETAIL_FIELDS                                                                      \
	{.name = "postal_code",                                                                    \
	 .type = SPEC_STRING,                                                                      \
	 .flags = SPEC_NULLABLE,                                                                   \
	 .format = SPEC_FMT_POSTAL_CODE_DK},                                                       \
	    {.name = "age_band",                                                                   \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE,                                                               \
	     .enum_values = age_bands},                                                            \
	    {.name = "preferred_language",                                                         \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE,                                                               \
	     .enum_values = languages},                                                            \
	    {.name = "contact_preference",                                                         \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE,                                                               \
	     .enum_values = contact_prefs},                                                        \
	    {.name = "heard_from",                                                                 \
	     .type = SPEC_STRING,                                                                  \
	     .flags = SPEC_NULLABLE,                                                               \
	     .enum_values = heard_from},                                                           \
	{                                                                                          \
		.name = "categories", .type = SPEC_ARRAY, .flags = SPEC_UNIQUE, .max = 30,         \
		.items = &uuid_item                                                                \
	}

static const struct spec_field requests_create_spec[] = {
    {.name = "source", .type = SPEC_STRING, .enum_values = request_sources},
    {.name = "portal_reference", .type = SPEC_STRING, .min = 1, .max = 100},
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

/* Open the sealed field i of row into a JSON string (null when absent).
 * A value that does not open (tampered, moved, unknown key) is reported
 * by setting *broken and returned as null: never as garbage. */
static json_t *
open_field(const PGresult *res, int row, int i, const char *id, bool *broken)
{
	size_t len = 0, plen = 0;
	unsigned char *sealed = db_bytea_value(res, row, REQUEST_COL_SEALED + i, &len);
	unsigned char *plain;
	char place[96];
	json_t *v;

	if (sealed == NULL)
		return json_null();
	seal_place(place, sizeof(place), id, sealed_fields[i]);
	plain = crypto_open(app.keys, place, sealed, len, &plen);
	free(sealed);
	if (plain == NULL) {
		*broken = true;
		return json_null();
	}
	v = json_stringn((const char *)plain, plen);
	sodium_memzero(plain, plen);
	free(plain);
	return v ? v : json_null();
}

/* A json column (text) as a JSON value; an empty array if absent. */
json_t *
request_json_or_array(const PGresult *res, int row, int col)
{
	json_t *v =
	    PQgetisnull(res, row, col) ? NULL : json_loads(PQgetvalue(res, row, col), 0, NULL);

	return v ? v : json_array();
}

/* The coordinator's view of a request, with the citizen's data opened.
 * Returns NULL when a sealed field does not open (logged; the caller
 * answers 500 without echoing anything). */
json_t *
request_full_json(const PGresult *res, int row)
{
	const char *id = PQgetvalue(res, row, 0);
	bool broken = false;
	json_t *citizen = json_object();
	json_t *j;

	for (int i = 0; i < NSEALED; i++)
		json_object_set_new(citizen, sealed_fields[i],
		                    open_field(res, row, i, id, &broken));
	if (broken) {
		json_decref(citizen);
		log_msg(LOG_ERROR,
		        "request %s: a sealed field failed authentication (tampered, moved, or "
		        "sealed with an unknown key)",
		        id);
		return NULL;
	}
	j = json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:b}",
	              "id", id, "centre_id", PQgetvalue(res, row, 1), "source",
	              PQgetvalue(res, row, 2), "portal_reference", db_json_text(res, row, 3),
	              "state", PQgetvalue(res, row, 4), "citizen", citizen, "postal_code",
	              db_json_text(res, row, 5), "age_band", db_json_text(res, row, 6),
	              "preferred_language", db_json_text(res, row, 7), "contact_preference",
	              db_json_text(res, row, 8), "heard_from", db_json_text(res, row, 9),
	              "created_at", PQgetvalue(res, row, 10), "updated_at",
	              PQgetvalue(res, row, 11), "anonymised", PQgetvalue(res, row, 13)[0] == 't');
	json_object_set_new(j, "assigned_volunteer_id",
	                    db_json_text(res, row, REQUEST_COL_ASSIGNED));
	json_object_set_new(j, "close_reason", db_json_text(res, row, REQUEST_COL_ASSIGNED + 1));
	json_object_set_new(j, "closed_at", db_json_text(res, row, REQUEST_COL_ASSIGNED + 2));
	json_object_set_new(j, "first_contact_at",
	                    db_json_text(res, row, REQUEST_COL_ASSIGNED + 3));
	json_object_set_new(j, "categories",
	                    request_json_or_array(res, row, REQUEST_COL_CATEGORIES));
	json_object_set_new(j, "consents", request_json_or_array(res, row, REQUEST_COL_CONSENTS));
	json_object_set_new(j, "allowed_transitions",
	                    request_transitions_from(PQgetvalue(res, row, 4)));
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
	return json_pack("{s:s, s:o, s:s, s:s, s:s}", "id", PQgetvalue(res, row, 0),
	                 "portal_reference", db_json_text(res, row, 3), "status",
	                 request_citizen_status(PQgetvalue(res, row, 4)), "created_at",
	                 PQgetvalue(res, row, 10), "updated_at", PQgetvalue(res, row, 11));
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

/* Seal the citizen object for row id. Returns false with a 422 set when
 * the phone number cannot be normalised. */
static bool
seal_citizen(struct http_request *rq, const json_t *citizen, const char *id,
             struct sealed_params *sp)
{
	char norm[300], place[96];

	memset(sp, 0, sizeof(*sp));
	for (int i = 0; i < NSEALED; i++) {
		const char *v = json_string_value(json_object_get(citizen, sealed_fields[i]));
		unsigned char *sealed;
		size_t len;

		if (v == NULL)
			continue;
		seal_place(place, sizeof(place), id, sealed_fields[i]);
		sealed = crypto_seal(app.keys, place, v, strlen(v), &len);
		sp->sealed[i] = db_bytea_param(sealed, len);
		free(sealed);
	}
	if (json_string_value(json_object_get(citizen, "phone")) != NULL) {
		if (crypto_normalise_phone(json_string_value(json_object_get(citizen, "phone")),
		                           norm, sizeof(norm)) != 0) {
			json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);

			problem_add_field_error(p, "citizen.phone", ERR_FIELD_FORMAT,
			                        "must be a phone number with at least 8 digits");
			http_reply_problem_json(rq, p);
			sealed_params_cleanup(sp);
			return false;
		}
		sp->phone_bidx = request_blind_param("phone", norm);
	}
	if (json_string_value(json_object_get(citizen, "email")) != NULL &&
	    crypto_normalise_email(json_string_value(json_object_get(citizen, "email")), norm,
	                           sizeof(norm)) == 0)
		sp->email_bidx = request_blind_param("email", norm);
	return true;
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
 * the coordinator, never a refusal. */
static json_t *
possible_duplicates(struct http_request *rq, const char *id, const struct sealed_params *sp)
{
	json_t *ids = json_array();
	enum db_qs qs;
	PGresult *res;

	if (sp->phone_bidx == NULL && sp->email_bidx == NULL)
		return ids;
	res = db_exec(rq->db, &stmt_duplicates,
	              (const char *const[]){id, sp->phone_bidx, sp->email_bidx}, &qs);
	if (res == NULL) {
		json_decref(ids);
		http_reply_db_error(rq, qs);
		return NULL;
	}
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(ids, json_string(PQgetvalue(res, i, 0)));
	PQclear(res);
	return ids;
}

/* A repeated portal submission: answer 200 with the request it made first. */
static void
reply_existing(struct http_request *rq, const char *reference)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_by_reference, (const char *const[]){reference}, &qs);

	if (res == NULL || qs == DB_NO_RESULTS) {
		if (res != NULL)
			PQclear(res);
		http_reply_db_error(rq, res ? DB_SOFT_ERROR : qs);
		return;
	}
	http_reply_json(rq, 200, request_status_json(res, 0));
	http_set_etag(rq, PQgetvalue(res, 0, 12));
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
 * is a way to contact the citizen. Returns false after answering 422. */
static bool
check_new_request(struct http_request *rq, bool portal, const char *source, const char *reference,
                  const json_t *citizen)
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
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		return false;
	}
	json_decref(p);
	return true;
}

/* Insert request id from the body with the sealed citizen sp. Returns 1
 * when inserted; 0 when its portal reference is taken, answered (a
 * portal's repeat: 200 with the first; a coordinator's: 409); -1 after
 * answering the database error. */
static int
insert_request(struct http_request *rq, const char *id, bool portal, const char *source,
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
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return -1;
	}
	PQclear(res);
	if (qs != DB_NO_RESULTS)
		return 1;
	if (portal) {
		reply_existing(rq, reference);
	} else {
		json_t *c = problem_new(ERR_CONFLICT, NULL, rq->request_id);

		problem_add_field_error(c, "portal_reference", ERR_FIELD_TAKEN,
		                        "another request of the centre has this reference");
		http_reply_problem_json(rq, c);
	}
	return 0;
}

/* What goes with a new request: its categories and consents, the access-log
 * entry, the first history entry and, for a portal's, the coordinators'
 * e-mail. Returns false after answering. */
static bool
record_new_request(struct http_request *rq, const char *id, bool portal)
{
	const json_t *b = rq->body;
	enum db_qs qs;

	if (!request_set_categories(rq, id, json_object_get(b, "categories")) ||
	    !request_add_consents(rq, id, json_object_get(b, "consents")))
		return false;
	qs = access_log_write(rq, "create", id, NULL,
	                      portal ? "the request was received from the portal"
	                             : "a coordinator recorded the request");
	if (qs >= 0)
		qs = request_event_write(rq, id, "created", NULL, "received", NULL, NULL, NULL,
		                         NULL);
	/* the coordinators hear of a portal's request at once */
	if (qs >= 0 && portal)
		qs = mail_enqueue(rq, "new_request", id);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		return false;
	}
	return true;
}

/* Answer 201 with new request id: the portal reads back the status,
 * coordinators the whole request with its possible duplicates. */
static void
reply_new_request(struct http_request *rq, const char *id, bool portal,
                  const struct sealed_params *sp)
{
	PGresult *res = request_fetch(rq, id, false);
	char location[64];
	json_t *body, *dups;

	if (res == NULL)
		return;
	if (portal) {
		body = request_status_json(res, 0);
	} else {
		body = request_full_json(res, 0);
		dups = body ? possible_duplicates(rq, id, sp) : NULL;
		if (dups == NULL) {
			json_decref(body);
			PQclear(res);
			if (rq->response == NULL)
				http_reply_problem(rq, ERR_INTERNAL, NULL);
			return;
		}
		json_object_set_new(body, "possible_duplicates", dups);
	}
	snprintf(location, sizeof(location), "/v1/requests/%s%s", id, portal ? "/status" : "");
	http_reply_json(rq, 201, body);
	http_set_etag(rq, PQgetvalue(res, 0, 12));
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

	if (!check_new_request(rq, portal, source, reference, citizen))
		return;
	crypto_uuid_v4(id);
	if (!seal_citizen(rq, citizen, id, &sp))
		return;
	if (insert_request(rq, id, portal, source, reference, &sp) == 1 &&
	    record_new_request(rq, id, portal))
		reply_new_request(rq, id, portal, &sp);
	sealed_params_cleanup(&sp);
}

static struct db_stmt stmt_set_categories =
    DB_STMT("requests_set_categories",
            "WITH wanted AS (SELECT c.id FROM category c WHERE c.id = ANY($2::uuid[])),"
            " gone AS (DELETE FROM request_category WHERE request_id = $1"
            "   AND category_id NOT IN (SELECT id FROM wanted)),"
            " added AS (INSERT INTO request_category (request_id, category_id, centre_id)"
            "   SELECT $1, id, kompas_centre() FROM wanted ON CONFLICT DO NOTHING)"
            " SELECT count(*) FROM wanted",
            2);

bool
request_set_categories(struct http_request *rq, const char *id, const json_t *ids)
{
	size_t visible;
	char *arr;
	enum db_qs qs;
	PGresult *res;
	json_t *p;

	if (ids == NULL)
		return true;
	arr = db_uuid_array_param(ids);
	res = db_exec(rq->db, &stmt_set_categories, (const char *const[]){id, arr}, &qs);
	free(arr);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	/* every id given must be a category the caller can see */
	visible = strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (visible != json_array_size(ids)) {
		p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
		problem_add_field_error(p, "categories", ERR_FIELD_NOT_IN_ENUM,
		                        "every category must exist (shared or the centre's own)");
		http_reply_problem_json(rq, p);
		return false;
	}
	return true;
}

static struct db_stmt stmt_add_consent =
    DB_STMT("requests_add_consent",
            "INSERT INTO request_consent (request_id, centre_id, purpose, given, text_version,"
            " recorded_by_role) VALUES ($1, kompas_centre(), $2, $3, $4, $5)",
            5);

bool
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
		PGresult *res = db_exec(rq->db, &stmt_add_consent, params, &qs);

		if (res != NULL)
			PQclear(res);
	}
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		return false;
	}
	return true;
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

PGresult *
request_fetch(struct http_request *rq, const char *id, bool for_update)
{
	return http_fetch_by_id(rq, for_update ? &stmt_get_locked : &stmt_get, id, "request");
}

/* GET /v1/requests/{id}: the whole request with the citizen's data, for
 * coordinators; logged as a read. */
static void
requests_get(struct http_request *rq)
{
	PGresult *res = request_fetch(rq, http_param(rq, "id"), false);
	enum db_qs qs;
	json_t *body;

	if (res == NULL)
		return;
	body = request_full_json(res, 0);
	if (body == NULL) {
		http_reply_problem(
		    rq, ERR_INTERNAL,
		    "The citizen's data cannot be decrypted; the incident is logged.");
		goto out;
	}
	qs = access_log_write(rq, "read", PQgetvalue(res, 0, 0), NULL,
	                      rq->caller.role == ROLE_GUIDE ? "the assigned guide read the request"
	                                                    : "a coordinator read the request");
	if (qs < 0) {
		json_decref(body);
		http_reply_db_error(rq, qs);
		goto out;
	}
	http_reply_json(rq, 200, body);
	http_set_etag(rq, PQgetvalue(res, 0, 12));
out:
	PQclear(res);
}

/* GET /v1/requests/{id}/status: what the portal shows the citizen. */
static void
requests_status(struct http_request *rq)
{
	PGresult *res = request_fetch(rq, http_param(rq, "id"), false);

	if (res == NULL)
		return;
	http_reply_json(rq, 200, request_status_json(res, 0));
	http_set_etag(rq, PQgetvalue(res, 0, 12));
	PQclear(res);
}

static const struct spec_field citizen_patch_spec[] = {
    {.name = "name", .type = SPEC_STRING, .min = 1, .max = 200},
    {.name = "phone", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .min = 8, .max = 30},
    {.name = "email",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .max = 254,
     .format = SPEC_FMT_EMAIL},
    {.name = "address",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 300},
    {.name = "notes",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 4000},
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
	PGresult *row = request_fetch(rq, http_param(rq, "id"), true), *res;
	struct sealed_params sp;
	const char *params[23];
	json_t *fields = json_array();
	const char *id;
	enum db_qs qs;

	memset(&sp, 0, sizeof(sp));
	if (row == NULL)
		goto out;
	id = PQgetvalue(row, 0, 0);
	if (!http_version_matches(rq, PQgetvalue(row, 0, REQUEST_COL_VERSION), "request"))
		goto out;
	if (PQgetvalue(row, 0, 13)[0] == 't') {
		http_reply_problem(rq, ERR_CONFLICT,
		                   "The request is anonymised; nothing can change.");
		goto out;
	}
	if (citizen != NULL && !seal_citizen(rq, citizen, id, &sp))
		goto out;
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
		if (!request_set_categories(rq, id, json_object_get(b, "categories")))
			goto out;
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
request_is_anonymised(struct http_request *rq, const PGresult *row)
{
	if (PQgetvalue(row, 0, REQUEST_COL_ANONYMISED)[0] != 't')
		return false;
	http_reply_problem(rq, ERR_CONFLICT,
	                   "The request is anonymised; nothing can be added to it.");
	return true;
}

/* The routes of a request, joined into the one table by api/routes.c (after
 * the list's and the search's, api/request_lists.c). */
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
