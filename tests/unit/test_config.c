/* test_config.c - unit tests for lib/config.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/config.h"

/* The tests may run under a harness that exports KOMPAS_* variables:
 * start every test from a clean environment. */
static int
clear_env(void **state)
{
	(void)state;
	for (;;) {
		char **e = environ;
		char *name;

		while (e != NULL && *e != NULL && strncmp(*e, "KOMPAS_", 7) != 0)
			e++;
		if (e == NULL || *e == NULL)
			return 0;
		name = strndup(*e, strcspn(*e, "="));
		assert_non_null(name);
		assert_int_equal(unsetenv(name), 0);
		free(name);
	}
}

/* Parse text into a fresh config (defaults first). Returns the result;
 * *c must be cleaned up by the caller. */
static int
parse(struct config *c, const char *text, char *err, size_t errlen)
{
	config_init(c);
	err[0] = '\0';
	return config_parse(c, text, strlen(text), "test.conf", err, errlen);
}

/* text must be refused with exactly message in err. */
static void
expect_error(const char *text, const char *message)
{
	struct config c;
	char err[512];

	if (parse(&c, text, err, sizeof(err)) != -1)
		fail_msg("accepted: %s", text);
	if (strcmp(err, message) != 0)
		fail_msg("for %s\n got: %s\nwant: %s", text, err, message);
	config_cleanup(&c);
}

static void
test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_init(&c);
	assert_string_equal(c.listen, "127.0.0.1");
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.threads, 0);
	assert_int_equal(c.http_mode, 0);
	assert_int_equal(c.loop_connections, 4);
	assert_int_equal(c.body_limit, 1024 * 1024);
	assert_int_equal(c.connection_timeout, 30);
	assert_int_equal(c.connection_limit, 1024);
	assert_int_equal(c.per_ip_connection_limit, 64);
	assert_int_equal(c.request_header_timeout, 10);
	assert_int_equal(c.body_min_rate, 1024);
	assert_int_equal(c.body_rate_grace, 10);
	assert_int_equal(c.shutdown_timeout, 10);
	assert_int_equal(c.retry_after, 1);
	assert_string_equal(c.conninfo, "dbname=kompas");
	assert_null(c.migrate_conninfo);
	assert_int_equal(c.connect_timeout, 2);
	assert_int_equal(c.tx_retries, 5);
	assert_null(c.replica_conninfo);
	assert_int_equal(c.replica_max_lag, 10);
	assert_string_equal(c.key_file, "/etc/kompas/kompas.key");
	assert_int_equal(c.session_idle_timeout, 30 * 60);
	assert_int_equal(c.session_max_age, 12 * 3600);
	assert_int_equal(c.access_log_retention_days, 183);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_string_equal(c.access_log, "stderr");
	assert_string_equal(c.schema_dir, "schema");
	assert_string_equal(c.openapi, "docs/openapi.yaml");
	assert_string_equal(c.web_root, "");
	config_cleanup(&c);
	assert_null(c.listen);
	assert_null(c.conninfo);
	assert_null(c.migrate_conninfo);
	assert_null(c.key_file);
	assert_null(c.access_log);
	assert_null(c.schema_dir);
	assert_null(c.openapi);
	/* safe to call twice */
	config_cleanup(&c);
	assert_null(c.listen);
}

static void
test_empty_text_keeps_defaults(void **state)
{
	struct config c;
	char err[128];

	(void)state;
	assert_int_equal(parse(&c, "", err, sizeof(err)), 0);
	assert_int_equal(c.port, 8080);
	assert_string_equal(c.listen, "127.0.0.1");
	config_cleanup(&c);
	assert_int_equal(parse(&c, "\n\n# only a comment\n; and another\n   \n", err, sizeof(err)),
	                 0);
	assert_int_equal(c.port, 8080);
	config_cleanup(&c);
	/* a commented-out key does not count as set */
	assert_int_equal(parse(&c, "[http]\n# port = 1\nport = 5\n", err, sizeof(err)), 0);
	assert_int_equal(c.port, 5);
	config_cleanup(&c);
}

static const char full_conf[] = "# kompas.conf\n"
                                "[http]\n"
                                "listen = ::1\n"
                                "port = 9000\n"
                                "threads = 8\n"
                                "mode = events\n"
                                "body_limit = 2M\n"
                                "connection_timeout = 60\n"
                                "connection_limit = 5000\n"
                                "per_ip_connection_limit = 0\n"
                                "request_header_timeout = 5\n"
                                "body_min_rate = 0\n"
                                "body_rate_grace = 3\n"
                                "shutdown_timeout = 0\n"
                                "retry_after = 7\n"
                                "\n"
                                "[database]\n"
                                "conninfo = \"host=/tmp dbname=k user=u\"\n"
                                "migrate_conninfo = \"host=/tmp dbname=k user=owner\"\n"
                                "connect_timeout = 60\n"
                                "tx_retries = 0\n"
                                "replica_conninfo = \"host=/tmp/r dbname=k user=u\"\n"
                                "replica_max_lag = 30\n"
                                "[crypto]\n"
                                "key_file = var/kompas.key\n"
                                "[auth]\n"
                                "session_idle_timeout = 600\n"
                                "session_max_age = 86400\n"
                                "[privacy]\n"
                                "access_log_retention_days = 30\n"
                                "[log]\n"
                                "level = debug\n"
                                "access_log = /var/log/kompas/access.log\n"
                                "[paths]\n"
                                "schema_dir = /usr/share/kompas/schema\n"
                                "openapi = /usr/share/kompas/openapi.yaml\n";

static void
test_every_key(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, full_conf, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "::1");
	assert_int_equal(c.port, 9000);
	assert_int_equal(c.threads, 8);
	assert_int_equal(c.http_mode, 1);
	assert_int_equal(c.body_limit, 2 * 1024 * 1024);
	assert_int_equal(c.connection_timeout, 60);
	assert_int_equal(c.connection_limit, 5000);
	assert_int_equal(c.per_ip_connection_limit, 0);
	assert_int_equal(c.request_header_timeout, 5);
	assert_int_equal(c.body_min_rate, 0);
	assert_int_equal(c.body_rate_grace, 3);
	assert_int_equal(c.shutdown_timeout, 0);
	assert_int_equal(c.retry_after, 7);
	assert_string_equal(c.conninfo, "host=/tmp dbname=k user=u");
	assert_string_equal(c.migrate_conninfo, "host=/tmp dbname=k user=owner");
	assert_int_equal(c.connect_timeout, 60);
	assert_int_equal(c.tx_retries, 0);
	assert_string_equal(c.replica_conninfo, "host=/tmp/r dbname=k user=u");
	assert_int_equal(c.replica_max_lag, 30);
	assert_string_equal(c.key_file, "var/kompas.key");
	assert_int_equal(c.session_idle_timeout, 600);
	assert_int_equal(c.session_max_age, 86400);
	assert_int_equal(c.access_log_retention_days, 30);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_string_equal(c.access_log, "/var/log/kompas/access.log");
	assert_string_equal(c.schema_dir, "/usr/share/kompas/schema");
	assert_string_equal(c.openapi, "/usr/share/kompas/openapi.yaml");
	config_cleanup(&c);
}

static void
test_log_levels(void **state)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
	    {"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR}};
	struct config c;
	char text[64], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		snprintf(text, sizeof(text), "[log]\nlevel = %s\n", levels[i].name);
		assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
		assert_int_equal(c.log_level, levels[i].level);
		config_cleanup(&c);
	}
}

static void
test_mail_section(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_init(&c);
	assert_string_equal(c.mail_server, "");
	assert_int_equal(c.mail_port, 587);
	assert_int_equal(c.mail_starttls, 1);
	assert_int_equal(c.mail_digest_hour, 7);
	config_cleanup(&c);
	assert_int_equal(parse(&c,
	                       "[mail]\nserver = smtp.example.dk\nport = 25\nstarttls = none\n"
	                       "user = kompas\nfrom = \"Kompas <kompas@example.dk>\"\n"
	                       "base_url = https://kompas.example.dk\ndigest_hour = 6\n",
	                       err, sizeof(err)),
	                 0);
	assert_string_equal(c.mail_server, "smtp.example.dk");
	assert_int_equal(c.mail_port, 25);
	assert_int_equal(c.mail_starttls, 0);
	assert_string_equal(c.mail_from, "Kompas <kompas@example.dk>");
	assert_int_equal(c.mail_digest_hour, 6);
	config_cleanup(&c);
	assert_int_equal(parse(&c, "[mail]\nstarttls = required\n", err, sizeof(err)), 0);
	assert_int_equal(c.mail_starttls, 1);
	config_cleanup(&c);
	expect_error("[mail]\nstarttls = maybe\n",
	             "test.conf:2: value of 'starttls' must be required or none");
	expect_error("[mail]\ndigest_hour = 24\n",
	             "test.conf:2: value of 'digest_hour' must be between 0 and 23");
	/* the password is never a key of the file: it comes from KOMPAS_MAIL_PASSWORD */
	expect_error("[mail]\npassword = secret\n",
	             "test.conf:2: unknown key 'password' in section [mail]");
}

static void
test_size_suffixes(void **state)
{
	static const struct {
		const char *value;
		size_t bytes;
	} sizes[] = {
	    {"1024", 1024},  {"1k", 1024},         {"1K", 1024},   {"64k", 65536},
	    {"1M", 1048576}, {"64M", 64ULL << 20}, {"3000", 3000}, {"0064k", 65536},
	};
	struct config c;
	char text[64], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(text, sizeof(text), "[http]\nbody_limit = %s\n", sizes[i].value);
		if (parse(&c, text, err, sizeof(err)) != 0)
			fail_msg("%s: %s", sizes[i].value, err);
		assert_int_equal(c.body_limit, sizes[i].bytes);
		config_cleanup(&c);
	}
}

static void
test_size_errors(void **state)
{
	(void)state;
	expect_error("[http]\nbody_limit = 65M\n",
	             "test.conf:2: value of 'body_limit' must be between 1024 and 67108864");
	expect_error("[http]\nbody_limit = 1G\n",
	             "test.conf:2: value of 'body_limit' must be between 1024 and 67108864");
	expect_error("[http]\nbody_limit = 1023\n",
	             "test.conf:2: value of 'body_limit' must be between 1024 and 67108864");
	expect_error("[http]\nbody_limit = 1x\n",
	             "test.conf:2: value of 'body_limit' is not a whole number (with optional k, M "
	             "or G)");
	expect_error("[http]\nbody_limit = 1kb\n",
	             "test.conf:2: value of 'body_limit' is not a whole number (with optional k, M "
	             "or G)");
	expect_error("[http]\nbody_limit = 1m\n",
	             "test.conf:2: value of 'body_limit' is not a whole number (with optional k, M "
	             "or G)");
	expect_error("[http]\nbody_limit = k\n",
	             "test.conf:2: value of 'body_limit' is not a whole number (with optional k, M "
	             "or G)");
	expect_error("[http]\nbody_limit = 99999999999999999999k\n",
	             "test.conf:2: value of 'body_limit' is not a whole number (with optional k, M "
	             "or G)");
	/* suffixes only apply to sizes */
	expect_error("[http]\nport = 8k\n", "test.conf:2: value of 'port' is not a whole number");
}

static void
test_number_errors(void **state)
{
	(void)state;
	expect_error("[http]\nport = 65536\n",
	             "test.conf:2: value of 'port' must be between 0 and 65535");
	expect_error("[http]\nport = 4294968296\n",
	             "test.conf:2: value of 'port' must be between 0 and 65535");
	expect_error("[http]\nthreads = 257\n",
	             "test.conf:2: value of 'threads' must be between 0 and 256");
	expect_error("[http]\nmode = fibres\n",
	             "test.conf:2: value of 'mode' must be threads or events");
	expect_error("[database]\nloop_connections = 0\n",
	             "test.conf:2: value of 'loop_connections' must be between 1 and 64");
	expect_error("[http]\nconnection_timeout = 0\n",
	             "test.conf:2: value of 'connection_timeout' must be between 1 and 3600");
	expect_error("[http]\nretry_after = 3601\n",
	             "test.conf:2: value of 'retry_after' must be between 1 and 3600");
	expect_error("[database]\nconnect_timeout = 61\n",
	             "test.conf:2: value of 'connect_timeout' must be between 1 and 60");
	expect_error("[database]\ntx_retries = 101\n",
	             "test.conf:2: value of 'tx_retries' must be between 0 and 100");
	expect_error("[auth]\nsession_idle_timeout = 59\n",
	             "test.conf:2: value of 'session_idle_timeout' must be between 60 and 86400");
	expect_error("[privacy]\naccess_log_retention_days = 3651\n",
	             "test.conf:2: value of 'access_log_retention_days' must be between 30 and "
	             "3650");
	expect_error("[http]\nport = -1\n", "test.conf:2: value of 'port' is not a whole number");
	expect_error("[http]\nport = +80\n", "test.conf:2: value of 'port' is not a whole number");
	expect_error("[http]\nport = 80.5\n", "test.conf:2: value of 'port' is not a whole number");
	expect_error("[http]\nport = eighty\n",
	             "test.conf:2: value of 'port' is not a whole number");
	expect_error("[http]\nport =\n", "test.conf:2: value of 'port' is not a whole number");
	expect_error("[http]\nport = 99999999999999999999999\n",
	             "test.conf:2: value of 'port' is not a whole number");
}

static void
test_boundaries_accepted(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, "[http]\nport = 65535\nthreads = 256\nconnection_timeout = 1\n",
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(c.port, 65535);
	assert_int_equal(c.threads, 256);
	assert_int_equal(c.connection_timeout, 1);
	config_cleanup(&c);
	assert_int_equal(parse(&c, "[http]\nport = 0\n", err, sizeof(err)), 0);
	assert_int_equal(c.port, 0);
	config_cleanup(&c);
}

static void
test_string_lengths(void **state)
{
	struct config c;
	char text[200], err[256];

	(void)state;
	/* listen: 1 to 64 characters; conninfo may be empty */
	expect_error("[http]\nlisten = \"\"\n",
	             "test.conf:2: value of 'listen' must be 1 to 64 characters");
	snprintf(text, sizeof(text), "[http]\nlisten = %065d\n", 0);
	expect_error(text, "test.conf:2: value of 'listen' must be 1 to 64 characters");
	snprintf(text, sizeof(text), "[http]\nlisten = %064d\n", 0);
	assert_int_equal(parse(&c, text, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.listen), 64);
	config_cleanup(&c);
	assert_int_equal(parse(&c, "[database]\nconninfo = \"\"\n", err, sizeof(err)), 0);
	assert_string_equal(c.conninfo, "");
	config_cleanup(&c);
	assert_int_equal(parse(&c, "[database]\nconninfo =\n", err, sizeof(err)), 0);
	assert_string_equal(c.conninfo, "");
	config_cleanup(&c);
}

static void
test_quoted_values(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(
	    parse(&c,
	          "[database]\n"
	          "conninfo = \"password='a \\\"b\\\" c\\\\d' # not a comment ; nor this\"\n"
	          "[paths]\n"
	          "schema_dir = \"  spaced  \"   # trailing comment\n"
	          "openapi = \"a\\nb\" ; other comment\n"
	          "[log]\n"
	          "access_log = \"\\\\\\\\server\\\\share\"\n",
	          err, sizeof(err)),
	    0);
	assert_string_equal(c.conninfo, "password='a \"b\" c\\d' # not a comment ; nor this");
	assert_string_equal(c.schema_dir, "  spaced  ");
	/* only \" and \\ are escapes; other backslashes stay */
	assert_string_equal(c.openapi, "a\\nb");
	assert_string_equal(c.access_log, "\\\\server\\share");
	config_cleanup(&c);
}

static void
test_quote_errors(void **state)
{
	(void)state;
	expect_error("[database]\nconninfo = \"dbname=x\n",
	             "test.conf:2: unterminated quoted value");
	expect_error("[database]\nconninfo = \"dbname=x\\\"\n",
	             "test.conf:2: unterminated quoted value");
	expect_error("[database]\n\n\nconninfo = \"a\" b\n",
	             "test.conf:4: unexpected text after quoted value");
}

static void
test_comments(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c,
	                       "# leading comment\n"
	                       "  ; indented comment\n"
	                       "[http]\n"
	                       "port = 81 # trailing\n"
	                       "threads = 3\t; trailing with tab\n"
	                       "\t# indented\n"
	                       "[database]\n"
	                       "conninfo = dbname=a#b;c\n"
	                       "[paths]\n"
	                       "schema_dir = a;b #c\n",
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(c.port, 81);
	assert_int_equal(c.threads, 3);
	/* '#' and ';' only start a comment after whitespace */
	assert_string_equal(c.conninfo, "dbname=a#b;c");
	assert_string_equal(c.schema_dir, "a;b");
	config_cleanup(&c);
	/* a value that is only a comment is empty, which schema_dir refuses */
	expect_error("[paths]\nschema_dir = # nothing\n",
	             "test.conf:2: value of 'schema_dir' must be 1 to 4096 characters");
}

static void
test_comment_after_section_header(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(
	    parse(&c, "[http] # the web server\nport = 82\n[log]   ; logging\nlevel = warn\n", err,
	          sizeof(err)),
	    0);
	assert_int_equal(c.port, 82);
	assert_int_equal(c.log_level, LOG_WARN);
	config_cleanup(&c);
}

static void
test_whitespace_and_crlf(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c,
	                       "[ http ]\r\n"
	                       "\tport=83\r\n"
	                       "   listen   =    10.0.0.1   \r\n"
	                       "[database]\r\n"
	                       "conninfo = \"a b\"\r\n"
	                       "tx_retries = 9", /* no final newline */
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(c.port, 83);
	assert_string_equal(c.listen, "10.0.0.1");
	assert_string_equal(c.conninfo, "a b");
	assert_int_equal(c.tx_retries, 9);
	config_cleanup(&c);
	/* a line error on a CRLF file still names the right line */
	expect_error("[http]\r\nport = 1\r\nnope = 2\r\n",
	             "test.conf:3: unknown key 'nope' in section [http]");
}

static void
test_structure_errors(void **state)
{
	(void)state;
	expect_error("[http]\nport = 80\n[daemon]\nport = 81\n",
	             "test.conf:3: unknown section [daemon]");
	expect_error("[]\n", "test.conf:1: unknown section []");
	expect_error("[HTTP]\n", "test.conf:1: unknown section [HTTP]");
	expect_error("[http\nport = 1\n", "test.conf:1: malformed section header");
	expect_error("[http] port = 1\n", "test.conf:1: malformed section header");
	expect_error("# c\n[http]\nprot = 80\n",
	             "test.conf:3: unknown key 'prot' in section [http]");
	expect_error("[http]\nPort = 80\n", "test.conf:2: unknown key 'Port' in section [http]");
	/* a key of another section */
	expect_error("[http]\nconninfo = x\n",
	             "test.conf:2: unknown key 'conninfo' in section [http]");
	expect_error("[http]\nport = 80\n\nport = 81\n",
	             "test.conf:4: duplicate key 'port' in section [http]");
	/* also when the section is opened a second time */
	expect_error("[http]\nport = 80\n[log]\nlevel = info\n[http]\nport = 81\n",
	             "test.conf:6: duplicate key 'port' in section [http]");
	expect_error("[http]\nport 80\n", "test.conf:2: expected 'key = value'");
	expect_error("[http]\n\n\n\njust some words\n", "test.conf:5: expected 'key = value'");
	expect_error("port = 80\n[http]\n", "test.conf:1: key 'port' outside of any [section]");
	expect_error("\n\n# comment\nlisten = ::1\n",
	             "test.conf:4: key 'listen' outside of any [section]");
	expect_error("[log]\nlevel = verbose\n",
	             "test.conf:2: value of 'level' must be one of debug, info, warn, error");
	expect_error("[log]\nlevel = INFO\n",
	             "test.conf:2: value of 'level' must be one of debug, info, warn, error");
	expect_error("[log]\nlevel =\n",
	             "test.conf:2: value of 'level' must be one of debug, info, warn, error");
}

static void
test_nul_byte(void **state)
{
	struct config c;
	static const char text[] = "[http]\nport = 8\0\n";
	char err[256];

	(void)state;
	config_init(&c);
	assert_int_equal(config_parse(&c, text, sizeof(text) - 1, "nul.conf", err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "nul.conf:2: NUL byte in line");
	config_cleanup(&c);
}

static void
test_keys_before_error_are_kept(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, "[http]\nport = 1234\nthreads = 4\nbogus = 1\nretry_after = 9\n",
	                       err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "test.conf:4: unknown key 'bogus' in section [http]");
	assert_int_equal(c.port, 1234);
	assert_int_equal(c.threads, 4);
	/* parsing stopped at the error */
	assert_int_equal(c.retry_after, 1);
	config_cleanup(&c);
}

static void
test_error_buffer_truncation(void **state)
{
	struct config c;
	char err[12];

	(void)state;
	memset(err, 'X', sizeof(err));
	config_init(&c);
	assert_int_equal(config_parse(&c, "[nope]\n", 7, "test.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "test.conf:1");
	config_cleanup(&c);
}

static void
test_parse_uses_len(void **state)
{
	struct config c;
	static const char text[] = "[http]\nport = 90\nport = 91\n";
	char err[256];

	(void)state;
	config_init(&c);
	/* only the first two lines are parsed, so no duplicate */
	assert_int_equal(config_parse(&c, text, 17, "x", err, sizeof(err)), 0);
	assert_int_equal(c.port, 90);
	config_cleanup(&c);
}

/* ---- environment ------------------------------------------------------- */

static void
test_env_overrides(void **state)
{
	struct config c;
	char err[256] = "";

	(void)state;
	config_init(&c);
	assert_int_equal(config_apply_env(&c, err, sizeof(err)), 0);
	assert_int_equal(c.port, 8080);
	assert_string_equal(c.conninfo, "dbname=kompas");

	setenv("KOMPAS_HTTP_PORT", "9191", 1);
	setenv("KOMPAS_HTTP_BODY_LIMIT", "4M", 1);
	setenv("KOMPAS_DATABASE_CONNINFO", "host=db password=s3cret", 1);
	setenv("KOMPAS_LOG_LEVEL", "error", 1);
	setenv("KOMPAS_PATHS_OPENAPI", "/srv/openapi.yaml", 1);
	setenv("KOMPAS_HTTP_PER_IP_CONNECTION_LIMIT", "3", 1);
	setenv("KOMPAS_DATABASE_MIGRATE_CONNINFO", "user=owner", 1);
	setenv("KOMPAS_AUTH_SESSION_MAX_AGE", "3600", 1);
	/* lower-case names are not read */
	setenv("kompas_http_threads", "7", 1);
	assert_int_equal(config_apply_env(&c, err, sizeof(err)), 0);
	assert_int_equal(c.port, 9191);
	assert_int_equal(c.body_limit, 4 * 1024 * 1024);
	assert_string_equal(c.conninfo, "host=db password=s3cret");
	assert_int_equal(c.log_level, LOG_ERROR);
	assert_string_equal(c.openapi, "/srv/openapi.yaml");
	assert_int_equal(c.per_ip_connection_limit, 3);
	assert_string_equal(c.migrate_conninfo, "user=owner");
	assert_int_equal(c.session_max_age, 3600);
	assert_int_equal(c.threads, 0);
	/* untouched keys keep their values */
	assert_string_equal(c.listen, "127.0.0.1");
	assert_int_equal(c.retry_after, 1);
	unsetenv("kompas_http_threads");
	config_cleanup(&c);
	clear_env(NULL);
}

static void
test_env_over_file(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(parse(&c, "[http]\nport = 1111\nthreads = 2\n", err, sizeof(err)), 0);
	setenv("KOMPAS_HTTP_PORT", "2222", 1);
	setenv("KOMPAS_DATABASE_CONNINFO", "", 1);
	assert_int_equal(config_apply_env(&c, err, sizeof(err)), 0);
	assert_int_equal(c.port, 2222);
	assert_int_equal(c.threads, 2);
	/* conninfo may be empty (libpq then uses its own PG* variables) */
	assert_string_equal(c.conninfo, "");
	config_cleanup(&c);
	clear_env(NULL);
}

static void
expect_env_error(const char *name, const char *value, const char *message)
{
	struct config c;
	char err[256] = "";

	config_init(&c);
	setenv(name, value, 1);
	assert_int_equal(config_apply_env(&c, err, sizeof(err)), -1);
	if (strcmp(err, message) != 0)
		fail_msg("%s=%s\n got: %s\nwant: %s", name, value, err, message);
	unsetenv(name);
	config_cleanup(&c);
}

static void
test_env_rejects_bad_values(void **state)
{
	(void)state;
	expect_env_error("KOMPAS_HTTP_PORT", "http",
	                 "environment KOMPAS_HTTP_PORT: value of 'port' is not a whole number");
	expect_env_error("KOMPAS_HTTP_PORT", "70000",
	                 "environment KOMPAS_HTTP_PORT: value of 'port' must be between 0 and "
	                 "65535");
	expect_env_error("KOMPAS_HTTP_PORT", " 80",
	                 "environment KOMPAS_HTTP_PORT: value of 'port' is not a whole number");
	expect_env_error("KOMPAS_HTTP_BODY_LIMIT", "1T",
	                 "environment KOMPAS_HTTP_BODY_LIMIT: value of 'body_limit' is not a whole "
	                 "number (with optional k, M or G)");
	expect_env_error("KOMPAS_LOG_LEVEL", "loud",
	                 "environment KOMPAS_LOG_LEVEL: value of 'level' must be one of debug, "
	                 "info, warn, error");
	expect_env_error("KOMPAS_HTTP_LISTEN", "",
	                 "environment KOMPAS_HTTP_LISTEN: value of 'listen' must be 1 to 64 "
	                 "characters");
	expect_env_error("KOMPAS_DATABASE_TX_RETRIES", "1000",
	                 "environment KOMPAS_DATABASE_TX_RETRIES: value of 'tx_retries' must be "
	                 "between 0 and 100");
}

/* ---- files ------------------------------------------------------------- */

static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/kompas-test-config-XXXXXX");
	int fd;
	FILE *f;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
test_load_file(void **state)
{
	struct config c;
	char err[512] = "";
	char *path = write_temp(full_conf);

	(void)state;
	config_init(&c);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.port, 9000);
	assert_string_equal(c.conninfo, "host=/tmp dbname=k user=u");
	assert_int_equal(c.log_level, LOG_DEBUG);
	config_cleanup(&c);
	unlink(path);
	free(path);
}

static void
test_load_file_error_names_file_and_line(void **state)
{
	struct config c;
	char err[512] = "";
	char want[600];
	char *path = write_temp("[http]\nport = 1\n\n[http]\nthreads = 999\n");

	(void)state;
	config_init(&c);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:5: value of 'threads' must be between 0 and 256", path);
	assert_string_equal(err, want);
	assert_int_equal(c.port, 1);
	config_cleanup(&c);
	unlink(path);
	free(path);
}

static void
test_load_empty_file(void **state)
{
	struct config c;
	char err[512] = "";
	char *path = write_temp("");

	(void)state;
	config_init(&c);
	assert_int_equal(config_load_file(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.port, 8080);
	config_cleanup(&c);
	unlink(path);
	free(path);
}

static void
test_load_missing_file(void **state)
{
	struct config c;
	char err[512] = "";

	(void)state;
	config_init(&c);
	assert_int_equal(config_load_file(&c, "/nonexistent/kompas-no-such.conf", err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "/nonexistent/kompas-no-such.conf: No such file or directory");
	/* nothing changed */
	assert_int_equal(c.port, 8080);
	config_cleanup(&c);
}

static void
test_load_directory(void **state)
{
	struct config c;
	char err[512] = "";

	(void)state;
	config_init(&c);
	assert_int_equal(config_load_file(&c, "/tmp", err, sizeof(err)), -1);
	assert_memory_equal(err, "/tmp: ", 6);
	config_cleanup(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_defaults, clear_env),
	    cmocka_unit_test_setup(test_empty_text_keeps_defaults, clear_env),
	    cmocka_unit_test_setup(test_every_key, clear_env),
	    cmocka_unit_test_setup(test_log_levels, clear_env),
	    cmocka_unit_test_setup(test_mail_section, clear_env),
	    cmocka_unit_test_setup(test_size_suffixes, clear_env),
	    cmocka_unit_test_setup(test_size_errors, clear_env),
	    cmocka_unit_test_setup(test_number_errors, clear_env),
	    cmocka_unit_test_setup(test_boundaries_accepted, clear_env),
	    cmocka_unit_test_setup(test_string_lengths, clear_env),
	    cmocka_unit_test_setup(test_quoted_values, clear_env),
	    cmocka_unit_test_setup(test_quote_errors, clear_env),
	    cmocka_unit_test_setup(test_comments, clear_env),
	    cmocka_unit_test_setup(test_comment_after_section_header, clear_env),
	    cmocka_unit_test_setup(test_whitespace_and_crlf, clear_env),
	    cmocka_unit_test_setup(test_structure_errors, clear_env),
	    cmocka_unit_test_setup(test_nul_byte, clear_env),
	    cmocka_unit_test_setup(test_keys_before_error_are_kept, clear_env),
	    cmocka_unit_test_setup(test_error_buffer_truncation, clear_env),
	    cmocka_unit_test_setup(test_parse_uses_len, clear_env),
	    cmocka_unit_test_setup(test_env_overrides, clear_env),
	    cmocka_unit_test_setup(test_env_over_file, clear_env),
	    cmocka_unit_test_setup(test_env_rejects_bad_values, clear_env),
	    cmocka_unit_test_setup(test_load_file, clear_env),
	    cmocka_unit_test_setup(test_load_file_error_names_file_and_line, clear_env),
	    cmocka_unit_test_setup(test_load_empty_file, clear_env),
	    cmocka_unit_test_setup(test_load_missing_file, clear_env),
	    cmocka_unit_test_setup(test_load_directory, clear_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
