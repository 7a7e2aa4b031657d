/* request_states.c - the request workflow in one table:
 *
 *   received -> accepted | declined
 *   accepted -> guide_assigned
 *   guide_assigned -> contacted
 *   contacted -> conversation_held
 *   conversation_held -> course_started | referred | signposted | closed
 *   course_started | referred | signposted -> closed
 *   any open state -> withdrawn | closed (with a reason)
 *
 * closed, declined and withdrawn are final and carry a close reason. */
#include "request_states.h"

#include <string.h>

const char *const request_state_names[] = {
    "received",       "accepted", "declined",   "guide_assigned", "contacted", "conversation_held",
    "course_started", "referred", "signposted", "closed",         "withdrawn", NULL};

const char *const request_close_reasons[] = {
    "need_met",    "no_longer_needed",   "not_appropriate", "no_capacity",
    "unreachable", "referred_elsewhere", "withdrawn",       NULL};

static const struct {
	const char *from;
	const char *to;
} steps[] = {
    {"received", "accepted"},           {"received", "declined"},
    {"accepted", "guide_assigned"},     {"guide_assigned", "contacted"},
    {"contacted", "conversation_held"}, {"conversation_held", "course_started"},
    {"conversation_held", "referred"},  {"conversation_held", "signposted"},
};

/* Reachable from every open state. */
static const char *const from_any_open[] = {"closed", "withdrawn"};

#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

bool
request_state_is_open(const char *state)
{
	return strcmp(state, "closed") != 0 && strcmp(state, "declined") != 0 &&
	       strcmp(state, "withdrawn") != 0;
}

bool
request_state_needs_reason(const char *to)
{
	return !request_state_is_open(to);
}

bool
request_transition_allowed(const char *from, const char *to)
{
	for (size_t i = 0; i < NSTEPS; i++)
		if (strcmp(steps[i].from, from) == 0 && strcmp(steps[i].to, to) == 0)
			return true;
	if (!request_state_is_open(from))
		return false;
	for (size_t i = 0; i < sizeof(from_any_open) / sizeof(from_any_open[0]); i++)
		if (strcmp(from_any_open[i], to) == 0)
			return true;
	return false;
}

json_t *
request_transitions_from(const char *from)
{
	json_t *a = json_array();

	for (const char *const *s = request_state_names; *s; s++)
		if (request_transition_allowed(from, *s))
			json_array_append_new(a, json_string(*s));
	return a;
}
