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
	    snprintf(token, sizeof(token), "%s/%s", home, CTS_GITNET_TOKEN_FILE) >= (int)sizeof(token))
		return cts_error_set(CTS_EINVAL, "chemin trop long : %.200s", home);
	if ((rc = cts_gitnet_url_check(url)) < 0 || (rc = cts_git_init()) < 0)
		return rc;
	if ((rc = cts_gitrepo_open(&repo, path)) == 0 && (rc = cts_gitrepo_set_remote(repo, url)) == 0 &&
	    (rc = cts_gitrepo_set_net(repo, token, NULL)) == 0)
		rc = cts_gitrepo_fetch(repo);
	cts_gitrepo_free(repo);
	return rc;
}

int cts_sync_adopt_own_branch(cts_node *n)
{
	char local[128], remote[128], *path;
	cts_gitrepo *repo = NULL;
	git_oid tip;
	int rc;

	if (!(path = cts_node_path(n, "repo.git")))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_gitrepo_open(&repo, path);
	free(path);
	if (rc < 0)
		return rc;
	sync_branch_ref(local, sizeof(local), n->id, 0);
	sync_branch_ref(remote, sizeof(remote), n->id, 1);
	if (cts_gitrepo_ref_oid(repo, local, &tip) == 0 || cts_gitrepo_ref_oid(repo, remote, &tip) < 0) {
		cts_error_clear();
		rc = 0; /* already there, or nothing published */
	} else {
		rc = cts_gitrepo_ref_set(repo, local, &tip);
	}
	cts_gitrepo_free(repo);
	return rc;
}
