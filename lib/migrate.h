/* migrate.h - numbered SQL migrations (schema/NNNN_name.sql) and stored
 * functions (schema/functions/<name>.sql).
 *
 * Numbered files are applied in order, each in its own transaction together
 * with a row in schema_migration (version, name, SHA-256 checksum, time). An
 * applied file whose content changed, a gap in the numbering or a database
 * that knows a version no file has is an error (except the checksums that
 * migrate.c lists as superseded by the move of the functions to their own
 * files). A line "\ir functions/<name>.sql" in a numbered file applies that
 * function file at that point, with check_function_bodies off, for the
 * policies, triggers and backfills of the migration that need the function.
 *
 * After them, the function pass applies in one transaction every function
 * file that is new or changed since schema_function recorded it (twice:
 * bodies unchecked, then checked, so files may call each other in any name
 * order), and forgets recorded files that are gone. Concurrent runs are
 * serialised by an advisory lock. docs/conventions.md says how to change a
 * stored function. */
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

struct function_file {
	char *name;        /* file name without .sql: the function it defines */
	char *path;        /* full path */
	char checksum[65]; /* hex SHA-256 of the content */
	char *sql;         /* content */
};

struct migration_set {
	struct migration *items; /* sorted by version, 1..n */
	size_t n;
	struct function_file *fns; /* sorted by name */
	size_t nfns;
};

/* Read every NNNN_name.sql file in dir, sorted by number, and every
 * name.sql in dir/functions (none when that folder does not exist). Returns
 * 0, or -1 with the reason in err (unreadable directory, bad name, duplicate
 * or missing number, a backslash line that is not an include of an existing
 * function file). On success the caller frees the set with
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

/* *pending receives how many function files the function pass would apply
 * or forget (new, changed or gone since last recorded). Returns 0, or -1
 * with the reason in err when schema_function cannot be read. */
int migrate_functions_pending(struct db_conn *c, const struct migration_set *set, size_t *pending,
                              char *err, size_t errlen);

/* Apply every pending migration in set, then the function pass. *count
 * receives how many numbered migrations were applied. Returns 0, or -1 with
 * the failing file and PostgreSQL's message in err (that migration, or the
 * whole function pass, is rolled back; earlier migrations stay). */
int migrate_apply(struct db_conn *c, const struct migration_set *set, size_t *count, char *err,
                  size_t errlen);

/* The highest applied version, for readiness checks: one prepared query,
 * run alone (db_exec_alone: pipelined with other requests' in an event
 * loop). Returns a query status (DB_ONE_RESULT on success) and sets
 * *version; on failure *unavailable says whether the database cannot take
 * statements now (503) rather than the statement failed. */
enum db_qs migrate_current_version(unsigned *version, bool *unavailable);

#endif
