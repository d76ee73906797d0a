#include "recover.h"

#include "changeset.h"
#include "error.h"
#include "gitrepo.h"
#include "journal.h"
#include "key.h"
#include "sshsig.h"
#include "tables.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RECOVER_MAX_NODES 4096
#define RECOVER_MAX_SEQ 10000000
#define RECOVER_MAX_CANDIDATES 16
#define RECOVER_WAIT_MS (120 * 1000)

static const char *const identity_keys[] = { "node",          "territory",  "role",
	                                     "authority_key", "public_key", NULL };

typedef struct {
	cts_node *n;          /* home and lock; the store once restored */
	cts_gitrepo *repo;    /* HOME/repo.git, NULL when absent */
	unsigned char pk[32]; /* our key */
	char *publine;
	json_t *nodes; /* every node id seen in a source (an object used as a set) */
} rctx;

typedef struct {
	char *json, *sig;
	size_t jl, sl;
	int from_repo;
} cs_file;

typedef struct {
	char node[65], territory[65];
	int authority; /* our first changeset enrols us as the authority */
	int64_t last;  /* highest own seq, the chain being complete from 1 */
	json_t *seen;  /* `seen` of that changeset (owned) */
} own_info;

typedef struct {
	char node[65];
	char *key; /* "ssh-ed25519 AAAA..." (owned) */
	unsigned char pk[32];
} candidate;

void cts_recover_info_dispose(cts_recover_info *info)
{
	if (!info)
		return;
	free(info->moved_to);
	free(info->damage);
	memset(info, 0, sizeof(*info));
}

static void cs_file_dispose(cs_file *f)
{
	free(f->json);
	free(f->sig);
	memset(f, 0, sizeof(*f));
}

/* ---- reading changesets from the home and from repo.git ---- */

static int repo_read(rctx *r, const char *ref, const char *node, int64_t seq, cs_file *f)
{
	char path[128], sigpath[140];
	unsigned char *j = NULL, *s = NULL;
	size_t jl = 0, sl = 0;
	cts_gitoid tip;

	if (!r->repo || cts_gitrepo_ref_oid(r->repo, ref, &tip) < 0) {
		cts_error_clear();
		return CTS_ENOTFOUND;
	}
	cts_changeset_path(path, sizeof(path), node, seq);
	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	if (cts_gitrepo_read_file(r->repo, &tip, path, CTS_CHANGESET_MAX_BYTES, &j, &jl) < 0 ||
	    cts_gitrepo_read_file(r->repo, &tip, sigpath, CTS_SIG_MAX_BYTES, &s, &sl) < 0) {
		free(j);
		free(s);
		cts_error_clear();
		return CTS_ENOTFOUND;
	}
	*f = (cs_file){ (char *)j, (char *)s, jl, sl, 1 };
	return 0;
}

/* Changeset (node, seq) from the first source holding a copy that parses
 * as that changeset and, when pk is given, whose signature pk verifies:
 * HOME/changesets, then the local branch, then the remote-tracking one. */
static int load_cs(rctx *r, const char *node, int64_t seq, const unsigned char *pk,
                   cts_changeset **cs, cs_file *out)
{
	char refs[2][128];

	snprintf(refs[0], sizeof(refs[0]), "refs/heads/nodes/%s", node);
	snprintf(refs[1], sizeof(refs[1]), "refs/remotes/origin/nodes/%s", node);
	for (int src = 0; src < 3; src++) {
		cs_file f = { 0 };
		cts_changeset *c = NULL;
		int rc = src == 0 ? cts_history_read(r->n->home, node, seq, &f.json, &f.jl, &f.sig,
		                                     &f.sl)
		                  : repo_read(r, refs[src - 1], node, seq, &f);

		if (rc == 0 && cts_changeset_parse(&c, f.json, f.jl) == 0 &&
		    strcmp(c->node, node) == 0 && c->seq == seq &&
		    (!pk || cts_sshsig_verify(f.sig, f.sl, pk, CTS_SIG_NAMESPACE,
		                              (const unsigned char *)f.json, f.jl, NULL) == 0)) {
			*cs = c;
			*out = f;
			return 0;
		}
		cts_error_clear();
		cts_changeset_free(c);
		cs_file_dispose(&f);
	}
	return CTS_ENOTFOUND;
}

static int add_node(rctx *r, const char *node)
{
	if (!cts_valid_node_id(node) || json_object_get(r->nodes, node))
		return 0;
	if (json_object_size(r->nodes) >= RECOVER_MAX_NODES)
		return cts_error_set(CTS_ELIMIT,
		                     "reconstruction : plus de %d nœuds dans l'historique",
		                     RECOVER_MAX_NODES);
	return json_object_set_new(r->nodes, node, json_true()) == 0
	           ? 0
	           : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

static int add_ref_node(const char *ref, const cts_gitoid *oid, void *vctx)
{
	const char *slash = strrchr(ref, '/');

	(void)oid;
	return add_node(vctx, slash ? slash + 1 : ref);
}

static int collect_nodes(rctx *r)
{
	char *dir = cts_node_path(r->n, "changesets");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int rc = 0;

	free(dir);
	while (d && rc == 0 && (de = readdir(d)))
		rc = add_node(r, de->d_name);
	if (d)
		closedir(d);
	if (rc == 0 && r->repo)
		rc = cts_gitrepo_refs_foreach(r->repo, "refs/heads/nodes/*", add_ref_node, r);
	if (rc == 0 && r->repo)
		rc = cts_gitrepo_refs_foreach(r->repo, "refs/remotes/origin/nodes/*", add_ref_node,
		                              r);
	return rc;
}

/* ---- what the changesets say ---- */

/* The set of a registry put of cs naming node `who` (NULL: any node)
 * whose key parses; *kpk gets that key. NULL when there is none. Borrowed. */
static json_t *registry_put(const cts_changeset *cs, const char *who, const unsigned char *want_pk,
                            unsigned char kpk[32])
{
	size_t i;
	json_t *op;

	json_array_foreach(cs->ops, i, op)
	{
		json_t *set = json_object_get(op, "set");
		const char *table = json_string_value(json_object_get(op, "table"));
		const char *node = json_string_value(json_object_get(set, "node"));
		const char *key = json_string_value(json_object_get(set, "key"));

		if (!table || strcmp(table, "registry") != 0 || !node || !key ||
		    (who && strcmp(node, who) != 0) || cts_key_parse_public_line(kpk, key) < 0) {
			cts_error_clear();
			continue;
		}
		if (!want_pk || memcmp(kpk, want_pk, 32) == 0)
			return set;
	}
	return NULL;
}

static int is_role(json_t *set, const char *role)
{
	const char *v = json_string_value(json_object_get(set, "role"));

	return v && strcmp(v, role) == 0;
}

/* Highest seq of node whose file is in HOME/changesets/<node>/ (0: none). */
static int64_t home_max_seq(rctx *r, const char *node)
{
	char rel[128], *dir;
	DIR *d;
	struct dirent *de;
	int64_t max = 0, seq;

	snprintf(rel, sizeof(rel), "changesets/%s", node);
	if (!(dir = cts_node_path(r->n, rel)))
		return 0;
	d = opendir(dir);
	free(dir);
	while (d && (de = readdir(d)))
		if (cts_changeset_parse_name(de->d_name, &seq) == 0 && seq > max)
			max = seq;
	cts_error_clear();
	if (d)
		closedir(d);
	return max;
}

/* Our node: the one whose first changeset our key signs. Its chain is
 * read to the end (copies found only in repo.git written back). */
static int find_own(rctx *r, own_info *o, int *restored)
{
	const char *node;
	json_t *v;
	int rc = 0;

	json_object_foreach(r->nodes, node, v)
	{
		cts_changeset *cs = NULL;
		cs_file f = { 0 };
		unsigned char kpk[32];
		json_t *set;

		if (load_cs(r, node, 1, r->pk, &cs, &f) < 0)
			continue;
		if (o->node[0])
			rc = cts_error_set(
			    CTS_EINVAL,
			    "reconstruction : la clé du poste signe deux nœuds (%s et %s) ; "
			    "indiquez lequel avec --node",
			    o->node, node);
		snprintf(o->node, sizeof(o->node), "%s", node);
		snprintf(o->territory, sizeof(o->territory), "%s", cs->territory);
		set = registry_put(cs, node, r->pk, kpk);
		o->authority = set && is_role(set, "authority");
		cts_changeset_free(cs);
		cs_file_dispose(&f);
		if (rc < 0)
			return rc;
	}
	if (!o->node[0])
		return 0;
	for (int64_t s = 1; s <= RECOVER_MAX_SEQ; s++) {
		cts_changeset *cs = NULL;
		cs_file f = { 0 };

		if (load_cs(r, o->node, s, r->pk, &cs, &f) < 0)
			break;
		*restored += f.from_repo; /* offered to the importer by replay_own */
		o->last = s;
		json_decref(o->seen);
		o->seen = json_incref(cs->seen);
		cts_changeset_free(cs);
		cs_file_dispose(&f);
		if (rc < 0)
			return cts_error_prefix(rc, "reconstruction : ");
	}
	return 0;
}

/* Nodes whose first changeset enrols themselves as the authority with the
 * key that signs it. */
static int find_authorities(rctx *r, candidate *c, size_t *nc)
{
	const char *node;
	json_t *v;

	*nc = 0;
	json_object_foreach(r->nodes, node, v)
	{
		cts_changeset *cs = NULL;
		cs_file f = { 0 };
		unsigned char kpk[32];
		json_t *set;

		if (load_cs(r, node, 1, NULL, &cs, &f) == 0 &&
		    (set = registry_put(cs, node, NULL, kpk)) && is_role(set, "authority") &&
		    cts_sshsig_verify(f.sig, f.sl, kpk, CTS_SIG_NAMESPACE,
		                      (const unsigned char *)f.json, f.jl, NULL) == 0) {
			if (*nc >= RECOVER_MAX_CANDIDATES) {
				cts_changeset_free(cs);
				cs_file_dispose(&f);
				return cts_error_set(
				    CTS_ELIMIT,
				    "reconstruction : trop de nœuds se disent autorité régionale ; "
				    "indiquez la clé de l'autorité avec --authority-key");
			}
			snprintf(c[*nc].node, sizeof(c[*nc].node), "%s", node);
			c[*nc].key = strdup(json_string_value(json_object_get(set, "key")));
			memcpy(c[*nc].pk, kpk, 32);
			(*nc)++;
		}
		cts_error_clear();
		cts_changeset_free(cs);
		cs_file_dispose(&f);
	}
	return 0;
}

/* Does the chain of authority `a` enrol our key? Then who, territory and
 * role of that enrolment (when the buffers are given). */
static int enrols_us(rctx *r, const candidate *a, char who[65], char terr[65], int *authority)
{
	for (int64_t s = 1; s <= RECOVER_MAX_SEQ; s++) {
		cts_changeset *cs = NULL;
		cs_file f = { 0 };
		unsigned char kpk[32];
		json_t *set;
		int found = 0;

		if (load_cs(r, a->node, s, a->pk, &cs, &f) < 0)
			return 0;
		if ((set = registry_put(cs, NULL, r->pk, kpk))) {
			const char *t = json_string_value(json_object_get(set, "territory_code"));
			found = 1;
			if (who)
				snprintf(who, 65, "%s",
				         json_string_value(json_object_get(set, "node")));
			if (terr)
				snprintf(terr, 65, "%s", t ? t : "");
			if (authority)
				*authority = is_role(set, "authority");
		}
		cts_changeset_free(cs);
		cs_file_dispose(&f);
		if (found)
			return 1;
	}
	return 0;
}

/* Keep the candidates for which keep() says yes, unless none would stay. */
static void narrow(rctx *r, candidate *c, size_t *nc,
                   int (*keep)(rctx *, const candidate *, void *), void *ctx)
{
	size_t k = 0;

	for (size_t i = 0; i < *nc; i++)
		if (keep(r, &c[i], ctx))
			k++;
	if (k == 0)
		return;
	k = 0;
	for (size_t i = 0; i < *nc; i++) {
		if (keep(r, &c[i], ctx)) {
			candidate t = c[k];
			c[k++] = c[i];
			c[i] = t;
		}
	}
	for (size_t i = k; i < *nc; i++) {
		free(c[i].key);
		c[i].key = NULL;
	}
	*nc = k;
}

static int keep_key(rctx *r, const candidate *c, void *ctx)
{
	(void)r;
	return memcmp(c->pk, ctx, 32) == 0;
}

static int keep_seen(rctx *r, const candidate *c, void *ctx)
{
	(void)r;
	return json_object_get(ctx, c->node) != NULL;
}

static int keep_enrolling(rctx *r, const candidate *c, void *ctx)
{
	(void)ctx;
	return enrols_us(r, c, NULL, NULL, NULL);
}

/* ---- identity ---- */

typedef struct {
	cts_node_params p;
	char node[65], territory[65];
	char *authority_key; /* owned */
	char authority_node[65];
	char *remote; /* owned */
	own_info own;
	int restored;
} identity;

static void identity_dispose(identity *id)
{
	free(id->authority_key);
	free(id->remote);
	json_decref(id->own.seen);
}

static int pick_authority(rctx *r, identity *id, const cts_recover_hints *h, candidate *c,
                          size_t nc)
{
	unsigned char hpk[32];

	if (h && h->authority_key) {
		if (cts_key_parse_public_line(hpk, h->authority_key) < 0)
			return cts_error_prefix(CTS_EINVAL, "--authority-key : ");
		narrow(r, c, &nc, keep_key, hpk);
		if (nc == 0 || memcmp(c[0].pk, hpk, 32) != 0) {
			id->authority_key = strdup(h->authority_key); /* pinned as init does */
			return id->authority_key
			           ? 0
			           : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		}
	}
	if (nc > 1 && id->own.seen)
		narrow(r, c, &nc, keep_seen, id->own.seen);
	if (nc > 1)
		narrow(r, c, &nc, keep_enrolling, NULL);
	if (nc == 0)
		return cts_error_set(
		    CTS_ENOTFOUND,
		    "reconstruction impossible : aucun changeset signé de l'autorité régionale "
		    "dans changesets/ ni dans repo.git ; indiquez sa clé avec --authority-key "
		    "« ssh-ed25519 AAAA... » (ctsnode key show sur le nœud régional)");
	if (nc > 1)
		return cts_error_set(
		    CTS_EINVAL,
		    "reconstruction : plusieurs nœuds se disent autorité régionale (%s, %s...) ; "
		    "indiquez la bonne clé avec --authority-key « ssh-ed25519 AAAA... »",
		    c[0].node, c[1].node);
	snprintf(id->authority_node, sizeof(id->authority_node), "%s", c[0].node);
	id->authority_key = strdup(c[0].key);
	return id->authority_key ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

/* Node id, territory and role when none of our changesets survives: from
 * the authority's enrolment of our key, else from the hints. */
static int identity_from_registry(rctx *r, identity *id, const cts_recover_hints *h)
{
	candidate a = { .key = NULL };
	int authority = 0;

	snprintf(a.node, sizeof(a.node), "%s", id->authority_node);
	if (!id->authority_node[0] || cts_key_parse_public_line(a.pk, id->authority_key) < 0 ||
	    !enrols_us(r, &a, id->node, id->territory, &authority)) {
		cts_error_clear();
		if (!h || !h->node_id || !h->territory)
			return cts_error_set(CTS_ENOTFOUND,
			                     "reconstruction impossible : aucun changeset signé ne "
			                     "désigne ce poste (ni les siens, ni "
			                     "une inscription de sa clé par la région) ; indiquez "
			                     "son identifiant et son territoire "
			                     "avec --node et --territory");
		snprintf(id->node, sizeof(id->node), "%s", h->node_id);
		snprintf(id->territory, sizeof(id->territory), "%s", h->territory);
	}
	id->p.role = authority ? CTS_ROLE_AUTHORITY : CTS_ROLE_TERRITORY;
	return 0;
}

static int check_hints(const identity *id, const cts_recover_hints *h)
{
	if (h && h->node_id && strcmp(h->node_id, id->node) != 0)
		return cts_error_set(CTS_EINVAL,
		                     "--node %.64s : l'historique signé dit que ce poste est %s",
		                     h->node_id, id->node);
	if (h && h->territory && strcmp(h->territory, id->territory) != 0)
		return cts_error_set(
		    CTS_EINVAL,
		    "--territory %.64s : l'historique signé dit que ce poste est du territoire %s",
		    h->territory, id->territory);
	return 0;
}

static char *origin_url(rctx *r)
{
	char *url = NULL;

	if (r->repo && cts_gitrepo_remote_url(r->repo, &url) < 0)
		cts_error_clear();
	return url;
}

/* Our chain must be complete from n°1: a changeset of ours left behind a
 * gap would have its number used again by the next seal (a fork). */
static int check_complete(rctx *r, const identity *id)
{
	char ref[128];
	cs_file f = { 0 };
	int64_t next = id->own.last + 1;
	int later;

	snprintf(ref, sizeof(ref), "refs/heads/nodes/%s", id->node);
	later =
	    home_max_seq(r, id->node) > id->own.last || repo_read(r, ref, id->node, next, &f) == 0;
	cs_file_dispose(&f);
	if (!later)
		return 0;
	return cts_error_set(CTS_EINVAL,
	                     "reconstruction impossible : le changeset n°%lld du poste %s manque "
	                     "ou ne porte pas sa signature "
	                     "(ni dans changesets/, ni dans repo.git) alors que des suivants "
	                     "existent ; reconstruire sans lui "
	                     "ferait réutiliser ses numéros. Récupérez-le (sauvegarde, dépôt "
	                     "régional) puis relancez "
	                     "« ctsnode rebuild »",
	                     (long long)(id->own.last + 1), id->node);
}

static int discover(rctx *r, identity *id, const cts_recover_hints *h)
{
	candidate c[RECOVER_MAX_CANDIDATES] = { { .key = NULL } };
	size_t nc = 0;
	int rc;

	if ((rc = collect_nodes(r)) < 0 || (rc = find_own(r, &id->own, &id->restored)) < 0)
		return rc;
	if (id->own.node[0] && id->own.authority) {
		snprintf(id->authority_node, sizeof(id->authority_node), "%s", id->own.node);
		id->authority_key = strdup(r->publine);
		rc = id->authority_key ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	} else if ((rc = find_authorities(r, c, &nc)) == 0) {
		rc = pick_authority(r, id, h, c, nc);
	}
	for (size_t i = 0; i < RECOVER_MAX_CANDIDATES; i++)
		free(c[i].key);
	if (rc < 0)
		return rc;
	if (id->own.node[0]) {
		snprintf(id->node, sizeof(id->node), "%s", id->own.node);
		snprintf(id->territory, sizeof(id->territory), "%s", id->own.territory);
		id->p.role = id->own.authority ? CTS_ROLE_AUTHORITY : CTS_ROLE_TERRITORY;
	} else if ((rc = identity_from_registry(r, id, h)) < 0) {
		return rc;
	}
	if ((rc = check_hints(id, h)) < 0 || (rc = check_complete(r, id)) < 0)
		return rc;
	id->remote = origin_url(r);
	id->p.node_id = id->node;
	id->p.territory = id->territory;
	id->p.authority_key = id->authority_key;
	id->p.remote = id->remote;
	return 0;
}

/* ---- replay ---- */

typedef struct {
	rctx *r;
	const char *own;
	cts_import_stats *st;
	const cts_gitoid *tip;
	const char *node;
	int rc;
} offer_ctx;

static int offer_file(const char *name, const cts_gitoid *oid, size_t size, unsigned filemode,
                      void *vctx)
{
	offer_ctx *o = vctx;
	char rel[128], *path;
	cs_file f = { 0 };
	struct stat sb;
	int64_t seq;
	int have;

	(void)oid;
	(void)size;
	(void)filemode;
	if (cts_changeset_parse_name(name, &seq) < 0) {
		cts_error_clear();
		return 0;
	}
	cts_changeset_path(rel, sizeof(rel), o->node, seq);
	if (!(path = cts_node_path(o->r->n, rel)))
		return o->rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	have = stat(path, &sb) == 0;
	free(path);
	if (have)
		return 0; /* offered from HOME/changesets */
	if (cts_gitrepo_read_file(o->r->repo, o->tip, rel, CTS_CHANGESET_MAX_BYTES,
	                          (unsigned char **)&f.json, &f.jl) < 0 ||
	    (snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), ".sig"),
	     cts_gitrepo_read_file(o->r->repo, o->tip, rel, CTS_SIG_MAX_BYTES,
	                           (unsigned char **)&f.sig, &f.sl) < 0)) {
		cts_error_clear(); /* unreadable here: the next sync reports it */
		cs_file_dispose(&f);
		return 0;
	}
	o->rc = cts_import_offer(o->r->n, o->node, seq, f.json, f.jl, f.sig, f.sl, o->st);
	cs_file_dispose(&f);
	return o->rc < 0 ? 1 : 0;
}

static int offer_ref(const char *ref, const cts_gitoid *oid, void *vctx)
{
	offer_ctx *o = vctx;
	const char *node = strrchr(ref, '/') + 1;
	char dir[128];

	if (!cts_valid_node_id(node) || strcmp(node, o->own) == 0)
		return 0;
	o->tip = oid;
	o->node = node;
	snprintf(dir, sizeof(dir), "changesets/%s", node);
	if (cts_gitrepo_list_dir(o->r->repo, oid, dir, 2 * RECOVER_MAX_SEQ, offer_file, o) < 0 &&
	    o->rc == 0)
		cts_error_clear(); /* a hostile branch: the next sync reports it */
	return o->rc < 0 ? o->rc : 0;
}

/* Our changesets found only in repo.git (the others are in the home's
 * files): the importer stores them in the history as it applies them. */
static int replay_own(rctx *r, const identity *id, cts_import_stats *st)
{
	int rc = 0;

	for (int64_t s = 1; s <= id->own.last && rc == 0; s++) {
		cts_changeset *cs = NULL;
		cs_file f = { 0 };

		if ((rc = load_cs(r, id->node, s, r->pk, &cs, &f)) < 0)
			return cts_error_set(rc,
			                     "reconstruction : changeset n°%lld de %s illisible",
			                     (long long)s, id->node);
		if (f.from_repo)
			rc = cts_import_offer(r->n, id->node, s, f.json, f.jl, f.sig, f.sl, st);
		cts_changeset_free(cs);
		cs_file_dispose(&f);
	}
	return rc;
}

/* Every changeset of the home (files of an earlier version) and of
 * repo.git, verified again. */
static int replay(rctx *r, const identity *id, cts_import_stats *st)
{
	offer_ctx o = { r, id->node, st, NULL, NULL, 0 };
	int rc = cts_import_dir(r->n, r->n->home, st);

	if (rc == CTS_ENOTFOUND) {
		cts_error_clear();
		rc = 0;
	}
	if (rc == 0 && r->repo && (rc = cts_store_begin(r->n->store)) == 0) {
		if ((rc = replay_own(r, id, st)) == 0 &&
		    (rc = cts_gitrepo_refs_foreach(r->repo, "refs/heads/nodes/*", offer_ref, &o)) ==
		        0)
			rc = cts_gitrepo_refs_foreach(r->repo, "refs/remotes/origin/nodes/*",
			                              offer_ref, &o);
		if (rc == 0)
			rc = cts_store_commit(r->n->store);
		else
			cts_store_rollback(r->n->store);
	}
	return rc < 0 ? rc : cts_import_process(r->n, st);
}

/* last_seq, pushed_seq (what our remote-tracking branch holds) and the
 * authority's node id. */
static int restore_counters(rctx *r, const identity *id)
{
	char ref[128], path[128];
	int64_t pushed = 0;
	cts_gitoid tip;
	int rc;

	snprintf(ref, sizeof(ref), "refs/remotes/origin/nodes/%s", id->node);
	if (r->repo && cts_gitrepo_ref_oid(r->repo, ref, &tip) == 0) {
		for (int64_t s = id->own.last; s >= 1 && pushed == 0; s--) {
			unsigned char *data = NULL;
			size_t len;
			cts_changeset_path(path, sizeof(path), id->node, s);
			if (cts_gitrepo_read_file(r->repo, &tip, path, CTS_CHANGESET_MAX_BYTES,
			                          &data, &len) == 0)
				pushed = s;
			free(data);
		}
	}
	cts_error_clear();
	if ((rc = cts_store_begin(r->n->store)) < 0)
		return rc;
	if ((rc = cts_store_meta_set_int(r->n->store, "last_seq", id->own.last)) < 0 ||
	    (rc = cts_store_meta_set_int(r->n->store, "pushed_seq", pushed)) < 0 ||
	    (id->authority_node[0] &&
	     (rc = cts_store_meta_set(r->n->store, "authority_node", id->authority_node)) < 0)) {
		cts_store_rollback(r->n->store);
		return rc;
	}
	return cts_store_commit(r->n->store);
}

/* ---- entry point ---- */

/* 1 if the database must be rebuilt (missing or damaged: info->damage),
 * 0 if intact, < 0 if it could not be checked. */
static int needs_rebuild(rctx *r, cts_recover_info *info)
{
	char *db = cts_node_path(r->n, "node.db");
	struct stat sb;
	int rc;

	if (!db)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (lstat(db, &sb) != 0) {
		free(db);
		return 1;
	}
	rc = cts_store_probe(db, identity_keys);
	free(db);
	if (rc == CTS_EDB) {
		info->damage = strdup(cts_error_message());
		cts_error_clear();
		return 1;
	}
	return rc < 0 ? rc : 0;
}

static int open_sources(rctx *r)
{
	char *keypath = cts_node_path(r->n, "node.key"), *repo = cts_node_path(r->n, "repo.git");
	int rc = keypath && repo ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");

	if (rc == 0 && (rc = cts_key_file_public(keypath, r->pk)) == CTS_ENOTFOUND)
		rc = cts_error_set(
		    CTS_ENOTFOUND,
		    "aucune clé node.key dans %s : ce dossier n'est pas celui d'un nœud, ou sa clé "
		    "est perdue (sans elle, rien ne peut être reconstruit ni signé)",
		    r->n->home);
	if (rc == 0)
		rc = cts_key_public_line(&r->publine, r->pk, NULL);
	if (rc == 0 && (rc = cts_git_init()) == 0 &&
	    (rc = cts_gitrepo_open_existing(&r->repo, repo)) == CTS_ENOTFOUND) {
		cts_error_clear();
		rc = 0;
	}
	if (rc == 0 && !(r->nodes = json_object()))
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	free(keypath);
	free(repo);
	return rc;
}

int cts_recover_node(cts_node **out, const char *home, const cts_recover_hints *hints,
                     cts_import_stats *st, cts_recover_info *info)
{
	rctx r = { 0 };
	identity id = { .p = { 0 } };
	int rc;

	*out = NULL;
	memset(info, 0, sizeof(*info));
	info->unsealed_lost = -1;
	if ((rc = cts_node_lock_home(&r.n, home, RECOVER_WAIT_MS)) < 0)
		return rc;
	if ((rc = open_sources(&r)) < 0 || (rc = needs_rebuild(&r, info)) <= 0)
		goto out;
	info->needed = 1;
	/* Everything is read and decided before anything is moved. */
	if ((rc = discover(&r, &id, hints)) < 0 ||
	    (rc = cts_node_set_aside_db(r.n, &info->moved_to)) < 0)
		goto out;
	if (info->moved_to)
		info->unsealed_lost = cts_store_peek_int(
		    info->moved_to, "SELECT count(*) FROM journal WHERE sealed_seq IS NULL");
	if ((rc = cts_node_restore(r.n, &id.p, r.publine)) < 0 || (rc = replay(&r, &id, st)) < 0 ||
	    (rc = restore_counters(&r, &id)) < 0)
		goto out;
	info->last_seq = id.own.last;
	info->restored_from_repo = id.restored;
	*out = r.n;
	r.n = NULL;
out:
	if (rc < 0)
		cts_error_prefix(rc, "%s", info->needed ? "reconstruction de la base : " : "");
	identity_dispose(&id);
	json_decref(r.nodes);
	free(r.publine);
	cts_gitrepo_free(r.repo);
	cts_node_free(r.n);
	return rc;
}
