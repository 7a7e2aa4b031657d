/* config.c - the kompas.conf parser, driven by one table of keys. */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "mem.h"

enum cfg_type { CFG_STRING, CFG_UINT, CFG_SIZE, CFG_LOGLEVEL, CFG_STARTTLS, CFG_HTTP_MODE };

struct cfg_key {
	const char *section;
	const char *key;
	enum cfg_type type;
	size_t offset;
	unsigned long long min, max;
};

#define KEY(sec, name, type, field, lo, hi)                                                        \
	{                                                                                          \
		sec, name, type, offsetof(struct config, field), lo, hi                            \
	}

static const struct cfg_key cfg_keys[] = {
    KEY("http", "listen", CFG_STRING, listen, 1, 64),
    KEY("http", "port", CFG_UINT, port, 0, 65535),
    KEY("http", "threads", CFG_UINT, threads, 0, 256),
    KEY("http", "mode", CFG_HTTP_MODE, http_mode, 0, 1),
    KEY("http", "body_limit", CFG_SIZE, body_limit, 1024, 64ULL << 20),
    KEY("http", "connection_timeout", CFG_UINT, connection_timeout, 1, 3600),
    KEY("http", "connection_limit", CFG_UINT, connection_limit, 1, 100000),
    KEY("http", "per_ip_connection_limit", CFG_UINT, per_ip_connection_limit, 0, 100000),
    KEY("http", "request_header_timeout", CFG_UINT, request_header_timeout, 1, 3600),
    KEY("http", "body_min_rate", CFG_SIZE, body_min_rate, 0, 1ULL << 30),
    KEY("http", "body_rate_grace", CFG_UINT, body_rate_grace, 0, 3600),
    KEY("http", "shutdown_timeout", CFG_UINT, shutdown_timeout, 0, 600),
    KEY("http", "retry_after", CFG_UINT, retry_after, 1, 3600),
    KEY("http", "trusted_proxy", CFG_STRING, trusted_proxy, 0, 64),
    KEY("database", "conninfo", CFG_STRING, conninfo, 0, 4096),
    KEY("database", "migrate_conninfo", CFG_STRING, migrate_conninfo, 0, 4096),
    KEY("database", "connect_timeout", CFG_UINT, connect_timeout, 1, 60),
    KEY("database", "tx_retries", CFG_UINT, tx_retries, 0, 100),
    KEY("database", "loop_connections", CFG_UINT, loop_connections, 1, 64),
    KEY("database", "replica_conninfo", CFG_STRING, replica_conninfo, 0, 4096),
    KEY("database", "replica_max_lag", CFG_UINT, replica_max_lag, 1, 3600),
    KEY("crypto", "key_file", CFG_STRING, key_file, 1, 4096),
    KEY("auth", "session_idle_timeout", CFG_UINT, session_idle_timeout, 60, 86400),
    KEY("auth", "session_max_age", CFG_UINT, session_max_age, 300, 30 * 86400),
    KEY("auth", "password_threads", CFG_UINT, password_threads, 0, 64),
    KEY("auth", "password_queue", CFG_UINT, password_queue, 0, 10000),
    KEY("webhooks", "allow_http", CFG_UINT, webhooks_allow_http, 0, 1),
    KEY("webhooks", "max_attempts", CFG_UINT, webhooks_max_attempts, 1, 50),
    KEY("webhooks", "timeout", CFG_UINT, webhooks_timeout, 1, 60),
    KEY("mail", "server", CFG_STRING, mail_server, 0, 253),
    KEY("mail", "port", CFG_UINT, mail_port, 1, 65535),
    KEY("mail", "starttls", CFG_STARTTLS, mail_starttls, 0, 1),
    KEY("mail", "user", CFG_STRING, mail_user, 0, 254),
    KEY("mail", "from", CFG_STRING, mail_from, 0, 254),
    KEY("mail", "ca_file", CFG_STRING, mail_ca_file, 0, 4096),
    KEY("mail", "base_url", CFG_STRING, mail_base_url, 0, 500),
    KEY("mail", "digest_hour", CFG_UINT, mail_digest_hour, 0, 23),
    KEY("mail", "max_attempts", CFG_UINT, mail_max_attempts, 1, 100),
    KEY("mail", "max_backoff", CFG_UINT, mail_max_backoff, 1, 86400),
    KEY("mail", "timeout", CFG_UINT, mail_timeout, 1, 300),
    KEY("mail", "schedule_interval", CFG_UINT, mail_schedule_interval, 1, 3600),
    KEY("privacy", "access_log_retention_days", CFG_UINT, access_log_retention_days, 30, 3650),
    KEY("log", "level", CFG_LOGLEVEL, log_level, 0, 0),
    KEY("log", "access_log", CFG_STRING, access_log, 1, 4096),
    KEY("paths", "schema_dir", CFG_STRING, schema_dir, 1, 4096),
    KEY("paths", "openapi", CFG_STRING, openapi, 1, 4096),
    KEY("server", "user", CFG_STRING, user, 0, 64),
    KEY("security", "seccomp", CFG_UINT, seccomp, 0, 1),
    KEY("http", "tls_cert", CFG_STRING, tls_cert, 0, 4096),
    KEY("http", "tls_key", CFG_STRING, tls_key, 0, 4096),
    KEY("paths", "web_root", CFG_STRING, web_root, 0, 4096),
};

#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

void
config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen = xstrdup("127.0.0.1");
	c->port = 8080;
	c->threads = 0;
	c->http_mode = 0; /* threads; events is the choice (docs/operations.md) */
	c->body_limit = 1024 * 1024;
	c->connection_timeout = 30;
	c->connection_limit = 1024;
	c->per_ip_connection_limit = 64;
	c->request_header_timeout = 10;
	c->body_min_rate = 1024;
	c->body_rate_grace = 10;
	c->shutdown_timeout = 10;
	c->retry_after = 1;
	c->conninfo = xstrdup("dbname=kompas");
	c->connect_timeout = 2;
	c->tx_retries = 5;
	c->loop_connections = 4;
	c->replica_max_lag = 10;
	c->key_file = xstrdup("/etc/kompas/kompas.key");
	c->session_idle_timeout = 30 * 60;
	c->password_threads = 0;
	c->password_queue = 32;
	c->session_max_age = 12 * 3600;
	c->access_log_retention_days = 183;
	c->webhooks_allow_http = 0;
	c->webhooks_max_attempts = 12;
	c->webhooks_timeout = 5;
	c->mail_server = xstrdup("");
	c->mail_port = 587;
	c->mail_starttls = 1;
	c->mail_user = xstrdup("");
	c->mail_from = xstrdup("");
	c->mail_ca_file = xstrdup("");
	c->mail_base_url = xstrdup("http://127.0.0.1:8080");
	c->mail_digest_hour = 7;
	c->mail_max_attempts = 20;
	c->mail_max_backoff = 3600;
	c->mail_timeout = 30;
	c->mail_schedule_interval = 60;
	c->log_level = LOG_INFO;
	c->access_log = xstrdup("stderr");
	c->schema_dir = xstrdup("schema");
	c->openapi = xstrdup("docs/openapi.yaml");
	c->user = xstrdup("");
	c->seccomp = 1;
	c->tls_cert = xstrdup("");
	c->tls_key = xstrdup("");
	c->web_root = xstrdup("");
}

void
config_cleanup(struct config *c)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (cfg_keys[i].type == CFG_STRING) {
			char **p = (char **)((char *)c + cfg_keys[i].offset);

			free(*p);
			*p = NULL;
		}
	}
}

/* Parse an unsigned decimal with an optional k/M/G suffix (powers of 1024)
 * when allow_suffix is set. Returns 0 on success, -1 otherwise. */
static int
parse_unsigned(const char *v, int allow_suffix, unsigned long long *out)
{
	unsigned long long n;
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	if (allow_suffix && *end != '\0' && end[1] == '\0') {
		unsigned shift = 0;

		switch (*end) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'M':
			shift = 20;
			break;
		case 'G':
			shift = 30;
			break;
		default:
			return -1;
		}
		if (n > (~0ULL >> shift))
			return -1;
		n <<= shift;
		end++;
	}
	if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}

/* Store value v for key k in c. Returns 0, or -1 with a reason in err. */
static int
cfg_set(struct config *c, const struct cfg_key *k, const char *v, char *err, size_t errlen)
{
	void *field = (char *)c + k->offset;
	unsigned long long n;
	enum log_level lvl;

	switch (k->type) {
	case CFG_STRING: {
		size_t len = strlen(v);

		if (len < k->min || len > k->max) {
			snprintf(err, errlen, "value of '%s' must be %llu to %llu characters",
			         k->key, k->min, k->max);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	}
	case CFG_UINT:
	case CFG_SIZE:
		if (parse_unsigned(v, k->type == CFG_SIZE, &n) != 0) {
			snprintf(err, errlen, "value of '%s' is not a whole number%s", k->key,
			         k->type == CFG_SIZE ? " (with optional k, M or G)" : "");
			return -1;
		}
		if (n < k->min || n > k->max) {
			snprintf(err, errlen, "value of '%s' must be between %llu and %llu", k->key,
			         k->min, k->max);
			return -1;
		}
		if (k->type == CFG_SIZE)
			*(size_t *)field = (size_t)n;
		else
			*(unsigned *)field = (unsigned)n;
		return 0;
	case CFG_LOGLEVEL:
		if (log_level_parse(v, &lvl) != 0) {
			snprintf(err, errlen,
			         "value of '%s' must be one of debug, info, warn, error", k->key);
			return -1;
		}
		*(enum log_level *)field = lvl;
		return 0;
	case CFG_HTTP_MODE:
		if (strcmp(v, "threads") == 0) {
			*(unsigned *)field = 0;
		} else if (strcmp(v, "events") == 0) {
			*(unsigned *)field = 1;
		} else {
			snprintf(err, errlen, "value of '%s' must be threads or events", k->key);
			return -1;
		}
		return 0;
	case CFG_STARTTLS:
		if (strcmp(v, "required") == 0) {
			*(unsigned *)field = 1;
		} else if (strcmp(v, "none") == 0) {
			*(unsigned *)field = 0;
		} else {
			snprintf(err, errlen, "value of '%s' must be required or none", k->key);
			return -1;
		}
		return 0;
	}
	return -1;
}

static const struct cfg_key *
cfg_find(const char *section, const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(cfg_keys[i].section, section) == 0 && strcmp(cfg_keys[i].key, key) == 0)
			return &cfg_keys[i];
	return NULL;
}

static int
section_known(const char *section)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(cfg_keys[i].section, section) == 0)
			return 1;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Parse the value part of a line in place: a "quoted" string (with \" and
 * \\ escapes) or a bare word ending at a comment. Returns NULL on a
 * malformed quote, with the reason in err. */
static char *
parse_value(char *v, char *err, size_t errlen)
{
	char *r, *w;

	v = trim(v);
	if (*v != '"') {
		for (r = v; *r != '\0'; r++) {
			if ((*r == '#' || *r == ';') && (r == v || r[-1] == ' ' || r[-1] == '\t')) {
				*r = '\0';
				break;
			}
		}
		return trim(v);
	}
	for (r = v + 1, w = v; *r != '"'; r++, w++) {
		if (*r == '\0') {
			snprintf(err, errlen, "unterminated quoted value");
			return NULL;
		}
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w = *r;
	}
	*w = '\0';
	r = trim(r + 1);
	if (*r != '\0' && *r != '#' && *r != ';') {
		snprintf(err, errlen, "unexpected text after quoted value");
		return NULL;
	}
	return v;
}

int
config_parse(struct config *c, const char *text, size_t len, const char *filename, char *err,
             size_t errlen)
{
	char section[64] = "";
	unsigned char seen[NKEYS];
	char reason[256];
	size_t pos = 0;
	unsigned lineno = 0;
	int rc = -1;

	memset(seen, 0, sizeof(seen));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t linelen = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *line, *s, *eq, *key, *val;
		const struct cfg_key *k;

		lineno++;
		line = xstrndup(text + pos, linelen);
		pos += linelen + (nl ? 1 : 0);
		reason[0] = '\0';
		if (strlen(line) != linelen) {
			snprintf(reason, sizeof(reason), "NUL byte in line");
			goto bad;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';') {
			free(line);
			continue;
		}
		if (*s == '[') {
			char *end = strchr(s, ']');
			const char *rest = end != NULL ? trim(end + 1) : NULL;

			/* nothing but a comment may follow the header */
			if (rest == NULL || (*rest != '\0' && *rest != '#' && *rest != ';')) {
				snprintf(reason, sizeof(reason), "malformed section header");
				goto bad;
			}
			*end = '\0';
			s = trim(s + 1);
			if (!section_known(s)) {
				snprintf(reason, sizeof(reason), "unknown section [%.60s]", s);
				goto bad;
			}
			snprintf(section, sizeof(section), "%s", s);
			free(line);
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(reason, sizeof(reason), "expected 'key = value'");
			goto bad;
		}
		*eq = '\0';
		key = trim(s);
		if (section[0] == '\0') {
			snprintf(reason, sizeof(reason), "key '%.60s' outside of any [section]",
			         key);
			goto bad;
		}
		k = cfg_find(section, key);
		if (k == NULL) {
			snprintf(reason, sizeof(reason), "unknown key '%.60s' in section [%s]", key,
			         section);
			goto bad;
		}
		if (seen[k - cfg_keys]) {
			snprintf(reason, sizeof(reason), "duplicate key '%s' in section [%s]", key,
			         section);
			goto bad;
		}
		seen[k - cfg_keys] = 1;
		val = parse_value(eq + 1, reason, sizeof(reason));
		if (val == NULL || cfg_set(c, k, val, reason, sizeof(reason)) != 0)
			goto bad;
		free(line);
		continue;
	bad:
		free(line);
		snprintf(err, errlen, "%s:%u: %s", filename, lineno, reason);
		goto out;
	}
	rc = 0;
out:
	return rc;
}

int
config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	struct buf b;
	char chunk[4096];
	FILE *f;
	size_t n;
	int rc = -1;

	buf_init(&b);
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > (1 << 20)) {
			snprintf(err, errlen, "%s: file larger than 1 MiB", path);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	rc = config_parse(c, b.data ? b.data : "", b.len, path, err, errlen);
out:
	if (f != NULL)
		fclose(f);
	buf_cleanup(&b);
	return rc;
}

int
config_apply_env(struct config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		char name[96], reason[256];
		const char *v;
		size_t j = 0;

		j = (size_t)snprintf(name, sizeof(name), "KOMPAS_%s_%s", k->section, k->key);
		for (size_t p = 0; p < j && p < sizeof(name); p++)
			name[p] = (char)toupper((unsigned char)name[p]);
		v = getenv(name);
		if (v == NULL)
			continue;
		if (cfg_set(c, k, v, reason, sizeof(reason)) != 0) {
			snprintf(err, errlen, "environment %s: %s", name, reason);
			return -1;
		}
	}
	return 0;
}

void
config_diff(const struct config *a, const struct config *b,
            void (*fn)(const char *section, const char *key, void *arg), void *arg)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const void *fa = (const char *)a + k->offset;
		const void *fb = (const char *)b + k->offset;
		bool same = true;

		switch (k->type) {
		case CFG_STRING: {
			const char *sa = *(char *const *)fa, *sb = *(char *const *)fb;

			same = strcmp(sa ? sa : "", sb ? sb : "") == 0;
			break;
		}
		case CFG_UINT:
		case CFG_STARTTLS:
		case CFG_HTTP_MODE:
			same = *(const unsigned *)fa == *(const unsigned *)fb;
			break;
		case CFG_SIZE:
			same = *(const size_t *)fa == *(const size_t *)fb;
			break;
		case CFG_LOGLEVEL:
			same = *(const enum log_level *)fa == *(const enum log_level *)fb;
			break;
		}
		if (!same)
			fn(k->section, k->key, arg);
	}
}
