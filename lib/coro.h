/* coro.h - stackful coroutines for the event-loop workers (lib/http_loop.c).
 *
 * In the event-loop mode ([http] mode = events) each request's pipeline and
 * handler run on a coroutine: its own stack (with a guard page below it),
 * switched to and from the loop thread's stack. A coroutine that waits for
 * PostgreSQL (coro_wait_fd) yields to the loop, which serves other
 * connections and resumes it once the socket is ready. A coroutine belongs to
 * the thread that made it and never moves; one thread runs one coroutine at a
 * time, so handlers need no locks they did not need before, but they must not
 * wait for anything while holding a lock another coroutine of the same thread
 * could take (coro_pin).
 *
 * The switch is a few instructions of x86-64 assembly (coro.c); other
 * architectures, or a build with -DKOMPAS_CORO_UCONTEXT, use ucontext
 * (swapcontext also saves the signal mask: a system call per switch).
 * AddressSanitizer is told of every switch. Outside a coroutine, or on a
 * thread without a scheduler, the waits below simply block (poll), which is
 * what the thread-per-worker mode and the background threads do. */
#ifndef KOMPAS_CORO_H
#define KOMPAS_CORO_H

#include <stdbool.h>
#include <stddef.h>

struct coro;

/* Usable stack of each coroutine (a guard page is added below it). */
#define CORO_STACK_SIZE (256u * 1024u)

/* Per-coroutine slots for the libraries (coro_local). */
enum coro_slot {
	CORO_SLOT_DB,      /* lib/db.c: the request's primary connection */
	CORO_SLOT_REPLICA, /* lib/db.c: the request's replica connection */
	CORO_SLOT_TASK,    /* lib/http_loop.c: the request the coroutine runs */
	CORO_SLOTS
};

/* A queue of parked coroutines (coro_wait, coro_wake_one); zero-initialised
 * it is empty. Only for the coroutines of one thread. */
struct coro_queue {
	struct coro *head, *tail;
};

/* What a thread's scheduler (the event loop) does for the waits below. */
struct coro_sched {
	void *cls;
	/* Park the running coroutine until fd is ready for events (POLLIN,
	 * POLLOUT); return the poll revents seen, or -1 when the wait is
	 * abandoned (the server is stopping). */
	int (*wait_fd)(void *cls, int fd, short events);
	/* co, parked by coro_wait, may run again. */
	void (*wake)(void *cls, struct coro *co);
	/* The server is stopping: waits are abandoned. */
	bool (*aborting)(void *cls);
	/* What is known of the idle descriptor fd (coro_fd_quiet). */
	int (*fd_quiet)(void *cls, int fd);
	/* fd was just opened (coro_fd_opened): forget what is known of an
	 * earlier descriptor with that number. */
	void (*fd_opened)(void *cls, int fd);
};

/* Make a coroutine that will run fn(arg) on its own stack (from a cache of
 * this thread's finished ones when there is one). Returns NULL when no stack
 * can be mapped. It runs first at coro_resume. */
struct coro *coro_new(void (*fn)(void *arg), void *arg);

/* Run co (made on this thread) until it yields or fn returns. Only from the
 * thread's own stack, not from a coroutine. Returns true when fn has
 * returned (then free co with coro_free), false when co yielded. */
bool coro_resume(struct coro *co);

/* Give the thread back to whoever resumed the running coroutine; returns
 * when it is resumed again. Only inside a coroutine. */
void coro_yield(void);

/* Free a coroutine whose fn has returned, or one never resumed (its stack
 * goes to the thread's cache). NULL is accepted. */
void coro_free(struct coro *co);

/* The arg co was made with. */
void *coro_arg(const struct coro *co);

/* The running coroutine, or NULL on a thread's own stack. */
struct coro *coro_self(void);

/* Slot s of the running coroutine (NULL outside one). Slots start NULL. */
void **coro_local(enum coro_slot s);

/* Set (or with NULL clear) the calling thread's scheduler. s must outlive
 * its use. */
void coro_set_sched(const struct coro_sched *s);

/* Wait until fd is ready for events (POLLIN, POLLOUT): inside a coroutine
 * of a thread with a scheduler, yielding meanwhile; else (or while pinned)
 * blocking in poll. Returns the revents, or -1 when the wait was abandoned
 * or poll failed. */
int coro_wait_fd(int fd, short events);

/* An idle descriptor's state as the thread's scheduler knows it without a
 * system call: 1 when it watches fd and nothing has arrived on it since
 * its last wait, 0 when something has (the peer spoke or hung up), -1 when
 * it does not know (no scheduler, or fd not watched): poll it. */
int coro_fd_quiet(int fd);

/* fd has just been opened (a new database connection's socket): whatever
 * the thread's scheduler knew of an earlier descriptor with the same number
 * (its epoll registration went with its close, whoever closed it) is
 * forgotten, so that waits on fd register it afresh. Call it before the
 * first coro_wait_fd on fd. Nothing without a scheduler. */
void coro_fd_opened(int fd);

/* Park the running coroutine on q until coro_wake_one wakes it. Returns 0
 * when woken, -1 at once when it cannot wait: not in a coroutine, no
 * scheduler, pinned, or the scheduler is aborting. */
int coro_wait(struct coro_queue *q);

/* Let what is ready run first: the running coroutine is made ready again at
 * once and yields, so it runs after the coroutines already woken and, in an
 * event loop, after the requests the loop's current pass starts (lib/db.c
 * gathers their statements this way). Returns 0 once resumed, -1 at once
 * when it cannot yield (as coro_wait). */
int coro_defer(void);

/* Wake the first coroutine parked on q, if any (it runs later, when the
 * scheduler gets to it). */
void coro_wake_one(struct coro_queue *q);

/* Pin the running coroutine (nesting): until the matching coro_unpin, its
 * waits block the thread rather than yield, so that a lock it holds cannot
 * be wanted by another coroutine of the thread meanwhile. Outside a
 * coroutine both do nothing. */
void coro_pin(void);
void coro_unpin(void);

/* Is the running coroutine pinned, or is there none? (No yield possible.) */
bool coro_cannot_yield(void);

#endif
