/* list.c - the keyset-list runner (list.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "list.h"
#include "log.h"
#include "mem.h"
#include "row.h"

/* The texts a list's parameters need, owned until the statement ran. */
struct list_texts {
	const char *params[LIST_MAX_PARAMS];
	char *owned[LIST_MAX_PARAMS]; /* array literals and numbers, freed after */
	char fetch[24];
};

static const struct spec_field *
query_field(const struct keyset_list *list, const char *name)
{
	for (const struct spec_field *f = list->query; f != NULL && f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	log_msg(LOG_ERROR, "list %s: query field %s is not in its query spec", list->stmt->name,
	        name);
	abort();
}

/* The text of query field p (per its spec type), or p->dflt when absent.
 * Sets *owned to a string the caller frees, when one was made. */
static const char *
query_text(const struct http_request *rq, const struct keyset_list *list,
           const struct list_param *p, char **owned)
{
	const struct spec_field *f = query_field(list, p->name);
	const json_t *v = json_object_get(rq->query, p->name);
	char num[32];

	*owned = NULL;
	if (v == NULL || json_is_null(v))
		return p->dflt;
	switch (f->type) {
	case SPEC_BOOLEAN:
		return json_is_true(v) ? "true" : "false";
	case SPEC_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		*owned = xstrdup(num);
		return *owned;
	case SPEC_NUMBER:
		snprintf(num, sizeof(num), "%.17g", json_number_value(v));
		*owned = xstrdup(num);
		return *owned;
	case SPEC_ARRAY:
		*owned = db_uuid_array_param(v);
		return *owned;
	default:
		return json_string_value(v);
	}
}

/* Fill t with the texts of list's parameters; returns their number. */
static int
list_texts(const struct http_request *rq, const struct keyset_list *list, long long limit,
           struct list_texts *t)
{
	int n = 0;

	memset(t, 0, sizeof(*t));
	snprintf(t->fetch, sizeof(t->fetch), "%lld", limit + 1);
	for (const struct list_param *p = list->params; p->source != 0; p++, n++) {
		if (n == LIST_MAX_PARAMS) {
			log_msg(LOG_ERROR, "list %s: more than %d parameters", list->stmt->name,
			        LIST_MAX_PARAMS);
			abort();
		}
		switch (p->source) {
		case LIST_SRC_QUERY:
			t->params[n] = query_text(rq, list, p, &t->owned[n]);
			break;
		case LIST_SRC_PATH:
			t->params[n] = http_param(rq, p->name);
			break;
		case LIST_SRC_CENTRE:
			t->params[n] = rq->caller.centre_id[0] ? rq->caller.centre_id : NULL;
			break;
		case LIST_SRC_FETCH:
			t->params[n] = t->fetch;
			break;
		case LIST_SRC_NULL:
			t->params[n] = NULL;
			break;
		}
	}
	return n;
}

/* Answer {items, next} from res (up to limit + 1 rows; the extra one only
 * says that more follow). Takes res. */
static void
list_reply(struct http_request *rq, const struct keyset_list *list, PGresult *res, long long limit)
{
	int n = PQntuples(res);
	json_t *items = json_array(), *next = json_null();
	char cursor[96];

	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, list->row_json ? list->row_json(res, i)
		                                            : row_json(res, i, list->fields));
	if (n > limit && list->cursor_column != NULL) {
		json_decref(next);
		next = http_next_link(rq, list->path,
		                      row_value(res, (int)limit - 1, list->cursor_column));
	} else if (n > limit) {
		int last = (int)limit - 1;
		int tc = row_col(res, list->time_column ? list->time_column : "cursor_time");
		int ic = row_col(res, list->id_column ? list->id_column : "id");

		snprintf(cursor, sizeof(cursor), "%s_%s", PQgetvalue(res, last, tc),
		         PQgetvalue(res, last, ic));
		json_decref(next);
		next = http_next_link(rq, list->path, cursor);
	}
	PQclear(res);
	http_reply_json(rq, 200, json_pack("{s:o, s:o}", "items", items, "next", next));
}

void
keyset_list_run(struct http_request *rq, const struct keyset_list *list)
{
	long long limit = http_query_limit(rq, list->default_limit ? list->default_limit : 50);
	struct list_texts t;
	int n = list_texts(rq, list, limit, &t);
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, list->stmt, t.params, &qs);

	for (int i = 0; i < n; i++)
		free(t.owned[i]);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	list_reply(rq, list, res, limit);
}
