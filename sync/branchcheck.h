/*
 * Evidence about the commits of a node branch, for sync (SPEC §4: a node
 * branch gains only commits signed by the node's key that add files
 * under changesets/<node>/). The importer reads files, not commits: an
 * unsigned commit, a commit signed by another key, or a file put under
 * another node's folder would otherwise go unnoticed by nodes (the audit
 * sees them).
 */
#ifndef CTS_BRANCHCHECK_H
#define CTS_BRANCHCHECK_H

#include "gitrepo.h"

#include <stddef.h>

/* Most commits checked on one branch in one sync. */
#define CTS_BRANCHCHECK_MAX_COMMITS 1000000

typedef struct {
	/* The node enrolled with key pk, or NULL: names signers in messages.
	 * Borrowed result, valid until the next call. */
	const char *(*name_of)(const unsigned char pk[32], void *ctx);
	/* One piece of evidence: an incident kind ("unsigned_commit",
	 * "foreign_commit", "bad_commit_signature", "foreign_file",
	 * "unexpected_file") and a French detail. */
	void (*report)(const char *kind, const char *detail, void *ctx);
	void *ctx;
} cts_branchcheck_cb;

/* Check every commit of branch nodes/<node> reachable from tip and not
 * from since (NULL: all of them): signed by node_pk (NULL: signatures not
 * checked); nothing added or changed at the root of the tree but
 * changesets/, nor in changesets/ but changesets/<node>/ (deeper changes
 * are the audit's). Evidence goes to cb->report; the return is 0, or an
 * error when the history cannot be walked. */
int cts_branchcheck_commits(cts_gitrepo *repo, const char *node, const cts_gitoid *tip,
                            const cts_gitoid *since, const unsigned char *node_pk,
                            const cts_branchcheck_cb *cb);

/* The oldest commit reachable from tip and not from since (NULL: down to
 * the root) into *out; CTS_ENOTFOUND when there is none. */
int cts_branchcheck_first_new(cts_gitrepo *repo, const cts_gitoid *tip, const cts_gitoid *since,
                              cts_gitoid *out);

/* "0123456789ab (auteur « x », signé par le nœud y)" — or "non signé",
 * "signature invalide", "signé par une clé que le registre n'inscrit
 * pas" — into buf, for messages. */
void cts_branchcheck_describe(cts_gitrepo *repo, const cts_gitoid *commit,
                              const cts_branchcheck_cb *cb, char *buf, size_t size);

#endif
