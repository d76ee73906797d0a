/* Tree differences, file by file, in git's tree order (the audit's walk of
 * a branch: what each commit adds, changes or removes). */
#include "gitrepo_impl.h"

typedef struct {
	cts_gitrepo *repo;
	int max_depth;
	size_t max_entries;
	int (*cb)(const cts_gitdiff *d, void *ctx);
	void *ctx;
	int ret; /* the callback's nonzero return: stop */
} diff_ctx;

static void emit(diff_ctx *d, int what, const char *path, const git_tree_entry *old,
                 const git_tree_entry *new)
{
	cts_gitdiff ev;

	if (d->ret)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.what = what;
	ev.path = path;
	if (old)
		cts_gitrepo_entry_of(&ev.old, old);
	if (new)
		cts_gitrepo_entry_of(&ev.new, new);
	d->ret = d->cb(&ev, d->ctx);
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

/* Look up the trees of old and new (either may be NULL) and diff them one
 * level deeper; too deep or unreadable trees are events. */
static void descend(diff_ctx *d, const git_tree_entry *old, const git_tree_entry *new,
                    const char *path, int depth)
{
	git_tree *so = NULL, *sn = NULL;

	if (depth >= d->max_depth) {
		emit(d, CTS_GITDIFF_TOO_DEEP, path, NULL, NULL);
		return;
	}
	cts_gitrepo_tick(d->repo);
	if ((old && git_tree_lookup(&so, d->repo->repo, git_tree_entry_id(old)) < 0) ||
	    (new &&git_tree_lookup(&sn, d->repo->repo, git_tree_entry_id(new)) < 0)) {
		git_error_clear();
		emit(d, CTS_GITDIFF_UNREADABLE, path, NULL, NULL);
	} else {
		diff_trees(d, so, sn, path, depth + 1);
	}
	git_tree_free(so);
	git_tree_free(sn);
}

/* A whole entry appears (new) or disappears (old). */
static void whole_entry(diff_ctx *d, const git_tree_entry *old, const git_tree_entry *new,
                        const char *path, int depth)
{
	const git_tree_entry *e = old ? old : new;

	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		emit(d, old ? CTS_GITDIFF_DEL : CTS_GITDIFF_ADD, path, old, new);
	else
		descend(d, old, new, path, depth);
}

/* Both sides have path: compare inside two trees, else one change. */
static void both_entries(diff_ctx *d, const git_tree_entry *eo, const git_tree_entry *en,
                         const char *path, int depth)
{
	if (git_oid_equal(git_tree_entry_id(eo), git_tree_entry_id(en)) &&
	    git_tree_entry_filemode(eo) == git_tree_entry_filemode(en))
		return;
	if (git_tree_entry_type(eo) == GIT_OBJECT_TREE &&
	    git_tree_entry_type(en) == GIT_OBJECT_TREE)
		descend(d, eo, en, path, depth);
	else
		emit(d, CTS_GITDIFF_MOD, path, eo, en);
}

static void diff_trees(diff_ctx *d, const git_tree *old, const git_tree *new, const char *prefix,
                       int depth)
{
	size_t no = old ? git_tree_entrycount(old) : 0, nn = new ? git_tree_entrycount(new) : 0,
	       i = 0, j = 0;
	char path[CTS_GITDIFF_PATH_MAX];

	if (no > d->max_entries || nn > d->max_entries) {
		emit(d, CTS_GITDIFF_TOO_MANY, prefix, NULL, NULL);
		if (!d->ret)
			d->ret = 1;
		return;
	}
	while (!d->ret && (i < no || j < nn)) {
		const git_tree_entry *eo = i < no ? git_tree_entry_byindex(old, i) : NULL;
		const git_tree_entry *en = j < nn ? git_tree_entry_byindex(new, j) : NULL;
		int c = !eo ? 1 : !en ? -1 : entry_cmp(eo, en);
		int n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "",
		                 git_tree_entry_name(c < 0 ? eo : en));

		if (n < 0 || (size_t)n >= sizeof(path))
			emit(d, CTS_GITDIFF_LONG_NAME, prefix, NULL, NULL);
		else if (c < 0)
			whole_entry(d, eo, NULL, path, depth);
		else if (c > 0)
			whole_entry(d, NULL, en, path, depth);
		else
			both_entries(d, eo, en, path, depth);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
}

int cts_gitrepo_diff_trees(cts_gitrepo *repo, const cts_gitoid *old, const cts_gitoid *new,
                           int max_depth, size_t max_entries,
                           int (*cb)(const cts_gitdiff *d, void *ctx), void *ctx)
{
	diff_ctx d = { repo, max_depth, max_entries, cb, ctx, 0 };
	git_tree *to = NULL, *tn = NULL;
	int rc = 0;

	cts_gitrepo_tick(repo);
	if ((old && git_tree_lookup(&to, repo->repo, cts_git_oid(old)) < 0) ||
	    git_tree_lookup(&tn, repo->repo, cts_git_oid(new)) < 0)
		rc = cts_git_fail(CTS_EGIT, "arbre illisible");
	else
		diff_trees(&d, to, tn, "", 0);
	git_tree_free(to);
	git_tree_free(tn);
	if (rc == 0 && d.ret < 0)
		rc = d.ret;
	return rc;
}
