/* The exchange with the regional repository (sync.h): open the clone, fetch, check and import
 * (sync_import.c), commit and push (sync_publish.c), remotes never reached. */
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
#include "scope.h"
#include "sshsig.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

void cts_sync_result_dispose(cts_sync_result *r)
{
	if (!r)
		return;
	cts_import_stats_dispose(&r->import);
	json_decref(r->findings);
	r->findings = NULL;
	json_decref(r->blocked);
	r->blocked = NULL;
}

/* Evidence seen on the repository: kept in r->findings (printed by the
 * CLI) and recorded as incidents at the end of the sync (sync_record_incidents). */
void sync_finding(cts_sync_result *r, const char *kind, const char *node, int64_t seq,
                  const char *reason)
{
	if (!r->findings)
		r->findings = json_array();
	json_array_append_new(r->findings,
	                      json_pack("{s:s, s:s, s:I, s:s}", "kind", kind, "node", node, "seq",
	                                (json_int_t)seq, "reason", reason));
}

/* Every finding of this sync becomes an incident (status, status --json),
 * outside the import's transactions so that none is lost with a rollback. */
int sync_record_incidents(cts_node *n, const cts_sync_result *r)
{
	size_t i;
	json_t *f;
	int rc;

	json_array_foreach(r->findings, i, f)
	{
		if ((rc = cts_incident_add(n->store, json_string_value(json_object_get(f, "kind")),
		                           json_string_value(json_object_get(f, "node")),
		                           json_integer_value(json_object_get(f, "seq")),
		                           json_string_value(json_object_get(f, "reason")))) < 0)
			return cts_error_prefix(rc, "sync : ");
	}
	return 0;
}

int sync_git_sign(char **armored, size_t *len, const char *payload, size_t plen, void *ctx)
{
	return cts_sshsig_sign(armored, len, (const cts_key *)ctx, "git",
	                       (const unsigned char *)payload, plen);
}

static const char *local_path_of(const char *url)
{
	if (strncmp(url, "file://", 7) == 0)
		return url + 7;
	if (strstr(url, "://") || (strchr(url, ':') && !strchr(url, '/')))
		return NULL;
	if (strchr(url, ':') && strchr(url, ':') < strchr(url, '/'))
		return NULL; /* scp-like user@host:path */
	return url;
}

int cts_sync_create_remote(const char *url)
{
	const char *path = local_path_of(url);
	struct stat sb;

	if (!path || stat(path, &sb) == 0)
		return 0;
	return cts_gitrepo_create_bare(path);
}

/* The node's token file and remembered proxy (sync/gitnet.h). */
static int set_net(cts_node *n, cts_gitrepo *repo)
{
	char *token_file = cts_node_path(n, CTS_GITNET_TOKEN_FILE), *proxy = NULL;
	int rc;

	if (!token_file)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = cts_node_proxy(n, &proxy)) == 0)
		rc = cts_gitrepo_set_net(repo, token_file, proxy);
	free(proxy);
	free(token_file);
	return rc;
}

int sync_open_repo(cts_node *n, const char *url, cts_gitrepo **repo)
{
	char *path;
	const char *remote = url ? url : n->remote;
	int rc;

	*repo = NULL;
	if (!remote)
		return cts_error_set(CTS_EINVAL,
		                     "aucun dépôt régional configuré : indiquez --remote URL (il "
		                     "sera retenu dès qu'il aura répondu)");
	if ((rc = cts_gitnet_url_check(remote)) < 0)
		return rc;
	/* The address is kept once it answered (remember_remote), or, for a
	 * network one, when it did not answer at all (never_reached). */
	if ((rc = cts_git_init()) < 0)
		return rc;
	if (!(path = cts_node_path(n, "repo.git")))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_gitrepo_open(repo, path);
	free(path);
	if (rc == 0)
		cts_gitrepo_release_every(*repo, SYNC_GIT_RELEASE_EVERY, 0);
	if (rc == 0 && (rc = cts_gitrepo_set_remote(*repo, remote)) == 0)
		rc = set_net(n, *repo);
	if (rc < 0) {
		cts_gitrepo_free(*repo);
		*repo = NULL;
	}
	return rc;
}

void sync_branch_ref(char *buf, size_t size, const char *node, int remote)
{
	snprintf(buf, size, remote ? "refs/remotes/origin/nodes/%s" : "refs/heads/nodes/%s", node);
}

/* Is changeset `seq` of `node` in the tree of `commit`? */
int sync_tree_has(cts_gitrepo *repo, const cts_gitoid *commit, const char *node, int64_t seq)
{
	char path[128];
	unsigned char *data = NULL;
	size_t len;
	int rc;

	cts_changeset_path(path, sizeof(path), node, seq);
	rc = cts_gitrepo_read_file(repo, commit, path, CTS_CHANGESET_MAX_BYTES, &data, &len);
	free(data);
	if (rc == CTS_ENOTFOUND) {
		cts_error_clear();
		return 0;
	}
	return rc < 0 ? rc : 1;
}

/* 1 if meta `key` holds exactly `value` (NULL: 0). */
int sync_meta_is(cts_node *n, const char *key, const char *value)
{
	char *v = NULL;
	int same = value && cts_store_meta_get(n->store, key, &v) == 0 && strcmp(v, value) == 0;

	free(v);
	cts_error_clear();
	return same;
}

/* The time of this successful exchange (meta "last_sync", RFC 3339 UTC). */
static int record_last_sync(cts_node *n, const cts_sync_result *r)
{
	char what[96];
	int rc;

	snprintf(what, sizeof(what), "{\"sent\":%d,\"received\":%d}", r->sent, r->import.accepted);
	if ((rc = cts_store_meta_set(n->store, "last_sync_summary", what)) < 0)
		return rc;
	time_t t = (time_t)(n->store->clock(n->store->clock_ctx) / 1000);
	char when[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return cts_store_meta_set(n->store, "last_sync", when);
}

int cts_sync_last(cts_node *n, char **out)
{
	return cts_store_meta_get(n->store, "last_sync", out);
}

/* Has this node ever fetched from the local path `remote`? (meta remote_reached; a node
 * of an earlier version: its remembered remote once it synced or pushed.) */
static int remote_reached(cts_node *n, const char *remote)
{
	char *v = NULL;
	int yes;

	if (sync_meta_is(n, "remote_reached", remote))
		return 1;
	yes = n->remote && strcmp(remote, n->remote) == 0 &&
	      (cts_store_meta_get(n->store, "last_sync", &v) == 0 ||
	       cts_store_meta_get(n->store, "pushed_seq", &v) == 0);
	free(v);
	cts_error_clear();
	return yes;
}

/* The remote answered: remember it (--remote) and that it was reached. */
static int remember_remote(cts_node *n, const char *url)
{
	const char *remote = url ? url : n->remote;
	int rc;

	if (url && (!n->remote || strcmp(url, n->remote) != 0) &&
	    (rc = cts_node_set_remote(n, url)) < 0)
		return rc;
	return sync_meta_is(n, "remote_reached", remote)
	           ? 0
	           : cts_store_meta_set(n->store, "remote_reached", remote);
}

/* The server answered that there is no such repository there: git
 * daemon's "remote error" (not exported, access denied), git-upload-pack's
 * "does not appear to be a git repository" over ssh, HTTP 404 or 410, a
 * forge's "Repository not found". Connection refused, unknown host and
 * no answer are not. */
static int answered_missing(const char *m)
{
	static const char *const marks[] = {
		"remote error:",       "does not appear to be a git repository",
		"status code: 404",    "status code: 410",
		"epository not found", NULL
	};

	for (size_t i = 0; marks[i]; i++)
		if (strstr(m, marks[i]))
			return 1;
	return 0;
}

/* The first fetch from a remote never reached failed with CTS_ENET
 * (message set). A path that is not there or not a repository, or a
 * server that answers that the repository does not exist, is a setting
 * to correct: CTS_EACCESS, the address not kept. A network remote that
 * does not answer at all cannot be told from being offline: it is kept,
 * the work is queued as offline (0, offline[] says why and that it never
 * answered). */
static int never_reached(cts_node *n, const char *url, char *offline, size_t size)
{
	const char *remote = url ? url : n->remote;
	int rc;

	snprintf(offline, size, "%s", cts_error_message());
	if (local_path_of(remote) || answered_missing(offline))
		return cts_error_set(CTS_EACCESS,
		                     "le dépôt régional « %.300s » n'a jamais pu être atteint "
		                     "depuis ce poste (%.400s). Vérifiez "
		                     "l'adresse %s (un dépôt git : chemin de la clé USB branchée, "
		                     "file://, ssh://, https://) ; "
		                     "%s. Vos saisies sont gardées sur ce poste",
		                     remote, offline, url ? "donnée à --remote" : "retenue",
		                     url ? "elle n'a pas été retenue"
		                         : "corrigez-la avec ctsnode sync --remote URL");
	if (url && (!n->remote || strcmp(url, n->remote) != 0) &&
	    (rc = cts_node_set_remote(n, url)) < 0)
		return rc;
	snprintf(
	    offline + strlen(offline), size - strlen(offline),
	    " (cette adresse n'a encore jamais répondu : si le réseau fonctionne, vérifiez-la)");
	return 0;
}

/* Before anything was accepted from the authority: the region branch must
 * be signed by the key pinned at `init`. Otherwise every changeset of the
 * region waits "not enrolled" for ever: say the real cause once. */
static int check_pinned_authority(cts_node *n, cts_gitrepo *repo)
{
	unsigned char pinned[32], signer[32];
	char *line = NULL;
	cts_gitoid tip;
	int rc;

	if (n->role == CTS_ROLE_AUTHORITY || !n->authority_key ||
	    cts_key_parse_public_line(pinned, n->authority_key) < 0)
		return 0;
	if (cts_gitrepo_ref_oid(repo, "refs/remotes/origin/region", &tip) < 0) {
		cts_error_clear();
		return 0; /* no region branch yet */
	}
	{
		char *known = NULL;
		rc = cts_registry_authority(n, &known);
		free(known);
		if (rc != CTS_ENOTFOUND)
			return rc; /* 0: the authority was recognised once, its key is settled */
	}
	/* Signed by another key: the pinned one is wrong. Unsigned or badly
	 * signed (a commit someone else put there) is the incidents' business. */
	rc = cts_commit_signer(repo, &tip, signer);
	cts_error_clear();
	if (rc != 0 || sodium_memcmp(signer, pinned, 32) == 0)
		return 0;
	cts_key_public_line(&line, signer, NULL);
	rc = cts_error_set(
	    CTS_EACCESS,
	    "la clé de l'autorité donnée à l'initialisation ne correspond pas au dépôt régional : "
	    "la branche "
	    "region %s%s%s. Demandez la clé au coordinateur régional (« ctsnode key show » sur le "
	    "nœud "
	    "régional), vérifiez-la, puis corrigez ce poste : ctsnode rebuild --authority-key "
	    "\"ssh-ed25519 "
	    "AAAA...\" et relancez ctsnode sync. Rien n'a été importé ; vos saisies sont gardées",
	    line ? "est signée par une autre clé : " : "n'est pas signée", line ? line : "",
	    line ? "" : " par cette clé");
	free(line);
	return rc;
}

/* What can be checked and imported once the remote has been fetched. */
static int after_fetch(cts_node *n, cts_gitrepo *repo, const cts_key *key, cts_sync_result *r,
                       sync_scope *scope)
{
	char own[96];
	sync_refs_ctx c = { n, repo, r, 0 };
	int rc, region = scope == NULL;

	snprintf(own, sizeof(own), "nodes/%s", n->id);
	sync_remote_foreign(n, repo, own, r);
	if (region)
		sync_remote_foreign(n, repo, "region", r);
	/* A territory's device: what it reads may grow with what it imports. */
	if (!region && (rc = sync_scope_widen(n, repo, r, scope, check_pinned_authority)) < 0)
		return rc;
	if ((rc = check_pinned_authority(n, repo)) < 0 ||
	    (rc = sync_check_deleted(n, repo, r)) < 0 || (rc = sync_import_all(n, repo, r)) < 0)
		return rc;
	/* Forks this node recorded are published with this sync. */
	if (!region && r->import.evidence > 0 && (rc = cts_journal_seal(n, key, NULL)) < 0)
		return rc;
	if ((rc = cts_gitrepo_refs_foreach(repo, "refs/remotes/origin/nodes/*", sync_check_commits,
	                                   &c)) < 0 ||
	    c.rc < 0)
		return c.rc < 0 ? c.rc : rc;
	return region ? sync_sign_checkpoints(n, key, r) : 0;
}

static int sync_common(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r,
                       int region)
{
	cts_gitrepo *repo = NULL;
	sync_scope scope = { 0 };
	char offline[1024] = "";
	int rc, fetch_rc, reached;

	void (*progress)(size_t, size_t, void *) = r->import.progress;
	void *progress_ctx = r->import.progress_ctx;

	memset(r, 0, sizeof(*r));
	r->import.progress = progress;
	r->import.progress_ctx = progress_ctx;
	/* A folder copied from another machine sends nothing (init --adopt). */
	if ((rc = cts_node_machine_check(n)) < 0)
		return rc;
	/* Only the authority creates the regional repository, and only when
	 * told where: a missing path on a territory laptop is an unplugged
	 * USB stick, i.e. offline. */
	if (region && url && (rc = cts_sync_create_remote(url)) < 0)
		return rc;
	if ((rc = sync_open_repo(n, url, &repo)) < 0)
		return rc;
	r->import.published = sync_branch_published;
	r->import.published_ctx = repo;
	reached = remote_reached(n, url ? url : n->remote);
	/* A territory's device keeps nothing of the other territories (what
	 * an earlier version fetched, or a folder brought). */
	if (!cts_scope_reads_all(n) && (rc = cts_scope_purge(n, NULL)) < 0)
		goto out;
	fetch_rc =
	    cts_scope_reads_all(n) ? cts_gitrepo_fetch(repo) : sync_scope_fetch(n, repo, &scope);
	if (fetch_rc == CTS_ENET && !reached &&
	    (rc = never_reached(n, url, offline, sizeof(offline))) < 0)
		goto out;
	if (fetch_rc == 0 && (rc = remember_remote(n, url)) < 0)
		goto out;
	/* Why the remote is out of reach (proxy, timeout...), said at the end. */
	if (fetch_rc == CTS_ENET && reached)
		snprintf(offline, sizeof(offline), "%s", cts_error_message());
	if (fetch_rc < 0 && fetch_rc != CTS_ENET) {
		rc = fetch_rc;
		goto out;
	}
	if (fetch_rc == 0 &&
	    (rc = after_fetch(n, repo, key, r, cts_scope_reads_all(n) ? NULL : &scope)) < 0)
		goto out;
	if ((rc = sync_commit_own(n, repo, key, &r->committed)) < 0)
		goto out;
	if (region && (rc = sync_publish_region(n, repo, key)) < 0)
		goto out;
	if (fetch_rc == CTS_ENET) {
		r->queued = 1;
		rc = cts_error_set(CTS_ENET,
		                   "%s ; le travail est scellé et gardé sur ce poste, il sera "
		                   "envoyé au prochain sync",
		                   offline);
		goto out;
	}
	rc = sync_push_refs(n, repo, region, r);
	if (rc == CTS_ENET) {
		snprintf(offline, sizeof(offline), "%s", cts_error_message());
		cts_error_set(CTS_ENET,
		              "%s ; le travail est scellé et gardé sur ce poste, il sera envoyé au "
		              "prochain sync",
		              offline);
	}
	if (rc == 0 && json_array_size(r->blocked) == 0)
		rc = record_last_sync(n, r);
	/* Other territories' branches an earlier version (or init --from-key)
	 * fetched: their refs and objects go; else the usual maintenance. */
	if (rc == 0) {
		int dropped = cts_scope_reads_all(n) ? 0 : sync_scope_drop_unread(n, repo, &scope);
		if (dropped == 0)
			cts_gitrepo_maintain(repo, LOOSE_OBJECTS_THRESHOLD);
		cts_error_clear(); /* housekeeping: tried again at the next sync */
	}
out:
	free(scope.fingerprint);
	cts_gitrepo_free(repo);
	{
		/* Evidence is kept whatever became of the rest. */
		int irc = sync_record_incidents(n, r);
		if (rc == 0 && irc < 0)
			rc = irc;
	}
	return rc;
}

int cts_sync_node(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r)
{
	return sync_common(n, key, url, r, n->role == CTS_ROLE_AUTHORITY);
}

int cts_sync_region_pull(cts_node *n, const cts_key *key, const char *url, cts_sync_result *r)
{
	if (n->role != CTS_ROLE_AUTHORITY)
		return cts_error_set(CTS_EINVAL, "region pull se lance sur le nœud régional ; un "
		                                 "territoire utilise « ctsnode sync »");
	return sync_common(n, key, url, r, 1);
}
