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
			j->vrc = cts_sshsig_verify(j->sig, j->sl, j->pk, CTS_SIG_NAMESPACE,
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

static void *pool_main(void *vp)
{
	vpool *p = vp;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		vjob *j;
		if (p->take < p->tail)
			p->take = p->tail; /* the main thread did those itself */
		while (!p->quit && p->take < p->head &&
		       p->jobs[p->take % WINDOW_JOBS].state != JOB_QUEUED)
			p->take++;
		if (p->quit)
			break;
		if (p->take == p->head) {
			pthread_cond_wait(&p->work_cv, &p->mu);
			continue;
		}
		j = &p->jobs[p->take++ % WINDOW_JOBS];
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&p->mu);
		job_work(j);
		pthread_mutex_lock(&p->mu);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Workers: one per processor (cts_precheck_threads(), at most POOL_MAX_WORKERS); none on a
 * single processor (the main thread then does everything). 0 or CTS_ENOMEM. */
int audit_pool_start(vpool *p)
{
	int ncpu = cts_precheck_threads(); /* processors, or CTSNODE_THREADS */
	int want = ncpu > 1 ? (ncpu < POOL_MAX_WORKERS ? ncpu : POOL_MAX_WORKERS) : 0;

	memset(p, 0, sizeof(*p));
	if (!(p->jobs = calloc(WINDOW_JOBS, sizeof(*p->jobs))))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	for (int i = 0; i < want; i++) {
		if (pthread_create(&p->th[p->nth], NULL, pool_main, p) != 0)
			break; /* fewer workers; the main thread finishes what is left */
		p->nth++;
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
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	for (size_t i = 0; i < WINDOW_JOBS; i++)
		job_release(&p->jobs[i]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	free(p->jobs);
	memset(p, 0, sizeof(*p));
}

/* Room for one more job? (Called by the main thread, the only submitter.) */
int audit_pool_has_room(vpool *p)
{
	size_t bytes;

	pthread_mutex_lock(&p->mu);
	bytes = p->inflight_bytes;
	pthread_mutex_unlock(&p->mu);
	return p->head - p->tail < WINDOW_JOBS && (p->head == p->tail || bytes < WINDOW_BYTES);
}

/* The next free slot (the caller fills it, then audit_pool_submit). */
vjob *audit_pool_slot(vpool *p)
{
	return &p->jobs[p->head % WINDOW_JOBS];
}

void audit_pool_submit(vpool *p)
{
	vjob *j = &p->jobs[p->head % WINDOW_JOBS];

	pthread_mutex_lock(&p->mu);
	j->state = JOB_QUEUED;
	p->inflight_bytes += j->jl + j->sl;
	p->head++;
	pthread_cond_signal(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
}

/* The oldest job, done (by a worker, or here when no worker took it yet). */
vjob *audit_pool_wait_oldest(vpool *p)
{
	vjob *j = &p->jobs[p->tail % WINDOW_JOBS];

	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (j->state == JOB_DONE)
			break;
		if (j->state == JOB_QUEUED) {
			j->state = JOB_RUNNING;
			pthread_mutex_unlock(&p->mu);
			job_work(j);
			pthread_mutex_lock(&p->mu);
			j->state = JOB_DONE;
			break;
		}
		pthread_cond_wait(&p->done_cv, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return j;
}

/* Release the oldest job (after audit_pool_wait_oldest). */
void audit_pool_retire(vpool *p)
{
	vjob *j = &p->jobs[p->tail % WINDOW_JOBS];
	size_t bytes = j->jl + j->sl;

	job_release(j);
	pthread_mutex_lock(&p->mu);
	p->inflight_bytes -= bytes;
	p->tail++;
	pthread_mutex_unlock(&p->mu);
}
