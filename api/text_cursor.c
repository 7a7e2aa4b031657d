/* text_cursor.c - "<base64url(text)>.<uuid>" list cursors (text_cursor.h). */
#include "text_cursor.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "../lib/buf.h"
#include "../lib/mem.h"
#include "../lib/row.h"
#include "../lib/spec.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* How many columns c names (the id last). */
static int
column_count(const struct list_cursor *c)
{
	int n = 0;

	while (n < LIST_CURSOR_PARTS && c->columns[n] != NULL)
		n++;
	return n;
}

bool
text_cursor_encode_row(const struct list_cursor *c, const PGresult *res, int row, char *out,
                       size_t outlen)
{
	int n = column_count(c);
	const char *id = row_value(res, row, c->columns[n - 1]);
	struct buf text;
	size_t b64;
	bool ok;

	buf_init(&text);
	for (int i = 0; i < n - 1; i++) {
		if (i > 0)
			buf_append(&text, "/", 1);
		buf_append_str(&text, row_value(res, row, c->columns[i]));
	}
	b64 = sodium_base64_ENCODED_LEN(text.len, B64);
	ok = strlen(id) == 36 && b64 + 37 <= outlen;
	if (ok) {
		sodium_bin2base64(out, b64, (const unsigned char *)(text.len ? text.data : ""),
		                  text.len, B64);
		strcat(out, ".");
		strcat(out, id);
	}
	buf_cleanup(&text);
	return ok;
}

/* The text of cursor (a new string) and its id (37 bytes); NULL when the
 * cursor is not one of ours (its text not UTF-8, with strict empty). */
static char *
decode_text(const char *cursor, bool strict, char id[37])
{
	const char *dot = strrchr(cursor, '.');
	size_t enc, len = 0;
	json_t *utf8;
	char *text;

	if (dot == NULL || strlen(dot + 1) != 36 || !spec_format_ok(SPEC_FMT_UUID, dot + 1))
		return NULL;
	enc = (size_t)(dot - cursor);
	text = xmalloc(enc + 1);
	if (sodium_base642bin((unsigned char *)text, enc, cursor, enc, NULL, &len, NULL, B64) !=
	        0 ||
	    memchr(text, '\0', len) != NULL || (strict && len == 0))
		goto bad;
	text[len] = '\0';
	if ((utf8 = json_stringn(text, len)) == NULL) /* NULL unless valid UTF-8 */
		goto bad;
	json_decref(utf8);
	memcpy(id, dot + 1, 37);
	return text;
bad:
	free(text);
	return NULL;
}

bool
text_cursor_decode_parts(const struct list_cursor *c, const char *cursor,
                         struct list_cursor_parts *parts)
{
	int n = column_count(c);
	char id[37], *text = decode_text(cursor, (c->flags & TEXT_CURSOR_STRICT) != 0, id), *s;

	if (text == NULL)
		return false;
	s = text;
	for (int i = 0; i < n - 2; i++) {
		char *slash = strchr(s, '/');

		if (slash == NULL) {
			for (int j = 0; j < i; j++) {
				free(parts->part[j]);
				parts->part[j] = NULL;
			}
			free(text);
			return false;
		}
		parts->part[i] = xstrndup(s, (size_t)(slash - s));
		s = slash + 1;
	}
	parts->part[n - 2] = xstrdup(s);
	parts->part[n - 1] = xstrdup(id);
	free(text);
	return true;
}
