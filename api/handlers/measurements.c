/* measurements.c - the citizen's wellbeing, measured at the conversation
 * (baseline), at course end and at follow-up with two instruments:
 *
 *   who5   WHO-5 Well-Being Index: 5 items scored 0..5; raw 0..25, reported
 *          x4 as 0..100 (a 10-point change is meaningful).
 *   ucla3  the three-item UCLA loneliness scale (Danish national health
 *          profile wording): 3 items scored 1..4; total 3..12.
 *
 * The item answers are validated here (count and range, each failing item
 * named) and again by a CHECK in SQL; the scores are generated columns, so
 * the server alone computes them. One measurement per request, instrument
 * and timepoint. The answers are about the citizen's health: recording and
 * reading them is written to the access log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../access_log.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "requests.h"
#include "../sql_format.h"

/* The columns of a measurement, named for measurement_fields
 * (lib/row.h). A statement that orders by a column also named here
 * qualifies it (measurement.created_at), or the order would be the
 * formatted text's. */
/* clang-format off */
#define MEASUREMENT_COLUMNS                                                                        \
	"id, request_id, course_id, instrument, instrument_version, timepoint,"                    \
	" " DAY("taken_on") " AS taken_on, mode, array_to_json(answers) AS answers, raw_score,"    \
	" score, recorded_by_role, " TS("created_at") " AS created_at"
/* clang-format on */

/* A measurement's answer, in this order; score_range (from the instrument)
 * comes between the two. */
static const struct row_field measurement_fields[] = {ROW_TEXT("id"),
                                                      ROW_TEXT("request_id"),
                                                      ROW_TEXT_OR_NULL("course_id"),
                                                      ROW_TEXT("instrument"),
                                                      ROW_TEXT("instrument_version"),
                                                      ROW_TEXT("timepoint"),
                                                      ROW_TEXT("taken_on"),
                                                      ROW_TEXT("mode"),
                                                      ROW_JSON("answers"),
                                                      ROW_INTEGER("raw_score"),
                                                      ROW_INTEGER("score"),
                                                      ROW_END};
static const struct row_field measurement_tail[] = {ROW_TEXT("recorded_by_role"),
                                                    ROW_TEXT("created_at"), ROW_END};

static const char *const instruments[] = {"who5", "ucla3", NULL};
static const char *const timepoints[] = {"baseline", "course_end", "follow_up", NULL};
static const char *const modes[] = {"alone", "helped", NULL};

/* Items, their range, and the range of the reported score. */
static const struct instrument {
	const char *name;
	const char *title;
	int items, lo, hi;
	int score_min, score_max;
} instrument_table[] = {
    {"who5", "WHO-5", 5, 0, 5, 0, 100},
    {"ucla3", "UCLA-3", 3, 1, 4, 3, 12},
};

static const struct instrument *
instrument_find(const char *name)
{
	for (size_t i = 0; i < sizeof(instrument_table) / sizeof(instrument_table[0]); i++)
		if (strcmp(instrument_table[i].name, name) == 0)
			return &instrument_table[i];
	return NULL;
}

static const struct spec_field answer_item = {.type = SPEC_INTEGER};

static const struct spec_field measurements_create_spec[] = {
    SPEC_ENUM("instrument", SPEC_REQUIRED, instruments),
    SPEC_TEXT("instrument_version", SPEC_REQUIRED, 1, 40),
    SPEC_ENUM("timepoint", SPEC_REQUIRED, timepoints),
    SPEC_DATE("taken_on", SPEC_REQUIRED),
    SPEC_ENUM("mode", SPEC_REQUIRED, modes),
    {.name = "answers",
     .type = SPEC_ARRAY,
     .flags = SPEC_REQUIRED,
     .max = 50,
     .items = &answer_item},
    SPEC_UUID("course_id", SPEC_NULLABLE),
    SPEC_END};

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* One measurement row (MEASUREMENT_COLUMNS) as JSON. */
static json_t *
measurement_json(const PGresult *res, int row)
{
	const struct instrument *in = instrument_find(row_value(res, row, "instrument"));
	json_t *j = row_json(res, row, measurement_fields);

	json_object_set_new(
	    j, "score_range",
	    json_pack("{s:i, s:i}", "min", in ? in->score_min : 0, "max", in ? in->score_max : 0));
	return row_json_add(j, res, row, measurement_tail);
}

/* The answers checked against the instrument: NULL when they fit, else a
 * 422 naming `answers` for a wrong count and answers[i] for each item out
 * of range. Answers nothing. */
static json_t *
answers_problem(const struct http_request *rq, const struct instrument *in, const json_t *answers)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	size_t n = json_array_size(answers);
	char field[32], msg[96];

	if (n != (size_t)in->items) {
		snprintf(msg, sizeof(msg), "%s has %d items: give exactly %d answers", in->title,
		         in->items, in->items);
		problem_add_field_error(
		    p, "answers",
		    n < (size_t)in->items ? ERR_FIELD_TOO_SHORT : ERR_FIELD_TOO_MANY_ITEMS, msg);
	}
	for (size_t i = 0; i < n; i++) {
		json_int_t v = json_integer_value(json_array_get(answers, i));

		if (v >= in->lo && v <= in->hi)
			continue;
		snprintf(field, sizeof(field), "answers[%zu]", i);
		snprintf(msg, sizeof(msg), "%s items are scored %d to %d", in->title, in->lo,
		         in->hi);
		problem_add_field_error(
		    p, field, v < in->lo ? ERR_FIELD_TOO_SMALL : ERR_FIELD_TOO_LARGE, msg);
	}
	if (problem_field_error_count(p) > 0)
		return p;
	json_decref(p);
	return NULL;
}

static struct db_stmt stmt_check =
    DB_STMT("measurements_check",
            "SELECT $1::date <= current_date AS taken_ok,"
            " $2::uuid IS NULL OR EXISTS (SELECT 1 FROM course c WHERE c.id = $2::uuid"
            "   AND c.request_id = $3) AS course_ok",
            3);

static struct db_stmt stmt_insert = DB_STMT(
    "measurements_insert",
    "INSERT INTO measurement (centre_id, request_id, course_id, instrument, instrument_version,"
    " timepoint, taken_on, mode, answers, recorded_by_role)"
    " VALUES (kompas_centre(), $1, $2, $3, $4, $5, $6, $7, $8::integer[], $9)"
    " ON CONFLICT (request_id, instrument, timepoint) DO NOTHING RETURNING " MEASUREMENT_COLUMNS,
    9);

/* The answers as a PostgreSQL array literal ("{3,3,3}"), validated
 * integers. Caller frees. */
static char *
answers_param(const json_t *answers)
{
	size_t n = json_array_size(answers);
	char *out = malloc(n * 24 + 3), *w = out;

	if (out == NULL)
		abort();
	*w++ = '{';
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "%s%lld", i ? "," : "",
		             (long long)json_integer_value(json_array_get(answers, i)));
	*w++ = '}';
	*w = '\0';
	return out;
}

/* POST /v1/requests/{id}/measurements: record a WHO-5 or UCLA-3 answer
 * sheet; the scores are computed by the database. */
static void
measurements_create(struct http_request *rq)
{
	const json_t *b = rq->body, *answers = json_object_get(b, "answers");
	const struct instrument *in = instrument_find(str_of(b, "instrument"));
	PGresult *row, *res = NULL;
	const char *id, *params[9];
	char *arr = NULL;
	json_t *p;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), false, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	id = row_value(row, 0, "id");
	if (in == NULL)
		goto out;
	p = answers_problem(rq, in, answers);
	if (p != NULL) {
		http_reply_problem_json(rq, p);
		goto out;
	}
	res =
	    db_exec(rq->db, &stmt_check,
	            (const char *const[]){str_of(b, "taken_on"), str_of(b, "course_id"), id}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	if (row_value(res, 0, "taken_ok")[0] != 't')
		problem_add_field_error(p, "taken_on", ERR_FIELD_TOO_LARGE,
		                        "must not be in the future");
	if (row_value(res, 0, "course_ok")[0] != 't')
		problem_add_field_error(p, "course_id", ERR_FIELD_NOT_IN_ENUM,
		                        "must be the course of this request");
	PQclear(res);
	res = NULL;
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		goto out;
	}
	json_decref(p);
	arr = answers_param(answers);
	params[0] = id;
	params[1] = str_of(b, "course_id");
	params[2] = in->name;
	params[3] = str_of(b, "instrument_version");
	params[4] = str_of(b, "timepoint");
	params[5] = str_of(b, "taken_on");
	params[6] = str_of(b, "mode");
	params[7] = arr;
	params[8] = rq->caller.role == ROLE_GUIDE ? "guide" : "coordinator";
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		p = problem_new(
		    ERR_CONFLICT,
		    "This instrument is recorded for this timepoint of the request already.",
		    rq->request_id);
		problem_add_field_error(p, "timepoint", ERR_FIELD_TAKEN,
		                        "has a measurement with this instrument already");
		http_reply_problem_json(rq, p);
		goto out;
	}
	qs = access_log_write(rq, "create", id, NULL, "a wellbeing measurement was recorded");
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	http_reply_json(rq, 201, measurement_json(res, 0));
out:
	if (res != NULL)
		PQclear(res);
	free(arr);
	PQclear(row);
}

static struct db_stmt stmt_list =
    DB_STMT("measurements_list",
            "SELECT " MEASUREMENT_COLUMNS " FROM measurement WHERE request_id = $1"
            " ORDER BY measurement.taken_on, measurement.created_at, measurement.id",
            1);

/* GET /v1/requests/{id}/measurements: every measurement of the request,
 * oldest first, with the scores; the read is logged when there are any. */
static void
measurements_list(struct http_request *rq)
{
	PGresult *row, *res;
	json_t *items;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), false, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	res = db_exec(rq->db, &stmt_list, (const char *const[]){row_value(row, 0, "id")}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (PQntuples(res) > 0) {
		qs = access_log_write(rq, "read", row_value(row, 0, "id"), NULL,
		                      "the citizen's wellbeing measurements were read");
		if (qs < 0) {
			PQclear(res);
			http_reply_db_error(rq, qs);
			goto out;
		}
	}
	items = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(items, measurement_json(res, i));
	PQclear(res);
	http_reply_json(rq, 200, json_pack("{s:o}", "items", items));
out:
	PQclear(row);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* courses, referrals, measurements */
    {"GET", "/v1/requests/{id}/measurements", measurements_list, DB, ROLE_COORDINATOR | ROLE_GUIDE,
     NULL, NULL, "id=request"},
    {"POST", "/v1/requests/{id}/measurements", measurements_create, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, measurements_create_spec, NULL, "id=request"},
};

API_ROUTES(measurements_routes, routes);
