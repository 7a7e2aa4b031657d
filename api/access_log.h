/* access_log.h - the append-only log of access to citizens' personal data. */
#ifndef KOMPAS_ACCESS_LOG_H
#define KOMPAS_ACCESS_LOG_H

#include <jansson.h>

#include "../lib/db.h"
#include "../lib/http.h"

/* Record that the caller of rq did action ("read", "search", "create",
 * "update", "export", "delete", "anonymise") on the request subject_id
 * (NULL for a search that found nothing), with an optional criterion (for
 * searches: field names and keyed hashes, never values; not stolen) and a
 * purpose the citizen can read. Runs in the handler's transaction, so the
 * entry exists exactly when the access does. Returns a query status; on
 * failure the caller answers with http_reply_db_error. */
enum db_qs access_log_write(struct http_request *rq, const char *action, const char *subject_id,
                            const json_t *criterion, const char *purpose);

#endif
