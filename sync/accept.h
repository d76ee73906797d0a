/*
 * The acceptance rules of a signed changeset (SPEC §5, §6), in one pure
 * function used by the importer (a view backed by SQL) and by the audit (a
 * view backed by its own replay of git): who may sign, forks, revocation,
 * territory, chain, write rights, domain values, registry operations,
 * clock. No SQL, no git, no I/O here: what the function needs to know
 * about the region comes through the view.
 *
 * What stays with the callers: reading and parsing the files, checking the
 * signature (its result is a fact of the view), fork evidence carried by
 * the changeset (it changes what is known of forks: the importer reads the
 * view's fork facts after it), witnesses (`seen`) and applying.
 */
#ifndef CTS_ACCEPT_H
#define CTS_ACCEPT_H

#include "changeset.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* An enrolment as the registry view knows it. */
typedef struct {
	char key[512]; /* public key line */
	char territory[65];
	char role[16]; /* "authority" or "territory" */
} cts_accept_entry;

typedef struct {
	/* The signer (the changeset's node) when the changeset is judged:
	 * known 0 when neither enrolled nor the pinned authority. */
	int known;
	const char *territory; /* its territory; NULL: not checked */
	const char *role;      /* "authority" or "territory"; NULL: rights not judged */
	int64_t revoked_after; /* -1: not revoked */
	int sig_ok;            /* the signature verifies with its key */
	const char *sig_why;   /* why not (borrowed) */
	/* The chain as accepted so far. */
	int64_t last_seq;    /* its last accepted seq (0: none) */
	const char *here_id; /* id accepted at the changeset's seq, NULL or "" if none */
	const char *prev_id; /* id accepted at seq - 1, NULL or "" if none */
	int64_t fork_from;   /* the lowest forked seq of the chain, 0 if none */
	/* Clocks: clock_rule 1 = the HLC within the limit of the wall clock
	 * now_ms (the importer's rule: held; the audit has no "now");
	 * sealing_rule 1 = every op's HLC within the limit of the changeset's
	 * sealing time sealed_ms (the audit's rule; see docs/ARCHITECTURE.md). */
	int clock_rule;
	uint64_t now_ms;
	int sealing_rule;
	uint64_t sealed_ms;
	/* Registry reads (before the changeset) for the registry operations
	 * of the authority: the entry of node (1 found, 0 not, < 0 error with
	 * cts_error set), the node of registry record rid (1, 0, < 0). */
	int (*entry)(void *ctx, const char *node, cts_accept_entry *out);
	int (*node_of)(void *ctx, const char *rid, char node[65]);
	void *ctx;
} cts_accept_view;

typedef enum {
	CTS_ACCEPT_OK,
	CTS_ACCEPT_PENDING, /* waits: signer not enrolled yet, gap in the chain */
	CTS_ACCEPT_HELD,    /* clock too far ahead of ours */
	CTS_ACCEPT_REFUSED,
	CTS_ACCEPT_IGNORED, /* a revoked node's changeset after its revocation: refused as expected
	                     */
	CTS_ACCEPT_DUPLICATE, /* this very changeset is accepted already */
} cts_accept_state;

/* The rules, one bit each; every broken rule is set (the audit reports
 * each), the verdict is the first in this order (the importer's). */
enum {
	CTS_RULE_UNKNOWN_SIGNER = 1 << 0,
	CTS_RULE_SIGNATURE = 1 << 1,
	CTS_RULE_FORK = 1 << 2,
	CTS_RULE_REVOKED = 1 << 3,
	CTS_RULE_TERRITORY = 1 << 4,
	CTS_RULE_SEQ_TAKEN = 1 << 5, /* another changeset is accepted at this seq */
	CTS_RULE_GAP = 1 << 6,
	CTS_RULE_PREV = 1 << 7,
	CTS_RULE_VALUES = 1 << 8,
	CTS_RULE_TABLE = 1 << 9,
	CTS_RULE_REGISTRY = 1 << 10,
	CTS_RULE_CLOCK_AHEAD = 1 << 11,
	CTS_RULE_SEALING_CLOCK = 1 << 12,
};

typedef struct {
	cts_accept_state state;
	unsigned rule;    /* the CTS_RULE_* bit that decided the state, 0 for OK and duplicate */
	unsigned broken;  /* CTS_RULE_* bits */
	char reason[600]; /* French: why the state (the importer's inbox reason), "" when OK */
	/* Details of the operation rules (op numbers from 1), for the audit. */
	int bad_tables, first_table; /* count, first op writing a table its role may not */
	int bad_values, first_value; /* count, first op whose values break the domain rules */
	char value_why[400];
	int first_registry; /* first registry op refused, 0 if none */
	char registry_why[400];
	uint64_t ahead_ms; /* sealing rule: the worst HLC ahead of the sealing time */
} cts_accept_verdict;

/* Judge cs (parsed; its node and seq are its place) against view. Pure:
 * reads only its arguments and the view's callbacks (a callback's failure
 * refuses the registry operation with its message). *out is filled. */
void cts_accept_judge(const cts_changeset *cs, const cts_accept_view *view,
                      cts_accept_verdict *out);

/* The rule of one registry operation by the authority, against the
 * registry before its changeset. 0 if allowed; -1 with why filled. */
int cts_accept_registry_op(const cts_accept_view *view, json_t *op, char *why, size_t whylen);

#endif
