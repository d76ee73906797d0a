#include "gitrepo_impl.h"

/* ---- commits ---- */

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
		return cts_git_oom();
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
		rc = cts_git_fail(CTS_EGIT, "création d'un arbre git vide");
	git_treebuilder_free(tb);
	return rc;
}

/* base plus files (blobs written), as *tree. */
static int build_tree(git_repository *r, git_tree *base, const cts_git_file *files, size_t n,
                      git_tree **tree)
{
	git_tree_update *ups = calloc(n, sizeof(*ups));
	git_oid tree_oid;
	int rc = 0;

	if (!ups)
		return cts_git_oom();
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (git_blob_create_from_buffer(&ups[i].id, r,
		                                files[i].data ? files[i].data : (const void *)"",
		                                files[i].len) < 0)
			rc = cts_git_fail(CTS_EGIT, "écriture d'un fichier dans le dépôt");
		ups[i].action = GIT_TREE_UPDATE_UPSERT;
		ups[i].filemode = GIT_FILEMODE_BLOB;
		ups[i].path = files[i].path;
	}
	if (rc == 0 && (git_tree_create_updated(&tree_oid, r, base, n, ups) < 0 ||
	                git_tree_lookup(tree, r, &tree_oid) < 0))
		rc = cts_git_fail(CTS_EGIT, "écriture de l'arbre git");
	free(ups);
	return rc;
}

/* The gpgsig header value sign() makes of payload: *sigz malloc'd. */
static int sign_payload(const char *ref, const git_buf *payload, cts_git_sign_fn sign,
                        void *sign_ctx, char **sigz)
{
	char *armored = NULL;
	size_t alen = 0;
	int rc;

	cts_error_clear();
	if ((rc = sign(&armored, &alen, payload->ptr, payload->size, sign_ctx)) < 0) {
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
	if (!(*sigz = malloc(alen + 1))) {
		rc = cts_git_oom();
		goto cleanup;
	}
	memcpy(*sigz, armored, alen);
	(*sigz)[alen] = '\0';
cleanup:
	free(armored);
	return rc;
}

/* Compare-and-swap: the ref must still be where the commit was built
 * (tip, or absent when tip is NULL). */
static int move_ref(git_repository *r, const char *ref, const git_oid *tip, const git_oid *commit)
{
	git_reference *newref = NULL;
	int rc;

	cts_crashpoint();
	if (tip)
		rc = git_reference_create_matching(&newref, r, ref, commit, 1, tip,
		                                   "ctsnode: commit");
	else
		rc = git_reference_create(&newref, r, ref, commit, 0, "ctsnode: commit");
	git_reference_free(newref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ENOTFOUND || rc == GIT_ELOCKED)
		return cts_error_set(CTS_EBUSY,
		                     "la branche %s a été modifiée par un autre processus pendant "
		                     "l'écriture du commit : "
		                     "commit abandonné, la branche n'a pas été touchée (%s)",
		                     ref, git_error_last() ? git_error_last()->message : "");
	return rc < 0 ? cts_git_fail(CTS_EGIT, "mise à jour de la branche") : 0;
}

int cts_gitrepo_commit_files(cts_gitrepo *repo, const char *ref, const cts_git_file *files,
                             size_t n, int allow_replace, const char *message, const char *name,
                             const char *email, int64_t when, cts_git_sign_fn sign, void *sign_ctx,
                             cts_gitoid *out_oid)
{
	git_oid tip, commit_oid;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_buf payload = { 0 };
	char *sigz = NULL;
	int rc, has_tip;

	if (!cts_git_valid_refname(ref))
		return cts_error_set(CTS_EINVAL, "nom de branche git invalide : « %s »",
		                     ref ? ref : "(nul)");
	if (n == 0 || !files)
		return cts_error_set(CTS_EINVAL, "commit sur %s : aucun fichier à ajouter", ref);
	if (!message || !name || !email || !sign)
		return cts_error_set(CTS_EINVAL,
		                     "commit sur %s : message, auteur ou signataire manquant", ref);
	rc = git_reference_name_to_id(&tip, repo->repo, ref);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return cts_git_fail(CTS_EGIT, "lecture de la branche");
	has_tip = rc == 0;
	git_error_clear();
	if (has_tip) {
		if (git_commit_lookup(&parent, repo->repo, &tip) < 0 ||
		    git_commit_tree(&base, parent) < 0) {
			rc = cts_git_fail(CTS_EGIT, "lecture du dernier commit de la branche");
			goto cleanup;
		}
	} else if ((rc = empty_tree(repo->repo, &base)) < 0) {
		goto cleanup;
	}
	if ((rc = check_files(base, ref, files, n, allow_replace)) < 0 ||
	    (rc = build_tree(repo->repo, base, files, n, &tree)) < 0)
		goto cleanup;
	if (git_signature_new(&sig, name, email, (git_time_t)when, 0) < 0) {
		rc = cts_git_fail(CTS_EINVAL, "auteur du commit invalide");
		goto cleanup;
	}
	{
		const git_commit *parents[1] = { parent };
		if (git_commit_create_buffer(&payload, repo->repo, sig, sig, NULL, message, tree,
		                             has_tip ? 1 : 0, parents) < 0) {
			rc = cts_git_fail(CTS_EGIT, "préparation du commit");
			goto cleanup;
		}
	}
	if ((rc = sign_payload(ref, &payload, sign, sign_ctx, &sigz)) < 0)
		goto cleanup;
	if (git_commit_create_with_signature(&commit_oid, repo->repo, payload.ptr, sigz, "gpgsig") <
	    0) {
		rc = cts_git_fail(CTS_EGIT, "écriture du commit signé");
		goto cleanup;
	}
	if ((rc = move_ref(repo->repo, ref, has_tip ? &tip : NULL, &commit_oid)) < 0)
		goto cleanup;
	if (out_oid)
		git_oid_cpy(cts_git_oid_w(out_oid), &commit_oid);
cleanup:
	free(sigz);
	git_buf_dispose(&payload);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	return rc;
}
