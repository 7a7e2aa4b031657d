/* test_db.c - lib/db.c against a real PostgreSQL (KOMPAS_TEST_CONNINFO):
 * lazy prepared statements, reconnect with re-prepare, the transaction
 * runner's retries and its BEGIN pipelined with the first statement, and the
 * query-status convention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/db.h"

static const char *conninfo;

static struct db_stmt stmt_one = DB_STMT("test_one", "SELECT $1::int + 1", 1);
static struct db_stmt stmt_none = DB_STMT("test_none", "SELECT 1 WHERE false", 0);
static struct db_stmt stmt_bad = DB_STMT("test_bad", "SELECT 1/0", 0);

/* Run sql on a separate connection and return the first value (caller frees). */
static char *
side_query(const char *sql)
{
	PGconn *pg = PQconnectdb(conninfo);
	PGresult *res;
	char *v;

	assert_int_equal(PQstatus(pg), CONNECTION_OK);
	res = PQexec(pg, sql);
	assert_true(PQresultStatus(res) == PGRES_TUPLES_OK ||
	            PQresultStatus(res) == PGRES_COMMAND_OK);
	v = strdup(PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	PQfinish(pg);
	return v;
}

static int
setup(void **state)
{
	struct db_settings s = {.conninfo = conninfo, .connect_timeout = 2, .tx_retries = 3};

	(void)state;
	return db_global_init(&s);
}

static int
teardown(void **state)
{
	(void)state;
	db_global_cleanup();
	return 0;
}

static void
exec_one(struct db_conn *c, int in, int want)
{
	char arg[16];
	const char *params[1] = {arg};
	enum db_qs qs;
	PGresult *res;

	snprintf(arg, sizeof(arg), "%d", in);
	res = db_exec(c, &stmt_one, params, &qs);
	assert_non_null(res);
	assert_int_equal(qs, DB_ONE_RESULT);
	assert_int_equal(atoi(PQgetvalue(res, 0, 0)), want);
	PQclear(res);
}

static int
prepared_count(struct db_conn *c, const char *name)
{
	const char *params[1] = {name};
	PGresult *res =
	    PQexecParams(db_pg(c), "SELECT count(*) FROM pg_prepared_statements WHERE name = $1", 1,
	                 NULL, params, NULL, NULL, 0);
	int n = atoi(PQgetvalue(res, 0, 0));

	PQclear(res);
	return n;
}

static void
test_prepare_once_per_connection(void **state)
{
	struct db_conn *c = db_thread_conn();

	(void)state;
	assert_non_null(c);
	assert_int_equal(prepared_count(c, "test_one"), 0);
	exec_one(c, 1, 2);
	assert_int_equal(prepared_count(c, "test_one"), 1);
	exec_one(c, 41, 42);
	assert_int_equal(prepared_count(c, "test_one"), 1);
	assert_ptr_equal(db_thread_conn(), c);
}

static void
test_query_status(void **state)
{
	struct db_conn *c = db_thread_conn();
	enum db_qs qs;
	PGresult *res;

	(void)state;
	res = db_exec(c, &stmt_none, NULL, &qs);
	assert_non_null(res);
	assert_int_equal(qs, DB_NO_RESULTS);
	PQclear(res);
	res = db_exec(c, &stmt_bad, NULL, &qs);
	assert_null(res);
	assert_int_equal(qs, DB_HARD_ERROR);
	assert_false(db_conn_lost(c));
	/* the connection is still usable after a failed statement */
	exec_one(c, 2, 3);
}

static void
test_reconnect_reprepares(void **state)
{
	struct db_conn *c = db_thread_conn();
	unsigned long long connects = db_connect_count();
	char sql[128], *killed;
	enum db_qs qs;
	PGresult *res;
	int pid;

	(void)state;
	exec_one(c, 5, 6);
	pid = PQbackendPID(db_pg(c));
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)", pid);
	killed = side_query(sql);
	assert_string_equal(killed, "t");
	free(killed);
	res = db_exec(c, &stmt_one, (const char *const[]){"1"}, &qs);
	assert_null(res);
	assert_true(qs < 0);
	assert_true(db_conn_lost(c));
	c = db_thread_conn();
	assert_non_null(c);
	assert_false(db_conn_lost(c));
	assert_int_equal(db_connect_count(), connects + 1);
	assert_int_not_equal(PQbackendPID(db_pg(c)), pid);
	exec_one(c, 9, 10);
	assert_int_equal(prepared_count(c, "test_one"), 1);
}

struct tx_state {
	int calls;
	int fail_times;
	int hard;
};

static struct db_stmt stmt_insert =
    DB_STMT("test_tx_insert", "INSERT INTO test_tx (attempt) VALUES ($1)", 1);

static enum db_qs
tx_body(struct db_conn *c, void *cls)
{
	struct tx_state *st = cls;
	char attempt[16];
	enum db_qs qs;
	PGresult *res;

	st->calls++;
	snprintf(attempt, sizeof(attempt), "%d", st->calls);
	res = db_exec(c, &stmt_insert, (const char *const[]){attempt}, &qs);
	if (res == NULL)
		return qs;
	PQclear(res);
	if (st->hard)
		return db_command(c, "SELECT 1/0");
	if (st->calls <= st->fail_times)
		return db_command(c, "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = "
		                     "'serialization_failure'; END $$");
	return DB_ONE_RESULT;
}

static void
reset_tx_table(struct db_conn *c)
{
	assert_int_equal(db_command(c, "DROP TABLE IF EXISTS test_tx"), DB_NO_RESULTS);
	assert_int_equal(db_command(c, "CREATE TABLE test_tx (attempt int)"), DB_NO_RESULTS);
}

static void
test_tx_retries_serialization_failure(void **state)
{
	struct db_conn *c = db_thread_conn();
	struct tx_state st = {0, 2, 0};
	char *rows;

	(void)state;
	reset_tx_table(c);
	assert_int_equal(db_tx_run(c, "SERIALIZABLE", tx_body, &st), DB_ONE_RESULT);
	assert_int_equal(st.calls, 3);
	/* only the successful third attempt's row survives */
	rows = side_query("SELECT string_agg(attempt::text, ',') FROM test_tx");
	assert_string_equal(rows, "3");
	free(rows);
}

static void
test_tx_gives_up_after_retries(void **state)
{
	struct db_conn *c = db_thread_conn();
	struct tx_state st = {0, 100, 0};
	char *rows;

	(void)state;
	reset_tx_table(c);
	assert_int_equal(db_tx_run(c, "SERIALIZABLE", tx_body, &st), DB_SOFT_ERROR);
	assert_int_equal(st.calls, 4); /* one try plus tx_retries = 3 */
	rows = side_query("SELECT count(*) FROM test_tx");
	assert_string_equal(rows, "0");
	free(rows);
}

static void
test_tx_hard_error_not_retried(void **state)
{
	struct db_conn *c = db_thread_conn();
	struct tx_state st = {0, 0, 1};
	char *rows;

	(void)state;
	reset_tx_table(c);
	assert_int_equal(db_tx_run(c, "READ COMMITTED", tx_body, &st), DB_HARD_ERROR);
	assert_int_equal(st.calls, 1);
	rows = side_query("SELECT count(*) FROM test_tx");
	assert_string_equal(rows, "0");
	free(rows);
	/* the connection is clean afterwards: not left inside a transaction */
	assert_int_equal(PQtransactionStatus(db_pg(c)), PQTRANS_IDLE);
	assert_int_equal(db_command(c, "DROP TABLE test_tx"), DB_NO_RESULTS);
}

static struct db_stmt stmt_isolation =
    DB_STMT("test_isolation", "SELECT current_setting('transaction_isolation')", 0);

/* The first statement of a transaction: BEGIN goes with it in one pipeline. */
static enum db_qs
isolation_body(struct db_conn *c, void *cls)
{
	enum db_qs qs;
	PGresult *res = db_exec(c, &stmt_isolation, NULL, &qs);

	if (res == NULL)
		return qs;
	snprintf(cls, 32, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return DB_ONE_RESULT;
}

static void
test_tx_begin_with_first_statement(void **state)
{
	struct db_conn *c = db_thread_conn();
	char iso[32] = "";

	(void)state;
	/* Not prepared yet on this connection: BEGIN, Parse and the statement. */
	assert_int_equal(prepared_count(c, "test_isolation"), 0);
	assert_int_equal(db_tx_run(c, "SERIALIZABLE", isolation_body, iso), DB_ONE_RESULT);
	assert_string_equal(iso, "serializable");
	assert_int_equal(prepared_count(c, "test_isolation"), 1);
	/* Prepared: BEGIN and the statement. */
	assert_int_equal(db_tx_run(c, "REPEATABLE READ", isolation_body, iso), DB_ONE_RESULT);
	assert_string_equal(iso, "repeatable read");
	assert_int_equal(PQtransactionStatus(db_pg(c)), PQTRANS_IDLE);
	assert_int_equal(PQpipelineStatus(db_pg(c)), PQ_PIPELINE_OFF);
	/* Outside a transaction it runs alone, at the default level. */
	assert_int_equal(isolation_body(c, iso), DB_ONE_RESULT);
	assert_string_equal(iso, "read committed");
}

static enum db_qs
bad_first_body(struct db_conn *c, void *cls)
{
	enum db_qs qs;
	PGresult *res = db_exec(c, &stmt_bad, NULL, &qs);

	(void)cls;
	PQclear(res);
	return res == NULL ? qs : DB_ONE_RESULT;
}

static enum db_qs
no_statement_body(struct db_conn *c, void *cls)
{
	(void)c;
	(*(int *)cls)++;
	return DB_ROLLBACK;
}

static void
test_tx_failed_first_statement_and_none(void **state)
{
	struct db_conn *c = db_thread_conn();
	int calls = 0;

	(void)state;
	assert_int_equal(db_tx_run(c, "READ COMMITTED", bad_first_body, NULL), DB_HARD_ERROR);
	assert_string_equal(db_last_sqlstate(c), "22012");
	assert_false(db_conn_lost(c));
	assert_int_equal(PQtransactionStatus(db_pg(c)), PQTRANS_IDLE);
	assert_int_equal(PQpipelineStatus(db_pg(c)), PQ_PIPELINE_OFF);
	exec_one(c, 1, 2);
	/* A body that runs no statement: its status, nothing left open. */
	assert_int_equal(db_tx_run(c, "READ COMMITTED", no_statement_body, &calls), DB_ROLLBACK);
	assert_int_equal(calls, 1);
	assert_int_equal(PQtransactionStatus(db_pg(c)), PQTRANS_IDLE);
	exec_one(c, 2, 3);
}

static void
test_unreachable_database(void **state)
{
	char err[256] = "";
	struct db_conn *c = db_conn_open("host=/nonexistent dbname=x", 1, err, sizeof(err));

	(void)state;
	assert_null(c);
	assert_non_null(strstr(err, "/nonexistent"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prepare_once_per_connection),
	    cmocka_unit_test(test_query_status),
	    cmocka_unit_test(test_reconnect_reprepares),
	    cmocka_unit_test(test_tx_retries_serialization_failure),
	    cmocka_unit_test(test_tx_gives_up_after_retries),
	    cmocka_unit_test(test_tx_hard_error_not_retried),
	    cmocka_unit_test(test_tx_begin_with_first_statement),
	    cmocka_unit_test(test_tx_failed_first_statement_and_none),
	    cmocka_unit_test(test_unreachable_database),
	};

	conninfo = getenv("KOMPAS_TEST_OWNER_CONNINFO");
	if (conninfo == NULL) {
		fprintf(stderr, "KOMPAS_TEST_OWNER_CONNINFO is not set: run through make test\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
