/*
 * Private to the sync module (sync.c and the files split from it):
 *   sync.c          the exchange: open the clone, fetch, after-fetch checks, push, remotes
 *   sync_import.c   what is fetched: branch checks, offering changesets to the importer,
 *                   commit signatures, deleted branches
 *   sync_publish.c  what is sent: own commits, foreign commits on our branches, push,
 *                   region branch, checkpoints, published files
 *   sync_scope.c    what a territory's device fetches: its territory, the authority, region
 *   sync_recovery.c a node on a new machine: init --from-key, a copied node folder adopted
 */
#ifndef CTS_SYNC_IMPL_H
#define CTS_SYNC_IMPL_H

#include "gitrepo.h"
#include "sync.h"

#define COMMIT_MAX_CHANGESETS 500
#define LOOSE_OBJECTS_THRESHOLD 2000
/* Objects read between two releases of libgit2's state of the repository
 * (cts_gitrepo_release_every): each pack keeps a delta-base cache of up to
 * 16 MiB, and a region's first pull from a folder reads as many packs as
 * the folder has. Not more often: the release also drops the parsed tree
 * of the directory the import reads file by file. */
#define SYNC_GIT_RELEASE_EVERY 2048

/* Evidence seen on the repository: kept in r->findings (printed by the
 * CLI) and recorded as incidents at the end of the sync. */
void sync_finding(cts_sync_result *r, const char *kind, const char *node, int64_t seq,
                  const char *reason);
/* Every finding of r becomes an incident. */
int sync_record_incidents(cts_node *n, const cts_sync_result *r);
/* cts_git_sign_fn with ctx = the node's cts_key. */
int sync_git_sign(char **armored, size_t *len, const char *payload, size_t plen, void *ctx);
/* HOME/repo.git with origin = url (else the node's remote) and the node's
 * network settings. *repo: cts_gitrepo_free. */
int sync_open_repo(cts_node *n, const char *url, cts_gitrepo **repo);
/* "refs/heads/nodes/<node>" or, remote = 1, "refs/remotes/origin/nodes/<node>". */
void sync_branch_ref(char *buf, size_t size, const char *node, int remote);
/* 1 if changeset (node, seq) is in commit's tree, 0 if not, or an error. */
int sync_tree_has(cts_gitrepo *repo, const cts_gitoid *commit, const char *node, int64_t seq);
/* 1 if meta `key` holds exactly `value` (NULL: 0). */
int sync_meta_is(cts_node *n, const char *key, const char *value);

/* Context of the evidence callbacks (cts_branchcheck_cb). */
typedef struct {
	cts_node *n;
	cts_sync_result *r;
	char name[65];
	const char *node; /* the branch's node, for commit evidence */
} sync_evidence_ctx;
/* The node enrolled with key pk (registry), for messages; ctx a sync_evidence_ctx. */
const char *sync_node_of_key(const unsigned char pk[32], void *vctx);

typedef struct {
	cts_node *n;
	cts_gitrepo *repo;
	cts_sync_result *r;
	int rc;
} sync_refs_ctx;

/* sync_import.c */
/* Is node's branch looked at here? 0 for a branch of another territory a
 * territory's device holds from before (cts_scope_excludes_node), else 1;
 * or an error. */
int sync_reads(cts_node *n, const char *node);
int sync_branch_published(const char *node, int64_t seq, void *ctx);
int sync_import_all(cts_node *n, cts_gitrepo *repo, cts_sync_result *r);
/* The same for the fetched node branches matching glob. */
int sync_import_refs(cts_node *n, cts_gitrepo *repo, cts_sync_result *r, const char *glob);
/* cts_gitrepo_refs_foreach callback over node branches; ctx a sync_refs_ctx. */
int sync_check_commits(const char *ref, const cts_gitoid *tip, void *vctx);
int sync_check_deleted(cts_node *n, cts_gitrepo *repo, cts_sync_result *r);

/* sync_scope.c: what a territory's device fetches (src/scope.h). */
typedef struct {
	cts_node *n;
	char pinned[65];   /* node of the pinned authority key (allowed_signers), "" if unknown */
	char *fingerprint; /* cts_scope_fingerprint at the last fetch (malloc'd) */
} sync_scope;
/* Fetch the region branch and the node branches this device reads. */
int sync_scope_fetch(cts_node *n, cts_gitrepo *repo, sync_scope *w);
/* After a fetch: `check` (the pinned authority), import the authority's
 * branch (the registry) and, while what the device reads changed (the
 * authority or the registry became known), fetch again: at most three
 * fetches in all (sync_scope.c). */
/* Delete the remote-tracking refs of node branches this device does not
 * read (fetched by an earlier version or by `init --from-key`) and, when
 * there were some, compact the repository so that their objects are gone.
 * Returns how many were deleted, or a negative cts_error. */
int sync_scope_drop_unread(cts_node *n, cts_gitrepo *repo, sync_scope *w);
int sync_scope_widen(cts_node *n, cts_gitrepo *repo, cts_sync_result *r, sync_scope *w,
                     int (*check)(cts_node *, cts_gitrepo *));

/* sync_publish.c */
int sync_commit_own(cts_node *n, cts_gitrepo *repo, const cts_key *key, int *committed);
/* 1 if the remote copy of `branch` holds commits this node did not write (recorded). */
int sync_remote_foreign(cts_node *n, cts_gitrepo *repo, const char *branch, cts_sync_result *r);
int sync_is_blocked(const cts_sync_result *r, const char *branch);
int sync_push_refs(cts_node *n, cts_gitrepo *repo, int with_region, cts_sync_result *r);
int sync_publish_region(cts_node *n, cts_gitrepo *repo, const cts_key *key);
int sync_sign_checkpoints(cts_node *n, const cts_key *key, cts_sync_result *r);

#endif
