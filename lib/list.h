/* list.h - the keyset-list runner: a list handler is a declaration and one
 * call.
 *
 * A keyset-paged list (`GET /v1/things?state=...&limit=&cursor=`) reads its
 * filters from the validated query, runs one prepared statement with them,
 * the cursor and limit + 1 (the extra row only says that more follow), and
 * answers {items, next}. The resource declares what differs:
 *
 *   static const struct list_param things_params[] = {
 *       LIST_QUERY("state"), LIST_QUERY("association_id"), LIST_QUERY("cursor"),
 *       LIST_FETCH, LIST_END};
 *
 *   static const struct keyset_list things_list_decl = {
 *       .stmt = &stmt_list, .query = things_list_query, .params = things_params,
 *       .fields = thing_fields, .path = "/v1/things"};
 *
 *   static void things_list(struct http_request *rq)
 *   {
 *       keyset_list_run(rq, &things_list_decl);
 *   }
 *
 * The statement's parameters are params in order ($1, $2, ...). The query
 * spec (the route's) says how each query field becomes text: a string as it
 * is, an integer or number as its digits, a boolean as true/false, an array
 * as a PostgreSQL array literal; an absent field is SQL NULL unless its
 * list_param has a default. The statement selects the cursor's columns
 * (cursor_time, formatted to the microsecond, and id unless named
 * otherwise) and orders by them; the next link carries "<time>_<id>" of the
 * last item shown (the query spec's cursor field is SPEC_FMT_KEYSET).
 * Other cursors: cursor_column (one unique column's value) or a struct
 * list_cursor the resource provides (encode and decode hooks, its parts
 * LIST_CURSOR(i) as parameters; api/text_cursor.h). "{id}" in path is the
 * path parameter id; checks the spec cannot make are the check hook. */
#ifndef KOMPAS_LIST_H
#define KOMPAS_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"
#include "row.h"
#include "spec.h"

struct http_request;

enum list_source {
	LIST_SRC_QUERY = 1, /* the query field `name` (converted by its spec), or dflt */
	LIST_SRC_PATH,      /* the path parameter `name` */
	LIST_SRC_CENTRE,    /* the caller's centre (SQL NULL for national roles) */
	LIST_SRC_FETCH,     /* limit + 1 */
	LIST_SRC_NULL,      /* SQL NULL (a parameter the statement's other callers set) */
	LIST_SRC_CURSOR,    /* part `index` of the decoded cursor (struct list_cursor) */
	LIST_SRC_CONST,     /* the text dflt */
	LIST_SRC_ARG,       /* the handler's value `index` (keyset_list_run_args) */
};

struct list_param {
	enum list_source source; /* 0 ends the list */
	const char *name;
	const char *dflt; /* LIST_SRC_QUERY: the text when the field is absent */
	int index;        /* LIST_SRC_CURSOR: which part */
};

#define LIST_QUERY(name)                                                                           \
	{                                                                                          \
		LIST_SRC_QUERY, name, NULL, 0                                                      \
	}
#define LIST_QUERY_OR(name, dflt)                                                                  \
	{                                                                                          \
		LIST_SRC_QUERY, name, dflt, 0                                                      \
	}
#define LIST_PATH(name)                                                                            \
	{                                                                                          \
		LIST_SRC_PATH, name, NULL, 0                                                       \
	}
#define LIST_CENTRE                                                                                \
	{                                                                                          \
		LIST_SRC_CENTRE, NULL, NULL, 0                                                     \
	}
#define LIST_FETCH                                                                                 \
	{                                                                                          \
		LIST_SRC_FETCH, NULL, NULL, 0                                                      \
	}
#define LIST_NULL                                                                                  \
	{                                                                                          \
		LIST_SRC_NULL, NULL, NULL, 0                                                       \
	}
#define LIST_CURSOR(i)                                                                             \
	{                                                                                          \
		LIST_SRC_CURSOR, NULL, NULL, i                                                     \
	}
#define LIST_CONST(text)                                                                           \
	{                                                                                          \
		LIST_SRC_CONST, NULL, text, 0                                                      \
	}
#define LIST_ARG(i)                                                                                \
	{                                                                                          \
		LIST_SRC_ARG, NULL, NULL, i                                                        \
	}
#define LIST_END                                                                                   \
	{                                                                                          \
		0, NULL, NULL, 0                                                                   \
	}

/* Most parameters a list statement may take. */
#define LIST_MAX_PARAMS 16

/* Most parts a decoded cursor has, and the longest cursor made. */
#define LIST_CURSOR_PARTS 4
#define LIST_CURSOR_MAX   1400

/* A decoded cursor: the texts its LIST_CURSOR(i) parameters take (new
 * strings, freed by the runner; NULL when there is no cursor). */
struct list_cursor_parts {
	char *part[LIST_CURSOR_PARTS];
};

/* A cursor the resource makes and reads (a text cursor: api/text_cursor.h)
 * instead of "<time>_<id>" or one column's value. The query field "cursor"
 * is decoded into parts before the statement runs; one decode refuses is
 * answered 422 validation_failed with detail and a field error (cursor,
 * invalid_format, message). */
struct list_cursor {
	/* Write the cursor of row (the last item shown) of res into out
	 * (outlen bytes); false when it does not fit. */
	bool (*encode)(const struct list_cursor *c, const PGresult *res, int row, char *out,
	               size_t outlen);
	/* Split cursor into parts; false when it is not a cursor of this
	 * list (parts then hold nothing). */
	bool (*decode)(const struct list_cursor *c, const char *cursor,
	               struct list_cursor_parts *parts);
	const char *columns[LIST_CURSOR_PARTS]; /* the columns encode reads, for the hooks */
	unsigned flags;                         /* the hooks' own */
	const char *detail;                     /* the 422's detail; NULL: its title */
	const char *message;                    /* the cursor field error's message */
};

struct keyset_list {
	struct db_stmt *stmt;            /* its parameters are params, in order */
	const struct spec_field *query;  /* the route's query spec */
	const struct list_param *params; /* ended by LIST_END */
	/* each item: row_json(res, row) when set, item_json(rq, res, row) when
	 * that is set (an answer that depends on the caller), else the result
	 * spec fields */
	json_t *(*row_json)(const PGresult *res, int row);
	json_t *(*item_json)(const struct http_request *rq, const PGresult *res, int row);
	const struct row_field *fields;
	const char *time_column; /* the cursor's time column; NULL: "cursor_time" */
	const char *id_column;   /* the cursor's id column; NULL: "id" */
	/* a cursor of one unique column (a slug, an e-mail) instead of
	 * "<time>_<id>": the next cursor is its value in the last item shown */
	const char *cursor_column;
	/* a cursor the resource makes and reads, its parts LIST_CURSOR(i) */
	const struct list_cursor *cursor;
	/* query checks the spec cannot make: adds their field errors to
	 * problem, answered with a refused cursor's in one 422 (the cursor's
	 * detail) before the statement runs */
	void (*check)(const struct http_request *rq, json_t *problem);
	/* the next link's path; "{name}" in it is the path parameter name */
	const char *path;
	long long default_limit; /* when the query has no limit; 0: 50 */
};

/* Answer the list declared by list for rq: run list->stmt with the
 * declared parameters and answer {items, next} (next: http_next_link),
 * the 422 of a cursor list->cursor does not decode, or the database error.
 * A LIST_SRC_QUERY name that is not in list->query, more than
 * LIST_MAX_PARAMS parameters or a LIST_CURSOR part out of range is a
 * programming error (logged, aborts). */
void keyset_list_run(struct http_request *rq, const struct keyset_list *list);

/* keyset_list_run with the values the handler computed (a centre it looked
 * up): args[i] is the parameter LIST_ARG(i); args may be NULL when list
 * has none. */
void keyset_list_run_args(struct http_request *rq, const struct keyset_list *list,
                          const char *const *args);

#endif
