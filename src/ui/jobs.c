/*
 * Background jobs of the web interface, one at a time: synchronisation
 * (sync, or region pull on the regional node) and the audit. The page
 * that starts one returns at once; the progress page reads the phase and,
 * at the end, the outcome, under the job lock.
 */
#include "app.h"

#include "audit.h"
#include "error.h"
#include "journal.h"
#include "key.h"
#include "passphrase.h"
#include "record.h"
#include "sync.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_NODE_WAIT_MS (60 * 1000)

void ui_outcome_dispose(ui_outcome *o)
{
	json_decref(o->events);
	json_decref(o->findings);
	json_decref(o->blocked);
	json_decref(o->audit);
	memset(o, 0, sizeof(*o));
}

static void set_phase(ui_app *a, const char *phase, size_t done, size_t total)
{
	pthread_mutex_lock(&a->job.mx);
	snprintf(a->job.phase, sizeof(a->job.phase), "%s", phase);
	a->job.done = done;
	a->job.total = total;
	pthread_mutex_unlock(&a->job.mx);
}

static void import_progress(size_t done, size_t total, void *ctx)
{
	set_phase(ctx, "Vérification et import des changesets reçus", done, total);
}

static void audit_progress(const char *phase, size_t done, void *ctx)
{
	set_phase(ctx, phase, done, 0);
}

static int load_key(cts_node *n, const char *pass, cts_key **key)
{
	char *path = cts_node_path(n, "node.key");
	int rc;

	if (!path)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_key_load(key, path, pass);
	free(path);
	return rc;
}

static void run_sync(ui_app *a, ui_outcome *o)
{
	cts_sync_result res = { 0 };
	cts_node *n = NULL;
	cts_key *key = NULL;
	int64_t pending = 0;
	int rc;

	set_phase(a, "Ouverture du nœud", 0, 0);
	if ((rc = cts_node_open_wait(&n, a->home, JOB_NODE_WAIT_MS)) < 0)
		goto done;
	set_phase(a, "Scellement et signature des modifications", 0, 0);
	if ((rc = load_key(n, a->job.pass, &key)) < 0 ||
	    (rc = cts_record_pending_ops(n->store, &pending)) < 0)
		goto done;
	if (pending > 0 && (rc = cts_journal_seal(n, key, &o->sealed)) < 0)
		goto done;
	set_phase(a, "Échange avec le dépôt régional", 0, 0);
	res.import.progress = import_progress;
	res.import.progress_ctx = a;
	rc = o->kind == UI_JOB_PULL ? cts_sync_region_pull(n, key, NULL, &res)
	                            : cts_sync_node(n, key, NULL, &res);
	o->committed = res.committed;
	o->pushed = res.pushed;
	o->queued = res.queued;
	o->checkpointed = res.checkpointed;
	o->accepted = res.import.accepted;
	o->duplicates = res.import.duplicates;
	o->rebuilt = res.import.rebuilt;
	o->events = res.import.events ? json_incref(res.import.events) : json_array();
	o->findings = res.findings ? json_incref(res.findings) : json_array();
	o->blocked = res.blocked ? json_incref(res.blocked) : json_array();
	o->forks = res.import.forks;
	if (n->remote)
		snprintf(o->repository, sizeof(o->repository), "%s", n->remote);
done:
	o->rc = rc;
	if (rc < 0)
		snprintf(o->message, sizeof(o->message), "%s", cts_error_message());
	cts_sync_result_dispose(&res);
	cts_key_free(key);
	cts_node_free(n);
}

static void run_audit(ui_app *a, ui_outcome *o)
{
	cts_audit_options opt = { 0 };
	char authority[512];
	cts_node *n = NULL;
	int rc;

	/* The regional repository this node exchanges with. */
	set_phase(a, "Ouverture du nœud", 0, 0);
	if ((rc = cts_node_open_wait(&n, a->home, JOB_NODE_WAIT_MS)) < 0)
		goto done;
	if (!n->remote) {
		rc = cts_error_set(
		    CTS_ENOTFOUND,
		    "aucun dépôt régional n'est configuré pour ce nœud : il n'y a rien à auditer");
		goto done;
	}
	snprintf(o->repository, sizeof(o->repository), "%s", n->remote);
	/* The pinned authority key, copied: the node is closed during the audit. */
	snprintf(authority, sizeof(authority), "%s", n->authority_key ? n->authority_key : "");
	opt.authority_key = *authority ? authority : NULL;
	cts_node_free(n);
	n = NULL;
	opt.progress = audit_progress;
	opt.progress_ctx = a;
	set_phase(a, "Lecture du dépôt régional", 0, 0);
	rc = cts_audit_run(o->repository, &opt, &o->audit);
done:
	o->rc = rc;
	if (rc < 0)
		snprintf(o->message, sizeof(o->message), "%s", cts_error_message());
	cts_node_free(n);
}

static void *job_main(void *arg)
{
	ui_app *a = arg;
	ui_outcome o = { 0 };

	pthread_mutex_lock(&a->job.mx);
	o.kind = a->job.kind;
	o.started = a->job.started;
	pthread_mutex_unlock(&a->job.mx);
	cts_error_clear();
	if (o.kind == UI_JOB_AUDIT)
		run_audit(a, &o);
	else
		run_sync(a, &o);
	o.finished = a->now();
	pthread_mutex_lock(&a->job.mx);
	if (a->job.pass) {
		sodium_free(a->job.pass);
		a->job.pass = NULL;
	}
	if (o.kind == UI_JOB_AUDIT) {
		ui_outcome_dispose(&a->job.last_audit);
		a->job.last_audit = o;
	} else {
		ui_outcome_dispose(&a->job.last_sync);
		a->job.last_sync = o;
	}
	a->job.running = 0;
	snprintf(a->job.phase, sizeof(a->job.phase), "Terminé");
	pthread_mutex_unlock(&a->job.mx);
	return NULL;
}

/* A flag of the job read under its lock, and set to `then` unless it is -1. */
static int job_flag(ui_app *a, int *flag, int then)
{
	int v;

	pthread_mutex_lock(&a->job.mx);
	v = *flag;
	if (then != -1)
		*flag = then;
	pthread_mutex_unlock(&a->job.mx);
	return v;
}

int ui_job_running(ui_app *a)
{
	return job_flag(a, &a->job.running, -1);
}

void ui_job_join(ui_app *a)
{
	if (job_flag(a, &a->job.thread_live, 0))
		pthread_join(a->job.thread, NULL);
}

int ui_job_start(ui_app *a, ui_job_kind kind, const char *pass)
{
	int rc = 0;

	if (ui_job_running(a))
		return cts_error_set(
		    CTS_EBUSY, "une opération est déjà en cours : attendez qu'elle se termine");
	ui_job_join(a); /* the previous, finished thread */
	pthread_mutex_lock(&a->job.mx);
	if (pass) {
		size_t len = strlen(pass);
		if (len >= CTS_PASSPHRASE_MAX ||
		    !(a->job.pass = sodium_malloc(CTS_PASSPHRASE_MAX))) {
			pthread_mutex_unlock(&a->job.mx);
			return cts_error_set(
			    CTS_ENOMEM, "mémoire protégée insuffisante pour la phrase de passe");
		}
		memcpy(a->job.pass, pass, len + 1);
	}
	a->job.kind = kind;
	a->job.running = 1;
	a->job.started = a->now();
	a->job.done = a->job.total = 0;
	snprintf(a->job.phase, sizeof(a->job.phase), "Démarrage");
	if (pthread_create(&a->job.thread, NULL, job_main, a) != 0) {
		a->job.running = 0;
		if (a->job.pass)
			sodium_free(a->job.pass);
		a->job.pass = NULL;
		rc = cts_error_set(CTS_ERR, "impossible de lancer l'opération en arrière-plan");
	} else {
		a->job.thread_live = 1;
	}
	pthread_mutex_unlock(&a->job.mx);
	return rc;
}
