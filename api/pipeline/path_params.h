/* path_params.h - path parameters declared and validated like query
 * parameters.
 *
 * A route declares what each path parameter names ("id=request",
 * "id=volunteer training_id=volunteer_training"; api/routes.h). This table
 * says, for each such what, the format its value must have and the 404 a
 * malformed value is answered with, so the pipeline refuses a malformed
 * id before the handler runs and handlers look up only well-formed ones. */
#ifndef KOMPAS_PATH_PARAMS_H
#define KOMPAS_PATH_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "../../lib/http.h"
#include "../../lib/router.h"

/* Is every declared path parameter of rq's route well-formed? If not,
 * answers 404 not_found with the text of the first malformed one's what
 * ("No request has this id.") and returns false. A what without a format
 * ("file", "calendar_token") is the handler's to check. */
bool path_params_ok(struct http_request *rq);

/* Does every path parameter of the n routes name a what of the table?
 * Returns 0, or -1 with the route and the unknown what in why. */
int path_params_check_table(const struct route *routes, size_t n, char *why, size_t whylen);

#endif
