#include "gitrepo.h"

#include "crashpoint.h"
#include "error.h"
#include "gitnet.h"
#include "known_hosts.h"

#include <git2/sys/odb_backend.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cts_gitrepo {
	git_repository *repo;
	char *path;
	int bare_only;    /* opened with git_repository_open_bare */
	char *token_file; /* cts_gitrepo_set_net(), may be NULL */
	char *proxy;      /* idem: NULL = the environment */
	char *token;      /* loaded when a server first asks (sodium memory) */
	int token_loaded;
};

/* Unreachable loose objects younger than this are kept by maintain(). */
#define LOOSE_GRACE_SECONDS 3600
/* Authentication attempts per SSH connection. */
#define SSH_MAX_TRIES 3

/* Translate the last libgit2 error, keeping its message. */
static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return cts_error_set(code, "%s : %s", what,
	                     e && e->message ? e->message : "erreur git inconnue");
}

static int oom(void)
{
	return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

/* snprintf that may truncate (messages, hints): never fails. */
static void fmt_trunc(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt_trunc(char *buf, size_t size, const char *fmt, ...)
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

static void do_init(void)
{
	const git_error *e;

	if (git_libgit2_init() < 0 || git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0) < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0 ||
	    /* libgit2 keeps parsed trees and commits up to 256 MiB by default:
	     * a long history would grow every sync and audit that much. But it
	     * caches no tree over 4 KiB, and a node's directory of changesets
	     * is one big tree read again for every file taken from it: keep
	     * trees up to 8 MiB (a directory of about 100 000 files). */
	    git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)24 * 1024 * 1024) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)8 * 1024 * 1024) < 0 ||
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
	free(repo->token_file);
	free(repo->proxy);
	cts_gitnet_token_free(repo->token);
	free(repo);
}

int cts_gitrepo_set_net(cts_gitrepo *repo, const char *token_file, const char *proxy)
{
	char *tf = NULL, *px = NULL;
	int rc;

	if ((rc = cts_gitnet_proxy_check(proxy)) < 0)
		return rc;
	if ((token_file && !(tf = strdup(token_file))) || (proxy && !(px = strdup(proxy)))) {
		free(tf);
		return oom();
	}
	free(repo->token_file);
	free(repo->proxy);
	repo->token_file = tf;
	repo->proxy = px;
	cts_gitnet_token_free(repo->token);
	repo->token = NULL;
	repo->token_loaded = 0;
	return 0;
}

static int wrap(cts_gitrepo **out, git_repository *r, const char *path, int bare_only)
{
	cts_gitrepo *g = calloc(1, sizeof(*g));

	if (!g || !(g->path = strdup(path))) {
		free(g);
		git_repository_free(r);
		return oom();
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
		return git_fail(CTS_EGIT, "ouverture du dépôt git");
	if (stat(path, &sb) == 0 && (!S_ISDIR(sb.st_mode) || dir_has_entries(path)))
		return cts_error_set(CTS_EEXISTS,
		                     "%s existe déjà et n'est pas un dépôt git : rien n'a été créé",
		                     path);
	git_error_clear();
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags =
	    GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
	if (git_repository_init_ext(out, path, &o) < 0) {
		rc = git_fail(CTS_EGIT, "création du dépôt git");
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
		rc = git_fail(CTS_EGIT, "ouverture du dépôt git");
		return cts_error_prefix(rc, "%s : ", path);
	}
	return wrap(out, r, path, 0);
}

static int reopen(cts_gitrepo *repo)
{
	git_repository *r = NULL;
	int rc;

	if (repo->bare_only)
		rc = git_repository_open_bare(&r, repo->path);
	else
		rc = git_repository_open_ext(&r, repo->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc < 0)
		return git_fail(CTS_EGIT, "réouverture du dépôt git");
	git_repository_free(repo->repo);
	repo->repo = r;
	return 0;
}

#define ORIGIN_FETCHSPEC "+refs/heads/*:refs/remotes/origin/*"

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
			return git_fail(CTS_EINVAL, "adresse du dépôt régional refusée");
		return 0;
	}
	if (rc != GIT_ENOTFOUND)
		return git_fail(CTS_EGIT, "lecture de la configuration du dépôt distant");
	if (git_remote_create_with_fetchspec(&rem, repo->repo, "origin", url, ORIGIN_FETCHSPEC) < 0)
		return git_fail(CTS_EINVAL, "adresse du dépôt régional refusée");
	git_remote_free(rem);
	return 0;
}

/* ---- commits ---- */

static int valid_refname(const char *ref)
{
	int valid = 0;

	return ref && strncmp(ref, "refs/", 5) == 0 &&
	       git_reference_name_is_valid(&valid, ref) == 0 && valid;
}

/* A path to add: '/'-separated components, none empty, ".", ".." or
 * ".git", each at most 255 bytes. */
static int valid_path(const char *p)
{
	size_t total = strlen(p);

	if (total == 0 || total > 4096)
		return 0;
	for (;;) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 0 || l > 255 || (l == 1 && p[0] == '.') ||
		    (l == 2 && p[0] == '.' && p[1] == '.') ||
		    (l == 4 && strncasecmp(p, ".git", 4) == 0))
			return 0;
		if (!e)
			return 1;
		p = e + 1;
	}
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const cts_git_file *const *)a)[0]->path,
	              ((const cts_git_file *const *)b)[0]->path);
}

/* Check the files against each other and against the base tree. */
static int check_files(git_tree *base, const char *ref, const cts_git_file *files, size_t n,
                       int allow_replace)
{
	const cts_git_file **sorted;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (!files[i].path || !valid_path(files[i].path))
			return cts_error_set(CTS_EINVAL,
			                     "chemin de fichier invalide pour le dépôt : « %s »",
			                     files[i].path ? files[i].path : "(nul)");
		if (!files[i].data && files[i].len)
			return cts_error_set(CTS_EINVAL, "%s : contenu absent", files[i].path);
	}
	if (!(sorted = malloc(n * sizeof(*sorted))))
		return oom();
	for (size_t i = 0; i < n; i++)
		sorted[i] = &files[i];
	qsort(sorted, n, sizeof(*sorted), cmp_path);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i - 1]->path, sorted[i]->path) == 0) {
			rc = cts_error_set(CTS_EINVAL, "%s figure deux fois dans le même commit",
			                   sorted[i]->path);
			goto out;
		}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *path = files[i].path;
		git_tree_entry *e = NULL;
		char prefix[4097];
		/* Every parent must be a directory (or absent). */
		for (const char *s = strchr(path, '/'); s && rc == 0; s = strchr(s + 1, '/')) {
			memcpy(prefix, path, (size_t)(s - path));
			prefix[s - path] = '\0';
			if (git_tree_entry_bypath(&e, base, prefix) == 0) {
				if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
					rc = cts_error_set(CTS_EINVAL,
					                   "%s : %s est un fichier sur la branche "
					                   "%s, pas un dossier",
					                   path, prefix, ref);
				git_tree_entry_free(e);
				e = NULL;
			}
		}
		if (rc == 0 && git_tree_entry_bypath(&e, base, path) == 0) {
			if (!allow_replace)
				rc = cts_error_set(CTS_EINVAL,
				                   "%s existe déjà sur la branche %s : un fichier "
				                   "publié n'est jamais modifié",
				                   path, ref);
			else if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
				rc = cts_error_set(
				    CTS_EINVAL,
				    "%s est un dossier sur la branche %s : il n'est pas remplacé",
				    path, ref);
			git_tree_entry_free(e);
		}
		git_error_clear();
	}
out:
	free(sorted);
	return rc;
}

/* git's empty tree: libgit2 knows it without it being stored, so that a
 * first commit leaves no unreachable object behind. */
#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

static int empty_tree(git_repository *r, git_tree **out)
{
	git_treebuilder *tb = NULL;
	git_oid oid;
	int rc = 0;

	if (git_oid_fromstr(&oid, EMPTY_TREE) == 0 && git_tree_lookup(out, r, &oid) == 0)
		return 0;
	git_error_clear();
	if (git_treebuilder_new(&tb, r, NULL) < 0 || git_treebuilder_write(&oid, tb) < 0 ||
	    git_tree_lookup(out, r, &oid) < 0)
		rc = git_fail(CTS_EGIT, "création d'un arbre git vide");
	git_treebuilder_free(tb);
	return rc;
}

int cts_gitrepo_commit_files(cts_gitrepo *repo, const char *ref, const cts_git_file *files,
                             size_t n, int allow_replace, const char *message, const char *name,
                             const char *email, int64_t when, cts_git_sign_fn sign, void *sign_ctx,
                             git_oid *out_oid)
{
	git_oid tip, tree_oid, commit_oid;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_update *ups = NULL;
	git_signature *sig = NULL;
	git_buf payload = {0};
	git_reference *newref = NULL;
	char *armored = NULL, *sigz = NULL;
	size_t alen = 0;
	int rc, has_tip;

	if (!valid_refname(ref))
		return cts_error_set(CTS_EINVAL, "nom de branche git invalide : « %s »",
		                     ref ? ref : "(nul)");
	if (n == 0 || !files)
		return cts_error_set(CTS_EINVAL, "commit sur %s : aucun fichier à ajouter", ref);
	if (!message || !name || !email || !sign)
		return cts_error_set(CTS_EINVAL,
		                     "commit sur %s : message, auteur ou signataire manquant", ref);
	rc = git_reference_name_to_id(&tip, repo->repo, ref);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return git_fail(CTS_EGIT, "lecture de la branche");
	has_tip = rc == 0;
	git_error_clear();
	if (has_tip) {
		if (git_commit_lookup(&parent, repo->repo, &tip) < 0 ||
		    git_commit_tree(&base, parent) < 0) {
			rc = git_fail(CTS_EGIT, "lecture du dernier commit de la branche");
			goto cleanup;
		}
	} else if ((rc = empty_tree(repo->repo, &base)) < 0) {
		goto cleanup;
	}
	if ((rc = check_files(base, ref, files, n, allow_replace)) < 0)
		goto cleanup;
	if (!(ups = calloc(n, sizeof(*ups)))) {
		rc = oom();
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		if (git_blob_create_from_buffer(&ups[i].id, repo->repo,
		                                files[i].data ? files[i].data : (const void *)"",
		                                files[i].len) < 0) {
			rc = git_fail(CTS_EGIT, "écriture d'un fichier dans le dépôt");
			goto cleanup;
		}
		ups[i].action = GIT_TREE_UPDATE_UPSERT;
		ups[i].filemode = GIT_FILEMODE_BLOB;
		ups[i].path = files[i].path;
	}
	if (git_tree_create_updated(&tree_oid, repo->repo, base, n, ups) < 0 ||
	    git_tree_lookup(&tree, repo->repo, &tree_oid) < 0) {
		rc = git_fail(CTS_EGIT, "écriture de l'arbre git");
		goto cleanup;
	}
	if (git_signature_new(&sig, name, email, (git_time_t)when, 0) < 0) {
		rc = git_fail(CTS_EINVAL, "auteur du commit invalide");
		goto cleanup;
	}
	{
		const git_commit *parents[1] = {parent};
		if (git_commit_create_buffer(&payload, repo->repo, sig, sig, NULL, message, tree,
		                             has_tip ? 1 : 0, parents) < 0) {
			rc = git_fail(CTS_EGIT, "préparation du commit");
			goto cleanup;
		}
	}
	cts_error_clear();
	if ((rc = sign(&armored, &alen, payload.ptr, payload.size, sign_ctx)) < 0) {
		if (cts_error_message()[0] == '\0')
			cts_error_set(rc, "échec de la signature");
		cts_error_prefix(rc, "signature du commit sur %s : ", ref);
		goto cleanup;
	}
	if (!armored || alen == 0 || memchr(armored, '\0', alen) ||
	    strncmp(armored, "-----BEGIN SSH SIGNATURE-----", alen < 29 ? alen : 29) != 0 ||
	    alen < 29) {
		rc = cts_error_set(
		    CTS_ECRYPTO,
		    "signature du commit sur %s : le signataire n'a pas rendu une signature SSH",
		    ref);
		goto cleanup;
	}
	/* libgit2 indents every newline of the header value: without the
	 * final newline the stored header is exactly what git writes. */
	while (alen > 0 && armored[alen - 1] == '\n')
		alen--;
	if (!(sigz = malloc(alen + 1))) {
		rc = oom();
		goto cleanup;
	}
	memcpy(sigz, armored, alen);
	sigz[alen] = '\0';
	if (git_commit_create_with_signature(&commit_oid, repo->repo, payload.ptr, sigz, "gpgsig") <
	    0) {
		rc = git_fail(CTS_EGIT, "écriture du commit signé");
		goto cleanup;
	}
	/* Compare-and-swap: the ref must still be where the commit was built. */
	cts_crashpoint();
	if (has_tip)
		rc = git_reference_create_matching(&newref, repo->repo, ref, &commit_oid, 1, &tip,
		                                   "ctsnode: commit");
	else
		rc = git_reference_create(&newref, repo->repo, ref, &commit_oid, 0,
		                          "ctsnode: commit");
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ENOTFOUND || rc == GIT_ELOCKED) {
		rc = cts_error_set(CTS_EBUSY,
		                   "la branche %s a été modifiée par un autre processus pendant "
		                   "l'écriture du commit : "
		                   "commit abandonné, la branche n'a pas été touchée (%s)",
		                   ref, git_error_last() ? git_error_last()->message : "");
		goto cleanup;
	}
	if (rc < 0) {
		rc = git_fail(CTS_EGIT, "mise à jour de la branche");
		goto cleanup;
	}
	rc = 0;
	if (out_oid)
		git_oid_cpy(out_oid, &commit_oid);
cleanup:
	git_reference_free(newref);
	free(sigz);
	free(armored);
	git_buf_dispose(&payload);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	free(ups);
	return rc;
}

/* ---- SSH: credentials ---- */

typedef struct {
	const char *url;          /* of the remote: gives the port for host keys */
	cts_gitrepo *repo;        /* its token settings */
	cts_gitnet_watch *watch;  /* no-progress watchdog (network remotes) */
	int cred_step;            /* next credential source to try */
	int cred_tries;           /* credentials handed out on this connection */
	int auth_failed;          /* all credential sources were refused */
	int token_sent;           /* the HTTPS token was handed out on this connection */
	int access_rc;            /* a cts_error for access_msg (HTTPS credentials) */
	char tried[600];          /* what was tried, for the error message */
	char cert_msg[1400];      /* why the host key or certificate was refused */
	char access_msg[1400];    /* why no credential was given */
	char rejected[600];       /* first ref the remote refused, with its status */
	char proxy[600];          /* proxy of the exchange, for messages ("" if none) */
} cb_state;

/* Forget what happened on the previous connection (the remote, its
 * settings and the watchdog stay). */
static void state_reset(cb_state *st, const char *url)
{
	cts_gitrepo *repo = st->repo;
	cts_gitnet_watch *watch = st->watch;
	char proxy[sizeof(st->proxy)];

	memcpy(proxy, st->proxy, sizeof(proxy));
	memset(st, 0, sizeof(*st));
	st->url = url;
	st->repo = repo;
	st->watch = watch;
	memcpy(st->proxy, proxy, sizeof(proxy));
}

/* Every callback is progress; an expired watchdog stops the exchange at
 * the first callback it reaches. */
static int progress_tick(cb_state *st)
{
	if (cts_gitnet_watch_expired(st->watch)) {
		git_error_set_str(GIT_ERROR_NET, "délai d'attente dépassé");
		return GIT_EUSER;
	}
	cts_gitnet_watch_touch(st->watch);
	return 0;
}

static const char *local_user(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u && *u)
		return u;
	if ((u = getenv("LOGNAME")) && *u)
		return u;
	pw = getpwuid(geteuid());
	return pw && pw->pw_name ? pw->pw_name : "git";
}

static void tried_add(cb_state *st, const char *what)
{
	size_t l = strlen(st->tried);

	snprintf(st->tried + l, sizeof(st->tried) - l, "%s%s", l ? ", " : "", what);
}

static int is_http_url(const char *url)
{
	return url && (strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0);
}

/* Refuse to give credentials, saying why (the token is never in it). */
static int deny(cb_state *st, int code, const char *msg)
{
	st->access_rc = code;
	snprintf(st->access_msg, sizeof(st->access_msg), "%s", msg);
	git_error_set_str(GIT_ERROR_HTTP, msg);
	return GIT_EAUTH;
}

static const char token_hint[] =
    "Enregistrez le jeton fourni par l'administrateur du serveur git avec « ctsnode remote "
    "token --file FICHIER » (ou la variable CTSNODE_GIT_TOKEN)";

/* HTTP basic authentication with the token, once per connection: asked
 * again, the server refused it. */
static int http_credentials(git_credential **out, const char *url, const char *user_from_url,
                            unsigned int allowed, cb_state *st)
{
	cts_gitrepo *repo = st->repo;
	const char *user = cts_gitnet_token_user(user_from_url);
	char msg[1400];
	int rc;

	if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT))
		return deny(st, CTS_EACCESS,
		            "le serveur demande une authentification que ctsnode ne sait pas donner "
		            "(seul un jeton en authentification HTTP « Basic » est pris en charge)");
	if (st->token_sent) {
		snprintf(msg, sizeof(msg),
		         "jeton refusé par le serveur (utilisateur « %.100s ») : il est erroné, "
		         "expiré ou sans droit sur ce dépôt. %s ; le travail reste gardé sur ce "
		         "poste",
		         user, token_hint);
		return deny(st, CTS_EACCESS, msg);
	}
	if (strncasecmp(url, "https://", 8) != 0)
		return deny(st, CTS_EACCESS,
		            "le serveur demande un jeton sur une adresse http:// non chiffrée : le "
		            "jeton n'est envoyé qu'en https://");
	if (repo && !repo->token_loaded) {
		if ((rc = cts_gitnet_token_load(&repo->token, repo->token_file)) < 0) {
			rc = deny(st, rc, cts_error_message());
			cts_error_clear();
			return rc;
		}
		repo->token_loaded = 1;
	} else if (!repo) {
		return deny(st, CTS_EACCESS, "le serveur demande un jeton");
	}
	if (!repo->token) {
		snprintf(msg, sizeof(msg),
		         "le dépôt régional demande une authentification et aucun jeton n'est "
		         "configuré. %s",
		         token_hint);
		return deny(st, CTS_EACCESS, msg);
	}
	if (strchr(user, ':') || strlen(user) > 256)
		return deny(st, CTS_EACCESS, "CTSNODE_GIT_USER : nom d'utilisateur invalide");
	st->token_sent = 1;
	return git_credential_userpass_plaintext_new(out, user, repo->token);
}

static int credentials(git_credential **out, const char *url, const char *user_from_url,
                       unsigned int allowed, void *payload)
{
	cb_state *st = payload;
	const char *user = user_from_url && *user_from_url ? user_from_url : local_user();
	const char *envkey = getenv("CTSNODE_SSH_KEY");
	const char *home = getenv("HOME");
	char priv[4096], pub[4200];

	if (progress_tick(st) < 0)
		return GIT_EUSER;
	if (is_http_url(url))
		return http_credentials(out, url, user_from_url, allowed, st);
	if (allowed == GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY)) {
		st->auth_failed = 1;
		git_error_set_str(GIT_ERROR_SSH,
		                  "le serveur n'accepte pas l'authentification SSH par clé");
		return GIT_EAUTH;
	}
	while (st->cred_tries < SSH_MAX_TRIES) {
		int step = st->cred_step++;
		const char *keyfile = NULL;
		if (envkey && *envkey) {
			if (step > 0)
				break; /* an explicit key is the only one tried */
			keyfile = envkey;
		} else if (step == 0) {
			if (!getenv("SSH_AUTH_SOCK"))
				continue;
			st->cred_tries++;
			tried_add(st, "agent SSH");
			return git_credential_ssh_key_from_agent(out, user);
		} else if (step == 1 && home) {
			snprintf(priv, sizeof(priv), "%s/.ssh/id_ed25519", home);
			if (access(priv, R_OK) != 0)
				continue;
			keyfile = priv;
		} else {
			break;
		}
		snprintf(pub, sizeof(pub), "%s.pub", keyfile);
		st->cred_tries++;
		{
			char what[4300];
			snprintf(what, sizeof(what), "clé %s", keyfile);
			tried_add(st, what);
		}
		return git_credential_ssh_key_new(out, user, access(pub, R_OK) == 0 ? pub : NULL,
		                                  keyfile, NULL);
	}
	st->auth_failed = 1;
	{
		char msg[1200];
		snprintf(msg, sizeof(msg),
		         "authentification SSH refusée pour l'utilisateur %s (essayé : %s) ; "
		         "indiquez une clé autorisée "
		         "sur le serveur avec CTSNODE_SSH_KEY",
		         user,
		         st->tried[0]
		             ? st->tried
		             : "aucune clé : ni CTSNODE_SSH_KEY, ni agent, ni ~/.ssh/id_ed25519");
		git_error_set_str(GIT_ERROR_SSH, msg);
	}
	return GIT_EAUTH;
}

/* ---- SSH: host keys (known_hosts.c) ---- */

static void day_text(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t && gmtime_r(&tt, &tm))
		strftime(buf, size, "%Y-%m-%d", &tm);
	else
		snprintf(buf, size, "?");
}

/* A TLS certificate libgit2 (mbedTLS) found invalid is refused, with what
 * it is; a valid one is accepted as is. */
static int tls_certificate_check(const git_cert_x509 *x, int valid, const char *host,
                                 cb_state *st)
{
	cts_gitnet_cert c;
	char reason[800], day[32], h[256];
	const char *hint;
	time_t now = time(NULL);
	int readable;

	if (valid)
		return 0;
	snprintf(h, sizeof(h), "%s", host && strlen(host) < sizeof(h) ? host : "?");
	readable = cts_gitnet_cert_describe(&c, x->data, x->len, h) == 0;
	cts_error_clear();
	hint = "prévenez l'administrateur du serveur git";
	if (!readable) {
		snprintf(c.subject, sizeof(c.subject), "illisible");
		fmt_trunc(reason, sizeof(reason), "il est illisible");
	} else if (c.not_after && now > c.not_after) {
		day_text(day, sizeof(day), c.not_after);
		fmt_trunc(reason, sizeof(reason), "il a expiré le %s", day);
	} else if (c.not_before && now < c.not_before) {
		day_text(day, sizeof(day), c.not_before);
		fmt_trunc(reason, sizeof(reason), "il n'est valable qu'à partir du %s", day);
	} else if (!c.name_matches) {
		unsigned char ip[16];
		fmt_trunc(reason, sizeof(reason), "il est établi pour « %.300s », pas pour « %s »",
		          c.names, h);
		hint = inet_pton(AF_INET, h, ip) == 1 || inet_pton(AF_INET6, h, ip) == 1
		           ? "un certificat n'est vérifié que pour un nom de serveur : écrivez ce nom, "
		             "pas son adresse IP, dans l'adresse du dépôt régional (--remote)"
		           : "vérifiez l'adresse du dépôt régional (--remote)";
	} else {
		fmt_trunc(reason, sizeof(reason),
		          "il n'est pas signé par une autorité de certification reconnue "
		          "(magasin du système%s)",
		          getenv("CTSNODE_CA_FILE") && *getenv("CTSNODE_CA_FILE")
		              ? " et CTSNODE_CA_FILE"
		              : "");
		hint = "si c'est bien le serveur de votre organisation, vérifiez cette empreinte "
		       "auprès de son service informatique, puis indiquez le fichier de son "
		       "autorité de certification avec la variable CTSNODE_CA_FILE";
	}
	fmt_trunc(st->cert_msg, sizeof(st->cert_msg),
	          "certificat du serveur %s refusé (empreinte SHA-256 %s) : %s. Certificat : "
	          "%.200s ; émis par : %.200s. Connexion refusée, rien n'a été envoyé : %s",
	          h, c.fingerprint, reason, c.subject, c.issuer[0] ? c.issuer : "?", hint);
	git_error_set_str(GIT_ERROR_SSL, st->cert_msg);
	return GIT_ECERTIFICATE;
}

static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	cb_state *st = payload;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	const char *file = getenv("CTSNODE_SSH_KNOWN_HOSTS"), *home = getenv("HOME");
	char path[4200], name1[600], name2[600], fp[128] = "empreinte indisponible", hint[700];
	const char *names[2] = {name1, name2};
	int port = cts_ssh_url_port(st->url), result = CTS_KH_NONE;
	FILE *f;

	if (progress_tick(st) < 0)
		return GIT_EUSER;
	if (cert->cert_type == GIT_CERT_X509)
		return tls_certificate_check((const git_cert_x509 *)cert, valid, host, st);
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return valid ? 0 : GIT_ECERTIFICATE; /* never accepted silently */
	if (!host || strlen(host) > 500)
		host = "?";
	snprintf(name1, sizeof(name1), port == 22 ? "%s" : "[%s]:%d", host, port);
	snprintf(name2, sizeof(name2), "[%s]:22", host);
	for (char *c = name1; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	for (char *c = name2; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if (!file || !*file) {
		snprintf(path, sizeof(path), "%s/.ssh/known_hosts", home ? home : "");
		file = path;
	}
	if (hk->type & GIT_CERT_SSH_SHA256) {
		char b64[64];
		sodium_bin2base64(b64, sizeof(b64), hk->hash_sha256, sizeof(hk->hash_sha256),
		                  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		snprintf(fp, sizeof(fp), "SHA256:%s", b64);
	}
	if ((f = fopen(file, "r"))) {
		result = cts_known_hosts_lookup(f, hk, names, port == 22 ? 2 : 1);
		fclose(f);
	}
	if (result == CTS_KH_MATCH)
		return 0;
	if (port == 22)
		fmt_trunc(hint, sizeof(hint), "ssh-keyscan %s >> %s", host, file);
	else
		fmt_trunc(hint, sizeof(hint), "ssh-keyscan -p %d %s >> %s", port, host, file);
	if (result == CTS_KH_REVOKED)
		fmt_trunc(st->cert_msg, sizeof(st->cert_msg),
		          "clé d'hôte SSH de %s révoquée dans %s (%s %s) : connexion refusée",
		          name1, file, cts_ssh_key_type_name(hk->raw_type), fp);
	else if (result == CTS_KH_MISMATCH)
		fmt_trunc(
		    st->cert_msg, sizeof(st->cert_msg),
		    "la clé d'hôte SSH de %s ne correspond pas à celle de %s (reçue : %s %s) : "
		    "connexion refusée "
		    "(serveur usurpé ?). Si le serveur a vraiment changé de clé, vérifiez la "
		    "nouvelle empreinte "
		    "auprès de son administrateur et remplacez la ligne de %s dans ce fichier",
		    name1, file, cts_ssh_key_type_name(hk->raw_type), fp, name1);
	else
		fmt_trunc(st->cert_msg, sizeof(st->cert_msg),
		          "clé d'hôte SSH inconnue pour %s (%s %s) : connexion refusée. Vérifiez "
		          "cette empreinte auprès "
		          "de l'administrateur du serveur, puis ajoutez la clé à %s (variable "
		          "CTSNODE_SSH_KNOWN_HOSTS ou "
		          "~/.ssh/known_hosts), par exemple : %s",
		          name1, cts_ssh_key_type_name(hk->raw_type), fp, file, hint);
	git_error_set_str(GIT_ERROR_SSH, st->cert_msg);
	return GIT_ECERTIFICATE;
}

/* ---- transport ---- */

static int update_reference(const char *refname, const char *status, void *payload)
{
	cb_state *st = payload;

	if (status && !st->rejected[0])
		snprintf(st->rejected, sizeof(st->rejected), "%s (%s)", refname, status);
	return 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return progress_tick(payload);
}

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	(void)stats;
	return progress_tick(payload);
}

static int on_pack(int stage, uint32_t current, uint32_t total, void *payload)
{
	(void)stage;
	(void)current;
	(void)total;
	return progress_tick(payload);
}

static int on_push_transfer(unsigned int current, unsigned int total, size_t bytes,
                            void *payload)
{
	(void)current;
	(void)total;
	(void)bytes;
	return progress_tick(payload);
}

static void set_callbacks(git_remote_callbacks *cb, cb_state *st)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = credentials;
	cb->certificate_check = certificate_check;
	cb->push_update_reference = update_reference;
	cb->sideband_progress = on_sideband;
	cb->transfer_progress = on_transfer;
	cb->pack_progress = on_pack;
	cb->push_transfer_progress = on_push_transfer;
	cb->payload = st;
}

/* The path of a local remote (a path or file:// URL), else NULL. */
static const char *local_path(const char *url)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	if (strncmp(url, "file://", 7) == 0)
		return url + 7;
	if (strstr(url, "://"))
		return NULL;
	if (colon && (!slash || colon < slash))
		return NULL; /* scp-like user@host:path */
	return url;
}

/* The HTTP status in a libgit2 message ("... status code: 403"), or 0. */
static int http_status(const char *m)
{
	const char *p = strstr(m, "status code: ");

	if (!p)
		p = strstr(m, "unexpected status: ");
	if (!p)
		return 0;
	return atoi(strchr(p, ':') + 2);
}

/* Translate a transport failure. Host keys, certificates, tokens and
 * authentication are settings to fix (CTS_EACCESS); failing to reach the
 * remote or to find the repository there, losing the connection or
 * getting no answer for the timeout, is CTS_ENET. */
static int transport_fail(int git_rc, const cb_state *st, const char *what, const char *url)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "erreur inconnue";
	int klass = e ? e->klass : GIT_ERROR_NONE, status = http_status(m);
	char via[700] = "";

	if (st->proxy[0])
		fmt_trunc(via, sizeof(via), ", par le proxy %s", st->proxy);
	if (cts_gitnet_watch_expired(st->watch))
		return cts_error_set(CTS_ENET,
		                     "dépôt régional injoignable (%s%s) : %s : aucune réponse depuis "
		                     "%d s, échange abandonné",
		                     url, via, what, cts_gitnet_timeout_seconds());
	if (st->access_rc)
		return cts_error_set(st->access_rc, "%s (%s) : %s", what, url, st->access_msg);
	if (git_rc == GIT_ECERTIFICATE || st->cert_msg[0])
		return cts_error_set(CTS_EACCESS, "%s (%s) : %s", what, url,
		                     st->cert_msg[0] ? st->cert_msg : m);
	if (git_rc == GIT_EAUTH || st->auth_failed || status == 401 ||
	    (klass == GIT_ERROR_SSH &&
	     (strstr(m, "uthenticat") || strstr(m, "ublic key") || strstr(m, "rivate key"))))
		return cts_error_set(CTS_EACCESS, "%s (%s) : accès refusé par le serveur : %s", what,
		                     url, m);
	if (status && strstr(m, "proxy"))
		return cts_error_set(CTS_ENET,
		                     "dépôt régional injoignable (%s%s) : %s : le proxy ne peut pas y "
		                     "conduire (réponse HTTP %d)",
		                     url, via, what, status);
	if (status == 403)
		return cts_error_set(CTS_EACCESS,
		                     "%s (%s) : accès interdit par le serveur (HTTP 403) : le jeton n'a "
		                     "pas les droits nécessaires sur ce dépôt",
		                     what, url);
	if (git_rc == GIT_ENONFASTFORWARD)
		return cts_error_set(CTS_EREJECT, "%s (%s) refusé : %s", what, url, m);
	{
		/* A local path that is not there: most likely an unplugged stick. */
		const char *local = local_path(url);
		struct stat sb;
		if (local && stat(local, &sb) != 0)
			return cts_error_set(
			    CTS_ENET,
			    "dépôt régional injoignable : %s n'existe pas (clé USB "
			    "débranchée ou disque non monté ?)",
			    local);
		if (!local &&
		    (strstr(m, "unsupported URL protocol") || strstr(m, "unknown scheme")))
			return cts_error_set(CTS_EINVAL,
			                     "adresse du dépôt régional non prise en charge : %s "
			                     "(chemin, file://, git://, ssh:// ou https://)",
			                     url);
	}
	if (git_rc == GIT_EINVALIDSPEC || klass == GIT_ERROR_INVALID || klass == GIT_ERROR_CONFIG ||
	    klass == GIT_ERROR_NOMEMORY || klass == GIT_ERROR_ODB || klass == GIT_ERROR_INDEXER)
		return cts_error_set(CTS_EGIT, "%s (%s) : %s", what, url, m);
	return cts_error_set(CTS_ENET, "dépôt régional injoignable (%s%s) : %s : %s", url, via, what,
	                     m);
}

static int lookup_origin(cts_gitrepo *repo, git_remote **rem)
{
	int rc = git_remote_lookup(rem, repo->repo, "origin");

	if (rc == GIT_ENOTFOUND)
		return cts_error_set(CTS_EINVAL,
		                     "aucun dépôt régional configuré (remote « origin » absent)");
	return rc < 0 ? git_fail(CTS_EGIT, "lecture du dépôt distant") : 0;
}

/* One exchange with origin: the remote, its callbacks, proxy and
 * certificate store, and the no-progress watchdog of network remotes. */
typedef struct {
	git_remote *rem;
	const char *url;
	git_remote_callbacks cbs;
	git_proxy_options proxy;
	cb_state st;
} session;

static void session_close(session *s)
{
	cts_gitnet_watch_stop(s->st.watch);
	s->st.watch = NULL;
	git_remote_free(s->rem);
	s->rem = NULL;
}

static int session_open(session *s, cts_gitrepo *repo)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = lookup_origin(repo, &s->rem)) < 0)
		return rc;
	s->url = git_remote_url(s->rem);
	s->st.repo = repo;
	state_reset(&s->st, s->url);
	set_callbacks(&s->cbs, &s->st);
	cts_gitnet_proxy_options(&s->proxy, repo->proxy);
	if (!cts_gitnet_proxy_describe(repo->proxy, s->url, s->st.proxy, sizeof(s->st.proxy)))
		s->st.proxy[0] = '\0';
	if (strncasecmp(s->url, "https://", 8) == 0 && (rc = cts_gitnet_tls_prepare()) < 0)
		goto fail;
	if (!local_path(s->url) && (rc = cts_gitnet_watch_start(&s->st.watch)) < 0)
		goto fail;
	return 0;
fail:
	session_close(s);
	return rc;
}

/* Connect, with redirections kept on the same server (the token is never
 * sent to another host). */
static int session_connect(session *s, git_direction dir)
{
	git_remote_connect_options o;

	git_remote_connect_options_init(&o, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
	o.callbacks = s->cbs;
	o.proxy_opts = s->proxy;
	o.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	git_error_clear();
	return git_remote_connect_ext(s->rem, dir, &o);
}

static const git_remote_head *find_head(const git_remote_head **heads, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i]->name, name) == 0)
			return heads[i];
	return NULL;
}

/* After a push: read the remote refs back. Only a positive mismatch is
 * reported; if the remote cannot be read again the push status stands. */
static int verify_pushed(cts_gitrepo *repo, const char *const *refs, const git_oid *local, size_t n)
{
	const git_remote_head **heads;
	size_t nheads;
	session s;
	int rc = 0;

	if (session_open(&s, repo) < 0) {
		cts_error_clear();
		return 0;
	}
	if (session_connect(&s, GIT_DIRECTION_FETCH) < 0 ||
	    git_remote_ls(&heads, &nheads, s.rem) < 0) {
		git_error_clear();
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_remote_head *h = find_head(heads, nheads, refs[i]);
		if (h && (git_oid_equal(&h->oid, &local[i]) ||
		          cts_gitrepo_is_ancestor(repo, &local[i], &h->oid) == 1))
			continue;
		rc = cts_error_set(CTS_EREJECT,
		                   "envoi de %s : le dépôt régional ne l'a pas enregistré (il %s) "
		                   "; rien n'a été modifié ici",
		                   refs[i], h ? "porte un autre commit" : "n'a pas cette branche");
	}
	git_remote_disconnect(s.rem);
out:
	session_close(&s);
	return rc;
}

#define HEADS_PREFIX "refs/heads/"
#define TRACKING_PREFIX "refs/remotes/origin/"

/* The remote-tracking name of a branch "refs/heads/B" into buf
 * ("refs/remotes/origin/B"); 0, or -1 if not a branch or too long. */
static int tracking_name(char *buf, size_t size, const char *ref)
{
	size_t hl = strlen(HEADS_PREFIX);

	if (strncmp(ref, HEADS_PREFIX, hl) != 0 || !ref[hl])
		return -1;
	if (strlen(TRACKING_PREFIX) + strlen(ref + hl) + 1 > size)
		return -1;
	snprintf(buf, size, "%s%s", TRACKING_PREFIX, ref + hl);
	return 0;
}

/* 1 if the local ref `name` is a direct ref to oid, else 0. */
static int direct_ref_is(git_repository *r, const char *name, const git_oid *oid)
{
	git_reference *ref = NULL;
	int same;

	if (git_reference_lookup(&ref, r, name) < 0) {
		git_error_clear();
		return 0;
	}
	same = git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
	       git_oid_equal(git_reference_target(ref), oid);
	git_reference_free(ref);
	return same;
}

/* 1 when the remote-tracking refs already are exactly what fetching the
 * advertised `heads` would leave: for every refs/heads/B a direct
 * refs/remotes/origin/B at the same oid, whose object is here, and
 * nothing else under refs/remotes/origin/ (nothing to prune). A fetch
 * would then download and write nothing. Anything unusual (duplicate or
 * odd names, symbolic tracking refs, errors): 0, and the caller fetches
 * as usual. */
static int tracking_up_to_date(git_repository *r, const git_remote_head **heads, size_t nheads)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	size_t branches = 0, local = 0;
	char name[512];
	int rc, same = 1;

	if (git_repository_odb(&odb, r) < 0) {
		git_error_clear();
		return 0;
	}
	for (size_t i = 0; i < nheads && same; i++) {
		if (strncmp(heads[i]->name, HEADS_PREFIX, strlen(HEADS_PREFIX)) != 0)
			continue;
		branches++;
		same = tracking_name(name, sizeof(name), heads[i]->name) == 0 &&
		       direct_ref_is(r, name, &heads[i]->oid) &&
		       git_odb_exists(odb, &heads[i]->oid);
	}
	git_odb_free(odb);
	if (!same)
		return 0;
	if (git_reference_iterator_glob_new(&it, r, TRACKING_PREFIX "*") < 0) {
		git_error_clear();
		return 0;
	}
	while ((rc = git_reference_next(&ref, it)) == 0) {
		local++;
		git_reference_free(ref);
		ref = NULL;
	}
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER) {
		git_error_clear();
		return 0;
	}
	git_error_clear();
	return local == branches;
}

/* Every ref of the push is already on the remote: nothing to send. The
 * remote-tracking refs are brought in line as a push would. */
static int push_nothing_to_send(cts_gitrepo *repo, const char *const *refs, const git_oid *local,
                                size_t n, const git_remote_head **heads, size_t nheads)
{
	char name[512];

	for (size_t i = 0; i < n; i++) {
		const git_remote_head *h = find_head(heads, nheads, refs[i]);
		if (!h || !git_oid_equal(&h->oid, &local[i]))
			return 0;
	}
	for (size_t i = 0; i < n; i++) {
		git_reference *r = NULL;
		if (tracking_name(name, sizeof(name), refs[i]) < 0 ||
		    direct_ref_is(repo->repo, name, &local[i]))
			continue;
		if (git_reference_create(&r, repo->repo, name, &local[i], 1, "ctsnode: push") < 0)
			return cts_error_prefix(git_fail(CTS_EGIT, "écriture d'une référence"),
			                        "%s : ", name);
		git_reference_free(r);
	}
	return 1;
}

int cts_gitrepo_push(cts_gitrepo *repo, const char *const *refs, size_t n)
{
	git_push_options opts;
	const git_remote_head **heads;
	size_t nheads;
	char **specs = NULL;
	git_oid *local = NULL;
	git_strarray arr;
	session s = {0};
	int rc = 0;

	if (n == 0)
		return 0;
	if (!(specs = calloc(n, sizeof(*specs))) || !(local = calloc(n, sizeof(*local)))) {
		rc = oom();
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l;
		if (!valid_refname(refs[i])) {
			rc = cts_error_set(CTS_EINVAL, "envoi : nom de branche invalide « %s »",
			                   refs[i] ? refs[i] : "(nul)");
			goto cleanup;
		}
		if ((rc = cts_gitrepo_ref_oid(repo, refs[i], &local[i])) < 0)
			goto cleanup;
		l = 2 * strlen(refs[i]) + 2;
		if (!(specs[i] = malloc(l))) {
			rc = oom();
			goto cleanup;
		}
		snprintf(specs[i], l, "%s:%s", refs[i], refs[i]);
	}
	if ((rc = session_open(&s, repo)) < 0)
		goto cleanup;
	if ((rc = session_connect(&s, GIT_DIRECTION_PUSH)) < 0 ||
	    (rc = git_remote_ls(&heads, &nheads, s.rem)) < 0) {
		rc = transport_fail(rc, &s.st, "envoi", s.url);
		goto cleanup;
	}
	/* Never forced: each remote ref must be absent or behind ours. */
	for (size_t i = 0; i < n; i++) {
		const git_remote_head *h = find_head(heads, nheads, refs[i]);
		char hex[GIT_OID_HEXSZ + 1];
		if (!h || cts_gitrepo_is_ancestor(repo, &h->oid, &local[i]) == 1)
			continue;
		git_oid_tostr(hex, sizeof(hex), &h->oid);
		rc = cts_error_set(CTS_EREJECT,
		                   "envoi de %s refusé : sur le dépôt régional cette branche porte "
		                   "le commit %.12s, qui "
		                   "n'est pas un ancêtre du nôtre (branche réécrite ou écrite par "
		                   "un autre) ; rien n'a été "
		                   "envoyé ni modifié",
		                   refs[i], hex);
		goto cleanup;
	}
	/* A no-op push would still send an empty pack (written and fsynced
	 * on the remote) and take the remote's ref locks: skip it. */
	if ((rc = push_nothing_to_send(repo, refs, local, n, heads, nheads)) != 0) {
		if (rc > 0)
			rc = 0;
		goto cleanup;
	}
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	opts.callbacks = s.cbs;
	opts.proxy_opts = s.proxy;
	opts.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	arr.strings = specs;
	arr.count = n;
	state_reset(&s.st, s.url);
	cts_crashpoint();
	rc = git_remote_push(s.rem, &arr, &opts);
	cts_crashpoint();
	if (rc < 0) {
		rc = transport_fail(rc, &s.st, "envoi", s.url);
		goto cleanup;
	}
	if (s.st.rejected[0]) {
		rc = cts_error_set(
		    CTS_EREJECT,
		    "envoi refusé par le dépôt régional : %s ; rien n'a été modifié ici",
		    s.st.rejected);
		goto cleanup;
	}
	session_close(&s);
	rc = verify_pushed(repo, refs, local, n);
cleanup:
	session_close(&s);
	if (specs)
		for (size_t i = 0; i < n; i++)
			free(specs[i]);
	free(specs);
	free(local);
	return rc;
}

int cts_gitrepo_fetch(cts_gitrepo *repo)
{
	git_fetch_options opts;
	char spec[] = ORIGIN_FETCHSPEC;
	char *specs[1] = {spec};
	git_strarray arr = {specs, 1};
	session s;
	int rc;

	if ((rc = session_open(&s, repo)) < 0)
		return rc;
	if ((rc = session_connect(&s, GIT_DIRECTION_FETCH)) < 0) {
		rc = transport_fail(rc, &s.st, "récupération", s.url);
		goto cleanup;
	}
	/* Nothing new on the remote: the advertised branches are what we
	 * track already. Skip the negotiation and the ref updates. */
	{
		const git_remote_head **heads;
		size_t nheads;
		if ((rc = git_remote_ls(&heads, &nheads, s.rem)) < 0) {
			rc = transport_fail(rc, &s.st, "récupération", s.url);
			goto cleanup;
		}
		if (tracking_up_to_date(repo->repo, heads, nheads)) {
			rc = 0;
			cts_crashpoint();
			goto cleanup;
		}
	}
	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	opts.callbacks = s.cbs;
	opts.proxy_opts = s.proxy;
	opts.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	opts.prune = GIT_FETCH_PRUNE;
	opts.update_fetchhead = 0;
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	state_reset(&s.st, s.url);
	if ((rc = git_remote_fetch(s.rem, &arr, &opts, "ctsnode: fetch")) < 0)
		rc = transport_fail(rc, &s.st, "récupération", s.url);
	cts_crashpoint();
cleanup:
	session_close(&s);
	return rc;
}

/* ---- refs ---- */

int cts_gitrepo_ref_oid(cts_gitrepo *repo, const char *ref, git_oid *out)
{
	int rc = git_reference_name_to_id(out, repo->repo, ref);

	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return cts_error_set(CTS_ENOTFOUND, "référence %s absente", ref);
	}
	if (rc == GIT_EINVALIDSPEC)
		return cts_error_set(CTS_EINVAL, "nom de référence invalide : « %s »", ref);
	if (rc < 0)
		return cts_error_prefix(git_fail(CTS_EGIT, "lecture d'une référence"),
		                        "%s : ", ref);
	return 0;
}

int cts_gitrepo_ref_set(cts_gitrepo *repo, const char *ref, const git_oid *oid)
{
	git_reference *r = NULL;

	if (!valid_refname(ref))
		return cts_error_set(CTS_EINVAL, "nom de référence invalide : « %s »",
		                     ref ? ref : "(nul)");
	if (git_reference_create(&r, repo->repo, ref, oid, 1, "ctsnode: set") < 0)
		return cts_error_prefix(git_fail(CTS_EGIT, "écriture d'une référence"),
		                        "%s : ", ref);
	git_reference_free(r);
	return 0;
}

typedef struct {
	git_repository *repo;
	int (*cb)(const char *ref, const git_oid *oid, void *ctx);
	void *ctx;
	int ret; /* the callback's nonzero return */
} glob_ctx;

static int glob_cb(const char *name, void *payload)
{
	glob_ctx *g = payload;
	git_reference *r = NULL;
	git_oid oid;
	int direct;

	if (git_reference_lookup(&r, g->repo, name) < 0) {
		git_error_clear();
		return 0;
	}
	direct = git_reference_type(r) == GIT_REFERENCE_DIRECT;
	if (direct)
		git_oid_cpy(&oid, git_reference_target(r));
	git_reference_free(r);
	if (!direct)
		return 0;
	g->ret = g->cb(name, &oid, g->ctx);
	return g->ret ? 1 : 0;
}

int cts_gitrepo_refs_foreach(cts_gitrepo *repo, const char *glob,
                             int (*cb)(const char *ref, const git_oid *oid, void *ctx), void *ctx)
{
	glob_ctx g = {repo->repo, cb, ctx, 0};
	int rc = git_reference_foreach_glob(repo->repo, glob, glob_cb, &g);

	if (g.ret)
		return g.ret < 0 ? g.ret : 0;
	if (rc < 0)
		return git_fail(CTS_EGIT, "parcours des références");
	return 0;
}

int cts_gitrepo_is_ancestor(cts_gitrepo *repo, const git_oid *ancestor, const git_oid *descendant)
{
	int rc;

	if (git_oid_equal(ancestor, descendant))
		return 1;
	rc = git_graph_descendant_of(repo->repo, descendant, ancestor);
	if (rc < 0)
		git_error_clear();
	return rc == 1;
}

/* ---- reading ---- */

static int commit_tree(cts_gitrepo *repo, const git_oid *commit, git_tree **tree)
{
	git_commit *c = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	*tree = NULL;
	if (git_commit_lookup(&c, repo->repo, commit) < 0) {
		git_oid_tostr(hex, sizeof(hex), commit);
		return cts_error_prefix(git_fail(CTS_EGIT, "commit illisible"),
		                        "commit %.12s : ", hex);
	}
	rc = git_commit_tree(tree, c);
	git_commit_free(c);
	if (rc < 0) {
		git_oid_tostr(hex, sizeof(hex), commit);
		return cts_error_prefix(git_fail(CTS_EGIT, "arbre illisible"),
		                        "commit %.12s : ", hex);
	}
	return 0;
}

/* Size and type of an object without loading it. */
static int object_header(cts_gitrepo *repo, const git_oid *oid, size_t *size, git_object_t *type)
{
	git_odb *odb = NULL;
	int rc;

	if (git_repository_odb(&odb, repo->repo) < 0)
		return git_fail(CTS_EGIT, "base d'objets git");
	rc = git_odb_read_header(size, type, odb, oid);
	git_odb_free(odb);
	return rc < 0 ? git_fail(CTS_EGIT, "objet git illisible") : 0;
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

int cts_gitrepo_read_file(cts_gitrepo *repo, const git_oid *commit, const char *path,
                          size_t max_size, unsigned char **data, size_t *len)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	git_filemode_t mode;
	size_t size;
	int rc;

	*data = NULL;
	*len = 0;
	if (!path || !*path)
		return cts_error_set(CTS_EINVAL, "lecture dans le dépôt : chemin vide");
	if ((rc = commit_tree(repo, commit, &tree)) < 0)
		return rc;
	rc = git_tree_entry_bypath(&e, tree, path);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		rc = cts_error_set(CTS_ENOTFOUND, "%s absent du dépôt", path);
		goto cleanup;
	}
	if (rc < 0) {
		rc = cts_error_prefix(git_fail(CTS_EGIT, "lecture de l'arbre"), "%s : ", path);
		goto cleanup;
	}
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
		rc = cts_error_prefix(git_fail(CTS_EGIT, "lecture d'un fichier du dépôt"),
		                      "%s : ", path);
		goto cleanup;
	}
	if ((size_t)git_blob_rawsize(blob) != size) {
		rc = cts_error_set(CTS_EGIT, "%s : taille incohérente dans la base d'objets", path);
		goto cleanup;
	}
	if (!(*data = malloc(size + 1))) {
		rc = oom();
		goto cleanup;
	}
	memcpy(*data, git_blob_rawcontent(blob), size);
	(*data)[size] = 0;
	*len = size;
	rc = 0;
cleanup:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
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

int cts_gitrepo_list_dir(cts_gitrepo *repo, const git_oid *commit, const char *dir,
                         size_t max_entries,
                         int (*cb)(const char *name, const git_oid *oid, size_t size,
                                   unsigned filemode, void *ctx),
                         void *ctx)
{
	return cts_gitrepo_list_dir_filtered(repo, commit, dir, max_entries, NULL, cb, ctx);
}

int cts_gitrepo_list_dir_filtered(cts_gitrepo *repo, const git_oid *commit, const char *dir,
                                  size_t max_entries, int (*skip)(const char *name, void *ctx),
                                  int (*cb)(const char *name, const git_oid *oid, size_t size,
                                            unsigned filemode, void *ctx),
                                  void *ctx)
{
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *e = NULL;
	const git_oid *sub_oid;
	const char *where = dir && *dir ? dir : "/";
	git_object_t type;
	size_t count, osize;
	int rc;

	if ((rc = commit_tree(repo, commit, &tree)) < 0)
		return rc;
	if (dir && *dir) {
		rc = git_tree_entry_bypath(&e, tree, dir);
		if (rc == GIT_ENOTFOUND) {
			git_error_clear();
			rc = 0;
			goto cleanup;
		}
		if (rc < 0) {
			rc = cts_error_prefix(git_fail(CTS_EGIT, "lecture de l'arbre"),
			                      "%s : ", dir);
			goto cleanup;
		}
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE ||
		    git_tree_entry_filemode(e) != GIT_FILEMODE_TREE) {
			rc =
			    cts_error_set(CTS_EINVAL, "%s n'est pas un dossier dans le dépôt", dir);
			goto cleanup;
		}
		sub_oid = git_tree_entry_id(e);
	} else {
		sub_oid = git_tree_id(tree);
	}
	/* Bound the tree object before parsing it. */
	if ((rc = object_header(repo, sub_oid, &osize, &type)) < 0)
		goto cleanup;
	if (type != GIT_OBJECT_TREE) {
		rc = cts_error_set(CTS_EINVAL, "%s n'est pas un dossier dans le dépôt", where);
		goto cleanup;
	}
	if (max_entries < ((size_t)-1) / TREE_ENTRY_MAX_BYTES &&
	    osize > max_entries * TREE_ENTRY_MAX_BYTES) {
		rc = cts_error_set(CTS_ELIMIT, "%s contient trop d'entrées (maximum %zu)", where,
		                   max_entries);
		goto cleanup;
	}
	if (git_tree_lookup(&sub, repo->repo, sub_oid) < 0) {
		rc = cts_error_prefix(git_fail(CTS_EGIT, "dossier illisible"), "%s : ", where);
		goto cleanup;
	}
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
		if ((ret = cb(git_tree_entry_name(x), git_tree_entry_id(x), size,
		              (unsigned)git_tree_entry_filemode(x), ctx))) {
			rc = ret < 0 ? ret : 0;
			goto cleanup;
		}
	}
	rc = 0;
cleanup:
	git_tree_free(sub);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

int cts_gitrepo_walk(cts_gitrepo *repo, const git_oid *tip, const git_oid *stop, size_t max_commits,
                     int (*cb)(const git_oid *commit, void *ctx), void *ctx)
{
	git_revwalk *w = NULL;
	git_oid oid, *list = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;

	if (git_revwalk_new(&w, repo->repo) < 0 ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL) < 0 || git_revwalk_push(w, tip) < 0 ||
	    (stop && git_revwalk_hide(w, stop) < 0)) {
		rc = git_fail(CTS_EGIT, "parcours de l'historique");
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
				rc = oom();
				goto cleanup;
			}
			list = nl;
			cap = ncap;
		}
		git_oid_cpy(&list[count++], &oid);
	}
	if (rc != GIT_ITEROVER) {
		rc = git_fail(CTS_EGIT, "parcours de l'historique");
		goto cleanup;
	}
	git_error_clear();
	rc = 0;
	for (size_t i = count; i-- > 0;) {
		int ret = cb(&list[i], ctx);
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

int cts_gitrepo_commit_raw(cts_gitrepo *repo, const git_oid *commit, char **data, size_t *len)
{
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
		rc = git_fail(CTS_EGIT, "commit illisible");
		goto cleanup;
	}
	size = git_odb_object_size(obj);
	if (git_odb_object_type(obj) != GIT_OBJECT_COMMIT || size > CTS_GIT_COMMIT_MAX) {
		rc = cts_error_set(CTS_EGIT, "commit incohérent dans la base d'objets");
		goto cleanup;
	}
	if (!(*data = malloc(size + 1))) {
		rc = oom();
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

static int objects_dir(cts_gitrepo *repo, char *out, size_t size)
{
	git_buf b = {0};

	if (git_repository_item_path(&b, repo->repo, GIT_REPOSITORY_ITEM_OBJECTS) < 0)
		return git_fail(CTS_EGIT, "dossier des objets git");
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

	if (objects_dir(repo, objdir, sizeof(objdir)) < 0) {
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
	static const char *const exts[] = {".idx", ".pack", ".rev", ".bitmap", ".mtimes"};

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
	char objdir[4096], packdir[4200], idx[4400];
	git_packbuilder *pb = NULL;
	git_revwalk *w = NULL;
	git_odb *podb = NULL;
	git_odb_backend *be = NULL;
	pack_refs_ctx pc;
	prune_ctx pr;
	const char *name;
	int rc;

	if ((rc = objects_dir(repo, objdir, sizeof(objdir))) < 0)
		return rc;
	if (foreach_loose(objdir, NULL, NULL) <= threshold)
		return 0;
	if (git_packbuilder_new(&pb, repo->repo) < 0 || git_revwalk_new(&w, repo->repo) < 0) {
		rc = git_fail(CTS_EGIT, "compactage du dépôt");
		goto cleanup;
	}
	pc = (pack_refs_ctx){repo->repo, w, pb, 0};
	if (git_reference_foreach(repo->repo, pack_ref, &pc) < 0 || pc.rc < 0 ||
	    git_packbuilder_insert_walk(pb, w) < 0 ||
	    git_packbuilder_write(pb, NULL, 0, NULL, NULL) < 0 ||
	    !(name = git_packbuilder_name(pb))) {
		rc = git_fail(CTS_EGIT, "compactage du dépôt");
		goto cleanup;
	}
	snprintf(packdir, sizeof(packdir), "%s/pack", objdir);
	snprintf(idx, sizeof(idx), "%s/pack-%s.idx", packdir, name);
	if (git_odb_new(&podb) < 0 || git_odb_backend_one_pack(&be, idx) < 0) {
		rc = git_fail(CTS_EGIT, "lecture du nouveau paquet");
		goto cleanup;
	}
	if (git_odb_add_backend(podb, be, 1) < 0) {
		be->free(be);
		rc = git_fail(CTS_EGIT, "lecture du nouveau paquet");
		goto cleanup;
	}
	pr.pack = podb;
	pr.now = time(NULL);
	foreach_loose(objdir, prune_loose, &pr);
	remove_old_packs(packdir, name);
	rc = reopen(repo);
cleanup:
	git_odb_free(podb);
	git_revwalk_free(w);
	git_packbuilder_free(pb);
	return rc;
}
