#include "gitrepo.h"

#include "error.h"
#include "node.h"

#include <dirent.h>
#include <sodium.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cts_gitrepo {
	git_repository *repo;
	char *path;
};

/* Translate the last libgit2 error, keeping its message. */
static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();
	return cts_error_set(code, "%s : %s", what, e && e->message ? e->message : "erreur git");
}

int cts_git_init(void)
{
	static int done;

	if (!done) {
		if (git_libgit2_init() < 0)
			return git_fail(CTS_EGIT, "initialisation de libgit2");
		done = 1;
	}
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
	free(repo);
}

static int wrap(cts_gitrepo **out, git_repository *r, const char *path)
{
	cts_gitrepo *g = calloc(1, sizeof(*g));

	if (!g || !(g->path = strdup(path))) {
		free(g);
		git_repository_free(r);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	g->repo = r;
	*out = g;
	return 0;
}

int cts_gitrepo_create_bare(const char *path)
{
	git_repository *r = NULL;
	int rc;

	if ((rc = cts_git_init()) < 0)
		return rc;
	if (git_repository_open_bare(&r, path) == 0) {
		git_repository_free(r);
		return 0;
	}
	if ((rc = cts_mkdirs(path)) < 0)
		return rc;
	if (git_repository_init(&r, path, 1) < 0)
		return git_fail(CTS_EGIT, "création du dépôt");
	git_repository_free(r);
	return 0;
}

int cts_gitrepo_open(cts_gitrepo **out, const char *path)
{
	git_repository *r = NULL;
	int rc;

	*out = NULL;
	if ((rc = cts_git_init()) < 0)
		return rc;
	if (git_repository_open_bare(&r, path) < 0) {
		if ((rc = cts_gitrepo_create_bare(path)) < 0)
			return rc;
		if (git_repository_open_bare(&r, path) < 0)
			return git_fail(CTS_EGIT, "ouverture du dépôt local");
	}
	return wrap(out, r, path);
}

int cts_gitrepo_open_existing(cts_gitrepo **out, const char *path)
{
	git_repository *r = NULL;
	int rc;

	*out = NULL;
	if ((rc = cts_git_init()) < 0)
		return rc;
	if (git_repository_open_ext(&r, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return git_fail(CTS_ENOTFOUND, "ouverture du dépôt");
	return wrap(out, r, path);
}

int cts_gitrepo_set_remote(cts_gitrepo *repo, const char *url)
{
	git_remote *rem = NULL;

	if (git_remote_lookup(&rem, repo->repo, "origin") == 0) {
		int same = strcmp(git_remote_url(rem), url) == 0;
		git_remote_free(rem);
		if (same)
			return 0;
		if (git_remote_set_url(repo->repo, "origin", url) < 0)
			return git_fail(CTS_EGIT, "configuration du dépôt distant");
		return 0;
	}
	if (git_remote_create_with_fetchspec(&rem, repo->repo, "origin", url, "+refs/heads/*:refs/remotes/origin/*") < 0)
		return git_fail(CTS_EINVAL, "adresse du dépôt régional invalide");
	git_remote_free(rem);
	return 0;
}

/* ---- commits ---- */

int cts_gitrepo_commit_files(cts_gitrepo *repo, const char *ref, const cts_git_file *files, size_t n,
			     int allow_replace, const char *message, const char *name, const char *email, int64_t when,
			     cts_git_sign_fn sign, void *sign_ctx, git_oid *out_oid)
{
	git_oid tip, tree_oid, commit_oid;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_update *ups = NULL;
	git_signature *sig = NULL;
	git_buf payload = { 0 };
	git_reference *newref = NULL;
	char *armored = NULL;
	size_t alen = 0;
	int rc = 0, has_tip;

	has_tip = git_reference_name_to_id(&tip, repo->repo, ref) == 0;
	if (has_tip) {
		if (git_commit_lookup(&parent, repo->repo, &tip) < 0 || git_commit_tree(&base, parent) < 0) {
			rc = git_fail(CTS_EGIT, "lecture de la branche");
			goto cleanup;
		}
	} else {
		git_treebuilder *tb = NULL;
		git_oid empty;
		if (git_treebuilder_new(&tb, repo->repo, NULL) < 0 || git_treebuilder_write(&empty, tb) < 0 ||
		    git_tree_lookup(&base, repo->repo, &empty) < 0) {
			git_treebuilder_free(tb);
			rc = git_fail(CTS_EGIT, "création d'un arbre vide");
			goto cleanup;
		}
		git_treebuilder_free(tb);
	}
	if (!(ups = calloc(n ? n : 1, sizeof(*ups)))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		git_tree_entry *e = NULL;
		if (!allow_replace && git_tree_entry_bypath(&e, base, files[i].path) == 0) {
			git_tree_entry_free(e);
			rc = cts_error_set(CTS_EINVAL, "%s existe déjà sur la branche %s : un fichier publié n'est jamais modifié",
					   files[i].path, ref);
			goto cleanup;
		}
		git_error_clear();
		if (git_blob_create_from_buffer(&ups[i].id, repo->repo, files[i].data, files[i].len) < 0) {
			rc = git_fail(CTS_EGIT, "écriture d'un objet git");
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
		rc = git_fail(CTS_EGIT, "signature de commit");
		goto cleanup;
	}
	{
		const git_commit *parents[1] = { parent };
		if (git_commit_create_buffer(&payload, repo->repo, sig, sig, NULL, message, tree, has_tip ? 1 : 0, parents) < 0) {
			rc = git_fail(CTS_EGIT, "préparation du commit");
			goto cleanup;
		}
	}
	if ((rc = sign(&armored, &alen, payload.ptr, payload.size, sign_ctx)) < 0)
		goto cleanup;
	/* libgit2 indents every newline of the header value: drop the final
	 * one to get git's exact bytes. */
	while (alen > 0 && armored[alen - 1] == '\n')
		armored[--alen] = '\0';
	if (git_commit_create_with_signature(&commit_oid, repo->repo, payload.ptr, armored, "gpgsig") < 0) {
		rc = git_fail(CTS_EGIT, "écriture du commit signé");
		goto cleanup;
	}
	if (has_tip)
		rc = git_reference_create_matching(&newref, repo->repo, ref, &commit_oid, 1, &tip, "ctsnode commit");
	else
		rc = git_reference_create(&newref, repo->repo, ref, &commit_oid, 0, "ctsnode commit");
	if (rc < 0) {
		rc = git_fail(CTS_EBUSY, "la branche a bougé pendant l'écriture (autre processus ?) ; rien n'a été modifié");
		goto cleanup;
	}
	rc = 0;
	if (out_oid)
		git_oid_cpy(out_oid, &commit_oid);
cleanup:
	git_reference_free(newref);
	free(armored);
	git_buf_dispose(&payload);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	free(ups);
	return rc;
}

/* ---- transport ---- */

typedef struct {
	int cred_tries;
	char rejected[512];
} cb_state;

static int credentials(git_credential **out, const char *url, const char *user_from_url, unsigned int allowed,
		       void *payload)
{
	cb_state *st = payload;
	const char *user = user_from_url ? user_from_url : getenv("USER");
	const char *key = getenv("CTSNODE_SSH_KEY");
	char pub[4300], def[4200];

	(void)url;
	if (++st->cred_tries > 3)
		return GIT_EAUTH;
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY))
		return GIT_PASSTHROUGH;
	if (!user)
		user = "git";
	if (key && *key) {
		snprintf(pub, sizeof(pub), "%s.pub", key);
		return git_credential_ssh_key_new(out, user, pub, key, NULL);
	}
	if (st->cred_tries == 1 && getenv("SSH_AUTH_SOCK"))
		return git_credential_ssh_key_from_agent(out, user);
	if (getenv("HOME")) {
		snprintf(def, sizeof(def), "%s/.ssh/id_ed25519", getenv("HOME"));
		snprintf(pub, sizeof(pub), "%s.pub", def);
		return git_credential_ssh_key_new(out, user, pub, def, NULL);
	}
	return GIT_PASSTHROUGH;
}

/* SSH host keys are checked against CTSNODE_SSH_KNOWN_HOSTS or
 * ~/.ssh/known_hosts (plain "host" or "[host]:port" entries). */
static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	const char *file = getenv("CTSNODE_SSH_KNOWN_HOSTS");
	char path[4200], line[8192];
	FILE *f;
	int ok = 0;

	(void)payload;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return valid ? 0 : GIT_ECERTIFICATE;
	if (!(hk->type & GIT_CERT_SSH_RAW) || !hk->hostkey || hk->hostkey_len == 0)
		return GIT_ECERTIFICATE;
	if (!file) {
		if (!getenv("HOME"))
			return GIT_ECERTIFICATE;
		snprintf(path, sizeof(path), "%s/.ssh/known_hosts", getenv("HOME"));
		file = path;
	}
	if (!(f = fopen(file, "r"))) {
		git_error_set_str(GIT_ERROR_SSH, "clé d'hôte inconnue : aucun fichier known_hosts");
		return GIT_ECERTIFICATE;
	}
	while (!ok && fgets(line, sizeof(line), f)) {
		char *hosts = strtok(line, " \t\n"), *type = strtok(NULL, " \t\n"), *b64 = strtok(NULL, " \t\n");
		unsigned char blob[4096];
		size_t blen = 0;
		if (!hosts || !type || !b64 || hosts[0] == '#')
			continue;
		int match = 0;
		for (char *h = strtok(hosts, ","); h; h = strtok(NULL, ",")) {
			char bare[512];
			snprintf(bare, sizeof(bare), "%s", h);
			if (bare[0] == '[') {
				char *e = strchr(bare, ']');
				if (e)
					*e = '\0';
				memmove(bare, bare + 1, strlen(bare));
			}
			if (strcmp(bare, host) == 0)
				match = 1;
		}
		if (!match)
			continue;
		if (sodium_base642bin(blob, sizeof(blob), b64, strlen(b64), NULL, &blen, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
		    blen == hk->hostkey_len &&
		    memcmp(blob, hk->hostkey, blen) == 0)
			ok = 1;
	}
	fclose(f);
	if (!ok) {
		git_error_set_str(GIT_ERROR_SSH, "clé d'hôte SSH inconnue ou différente : ajoutez la clé du serveur au fichier "
						 "known_hosts (ou CTSNODE_SSH_KNOWN_HOSTS) après l'avoir vérifiée");
		return GIT_ECERTIFICATE;
	}
	return 0;
}

static int update_reference(const char *refname, const char *status, void *payload)
{
	cb_state *st = payload;

	if (status && !st->rejected[0])
		snprintf(st->rejected, sizeof(st->rejected), "%s : %s", refname, status);
	return 0;
}

static void set_callbacks(git_remote_callbacks *cb, cb_state *st)
{
	cb->credentials = credentials;
	cb->certificate_check = certificate_check;
	cb->push_update_reference = update_reference;
	cb->payload = st;
}

/* Unreachable remote, or another failure? */
static int transport_fail(int git_rc, const char *what)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "";

	if (git_rc == GIT_ENONFASTFORWARD)
		return cts_error_set(CTS_EREJECT, "%s refusé : la branche du dépôt n'est pas un ancêtre de la nôtre (%s)", what, m);
	if (git_rc == GIT_ECERTIFICATE || git_rc == GIT_EAUTH || strstr(m, "uthenticat") || strstr(m, "clé d'hôte"))
		return cts_error_set(CTS_EGIT, "%s : accès refusé par le serveur : %s", what, m);
	if ((e && (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_OS || e->klass == GIT_ERROR_SSH)) ||
	    strstr(m, "could not find repository") || strstr(m, "failed to resolve path") || strstr(m, "connect") ||
	    strstr(m, "not found") || strstr(m, "No such file"))
		return cts_error_set(CTS_ENET, "%s : dépôt régional injoignable (%s)", what, m);
	return cts_error_set(CTS_EGIT, "%s : %s", what, m);
}

int cts_gitrepo_push(cts_gitrepo *repo, const char *const *refs, size_t n)
{
	git_push_options opts;
	git_remote *rem = NULL;
	char **specs = calloc(n ? n : 1, sizeof(char *));
	git_strarray arr = { specs, n };
	cb_state st = { 0 };
	int rc = 0;

	if (!specs)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	for (size_t i = 0; i < n; i++) {
		size_t l = 2 * strlen(refs[i]) + 2;
		if (!(specs[i] = malloc(l))) {
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			goto cleanup;
		}
		snprintf(specs[i], l, "%s:%s", refs[i], refs[i]);
	}
	if (git_remote_lookup(&rem, repo->repo, "origin") < 0) {
		rc = cts_error_set(CTS_EINVAL, "aucun dépôt régional configuré");
		goto cleanup;
	}
	set_callbacks(&opts.callbacks, &st);
	git_error_clear();
	if ((rc = git_remote_push(rem, &arr, &opts)) < 0) {
		rc = transport_fail(rc, "envoi");
		goto cleanup;
	}
	if (st.rejected[0]) {
		rc = cts_error_set(CTS_EREJECT, "envoi refusé par le dépôt régional : %s", st.rejected);
		goto cleanup;
	}
	rc = 0;
cleanup:
	git_remote_free(rem);
	for (size_t i = 0; i < n; i++)
		free(specs[i]);
	free(specs);
	return rc;
}

int cts_gitrepo_fetch(cts_gitrepo *repo)
{
	git_fetch_options opts;
	git_remote *rem = NULL;
	cb_state st = { 0 };
	int rc;

	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	if (git_remote_lookup(&rem, repo->repo, "origin") < 0)
		return cts_error_set(CTS_EINVAL, "aucun dépôt régional configuré");
	set_callbacks(&opts.callbacks, &st);
	opts.prune = GIT_FETCH_PRUNE;
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	git_error_clear();
	rc = git_remote_fetch(rem, NULL, &opts, "ctsnode fetch");
	if (rc < 0)
		rc = transport_fail(rc, "récupération");
	git_remote_free(rem);
	return rc;
}

/* ---- refs and reading ---- */

int cts_gitrepo_ref_oid(cts_gitrepo *repo, const char *ref, git_oid *out)
{
	int rc = git_reference_name_to_id(out, repo->repo, ref);

	if (rc == GIT_ENOTFOUND)
		return cts_error_set(CTS_ENOTFOUND, "référence %s absente", ref);
	return rc < 0 ? git_fail(CTS_EGIT, "lecture d'une référence") : 0;
}

int cts_gitrepo_ref_set(cts_gitrepo *repo, const char *ref, const git_oid *oid)
{
	git_reference *r = NULL;

	if (git_reference_create(&r, repo->repo, ref, oid, 1, "ctsnode") < 0)
		return git_fail(CTS_EGIT, "écriture d'une référence");
	git_reference_free(r);
	return 0;
}

typedef struct {
	git_repository *repo;
	int (*cb)(const char *ref, const git_oid *oid, void *ctx);
	void *ctx;
	int stopped;
} glob_ctx;

static int glob_cb(const char *name, void *payload)
{
	glob_ctx *g = payload;
	git_oid oid;

	if (git_reference_name_to_id(&oid, g->repo, name) < 0)
		return 0; /* symbolic or broken: skip */
	if (g->cb(name, &oid, g->ctx)) {
		g->stopped = 1;
		return 1;
	}
	return 0;
}

int cts_gitrepo_refs_foreach(cts_gitrepo *repo, const char *glob,
			     int (*cb)(const char *ref, const git_oid *oid, void *ctx), void *ctx)
{
	glob_ctx g = { repo->repo, cb, ctx, 0 };
	int rc = git_reference_foreach_glob(repo->repo, glob, glob_cb, &g);

	if (rc < 0 && !g.stopped)
		return git_fail(CTS_EGIT, "parcours des références");
	return 0;
}

int cts_gitrepo_is_ancestor(cts_gitrepo *repo, const git_oid *ancestor, const git_oid *descendant)
{
	if (git_oid_equal(ancestor, descendant))
		return 1;
	return git_graph_descendant_of(repo->repo, descendant, ancestor) == 1;
}

static int commit_tree(cts_gitrepo *repo, const git_oid *commit, git_tree **tree)
{
	git_commit *c = NULL;
	int rc;

	if (git_commit_lookup(&c, repo->repo, commit) < 0)
		return git_fail(CTS_EINVAL, "commit illisible");
	rc = git_commit_tree(tree, c);
	git_commit_free(c);
	return rc < 0 ? git_fail(CTS_EINVAL, "arbre du commit illisible") : 0;
}

static int blob_size(cts_gitrepo *repo, const git_oid *oid, size_t *size)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t len;
	int rc;

	if (git_repository_odb(&odb, repo->repo) < 0)
		return git_fail(CTS_EGIT, "base d'objets");
	rc = git_odb_read_header(&len, &type, odb, oid);
	git_odb_free(odb);
	if (rc < 0)
		return git_fail(CTS_EINVAL, "objet illisible");
	if (type != GIT_OBJECT_BLOB)
		return cts_error_set(CTS_EINVAL, "objet de type inattendu");
	*size = len;
	return 0;
}

int cts_gitrepo_read_file(cts_gitrepo *repo, const git_oid *commit, const char *path, size_t max_size,
			  unsigned char **data, size_t *len)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	size_t size;
	int rc;

	*data = NULL;
	if ((rc = commit_tree(repo, commit, &tree)) < 0)
		return rc;
	if (git_tree_entry_bypath(&e, tree, path) < 0) {
		git_tree_free(tree);
		git_error_clear();
		return cts_error_set(CTS_ENOTFOUND, "%s absent du dépôt", path);
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB &&
							   git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB_EXECUTABLE)) {
		rc = cts_error_set(CTS_EINVAL, "%s n'est pas un fichier ordinaire (lien ou sous-module refusé)", path);
		goto cleanup;
	}
	if ((rc = blob_size(repo, git_tree_entry_id(e), &size)) < 0)
		goto cleanup;
	if (size > max_size) {
		rc = cts_error_set(CTS_ELIMIT, "%s est trop gros (%zu octets, maximum %zu)", path, size, max_size);
		goto cleanup;
	}
	if (git_blob_lookup(&blob, repo->repo, git_tree_entry_id(e)) < 0) {
		rc = git_fail(CTS_EINVAL, "lecture d'un fichier du dépôt");
		goto cleanup;
	}
	size = (size_t)git_blob_rawsize(blob);
	if (!(*data = malloc(size + 1))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	memcpy(*data, git_blob_rawcontent(blob), size);
	(*data)[size] = 0;
	*len = size;
cleanup:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}

int cts_gitrepo_list_dir(cts_gitrepo *repo, const git_oid *commit, const char *dir, size_t max_entries,
			 int (*cb)(const char *name, const git_oid *oid, size_t size, unsigned filemode, void *ctx),
			 void *ctx)
{
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *e = NULL;
	size_t count;
	int rc;

	if ((rc = commit_tree(repo, commit, &tree)) < 0)
		return rc;
	if (git_tree_entry_bypath(&e, tree, dir) < 0) {
		git_error_clear();
		git_tree_free(tree);
		return 0;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
		rc = cts_error_set(CTS_EINVAL, "%s n'est pas un dossier dans le dépôt", dir);
		goto cleanup;
	}
	if (git_tree_lookup(&sub, repo->repo, git_tree_entry_id(e)) < 0) {
		rc = git_fail(CTS_EINVAL, "dossier illisible");
		goto cleanup;
	}
	count = git_tree_entrycount(sub);
	if (count > max_entries) {
		rc = cts_error_set(CTS_ELIMIT, "%s contient trop d'entrées (%zu, maximum %zu)", dir, count, max_entries);
		goto cleanup;
	}
	for (size_t i = 0; i < count; i++) {
		const git_tree_entry *x = git_tree_entry_byindex(sub, i);
		const char *name = git_tree_entry_name(x);
		size_t size = 0;
		if (!name || !*name || strlen(name) > 255 || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			rc = cts_error_set(CTS_EINVAL, "%s : nom d'entrée invalide", dir);
			goto cleanup;
		}
		if (git_tree_entry_type(x) == GIT_OBJECT_BLOB && (rc = blob_size(repo, git_tree_entry_id(x), &size)) < 0)
			goto cleanup;
		if (cb(name, git_tree_entry_id(x), size, (unsigned)git_tree_entry_filemode(x), ctx))
			break;
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
	git_oid oid;
	size_t count = 0;
	int rc = 0;

	if (git_revwalk_new(&w, repo->repo) < 0 || git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(w, tip) < 0 || (stop && git_revwalk_hide(w, stop) < 0)) {
		git_revwalk_free(w);
		return git_fail(CTS_EINVAL, "parcours de l'historique");
	}
	while ((rc = git_revwalk_next(&oid, w)) == 0) {
		if (++count > max_commits) {
			git_revwalk_free(w);
			return cts_error_set(CTS_ELIMIT, "historique trop long (plus de %zu commits)", max_commits);
		}
		if (cb(&oid, ctx))
			break;
	}
	git_revwalk_free(w);
	return rc < 0 && rc != GIT_ITEROVER ? git_fail(CTS_EINVAL, "parcours de l'historique") : 0;
}

int cts_gitrepo_commit_raw(cts_gitrepo *repo, const git_oid *commit, char **data, size_t *len)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int rc = 0;

	*data = NULL;
	if (git_repository_odb(&odb, repo->repo) < 0 || git_odb_read(&obj, odb, commit) < 0) {
		git_odb_free(odb);
		return git_fail(CTS_EINVAL, "commit illisible");
	}
	if (git_odb_object_type(obj) != GIT_OBJECT_COMMIT) {
		rc = cts_error_set(CTS_EINVAL, "l'objet n'est pas un commit");
	} else if (!(*data = malloc(git_odb_object_size(obj) + 1))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	} else {
		*len = git_odb_object_size(obj);
		memcpy(*data, git_odb_object_data(obj), *len);
		(*data)[*len] = '\0';
	}
	git_odb_object_free(obj);
	git_odb_free(odb);
	return rc;
}

static size_t count_loose(const char *objdir, int remove_them)
{
	size_t count = 0;
	DIR *d = opendir(objdir);
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char sub[4200];
		DIR *s;
		struct dirent *fe;
		if (strlen(de->d_name) != 2 || !strchr("0123456789abcdef", de->d_name[0]) ||
		    !strchr("0123456789abcdef", de->d_name[1]))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", objdir, de->d_name);
		if (!(s = opendir(sub)))
			continue;
		while ((fe = readdir(s))) {
			if (fe->d_name[0] == '.')
				continue;
			count++;
			if (remove_them) {
				char f[4500];
				snprintf(f, sizeof(f), "%s/%s", sub, fe->d_name);
				unlink(f);
			}
		}
		closedir(s);
		if (remove_them)
			rmdir(sub);
	}
	closedir(d);
	return count;
}

int cts_gitrepo_maintain(cts_gitrepo *repo, size_t threshold)
{
	char objdir[4200];
	git_packbuilder *pb = NULL;
	git_revwalk *w = NULL;
	git_odb *odb = NULL;
	int rc = 0;

	snprintf(objdir, sizeof(objdir), "%s/objects", git_repository_path(repo->repo));
	if (count_loose(objdir, 0) <= threshold)
		return 0;
	if (git_packbuilder_new(&pb, repo->repo) < 0 || git_revwalk_new(&w, repo->repo) < 0 ||
	    git_revwalk_push_glob(w, "refs/*") < 0 || git_packbuilder_insert_walk(pb, w) < 0 ||
	    git_packbuilder_write(pb, NULL, 0, NULL, NULL) < 0) {
		rc = git_fail(CTS_EGIT, "compactage du dépôt local");
		goto cleanup;
	}
	count_loose(objdir, 1);
	if (git_repository_odb(&odb, repo->repo) == 0)
		git_odb_refresh(odb);
cleanup:
	git_odb_free(odb);
	git_revwalk_free(w);
	git_packbuilder_free(pb);
	return rc;
}
