/*
 * The libgit2 layer: a bare repository (the node's local clone, or the
 * regional repository opened by the audit), signed commits that only add
 * files, push/fetch to any remote (path, file://, git://, ssh://), and
 * bounded reading of trees and blobs. It knows nothing of changesets.
 */
#ifndef CTS_GITREPO_H
#define CTS_GITREPO_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cts_gitrepo cts_gitrepo;

/* Produce the armored SSH signature (namespace "git") of a commit
 * payload; *armored malloc'd. */
typedef int (*cts_git_sign_fn)(char **armored, size_t *armored_len, const char *payload, size_t payload_len,
			       void *ctx);

typedef struct {
	const char *path;
	const unsigned char *data;
	size_t len;
} cts_git_file;

/* git_libgit2_init once. */
int cts_git_init(void);

/* Open the bare repository at path, creating it if absent. */
int cts_gitrepo_open(cts_gitrepo **out, const char *path);
/* Open an existing repository (bare or not); nothing is created. */
int cts_gitrepo_open_existing(cts_gitrepo **out, const char *path);
void cts_gitrepo_free(cts_gitrepo *repo);
git_repository *cts_gitrepo_raw(cts_gitrepo *repo); /* borrowed */

/* Create a bare repository at path (parents too) unless one exists. */
int cts_gitrepo_create_bare(const char *path);

/* Set (create or update) the URL of remote "origin". */
int cts_gitrepo_set_remote(cts_gitrepo *repo, const char *url);

/* Append a signed commit to local branch `ref` whose tree is the tip's
 * tree plus `files`. Replacing an existing path is refused (CTS_EINVAL)
 * unless allow_replace. The ref moves by compare-and-swap from the tip it
 * started from. out_oid may be NULL. */
int cts_gitrepo_commit_files(cts_gitrepo *repo, const char *ref, const cts_git_file *files, size_t n,
			     int allow_replace, const char *message, const char *name, const char *email, int64_t when,
			     cts_git_sign_fn sign, void *sign_ctx, git_oid *out_oid);

/* Push refs ("refs/heads/x" -> same name) to origin, never forced.
 * CTS_ENET: unreachable; CTS_EREJECT: refused (non-fast-forward). */
int cts_gitrepo_push(cts_gitrepo *repo, const char *const *refs, size_t n);

/* Fetch every branch of origin into refs/remotes/origin/ (forced, with
 * prune: callers compare old and new heads). CTS_ENET: unreachable. */
int cts_gitrepo_fetch(cts_gitrepo *repo);

int cts_gitrepo_ref_oid(cts_gitrepo *repo, const char *ref, git_oid *out); /* CTS_ENOTFOUND */
int cts_gitrepo_ref_set(cts_gitrepo *repo, const char *ref, const git_oid *oid);
int cts_gitrepo_refs_foreach(cts_gitrepo *repo, const char *glob,
			     int (*cb)(const char *ref, const git_oid *oid, void *ctx), void *ctx);

/* 1 if ancestor is an ancestor of (or equal to) descendant, else 0. */
int cts_gitrepo_is_ancestor(cts_gitrepo *repo, const git_oid *ancestor, const git_oid *descendant);

/* The blob at `path` in commit's tree. Refuses non-blobs, symlinks and
 * blobs over max_size (CTS_ELIMIT). CTS_ENOTFOUND if absent. *data malloc'd. */
int cts_gitrepo_read_file(cts_gitrepo *repo, const git_oid *commit, const char *path, size_t max_size,
			  unsigned char **data, size_t *len);

/* Entries of directory `dir` in commit's tree, in name order. Entry names
 * are validated (no '/', NUL, "." or "..", at most 255 bytes): a bad name
 * refuses the walk (CTS_EINVAL). At most max_entries (CTS_ELIMIT). A
 * missing dir has no entries. The callback stops the walk by returning
 * nonzero. */
int cts_gitrepo_list_dir(cts_gitrepo *repo, const git_oid *commit, const char *dir, size_t max_entries,
			 int (*cb)(const char *name, const git_oid *oid, size_t size, unsigned filemode, void *ctx),
			 void *ctx);

/* Commits from tip back to (excluding) stop (NULL: root), oldest first. */
int cts_gitrepo_walk(cts_gitrepo *repo, const git_oid *tip, const git_oid *stop, size_t max_commits,
		     int (*cb)(const git_oid *commit, void *ctx), void *ctx);

/* Raw commit object bytes as git stores them. *data malloc'd. */
int cts_gitrepo_commit_raw(cts_gitrepo *repo, const git_oid *commit, char **data, size_t *len);

/* Pack all reachable objects and drop loose ones when there are more
 * than `threshold` loose objects. */
int cts_gitrepo_maintain(cts_gitrepo *repo, size_t threshold);

#endif
