/* errors.h - the one table of error codes kompasd can answer with.
 *
 * Each entry has a stable machine-readable code (never renamed once
 * released), the HTTP status it is answered with and a short English title.
 * Request-level codes are the "code" member of an RFC 9457 problem; field
 * codes appear in its "errors" list, one per failing field. docs/errors.md
 * is generated from this table (kompasd errors) and a test keeps it equal. */
#ifndef KOMPAS_ERRORS_H
#define KOMPAS_ERRORS_H

#include <stdio.h>

enum err_code {
	/* request-level */
	ERR_MALFORMED_JSON = 0,
	ERR_BAD_REQUEST,
	ERR_UNAUTHENTICATED,
	ERR_FORBIDDEN,
	ERR_ROUTE_NOT_FOUND,
	ERR_NOT_FOUND,
	ERR_METHOD_NOT_ALLOWED,
	ERR_CONFLICT,
	ERR_PRECONDITION_FAILED,
	ERR_BODY_TOO_LARGE,
	ERR_UNSUPPORTED_MEDIA_TYPE,
	ERR_VALIDATION_FAILED,
	ERR_TOO_MANY_REQUESTS,
	ERR_INTERNAL,
	ERR_DATABASE_UNAVAILABLE,
	ERR_SCHEMA_BEHIND,
	/* field-level (inside "errors") */
	ERR_FIELD_REQUIRED,
	ERR_FIELD_UNKNOWN,
	ERR_FIELD_TYPE,
	ERR_FIELD_TOO_SHORT,
	ERR_FIELD_TOO_LONG,
	ERR_FIELD_TOO_SMALL,
	ERR_FIELD_TOO_LARGE,
	ERR_FIELD_NOT_IN_ENUM,
	ERR_FIELD_FORMAT,
	ERR_FIELD_TOO_MANY_ITEMS,
	ERR_FIELD_DUPLICATE_ITEM,
	ERR_FIELD_REPEATED,
	ERR_FIELD_TAKEN,
	ERR_IDEMPOTENCY_KEY_REUSED,
	ERR_BUSY,
	ERR_PERIOD_NOT_CLOSED,
	ERR_FIELD_NOT_WHOLE_PERIOD,
	ERR__COUNT
};

enum err_scope { ERR_SCOPE_REQUEST, ERR_SCOPE_FIELD };

struct err_def {
	enum err_code id;
	const char *code; /* stable, snake_case */
	unsigned status;  /* HTTP status; for field codes that of the problem they appear in */
	enum err_scope scope;
	const char *title; /* short, English, no personal data */
};

/* The definition of code. Never returns NULL for a valid enum value; an
 * out-of-range value yields the ERR_INTERNAL entry. */
const struct err_def *err_get(enum err_code code);

/* Find a definition by its string code. Returns NULL when unknown. */
const struct err_def *err_find(const char *code);

/* Write the table as the Markdown document docs/errors.md holds. */
void err_write_markdown(FILE *out);

/* Check the table: ids in order, codes unique and snake_case, statuses in
 * 400..599. Returns 0 when consistent, else -1 with a reason in why. */
int err_table_check(char *why, size_t whylen);

#endif
