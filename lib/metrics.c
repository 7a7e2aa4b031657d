/* metrics.c - Prometheus counters for kompasd. */
#include "metrics.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static const unsigned statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405,
                                    409, 412, 413, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1) /* + "other" */

static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define NBUCKET (sizeof(bucket_le) / sizeof(bucket_le[0]))

/* Counters are sharded: each thread that observes takes a shard of its own
 * (round robin over METRICS_SHARDS), so two workers never update the same
 * cache line; rendering sums the shards. Measured: with every worker adding
 * to one set of counters, the cache-line traffic cost more than the rest of
 * the metrics code. */
#define METRICS_SHARDS 16

struct route_metrics {
	_Alignas(64) _Atomic uint64_t by_status[NSTATUS];
	_Atomic uint64_t other_status[6];  /* by class 0xx..5xx for "other" statuses */
	_Atomic uint64_t buckets[NBUCKET]; /* non-cumulative; summed when rendered */
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us;
};

static struct {
	struct route_metrics *routes; /* METRICS_SHARDS x (nroutes + 1) */
	const char *const *labels;
	size_t nroutes;
	_Atomic unsigned next_shard;
	_Atomic unsigned generation; /* changes with every metrics_init */
} m;

static _Thread_local struct route_metrics *my_shard;
static _Thread_local unsigned my_generation;

void
metrics_init(size_t nroutes, const char *const *labels)
{
	free(m.routes);
	m.routes = xcalloc(METRICS_SHARDS * (nroutes + 1), sizeof(*m.routes));
	m.labels = labels;
	m.nroutes = nroutes;
	atomic_store(&m.next_shard, 0);
	atomic_fetch_add(&m.generation, 1);
}

void
metrics_cleanup(void)
{
	free(m.routes);
	m.routes = NULL;
	m.labels = NULL;
	m.nroutes = 0;
	atomic_fetch_add(&m.generation, 1);
}

/* This thread's shard of counters. */
static struct route_metrics *
shard(void)
{
	unsigned gen = atomic_load_explicit(&m.generation, memory_order_relaxed);

	if (my_shard == NULL || my_generation != gen) {
		unsigned i = atomic_fetch_add(&m.next_shard, 1) % METRICS_SHARDS;

		my_shard = &m.routes[i * (m.nroutes + 1)];
		my_generation = gen;
	}
	return my_shard;
}

/* The sum over the shards of the counter at offset off (a field of struct
 * route_metrics) of route i. */
static uint64_t
sum_shards(size_t i, size_t off)
{
	uint64_t v = 0;

	for (size_t s = 0; s < METRICS_SHARDS; s++) {
		const char *r = (const char *)&m.routes[s * (m.nroutes + 1) + i];

		v += atomic_load_explicit((const _Atomic uint64_t *)(const void *)(r + off),
		                          memory_order_relaxed);
	}
	return v;
}

#define SUM(i, field) sum_shards((i), offsetof(struct route_metrics, field))

static size_t
status_index(unsigned status)
{
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

void
metrics_observe(size_t route, unsigned status, uint64_t duration_us)
{
	struct route_metrics *r;
	size_t si = status_index(status);
	double secs = (double)duration_us / 1e6;

	if (m.routes == NULL)
		return;
	r = &shard()[route > m.nroutes ? m.nroutes : route];
	atomic_fetch_add_explicit(&r->by_status[si], 1, memory_order_relaxed);
	if (si == NSTATUS - 1)
		atomic_fetch_add_explicit(&r->other_status[status / 100 % 6], 1,
		                          memory_order_relaxed);
	for (size_t b = 0; b < NBUCKET; b++) {
		if (secs <= bucket_le[b]) {
			atomic_fetch_add_explicit(&r->buckets[b], 1, memory_order_relaxed);
			break;
		}
	}
	atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->sum_us, duration_us, memory_order_relaxed);
}

static const char *
label_of(size_t i)
{
	return i < m.nroutes ? m.labels[i] : "unmatched";
}

void
metrics_render(struct buf *out, unsigned long in_flight, unsigned long long db_errors,
               unsigned long long db_connects)
{
	buf_append_str(out, "# HELP kompas_http_requests_total HTTP requests answered, by route "
	                    "and status.\n# TYPE kompas_http_requests_total counter\n");
	for (size_t i = 0; m.routes && i <= m.nroutes; i++) {
		for (size_t s = 0; s < NSTATUS - 1; s++) {
			uint64_t v = SUM(i, by_status[s]);

			if (v > 0)
				buf_appendf(
				    out,
				    "kompas_http_requests_total{route=\"%s\",status=\"%u\"} "
				    "%llu\n",
				    label_of(i), statuses[s], (unsigned long long)v);
		}
		for (size_t c = 0; c < 6; c++) {
			uint64_t v = SUM(i, other_status[c]);

			if (v > 0)
				buf_appendf(
				    out,
				    "kompas_http_requests_total{route=\"%s\",status=\"%zuxx\"}"
				    " %llu\n",
				    label_of(i), c, (unsigned long long)v);
		}
	}
	buf_append_str(out, "# HELP kompas_http_request_duration_seconds Time from the request "
	                    "headers being read to the response being sent.\n"
	                    "# TYPE kompas_http_request_duration_seconds histogram\n");
	for (size_t i = 0; m.routes && i <= m.nroutes; i++) {
		uint64_t count = SUM(i, count);
		uint64_t cum = 0;

		if (count == 0)
			continue;
		for (size_t b = 0; b < NBUCKET; b++) {
			cum += SUM(i, buckets[b]);
			buf_appendf(
			    out,
			    "kompas_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"}"
			    " %llu\n",
			    label_of(i), bucket_le[b], (unsigned long long)cum);
		}
		buf_appendf(out,
		            "kompas_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
		            "%llu\n",
		            label_of(i), (unsigned long long)count);
		buf_appendf(out, "kompas_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		            label_of(i), (double)SUM(i, sum_us) / 1e6);
		buf_appendf(out, "kompas_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
		            label_of(i), (unsigned long long)count);
	}
	buf_appendf(out,
	            "# HELP kompas_http_requests_in_flight Requests being processed now.\n"
	            "# TYPE kompas_http_requests_in_flight gauge\n"
	            "kompas_http_requests_in_flight %lu\n"
	            "# HELP kompas_db_errors_total Failed database connects and statements.\n"
	            "# TYPE kompas_db_errors_total counter\n"
	            "kompas_db_errors_total %llu\n"
	            "# HELP kompas_db_connects_total Database connections opened (incl. "
	            "reconnects).\n"
	            "# TYPE kompas_db_connects_total counter\n"
	            "kompas_db_connects_total %llu\n",
	            in_flight, db_errors, db_connects);
}
