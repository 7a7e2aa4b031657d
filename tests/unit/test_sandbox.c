/* test_sandbox.c - unit tests for lib/sandbox.c: each case runs in a child
 * process, which installs the filter (or drops privileges) and then tries
 * something; the parent checks how the child ended and what it wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/sandbox.h"

struct outcome {
	int status; /* as from waitpid */
	char out[2048];
};

/* Run fn in a child with stderr captured; the child's exit status is fn's
 * return value unless the sandbox ends it first. */
static void
run_child(int (*fn)(void), struct outcome *o)
{
	int fds[2];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		_exit(fn());
	}
	close(fds[1]);
	while ((n = read(fds[0], o->out + len, sizeof(o->out) - 1 - len)) > 0)
		len += (size_t)n;
	o->out[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &o->status, 0), pid);
}

/* valgrind runs a program's system calls itself and cannot honour a
 * seccomp filter (make valgrind exports VALGRIND=1). */
static void
skip_under_valgrind(void)
{
	if (getenv("VALGRIND") != NULL)
		skip();
}

static int
confine(void)
{
	char err[256];

	if (sandbox_seccomp_install(err, sizeof(err)) != 0) {
		fprintf(stderr, "install failed: %s\n", err);
		return 2;
	}
	return 0;
}

static int
try_chdir(void)
{
	int rc = confine();

	if (rc != 0)
		return rc;
	if (chdir("/") != 0)
		return 3;
	return 0; /* not reached: chdir is not on the list */
}

static void
test_call_outside_the_list_ends_the_process_naming_it(void **state)
{
	struct outcome o;

	(void)state;
	skip_under_valgrind();
	run_child(try_chdir, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 159);
	assert_non_null(strstr(o.out, "sandbox: system call chdir (80) is not allowed"));
}

static int
try_packet_socket(void)
{
	int rc = confine();

	if (rc != 0)
		return rc;
	return socket(AF_PACKET, SOCK_RAW, 0) >= 0 ? 0 : 3;
}

static void
test_socket_only_for_the_allowed_families(void **state)
{
	struct outcome o;

	(void)state;
	skip_under_valgrind();
	run_child(try_packet_socket, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 159);
	assert_non_null(strstr(o.out, "sandbox: system call socket ("));
}

static void *
thread_main(void *arg)
{
	return arg;
}

/* What kompasd does after start-up: files, sockets, threads, time. */
static int
try_allowed(void)
{
	int rc = confine(), fd, sv[2];
	pthread_t t;
	void *res = NULL;
	char buf[8];
	struct timespec ts;

	if (rc != 0)
		return rc;
	fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			return 4;
		close(fd);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || write(sv[0], "x", 1) != 1 ||
	    read(sv[1], buf, 1) != 1)
		return 5;
	close(sv[0]);
	close(sv[1]);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 6;
	close(fd);
	if (pthread_create(&t, NULL, thread_main, (void *)&ts) != 0 || pthread_join(t, &res) != 0 ||
	    res != (void *)&ts)
		return 7;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || getpid() <= 0)
		return 8;
	return 0;
}

static void
test_what_kompasd_needs_is_allowed(void **state)
{
	struct outcome o;

	(void)state;
	skip_under_valgrind();
	run_child(try_allowed, &o);
	assert_string_equal(o.out, "");
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
}

/* W^X: no writable and executable mapping, no making memory executable;
 * the kernel key ring calls answer ENOSYS (Kerberos falls back to files). */
static int
try_wx(void)
{
	int rc = confine();
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if (rc != 0)
		return rc;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE | PROT_EXEC,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED || errno != EPERM)
		return 3;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 4;
	if (mprotect(p, (size_t)page, PROT_READ | PROT_EXEC) == 0 || errno != EPERM)
		return 5;
	if (mprotect(p, (size_t)page, PROT_READ) != 0)
		return 6;
	if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) != -1 || errno != ENOSYS)
		return 7;
	return 0;
}

static void
test_no_writable_executable_memory(void **state)
{
	struct outcome o;

	(void)state;
	skip_under_valgrind();
	run_child(try_wx, &o);
	assert_string_equal(o.out, "");
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
}

static const char *drop_user;

static int
try_drop(void)
{
	char err[512];

	if (sandbox_drop_privileges(drop_user, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s", err);
		return 1;
	}
	fprintf(stderr, "uid=%u euid=%u gid=%u regain=%d", (unsigned)getuid(), (unsigned)geteuid(),
	        (unsigned)getgid(), setuid(0) == 0);
	return 0;
}

static void
test_drop_privileges(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char want[128];
	struct outcome o;

	(void)state;
	if (geteuid() != 0) {
		/* unprivileged: nothing to drop, the user is ignored */
		drop_user = "";
		run_child(try_drop, &o);
		assert_int_equal(WEXITSTATUS(o.status), 0);
		return;
	}
	drop_user = "";
	run_child(try_drop, &o);
	assert_int_equal(WEXITSTATUS(o.status), 1);
	assert_non_null(strstr(o.out, "kompasd does not serve as root: set [server] user"));
	drop_user = "root";
	run_child(try_drop, &o);
	assert_int_equal(WEXITSTATUS(o.status), 1);
	assert_non_null(strstr(o.out, "[server] user 'root' is root"));
	drop_user = "no-such-user-kompas";
	run_child(try_drop, &o);
	assert_int_equal(WEXITSTATUS(o.status), 1);
	assert_non_null(strstr(o.out, "no account named 'no-such-user-kompas'"));
	if (pw == NULL)
		skip();
	drop_user = "nobody";
	run_child(try_drop, &o);
	assert_int_equal(WEXITSTATUS(o.status), 0);
	snprintf(want, sizeof(want), "uid=%u euid=%u gid=%u regain=0", (unsigned)pw->pw_uid,
	         (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	assert_string_equal(o.out, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_call_outside_the_list_ends_the_process_naming_it),
	    cmocka_unit_test(test_socket_only_for_the_allowed_families),
	    cmocka_unit_test(test_what_kompasd_needs_is_allowed),
	    cmocka_unit_test(test_no_writable_executable_memory),
	    cmocka_unit_test(test_drop_privileges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
