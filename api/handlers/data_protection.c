/* data_protection.c - the citizen's rights: a subject-access export of
 * everything held about them, and erasure (anonymisation) on request. The
 * scheduled anonymisation after the retention period is in maintenance.c;
 * both use kompas_anonymise() (schema/functions/kompas_anonymise.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../access_log.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "request_states.h"
#include "requests.h"
#include "../sealed.h"
#include "../sql_format.h"

static struct db_stmt stmt_anonymise =
    DB_STMT("dp_anonymise", "SELECT kompas_anonymise($1, $2, $3)", 3);

static struct db_stmt stmt_state = DB_STMT(
    "dp_state",
    "SELECT state, anonymised_at IS NOT NULL, " TS("anonymised_at") " FROM request WHERE id = $1",
    1);

/* POST /v1/requests/{id}/anonymise: erasure on the citizen's request. An
 * open request is withdrawn first; the personal data goes, the statistics
 * (states, dates, outcomes, scores) stay. Idempotent. */
static void
requests_anonymise(struct http_request *rq)
{
	PGresult *row, *res;
	const char *id;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), true, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	id = row_value(row, 0, "id");
	if (request_state_is_open(row_value(row, 0, "state"))) {
		qs = request_move(rq, row, "withdrawn", "withdrawn", NULL, "erasure on request");
		if (qs < 0) {
			http_reply_db_error(rq, qs);
			goto out;
		}
	}
	res = db_exec(rq->db, &stmt_anonymise,
	              (const char *const[]){id, "the citizen asked for erasure", rq->request_id},
	              &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	res = db_exec(rq->db, &stmt_state, (const char *const[]){id}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	http_reply_json(rq, 200,
	                json_pack("{s:s, s:s, s:b, s:o}", "id", id, "state", PQgetvalue(res, 0, 0),
	                          "anonymised", PQgetvalue(res, 0, 1)[0] == 't', "anonymised_at",
	                          db_json_text(res, 0, 2)));
	PQclear(res);
out:
	PQclear(row);
}

/* One query per part of the export; each returns one json column. */
static bool add_part(struct http_request *rq, json_t *out, const char *name, struct db_stmt *stmt,
                     const char *id);
/* clang-format off */
static struct db_stmt stmt_consents = DB_STMT(
    "dp_consents",
    "SELECT coalesce(json_agg(json_build_object('purpose', purpose, 'given', given,"
    " 'text_version', text_version, 'at', " TS("at") ", 'recorded_by', recorded_by_role)"
    " ORDER BY id), '[]')"
    " FROM request_consent WHERE request_id = $1",
    1);
/* clang-format on */

/* clang-format off */
static struct db_stmt stmt_history = DB_STMT(
    "dp_history",
    "SELECT coalesce(json_agg(json_build_object('at', " TS("at") ", 'kind', kind,"
    " 'from_state', from_state, 'to_state',"
    " to_state, 'reason', reason, 'fields', fields, 'note', note, 'by', actor_role)"
    " ORDER BY id), '[]') FROM request_event WHERE request_id = $1",
    1);
/* clang-format on */

/* The access-log extract for the citizen: dates, what and why, the role
 * that acted; not the identities of staff. */
/* clang-format off */
static struct db_stmt stmt_accesses = DB_STMT(
    "dp_accesses",
    "SELECT coalesce(json_agg(json_build_object('at', " TS("at") ", 'action', action,"
    " 'purpose', purpose, 'by', actor_role)"
    " ORDER BY id), '[]') FROM access_log WHERE subject_id = $1",
    1);
/* clang-format on */

static bool
add_part(struct http_request *rq, json_t *out, const char *name, struct db_stmt *stmt,
         const char *id)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, stmt, (const char *const[]){id}, &qs);
	json_t *v;

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	v = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	json_object_set_new(out, name, v ? v : json_array());
	return true;
}

static struct db_stmt stmt_courses = DB_STMT(
    "dp_courses",
    "SELECT coalesce(json_agg(json_build_object('id', id, 'volunteer_id', volunteer_id,"
    " 'association_id', association_id, 'event_id', event_id, 'planned_visits',"
    " planned_visits, 'planned_end', planned_end, 'state', state, 'started_on', started_on,"
    " 'ended_on', ended_on, 'outcome', outcome, 'follow_up_due', follow_up_due,"
    " 'follow_up_on', follow_up_on, 'follow_up_result', follow_up_result) ORDER BY created_at),"
    " '[]') FROM course WHERE request_id = $1",
    1);

/* clang-format off */
static struct db_stmt stmt_referrals = DB_STMT(
    "dp_referrals",
    "SELECT coalesce(json_agg(json_build_object('id', r.id, 'association', a.name, 'state',"
    " r.state, 'scheme_note', r.scheme_note,"
    " 'sent_at', " TS("r.sent_at") ","
    " 'answered_at', " TS("r.answered_at") ","
    " 'completed_at', " TS("r.completed_at") ")"
    " ORDER BY r.sent_at), '[]')"
    " FROM referral r JOIN association a ON a.id = r.association_id WHERE r.request_id = $1",
    1);
/* clang-format on */

static struct db_stmt stmt_measurements = DB_STMT(
    "dp_measurements",
    "SELECT coalesce(json_agg(json_build_object('instrument', instrument, 'instrument_version',"
    " instrument_version, 'timepoint', timepoint, 'taken_on', taken_on, 'mode', mode,"
    " 'answers', answers, 'raw_score', raw_score, 'score', score) ORDER BY taken_on, id),"
    " '[]') FROM measurement WHERE request_id = $1",
    1);

/* clang-format off */
static struct db_stmt stmt_visits =
    DB_STMT("dp_visits",
            "SELECT v.id, v.course_id, " DAY("v.visited_on") ", v.event_id,"
            " v.association_id, v.citizen_came, v.guide_went, v.minutes, v.note_sealed"
            " FROM visit v JOIN course c ON c.id = v.course_id WHERE c.request_id = $1"
            " ORDER BY v.visited_on, v.id",
            1);
/* clang-format on */

/* The visits of the request's courses, notes opened; false after answering. */
static bool
add_visits(struct http_request *rq, json_t *out, const char *id)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_visits, (const char *const[]){id}, &qs);
	json_t *items;

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	items = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		char place[96];
		json_t *note;

		snprintf(place, sizeof(place), "visit/%s/note", PQgetvalue(res, i, 0));
		note = sealed_json(res, i, "note_sealed", place);
		if (note == NULL) {
			PQclear(res);
			json_decref(items);
			http_reply_problem(rq, ERR_INTERNAL,
			                   "A visit note cannot be decrypted; the incident is "
			                   "logged.");
			return false;
		}
		json_array_append_new(
		    items,
		    json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:b, s:i, s:o}", "id",
		              PQgetvalue(res, i, 0), "course_id", PQgetvalue(res, i, 1),
		              "visited_on", PQgetvalue(res, i, 2), "event_id",
		              db_json_text(res, i, 3), "association_id", db_json_text(res, i, 4),
		              "citizen_came", PQgetvalue(res, i, 5)[0] == 't', "guide_went",
		              PQgetvalue(res, i, 6)[0] == 't', "minutes",
		              atoi(PQgetvalue(res, i, 7)), "note", note));
	}
	PQclear(res);
	json_object_set_new(out, "visits", items);
	return true;
}

/* The parts of the export kept in other resources' tables. */
static bool
export_children(struct http_request *rq, json_t *out, const char *id)
{
	json_t *conv, *p;
	enum db_qs qs = conversations_of(rq, id, &conv, &p);

	if (conv == NULL) {
		http_reply_failure(rq, qs, p);
		return false;
	}
	json_object_set_new(out, "conversations", conv);
	return add_part(rq, out, "courses", &stmt_courses, id) && add_visits(rq, out, id) &&
	       add_part(rq, out, "referrals", &stmt_referrals, id) &&
	       add_part(rq, out, "measurements", &stmt_measurements, id);
}

/* GET /v1/requests/{id}/export: everything held about the citizen, for a
 * subject access request; logged as an export. The access-log extract is
 * read before this export's own entry is written. */
static void
requests_export(struct http_request *rq)
{
	PGresult *row;
	json_t *out = NULL, *req;
	const char *id;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), false, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	id = row_value(row, 0, "id");
	req = request_full_json(row, 0);
	if (req == NULL) {
		http_reply_problem(
		    rq, ERR_INTERNAL,
		    "The citizen's data cannot be decrypted; the incident is logged.");
		goto out;
	}
	out = json_pack("{s:s, s:s, s:o}", "format", "kompas-subject-access-v1", "request_id", id,
	                "request", req);
	json_object_del(req, "allowed_transitions");
	if (!add_part(rq, out, "consents", &stmt_consents, id) ||
	    !add_part(rq, out, "history", &stmt_history, id) ||
	    !add_part(rq, out, "access_log", &stmt_accesses, id) || !export_children(rq, out, id))
		goto out;
	qs = access_log_write(rq, "export", id, NULL, "a subject access export was made");
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	http_reply_json(rq, 200, out);
	out = NULL;
out:
	json_decref(out);
	PQclear(row);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* requests */
    {"GET", "/v1/requests/{id}/export", requests_export, DB, ROLE_COORDINATOR, NULL, NULL,
     "id=request"},
    {"POST", "/v1/requests/{id}/anonymise", requests_anonymise, DB, ROLE_COORDINATOR, NULL, NULL,
     "id=request"},
};

API_ROUTES(data_protection_routes, routes);
