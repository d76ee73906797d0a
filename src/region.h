/* The authority's registry commands (SPEC §5): enrolment, revocation, and
 * the allowed_signers file derived from the registry. */
#ifndef CTS_REGION_H
#define CTS_REGION_H

#include "node.h"

#include <jansson.h>

/* Enrol `node` for `territory` with its public key line. Enrolling the
 * same node again with the same key and territory is a no-op (*already =
 * 1); a different key or territory is refused. */
int cts_region_enroll(cts_node *n, const char *node, const char *territory, const char *key_line,
                      int *already);

/* Revoke `node`: its changesets after `after_seq` are refused everywhere. */
int cts_region_revoke(cts_node *n, const char *node, int64_t after_seq);

/* The last seq of node's changesets applied here into *out, 0 if none. */
int cts_region_last_seq(cts_node *n, const char *node, int64_t *out);

/* A lost device, a forgotten passphrase: enrol `new_node` (its key line)
 * for `old`'s territory and revoke `old` after the last changeset of it
 * this node has accepted, in one transaction (sealed together: one signed
 * change). *revoked_after: that number. */
int cts_region_replace(cts_node *n, const char *old, const char *new_node, const char *key_line,
                       int64_t *revoked_after);

/* The OpenSSH allowed_signers text for every enrolled key (principal =
 * node id, namespaces="git,cts-changeset", valid-before for revoked keys),
 * sorted by node id. *out malloc'd. */
int cts_region_allowed_signers(cts_node *n, char **out);

/* Readable registry (Markdown, French). *out malloc'd. */
int cts_region_registry_text(cts_node *n, char **out);

/* Every node of the registry, authority first then by territory and node,
 * as a new JSON array of {"node", "territory", "role", "key",
 * "revoked_after" (null when not revoked), "last_seq" (highest changeset
 * applied here, 0 when none), "last_time" (its sealing time, or null),
 * "waiting" (received changesets pending, held or refused)}. */
int cts_region_nodes(cts_node *n, json_t **out);

/* Nodes not enrolled whose changesets wait here (a device waiting for its
 * enrolment), as a new JSON array of {"node", "territory" (of its first
 * waiting changeset as it says, unverified), "last_seq", "waiting"}. */
int cts_region_pending_nodes(cts_node *n, json_t **out);

/* This device's enrolment as the registry it holds says: "enrolled",
 * "revoked" (*revoked_after set) or "not_enrolled" (its work waits for the
 * region). Static string. */
int cts_region_self_state(cts_node *n, const char **state, int64_t *revoked_after);

/* This device's revocation as the registry it holds says: *after = the
 * last valid changeset number, or -1 when not revoked; when (>= 32 bytes)
 * the date of the revocation "AAAA-MM-JJ hh:mm UTC" ("" when unknown). */
int cts_region_self_revocation(cts_node *n, int64_t *after, char *when, size_t when_size);

#endif
