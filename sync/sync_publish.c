/* What a sync sends: own commits, foreign commits on our branches, push, region branch,
 * checkpoints. */
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
#include "sshsig.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

/* Commit our sealed changesets that the local branch does not have yet. */
int sync_commit_own(cts_node *n, cts_gitrepo *repo, const cts_key *key, int *committed)
{
	char ref[128];
	cts_gitoid tip;
	int64_t last_seq, have = 0;
	int rc, has_tip;

	*committed = 0;
	if ((rc = cts_store_meta_get_int(n->store, "last_seq", &last_seq, 0)) < 0)
		return rc;
	sync_branch_ref(ref, sizeof(ref), n->id, 0);
	rc = cts_gitrepo_ref_oid(repo, ref, &tip);
	if (rc < 0 && rc != CTS_ENOTFOUND)
		return rc;
	has_tip = rc == 0;
	cts_error_clear();
	if (has_tip) {
		for (int64_t s = last_seq; s >= 1; s--) {
			if ((rc = sync_tree_has(repo, &tip, n->id, s)) < 0)
				return rc;
			if (rc == 1) {
				have = s;
				break;
			}
		}
	}
	while (have < last_seq) {
		int64_t upto = have + COMMIT_MAX_CHANGESETS < last_seq
		                   ? have + COMMIT_MAX_CHANGESETS
		                   : last_seq;
		size_t count = (size_t)(upto - have) * 2, k = 0;
		cts_git_file *files = calloc(count, sizeof(*files));
		char **bufs = calloc(count, sizeof(char *)),
		     **paths = calloc(count, sizeof(char *));
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
			if ((rc = cts_history_get(n, n->id, s, &json, &jl, &sig, &sl)) < 0)
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
				snprintf(msg, sizeof(msg), "%s : changeset %lld\n", n->id,
				         (long long)upto);
			else
				snprintf(msg, sizeof(msg), "%s : changesets %lld à %lld\n", n->id,
				         (long long)have + 1, (long long)upto);
			rc = cts_gitrepo_commit_files(
			    repo, ref, files, k, 0, msg, n->id, "ctsnode@invalid",
			    (int64_t)(n->store->clock(n->store->clock_ctx) / 1000), sync_git_sign,
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

/* Branch `branch` ("nodes/<id>" or "region") is written by this node
 * only: its remote copy must be absent, or an ancestor of (or equal to)
 * the local branch. Otherwise the remote holds commits this node did not
 * write (another node's commit, a rewrite): it is not pushed this time,
 * the rest of the sync goes on, and the evidence ("foreign_commit", with
 * the first such commit) is recorded. 1 if blocked, 0 if not. */
int sync_remote_foreign(cts_node *n, cts_gitrepo *repo, const char *branch, cts_sync_result *r)
{
	char lref[160], rref[160], what[400], msg[700], hex[CTS_GITOID_HEXSZ + 1];
	sync_evidence_ctx e = { n, r, "", n->id };
	cts_branchcheck_cb cb = { sync_node_of_key, NULL, &e };
	cts_gitoid local, remote, first;
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
		first = remote;
	cts_error_clear();
	cts_branchcheck_describe(repo, &first, &cb, what, sizeof(what));
	snprintf(msg, sizeof(msg),
	         "la branche %s du dépôt régional porte le commit %s, que ce nœud n'a pas écrit : "
	         "rien n'est envoyé sur "
	         "cette branche tant qu'elle n'est pas remise en état",
	         branch, what);
	sync_finding(r, "foreign_commit", n->id, 0, msg);
	if (!r->blocked)
		r->blocked = json_array();
	cts_gitoid_hex(hex, &first);
	json_array_append_new(r->blocked, json_pack("{s:s, s:s, s:s}", "branch", branch, "commit",
	                                            hex, "detail", msg));
	return 1;
}

/* 1 if branch ("nodes/x", "region") was found blocked by this sync. */
int sync_is_blocked(const cts_sync_result *r, const char *branch)
{
	size_t i;
	json_t *b;

	json_array_foreach(r->blocked, i,
	                   b) if (strcmp(json_string_value(json_object_get(b, "branch")), branch) ==
	                          0) return 1;
	return 0;
}

/* Push our node branch and, for the authority, the region branch, except
 * a branch this sync found blocked (sync_remote_foreign). */
int sync_push_refs(cts_node *n, cts_gitrepo *repo, int with_region, cts_sync_result *r)
{
	char ref[128], own[96];
	const char *refs[2];
	cts_gitoid tip;
	int64_t last_seq, pushed_seq;
	size_t k = 0;
	int rc, own_ok;

	sync_branch_ref(ref, sizeof(ref), n->id, 0);
	snprintf(own, sizeof(own), "nodes/%s", n->id);
	own_ok = !sync_is_blocked(r, own) && cts_gitrepo_ref_oid(repo, ref, &tip) == 0;
	cts_error_clear();
	if (own_ok)
		refs[k++] = ref;
	if (with_region && !sync_is_blocked(r, "region"))
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
	return pushed_seq == last_seq ? 0
	                              : cts_store_meta_set_int(n->store, "pushed_seq", last_seq);
}

/* Region branch: allowed_signers and the readable registry, when changed. */
int sync_publish_region(cts_node *n, cts_gitrepo *repo, const cts_key *key)
{
	char *signers = NULL, *registry = NULL;
	unsigned char *old = NULL;
	size_t old_len = 0;
	cts_gitoid tip;
	int rc, has_tip, same = 0;

	if ((rc = cts_region_allowed_signers(n, &signers)) < 0 ||
	    (rc = cts_region_registry_text(n, &registry)) < 0)
		goto cleanup;
	rc = cts_gitrepo_ref_oid(repo, "refs/heads/region", &tip);
	has_tip = rc == 0;
	cts_error_clear();
	if (has_tip &&
	    cts_gitrepo_read_file(repo, &tip, "allowed_signers", 1 << 20, &old, &old_len) == 0 &&
	    old_len == strlen(signers) && memcmp(old, signers, old_len) == 0) {
		free(old);
		old = NULL;
		if (cts_gitrepo_read_file(repo, &tip, "registry.md", 1 << 20, &old, &old_len) ==
		        0 &&
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
		rc = cts_gitrepo_commit_files(
		    repo, "refs/heads/region", files, 2, 1,
		    "région : registre et allowed_signers\n", n->id, "ctsnode@invalid",
		    (int64_t)(n->store->clock(n->store->clock_ctx) / 1000), sync_git_sign,
		    (void *)key, NULL);
	}
cleanup:
	free(old);
	free(signers);
	free(registry);
	return rc;
}

/* Authority: sign, as an ordinary op of its own chain, the heads it has
 * accepted (a checkpoint), then seal that. */
int sync_sign_checkpoints(cts_node *n, const cts_key *key, cts_sync_result *r)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row;
	size_t i;
	int rc;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT c.node, c.seq, c.id FROM changeset c WHERE c.node <> ?1 AND c.seq ="
	         " (SELECT max(seq) FROM changeset WHERE node = c.node) AND NOT EXISTS"
	         " (SELECT 1 FROM checkpoint k WHERE k.node = c.node AND k.seq = c.seq AND "
	         "k.changeset = c.id)"
	         " ORDER BY c.node")) == 0) {
		sqlite3_bind_text(s, 1, n->id, -1, SQLITE_STATIC);
		rc = cts_store_rows_json(n->store, s, &rows);
	}
	json_array_foreach(rows, i, row)
	{
		char rid[37], name[96];
		json_t *set;
		if (rc < 0)
			break;
		snprintf(name, sizeof(name), "checkpoint:%s",
		         json_string_value(json_object_get(row, "node")));
		cts_record_derived_id(rid, name);
		set =
		    json_pack("{s:O, s:O, s:O}", "node", json_object_get(row, "node"), "seq",
		              json_object_get(row, "seq"), "changeset", json_object_get(row, "id"));
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

int cts_sync_region_publish_files(cts_node *n, const cts_key *key, const char *const *paths,
                                  const unsigned char *const *data, const size_t *lens,
                                  size_t count, const char *message)
{
	cts_gitrepo *repo = NULL;
	cts_git_file *files;
	cts_sync_result r = { 0 };
	int rc;

	if (n->role != CTS_ROLE_AUTHORITY)
		return cts_error_set(CTS_EINVAL,
		                     "seul le nœud régional publie sur la branche region");
	if ((rc = cts_node_machine_check(n)) < 0)
		return rc;
	if ((rc = sync_open_repo(n, NULL, &repo)) < 0)
		return rc;
	if (!(files = calloc(count ? count : 1, sizeof(*files)))) {
		cts_gitrepo_free(repo);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	for (size_t i = 0; i < count; i++)
		files[i] = (cts_git_file){ paths[i], data[i], lens[i] };
	rc = cts_gitrepo_fetch(repo);
	if (rc == 0 && sync_remote_foreign(n, repo, "region", &r)) {
		rc = sync_record_incidents(n, &r);
		if (rc == 0)
			rc = cts_error_set(CTS_EREJECT,
			                   "%s. Rien n'a été publié (incident « foreign_commit » "
			                   "dans ctsnode status)",
			                   json_string_value(json_object_get(
			                       json_array_get(r.blocked, 0), "detail")));
	}
	if (rc == 0)
		rc = cts_gitrepo_commit_files(
		    repo, "refs/heads/region", files, count, 1, message, n->id, "ctsnode@invalid",
		    (int64_t)(n->store->clock(n->store->clock_ctx) / 1000), sync_git_sign,
		    (void *)key, NULL);
	if (rc == 0)
		rc = sync_push_refs(n, repo, 1, &r);
	free(files);
	cts_sync_result_dispose(&r);
	cts_gitrepo_free(repo);
	return rc;
}
