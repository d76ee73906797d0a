#include "gitrepo_impl.h"
#include <fcntl.h>

/* ---- reading ---- */

void cts_gitrepo_release_every(cts_gitrepo *repo, size_t reads, size_t above)
{
	/* Test hook: release that often instead (1: at every read), whatever
	 * the memory, so that the suite and its sanitizer run go through it. */
	const char *t = getenv("CTSNODE_TEST_GIT_RELEASE_EVERY");

	if (t && *t && reads) {
		reads = (size_t)strtoul(t, NULL, 10);
		above = 0;
	}
	repo->release_every = reads;
	repo->release_above = above;
	repo->reads = 0;
}

/* This process's resident memory in bytes (/proc/self/statm), 0 if
 * unknown. */
static size_t resident_bytes(void)
{
	char buf[128];
	unsigned long size, res;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%lu %lu", &size, &res) != 2)
		return 0;
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

void cts_gitrepo_tick(cts_gitrepo *repo)
{
	size_t rss;

	if (repo->release_every == 0 || ++repo->reads < repo->release_every)
		return;
	repo->reads = 0;
	if (repo->release_above && (rss = resident_bytes()) != 0 && rss <= repo->release_above)
		return;
	/* Drops the parsed objects (those still referenced live on), the
	 * object database with its pack indexes, windows and delta-base caches,
	 * the config and the refs; libgit2 opens them again when next needed. */
	(void)git_repository__cleanup(repo->repo);
}

static int commit_tree(cts_gitrepo *repo, const cts_gitoid *commit_id, git_tree **tree)
{
	const git_oid *commit = cts_git_oid(commit_id);
	git_commit *c = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	*tree = NULL;
	cts_gitrepo_tick(repo);
	if (git_commit_lookup(&c, repo->repo, commit) < 0) {
		git_oid_tostr(hex, sizeof(hex), commit);
		return cts_error_prefix(cts_git_fail(CTS_EGIT, "commit illisible"),
		                        "commit %.12s : ", hex);
	}
	rc = git_commit_tree(tree, c);
	git_commit_free(c);
	if (rc < 0) {
		git_oid_tostr(hex, sizeof(hex), commit);
		return cts_error_prefix(cts_git_fail(CTS_EGIT, "arbre illisible"),
		                        "commit %.12s : ", hex);
	}
	return 0;
}

/* Size and type of an object without loading it. */
static int object_header(cts_gitrepo *repo, const git_oid *oid, size_t *size, git_object_t *type)
{
	git_odb *odb = NULL;
	int rc;

	cts_gitrepo_tick(repo);
	if (git_repository_odb(&odb, repo->repo) < 0)
		return cts_git_fail(CTS_EGIT, "base d'objets git");
	rc = git_odb_read_header(size, type, odb, oid);
	git_odb_free(odb);
	return rc < 0 ? cts_git_fail(CTS_EGIT, "objet git illisible") : 0;
}

static int blob_size(cts_gitrepo *repo, const git_oid *oid, size_t *size)
{
	git_object_t type;
	int rc;

	if ((rc = object_header(repo, oid, size, &type)) < 0)
		return rc;
	if (type != GIT_OBJECT_BLOB)
		return cts_error_set(CTS_EINVAL, "objet git de type inattendu (fichier attendu)");
	return 0;
}

/* The entry at path in commit's tree (*e: git_tree_entry_free). */
static int entry_at(cts_gitrepo *repo, const cts_gitoid *commit, const char *path,
                    git_tree_entry **e)
{
	git_tree *tree = NULL;
	int rc;

	*e = NULL;
	if ((rc = commit_tree(repo, commit, &tree)) < 0)
		return rc;
	rc = git_tree_entry_bypath(e, tree, path);
	git_tree_free(tree);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return cts_error_set(CTS_ENOTFOUND, "%s absent du dépôt", path);
	}
	if (rc < 0)
		return cts_error_prefix(cts_git_fail(CTS_EGIT, "lecture de l'arbre"),
		                        "%s : ", path);
	return 0;
}

int cts_gitrepo_read_file(cts_gitrepo *repo, const cts_gitoid *commit, const char *path,
                          size_t max_size, unsigned char **data, size_t *len)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_filemode_t mode;
	size_t size;
	int rc;

	*data = NULL;
	*len = 0;
	if (!path || !*path)
		return cts_error_set(CTS_EINVAL, "lecture dans le dépôt : chemin vide");
	if ((rc = entry_at(repo, commit, path, &e)) < 0)
		return rc;
	mode = git_tree_entry_filemode(e);
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)) {
		rc = cts_error_set(
		    CTS_EINVAL,
		    "%s n'est pas un fichier ordinaire dans le dépôt (mode %06o refusé)", path,
		    (unsigned)mode);
		goto cleanup;
	}
	if ((rc = blob_size(repo, git_tree_entry_id(e), &size)) < 0) {
		cts_error_prefix(rc, "%s : ", path);
		goto cleanup;
	}
	if (size > max_size) {
		rc = cts_error_set(CTS_ELIMIT, "%s est trop gros (%zu octets, maximum %zu)", path,
		                   size, max_size);
		goto cleanup;
	}
	if (git_blob_lookup(&blob, repo->repo, git_tree_entry_id(e)) < 0) {
		rc = cts_error_prefix(cts_git_fail(CTS_EGIT, "lecture d'un fichier du dépôt"),
		                      "%s : ", path);
		goto cleanup;
	}
	if ((size_t)git_blob_rawsize(blob) != size) {
		rc = cts_error_set(CTS_EGIT, "%s : taille incohérente dans la base d'objets", path);
		goto cleanup;
	}
	if (!(*data = malloc(size + 1))) {
		rc = cts_git_oom();
		goto cleanup;
	}
	memcpy(*data, git_blob_rawcontent(blob), size);
	(*data)[size] = 0;
	*len = size;
	rc = 0;
cleanup:
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}

static int valid_entry_name(const char *name)
{
	size_t l = name ? strlen(name) : 0;

	return l > 0 && l <= 255 && !strchr(name, '/') && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* Largest tree object that can hold max_entries valid entries: mode (6),
 * space, name (255), NUL, oid (20). */
#define TREE_ENTRY_MAX_BYTES 283

int cts_gitrepo_list_dir(cts_gitrepo *repo, const cts_gitoid *commit, const char *dir,
                         size_t max_entries,
                         int (*cb)(const char *name, const cts_gitoid *oid, size_t size,
                                   unsigned filemode, void *ctx),
                         void *ctx)
{
	return cts_gitrepo_list_dir_filtered(repo, commit, dir, max_entries, NULL, cb, ctx);
}

/* The id of directory dir (NULL or "": the root) in commit's tree: 1 and
 * *out, or 0 when the commit has no such path. */
static int dir_id(cts_gitrepo *repo, const cts_gitoid *commit, const char *dir, git_oid *out)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int rc;

	if ((rc = commit_tree(repo, commit, &tree)) < 0)
		return rc;
	if (!dir || !*dir) {
		git_oid_cpy(out, git_tree_id(tree));
		git_tree_free(tree);
		return 1;
	}
	rc = git_tree_entry_bypath(&e, tree, dir);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		rc = 0;
	} else if (rc < 0) {
		rc = cts_error_prefix(cts_git_fail(CTS_EGIT, "lecture de l'arbre"), "%s : ", dir);
	} else if (git_tree_entry_type(e) != GIT_OBJECT_TREE ||
	           git_tree_entry_filemode(e) != GIT_FILEMODE_TREE) {
		rc = cts_error_set(CTS_EINVAL, "%s n'est pas un dossier dans le dépôt", dir);
	} else {
		git_oid_cpy(out, git_tree_entry_id(e));
		rc = 1;
	}
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

int cts_gitrepo_list_dir_filtered(cts_gitrepo *repo, const cts_gitoid *commit, const char *dir,
                                  size_t max_entries, int (*skip)(const char *name, void *ctx),
                                  int (*cb)(const char *name, const cts_gitoid *oid, size_t size,
                                            unsigned filemode, void *ctx),
                                  void *ctx)
{
	git_tree *sub = NULL;
	git_oid sub_oid;
	const char *where = dir && *dir ? dir : "/";
	git_object_t type;
	size_t count, osize;
	int rc;

	if ((rc = dir_id(repo, commit, dir, &sub_oid)) <= 0)
		return rc;
	/* Bound the tree object before parsing it. */
	if ((rc = object_header(repo, &sub_oid, &osize, &type)) < 0)
		return rc;
	if (type != GIT_OBJECT_TREE)
		return cts_error_set(CTS_EINVAL, "%s n'est pas un dossier dans le dépôt", where);
	if (max_entries < ((size_t)-1) / TREE_ENTRY_MAX_BYTES &&
	    osize > max_entries * TREE_ENTRY_MAX_BYTES)
		return cts_error_set(CTS_ELIMIT, "%s contient trop d'entrées (maximum %zu)", where,
		                     max_entries);
	if (git_tree_lookup(&sub, repo->repo, &sub_oid) < 0)
		return cts_error_prefix(cts_git_fail(CTS_EGIT, "dossier illisible"),
		                        "%s : ", where);
	count = git_tree_entrycount(sub);
	if (count > max_entries) {
		rc = cts_error_set(CTS_ELIMIT, "%s contient trop d'entrées (%zu, maximum %zu)",
		                   where, count, max_entries);
		goto cleanup;
	}
	for (size_t i = 0; i < count; i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(sub, i));
		if (!valid_entry_name(name)) {
			char shown[64];
			snprintf(shown, sizeof(shown), "%s", name ? name : "");
			rc = cts_error_set(
			    CTS_EINVAL, "%s : entrée au nom invalide « %s%s » dans le dépôt", where,
			    shown, name && strlen(name) >= sizeof(shown) ? "…" : "");
			goto cleanup;
		}
	}
	for (size_t i = 0; i < count; i++) {
		const git_tree_entry *x = git_tree_entry_byindex(sub, i);
		size_t size = 0;
		int ret;
		if (skip && skip(git_tree_entry_name(x), ctx))
			continue;
		if (git_tree_entry_type(x) == GIT_OBJECT_BLOB &&
		    (rc = blob_size(repo, git_tree_entry_id(x), &size)) < 0) {
			cts_error_prefix(rc, "%s/%s : ", where, git_tree_entry_name(x));
			goto cleanup;
		}
		if ((ret = cb(git_tree_entry_name(x), cts_gitoid_of(git_tree_entry_id(x)), size,
		              (unsigned)git_tree_entry_filemode(x), ctx))) {
			rc = ret < 0 ? ret : 0;
			goto cleanup;
		}
	}
	rc = 0;
cleanup:
	git_tree_free(sub);
	return rc;
}

int cts_gitrepo_walk(cts_gitrepo *repo, const cts_gitoid *tip, const cts_gitoid *stop,
                     size_t max_commits, int (*cb)(const cts_gitoid *commit, void *ctx), void *ctx)
{
	git_revwalk *w = NULL;
	git_oid oid, *list = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;

	if (git_revwalk_new(&w, repo->repo) < 0 ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL) < 0 ||
	    git_revwalk_push(w, cts_git_oid(tip)) < 0 ||
	    (stop && git_revwalk_hide(w, cts_git_oid(stop)) < 0)) {
		rc = cts_git_fail(CTS_EGIT, "parcours de l'historique");
		goto cleanup;
	}
	/* Newest first: collect (bounded), then hand them out reversed. */
	while ((rc = git_revwalk_next(&oid, w)) == 0) {
		if (count >= max_commits) {
			rc = cts_error_set(CTS_ELIMIT, "historique trop long (plus de %zu commits)",
			                   max_commits);
			goto cleanup;
		}
		if (count == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			git_oid *nl = realloc(list, ncap * sizeof(*nl));
			if (!nl) {
				rc = cts_git_oom();
				goto cleanup;
			}
			list = nl;
			cap = ncap;
		}
		git_oid_cpy(&list[count++], &oid);
	}
	if (rc != GIT_ITEROVER) {
		rc = cts_git_fail(CTS_EGIT, "parcours de l'historique");
		goto cleanup;
	}
	git_error_clear();
	rc = 0;
	for (size_t i = count; i-- > 0;) {
		int ret = cb(cts_gitoid_of(&list[i]), ctx);
		if (ret) {
			rc = ret < 0 ? ret : 0;
			break;
		}
	}
cleanup:
	free(list);
	git_revwalk_free(w);
	return rc;
}

int cts_gitrepo_commit_raw(cts_gitrepo *repo, const cts_gitoid *commit_id, char **data, size_t *len)
{
	const git_oid *commit = cts_git_oid(commit_id);
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	git_object_t type;
	size_t size;
	int rc;

	*data = NULL;
	*len = 0;
	if ((rc = object_header(repo, commit, &size, &type)) < 0)
		return rc;
	if (type != GIT_OBJECT_COMMIT)
		return cts_error_set(CTS_EINVAL, "l'objet git n'est pas un commit");
	if (size > CTS_GIT_COMMIT_MAX)
		return cts_error_set(CTS_ELIMIT, "commit trop gros (%zu octets, maximum %zu)", size,
		                     CTS_GIT_COMMIT_MAX);
	if (git_repository_odb(&odb, repo->repo) < 0 || git_odb_read(&obj, odb, commit) < 0) {
		rc = cts_git_fail(CTS_EGIT, "commit illisible");
		goto cleanup;
	}
	size = git_odb_object_size(obj);
	if (git_odb_object_type(obj) != GIT_OBJECT_COMMIT || size > CTS_GIT_COMMIT_MAX) {
		rc = cts_error_set(CTS_EGIT, "commit incohérent dans la base d'objets");
		goto cleanup;
	}
	if (!(*data = malloc(size + 1))) {
		rc = cts_git_oom();
		goto cleanup;
	}
	memcpy(*data, git_odb_object_data(obj), size);
	(*data)[size] = '\0';
	*len = size;
cleanup:
	git_odb_object_free(obj);
	git_odb_free(odb);
	return rc;
}

/* ---- objects and entries by id ---- */

static int kind_of(git_object_t t)
{
	switch (t) {
	case GIT_OBJECT_COMMIT:
		return CTS_GIT_KIND_COMMIT;
	case GIT_OBJECT_TREE:
		return CTS_GIT_KIND_TREE;
	case GIT_OBJECT_BLOB:
		return CTS_GIT_KIND_BLOB;
	default:
		return CTS_GIT_KIND_OTHER;
	}
}

void cts_gitrepo_entry_of(cts_gitentry *out, const git_tree_entry *e)
{
	git_oid_cpy(cts_git_oid_w(&out->oid), git_tree_entry_id(e));
	out->mode = (unsigned)git_tree_entry_filemode(e);
	out->kind = kind_of(git_tree_entry_type(e));
}

int cts_gitrepo_object_size(cts_gitrepo *repo, const cts_gitoid *oid, size_t *size, int *kind)
{
	git_object_t type;
	int rc = object_header(repo, cts_git_oid(oid), size, &type);

	if (rc == 0 && kind)
		*kind = kind_of(type);
	return rc;
}

int cts_gitrepo_read_blob(cts_gitrepo *repo, const cts_gitoid *oid, const size_t *known_size,
                          size_t max_size, unsigned char **data, size_t *len)
{
	git_blob *blob = NULL;
	size_t size;
	int rc = 0;

	*data = NULL;
	*len = 0;
	if (known_size)
		size = *known_size;
	else if ((rc = blob_size(repo, cts_git_oid(oid), &size)) < 0)
		return rc;
	if (size > max_size)
		return cts_error_set(CTS_ELIMIT, "fichier trop gros (%zu octets, maximum %zu)",
		                     size, max_size);
	cts_gitrepo_tick(repo);
	if (git_blob_lookup(&blob, repo->repo, cts_git_oid(oid)) < 0)
		return cts_git_fail(CTS_EINVAL, "fichier illisible");
	size = (size_t)git_blob_rawsize(blob);
	if (size > max_size)
		rc = cts_error_set(CTS_ELIMIT, "fichier trop gros (%zu octets, maximum %zu)", size,
		                   max_size);
	else if (!(*data = malloc(size + 1)))
		rc = cts_git_oom();
	if (rc == 0) {
		memcpy(*data, git_blob_rawcontent(blob), size);
		(*data)[size] = '\0';
		*len = size;
	}
	git_blob_free(blob);
	return rc;
}

int cts_gitrepo_commit_info(cts_gitrepo *repo, const cts_gitoid *oid, cts_gitcommit *out)
{
	git_commit *c = NULL;

	memset(out, 0, sizeof(*out));
	cts_gitrepo_tick(repo);
	if (git_commit_lookup(&c, repo->repo, cts_git_oid(oid)) < 0)
		return cts_git_fail(CTS_EGIT, "commit illisible");
	git_oid_cpy(cts_git_oid_w(&out->tree), git_commit_tree_id(c));
	out->nparents = git_commit_parentcount(c);
	if (out->nparents > 0)
		git_oid_cpy(cts_git_oid_w(&out->parent), git_commit_parent_id(c, 0));
	git_commit_free(c);
	return 0;
}

int cts_gitrepo_entry(cts_gitrepo *repo, const cts_gitoid *commit, const char *path,
                      cts_gitentry *out)
{
	git_tree_entry *e = NULL;
	int rc = entry_at(repo, commit, path, &e);

	if (rc == 0)
		cts_gitrepo_entry_of(out, e);
	git_tree_entry_free(e);
	return rc;
}

int cts_gitrepo_tree_foreach(cts_gitrepo *repo, const cts_gitoid *tree,
                             int (*cb)(const char *name, const cts_gitentry *e, void *ctx),
                             void *ctx)
{
	git_tree *t = NULL;
	size_t n;
	int rc = 0;

	cts_gitrepo_tick(repo);
	if (git_tree_lookup(&t, repo->repo, cts_git_oid(tree)) < 0)
		return cts_git_fail(CTS_EGIT, "dossier illisible");
	n = git_tree_entrycount(t);
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *x = git_tree_entry_byindex(t, i);
		cts_gitentry e;
		int ret;
		cts_gitrepo_entry_of(&e, x);
		if ((ret = cb(git_tree_entry_name(x), &e, ctx))) {
			rc = ret < 0 ? ret : 0;
			break;
		}
	}
	git_tree_free(t);
	return rc;
}
