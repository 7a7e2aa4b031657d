/* main.c - the kompasd command line: serve, migrate, version and helpers. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "../../lib/buf.h"
#include "../../lib/config.h"
#include "../../lib/db.h"
#include "../../lib/errors.h"
#include "../../lib/http.h"
#include "../../lib/log.h"
#include "../../lib/mem.h"
#include "../../lib/metrics.h"
#include "../../lib/migrate.h"
#include "../../lib/crypto.h"
#include "../../lib/notify.h"
#include "../../lib/sandbox.h"
#include "../app.h"
#include "../pipeline/pipeline.h"
#include "../routes.h"
#include "../pipeline/auth.h"

#define DEFAULT_CONFIG "/etc/kompas/kompas.conf"

struct app app;

static void
usage(FILE *out)
{
	fputs("usage: kompasd [-c FILE] COMMAND [OPTIONS]\n"
	      "\n"
	      "commands:\n"
	      "  serve [--migrate]   serve the API (--migrate: apply pending migrations first)\n"
	      "  migrate [--status]  apply pending migrations (--status: only report)\n"
	      "  check-config        parse the configuration and the key file, report problems\n"
	      "  create-admin EMAIL NAME\n"
	      "                      create a national admin account; the password is read\n"
	      "                      from $KOMPAS_ADMIN_PASSWORD or the first line of stdin\n"
	      "  create-centre SLUG NAME MUNICIPALITY\n"
	      "                      create a volunteer centre\n"
	      "  gen-keyfile         print a new key file (index key and data key 1)\n"
	      "  rotate-keys         re-seal personal data with the newest data key\n"
	      "  purge-access-log    delete access-log entries past their retention\n"
	      "  anonymise           anonymise closed requests past their retention\n"
	      "  seal-requests       seal citizens' details for a bulk load: COPY text rows\n"
	      "                      (id, name, phone, email, address, notes) on stdin to\n"
	      "                      sealed values and blind indexes on stdout\n"
	      "  routes [--markdown] print the route table (method, pattern, roles)\n"
	      "  errors              print the error table as Markdown (docs/errors.md)\n"
	      "  version             print the version\n"
	      "\n"
	      "-c FILE  configuration file (default $KOMPAS_CONFIG, else " DEFAULT_CONFIG ")\n"
	      "Any key can be overridden by KOMPAS_<SECTION>_<KEY>, e.g. "
	      "KOMPAS_DATABASE_CONNINFO.\n",
	      out);
}

/* Load configuration from path and the environment. Returns 0 or -1 after
 * printing the reason. */
static int
load_config(struct config *cfg, const char *path)
{
	char err[512];

	config_init(cfg);
	if (config_load_file(cfg, path, err, sizeof(err)) != 0 ||
	    config_apply_env(cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "kompasd: configuration refused: %s\n", err);
		return -1;
	}
	log_set_level(cfg->log_level);
	return 0;
}

static int
read_whole_file(const char *path, char **out, size_t *len)
{
	struct buf b;
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -1;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	*out = buf_steal(&b, len);
	return 0;
}

/* Migrations and bootstrap commands run as the schema owner. */
static const char *
owner_conninfo(const struct config *cfg)
{
	return cfg->migrate_conninfo && *cfg->migrate_conninfo ? cfg->migrate_conninfo
	                                                       : cfg->conninfo;
}

static int
cmd_migrate(const struct config *cfg, int status_only)
{
	struct migration_set set;
	struct db_conn *c = NULL;
	char err[1024];
	unsigned applied;
	size_t pending, fpending, count;
	int rc = 1;

	if (migration_set_load(&set, cfg->schema_dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "kompasd: migrations: %s\n", err);
		return 1;
	}
	c = db_conn_open(owner_conninfo(cfg), cfg->connect_timeout, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "kompasd: cannot connect to the database: %s\n", err);
		goto out;
	}
	if (status_only) {
		if (migrate_status(c, &set, &applied, &pending, err, sizeof(err)) != 0 ||
		    migrate_functions_pending(c, &set, &fpending, err, sizeof(err)) != 0) {
			fprintf(stderr, "kompasd: %s\n", err);
			goto out;
		}
		if (pending == 0 && fpending > 0)
			printf("schema version %u of %zu, %zu pending, %zu function file(s) to "
			       "apply\n",
			       applied, set.n, pending, fpending);
		else
			printf("schema version %u of %zu, %zu pending\n", applied, set.n, pending);
		rc = pending > 0 || fpending > 0 ? 3 : 0; /* functions follow migrations */
		goto out;
	}
	if (migrate_apply(c, &set, &count, err, sizeof(err)) != 0) {
		fprintf(stderr, "kompasd: migration failed: %s\n", err);
		goto out;
	}
	printf("applied %zu migration(s); schema version %zu\n", count, set.n);
	rc = 0;
out:
	db_conn_free(c);
	migration_set_free(&set);
	return rc;
}

/* Check that the database schema matches the migration files; apply them
 * first when migrate is set. Returns 0 when serving may start. */
static int
check_schema(const struct config *cfg, int migrate)
{
	struct migration_set set;
	struct db_conn *c;
	char err[1024];
	unsigned applied;
	size_t pending, fpending, count;
	int rc = -1;

	if (migration_set_load(&set, cfg->schema_dir, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "migrations: %s", err);
		return -1;
	}
	c = db_conn_open(migrate ? owner_conninfo(cfg) : cfg->conninfo, cfg->connect_timeout, err,
	                 sizeof(err));
	if (c == NULL) {
		log_msg(LOG_ERROR, "cannot connect to the database: %s", err);
		goto out;
	}
	if (migrate && migrate_apply(c, &set, &count, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "migration failed: %s", err);
		goto out;
	}
	if (migrate_status(c, &set, &applied, &pending, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "schema check: %s", err);
		goto out;
	}
	if (pending > 0) {
		log_msg(LOG_ERROR,
		        "the database schema is at version %u but this kompasd needs %zu: run "
		        "'kompasd migrate' or start with 'kompasd serve --migrate'",
		        applied, set.n);
		goto out;
	}
	if (migrate_functions_pending(c, &set, &fpending, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "schema check: %s", err);
		goto out;
	}
	if (fpending > 0) {
		log_msg(
		    LOG_ERROR,
		    "%zu stored function file(s) in %s/functions are new, changed or gone since "
		    "the last migrate: run 'kompasd migrate' or start with 'kompasd serve "
		    "--migrate'",
		    fpending, cfg->schema_dir);
		goto out;
	}
	app.schema_expected = (unsigned)set.n;
	rc = 0;
out:
	db_conn_free(c);
	migration_set_free(&set);
	return rc;
}

static void
build_index(void)
{
	json_t *j = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s}}", "name", "Kompas",
	                      "version", KOMPAS_VERSION, "links", "self", "/v1", "openapi",
	                      "/v1/openapi.yaml", "health", "/healthz", "ready", "/readyz",
	                      "metrics", "/metrics", "centres", "/v1/centres");

	app.index_json = json_dumps(j, JSON_COMPACT);
	app.index_len = strlen(app.index_json);
	json_decref(j);
}

/* A hash of a random password, verified against when a login names an
 * unknown account, so that it takes as long as a wrong password. */
static int
make_dummy_hash(void)
{
	char pw[33];

	crypto_token_new("", pw, sizeof(pw));
	return crypto_password_hash(pw, app.dummy_hash);
}

/* Worker threads when http.threads is 0, per CPU. A worker waits for
 * PostgreSQL during each of a request's round trips, and meanwhile its CPU
 * is idle unless another worker has work: measured on 2 CPUs, GET /readyz
 * answered about 1.5-2x the requests at 8 threads as at 2, with less CPU per
 * request, and 16 no more than 8 (docs/benchmarks.md, issue 17). */
#define WORKER_THREADS_PER_CPU 4

static unsigned
worker_threads(const struct config *cfg)
{
	long n;

	if (cfg->threads > 0)
		return cfg->threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0)
		n = 2;
	return n > 64 ? 256 : (unsigned)n * WORKER_THREADS_PER_CPU;
}

/* Event loops ([http] mode = events) when http.threads is 0: one per CPU
 * (a loop waits for nothing; it has several requests in flight). */
static unsigned
loop_threads(const struct config *cfg)
{
	long n;

	if (cfg->threads > 0)
		return cfg->threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n <= 0 ? 2 : (n > 256 ? 256 : (unsigned)n);
}

/* Threads for login password checks (argon2id, on the offload pool): the
 * configured number, else half the CPUs and at least one, so that a login
 * storm leaves CPUs to the workers. */
static unsigned
password_threads(const struct config *cfg)
{
	long n;

	if (cfg->password_threads > 0)
		return cfg->password_threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n >= 4 ? (unsigned)(n / 2) : 1;
}

/* Read the TLS certificate and key (PEM) named in the configuration, before
 * root is left. Neither set: plain HTTP. Returns 0, or -1 after logging. */
static int
load_tls(const struct config *cfg, char **cert, char **key)
{
	struct stat st;
	size_t len;

	*cert = *key = NULL;
	if (*cfg->tls_cert == '\0' && *cfg->tls_key == '\0')
		return 0;
	if (*cfg->tls_cert == '\0' || *cfg->tls_key == '\0') {
		log_msg(LOG_ERROR, "[http] tls_cert and tls_key must be set together");
		return -1;
	}
	if (stat(cfg->tls_key, &st) == 0 && (st.st_mode & 007) != 0) {
		log_msg(LOG_ERROR, "TLS key %s: others may read it (mode %04o); chmod o-rwx it",
		        cfg->tls_key, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (read_whole_file(cfg->tls_cert, cert, &len) != 0 ||
	    read_whole_file(cfg->tls_key, key, &len) != 0) {
		log_msg(LOG_ERROR, "cannot read the TLS certificate or key (%s, %s): %s",
		        cfg->tls_cert, cfg->tls_key, strerror(errno));
		return -1;
	}
	return 0;
}

struct reload_report {
	struct buf applied, restart;
};

static void
note_changed(const char *section, const char *key, void *arg)
{
	struct reload_report *r = arg;
	bool live = strcmp(section, "log") == 0 ||
	            (strcmp(section, "http") == 0 &&
	             (strcmp(key, "body_limit") == 0 || strcmp(key, "retry_after") == 0));
	struct buf *b = live ? &r->applied : &r->restart;

	buf_appendf(b, "%s%s.%s", b->len > 0 ? ", " : "", section, key);
}

/* SIGHUP: read the configuration file again. The log level, the access
 * log, the body limit and Retry-After take effect at once and the CORS
 * origins are re-read from the database; other changed keys are named as
 * needing a restart. A file that does not parse is refused and the running
 * configuration kept. */
static void
reload_config(struct config *cfg, const char *path, struct http_server *srv)
{
	struct reload_report r;
	struct config next;
	char err[512], state[64];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ULL +
	             (unsigned long long)ts.tv_nsec / 1000ULL);
	notify_send(state);
	buf_init(&r.applied);
	buf_init(&r.restart);
	config_init(&next);
	if (config_load_file(&next, path, err, sizeof(err)) != 0 ||
	    config_apply_env(&next, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "configuration reload refused, keeping the running one: %s",
		        err);
		goto out;
	}
	config_diff(cfg, &next, note_changed, &r);
	if (strcmp(next.access_log, cfg->access_log) != 0) {
		if (log_access_open(next.access_log) != 0) {
			log_msg(LOG_ERROR,
			        "configuration reload refused: cannot open access log %s: %s",
			        next.access_log, strerror(errno));
			goto out;
		}
		free(cfg->access_log);
		cfg->access_log = xstrdup(next.access_log);
	}
	cors_cleanup();
	cfg->body_limit = next.body_limit;
	cfg->retry_after = next.retry_after;
	http_server_set_limits(srv, cfg->body_limit, cfg->retry_after);
	/* Announced under the old level (the line shows even when the new level
	 * is quieter), and only once the limits are in force. */
	log_msg(LOG_INFO,
	        "configuration reloaded from %s; applied: %s; CORS origins re-read; changed but "
	        "needing a restart: %s",
	        path, r.applied.len > 0 ? r.applied.data : "nothing",
	        r.restart.len > 0 ? r.restart.data : "nothing");
	cfg->log_level = next.log_level;
	log_set_level(next.log_level);
out:
	config_cleanup(&next);
	buf_cleanup(&r.applied);
	buf_cleanup(&r.restart);
	notify_send("READY=1");
}

/* Serve until SIGINT or SIGTERM: SIGHUP reloads the configuration, SIGUSR1
 * reopens the access-log file (log rotation). */
static int
signal_loop(const sigset_t *set, struct config *cfg, const char *path, struct http_server *srv)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			return SIGTERM;
		if (sig == SIGHUP) {
			reload_config(cfg, path, srv);
		} else if (sig == SIGUSR1) {
			if (log_access_reopen() != 0)
				log_msg(LOG_ERROR, "cannot reopen the access log %s: %s",
				        cfg->access_log, strerror(errno));
			else
				log_msg(LOG_INFO, "access log reopened");
		} else {
			return sig;
		}
	}
}

/* Leave root and install the system-call filter. Returns 0 or -1 after
 * logging. */
static int
confine(const struct config *cfg)
{
	char err[512];

	if (sandbox_drop_privileges(cfg->user, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "%s", err);
		return -1;
	}
	if (!cfg->seccomp) {
		log_msg(LOG_WARN, "the system-call filter is off ([security] seccomp = 0)");
		return 0;
	}
	if (sandbox_seccomp_install(err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "sandbox: %s", err);
		return -1;
	}
	return 0;
}

/* What serve reads before it leaves root: the password dummy hash, the
 * access log, the OpenAPI document, the TLS files (*tls_cert, *tls_key:
 * the caller frees them) and the listening socket (*listen_fd); then it
 * confines the process. Returns 0, or -1 after logging. */
static int
prepare_serving(const struct config *cfg, char **tls_cert, char **tls_key, int *listen_fd)
{
	char err[512];

	if (make_dummy_hash() != 0) {
		log_msg(LOG_ERROR, "cannot allocate memory for password hashing");
		return -1;
	}
	if (log_access_open(cfg->access_log) != 0) {
		log_msg(LOG_ERROR, "cannot open access log %s: %s", cfg->access_log,
		        strerror(errno));
		return -1;
	}
	if (read_whole_file(cfg->openapi, &app.openapi, &app.openapi_len) != 0) {
		log_msg(LOG_ERROR, "cannot read the OpenAPI document %s: %s", cfg->openapi,
		        strerror(errno));
		return -1;
	}
	if (load_tls(cfg, tls_cert, tls_key) != 0)
		return -1;
	*listen_fd = http_listen_socket(cfg->listen, cfg->port, err, sizeof(err));
	if (*listen_fd < 0) {
		log_msg(LOG_ERROR, "%s", err);
		return -1;
	}
	return confine(cfg);
}

/* Block the signals signal_loop waits for (set); worker threads inherit
 * the mask, so only sigwait sees them. SIGPIPE is ignored. */
static void
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Check (or migrate) the schema, build GET /v1's body, set up the
 * per-thread database connections and the metrics. Returns 0, or -1 after
 * logging. */
static int
start_database(const struct config *cfg, int migrate)
{
	struct db_settings ds;

	if (check_schema(cfg, migrate) != 0)
		return -1;
	build_index();
	ds.conninfo = cfg->conninfo;
	ds.replica_conninfo = cfg->replica_conninfo;
	ds.replica_max_lag = cfg->replica_max_lag;
	ds.connect_timeout = cfg->connect_timeout;
	ds.tx_retries = cfg->tx_retries;
	if (db_global_init(&ds) != 0) {
		log_msg(LOG_ERROR, "cannot set up per-thread database connections");
		return -1;
	}
	metrics_init(api_nroutes, api_route_labels());
	return 0;
}

/* The HTTP server's settings from the configuration, the listening socket
 * and the TLS files (borrowed: they must outlive the server). */
static void
http_settings_of(const struct config *cfg, int listen_fd, const char *tls_cert, const char *tls_key,
                 struct http_settings *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->listen = cfg->listen;
	hs->port = cfg->port;
	hs->listen_fd_set = true;
	hs->listen_fd = listen_fd;
	hs->tls_cert_pem = tls_cert;
	hs->tls_key_pem = tls_key;
	hs->events = cfg->http_mode == 1;
	hs->threads = hs->events ? loop_threads(cfg) : worker_threads(cfg);
	hs->loop_db_connections = cfg->loop_connections;
	hs->body_limit = cfg->body_limit;
	hs->connection_timeout = cfg->connection_timeout;
	hs->connection_limit = cfg->connection_limit;
	hs->per_ip_connection_limit = cfg->per_ip_connection_limit;
	hs->request_header_timeout = cfg->request_header_timeout;
	hs->body_min_rate = cfg->body_min_rate;
	hs->body_rate_grace = cfg->body_rate_grace;
	hs->retry_after = cfg->retry_after;
	hs->offload_threads = password_threads(cfg);
	hs->offload_queue = cfg->password_queue;
	hs->trusted_proxy = cfg->trusted_proxy;
	hs->routes = api_routes;
	hs->nroutes = api_nroutes;
	hs->pipeline = pipeline_run;
	hs->origin_allowed = cors_origin_allowed;
}

/* With the server srv running: start the background threads, tell systemd
 * we are ready, serve until SIGINT or SIGTERM (SIGHUP reloads, SIGUSR1
 * reopens the access log), then stop the threads and the server, letting
 * in-flight requests finish within the shutdown timeout. */
static void
serve_until_signal(struct config *cfg, const char *config_path, struct http_server *srv,
                   sigset_t *set, const struct http_settings *hs)
{
	int sig;

	if (maintenance_start(cfg) != 0)
		log_msg(LOG_WARN, "could not start the maintenance scheduler");
	if (mail_start(cfg) != 0)
		log_msg(LOG_WARN, "could not start the mail thread");
	if (webhooks_start(cfg) != 0)
		log_msg(LOG_WARN, "could not start the webhook delivery thread");
	log_msg(LOG_INFO, "kompasd %s listening on %s://%s%s%s:%u with %u worker threads%s",
	        KOMPAS_VERSION, hs->tls_cert_pem != NULL ? "https" : "http",
	        strchr(cfg->listen, ':') ? "[" : "", cfg->listen,
	        strchr(cfg->listen, ':') ? "]" : "", http_server_port(srv), hs->threads,
	        hs->events ? " (event loops)" : "");
	notify_send("READY=1\nSTATUS=serving");
	sig = signal_loop(set, cfg, config_path, srv);
	notify_send("STOPPING=1");
	log_msg(LOG_INFO, "received %s: finishing in-flight requests",
	        sig == SIGINT ? "SIGINT" : "SIGTERM");
	maintenance_stop();
	webhooks_stop();
	mail_stop();
	http_server_stop(srv, cfg->shutdown_timeout);
	log_msg(LOG_INFO, "stopped");
}

/* kompasd serve: load the keys and files, confine the process, check the
 * schema (migrate first with --migrate), serve until a stop signal and
 * clean up. Returns a process exit status. */
static int
cmd_serve(struct config *cfg, const char *config_path, int migrate)
{
	struct http_settings hs;
	struct http_server *srv = NULL;
	sigset_t set;
	char err[512], *tls_cert = NULL, *tls_key = NULL;
	int rc = 1, listen_fd = -1;

	app.cfg = cfg;
	notify_init();
	if (mail_check_config(cfg, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "configuration refused: %s", err);
		return 1;
	}
	if (crypto_keys_load(cfg->key_file, &app.keys, err, sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "key file refused: %s", err);
		return 1;
	}
	if (prepare_serving(cfg, &tls_cert, &tls_key, &listen_fd) != 0)
		goto out;
	block_signals(&set);
	if (start_database(cfg, migrate) != 0)
		goto out;
	http_settings_of(cfg, listen_fd, tls_cert, tls_key, &hs);
	srv = http_server_start(&hs, err, sizeof(err));
	if (srv == NULL) {
		log_msg(LOG_ERROR, "%s", err);
		goto out;
	}
	listen_fd = -1; /* libmicrohttpd closes it */
	serve_until_signal(cfg, config_path, srv, &set, &hs);
	rc = 0;
out:
	if (listen_fd >= 0)
		close(listen_fd);
	cors_cleanup();
	db_global_cleanup();
	metrics_cleanup();
	log_access_close();
	free(app.openapi);
	free(app.index_json);
	if (tls_key != NULL)
		sodium_memzero(tls_key, strlen(tls_key));
	free(tls_key);
	free(tls_cert);
	crypto_keys_free(app.keys);
	memset(&app, 0, sizeof(app));
	return rc;
}

static int
cmd_gen_keyfile(void)
{
	unsigned char k[32];
	char hex[65];

	printf("# Kompas key file: keep it secret, chmod 600, never commit it.\n"
	       "# index: keyed hashes of tokens and blind indexes (never rotate casually:\n"
	       "# sessions, integration keys and lookups depend on it).\n"
	       "# data N: encryption keys; the highest id encrypts, all ids decrypt.\n");
	randombytes_buf(k, sizeof(k));
	sodium_bin2hex(hex, sizeof(hex), k, sizeof(k));
	printf("index %s\n", hex);
	randombytes_buf(k, sizeof(k));
	sodium_bin2hex(hex, sizeof(hex), k, sizeof(k));
	printf("data 1 %s\n", hex);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(hex, sizeof(hex));
	return 0;
}

static void
cmd_routes(int markdown)
{
	char roles[128];

	if (markdown)
		fputs("# Routes and roles\n\n"
		      "Generated at build time from the route tables of the resources (the end of "
		      "each api/handlers/*.c and api/jobs/*.c file, joined by api/routes.c) by "
		      "`kompasd routes --markdown`; "
		      "a test keeps this file equal to the table. Do not edit by hand.\n\n"
		      "A caller without a valid bearer token gets 401 on every route that is not "
		      "public; a caller whose role is not listed gets 403. Rows of another centre "
		      "are invisible (row-level security), so they answer 404.\n\n"
		      "Integration keys (portal, analyst) are refused on routes marked *session "
		      "only*. The path parameters name the table whose row they are.\n\n"
		      "| method | path | roles | credential | path parameters |\n"
		      "|---|---|---|---|---|\n",
		      stdout);
	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *r = &api_routes[i];
		const char *cred = r->roles == 0                          ? "none"
		                   : (r->flags & ROUTE_SESSION_ONLY) != 0 ? "session only"
		                                                          : "session or key";

		auth_roles_text(r->roles, roles, sizeof(roles));
		printf(markdown ? "| %s | `%s` | %s | %s | %s |\n" : "%s\t%s\t%s\t%s\t%s\n",
		       r->method, r->pattern, roles, cred,
		       r->params != NULL ? r->params
		       : markdown        ? ""
		                         : "-");
	}
}

/* At most one option, and only the one the command knows. */
static bool
option_ok(int argc, char **argv, int argi, const char *known)
{
	if (argi == argc)
		return true;
	if (argc - argi == 1 && strcmp(argv[argi], known) == 0)
		return true;
	fprintf(stderr, "kompasd: unknown option '%s'\n", argv[argi]);
	return false;
}

static int
cmd_check_config(const struct config *cfg, const char *path)
{
	struct crypto_keys *keys = NULL;
	char err[512];

	if (crypto_keys_load(cfg->key_file, &keys, err, sizeof(err)) != 0) {
		fprintf(stderr, "kompasd: key file refused: %s\n", err);
		return 1;
	}
	crypto_keys_free(keys);
	if (mail_check_config(cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "kompasd: %s: %s\n", path, err);
		return 1;
	}
	printf("%s: ok\n", path);
	return 0;
}

static int
run(int argc, char **argv)
{
	const char *config_path = getenv("KOMPAS_CONFIG");
	struct config cfg;
	const char *cmd;
	int argi = 1, rc = 1;

	if (config_path == NULL)
		config_path = DEFAULT_CONFIG;
	while (argi < argc && argv[argi][0] == '-') {
		if (strcmp(argv[argi], "-c") == 0 && argi + 1 < argc) {
			config_path = argv[argi + 1];
			argi += 2;
		} else if (strcmp(argv[argi], "-h") == 0 || strcmp(argv[argi], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (argi >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[argi++];
	if (strcmp(cmd, "version") == 0) {
		printf("kompasd %s\n", KOMPAS_VERSION);
		return 0;
	}
	if (strcmp(cmd, "routes") == 0) {
		cmd_routes(argi < argc && strcmp(argv[argi], "--markdown") == 0);
		return 0;
	}
	if (strcmp(cmd, "gen-keyfile") == 0) {
		if (sodium_init() < 0)
			return 1;
		return cmd_gen_keyfile();
	}
	if (strcmp(cmd, "errors") == 0) {
		err_write_markdown(stdout);
		return 0;
	}
	/* libsodium's ChaCha20-based generator, seeded from the kernel, instead
	 * of one getrandom(2) per request id (measured: a syscall per request). */
	randombytes_set_implementation(&randombytes_internal_implementation);
	if (sodium_init() < 0) {
		fprintf(stderr, "kompasd: libsodium failed to initialise\n");
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "kompasd: libcurl failed to initialise\n");
		return 1;
	}
	if (load_config(&cfg, config_path) != 0)
		return 1;
	if (strcmp(cmd, "check-config") == 0) {
		rc = cmd_check_config(&cfg, config_path);
	} else if (strcmp(cmd, "serve") == 0 && option_ok(argc, argv, argi, "--migrate")) {
		rc = cmd_serve(&cfg, config_path, argi < argc);
	} else if (strcmp(cmd, "migrate") == 0 && option_ok(argc, argv, argi, "--status")) {
		rc = cmd_migrate(&cfg, argi < argc);
	} else if (strcmp(cmd, "create-admin") == 0 && argc - argi == 2) {
		rc = cmd_create_admin(&cfg, argv[argi], argv[argi + 1]);
	} else if (strcmp(cmd, "rotate-keys") == 0 && argc == argi) {
		rc = cmd_rotate_keys(&cfg);
	} else if (strcmp(cmd, "anonymise") == 0 && argc == argi) {
		rc = cmd_anonymise(&cfg);
	} else if (strcmp(cmd, "purge-access-log") == 0 && argc == argi) {
		rc = cmd_purge_access_log(&cfg);
	} else if (strcmp(cmd, "seal-requests") == 0 && argc == argi) {
		rc = cmd_seal_requests(&cfg, stdin, stdout);
	} else if (strcmp(cmd, "create-centre") == 0 && argc - argi == 3) {
		rc = cmd_create_centre(&cfg, argv[argi], argv[argi + 1], argv[argi + 2]);
	} else {
		usage(stderr);
		rc = 2;
	}
	config_cleanup(&cfg);
	curl_global_cleanup();
	return rc;
}

int
main(int argc, char **argv)
{
	char why[256];
	int rc;

	/* the resources' tables, joined and checked before anything else */
	if (api_routes_init(why, sizeof(why)) != 0) {
		fprintf(stderr, "kompasd: route table: %s\n", why);
		return 1;
	}
	rc = run(argc, argv);
	api_routes_cleanup();
	return rc;
}
