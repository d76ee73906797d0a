#include "precheck.h"

#include "error.h"
#include "sshsig.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PRECHECK_MAX_THREADS 64

int cts_precheck_threads(void)
{
	const char *v = getenv("CTSNODE_THREADS");
	long n;

	if (v && *v) {
		n = strtol(v, NULL, 10);
		if (n >= 1 && n <= PRECHECK_MAX_THREADS)
			return (int)n;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > 8 ? 8 : (int)n;
}

static void check_one(cts_precheck *it)
{
	if (cts_changeset_parse(&it->cs, it->json, it->json_len) < 0) {
		it->cs = NULL;
		it->parse_error = strdup(cts_error_message());
		return;
	}
	if (!it->have_pk)
		return;
	it->sig_rc = cts_sshsig_verify(it->sig, it->sig_len, it->pk, CTS_SIG_NAMESPACE,
				       (const unsigned char *)it->json, it->json_len, NULL);
	if (it->sig_rc < 0)
		it->sig_error = strdup(cts_error_message());
}

typedef struct {
	cts_precheck *items;
	size_t n;
	atomic_size_t next;
} job;

static void *worker(void *arg)
{
	job *j = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->n)
			break;
		check_one(&j->items[i]);
	}
	return NULL;
}

void cts_precheck_run(cts_precheck *items, size_t n, int threads)
{
	pthread_t tid[PRECHECK_MAX_THREADS];
	int started = 0;
	job j = { .items = items, .n = n };

	atomic_init(&j.next, 0);
	if (threads > PRECHECK_MAX_THREADS)
		threads = PRECHECK_MAX_THREADS;
	if ((size_t)threads > n)
		threads = (int)n;
	/* A thread that cannot start only means fewer threads. */
	for (int t = 1; t < threads; t++)
		if (pthread_create(&tid[started], NULL, worker, &j) == 0)
			started++;
	worker(&j);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
}

void cts_precheck_dispose(cts_precheck *it)
{
	cts_changeset_free(it->cs);
	free(it->parse_error);
	free(it->sig_error);
	it->cs = NULL;
	it->parse_error = it->sig_error = NULL;
	it->sig_rc = 0;
}
