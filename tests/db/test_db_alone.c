/* test_db_alone.c - lib/db_alone.c against a real PostgreSQL
 * (KOMPAS_TEST_OWNER_CONNINFO): statements run alone by several coroutines
 * of one thread, as the requests of one event-loop pass, go to one
 * connection in one pipeline and each comes back to its own request, in its
 * own transaction; a failing statement fails only its own request; a
 * connection lost in the middle fails the requests after it as unavailable
 * (503), and the next batch reconnects. The scheduler here is a small
 * stand-in for lib/http_loop.c's: a ready list and poll(2) over the waits. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/coro.h"
#include "../../lib/db.h"

#define MAX_REQ 16

static const char *conninfo;

/* Its own value, its backend and its transaction: which connection and
 * which transaction each request's statement ran in. */
static struct db_stmt stmt_echo =
    DB_STMT("test_alone_echo", "SELECT $1::text, pg_backend_pid(), txid_current()::text", 1);
static struct db_stmt stmt_bad = DB_STMT("test_alone_bad", "SELECT 1/0", 0);
static struct db_stmt stmt_kill =
    DB_STMT("test_alone_kill", "SELECT pg_terminate_backend(pg_backend_pid())", 0);

/* One request: what it runs and what it got. */
struct req {
	struct db_stmt *stmt;
	char value[32];
	PGresult *res;
	enum db_qs qs;
	bool unavailable;
};

/* ---- the stand-in scheduler ---- */

static struct {
	struct coro *ready[MAX_REQ];
	size_t nready;
	struct coro *waiter[MAX_REQ];
	struct pollfd wait[MAX_REQ];
	int revents[MAX_REQ];
	size_t nwait;
} s;

static int
t_wait_fd(void *cls, int fd, short events)
{
	size_t i = s.nwait++;

	(void)cls;
	s.waiter[i] = coro_self();
	s.wait[i] = (struct pollfd){.fd = fd, .events = events};
	coro_yield();
	return s.revents[i];
}

static void
t_wake(void *cls, struct coro *co)
{
	(void)cls;
	s.ready[s.nready++] = co;
}

static bool
t_aborting(void *cls)
{
	(void)cls;
	return false;
}

static const struct coro_sched sched = {NULL, t_wait_fd, t_wake, t_aborting, NULL, NULL};

static void
request_main(void *arg)
{
	struct req *r = arg;
	const char *params[1] = {r->value};

	r->res = db_exec_alone(r->stmt, params, &r->qs, &r->unavailable);
	db_request_done();
}

/* Resume co; count it when it has finished. */
static void
step(struct coro *co, size_t *left)
{
	if (coro_resume(co)) {
		coro_free(co);
		(*left)--;
	}
}

/* Start n requests in one pass (as libmicrohttpd's MHD_run would) and run
 * them all to their end. */
static void
run_requests(struct req *reqs, size_t n)
{
	size_t left = n;

	for (size_t i = 0; i < n; i++)
		step(coro_new(request_main, &reqs[i]), &left);
	while (left > 0) {
		struct coro *ready[MAX_REQ];
		size_t nready = s.nready;

		memcpy(ready, s.ready, nready * sizeof(*ready));
		s.nready = 0;
		for (size_t i = 0; i < nready; i++)
			step(ready[i], &left);
		if (s.nready > 0 || left == 0)
			continue;
		assert_true(s.nwait == 1); /* only the leader waits, on its socket */
		assert_true(poll(s.wait, 1, -1) == 1);
		s.revents[0] = s.wait[0].revents;
		s.nwait = 0;
		step(s.waiter[0], &left);
	}
}

static struct req *
make_requests(size_t n)
{
	struct req *reqs = calloc(n, sizeof(*reqs));

	for (size_t i = 0; i < n; i++) {
		reqs[i].stmt = &stmt_echo;
		snprintf(reqs[i].value, sizeof(reqs[i].value), "request-%zu", i);
	}
	return reqs;
}

static void
assert_echo(const struct req *r)
{
	assert_non_null(r->res);
	assert_int_equal(r->qs, DB_ONE_RESULT);
	assert_false(r->unavailable);
	assert_string_equal(PQgetvalue(r->res, 0, 0), r->value);
}

static void
free_requests(struct req *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		PQclear(reqs[i].res);
	free(reqs);
}

static int
setup(void **state)
{
	struct db_settings st = {.conninfo = conninfo, .connect_timeout = 2, .tx_retries = 3};

	(void)state;
	if (db_global_init(&st) != 0)
		return -1;
	coro_set_sched(&sched);
	db_loop_init(2);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	db_loop_cleanup();
	coro_set_sched(NULL);
	db_global_cleanup();
	return 0;
}

/* Eight requests of one pass: one connection (one backend), eight
 * transactions, each request its own answer. */
static void
test_one_pipeline_own_answers(void **state)
{
	struct req *reqs = make_requests(8);

	(void)state;
	run_requests(reqs, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_echo(&reqs[i]);
		assert_string_equal(PQgetvalue(reqs[i].res, 0, 1), PQgetvalue(reqs[0].res, 0, 1));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(PQgetvalue(reqs[i].res, 0, 2),
			                        PQgetvalue(reqs[j].res, 0, 2));
	}
	free_requests(reqs, 8);
}

/* A statement that fails fails its own request only (a 500, not a 503);
 * those before and after it in the pipeline get their answers. */
static void
test_failure_stays_its_own(void **state)
{
	struct req *reqs = make_requests(6);

	(void)state;
	reqs[2].stmt = &stmt_bad;
	run_requests(reqs, 6);
	assert_null(reqs[2].res);
	assert_int_equal(reqs[2].qs, DB_HARD_ERROR);
	assert_false(reqs[2].unavailable);
	for (size_t i = 0; i < 6; i++)
		if (i != 2) {
			assert_echo(&reqs[i]);
			assert_string_equal(PQgetvalue(reqs[i].res, 0, 1),
			                    PQgetvalue(reqs[0].res, 0, 1));
		}
	free_requests(reqs, 6);
}

/* The connection is lost in the middle of the pipeline (its backend ends
 * itself): the requests before get their answers, that one and those after
 * fail as unavailable (503 with Retry-After), and the next pass works on a
 * new connection. */
static void
test_lost_mid_pipeline(void **state)
{
	struct req *reqs = make_requests(6), *again;

	(void)state;
	reqs[2].stmt = &stmt_kill;
	run_requests(reqs, 6);
	assert_echo(&reqs[0]);
	assert_echo(&reqs[1]);
	for (size_t i = 2; i < 6; i++) {
		assert_null(reqs[i].res);
		assert_true(reqs[i].qs < 0);
		assert_true(reqs[i].unavailable);
	}
	again = make_requests(4);
	run_requests(again, 4);
	for (size_t i = 0; i < 4; i++)
		assert_echo(&again[i]);
	assert_string_not_equal(PQgetvalue(again[0].res, 0, 1), PQgetvalue(reqs[0].res, 0, 1));
	free_requests(again, 4);
	free_requests(reqs, 6);
}

/* Outside a coroutine (the thread mode, background threads) it is db_exec
 * on the thread's connection. */
static void
test_outside_coroutine(void **state)
{
	struct req r = {.stmt = &stmt_echo, .value = "alone"};
	const char *params[1] = {r.value};

	(void)state;
	r.res = db_exec_alone(&stmt_echo, params, &r.qs, &r.unavailable);
	assert_echo(&r);
	PQclear(r.res);
	r.res = db_exec_alone(&stmt_bad, NULL, &r.qs, &r.unavailable);
	assert_null(r.res);
	assert_false(r.unavailable);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_pipeline_own_answers),
	    cmocka_unit_test(test_failure_stays_its_own),
	    cmocka_unit_test(test_lost_mid_pipeline),
	    cmocka_unit_test(test_outside_coroutine),
	};

	conninfo = getenv("KOMPAS_TEST_OWNER_CONNINFO");
	if (conninfo == NULL) {
		fprintf(stderr, "KOMPAS_TEST_OWNER_CONNINFO not set\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
