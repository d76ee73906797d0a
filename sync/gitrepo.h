/*
 * The libgit2 layer: a bare repository (the node's local clone, or the
 * regional repository opened by the audit), signed commits that only add
 * files, push/fetch to any remote (path, file://, git://, ssh://, https://), and
 * bounded reading of trees and blobs. It knows nothing of changesets: it
 * moves files and refs. Nothing is ever checked out.
 *
 * SSH transport (ssh://user@host:port/path or user@host:path):
 *  - client key, in order: $CTSNODE_SSH_KEY (private key file, public key
 *    at the same path + ".pub"), else the ssh-agent ($SSH_AUTH_SOCK), else
 *    ~/.ssh/id_ed25519; at most 3 authentication attempts per connection;
 *  - host key: must be listed for the host (and port) in the file named by
 *    $CTSNODE_SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts (OpenSSH format:
 *    "host", "[host]:port", comma lists, '*'/'?' patterns, '!' negation,
 *    hashed "|1|salt|hash" entries, @revoked; @cert-authority lines are
 *    ignored). An unknown or changed host key is refused (CTS_EGIT).
 *
 * HTTPS transport (https://host/path, GitLab, Gitea...; sync/gitnet.h):
 *  - a token sent as HTTP basic authentication, once per connection (asked
 *    again, the server refused it), only over https:// and only to the
 *    remote's host (redirections to another host are refused); never in
 *    the URL (refused by cts_gitrepo_set_remote), a message or a log;
 *  - the proxy of cts_gitrepo_set_net(), else the environment's;
 *  - the certificate must verify against the system's CA store plus
 *    $CTSNODE_CA_FILE; an invalid one is refused with its subject,
 *    issuer and SHA-256 fingerprint.
 *
 * Network remotes (not paths or file://) are watched: an exchange that
 * makes no progress for cts_gitnet_timeout_seconds() is abandoned.
 *
 * Error codes of the transport functions: CTS_ENET when the remote cannot
 * be reached (connection refused, unknown host name, proxy unreachable,
 * missing path or repository, connection lost, no progress for the
 * timeout): the caller keeps the work locally; CTS_EREJECT when the
 * remote refuses an update (non-fast-forward, hook); CTS_EACCESS for
 * refused host keys or certificates, refused or missing tokens and failed
 * SSH authentication (a setting to fix: retrying will not help); CTS_EGIT
 * for anything else.
 */
#ifndef CTS_GITREPO_H
#define CTS_GITREPO_H

#include "gitoid.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cts_gitrepo cts_gitrepo;

/* Produce the armored SSH signature (namespace "git") of a commit
 * payload, as `ssh-keygen -Y sign -n git` writes it; *armored malloc'd
 * (freed by the caller with free()). Returns 0 or a negative cts_error
 * after cts_error_set(). */
typedef int (*cts_git_sign_fn)(char **armored, size_t *armored_len, const char *payload,
                               size_t payload_len, void *ctx);

/* One file to add: `path` relative to the tree root, components separated
 * by '/' (no empty, ".", ".." or ".git" component). Borrowed. */
typedef struct {
	const char *path;
	const unsigned char *data;
	size_t len;
} cts_git_file;

/* File modes of tree entries, as git stores them. */
#define CTS_GIT_MODE_TREE 0040000u
#define CTS_GIT_MODE_BLOB 0100644u
#define CTS_GIT_MODE_EXEC 0100755u   /* an executable file */
#define CTS_GIT_MODE_LINK 0120000u   /* a symbolic link */
#define CTS_GIT_MODE_COMMIT 0160000u /* a submodule */

/* Largest commit object cts_gitrepo_commit_raw() returns (CTS_ELIMIT). */
#define CTS_GIT_COMMIT_MAX ((size_t)1 << 20)

/* Initialise libgit2 once per process (later calls do nothing). Also:
 * owner validation off (a regional repository on a USB stick or copied for
 * an audit is often owned by another user; libgit2 runs no hook or command
 * from a repository's config), fsync of objects and refs on (a USB stick
 * may be pulled out right after a sync). */
int cts_git_init(void);

/* libgit2's object cache, process-wide (every repository and thread of the
 * process shares it). CTS_GIT_CACHE_SYNC, set by cts_git_init(): a sync
 * reads a node's directory of changesets (one big tree) again for every
 * file taken from it, so trees up to 8 MiB are kept, 24 MiB in all.
 * CTS_GIT_CACHE_SCAN: no cache; a reader that visits each commit once
 * (the audit) gains nothing from one and its memory stays flat. */
typedef enum { CTS_GIT_CACHE_SYNC, CTS_GIT_CACHE_SCAN } cts_git_cache_profile;

/* Initialise libgit2 if needed and set its object cache to profile p. A
 * process that also syncs (the web interface) sets CTS_GIT_CACHE_SYNC back
 * afterwards; a sync running meanwhile only goes slower. */
int cts_gitrepo_set_cache_profile(cts_git_cache_profile p);

/* From now on, every `reads` objects read from repo (0: never, the
 * default), if this process's resident memory is over `above` bytes (0:
 * whatever it is), libgit2's state of the repository is dropped and opened
 * again when next needed: its parsed objects, and above all its object
 * database with the pack indexes it maps whole, its pack windows and one
 * delta-base cache of up to 16 MiB per pack. A reader that visits each
 * object once (the audit) then stays flat in memory at any history size.
 * Only for a repository that one thread reads. Test hook:
 * CTSNODE_TEST_GIT_RELEASE_EVERY replaces a nonzero `reads`, with no
 * memory condition. */
void cts_gitrepo_release_every(cts_gitrepo *repo, size_t reads, size_t above);

/* Open the bare repository at path, creating it (and its parents) if
 * absent. An existing path that is not an openable repository is refused,
 * never re-initialised. *out is released with cts_gitrepo_free(). */
int cts_gitrepo_open(cts_gitrepo **out, const char *path);
/* Open an existing repository (bare or with a work tree, no parent
 * search); nothing is created. CTS_ENOTFOUND if there is none at path. */
int cts_gitrepo_open_existing(cts_gitrepo **out, const char *path);
void cts_gitrepo_free(cts_gitrepo *repo); /* accepts NULL */

/* Create a bare repository at path (parents too) unless one exists. */
int cts_gitrepo_create_bare(const char *path);

/* Set (create or update) the URL of remote "origin": a local path,
 * file://, git://, ssh://user@host:port/path, https://. A URL carrying a
 * password or token is refused (CTS_EINVAL). */
int cts_gitrepo_set_remote(cts_gitrepo *repo, const char *url);

/* The URL of remote "origin": *url malloc'd (freed with free()), or NULL
 * with CTS_ENOTFOUND when there is no such remote. */
int cts_gitrepo_remote_url(cts_gitrepo *repo, char **url);

/* Network settings of this repository's exchanges (copied): the token
 * file used when an HTTPS server asks for credentials and
 * $CTSNODE_GIT_TOKEN is not set (NULL: none), and the proxy setting
 * ("direct", a URL, or NULL/"auto" for the environment; checked with
 * cts_gitnet_proxy_check()). Without this call: no token file, the
 * environment's proxy. */
int cts_gitrepo_set_net(cts_gitrepo *repo, const char *token_file, const char *proxy);

/* Append a signed commit to local branch `ref` (e.g.
 * "refs/heads/nodes/rouen-1") whose tree is the tip's tree plus `files`
 * (parent directories created as needed). A path that already exists is
 * refused (CTS_EINVAL, nothing written to the ref) unless allow_replace;
 * a directory is never replaced; the same path twice is refused.
 * author = committer = name <email> at `when` (Unix seconds, UTC). The
 * commit carries a "gpgsig" header with the signature sign() makes of the
 * commit payload, so that `git verify-commit` accepts it.
 * The ref moves by compare-and-swap from the tip the commit was built on:
 * if another writer moved (or created) it meanwhile, CTS_EBUSY and the ref
 * keeps the other writer's value. out_oid (may be NULL) gets the commit. */
int cts_gitrepo_commit_files(cts_gitrepo *repo, const char *ref, const cts_git_file *files,
                             size_t n, int allow_replace, const char *message, const char *name,
                             const char *email, int64_t when, cts_git_sign_fn sign, void *sign_ctx,
                             cts_gitoid *out_oid);

/* Push local refs ("refs/heads/x" -> same name on origin), never forced.
 * Before sending, each remote ref must be absent or an ancestor of ours
 * (else CTS_EREJECT naming the ref); the remote's per-ref status is
 * checked, and afterwards the remote refs are read back: a ref that did
 * not land is CTS_EREJECT. Remote-tracking refs refs/remotes/origin/...
 * follow a successful push. Local refs are never changed. When the
 * remote already has every ref at our commit, nothing is sent (no empty
 * pack, no remote ref lock) and it is a success. */
int cts_gitrepo_push(cts_gitrepo *repo, const char *const *refs, size_t n);

/* Fetch every branch refs/heads/B of origin into refs/remotes/origin/B
 * (forced refspec "+refs/heads/STAR:refs/remotes/origin/STAR": callers
 * compare old and new heads to detect rewrites) and prune the ones the
 * remote deleted. No tags. When the remote-tracking refs already match
 * the advertised branches exactly (same commits, present here, nothing to
 * prune), nothing is negotiated nor written. */
int cts_gitrepo_fetch(cts_gitrepo *repo);
/* The same, limited to the branches B (name after refs/heads/) for which
 * want(B, ctx) returns 1 (0: not fetched; negative: a cts_error, returned):
 * one forced refspec per wanted branch, and only the remote-tracking refs
 * of wanted branches the remote no longer has are pruned (those of other
 * branches are left as they are). Nothing is negotiated when every wanted
 * branch is tracked here at the advertised commit. */
int cts_gitrepo_fetch_only(cts_gitrepo *repo, int (*want)(const char *branch, void *ctx),
                           void *ctx);

/* Resolve a ref (direct or symbolic) to its oid; CTS_ENOTFOUND if absent. */
int cts_gitrepo_ref_oid(cts_gitrepo *repo, const char *ref, cts_gitoid *out);
/* Create or move a ref to oid unconditionally (the object must exist). */
int cts_gitrepo_ref_set(cts_gitrepo *repo, const char *ref, const cts_gitoid *oid);
/* Delete ref (a valid name); 0 also when there was none. */
int cts_gitrepo_ref_delete(cts_gitrepo *repo, const char *ref);
/* Refs matching a glob (e.g. "refs/remotes/origin/nodes/" followed by
 * '*'; '*' also matches '/'), each with the oid it points to (symbolic refs are
 * skipped). cb's nonzero return stops the walk: a negative value is
 * returned as is, a positive one makes the walk return 0. */
int cts_gitrepo_refs_foreach(cts_gitrepo *repo, const char *glob,
                             int (*cb)(const char *ref, const cts_gitoid *oid, void *ctx),
                             void *ctx);

/* 1 if oid names a commit present in the repository, else 0. */
int cts_gitrepo_has_commit(cts_gitrepo *repo, const cts_gitoid *oid);

/* 1 if ancestor is an ancestor of (or equal to) descendant, else 0
 * (also 0 when either commit is missing or unreadable). */
int cts_gitrepo_is_ancestor(cts_gitrepo *repo, const cts_gitoid *ancestor,
                            const cts_gitoid *descendant);

/* The blob at `path` in commit's tree. Refuses (CTS_EINVAL) trees,
 * symlinks and submodules; CTS_ELIMIT if larger than max_size (checked
 * before loading); CTS_ENOTFOUND if absent. *data is malloc'd with a
 * trailing NUL not counted in *len. */
int cts_gitrepo_read_file(cts_gitrepo *repo, const cts_gitoid *commit, const char *path,
                          size_t max_size, unsigned char **data, size_t *len);

/* Entries of directory `dir` ("" or NULL: the root) in commit's tree, not
 * recursive, in git's tree order (byte order of names for files). Every
 * entry name is checked first (no '/', not empty, "." or "..", at most
 * 255 bytes): a bad name refuses the whole walk (CTS_EINVAL naming it),
 * before any callback. More than max_entries entries: CTS_ELIMIT. A
 * missing dir has no entries (returns 0); a dir that is a file is
 * CTS_EINVAL. Each entry comes with its oid, filemode (CTS_GIT_MODE_*;
 * callers refuse what they do not expect) and size (blobs; 0 otherwise).
 * cb's nonzero return stops the walk as for cts_gitrepo_refs_foreach(). */
int cts_gitrepo_list_dir(cts_gitrepo *repo, const cts_gitoid *commit, const char *dir,
                         size_t max_entries,
                         int (*cb)(const char *name, const cts_gitoid *oid, size_t size,
                                   unsigned filemode, void *ctx),
                         void *ctx);

/* As cts_gitrepo_list_dir() (same name checks over every entry, same
 * bounds), except that the entries for which skip(name, ctx) returns
 * nonzero are passed over: their object is not looked at and cb is not
 * called for them. skip may be NULL. */
int cts_gitrepo_list_dir_filtered(cts_gitrepo *repo, const cts_gitoid *commit, const char *dir,
                                  size_t max_entries, int (*skip)(const char *name, void *ctx),
                                  int (*cb)(const char *name, const cts_gitoid *oid, size_t size,
                                            unsigned filemode, void *ctx),
                                  void *ctx);

/* Commits reachable from tip and not from stop (NULL: down to the root),
 * oldest first (parents before children). More than max_commits:
 * CTS_ELIMIT before any callback. cb's nonzero return stops the walk as
 * for cts_gitrepo_refs_foreach(). */
int cts_gitrepo_walk(cts_gitrepo *repo, const cts_gitoid *tip, const cts_gitoid *stop,
                     size_t max_commits, int (*cb)(const cts_gitoid *commit, void *ctx), void *ctx);

/* Raw commit object bytes as git stores them (headers, gpgsig included,
 * then the message), for signature checks. At most CTS_GIT_COMMIT_MAX
 * bytes (CTS_ELIMIT). *data malloc'd with a trailing NUL not counted. */
int cts_gitrepo_commit_raw(cts_gitrepo *repo, const cts_gitoid *commit, char **data, size_t *len);

/* What an object is (cts_gitrepo_object_size, tree entries). */
enum { CTS_GIT_KIND_OTHER, CTS_GIT_KIND_COMMIT, CTS_GIT_KIND_TREE, CTS_GIT_KIND_BLOB };

/* Size in bytes and kind (CTS_GIT_KIND_*) of an object, read from its
 * header without loading it. CTS_EGIT if it is missing or unreadable. */
int cts_gitrepo_object_size(cts_gitrepo *repo, const cts_gitoid *oid, size_t *size, int *kind);

/* The bytes of blob oid, refused (CTS_ELIMIT) when larger than max_size:
 * known_size is its size when the caller already read it (a listing, its
 * header), else NULL and the header is read first, so that nothing larger
 * is loaded. CTS_EINVAL if oid is not a readable blob. *data malloc'd with
 * a trailing NUL not counted in *len (freed with free()). */
int cts_gitrepo_read_blob(cts_gitrepo *repo, const cts_gitoid *oid, const size_t *known_size,
                          size_t max_size, unsigned char **data, size_t *len);

/* A commit's tree and first parent. */
typedef struct {
	cts_gitoid tree;
	cts_gitoid parent; /* the first parent; zero when nparents == 0 */
	unsigned nparents;
} cts_gitcommit;

/* Read commit oid's header into *out. CTS_EGIT (with libgit2's message)
 * when the commit is missing or unreadable. */
int cts_gitrepo_commit_info(cts_gitrepo *repo, const cts_gitoid *oid, cts_gitcommit *out);

/* A tree entry: its object, mode as git stores it (CTS_GIT_MODE_*, not
 * checked) and the kind of object the mode names (CTS_GIT_KIND_*). */
typedef struct {
	cts_gitoid oid;
	unsigned mode;
	int kind;
} cts_gitentry;

/* The entry at `path` (components separated by '/') in commit's tree.
 * CTS_ENOTFOUND if absent; CTS_EGIT if the commit or a tree on the way is
 * unreadable. No name check, no size check: callers bound what they read. */
int cts_gitrepo_entry(cts_gitrepo *repo, const cts_gitoid *commit, const char *path,
                      cts_gitentry *out);

/* Every entry of tree object `tree`, in git's order, names unchecked
 * (borrowed for the call). CTS_EGIT if the tree is unreadable. cb's
 * nonzero return stops the walk as for cts_gitrepo_refs_foreach(). */
int cts_gitrepo_tree_foreach(cts_gitrepo *repo, const cts_gitoid *tree,
                             int (*cb)(const char *name, const cts_gitentry *e, void *ctx),
                             void *ctx);

/* ---- tree differences (gitrepo_diff.c) ---- */

/* What cts_gitrepo_diff_trees() reports, one event at a time. */
enum {
	CTS_GITDIFF_ADD,        /* a file (not a tree) appears: new */
	CTS_GITDIFF_DEL,        /* a file disappears: old */
	CTS_GITDIFF_MOD,        /* a path changes content or mode, not two trees: old, new */
	CTS_GITDIFF_TOO_DEEP,   /* a tree deeper than max_depth is not entered */
	CTS_GITDIFF_UNREADABLE, /* a tree cannot be read: not entered */
	CTS_GITDIFF_LONG_NAME,  /* an entry whose path would exceed CTS_GITDIFF_PATH_MAX - 1
	                         * bytes is skipped; path is its directory */
	CTS_GITDIFF_TOO_MANY,   /* a directory (path; "" for the root) has more than
	                         * max_entries entries on one side: the diff stops */
};
#define CTS_GITDIFF_PATH_MAX 1024

typedef struct {
	int what;         /* CTS_GITDIFF_* */
	const char *path; /* from the root, '/'-separated; borrowed for the call */
	cts_gitentry old; /* DEL, MOD */
	cts_gitentry new; /* ADD, MOD */
} cts_gitdiff;

/* Compare tree `old` (NULL: the empty tree) with tree `new`, recursively,
 * in git's tree order, and call cb for every event above: a whole
 * directory appearing or disappearing is reported file by file; two
 * trees at one path are compared inside. Trees deeper than max_depth
 * levels below the root are not entered (CTS_GITDIFF_TOO_DEEP). cb's
 * nonzero return stops the diff (a negative one is returned). Returns 0,
 * or CTS_EGIT if old or new cannot be read (before any event). */
int cts_gitrepo_diff_trees(cts_gitrepo *repo, const cts_gitoid *old, const cts_gitoid *new,
                           int max_depth, size_t max_entries,
                           int (*cb)(const cts_gitdiff *d, void *ctx), void *ctx);

/* When there are more than `threshold` loose objects: write every object
 * reachable from refs/ into one new pack, delete the older packs (except
 * .keep ones), the loose objects now packed and the unreachable loose
 * objects older than one hour, then reopen the repository. A single
 * writer is assumed (the node lock). */
int cts_gitrepo_maintain(cts_gitrepo *repo, size_t threshold);
/* The same whatever the number of loose objects: after refs were deleted,
 * the objects only they reached are gone afterwards. */
int cts_gitrepo_compact(cts_gitrepo *repo);

/* Number of loose objects (for tests and status). */
size_t cts_gitrepo_loose_count(cts_gitrepo *repo);

#endif
