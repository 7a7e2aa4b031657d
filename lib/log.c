/* log.c - JSON-lines logging for kompasd. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

static _Atomic int log_level = LOG_INFO;
static _Atomic int access_fd = STDERR_FILENO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_set_level(enum log_level level)
{
	atomic_store(&log_level, (int)level);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level);
}

int
log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "info";
	return level_names[level];
}

void
log_format_now(char *out, unsigned long outlen)
{
	/* The seconds part is formatted once per second per thread: measured
	 * at a fifth of the cost of an access-log line otherwise. */
	static _Thread_local time_t cached_sec = -1;
	static _Thread_local char cached[24];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != cached_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = ts.tv_sec;
	}
	if (outlen < 28) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	memcpy(out, cached, 19);
	out[19] = '.';
	for (long us = ts.tv_nsec / 1000, i = 25; i >= 20; i--, us /= 10)
		out[i] = (char)('0' + us % 10);
	out[26] = 'Z';
	out[27] = '\0';
}

static void
write_all(int fd, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		off += (size_t)n;
	}
}

static void
write_line(int fd, const struct buf *b)
{
	write_all(fd, b->data, b->len);
}

/* The access log is buffered per thread: a worker appends its line to its own
 * buffer (a mutex nobody else takes except the flusher), which is written
 * with one write(2) when it passes ACCESS_FLUSH_AT bytes, and by the flusher
 * thread every ACCESS_FLUSH_MS milliseconds otherwise. Measured: the write(2)
 * per line was the largest cost of a trivial request after libmicrohttpd's
 * own (docs/benchmarks.md). Lines are whole in every write, so lines from
 * different threads never interleave. Buffers live until log_access_close;
 * a generation number lets a thread notice that its buffer is gone. */
#define ACCESS_BUF_CAP  32768
#define ACCESS_FLUSH_AT 16384
#define ACCESS_LINE_MAX 1024
#define ACCESS_FLUSH_MS 100

struct access_buf {
	pthread_mutex_t lock;
	struct access_buf *next;
	size_t len;
	char data[ACCESS_BUF_CAP];
};

static struct {
	pthread_mutex_t lock; /* bufs, running, stop, generation changes */
	pthread_cond_t wake;
	struct access_buf *bufs;
	pthread_t flusher;
	bool running;
	bool stop;
	_Atomic unsigned generation;
	char path[4096]; /* the open file's path for log_access_reopen; "" = stderr */
} acc = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static _Thread_local struct access_buf *my_buf;
static _Thread_local unsigned my_generation;

/* Write b's lines out and empty it; the caller holds b->lock. */
static void
access_buf_flush_locked(struct access_buf *b)
{
	if (b->len > 0)
		write_all(atomic_load(&access_fd), b->data, b->len);
	b->len = 0;
}

static void
access_flush_all(void)
{
	pthread_mutex_lock(&acc.lock);
	for (struct access_buf *b = acc.bufs; b != NULL; b = b->next) {
		pthread_mutex_lock(&b->lock);
		access_buf_flush_locked(b);
		pthread_mutex_unlock(&b->lock);
	}
	pthread_mutex_unlock(&acc.lock);
}

static void *
access_flusher(void *arg)
{
	struct timespec deadline;

	(void)arg;
	pthread_mutex_lock(&acc.lock);
	while (!acc.stop) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += ACCESS_FLUSH_MS * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&acc.wake, &acc.lock, &deadline);
		for (struct access_buf *b = acc.bufs; b != NULL; b = b->next) {
			pthread_mutex_lock(&b->lock);
			access_buf_flush_locked(b);
			pthread_mutex_unlock(&b->lock);
		}
	}
	pthread_mutex_unlock(&acc.lock);
	return NULL;
}

/* This thread's buffer, registered on first use; NULL when the access log
 * is not buffered (not opened, or the buffer cannot be allocated). */
static struct access_buf *
access_buf_get(void)
{
	unsigned gen = atomic_load(&acc.generation);
	struct access_buf *b;

	if (my_buf != NULL && my_generation == gen)
		return my_buf;
	my_buf = NULL;
	pthread_mutex_lock(&acc.lock);
	if (acc.running && (b = calloc(1, sizeof(*b))) != NULL) {
		pthread_mutex_init(&b->lock, NULL);
		b->next = acc.bufs;
		acc.bufs = b;
		my_buf = b;
		my_generation = atomic_load(&acc.generation);
	}
	pthread_mutex_unlock(&acc.lock);
	return my_buf;
}

static int
access_fd_open(const char *path)
{
	if (path == NULL || *path == '\0' || strcmp(path, "stderr") == 0)
		return STDERR_FILENO;
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* Make fd the access log's target, writing what is buffered for the old
 * one first. When a file is open already the new target is put behind the
 * same descriptor (dup3, atomic), so a worker writing right now never
 * writes to a closed or reused descriptor; fd is then closed. Returns 0, or
 * -1 with errno set (fd is closed unless it is stderr; the old target
 * stays). */
static int
access_fd_swap(int fd)
{
	int cur = atomic_load(&access_fd);

	access_flush_all();
	if (cur == STDERR_FILENO) {
		atomic_store(&access_fd, fd);
		return 0;
	}
	if (dup3(fd, cur, O_CLOEXEC) < 0) {
		if (fd != STDERR_FILENO)
			close(fd);
		return -1;
	}
	if (fd != STDERR_FILENO)
		close(fd);
	return 0;
}

int
log_access_open(const char *path)
{
	int fd = access_fd_open(path);

	if (fd < 0 || access_fd_swap(fd) != 0)
		return -1;
	pthread_mutex_lock(&acc.lock);
	snprintf(acc.path, sizeof(acc.path), "%s", fd == STDERR_FILENO ? "" : path);
	if (!acc.running) {
		sigset_t all, old;

		/* The flusher takes no signals, whatever the caller's mask: a
		 * process-directed SIGTERM or SIGHUP must reach the thread that
		 * waits for it, not kill the process here. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		acc.stop = false;
		acc.running = pthread_create(&acc.flusher, NULL, access_flusher, NULL) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_mutex_unlock(&acc.lock);
	return 0;
}

int
log_access_reopen(void)
{
	char path[sizeof(acc.path)];
	int fd;

	pthread_mutex_lock(&acc.lock);
	memcpy(path, acc.path, sizeof(path));
	pthread_mutex_unlock(&acc.lock);
	if (path[0] == '\0')
		return 0;
	fd = access_fd_open(path);
	if (fd < 0)
		return -1;
	return access_fd_swap(fd);
}

void
log_access_close(void)
{
	struct access_buf *b, *next;
	pthread_t t;
	bool was_running;
	int old;

	pthread_mutex_lock(&acc.lock);
	was_running = acc.running;
	t = acc.flusher;
	acc.stop = true;
	pthread_cond_signal(&acc.wake);
	pthread_mutex_unlock(&acc.lock);
	if (was_running)
		pthread_join(t, NULL);
	access_flush_all();
	pthread_mutex_lock(&acc.lock);
	for (b = acc.bufs; b != NULL; b = next) {
		next = b->next;
		pthread_mutex_destroy(&b->lock);
		free(b);
	}
	acc.bufs = NULL;
	acc.running = false;
	acc.path[0] = '\0';
	atomic_fetch_add(&acc.generation, 1);
	pthread_mutex_unlock(&acc.lock);
	old = atomic_exchange(&access_fd, STDERR_FILENO);
	if (old != STDERR_FILENO)
		close(old);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char now[40], msg[1024];
	struct buf b;
	va_list ap;
	int n;

	if ((int)level < atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_format_now(now, sizeof(now));
	buf_init(&b);
	buf_appendf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", now, log_level_name(level));
	buf_append_json_string(&b, msg, strlen(msg));
	buf_append_str(&b, "}\n");
	write_line(STDERR_FILENO, &b);
	buf_cleanup(&b);
}

/* Append helpers for the access-log line: no printf on this path (measured:
 * formatting was half the cost of a line). Each returns the new end. */
static char *
put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *
put_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* s as a JSON string of at most max bytes of input: quotes, backslashes
 * and control characters escaped (6 bytes each at most). */
static char *
put_json(char *p, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";

	*p++ = '"';
	for (size_t i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20) {
			p = put_str(p, "\\u00");
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	return p;
}

/* Format e as one line into out (at least ACCESS_LINE_MAX bytes); returns
 * its length. The request id, method and route are cut to fixed lengths so
 * the line always fits. */
static size_t
format_access_line(char *out, const struct log_access_entry *e)
{
	char now[40];
	char *p = out;

	log_format_now(now, sizeof(now));
	p = put_str(p, "{\"time\":\"");
	p = put_str(p, now);
	p = put_str(p, "\",\"type\":\"access\",\"request_id\":");
	p = put_json(p, e->request_id, 64);
	p = put_str(p, ",\"method\":");
	p = put_json(p, e->method, 32);
	p = put_str(p, ",\"route\":");
	p = e->route != NULL ? put_json(p, e->route, 96) : put_str(p, "null");
	p = put_str(p, ",\"status\":");
	p = put_u64(p, e->status);
	p = put_str(p, ",\"duration_us\":");
	p = put_u64(p, e->duration_us);
	p = put_str(p, ",\"bytes\":");
	p = put_u64(p, e->bytes);
	if (e->aborted)
		p = put_str(p, ",\"aborted\":true");
	p = put_str(p, "}\n");
	return (size_t)(p - out);
}

void
log_access(const struct log_access_entry *e)
{
	struct access_buf *b = access_buf_get();
	char line[ACCESS_LINE_MAX];
	size_t n;

	if (b == NULL) {
		n = format_access_line(line, e);
		write_all(atomic_load(&access_fd), line, n);
		return;
	}
	pthread_mutex_lock(&b->lock);
	if (b->len + ACCESS_LINE_MAX > sizeof(b->data))
		access_buf_flush_locked(b);
	b->len += format_access_line(b->data + b->len, e);
	if (b->len >= ACCESS_FLUSH_AT)
		access_buf_flush_locked(b);
	pthread_mutex_unlock(&b->lock);
}

void
log_access_flush(void)
{
	access_flush_all();
}
