/*
 * Fork evidence (SPEC §6, docs/FORMAT.md "Forks"). Two different signed
 * versions of one (node, seq) prove that the node's key forked its chain.
 * The node that holds both records them as an ordinary signed change: a
 * put on the `fork` table (written by any node, in its own territory),
 * record id derived from (node, seq), carrying both versions' ids and
 * signatures and, when they fit, their bodies. Every importer and the
 * audit check such a record the same way, with the forked node's key:
 * a valid one makes them learn the fork even when one version is gone
 * from the repository; an invalid one is refused (importer) or a finding
 * against its writer (audit).
 */
#ifndef CTS_FORKPROOF_H
#define CTS_FORKPROOF_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A fork record is kept under this many bytes (its `set` as canonical
 * JSON), so that the changeset carrying it stays under the changeset
 * limit: bodies that would not fit are left out (see build). */
#define CTS_FORK_EVIDENCE_MAX (6u * 1024 * 1024)

typedef struct {
	char id[65];      /* lowercase hex SHA-256 of the body */
	const char *body; /* the changeset file; NULL when not carried */
	size_t body_len;
	const char *sig; /* armored SSHSIG of the body */
	size_t sig_len;
} cts_fork_version;

/* Record id of the fork record of (node, seq): derived from
 * "fork:<node>:<seq>" (cts_record_derived_id). */
void cts_fork_record_id(char rid[37], const char *node, int64_t seq);

/* The `set` of the fork record for two different versions of (node, seq),
 * given in any order (stored with id_a < id_b). Both bodies are carried
 * when the record stays under CTS_FORK_EVIDENCE_MAX, else the smaller one
 * alone, else none (ids and signatures only). *out: new reference. */
int cts_fork_evidence_build(json_t **out, const char *node, int64_t seq, const cts_fork_version *x,
                            const cts_fork_version *y);

/* The forked node named by a fork op (put or del on table `fork`), for the
 * caller to find its key: *node borrowed from op, NULL if none. */
void cts_fork_evidence_target(const json_t *op, const char **node, int64_t *seq);

/* Check one op of a changeset on table `fork` (already well formed as a
 * changeset op) with pk, the forked node's key (NULL: not known). A valid
 * record is a put whose id is the one derived from (node, seq), with two
 * different ids in order and their signatures, and every carried body
 * hashes to its id, is a valid changeset of exactly (node, seq), and is
 * signed by pk. Returns 0 when valid (v[0], v[1] describe the versions,
 * borrowed from op; body NULL when not carried), 1 when pk is NULL and a
 * body would need it, -1 when invalid with the reason (French) in why. */
int cts_fork_evidence_check(const json_t *op, const unsigned char *pk, cts_fork_version v[2],
                            char *why, size_t whylen);

#endif
