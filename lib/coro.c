/* coro.c - stackful coroutines: stacks with a guard page, the context
 * switch (x86-64 assembly, or ucontext), parking queues (see coro.h). */
#include "coro.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if !defined(__x86_64__) && !defined(KOMPAS_CORO_UCONTEXT)
#define KOMPAS_CORO_UCONTEXT 1
#endif
#if defined(KOMPAS_CORO_UCONTEXT)
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define SAN_START(save, bottom, size)  __sanitizer_start_switch_fiber(save, bottom, size)
#define SAN_FINISH(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
#else
#define SAN_START(save, bottom, size)  ((void)(save), (void)(bottom), (void)(size))
#define SAN_FINISH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif

/* Finished coroutines kept per thread for reuse (their stacks stay mapped). */
#define CACHE_MAX 64

struct coro {
	void (*fn)(void *arg);
	void *arg;
	bool finished;
	int pinned;
	int wake_status;   /* what coro_wait returns once woken */
	struct coro *next; /* in a coro_queue, or the thread's cache */
	void *slots[CORO_SLOTS];
	unsigned char *map; /* the mapping: guard page, then the stack */
	size_t map_len;
	void *fake_stack; /* AddressSanitizer's, while switched away */
#if defined(KOMPAS_CORO_UCONTEXT)
	ucontext_t uc;
#else
	void *sp; /* saved stack pointer while not running */
#endif
};

/* The thread's own context while a coroutine runs. */
static _Thread_local struct {
#if defined(KOMPAS_CORO_UCONTEXT)
	ucontext_t uc;
#else
	void *sp;
#endif
	void *fake_stack;
	const void *bottom;
	size_t size;
} home;

static _Thread_local struct coro *current;
static _Thread_local struct coro *cache;
static _Thread_local unsigned cached;
static _Thread_local const struct coro_sched *sched;

#if !defined(KOMPAS_CORO_UCONTEXT)
/* kompas_coro_switch(save, load): push the callee-saved registers, the SSE
 * control word and the x87 control word on the current stack, store the
 * stack pointer in *save, load *load and pop the same from there. */
void kompas_coro_switch(void **save, void *const *load);
__asm__(".pushsection .text\n"
        ".globl kompas_coro_switch\n"
        ".hidden kompas_coro_switch\n"
        ".type kompas_coro_switch,@function\n"
        "kompas_coro_switch:\n"
        "\tpushq %rbp\n"
        "\tpushq %rbx\n"
        "\tpushq %r12\n"
        "\tpushq %r13\n"
        "\tpushq %r14\n"
        "\tpushq %r15\n"
        "\tsubq $8, %rsp\n"
        "\tstmxcsr (%rsp)\n"
        "\tfnstcw 4(%rsp)\n"
        "\tmovq %rsp, (%rdi)\n"
        "\tmovq (%rsi), %rsp\n"
        "\tldmxcsr (%rsp)\n"
        "\tfldcw 4(%rsp)\n"
        "\taddq $8, %rsp\n"
        "\tpopq %r15\n"
        "\tpopq %r14\n"
        "\tpopq %r13\n"
        "\tpopq %r12\n"
        "\tpopq %rbx\n"
        "\tpopq %rbp\n"
        "\tret\n"
        ".size kompas_coro_switch,.-kompas_coro_switch\n"
        ".popsection\n");
#endif

/* A coroutine's first frame: run fn, then switch home for good. */
static void
coro_entry(void)
{
	struct coro *co = current;

	SAN_FINISH(NULL, &home.bottom, &home.size);
	co->fn(co->arg);
	co->finished = true;
	SAN_START(NULL, home.bottom, home.size);
#if defined(KOMPAS_CORO_UCONTEXT)
	setcontext(&home.uc);
#else
	kompas_coro_switch(&co->sp, &home.sp);
#endif
	abort(); /* never resumed after finishing */
}

/* Lay out co's fresh stack so that the first switch to it enters
 * coro_entry. */
static void
coro_prepare(struct coro *co)
{
	unsigned char *top = co->map + co->map_len;

	co->finished = false;
#if defined(KOMPAS_CORO_UCONTEXT)
	getcontext(&co->uc);
	co->uc.uc_stack.ss_sp = co->map + (co->map_len - CORO_STACK_SIZE);
	co->uc.uc_stack.ss_size = CORO_STACK_SIZE;
	co->uc.uc_link = NULL;
	makecontext(&co->uc, coro_entry, 0);
#else
	{
		/* From the top: a zero return address for coro_entry (the
		 * ABI's alignment: rsp + 8 a multiple of 16 at entry), the
		 * address the switch returns to, six registers, the control
		 * words (MXCSR 0x1f80, x87 0x037f: the defaults). */
		uint64_t *sp = (uint64_t *)(void *)((uintptr_t)top & ~(uintptr_t)15);
		uint32_t words[2] = {0x1f80, 0x037f};

		*--sp = 0;
		*--sp = (uint64_t)(uintptr_t)coro_entry;
		for (int i = 0; i < 6; i++)
			*--sp = 0;
		--sp;
		memcpy(sp, words, sizeof(words));
		co->sp = sp;
	}
#endif
}

struct coro *
coro_new(void (*fn)(void *arg), void *arg)
{
	struct coro *co = cache;
	long page = sysconf(_SC_PAGESIZE);

	if (co != NULL) {
		cache = co->next;
		cached--;
	} else {
		co = calloc(1, sizeof(*co));
		if (co == NULL)
			return NULL;
		co->map_len = CORO_STACK_SIZE + (size_t)(page > 0 ? page : 4096);
		co->map = mmap(NULL, co->map_len, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (co->map == MAP_FAILED) {
			free(co);
			return NULL;
		}
		/* The guard page: an overflow faults instead of writing on. */
		if (mprotect(co->map, co->map_len - CORO_STACK_SIZE, PROT_NONE) != 0) {
			munmap(co->map, co->map_len);
			free(co);
			return NULL;
		}
	}
	co->fn = fn;
	co->arg = arg;
	co->pinned = 0;
	co->wake_status = 0;
	co->next = NULL;
	memset(co->slots, 0, sizeof(co->slots));
	coro_prepare(co);
	return co;
}

bool
coro_resume(struct coro *co)
{
	current = co;
	SAN_START(&home.fake_stack, co->map + (co->map_len - CORO_STACK_SIZE), CORO_STACK_SIZE);
#if defined(KOMPAS_CORO_UCONTEXT)
	swapcontext(&home.uc, &co->uc);
#else
	kompas_coro_switch(&home.sp, &co->sp);
#endif
	SAN_FINISH(home.fake_stack, NULL, NULL);
	current = NULL;
	return co->finished;
}

void
coro_yield(void)
{
	struct coro *co = current;

	SAN_START(&co->fake_stack, home.bottom, home.size);
#if defined(KOMPAS_CORO_UCONTEXT)
	swapcontext(&co->uc, &home.uc);
#else
	kompas_coro_switch(&co->sp, &home.sp);
#endif
	SAN_FINISH(co->fake_stack, &home.bottom, &home.size);
}

void
coro_free(struct coro *co)
{
	if (co == NULL)
		return;
	if (cached < CACHE_MAX) {
		co->next = cache;
		cache = co;
		cached++;
		return;
	}
	munmap(co->map, co->map_len);
	free(co);
}

void *
coro_arg(const struct coro *co)
{
	return co->arg;
}

struct coro *
coro_self(void)
{
	return current;
}

void **
coro_local(enum coro_slot s)
{
	return current != NULL ? &current->slots[s] : NULL;
}

void
coro_set_sched(const struct coro_sched *s)
{
	sched = s;
	if (s == NULL) {
		/* The thread's loop is ending: unmap the cached stacks. */
		while (cache != NULL) {
			struct coro *next = cache->next;

			munmap(cache->map, cache->map_len);
			free(cache);
			cache = next;
		}
		cached = 0;
	}
}

bool
coro_cannot_yield(void)
{
	return current == NULL || current->pinned > 0 || sched == NULL;
}

int
coro_wait_fd(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;

	if (!coro_cannot_yield())
		return sched->wait_fd(sched->cls, fd, events);
	do
		n = poll(&p, 1, -1);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : p.revents;
}

int
coro_fd_quiet(int fd)
{
	if (sched == NULL || sched->fd_quiet == NULL)
		return -1;
	return sched->fd_quiet(sched->cls, fd);
}

void
coro_fd_opened(int fd)
{
	if (sched != NULL && sched->fd_opened != NULL && fd >= 0)
		sched->fd_opened(sched->cls, fd);
}

int
coro_wait(struct coro_queue *q)
{
	struct coro *co = current;

	if (coro_cannot_yield() || sched->aborting(sched->cls))
		return -1;
	co->next = NULL;
	if (q->tail != NULL)
		q->tail->next = co;
	else
		q->head = co;
	q->tail = co;
	co->wake_status = -1;
	coro_yield();
	return co->wake_status;
}

int
coro_defer(void)
{
	struct coro *co = current;

	if (coro_cannot_yield() || sched->aborting(sched->cls))
		return -1;
	co->wake_status = 0;
	sched->wake(sched->cls, co);
	coro_yield();
	return co->wake_status;
}

void
coro_wake_one(struct coro_queue *q)
{
	struct coro *co = q->head;

	if (co == NULL || sched == NULL)
		return;
	q->head = co->next;
	if (q->head == NULL)
		q->tail = NULL;
	co->next = NULL;
	co->wake_status = sched->aborting(sched->cls) ? -1 : 0;
	sched->wake(sched->cls, co);
}

void
coro_pin(void)
{
	if (current != NULL)
		current->pinned++;
}

void
coro_unpin(void)
{
	if (current != NULL && current->pinned > 0)
		current->pinned--;
}
