/* sandbox.h - least privilege for kompasd once it has started: leave root
 * for a configured account, then confine the process to the system calls it
 * needs (a seccomp filter built with libseccomp).
 *
 * The order in `kompasd serve`: bind the port and read every file that
 * only root may read (key file, TLS key), drop privileges, install the
 * filter, then connect to the database and start the worker threads. */
#ifndef KOMPAS_SANDBOX_H
#define KOMPAS_SANDBOX_H

#include <stddef.h>

/* Leave root for the account named user: supplementary groups, group and
 * user ids (every thread; glibc applies set*id to all of them), then check
 * that root cannot be regained. When the process is not root, nothing
 * changes and 0 is returned (user is then ignored). Returns -1 with the
 * reason in err when started as root without a user (kompasd refuses to
 * serve as root), when the account is unknown or is root itself, or when
 * a step fails. */
int sandbox_drop_privileges(const char *user, char *err, size_t errlen);

/* Install the system-call allow-list on every thread of the process
 * (SECCOMP_FILTER_FLAG_TSYNC) and set no_new_privs. A call outside the list
 * writes "sandbox: system call NAME (N) is not allowed" to stderr and ends
 * the process with status 159 (128 + SIGSYS), so a missing entry is found by
 * the tests rather than in production. Writable-and-executable mappings and
 * making memory executable later are refused with EPERM (as systemd's
 * MemoryDenyWriteExecute). Returns 0, or -1 with the reason in err. */
int sandbox_seccomp_install(char *err, size_t errlen);

#endif
