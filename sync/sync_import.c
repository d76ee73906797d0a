/* What a sync fetched: branch checks, changesets offered to the importer, commits checked. */
#include "sync_impl.h"

#include "branchcheck.h"
#include "changeset.h"
#include "commitsig.h"
#include "error.h"
#include "gitnet.h"
#include "incident.h"
#include "journal.h"
#include "record.h"
#include "region.h"
#include "registry.h"
#include "scope.h"
#include "sshsig.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

int sync_reads(cts_node *n, const char *node)
{
	int rc = cts_scope_excludes_node(n, node);

	return rc < 0 ? rc : !rc;
}

const char *sync_node_of_key(const unsigned char pk[32], void *vctx)
{
	sync_evidence_ctx *e = vctx;
	char *node = NULL;

	if (cts_registry_node_of_pk(e->n, pk, &node) < 0) {
		cts_error_clear();
		return NULL;
	}
	snprintf(e->name, sizeof(e->name), "%s", node);
	free(node);
	return e->name;
}

typedef struct {
	cts_node *n;
	cts_gitrepo *repo;
	cts_sync_result *r;
	const cts_gitoid *tip;
	const char *node;
	int64_t last; /* highest seq of node applied here, read once per branch */
	int rc;
} walk_ctx;

/* Entries of changesets already applied here (the .json and its .sig)
 * are not offered again: passed over without reading anything. */
static int applied_entry(const char *name, void *vctx)
{
	walk_ctx *w = vctx;
	char base[18];
	size_t l = strlen(name);
	int64_t seq;
	int ok;

	if (l == 21 && strcmp(name + 17, ".sig") == 0)
		l = 17;
	if (l != 17)
		return 0;
	memcpy(base, name, 17);
	base[17] = '\0';
	ok = cts_changeset_parse_name(base, &seq) == 0;
	cts_error_clear();
	return ok && seq <= w->last;
}

static int offer_entry(const char *name, const cts_gitoid *blob, size_t size, unsigned filemode,
                       void *vctx)
{
	walk_ctx *w = vctx;
	char path[160], sigpath[170];
	unsigned char *json = NULL, *sig = NULL;
	size_t jl, sl;
	int64_t seq;
	int rc;

	(void)blob;
	(void)filemode;
	if (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".sig") == 0)
		return 0;
	if (cts_changeset_parse_name(name, &seq) < 0) {
		sync_finding(w->r, "bad_file_name", w->node, 0, cts_error_message());
		cts_error_clear();
		return 0;
	}
	if (size > CTS_CHANGESET_MAX_BYTES) {
		char msg[160];
		snprintf(msg, sizeof(msg), "changeset trop gros (%zu octets, maximum %u) : ignoré",
		         size, (unsigned)CTS_CHANGESET_MAX_BYTES);
		sync_finding(w->r, "oversized_changeset", w->node, seq, msg);
		return 0;
	}
	/* Already applied: skip the read. */
	if (seq <= w->last)
		return 0; /* applied already; rewrites are caught by check_branch and by the audit
		           */
	snprintf(path, sizeof(path), "changesets/%s/%s", w->node, name);
	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	if ((rc = cts_gitrepo_read_file(w->repo, w->tip, path, CTS_CHANGESET_MAX_BYTES, &json,
	                                &jl)) < 0) {
		sync_finding(w->r, rc == CTS_ELIMIT ? "oversized_changeset" : "unreadable_file",
		             w->node, seq, cts_error_message());
		cts_error_clear();
		return 0;
	}
	if ((rc = cts_gitrepo_read_file(w->repo, w->tip, sigpath, CTS_SIG_MAX_BYTES, &sig, &sl)) <
	    0) {
		sync_finding(w->r, rc == CTS_ELIMIT ? "oversized_changeset" : "missing_signature",
		             w->node, seq,
		             rc == CTS_ELIMIT ? cts_error_message()
		                              : "signature absente du dépôt : changeset ignoré");
		cts_error_clear();
		free(json);
		return 0;
	}
	rc = cts_import_offer(w->n, w->node, seq, (const char *)json, jl, (const char *)sig, sl,
	                      &w->r->import);
	free(json);
	free(sig);
	if (rc < 0) {
		w->rc = rc;
		return 1;
	}
	return 0;
}

/* A node branch must only fast-forward from what we saw last time, and
 * keep every changeset the authority checkpointed. *rewritten = 1 when it
 * does not (left alone otherwise). */
static int check_branch(cts_node *n, cts_gitrepo *repo, const char *node, const cts_gitoid *tip,
                        cts_sync_result *r, int *rewritten)
{
	char key[128], *seen_hex = NULL, hex[CTS_GITOID_HEXSZ + 1];
	cts_gitoid seen;
	sqlite3_stmt *s;
	int rc, ok = 1, same;

	snprintf(key, sizeof(key), "branch_head:%s", node);
	rc = cts_store_meta_get(n->store, key, &seen_hex);
	if (rc == 0 && cts_gitoid_parse(&seen, seen_hex) == 0 &&
	    cts_gitrepo_is_ancestor(repo, &seen, tip) != 1) {
		char msg[256];
		snprintf(
		    msg, sizeof(msg),
		    "branche nodes/%s réécrite : elle ne prolonge plus le commit %.12s déjà vu",
		    node, seen_hex);
		sync_finding(r, "branch_rewritten", node, 0, msg);
		ok = 0;
		*rewritten = 1;
	}
	cts_error_clear();
	same = seen_hex && cts_gitoid_parse(&seen, seen_hex) == 0 && cts_gitoid_equal(&seen, tip);
	free(seen_hex);
	/* Checkpointed changesets must still be there, with the same id. */
	if (cts_store_stmt(n->store, &s, "SELECT seq, changeset FROM checkpoint WHERE node = ?") ==
	    0) {
		sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
		while (sqlite3_step(s) == SQLITE_ROW) {
			int64_t seq = sqlite3_column_int64(s, 0);
			const char *cid = (const char *)sqlite3_column_text(s, 1);
			char path[128], id[65] = "";
			unsigned char *data = NULL;
			size_t len;
			cts_changeset_path(path, sizeof(path), node, seq);
			if (cts_gitrepo_read_file(repo, tip, path, CTS_CHANGESET_MAX_BYTES, &data,
			                          &len) == 0)
				cts_changeset_hash((const char *)data, len, id);
			free(data);
			cts_error_clear();
			if (!cid || strcmp(id, cid) != 0) {
				char msg[256];
				snprintf(msg, sizeof(msg),
				         "réécriture : le changeset n°%lld certifié par le point "
				         "de contrôle de la région %s",
				         (long long)seq, id[0] ? "a changé" : "a disparu");
				sync_finding(r, "checkpoint_violation", node, seq, msg);
				ok = 0;
				*rewritten = 1;
			}
		}
		sqlite3_reset(s);
	}
	if (ok && !same) {
		cts_gitoid_hex(hex, tip);
		return cts_store_meta_set(n->store, key, hex);
	}
	return 0;
}

/* Is changeset (node, seq) on node's fetched branch? (cts_import_stats.published) */
int sync_branch_published(const char *node, int64_t seq, void *ctx)
{
	char ref[128];
	cts_gitoid tip;
	int rc;

	sync_branch_ref(ref, sizeof(ref), node, 1);
	if ((rc = cts_gitrepo_ref_oid(ctx, ref, &tip)) == 0)
		rc = sync_tree_has(ctx, &tip, node, seq);
	else if (rc == CTS_ENOTFOUND)
		rc = 0;
	cts_error_clear();
	return rc;
}

/* What import_branch() saw of a branch: its tip and the checkpoints of
 * its node ("<tip hex>" then " <seq>:<changeset id>" per checkpoint).
 * NULL if it cannot be read (the branch is then walked). malloc'd. */
static char *branch_fingerprint(cts_node *n, const char *node, const cts_gitoid *tip)
{
	char hex[CTS_GITOID_HEXSZ + 1], *out;
	size_t len, cap = 256;
	sqlite3_stmt *s;
	int rc;

	if (!(out = malloc(cap)))
		return NULL;
	cts_gitoid_hex(hex, tip);
	len = (size_t)snprintf(out, cap, "%s", hex);
	if (cts_store_stmt(
	        n->store, &s,
	        "SELECT seq, changeset FROM checkpoint WHERE node = ? ORDER BY seq, changeset") <
	    0) {
		cts_error_clear();
		free(out);
		return NULL;
	}
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *cid = (const char *)sqlite3_column_text(s, 1);
		char item[128];
		size_t il =
		    (size_t)snprintf(item, sizeof(item), " %lld:%.80s",
		                     (long long)sqlite3_column_int64(s, 0), cid ? cid : "-");
		if (len + il + 1 > cap) {
			char *grown = cap < 65536 ? realloc(out, cap * 2) : NULL;
			if (!grown)
				break;
			out = grown;
			cap *= 2;
		}
		memcpy(out + len, item, il + 1);
		len += il;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(out);
		return NULL;
	}
	return out;
}

/* Two markers spare the work on branches that did not change:
 * - branch_checked:<node>, the fingerprint (tip and checkpoints) of the
 *   last check_branch() that found nothing: the same check on the same
 *   tip against the same checkpoints would pass again;
 * - branch_offered:<node>, "<tip> <last>" of the last walk that found
 *   nothing to report, last being the node's highest applied seq then:
 *   every changeset of that tip beyond `last` was offered. The walk is
 *   spared only while the tip is the same, the node's applied seq has not
 *   gone below `last` (a revocation or a fork can lower it) and the inbox
 *   holds nothing of the node (pending, held or refused: offering again
 *   may matter to those). Then every changeset offered was applied (the
 *   importer deletes an inbox row only once it is applied; a rebuild puts
 *   applied changesets back into the inbox), and walking again would
 *   offer nothing.
 * Both are written in the import's transaction, with what they stand for. */
static int import_branch(const char *ref, const cts_gitoid *oid, void *vctx)
{
	sync_refs_ctx *c = vctx;
	const char *node = ref + strlen("refs/remotes/origin/nodes/");
	char dir[128], ckey[128], okey[128], fkey[128], tip[CTS_GITOID_HEXSZ + 1], *fp = NULL;
	walk_ctx w = { c->n, c->repo, c->r, oid, node, 0, 0 };
	size_t findings = json_array_size(c->r->findings);
	sqlite3_stmt *s;
	int rc, rewritten = 0, full = 0;

	if (!cts_valid_node_id(node)) {
		sync_finding(c->r, "bad_branch_name", node, 0,
		             "branche de nœud au nom invalide : ignorée");
		return 0;
	}
	if (strcmp(node, c->n->id) == 0 &&
	    sync_is_blocked(c->r, ref + strlen("refs/remotes/origin/")))
		return 0; /* what others wrote on our branch is not ours to import */
	if ((rc = sync_reads(c->n, node)) <= 0) {
		c->rc = rc;
		return rc < 0; /* another territory's branch (fetched before): not read */
	}
	snprintf(ckey, sizeof(ckey), "branch_checked:%s", node);
	snprintf(okey, sizeof(okey), "branch_offered:%s", node);
	snprintf(fkey, sizeof(fkey), "branch_fullwalk:%s", node);
	cts_gitoid_hex(tip, oid);
	fp = branch_fingerprint(c->n, node, oid);
	if (!sync_meta_is(c->n, ckey, fp)) {
		if ((rc = check_branch(c->n, c->repo, node, oid, c->r, &rewritten)) < 0) {
			free(fp);
			c->rc = rc;
			return 1;
		}
		if (fp && json_array_size(c->r->findings) == findings &&
		    (rc = cts_store_meta_set(c->n->store, ckey, fp)) < 0) {
			free(fp);
			c->rc = rc;
			return 1;
		}
	}
	free(fp);
	if ((rc = cts_history_last(c->n, node, &w.last)) < 0) {
		c->rc = rc;
		return 1;
	}
	/* A rewritten branch may carry another version of a changeset applied
	 * here: offer all of it once per tip, so that a fork is seen. */
	if (rewritten && !sync_meta_is(c->n, fkey, tip)) {
		full = 1;
		w.last = 0;
		if ((rc = cts_store_meta_set(c->n->store, fkey, tip)) < 0) {
			c->rc = rc;
			return 1;
		}
	}
	if (!full) {
		char *v = NULL, seen[CTS_GITOID_HEXSZ + 1];
		long long then;
		int skip = cts_store_meta_get(c->n->store, okey, &v) == 0 &&
		           sscanf(v, "%40s %lld", seen, &then) == 2 && strcmp(seen, tip) == 0 &&
		           w.last >= then;
		free(v);
		cts_error_clear();
		if (skip) {
			if ((rc = cts_store_stmt(c->n->store, &s,
			                         "SELECT 1 FROM inbox WHERE node = ? LIMIT 1")) <
			    0) {
				c->rc = rc;
				return 1;
			}
			sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
			rc = sqlite3_step(s);
			sqlite3_reset(s);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
				c->rc = cts_store_error(c->n->store,
				                        "lecture de la file des changesets reçus");
				return 1;
			}
			skip = rc == SQLITE_DONE;
		}
		if (skip)
			return 0;
	}
	findings = json_array_size(c->r->findings);
	snprintf(dir, sizeof(dir), "changesets/%s", node);
	rc = cts_gitrepo_list_dir_filtered(c->repo, oid, dir, 2 * 1000000, applied_entry,
	                                   offer_entry, &w);
	if (w.rc < 0) {
		c->rc = w.rc;
		return 1;
	}
	if (rc < 0) {
		sync_finding(c->r, "unreadable_history", node, 0, cts_error_message());
		cts_error_clear();
	}
	if (json_array_size(c->r->findings) == findings) {
		char v[CTS_GITOID_HEXSZ + 32];
		snprintf(v, sizeof(v), "%s %lld", tip, (long long)w.last);
		if (!sync_meta_is(c->n, okey, v) &&
		    (rc = cts_store_meta_set(c->n->store, okey, v)) < 0) {
			c->rc = rc;
			return 1;
		}
	}
	return 0;
}

int sync_import_all(cts_node *n, cts_gitrepo *repo, cts_sync_result *r)
{
	return sync_import_refs(n, repo, r, "refs/remotes/origin/nodes/*");
}

int sync_import_refs(cts_node *n, cts_gitrepo *repo, cts_sync_result *r, const char *glob)
{
	sync_refs_ctx c = { n, repo, r, 0 };
	int rc;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	rc = cts_gitrepo_refs_foreach(repo, glob, import_branch, &c);
	if (c.rc < 0)
		rc = c.rc;
	if (rc < 0) {
		cts_store_rollback(n->store);
		return rc;
	}
	if ((rc = cts_store_commit(n->store)) < 0)
		return rc;
	return cts_import_process(n, &r->import);
}

/* The key the commits of node's branch must be signed with: the
 * registry's, else the pinned authority key for the authority. -1 when
 * not known yet (the node is not enrolled here: checked once it is). */
static int branch_key(cts_node *n, const char *node, unsigned char pk[32])
{
	cts_registry_entry reg;
	char *auth = NULL;
	int rc = -1;

	if (cts_registry_get(n, node, &reg) == 0) {
		rc = cts_key_parse_public_line(pk, reg.key) == 0 ? 0 : -1;
		cts_registry_entry_dispose(&reg);
	} else if (n->authority_key && cts_store_meta_get(n->store, "authority_node", &auth) == 0 &&
	           strcmp(auth, node) == 0) {
		rc = cts_key_parse_public_line(pk, n->authority_key) == 0 ? 0 : -1;
	}
	free(auth);
	cts_error_clear();
	return rc;
}

static void commit_evidence(const char *kind, const char *detail, void *vctx)
{
	sync_evidence_ctx *e = vctx;

	sync_finding(e->r, kind, e->node, 0, detail);
}

/* The commits a node branch gained since the last check (meta
 * commits_checked:<node>): signed by the node's key, adding nothing
 * outside its folder. Each commit is reported once. */
int sync_check_commits(const char *ref, const cts_gitoid *tip, void *vctx)
{
	sync_refs_ctx *c = vctx;
	const char *node = ref + strlen("refs/remotes/origin/nodes/");
	char key[128], hex[CTS_GITOID_HEXSZ + 1], *seen = NULL;
	sync_evidence_ctx e = { c->n, c->r, "", node };
	cts_branchcheck_cb cb = { sync_node_of_key, commit_evidence, &e };
	unsigned char pk[32];
	cts_gitoid since;
	int rc, has_since;

	if (!cts_valid_node_id(node) || strcmp(node, c->n->id) == 0 ||
	    branch_key(c->n, node, pk) < 0)
		return 0;
	if ((rc = sync_reads(c->n, node)) <= 0) {
		c->rc = rc;
		return rc < 0;
	}
	snprintf(key, sizeof(key), "commits_checked:%s", node);
	cts_gitoid_hex(hex, tip);
	has_since = cts_store_meta_get(c->n->store, key, &seen) == 0 &&
	            cts_gitoid_parse(&since, seen) == 0 && cts_gitrepo_has_commit(c->repo, &since);
	cts_error_clear();
	if (seen && strcmp(seen, hex) == 0) {
		free(seen);
		return 0;
	}
	free(seen);
	if ((rc = cts_branchcheck_commits(c->repo, node, tip, has_since ? &since : NULL, pk, &cb)) <
	    0) {
		sync_finding(c->r, "unreadable_history", node, 0, cts_error_message());
		cts_error_clear();
		return 0;
	}
	if ((rc = cts_store_meta_set(c->n->store, key, hex)) < 0) {
		c->rc = rc;
		return 1;
	}
	return 0;
}

/* A node branch this node had seen (meta branch_head:<node>) that the
 * remote no longer has: deleted, whereas a node branch only grows. */
int sync_check_deleted(cts_node *n, cts_gitrepo *repo, cts_sync_result *r)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row;
	size_t i;
	int rc;

	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT substr(key, 13) AS node, value FROM meta WHERE key LIKE 'branch_head:%'"
	         " ORDER BY key")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row)
	{
		const char *node = json_string_value(json_object_get(row, "node"));
		char ref[160], msg[300];
		cts_gitoid oid;
		if (!node || !cts_valid_node_id(node))
			continue;
		/* A branch this device no longer fetches is not said deleted. */
		if ((rc = sync_reads(n, node)) < 0)
			break;
		if (rc == 0)
			continue;
		snprintf(ref, sizeof(ref), "refs/remotes/origin/nodes/%s", node);
		if (cts_gitrepo_ref_oid(repo, ref, &oid) == 0)
			continue;
		cts_error_clear();
		snprintf(msg, sizeof(msg),
		         "la branche nodes/%s a disparu du dépôt régional (elle portait le commit "
		         "%.12s) : une branche de nœud "
		         "ne fait que grandir",
		         node, json_string_value(json_object_get(row, "value")));
		sync_finding(r, "branch_deleted", node, 0, msg);
	}
	json_decref(rows);
	return rc < 0 ? rc : 0;
}
