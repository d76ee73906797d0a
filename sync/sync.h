/*
 * Synchronisation through the regional git repository (SPEC §2, §4):
 * the node's sealed changesets are committed onto refs/heads/nodes/<id>
 * (only additions, signed commits), pushed, and every other branch is
 * fetched and imported. Offline, the work stays committed locally and the
 * push is queued. The authority also publishes refs/heads/region
 * (allowed_signers, readable registry) and signs checkpoints.
 */
#ifndef CTS_SYNC_H
#define CTS_SYNC_H

#include "importer.h"
#include "key.h"
#include "node.h"

typedef struct {
	int committed;    /* own changesets committed by this run */
	int pushed;       /* 1 if the push went through */
	int sent;         /* own changesets the push delivered (offline queue included) */
	int queued;       /* 1 if the remote was unreachable: work kept locally */
	int checkpointed; /* authority: heads signed */
	cts_import_stats import;
	json_t *findings; /* array of {"kind","node","seq","reason"}: evidence seen on the
	                     repository (rewrites, foreign or unsigned commits, oversized
	                     changesets...), each also recorded as an incident (owned) */
	json_t *blocked;  /* array of {"branch","commit","detail"}: branches of this node
	                     ("nodes/<id>", "region") the remote holds commits of that this
	                     node did not write; not pushed this time (owned) */
} cts_sync_result;

void cts_sync_result_dispose(cts_sync_result *r);

/* Create the bare regional repository at `path` if it does not exist
 * (a local path or file:// URL; other URLs are left alone). */
int cts_sync_create_remote(const char *url);

/* Node sync: fetch, check, import, commit sealed changesets, push.
 * `url` overrides the node's remote (and is remembered).
 * Returns CTS_ENET when the remote was unreachable (r->queued = 1: the
 * work is committed locally). A branch of ours that the remote holds
 * commits of we did not write (another node's commit, a rewrite) does not
 * stop the sync: everything else is fetched, checked, imported and
 * pushed, that branch is not pushed (r->blocked) and the evidence is
 * recorded (r->findings, incidents); the return is then 0. */
int cts_sync_node(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r);

/* Authority: fetch and import every node branch, sign a checkpoint of the
 * accepted heads, publish the region branch, push. */
int cts_sync_region_pull(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r);

/* When this node last exchanged with the regional repository without
 * error (sync or region pull that fetched, imported and pushed all of
 * its branches), as
 * RFC 3339 UTC text. *out malloc'd; CTS_ENOTFOUND if never. */
int cts_sync_last(cts_node *n, char **out);
/* (What it did is kept as meta "last_sync_summary", JSON {"sent": own
 * changesets delivered, "received": changesets accepted}.) */

/* Recovery on a new machine (init --from-key): fetch the regional
 * repository `url` into HOME/repo.git (created), nothing imported. Any
 * failure is returned (CTS_ENET when unreachable): continuing a chain
 * without its last published number would fork it. */
int cts_sync_fetch_into(const char *home, const char *url);

/* After such a recovery: the node's own branch in HOME/repo.git starts at
 * the published one (its next commits extend it), when it has none yet. */
int cts_sync_adopt_own_branch(cts_node *n);

/* A node folder copied from another machine (cts_node_machine_check
 * refuses it), taken over on this one: the regional repository `url`
 * (else the node's remote) must answer. Our chain there and here must
 * agree (else CTS_EREJECT: forked already); everything is fetched and
 * imported, own changesets published after this copy was made are taken
 * (history files, last_seq), own changesets sealed here and not published
 * stay to be sent, the local branch starts from the published one, and
 * this machine becomes the node's. Unreachable: CTS_EACCESS, nothing
 * changed. A folder that is on its own machine: info->already = 1. */
typedef struct {
	int already;       /* 1: the folder was not copied, nothing done */
	int64_t local;     /* this folder's last sealed number before */
	int64_t published; /* the node's last number on the regional repository (0: none) */
	int64_t taken;     /* own changesets taken from the repository */
} cts_adopt_info;
int cts_sync_adopt_copy(cts_node *n, const char *url, cts_adopt_info *info);

/* Commit files onto the region branch (authority), e.g. reports; signed.
 * CTS_EREJECT (incident recorded, nothing committed) when the remote
 * region branch holds commits the authority did not write. */
int cts_sync_region_publish_files(cts_node *n, const cts_key *key, const char *const *paths,
                                  const unsigned char *const *data, const size_t *lens,
                                  size_t count, const char *message);

#endif
