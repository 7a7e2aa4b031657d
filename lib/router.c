/* router.c - linear route matching over a static table.
 *
 * A linear scan over a few dozen routes costs less than a request's first
 * syscall; it keeps the table the single readable place where routes live. */
#include "router.h"

#include <stdio.h>
#include <string.h>

/* Match one pattern against path, collecting parameters into m. With rest
 * set, a parameter that ends the pattern takes the rest of the path. Returns
 * 1 on a match, 0 otherwise (m's parameters are then unspecified). */
static int
pattern_match(const char *pat, const char *path, int rest, struct router_match *m)
{
	m->nparams = 0;
	while (*pat != '\0' && *path != '\0') {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			size_t nlen = (size_t)(close - pat - 1);
			size_t vlen = rest && close[1] == '\0' ? strlen(path) : strcspn(path, "/");

			if (vlen == 0 || vlen > ROUTER_MAX_PARAM_LEN ||
			    m->nparams >= ROUTER_MAX_PARAMS)
				return 0;
			memcpy(m->params[m->nparams].name, pat + 1, nlen);
			m->params[m->nparams].name[nlen] = '\0';
			memcpy(m->params[m->nparams].value, path, vlen);
			m->params[m->nparams].value[vlen] = '\0';
			m->nparams++;
			pat = close + 1;
			path += vlen;
			continue;
		}
		if (*pat != *path)
			return 0;
		pat++;
		path++;
	}
	return *pat == '\0' && *path == '\0';
}

static void
allow_add(char *allow, size_t len, const char *method)
{
	char token[16];

	snprintf(token, sizeof(token), "%s", method);
	/* avoid listing a method twice */
	for (const char *p = allow; (p = strstr(p, token)) != NULL; p += strlen(token)) {
		size_t tl = strlen(token);

		if ((p == allow || p[-1] == ' ') && (p[tl] == ',' || p[tl] == '\0'))
			return;
	}
	if (*allow != '\0')
		strncat(allow, ", ", len - strlen(allow) - 1);
	strncat(allow, token, len - strlen(allow) - 1);
}

enum router_result
router_match(const struct route *routes, size_t n, const char *method, const char *path,
             struct router_match *m)
{
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	struct router_match scratch;
	int path_known = 0;

	m->route = NULL;
	m->allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!pattern_match(routes[i].pattern, path,
		                   (routes[i].flags & ROUTE_REST_PARAM) != 0, &scratch))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, want) == 0) {
			*m = scratch;
			m->route = &routes[i];
			m->index = i;
			m->allow[0] = '\0';
			return ROUTER_FOUND;
		}
	}
	if (!path_known)
		return ROUTER_NOT_FOUND;
	for (size_t i = 0; i < n; i++) {
		if (!pattern_match(routes[i].pattern, path,
		                   (routes[i].flags & ROUTE_REST_PARAM) != 0, &scratch))
			continue;
		allow_add(m->allow, sizeof(m->allow), routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			allow_add(m->allow, sizeof(m->allow), "HEAD");
	}
	return ROUTER_METHOD_NOT_ALLOWED;
}

/* The next segment of a pattern at *p (after its '/'): its start and
 * length; *p moves past it. */
static size_t
next_segment(const char **p, const char **seg)
{
	const char *end;

	if (**p == '/')
		(*p)++;
	*seg = *p;
	end = strchr(*p, '/');
	if (end == NULL)
		end = *p + strlen(*p);
	*p = end;
	return (size_t)(end - *seg);
}

/* Does route a match every path that pattern b matches (so that b, after
 * a in a table, could never be reached)? A parameter covers anything, a
 * literal only itself; a final rest parameter covers the rest. */
static int
route_covers(const struct route *a, const char *b)
{
	const char *pa = a->pattern, *pb = b, *sa, *sb;

	for (;;) {
		if (*pa == '\0' || *pb == '\0')
			return *pa == '\0' && *pb == '\0';
		size_t la = next_segment(&pa, &sa), lb = next_segment(&pb, &sb);
		int param_a = la > 0 && sa[0] == '{', param_b = lb > 0 && sb[0] == '{';

		if (param_a && *pa == '\0' && (a->flags & ROUTE_REST_PARAM))
			return 1;
		if (param_b ? !param_a : !(param_a || (la == lb && memcmp(sa, sb, la) == 0)))
			return 0;
	}
}

/* Do the declared params ("id=request training_id=volunteer_training")
 * name exactly the parameters of pattern, in order, each with a non-empty
 * what? */
static int
params_declared(const char *pattern, const char *params)
{
	const char *p = pattern, *d = params;

	while ((p = strchr(p, '{')) != NULL) {
		const char *close = strchr(p, '}');
		size_t len = (size_t)(close - p - 1);

		if (d == NULL || strncmp(d, p + 1, len) != 0 || d[len] != '=')
			return 0;
		d += len + 1;
		if (*d == '\0' || *d == ' ')
			return 0;
		while (*d != '\0' && *d != ' ')
			d++;
		if (*d == ' ' && *++d == '\0')
			return 0;
		p = close;
	}
	return d == NULL || *d == '\0';
}

int
router_check_table(const struct route *routes, size_t n, char *why, size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = routes[i].pattern;
		unsigned nparams = 0;

		if (p == NULL || p[0] != '/' || routes[i].handler == NULL ||
		    routes[i].method == NULL) {
			snprintf(why, whylen, "route %zu: incomplete or pattern not absolute", i);
			return -1;
		}
		for (; *p; p++) {
			if (*p == '}') {
				snprintf(why, whylen, "%s: unbalanced '}'", routes[i].pattern);
				return -1;
			}
			if (*p == '{') {
				const char *close = strchr(p, '}');

				if (close == NULL || close == p + 1 || close - p - 1 > 31 ||
				    p[-1] != '/' || (close[1] != '/' && close[1] != '\0') ||
				    memchr(p + 1, '{', (size_t)(close - p - 1)) != NULL) {
					snprintf(why, whylen, "%s: malformed parameter",
					         routes[i].pattern);
					return -1;
				}
				if (++nparams > ROUTER_MAX_PARAMS) {
					snprintf(why, whylen, "%s: more than %d parameters",
					         routes[i].pattern, ROUTER_MAX_PARAMS);
					return -1;
				}
				p = close;
			}
		}
		if ((routes[i].flags & ROUTE_REST_PARAM) &&
		    (p == routes[i].pattern || p[-1] != '}')) {
			snprintf(why, whylen, "%s: ROUTE_REST_PARAM needs a final parameter",
			         routes[i].pattern);
			return -1;
		}
		if (!params_declared(routes[i].pattern, routes[i].params)) {
			snprintf(why, whylen,
			         "%s %s: params must name each parameter, as name=what",
			         routes[i].method, routes[i].pattern);
			return -1;
		}
		if (routes[i].roles != 0 && (routes[i].flags & ROUTE_NEEDS_DB) == 0) {
			snprintf(why, whylen, "%s %s: a route with roles needs ROUTE_NEEDS_DB",
			         routes[i].method, routes[i].pattern);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(routes[i].method, routes[j].method) == 0 &&
			    strcmp(routes[i].pattern, routes[j].pattern) == 0) {
				snprintf(why, whylen, "%s %s appears twice", routes[i].method,
				         routes[i].pattern);
				return -1;
			}
			if (strcmp(routes[i].method, routes[j].method) == 0 &&
			    route_covers(&routes[j], routes[i].pattern)) {
				snprintf(why, whylen, "%s %s is never reached: %s comes first",
				         routes[i].method, routes[i].pattern, routes[j].pattern);
				return -1;
			}
		}
	}
	return 0;
}

size_t
router_param_what(const struct route *r, unsigned i, const char **what)
{
	const char *d = r->params;

	for (unsigned k = 0; d != NULL && *d != '\0'; k++) {
		const char *eq = strchr(d, '='), *end;

		if (eq == NULL)
			return 0;
		end = strchr(eq, ' ');
		if (end == NULL)
			end = eq + strlen(eq);
		if (k == i) {
			*what = eq + 1;
			return (size_t)(end - eq - 1);
		}
		d = *end == ' ' ? end + 1 : end;
	}
	return 0;
}

const char *
router_param(const struct router_match *m, const char *name)
{
	for (unsigned i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return NULL;
}
