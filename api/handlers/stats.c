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

#include "../../lib/buf.h"
#include "../../lib/csv.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../app.h"
#include "../routes.h"

static const char *const stats_formats[] = {"json", "csv", NULL};

static const struct spec_field stats_query[] = {SPEC_DATE("from", 0),
                                                SPEC_DATE("to", 0),
                                                SPEC_TEXT("centre", 0, 1, 100),
                                                SPEC_TEXT("group_by", 0, 1, 40),
                                                SPEC_ENUM("format", 0, stats_formats),
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

/* The window and breakdown of one statistics request, as validated. */
struct stats_window {
	const char *from;
	const char *to;
	const char *eff_to; /* to, or the end of the last closed period */
	const char *unit;   /* month, quarter, year or NULL (month) */
	const char *dim;    /* the fourth column: kind->dim or kind->alt_dim */
	bool by_centre;
	bool truncated; /* to was cut to the last closed period */
	char centre_id[37];
	char closed[11];
	json_t *groups; /* the group_by names as answered, owned */
};

/* Read group_by ("month,centre", ...: at most one unit, centre and the
 * kind's alternative breakdown) into w. Returns false after answering 422. */
static bool
parse_group_by(struct http_request *rq, const struct stats_kind *kind, const char *group_by,
               struct stats_window *w)
{
	char tmp[48];
	char *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", group_by);
	for (char *t = strtok_r(tmp, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		bool is_unit =
		    strcmp(t, "month") == 0 || strcmp(t, "quarter") == 0 || strcmp(t, "year") == 0;
		bool is_alt = kind->alt_dim != NULL && strcmp(t, kind->alt_dim) == 0;
		const char *name;

		if (!((is_unit && w->unit == NULL) || (strcmp(t, "centre") == 0 && !w->by_centre) ||
		      (is_alt && w->dim == kind->dim))) {
			http_reply_field_error(
			    rq, ERR_VALIDATION_FAILED, "group_by", ERR_FIELD_NOT_IN_ENUM,
			    kind->alt_dim != NULL
			        ? "group_by is a comma-separated list of at most one of "
			          "month, quarter, year, centre and heard_from."
			        : "group_by is a comma-separated list of at most one of "
			          "month, quarter, year and centre.");
			return false;
		}
		if (is_unit)
			name = w->unit = strcmp(t, "month") == 0     ? "month"
			                 : strcmp(t, "quarter") == 0 ? "quarter"
			                                             : "year";
		else if (is_alt)
			name = w->dim = kind->alt_dim;
		else {
			w->by_centre = true;
			name = "centre";
		}
		json_array_append_new(w->groups, json_string(name));
	}
	return true;
}

/* Whole periods only: from begins one, to ends one (of the unit, month
 * when none). Returns false after answering 422. */
static bool
check_whole_periods(struct http_request *rq, const struct stats_window *w)
{
	const char *unit = w->unit != NULL ? w->unit : "month";

	if (w->from != NULL && !whole_period_edge(w->from, unit, true)) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "from",
		                       ERR_FIELD_NOT_WHOLE_PERIOD,
		                       "from must be the first day of a month (of a quarter or a "
		                       "year with group_by quarter or year).");
		return false;
	}
	if (w->to != NULL && !whole_period_edge(w->to, unit, false)) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "to", ERR_FIELD_NOT_WHOLE_PERIOD,
		                       "to must be the last day of a month (of a quarter or a "
		                       "year with group_by quarter or year).");
		return false;
	}
	return true;
}

/* Cut the window to the last closed period of the unit (w->closed,
 * w->eff_to, w->truncated). Returns false after answering the database
 * error or 422 period_not_closed when the window's first period has not
 * ended. */
static bool
close_window(struct http_request *rq, struct stats_window *w)
{
	const char *p[1] = {w->unit};
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_stats_closed, p, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	snprintf(w->closed, sizeof(w->closed), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	w->truncated = w->to != NULL && strcmp(w->to, w->closed) > 0;
	w->eff_to = w->to == NULL || w->truncated ? w->closed : w->to;
	if (w->from != NULL && strcmp(w->from, w->eff_to) > 0) {
		http_reply_problem(
		    rq, ERR_PERIOD_NOT_CLOSED,
		    "Statistics cover whole periods that have ended (Europe/Copenhagen); "
		    "the first period of this window has not ended yet.");
		return false;
	}
	return true;
}

/* The centre asked for (a slug or an id; "all" or NULL: every centre the
 * caller may see) into w->centre_id; a coordinator's is always their own.
 * Returns false after answering the database error, 403 (a coordinator
 * asking for another centre) or 404 (no such centre). */
static bool
resolve_centre(struct http_request *rq, const char *centre, struct stats_window *w)
{
	if (centre != NULL && strcmp(centre, "all") != 0) {
		const char *p[1] = {centre};
		enum db_qs qs;
		PGresult *res = db_exec(rq->db, &stmt_stats_centre, p, &qs);

		if (res == NULL) {
			http_reply_db_error(rq, qs);
			return false;
		}
		if (PQntuples(res) == 1)
			snprintf(w->centre_id, sizeof(w->centre_id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if (strcmp(rq->caller.role_name, "coordinator") == 0) {
		/* Their own centre only: another one, an unknown one or all is 403. */
		if (centre != NULL && strcmp(w->centre_id, rq->caller.centre_id) != 0) {
			http_reply_problem(
			    rq, ERR_FORBIDDEN,
			    "A coordinator sees the statistics of their own centre only.");
			return false;
		}
		snprintf(w->centre_id, sizeof(w->centre_id), "%s", rq->caller.centre_id);
	} else if (centre != NULL && strcmp(centre, "all") != 0 && w->centre_id[0] == '\0') {
		http_reply_problem(rq, ERR_NOT_FOUND, "There is no centre with this id or slug.");
		return false;
	}
	return true;
}

/* Answer the cells of res as CSV (RFC 4180) with the window computed over
 * in the headers Kompas-Stats-To and Kompas-Stats-Truncated. */
static void
reply_cells_csv(struct http_request *rq, const PGresult *res, const struct stats_window *w)
{
	struct buf b;
	char *data;
	size_t len;

	buf_init(&b);
	buf_appendf(&b, "period,centre_id,centre_slug,%s,measure,value,suppressed,reason\r\n",
	            w->dim);
	for (int i = 0; i < PQntuples(res); i++) {
		const char *cells[8];

		for (int c = 0; c < 8; c++)
			cells[c] = PQgetisnull(res, i, c) ? "" : PQgetvalue(res, i, c);
		cells[6] = strcmp(cells[6], "t") == 0 ? "true" : "false";
		csv_record(&b, cells, 8);
	}
	data = buf_steal(&b, &len);
	http_reply_data(rq, 200, "text/csv; charset=utf-8; header=present", data, len, true);
	free(data);
	/* The window computed over, for CSV readers (JSON has it in filters). */
	http_set_header(rq, "Kompas-Stats-To", w->eff_to);
	http_set_header(rq, "Kompas-Stats-Truncated", w->truncated ? "true" : "false");
}

/* The value of cell row i as JSON: counts are whole numbers; means, shares
 * and days have decimals; a date (welcome_training_on) is a string. */
static json_t *
cell_value(const PGresult *res, int i)
{
	const char *v = PQgetvalue(res, i, 5);

	if (PQgetisnull(res, i, 5))
		return json_null();
	if (v[0] != '-' && strchr(v, '-') != NULL)
		return json_string(v);
	if (strchr(v, '.') == NULL)
		return json_integer((json_int_t)strtoll(v, NULL, 10));
	return json_real(strtod(v, NULL));
}

/* Append column c of cell row i as a JSON string, or null. The texts are
 * ids, slugs, periods and names of the API's enums: nothing that jansson
 * would escape otherwise than buf_append_json_string. */
static void
append_text(struct buf *b, const PGresult *res, int i, int c)
{
	if (PQgetisnull(res, i, c))
		buf_append_str(b, "null");
	else
		buf_append_json_string(b, PQgetvalue(res, i, c), (size_t)PQgetlength(res, i, c));
}

/* Append the value of cell row i as cell_value answers it, written as
 * http_reply_json writes it (a decimal through jansson itself). */
static void
append_value(struct buf *b, const PGresult *res, int i)
{
	const char *v = PQgetvalue(res, i, 5);
	json_t *j;
	char *text;

	if (PQgetisnull(res, i, 5)) {
		buf_append_str(b, "null");
		return;
	}
	if ((v[0] == '-' || strchr(v, '-') == NULL) && strchr(v, '.') == NULL) {
		buf_appendf(b, "%" JSON_INTEGER_FORMAT, (json_int_t)strtoll(v, NULL, 10));
		return;
	}
	j = cell_value(res, i);
	text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(j);
	if (text == NULL)
		abort();
	buf_append_str(b, text);
	free(text);
}

/* Append the cells of res as the JSON array of rows. Written straight into
 * the buffer: the funnel by centre has 4,200 rows, and a jansson object per
 * row made most of kompasd's time of that request. */
static void
append_rows(struct buf *b, const PGresult *res, const char *dim)
{
	buf_append_str(b, "[");
	for (int i = 0; i < PQntuples(res); i++) {
		buf_append_str(b, i == 0 ? "{\"period\":" : ",{\"period\":");
		append_text(b, res, i, 0);
		buf_append_str(b, ",\"centre_id\":");
		append_text(b, res, i, 1);
		buf_append_str(b, ",\"centre_slug\":");
		append_text(b, res, i, 2);
		buf_append_str(b, ",");
		buf_append_json_string(b, dim, strlen(dim));
		buf_append_str(b, ":");
		append_text(b, res, i, 3);
		buf_append_str(b, ",\"measure\":");
		append_text(b, res, i, 4);
		buf_append_str(b, ",\"value\":");
		append_value(b, res, i);
		buf_append_str(b, strcmp(PQgetvalue(res, i, 6), "t") == 0
		                      ? ",\"suppressed\":true"
		                      : ",\"suppressed\":false");
		buf_append_str(b, ",\"reason\":");
		append_text(b, res, i, 7);
		buf_append_str(b, "}");
	}
	buf_append_str(b, "]");
}

/* Answer the cells of res as JSON with the filters, the window and the
 * disclosure rules; takes w->groups. The envelope is jansson's, its rows
 * (the last member, dumped as []) are spliced in from append_rows. */
static void
reply_cells_json(struct http_request *rq, const PGresult *res, struct stats_window *w)
{
	static const char rows_tail[] = "\"rows\":[]}";
	json_t *env =
	    json_pack("{s:{s:s?,s:s,s:s?,s:o},s:s,s:b,s:i,s:s,s:o}", "filters", "from", w->from,
	              "to", w->eff_to, "centre_id", w->centre_id[0] != '\0' ? w->centre_id : NULL,
	              "group_by", w->groups, "closed_through", w->closed, "truncated", w->truncated,
	              "threshold", 5, "rounding", "down_to_multiple_of_5", "rows", json_array());
	char *head, *text;
	size_t hlen, len;
	struct buf b;

	w->groups = NULL;
	head = env != NULL ? json_dumps(env, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(env);
	hlen = head != NULL ? strlen(head) : 0;
	if (head == NULL || hlen < sizeof(rows_tail) - 1 ||
	    strcmp(head + hlen - (sizeof(rows_tail) - 1), rows_tail) != 0) {
		free(head);
		http_reply_problem(rq, ERR_INTERNAL, NULL);
		return;
	}
	buf_init(&b);
	buf_append(&b, head, hlen - 3); /* up to and with "rows": */
	append_rows(&b, res, w->dim);
	buf_append_str(&b, "}");
	free(head);
	text = buf_steal(&b, &len);
	http_reply_json_text(rq, 200, text, len);
}

/* Run one statistics function and answer its cells over the window: whole
 * periods of the unit (month when none) that have closed in Copenhagen
 * (docs/statistics.md). A to in a period not yet closed, or none, is cut to
 * the last closed one and the answer says so. */
static void
stats_run(struct http_request *rq, const struct stats_kind *kind)
{
	const char *group_by = query_str(rq, "group_by");
	struct stats_window w = {.from = query_str(rq, "from"),
	                         .to = query_str(rq, "to"),
	                         .dim = kind->dim,
	                         .groups = json_array()};
	const char *params[6];
	enum db_qs qs;
	PGresult *res;

	if (w.from != NULL && w.to != NULL && strcmp(w.from, w.to) > 0) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "to", ERR_FIELD_TOO_SMALL,
		                       "to must not be before from.");
		goto out;
	}
	if ((group_by != NULL && !parse_group_by(rq, kind, group_by, &w)) ||
	    !check_whole_periods(rq, &w) || !close_window(rq, &w) ||
	    !resolve_centre(rq, query_str(rq, "centre"), &w))
		goto out;
	params[0] = w.from;
	params[1] = w.eff_to;
	params[2] = w.centre_id[0] != '\0' ? w.centre_id : NULL;
	params[3] = w.unit;
	params[4] = w.by_centre ? "true" : "false";
	params[5] = w.dim;
	res = db_exec(rq->db, kind->stmt, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (wants_csv(rq))
		reply_cells_csv(rq, res, &w);
	else
		reply_cells_json(rq, res, &w);
	PQclear(res);
out:
	json_decref(w.groups);
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
