/* test_row.c - lib/row.c against a real PostgreSQL (KOMPAS_TEST_CONNINFO):
 * a result spec turns a row into JSON by column name, in spec order, with
 * each kind's SQL NULL; a column the result lacks is found by
 * row_spec_missing and aborts row_json (in a child process). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../lib/row.h"

static const char *conninfo;
static PGconn *pg;

static PGresult *
query(const char *sql)
{
	PGresult *res = PQexec(pg, sql);

	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	return res;
}

static int
setup(void **state)
{
	(void)state;
	pg = PQconnectdb(conninfo);
	return PQstatus(pg) == CONNECTION_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	PQfinish(pg);
	return 0;
}

/* Columns in another order than the spec, one of each kind, read by name. */
static const struct row_field spec[] = {ROW_TEXT("id"),
                                        ROW_TEXT_OR_NULL("note"),
                                        ROW_INTEGER("visits"),
                                        ROW_INTEGER_OR_NULL("minutes"),
                                        ROW_BOOLEAN("came"),
                                        ROW_JSON("categories"),
                                        ROW_FIELD("created_at", "created_text", ROW_KIND_TEXT),
                                        ROW_END};

static char *
dump_row(const char *sql, int row)
{
	PGresult *res = query(sql);
	json_t *j = row_json(res, row, spec);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	PQclear(res);
	return s;
}

static void
test_values_in_spec_order(void **state)
{
	char *s;

	(void)state;
	s = dump_row("SELECT '2020-01-02T03:04:05Z' AS created_text, '[\"a\",{\"b\":1}]'::jsonb "
	             "AS categories, true AS came, 30 AS minutes, 9007199254740993::bigint AS "
	             "visits, 'a \"note\"' AS note, 'x1' AS id, 'unused' AS other",
	             0);
	assert_string_equal(s, "{\"id\":\"x1\",\"note\":\"a \\\"note\\\"\",\"visits\":"
	                       "9007199254740993,\"minutes\":30,\"came\":true,\"categories\":"
	                       "[\"a\",{\"b\":1}],\"created_at\":\"2020-01-02T03:04:05Z\"}");
	free(s);
}

static void
test_nulls_per_kind(void **state)
{
	char *s;

	(void)state;
	s = dump_row("SELECT NULL::text AS created_text, NULL::jsonb AS categories, NULL::boolean "
	             "AS came, NULL::int AS minutes, NULL::int AS visits, NULL::text AS note, "
	             "'x2' AS id",
	             0);
	assert_string_equal(s, "{\"id\":\"x2\",\"note\":null,\"visits\":0,\"minutes\":null,"
	                       "\"came\":null,\"categories\":null,\"created_at\":\"\"}");
	free(s);
}

static void
test_rows_and_add(void **state)
{
	PGresult *res = query("SELECT v AS id, v * 2 AS twice, v > 1 AS big FROM "
	                      "generate_series(1, 3) v ORDER BY v");
	static const struct row_field head[] = {ROW_INTEGER("id"), ROW_END};
	static const struct row_field tail[] = {
	    ROW_BOOLEAN("big"), ROW_FIELD("id", "twice", ROW_KIND_INTEGER), ROW_END};
	json_t *j;
	char *s;

	(void)state;
	j = row_json(res, 2, head);
	json_object_set_new(j, "computed", json_string("c"));
	row_json_add(j, res, 2, tail);
	s = json_dumps(j, JSON_COMPACT);
	/* a member added again keeps its place and takes the new value */
	assert_string_equal(s, "{\"id\":6,\"computed\":\"c\",\"big\":true}");
	free(s);
	json_decref(j);
	assert_int_equal(row_col(res, "big"), 2);
	assert_string_equal(row_value(res, 0, "twice"), "2");
	assert_false(row_is_null(res, 0, "twice"));
	PQclear(res);

	res = query("SELECT NULL::text AS a, 'b' AS b");
	assert_null(row_text(res, 0, "a"));
	assert_string_equal(row_value(res, 0, "a"), "");
	assert_true(row_is_null(res, 0, "a"));
	assert_string_equal(row_text(res, 0, "b"), "b");
	PQclear(res);
}

static void
test_invalid_json_is_null(void **state)
{
	PGresult *res = query("SELECT 'not json' AS j");
	static const struct row_field js[] = {ROW_JSON("j"), ROW_END};
	json_t *j = row_json(res, 0, js);

	(void)state;
	assert_true(json_is_null(json_object_get(j, "j")));
	json_decref(j);
	PQclear(res);
}

static void
test_missing_column(void **state)
{
	PGresult *res = query("SELECT 'x' AS id, 1 AS visits");
	int status;
	pid_t pid;

	(void)state;
	assert_string_equal(row_spec_missing(res, spec), "note");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the child must not return: a spec naming a missing column aborts */
		json_t *j = row_json(res, 0, spec);

		json_decref(j);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)row_value(res, 0, "nope");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	PQclear(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_in_spec_order),
	    cmocka_unit_test(test_nulls_per_kind),
	    cmocka_unit_test(test_rows_and_add),
	    cmocka_unit_test(test_invalid_json_is_null),
	    cmocka_unit_test(test_missing_column),
	};

	conninfo = getenv("KOMPAS_TEST_CONNINFO");
	if (conninfo == NULL) {
		fprintf(stderr, "KOMPAS_TEST_CONNINFO is not set: run through make test\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
