/* maintenance.c - scheduled jobs inside kompasd (and as subcommands):
 * purging access-log entries past their retention, re-sealing personal
 * data with the newest key. The scheduler is one thread that wakes every
 * hour (and at start) and is woken at shutdown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/log.h"
#include "../../lib/worker.h"
#include "../app.h"

#define MAINTENANCE_INTERVAL_S 3600

static unsigned maintenance_pass(struct bg_worker *w);

/* The hourly scheduler thread (lib/worker.h); its arg is the configuration. */
static struct bg_worker sched = BG_WORKER_INIT("maintenance", maintenance_pass);

static struct db_stmt stmt_purge =
    DB_STMT("maintenance_purge_access_log",
            "SELECT kompas_access_log_purge(make_interval(days => $1::int))", 1);

long long
maintenance_purge_access_log(struct db_conn *c, unsigned days)
{
	char d[16];
	enum db_qs qs;
	PGresult *res;
	long long n;

	snprintf(d, sizeof(d), "%u", days);
	res = db_exec(c, &stmt_purge, (const char *const[]){d}, &qs);
	if (res == NULL)
		return -1;
	n = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

static struct db_stmt stmt_purge_idem =
    DB_STMT("maintenance_purge_idempotency", "SELECT kompas_idempotency_purge()", 0);

static void
purge_idempotency(struct db_conn *c)
{
	enum db_qs qs;
	PGresult *res = db_exec(c, &stmt_purge_idem, NULL, &qs);

	if (res == NULL)
		log_msg(LOG_WARN, "maintenance: purging stored idempotent answers failed");
	else
		PQclear(res);
}

static struct db_stmt stmt_anonymise_due =
    DB_STMT("maintenance_anonymise_due", "SELECT kompas_anonymise_due()", 0);

long long
maintenance_anonymise_due(struct db_conn *c)
{
	enum db_qs qs;
	PGresult *res = db_exec(c, &stmt_anonymise_due, NULL, &qs);
	long long n;

	if (res == NULL)
		return -1;
	n = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

static void
run_jobs(const struct config *cfg)
{
	char err[256];
	struct db_conn *c = db_conn_open(cfg->conninfo, cfg->connect_timeout, err, sizeof(err));
	long long n;

	if (c == NULL) {
		log_msg(LOG_WARN, "maintenance: database unavailable, will try again: %s", err);
		return;
	}
	purge_idempotency(c);
	n = maintenance_anonymise_due(c);
	if (n < 0)
		log_msg(LOG_WARN, "maintenance: anonymising requests past their retention failed");
	else if (n > 0)
		log_msg(LOG_INFO, "maintenance: anonymised %lld request(s) past their retention",
		        n);
	n = maintenance_purge_access_log(c, cfg->access_log_retention_days);
	if (n < 0)
		log_msg(LOG_WARN, "maintenance: purging the access log failed");
	else if (n > 0)
		log_msg(LOG_INFO, "maintenance: deleted %lld access-log entries older than %u days",
		        n, cfg->access_log_retention_days);
	db_conn_free(c);
}

/* One pass of the scheduler: the jobs, then an hour's wait. */
static unsigned
maintenance_pass(struct bg_worker *w)
{
	run_jobs(w->arg);
	return MAINTENANCE_INTERVAL_S;
}

int
maintenance_start(const struct config *cfg)
{
	sched.arg = (void *)cfg;
	return bg_worker_start(&sched, cfg->conninfo, cfg->connect_timeout);
}

void
maintenance_stop(void)
{
	bg_worker_stop(&sched);
}

/* --- key rotation ---------------------------------------------------- */

/* Every sealed column, per table; the table name and row id and the field
 * name are bound into each value (crypto_seal's associated data). */
struct sealed_table {
	const char *table;
	int n;
	const char *fields[5]; /* column <field>_sealed */
};

static const struct sealed_table sealed_tables[] = {
    {"request", 5, {"name", "phone", "email", "address", "notes"}},
    {"conversation", 1, {"summary"}},
    {"visit", 1, {"note"}},
};

/* Re-seal one field value; returns a new bytea parameter, or NULL (with
 * *failed set) when it does not open. */
static char *
reseal(const struct crypto_keys *keys, PGresult *res, int row, int col, const char *table,
       const char *id, const char *field, bool *failed)
{
	size_t len = 0, plen = 0, slen = 0;
	unsigned char *sealed = db_bytea_value(res, row, col, &len), *plain, *fresh;
	char place[96], *param;

	if (sealed == NULL)
		return NULL;
	snprintf(place, sizeof(place), "%s/%s/%s", table, id, field);
	plain = crypto_open(keys, place, sealed, len, &plen);
	free(sealed);
	if (plain == NULL) {
		*failed = true;
		return NULL;
	}
	fresh = crypto_seal(keys, place, plain, plen, &slen);
	sodium_memzero(plain, plen);
	free(plain);
	param = db_bytea_param(fresh, slen);
	free(fresh);
	return param;
}

static bool
exec_ok(PGconn *pg, const char *sql)
{
	PGresult *r = PQexec(pg, sql);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	PQclear(r);
	return ok;
}

/* The SELECT of rows still sealed with another key, and the UPDATE that
 * stores re-sealed values, for one table (names are constants above). */
static void
rotation_sql(const struct sealed_table *t, struct buf *sel, struct buf *upd)
{
	buf_appendf(sel, "SELECT id");
	for (int f = 0; f < t->n; f++)
		buf_appendf(sel, ", %s_sealed", t->fields[f]);
	buf_appendf(sel, " FROM %s WHERE id > $2::uuid AND EXISTS (SELECT 1 FROM unnest(ARRAY[",
	            t->table);
	for (int f = 0; f < t->n; f++)
		buf_appendf(sel, "%s%s_sealed", f ? ", " : "", t->fields[f]);
	buf_appendf(sel, "]) s WHERE s IS NOT NULL AND get_byte(s, 0) * 256 + get_byte(s, 1)"
	                 " <> $1::int) ORDER BY id LIMIT 200 FOR UPDATE");
	buf_appendf(upd, "UPDATE %s SET ", t->table);
	for (int f = 0; f < t->n; f++)
		buf_appendf(upd, "%s%s_sealed = coalesce($%d::bytea, %s_sealed)", f ? ", " : "",
		            t->fields[f], f + 2, t->fields[f]);
	buf_appendf(upd, " WHERE id = $1");
}

/* Re-seal one batch of a table's rows not sealed with the active key.
 * Returns the number re-sealed (-2: a batch of only unopenable rows), 0 when
 * none are left, -1 on an error. */
static long
rotate_batch(PGconn *pg, const struct crypto_keys *keys, const struct sealed_table *t,
             char *last_id, long *broken)
{
	char active[16];
	const char *qp[2] = {active, last_id};
	struct buf sel, upd;
	PGresult *res = NULL;
	long done = 0, rc = -1;
	int n;

	buf_init(&sel);
	buf_init(&upd);
	rotation_sql(t, &sel, &upd);
	snprintf(active, sizeof(active), "%u", crypto_active_key_id(keys));
	if (!exec_ok(pg, "BEGIN"))
		goto out;
	res = PQexecParams(pg, sel.data, 2, NULL, qp, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto fail;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		const char *id = PQgetvalue(res, i, 0);
		char *params[6] = {NULL};
		bool failed = false;
		PGresult *u = NULL;

		for (int f = 0; f < t->n; f++)
			params[f + 1] =
			    reseal(keys, res, i, f + 1, t->table, id, t->fields[f], &failed);
		params[0] = (char *)id;
		snprintf(last_id, 37, "%s", id);
		if (failed) {
			(*broken)++;
			fprintf(
			    stderr,
			    "kompasd: %s %s: a sealed field does not open with any key in the key "
			    "file; left as it is\n",
			    t->table, id);
		} else {
			u = PQexecParams(pg, upd.data, t->n + 1, NULL, (const char *const *)params,
			                 NULL, NULL, 0);
			failed = PQresultStatus(u) != PGRES_COMMAND_OK;
			PQclear(u);
			if (!failed)
				done++;
		}
		for (int f = 1; f <= t->n; f++)
			free(params[f]);
		if (failed && u != NULL)
			goto fail;
	}
	PQclear(res);
	res = NULL;
	if (!exec_ok(pg, "COMMIT"))
		goto out;
	rc = n == 0 ? 0 : (done > 0 ? done : -2);
	goto out;
fail:
	fprintf(stderr, "kompasd: key rotation: %s", PQerrorMessage(pg));
	PQclear(PQexec(pg, "ROLLBACK"));
out:
	PQclear(res);
	buf_cleanup(&sel);
	buf_cleanup(&upd);
	return rc;
}

/* A command's connection to conninfo, or NULL after saying why on stderr. */
static struct db_conn *
command_connect(const char *conninfo, const struct config *cfg)
{
	char err[512];
	struct db_conn *c = db_conn_open(conninfo, cfg->connect_timeout, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "kompasd: cannot connect to the database: %s\n", err);
	return c;
}

/* Does this connection's role own the request table (and so see every
 * centre's rows)? */
static bool
connected_as_owner(PGconn *pg)
{
	PGresult *r = PQexec(pg, "SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM "
	                         "pg_tables WHERE schemaname = 'public' AND tablename = 'request'");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	          PQgetvalue(r, 0, 0)[0] == 't';

	PQclear(r);
	return ok;
}

int
cmd_rotate_keys(const struct config *cfg)
{
	const char *ci =
	    cfg->migrate_conninfo && *cfg->migrate_conninfo ? cfg->migrate_conninfo : cfg->conninfo;
	struct crypto_keys *keys = NULL;
	char err[512], last_id[37] = "00000000-0000-0000-0000-000000000000";
	struct db_conn *c = NULL;
	long total = 0, broken = 0, n;
	int rc = 1;

	if (crypto_keys_load(cfg->key_file, &keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "kompasd: key file refused: %s\n", err);
		return 1;
	}
	c = command_connect(ci, cfg);
	if (c == NULL)
		goto out;
	if (!connected_as_owner(db_pg(c))) {
		fprintf(stderr,
		        "kompasd: rotate-keys must connect as the schema owner (row-level "
		        "security hides other roles' rows): set database.migrate_conninfo\n");
		goto out;
	}
	/* Per table, batches of rows that still need it, each in its own
	 * transaction; rows that cannot be opened are skipped (last_id moves
	 * past them). */
	for (size_t t = 0; t < sizeof(sealed_tables) / sizeof(sealed_tables[0]); t++) {
		long count = 0;

		snprintf(last_id, sizeof(last_id), "00000000-0000-0000-0000-000000000000");
		while ((n = rotate_batch(db_pg(c), keys, &sealed_tables[t], last_id, &broken)) !=
		       0) {
			if (n == -1)
				goto out;
			if (n > 0)
				count += n;
		}
		printf("re-sealed %ld %s row(s) with data key %u\n", count, sealed_tables[t].table,
		       crypto_active_key_id(keys));
		total += count;
	}
	if (broken)
		printf("some values could not be opened (see above)\n");
	rc = broken ? 2 : 0;
out:
	db_conn_free(c);
	crypto_keys_free(keys);
	return rc;
}

int
cmd_purge_access_log(const struct config *cfg)
{
	struct db_conn *c = command_connect(cfg->conninfo, cfg);
	long long n;

	if (c == NULL)
		return 1;
	n = maintenance_purge_access_log(c, cfg->access_log_retention_days);
	db_conn_free(c);
	if (n < 0) {
		fprintf(stderr, "kompasd: purging the access log failed\n");
		return 1;
	}
	printf("deleted %lld access-log entries older than %u days\n", n,
	       cfg->access_log_retention_days);
	return 0;
}

int
cmd_anonymise(const struct config *cfg)
{
	struct db_conn *c = command_connect(cfg->conninfo, cfg);
	long long n;

	if (c == NULL)
		return 1;
	n = maintenance_anonymise_due(c);
	db_conn_free(c);
	if (n < 0) {
		fprintf(stderr, "kompasd: anonymisation failed\n");
		return 1;
	}
	printf("anonymised %lld request(s) whose retention period had ended\n", n);
	return 0;
}
