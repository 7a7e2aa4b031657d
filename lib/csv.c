/* csv.c - writing CSV (RFC 4180). */
#include "csv.h"

#include <string.h>

void
csv_field(struct buf *b, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		buf_append_str(b, s);
		return;
	}
	buf_append_str(b, "\"");
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			buf_append_str(b, "\"");
		buf_append(b, p, 1);
	}
	buf_append_str(b, "\"");
}

void
csv_record(struct buf *b, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_append_str(b, ",");
		csv_field(b, fields[i] != NULL ? fields[i] : "");
	}
	buf_append_str(b, "\r\n");
}
