/* test_worker.c - unit tests for lib/worker.c: passes run one after another
 * while they ask for no wait, a stop ends a long wait, and stop is safe on a
 * worker that never started. No database: bg_worker_db is not called. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>

#include "../../lib/worker.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static unsigned passes;
static pthread_t pass_thread;

/* Three passes at once, then a wait of an hour. */
static unsigned
counting_pass(struct bg_worker *w)
{
	unsigned n;

	pthread_mutex_lock(&lock);
	n = ++passes;
	pass_thread = pthread_self();
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	assert_ptr_equal(w->arg, &passes);
	return n < 3 ? 0 : 3600;
}

static void
test_passes_then_stop_ends_the_wait(void **state)
{
	static struct bg_worker w = BG_WORKER_INIT("test", counting_pass);

	(void)state;
	w.arg = &passes;
	assert_int_equal(bg_worker_start(&w, "", 1), 0);
	pthread_mutex_lock(&lock);
	while (passes < 3)
		pthread_cond_wait(&changed, &lock);
	assert_false(pthread_equal(pass_thread, pthread_self()));
	pthread_mutex_unlock(&lock);
	/* the worker is in its hour's wait now: the stop must end it (a hang
	 * here is the failure: tools/test.sh stops a unit test after 5 minutes) */
	bg_worker_stop(&w);
	assert_int_equal(passes, 3);
	assert_false(w.running);
	/* stopping twice, and starting again, work */
	bg_worker_stop(&w);
	assert_int_equal(bg_worker_start(&w, "", 1), 0);
	pthread_mutex_lock(&lock);
	while (passes < 4)
		pthread_cond_wait(&changed, &lock);
	pthread_mutex_unlock(&lock);
	bg_worker_stop(&w);
	assert_int_equal(passes, 4);
}

static void
test_stop_without_start(void **state)
{
	struct bg_worker w = BG_WORKER_INIT("idle", counting_pass);

	(void)state;
	bg_worker_stop(&w);
	assert_false(w.running);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_passes_then_stop_ends_the_wait),
	    cmocka_unit_test(test_stop_without_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
