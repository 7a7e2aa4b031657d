/* sandbox.c - privilege drop and the seccomp allow-list of kompasd. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <seccomp.h>

int
sandbox_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	int e;

	if (geteuid() != 0 && getuid() != 0)
		return 0;
	if (user == NULL || *user == '\0') {
		snprintf(err, errlen,
		         "kompasd does not serve as root: set [server] user = <account> (it "
		         "switches to that account after binding the port and reading the key "
		         "file) or start it as an unprivileged user");
		return -1;
	}
	e = getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &res);
	if (res == NULL) {
		snprintf(err, errlen, "[server] user: no account named '%s'%s%s", user,
		         e != 0 ? ": " : "", e != 0 ? strerror(e) : "");
		return -1;
	}
	if (pw.pw_uid == 0 || pw.pw_gid == 0) {
		snprintf(err, errlen,
		         "[server] user '%s' is root (uid or gid 0): name an "
		         "unprivileged account",
		         user);
		return -1;
	}
	if (initgroups(pw.pw_name, pw.pw_gid) != 0 || setgid(pw.pw_gid) != 0 ||
	    setuid(pw.pw_uid) != 0) {
		snprintf(err, errlen, "cannot switch to user '%s': %s", user, strerror(errno));
		return -1;
	}
	/* Regaining root must now be impossible. */
	if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != pw.pw_uid || geteuid() != pw.pw_uid ||
	    getgid() != pw.pw_gid || getegid() != pw.pw_gid) {
		snprintf(err, errlen, "switching to user '%s' did not drop root", user);
		return -1;
	}
	return 0;
}

/* Names of system calls by number, resolved before the filter is loaded
 * (the SIGSYS handler may not allocate). Kept for the life of the process. */
#define MAX_SYSCALL_NR 512
static const char *syscall_names[MAX_SYSCALL_NR];

static void
write_str(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));

	(void)n;
}

/* SIGSYS from the filter: name the call with async-signal-safe writes only,
 * then end the process. */
static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char num[16];
	int nr = si->si_syscall, i = (int)sizeof(num) - 1;
	unsigned v = nr < 0 ? 0u : (unsigned)nr;

	(void)sig;
	(void)uc;
	num[i] = '\0';
	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && i > 0);
	write_str("{\"level\":\"error\",\"msg\":\"sandbox: system call ");
	if (nr >= 0 && nr < MAX_SYSCALL_NR && syscall_names[nr] != NULL)
		write_str(syscall_names[nr]);
	else
		write_str("?");
	write_str(" (");
	write_str(num + i);
	write_str(") is not allowed; add it to lib/sandbox.c or set [security] seccomp = 0 to "
	          "debug\"}\n");
	_exit(128 + SIGSYS);
}

static void
resolve_names(void)
{
	for (int nr = 0; nr < MAX_SYSCALL_NR; nr++) {
		if (syscall_names[nr] == NULL)
			syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	}
}

/* Calls allowed without conditions. */
static const char *const allowed[] = {
    /* memory */
    "brk",
    "munmap",
    "mremap",
    "madvise",
    "mlock",
    "munlock",
    "mlock2",
    "membarrier",
    /* files (config reload, access log reopen, CA certificates, NSS) */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "openat",
    "open",
    "close",
    "fstat",
    "newfstatat",
    "stat",
    "lstat",
    "statx",
    "lseek",
    "fcntl",
    "getdents64",
    "getdents", /* LeakSanitizer lists /proc/self/task with it */
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "dup",
    "dup2",
    "dup3",
    "pipe2",
    "fsync",
    "fdatasync",
    "statfs",
    "fstatfs",
    "umask",
    "getcwd",
    /* sockets (libmicrohttpd, libpq, libcurl, the resolver, sd_notify) */
    "connect",
    "accept",
    "accept4",
    "bind",
    "listen",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "shutdown",
    "sendfile",
    /* waiting */
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "eventfd2",
    "futex",
    "futex_waitv",
    "nanosleep",
    "clock_nanosleep",
    "sched_yield",
    "restart_syscall",
    /* threads and signals */
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "set_tid_address",
    "exit",
    "exit_group",
    "gettid",
    "getpid",
    "getppid",
    "tgkill",
    "tkill",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigtimedwait",
    "sigaltstack",
    "sched_getaffinity",
    /* time, randomness, identity, limits */
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "getrandom",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "getgroups",
    "uname",
    "sysinfo",
    "getrlimit",
    "prlimit64",
    "getrusage",
#if defined(__SANITIZE_ADDRESS__)
    /* LeakSanitizer stops the world at exit with a tracer task. */
    "clone",
    "ptrace",
    "wait4",
    "waitid",
    "prctl",
    "kill",
    "process_vm_readv",
#endif
};

/* The GSSAPI (Kerberos) libraries libpq loads look for kernel key rings;
 * refusing those calls makes them fall back to files. */
static const char *const enosys[] = {"clone3", "keyctl", "add_key", "request_key"};

static int
add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
         const struct scmp_arg_cmp *cmp, char *err, size_t errlen)
{
	int nr = seccomp_syscall_resolve_name(name), rc;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a call of this architecture */
	rc = seccomp_rule_add_array(ctx, action, nr, n, cmp);
	if (rc != 0) {
		snprintf(err, errlen, "seccomp rule for %s: %s", name, strerror(-rc));
		return -1;
	}
	return 0;
}

/* One argument comparison: argument arg compared by op with a (and b for
 * the masked comparisons). Written out because libseccomp's SCMP_A0()
 * macros leave datum_b unset, which clang's -Wmissing-field-initializers
 * refuses. */
static struct scmp_arg_cmp
arg_cmp(unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = op, .datum_a = a, .datum_b = b};
}
/* Calls allowed only with some arguments. */
static int
add_conditional(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	static const int families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
	static const unsigned long ioctls[] = {FIONREAD, FIONBIO, TCGETS};
	static const int prctls[] = {PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE};
	const uint32_t allow = SCMP_ACT_ALLOW, eperm = SCMP_ACT_ERRNO(EPERM);
	struct scmp_arg_cmp c[2];

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		c[0] = arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)families[i], 0);
		if (add_rule(ctx, allow, "socket", 1, c, err, errlen) != 0 ||
		    (families[i] == AF_UNIX &&
		     add_rule(ctx, allow, "socketpair", 1, c, err, errlen) != 0))
			return -1;
	}
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		c[0] = arg_cmp(1, SCMP_CMP_EQ, (scmp_datum_t)ioctls[i], 0);
		if (add_rule(ctx, allow, "ioctl", 1, c, err, errlen) != 0)
			return -1;
	}
#if !defined(__SANITIZE_ADDRESS__)
	for (size_t i = 0; i < sizeof(prctls) / sizeof(prctls[0]); i++) {
		c[0] = arg_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)prctls[i], 0);
		if (add_rule(ctx, allow, "prctl", 1, c, err, errlen) != 0)
			return -1;
	}
	/* New threads only; no new processes. */
	c[0] = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	if (add_rule(ctx, allow, "clone", 1, c, err, errlen) != 0)
		return -1;
#else
	(void)prctls;
#endif
	/* W^X: no mapping both writable and executable, no making memory
	 * executable afterwards. */
	for (int prot = 0; prot <= (PROT_WRITE | PROT_EXEC); prot += PROT_WRITE) {
		unsigned m = (unsigned)prot & (PROT_WRITE | PROT_EXEC);

		c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, m);
		if (add_rule(ctx, m == (PROT_WRITE | PROT_EXEC) ? eperm : allow, "mmap", 1, c, err,
		             errlen) != 0)
			return -1;
	}
	c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC);
	if (add_rule(ctx, eperm, "mprotect", 1, c, err, errlen) != 0 ||
	    add_rule(ctx, eperm, "pkey_mprotect", 1, c, err, errlen) != 0)
		return -1;
	c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	if (add_rule(ctx, allow, "mprotect", 1, c, err, errlen) != 0)
		return -1;
	return 0;
}

int
sandbox_seccomp_install(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	struct sigaction sa;
	int rc = -1, r;

	resolve_names();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0) {
		snprintf(err, errlen, "cannot handle SIGSYS: %s", strerror(errno));
		return -1;
	}
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (ctx == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		snprintf(err, errlen, "seccomp thread synchronisation: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (add_rule(ctx, SCMP_ACT_ALLOW, allowed[i], 0, NULL, err, errlen) != 0)
			goto out;
	for (size_t i = 0; i < sizeof(enosys) / sizeof(enosys[0]); i++)
		if (add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), enosys[i], 0, NULL, err, errlen) != 0)
			goto out;
	if (add_conditional(ctx, err, errlen) != 0)
		goto out;
	if ((r = seccomp_load(ctx)) != 0) {
		snprintf(err, errlen, "loading the seccomp filter: %s", strerror(-r));
		goto out;
	}
	rc = 0;
out:
	seccomp_release(ctx);
	return rc;
}
