/* migrate.c - the migration runner. */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "mem.h"

#define MIGRATE_LOCK_KEY "7321540012"

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migration ("
    " version integer PRIMARY KEY CHECK (version > 0),"
    " name text NOT NULL,"
    " checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "COMMENT ON TABLE schema_migration IS 'Migrations applied by kompasd migrate, one row per "
    "schema/NNNN_name.sql file';"
    "COMMENT ON COLUMN schema_migration.version IS 'The NNNN number of the file';"
    "COMMENT ON COLUMN schema_migration.name IS 'The file name';"
    "COMMENT ON COLUMN schema_migration.checksum IS 'Hex SHA-256 of the file when applied; a "
    "changed file is refused';"
    "COMMENT ON COLUMN schema_migration.applied_at IS 'When the migration was applied';";

static int
valid_name(const char *name)
{
	size_t len = strlen(name);

	if (len < 10 || strcmp(name + len - 4, ".sql") != 0)
		return 0;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)name[i]))
			return 0;
	if (name[4] != '_')
		return 0;
	for (size_t i = 5; i < len - 4; i++)
		if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		      name[i] == '_'))
			return 0;
	return 1;
}

static int
cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

static int
read_file(const char *path, struct buf *out)
{
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	n = (size_t)ferror(f);
	fclose(f);
	return n ? -1 : 0;
}

static void
hex_sha256(const char *data, size_t len, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)data, len);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

int
migration_set_load(struct migration_set *set, const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;
	int rc = -1;

	set->items = NULL;
	set->n = 0;
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		struct migration *m;
		struct buf content;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".sql") == NULL)
			continue;
		if (!valid_name(e->d_name)) {
			snprintf(err, errlen, "%s/%s: name must be NNNN_lowercase_name.sql", dir,
			         e->d_name);
			goto out;
		}
		if (set->n == cap) {
			cap = cap ? cap * 2 : 16;
			set->items = xrealloc(set->items, cap * sizeof(*set->items));
		}
		m = &set->items[set->n];
		memset(m, 0, sizeof(*m));
		m->version = (unsigned)atoi(e->d_name);
		m->name = xstrdup(e->d_name);
		m->path = xmalloc(strlen(dir) + strlen(e->d_name) + 2);
		sprintf(m->path, "%s/%s", dir, e->d_name);
		set->n++;
		buf_init(&content);
		if (read_file(m->path, &content) != 0) {
			snprintf(err, errlen, "%s: cannot read", m->path);
			buf_cleanup(&content);
			goto out;
		}
		hex_sha256(content.data ? content.data : "", content.len, m->checksum);
		m->sql = buf_steal(&content, NULL);
	}
	qsort(set->items, set->n, sizeof(*set->items), cmp_migration);
	for (size_t i = 0; i < set->n; i++) {
		if (set->items[i].version != i + 1) {
			snprintf(err, errlen,
			         "%s: expected migration number %04zu here (no gaps or "
			         "duplicates allowed)",
			         set->items[i].name, i + 1);
			goto out;
		}
	}
	rc = 0;
out:
	closedir(d);
	if (rc != 0)
		migration_set_free(set);
	return rc;
}

void
migration_set_free(struct migration_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->items[i].name);
		free(set->items[i].path);
		free(set->items[i].sql);
	}
	free(set->items);
	set->items = NULL;
	set->n = 0;
}

static struct db_stmt stmt_current_version =
    DB_STMT("migrate_current_version", "SELECT coalesce(max(version), 0) FROM schema_migration", 0);

enum db_qs
migrate_current_version(struct db_conn *c, unsigned *version)
{
	enum db_qs qs;
	PGresult *res = db_exec(c, &stmt_current_version, NULL, &qs);

	if (res == NULL)
		return qs;
	*version = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return DB_ONE_RESULT;
}

/* Run sql with the simple query protocol; returns 0 or -1 with err set. */
static int
exec_script(PGconn *pg, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	/* a file of comments only is an empty query: nothing to do */
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		const char *msg = PQresultErrorMessage(res);

		snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Fetch applied rows as a PGresult (version, checksum) ordered by version. */
static PGresult *
fetch_applied(PGconn *pg, char *err, size_t errlen)
{
	PGresult *res;

	res = PQexec(pg, "SELECT to_regclass('schema_migration') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading schema_migration: %s", PQerrorMessage(pg));
		PQclear(res);
		return NULL;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return PQexec(pg, "SELECT 0::int AS version, ''::text AS checksum WHERE false");
	}
	PQclear(res);
	res = PQexec(pg, "SELECT version, checksum FROM schema_migration ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading schema_migration: %s", PQerrorMessage(pg));
		PQclear(res);
		return NULL;
	}
	return res;
}

int
migrate_status(struct db_conn *c, const struct migration_set *set, unsigned *applied,
               size_t *pending, char *err, size_t errlen)
{
	PGresult *res = fetch_applied(db_pg(c), err, errlen);
	int n, rc = -1;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	*applied = 0;
	for (int i = 0; i < n; i++) {
		unsigned v = (unsigned)strtoul(PQgetvalue(res, i, 0), NULL, 10);

		if (v > set->n) {
			snprintf(err, errlen,
			         "the database has migration %04u but no such file exists: this "
			         "kompasd is older than the database",
			         v);
			goto out;
		}
		if (strcmp(PQgetvalue(res, i, 1), set->items[v - 1].checksum) != 0) {
			snprintf(
			    err, errlen,
			    "%s was changed after it was applied (checksum differs); add a new "
			    "migration instead",
			    set->items[v - 1].name);
			goto out;
		}
		if (v != (unsigned)i + 1) {
			snprintf(err, errlen, "schema_migration lacks version %04d", i + 1);
			goto out;
		}
		*applied = v;
	}
	*pending = set->n - *applied;
	rc = 0;
out:
	PQclear(res);
	return rc;
}

int
migrate_apply(struct db_conn *c, const struct migration_set *set, size_t *count, char *err,
              size_t errlen)
{
	PGconn *pg = db_pg(c);
	unsigned applied;
	size_t pending;
	int rc = -1;

	*count = 0;
	if (exec_script(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "lock", err, errlen) !=
	    0)
		return -1;
	if (exec_script(pg, "SET client_min_messages = warning", "setup", err, errlen) != 0 ||
	    exec_script(pg, create_table_sql, "creating schema_migration", err, errlen) != 0 ||
	    migrate_status(c, set, &applied, &pending, err, errlen) != 0)
		goto out;
	for (size_t i = applied; i < set->n; i++) {
		const struct migration *m = &set->items[i];
		const char *params[3];
		char version[16];
		PGresult *res;

		if (exec_script(pg, "BEGIN", m->name, err, errlen) != 0)
			goto out;
		if (exec_script(pg, m->sql, m->name, err, errlen) != 0) {
			PQclear(PQexec(pg, "ROLLBACK"));
			goto out;
		}
		snprintf(version, sizeof(version), "%u", m->version);
		params[0] = version;
		params[1] = m->name;
		params[2] = m->checksum;
		res = PQexecParams(pg,
		                   "INSERT INTO schema_migration (version, name, checksum) "
		                   "VALUES ($1, $2, $3)",
		                   3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			snprintf(err, errlen, "%s: recording: %s", m->name, PQerrorMessage(pg));
			PQclear(res);
			PQclear(PQexec(pg, "ROLLBACK"));
			goto out;
		}
		PQclear(res);
		if (exec_script(pg, "COMMIT", m->name, err, errlen) != 0)
			goto out;
		(*count)++;
	}
	rc = 0;
out:
	PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	return rc;
}
