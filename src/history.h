/*
 * The signed history: every accepted changeset (own or imported), its
 * exact bytes and signature, in the table `history` of node.db
 * (schema/009_history.sql; this module is its only writer). A row is
 * written inside the caller's transaction, so the history and the state
 * it explains commit together (sealing, the importer).
 *
 * The interchange folder (`ctsnode import DIR`, `ctsnode export DIR`) and
 * the regional git repository keep the file layout
 * changesets/<node>/<seq 12 digits>.json and .json.sig.
 *
 * Homes of earlier versions kept the history as such files under
 * HOME/changesets/: cts_history_migrate moves them into the table.
 *
 * Here, below sync/, because the node's opening (the migration) and the
 * territory purge (src/scope.c) need it.
 */
#ifndef CTS_HISTORY_H
#define CTS_HISTORY_H

#include "node.h"

#include <stddef.h>
#include <stdint.h>

/* Limits on a changeset file and its signature (any source). */
#define CTS_CHANGESET_MAX_BYTES (8u * 1024 * 1024)
#define CTS_SIG_MAX_BYTES 8192

/* Store changeset (node, seq): inserted, or replacing the row of another
 * version (as the file it replaces was). Inside the caller's transaction
 * when there is one. */
int cts_history_write(cts_node *n, const char *node, int64_t seq, const char *json, size_t json_len,
                      const char *sig, size_t sig_len);

/* The stored bytes of (node, seq): *json and *sig malloc'd (caller frees).
 * CTS_ENOTFOUND if absent. */
int cts_history_get(cts_node *n, const char *node, int64_t seq, char **json, size_t *json_len,
                    char **sig, size_t *sig_len);

/* Delete node's history (a territory device purging another territory's
 * changesets, src/scope.c). Inside the caller's transaction. */
int cts_history_delete_node(cts_node *n, const char *node);

/* Read DIR/changesets/<node>/<seq>.json and .json.sig (an interchange
 * folder). *json and *sig malloc'd. CTS_ENOTFOUND if absent. */
int cts_history_read(const char *dir, const char *node, int64_t seq, char **json, size_t *json_len,
                     char **sig, size_t *sig_len);

/* Write every stored changeset as DIR/changesets/<node>/<seq>.json and
 * .json.sig, byte for byte (the folder `ctsnode import DIR` reads);
 * *count gets how many changesets (may be NULL). Existing files of the
 * same names are replaced. */
int cts_history_export(cts_node *n, const char *dir, int64_t *count);

/* Move the files HOME/changesets/<node>/<seq>.json(.sig) of an earlier
 * version into the table: every readable pair is inserted in one
 * transaction (a row already there with the same bytes is kept), then,
 * after the commit, every file whose bytes the table holds is deleted,
 * and the emptied folders. A file that cannot be moved (unexpected name,
 * not JSON of that node and seq, too large, its pair missing, another
 * version already stored) stays where it is: *notice (malloc'd, French,
 * NULL when there is none) says which and how many. Killed at any point,
 * the next call finishes the job: nothing is deleted before the table
 * holds its bytes. No HOME/changesets: 0 at once. Writable node only. */
int cts_history_migrate(cts_node *n, char **notice);

#endif
