#include "audit_impl.h"

/* The part of a changeset's verification that needs only its bytes and key. */
static void job_work(vjob *j)
{
	if (j->json_rc < 0)
		return;
	j->parse_rc = cts_changeset_parse(&j->cs, j->json, j->jl);
	if (j->parse_rc < 0) {
		json_t *probe = NULL;

		snprintf(j->parse_msg, sizeof(j->parse_msg), "%s", cts_error_message());
		cts_changeset_hash(j->json, j->jl, j->id);
		j->sig_ok = j->have_key && j->sig &&
		            cts_sshsig_verify(j->sig, j->sl, j->pk, CTS_SIG_NAMESPACE,
		                              (const unsigned char *)j->json, j->jl, NULL) == 0;
		cts_error_clear();
		if (j->parse_rc == CTS_ELIMIT)
			j->bad_kind = BAD_TOO_LARGE;
		else if (cts_jcs_parse(&probe, j->json, j->jl) == 0 &&
		         !(j->jl >= 2 && j->json[j->jl - 1] == '\n' &&
		           cts_jcs_is_canonical(j->json, j->jl - 1) == 1))
			j->bad_kind = BAD_NON_CANONICAL;
		else
			j->bad_kind = BAD_INVALID;
		json_decref(probe);
		cts_error_clear();
	} else {
		memcpy(j->id, j->cs->id, sizeof(j->id)); /* SHA-256 of the same bytes */
		if (j->have_key && j->sig) {
			j->vrc =
			    cts_sshsig_verify(j->sig, j->sl, j->pk, CTS_SIG_NAMESPACE,
			                      (const unsigned char *)j->json, j->jl, j->signer);
			if (j->vrc < 0) {
				snprintf(j->vmsg, sizeof(j->vmsg), "%s", cts_error_message());
				cts_error_clear();
			}
		}
	}
	/* The parsed changeset keeps its own copy of the bytes. */
	free(j->json);
	free(j->sig);
	j->json = j->sig = NULL;
}

static void pool_job(void *ctx, size_t number)
{
	vpool *p = ctx;

	job_work(&p->jobs[number % WINDOW_JOBS]);
}

/* Workers: one per processor (cts_pool_threads(), at most POOL_MAX_WORKERS); none on a
 * single processor (the main thread then does everything). 0 or CTS_ENOMEM. */
int audit_pool_start(vpool *p)
{
	int ncpu = cts_pool_threads(); /* processors, or CTSNODE_THREADS */
	int want = ncpu > 1 ? (ncpu < POOL_MAX_WORKERS ? ncpu : POOL_MAX_WORKERS) : 0;

	memset(p, 0, sizeof(*p));
	if (!(p->jobs = calloc(WINDOW_JOBS, sizeof(*p->jobs))))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (cts_pool_start(&p->pool, want, WINDOW_JOBS, pool_job, p) < 0) {
		free(p->jobs);
		p->jobs = NULL;
		return CTS_ENOMEM;
	}
	return 0;
}

static void job_release(vjob *j)
{
	cts_changeset_free(j->cs);
	free(j->json);
	free(j->sig);
	memset(j, 0, sizeof(*j));
}

void audit_pool_stop(vpool *p)
{
	if (!p->jobs)
		return;
	cts_pool_stop(&p->pool);
	for (size_t i = 0; i < WINDOW_JOBS; i++)
		job_release(&p->jobs[i]);
	free(p->jobs);
	memset(p, 0, sizeof(*p));
}

/* Room for one more job? (Called by the main thread, the only submitter.) */
int audit_pool_has_room(vpool *p)
{
	size_t pending = cts_pool_pending(&p->pool);

	return pending < WINDOW_JOBS && (pending == 0 || p->inflight_bytes < WINDOW_BYTES);
}

size_t audit_pool_pending(const vpool *p)
{
	return cts_pool_pending(&p->pool);
}

/* The next free slot (the caller fills it, then audit_pool_submit). */
vjob *audit_pool_slot(vpool *p)
{
	return &p->jobs[p->pool.head % WINDOW_JOBS];
}

void audit_pool_submit(vpool *p)
{
	vjob *j = audit_pool_slot(p);

	p->inflight_bytes += j->jl + j->sl;
	cts_pool_submit(&p->pool);
}

/* The oldest job, done (by a worker, or here when no worker took it yet). */
vjob *audit_pool_wait_oldest(vpool *p)
{
	return &p->jobs[cts_pool_wait_oldest(&p->pool) % WINDOW_JOBS];
}

/* Release the oldest job (after audit_pool_wait_oldest). */
void audit_pool_retire(vpool *p)
{
	vjob *j = &p->jobs[p->pool.tail % WINDOW_JOBS];

	p->inflight_bytes -= j->jl + j->sl;
	job_release(j);
	cts_pool_retire(&p->pool);
}
