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
#define FUNCTIONS_DIR    "functions"
#define INCLUDE_PREFIX   "\\ir " FUNCTIONS_DIR "/"

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

/* The function files' own record, made by the first migrate that applies a
 * function file (after the numbered migrations: kompas_app exists then). */
static const char function_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_function ("
    " name text PRIMARY KEY CHECK (name ~ '^[a-z_][a-z0-9_]{0,62}$'),"
    " checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "COMMENT ON TABLE schema_function IS 'Function files applied by kompasd migrate, one row per "
    "schema/functions/name.sql file; a changed file is applied again';"
    "COMMENT ON COLUMN schema_function.name IS 'The file name without .sql: the function it "
    "defines';"
    "COMMENT ON COLUMN schema_function.checksum IS 'Hex SHA-256 of the file when last applied';"
    "COMMENT ON COLUMN schema_function.applied_at IS 'When the file was last applied';"
    "GRANT SELECT ON schema_function TO kompas_app;";

/* Migrations whose function definitions moved to schema/functions/ (issue
 * 16): a database that applied one of them before keeps its recorded
 * checksum (old), which is accepted only while the file is exactly what it
 * became then (new). What the old file defined is what the function files
 * define now, so such a database needs only the function pass. */
static const struct {
	unsigned version;
	const char *old, *new;
} superseded[] = {
    {2, "3ee0aa233b3ebcc3dec8ab9532dcebf787571b6c5892fc71d16a107c303f3507",
     "661d2a381285eb03d904a2fccacd6edb6edbed703ac6db0d645b399d1e6ac268"},
    {5, "16469946a28f6c91d448c90f16b21d342b235c3ab369ffa6f708dfc2669f869f",
     "737525cdc87a774fb42b8d7b6b015d113ec87b97ed8aafc6918b3c3e2bb542bf"},
    {6, "0a055013b9861f06f5fd50b5ae9659acaceecba0278628dd700973c038580fa5",
     "b741ef252e9c8a14304b4fb3fdad85a4a10506bd13e7031a5a8ae2f7e5c2e9f6"},
    {7, "f708925538f5893cc93c0f0fac4f5481c099aa4a3a5d59e2bfc3d69b0ccbd6d8",
     "0f3806833c97d972e6fd9b81f85569e12b23fb4d1c4bbfb7f4b89d71b9329bba"},
    {8, "52f135c5e2d2d401028d61b26826370be6a1ecf27fdad7a4fcca696ea7100176",
     "ca6b684301fd289ba46e5a765d0ecdaf40ac65149131a3282f45e08ad7a659d3"},
    {9, "8f38ae523f9ad7db7200b9db10a88dba8e9f9a4a73132145fdfaa68f98946807",
     "2f33c66ed5cda211ddaa654939a5224b6d1aa3826d2d629375b93ec5487a9531"},
    {10, "b0ee125fde32b280017e5a329c15a4ad4057247a328c0d8da80ad5553ca72c84",
     "9adb33f7d67d0af100df1976c7b7255662905b185ca8aa501a2929d21733cb48"},
    {11, "5603d0a0827dd62b0248de1174c3e55c15c7acb545b3848b362f8e0ab49c824f",
     "5c3d8171ec7e8af13cd7a33baa31fce50a82b647aef01c4ad3bf0991f0a53db4"},
    {12, "6e2a1d94386da912fe1b70d36b62920f31ca3b6fcc3a8ada4067227b71de51e6",
     "d68f89c537bb4c944505dc9dfedfd7542192f964d0d72dfc091119184825d457"},
    {13, "0a5238adb66734f05f76cf47340b6883b0df50d16117aa59c546313827664d53",
     "4cd7e0d14bf6bc01585e3d667309ef134a9095731d29b37a92f6003377213d80"},
    {14, "d1196dd98fce08876bf8940ea7a32f3d9cd2e22ac4a54809e4d670af2edeb077",
     "cc2c2b1f1a2df348109ef6b4c3077f593a3e0f9e0db8b46cc002e07d839b5992"},
    {16, "5c6feb64b72892b6a599a2b7fa78b975bf4d76a758d7877ef99c4156e3c5f159",
     "2384325b63c181d1151f8cd6750e88cb2fc2551a7a62ece46e226aa7aa10eab6"},
    {17, "c6963fa9707d4e298cc83bd5df79b9d57aefe75229b7fcd74492c777676e0fa0",
     "afd5f380a5f7002400fbbb0a824b3318fbaa8e5bd2932a957a4bbeda14a3d083"},
    {18, "b9ef292cde1b891801654b9d66eff06ce6e55c108ab41f60e478dcab72f6149f",
     "ff111e0d9f8e73dc4a25c2274bc50fd1850027a799996e6613cad9368f5e8f23"},
    {19, "bb75194b64e4809e3c61f3a83a9f0a81eea74d40e98342ebe2f59510a7127910",
     "805a5fb000cd33e7b1bdb51e63727e19343fd1892374330247493ca46897bec5"},
    {20, "e34c4defa669a494c6da5e39115d795626c528303cca9317c05497c2b3b3e1b5",
     "27d637771cc47dda4947bcf40134032949061f410a7aa07d39072ce32a06edb4"},
    {21, "9a62e1bcf8a35ec528b8b11fdddf78d2fefa4fab3c6af6097917e72eb123d13d",
     "22821c8a778d2e1639d59fb31e5830a93c57b143303dc7de2b47a823864ab12e"},
    {23, "d0482928a23a4ce3a580aac5d7a733c10b22e2fd70a8906760a82c3127f596e6",
     "af3873498a4c4ed4e76c75e99808a9f8b07e394a8044791c9b59846d90b296e0"},
    {24, "d13ef975049340353c8d9109d3b9711c2449917092b7dcb6a62d08541cdbbe10",
     "6b324fcee40f954f68d3fe8c0c2fc9f4bb5c1ea21fd29c906d360e9aaf1ed73d"},
    {26, "b8dfc56f574c7a1c8d64c240491019341fb8aabdcd6d2c24fc1030ff36f2310c",
     "c5b9a6756975d2c0c9a590388062f057be385c24938ff6e68bbb880c4678a4ac"},
    {28, "14896bb77f5397a7324c46846d502b5094f3cc14a39915575ace34d68a75c351",
     "de08760cfda856902fd085783dcec79f76a2341a82e82862365e7eac318d794b"},
    {29, "192b3dae866cca81109536fda446d5b49cddb80c816addad545760b4fbf2feb8",
     "e37480e583029b7b4e6f217748134d0c75bd96b7ba206d4c690b05436d3014d0"},
    {30, "0204dcaf4d21feb3053e8ae0f94a5ca9b2862e34e2a5c04bacd5de598c9810b5",
     "5cee6d8427f01dd368750653ef7ca56a108bda44ce9ab09211c9cf45c76d5dbe"},
};

static int
superseded_ok(unsigned version, const char *recorded, const char *current)
{
	for (size_t i = 0; i < sizeof(superseded) / sizeof(superseded[0]); i++)
		if (superseded[i].version == version && strcmp(superseded[i].old, recorded) == 0 &&
		    strcmp(superseded[i].new, current) == 0)
			return 1;
	return 0;
}

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

/* A function file's name: lowercase_name.sql, the name at most 63 bytes. */
static int
valid_function_name(const char *name)
{
	size_t len = strlen(name);

	if (len < 5 || len > 63 + 4 || strcmp(name + len - 4, ".sql") != 0 ||
	    isdigit((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < len - 4; i++)
		if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		      name[i] == '_'))
			return 0;
	return 1;
}

static int
cmp_function(const void *a, const void *b)
{
	const struct function_file *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Read path into *sql and its checksum; 0 or -1 with err set. */
static int
load_file(const char *path, char **sql, char checksum[65], char *err, size_t errlen)
{
	struct buf content;

	buf_init(&content);
	if (read_file(path, &content) != 0) {
		snprintf(err, errlen, "%s: cannot read", path);
		buf_cleanup(&content);
		return -1;
	}
	hex_sha256(content.data ? content.data : "", content.len, checksum);
	*sql = buf_steal(&content, NULL);
	return 0;
}

/* The function file a "\ir functions/<name>.sql" line names (line is len
 * bytes, not NUL-terminated), or NULL. */
static const struct function_file *
include_target(const struct migration_set *set, const char *line, size_t len)
{
	size_t pre = strlen(INCLUDE_PREFIX);

	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	if (len <= pre + 4 || strncmp(line, INCLUDE_PREFIX, pre) != 0 ||
	    strncmp(line + len - 4, ".sql", 4) != 0)
		return NULL;
	for (size_t i = 0; i < set->nfns; i++)
		if (strlen(set->fns[i].name) == len - pre - 4 &&
		    strncmp(set->fns[i].name, line + pre, len - pre - 4) == 0)
			return &set->fns[i];
	return NULL;
}

/* Every line of a migration that begins with a backslash must be an
 * include of an existing function file. */
static int
check_includes(const struct migration_set *set, const struct migration *m, char *err, size_t errlen)
{
	unsigned lineno = 1;

	for (const char *p = m->sql; *p; lineno++) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (*p == '\\' && include_target(set, p, len) == NULL) {
			snprintf(err, errlen,
			         "%s:%u: a line beginning with a backslash must be "
			         "\\ir functions/<name>.sql naming a file in %s/",
			         m->name, lineno, FUNCTIONS_DIR);
			return -1;
		}
		p += len + (eol != NULL);
	}
	return 0;
}

/* Read every name.sql in dir/functions (none when it does not exist). */
static int
load_functions(struct migration_set *set, const char *dir, char *err, size_t errlen)
{
	char *fdir = xmalloc(strlen(dir) + sizeof(FUNCTIONS_DIR) + 1);
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int rc = -1;

	sprintf(fdir, "%s/%s", dir, FUNCTIONS_DIR);
	d = opendir(fdir);
	if (d == NULL) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc != 0)
			snprintf(err, errlen, "%s: %s", fdir, strerror(errno));
		free(fdir);
		return rc;
	}
	while ((e = readdir(d)) != NULL) {
		struct function_file *f;

		if (e->d_name[0] == '.' || strstr(e->d_name, ".sql") == NULL)
			continue;
		if (!valid_function_name(e->d_name)) {
			snprintf(err, errlen, "%s/%s: name must be lowercase_name.sql", fdir,
			         e->d_name);
			goto out;
		}
		if (set->nfns == cap) {
			cap = cap ? cap * 2 : 64;
			set->fns = xrealloc(set->fns, cap * sizeof(*set->fns));
		}
		f = &set->fns[set->nfns++];
		memset(f, 0, sizeof(*f));
		f->name = xstrndup(e->d_name, strlen(e->d_name) - 4);
		f->path = xmalloc(strlen(fdir) + strlen(e->d_name) + 2);
		sprintf(f->path, "%s/%s", fdir, e->d_name);
		if (load_file(f->path, &f->sql, f->checksum, err, errlen) != 0)
			goto out;
	}
	qsort(set->fns, set->nfns, sizeof(*set->fns), cmp_function);
	rc = 0;
out:
	closedir(d);
	free(fdir);
	return rc;
}

int
migration_set_load(struct migration_set *set, const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;
	int rc = -1;

	memset(set, 0, sizeof(*set));
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		struct migration *m;

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
		if (load_file(m->path, &m->sql, m->checksum, err, errlen) != 0)
			goto out;
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
	if (load_functions(set, dir, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < set->n; i++)
		if (check_includes(set, &set->items[i], err, errlen) != 0)
			goto out;
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
	for (size_t i = 0; i < set->nfns; i++) {
		free(set->fns[i].name);
		free(set->fns[i].path);
		free(set->fns[i].sql);
	}
	free(set->items);
	free(set->fns);
	memset(set, 0, sizeof(*set));
}

static struct db_stmt stmt_current_version =
    DB_STMT("migrate_current_version", "SELECT coalesce(max(version), 0) FROM schema_migration", 0);

enum db_qs
migrate_current_version(unsigned *version, bool *unavailable)
{
	enum db_qs qs;
	PGresult *res = db_exec_alone(&stmt_current_version, NULL, &qs, unavailable);

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
		if (strcmp(PQgetvalue(res, i, 1), set->items[v - 1].checksum) != 0 &&
		    !superseded_ok(v, PQgetvalue(res, i, 1), set->items[v - 1].checksum)) {
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

/* Fetch schema_function as (name, checksum) ordered by name; an empty result
 * when the table does not exist yet. */
static PGresult *
fetch_functions(PGconn *pg, char *err, size_t errlen)
{
	PGresult *res = PQexec(pg, "SELECT to_regclass('schema_function') IS NOT NULL");
	const char *sql = "SELECT name, checksum FROM schema_function ORDER BY name COLLATE \"C\"";

	if (PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		sql = "SELECT ''::text AS name, ''::text AS checksum WHERE false";
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		PQclear(res);
		res = PQexec(pg, sql);
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "reading schema_function: %s", PQerrorMessage(pg));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* The recorded row of name in res, or -1. */
static int
recorded_row(PGresult *res, const char *name)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (strcmp(PQgetvalue(res, i, 0), name) == 0)
			return i;
	return -1;
}

/* Whether set has a function file called name. */
static int
has_function_file(const struct migration_set *set, const char *name)
{
	for (size_t i = 0; i < set->nfns; i++)
		if (strcmp(set->fns[i].name, name) == 0)
			return 1;
	return 0;
}

/* Count what the function pass would do: files never applied or changed
 * since (pending[i] set for those when pending is not NULL), and recorded
 * files that no longer exist. */
static size_t
function_work(const struct migration_set *set, PGresult *res, char *pending)
{
	size_t n = 0;

	for (size_t i = 0; i < set->nfns; i++) {
		int row = recorded_row(res, set->fns[i].name);
		int todo = row < 0 || strcmp(PQgetvalue(res, row, 1), set->fns[i].checksum) != 0;

		if (pending != NULL)
			pending[i] = (char)todo;
		n += (size_t)todo;
	}
	for (int i = 0; i < PQntuples(res); i++)
		n += (size_t)!has_function_file(set, PQgetvalue(res, i, 0));
	return n;
}

int
migrate_functions_pending(struct db_conn *c, const struct migration_set *set, size_t *pending,
                          char *err, size_t errlen)
{
	PGresult *res = fetch_functions(db_pg(c), err, errlen);

	if (res == NULL)
		return -1;
	*pending = function_work(set, res, NULL);
	PQclear(res);
	return 0;
}

/* Apply one function file inside the current transaction. */
static int
exec_function(PGconn *pg, const char *migration, const struct function_file *f, char *err,
              size_t errlen)
{
	char what[192];

	snprintf(what, sizeof(what), "%s%s" FUNCTIONS_DIR "/%s.sql", migration ? migration : "",
	         migration ? ": " : "", f->name);
	return exec_script(pg, f->sql, what, err, errlen);
}

/* Run a migration's SQL in the current transaction: the text between its
 * "\ir functions/<name>.sql" lines as it is, each such line as that
 * function file (bodies unchecked: see migrate.h). */
static int
exec_migration(PGconn *pg, const struct migration_set *set, const struct migration *m, char *err,
               size_t errlen)
{
	const char *seg = m->sql, *p = m->sql;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const struct function_file *f = *p == '\\' ? include_target(set, p, len) : NULL;

		if (f != NULL) {
			char *part = xstrndup(seg, (size_t)(p - seg));
			int rc = exec_script(pg, part, m->name, err, errlen);

			free(part);
			if (rc != 0 ||
			    exec_script(pg, "SET LOCAL check_function_bodies = off", m->name, err,
			                errlen) != 0 ||
			    exec_function(pg, m->name, f, err, errlen) != 0)
				return -1;
			seg = p + len + (eol != NULL);
		}
		p += len + (eol != NULL);
	}
	return exec_script(pg, seg, m->name, err, errlen);
}

/* Forget a recorded function file that is gone; refused while a function of
 * that name still exists (dropping it is a numbered migration's job). */
static int
forget_function(PGconn *pg, const char *name, char *err, size_t errlen)
{
	const char *params[1] = {name};
	PGresult *res = PQexecParams(pg,
	                             "WITH gone AS (DELETE FROM schema_function WHERE name = $1) "
	                             "SELECT count(*) FROM pg_proc WHERE proname = $1 AND "
	                             "pronamespace = 'public'::regnamespace",
	                             1, NULL, params, NULL, NULL, 0);
	int rc = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(err, errlen, "forgetting %s/%s.sql: %s", FUNCTIONS_DIR, name,
		         PQerrorMessage(pg));
	else if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
		snprintf(err, errlen,
		         "%s/%s.sql was applied before and is gone, but function %s still exists: "
		         "drop it in a numbered migration",
		         FUNCTIONS_DIR, name, name);
	else
		rc = 0;
	PQclear(res);
	return rc;
}

/* Record that f was applied with its current checksum. */
static int
record_function(PGconn *pg, const struct function_file *f, char *err, size_t errlen)
{
	const char *params[2] = {f->name, f->checksum};
	PGresult *res =
	    PQexecParams(pg,
	                 "INSERT INTO schema_function (name, checksum) VALUES ($1, $2) "
	                 "ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, "
	                 "applied_at = now()",
	                 2, NULL, params, NULL, NULL, 0);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;

	if (rc != 0)
		snprintf(err, errlen, "%s/%s.sql: recording: %s", FUNCTIONS_DIR, f->name,
		         PQerrorMessage(pg));
	PQclear(res);
	return rc;
}

/* The function pass, in one transaction: every new or changed function file
 * is applied twice in name order, first with check_function_bodies off (so
 * a body may call a function of a later file), then with it on (every body
 * checked against the finished schema); gone files are forgotten. */
static int
function_pass(PGconn *pg, const struct migration_set *set, char *err, size_t errlen)
{
	PGresult *res = fetch_functions(pg, err, errlen);
	char *pending;
	int rc = -1;

	if (res == NULL)
		return -1;
	pending = xcalloc(set->nfns + 1, 1);
	if (function_work(set, res, pending) == 0) {
		rc = 0;
		goto out;
	}
	if (exec_script(pg, "BEGIN", "functions", err, errlen) != 0)
		goto out;
	if (exec_script(pg, function_table_sql, "creating schema_function", err, errlen) != 0)
		goto rollback;
	for (int pass = 0; pass < 2; pass++) {
		if (exec_script(pg,
		                pass == 0 ? "SET LOCAL check_function_bodies = off"
		                          : "SET LOCAL check_function_bodies = on",
		                "functions", err, errlen) != 0)
			goto rollback;
		for (size_t i = 0; i < set->nfns; i++)
			if (pending[i] && exec_function(pg, NULL, &set->fns[i], err, errlen) != 0)
				goto rollback;
	}
	for (size_t i = 0; i < set->nfns; i++)
		if (pending[i] && record_function(pg, &set->fns[i], err, errlen) != 0)
			goto rollback;
	for (int i = 0; i < PQntuples(res); i++)
		if (!has_function_file(set, PQgetvalue(res, i, 0)) &&
		    forget_function(pg, PQgetvalue(res, i, 0), err, errlen) != 0)
			goto rollback;
	rc = exec_script(pg, "COMMIT", "functions", err, errlen);
	goto out;
rollback:
	PQclear(PQexec(pg, "ROLLBACK"));
out:
	free(pending);
	PQclear(res);
	return rc;
}

/* Apply migration m and record it, in one transaction. */
static int
apply_one(PGconn *pg, const struct migration_set *set, const struct migration *m, char *err,
          size_t errlen)
{
	const char *params[3];
	char version[16];
	PGresult *res;

	if (exec_script(pg, "BEGIN", m->name, err, errlen) != 0)
		return -1;
	if (exec_migration(pg, set, m, err, errlen) != 0) {
		PQclear(PQexec(pg, "ROLLBACK"));
		return -1;
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
		return -1;
	}
	PQclear(res);
	return exec_script(pg, "COMMIT", m->name, err, errlen);
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
		if (apply_one(pg, set, &set->items[i], err, errlen) != 0)
			goto out;
		(*count)++;
	}
	rc = function_pass(pg, set, err, errlen);
out:
	PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	return rc;
}
