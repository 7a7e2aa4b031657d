/* static.h - serving files from one folder, safely.
 *
 * The web client (clients/web) is served by kompasd under /app/. These
 * functions hold the rules that keep that safe and are free of HTTP: which
 * relative paths are acceptable, the content type of a name, and reading a
 * regular file beneath a root without following a symbolic link anywhere on
 * the way. */
#ifndef KOMPAS_STATIC_H
#define KOMPAS_STATIC_H

#include <stddef.h>

/* Largest file served. */
#define STATIC_MAX_FILE (8u << 20)

enum static_check {
	STATIC_OK,        /* a plain relative path */
	STATIC_MALFORMED, /* empty segment, "." or "..", backslash, '%', control byte: 400 */
	STATIC_HIDDEN,    /* a segment naming a dot-file or dot-folder: 404 */
};

/* Judge rel, a path relative to the root ("js/app.js", no leading slash)
 * as decoded from the URL. Cannot fail. */
enum static_check static_path_check(const char *rel);

/* The Content-Type for a file name by its extension (case-insensitive), or
 * NULL when the extension is not one kompasd serves. Static string. */
const char *static_content_type(const char *name);

struct static_file {
	char *data; /* malloc'd contents */
	size_t len;
	char etag[64]; /* "size-mtime" in quotes, a strong validator */
};

/* Read rel (which must pass static_path_check) beneath the folder root.
 * Every component is opened with O_NOFOLLOW relative to the previous one, so
 * a symbolic link (even one pointing inside) is never followed; only a
 * regular file is read. Returns 0 with f filled (free with
 * static_file_free), -1 when there is no such regular file (or a symlink,
 * or larger than STATIC_MAX_FILE), -2 on another error (errno set). */
int static_file_read(const char *root, const char *rel, struct static_file *f);

/* Free what static_file_read filled in; f may be zeroed. */
void static_file_free(struct static_file *f);

/* Does an If-None-Match header value (NULL when absent) match etag? True
 * for "*" and for a list containing etag, with or without the W/ prefix. */
int static_etag_matches(const char *if_none_match, const char *etag);

#endif
