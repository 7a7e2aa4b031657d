/* stats.c - aggregate statistics: the request funnel and the wellbeing
 * outcomes, for analysts (national: one centre or all) and coordinators
 * (their own centre). The aggregation and the disclosure control happen in
 * SECURITY DEFINER functions (schema/0017_stats.sql), which also enforce
 * the caller's scope; this file validates the filters, resolves a centre
 * slug and writes the cells as JSON or CSV (RFC 4180). The funnel, the
 * outcomes and the courses; the volunteers and the associations
 * (schema/0019_stats_more.sql). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/buf.h"
#include "../lib/csv.h"
#include "../lib/db.h"
#include "../lib/http.h"
#include "app.h"

static const char *const stats_formats[] = {"json", "csv", NULL};

const struct spec_field stats_query[] = {
    {.name = "from", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    {.name = "to", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    {.name = "centre", .type = SPEC_STRING, .min = 1, .max = 100},
    {.name = "group_by", .type = SPEC_STRING, .min = 1, .max = 40},
    {.name = "format", .type = SPEC_STRING, .enum_values = stats_formats},
    SPEC_END};

static struct db_stmt stmt_stats_centre =
    DB_STMT("stats_centre", "SELECT id FROM centre WHERE slug = $1 OR id::text = lower($1)", 1);

static struct db_stmt stmt_stats_funnel =
    DB_STMT("stats_funnel",
            "SELECT period, centre_id, centre_slug, source, measure, value, suppressed, reason"
            " FROM kompas_stats_funnel($1::date, $2::date, $3::uuid, $4, $5::boolean)",
            5);

static struct db_stmt stmt_stats_outcomes =
    DB_STMT("stats_outcomes",
            "SELECT period, centre_id, centre_slug, instrument, measure, value, suppressed, reason"
            " FROM kompas_stats_outcomes($1::date, $2::date, $3::uuid, $4, $5::boolean)",
            5);

static const char *
query_str(const struct http_request *rq, const char *name)
{
	json_t *v = rq->query != NULL ? json_object_get(rq->query, name) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool
wants_csv(const struct http_request *rq)
{
	const char *f = query_str(rq, "format");
	const char *accept;

	if (f != NULL)
		return strcmp(f, "csv") == 0;
	accept = http_header(rq, "Accept");
	return accept != NULL && strstr(accept, "text/csv") != NULL;
}

/* Run one statistics function and answer its cells. dim is the name of the
 * fourth column ("source" or "instrument"). */
static void
stats_run(struct http_request *rq, struct db_stmt *stmt, const char *dim)
{
	const char *from = query_str(rq, "from");
	const char *to = query_str(rq, "to");
	const char *centre = query_str(rq, "centre");
	const char *group_by = query_str(rq, "group_by");
	const char *unit = NULL;
	bool by_centre = false;
	char centre_id[37] = "";
	const char *params[5];
	enum db_qs qs;
	PGresult *res;
	json_t *groups = json_array();

	if (from != NULL && to != NULL && strcmp(from, to) > 0) {
		json_decref(groups);
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "to", ERR_FIELD_TOO_SMALL,
		                       "to must not be before from.");
		return;
	}
	if (group_by != NULL) {
		char tmp[48];
		char *save = NULL;

		snprintf(tmp, sizeof(tmp), "%s", group_by);
		for (char *t = strtok_r(tmp, ",", &save); t != NULL;
		     t = strtok_r(NULL, ",", &save)) {
			bool is_unit = strcmp(t, "month") == 0 || strcmp(t, "quarter") == 0 ||
			               strcmp(t, "year") == 0;

			if ((is_unit && unit == NULL) || (strcmp(t, "centre") == 0 && !by_centre)) {
				if (is_unit)
					unit = strcmp(t, "month") == 0     ? "month"
					       : strcmp(t, "quarter") == 0 ? "quarter"
					                                   : "year";
				else
					by_centre = true;
				json_array_append_new(groups,
				                      json_string(is_unit ? unit : "centre"));
				continue;
			}
			json_decref(groups);
			http_reply_field_error(
			    rq, ERR_VALIDATION_FAILED, "group_by", ERR_FIELD_NOT_IN_ENUM,
			    "group_by is a comma-separated list of at most one of "
			    "month, quarter, year and centre.");
			return;
		}
	}
	if (centre != NULL && strcmp(centre, "all") != 0) {
		const char *p[1] = {centre};

		res = db_exec(rq->db, &stmt_stats_centre, p, &qs);
		if (res == NULL) {
			json_decref(groups);
			http_reply_db_error(rq, qs);
			return;
		}
		if (PQntuples(res) == 1)
			snprintf(centre_id, sizeof(centre_id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if (strcmp(rq->caller.role_name, "coordinator") == 0) {
		/* Their own centre only: another one, an unknown one or all is 403. */
		if (centre != NULL && strcmp(centre_id, rq->caller.centre_id) != 0) {
			json_decref(groups);
			http_reply_problem(
			    rq, ERR_FORBIDDEN,
			    "A coordinator sees the statistics of their own centre only.");
			return;
		}
		snprintf(centre_id, sizeof(centre_id), "%s", rq->caller.centre_id);
	} else if (centre != NULL && strcmp(centre, "all") != 0 && centre_id[0] == '\0') {
		json_decref(groups);
		http_reply_problem(rq, ERR_NOT_FOUND, "There is no centre with this id or slug.");
		return;
	}

	params[0] = from;
	params[1] = to;
	params[2] = centre_id[0] != '\0' ? centre_id : NULL;
	params[3] = unit;
	params[4] = by_centre ? "true" : "false";
	res = db_exec(rq->db, stmt, params, &qs);
	if (res == NULL) {
		json_decref(groups);
		http_reply_db_error(rq, qs);
		return;
	}

	if (wants_csv(rq)) {
		struct buf b;
		char *data;
		size_t len;

		buf_init(&b);
		buf_appendf(
		    &b, "period,centre_id,centre_slug,%s,measure,value,suppressed,reason\r\n", dim);
		for (int i = 0; i < PQntuples(res); i++) {
			const char *cells[8];

			for (int c = 0; c < 8; c++)
				cells[c] = PQgetisnull(res, i, c) ? "" : PQgetvalue(res, i, c);
			cells[6] = strcmp(cells[6], "t") == 0 ? "true" : "false";
			csv_record(&b, cells, 8);
		}
		data = buf_steal(&b, &len);
		http_reply_data(rq, 200, "text/csv; charset=utf-8; header=present", data, len,
		                true);
		free(data);
		PQclear(res);
		json_decref(groups);
		return;
	}

	json_t *rows = json_array();

	for (int i = 0; i < PQntuples(res); i++) {
		const char *v = PQgetvalue(res, i, 5);
		json_t *row = json_object();
		json_t *value;

		/* Counts are whole numbers; means, shares and days have decimals. */
		if (PQgetisnull(res, i, 5))
			value = json_null();
		else if (strchr(v, '.') == NULL)
			value = json_integer((json_int_t)strtoll(v, NULL, 10));
		else
			value = json_real(strtod(v, NULL));
		json_object_set_new(row, "period", db_json_text(res, i, 0));
		json_object_set_new(row, "centre_id", db_json_text(res, i, 1));
		json_object_set_new(row, "centre_slug", db_json_text(res, i, 2));
		json_object_set_new(row, dim, db_json_text(res, i, 3));
		json_object_set_new(row, "measure", db_json_text(res, i, 4));
		json_object_set_new(row, "value", value);
		json_object_set_new(row, "suppressed", db_json_bool(res, i, 6));
		json_object_set_new(row, "reason", db_json_text(res, i, 7));
		json_array_append_new(rows, row);
	}
	PQclear(res);
	http_reply_json(rq, 200,
	                json_pack("{s:{s:s?,s:s?,s:s?,s:o},s:i,s:o}", "filters", "from", from, "to",
	                          to, "centre_id", centre_id[0] != '\0' ? centre_id : NULL,
	                          "group_by", groups, "threshold", 5, "rows", rows));
}

static struct db_stmt stmt_stats_courses =
    DB_STMT("stats_courses",
            "SELECT period, centre_id, centre_slug, category, measure, value, suppressed, reason"
            " FROM kompas_stats_courses($1::date, $2::date, $3::uuid, $4, $5::boolean)",
            5);

/* GET /v1/stats/funnel */
void
stats_funnel(struct http_request *rq)
{
	stats_run(rq, &stmt_stats_funnel, "source");
}

/* GET /v1/stats/outcomes */
void
stats_outcomes(struct http_request *rq)
{
	stats_run(rq, &stmt_stats_outcomes, "instrument");
}

/* GET /v1/stats/courses */
void
stats_courses(struct http_request *rq)
{
	stats_run(rq, &stmt_stats_courses, "category");
}

static struct db_stmt stmt_stats_volunteers =
    DB_STMT("stats_volunteers",
            "SELECT period, centre_id, centre_slug, category, measure, value, suppressed, reason"
            " FROM kompas_stats_volunteers($1::date, $2::date, $3::uuid, $4, $5::boolean)",
            5);

static struct db_stmt stmt_stats_associations =
    DB_STMT("stats_associations",
            "SELECT period, centre_id, centre_slug, category, measure, value, suppressed, reason"
            " FROM kompas_stats_associations($1::date, $2::date, $3::uuid, $4, $5::boolean)",
            5);

/* GET /v1/stats/volunteers */
void
stats_volunteers(struct http_request *rq)
{
	stats_run(rq, &stmt_stats_volunteers, "category");
}

/* GET /v1/stats/associations */
void
stats_associations(struct http_request *rq)
{
	stats_run(rq, &stmt_stats_associations, "category");
}
