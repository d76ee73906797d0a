/*
 * Sealing: turning this node's pending journal operations into its next
 * signed changesets (SPEC §3), stored in the node's history
 * (HOME/changesets/<node>/<seq>.json and .json.sig) atomically with marking
 * the operations as sealed.
 *
 * Crash safety: the files are written (temp + rename) before the database
 * transaction that records the changeset commits. A crash in between leaves
 * files for a seq the database does not know; the next seal overwrites
 * them (they were never published: publication reads the database).
 */
#ifndef CTS_JOURNAL_H
#define CTS_JOURNAL_H

#include "changeset.h"
#include "key.h"
#include "node.h"

/* Seal every pending operation (several changesets if there are more than
 * CTS_CHANGESET_MAX_OPS). *sealed gets how many changesets were made (may
 * be NULL). Nothing pending: 0 and *sealed = 0. */
int cts_journal_seal(cts_node *n, const cts_key *key, int *sealed);

/* Write the files of changeset (node, seq) into HOME/changesets/.
 * Existing identical files are kept. */
int cts_history_write(cts_node *n, const char *node, int64_t seq, const char *json, size_t json_len,
                      const char *sig, size_t sig_len);

/* The same without waiting for the disk; the caller calls
 * cts_history_sync() once, after the last file and before committing
 * anything that refers to them. */
int cts_history_write_deferred(cts_node *n, const char *node, int64_t seq, const char *json,
                               size_t json_len, const char *sig, size_t sig_len);

/* Flush the file system holding HOME/changesets/ (syncfs). */
int cts_history_sync(cts_node *n);

/* Record an applied changeset (own or imported) and its causal context
 * in the database (inside the caller's transaction). */
int cts_history_record(cts_node *n, const cts_changeset *cs);

/* Id of the applied changeset (node, seq) into id[65]; "" if none. */
int cts_history_id(cts_node *n, const char *node, int64_t seq, char id[65]);

/* The last applied seq of node into *out, 0 if none. */
int cts_history_last(cts_node *n, const char *node, int64_t *out);

/* Read the files of (node, seq) from a directory holding a changesets/
 * tree. *json and *sig malloc'd. CTS_ENOTFOUND if absent. */
int cts_history_read(const char *dir, const char *node, int64_t seq, char **json, size_t *json_len,
                     char **sig, size_t *sig_len);

#endif
