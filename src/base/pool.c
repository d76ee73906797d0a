#include "pool.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

int cts_pool_threads(void)
{
	const char *v = getenv("CTSNODE_THREADS");
	long n;

	if (v && *v) {
		n = strtol(v, NULL, 10);
		if (n >= 1 && n <= CTS_POOL_MAX_THREADS)
			return (int)n;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > 8 ? 8 : (int)n;
}

static unsigned char *slot(cts_pool *p, size_t job)
{
	return &p->state[job % p->window];
}

/* Run job under the lock's protocol: called and returning with mu held. */
static void run(cts_pool *p, size_t job)
{
	*slot(p, job) = JOB_RUNNING;
	pthread_mutex_unlock(&p->mu);
	p->fn(p->ctx, job);
	pthread_mutex_lock(&p->mu);
	*slot(p, job) = JOB_DONE;
	pthread_cond_broadcast(&p->done_cv);
}

static void *worker(void *vp)
{
	cts_pool *p = vp;

	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		if (p->take < p->tail)
			p->take = p->tail; /* the owner did those itself */
		while (p->take < p->head && *slot(p, p->take) != JOB_QUEUED)
			p->take++;
		if (p->take == p->head)
			pthread_cond_wait(&p->work_cv, &p->mu);
		else
			run(p, p->take++);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int cts_pool_start(cts_pool *p, int threads, size_t window, cts_pool_fn fn, void *ctx)
{
	memset(p, 0, sizeof(*p));
	if (!(p->state = calloc(window ? window : 1, 1)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	p->window = window ? window : 1;
	p->fn = fn;
	p->ctx = ctx;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	if (threads > CTS_POOL_MAX_THREADS)
		threads = CTS_POOL_MAX_THREADS;
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&p->th[p->nth], NULL, worker, p) != 0)
			break; /* fewer workers; the owner finishes what is left */
		p->nth++;
	}
	return 0;
}

size_t cts_pool_pending(const cts_pool *p)
{
	return p->head - p->tail; /* both written by the owner only */
}

size_t cts_pool_submit(cts_pool *p)
{
	size_t job;

	pthread_mutex_lock(&p->mu);
	job = p->head++;
	*slot(p, job) = JOB_QUEUED;
	pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	return job;
}

size_t cts_pool_wait_oldest(cts_pool *p)
{
	size_t job = p->tail;

	pthread_mutex_lock(&p->mu);
	while (*slot(p, job) != JOB_DONE) {
		if (*slot(p, job) == JOB_QUEUED)
			run(p, job);
		else
			pthread_cond_wait(&p->done_cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return job;
}

void cts_pool_retire(cts_pool *p)
{
	pthread_mutex_lock(&p->mu);
	*slot(p, p->tail) = JOB_FREE;
	p->tail++;
	pthread_mutex_unlock(&p->mu);
}

void cts_pool_stop(cts_pool *p)
{
	if (!p->state)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	free(p->state);
	memset(p, 0, sizeof(*p));
}
