/* system.c - liveness, readiness, the API index, the OpenAPI document and
 * Prometheus metrics. */
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/metrics.h"
#include "../../lib/migrate.h"
#include "../app.h"
#include "../routes.h"

static const char healthz_body[] = "{\"status\":\"ok\"}";

/* GET /healthz: the process is alive. Touches nothing else. */
static void
system_healthz(struct http_request *rq)
{
	http_reply_data(rq, 200, "application/json", healthz_body, sizeof(healthz_body) - 1, false);
}

/* GET /readyz: the database answers and its schema is the one this binary
 * was started for. One prepared query, run alone (in an event loop,
 * pipelined with the other requests' of the same pass). */
static void
system_readyz(struct http_request *rq)
{
	unsigned version = 0;
	bool unavailable;
	enum db_qs qs;
	char detail[160];

	qs = migrate_current_version(&version, &unavailable);
	if (qs < 0) {
		http_reply_db_error(rq, unavailable ? DB_SOFT_ERROR : qs);
		return;
	}
	if (version < app.schema_expected) {
		snprintf(detail, sizeof(detail),
		         "The database schema is at version %u; this server needs %u.", version,
		         app.schema_expected);
		http_reply_problem(rq, ERR_SCHEMA_BEHIND, detail);
		return;
	}
	http_reply_json(rq, 200,
	                json_pack("{s:s, s:i}", "status", "ready", "schema_version", (int)version));
}

/* GET /v1: name, version and links; the body is built once at start. */
static void
system_index(struct http_request *rq)
{
	http_reply_data(rq, 200, "application/json", app.index_json, app.index_len, false);
}

/* GET /v1/openapi.yaml: the API description, read once at start. */
static void
system_openapi(struct http_request *rq)
{
	http_reply_data(rq, 200, "application/yaml; charset=utf-8", app.openapi, app.openapi_len,
	                false);
	http_set_header(rq, "Cache-Control", "public, max-age=300");
}

/* GET /metrics: Prometheus text exposition format 0.0.4. */
/* The process's resident memory from /proc/self/statm (0 when it cannot
 * be read). */
static unsigned long long
resident_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (unsigned long long)sysconf(_SC_PAGESIZE);
}

static void
system_metrics(struct http_request *rq)
{
	struct buf b;

	buf_init(&b);
	metrics_render(&b, http_in_flight(), db_error_count(), db_connect_count());
	buf_appendf(&b,
	            "# HELP kompas_db_replica_reads_total Reads served by the read replica.\n"
	            "# TYPE kompas_db_replica_reads_total counter\n"
	            "kompas_db_replica_reads_total %llu\n"
	            "# HELP kompas_db_replica_fallbacks_total Reads meant for the replica that "
	            "the primary served (no replica configured, down or behind).\n"
	            "# TYPE kompas_db_replica_fallbacks_total counter\n"
	            "kompas_db_replica_fallbacks_total %llu\n",
	            db_replica_read_count(), db_replica_fallback_count());
	mail_metrics_render(&b);
	buf_appendf(&b,
	            "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	            "# TYPE process_resident_memory_bytes gauge\n"
	            "process_resident_memory_bytes %llu\n",
	            resident_bytes());
	http_reply_data(rq, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len, true);
	buf_cleanup(&b);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* system */
    {"GET", "/healthz", system_healthz, 0, 0, NULL, NULL, NULL},
    {"GET", "/readyz", system_readyz, 0, 0, NULL, NULL, NULL},
    {"GET", "/metrics", system_metrics, 0, 0, NULL, NULL, NULL},
    {"GET", "/v1", system_index, 0, 0, NULL, NULL, NULL},
    {"GET", "/v1/openapi.yaml", system_openapi, 0, 0, NULL, NULL, NULL},
};

API_ROUTES(system_routes, routes);
