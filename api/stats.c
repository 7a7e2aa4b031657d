/* stats.c - aggregate statistics for analysts (national: one centre or
 * all) and coordinators (their own centre): the request funnel (by source
 * or by heard_from), the wellbeing outcomes, the courses and the hand-over,
 * the volunteers and their recruitment, the associations. The aggregation,
 * the disclosure control and the rounding happen in SECURITY DEFINER
 * functions (schema/functions/kompas_stats_*.sql), which also enforce the caller's
 * scope and the window; this file validates the filters (whole periods,
 * cut to the last closed one: docs/statistics.md), resolves a centre slug
 * and writes the cells as JSON or CSV (RFC 4180). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/buf.h"
#include "../lib/csv.h"
#include "../lib/db.h"
#include "../lib/http.h"
#include "app.h"
#include "routes.h"

static const char *const stats_formats[] = {"json", "csv", NULL};

static const struct spec_field stats_query[] = {
    {.name = "from", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    {.name = "to", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    {.name = "centre", .type = SPEC_STRING, .min = 1, .max = 100},
    {.name = "group_by", .type = SPEC_STRING, .min = 1, .max = 40},
    {.name = "format", .type = SPEC_STRING, .enum_values = stats_formats},
    SPEC_END};

static struct db_stmt stmt_stats_centre =
    DB_STMT("stats_centre", "SELECT id FROM centre WHERE slug = $1 OR id::text = lower($1)", 1);

static struct db_stmt stmt_stats_closed =
    DB_STMT("stats_closed", "SELECT kompas_stats_closed_through($1)", 1);

static struct db_stmt stmt_stats_funnel =
    DB_STMT("stats_funnel",
            "SELECT period, centre_id, centre_slug, source, measure, value, suppressed, reason"
            " FROM kompas_stats_funnel($1::date, $2::date, $3::uuid, $4, $5::boolean, $6)",
            6);

static struct db_stmt stmt_stats_outcomes =
    DB_STMT("stats_outcomes",
            "SELECT period, centre_id, centre_slug, instrument, measure, value, suppressed, reason"
            " FROM kompas_stats_outcomes($1::date, $2::date, $3::uuid, $4, $5::boolean)",
            5);

/* What differs between the statistics: the function, the name of the
 * fourth column, and the breakdown group_by may ask for instead of it
 * (the funnel's heard_from: NULL where there is none). */
struct stats_kind {
	struct db_stmt *stmt;
	const char *dim;
	const char *alt_dim;
};

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

/* Whether date (YYYY-MM-DD, already validated) is the first day (first) or
 * the last day (!first) of a month, quarter or year (unit). */
static bool
whole_period_edge(const char *date, const char *unit, bool first)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = atoi(date), m = atoi(date + 5), d = atoi(date + 8);
	int last;

	if (m < 1 || m > 12)
		return false;
	last = days[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
	if (first ? d != 1 : d != last)
		return false;
	if (strcmp(unit, "quarter") == 0)
		return first ? m % 3 == 1 : m % 3 == 0;
	if (strcmp(unit, "year") == 0)
		return first ? m == 1 : m == 12;
	return true;
}

/* Run one statistics function and answer its cells over the window: whole
 * periods of the unit (month when none) that have closed in Copenhagen
 * (docs/statistics.md). A to in a period not yet closed, or none, is cut to
 * the last closed one and the answer says so. */
static void
stats_run(struct http_request *rq, const struct stats_kind *kind)
{
	const char *from = query_str(rq, "from");
	const char *to = query_str(rq, "to");
	const char *centre = query_str(rq, "centre");
	const char *group_by = query_str(rq, "group_by");
	const char *unit = NULL;
	const char *dim = kind->dim;
	bool by_centre = false;
	bool truncated = false;
	char centre_id[37] = "";
	char closed[11] = "";
	const char *eff_to;
	const char *params[6];
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
			bool is_alt = kind->alt_dim != NULL && strcmp(t, kind->alt_dim) == 0;

			if ((is_unit && unit == NULL) || (strcmp(t, "centre") == 0 && !by_centre) ||
			    (is_alt && dim == kind->dim)) {
				const char *name;

				if (is_unit)
					name = unit = strcmp(t, "month") == 0     ? "month"
					              : strcmp(t, "quarter") == 0 ? "quarter"
					                                          : "year";
				else if (is_alt)
					name = dim = kind->alt_dim;
				else {
					by_centre = true;
					name = "centre";
				}
				json_array_append_new(groups, json_string(name));
				continue;
			}
			json_decref(groups);
			http_reply_field_error(
			    rq, ERR_VALIDATION_FAILED, "group_by", ERR_FIELD_NOT_IN_ENUM,
			    kind->alt_dim != NULL
			        ? "group_by is a comma-separated list of at most one of "
			          "month, quarter, year, centre and heard_from."
			        : "group_by is a comma-separated list of at most one of "
			          "month, quarter, year and centre.");
			return;
		}
	}
	/* Whole periods only: from begins one, to ends one. */
	if (from != NULL && !whole_period_edge(from, unit != NULL ? unit : "month", true)) {
		json_decref(groups);
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "from",
		                       ERR_FIELD_NOT_WHOLE_PERIOD,
		                       "from must be the first day of a month (of a quarter or a "
		                       "year with group_by quarter or year).");
		return;
	}
	if (to != NULL && !whole_period_edge(to, unit != NULL ? unit : "month", false)) {
		json_decref(groups);
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "to", ERR_FIELD_NOT_WHOLE_PERIOD,
		                       "to must be the last day of a month (of a quarter or a "
		                       "year with group_by quarter or year).");
		return;
	}
	{
		const char *p[1] = {unit};

		res = db_exec(rq->db, &stmt_stats_closed, p, &qs);
		if (res == NULL) {
			json_decref(groups);
			http_reply_db_error(rq, qs);
			return;
		}
		snprintf(closed, sizeof(closed), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	truncated = to != NULL && strcmp(to, closed) > 0;
	eff_to = to == NULL || truncated ? closed : to;
	if (from != NULL && strcmp(from, eff_to) > 0) {
		json_decref(groups);
		http_reply_problem(
		    rq, ERR_PERIOD_NOT_CLOSED,
		    "Statistics cover whole periods that have ended (Europe/Copenhagen); "
		    "the first period of this window has not ended yet.");
		return;
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
	params[1] = eff_to;
	params[2] = centre_id[0] != '\0' ? centre_id : NULL;
	params[3] = unit;
	params[4] = by_centre ? "true" : "false";
	params[5] = dim;
	res = db_exec(rq->db, kind->stmt, params, &qs);
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
		/* The window computed over, for CSV readers (JSON has it in filters). */
		http_set_header(rq, "Kompas-Stats-To", eff_to);
		http_set_header(rq, "Kompas-Stats-Truncated", truncated ? "true" : "false");
		return;
	}

	json_t *rows = json_array();

	for (int i = 0; i < PQntuples(res); i++) {
		const char *v = PQgetvalue(res, i, 5);
		json_t *row = json_object();
		json_t *value;

		/* Counts are whole numbers; means, shares and days have decimals;
		 * a date (welcome_training_on) is a string. */
		if (PQgetisnull(res, i, 5))
			value = json_null();
		else if (v[0] != '-' && strchr(v, '-') != NULL)
			value = json_string(v);
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
	                json_pack("{s:{s:s?,s:s,s:s?,s:o},s:s,s:b,s:i,s:s,s:o}", "filters", "from",
	                          from, "to", eff_to, "centre_id",
	                          centre_id[0] != '\0' ? centre_id : NULL, "group_by", groups,
	                          "closed_through", closed, "truncated", truncated, "threshold", 5,
	                          "rounding", "down_to_multiple_of_5", "rows", rows));
}

static struct db_stmt stmt_stats_courses =
    DB_STMT("stats_courses",
            "SELECT period, centre_id, centre_slug, category, measure, value, suppressed, reason"
            " FROM kompas_stats_courses($1::date, $2::date, $3::uuid, $4, $5::boolean)",
            5);

/* GET /v1/stats/funnel */
static void
stats_funnel(struct http_request *rq)
{
	static const struct stats_kind k = {&stmt_stats_funnel, "source", "heard_from"};

	stats_run(rq, &k);
}

/* GET /v1/stats/outcomes */
static void
stats_outcomes(struct http_request *rq)
{
	static const struct stats_kind k = {&stmt_stats_outcomes, "instrument", NULL};

	stats_run(rq, &k);
}

/* GET /v1/stats/courses */
static void
stats_courses(struct http_request *rq)
{
	static const struct stats_kind k = {&stmt_stats_courses, "category", NULL};

	stats_run(rq, &k);
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
static void
stats_volunteers(struct http_request *rq)
{
	static const struct stats_kind k = {&stmt_stats_volunteers, "category", NULL};

	stats_run(rq, &k);
}

/* GET /v1/stats/associations */
static void
stats_associations(struct http_request *rq)
{
	static const struct stats_kind k = {&stmt_stats_associations, "category", NULL};

	stats_run(rq, &k);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* statistics */
    {"GET", "/v1/stats/funnel", stats_funnel, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query, NULL},
    {"GET", "/v1/stats/outcomes", stats_outcomes, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query, NULL},
    {"GET", "/v1/stats/courses", stats_courses, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query, NULL},
    {"GET", "/v1/stats/volunteers", stats_volunteers, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query, NULL},
    {"GET", "/v1/stats/associations", stats_associations, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query, NULL},
};

API_ROUTES(stats_routes, routes);
