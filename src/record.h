/*
 * The replicated record engine: last-writer-wins per field, record-level
 * tombstones, materialisation into the SQL tables, conflict detection, the
 * local change journal and the content digest.  Both local writes and
 * imported changesets go through cts_record_apply_*; local writes add a
 * journal entry in the same transaction.
 */
#ifndef CTS_RECORD_H
#define CTS_RECORD_H

#include "store.h"
#include "tables.h"

#include <jansson.h>
#include <stdint.h>

/* Who wrote an operation. */
typedef struct {
	const char *node;      /* signer node id */
	const char *territory; /* envelope territory: the records' territory */
	int64_t seq;           /* changeset carrying the op */
	uint64_t hlc;          /* the op's HLC */
	const json_t *seen;    /* the changeset's `seen` object; NULL = local write */
} cts_stamp;

/* Check a `set` object against the table definition: known fields,
 * types (text/int/bool or null), text sizes. CTS_EINVAL with the field. */
int cts_record_check_set(const cts_table_def *t, const json_t *set);

/* Apply a put / del (inside a transaction): LWW per field by (hlc, node),
 * tombstones, conflicts (imports only), then re-materialise the record. */
int cts_record_apply_put(cts_store *st, const cts_table_def *t, const cts_stamp *w, const char *rid,
                         const json_t *set);
int cts_record_apply_del(cts_store *st, const cts_table_def *t, const cts_stamp *w,
                         const char *rid);

/* Local writes by this node (node id, territory and next seq from meta):
 * a new HLC, the apply above, and a journal entry, atomically (own
 * savepoint). A put's values must pass the domain rules (rules.h), as
 * every importer will require. `set` is borrowed. */
int cts_record_put(cts_store *st, const char *table, const char *rid, const json_t *set);
int cts_record_del(cts_store *st, const char *table, const char *rid);

/* Apply again this node's operations not yet sealed (journal), as the
 * local writes they were: after a replay of the signed history (rebuild),
 * so that nothing typed is lost from the view. Inside a transaction. */
int cts_record_replay_unsealed(cts_store *st);

/* A JSON string of s as it is, without jansson's UTF-8 check (so that the
 * rules of rules.h refuse invalid text with a message naming the field);
 * NULL s gives JSON null. New reference (NULL only when out of memory). */
json_t *cts_record_text(const char *s);

/* set[field] = value (cts_record_text) when the value is given (not NULL):
 * the typed fields of an add or a correction. */
void cts_record_set_text(json_t *set, const char *field, const char *value);

/* SQL for readers of the replicated state, table rstate (schema/008):
 * one row r per record, its field states as the rows j of json_each(r.st)
 * (j.key the field, j.value ->> 0..3 its value, hlc, node, seq), its
 * tombstone in r.tomb_hlc / r.tomb_node / r.tomb_seq (NULL: none).
 * CTS_RSTATE_HIDDEN: r's tombstone hides field state j (NULL when there
 * is no tombstone); the query names them r and j. */
#define CTS_RSTATE_HIDDEN                                                                          \
	"(r.tomb_hlc > j.value ->> 1 OR (r.tomb_hlc = j.value ->> 1"                               \
	" AND r.tomb_node > j.value ->> 2))"

/* A new random record id (UUID v4 text) into buf[37]. */
int cts_record_new_id(char buf[37]);

/* Sealing: the state row written by (node, hlc) for field of record
 * (tbl, territory, rid) -- its tombstone when field is NULL -- now says it
 * is held by changeset seq. A row a later write took over (another hlc) is
 * left alone. The record engine owns rstate; the journal calls this. */
int cts_record_mark_sealed(cts_store *st, const char *tbl, const char *territory, const char *rid,
                           const char *field, const char *node, uint64_t hlc, int64_t seq);
/* A deterministic record id derived from a name (SHA-256, UUID-shaped,
 * version nibble 8) into buf[37]: registry entries, themes, attendance. */
void cts_record_derived_id(char buf[37], const char *name);

/* Number of journal operations not yet sealed. */
int cts_record_pending_ops(cts_store *st, int64_t *out);

/* Lowercase hex SHA-256 over the canonical dump of all live records
 * (docs/FORMAT.md, "content digest") into hex[65]. */
int cts_record_digest(cts_store *st, char hex[65]);
/* The same, one digest per territory terrs[i] into hex[i], in one pass:
 * the dump restricted to the records whose territory is terrs[i] or
 * `region` (the authority's reference data, registry and checkpoints),
 * i.e. what a territory's device and the regional node both hold of that
 * territory ("territory_digests" of status). */
int cts_record_digest_territories(cts_store *st, const char *region, const char *const *terrs,
                                  size_t n, char (*hex)[65]);
/* The territory codes other than `region` that live records carry, sorted,
 * as a new JSON array of strings. */
int cts_record_territories(cts_store *st, const char *region, json_t **out);

/* Open conflicts (id > 0: only that one), oldest first, as a new JSON array
 * of {"id", "table", "territory", "record", "field", "win_value",
 * "win_node", "win_seq", "win_hlc", "lose_value", "lose_node", "lose_seq",
 * "lose_hlc"}. */
int cts_record_conflicts(cts_store *st, int64_t id, json_t **out);

/* Resolve open conflict `id` of `territory` (the node's own: a conflict
 * of another territory is refused) by writing the kept value again as an
 * ordinary local change (keep_winner: the applied value, else the other).
 * CTS_ENOTFOUND when no such open conflict. */
int cts_record_conflict_resolve(cts_store *st, const char *territory, int64_t id, int keep_winner);

/* Drop all materialised and replicated state (rstate, conflicts,
 * domain tables, accepted changesets): the first step of `rebuild`. */
int cts_record_clear_all(cts_store *st);

/* The HLC of the winning value of field `field` of record (tbl, territory,
 * rid) into *hlc; CTS_ENOTFOUND (no message) when the field was never
 * written. For "when was this decided" questions (a revocation's date). */
int cts_record_field_hlc(cts_store *st, const char *tbl, const char *territory, const char *rid,
                         const char *field, uint64_t *hlc);

/* The last values of record (tbl, territory, rid), including those its
 * tombstone hides (null ones left out), as a new object field -> value;
 * *hidden: how many (not null) are hidden: the record is removed when there
 * is one. For restoring a removed record with its last values. */
int cts_record_last_values(cts_store *st, const char *tbl, const char *territory, const char *rid,
                           json_t **out, int *hidden);

/* The removed records of tbl (a tombstone hiding some value) of territory
 * (NULL: every territory) as a new array of objects {territory, id,
 * fields[0], ...} with each field's last value, ordered by territory, then
 * `order` (an ORDER BY list over the result's columns, from the caller's
 * code, e.g. "3 COLLATE NOCASE"), then id. Fields must be tbl's. */
int cts_record_list_removed(cts_store *st, const char *tbl, const char *const *fields,
                            size_t nfields, const char *territory, const char *order, json_t **out);

#endif
