/* db_value.c - parameters and columns in PostgreSQL's text format (bytea,
 * UUID arrays, text and booleans as JSON): the helpers of db.h that need no
 * connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "mem.h"

json_t *
db_json_text(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	return json_string(PQgetvalue(res, row, col));
}

json_t *
db_json_bool(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return json_null();
	return json_boolean(PQgetvalue(res, row, col)[0] == 't');
}

char *
db_bytea_param(const void *data, size_t len)
{
	char *out = xmalloc(2 * len + 3);

	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 2 * len + 1, data, len);
	return out;
}

unsigned char *
db_bytea_value(const PGresult *res, int row, int col, size_t *len)
{
	const char *v;
	unsigned char *out;
	size_t hexlen, binlen = 0;

	if (PQgetisnull(res, row, col))
		return NULL;
	v = PQgetvalue(res, row, col);
	if (strncmp(v, "\\x", 2) != 0)
		return NULL;
	hexlen = strlen(v + 2);
	out = xmalloc(hexlen / 2 + 1);
	if (sodium_hex2bin(out, hexlen / 2 + 1, v + 2, hexlen, NULL, &binlen, NULL) != 0) {
		free(out);
		return NULL;
	}
	*len = binlen;
	return out;
}

char *
db_uuid_array_param(const json_t *a)
{
	size_t n = json_array_size(a);
	char *out = xmalloc(n * 38 + 3), *w = out;

	*w++ = '{';
	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(json_array_get(a, i));

		if (i > 0)
			*w++ = ',';
		w += snprintf(w, 37, "%s", v ? v : "");
	}
	*w++ = '}';
	*w = '\0';
	return out;
}
