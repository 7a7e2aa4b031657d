/* hello.c - bench-hello, the reference server of `make bench`: a bare
 * libmicrohttpd server started the way kompasd starts its daemon (same flags,
 * worker pool, connection timeout and limits, 127.0.0.1 only) that answers
 * every request with a static JSON body about the size of kompasd's GET /v1
 * body. Whatever kompasd is slower than this is kompasd's own cost.
 *
 *   bench-hello PORT THREADS [TIMEOUT CONNECTION_LIMIT PER_IP_LIMIT]
 *
 * PORT 0 picks a free port. Prints "listening on http://127.0.0.1:PORT" on
 * stdout once it accepts connections and serves until SIGINT or SIGTERM.
 * The defaults of the optional arguments are those of kompas.conf. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

/* As long as kompasd's GET /v1 body (about 180 bytes). */
static const char body[] =
    "{\"name\":\"Hello\",\"version\":\"0.0.0+bench\",\"links\":{\"self\":\"/\",\"openapi\":"
    "\"/openapi.yaml\",\"health\":\"/healthz\",\"ready\":\"/readyz\",\"metrics\":\"/metrics\","
    "\"items\":\"/items\",\"padding\":\"xxxxxxxx\"}}";

/* Marks a request whose first access-handler call has been seen. */
static int request_seen;

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	/* Like kompasd: the first call only sets the request up; queueing a
	 * response there makes libmicrohttpd close the connection afterwards. */
	if (*con_cls == NULL) {
		*con_cls = &request_seen;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	resp =
	    MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int
parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned port, threads, timeout = 30, conn_limit = 1024, per_ip_limit = 64;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in a4;
	sigset_t set;
	int sig = 0;

	if ((argc != 3 && argc != 6) || parse_uint(argv[1], 65535, &port) != 0 ||
	    parse_uint(argv[2], 256, &threads) != 0 || threads == 0 ||
	    (argc == 6 && (parse_uint(argv[3], UINT_MAX, &timeout) != 0 ||
	                   parse_uint(argv[4], UINT_MAX, &conn_limit) != 0 ||
	                   parse_uint(argv[5], UINT_MAX, &per_ip_limit) != 0))) {
		fprintf(stderr, "usage: %s PORT THREADS [TIMEOUT CONNECTION_LIMIT PER_IP_LIMIT]\n",
		        argv[0]);
		return 2;
	}

	/* The worker threads inherit this mask, so only sigwait sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_port = htons((uint16_t)port);
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	                         MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
	                     (uint16_t)port, NULL, NULL, access_cb, NULL, MHD_OPTION_SOCK_ADDR,
	                     (const struct sockaddr *)&a4, MHD_OPTION_THREAD_POOL_SIZE, threads,
	                     MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_LIMIT,
	                     conn_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip_limit,
	                     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "bench-hello: cannot listen on 127.0.0.1 port %u\n", port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("bench-hello listening on http://127.0.0.1:%u with %u worker threads\n",
	       info ? info->port : port, threads);
	fflush(stdout);

	if (sigwait(&set, &sig) != 0)
		sig = SIGTERM;
	MHD_stop_daemon(d);
	fprintf(stderr, "bench-hello: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	return 0;
}
