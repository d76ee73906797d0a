/* Private to the git layer (sync/gitrepo*.c): the repository handle, the
 * state of one exchange's callbacks and the helpers the gitrepo files
 * share. Not a public header: only sync/gitrepo*.c include it (with
 * <git2.h>, which no public header includes). */
#ifndef CTS_GITREPO_IMPL_H
#define CTS_GITREPO_IMPL_H

#include "gitrepo.h"

#include "crashpoint.h"
#include "error.h"
#include "gitnet.h"
#include "gitnet_cert.h"
#include "gitnet_watch.h"
#include "known_hosts.h"

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cts_gitrepo {
	git_repository *repo;
	char *path;
	int bare_only;           /* opened with git_repository_open_bare */
	cts_gitnet_settings net; /* cts_gitrepo_set_net() */
	size_t release_every;    /* cts_gitrepo_release_every(): reads */
	size_t release_above;    /* and resident bytes */
	size_t reads;            /* object reads since the last check */
};

/* The refspec of remote "origin" (set_remote, fetch). */
#define ORIGIN_FETCHSPEC "+refs/heads/*:refs/remotes/origin/*"
/* Unreachable loose objects younger than this are kept by maintain(). */
#define LOOSE_GRACE_SECONDS 3600
/* Authentication attempts per SSH connection. */
#define SSH_MAX_TRIES 3

/* The state of one exchange's callbacks (gitrepo_callbacks.c). */
typedef struct {
	const char *url;         /* of the remote: gives the port for host keys */
	cts_gitrepo *repo;       /* its token settings */
	cts_gitnet_watch *watch; /* no-progress watchdog (network remotes) */
	int cred_step;           /* next credential source to try */
	int cred_tries;          /* credentials handed out on this connection */
	int auth_failed;         /* all credential sources were refused */
	int token_sent;          /* the HTTPS token was handed out on this connection */
	int access_rc;           /* a cts_error for access_msg (HTTPS credentials) */
	char tried[600];         /* what was tried, for the error message */
	char cert_msg[1400];     /* why the host key or certificate was refused */
	char access_msg[1400];   /* why no credential was given */
	char rejected[600];      /* first ref the remote refused, with its status */
	char proxy[600];         /* proxy of the exchange, for messages ("" if none) */
} cts_gitcb;

/* cts_gitoid and libgit2's git_oid are the same 20 bytes: the git layer
 * hands its callers' ids to libgit2 and back through these. */
_Static_assert(sizeof(git_oid) == sizeof(cts_gitoid) && GIT_OID_RAWSZ == CTS_GITOID_RAWSZ,
               "cts_gitoid and git_oid differ");
static inline const git_oid *cts_git_oid(const cts_gitoid *o)
{
	return (const git_oid *)(const void *)o;
}
static inline git_oid *cts_git_oid_w(cts_gitoid *o)
{
	return (git_oid *)(void *)o;
}
static inline const cts_gitoid *cts_gitoid_of(const git_oid *g)
{
	return (const cts_gitoid *)(const void *)g;
}
_Static_assert(GIT_FILEMODE_TREE == CTS_GIT_MODE_TREE && GIT_FILEMODE_BLOB == CTS_GIT_MODE_BLOB &&
                   GIT_FILEMODE_BLOB_EXECUTABLE == CTS_GIT_MODE_EXEC &&
                   GIT_FILEMODE_LINK == CTS_GIT_MODE_LINK &&
                   GIT_FILEMODE_COMMIT == CTS_GIT_MODE_COMMIT,
               "git file modes differ");

/* The libgit2 handle, for the sync/ files that still read git through
 * libgit2 themselves (branchcheck.c...). Borrowed; invalidated by
 * cts_gitrepo_maintain(). Nothing above sync/ may use it. */
git_repository *cts_gitrepo_raw(cts_gitrepo *repo);

/* gitrepo.c */
/* Translate the last libgit2 error into code, keeping its message. */
int cts_git_fail(int code, const char *what);
int cts_git_oom(void);
/* 1 if ref is a valid reference name under refs/. */
int cts_git_valid_refname(const char *ref);
/* snprintf that may truncate (messages, hints): never fails. */
void cts_git_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* gitrepo_maintain.c: the objects directory, without a trailing slash. */
int cts_gitrepo_objects_dir(cts_gitrepo *repo, char *out, size_t size);
/* gitrepo_maintain.c: an object database reading only the backend *be,
 * which libgit2 reported made with `made` (its return code: pass the call
 * that makes it, evaluated before *be is read). On failure (made < 0, or
 * the database not made) *be is freed, *out is NULL and the libgit2 error
 * is translated into CTS_EGIT with `what`. */
int cts_gitrepo_odb_of(git_odb **out, int made, git_odb_backend **be, const char *what);
/* gitrepo_seed.c: before a fetch from the folder repository at path, if
 * the folder holds more than twice the objects we have, copy its packs and
 * loose objects here (checked; see the file), as `git clone` from a local
 * path does, so that the fetch only moves the tracking branches. Before any
 * fetch (path NULL for a network remote): finish or remove what a copy
 * killed midway left. */
int cts_gitrepo_seed(cts_gitrepo *repo, const char *path);
/* Reopen the repository (after maintenance rewrote its packs). */
int cts_gitrepo_reopen(cts_gitrepo *repo);

/* gitnet.c: po initialised for that (checked) proxy setting (see
 * cts_gitnet_proxy_check()); po->url borrows proxy. */
void cts_gitnet_proxy_options(git_proxy_options *po, const char *proxy);

/* gitrepo_read.c: count one object read; at the count set by
 * cts_gitrepo_release_every(), release libgit2's state of the repository
 * if the process is over the memory set there. */
void cts_gitrepo_tick(cts_gitrepo *repo);
/* gitrepo_read.c: *out describes e. */
void cts_gitrepo_entry_of(cts_gitentry *out, const git_tree_entry *e);

/* gitrepo_callbacks.c */
/* Forget what happened on the previous connection (the remote, its
 * settings and the watchdog stay). */
void cts_gitcb_reset(cts_gitcb *st, const char *url);
/* Install the callbacks (credentials, certificates, progress) with st. */
void cts_gitcb_install(git_remote_callbacks *cb, cts_gitcb *st);

#endif
