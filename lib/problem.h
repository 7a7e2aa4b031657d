/* problem.h - RFC 9457 problem details built from the error table. */
#ifndef KOMPAS_PROBLEM_H
#define KOMPAS_PROBLEM_H

#include <jansson.h>

#include "errors.h"

/* The media type of every error response. */
#define PROBLEM_CONTENT_TYPE "application/problem+json"

/* Build a problem object for code: type (urn:kompas:problem:<code>), title,
 * status and code from the table, detail (the title when detail is NULL)
 * and request_id when not NULL. The caller owns the returned reference.
 * Aborts on out-of-memory; cannot fail otherwise. */
json_t *problem_new(enum err_code code, const char *detail, const char *request_id);

/* Append {field, code, message} to the problem's "errors" list (created on
 * first use). field is a JSON path such as "address.postal_code" or
 * "languages[2]"; message is English text without personal data. */
void problem_add_field_error(json_t *problem, const char *field, enum err_code code,
                             const char *message);

/* Number of entries in the problem's "errors" list (0 when absent). */
size_t problem_field_error_count(const json_t *problem);

#endif
