/* static.c - GET /app/...: the web client's files from [paths] web_root.
 *
 * The rules that keep this safe (no "..", no dot-files, no symlinks, only
 * regular files of known types) live in lib/static.c; this file adds the
 * HTTP side: 308 for /app, index.html for /app/, ETag and If-None-Match,
 * Cache-Control and the client's Content-Security-Policy. */
#include "../app.h"
#include "../routes.h"

#include <string.h>

#include "../../lib/http.h"
#include "../../lib/static.h"

/* The client runs only its own scripts and styles: no inline code at all. */
#define CLIENT_CSP                                                                                 \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

static bool
web_enabled(struct http_request *rq)
{
	if (app.cfg != NULL && app.cfg->web_root != NULL && app.cfg->web_root[0] != '\0')
		return true;
	http_reply_problem(rq, ERR_ROUTE_NOT_FOUND, "The web client is not served here.");
	return false;
}

/* Answer rel (relative to the web root) with its contents, or 304/400/404. */
static void
serve(struct http_request *rq, const char *rel)
{
	struct static_file f;
	const char *type;
	int rc;

	switch (static_path_check(rel)) {
	case STATIC_OK:
		break;
	case STATIC_MALFORMED:
		http_reply_problem(rq, ERR_BAD_REQUEST, "The file path is not acceptable.");
		return;
	case STATIC_HIDDEN:
		http_reply_problem(rq, ERR_NOT_FOUND, "There is no such file.");
		return;
	}
	type = static_content_type(rel);
	if (type == NULL) {
		http_reply_problem(rq, ERR_NOT_FOUND, "There is no such file.");
		return;
	}
	rc = static_file_read(app.cfg->web_root, rel, &f);
	if (rc == -1) {
		http_reply_problem(rq, ERR_NOT_FOUND, "There is no such file.");
		return;
	}
	if (rc != 0) {
		http_reply_problem(rq, ERR_INTERNAL, NULL);
		return;
	}
	if (static_etag_matches(http_header(rq, "If-None-Match"), f.etag))
		http_reply_data(rq, 304, NULL, "", 0, false);
	else
		http_reply_data(rq, 200, type, f.data, f.len, true);
	http_set_header(rq, "ETag", f.etag);
	http_set_header(rq, "Cache-Control",
	                strncmp(type, "text/html", 9) == 0 ? "no-cache" : "public, max-age=300");
	http_set_header(rq, "Content-Security-Policy", CLIENT_CSP);
	static_file_free(&f);
}

/* GET /app: the client lives at /app/ (relative links need the slash). */
static void
static_app_redirect(struct http_request *rq)
{
	if (!web_enabled(rq))
		return;
	http_reply_data(rq, 308, NULL, "", 0, false);
	http_set_header(rq, "Location", "/app/");
}

/* GET /app/: index.html. */
static void
static_app_index(struct http_request *rq)
{
	if (web_enabled(rq))
		serve(rq, "index.html");
}

/* GET /app/{path}: a file beneath the web root. */
static void
static_app_file(struct http_request *rq)
{
	if (web_enabled(rq))
		serve(rq, http_param(rq, "path"));
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* the web client (clients/web) */
    {"GET", "/app", static_app_redirect, 0, 0, NULL, NULL, NULL},
    {"GET", "/app/", static_app_index, 0, 0, NULL, NULL, NULL},
    {"GET", "/app/{path}", static_app_file, ROUTE_REST_PARAM, 0, NULL, NULL, "path=file"},
};

API_ROUTES(static_routes, routes);
