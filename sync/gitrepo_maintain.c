#include "gitrepo_impl.h"

/* ---- maintenance ---- */

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

/* For each loose object: cb(path, oid). Returns the count. */
static size_t foreach_loose(const char *objdir,
                            void (*cb)(const char *path, const git_oid *oid, void *ctx), void *ctx)
{
	DIR *d = opendir(objdir);
	struct dirent *de;
	size_t count = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char sub[4200];
		DIR *s;
		struct dirent *fe;
		if (!is_hex(de->d_name, 2))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", objdir, de->d_name);
		if (!(s = opendir(sub)))
			continue;
		while ((fe = readdir(s))) {
			char hex[GIT_OID_HEXSZ + 1], f[4300];
			git_oid oid;
			if (!is_hex(fe->d_name, GIT_OID_HEXSZ - 2))
				continue;
			count++;
			if (!cb)
				continue;
			memcpy(hex, de->d_name, 2);
			memcpy(hex + 2, fe->d_name, GIT_OID_HEXSZ - 2);
			hex[GIT_OID_HEXSZ] = '\0';
			if (snprintf(f, sizeof(f), "%s/%s", sub, fe->d_name) < (int)sizeof(f) &&
			    git_oid_fromstr(&oid, hex) == 0)
				cb(f, &oid, ctx);
		}
		closedir(s);
		if (cb)
			rmdir(sub); /* fails harmlessly when not empty */
	}
	closedir(d);
	return count;
}

int cts_gitrepo_odb_of(git_odb **out, int made, git_odb_backend **be, const char *what)
{
	*out = NULL;
	if (made < 0)
		return cts_git_fail(CTS_EGIT, what);
	if (git_odb_new(out) < 0 || git_odb_add_backend(*out, *be, 1) < 0) {
		int rc = cts_git_fail(CTS_EGIT, what);

		(*be)->free(*be);
		*be = NULL;
		git_odb_free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

int cts_gitrepo_objects_dir(cts_gitrepo *repo, char *out, size_t size)
{
	git_buf b = { 0 };

	if (git_repository_item_path(&b, repo->repo, GIT_REPOSITORY_ITEM_OBJECTS) < 0)
		return cts_git_fail(CTS_EGIT, "dossier des objets git");
	snprintf(out, size, "%s", b.ptr);
	git_buf_dispose(&b);
	/* no trailing slash */
	for (size_t l = strlen(out); l > 1 && out[l - 1] == '/'; l--)
		out[l - 1] = '\0';
	return 0;
}

size_t cts_gitrepo_loose_count(cts_gitrepo *repo)
{
	char objdir[4096];

	if (cts_gitrepo_objects_dir(repo, objdir, sizeof(objdir)) < 0) {
		cts_error_clear();
		return 0;
	}
	return foreach_loose(objdir, NULL, NULL);
}

typedef struct {
	git_odb *pack; /* only the new pack */
	time_t now;
} prune_ctx;

static void prune_loose(const char *path, const git_oid *oid, void *vctx)
{
	prune_ctx *p = vctx;
	struct stat sb;

	if (git_odb_exists(p->pack, oid) ||
	    (lstat(path, &sb) == 0 && sb.st_mtime + LOOSE_GRACE_SECONDS < p->now))
		unlink(path);
}

typedef struct {
	git_repository *repo;
	git_revwalk *walk;
	git_packbuilder *pb;
	int rc;
} pack_refs_ctx;

/* Commits go through the walk; a ref to anything else is packed with
 * what it references. */
static int pack_ref(git_reference *ref, void *payload)
{
	pack_refs_ctx *c = payload;
	git_object *obj = NULL;

	if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
	    git_object_lookup(&obj, c->repo, git_reference_target(ref), GIT_OBJECT_ANY) == 0) {
		if (git_object_type(obj) == GIT_OBJECT_COMMIT)
			c->rc = git_revwalk_push(c->walk, git_object_id(obj));
		else
			c->rc = git_packbuilder_insert_recur(c->pb, git_object_id(obj), NULL);
	}
	git_object_free(obj);
	git_reference_free(ref);
	return c->rc < 0 ? c->rc : 0;
}

static void remove_old_packs(const char *packdir, const char *keep_name)
{
	DIR *d = opendir(packdir);
	struct dirent *de;
	static const char *const exts[] = { ".idx", ".pack", ".rev", ".bitmap", ".mtimes" };

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char base[4200], f[4300];
		struct stat sb;
		if (l < 10 || strncmp(de->d_name, "pack-", 5) != 0 ||
		    strcmp(de->d_name + l - 5, ".pack") != 0)
			continue;
		if (strncmp(de->d_name + 5, keep_name, l - 10) == 0 && strlen(keep_name) == l - 10)
			continue;
		if (l - 5 >= sizeof(base) ||
		    snprintf(base, sizeof(base), "%s/%.*s", packdir, (int)(l - 5), de->d_name) >=
		        (int)sizeof(base))
			continue;
		if (snprintf(f, sizeof(f), "%s.keep", base) >= (int)sizeof(f) || stat(f, &sb) == 0)
			continue;
		/* The index first, so that no reader sees an index without its pack. */
		for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
			if (snprintf(f, sizeof(f), "%s%s", base, exts[i]) < (int)sizeof(f))
				unlink(f);
		}
	}
	closedir(d);
}

int cts_gitrepo_maintain(cts_gitrepo *repo, size_t threshold)
{
	char objdir[4096];
	int rc;

	if ((rc = cts_gitrepo_objects_dir(repo, objdir, sizeof(objdir))) < 0)
		return rc;
	if (foreach_loose(objdir, NULL, NULL) <= threshold)
		return 0;
	return cts_gitrepo_compact(repo);
}

int cts_gitrepo_compact(cts_gitrepo *repo)
{
	char objdir[4096], packdir[4200], idx[4400];
	git_packbuilder *pb = NULL;
	git_revwalk *w = NULL;
	git_odb *podb = NULL;
	git_odb_backend *be = NULL;
	pack_refs_ctx pc;
	prune_ctx pr;
	const char *name;
	int rc;

	if ((rc = cts_gitrepo_objects_dir(repo, objdir, sizeof(objdir))) < 0)
		return rc;
	if (git_packbuilder_new(&pb, repo->repo) < 0 || git_revwalk_new(&w, repo->repo) < 0) {
		rc = cts_git_fail(CTS_EGIT, "compactage du dépôt");
		goto cleanup;
	}
	pc = (pack_refs_ctx){ repo->repo, w, pb, 0 };
	if (git_reference_foreach(repo->repo, pack_ref, &pc) < 0 || pc.rc < 0 ||
	    git_packbuilder_insert_walk(pb, w) < 0 ||
	    git_packbuilder_write(pb, NULL, 0, NULL, NULL) < 0 ||
	    !(name = git_packbuilder_name(pb))) {
		rc = cts_git_fail(CTS_EGIT, "compactage du dépôt");
		goto cleanup;
	}
	snprintf(packdir, sizeof(packdir), "%s/pack", objdir);
	snprintf(idx, sizeof(idx), "%s/pack-%s.idx", packdir, name);
	if ((rc = cts_gitrepo_odb_of(&podb, git_odb_backend_one_pack(&be, idx), &be,
	                             "lecture du nouveau paquet")) < 0)
		goto cleanup;
	pr.pack = podb;
	pr.now = time(NULL);
	foreach_loose(objdir, prune_loose, &pr);
	remove_old_packs(packdir, name);
	rc = cts_gitrepo_reopen(repo);
cleanup:
	git_odb_free(podb);
	git_revwalk_free(w);
	git_packbuilder_free(pb);
	return rc;
}
