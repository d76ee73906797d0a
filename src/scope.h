/*
 * What a node holds (issue 16, point 7): whose branches it reads and
 * the per-territory content digests that let a territory's device and the
 * regional node compare what they both hold.
 *
 * The regional node (and any node of the authority role) reads every
 * branch. A territory's device reads the region branch, the authority's
 * node branch, its own and the node branches the registry enrols for its
 * territory (revoked ones too: their work up to the revocation stays
 * valid); nothing of another territory.
 */
#ifndef CTS_SCOPE_H
#define CTS_SCOPE_H

#include "node.h"

#include <jansson.h>

/* Does this node read `node`'s branch and changesets? 1 yes, 0 no, or a
 * negative cts_error. `pinned_authority` (may be NULL) names the node the
 * caller knows signs with the pinned authority key (before the registry
 * holds the authority). */
int cts_scope_reads_node(cts_node *n, const char *node, const char *pinned_authority);

/* Is `node` known not to be read here (enrolled for another territory,
 * on a territory's device)? 1 yes, 0 no (read, or not enrolled: its
 * changesets are kept pending as before), or a negative cts_error. What a
 * device fetched before it read only its territory is passed over. */
int cts_scope_excludes_node(cts_node *n, const char *node);

/* What cts_scope_reads_node() depends on, as one malloc'd text in *out
 * (the pinned authority node, meta authority_node, the authority and the
 * nodes the registry enrols for this node's territory): when it changes
 * during an import, a territory's device fetches again. */
int cts_scope_fingerprint(cts_node *n, const char *pinned_authority, char **out);

/* Does this node read every branch (the regional node)? */
int cts_scope_reads_all(const cts_node *n);

/* The region code as this node knows it (its own territory on the
 * authority, else the territory the registry gives the authority): *out
 * malloc'd; CTS_ENOTFOUND (no message) while the registry holds no
 * authority. */
int cts_scope_region_code(cts_node *n, char **out);

/* Per-territory content digests as a new JSON object territory code ->
 * lowercase hex (cts_record_digest_territories): the node's own territory
 * on a territory's device, every territory the records or the registry
 * name on the regional node. */
int cts_scope_digests(cts_node *n, json_t **out);

/* A territory's device that holds data of other territories (imported by
 * an earlier version that read every branch, or from a folder) deletes it:
 * their records, tombstones and conflicts, their applied and received
 * changesets, their signed history (src/history.h) and branch
 * markers; what remains is what a device that never read them holds.
 * *purged (may be NULL) = 1 when something was deleted. Nothing on the regional node,
 * nor while the registry holds no authority. */
int cts_scope_purge(cts_node *n, int *purged);

#endif
