/* metrics.h - request counters and latency histograms in Prometheus text
 * format. Updates are lock-free (relaxed atomics on per-thread shards of the
 * counters) so the hot path stays a handful of uncontended instructions. */
#ifndef KOMPAS_METRICS_H
#define KOMPAS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Prepare counters for nroutes routes labelled by labels[i] ("GET /v1");
 * the label strings must outlive the metrics. Index nroutes counts requests
 * that matched no route. Call once before serving; calling again resets.
 * Cannot fail (aborts on out-of-memory). */
void metrics_init(size_t nroutes, const char *const *labels);

/* Free what metrics_init allocated. */
void metrics_cleanup(void);

/* Count one finished request: route index (nroutes for none), HTTP status
 * and duration in microseconds. Thread-safe. */
void metrics_observe(size_t route, unsigned status, uint64_t duration_us);

/* Append the Prometheus exposition text to out. in_flight, db_errors and
 * db_connects are sampled by the caller. */
void metrics_render(struct buf *out, unsigned long in_flight, unsigned long long db_errors,
                    unsigned long long db_connects);

#endif
