/* test_coro.c - unit tests for lib/coro.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/coro.h"

struct counter {
	int steps;
	int yields;
};

static void
count_and_yield(void *arg)
{
	struct counter *c = arg;

	for (int i = 0; i < c->yields; i++) {
		c->steps++;
		coro_yield();
	}
	c->steps++;
}

static void
test_resume_until_finished(void **state)
{
	struct counter c = {0, 3};
	struct coro *co;

	(void)state;
	co = coro_new(count_and_yield, &c);
	assert_non_null(co);
	assert_null(coro_self());
	for (int i = 0; i < 3; i++) {
		assert_false(coro_resume(co));
		assert_int_equal(c.steps, i + 1);
	}
	assert_true(coro_resume(co));
	assert_int_equal(c.steps, 4);
	coro_free(co);
}

/* Interleaved coroutines keep their own stacks, slots and floating point. */
static void
slots_and_stack(void *arg)
{
	volatile double x = *(double *)arg;
	char big[8192];

	memset(big, (int)x, sizeof(big));
	*coro_local(CORO_SLOT_DB) = arg;
	coro_yield();
	assert_ptr_equal(*coro_local(CORO_SLOT_DB), arg);
	assert_int_equal(big[100], (char)(int)x);
	*(double *)arg = x * 2;
}

static void
test_interleaved(void **state)
{
	double a = 3, b = 5;
	struct coro *ca, *cb;

	(void)state;
	ca = coro_new(slots_and_stack, &a);
	cb = coro_new(slots_and_stack, &b);
	assert_false(coro_resume(ca));
	assert_false(coro_resume(cb));
	assert_null(coro_local(CORO_SLOT_DB));
	assert_true(coro_resume(cb));
	assert_true(coro_resume(ca));
	assert_true(a == 6 && b == 10);
	coro_free(ca);
	coro_free(cb);
}

/* Without a scheduler, waits block (poll) and parking refuses. */
static void
wait_without_sched(void *arg)
{
	int *fds = arg;
	struct coro_queue q = {0};

	assert_int_equal(coro_wait(&q), -1);
	assert_true(coro_wait_fd(fds[1], POLLOUT) & POLLOUT);
	fds[2] = 1;
}

static void
test_no_scheduler(void **state)
{
	int fds[3] = {-1, -1, 0};
	struct coro *co;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	co = coro_new(wait_without_sched, fds);
	assert_true(coro_resume(co));
	assert_int_equal(fds[2], 1);
	coro_free(co);
	close(fds[0]);
	close(fds[1]);
}

static void
just_yield(void *arg)
{
	long n = *(long *)arg;

	for (long i = 0; i < n; i++)
		coro_yield();
}

/* The cost of a switch there and back (printed, not checked: issue 17). */
static void
test_switch_cost(void **state)
{
	long n = 1000000;
	struct coro *co = coro_new(just_yield, &n);
	struct timespec t0, t1;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!coro_resume(co))
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("coro: %.1f ns per resume and yield\n",
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
	           (double)n);
	coro_free(co);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resume_until_finished),
	    cmocka_unit_test(test_interleaved),
	    cmocka_unit_test(test_no_scheduler),
	    cmocka_unit_test(test_switch_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
