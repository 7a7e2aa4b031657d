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
 * last item shown (the query spec's cursor field is SPEC_FMT_KEYSET). */
#ifndef KOMPAS_LIST_H
#define KOMPAS_LIST_H

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
};

struct list_param {
	enum list_source source; /* 0 ends the list */
	const char *name;
	const char *dflt; /* LIST_SRC_QUERY: the text when the field is absent */
};

#define LIST_QUERY(name)                                                                           \
	{                                                                                          \
		LIST_SRC_QUERY, name, NULL                                                         \
	}
#define LIST_QUERY_OR(name, dflt)                                                                  \
	{                                                                                          \
		LIST_SRC_QUERY, name, dflt                                                         \
	}
#define LIST_PATH(name)                                                                            \
	{                                                                                          \
		LIST_SRC_PATH, name, NULL                                                          \
	}
#define LIST_CENTRE                                                                                \
	{                                                                                          \
		LIST_SRC_CENTRE, NULL, NULL                                                        \
	}
#define LIST_FETCH                                                                                 \
	{                                                                                          \
		LIST_SRC_FETCH, NULL, NULL                                                         \
	}
#define LIST_NULL                                                                                  \
	{                                                                                          \
		LIST_SRC_NULL, NULL, NULL                                                          \
	}
#define LIST_END                                                                                   \
	{                                                                                          \
		0, NULL, NULL                                                                      \
	}

/* Most parameters a list statement may take. */
#define LIST_MAX_PARAMS 16

struct keyset_list {
	struct db_stmt *stmt;            /* its parameters are params, in order */
	const struct spec_field *query;  /* the route's query spec */
	const struct list_param *params; /* ended by LIST_END */
	/* each item: row_json(res, row) when set, else the result spec fields */
	json_t *(*row_json)(const PGresult *res, int row);
	const struct row_field *fields;
	const char *time_column; /* the cursor's time column; NULL: "cursor_time" */
	const char *id_column;   /* the cursor's id column; NULL: "id" */
	/* a cursor of one unique column (a slug, an e-mail) instead of
	 * "<time>_<id>": the next cursor is its value in the last item shown */
	const char *cursor_column;
	const char *path;        /* the next link's path */
	long long default_limit; /* when the query has no limit; 0: 50 */
};

/* Answer the list declared by list for rq: run list->stmt with the
 * declared parameters and answer {items, next} (next: http_next_link),
 * or the database error. A LIST_SRC_QUERY name that is not in list->query,
 * or more than LIST_MAX_PARAMS parameters, is a programming error (logged,
 * aborts). */
void keyset_list_run(struct http_request *rq, const struct keyset_list *list);

#endif
