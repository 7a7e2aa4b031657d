/* cors.c - which web origins may call the API from a browser: the union of
 * every centre's cors_origins, cached for 30 seconds so a request costs no
 * extra query; the worker that finds the cache stale refreshes it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../../lib/coro.h"
#include "../../lib/db.h"
#include "../../lib/log.h"
#include "../../lib/mem.h"
#include "../app.h"

#define CORS_CACHE_SECONDS 30

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char **origins;
static size_t norigins;
static time_t loaded_at;
static bool loaded;

static struct db_stmt stmt_origins = DB_STMT(
    "cors_origins", "SELECT DISTINCT unnest(cors_origins) FROM centre ORDER BY 1 LIMIT 1000", 0);

static void
clear_locked(void)
{
	for (size_t i = 0; i < norigins; i++)
		free(origins[i]);
	free(origins);
	origins = NULL;
	norigins = 0;
}

/* Reload the list; on a database error keep the old one. */
static void
refresh_locked(time_t now)
{
	struct db_conn *c = db_thread_conn();
	enum db_qs qs;
	PGresult *res;

	loaded_at = now; /* also after a failure: no retry storm */
	if (c == NULL)
		return;
	res = db_exec(c, &stmt_origins, NULL, &qs);
	if (res == NULL) {
		log_msg(LOG_WARN, "could not load the CORS origins; keeping the previous list");
		return;
	}
	clear_locked();
	norigins = (size_t)PQntuples(res);
	origins = xcalloc(norigins, sizeof(*origins));
	for (size_t i = 0; i < norigins; i++)
		origins[i] = xstrdup(PQgetvalue(res, (int)i, 0));
	PQclear(res);
	loaded = true;
}

bool
cors_origin_allowed(const char *origin)
{
	time_t now = time(NULL);
	bool ok = false;

	pthread_mutex_lock(&lock);
	if (!loaded || now - loaded_at >= CORS_CACHE_SECONDS) {
		/* In an event loop's coroutine, the query must not yield while
		 * the lock is held: another request of the same thread could
		 * want it (lib/coro.h). */
		coro_pin();
		refresh_locked(now);
		coro_unpin();
	}
	for (size_t i = 0; i < norigins && !ok; i++)
		ok = strcasecmp(origins[i], origin) == 0; /* scheme and host ignore case */
	pthread_mutex_unlock(&lock);
	return ok;
}

void
cors_cleanup(void)
{
	pthread_mutex_lock(&lock);
	clear_locked();
	loaded = false;
	pthread_mutex_unlock(&lock);
}
