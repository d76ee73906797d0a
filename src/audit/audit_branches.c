#include "audit_impl.h"

#include "strbuf.h"

/* ---- branches ---- */

typedef struct {
	audit *a;
	int rc;
} refs_ctx;

static int collect_ref(const char *ref, const cts_gitoid *oid, void *vctx)
{
	refs_ctx *c = vctx;
	audit *a = c->a;
	const char *name = ref + strlen(a->prefix);
	branch *b;

	if (strcmp(name, "HEAD") == 0)
		return 0;
	if (a->nbr >= CTS_AUDIT_MAX_BRANCHES) {
		c->rc = cts_error_set(CTS_ELIMIT, "trop de branches dans le dépôt (plus de %d)",
		                      CTS_AUDIT_MAX_BRANCHES);
		return 1;
	}
	if (a->nbr == a->cap_br) {
		size_t cap = a->cap_br ? a->cap_br * 2 : 16;
		branch *p = realloc(a->br, cap * sizeof(*p));
		if (!p) {
			c->rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			return 1;
		}
		a->br = p;
		a->cap_br = cap;
	}
	b = &a->br[a->nbr];
	memset(b, 0, sizeof(*b));
	b->index = (int)a->nbr;
	b->map = a->map;
	if (!(b->name = strdup(name))) {
		c->rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		return 1;
	}
	audit_sanitize(b->name);
	b->tip = *oid;
	if (strcmp(name, "region") == 0) {
		b->kind = BR_REGION;
	} else if (strncmp(name, "nodes/", 6) == 0) {
		if (cts_valid_node_id(name + 6)) {
			b->kind = BR_NODE;
			snprintf(b->node, sizeof(b->node), "%s", name + 6);
		} else {
			b->kind = BR_BADNODE;
		}
	} else {
		b->kind = BR_OTHER;
	}
	a->nbr++;
	return 0;
}

static int branch_cmp(const void *x, const void *y)
{
	return strcmp(((const branch *)x)->name, ((const branch *)y)->name);
}

static int any_ref(const char *ref, const cts_gitoid *oid, void *ctx)
{
	(void)ref;
	(void)oid;
	*(int *)ctx = 1;
	return 1;
}

static int has_contract_refs(cts_gitrepo *repo, const char *prefix)
{
	char glob[64], ref[64];
	cts_gitoid oid;
	int found = 0;

	snprintf(ref, sizeof(ref), "%sregion", prefix);
	if (cts_gitrepo_ref_oid(repo, ref, &oid) == 0)
		return 1;
	snprintf(glob, sizeof(glob), "%snodes/*", prefix);
	cts_gitrepo_refs_foreach(repo, glob, any_ref, &found);
	cts_error_clear();
	return found;
}

int audit_load_branches(audit *a)
{
	refs_ctx c = { a, 0 };
	char glob[64];
	int rc;

	/* A bare mirror has refs/heads/...; a plain clone, refs/remotes/origin/... */
	snprintf(a->prefix, sizeof(a->prefix), "refs/heads/");
	if (!has_contract_refs(a->repo, a->prefix) &&
	    has_contract_refs(a->repo, "refs/remotes/origin/"))
		snprintf(a->prefix, sizeof(a->prefix), "refs/remotes/origin/");
	snprintf(glob, sizeof(glob), "%s*", a->prefix);
	rc = cts_gitrepo_refs_foreach(a->repo, glob, collect_ref, &c);
	if (c.rc < 0)
		return c.rc;
	if (rc < 0)
		return rc;
	if (a->nbr > 1)
		qsort(a->br, a->nbr, sizeof(*a->br), branch_cmp);
	return 0;
}

/* ---- commit walk and tree diffs ---- */

static int walk_cb(const cts_gitoid *commit, void *vctx)
{
	void **ctx = vctx;
	audit *a = ctx[0];
	branch *b = ctx[1];

	if (a->commits_visited >= CTS_AUDIT_MAX_COMMITS) {
		if (!a->budget_reported) {
			audit_finding(a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL,
			              0, &b->tip, NULL, b->name,
			              "historique trop long : plus de %d commits dans le dépôt, la "
			              "vérification s'arrête là",
			              CTS_AUDIT_MAX_COMMITS);
			a->budget_reported = 1;
		}
		b->walk_failed = 1;
		return 1;
	}
	if (cts_array_reserve(&b->commits, &b->cap, b->ncommits, sizeof(*b->commits), 64) < 0) {
		a->oom = 1;
		return 1;
	}
	b->commits[b->ncommits++] = *commit;
	a->commits_visited++;
	return 0;
}

enum { CH_ADD, CH_MOD, CH_DEL };

typedef struct {
	audit *a;
	branch *b;
	const cts_gitoid *commit;
	size_t changes;
} diff_ctx;

/* "changesets/<x>/<name>": *x (65) and *name pointer into path; 1 if so. */
static int split_changeset_path(const char *path, char x[65], const char **name)
{
	const char *p, *slash;

	if (strncmp(path, "changesets/", 11) != 0)
		return 0;
	p = path + 11;
	if (!(slash = strchr(p, '/')) || slash == p || (size_t)(slash - p) > 64)
		return 0;
	memcpy(x, p, (size_t)(slash - p));
	x[slash - p] = '\0';
	*name = slash + 1;
	return 1;
}

/* A changeset or signature file name: seq, and *is_sig. 0 ok, -1 not. */
int audit_parse_file_name(const char *name, int64_t *seq, int *is_sig)
{
	char buf[32];
	size_t n = strlen(name);

	*is_sig = 0;
	if (n == 21 && strcmp(name + 17, ".sig") == 0) {
		memcpy(buf, name, 17);
		buf[17] = '\0';
		*is_sig = 1;
		name = buf;
	}
	if (cts_changeset_parse_name(name, seq) < 0) {
		cts_error_clear();
		return -1;
	}
	return 0;
}

void audit_add_variant(audit *a, const char *node, int64_t seq, const cts_gitoid *blob,
                       const char *branch_name, const cts_gitoid *commit)
{
	if (cts_auditmap_add_version(a->map, node, seq, blob->id, branch_name, commit->id) < 0)
		a->oom = 1;
}

static void set_introduced(audit *a, branch *b, const char *path, const cts_gitoid *commit)
{
	if (cts_auditmap_set_introduced(a->map, b->index, path, commit->id) < 0)
		a->oom = 1;
}

static void on_change(diff_ctx *d, int what, const char *path, const cts_gitentry *old,
                      const cts_gitentry *new)
{
	audit *a = d->a;
	branch *b = d->b;
	char x[65], hex[CTS_GITOID_HEXSZ + 1];
	const char *name = NULL;
	int64_t seq = 0;
	int is_sig = 0, under = split_changeset_path(path, x, &name);
	int named = under && audit_parse_file_name(name, &seq, &is_sig) == 0;

	/* Fork evidence: every version of every changeset, on any branch. */
	if (new &&named && !is_sig && cts_valid_node_id(x) && new->kind == CTS_GIT_KIND_BLOB)
		audit_add_variant(a, x, seq, &new->oid, b->name, d->commit);
	if (b->kind != BR_NODE)
		return;
	audit_oid_hex(hex, d->commit);
	switch (what) {
	case CH_DEL:
		audit_finding(
		    a, "deleted_file", b->node, named ? seq : 0, d->commit, path, b->name,
		    "le commit supprime le fichier %s (une branche de nœud ne fait qu'ajouter)",
		    path);
		return;
	case CH_MOD:
		if (under)
			audit_finding(
			    a, "modified_changeset", b->node, named ? seq : 0, d->commit, path,
			    b->name,
			    "le commit modifie le fichier déjà publié %s (contenu%s changé) : "
			    "un changeset publié ne change jamais",
			    path, old->mode != new->mode ? " ou type" : "");
		else
			audit_finding(a, "modified_file", b->node, 0, d->commit, path, b->name,
			              "le commit modifie %s, hors des changesets du nœud", path);
		if (named && strcmp(x, b->node) == 0)
			set_introduced(a, b, path, d->commit);
		return;
	default:
		break;
	}
	if (under && strcmp(x, b->node) != 0) {
		audit_finding(
		    a, "foreign_file", b->node, named ? seq : 0, d->commit, path, b->name,
		    "la branche de %s ajoute %s, un fichier du nœud %s : chaque nœud n'écrit "
		    "que ses propres changesets",
		    b->node, path, x);
		return;
	}
	if (!under) {
		audit_finding(a, "unexpected_file", b->node, 0, d->commit, path, b->name,
		              "la branche ajoute %s, hors de changesets/%s/", path, b->node);
		return;
	}
	if (!named) {
		audit_finding(
		    a, "bad_file_name", b->node, 0, d->commit, path, b->name,
		    "nom de fichier inattendu %s (attendu : 12 chiffres puis .json ou .json.sig)",
		    path);
		return;
	}
	if (new->mode != CTS_GIT_MODE_BLOB) {
		unsigned mode = new->mode;
		audit_finding(a, "bad_file_type", b->node, seq, d->commit, path, b->name,
		              "%s n'est pas un fichier ordinaire (mode %06o : %s)", path, mode,
		              mode == CTS_GIT_MODE_LINK     ? "lien symbolique"
		              : mode == CTS_GIT_MODE_COMMIT ? "sous-module"
		              : mode == CTS_GIT_MODE_EXEC   ? "fichier exécutable"
		                                            : "type inconnu");
		return;
	}
	set_introduced(a, b, path, d->commit);
}

static const char *owner_of(const branch *b)
{
	return b->kind == BR_NODE ? b->node : NULL;
}

/* One event of the diff of a commit against its first parent. */
static int on_diff(const cts_gitdiff *ev, void *vctx)
{
	diff_ctx *d = vctx;
	branch *b = d->b;

	switch (ev->what) {
	case CTS_GITDIFF_TOO_MANY:
		audit_finding(d->a, "unreadable_history", owner_of(b), 0, d->commit, ev->path,
		              b->name, "le dossier « %s » contient trop d'entrées (maximum %d)",
		              *ev->path ? ev->path : "/", CTS_AUDIT_MAX_DIR_ENTRIES);
		return 1;
	case CTS_GITDIFF_LONG_NAME:
		if (b->kind == BR_NODE)
			audit_finding(d->a, "unexpected_file", b->node, 0, d->commit, ev->path,
			              b->name, "nom de fichier trop long sous « %s »", ev->path);
		return 0;
	case CTS_GITDIFF_TOO_DEEP:
		if (b->kind == BR_NODE)
			audit_finding(d->a, "unexpected_file", b->node, 0, d->commit, ev->path,
			              b->name, "dossiers imbriqués trop profondément (%s)",
			              ev->path);
		return 0;
	case CTS_GITDIFF_UNREADABLE:
		audit_finding(d->a, "unreadable_history", owner_of(b), 0, d->commit, ev->path,
		              b->name, "dossier %s illisible dans le dépôt", ev->path);
		return 0;
	default:
		break;
	}
	if (++d->changes > CTS_AUDIT_MAX_CHANGES) {
		audit_finding(d->a, "unreadable_history", owner_of(b), 0, d->commit, NULL, b->name,
		              "le commit change plus de %d fichiers : vérification arrêtée",
		              CTS_AUDIT_MAX_CHANGES);
		return 1;
	}
	on_change(d,
	          ev->what == CTS_GITDIFF_ADD   ? CH_ADD
	          : ev->what == CTS_GITDIFF_DEL ? CH_DEL
	                                        : CH_MOD,
	          ev->path, ev->what == CTS_GITDIFF_ADD ? NULL : &ev->old,
	          ev->what == CTS_GITDIFF_DEL ? NULL : &ev->new);
	return 0;
}

/* Diff commit i of b against its first parent: findings for what it does. */
static void diff_commit(audit *a, branch *b, size_t i)
{
	diff_ctx d = { a, b, &b->commits[i], 0 };
	cts_gitcommit c, p;

	if (cts_gitrepo_commit_info(a->repo, &b->commits[i], &c) < 0 ||
	    (c.nparents > 0 && cts_gitrepo_commit_info(a->repo, &c.parent, &p) < 0))
		goto unreadable;
	if (b->kind == BR_NODE && c.nparents > 1)
		audit_finding(a, "merge_commit", b->node, 0, &b->commits[i], NULL, b->name,
		              "commit de fusion (%u parents) sur une branche de nœud, "
		              "qui ne fait qu'avancer en ligne droite",
		              c.nparents);
	if (cts_gitrepo_diff_trees(a->repo, c.nparents > 0 ? &p.tree : NULL, &c.tree,
	                           CTS_AUDIT_MAX_TREE_DEPTH, CTS_AUDIT_MAX_DIR_ENTRIES, on_diff,
	                           &d) == 0)
		return;
unreadable:
	audit_finding(a, "unreadable_history", owner_of(b), 0, &b->commits[i], NULL, b->name,
	              "commit, parent ou arbre illisible dans le dépôt");
	cts_error_clear();
}

/* Walk a branch (oldest first), diff each commit against its first parent. */
int audit_walk_branch(audit *a, branch *b)
{
	void *ctx[2] = { a, b };
	int rc;

	rc = cts_gitrepo_walk(a->repo, &b->tip, NULL, CTS_AUDIT_MAX_COMMITS, walk_cb, ctx);
	if (a->oom)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (rc < 0) {
		audit_finding(a, "unreadable_history", owner_of(b), 0, &b->tip, NULL, b->name,
		              "historique de la branche %s illisible : %s", b->name,
		              cts_error_message());
		cts_error_clear();
		b->walk_failed = 1;
		return 0;
	}
	for (size_t i = 0; i < b->ncommits; i++) {
		diff_commit(a, b, i);
		if (a->opt->progress && ++a->commits_diffed % a->progress_every == 0)
			a->opt->progress("commits lus", a->commits_diffed, a->opt->progress_ctx);
		if (a->oom)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	if (b->kind == BR_NODE)
		audit_summary_add(a, b->node, "commits", (json_int_t)b->ncommits);
	return 0;
}
