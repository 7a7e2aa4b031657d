/* pipeline.h - the application's part of every request (api/pipeline/pipeline.c). */
#ifndef KOMPAS_PIPELINE_H
#define KOMPAS_PIPELINE_H

struct http_request;

/* Run a matched request through the application's rules and its handler
 * (http_settings.pipeline): the early 401, query and body validation, the
 * database connections, and for routes with roles the transaction with
 * authorization, Idempotency-Key and commit (see pipeline.c). Leaves a
 * response on rq, or rq offloaded (http_offload); lib/http.c answers 500
 * when a handler set neither. Called on worker threads. */
void pipeline_run(struct http_request *rq);

#endif
