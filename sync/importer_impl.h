/*
 * Private to the importer (importer.c: inbox, batches, passes, rebuild;
 * importer_eval.c: one changeset's evaluation against the acceptance
 * rules of accept.h, with the registry view backed by SQL; importer_forks.c:
 * forks, fork evidence, witnesses). Not for other modules.
 */
#ifndef CTS_IMPORTER_IMPL_H
#define CTS_IMPORTER_IMPL_H

#include "changeset.h"
#include "importer.h"
#include "precheck.h"

#include <stdint.h>

typedef enum { EV_ACCEPT, EV_PENDING, EV_HELD, EV_REFUSED, EV_DUPLICATE } verdict;

/* Evaluation of one changeset. */
typedef struct {
	char reason[600];
	int need_rebuild;
	int relayed;    /* versions copied from fork evidence into the inbox: another pass */
	int final_pass; /* the last pass of a run: incidents are recorded */
	int ignored;    /* refused as expected: written by a revoked node after its revocation */
	cts_import_stats *st;
} eval_ctx;

/* e->reason = what + detail; EV_REFUSED. */
verdict import_refuse(eval_ctx *e, const char *what, const char *detail);

/* importer_eval.c */
/* The key evaluate() will most likely verify node's signatures with, as
 * the registry stands now. 0 and *pk, or -1 if none is known. */
int import_expected_key(cts_node *n, const char *node, unsigned char pk[32]);
/* Judge one received changeset and apply it when accepted. pre: its
 * pre-check (parse, signature with the expected key; its cs is taken). */
verdict import_evaluate(cts_node *n, const char *node, int64_t seq, const char *id,
                        const char *json, size_t json_len, const char *sig, size_t sig_len,
                        cts_precheck *pre, eval_ctx *e);

/* importer_forks.c */
/* Learn a fork of cs's chain from another version held here (verified
 * with pk), then *from = the lowest forked seq of its node, 0 if none. */
int import_fork_facts(cts_node *n, const cts_changeset *cs, const unsigned char pk[32],
                      const char *sig, size_t sig_len, int64_t *from, eval_ctx *e);
/* Fork evidence carried by an authenticated changeset. EV_ACCEPT: go on. */
verdict import_take_evidence(cts_node *n, const cts_changeset *cs, eval_ctx *e);
/* Witnesses (`seen`): a named changeset not held here makes cs wait. */
verdict import_check_seen(cts_node *n, const cts_changeset *cs, eval_ctx *e);

#endif
