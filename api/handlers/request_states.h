/* request_states.h - the request state machine, held in one table. */
#ifndef KOMPAS_REQUEST_STATES_H
#define KOMPAS_REQUEST_STATES_H

#include <stdbool.h>

#include <jansson.h>

/* Is `to` reachable from `from` in one step? */
bool request_transition_allowed(const char *from, const char *to);

/* The states reachable from `from`, as a new JSON array of strings. */
json_t *request_transitions_from(const char *from);

/* Does entering `to` need a close reason (closed, declined, withdrawn)? */
bool request_state_needs_reason(const char *to);

/* Is the state open (not closed, declined or withdrawn)? */
bool request_state_is_open(const char *state);

/* The NULL-terminated lists of states and close reasons, for field specs. */
extern const char *const request_state_names[];
extern const char *const request_close_reasons[];

#endif
