/* fuzz_router.c - libFuzzer target: router_match over the real route table
 * (api/routes.c). The input is "METHOD path": up to the first space the
 * method, the rest the path (cut at a NUL, as a C string would be).
 *
 * Invariants checked: on a match, the route's method is the one asked (HEAD
 * answered by GET), every parameter is non-empty, at most
 * ROUTER_MAX_PARAM_LEN bytes and holds no '/', and putting the parameters
 * back into the pattern gives the path again; on 405, Allow is not empty;
 * the same call again gives the same answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/app.h"
#include "../../api/routes.h"
#include "../../lib/buf.h"

/* The pattern of m's route with each {name} replaced by its value. */
static void
rebuild(const struct router_match *m, struct buf *out)
{
	const char *pat = m->route->pattern;
	unsigned k = 0;

	while (*pat != '\0') {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			size_t nlen = (size_t)(close - pat - 1);

			if (k >= m->nparams || strlen(m->params[k].name) != nlen ||
			    strncmp(m->params[k].name, pat + 1, nlen) != 0)
				abort();
			buf_append_str(out, m->params[k].value);
			k++;
			pat = close + 1;
			continue;
		}
		buf_append(out, pat, 1);
		pat++;
	}
	if (k != m->nparams)
		abort();
}

static void
check_found(const struct router_match *m, const char *method, const char *path)
{
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	struct buf b;

	if (m->route == NULL || strcmp(m->route->method, want) != 0 ||
	    m->route != &api_routes[m->index])
		abort();
	for (unsigned i = 0; i < m->nparams; i++) {
		const char *v = m->params[i].value;

		if (*v == '\0' || strlen(v) > ROUTER_MAX_PARAM_LEN || strchr(v, '/') != NULL ||
		    router_param(m, m->params[i].name) == NULL)
			abort();
	}
	buf_init(&b);
	rebuild(m, &b);
	if (strcmp(b.data != NULL ? b.data : "", path) != 0)
		abort();
	buf_cleanup(&b);
}

/* libFuzzer's entry point: one input, any bytes. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	struct router_match m, m2;
	enum router_result r, r2;
	const char *method, *path;
	char *sp;

	memcpy(in, data, size);
	in[size] = '\0';
	sp = strchr(in, ' ');
	if (sp != NULL) {
		*sp = '\0';
		method = in;
		path = sp + 1;
	} else {
		method = "GET";
		path = in;
	}
	r = router_match(api_routes, api_nroutes, method, path, &m);
	r2 = router_match(api_routes, api_nroutes, method, path, &m2);
	if (r != r2)
		abort();
	switch (r) {
	case ROUTER_FOUND:
		if (m2.route != m.route)
			abort();
		check_found(&m, method, path);
		break;
	case ROUTER_METHOD_NOT_ALLOWED:
		if (m.allow[0] == '\0' || m.route != NULL || strcmp(m.allow, m2.allow) != 0)
			abort();
		break;
	case ROUTER_NOT_FOUND:
		if (m.route != NULL)
			abort();
		break;
	}
	free(in);
	return 0;
}
