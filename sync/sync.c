#include "sync.h"

#include "commitsig.h"

#include "branchcheck.h"
#include "changeset.h"
#include "error.h"
#include "gitnet.h"
#include "gitrepo.h"
#include "incident.h"
#include "journal.h"
#include "record.h"
#include "region.h"
#include "registry.h"
#include "sshsig.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#define COMMIT_MAX_CHANGESETS 500
#define LOOSE_OBJECTS_THRESHOLD 2000

void cts_sync_result_dispose(cts_sync_result *r)
{
	if (!r)
		return;
	cts_import_stats_dispose(&r->import);
	json_decref(r->findings);
	r->findings = NULL;
	json_decref(r->blocked);
	r->blocked = NULL;
}

/* Evidence seen on the repository: kept in r->findings (printed by the
 * CLI) and recorded as incidents at the end of the sync (record_incidents). */
static void finding(cts_sync_result *r, const char *kind, const char *node, int64_t seq, const char *reason)
{
	if (!r->findings)
		r->findings = json_array();
	json_array_append_new(r->findings, json_pack("{s:s, s:s, s:I, s:s}", "kind", kind, "node", node, "seq",
						     (json_int_t)seq, "reason", reason));
}

/* Every finding of this sync becomes an incident (status, status --json),
 * outside the import's transactions so that none is lost with a rollback. */
static int record_incidents(cts_node *n, const cts_sync_result *r)
{
	size_t i;
	json_t *f;
	int rc;

	json_array_foreach(r->findings, i, f) {
		if ((rc = cts_incident_add(n->store, json_string_value(json_object_get(f, "kind")),
					   json_string_value(json_object_get(f, "node")),
					   json_integer_value(json_object_get(f, "seq")),
					   json_string_value(json_object_get(f, "reason")))) < 0)
			return cts_error_prefix(rc, "sync : ");
	}
	return 0;
}

static int git_sign(char **armored, size_t *len, const char *payload, size_t plen, void *ctx)
{
	return cts_sshsig_sign(armored, len, (const cts_key *)ctx, "git", (const unsigned char *)payload, plen);
}

static const char *local_path_of(const char *url)
{
	if (strncmp(url, "file://", 7) == 0)
		return url + 7;
	if (strstr(url, "://") || (strchr(url, ':') && !strchr(url, '/')))
		return NULL;
	if (strchr(url, ':') && strchr(url, ':') < strchr(url, '/'))
		return NULL; /* scp-like user@host:path */
	return url;
}

int cts_sync_create_remote(const char *url)
{
	const char *path = local_path_of(url);
	struct stat sb;

	if (!path || stat(path, &sb) == 0)
		return 0;
	return cts_gitrepo_create_bare(path);
}

/* The node's token file and remembered proxy (sync/gitnet.h). */
static int set_net(cts_node *n, cts_gitrepo *repo)
{
	char *token_file = cts_node_path(n, CTS_GITNET_TOKEN_FILE), *proxy = NULL;
	int rc;

	if (!token_file)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = cts_node_proxy(n, &proxy)) == 0)
		rc = cts_gitrepo_set_net(repo, token_file, proxy);
	free(proxy);
	free(token_file);
	return rc;
}

static int open_repo(cts_node *n, const char *url, cts_gitrepo **repo)
{
	char *path;
	const char *remote = url ? url : n->remote;
	int rc;

	*repo = NULL;
	if (!remote)
		return cts_error_set(CTS_EINVAL, "aucun dépôt régional configuré : indiquez --remote URL (il sera retenu dès qu'il aura répondu)");
	if ((rc = cts_gitnet_url_check(remote)) < 0)
		return rc;
	/* A network address is kept at once: unreachable the first time, it
	 * cannot be told from being offline. A local path only once reached. */
	if (url && !local_path_of(url) && (!n->remote || strcmp(url, n->remote) != 0) &&
	    (rc = cts_node_set_remote(n, url)) < 0)
		return rc;
	if ((rc = cts_git_init()) < 0)
		return rc;
	if (!(path = cts_node_path(n, "repo.git")))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_gitrepo_open(repo, path);
	free(path);
	if (rc == 0 && (rc = cts_gitrepo_set_remote(*repo, remote)) == 0)
		rc = set_net(n, *repo);
	if (rc < 0) {
		cts_gitrepo_free(*repo);
		*repo = NULL;
	}
	return rc;
}

static void branch_ref(char *buf, size_t size, const char *node, int remote)
{
	snprintf(buf, size, remote ? "refs/remotes/origin/nodes/%s" : "refs/heads/nodes/%s", node);
}

/* Is changeset `seq` of `node` in the tree of `commit`? */
static int tree_has(cts_gitrepo *repo, const git_oid *commit, const char *node, int64_t seq)
{
	char path[128];
	unsigned char *data = NULL;
	size_t len;
	int rc;

	cts_changeset_path(path, sizeof(path), node, seq);
	rc = cts_gitrepo_read_file(repo, commit, path, CTS_CHANGESET_MAX_BYTES, &data, &len);
	free(data);
	if (rc == CTS_ENOTFOUND) {
		cts_error_clear();
		return 0;
	}
	return rc < 0 ? rc : 1;
}

/* Commit our sealed changesets that the local branch does not have yet. */
static int commit_own(cts_node *n, cts_gitrepo *repo, const cts_key *key, int *committed)
{
	char ref[128];
	git_oid tip;
	int64_t last_seq, have = 0;
	int rc, has_tip;

	*committed = 0;
	if ((rc = cts_store_meta_get_int(n->store, "last_seq", &last_seq, 0)) < 0)
		return rc;
	branch_ref(ref, sizeof(ref), n->id, 0);
	rc = cts_gitrepo_ref_oid(repo, ref, &tip);
	if (rc < 0 && rc != CTS_ENOTFOUND)
		return rc;
	has_tip = rc == 0;
	cts_error_clear();
	if (has_tip) {
		for (int64_t s = last_seq; s >= 1; s--) {
			if ((rc = tree_has(repo, &tip, n->id, s)) < 0)
				return rc;
			if (rc == 1) {
				have = s;
				break;
			}
		}
	}
	while (have < last_seq) {
		int64_t upto = have + COMMIT_MAX_CHANGESETS < last_seq ? have + COMMIT_MAX_CHANGESETS : last_seq;
		size_t count = (size_t)(upto - have) * 2, k = 0;
		cts_git_file *files = calloc(count, sizeof(*files));
		char **bufs = calloc(count, sizeof(char *)), **paths = calloc(count, sizeof(char *));
		char msg[256];

		if (!files || !bufs || !paths) {
			free(files);
			free(bufs);
			free(paths);
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		}
		rc = 0;
		for (int64_t s = have + 1; s <= upto && rc == 0; s++) {
			char *json = NULL, *sig = NULL, p[128];
			size_t jl, sl;
			if ((rc = cts_history_read(n->home, n->id, s, &json, &jl, &sig, &sl)) < 0)
				break;
			cts_changeset_path(p, sizeof(p), n->id, s);
			paths[k] = strdup(p);
			bufs[k] = json;
			files[k] = (cts_git_file){ paths[k], (const unsigned char *)json, jl };
			k++;
			snprintf(p + strlen(p), sizeof(p) - strlen(p), ".sig");
			paths[k] = strdup(p);
			bufs[k] = sig;
			files[k] = (cts_git_file){ paths[k], (const unsigned char *)sig, sl };
			k++;
		}
		if (rc == 0) {
			if (upto == have + 1)
				snprintf(msg, sizeof(msg), "%s : changeset %lld\n", n->id, (long long)upto);
			else
				snprintf(msg, sizeof(msg), "%s : changesets %lld à %lld\n", n->id, (long long)have + 1, (long long)upto);
			rc = cts_gitrepo_commit_files(repo, ref, files, k, 0, msg, n->id, "ctsnode@invalid",
						      (int64_t)(n->store->clock(n->store->clock_ctx) / 1000), git_sign,
						      (void *)key, NULL);
		}
		for (size_t i = 0; i < k; i++) {
			free(bufs[i]);
			free(paths[i]);
		}
		free(files);
		free(bufs);
		free(paths);
		if (rc < 0)
			return rc;
		*committed += (int)(upto - have);
		have = upto;
	}
	return 0;
}

/* The node enrolled with key pk (registry), for messages. */
typedef struct {
	cts_node *n;
	cts_sync_result *r;
	char name[65];
	const char *node; /* the branch's node, for commit evidence */
} evidence_ctx;

static const char *node_of_key(const unsigned char pk[32], void *vctx)
{
	evidence_ctx *e = vctx;
	char *node = NULL;

	if (cts_registry_node_of_pk(e->n, pk, &node) < 0) {
		cts_error_clear();
		return NULL;
	}
	snprintf(e->name, sizeof(e->name), "%s", node);
	free(node);
	return e->name;
}

/* Branch `branch` ("nodes/<id>" or "region") is written by this node
 * only: its remote copy must be absent, or an ancestor of (or equal to)
 * the local branch. Otherwise the remote holds commits this node did not
 * write (another node's commit, a rewrite): it is not pushed this time,
 * the rest of the sync goes on, and the evidence ("foreign_commit", with
 * the first such commit) is recorded. 1 if blocked, 0 if not. */
static int remote_foreign(cts_node *n, cts_gitrepo *repo, const char *branch, cts_sync_result *r)
{
	char lref[160], rref[160], what[400], msg[700], hex[GIT_OID_HEXSZ + 1];
	evidence_ctx e = { n, r, "", n->id };
	cts_branchcheck_cb cb = { node_of_key, NULL, &e };
	git_oid local, remote, first;
	int has_local;

	snprintf(lref, sizeof(lref), "refs/heads/%s", branch);
	snprintf(rref, sizeof(rref), "refs/remotes/origin/%s", branch);
	if (cts_gitrepo_ref_oid(repo, rref, &remote) < 0) {
		cts_error_clear();
		return 0;
	}
	has_local = cts_gitrepo_ref_oid(repo, lref, &local) == 0;
	cts_error_clear();
	if (has_local && cts_gitrepo_is_ancestor(repo, &remote, &local) == 1)
		return 0;
	if (cts_branchcheck_first_new(repo, &remote, has_local ? &local : NULL, &first) < 0)
		git_oid_cpy(&first, &remote);
	cts_error_clear();
	cts_branchcheck_describe(repo, &first, &cb, what, sizeof(what));
	snprintf(msg, sizeof(msg),
		 "la branche %s du dépôt régional porte le commit %s, que ce nœud n'a pas écrit : rien n'est envoyé sur "
		 "cette branche tant qu'elle n'est pas remise en état",
		 branch, what);
	finding(r, "foreign_commit", n->id, 0, msg);
	if (!r->blocked)
		r->blocked = json_array();
	git_oid_tostr(hex, sizeof(hex), &first);
	json_array_append_new(r->blocked, json_pack("{s:s, s:s, s:s}", "branch", branch, "commit", hex, "detail", msg));
	return 1;
}

/* 1 if branch ("nodes/x", "region") was found blocked by this sync. */
static int is_blocked(const cts_sync_result *r, const char *branch)
{
	size_t i;
	json_t *b;

	json_array_foreach(r->blocked, i, b)
		if (strcmp(json_string_value(json_object_get(b, "branch")), branch) == 0)
			return 1;
	return 0;
}

typedef struct {
	cts_node *n;
	cts_gitrepo *repo;
	cts_sync_result *r;
	const git_oid *tip;
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

static int offer_entry(const char *name, const git_oid *blob, size_t size, unsigned filemode, void *vctx)
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
		finding(w->r, "bad_file_name", w->node, 0, cts_error_message());
		cts_error_clear();
		return 0;
	}
	if (size > CTS_CHANGESET_MAX_BYTES) {
		char msg[160];
		snprintf(msg, sizeof(msg), "changeset trop gros (%zu octets, maximum %u) : ignoré", size,
			 (unsigned)CTS_CHANGESET_MAX_BYTES);
		finding(w->r, "oversized_changeset", w->node, seq, msg);
		return 0;
	}
	/* Already applied: skip the read. */
	if (seq <= w->last)
		return 0; /* applied already; rewrites are caught by check_branch and by the audit */
	snprintf(path, sizeof(path), "changesets/%s/%s", w->node, name);
	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	if ((rc = cts_gitrepo_read_file(w->repo, w->tip, path, CTS_CHANGESET_MAX_BYTES, &json, &jl)) < 0) {
		finding(w->r, rc == CTS_ELIMIT ? "oversized_changeset" : "unreadable_file", w->node, seq, cts_error_message());
		cts_error_clear();
		return 0;
	}
	if ((rc = cts_gitrepo_read_file(w->repo, w->tip, sigpath, CTS_SIG_MAX_BYTES, &sig, &sl)) < 0) {
		finding(w->r, rc == CTS_ELIMIT ? "oversized_changeset" : "missing_signature", w->node, seq,
			rc == CTS_ELIMIT ? cts_error_message() : "signature absente du dépôt : changeset ignoré");
		cts_error_clear();
		free(json);
		return 0;
	}
	rc = cts_import_offer(w->n, w->node, seq, (const char *)json, jl, (const char *)sig, sl, &w->r->import);
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
static int check_branch(cts_node *n, cts_gitrepo *repo, const char *node, const git_oid *tip, cts_sync_result *r,
			int *rewritten)
{
	char key[128], *seen_hex = NULL, hex[GIT_OID_HEXSZ + 1];
	git_oid seen;
	sqlite3_stmt *s;
	int rc, ok = 1, same;

	snprintf(key, sizeof(key), "branch_head:%s", node);
	rc = cts_store_meta_get(n->store, key, &seen_hex);
	if (rc == 0 && git_oid_fromstr(&seen, seen_hex) == 0 && cts_gitrepo_is_ancestor(repo, &seen, tip) != 1) {
		char msg[256];
		snprintf(msg, sizeof(msg), "branche nodes/%s réécrite : elle ne prolonge plus le commit %.12s déjà vu", node, seen_hex);
		finding(r, "branch_rewritten", node, 0, msg);
		ok = 0;
		*rewritten = 1;
	}
	cts_error_clear();
	same = seen_hex && git_oid_fromstr(&seen, seen_hex) == 0 && git_oid_equal(&seen, tip);
	free(seen_hex);
	/* Checkpointed changesets must still be there, with the same id. */
	if (cts_store_stmt(n->store, &s, "SELECT seq, changeset FROM checkpoint WHERE node = ?") == 0) {
		sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
		while (sqlite3_step(s) == SQLITE_ROW) {
			int64_t seq = sqlite3_column_int64(s, 0);
			const char *cid = (const char *)sqlite3_column_text(s, 1);
			char path[128], id[65] = "";
			unsigned char *data = NULL;
			size_t len;
			cts_changeset_path(path, sizeof(path), node, seq);
			if (cts_gitrepo_read_file(repo, tip, path, CTS_CHANGESET_MAX_BYTES, &data, &len) == 0)
				cts_changeset_hash((const char *)data, len, id);
			free(data);
			cts_error_clear();
			if (!cid || strcmp(id, cid) != 0) {
				char msg[256];
				snprintf(msg, sizeof(msg), "réécriture : le changeset n°%lld certifié par le point de contrôle de la région %s",
					 (long long)seq, id[0] ? "a changé" : "a disparu");
				finding(r, "checkpoint_violation", node, seq, msg);
				ok = 0;
				*rewritten = 1;
			}
		}
		sqlite3_reset(s);
	}
	if (ok && !same) {
		git_oid_tostr(hex, sizeof(hex), tip);
		return cts_store_meta_set(n->store, key, hex);
	}
	return 0;
}

typedef struct {
	cts_node *n;
	cts_gitrepo *repo;
	cts_sync_result *r;
	int rc;
} refs_ctx;

/* Is changeset (node, seq) on node's fetched branch? (cts_import_stats.published) */
static int branch_published(const char *node, int64_t seq, void *ctx)
{
	char ref[128];
	git_oid tip;
	int rc;

	branch_ref(ref, sizeof(ref), node, 1);
	if ((rc = cts_gitrepo_ref_oid(ctx, ref, &tip)) == 0)
		rc = tree_has(ctx, &tip, node, seq);
	else if (rc == CTS_ENOTFOUND)
		rc = 0;
	cts_error_clear();
	return rc;
}

/* What import_branch() saw of a branch: its tip and the checkpoints of
 * its node ("<tip hex>" then " <seq>:<changeset id>" per checkpoint).
 * NULL if it cannot be read (the branch is then walked). malloc'd. */
static char *branch_fingerprint(cts_node *n, const char *node, const git_oid *tip)
{
	char hex[GIT_OID_HEXSZ + 1], *out;
	size_t len, cap = 256;
	sqlite3_stmt *s;
	int rc;

	if (!(out = malloc(cap)))
		return NULL;
	git_oid_tostr(hex, sizeof(hex), tip);
	len = (size_t)snprintf(out, cap, "%s", hex);
	if (cts_store_stmt(n->store, &s, "SELECT seq, changeset FROM checkpoint WHERE node = ? ORDER BY seq, changeset") < 0) {
		cts_error_clear();
		free(out);
		return NULL;
	}
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *cid = (const char *)sqlite3_column_text(s, 1);
		char item[128];
		size_t il = (size_t)snprintf(item, sizeof(item), " %lld:%.80s", (long long)sqlite3_column_int64(s, 0),
					     cid ? cid : "-");
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

/* 1 if meta `key` holds exactly `value` (NULL: 0). */
static int meta_is(cts_node *n, const char *key, const char *value)
{
	char *v = NULL;
	int same = value && cts_store_meta_get(n->store, key, &v) == 0 && strcmp(v, value) == 0;

	free(v);
	cts_error_clear();
	return same;
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
static int import_branch(const char *ref, const git_oid *oid, void *vctx)
{
	refs_ctx *c = vctx;
	const char *node = ref + strlen("refs/remotes/origin/nodes/");
	char dir[128], ckey[128], okey[128], fkey[128], tip[GIT_OID_HEXSZ + 1], *fp = NULL;
	walk_ctx w = { c->n, c->repo, c->r, oid, node, 0, 0 };
	size_t findings = json_array_size(c->r->findings);
	sqlite3_stmt *s;
	int rc, rewritten = 0, full = 0;

	if (!cts_valid_node_id(node)) {
		finding(c->r, "bad_branch_name", node, 0, "branche de nœud au nom invalide : ignorée");
		return 0;
	}
	if (strcmp(node, c->n->id) == 0 && is_blocked(c->r, ref + strlen("refs/remotes/origin/")))
		return 0; /* what others wrote on our branch is not ours to import */
	snprintf(ckey, sizeof(ckey), "branch_checked:%s", node);
	snprintf(okey, sizeof(okey), "branch_offered:%s", node);
	snprintf(fkey, sizeof(fkey), "branch_fullwalk:%s", node);
	git_oid_tostr(tip, sizeof(tip), oid);
	fp = branch_fingerprint(c->n, node, oid);
	if (!meta_is(c->n, ckey, fp)) {
		if ((rc = check_branch(c->n, c->repo, node, oid, c->r, &rewritten)) < 0) {
			free(fp);
			c->rc = rc;
			return 1;
		}
		if (fp && json_array_size(c->r->findings) == findings && (rc = cts_store_meta_set(c->n->store, ckey, fp)) < 0) {
			free(fp);
			c->rc = rc;
			return 1;
		}
	}
	free(fp);
	if ((rc = cts_store_stmt(c->n->store, &s, "SELECT coalesce(max(seq), 0) FROM changeset WHERE node = ?")) < 0) {
		c->rc = rc;
		return 1;
	}
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		w.last = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW) {
		c->rc = cts_store_error(c->n->store, "lecture de l'historique");
		return 1;
	}
	/* A rewritten branch may carry another version of a changeset applied
	 * here: offer all of it once per tip, so that a fork is seen. */
	if (rewritten && !meta_is(c->n, fkey, tip)) {
		full = 1;
		w.last = 0;
		if ((rc = cts_store_meta_set(c->n->store, fkey, tip)) < 0) {
			c->rc = rc;
			return 1;
		}
	}
	if (!full) {
		char *v = NULL, seen[GIT_OID_HEXSZ + 1];
		long long then;
		int skip = cts_store_meta_get(c->n->store, okey, &v) == 0 &&
			   sscanf(v, "%40s %lld", seen, &then) == 2 && strcmp(seen, tip) == 0 && w.last >= then;
		free(v);
		cts_error_clear();
		if (skip) {
			if ((rc = cts_store_stmt(c->n->store, &s, "SELECT 1 FROM inbox WHERE node = ? LIMIT 1")) < 0) {
				c->rc = rc;
				return 1;
			}
			sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
			rc = sqlite3_step(s);
			sqlite3_reset(s);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
				c->rc = cts_store_error(c->n->store, "lecture de la file des changesets reçus");
				return 1;
			}
			skip = rc == SQLITE_DONE;
		}
		if (skip)
			return 0;
	}
	findings = json_array_size(c->r->findings);
	snprintf(dir, sizeof(dir), "changesets/%s", node);
	rc = cts_gitrepo_list_dir_filtered(c->repo, oid, dir, 2 * 1000000, applied_entry, offer_entry, &w);
	if (w.rc < 0) {
		c->rc = w.rc;
		return 1;
	}
	if (rc < 0) {
		finding(c->r, "unreadable_history", node, 0, cts_error_message());
		cts_error_clear();
	}
	if (json_array_size(c->r->findings) == findings) {
		char v[GIT_OID_HEXSZ + 32];
		snprintf(v, sizeof(v), "%s %lld", tip, (long long)w.last);
		if (!meta_is(c->n, okey, v) && (rc = cts_store_meta_set(c->n->store, okey, v)) < 0) {
			c->rc = rc;
			return 1;
		}
	}
	return 0;
}

static int import_all(cts_node *n, cts_gitrepo *repo, cts_sync_result *r)
{
	refs_ctx c = { n, repo, r, 0 };
	int rc;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	rc = cts_gitrepo_refs_foreach(repo, "refs/remotes/origin/nodes/*", import_branch, &c);
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

/* Push our node branch and, for the authority, the region branch, except
 * a branch this sync found blocked (remote_foreign). */
static int push_refs(cts_node *n, cts_gitrepo *repo, int with_region, cts_sync_result *r)
{
	char ref[128], own[96];
	const char *refs[2];
	git_oid tip;
	int64_t last_seq, pushed_seq;
	size_t k = 0;
	int rc, own_ok;

	branch_ref(ref, sizeof(ref), n->id, 0);
	snprintf(own, sizeof(own), "nodes/%s", n->id);
	own_ok = !is_blocked(r, own) && cts_gitrepo_ref_oid(repo, ref, &tip) == 0;
	cts_error_clear();
	if (own_ok)
		refs[k++] = ref;
	if (with_region && !is_blocked(r, "region"))
		refs[k++] = "refs/heads/region";
	if (k == 0)
		return 0;
	rc = cts_gitrepo_push(repo, refs, k);
	if (rc == CTS_ENET) {
		r->queued = 1;
		return rc;
	}
	if (rc < 0)
		return rc;
	r->pushed = 1;
	if (!own_ok)
		return 0;
	if ((rc = cts_store_meta_get_int(n->store, "last_seq", &last_seq, 0)) < 0 ||
	    (rc = cts_store_meta_get_int(n->store, "pushed_seq", &pushed_seq, -1)) < 0)
		return rc;
	if (last_seq > pushed_seq)
		r->sent = (int)(last_seq - (pushed_seq < 0 ? 0 : pushed_seq));
	return pushed_seq == last_seq ? 0 : cts_store_meta_set_int(n->store, "pushed_seq", last_seq);
}

/* Region branch: allowed_signers and the readable registry, when changed. */
static int publish_region(cts_node *n, cts_gitrepo *repo, const cts_key *key)
{
	char *signers = NULL, *registry = NULL;
	unsigned char *old = NULL;
	size_t old_len = 0;
	git_oid tip;
	int rc, has_tip, same = 0;

	if ((rc = cts_region_allowed_signers(n, &signers)) < 0 || (rc = cts_region_registry_text(n, &registry)) < 0)
		goto cleanup;
	rc = cts_gitrepo_ref_oid(repo, "refs/heads/region", &tip);
	has_tip = rc == 0;
	cts_error_clear();
	if (has_tip && cts_gitrepo_read_file(repo, &tip, "allowed_signers", 1 << 20, &old, &old_len) == 0 &&
	    old_len == strlen(signers) && memcmp(old, signers, old_len) == 0) {
		free(old);
		old = NULL;
		if (cts_gitrepo_read_file(repo, &tip, "registry.md", 1 << 20, &old, &old_len) == 0 &&
		    old_len == strlen(registry) && memcmp(old, registry, old_len) == 0)
			same = 1;
	}
	cts_error_clear();
	rc = 0;
	if (!same) {
		cts_git_file files[2] = {
			{ "allowed_signers", (const unsigned char *)signers, strlen(signers) },
			{ "registry.md", (const unsigned char *)registry, strlen(registry) },
		};
		rc = cts_gitrepo_commit_files(repo, "refs/heads/region", files, 2, 1, "région : registre et allowed_signers\n",
					      n->id, "ctsnode@invalid", (int64_t)(n->store->clock(n->store->clock_ctx) / 1000),
					      git_sign, (void *)key, NULL);
	}
cleanup:
	free(old);
	free(signers);
	free(registry);
	return rc;
}

/* The time of this successful exchange (meta "last_sync", RFC 3339 UTC). */
static int record_last_sync(cts_node *n, const cts_sync_result *r)
{
	char what[96];
	int rc;

	snprintf(what, sizeof(what), "{\"sent\":%d,\"received\":%d}", r->sent, r->import.accepted);
	if ((rc = cts_store_meta_set(n->store, "last_sync_summary", what)) < 0)
		return rc;
	time_t t = (time_t)(n->store->clock(n->store->clock_ctx) / 1000);
	char when[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return cts_store_meta_set(n->store, "last_sync", when);
}

int cts_sync_last(cts_node *n, char **out)
{
	return cts_store_meta_get(n->store, "last_sync", out);
}

/* Authority: sign, as an ordinary op of its own chain, the heads it has
 * accepted (a checkpoint), then seal that. */
static int sign_checkpoints(cts_node *n, const cts_key *key, cts_sync_result *r)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row;
	size_t i;
	int rc;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = cts_store_stmt(n->store, &s,
				 "SELECT c.node, c.seq, c.id FROM changeset c WHERE c.node <> ?1 AND c.seq ="
				 " (SELECT max(seq) FROM changeset WHERE node = c.node) AND NOT EXISTS"
				 " (SELECT 1 FROM checkpoint k WHERE k.node = c.node AND k.seq = c.seq AND k.changeset = c.id)"
				 " ORDER BY c.node")) == 0) {
		sqlite3_bind_text(s, 1, n->id, -1, SQLITE_STATIC);
		rc = cts_store_rows_json(n->store, s, &rows);
	}
	json_array_foreach(rows, i, row) {
		char rid[37], name[96];
		json_t *set;
		if (rc < 0)
			break;
		snprintf(name, sizeof(name), "checkpoint:%s", json_string_value(json_object_get(row, "node")));
		cts_record_derived_id(rid, name);
		set = json_pack("{s:O, s:O, s:O}", "node", json_object_get(row, "node"), "seq", json_object_get(row, "seq"),
				"changeset", json_object_get(row, "id"));
		rc = cts_record_put(n->store, "checkpoint", rid, set);
		json_decref(set);
		r->checkpointed++;
	}
	json_decref(rows);
	if (rc == 0)
		rc = cts_store_commit(n->store);
	else
		cts_store_rollback(n->store);
	return rc < 0 ? rc : cts_journal_seal(n, key, NULL);
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
	} else if (n->authority_key && cts_store_meta_get(n->store, "authority_node", &auth) == 0 && strcmp(auth, node) == 0) {
		rc = cts_key_parse_public_line(pk, n->authority_key) == 0 ? 0 : -1;
	}
	free(auth);
	cts_error_clear();
	return rc;
}

static void commit_evidence(const char *kind, const char *detail, void *vctx)
{
	evidence_ctx *e = vctx;

	finding(e->r, kind, e->node, 0, detail);
}

/* The commits a node branch gained since the last check (meta
 * commits_checked:<node>): signed by the node's key, adding nothing
 * outside its folder. Each commit is reported once. */
static int check_commits(const char *ref, const git_oid *tip, void *vctx)
{
	refs_ctx *c = vctx;
	const char *node = ref + strlen("refs/remotes/origin/nodes/");
	char key[128], hex[GIT_OID_HEXSZ + 1], *seen = NULL;
	evidence_ctx e = { c->n, c->r, "", node };
	cts_branchcheck_cb cb = { node_of_key, commit_evidence, &e };
	unsigned char pk[32];
	git_object *obj = NULL;
	git_oid since;
	int rc, has_since;

	if (!cts_valid_node_id(node) || strcmp(node, c->n->id) == 0 || branch_key(c->n, node, pk) < 0)
		return 0;
	snprintf(key, sizeof(key), "commits_checked:%s", node);
	git_oid_tostr(hex, sizeof(hex), tip);
	has_since = cts_store_meta_get(c->n->store, key, &seen) == 0 && git_oid_fromstr(&since, seen) == 0 &&
		    git_object_lookup(&obj, cts_gitrepo_raw(c->repo), &since, GIT_OBJECT_COMMIT) == 0;
	git_object_free(obj);
	git_error_clear();
	cts_error_clear();
	if (seen && strcmp(seen, hex) == 0) {
		free(seen);
		return 0;
	}
	free(seen);
	if ((rc = cts_branchcheck_commits(c->repo, node, tip, has_since ? &since : NULL, pk, &cb)) < 0) {
		finding(c->r, "unreadable_history", node, 0, cts_error_message());
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
static int check_deleted(cts_node *n, cts_gitrepo *repo, cts_sync_result *r)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row;
	size_t i;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "SELECT substr(key, 13) AS node, value FROM meta WHERE key LIKE 'branch_head:%'"
					       " ORDER BY key")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row) {
		const char *node = json_string_value(json_object_get(row, "node"));
		char ref[160], msg[300];
		git_oid oid;
		if (!node || !cts_valid_node_id(node))
			continue;
		snprintf(ref, sizeof(ref), "refs/remotes/origin/nodes/%s", node);
		if (cts_gitrepo_ref_oid(repo, ref, &oid) == 0)
			continue;
		cts_error_clear();
		snprintf(msg, sizeof(msg),
			 "la branche nodes/%s a disparu du dépôt régional (elle portait le commit %.12s) : une branche de nœud "
			 "ne fait que grandir",
			 node, json_string_value(json_object_get(row, "value")));
		finding(r, "branch_deleted", node, 0, msg);
	}
	json_decref(rows);
	return 0;
}

/* Has this node ever fetched from the local path `remote`? (meta remote_reached; a node
 * of an earlier version: its remembered remote once it synced or pushed.) */
static int remote_reached(cts_node *n, const char *remote)
{
	char *v = NULL;
	int yes;

	if (meta_is(n, "remote_reached", remote))
		return 1;
	yes = n->remote && strcmp(remote, n->remote) == 0 &&
	      (cts_store_meta_get(n->store, "last_sync", &v) == 0 || cts_store_meta_get(n->store, "pushed_seq", &v) == 0);
	free(v);
	cts_error_clear();
	return yes;
}

/* The remote answered: remember it (--remote) and that it was reached. */
static int remember_remote(cts_node *n, const char *url)
{
	const char *remote = url ? url : n->remote;
	int rc;

	if (url && (!n->remote || strcmp(url, n->remote) != 0) && (rc = cts_node_set_remote(n, url)) < 0)
		return rc;
	return meta_is(n, "remote_reached", remote) ? 0 : cts_store_meta_set(n->store, "remote_reached", remote);
}

/* Before anything was accepted from the authority: the region branch must
 * be signed by the key pinned at `init`. Otherwise every changeset of the
 * region waits "not enrolled" for ever: say the real cause once. */
static int check_pinned_authority(cts_node *n, cts_gitrepo *repo)
{
	unsigned char pinned[32], signer[32];
	char *line = NULL;
	git_oid tip;
	int rc;

	if (n->role == CTS_ROLE_AUTHORITY || !n->authority_key || cts_key_parse_public_line(pinned, n->authority_key) < 0)
		return 0;
	if (cts_gitrepo_ref_oid(repo, "refs/remotes/origin/region", &tip) < 0) {
		cts_error_clear();
		return 0; /* no region branch yet */
	}
	{
		char *known = NULL;
		rc = cts_registry_authority(n, &known);
		free(known);
		if (rc != CTS_ENOTFOUND)
			return rc; /* 0: the authority was recognised once, its key is settled */
	}
	/* Signed by another key: the pinned one is wrong. Unsigned or badly
	 * signed (a commit someone else put there) is the incidents' business. */
	rc = cts_commit_signer(repo, &tip, signer);
	cts_error_clear();
	if (rc != 0 || sodium_memcmp(signer, pinned, 32) == 0)
		return 0;
	cts_key_public_line(&line, signer, NULL);
	rc = cts_error_set(CTS_EACCESS,
			   "la clé de l'autorité donnée à l'initialisation ne correspond pas au dépôt régional : la branche "
			   "region %s%s%s. Demandez la clé au coordinateur régional (« ctsnode key show » sur le nœud "
			   "régional), vérifiez-la, puis corrigez ce poste : ctsnode rebuild --authority-key \"ssh-ed25519 "
			   "AAAA...\" et relancez ctsnode sync. Rien n'a été importé ; vos saisies sont gardées",
			   line ? "est signée par une autre clé : " : "n'est pas signée", line ? line : "",
			   line ? "" : " par cette clé");
	free(line);
	return rc;
}

/* What can be checked and imported once the remote has been fetched. */
static int after_fetch(cts_node *n, cts_gitrepo *repo, const cts_key *key, cts_sync_result *r, int region)
{
	char own[96];
	refs_ctx c = { n, repo, r, 0 };
	int rc;

	snprintf(own, sizeof(own), "nodes/%s", n->id);
	remote_foreign(n, repo, own, r);
	if (region)
		remote_foreign(n, repo, "region", r);
	if ((rc = check_pinned_authority(n, repo)) < 0 || (rc = check_deleted(n, repo, r)) < 0 ||
	    (rc = import_all(n, repo, r)) < 0)
		return rc;
	/* Forks this node recorded are published with this sync. */
	if (!region && r->import.evidence > 0 && (rc = cts_journal_seal(n, key, NULL)) < 0)
		return rc;
	if ((rc = cts_gitrepo_refs_foreach(repo, "refs/remotes/origin/nodes/*", check_commits, &c)) < 0 || c.rc < 0)
		return c.rc < 0 ? c.rc : rc;
	return region ? sign_checkpoints(n, key, r) : 0;
}

static int sync_common(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r, int region)
{
	cts_gitrepo *repo = NULL;
	char offline[1024] = "";
	int rc, fetch_rc, reached;

	void (*progress)(size_t, size_t, void *) = r->import.progress;
	void *progress_ctx = r->import.progress_ctx;

	memset(r, 0, sizeof(*r));
	r->import.progress = progress;
	r->import.progress_ctx = progress_ctx;
	/* Only the authority creates the regional repository, and only when
	 * told where: a missing path on a territory laptop is an unplugged
	 * USB stick, i.e. offline. */
	if (region && url && (rc = cts_sync_create_remote(url)) < 0)
		return rc;
	if ((rc = open_repo(n, url, &repo)) < 0)
		return rc;
	r->import.published = branch_published;
	r->import.published_ctx = repo;
	reached = remote_reached(n, url ? url : n->remote);
	fetch_rc = cts_gitrepo_fetch(repo);
	/* A remote never reached is a setting to correct (a typo, a folder that
	 * is not a repository), not an absence: said as such, not remembered. */
	if (fetch_rc == CTS_ENET && !reached && local_path_of(url ? url : n->remote)) {
		snprintf(offline, sizeof(offline), "%s", cts_error_message());
		rc = cts_error_set(CTS_EACCESS,
				   "le dépôt régional « %.300s » n'a jamais pu être atteint depuis ce poste (%.400s). Vérifiez "
				   "l'adresse donnée à --remote (un dépôt git : chemin de la clé USB branchée, file://, ssh://, "
				   "https://) ; elle n'a pas été retenue. Vos saisies sont gardées sur ce poste",
				   url ? url : n->remote, offline);
		goto out;
	}
	if (fetch_rc == 0 && (rc = remember_remote(n, url)) < 0)
		goto out;
	/* Why the remote is out of reach (proxy, timeout...), said at the end. */
	if (fetch_rc == CTS_ENET)
		snprintf(offline, sizeof(offline), "%s", cts_error_message());
	if (fetch_rc < 0 && fetch_rc != CTS_ENET) {
		rc = fetch_rc;
		goto out;
	}
	if (fetch_rc == 0 && (rc = after_fetch(n, repo, key, r, region)) < 0)
		goto out;
	if ((rc = commit_own(n, repo, key, &r->committed)) < 0)
		goto out;
	if (region && (rc = publish_region(n, repo, key)) < 0)
		goto out;
	if (fetch_rc == CTS_ENET) {
		r->queued = 1;
		rc = cts_error_set(CTS_ENET, "%s ; le travail est scellé et gardé sur ce poste, il sera envoyé au prochain sync",
				   offline);
		goto out;
	}
	rc = push_refs(n, repo, region, r);
	if (rc == CTS_ENET) {
		snprintf(offline, sizeof(offline), "%s", cts_error_message());
		cts_error_set(CTS_ENET, "%s ; le travail est scellé et gardé sur ce poste, il sera envoyé au prochain sync",
			      offline);
	}
	if (rc == 0 && json_array_size(r->blocked) == 0)
		rc = record_last_sync(n, r);
	if (rc == 0)
		cts_gitrepo_maintain(repo, LOOSE_OBJECTS_THRESHOLD);
out:
	cts_gitrepo_free(repo);
	{
		/* Evidence is kept whatever became of the rest. */
		int irc = record_incidents(n, r);
		if (rc == 0 && irc < 0)
			rc = irc;
	}
	return rc;
}

int cts_sync_fetch_into(const char *home, const char *url)
{
	char path[4096], token[4096];
	cts_gitrepo *repo = NULL;
	int rc;

	if (snprintf(path, sizeof(path), "%s/repo.git", home) >= (int)sizeof(path) ||
	    snprintf(token, sizeof(token), "%s/%s", home, CTS_GITNET_TOKEN_FILE) >= (int)sizeof(token))
		return cts_error_set(CTS_EINVAL, "chemin trop long : %.200s", home);
	if ((rc = cts_gitnet_url_check(url)) < 0 || (rc = cts_git_init()) < 0)
		return rc;
	if ((rc = cts_gitrepo_open(&repo, path)) == 0 && (rc = cts_gitrepo_set_remote(repo, url)) == 0 &&
	    (rc = cts_gitrepo_set_net(repo, token, NULL)) == 0)
		rc = cts_gitrepo_fetch(repo);
	cts_gitrepo_free(repo);
	return rc;
}

int cts_sync_adopt_own_branch(cts_node *n)
{
	char local[128], remote[128], *path;
	cts_gitrepo *repo = NULL;
	git_oid tip;
	int rc;

	if (!(path = cts_node_path(n, "repo.git")))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_gitrepo_open(&repo, path);
	free(path);
	if (rc < 0)
		return rc;
	branch_ref(local, sizeof(local), n->id, 0);
	branch_ref(remote, sizeof(remote), n->id, 1);
	if (cts_gitrepo_ref_oid(repo, local, &tip) == 0 || cts_gitrepo_ref_oid(repo, remote, &tip) < 0) {
		cts_error_clear();
		rc = 0; /* already there, or nothing published */
	} else {
		rc = cts_gitrepo_ref_set(repo, local, &tip);
	}
	cts_gitrepo_free(repo);
	return rc;
}

int cts_sync_node(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r)
{
	return sync_common(n, key, url, r, n->role == CTS_ROLE_AUTHORITY);
}

int cts_sync_region_pull(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r)
{
	if (n->role != CTS_ROLE_AUTHORITY)
		return cts_error_set(CTS_EINVAL, "region pull se lance sur le nœud régional ; un territoire utilise « ctsnode sync »");
	return sync_common(n, key, url, r, 1);
}

int cts_sync_region_publish_files(cts_node *n, const cts_key *key, const char *const *paths,
				  const unsigned char *const *data, const size_t *lens, size_t count, const char *message)
{
	cts_gitrepo *repo = NULL;
	cts_git_file *files;
	cts_sync_result r = { 0 };
	int rc;

	if (n->role != CTS_ROLE_AUTHORITY)
		return cts_error_set(CTS_EINVAL, "seul le nœud régional publie sur la branche region");
	if ((rc = open_repo(n, NULL, &repo)) < 0)
		return rc;
	if (!(files = calloc(count ? count : 1, sizeof(*files)))) {
		cts_gitrepo_free(repo);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	for (size_t i = 0; i < count; i++)
		files[i] = (cts_git_file){ paths[i], data[i], lens[i] };
	rc = cts_gitrepo_fetch(repo);
	if (rc == 0 && remote_foreign(n, repo, "region", &r)) {
		rc = record_incidents(n, &r);
		if (rc == 0)
			rc = cts_error_set(CTS_EREJECT, "%s. Rien n'a été publié (incident « foreign_commit » dans ctsnode status)",
					   json_string_value(json_object_get(json_array_get(r.blocked, 0), "detail")));
	}
	if (rc == 0)
		rc = cts_gitrepo_commit_files(repo, "refs/heads/region", files, count, 1, message, n->id, "ctsnode@invalid",
					      (int64_t)(n->store->clock(n->store->clock_ctx) / 1000), git_sign, (void *)key, NULL);
	if (rc == 0)
		rc = push_refs(n, repo, 1, &r);
	free(files);
	cts_sync_result_dispose(&r);
	cts_gitrepo_free(repo);
	return rc;
}
