#include "gitrepo_impl.h"

int cts_git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return cts_error_set(code, "%s : %s", what,
	                     e && e->message ? e->message : "erreur git inconnue");
}

int cts_git_valid_refname(const char *ref)
{
	int valid = 0;

	return ref && strncmp(ref, "refs/", 5) == 0 &&
	       git_reference_name_is_valid(&valid, ref) == 0 && valid;
}

int cts_git_oom(void)
{
	return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

void cts_git_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* ---- initialisation and opening ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;
static char init_msg[512];

/* The object cache of each profile (see gitrepo.h). libgit2 keeps parsed
 * trees and commits up to 256 MiB by default, and no tree over 4 KiB. The
 * audit of a 100 k 1-op history peaked at 80 MiB with the sync's cache,
 * 46 MiB with 4 MiB, 39 MiB with none, and was not slower without one
 * (BENCHMARKS.md): the scan runs without. */
static int set_cache(cts_git_cache_profile p)
{
	const ssize_t max = (ssize_t)24 * 1024 * 1024;
	const size_t tree = (size_t)8 * 1024 * 1024;

	if (p == CTS_GIT_CACHE_SCAN)
		return git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0) < 0 ? -1 : 0;
	if (git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, max) < 0)
		return -1;
	return git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, tree) < 0 ? -1 : 0;
}

static void do_init(void)
{
	const git_error *e;

	if (git_libgit2_init() < 0 || git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0 ||
	    /* A long history would grow every sync by the default 256 MiB; a
	     * sync's directories need trees up to 8 MiB (about 100 000 files). */
	    set_cache(CTS_GIT_CACHE_SYNC) < 0 ||
	    /* Pack files are read through mmap'd windows, 1 GiB each and up to
	     * 8 GiB in all by default: reading a whole history would map (and
	     * count in our memory) the whole pack. Small windows, 8 MiB in all. */
	    git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)1024 * 1024) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)8 * 1024 * 1024) < 0) {
		e = git_error_last();
		snprintf(init_msg, sizeof(init_msg), "%s",
		         e && e->message ? e->message : "erreur inconnue");
		init_rc = CTS_EGIT;
	}
}

int cts_git_init(void)
{
	pthread_once(&init_once, do_init);
	if (init_rc < 0)
		return cts_error_set(init_rc, "initialisation de libgit2 : %s", init_msg);
	return 0;
}

int cts_gitrepo_set_cache_profile(cts_git_cache_profile p)
{
	int rc;

	if ((rc = cts_git_init()) < 0)
		return rc;
	if (set_cache(p) < 0)
		return cts_git_fail(CTS_EGIT, "réglage du cache de libgit2");
	return 0;
}

git_repository *cts_gitrepo_raw(cts_gitrepo *repo)
{
	return repo->repo;
}

void cts_gitrepo_free(cts_gitrepo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->repo);
	free(repo->path);
	cts_gitnet_settings_dispose(&repo->net);
	free(repo);
}

int cts_gitrepo_set_net(cts_gitrepo *repo, const char *token_file, const char *proxy)
{
	return cts_gitnet_settings_set(&repo->net, token_file, proxy);
}

static int wrap(cts_gitrepo **out, git_repository *r, const char *path, int bare_only)
{
	cts_gitrepo *g = calloc(1, sizeof(*g));

	if (!g || !(g->path = strdup(path))) {
		free(g);
		git_repository_free(r);
		return cts_git_oom();
	}
	g->repo = r;
	g->bare_only = bare_only;
	*out = g;
	return 0;
}

/* 1 if path is a directory with entries, 0 if absent or empty. */
static int dir_has_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d)))
		found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return found;
}

/* Open the bare repository at path, creating it if there is none. */
static int open_or_create(git_repository **out, const char *path)
{
	git_repository_init_options o;
	struct stat sb;
	int rc;

	*out = NULL;
	rc = git_repository_open_bare(out, path);
	if (rc == 0)
		return 0;
	if (rc != GIT_ENOTFOUND)
		return cts_git_fail(CTS_EGIT, "ouverture du dépôt git");
	if (stat(path, &sb) == 0 && (!S_ISDIR(sb.st_mode) || dir_has_entries(path)))
		return cts_error_set(CTS_EEXISTS,
		                     "%s existe déjà et n'est pas un dépôt git : rien n'a été créé",
		                     path);
	git_error_clear();
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags =
	    GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	if (git_repository_init_ext(out, path, &o) < 0) {
		rc = cts_git_fail(CTS_EGIT, "création du dépôt git");
		return cts_error_prefix(rc, "%s : ", path);
	}
	return 0;
}

int cts_gitrepo_create_bare(const char *path)
{
	git_repository *r = NULL;
	int rc;

	if ((rc = cts_git_init()) < 0)
		return rc;
	rc = open_or_create(&r, path);
	git_repository_free(r);
	return rc;
}

int cts_gitrepo_open(cts_gitrepo **out, const char *path)
{
	git_repository *r = NULL;
	int rc;

	*out = NULL;
	if ((rc = cts_git_init()) < 0)
		return rc;
	if ((rc = open_or_create(&r, path)) < 0)
		return rc;
	return wrap(out, r, path, 1);
}

int cts_gitrepo_open_existing(cts_gitrepo **out, const char *path)
{
	git_repository *r = NULL;
	int rc;

	*out = NULL;
	if ((rc = cts_git_init()) < 0)
		return rc;
	rc = git_repository_open_ext(&r, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc == GIT_ENOTFOUND)
		return cts_error_set(CTS_ENOTFOUND, "aucun dépôt git à %s", path);
	if (rc < 0) {
		rc = cts_git_fail(CTS_EGIT, "ouverture du dépôt git");
		return cts_error_prefix(rc, "%s : ", path);
	}
	return wrap(out, r, path, 0);
}

int cts_gitrepo_reopen(cts_gitrepo *repo)
{
	git_repository *r = NULL;
	int rc;

	if (repo->bare_only)
		rc = git_repository_open_bare(&r, repo->path);
	else
		rc = git_repository_open_ext(&r, repo->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc < 0)
		return cts_git_fail(CTS_EGIT, "réouverture du dépôt git");
	git_repository_free(repo->repo);
	repo->repo = r;
	return 0;
}

int cts_gitrepo_set_remote(cts_gitrepo *repo, const char *url)
{
	git_remote *rem = NULL;
	int rc;

	if (!url || !*url || strpbrk(url, "\n\r"))
		return cts_error_set(CTS_EINVAL, "adresse du dépôt régional vide ou invalide");
	if ((rc = cts_gitnet_url_check(url)) < 0)
		return rc;
	rc = git_remote_lookup(&rem, repo->repo, "origin");
	if (rc == 0) {
		const char *cur = git_remote_url(rem);
		int same = cur && strcmp(cur, url) == 0;
		git_remote_free(rem);
		if (same)
			return 0;
		if (git_remote_set_url(repo->repo, "origin", url) < 0)
			return cts_git_fail(CTS_EINVAL, "adresse du dépôt régional refusée");
		return 0;
	}
	if (rc != GIT_ENOTFOUND)
		return cts_git_fail(CTS_EGIT, "lecture de la configuration du dépôt distant");
	if (git_remote_create_with_fetchspec(&rem, repo->repo, "origin", url, ORIGIN_FETCHSPEC) < 0)
		return cts_git_fail(CTS_EINVAL, "adresse du dépôt régional refusée");
	git_remote_free(rem);
	return 0;
}

int cts_gitrepo_remote_url(cts_gitrepo *repo, char **url)
{
	git_remote *rem = NULL;
	int rc = git_remote_lookup(&rem, repo->repo, "origin");

	*url = NULL;
	if (rc == GIT_ENOTFOUND || (rc == 0 && !git_remote_url(rem))) {
		git_error_clear();
		git_remote_free(rem);
		return cts_error_set(CTS_ENOTFOUND, "aucun dépôt régional configuré");
	}
	if (rc < 0)
		return cts_git_fail(CTS_EGIT, "lecture du dépôt distant");
	*url = strdup(git_remote_url(rem));
	git_remote_free(rem);
	return *url ? 0 : cts_git_oom();
}

/* ---- refs ---- */

int cts_gitrepo_ref_oid(cts_gitrepo *repo, const char *ref, cts_gitoid *out)
{
	int rc = git_reference_name_to_id(cts_git_oid_w(out), repo->repo, ref);

	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return cts_error_set(CTS_ENOTFOUND, "référence %s absente", ref);
	}
	if (rc == GIT_EINVALIDSPEC)
		return cts_error_set(CTS_EINVAL, "nom de référence invalide : « %s »", ref);
	if (rc < 0)
		return cts_error_prefix(cts_git_fail(CTS_EGIT, "lecture d'une référence"),
		                        "%s : ", ref);
	return 0;
}

int cts_gitrepo_ref_set(cts_gitrepo *repo, const char *ref, const cts_gitoid *oid)
{
	git_reference *r = NULL;

	if (!cts_git_valid_refname(ref))
		return cts_error_set(CTS_EINVAL, "nom de référence invalide : « %s »",
		                     ref ? ref : "(nul)");
	if (git_reference_create(&r, repo->repo, ref, cts_git_oid(oid), 1, "ctsnode: set") < 0)
		return cts_error_prefix(cts_git_fail(CTS_EGIT, "écriture d'une référence"),
		                        "%s : ", ref);
	git_reference_free(r);
	return 0;
}

int cts_gitrepo_ref_delete(cts_gitrepo *repo, const char *ref)
{
	git_reference *r = NULL;
	int rc;

	if (!cts_git_valid_refname(ref))
		return cts_error_set(CTS_EINVAL, "nom de référence invalide : « %s »",
		                     ref ? ref : "(nul)");
	if ((rc = git_reference_lookup(&r, repo->repo, ref)) == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc == 0)
		rc = git_reference_delete(r);
	git_reference_free(r);
	if (rc < 0)
		return cts_error_prefix(cts_git_fail(CTS_EGIT, "suppression d'une référence"),
		                        "%s : ", ref);
	return 0;
}

int cts_gitrepo_refs_foreach(cts_gitrepo *repo, const char *glob,
                             int (*cb)(const char *ref, const cts_gitoid *oid, void *ctx),
                             void *ctx)
{
	git_reference_iterator *it = NULL;
	git_reference *r;
	int rc, ret = 0;

	if (git_reference_iterator_glob_new(&it, repo->repo, glob) < 0)
		return cts_git_fail(CTS_EGIT, "parcours des références");
	/* A ref that cannot be read is passed over (the iterator skips it),
	 * a symbolic one too. */
	while (!ret && (rc = git_reference_next(&r, it)) == 0) {
		if (git_reference_type(r) == GIT_REFERENCE_DIRECT)
			ret =
			    cb(git_reference_name(r), cts_gitoid_of(git_reference_target(r)), ctx);
		git_reference_free(r);
	}
	git_reference_iterator_free(it);
	if (ret)
		return ret < 0 ? ret : 0;
	if (rc != GIT_ITEROVER)
		return cts_git_fail(CTS_EGIT, "parcours des références");
	return 0;
}

int cts_gitrepo_has_commit(cts_gitrepo *repo, const cts_gitoid *oid)
{
	git_object *obj = NULL;
	int found = git_object_lookup(&obj, repo->repo, cts_git_oid(oid), GIT_OBJECT_COMMIT) == 0;

	git_object_free(obj);
	git_error_clear();
	return found;
}

int cts_gitrepo_is_ancestor(cts_gitrepo *repo, const cts_gitoid *ancestor,
                            const cts_gitoid *descendant)
{
	int rc;

	if (cts_gitoid_equal(ancestor, descendant))
		return 1;
	rc = git_graph_descendant_of(repo->repo, cts_git_oid(descendant), cts_git_oid(ancestor));
	if (rc < 0)
		git_error_clear();
	return rc == 1;
}
