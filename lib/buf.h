/* buf.h - a growable byte buffer. */
#ifndef KOMPAS_BUF_H
#define KOMPAS_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* always NUL-terminated when cap > 0 */
	size_t len;
	size_t cap;
};

/* Prepare an empty buffer on the stack or inside another struct. Cannot fail;
 * no memory is allocated until the first append. */
void buf_init(struct buf *b);

/* Release the memory held by b and make it empty again. Safe on an empty or
 * already cleaned buffer. */
void buf_cleanup(struct buf *b);

/* Append n bytes from p. Aborts on out-of-memory (never fails otherwise). */
void buf_append(struct buf *b, const void *p, size_t n);

/* Append the NUL-terminated string s. */
void buf_append_str(struct buf *b, const char *s);

/* Append printf-formatted text. */
void buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append s (n bytes) as a JSON string literal including the quotes, escaping
 * quotes, backslashes and control characters. Invalid UTF-8 is copied as is:
 * callers pass text that has been validated or produced by the server. */
void buf_append_json_string(struct buf *b, const char *s, size_t n);

/* Forget the content but keep the memory for reuse. */
void buf_reset(struct buf *b);

/* Hand the buffer's memory to the caller (who frees it with free()) and leave
 * b empty. Returns an empty allocated string when nothing was appended. */
char *buf_steal(struct buf *b, size_t *len);

#endif
