/*
 * Changesets (SPEC §3): the signed unit of replication.  This module knows
 * the envelope and operation format: strict parsing and validation of a
 * changeset file, building one from operations, and its id.  It knows
 * nothing of trust (see importer.h) or storage.
 */
#ifndef CTS_CHANGESET_H
#define CTS_CHANGESET_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h" /* CTS_CHANGESET_MAX_BYTES, CTS_SIG_MAX_BYTES */

#define CTS_CHANGESET_MAX_OPS 20000
#define CTS_SIG_NAMESPACE "cts-changeset"

typedef struct {
	char *bytes; /* the file: canonical JSON + "\n" (owned) */
	size_t len;
	char id[65];  /* lowercase hex SHA-256 of bytes */
	json_t *root; /* parsed object (owned) */
	/* Borrowed views into root: */
	const char *node;
	const char *territory;
	int64_t seq;
	const char *prev; /* NULL for seq 1 */
	const char *time;
	json_t *seen; /* object node -> seq */
	json_t *ops;  /* array */
	uint64_t hlc_min, hlc_max;
} cts_changeset;

/* Parse and validate a changeset file: exact canonical bytes followed by
 * one "\n", the envelope members and types of SPEC §3, every op well
 * formed (hlc, op, table, id, set), tables and fields known with values of
 * the right type (tables.h). Errors: CTS_EINVAL / CTS_ELIMIT with a French
 * message saying what is wrong. *out: cts_changeset_free. */
int cts_changeset_parse(cts_changeset **out, const char *bytes, size_t len);

/* Build a changeset from its parts (ops is borrowed; each op must already
 * be in the op shape). The result is validated like a parsed one. */
int cts_changeset_build(cts_changeset **out, const char *node, const char *territory, int64_t seq,
                        const char *prev, const char *time, const json_t *seen, const json_t *ops);

void cts_changeset_free(cts_changeset *cs);

/* "changesets/<node>/<seq as 12 digits>.json" into buf. */
void cts_changeset_path(char *buf, size_t size, const char *node, int64_t seq);

/* Parse a file name "<12 digits>.json" → seq (>= 1). 0 ok, CTS_EINVAL otherwise. */
int cts_changeset_parse_name(const char *name, int64_t *seq);

/* SHA-256 hex of bytes into id[65]. */
void cts_changeset_hash(const char *bytes, size_t len, char id[65]);

#endif
