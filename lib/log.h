/* log.h - structured logging: one JSON object per line.
 *
 * Application messages go to stderr (journald-friendly), each line with one
 * write(2). The access log goes to stderr or to a file of its own; its lines
 * are buffered per thread and written whole (never interleaved) when a
 * buffer fills and at least every 100 ms, and at log_access_close. Never
 * pass personal data, query strings or request bodies to these functions. */
#ifndef KOMPAS_LOG_H
#define KOMPAS_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the minimum level for application messages. Cannot fail. */
void log_set_level(enum log_level level);

/* The current minimum level. */
enum log_level log_get_level(void);

/* Parse "debug", "info", "warn" or "error". Returns 0 and sets *out on
 * success, -1 on an unknown name. */
int log_level_parse(const char *name, enum log_level *out);

/* The lower-case name of a level; never NULL. */
const char *log_level_name(enum log_level level);

/* Send the access log to the file at path (appending, created 0640), or to
 * stderr when path is NULL, empty or "stderr", and start buffering it (a
 * flusher thread). May be called again while serving (a configuration
 * reload): lines buffered for the previous target are written there first,
 * and a file already open is replaced behind the same descriptor (dup3), so
 * no worker writes to a closed one. Returns 0 on success, -1 with errno set
 * when the file cannot be opened (the previous target stays). */
int log_access_open(const char *path);

/* Open the access log's file again by its path (after log rotation moved
 * it; called on SIGUSR1), writing what is buffered to the old one first;
 * the new file takes the old one's place behind the same descriptor (dup3).
 * Nothing to do for stderr. Returns 0, or -1 with errno set when the file
 * cannot be opened (the old one stays in use). Safe from any thread. */
int log_access_reopen(void);

/* Write every thread's buffered access-log lines now. */
void log_access_flush(void);

/* Stop buffering: write what is buffered, stop the flusher thread, free the
 * buffers and close an access log file (the target becomes stderr,
 * unbuffered). Call once the threads that log have stopped. */
void log_access_close(void);

/* Log a printf-formatted message at level with the key "msg". Messages below
 * the configured level are dropped. Never fails visibly. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One access-log line. route is the route pattern (never the raw URL), or
 * NULL when no route matched. */
struct log_access_entry {
	const char *request_id;
	const char *method;
	const char *route;
	unsigned status;
	uint64_t duration_us;
	uint64_t bytes;
	int aborted; /* the client went away before the response was sent */
};

/* Write one access-log line (buffered after log_access_open; the request
 * id, method and route are cut to 64, 32 and 96 bytes). Never fails
 * visibly. */
void log_access(const struct log_access_entry *e);

/* Write the current UTC time as RFC 3339 with microseconds into out (at
 * least 32 bytes). */
void log_format_now(char *out, unsigned long outlen);

#endif
