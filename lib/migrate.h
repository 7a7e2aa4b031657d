/* migrate.h - numbered SQL migrations: schema/NNNN_name.sql.
 *
 * Files are applied in order, each in its own transaction together with a
 * row in schema_migration (version, name, SHA-256 checksum, time). An
 * applied file whose content changed, a gap in the numbering or a database
 * that knows a version no file has is an error. Concurrent runs are
 * serialised by an advisory lock. */
#ifndef KOMPAS_MIGRATE_H
#define KOMPAS_MIGRATE_H

#include <stddef.h>

#include "db.h"

struct migration {
	unsigned version;
	char *name;        /* file name without directory */
	char *path;        /* full path */
	char checksum[65]; /* hex SHA-256 of the content */
	char *sql;         /* content */
};

struct migration_set {
	struct migration *items;
	size_t n;
};

/* Read every NNNN_name.sql file in dir, sorted by number. Returns 0, or -1
 * with the reason in err (unreadable directory, bad name, duplicate or
 * missing number). On success the caller frees the set with
 * migration_set_free. */
int migration_set_load(struct migration_set *set, const char *dir, char *err, size_t errlen);

/* Free what migration_set_load allocated. Safe on a zeroed set. */
void migration_set_free(struct migration_set *set);

/* Compare the database with set: *applied receives the highest applied
 * version and *pending the number of files not yet applied. Returns 0, or -1
 * with the reason in err when the database cannot be read, a checksum
 * differs or the database is ahead of the files. */
int migrate_status(struct db_conn *c, const struct migration_set *set, unsigned *applied,
                   size_t *pending, char *err, size_t errlen);

/* Apply every pending migration in set. *count receives how many were
 * applied. Returns 0, or -1 with the failing file and PostgreSQL's message
 * in err (that migration is rolled back; earlier ones stay). */
int migrate_apply(struct db_conn *c, const struct migration_set *set, size_t *count, char *err,
                  size_t errlen);

/* The highest applied version, for readiness checks: one prepared query.
 * Returns a query status (DB_ONE_RESULT on success) and sets *version. */
enum db_qs migrate_current_version(struct db_conn *c, unsigned *version);

#endif
