/*
 * Import and merge (SPEC §5, §6): received changesets go to the inbox,
 * then each is verified (canonical bytes, SSHSIG for the signer's enrolled
 * key, chain, territory and table authorisation, clock) and applied in one
 * transaction, or kept with its reason as pending (unknown signer, gap),
 * held (HLC too far ahead) or refused (bad signature, fork, unauthorised).
 * Nothing is dropped: the bytes stay in the inbox.
 */
#ifndef CTS_IMPORTER_H
#define CTS_IMPORTER_H

#include "node.h"
#include "registry.h" /* cts_registry_* used to be declared here */

#include <jansson.h>

typedef struct {
	int offered;    /* changesets looked at */
	int duplicates; /* already applied, identical */
	int accepted;   /* applied by this run */
	int rebuilt;    /* 1 if the view had to be replayed (revocation, fork) */
	int forks;      /* forks learned by this run (two signed versions of one (node, seq)) */
	int evidence;   /* fork records written by this node (local operations: seal them) */
	json_t *events; /* array of {"node","seq","state","reason"} (owned); may be NULL */
	/* Optional (git sync): 1 if changeset (node, seq) is on node's fetched
	 * branch, 0 if it is not (or the branch does not exist), < 0 unknown.
	 * Lets the importer keep evidence (an incident) when a witness names a
	 * changeset the branch does not hold. */
	int (*published)(const char *node, int64_t seq, void *ctx);
	void *published_ctx;
	/* Optional progress report: called as changesets are evaluated
	 * (done of total in the current pass). */
	void (*progress)(size_t done, size_t total, void *ctx);
	void *progress_ctx;
} cts_import_stats;

void cts_import_stats_dispose(cts_import_stats *st);

/* Queue one received changeset (file bytes and armored signature) found
 * as (node, seq). Identical to an applied one: counted as duplicate. */
int cts_import_offer(cts_node *n, const char *node, int64_t seq, const char *json, size_t json_len,
                     const char *sig, size_t sig_len, cts_import_stats *st);

/* Offer every DIR/changesets/<node>/<seq>.json (+ .sig) found. */
int cts_import_dir(cts_node *n, const char *dir, cts_import_stats *st);

/* Evaluate the inbox until nothing more applies. A changeset waits
 * (pending) while a changeset its `seen` names is not held here (applied
 * or received in any state). Forks (two versions of one (node, seq), both
 * signed by the node, received directly or carried by fork evidence)
 * refuse both versions and the rest of that chain, replaying the view when
 * something was applied; the forks this node proved and nobody recorded
 * yet are then recorded as its own operations (st->evidence), to be
 * sealed and published like any local write. */
int cts_import_process(cts_node *n, cts_import_stats *st);

/* Drop the materialised view and replay every changeset this node holds
 * (its history and its inbox), verifying everything again; local
 * operations not sealed yet are applied again on top. Known forks are
 * kept (they come from changesets the node holds). */
int cts_import_rebuild(cts_node *n, cts_import_stats *st);

/* Received changesets kept in the inbox in `state` ("pending", "held" or
 * "refused"), by node and seq, as a new JSON array of {"node", "seq",
 * "reason"}. */
int cts_import_inbox(cts_node *n, const char *state, json_t **out);
/* (Refused changesets of a revoked node after its revocation number are
 * not listed: they are ignored as expected, see cts_import_ignored.) */

/* Changesets of revoked nodes (other than this one) written after their
 * revocation and ignored as expected, one row per node, as a new JSON
 * array of {"node", "territory", "revoked_after", "count", "first", "last"}. */
int cts_import_ignored(cts_node *n, json_t **out);

#endif
