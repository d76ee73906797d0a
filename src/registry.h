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

/* Checks of one registry op's fields that need no registry: the record id
 * is the one derived from the node, and key, territory, role and
 * revoked_after (those present) are well formed. -1 with why filled.
 * Shared by the importer and the audit. */
int cts_registry_check_entry(const char *node, const char *rid, json_t *set, char *why, size_t whylen);

#endif
