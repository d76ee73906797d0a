/* What a territory's device fetches (issue 16, point 7; src/scope.h): the
 * region branch, the authority's node branch, its own and its territory's
 * node branches; the regional node fetches everything (sync.c). */
#include "sync_impl.h"

#include "error.h"
#include "scope.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fetches that can follow one another in a sync: the region branch (the
 * authority's node named by allowed_signers), the authority's branch (the
 * registry), the territory's branches. */
#define SCOPE_ROUNDS 3

/* The principal of the line of allowed_signers (fetched region branch)
 * that carries the pinned authority key, into w->pinned ("" if none):
 * before the registry holds the authority, this names its branch. Only a
 * choice of what to fetch: the importer still checks every signature
 * against the pinned key. */
static void pinned_from_region(cts_node *n, cts_gitrepo *repo, sync_scope *w)
{
	unsigned char *data = NULL;
	char want[600], *line, *save = NULL;
	const char *sp;
	size_t len;
	cts_gitoid tip;

	w->pinned[0] = '\0';
	if (!n->authority_key || !(sp = strchr(n->authority_key, ' ')))
		return;
	/* " ssh-ed25519 AAAA..." without the comment */
	sp = strchr(sp + 1, ' ');
	snprintf(want, sizeof(want), " %.*s",
	         (int)(sp ? (size_t)(sp - n->authority_key) : strlen(n->authority_key)),
	         n->authority_key);
	if (cts_gitrepo_ref_oid(repo, "refs/remotes/origin/region", &tip) < 0 ||
	    cts_gitrepo_read_file(repo, &tip, "allowed_signers", 1 << 20, &data, &len) < 0) {
		cts_error_clear();
		return;
	}
	for (line = strtok_r((char *)data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hit = strstr(line, want), *end = strchr(line, ' ');
		size_t wl = strlen(want);
		if (hit && (hit[wl] == '\0' || hit[wl] == ' ') && end &&
		    (size_t)(end - line) < sizeof(w->pinned)) {
			memcpy(w->pinned, line, (size_t)(end - line));
			w->pinned[end - line] = '\0';
			if (!cts_valid_node_id(w->pinned))
				w->pinned[0] = '\0';
			break;
		}
	}
	free(data);
}

/* cts_gitrepo_fetch_only's choice: the region branch and the node
 * branches this device reads. */
static int want_branch(const char *branch, void *vctx)
{
	sync_scope *w = vctx;

	if (strcmp(branch, "region") == 0)
		return 1;
	if (strncmp(branch, "nodes/", 6) != 0)
		return 0;
	return cts_scope_reads_node(w->n, branch + 6, w->pinned[0] ? w->pinned : NULL);
}

int sync_scope_fetch(cts_node *n, cts_gitrepo *repo, sync_scope *w)
{
	int rc;

	w->n = n;
	pinned_from_region(n, repo, w);
	free(w->fingerprint);
	w->fingerprint = NULL;
	if ((rc = cts_scope_fingerprint(n, w->pinned, &w->fingerprint)) < 0)
		return rc;
	return cts_gitrepo_fetch_only(repo, want_branch, w);
}

/* Import the authority's branch, which names the registry, before the
 * sync's own import: what it accepts or refuses is reported with the
 * sync's (r), what still waits is reported by the sync's own import. */
static int import_authority(cts_node *n, cts_gitrepo *repo, cts_sync_result *r, const sync_scope *w)
{
	cts_sync_result q;
	char *auth = NULL, glob[128];
	size_t i;
	json_t *ev;
	int rc;

	if (cts_store_meta_get(n->store, "authority_node", &auth) < 0 && !w->pinned[0]) {
		cts_error_clear();
		return 0; /* not known yet: nothing to import */
	}
	cts_error_clear();
	snprintf(glob, sizeof(glob), "refs/remotes/origin/nodes/%.64s", auth ? auth : w->pinned);
	free(auth);
	memset(&q, 0, sizeof(q));
	q.import.published = r->import.published;
	q.import.published_ctx = r->import.published_ctx;
	q.blocked = r->blocked; /* borrowed: our branch is not imported while blocked */
	rc = sync_import_refs(n, repo, &q, glob);
	q.blocked = NULL;
	r->import.offered += q.import.offered;
	r->import.accepted += q.import.accepted;
	r->import.forks += q.import.forks;
	r->import.evidence += q.import.evidence;
	r->import.rebuilt |= q.import.rebuilt;
	json_array_foreach(q.import.events, i, ev)
	{
		const char *state = json_string_value(json_object_get(ev, "state"));
		if (state && strcmp(state, "pending") != 0 && strcmp(state, "held") != 0) {
			if (!r->import.events)
				r->import.events = json_array();
			json_array_append(r->import.events, ev);
		}
	}
	cts_sync_result_dispose(&q);
	return rc;
}

int sync_scope_widen(cts_node *n, cts_gitrepo *repo, cts_sync_result *r, sync_scope *w,
                     int (*check)(cts_node *, cts_gitrepo *))
{
	int rc;

	for (int round = 1; round < SCOPE_ROUNDS; round++) {
		char *before = w->fingerprint, *after = NULL;
		int same;

		w->fingerprint = NULL;
		pinned_from_region(n, repo, w);
		if ((rc = check(n, repo)) < 0 || (rc = import_authority(n, repo, r, w)) < 0 ||
		    (rc = cts_scope_fingerprint(n, w->pinned, &after)) < 0) {
			free(before);
			return rc;
		}
		same = strcmp(before, after) == 0;
		free(before);
		w->fingerprint = after;
		if (same)
			return 0;
		/* The registry (or the authority) became known: fetch again. */
		rc = cts_gitrepo_fetch_only(repo, want_branch, w);
		if (rc == CTS_ENET) { /* gone meanwhile: the next sync fetches them */
			cts_error_clear();
			return 0;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

typedef struct {
	sync_scope *w;
	json_t *drop; /* refs of branches this device does not read */
} unread_ctx;

static int collect_unread(const char *ref, const cts_gitoid *oid, void *vctx)
{
	unread_ctx *u = vctx;
	const char *node = ref + strlen("refs/remotes/origin/nodes/");

	(void)oid;
	if (!cts_scope_reads_node(u->w->n, node, u->w->pinned[0] ? u->w->pinned : NULL))
		json_array_append_new(u->drop, json_string(ref));
	return 0;
}

int sync_scope_drop_unread(cts_node *n, cts_gitrepo *repo, sync_scope *w)
{
	unread_ctx u = { w, json_array() };
	size_t i;
	json_t *ref;
	int rc;

	w->n = n;
	if (!u.drop)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_gitrepo_refs_foreach(repo, "refs/remotes/origin/nodes/*", collect_unread, &u);
	json_array_foreach(u.drop, i, ref)
	{
		if (rc == 0)
			rc = cts_gitrepo_ref_delete(repo, json_string_value(ref));
	}
	if (rc == 0 && json_array_size(u.drop))
		rc = cts_gitrepo_compact(repo);
	i = json_array_size(u.drop);
	json_decref(u.drop);
	return rc < 0 ? rc : (int)i;
}
