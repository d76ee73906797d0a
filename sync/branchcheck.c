#include "branchcheck.h"

#include "commitsig.h"
#include "error.h"
#include "gitrepo_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reports of one commit's tree, at most (a hostile tree may hold many). */
#define TREE_REPORTS_MAX 10
#define TREE_ENTRIES_MAX 100000

typedef struct {
	cts_gitrepo *repo;
	const char *node;
	const unsigned char *pk;
	const cts_branchcheck_cb *cb;
	int rc;
} walk_ctx;

/* Text from a repository (a name, an author) made printable ASCII for
 * messages and JSON: other bytes become '?', at most 64 of them. */
static void printable(char *out, size_t size, const char *in)
{
	size_t k = 0;

	for (; in && *in && k + 1 < size && k < 64; in++)
		out[k++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[k] = '\0';
}

/* How commit is signed, as a phrase; *kind the evidence it is when it is
 * not signed by `expect` (NULL when it is). */
static void signature_phrase(cts_gitrepo *repo, const cts_gitoid *commit,
                             const cts_branchcheck_cb *cb, const unsigned char *expect, char *buf,
                             size_t size, const char **kind)
{
	unsigned char signer[32];
	const char *who;
	int rc = cts_commit_signer(repo, commit, signer);

	*kind = NULL;
	if (rc == CTS_ENOTFOUND) {
		snprintf(buf, size, "non signé");
		*kind = "unsigned_commit";
	} else if (rc < 0) {
		snprintf(buf, size, "signature invalide : %.200s", cts_error_message());
		*kind = "bad_commit_signature";
	} else if (expect && memcmp(signer, expect, 32) == 0) {
		snprintf(buf, size, "signé par le nœud");
	} else if (cb->name_of && (who = cb->name_of(signer, cb->ctx))) {
		snprintf(buf, size, "signé par le nœud %.64s", who);
		*kind = "foreign_commit";
	} else {
		snprintf(buf, size, "signé par une clé que le registre n'inscrit pas");
		*kind = "foreign_commit";
	}
	cts_error_clear();
}

void cts_branchcheck_describe(cts_gitrepo *repo, const cts_gitoid *commit,
                              const cts_branchcheck_cb *cb, char *buf, size_t size)
{
	char hex[GIT_OID_HEXSZ + 1], author[72] = "?", sig[300];
	const char *kind;
	git_commit *c = NULL;

	cts_gitoid_hex(hex, commit);
	if (git_commit_lookup(&c, cts_gitrepo_raw(repo), cts_git_oid(commit)) == 0 &&
	    git_commit_author(c))
		printable(author, sizeof(author), git_commit_author(c)->name);
	git_commit_free(c);
	git_error_clear();
	signature_phrase(repo, commit, cb, NULL, sig, sizeof(sig), &kind);
	snprintf(buf, size, "%.12s (auteur « %s », %s)", hex, author, sig);
}

/* Entries of tree `t` (its sub-tree `sub` when given) added or changed
 * against `pt` (same place in the parent), other than `allowed`. */
static void check_level(walk_ctx *w, const char *hex, git_tree *t, git_tree *pt, const char *sub,
                        const char *allowed, int *reports)
{
	git_tree *st = NULL, *spt = NULL;
	git_repository *r = cts_gitrepo_raw(w->repo);
	size_t n;

	if (sub) {
		const git_tree_entry *e = git_tree_entry_byname(t, sub),
		                     *pe = pt ? git_tree_entry_byname(pt, sub) : NULL;
		if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&st, r, git_tree_entry_id(e)) < 0)
			goto out;
		if (pe && git_tree_entry_type(pe) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&spt, r, git_tree_entry_id(pe)) < 0)
			spt = NULL;
		t = st;
		pt = spt;
	}
	n = git_tree_entrycount(t);
	for (size_t i = 0; i < n && i < TREE_ENTRIES_MAX && *reports < TREE_REPORTS_MAX; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i), *pe;
		char name[72], detail[400];

		if (strcmp(git_tree_entry_name(e), allowed) == 0)
			continue;
		pe = pt ? git_tree_entry_byname(pt, git_tree_entry_name(e)) : NULL;
		if (pe && git_oid_equal(git_tree_entry_id(e), git_tree_entry_id(pe)))
			continue;
		printable(name, sizeof(name), git_tree_entry_name(e));
		if (sub)
			snprintf(detail, sizeof(detail),
			         "le commit %.12s de la branche nodes/%s %s des fichiers sous "
			         "changesets/%s/, le dossier d'un "
			         "autre nœud : ils sont ignorés (chaque nœud n'écrit que ses "
			         "propres changesets)",
			         hex, w->node, pe ? "modifie" : "ajoute", name);
		else
			snprintf(detail, sizeof(detail),
			         "le commit %.12s de la branche nodes/%s %s « %s », hors de "
			         "changesets/%s/ : ignoré",
			         hex, w->node, pe ? "modifie" : "ajoute", name, w->node);
		w->cb->report(sub ? "foreign_file" : "unexpected_file", detail, w->cb->ctx);
		++*reports;
	}
out:
	git_error_clear();
	git_tree_free(st);
	git_tree_free(spt);
}

static int check_commit(const cts_gitoid *commit, void *vctx)
{
	walk_ctx *w = vctx;
	git_commit *c = NULL, *parent = NULL;
	git_tree *t = NULL, *pt = NULL;
	char hex[GIT_OID_HEXSZ + 1], detail[600];
	int reports = 0;

	cts_gitoid_hex(hex, commit);
	if (w->pk) {
		char sig[300];
		const char *kind;
		signature_phrase(w->repo, commit, w->cb, w->pk, sig, sizeof(sig), &kind);
		if (kind) {
			snprintf(detail, sizeof(detail),
			         "commit %.12s de la branche nodes/%s %s (la signature SSH de %s "
			         "est attendue) : ses "
			         "changesets ne sont acceptés que sur leur propre signature",
			         hex, w->node, sig, w->node);
			w->cb->report(kind, detail, w->cb->ctx);
		}
	}
	if (git_commit_lookup(&c, cts_gitrepo_raw(w->repo), cts_git_oid(commit)) < 0 ||
	    git_commit_tree(&t, c) < 0 ||
	    (git_commit_parentcount(c) > 0 &&
	     (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&pt, parent) < 0))) {
		snprintf(detail, sizeof(detail), "commit %.12s de la branche nodes/%s illisible",
		         hex, w->node);
		w->cb->report("unreadable_history", detail, w->cb->ctx);
	} else {
		check_level(w, hex, t, pt, NULL, "changesets", &reports);
		check_level(w, hex, t, pt, "changesets", w->node, &reports);
	}
	git_error_clear();
	git_tree_free(pt);
	git_tree_free(t);
	git_commit_free(parent);
	git_commit_free(c);
	return 0;
}

int cts_branchcheck_commits(cts_gitrepo *repo, const char *node, const cts_gitoid *tip,
                            const cts_gitoid *since, const unsigned char *node_pk,
                            const cts_branchcheck_cb *cb)
{
	walk_ctx w = { repo, node, node_pk, cb, 0 };

	return cts_gitrepo_walk(repo, tip, since, CTS_BRANCHCHECK_MAX_COMMITS, check_commit, &w);
}

static int keep_first(const cts_gitoid *commit, void *vctx)
{
	*(cts_gitoid *)vctx = *commit;
	return 1;
}

int cts_branchcheck_first_new(cts_gitrepo *repo, const cts_gitoid *tip, const cts_gitoid *since,
                              cts_gitoid *out)
{
	cts_gitoid none;
	int rc;

	memset(&none, 0, sizeof(none));
	*out = none;
	if ((rc = cts_gitrepo_walk(repo, tip, since, CTS_BRANCHCHECK_MAX_COMMITS, keep_first,
	                           out)) < 0)
		return rc;
	return cts_gitoid_equal(out, &none) ? cts_error_set(CTS_ENOTFOUND, "aucun commit nouveau")
	                                    : 0;
}
