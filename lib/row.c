/* row.c - result rows read by column name (row.h). */
#include <stdlib.h>

#include "log.h"
#include "row.h"

const char *
row_spec_missing(const PGresult *res, const struct row_field *spec)
{
	for (const struct row_field *f = spec; f->name != NULL; f++)
		if (PQfnumber(res, f->column) < 0)
			return f->column;
	return NULL;
}

int
row_col(const PGresult *res, const char *column)
{
	int col = PQfnumber(res, column);

	if (col < 0) {
		log_msg(LOG_ERROR,
		        "row: the result has no column \"%s\" (%d columns, the first \"%s\"): the "
		        "SELECT and its result spec disagree",
		        column, PQnfields(res), PQnfields(res) > 0 ? PQfname(res, 0) : "");
		abort();
	}
	return col;
}

const char *
row_text(const PGresult *res, int row, const char *column)
{
	int col = row_col(res, column);

	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

const char *
row_value(const PGresult *res, int row, const char *column)
{
	return PQgetvalue(res, row, row_col(res, column));
}

bool
row_is_null(const PGresult *res, int row, const char *column)
{
	return PQgetisnull(res, row, row_col(res, column));
}

/* One value of the given kind; col is a valid column of res. */
static json_t *
row_value_json(const PGresult *res, int row, int col, enum row_kind kind)
{
	const char *v = PQgetvalue(res, row, col);
	bool null = PQgetisnull(res, row, col);
	json_error_t err;
	json_t *j;

	switch (kind) {
	case ROW_KIND_TEXT:
		return json_string(v);
	case ROW_KIND_TEXT_OR_NULL:
		return null ? json_null() : json_string(v);
	case ROW_KIND_INTEGER:
		return json_integer((json_int_t)atoll(v));
	case ROW_KIND_INTEGER_OR_NULL:
		return null ? json_null() : json_integer((json_int_t)atoll(v));
	case ROW_KIND_BOOLEAN:
		return null ? json_null() : json_boolean(v[0] == 't');
	case ROW_KIND_JSON:
		if (null)
			return json_null();
		j = json_loads(v, JSON_DECODE_ANY, &err);
		if (j == NULL) {
			log_msg(LOG_ERROR, "row: column \"%s\" does not hold JSON: %s",
			        PQfname(res, col), err.text);
			return json_null();
		}
		return j;
	}
	log_msg(LOG_ERROR, "row: column \"%s\" has an unknown kind %d", PQfname(res, col),
	        (int)kind);
	abort();
}

json_t *
row_json_add(json_t *obj, const PGresult *res, int row, const struct row_field *spec)
{
	for (const struct row_field *f = spec; f->name != NULL; f++)
		json_object_set_new(obj, f->name,
		                    row_value_json(res, row, row_col(res, f->column), f->kind));
	return obj;
}

json_t *
row_json(const PGresult *res, int row, const struct row_field *spec)
{
	return row_json_add(json_object(), res, row, spec);
}
