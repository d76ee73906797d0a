#include "precheck.h"

#include "error.h"
#include "sshsig.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int cts_precheck_threads(void)
{
	const char *v = getenv("CTSNODE_THREADS");
	long n;

	if (v && *v) {
		n = strtol(v, NULL, 10);
		if (n >= 1 && n <= CTS_PRECHECK_MAX_THREADS)
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

static void *worker(void *arg)
{
	cts_precheck_job *j = arg;

	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->n)
			break;
		check_one(&j->items[i]);
	}
	return NULL;
}

void cts_precheck_start(cts_precheck_job *j, cts_precheck *items, size_t n, int threads)
{
	j->items = items;
	j->n = n;
	j->started = 0;
	atomic_init(&j->next, 0);
	if (threads > CTS_PRECHECK_MAX_THREADS)
		threads = CTS_PRECHECK_MAX_THREADS;
	if ((size_t)threads > n)
		threads = (int)n;
	/* A thread that cannot start only means fewer threads. */
	for (int t = 0; t < threads; t++)
		if (pthread_create(&j->tid[j->started], NULL, worker, j) == 0)
			j->started++;
}

void cts_precheck_finish(cts_precheck_job *j)
{
	worker(j);
	for (int t = 0; t < j->started; t++)
		pthread_join(j->tid[t], NULL);
	j->started = 0;
}

void cts_precheck_run(cts_precheck *items, size_t n, int threads)
{
	cts_precheck_job j;

	cts_precheck_start(&j, items, n, threads - 1);
	cts_precheck_finish(&j);
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
