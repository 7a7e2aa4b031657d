/* path_params.c - the formats and 404 texts of declared path parameters
 * (path_params.h). */
#include <stdio.h>
#include <string.h>

#include "../../lib/errors.h"
#include "../../lib/spec.h"
#include "path_params.h"

struct path_param_kind {
	const char *what;      /* as routes declare it: "request" */
	enum spec_format fmt;  /* the value's format; SPEC_FMT_NONE: the handler checks it */
	const char *not_found; /* the detail of the 404 for a malformed value */
	/* a malformed value of any parameter of a route that has this one
	 * answers this one's text (the route names one thing: a sign-up of
	 * this event) */
	bool whole_route;
};

static const struct path_param_kind kinds[] = {
    {"account", SPEC_FMT_UUID, "No account has this id.", false},
    {"api_key", SPEC_FMT_UUID, "No key has this id.", false},
    {"association", SPEC_FMT_UUID, "No association has this id.", false},
    {"calendar_token", SPEC_FMT_NONE, NULL, false},
    {"category", SPEC_FMT_UUID, "No category has this id.", false},
    {"centre", SPEC_FMT_UUID, "No centre has this id.", false},
    {"course", SPEC_FMT_UUID, "No course has this id.", false},
    {"event", SPEC_FMT_UUID, "No event has this id.", false},
    {"event_series", SPEC_FMT_UUID, "No event series has this id.", false},
    {"event_signup", SPEC_FMT_UUID, "No sign-up of this event has this id.", true},
    {"file", SPEC_FMT_NONE, NULL, false},
    {"referral", SPEC_FMT_UUID, "No referral has this id.", false},
    {"request", SPEC_FMT_UUID, "No request has this id.", false},
    {"volunteer", SPEC_FMT_UUID, "No volunteer has this id.", false},
    /* checked by the handler once the volunteer is found (a volunteer that
     * is not visible answers first) */
    {"volunteer_record_check", SPEC_FMT_NONE, NULL, false},
    {"volunteer_training", SPEC_FMT_NONE, NULL, false},
    {"webhook_endpoint", SPEC_FMT_UUID, "No webhook has this id.", false},
    {"webhook_event", SPEC_FMT_UUID, "No webhook event has this id.", false},
};

static const struct path_param_kind *
kind_of(const char *what, size_t len)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].what) == len && memcmp(kinds[i].what, what, len) == 0)
			return &kinds[i];
	return NULL;
}

/* The kind of r's i-th parameter, or NULL past its last. */
static const struct path_param_kind *
kind_at(const struct route *r, unsigned i)
{
	const char *what;
	size_t len = router_param_what(r, i, &what);

	return len == 0 ? NULL : kind_of(what, len);
}

bool
path_params_ok(struct http_request *rq)
{
	const struct route *r = rq->match.route;
	const struct path_param_kind *bad = NULL, *k;

	for (unsigned i = 0; i < rq->match.nparams && (k = kind_at(r, i)) != NULL; i++)
		if (bad == NULL && k->fmt != SPEC_FMT_NONE &&
		    !spec_format_ok(k->fmt, rq->match.params[i].value))
			bad = k;
	if (bad == NULL)
		return true;
	for (unsigned i = 0; i < rq->match.nparams && (k = kind_at(r, i)) != NULL; i++)
		if (k->whole_route)
			bad = k;
	http_reply_problem(rq, ERR_NOT_FOUND, bad->not_found);
	return false;
}

int
path_params_check_table(const struct route *routes, size_t n, char *why, size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		const char *what;
		size_t len;

		for (unsigned p = 0; (len = router_param_what(&routes[i], p, &what)) > 0; p++)
			if (kind_of(what, len) == NULL) {
				snprintf(why, whylen,
				         "%s %s: path parameter names %.*s, which "
				         "api/pipeline/path_params.c does not know",
				         routes[i].method, routes[i].pattern, (int)len, what);
				return -1;
			}
	}
	return 0;
}
