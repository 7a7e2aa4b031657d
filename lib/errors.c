/* errors.c - the central error table. Append new codes; never rename one. */
#include "errors.h"

#include <string.h>

static const struct err_def err_table[ERR__COUNT] = {
    {ERR_MALFORMED_JSON, "malformed_json", 400, ERR_SCOPE_REQUEST,
     "The request body is not well-formed JSON"},
    {ERR_BAD_REQUEST, "bad_request", 400, ERR_SCOPE_REQUEST, "The request is malformed"},
    {ERR_UNAUTHENTICATED, "unauthenticated", 401, ERR_SCOPE_REQUEST,
     "Missing or invalid credentials"},
    {ERR_FORBIDDEN, "forbidden", 403, ERR_SCOPE_REQUEST, "The caller may not perform this action"},
    {ERR_ROUTE_NOT_FOUND, "route_not_found", 404, ERR_SCOPE_REQUEST, "No such endpoint"},
    {ERR_NOT_FOUND, "not_found", 404, ERR_SCOPE_REQUEST, "The resource does not exist"},
    {ERR_METHOD_NOT_ALLOWED, "method_not_allowed", 405, ERR_SCOPE_REQUEST,
     "The endpoint does not support this method"},
    {ERR_CONFLICT, "conflict", 409, ERR_SCOPE_REQUEST,
     "The request conflicts with the current state"},
    {ERR_PRECONDITION_FAILED, "precondition_failed", 412, ERR_SCOPE_REQUEST,
     "The resource has changed since it was read"},
    {ERR_BODY_TOO_LARGE, "body_too_large", 413, ERR_SCOPE_REQUEST,
     "The request body exceeds the size limit"},
    {ERR_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415, ERR_SCOPE_REQUEST,
     "The request body must be application/json"},
    {ERR_VALIDATION_FAILED, "validation_failed", 422, ERR_SCOPE_REQUEST,
     "One or more fields are invalid"},
    {ERR_TOO_MANY_REQUESTS, "too_many_requests", 429, ERR_SCOPE_REQUEST,
     "Too many requests; try again later"},
    {ERR_INTERNAL, "internal_error", 500, ERR_SCOPE_REQUEST, "Internal server error"},
    {ERR_DATABASE_UNAVAILABLE, "database_unavailable", 503, ERR_SCOPE_REQUEST,
     "The database is unavailable; try again shortly"},
    {ERR_SCHEMA_BEHIND, "schema_behind", 503, ERR_SCOPE_REQUEST,
     "The database schema is older than this server expects"},
    {ERR_FIELD_REQUIRED, "required", 422, ERR_SCOPE_FIELD, "The field is required"},
    {ERR_FIELD_UNKNOWN, "unknown_field", 422, ERR_SCOPE_FIELD, "The field is not allowed here"},
    {ERR_FIELD_TYPE, "wrong_type", 422, ERR_SCOPE_FIELD, "The field has the wrong type"},
    {ERR_FIELD_TOO_SHORT, "too_short", 422, ERR_SCOPE_FIELD,
     "The text or list is shorter than allowed"},
    {ERR_FIELD_TOO_LONG, "too_long", 422, ERR_SCOPE_FIELD,
     "The text or list is longer than allowed"},
    {ERR_FIELD_TOO_SMALL, "too_small", 422, ERR_SCOPE_FIELD, "The number is below the minimum"},
    {ERR_FIELD_TOO_LARGE, "too_large", 422, ERR_SCOPE_FIELD, "The number is above the maximum"},
    {ERR_FIELD_NOT_IN_ENUM, "not_in_enum", 422, ERR_SCOPE_FIELD,
     "The value is not one of the allowed values"},
    {ERR_FIELD_FORMAT, "invalid_format", 422, ERR_SCOPE_FIELD,
     "The value does not have the required format"},
    {ERR_FIELD_TOO_MANY_ITEMS, "too_many_items", 422, ERR_SCOPE_FIELD,
     "The list has more items than allowed"},
    {ERR_FIELD_DUPLICATE_ITEM, "duplicate_item", 422, ERR_SCOPE_FIELD,
     "The list contains the same item twice"},
    {ERR_FIELD_REPEATED, "repeated_parameter", 422, ERR_SCOPE_FIELD,
     "The query parameter is given more than once"},
    {ERR_FIELD_TAKEN, "already_taken", 409, ERR_SCOPE_FIELD,
     "The value must be unique and another record has it"},
    {ERR_IDEMPOTENCY_KEY_REUSED, "idempotency_key_reused", 422, ERR_SCOPE_REQUEST,
     "The Idempotency-Key was used before with another request"},
    {ERR_BUSY, "server_busy", 503, ERR_SCOPE_REQUEST, "The server is busy; try again shortly"},
    {ERR_PERIOD_NOT_CLOSED, "period_not_closed", 422, ERR_SCOPE_REQUEST,
     "The statistics window holds no closed period yet"},
    {ERR_FIELD_NOT_WHOLE_PERIOD, "not_whole_period", 422, ERR_SCOPE_FIELD,
     "The date does not begin or end a whole month, quarter or year"},
};

const struct err_def *
err_get(enum err_code code)
{
	if ((unsigned)code >= ERR__COUNT)
		return &err_table[ERR_INTERNAL];
	return &err_table[code];
}

const struct err_def *
err_find(const char *code)
{
	for (size_t i = 0; i < ERR__COUNT; i++)
		if (strcmp(err_table[i].code, code) == 0)
			return &err_table[i];
	return NULL;
}

void
err_write_markdown(FILE *out)
{
	fputs("# Error codes\n\n"
	      "Generated from `lib/errors.c` by `kompasd errors`; a test keeps this file equal to "
	      "the table. Do not edit by hand.\n\n"
	      "Every error is an RFC 9457 `application/problem+json` body with `type`, `title`, "
	      "`status`, `detail`, `code` (below) and `request_id`. Validation failures (422) also "
	      "carry `errors: [{field, code, message}]`, one entry per failing field, with the "
	      "field codes listed in the second table.\n\n"
	      "## Problem codes\n\n| code | HTTP status | title |\n|---|---|---|\n",
	      out);
	for (size_t i = 0; i < ERR__COUNT; i++)
		if (err_table[i].scope == ERR_SCOPE_REQUEST)
			fprintf(out, "| `%s` | %u | %s |\n", err_table[i].code, err_table[i].status,
			        err_table[i].title);
	fputs("\n## Field codes (inside `errors`)\n\n| code | meaning |\n|---|---|\n", out);
	for (size_t i = 0; i < ERR__COUNT; i++)
		if (err_table[i].scope == ERR_SCOPE_FIELD)
			fprintf(out, "| `%s` | %s |\n", err_table[i].code, err_table[i].title);
}

int
err_table_check(char *why, size_t whylen)
{
	for (size_t i = 0; i < ERR__COUNT; i++) {
		const struct err_def *d = &err_table[i];

		if ((size_t)d->id != i || d->code == NULL || d->title == NULL) {
			snprintf(why, whylen, "entry %zu is out of order or incomplete", i);
			return -1;
		}
		if (d->status < 400 || d->status > 599) {
			snprintf(why, whylen, "%s: status %u is not an error status", d->code,
			         d->status);
			return -1;
		}
		for (const char *p = d->code; *p; p++) {
			if (!((*p >= 'a' && *p <= 'z') || *p == '_')) {
				snprintf(why, whylen, "%s: code is not snake_case", d->code);
				return -1;
			}
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(err_table[j].code, d->code) == 0) {
				snprintf(why, whylen, "%s: code appears twice", d->code);
				return -1;
			}
		}
	}
	return 0;
}
