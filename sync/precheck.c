#include "precheck.h"

#include "error.h"
#include "sshsig.h"

#include <stdlib.h>
#include <string.h>

int cts_precheck_threads(void)
{
	return cts_pool_threads();
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

static void pool_job(void *ctx, size_t i)
{
	cts_precheck_job *j = ctx;

	check_one(&j->items[i]);
}

void cts_precheck_start(cts_precheck_job *j, cts_precheck *items, size_t n, int threads)
{
	j->items = items;
	j->n = n;
	if ((size_t)threads > n)
		threads = (int)n;
	/* Without a pool (no memory), finish() checks everything itself. */
	j->pooled = cts_pool_start(&j->pool, threads, n, pool_job, j) == 0;
	if (!j->pooled)
		cts_error_clear();
	for (size_t i = 0; j->pooled && i < n; i++)
		cts_pool_submit(&j->pool);
}

void cts_precheck_finish(cts_precheck_job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		if (!j->pooled) {
			check_one(&j->items[i]);
			continue;
		}
		cts_pool_wait_oldest(&j->pool);
		cts_pool_retire(&j->pool);
	}
	cts_pool_stop(&j->pool);
	j->pooled = 0;
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
