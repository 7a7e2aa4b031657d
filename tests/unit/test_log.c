/* test_log.c - unit tests for lib/log.c's buffered access log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/log.h"

#define THREADS          4
#define LINES_PER_THREAD 5000

struct tmpdir {
	char path[64];
	char file[96];
	char rotated[96];
};

static int
setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	snprintf(t->path, sizeof(t->path), "/tmp/kompas-log-XXXXXX");
	if (mkdtemp(t->path) == NULL)
		return -1;
	snprintf(t->file, sizeof(t->file), "%s/access.log", t->path);
	snprintf(t->rotated, sizeof(t->rotated), "%s/access.log.1", t->path);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tmpdir *t = *state;

	unlink(t->file);
	unlink(t->rotated);
	rmdir(t->path);
	free(t);
	return 0;
}

/* Read path; check every line is one whole JSON access entry and count
 * them. Returns the count, or -1 for a broken line. seen[thread][n] is set
 * for each "t<thread>-<n>" request id. */
static long
count_lines(const char *path, unsigned char seen[THREADS][LINES_PER_THREAD])
{
	FILE *f = fopen(path, "r");
	char line[2048];
	long n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		json_error_t e;
		json_t *j = json_loads(line, 0, &e);
		const char *id = json_string_value(json_object_get(j, "request_id"));
		unsigned th, k;

		if (j == NULL || id == NULL || sscanf(id, "t%u-%u", &th, &k) != 2 ||
		    th >= THREADS || k >= LINES_PER_THREAD ||
		    json_integer_value(json_object_get(j, "status")) != 200 ||
		    strcmp(json_string_value(json_object_get(j, "route")), "/v1/x/{id}") != 0) {
			json_decref(j);
			fclose(f);
			return -1;
		}
		seen[th][k]++;
		json_decref(j);
		n++;
	}
	fclose(f);
	return n;
}

struct writer {
	unsigned id;
	unsigned from, to;
};

static void *
write_lines(void *arg)
{
	const struct writer *w = arg;
	char rid[32];
	struct log_access_entry e = {
	    .request_id = rid, .method = "GET", .route = "/v1/x/{id}", .status = 200};

	for (unsigned k = w->from; k < w->to; k++) {
		snprintf(rid, sizeof(rid), "t%u-%u", w->id, k);
		e.duration_us = k;
		e.bytes = 100 + k;
		log_access(&e);
	}
	return NULL;
}

static void
run_writers(unsigned from, unsigned to)
{
	pthread_t th[THREADS];
	struct writer w[THREADS];

	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct writer){i, from, to};
		assert_int_equal(pthread_create(&th[i], NULL, write_lines, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
}

/* Lines from several threads all arrive, whole and once, by close. */
static void
test_buffered_lines_from_threads(void **state)
{
	struct tmpdir *t = *state;
	static unsigned char seen[THREADS][LINES_PER_THREAD];

	memset(seen, 0, sizeof(seen));
	assert_int_equal(log_access_open(t->file), 0);
	run_writers(0, LINES_PER_THREAD);
	log_access_close();
	assert_int_equal(count_lines(t->file, seen), THREADS * LINES_PER_THREAD);
	for (unsigned i = 0; i < THREADS; i++)
		for (unsigned k = 0; k < LINES_PER_THREAD; k++)
			assert_int_equal(seen[i][k], 1);
}

/* log_access_flush writes what is buffered without closing. */
static void
test_flush_writes_buffered_lines(void **state)
{
	struct tmpdir *t = *state;
	static unsigned char seen[THREADS][LINES_PER_THREAD];

	memset(seen, 0, sizeof(seen));
	assert_int_equal(log_access_open(t->file), 0);
	run_writers(0, 3); /* 12 short lines: below the size that flushes */
	log_access_flush();
	assert_int_equal(count_lines(t->file, seen), THREADS * 3);
	log_access_close();
}

/* After rotation (rename) and log_access_reopen, new lines go to a new file
 * at the path and the old lines stay in the renamed one. */
static void
test_reopen_after_rotation(void **state)
{
	struct tmpdir *t = *state;
	static unsigned char seen[THREADS][LINES_PER_THREAD];

	memset(seen, 0, sizeof(seen));
	assert_int_equal(log_access_open(t->file), 0);
	run_writers(0, 100);
	assert_int_equal(rename(t->file, t->rotated), 0);
	assert_int_equal(log_access_reopen(), 0);
	run_writers(100, 250);
	log_access_close();
	assert_int_equal(count_lines(t->rotated, seen), THREADS * 100);
	assert_int_equal(count_lines(t->file, seen), THREADS * 150);
	for (unsigned i = 0; i < THREADS; i++)
		for (unsigned k = 0; k < 250; k++)
			assert_int_equal(seen[i][k], 1);
}

/* Quotes and control characters in the method are escaped; overlong
 * fields are cut, so the line stays valid JSON. */
static void
test_escaping_and_limits(void **state)
{
	struct tmpdir *t = *state;
	char method[200], rid[100];
	struct log_access_entry e = {
	    .request_id = rid, .method = method, .route = NULL, .status = 400, .aborted = 1};
	char line[2048];
	json_t *j;
	FILE *f;

	memset(method, 'M', sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	memcpy(method, "G\"E\\T\n\x01", 7);
	memset(rid, 'r', sizeof(rid) - 1);
	rid[sizeof(rid) - 1] = '\0';
	assert_int_equal(log_access_open(t->file), 0);
	log_access(&e);
	log_access_close();
	f = fopen(t->file, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	j = json_loads(line, 0, NULL);
	assert_non_null(j);
	assert_int_equal(
	    strncmp(json_string_value(json_object_get(j, "method")), "G\"E\\T\n\x01", 7), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "method"))), 32);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "request_id"))), 64);
	assert_true(json_is_null(json_object_get(j, "route")));
	assert_true(json_is_true(json_object_get(j, "aborted")));
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_buffered_lines_from_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flush_writes_buffered_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_after_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escaping_and_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
