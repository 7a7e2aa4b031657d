/* static.c - reading files beneath a root folder for the /app/ route. */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define MAX_DEPTH 8

static const struct {
	const char *ext;
	const char *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"ico", "image/x-icon"},
    {"json", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
};

enum static_check
static_path_check(const char *rel)
{
	const char *seg = rel;
	unsigned depth = 0;

	if (*rel == '\0')
		return STATIC_MALFORMED;
	for (;;) {
		size_t n = strcspn(seg, "/");

		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return STATIC_MALFORMED;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)seg[i];

			if (c < 0x20 || c == 0x7f || c == '\\' || c == '%')
				return STATIC_MALFORMED;
		}
		if (++depth > MAX_DEPTH)
			return STATIC_MALFORMED;
		if (seg[0] == '.')
			return STATIC_HIDDEN;
		if (seg[n] == '\0')
			return STATIC_OK;
		seg += n + 1;
	}
}

const char *
static_content_type(const char *name)
{
	const char *base = strrchr(name, '/');
	const char *dot;

	base = base ? base + 1 : name;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(dot + 1, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* Open rel beneath the directory dirfd, one component at a time, never
 * following a symlink. Returns a file descriptor or -1 (errno set). */
static int
open_beneath(int dirfd, const char *rel)
{
	char seg[256];
	int fd = dirfd, next;

	for (;;) {
		size_t n = strcspn(rel, "/");
		int last = rel[n] == '\0';

		if (n >= sizeof(seg)) {
			errno = ENAMETOOLONG;
			next = -1;
		} else {
			memcpy(seg, rel, n);
			seg[n] = '\0';
			next = openat(fd, seg,
			              O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			                  (last ? O_NONBLOCK : O_DIRECTORY));
		}
		if (fd != dirfd) {
			int saved = errno;

			close(fd);
			errno = saved;
		}
		if (next < 0 || last)
			return next;
		fd = next;
		rel += n + 1;
	}
}

/* Read exactly len bytes of fd into a new buffer. Returns it, or NULL. */
static char *
read_all(int fd, size_t len)
{
	char *data = xmalloc(len + 1);
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, data + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(data);
			if (r == 0)
				errno = EIO;
			return NULL;
		}
		got += (size_t)r;
	}
	data[len] = '\0';
	return data;
}

int
static_file_read(const char *root, const char *rel, struct static_file *f)
{
	struct stat st;
	int rootfd = -1, fd = -1, rc = -2;

	memset(f, 0, sizeof(*f));
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		goto out;
	fd = open_beneath(rootfd, rel);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR || errno == EACCES ||
		    errno == ENAMETOOLONG)
			rc = -1;
		goto out;
	}
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > STATIC_MAX_FILE) {
		rc = -1;
		goto out;
	}
	f->len = (size_t)st.st_size;
	f->data = read_all(fd, f->len);
	if (f->data == NULL)
		goto out;
	snprintf(f->etag, sizeof(f->etag), "\"%llx-%llx.%lx\"", (unsigned long long)st.st_size,
	         (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rootfd >= 0)
		close(rootfd);
	return rc;
}

void
static_file_free(struct static_file *f)
{
	free(f->data);
	f->data = NULL;
	f->len = 0;
}

int
static_etag_matches(const char *if_none_match, const char *etag)
{
	const char *p = if_none_match;
	size_t n = strlen(etag);

	if (p == NULL)
		return 0;
	while (*p != '\0') {
		size_t len;

		p += strspn(p, " \t,");
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		len = strcspn(p, " \t,");
		if (len == 1 && *p == '*')
			return 1;
		if (len == n && strncmp(p, etag, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}
