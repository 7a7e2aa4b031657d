/* notify_listen.c - a stand-in for systemd's notification socket, for the
 * tests (Node has no Unix datagram sockets).
 *
 *   notify_listen PATH
 *
 * Binds a Unix datagram socket at PATH (mode 0777, so that kompasd can send
 * after leaving root), prints "listening" and then every datagram received
 * as one line (its newlines shown as spaces), until SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un addr;
	char msg[4096];
	ssize_t n;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: notify_listen PATH\n");
		return 2;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, argv[1], strlen(argv[1]));
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    chmod(argv[1], 0777) != 0) {
		perror("notify_listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while ((n = recv(fd, msg, sizeof(msg) - 1, 0)) >= 0) {
		msg[n] = '\0';
		for (ssize_t i = 0; i < n; i++)
			if (msg[i] == '\n')
				msg[i] = ' ';
		printf("%s\n", msg);
		fflush(stdout);
	}
	return 0;
}
