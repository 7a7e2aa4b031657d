/* list.c - the keyset-list runner (list.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "list.h"
#include "log.h"
#include "mem.h"
#include "problem.h"
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

/* Part i of the decoded cursor (NULL when there is none). */
static const char *
cursor_part(const struct keyset_list *list, const struct list_cursor_parts *cp, int i)
{
	if (list->cursor == NULL || i < 0 || i >= LIST_CURSOR_PARTS) {
		log_msg(LOG_ERROR, "list %s: cursor part %d of no cursor kind", list->stmt->name,
		        i);
		abort();
	}
	return cp->part[i];
}

/* The handler's value i. */
static const char *
arg_text(const struct keyset_list *list, const char *const *args, int i)
{
	if (args == NULL || i < 0) {
		log_msg(LOG_ERROR, "list %s: argument %d not given", list->stmt->name, i);
		abort();
	}
	return args[i];
}

/* Fill t with the texts of list's parameters (cp: the decoded cursor,
 * args: the handler's values); returns their number. */
static int
list_texts(const struct http_request *rq, const struct keyset_list *list, long long limit,
           const struct list_cursor_parts *cp, const char *const *args, struct list_texts *t)
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
		case LIST_SRC_CURSOR:
			t->params[n] = cursor_part(list, cp, p->index);
			break;
		case LIST_SRC_CONST:
			t->params[n] = p->dflt;
			break;
		case LIST_SRC_ARG:
			t->params[n] = arg_text(list, args, p->index);
			break;
		}
	}
	return n;
}

/* list->path with each "{name}" replaced by the path parameter name,
 * into out (outlen bytes, truncated when longer). */
static void
list_path(const struct http_request *rq, const struct keyset_list *list, char *out, size_t outlen)
{
	const char *s = list->path, *open, *close, *value;
	char name[64];
	size_t w = 0;

	while ((open = strchr(s, '{')) != NULL && (close = strchr(open, '}')) != NULL &&
	       (size_t)(close - open) <= sizeof(name) && w < outlen) {
		snprintf(name, sizeof(name), "%.*s", (int)(close - open - 1), open + 1);
		value = http_param(rq, name);
		w += (size_t)snprintf(out + w, outlen - w, "%.*s%s", (int)(open - s), s,
		                      value ? value : "");
		s = close + 1;
	}
	if (w < outlen)
		snprintf(out + w, outlen - w, "%s", s);
}

/* The next link for row last of res (the last item shown), or JSON null
 * when its cursor does not fit (logged). */
static json_t *
next_link(const struct http_request *rq, const struct keyset_list *list, const PGresult *res,
          int last)
{
	char cursor[LIST_CURSOR_MAX], path[256];

	if (list->cursor != NULL) {
		if (!list->cursor->encode(list->cursor, res, last, cursor, sizeof(cursor))) {
			log_msg(LOG_ERROR, "list %s: the next cursor does not fit",
			        list->stmt->name);
			return json_null();
		}
	} else if (list->cursor_column != NULL) {
		snprintf(cursor, sizeof(cursor), "%s", row_value(res, last, list->cursor_column));
	} else {
		snprintf(
		    cursor, sizeof(cursor), "%s_%s",
		    row_value(res, last, list->time_column ? list->time_column : "cursor_time"),
		    row_value(res, last, list->id_column ? list->id_column : "id"));
	}
	list_path(rq, list, path, sizeof(path));
	return http_next_link(rq, path, cursor);
}

/* Answer {items, next} from res (up to limit + 1 rows; the extra one only
 * says that more follow). Takes res. */
static void
list_reply(struct http_request *rq, const struct keyset_list *list, PGresult *res, long long limit)
{
	int n = PQntuples(res);
	json_t *items = json_array(), *item;

	for (int i = 0; i < n && i < limit; i++) {
		if (list->row_json != NULL)
			item = list->row_json(res, i);
		else if (list->item_json != NULL)
			item = list->item_json(rq, res, i);
		else
			item = row_json(res, i, list->fields);
		json_array_append_new(items, item);
	}
	http_reply_json(
	    rq, 200,
	    json_pack("{s:o, s:o}", "items", items, "next",
	              n > limit ? next_link(rq, list, res, (int)limit - 1) : json_null()));
	PQclear(res);
}

/* Run list->check and decode the query's cursor into cp (when list has
 * a cursor kind); false after answering 422 for what they refuse. */
static bool
check_query(struct http_request *rq, const struct keyset_list *list, struct list_cursor_parts *cp)
{
	const char *cursor = json_string_value(json_object_get(rq->query, "cursor"));
	bool decode = list->cursor != NULL && cursor != NULL;
	json_t *p;

	memset(cp, 0, sizeof(*cp));
	if (list->check == NULL && !decode)
		return true;
	p = problem_new(ERR_VALIDATION_FAILED, list->cursor ? list->cursor->detail : NULL,
	                rq->request_id);
	if (list->check != NULL)
		list->check(rq, p);
	if (decode && !list->cursor->decode(list->cursor, cursor, cp))
		problem_add_field_error(p, "cursor", ERR_FIELD_FORMAT, list->cursor->message);
	if (problem_field_error_count(p) == 0) {
		json_decref(p);
		return true;
	}
	for (int i = 0; i < LIST_CURSOR_PARTS; i++)
		free(cp->part[i]);
	http_reply_problem_json(rq, p);
	return false;
}

void
keyset_list_run(struct http_request *rq, const struct keyset_list *list)
{
	keyset_list_run_args(rq, list, NULL);
}

void
keyset_list_run_args(struct http_request *rq, const struct keyset_list *list,
                     const char *const *args)
{
	long long limit = http_query_limit(rq, list->default_limit ? list->default_limit : 50);
	struct list_cursor_parts cp;
	struct list_texts t;
	enum db_qs qs;
	PGresult *res;
	int n;

	if (!check_query(rq, list, &cp))
		return;
	n = list_texts(rq, list, limit, &cp, args, &t);
	res = db_exec(rq->db, list->stmt, t.params, &qs);
	for (int i = 0; i < n; i++)
		free(t.owned[i]);
	for (int i = 0; i < LIST_CURSOR_PARTS; i++)
		free(cp.part[i]);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	list_reply(rq, list, res, limit);
}
