/* row.h - reading result rows by column name: a small declarative result
 * spec turns a row of a PGresult into a JSON object.
 *
 * A resource names the columns of its SELECT (`to_char(planned_end, ...) AS
 * planned_end`) and declares once, in answer order, which JSON member each
 * column becomes and how:
 *
 *   static const struct row_field course_fields[] = {
 *       ROW_TEXT("id"),
 *       ROW_TEXT_OR_NULL("association_id"),
 *       ROW_INTEGER("planned_visits"),
 *       ROW_FIELD("visits_recorded", "visit_count", ROW_KIND_INTEGER),
 *       ROW_END};
 *
 *   json_t *j = row_json(res, row, course_fields);
 *
 * Members appear in the order of the spec (jansson keeps insertion order),
 * so the spec is also the order of the answer's keys. A value the handler
 * computes (allowed transitions, an opened sealed field) is added where it
 * belongs with json_object_set_new between two row_json_add calls.
 *
 * Columns are looked up with PQfnumber, never by position. A column that a
 * spec or a caller names and the result lacks is a programming error (the
 * SELECT and the spec disagree): the process logs which column of which
 * result is missing and aborts, so the first test that reads the row
 * fails loudly instead of answering a wrong value. row_spec_missing checks
 * a spec without aborting (for tests). */
#ifndef KOMPAS_ROW_H
#define KOMPAS_ROW_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

enum row_kind {
	ROW_KIND_TEXT = 1,        /* a string; SQL NULL is a programming error, answered "" */
	ROW_KIND_TEXT_OR_NULL,    /* a string, or null for SQL NULL */
	ROW_KIND_INTEGER,         /* a JSON integer (bigint range); SQL NULL answers 0 */
	ROW_KIND_INTEGER_OR_NULL, /* a JSON integer, or null for SQL NULL */
	ROW_KIND_BOOLEAN,         /* true/false from a PostgreSQL boolean, null for SQL NULL */
	ROW_KIND_JSON,            /* a column that holds JSON text (json/jsonb), parsed; null for
	                           * SQL NULL or (logged) text that does not parse */
};

struct row_field {
	const char *name;   /* the JSON member; NULL ends a spec */
	const char *column; /* the result column (its name or AS alias) */
	enum row_kind kind;
};

/* One field whose column has a different name than its member. */
#define ROW_FIELD(name, column, kind)                                                              \
	{                                                                                          \
		name, column, kind                                                                 \
	}
/* Fields whose column has the member's name. */
#define ROW_TEXT(name)            ROW_FIELD(name, name, ROW_KIND_TEXT)
#define ROW_TEXT_OR_NULL(name)    ROW_FIELD(name, name, ROW_KIND_TEXT_OR_NULL)
#define ROW_INTEGER(name)         ROW_FIELD(name, name, ROW_KIND_INTEGER)
#define ROW_INTEGER_OR_NULL(name) ROW_FIELD(name, name, ROW_KIND_INTEGER_OR_NULL)
#define ROW_BOOLEAN(name)         ROW_FIELD(name, name, ROW_KIND_BOOLEAN)
#define ROW_JSON(name)            ROW_FIELD(name, name, ROW_KIND_JSON)
#define ROW_END                                                                                    \
	{                                                                                          \
		NULL, NULL, 0                                                                      \
	}

/* Row `row` of res as a new JSON object with one member per field of spec,
 * in spec order. Aborts (logged) when a column of spec is not in res.
 * Caller owns the result. */
json_t *row_json(const PGresult *res, int row, const struct row_field *spec);

/* Add the fields of spec, read from row `row` of res, to the object obj in
 * spec order (a member obj already has is replaced in place). Returns obj.
 * Aborts (logged) when a column of spec is not in res. */
json_t *row_json_add(json_t *obj, const PGresult *res, int row, const struct row_field *spec);

/* The number of the column named `column` in res. Aborts (logged) when res
 * has no such column. */
int row_col(const PGresult *res, const char *column);

/* The value of column `column` in row `row` of res: its text, or NULL for
 * SQL NULL. Owned by res. Aborts (logged) when there is no such column. */
const char *row_text(const PGresult *res, int row, const char *column);

/* The value of column `column` in row `row` of res as text, "" for SQL NULL
 * (PQgetvalue's answer), for values the caller knows are not NULL. Owned by
 * res. Aborts (logged) when there is no such column. */
const char *row_value(const PGresult *res, int row, const char *column);

/* Is column `column` of row `row` SQL NULL? Aborts (logged) when there is
 * no such column. */
bool row_is_null(const PGresult *res, int row, const char *column);

/* The first column spec names that res lacks, or NULL when res has all of
 * them. Never aborts: for tests that check a spec against a statement. */
const char *row_spec_missing(const PGresult *res, const struct row_field *spec);

#endif
