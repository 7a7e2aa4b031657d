/* mem.h - allocation that never returns NULL.
 *
 * Out of memory is not a condition kompasd can answer sensibly, so these
 * wrappers abort the process instead of returning NULL; call sites stay
 * free of error paths for allocation (the Kore convention). */
#ifndef KOMPAS_MEM_H
#define KOMPAS_MEM_H

#include <stddef.h>

/* Allocate n bytes. Never returns NULL; aborts when memory is exhausted.
 * The caller owns the result and frees it with free(). */
void *xmalloc(size_t n);

/* Allocate a zeroed array of nmemb elements of size bytes each. Aborts on
 * overflow or exhaustion; the caller frees the result with free(). */
void *xcalloc(size_t nmemb, size_t size);

/* Resize p to n bytes (p may be NULL). Aborts on exhaustion; on success the
 * old pointer must no longer be used. */
void *xrealloc(void *p, size_t n);

/* Duplicate the NUL-terminated string s. Aborts on exhaustion. */
char *xstrdup(const char *s);

/* Duplicate at most n bytes of s and NUL-terminate. Aborts on exhaustion. */
char *xstrndup(const char *s, size_t n);

#endif
