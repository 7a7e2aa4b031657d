/* spec.h - declarative validation of JSON bodies and query parameters.
 *
 * A handler declares the fields it accepts in a static array:
 *
 *   static const struct spec_field centre_spec[] = {
 *       {.name = "name", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 2, .max = 120},
 *       {.name = "postal_code", .type = SPEC_STRING, .format = SPEC_FMT_POSTAL_CODE_DK},
 *       SPEC_END};
 *
 * and one call checks a whole object: types, required fields, bounds, enums,
 * formats, nested objects and arrays, and unknown fields. Every failing field
 * is reported (not just the first) into an RFC 9457 problem object. */
#ifndef KOMPAS_SPEC_H
#define KOMPAS_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum spec_type {
	SPEC_STRING = 1,
	SPEC_INTEGER,
	SPEC_NUMBER,
	SPEC_BOOLEAN,
	SPEC_ARRAY,
	SPEC_OBJECT,
};

enum spec_format {
	SPEC_FMT_NONE = 0,
	SPEC_FMT_DATE,           /* YYYY-MM-DD, a real calendar date */
	SPEC_FMT_DATETIME,       /* RFC 3339 date-time with offset */
	SPEC_FMT_EMAIL,          /* pragmatic addr-spec, at most 254 characters */
	SPEC_FMT_UUID,           /* 8-4-4-4-12 hexadecimal */
	SPEC_FMT_POSTAL_CODE_DK, /* four digits, 0800-9990 */
	SPEC_FMT_URL,            /* absolute http or https URL */
	SPEC_FMT_CVR,            /* Danish CVR number: 8 digits, modulus 11 */
	SPEC_FMT_SLUG,           /* a-z, 0-9 and inner hyphens, as in URLs */
	SPEC_FMT_ORIGIN,         /* a web origin: http(s)://host[:port], no path */
	SPEC_FMT_KEYSET,         /* a list cursor: RFC 3339 time, "_", UUID */
};

/* flags */
#define SPEC_REQUIRED  0x1u /* must be present */
#define SPEC_NULLABLE  0x2u /* JSON null is accepted */
#define SPEC_MULTILINE 0x4u /* strings may contain line breaks (\n, \r) and tabs */
#define SPEC_UNIQUE    0x8u /* array items must be distinct */

struct spec_field {
	const char *name; /* NULL ends a field list */
	enum spec_type type;
	unsigned flags;
	/* Bounds, inclusive: characters for strings, value for numbers,
	 * item count for arrays. Ignored while min == max == 0. */
	long long min, max;
	enum spec_format format;
	const char *const *enum_values;  /* NULL-terminated list of allowed strings */
	const struct spec_field *items;  /* arrays: the spec of one item */
	const struct spec_field *fields; /* objects: the nested field list */
};

#define SPEC_END                                                                                   \
	{                                                                                          \
		.name = NULL                                                                       \
	}

/* Constructors for the fields many specs repeat; fl is 0 (optional),
 * SPEC_REQUIRED or SPEC_NULLABLE (or both), lo and hi the inclusive length
 * bounds in characters:
 *
 *   SPEC_EMAIL("contact_email", SPEC_NULLABLE)
 *   SPEC_TEXT("contact_name", SPEC_NULLABLE, 1, 200)
 *   SPEC_MULTILINE_TEXT("description", SPEC_NULLABLE, 1, 4000)
 *   SPEC_ENUM("state", SPEC_REQUIRED, states)
 *
 * each is the same struct spec_field as its long form. */
/* clang-format off */
#define SPEC_TEXT(n, fl, lo, hi)                                                                   \
	{.name = (n), .type = SPEC_STRING, .flags = (fl), .min = (lo), .max = (hi)}
/* text that may hold line breaks and tabs (an address, a note) */
#define SPEC_MULTILINE_TEXT(n, fl, lo, hi)                                                         \
	{.name = (n), .type = SPEC_STRING, .flags = (fl) | SPEC_MULTILINE, .min = (lo), .max = (hi)}
/* an e-mail address, at most 254 characters */
#define SPEC_EMAIL(n, fl)                                                                          \
	{.name = (n), .type = SPEC_STRING, .flags = (fl), .max = 254, .format = SPEC_FMT_EMAIL}
/* a Danish postal code */
#define SPEC_POSTAL_CODE(n, fl)                                                                    \
	{.name = (n), .type = SPEC_STRING, .flags = (fl), .format = SPEC_FMT_POSTAL_CODE_DK}
/* an id */
#define SPEC_UUID(n, fl)                                                                           \
	{.name = (n), .type = SPEC_STRING, .flags = (fl), .format = SPEC_FMT_UUID}
/* a calendar date, YYYY-MM-DD */
#define SPEC_DATE(n, fl)                                                                           \
	{.name = (n), .type = SPEC_STRING, .flags = (fl), .format = SPEC_FMT_DATE}
/* an RFC 3339 date-time */
#define SPEC_DATETIME(n, fl)                                                                       \
	{.name = (n), .type = SPEC_STRING, .flags = (fl), .format = SPEC_FMT_DATETIME}
/* an http(s) URL of at most hi characters */
#define SPEC_URL(n, fl, hi)                                                                        \
	{.name = (n), .type = SPEC_STRING, .flags = (fl), .max = (hi), .format = SPEC_FMT_URL}
/* one of the strings of vals (a NULL-terminated array) */
#define SPEC_ENUM(n, fl, vals)                                                                     \
	{.name = (n), .type = SPEC_STRING, .flags = (fl), .enum_values = (vals)}
/* clang-format on */

/* Validate obj against the field list spec. Each failure is appended to
 * problem's "errors" (see problem_add_field_error) with its JSON path, built
 * on prefix (NULL or "" at the top level). A non-object obj is reported as
 * one error at prefix. Returns the number of errors added; 0 means valid.
 * Does not modify obj and keeps no reference to it. */
size_t spec_validate_object(const struct spec_field *spec, const json_t *obj, const char *prefix,
                            json_t *problem);

/* Turn query parameters (an object of name -> string, as received) into an
 * object of typed values following spec: integers, numbers and booleans
 * ("true"/"false") are parsed, arrays are split on commas. Parameters that
 * cannot be converted, unknown parameters and missing required ones are
 * reported into problem as by spec_validate_object, which is then applied to
 * the converted values. Returns a new object owned by the caller, or NULL
 * when any error was added. */
json_t *spec_parse_query(const struct spec_field *spec, const json_t *strings, json_t *problem);

/* Add one received query parameter (key, value; value NULL counts as "") to
 * strings, the object spec_parse_query takes. A name given twice, or a value
 * that is not UTF-8, is reported into problem instead (as by
 * spec_validate_object) and not added. Returns the number of errors added
 * (0 or 1). Keeps no pointer to key or value. */
size_t spec_query_add(json_t *strings, json_t *problem, const char *key, const char *value);

/* Does the field list have a required field? (NULL: no.) */
bool spec_has_required(const struct spec_field *spec);

/* Check s (NUL-terminated) against a format. Returns true when it matches. */
bool spec_format_ok(enum spec_format format, const char *s);

/* Number of Unicode code points in the UTF-8 string s of len bytes. */
size_t spec_utf8_length(const char *s, size_t len);

#endif
