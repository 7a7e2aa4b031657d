/* bootstrap.c - command-line bootstrap: the first admin, a centre. They
 * connect as the schema owner (migrate_conninfo), as migrations do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/spec.h"
#include "../app.h"

static struct db_conn *
owner_connect(const struct config *cfg)
{
	const char *ci =
	    cfg->migrate_conninfo && *cfg->migrate_conninfo ? cfg->migrate_conninfo : cfg->conninfo;
	char err[512];
	struct db_conn *c = db_conn_open(ci, cfg->connect_timeout, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "kompasd: cannot connect to the database: %s\n", err);
	return c;
}

/* Read the new admin's password from the environment or stdin's first line. */
static int
read_password(char *out, size_t outlen)
{
	const char *env = getenv("KOMPAS_ADMIN_PASSWORD");
	size_t n;

	if (env != NULL) {
		snprintf(out, outlen, "%s", env);
		return 0;
	}
	if (fgets(out, (int)outlen, stdin) == NULL)
		return -1;
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	return 0;
}

int
cmd_create_admin(const struct config *cfg, const char *email_in, const char *name)
{
	char email[256], password[512], hash[crypto_pwhash_STRBYTES];
	const char *why, *params[3];
	struct db_conn *c = NULL;
	enum db_qs qs;
	PGresult *res = NULL;
	int rc = 1;

	if (crypto_normalise_email(email_in, email, sizeof(email)) != 0 ||
	    !spec_format_ok(SPEC_FMT_EMAIL, email)) {
		fprintf(stderr, "kompasd: '%s' is not an e-mail address\n", email_in);
		return 1;
	}
	if (read_password(password, sizeof(password)) != 0) {
		fprintf(stderr,
		        "kompasd: give the password in $KOMPAS_ADMIN_PASSWORD or on stdin\n");
		return 1;
	}
	why = password_problem(password, email);
	if (why != NULL) {
		fprintf(stderr, "kompasd: the password %s\n", why);
		goto out;
	}
	if (crypto_password_hash(password, hash) != 0)
		goto out;
	c = owner_connect(cfg);
	if (c == NULL)
		goto out;
	params[0] = email;
	params[1] = name;
	params[2] = hash;
	res = PQexecParams(
	    db_pg(c),
	    "INSERT INTO account (email, display_name, role, password_hash)"
	    " VALUES ($1, $2, 'admin', $3) ON CONFLICT (email) DO NOTHING RETURNING id",
	    3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "kompasd: %s", PQerrorMessage(db_pg(c)));
		goto out;
	}
	if (PQntuples(res) == 0) {
		fprintf(stderr, "kompasd: an account with e-mail %s exists already\n", email);
		goto out;
	}
	printf("created admin %s (%s)\n", email, PQgetvalue(res, 0, 0));
	rc = 0;
out:
	(void)qs;
	PQclear(res);
	db_conn_free(c);
	sodium_memzero(password, sizeof(password));
	return rc;
}

int
cmd_create_centre(const struct config *cfg, const char *slug, const char *name,
                  const char *municipality)
{
	const char *params[3] = {slug, name, municipality};
	struct db_conn *c;
	PGresult *res;
	int rc = 1;

	if (!spec_format_ok(SPEC_FMT_SLUG, slug) || strlen(slug) < 2 || strlen(slug) > 40) {
		fprintf(stderr, "kompasd: slug must be 2-40 lower-case letters, digits, hyphens\n");
		return 1;
	}
	c = owner_connect(cfg);
	if (c == NULL)
		return 1;
	res = PQexecParams(db_pg(c),
	                   "INSERT INTO centre (slug, name, municipality) VALUES ($1, $2, $3)"
	                   " ON CONFLICT (slug) DO NOTHING RETURNING id",
	                   3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "kompasd: %s", PQerrorMessage(db_pg(c)));
	else if (PQntuples(res) == 0)
		fprintf(stderr, "kompasd: a centre with slug %s exists already\n", slug);
	else {
		printf("created centre %s (%s)\n", slug, PQgetvalue(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	db_conn_free(c);
	return rc;
}
