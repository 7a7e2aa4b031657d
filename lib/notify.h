/* notify.h - the systemd readiness protocol (sd_notify) without libsystemd:
 * one datagram to the Unix socket named by $NOTIFY_SOCKET, e.g. "READY=1"
 * once the database is reachable, "RELOADING=1" around a configuration
 * reload, "STOPPING=1" on the way out. */
#ifndef KOMPAS_NOTIFY_H
#define KOMPAS_NOTIFY_H

/* Remember $NOTIFY_SOCKET (call once at start, before privileges are
 * dropped or the sandbox is installed). Cannot fail. */
void notify_init(void);

/* Send state (newline-separated VAR=value assignments) to the service
 * manager. Returns 1 when sent, 0 when no manager listens ($NOTIFY_SOCKET
 * unset), -1 on an error (not fatal: the caller may log it). */
int notify_send(const char *state);

#endif
