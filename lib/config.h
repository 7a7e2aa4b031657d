/* config.h - kompas.conf, an INI-style configuration file.
 *
 *   [section]
 *   key = value          ; values may be "quoted"; '#' or ';' start comments
 *
 * Every key is declared in one table in config.c with its type and bounds;
 * an unknown section or key, a duplicate, a malformed line or a value out of
 * range is refused with "file:line: reason". Any key can be overridden from
 * the environment as KOMPAS_<SECTION>_<KEY> (upper case), which is how
 * secrets such as the database password are kept out of the file. */
#ifndef KOMPAS_CONFIG_H
#define KOMPAS_CONFIG_H

#include <stddef.h>

#include "log.h"

struct config {
	/* [http] */
	char *listen;                     /* IPv4 or IPv6 literal */
	unsigned port;                    /* 0 = any free port (tests) */
	unsigned threads;                 /* workers, 0 = per CPU (4 threads, or 1 loop) */
	unsigned http_mode;               /* 0 threads: a thread per request in progress;
	                                   * 1 events: event loops with coroutines */
	size_t body_limit;                /* bytes */
	unsigned connection_timeout;      /* idle seconds before a connection is closed */
	unsigned connection_limit;        /* concurrent connections */
	unsigned per_ip_connection_limit; /* concurrent connections from one address */
	unsigned request_header_timeout;  /* seconds for a request line and headers, in all */
	size_t body_min_rate;             /* body bytes per second after the grace (0 = none) */
	unsigned body_rate_grace;         /* seconds before the minimum body rate applies */
	unsigned shutdown_timeout;        /* seconds to wait for in-flight requests */
	unsigned retry_after;             /* Retry-After seconds sent with 503 */
	char *trusted_proxy; /* a reverse proxy whose X-Forwarded-For is believed ("" = none) */
	/* [database] */
	char *conninfo;            /* kompasd's own login role (member of kompas_app) */
	char *migrate_conninfo;    /* the schema owner, for migrations; NULL = conninfo */
	unsigned connect_timeout;  /* seconds */
	unsigned tx_retries;       /* serialization failures retried this often */
	unsigned loop_connections; /* [http] mode = events: connections per event loop */
	char *replica_conninfo;    /* a streaming replica for reads; NULL or "" = none */
	unsigned replica_max_lag;  /* seconds behind the primary before reads fall back */
	/* [crypto] */
	char *key_file;
	/* [auth] */
	unsigned session_idle_timeout; /* seconds without use before a session ends */
	unsigned session_max_age;      /* seconds from login before a session ends */
	unsigned password_threads;     /* threads checking login passwords, 0 = max(1, CPUs / 2) */
	unsigned password_queue;       /* password checks that may wait beyond those running */
	/* [webhooks] */
	unsigned webhooks_allow_http; /* 1: http:// receivers allowed (development) */
	unsigned webhooks_max_attempts;
	unsigned webhooks_timeout; /* seconds per delivery attempt */
	/* [mail] e-mail notifications over SMTP (api/jobs/mail.c); off while server is "" */
	char *mail_server;      /* host name or address of the SMTP server */
	unsigned mail_port;     /* 587 by default */
	unsigned mail_starttls; /* 1: STARTTLS required (default), 0: none */
	char *mail_user;        /* SMTP login ("" = none); the password is KOMPAS_MAIL_PASSWORD */
	char *mail_ca_file;     /* PEM file of CAs to verify the server with ("" = the system's) */
	char *mail_from;        /* From: address, e.g. "Kompas <kompas@example.dk>" */
	char *mail_base_url;    /* where the web client is reached, for links */
	unsigned mail_digest_hour;       /* Danish hour from which the daily mails go out */
	unsigned mail_max_attempts;      /* delivery attempts before giving up */
	unsigned mail_max_backoff;       /* longest wait between attempts, seconds */
	unsigned mail_timeout;           /* seconds per delivery attempt */
	unsigned mail_schedule_interval; /* seconds between looks for due digests and reminders */
	/* [privacy] */
	unsigned access_log_retention_days;
	/* [log] */
	enum log_level log_level;
	char *access_log; /* "stderr" or a file path */
	/* [paths] */
	char *schema_dir;
	char *openapi;
	/* [server] */
	char *user; /* started as root: the account to switch to after binding ("" = none) */
	/* [security] */
	unsigned seccomp; /* 1: system-call allow-list after start-up (lib/sandbox.c) */
	/* [http] TLS: both set = serve HTTPS directly (PEM files, read before dropping root) */
	char *tls_cert;
	char *tls_key;
	char *web_root; /* folder served under /app/ (clients/web); empty: not served */
};

/* Fill c with the built-in defaults. The caller later releases it with
 * config_cleanup. Cannot fail. */
void config_init(struct config *c);

/* Release every string held by c. Safe to call twice. */
void config_cleanup(struct config *c);

/* Parse len bytes of INI text into c; filename is only used in messages.
 * Returns 0 on success; on failure returns -1, writes "filename:line: reason"
 * into err (errlen bytes) and leaves the keys parsed so far in c. */
int config_parse(struct config *c, const char *text, size_t len, const char *filename, char *err,
                 size_t errlen);

/* Read and parse the file at path. Same contract as config_parse; a file that
 * cannot be read is reported as "path: reason". */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);

/* Apply KOMPAS_<SECTION>_<KEY> environment variables over c. Returns 0 on
 * success, -1 with "environment NAME: reason" in err on a bad value. */
int config_apply_env(struct config *c, char *err, size_t errlen);

/* Call fn(section, key, arg) for every key whose value differs between a
 * and b (both filled by config_init and the loaders), in table order. Used
 * to report what a configuration reload changed. Cannot fail. */
void config_diff(const struct config *a, const struct config *b,
                 void (*fn)(const char *section, const char *key, void *arg), void *arg);

#endif
