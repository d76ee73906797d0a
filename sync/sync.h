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
	int committed;         /* own changesets committed by this run */
	int pushed;            /* 1 if the push went through */
	int queued;            /* 1 if the remote was unreachable: work kept locally */
	int checkpointed;      /* authority: heads signed */
	cts_import_stats import;
	json_t *findings;      /* array of {"node","seq","reason"}: rewrites etc. (owned) */
} cts_sync_result;

void cts_sync_result_dispose(cts_sync_result *r);

/* Create the bare regional repository at `path` if it does not exist
 * (a local path or file:// URL; other URLs are left alone). */
int cts_sync_create_remote(const char *url);

/* Node sync: commit sealed changesets, fetch, check our branch, push,
 * import. `url` overrides the node's remote (and is remembered).
 * Returns CTS_ENET when the remote was unreachable (r->queued = 1: the
 * work is committed locally), CTS_EREJECT when our branch was rewritten
 * or written by someone else on the remote (nothing changed locally). */
int cts_sync_node(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r);

/* Authority: fetch and import every node branch, sign a checkpoint of the
 * accepted heads, publish the region branch, push. */
int cts_sync_region_pull(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r);

/* When this node last exchanged with the regional repository without
 * error (sync or region pull that fetched, imported and pushed), as
 * RFC 3339 UTC text. *out malloc'd; CTS_ENOTFOUND if never. */
int cts_sync_last(cts_node *n, char **out);

/* Commit files onto the region branch (authority), e.g. reports; signed. */
int cts_sync_region_publish_files(cts_node *n, const cts_key *key, const char *const *paths,
				  const unsigned char *const *data, const size_t *lens, size_t count,
				  const char *message);

#endif
