/* A node continued on a new machine: init --from-key, a copied node folder adopted. */
#include "sync_impl.h"

#include "branchcheck.h"
#include "changeset.h"
#include "commitsig.h"
#include "error.h"
#include "gitnet.h"
#include "incident.h"
#include "journal.h"
#include "record.h"
#include "region.h"
#include "registry.h"
#include "sshsig.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

int cts_sync_fetch_into(const char *home, const char *url)
{
	char path[4096], token[4096];
	cts_gitrepo *repo = NULL;
	int rc;

	if (snprintf(path, sizeof(path), "%s/repo.git", home) >= (int)sizeof(path) ||
	    snprintf(token, sizeof(token), "%s/%s", home, CTS_GITNET_TOKEN_FILE) >=
	        (int)sizeof(token))
		return cts_error_set(CTS_EINVAL, "chemin trop long : %.200s", home);
	if ((rc = cts_gitnet_url_check(url)) < 0 || (rc = cts_git_init()) < 0)
		return rc;
	if ((rc = cts_gitrepo_open(&repo, path)) == 0 &&
	    (rc = cts_gitrepo_set_remote(repo, url)) == 0 &&
	    (rc = cts_gitrepo_set_net(repo, token, NULL)) == 0)
		rc = cts_gitrepo_fetch(repo);
	cts_gitrepo_free(repo);
	return rc;
}

int cts_sync_adopt_own_branch(cts_node *n)
{
	char local[128], remote[128], *path;
	cts_gitrepo *repo = NULL;
	cts_gitoid tip;
	int rc;

	if (!(path = cts_node_path(n, "repo.git")))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_gitrepo_open(&repo, path);
	free(path);
	if (rc < 0)
		return rc;
	sync_branch_ref(local, sizeof(local), n->id, 0);
	sync_branch_ref(remote, sizeof(remote), n->id, 1);
	if (cts_gitrepo_ref_oid(repo, local, &tip) == 0 ||
	    cts_gitrepo_ref_oid(repo, remote, &tip) < 0) {
		cts_error_clear();
		rc = 0; /* already there, or nothing published */
	} else {
		rc = cts_gitrepo_ref_set(repo, local, &tip);
	}
	cts_gitrepo_free(repo);
	return rc;
}

/* Highest seq among the changesets/<node>/ entries listed (0: none). */
static int max_seq_entry(const char *name, const cts_gitoid *oid, size_t size, unsigned filemode,
                         void *vctx)
{
	int64_t *max = vctx, seq;

	(void)oid;
	(void)size;
	(void)filemode;
	if (cts_changeset_parse_name(name, &seq) == 0 && seq > *max)
		*max = seq;
	cts_error_clear();
	return 0;
}

/* The published branch and this folder agree up to min(local, published):
 * the same changeset at that number, else they forked already. */
static int same_chain(cts_node *n, cts_gitrepo *repo, const cts_gitoid *tip, int64_t local,
                      int64_t published)
{
	int64_t seq = local < published ? local : published;
	char path[128], mine[65], theirs[65] = "";
	unsigned char *data = NULL;
	size_t len;
	int rc;

	if (seq <= 0)
		return 0;
	cts_changeset_path(path, sizeof(path), n->id, seq);
	if ((rc = cts_history_id(n, n->id, seq, mine)) < 0 ||
	    (rc = cts_gitrepo_read_file(repo, tip, path, CTS_CHANGESET_MAX_BYTES, &data, &len)) < 0)
		return rc;
	cts_changeset_hash((const char *)data, len, theirs);
	free(data);
	if (strcmp(mine, theirs) == 0)
		return 0;
	return cts_error_set(CTS_EREJECT,
	                     "ce dossier et le dépôt régional n'ont pas le même changeset n°%lld "
	                     "du nœud %s : le nœud a déjà "
	                     "bifurqué, il ne peut plus publier sous cet identifiant. Créez un "
	                     "nouveau poste (ctsnode init avec "
	                     "un nouvel identifiant) et demandez au coordinateur « region replace "
	                     "» ; ctsnode export DOSSIER "
	                     "garde ce qui n'a pas été accepté",
	                     (long long)seq, n->id);
}

/* Own changesets local+1..published, applied by the import, written into
 * the history (as sealing would have) and counted as ours. */
static int take_published(cts_node *n, cts_gitrepo *repo, const cts_gitoid *tip, int64_t local,
                          int64_t published)
{
	char id[65];
	int rc;

	for (int64_t s = local + 1; s <= published; s++) {
		char path[128], sigpath[140];
		unsigned char *json = NULL, *sig = NULL;
		size_t jl = 0, sl = 0;
		if ((rc = cts_history_id(n, n->id, s, id)) < 0)
			return rc;
		if (!id[0])
			return cts_error_set(CTS_EINVAL,
			                     "le changeset n°%lld publié par ce nœud n'a pas pu "
			                     "être repris (voir ctsnode status) : "
			                     "ce dossier n'est pas repris",
			                     (long long)s);
		cts_changeset_path(path, sizeof(path), n->id, s);
		snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
		if ((rc = cts_gitrepo_read_file(repo, tip, path, CTS_CHANGESET_MAX_BYTES, &json,
		                                &jl)) == 0 &&
		    (rc = cts_gitrepo_read_file(repo, tip, sigpath, CTS_SIG_MAX_BYTES, &sig,
		                                &sl)) == 0)
			rc = cts_history_write(n, n->id, s, (const char *)json, jl,
			                       (const char *)sig, sl);
		free(json);
		free(sig);
		if (rc < 0)
			return rc;
	}
	return published > local ? cts_store_meta_set_int(n->store, "last_seq", published) : 0;
}

/* Our next commits on `local` extend the published branch `remote`
 * (the old machine may have published after the copy was made), unless
 * the local branch already holds it. */
static int follow_published(cts_gitrepo *repo, const char *local, const char *remote)
{
	cts_gitoid tip, ltip;

	if (cts_gitrepo_ref_oid(repo, remote, &tip) < 0) {
		cts_error_clear();
		return 0;
	}
	if (cts_gitrepo_ref_oid(repo, local, &ltip) == 0 &&
	    cts_gitrepo_is_ancestor(repo, &tip, &ltip) == 1)
		return 0;
	cts_error_clear();
	return cts_gitrepo_ref_set(repo, local, &tip);
}

/* What the fetched repository says of our chain, checked against ours,
 * then everything imported and our published changesets taken. */
static int adopt_fetched(cts_node *n, cts_gitrepo *repo, cts_adopt_info *info)
{
	char lref[128], rref[128], dir[96];
	cts_sync_result r = { 0 };
	cts_gitoid tip;
	int rc, irc;

	sync_branch_ref(lref, sizeof(lref), n->id, 0);
	sync_branch_ref(rref, sizeof(rref), n->id, 1);
	snprintf(dir, sizeof(dir), "changesets/%s", n->id);
	if ((rc = cts_store_meta_get_int(n->store, "last_seq", &info->local, 0)) < 0)
		return rc;
	if ((rc = cts_gitrepo_ref_oid(repo, rref, &tip)) == CTS_ENOTFOUND) {
		cts_error_clear();
		return 0; /* nothing published yet: our chain is the only one */
	}
	if (rc < 0 ||
	    (rc = cts_gitrepo_list_dir(repo, &tip, dir, 2 * 1000000, max_seq_entry,
	                               &info->published)) < 0 ||
	    (rc = same_chain(n, repo, &tip, info->local, info->published)) < 0)
		return rc;
	r.import.published = sync_branch_published;
	r.import.published_ctx = repo;
	rc = sync_import_all(n, repo, &r);
	irc = sync_record_incidents(n, &r);
	cts_sync_result_dispose(&r);
	if (rc < 0 || (rc = irc) < 0 ||
	    (rc = take_published(n, repo, &tip, info->local, info->published)) < 0 ||
	    (rc = cts_store_meta_set_int(n->store, "pushed_seq", info->published)) < 0)
		return rc;
	info->taken = info->published > info->local ? info->published - info->local : 0;
	if (n->role == CTS_ROLE_AUTHORITY &&
	    (rc = follow_published(repo, "refs/heads/region", "refs/remotes/origin/region")) < 0)
		return rc;
	return follow_published(repo, lref, rref);
}

int cts_sync_adopt_copy(cts_node *n, const char *url, cts_adopt_info *info)
{
	const char *remote = url ? url : n->remote;
	cts_gitrepo *repo = NULL;
	int rc;

	memset(info, 0, sizeof(*info));
	if (cts_node_machine_check(n) == 0) {
		info->already = 1;
		return 0;
	}
	cts_error_clear();
	if ((rc = sync_open_repo(n, url, &repo)) < 0)
		return rc;
	if ((rc = cts_gitrepo_fetch(repo)) < 0) {
		cts_gitrepo_free(repo);
		return cts_error_prefix(
		    rc == CTS_ENET ? CTS_EACCESS : rc,
		    "ce dossier n'est pas repris : le dépôt régional doit répondre pour connaître "
		    "le dernier "
		    "numéro publié par ce nœud (continuer sans lui ferait une bifurcation) ; ");
	}
	rc = adopt_fetched(n, repo, info);
	cts_gitrepo_free(repo);
	if (rc == 0 && url && (!n->remote || strcmp(url, n->remote) != 0))
		rc = cts_node_set_remote(n, url);
	if (rc == 0)
		rc = cts_store_meta_set(n->store, "remote_reached", remote);
	return rc < 0 ? rc : cts_node_machine_record(n);
}
