/* spec.c - declarative JSON field validation. */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "problem.h"

static size_t validate_value(const struct spec_field *f, const json_t *v, const char *path,
                             json_t *problem);

size_t
spec_utf8_length(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int
num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool
date_ok(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, max;

	if (!all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
	    !all_digits(s + 8, 2))
		return false;
	y = num(s, 4);
	m = num(s + 5, 2);
	d = num(s + 8, 2);
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
		return false;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

static bool
datetime_ok(const char *s)
{
	const char *p;

	if (strlen(s) < 20 || !date_ok(s) || (s[10] != 'T' && s[10] != 't'))
		return false;
	p = s + 11;
	if (!all_digits(p, 2) || p[2] != ':' || !all_digits(p + 3, 2) || p[5] != ':' ||
	    !all_digits(p + 6, 2))
		return false;
	if (num(p, 2) > 23 || num(p + 3, 2) > 59 || num(p + 6, 2) > 60)
		return false;
	p += 8;
	if (*p == '.') {
		const char *q = ++p;

		while (isdigit((unsigned char)*p))
			p++;
		if (p == q || p - q > 9)
			return false;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return true;
	if ((*p == '+' || *p == '-') && all_digits(p + 1, 2) && p[3] == ':' &&
	    all_digits(p + 4, 2) && p[6] == '\0')
		return num(p + 1, 2) <= 23 && num(p + 4, 2) <= 59;
	return false;
}

static bool
email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t len = strlen(s), local;
	const char *d, *label;

	if (at == NULL || strchr(at + 1, '@') != NULL || len > 254)
		return false;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || at[-1] == '.')
		return false;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (!(isalnum(c) || strchr("!#$%&'*+/=?^_`{|}~.-", c) != NULL || c >= 0x80))
			return false;
		if (c == '.' && p[1] == '.')
			return false;
	}
	d = at + 1;
	if (strchr(d, '.') == NULL)
		return false;
	label = d;
	for (const char *p = d;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.' || c == '\0') {
			size_t ll = (size_t)(p - label);

			if (ll == 0 || ll > 63 || *label == '-' || p[-1] == '-')
				return false;
			if (c == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c >= 0x80))
			return false;
	}
	return true;
}

static bool
uuid_ok(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};

	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool want_dash = (i == dash[0] || i == dash[1] || i == dash[2] || i == dash[3]);

		if (want_dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

static bool
postal_code_dk_ok(const char *s)
{
	int n;

	if (strlen(s) != 4 || !all_digits(s, 4))
		return false;
	n = num(s, 4);
	return n >= 800 && n <= 9990;
}

static bool
url_ok(const char *s)
{
	const char *host;

	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return false;
	if (*host == '\0' || *host == '/' || *host == '.' || strlen(s) > 2048)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '<' ||
		    *p == '>' || *p == '\\')
			return false;
	return true;
}

static bool
cvr_ok(const char *s)
{
	static const int weights[] = {2, 7, 6, 5, 4, 3, 2, 1};
	int sum = 0;

	if (strlen(s) != 8 || !all_digits(s, 8) || s[0] == '0')
		return false;
	for (int i = 0; i < 8; i++)
		sum += (s[i] - '0') * weights[i];
	return sum % 11 == 0;
}

static bool
slug_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static bool
origin_ok(const char *s)
{
	const char *host, *colon;

	if (!url_ok(s))
		return false;
	host = strstr(s, "://") + 3;
	if (strpbrk(host, "/?#@") != NULL)
		return false;
	colon = strchr(host, ':');
	if (colon != NULL) {
		size_t n = strlen(colon + 1);

		if (n == 0 || n > 5 || !all_digits(colon + 1, n))
			return false;
	}
	return true;
}

/* A keyset cursor as the lists make them: "<RFC 3339 time>_<uuid>". */
static bool
keyset_ok(const char *s)
{
	const char *sep = strrchr(s, '_');
	char ts[40];

	if (sep == NULL || (size_t)(sep - s) >= sizeof(ts) || !uuid_ok(sep + 1))
		return false;
	memcpy(ts, s, (size_t)(sep - s));
	ts[sep - s] = '\0';
	return datetime_ok(ts);
}

bool
spec_format_ok(enum spec_format format, const char *s)
{
	switch (format) {
	case SPEC_FMT_NONE:
		return true;
	case SPEC_FMT_DATE:
		return strlen(s) == 10 && date_ok(s);
	case SPEC_FMT_DATETIME:
		return datetime_ok(s);
	case SPEC_FMT_EMAIL:
		return email_ok(s);
	case SPEC_FMT_UUID:
		return uuid_ok(s);
	case SPEC_FMT_POSTAL_CODE_DK:
		return postal_code_dk_ok(s);
	case SPEC_FMT_URL:
		return url_ok(s);
	case SPEC_FMT_CVR:
		return cvr_ok(s);
	case SPEC_FMT_SLUG:
		return slug_ok(s);
	case SPEC_FMT_ORIGIN:
		return origin_ok(s);
	case SPEC_FMT_KEYSET:
		return keyset_ok(s);
	}
	return false;
}

static const char *
format_name(enum spec_format format)
{
	switch (format) {
	case SPEC_FMT_DATE:
		return "a date (YYYY-MM-DD)";
	case SPEC_FMT_DATETIME:
		return "an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SSZ)";
	case SPEC_FMT_EMAIL:
		return "an e-mail address";
	case SPEC_FMT_UUID:
		return "a UUID";
	case SPEC_FMT_POSTAL_CODE_DK:
		return "a Danish postal code (four digits)";
	case SPEC_FMT_URL:
		return "an http or https URL";
	case SPEC_FMT_CVR:
		return "a CVR number (eight digits with a valid check digit)";
	case SPEC_FMT_SLUG:
		return "lower-case letters, digits and inner hyphens";
	case SPEC_FMT_ORIGIN:
		return "a web origin such as https://odense.socialkompas.dk (no path)";
	case SPEC_FMT_KEYSET:
		return "a cursor from a next link";
	case SPEC_FMT_NONE:
		break;
	}
	return "the required format";
}

static const char *
type_name(enum spec_type t)
{
	switch (t) {
	case SPEC_STRING:
		return "a string";
	case SPEC_INTEGER:
		return "an integer";
	case SPEC_NUMBER:
		return "a number";
	case SPEC_BOOLEAN:
		return "a boolean";
	case SPEC_ARRAY:
		return "an array";
	case SPEC_OBJECT:
		return "an object";
	}
	return "a value";
}

static size_t fail(json_t *problem, const char *path, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t
fail(json_t *problem, const char *path, enum err_code code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	problem_add_field_error(problem, path, code, msg);
	return 1;
}

static bool
has_bounds(const struct spec_field *f)
{
	return f->min != 0 || f->max != 0;
}

static size_t
validate_string(const struct spec_field *f, const json_t *v, const char *path, json_t *problem)
{
	const char *s = json_string_value(v);
	size_t bytes = json_string_length(v);
	size_t chars = spec_utf8_length(s, bytes);

	for (size_t i = 0; i < bytes; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 &&
		     !((f->flags & SPEC_MULTILINE) && (c == '\n' || c == '\t' || c == '\r'))) ||
		    c == 0x7F)
			return fail(problem, path, ERR_FIELD_FORMAT,
			            "must not contain control characters");
	}
	if (has_bounds(f) && (long long)chars < f->min)
		return fail(problem, path, ERR_FIELD_TOO_SHORT,
		            "must be at least %lld characters long", f->min);
	if (has_bounds(f) && (long long)chars > f->max)
		return fail(problem, path, ERR_FIELD_TOO_LONG,
		            "must be at most %lld characters long", f->max);
	if (f->enum_values != NULL) {
		struct buf allowed;
		size_t n;

		for (const char *const *e = f->enum_values; *e; e++)
			if (strcmp(*e, s) == 0)
				return 0;
		buf_init(&allowed);
		for (const char *const *e = f->enum_values; *e; e++) {
			buf_append_str(&allowed, e == f->enum_values ? "" : ", ");
			buf_append_str(&allowed, *e);
		}
		n = fail(problem, path, ERR_FIELD_NOT_IN_ENUM, "must be one of: %.200s",
		         allowed.data);
		buf_cleanup(&allowed);
		return n;
	}
	if (!spec_format_ok(f->format, s))
		return fail(problem, path, ERR_FIELD_FORMAT, "must be %s", format_name(f->format));
	return 0;
}

static size_t
validate_number(const struct spec_field *f, const json_t *v, const char *path, json_t *problem)
{
	double d = json_number_value(v);

	if (!has_bounds(f))
		return 0;
	/* Compare integers exactly: a double cannot hold every long long. */
	if (json_is_integer(v)) {
		long long n = json_integer_value(v);

		if (n < f->min)
			return fail(problem, path, ERR_FIELD_TOO_SMALL, "must be at least %lld",
			            f->min);
		if (n > f->max)
			return fail(problem, path, ERR_FIELD_TOO_LARGE, "must be at most %lld",
			            f->max);
		return 0;
	}
	if (d < (double)f->min)
		return fail(problem, path, ERR_FIELD_TOO_SMALL, "must be at least %lld", f->min);
	if (d > (double)f->max)
		return fail(problem, path, ERR_FIELD_TOO_LARGE, "must be at most %lld", f->max);
	return 0;
}

static size_t
validate_array(const struct spec_field *f, const json_t *v, const char *path, json_t *problem)
{
	size_t n = json_array_size(v), errors = 0;

	if (has_bounds(f) && (long long)n < f->min)
		return fail(problem, path, ERR_FIELD_TOO_SHORT, "must have at least %lld items",
		            f->min);
	if (has_bounds(f) && (long long)n > f->max)
		return fail(problem, path, ERR_FIELD_TOO_MANY_ITEMS, "must have at most %lld items",
		            f->max);
	for (size_t i = 0; i < n; i++) {
		const json_t *item = json_array_get(v, i);
		char ipath[256];

		snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
		if (f->items != NULL)
			errors += validate_value(f->items, item, ipath, problem);
		if ((f->flags & SPEC_UNIQUE) != 0) {
			for (size_t j = 0; j < i; j++) {
				if (json_equal((json_t *)item, json_array_get(v, j))) {
					errors += fail(problem, ipath, ERR_FIELD_DUPLICATE_ITEM,
					               "repeats item %zu", j);
					break;
				}
			}
		}
	}
	return errors;
}

static bool
type_matches(enum spec_type t, const json_t *v)
{
	switch (t) {
	case SPEC_STRING:
		return json_is_string(v);
	case SPEC_INTEGER:
		return json_is_integer(v);
	case SPEC_NUMBER:
		return json_is_number(v);
	case SPEC_BOOLEAN:
		return json_is_boolean(v);
	case SPEC_ARRAY:
		return json_is_array(v);
	case SPEC_OBJECT:
		return json_is_object(v);
	}
	return false;
}

static size_t
validate_value(const struct spec_field *f, const json_t *v, const char *path, json_t *problem)
{
	if (json_is_null(v)) {
		if (f->flags & SPEC_NULLABLE)
			return 0;
		return fail(problem, path, ERR_FIELD_TYPE, "must be %s, not null",
		            type_name(f->type));
	}
	if (!type_matches(f->type, v))
		return fail(problem, path, ERR_FIELD_TYPE, "must be %s", type_name(f->type));
	switch (f->type) {
	case SPEC_STRING:
		return validate_string(f, v, path, problem);
	case SPEC_INTEGER:
	case SPEC_NUMBER:
		return validate_number(f, v, path, problem);
	case SPEC_ARRAY:
		return validate_array(f, v, path, problem);
	case SPEC_OBJECT:
		return f->fields ? spec_validate_object(f->fields, v, path, problem) : 0;
	case SPEC_BOOLEAN:
		break;
	}
	return 0;
}

static void
join_path(char *out, size_t outlen, const char *prefix, const char *name)
{
	if (prefix == NULL || *prefix == '\0')
		snprintf(out, outlen, "%s", name);
	else
		snprintf(out, outlen, "%s.%s", prefix, name);
}

size_t
spec_validate_object(const struct spec_field *spec, const json_t *obj, const char *prefix,
                     json_t *problem)
{
	const char *key;
	json_t *value;
	size_t errors = 0;

	if (!json_is_object(obj))
		return fail(problem, prefix && *prefix ? prefix : "$", ERR_FIELD_TYPE,
		            "must be an object");
	for (const struct spec_field *f = spec; f->name != NULL; f++) {
		const json_t *v = json_object_get(obj, f->name);
		char path[256];

		join_path(path, sizeof(path), prefix, f->name);
		if (v == NULL) {
			if (f->flags & SPEC_REQUIRED)
				errors += fail(problem, path, ERR_FIELD_REQUIRED, "is required");
			continue;
		}
		errors += validate_value(f, v, path, problem);
	}
	json_object_foreach((json_t *)obj, key, value)
	{
		const struct spec_field *f;
		char path[256];

		for (f = spec; f->name != NULL; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (f->name != NULL)
			continue;
		/* Unknown names are echoed back, so cut them to a sane length. */
		snprintf(path, sizeof(path), "%s%s%.64s", prefix && *prefix ? prefix : "",
		         prefix && *prefix ? "." : "", key);
		errors += fail(problem, path, ERR_FIELD_UNKNOWN, "is not a known field");
	}
	return errors;
}

/* Convert one query string to the JSON type of f; NULL when impossible. */
static json_t *
query_value(const struct spec_field *f, const char *s)
{
	char *end;

	switch (f->type) {
	case SPEC_STRING:
		return json_string(s);
	case SPEC_INTEGER: {
		long long n;

		if (*s == '\0' || isspace((unsigned char)*s))
			return NULL;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno != 0 || *end != '\0')
			return NULL;
		return json_integer(n);
	}
	case SPEC_NUMBER: {
		double d;

		if (*s == '\0' || isspace((unsigned char)*s))
			return NULL;
		errno = 0;
		d = strtod(s, &end);
		if (errno != 0 || *end != '\0' || d != d)
			return NULL;
		return json_real(d);
	}
	case SPEC_BOOLEAN:
		if (strcmp(s, "true") == 0)
			return json_true();
		if (strcmp(s, "false") == 0)
			return json_false();
		return NULL;
	case SPEC_ARRAY: {
		json_t *arr = json_array();
		const char *p = s;

		if (*s == '\0')
			return arr;
		for (;;) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			char *item = strndup(p, len);
			json_t *v;

			if (item == NULL)
				abort();
			v = f->items ? query_value(f->items, item) : json_string(item);
			free(item);
			if (v == NULL) {
				json_decref(arr);
				return NULL;
			}
			json_array_append_new(arr, v);
			if (comma == NULL)
				break;
			p = comma + 1;
		}
		return arr;
	}
	case SPEC_OBJECT:
		break;
	}
	return NULL;
}

json_t *
spec_parse_query(const struct spec_field *spec, const json_t *strings, json_t *problem)
{
	json_t *typed = json_object();
	size_t errors = 0;
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)strings, key, value)
	{
		const struct spec_field *f;
		json_t *v;

		for (f = spec; f->name != NULL; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (f->name == NULL) {
			char path[80];

			snprintf(path, sizeof(path), "%.64s", key);
			errors += fail(problem, path, ERR_FIELD_UNKNOWN,
			               "is not a known query parameter");
			continue;
		}
		v = query_value(f, json_string_value(value));
		if (v == NULL) {
			errors += fail(problem, key, ERR_FIELD_TYPE, "must be %s",
			               f->type == SPEC_ARRAY ? "a comma-separated list"
			                                     : type_name(f->type));
			continue;
		}
		json_object_set_new(typed, key, v);
	}
	/* Validate the converted values field by field, so that a parameter
	 * that could not be converted does not hide the other errors and is
	 * not reported a second time as missing. Unknown names are reported
	 * above and never reach typed. */
	for (const struct spec_field *f = spec; f->name != NULL; f++) {
		const json_t *v = json_object_get(typed, f->name);

		if (v != NULL)
			errors += validate_value(f, v, f->name, problem);
		else if (json_object_get(strings, f->name) == NULL && (f->flags & SPEC_REQUIRED))
			errors += fail(problem, f->name, ERR_FIELD_REQUIRED, "is required");
	}
	if (errors > 0) {
		json_decref(typed);
		return NULL;
	}
	return typed;
}

size_t
spec_query_add(json_t *strings, json_t *problem, const char *key, const char *value)
{
	char path[80];

	if (json_object_get(strings, key) != NULL) {
		snprintf(path, sizeof(path), "%.64s", key);
		problem_add_field_error(problem, path, ERR_FIELD_REPEATED,
		                        "must be given at most once");
		return 1;
	}
	/* Parameter values are client text: reject what is not UTF-8 here so
	 * jansson never sees it. */
	if (json_object_set_new(strings, key, json_string(value ? value : "")) != 0) {
		problem_add_field_error(problem, "query", ERR_FIELD_FORMAT,
		                        "query parameters must be UTF-8 text");
		return 1;
	}
	return 0;
}

bool
spec_has_required(const struct spec_field *spec)
{
	for (const struct spec_field *f = spec; f != NULL && f->name != NULL; f++)
		if (f->flags & SPEC_REQUIRED)
			return true;
	return false;
}
