/* problem.c - RFC 9457 problem details. */
#include "problem.h"

#include <stdio.h>
#include <stdlib.h>

json_t *
problem_new(enum err_code code, const char *detail, const char *request_id)
{
	const struct err_def *d = err_get(code);
	char type[96];
	json_t *p;

	snprintf(type, sizeof(type), "urn:kompas:problem:%s", d->code);
	p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", d->title, "status",
	              (int)d->status, "detail", detail ? detail : d->title, "code", d->code);
	if (p == NULL)
		abort();
	if (request_id != NULL)
		json_object_set_new(p, "request_id", json_string(request_id));
	return p;
}

void
problem_add_field_error(json_t *problem, const char *field, enum err_code code, const char *message)
{
	json_t *errors = json_object_get(problem, "errors");
	json_t *e;

	if (errors == NULL) {
		errors = json_array();
		json_object_set_new(problem, "errors", errors);
	}
	e = json_pack("{s:s, s:s, s:s}", "field", field, "code", err_get(code)->code, "message",
	              message ? message : err_get(code)->title);
	if (e == NULL)
		abort();
	json_array_append_new(errors, e);
}

size_t
problem_field_error_count(const json_t *problem)
{
	return json_array_size(json_object_get(problem, "errors"));
}
