/*
 * Incidents: evidence a node observed while syncing or importing that is
 * not an ordinary refused changeset (those live in the inbox): rewritten
 * or truncated branches, forks, oversized changesets, foreign or unsigned
 * commits, files under another node's folder. Listed by `status` (count)
 * and `status --json` ("incidents"). Local observations: `rebuild` keeps
 * them.
 *
 * Kinds are short ASCII codes (the audit's finding kinds where one
 * exists): "branch_rewritten", "truncated_branch", "fork",
 * "oversized_changeset", "foreign_commit", "unsigned_commit",
 * "foreign_file", "seen_unknown_seq", ...
 */
#ifndef CTS_INCIDENT_H
#define CTS_INCIDENT_H

#include "store.h"

#include <jansson.h>
#include <stdint.h>

/* Record an incident about `node` (may be "" when none) at `seq` (0 when
 * none) with a French `detail`. Recording the same (kind, node, seq,
 * detail) again only updates its last date and count. Dates come from the
 * store's clock. Works inside or outside a transaction (own savepoint). */
int cts_incident_add(cts_store *st, const char *kind, const char *node, int64_t seq,
                     const char *detail);

/* Every incident, oldest first, as a new JSON array of
 * {"kind", "node", "seq", "detail", "date", "last_seen", "count"}
 * ("date": first seen, RFC 3339 UTC). */
int cts_incident_list(cts_store *st, json_t **out);

/* Number of distinct incidents. */
int cts_incident_count(cts_store *st, int64_t *out);

#endif
