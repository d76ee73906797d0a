/*
 * Sealing: turning this node's pending journal operations into its next
 * signed changesets (SPEC §3), stored in the node's history (the table
 * `history`, src/history.h) in the transaction that marks the operations
 * as sealed: both commit together or neither does.
 */
#ifndef CTS_JOURNAL_H
#define CTS_JOURNAL_H

#include "changeset.h"
#include "history.h" /* cts_history_write, _get, _read */
#include "key.h"
#include "node.h"

/* Seal every pending operation (several changesets if there are more than
 * CTS_CHANGESET_MAX_OPS). *sealed gets how many changesets were made (may
 * be NULL). Nothing pending: 0 and *sealed = 0. */
int cts_journal_seal(cts_node *n, const cts_key *key, int *sealed);

/* Record an applied changeset (own or imported) and its causal context
 * in the database (inside the caller's transaction). */
int cts_history_record(cts_node *n, const cts_changeset *cs);

/* Id of the applied changeset (node, seq) into id[65]; "" if none. */
int cts_history_id(cts_node *n, const char *node, int64_t seq, char id[65]);

/* The last applied seq of node into *out, 0 if none. */
int cts_history_last(cts_node *n, const char *node, int64_t *out);

#endif
