#include "audit_impl.h"

/* ---- branches ---- */

typedef struct {
	audit *a;
	int rc;
} refs_ctx;

static int collect_ref(const char *ref, const git_oid *oid, void *vctx)
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
	git_oid_cpy(&b->tip, oid);
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

static int has_contract_refs(cts_gitrepo *repo, const char *prefix)
{
	char glob[64], ref[64];
	git_oid oid;
	int found = 0;
	git_reference_iterator *it = NULL;
	git_reference *r = NULL;

	snprintf(ref, sizeof(ref), "%sregion", prefix);
	if (git_reference_name_to_id(&oid, cts_gitrepo_raw(repo), ref) == 0)
		return 1;
	snprintf(glob, sizeof(glob), "%snodes/*", prefix);
	if (git_reference_iterator_glob_new(&it, cts_gitrepo_raw(repo), glob) == 0) {
		if (git_reference_next(&r, it) == 0) {
			found = 1;
			git_reference_free(r);
		}
		git_reference_iterator_free(it);
	}
	git_error_clear();
	return found;
}

int audit_load_branches(audit *a)
{
	refs_ctx c = {a, 0};
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

static int walk_cb(const git_oid *commit, void *vctx)
{
	void **ctx = vctx;
	audit *a = ctx[0];
	branch *b = ctx[1];

	if (a->commits_visited >= CTS_AUDIT_MAX_COMMITS) {
		if (!a->budget_reported) {
			audit_finding(a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
			        &b->tip, NULL, b->name,
			        "historique trop long : plus de %d commits dans le dépôt, la "
			        "vérification s'arrête là",
			        CTS_AUDIT_MAX_COMMITS);
			a->budget_reported = 1;
		}
		b->walk_failed = 1;
		return 1;
	}
	if (b->ncommits == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		git_oid *p = realloc(b->commits, cap * sizeof(*p));
		if (!p) {
			a->oom = 1;
			return 1;
		}
		b->commits = p;
		b->cap = cap;
	}
	git_oid_cpy(&b->commits[b->ncommits++], commit);
	a->commits_visited++;
	return 0;
}

enum { CH_ADD, CH_MOD, CH_DEL };

typedef struct {
	audit *a;
	branch *b;
	const git_oid *commit;
	size_t changes;
	int stop;
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

void audit_add_variant(audit *a, const char *node, int64_t seq, const git_oid *blob,
                 const char *branch_name, const git_oid *commit)
{
	if (cts_auditmap_add_version(a->map, node, seq, blob->id, branch_name, commit->id) < 0)
		a->oom = 1;
}

static void set_introduced(audit *a, branch *b, const char *path, const git_oid *commit)
{
	if (cts_auditmap_set_introduced(a->map, b->index, path, commit->id) < 0)
		a->oom = 1;
}

static void on_change(diff_ctx *d, int what, const char *path, const git_tree_entry *old,
                      const git_tree_entry *new)
{
	audit *a = d->a;
	branch *b = d->b;
	char x[65], hex[GIT_OID_HEXSZ + 1];
	const char *name = NULL;
	int64_t seq = 0;
	int is_sig = 0, under = split_changeset_path(path, x, &name);
	int named = under && audit_parse_file_name(name, &seq, &is_sig) == 0;

	/* Fork evidence: every version of every changeset, on any branch. */
	if (new &&named && !is_sig && cts_valid_node_id(x) &&
	    git_tree_entry_type(new) == GIT_OBJECT_BLOB)
		audit_add_variant(a, x, seq, git_tree_entry_id(new), b->name, d->commit);
	if (b->kind != BR_NODE)
		return;
	audit_oid_hex(hex, d->commit);
	switch (what) {
	case CH_DEL:
		audit_finding(a, "deleted_file", b->node, named ? seq : 0, d->commit, path, b->name,
		        "le commit supprime le fichier %s (une branche de nœud ne fait qu'ajouter)",
		        path);
		return;
	case CH_MOD:
		if (under)
			audit_finding(a, "modified_changeset", b->node, named ? seq : 0, d->commit, path,
			        b->name,
			        "le commit modifie le fichier déjà publié %s (contenu%s changé) : "
			        "un changeset publié ne change jamais",
			        path,
			        git_tree_entry_filemode(old) != git_tree_entry_filemode(new)
			            ? " ou type"
			            : "");
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
		audit_finding(a, "foreign_file", b->node, named ? seq : 0, d->commit, path, b->name,
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
	if (git_tree_entry_filemode(new) != GIT_FILEMODE_BLOB) {
		unsigned mode = (unsigned)git_tree_entry_filemode(new);
		audit_finding(a, "bad_file_type", b->node, seq, d->commit, path, b->name,
		        "%s n'est pas un fichier ordinaire (mode %06o : %s)", path, mode,
		        mode == GIT_FILEMODE_LINK              ? "lien symbolique"
		        : mode == GIT_FILEMODE_COMMIT          ? "sous-module"
		        : mode == GIT_FILEMODE_BLOB_EXECUTABLE ? "fichier exécutable"
		                                               : "type inconnu");
		return;
	}
	set_introduced(a, b, path, d->commit);
}

/* Git's tree order: trees compare as if their name ended with '/'. */
static int entry_cmp(const git_tree_entry *x, const git_tree_entry *y)
{
	const char *a = git_tree_entry_name(x), *b = git_tree_entry_name(y);
	size_t al = strlen(a), bl = strlen(b), n = al < bl ? al : bl;
	int c = memcmp(a, b, n);
	unsigned ca, cb;

	if (c)
		return c;
	ca = al > n ? (unsigned char)a[n] : git_tree_entry_type(x) == GIT_OBJECT_TREE ? '/' : 0;
	cb = bl > n ? (unsigned char)b[n] : git_tree_entry_type(y) == GIT_OBJECT_TREE ? '/' : 0;
	return (int)ca - (int)cb;
}

static void diff_trees(diff_ctx *d, const git_tree *old, const git_tree *new, const char *prefix,
                       int depth);

/* A whole entry appears (what = CH_ADD) or disappears (CH_DEL). */
static void whole_entry(diff_ctx *d, int what, const git_tree_entry *e, const char *path, int depth)
{
	branch *b = d->b;
	git_tree *sub = NULL;

	if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		if (++d->changes > CTS_AUDIT_MAX_CHANGES) {
			audit_finding(d->a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
			        d->commit, NULL, b->name,
			        "le commit change plus de %d fichiers : vérification arrêtée",
			        CTS_AUDIT_MAX_CHANGES);
			d->stop = 1;
			return;
		}
		on_change(d, what, path, what == CH_DEL ? e : NULL, what == CH_ADD ? e : NULL);
		return;
	}
	if (depth >= CTS_AUDIT_MAX_TREE_DEPTH) {
		if (b->kind == BR_NODE)
			audit_finding(d->a, "unexpected_file", b->node, 0, d->commit, path, b->name,
			        "dossiers imbriqués trop profondément (%s)", path);
		return;
	}
	if (git_tree_lookup(&sub, cts_gitrepo_raw(d->a->repo), git_tree_entry_id(e)) < 0) {
		audit_finding(d->a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
		        d->commit, path, b->name, "dossier %s illisible dans le dépôt", path);
		git_error_clear();
		return;
	}
	diff_trees(d, what == CH_DEL ? sub : NULL, what == CH_ADD ? sub : NULL, path, depth + 1);
	git_tree_free(sub);
}

static void diff_trees(diff_ctx *d, const git_tree *old, const git_tree *new, const char *prefix,
                       int depth)
{
	size_t no = old ? git_tree_entrycount(old) : 0, nn = new ? git_tree_entrycount(new) : 0,
	       i = 0, j = 0;
	branch *b = d->b;
	char path[PATH_MAX_AUDIT];

	if (no > CTS_AUDIT_MAX_DIR_ENTRIES || nn > CTS_AUDIT_MAX_DIR_ENTRIES) {
		audit_finding(d->a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
		        d->commit, prefix, b->name,
		        "le dossier « %s » contient trop d'entrées (maximum %d)",
		        *prefix ? prefix : "/", CTS_AUDIT_MAX_DIR_ENTRIES);
		d->stop = 1;
		return;
	}
	while (!d->stop && (i < no || j < nn)) {
		const git_tree_entry *eo = i < no ? git_tree_entry_byindex(old, i) : NULL;
		const git_tree_entry *en = j < nn ? git_tree_entry_byindex(new, j) : NULL;
		int c = !eo ? 1 : !en ? -1 : entry_cmp(eo, en);
		const git_tree_entry *e = c < 0 ? eo : en;
		int n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "",
		                 git_tree_entry_name(e));

		if (n < 0 || (size_t)n >= sizeof(path)) {
			if (b->kind == BR_NODE)
				audit_finding(d->a, "unexpected_file", b->node, 0, d->commit, prefix,
				        b->name, "nom de fichier trop long sous « %s »", prefix);
			if (c <= 0)
				i++;
			if (c >= 0)
				j++;
			continue;
		}
		if (c < 0) {
			whole_entry(d, CH_DEL, eo, path, depth);
			i++;
		} else if (c > 0) {
			whole_entry(d, CH_ADD, en, path, depth);
			j++;
		} else {
			if (!git_oid_equal(git_tree_entry_id(eo), git_tree_entry_id(en)) ||
			    git_tree_entry_filemode(eo) != git_tree_entry_filemode(en)) {
				if (git_tree_entry_type(eo) == GIT_OBJECT_TREE &&
				    git_tree_entry_type(en) == GIT_OBJECT_TREE) {
					git_tree *so = NULL, *sn = NULL;
					if (depth >= CTS_AUDIT_MAX_TREE_DEPTH) {
						if (b->kind == BR_NODE)
							audit_finding(d->a, "unexpected_file", b->node, 0,
							        d->commit, path, b->name,
							        "dossiers imbriqués trop "
							        "profondément (%s)",
							        path);
					} else if (git_tree_lookup(&so, cts_gitrepo_raw(d->a->repo),
					                           git_tree_entry_id(eo)) < 0 ||
					           git_tree_lookup(&sn, cts_gitrepo_raw(d->a->repo),
					                           git_tree_entry_id(en)) < 0) {
						audit_finding(d->a, "unreadable_history",
						        b->kind == BR_NODE ? b->node : NULL, 0,
						        d->commit, path, b->name,
						        "dossier %s illisible dans le dépôt", path);
						git_error_clear();
					} else {
						diff_trees(d, so, sn, path, depth + 1);
					}
					git_tree_free(so);
					git_tree_free(sn);
				} else if (++d->changes > CTS_AUDIT_MAX_CHANGES) {
					audit_finding(d->a, "unreadable_history",
					        b->kind == BR_NODE ? b->node : NULL, 0, d->commit,
					        NULL, b->name,
					        "le commit change plus de %d fichiers : "
					        "vérification arrêtée",
					        CTS_AUDIT_MAX_CHANGES);
					d->stop = 1;
				} else {
					on_change(d, CH_MOD, path, eo, en);
				}
			}
			i++;
			j++;
		}
	}
}

/* Walk a branch (oldest first), diff each commit against its first parent. */
int audit_walk_branch(audit *a, branch *b)
{
	void *ctx[2] = {a, b};
	git_repository *r = cts_gitrepo_raw(a->repo);
	int rc;

	rc = cts_gitrepo_walk(a->repo, &b->tip, NULL, CTS_AUDIT_MAX_COMMITS, walk_cb, ctx);
	if (a->oom)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (rc < 0) {
		audit_finding(a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0, &b->tip,
		        NULL, b->name, "historique de la branche %s illisible : %s", b->name,
		        cts_error_message());
		cts_error_clear();
		b->walk_failed = 1;
		return 0;
	}
	for (size_t i = 0; i < b->ncommits; i++) {
		git_commit *c = NULL, *parent = NULL;
		git_tree *t = NULL, *pt = NULL;
		diff_ctx d = {a, b, &b->commits[i], 0, 0};

		if (git_commit_lookup(&c, r, &b->commits[i]) < 0 || git_commit_tree(&t, c) < 0 ||
		    (git_commit_parentcount(c) > 0 &&
		     (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&pt, parent) < 0))) {
			audit_finding(a, "unreadable_history", b->kind == BR_NODE ? b->node : NULL, 0,
			        &b->commits[i], NULL, b->name,
			        "commit, parent ou arbre illisible dans le dépôt");
			git_error_clear();
		} else {
			if (b->kind == BR_NODE && git_commit_parentcount(c) > 1)
				audit_finding(a, "merge_commit", b->node, 0, &b->commits[i], NULL,
				        b->name,
				        "commit de fusion (%u parents) sur une branche de nœud, "
				        "qui ne fait qu'avancer en ligne droite",
				        git_commit_parentcount(c));
			diff_trees(&d, pt, t, "", 0);
		}
		if (a->opt->progress && ++a->commits_diffed % a->progress_every == 0)
			a->opt->progress("commits lus", a->commits_diffed, a->opt->progress_ctx);
		git_tree_free(pt);
		git_tree_free(t);
		git_commit_free(parent);
		git_commit_free(c);
		if (a->oom)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	if (b->kind == BR_NODE)
		audit_summary_add(a, b->node, "commits", (json_int_t)b->ncommits);
	return 0;
}
