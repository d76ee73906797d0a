/*
 * The registry (SPEC §4): which nodes are enrolled, with their key,
 * territory, role and revocation. The records are written by the record
 * engine (table "registry", authority only); this module reads them and
 * holds the checks of one registry entry that need no registry, shared by
 * the importer and the audit.
 */
#ifndef CTS_REGISTRY_H
#define CTS_REGISTRY_H

#include "node.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Registry entry of a node as this node knows it. Strings malloc'd.
 * CTS_ENOTFOUND if not enrolled. revoked_after = -1 when not revoked. */
typedef struct {
	char *key;       /* "ssh-ed25519 AAAA..." */
	char *territory; /* territory code */
	char *role;      /* "authority" | "territory" */
	int64_t revoked_after;
} cts_registry_entry;
int cts_registry_get(cts_node *n, const char *node, cts_registry_entry *out);
void cts_registry_entry_dispose(cts_registry_entry *e);

/* The node registered with the key line `key` (exact text, as enrolled):
 * *node malloc'd; CTS_ENOTFOUND if none. */
int cts_registry_key_owner(cts_node *n, const char *key, char **node);

/* The node whose registered key is the Ed25519 public key pk (the key
 * lines are parsed, so any spelling of the line matches): *node malloc'd;
 * CTS_ENOTFOUND if none. */
int cts_registry_node_of_pk(cts_node *n, const unsigned char pk[32], char **node);

/* The authority the registry holds: *node malloc'd; CTS_ENOTFOUND while it
 * holds none (nothing accepted from an authority yet). */
int cts_registry_authority(cts_node *n, char **node);

/* Every enrolled node as a new JSON array of objects {node, territory_code,
 * role, revoked_after, key} (null where unset), ordered by node, or when
 * by_role by role ("authority" first), territory code and node. */
int cts_registry_list(cts_node *n, int by_role, json_t **out);

/* The revocation of `node`: *after is the last valid changeset number, -1
 * when not revoked; *hlc (may be NULL) the HLC of the registry write that
 * revoked it, 0 when not revoked or unknown. CTS_ENOTFOUND (no message)
 * when the node is not enrolled. */
int cts_registry_revocation(cts_node *n, const char *node, int64_t *after, uint64_t *hlc);

/* Checks of one registry op's fields that need no registry: the record id
 * is the one derived from the node, and key, territory, role and
 * revoked_after (those present) are well formed. -1 with why filled.
 * Shared by the importer and the audit. */
int cts_registry_check_entry(const char *node, const char *rid, json_t *set, char *why,
                             size_t whylen);

#endif
