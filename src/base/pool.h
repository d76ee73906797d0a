/*
 * A small pool of worker threads over an ordered queue of jobs, the one the
 * importer's pre-check (sync/precheck.c) and the audit's changeset
 * verification (src/audit/audit_pool.c) both use.
 *
 * Jobs are numbered 0, 1, 2 ... in submission order; the pool calls
 * fn(ctx, number) for each, on a worker or on the submitting thread. It
 * knows nothing of the jobs themselves: the caller keeps them (an array, or
 * a ring indexed by number % window). One thread (the owner) submits,
 * waits and retires, always oldest first; at most `window` jobs are between
 * submission and retirement. Waiting for a job no worker has taken yet runs
 * it on the owner, so a pool without workers (one processor, or no thread
 * could start) still finishes everything, in order.
 */
#ifndef CTS_POOL_H
#define CTS_POOL_H

#include <pthread.h>
#include <stddef.h>

#define CTS_POOL_MAX_THREADS 64

typedef void (*cts_pool_fn)(void *ctx, size_t job);

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	pthread_t th[CTS_POOL_MAX_THREADS];
	int nth, quit;
	unsigned char *state; /* window job states, ring (owned) */
	size_t window;
	size_t head, take, tail; /* submitted, next to take, next to retire */
	cts_pool_fn fn;
	void *ctx;
} cts_pool;

/* Threads to use for CPU-bound work: CTSNODE_THREADS if set (1..64), else
 * the online processors (at most 8). */
int cts_pool_threads(void);

/* Start up to `threads` workers (0: none; at most CTS_POOL_MAX_THREADS;
 * a thread that cannot start only means fewer) for at most `window` jobs
 * in flight. 0, or CTS_ENOMEM (nothing to stop then). */
int cts_pool_start(cts_pool *p, int threads, size_t window, cts_pool_fn fn, void *ctx);

/* Jobs submitted and not retired yet. */
size_t cts_pool_pending(const cts_pool *p);

/* Queue the next job (its number is returned); the owner fills what the job
 * needs before, and must keep cts_pool_pending() < window. */
size_t cts_pool_submit(cts_pool *p);

/* Wait until the oldest pending job is done (running it here if no worker
 * took it yet); its number. Then cts_pool_retire() lets the window move. */
size_t cts_pool_wait_oldest(cts_pool *p);
void cts_pool_retire(cts_pool *p);

/* Stop the workers (jobs not taken are not run) and free the pool's memory.
 * Safe on a zeroed or stopped pool. */
void cts_pool_stop(cts_pool *p);

#endif
