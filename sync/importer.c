#include "importer_impl.h"

#include "changeset.h"
#include "error.h"
#include "forkproof.h"
#include "journal.h"
#include "record.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_MAX_NODES 4096
#define IMPORT_MAX_PER_NODE 10000000
/* Changesets are evaluated in batches: one transaction and one flush of
 * the history files per batch, signatures checked on every core. A batch
 * holds at most this many changesets and this many bytes of them. */
#define IMPORT_BATCH 512
#define IMPORT_BATCH_BYTES (1024 * 1024)

static const char *const state_names[] = { "accepted", "pending", "held", "refused", "duplicate" };

void cts_import_stats_dispose(cts_import_stats *st)
{
	if (st) {
		json_decref(st->events);
		st->events = NULL;
	}
}

/* ignored: a revoked node's changeset after its revocation, refused as
 * expected (state "ignored" in the events; "refused" in the inbox). */
static void add_event(cts_import_stats *st, const char *node, int64_t seq, verdict v, int ignored,
                      const char *reason)
{
	if (!st)
		return;
	if (!st->events)
		st->events = json_array();
	json_array_append_new(st->events, json_pack("{s:s, s:I, s:s, s:s}", "node", node, "seq",
	                                            (json_int_t)seq, "state",
	                                            ignored ? "ignored" : state_names[v], "reason",
	                                            reason ? reason : ""));
}

/* ---- inbox ---- */

/* Queue a changeset; one refused with another signature gets a new chance
 * with this one (a repaired .sig file). */
static int inbox_put(cts_node *n, const char *node, int64_t seq, const char *id, const char *state,
                     const char *reason, const char *json, size_t json_len, const char *sig,
                     size_t sig_len)
{
	const cts_store_val v[] = { CTS_VTEXT(id), CTS_VTEXT(state), CTS_VTEXT(reason),
		                    CTS_VBLOB(json, json_len), CTS_VBLOB(sig, sig_len) };

	return cts_store_run_cs(
	    n->store,
	    "INSERT INTO inbox (node, seq, id, state, reason, body, sig) VALUES (?, ?, ?, ?, "
	    "?, ?, ?)"
	    " ON CONFLICT (node, seq, id) DO UPDATE SET state = excluded.state,"
	    " reason = excluded.reason, sig = excluded.sig"
	    " WHERE inbox.state = 'refused' AND inbox.sig IS NOT excluded.sig",
	    node, seq, v, 5, "mise en file d'un changeset reçu");
}

static int inbox_set(cts_node *n, const char *node, int64_t seq, const char *id, const char *state,
                     const char *reason)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "UPDATE inbox SET state = ?, reason = ? WHERE node = ? AND seq = ? AND id = ?")) <
	    0)
		return rc;
	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, seq);
	sqlite3_bind_text(s, 5, id, -1, SQLITE_STATIC);
	return cts_store_done(n->store, s, "mise à jour de la file");
}

static int inbox_del(cts_node *n, const char *node, int64_t seq, const char *id)
{
	const cts_store_val v[] = { CTS_VTEXT(id) };

	return cts_store_run_cs(n->store, "DELETE FROM inbox WHERE node = ? AND seq = ? AND id = ?",
	                        node, seq, v, 1, "mise à jour de la file");
}

int cts_import_offer(cts_node *n, const char *node, int64_t seq, const char *json, size_t json_len,
                     const char *sig, size_t sig_len, cts_import_stats *st)
{
	char id[65], have[65];
	int rc;

	if (!cts_valid_node_id(node) || seq < 1 || seq > IMPORT_MAX_PER_NODE)
		return cts_error_set(CTS_EINVAL,
		                     "changeset reçu mal nommé (nœud « %.64s », n°%lld)", node,
		                     (long long)seq);
	if (json_len > CTS_CHANGESET_MAX_BYTES || sig_len > CTS_SIG_MAX_BYTES)
		return cts_error_set(CTS_ELIMIT, "changeset %s n°%lld trop gros", node,
		                     (long long)seq);
	if (st)
		st->offered++;
	cts_changeset_hash(json, json_len, id);
	if ((rc = cts_history_id(n, node, seq, have)) < 0)
		return rc;
	if (have[0] && strcmp(have, id) == 0) {
		if (st)
			st->duplicates++;
		return 0;
	}
	return inbox_put(n, node, seq, id, "pending", "reçu, pas encore vérifié", json, json_len,
	                 sig, sig_len);
}

/* ---- evaluation in batches ---- */

/* One received changeset of a batch. */
typedef struct {
	char node[65];
	int64_t seq;
	char id[65];
	char *json, *sig;
	size_t json_len, sig_len;
} batch_row;

typedef struct {
	batch_row rows[IMPORT_BATCH];
	cts_precheck pre[IMPORT_BATCH];
	size_t n;
	/* The key expected for the last node looked up. */
	char key_node[65];
	int key_ok;
	unsigned char key[32];
} batch;

static void batch_clear(batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->rows[i].json);
		free(b->rows[i].sig);
		cts_precheck_dispose(&b->pre[i]);
	}
	b->n = 0;
}

/* Load the next batch of pending or held changesets after (node, seq, id):
 * of node `only` if given, else of every node but `skip`, in (node, seq, id)
 * order. */
static int batch_load(cts_node *n, batch *b, const char *only, const char *skip,
                      const batch_row *after)
{
	sqlite3_stmt *s;
	size_t bytes = 0;
	int rc;

	batch_clear(b);
	if (only)
		rc = cts_store_stmt(
		    n->store, &s,
		    "SELECT node, seq, id, body, sig FROM inbox"
		    " WHERE state IN ('pending', 'held') AND node = ?1 AND (seq, id) > (?3, ?4)"
		    " ORDER BY seq, id LIMIT ?5");
	else
		rc = cts_store_stmt(
		    n->store, &s,
		    "SELECT node, seq, id, body, sig FROM inbox"
		    " WHERE state IN ('pending', 'held') AND node IS NOT ?2"
		    " AND (node, seq, id) > (?6, ?3, ?4) ORDER BY node, seq, id LIMIT ?5");
	if (rc < 0)
		return rc;
	if (only)
		sqlite3_bind_text(s, 1, only, -1, SQLITE_STATIC);
	else {
		sqlite3_bind_text(s, 2, skip, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, after ? after->node : "", -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(s, 3, after ? after->seq : 0);
	sqlite3_bind_text(s, 4, after ? after->id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, IMPORT_BATCH);
	while (b->n < IMPORT_BATCH && bytes < IMPORT_BATCH_BYTES &&
	       (rc = sqlite3_step(s)) == SQLITE_ROW) {
		batch_row *r = &b->rows[b->n];
		const char *node = (const char *)sqlite3_column_text(s, 0),
		           *id = (const char *)sqlite3_column_text(s, 2);

		memset(r, 0, sizeof(*r));
		memset(&b->pre[b->n], 0, sizeof(b->pre[b->n]));
		snprintf(r->node, sizeof(r->node), "%s", node ? node : "");
		snprintf(r->id, sizeof(r->id), "%s", id ? id : "");
		r->seq = sqlite3_column_int64(s, 1);
		r->json_len = (size_t)sqlite3_column_bytes(s, 3);
		r->sig_len = (size_t)sqlite3_column_bytes(s, 4);
		r->json = malloc(r->json_len + 1);
		r->sig = malloc(r->sig_len + 1);
		b->n++;
		if (!r->json || !r->sig) {
			sqlite3_reset(s);
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		}
		if (r->json_len)
			memcpy(r->json, sqlite3_column_blob(s, 3), r->json_len);
		if (r->sig_len)
			memcpy(r->sig, sqlite3_column_blob(s, 4), r->sig_len);
		r->json[r->json_len] = r->sig[r->sig_len] = '\0';
		bytes += r->json_len + r->sig_len;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture de la file des changesets reçus");
	return 0;
}

/* Choose the key each changeset of the batch is pre-checked with. */
static void batch_keys(cts_node *n, batch *b)
{
	b->key_node[0] = '\0'; /* the registry may have changed since the last batch */
	for (size_t i = 0; i < b->n; i++) {
		cts_precheck *p = &b->pre[i];
		if (strcmp(b->key_node, b->rows[i].node) != 0) {
			snprintf(b->key_node, sizeof(b->key_node), "%s", b->rows[i].node);
			b->key_ok = import_expected_key(n, b->rows[i].node, b->key) == 0;
		}
		p->json = b->rows[i].json;
		p->json_len = b->rows[i].json_len;
		p->sig = b->rows[i].sig;
		p->sig_len = b->rows[i].sig_len;
		p->have_pk = b->key_ok;
		memcpy(p->pk, b->key, sizeof(p->pk));
	}
}

/* Evaluate a loaded batch in one transaction. */
static int batch_apply(cts_node *n, batch *b, cts_import_stats *st, size_t *done, size_t total,
                       int *progress, int *need_rebuild, int final_pass)
{
	int rc;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	for (size_t i = 0; i < b->n; i++) {
		batch_row *r = &b->rows[i];
		eval_ctx e = { .final_pass = final_pass, .st = st };
		verdict v;

		++*done;
		if (st && st->progress && (*done % 64 == 0 || *done == total))
			st->progress(*done, total, st->progress_ctx);
		v = import_evaluate(n, r->node, r->seq, r->id, r->json, r->json_len, r->sig,
		                    r->sig_len, &b->pre[i], &e);
		if (e.need_rebuild)
			*need_rebuild = 1;
		if (e.relayed)
			*progress = 1; /* versions copied from fork evidence: evaluate them too */
		if (v == EV_ACCEPT || v == EV_DUPLICATE) {
			if ((rc = inbox_del(n, r->node, r->seq, r->id)) < 0)
				goto fail;
			if (v == EV_ACCEPT) {
				*progress = 1;
				if (st)
					st->accepted++;
			} else if (st) {
				st->duplicates++;
			}
			continue;
		}
		if ((rc = inbox_set(n, r->node, r->seq, r->id, state_names[v], e.reason)) < 0)
			goto fail;
		if (final_pass || v == EV_REFUSED)
			add_event(st, r->node, r->seq, v, e.ignored, e.reason);
	}
	/* The history rows commit with the state they explain. */
	if ((rc = cts_store_commit(n->store)) < 0)
		goto fail;
	return 0;
fail:
	cts_store_rollback(n->store);
	return rc;
}

static int pending_count(cts_node *n, size_t *out)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT count(*) FROM inbox WHERE state IN ('pending', 'held')")) <
	    0)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = (size_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW
	           ? 0
	           : cts_store_error(n->store, "lecture de la file des changesets reçus");
}

/* One pass over the inbox: the authority's chain first (the registry
 * decides everything else), then every other node in (node, seq) order.
 * Batch k is applied by this thread while batch k+1 is pre-checked by the
 * other cores; this thread joins them once it is done. */
static int process_once(cts_node *n, cts_import_stats *st, int *progress, int *need_rebuild,
                        int final_pass)
{
	batch *cur, *next, *tmp;
	batch_row last;
	char *authority = NULL;
	size_t done = 0, total;
	int rc, threads = cts_precheck_threads();
	cts_precheck_job job;

	*progress = 0;
	if ((rc = pending_count(n, &total)) < 0 || total == 0)
		return rc;
	cur = calloc(1, sizeof(*cur));
	next = calloc(1, sizeof(*next));
	if (!cur || !next) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto out;
	}
	if ((rc = cts_store_meta_get(n->store, "authority_node", &authority)) == CTS_ENOTFOUND) {
		cts_error_clear();
		rc = 0;
	} else if (rc < 0) {
		goto out;
	}
	for (int pass = authority ? 0 : 1; pass < 2; pass++) {
		const char *only = pass == 0 ? authority : NULL;
		if ((rc = batch_load(n, cur, only, authority, NULL)) < 0)
			goto out;
		batch_keys(n, cur);
		cts_precheck_run(cur->pre, cur->n, threads);
		while (cur->n > 0) {
			last = cur->rows[cur->n - 1];
			last.json = last.sig = NULL;
			if ((rc = batch_load(n, next, only, authority, &last)) < 0)
				goto out;
			batch_keys(n, next);
			cts_precheck_start(&job, next->pre, next->n, threads - 1);
			rc = batch_apply(n, cur, st, &done, total, progress, need_rebuild,
			                 final_pass);
			cts_precheck_finish(&job);
			if (rc < 0)
				goto out;
			tmp = cur;
			cur = next;
			next = tmp;
		}
	}
out:
	if (cur)
		batch_clear(cur);
	if (next)
		batch_clear(next);
	free(cur);
	free(next);
	free(authority);
	return rc;
}

static int rebuild_locked(cts_node *n, cts_import_stats *st);

/* Passes over the inbox until nothing more applies. */
static int process_all(cts_node *n, cts_import_stats *st, int *need_rebuild)
{
	int progress, rc, passes = 0;

	do {
		if ((rc = process_once(n, st, &progress, need_rebuild, 0)) < 0)
			return rc;
	} while (progress && ++passes < 100000);
	return 0;
}

/* Record, as this node's own signed change (sealed at the next seal or
 * sync), the forks it has proven that nobody has recorded yet: a
 * territory node when no record of the fork exists at all, the authority
 * when it has none of its own (it re-records what territory nodes found,
 * so that devices reading only the authority learn it too). Nobody records
 * twice, so records do not echo. The node's own forks are not recorded by
 * itself. */
static int write_evidence(cts_node *n, cts_import_stats *st)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row;
	size_t i;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT k.node, k.seq, k.id_a, CAST(k.body_a AS TEXT) AS body_a, "
	                         "CAST(k.sig_a AS TEXT) AS sig_a,"
	                         " k.id_b, CAST(k.body_b AS TEXT) AS body_b, CAST(k.sig_b AS TEXT) "
	                         "AS sig_b FROM fork_known k"
	                         " WHERE k.node <> ?1 AND NOT EXISTS (SELECT 1 FROM fork f WHERE "
	                         "f.node = k.node AND f.seq = k.seq"
	                         " AND (?2 = 0 OR f.territory = ?3)) ORDER BY k.node, k.seq")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, n->role == CTS_ROLE_AUTHORITY);
	sqlite3_bind_text(s, 3, n->territory, -1, SQLITE_STATIC);
	if ((rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row)
	{
		cts_fork_version v[2];
		const char *node = json_string_value(json_object_get(row, "node"));
		int64_t seq = json_integer_value(json_object_get(row, "seq"));
		char rid[37];
		json_t *set = NULL;

		for (int k = 0; k < 2; k++) {
			char f[8];
			json_t *b, *g;
			snprintf(f, sizeof(f), "id_%c", "ab"[k]);
			snprintf(v[k].id, sizeof(v[k].id), "%s",
			         json_string_value(json_object_get(row, f)));
			snprintf(f, sizeof(f), "body_%c", "ab"[k]);
			b = json_object_get(row, f);
			snprintf(f, sizeof(f), "sig_%c", "ab"[k]);
			g = json_object_get(row, f);
			v[k].body = json_string_value(b);
			v[k].body_len = json_string_length(b);
			v[k].sig = json_string_value(g);
			v[k].sig_len = json_string_length(g);
		}
		cts_fork_record_id(rid, node, seq);
		if ((rc = cts_fork_evidence_build(&set, node, seq, &v[0], &v[1])) < 0 ||
		    (rc = cts_record_put(n->store, "fork", rid, set)) < 0) {
			json_decref(set);
			cts_error_prefix(rc, "preuve de la bifurcation de %s n°%lld : ", node,
			                 (long long)seq);
			break;
		}
		json_decref(set);
		if (st)
			st->evidence++;
	}
	json_decref(rows);
	return rc;
}

int cts_import_process(cts_node *n, cts_import_stats *st)
{
	int progress, need_rebuild = 0, rc;

	if ((rc = process_all(n, st, &need_rebuild)) < 0)
		return rc;
	/* Report what is still waiting, once, with its final reason. */
	if (!need_rebuild && (rc = process_once(n, st, &progress, &need_rebuild, 1)) < 0)
		return rc;
	if (need_rebuild) {
		if (st)
			st->rebuilt = 1;
		if ((rc = rebuild_locked(n, st)) < 0)
			return rc;
	}
	return write_evidence(n, st);
}

int cts_import_dir(cts_node *n, const char *dir, cts_import_stats *st)
{
	char base[4300];
	DIR *top;
	struct dirent *de;
	int rc = 0, nodes = 0;

	snprintf(base, sizeof(base), "%s/changesets", dir);
	if (!(top = opendir(base)))
		return cts_error_set(CTS_ENOTFOUND, "aucun dossier changesets/ dans %s", dir);
	if ((rc = cts_store_begin(n->store)) < 0) {
		closedir(top);
		return rc;
	}
	while (rc == 0 && (de = readdir(top))) {
		char sub[4600];
		DIR *d;
		struct dirent *fe;

		if (de->d_name[0] == '.')
			continue;
		if (!cts_valid_node_id(de->d_name)) {
			rc = cts_error_set(CTS_EINVAL, "%s : nom de nœud invalide « %.80s »", base,
			                   de->d_name);
			break;
		}
		if (++nodes > IMPORT_MAX_NODES) {
			rc = cts_error_set(CTS_ELIMIT, "%s : trop de nœuds", base);
			break;
		}
		snprintf(sub, sizeof(sub), "%s/%s", base, de->d_name);
		if (!(d = opendir(sub)))
			continue;
		while (rc == 0 && (fe = readdir(d))) {
			int64_t seq;
			char *json = NULL, *sig = NULL;
			size_t jl, sl;
			size_t nl = strlen(fe->d_name);

			if (fe->d_name[0] == '.' ||
			    (nl > 4 && strcmp(fe->d_name + nl - 4, ".sig") == 0) ||
			    strstr(fe->d_name, ".tmp."))
				continue;
			if (cts_changeset_parse_name(fe->d_name, &seq) < 0) {
				rc = cts_error_prefix(CTS_EINVAL, "%s : ", sub);
				break;
			}
			if ((rc = cts_history_read(dir, de->d_name, seq, &json, &jl, &sig, &sl)) <
			    0)
				break;
			rc = cts_import_offer(n, de->d_name, seq, json, jl, sig, sl, st);
			free(json);
			free(sig);
		}
		closedir(d);
	}
	closedir(top);
	if (rc == 0)
		rc = cts_store_commit(n->store);
	else
		cts_store_rollback(n->store);
	return rc;
}

/* Every applied changeset goes back to the inbox, from the history. */
static int requeue_applied(cts_node *n)
{
	json_t *rows = NULL, *row;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT node, seq FROM changeset ORDER BY node, seq")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row)
	{
		const char *node = json_string_value(json_object_get(row, "node"));
		int64_t seq = json_integer_value(json_object_get(row, "seq"));
		char *json = NULL, *sig = NULL, id[65];
		size_t jl, sl;

		if ((rc = cts_history_get(n, node, seq, &json, &jl, &sig, &sl)) < 0) {
			cts_error_prefix(rc, "reconstruction : ");
			break;
		}
		cts_changeset_hash(json, jl, id);
		rc = inbox_put(n, node, seq, id, "pending", "reconstruction", json, jl, sig, sl);
		free(json);
		free(sig);
		if (rc < 0)
			break;
	}
	json_decref(rows);
	return rc;
}

static int rebuild_locked(cts_node *n, cts_import_stats *st)
{
	int rc, progress, need_rebuild = 0;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = requeue_applied(n)) < 0 ||
	    (rc = cts_store_exec(
	         n->store, "UPDATE inbox SET state = 'pending', reason = 'reconstruction'")) < 0)
		goto cleanup;
	/* A fork learned during the replay (from versions it had not compared
	 * yet) may cut off something the replay applied: replay again, until
	 * it learns nothing more (each round learns at least one fork). */
	for (int round = 0; round < 1000; round++) {
		need_rebuild = 0;
		if (st) { /* every changeset is evaluated again: report each once */
			json_decref(st->events);
			st->events = NULL;
		}
		if ((rc = cts_record_clear_all(n->store)) < 0 ||
		    (rc = process_all(n, st, &need_rebuild)) < 0)
			goto cleanup;
		if (!need_rebuild)
			break;
		if ((rc = requeue_applied(n)) < 0 ||
		    (rc = cts_store_exec(
		         n->store,
		         "UPDATE inbox SET state = 'pending', reason = 'reconstruction'")) < 0)
			goto cleanup;
	}
	if ((rc = process_once(n, st, &progress, &need_rebuild, 1)) < 0)
		goto cleanup;
	/* What was typed here and not sealed yet is part of the view too. */
	rc = cts_record_replay_unsealed(n->store);
cleanup:
	if (rc == 0)
		rc = cts_store_commit(n->store);
	else
		cts_store_rollback(n->store);
	return rc;
}

int cts_import_rebuild(cts_node *n, cts_import_stats *st)
{
	int rc;

	if (st)
		st->rebuilt = 1;
	if ((rc = rebuild_locked(n, st)) < 0)
		return rc;
	return write_evidence(n, st);
}

/* An inbox row `i` written by a revoked node after its revocation. */
#define IGNORED_WHERE                                                                              \
	"SELECT 1 FROM registry r WHERE r.node = i.node AND r.revoked_after IS NOT NULL AND "      \
	"i.seq > r.revoked_after"                                                                  \
	" AND i.state = 'refused'"

int cts_import_inbox(cts_node *n, const char *state, json_t **out)
{
	return cts_store_rows_of(n->store,
	                         "SELECT i.node, i.seq, i.reason FROM inbox i WHERE i.state = ?"
	                         " AND NOT EXISTS (" IGNORED_WHERE ") ORDER BY i.node, i.seq",
	                         state, out);
}

int cts_import_ignored(cts_node *n, json_t **out)
{
	return cts_store_rows_of(n->store,
	                         "SELECT r.node, r.territory_code AS territory, r.revoked_after, "
	                         "count(DISTINCT i.seq) AS count,"
	                         " min(i.seq) AS first, max(i.seq) AS last FROM inbox i JOIN "
	                         "registry r ON r.node = i.node"
	                         " WHERE i.state = 'refused' AND r.revoked_after IS NOT NULL AND "
	                         "i.seq > r.revoked_after"
	                         " AND i.node IS NOT ?1 GROUP BY r.node ORDER BY r.node",
	                         n->id, out);
}
