#include "gitrepo_impl.h"

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
static int transport_fail(int git_rc, const cts_gitcb *st, const char *what, const char *url)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "erreur inconnue";
	int klass = e ? e->klass : GIT_ERROR_NONE, status = http_status(m);
	char via[700] = "";

	if (st->proxy[0])
		cts_git_fmt(via, sizeof(via), ", par le proxy %s", st->proxy);
	if (cts_gitnet_watch_expired(st->watch))
		return cts_error_set(
		    CTS_ENET,
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
		return cts_error_set(CTS_EACCESS, "%s (%s) : accès refusé par le serveur : %s",
		                     what, url, m);
	if (status && strstr(m, "proxy"))
		return cts_error_set(
		    CTS_ENET,
		    "dépôt régional injoignable (%s%s) : %s : le proxy ne peut pas y "
		    "conduire (réponse HTTP %d)",
		    url, via, what, status);
	if (status == 403)
		return cts_error_set(
		    CTS_EACCESS,
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
	return cts_error_set(CTS_ENET, "dépôt régional injoignable (%s%s) : %s : %s", url, via,
	                     what, m);
}

static int lookup_origin(cts_gitrepo *repo, git_remote **rem)
{
	int rc = git_remote_lookup(rem, repo->repo, "origin");

	if (rc == GIT_ENOTFOUND)
		return cts_error_set(CTS_EINVAL,
		                     "aucun dépôt régional configuré (remote « origin » absent)");
	return rc < 0 ? cts_git_fail(CTS_EGIT, "lecture du dépôt distant") : 0;
}

/* One exchange with origin: the remote, its callbacks, proxy and
 * certificate store, and the no-progress watchdog of network remotes. */
typedef struct {
	git_remote *rem;
	const char *url;
	git_remote_callbacks cbs;
	git_proxy_options proxy;
	cts_gitcb st;
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
	cts_gitcb_reset(&s->st, s->url);
	cts_gitcb_install(&s->cbs, &s->st);
	cts_gitnet_proxy_options(&s->proxy, repo->net.proxy);
	if (!cts_gitnet_proxy_describe(repo->net.proxy, s->url, s->st.proxy, sizeof(s->st.proxy)))
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

/* Open the session, connect in direction dir and list the remote's heads
 * (borrowed from the session); a failure after the opening is reported as
 * the transport error of what ("envoi", "récupération"). The caller closes
 * the session in every case. */
static int session_heads(session *s, cts_gitrepo *repo, git_direction dir, const char *what,
                         const git_remote_head ***heads, size_t *nheads)
{
	int rc;

	if ((rc = session_open(s, repo)) < 0)
		return rc;
	if ((rc = session_connect(s, dir)) < 0 || (rc = git_remote_ls(heads, nheads, s->rem)) < 0)
		return transport_fail(rc, &s->st, what, s->url);
	return 0;
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
		          cts_gitrepo_is_ancestor(repo, cts_gitoid_of(&local[i]),
		                                  cts_gitoid_of(&h->oid)) == 1))
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
			return cts_error_prefix(cts_git_fail(CTS_EGIT, "écriture d'une référence"),
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
	session s = { 0 };
	int rc = 0;

	if (n == 0)
		return 0;
	if (!(specs = calloc(n, sizeof(*specs))) || !(local = calloc(n, sizeof(*local)))) {
		rc = cts_git_oom();
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l;
		if (!cts_git_valid_refname(refs[i])) {
			rc = cts_error_set(CTS_EINVAL, "envoi : nom de branche invalide « %s »",
			                   refs[i] ? refs[i] : "(nul)");
			goto cleanup;
		}
		if ((rc = cts_gitrepo_ref_oid(repo, refs[i], (cts_gitoid *)(void *)&local[i])) < 0)
			goto cleanup;
		l = 2 * strlen(refs[i]) + 2;
		if (!(specs[i] = malloc(l))) {
			rc = cts_git_oom();
			goto cleanup;
		}
		snprintf(specs[i], l, "%s:%s", refs[i], refs[i]);
	}
	if ((rc = session_heads(&s, repo, GIT_DIRECTION_PUSH, "envoi", &heads, &nheads)) < 0)
		goto cleanup;
	/* Never forced: each remote ref must be absent or behind ours. */
	for (size_t i = 0; i < n; i++) {
		const git_remote_head *h = find_head(heads, nheads, refs[i]);
		char hex[GIT_OID_HEXSZ + 1];
		if (!h || cts_gitrepo_is_ancestor(repo, cts_gitoid_of(&h->oid),
		                                  cts_gitoid_of(&local[i])) == 1)
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
	cts_gitcb_reset(&s.st, s.url);
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

/* git_remote_fetch of the refspecs arr on the connected session s. */
static int remote_fetch(session *s, git_strarray *arr, git_fetch_prune_t prune)
{
	git_fetch_options opts;
	int rc;

	git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
	opts.callbacks = s->cbs;
	opts.proxy_opts = s->proxy;
	opts.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	opts.prune = prune;
	opts.update_fetchhead = 0;
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	cts_gitcb_reset(&s->st, s->url);
	if ((rc = git_remote_fetch(s->rem, arr, &opts, "ctsnode: fetch")) < 0)
		rc = transport_fail(rc, &s->st, "récupération", s->url);
	return rc;
}

int cts_gitrepo_fetch(cts_gitrepo *repo)
{
	char spec[] = ORIGIN_FETCHSPEC;
	char *specs[1] = { spec };
	git_strarray arr = { specs, 1 };
	const git_remote_head **heads;
	size_t nheads;
	session s;
	int rc;

	if ((rc = session_heads(&s, repo, GIT_DIRECTION_FETCH, "récupération", &heads, &nheads)) <
	    0)
		goto cleanup;
	/* Nothing new on the remote: the advertised branches are what we
	 * track already. Skip the negotiation and the ref updates. */
	if (tracking_up_to_date(repo->repo, heads, nheads)) {
		cts_crashpoint();
		goto cleanup;
	}
	/* From a folder, a first fetch copies its object files (gitrepo_seed.c). */
	if ((rc = cts_gitrepo_seed(repo, local_path(s.url))) < 0)
		goto cleanup;
	rc = remote_fetch(&s, &arr, GIT_FETCH_PRUNE);
	cts_crashpoint();
cleanup:
	session_close(&s);
	return rc;
}

/* The refspecs of the advertised branches want() accepts (one forced
 * refspec per branch) into specs (room for nheads); *todo = 1 when one of
 * them is not tracked here at the advertised commit. */
static int wanted_specs(git_repository *r, const git_remote_head **heads, size_t nheads,
                        int (*want)(const char *branch, void *ctx), void *ctx, char **specs,
                        size_t *nspecs, int *todo)
{
	git_odb *odb = NULL;
	char name[512];
	int rc = 0;

	if (git_repository_odb(&odb, r) < 0)
		return cts_git_fail(CTS_EIO, "lecture du dépôt local");
	for (size_t i = 0; i < nheads && rc == 0; i++) {
		const char *branch = heads[i]->name + strlen(HEADS_PREFIX);
		if (tracking_name(name, sizeof(name), heads[i]->name) < 0)
			continue;
		if ((rc = want(branch, ctx)) <= 0)
			continue;
		rc = 0;
		if (!(specs[*nspecs] = malloc(strlen(heads[i]->name) + strlen(name) + 3))) {
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante (récupération)");
			break;
		}
		sprintf(specs[(*nspecs)++], "+%s:%s", heads[i]->name, name);
		if (!direct_ref_is(r, name, &heads[i]->oid) || !git_odb_exists(odb, &heads[i]->oid))
			*todo = 1;
	}
	git_odb_free(odb);
	return rc;
}

/* Is `branch` among the advertised heads? */
static int advertised(const git_remote_head **heads, size_t nheads, const char *branch)
{
	size_t hl = strlen(HEADS_PREFIX);

	for (size_t i = 0; i < nheads; i++)
		if (strncmp(heads[i]->name, HEADS_PREFIX, hl) == 0 &&
		    strcmp(heads[i]->name + hl, branch) == 0)
			return 1;
	return 0;
}

/* Remote-tracking refs of wanted branches the remote no longer advertises
 * are deleted (pruning limited to what want() accepts). */
static int prune_wanted(git_repository *r, const git_remote_head **heads, size_t nheads,
                        int (*want)(const char *branch, void *ctx), void *ctx)
{
	git_strarray refs = { 0 };
	int rc = 0;

	if (git_reference_list(&refs, r) < 0)
		return cts_git_fail(CTS_EIO, "lecture des branches suivies");
	for (size_t i = 0; i < refs.count && rc >= 0; i++) {
		const char *name = refs.strings[i], *branch = name + strlen(TRACKING_PREFIX);
		git_reference *ref = NULL;
		if (strncmp(name, TRACKING_PREFIX, strlen(TRACKING_PREFIX)) != 0 ||
		    advertised(heads, nheads, branch) || (rc = want(branch, ctx)) <= 0)
			continue;
		if (git_reference_lookup(&ref, r, name) < 0 || git_reference_delete(ref) < 0)
			rc = cts_git_fail(CTS_EIO, "suppression d'une branche suivie");
		git_reference_free(ref);
	}
	git_strarray_dispose(&refs);
	return rc < 0 ? rc : 0;
}

int cts_gitrepo_fetch_only(cts_gitrepo *repo, int (*want)(const char *branch, void *ctx), void *ctx)
{
	const git_remote_head **heads;
	char **specs = NULL;
	size_t nheads, nspecs = 0;
	session s;
	int rc, todo = 0;

	if ((rc = session_heads(&s, repo, GIT_DIRECTION_FETCH, "récupération", &heads, &nheads)) <
	    0)
		goto cleanup;
	if (!(specs = calloc(nheads + 1, sizeof(*specs)))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante (récupération)");
		goto cleanup;
	}
	if ((rc = wanted_specs(repo->repo, heads, nheads, want, ctx, specs, &nspecs, &todo)) < 0 ||
	    (rc = prune_wanted(repo->repo, heads, nheads, want, ctx)) < 0)
		goto cleanup;
	if (todo) {
		git_strarray arr = { specs, nspecs };
		rc = remote_fetch(&s, &arr, GIT_FETCH_NO_PRUNE);
	}
	cts_crashpoint();
cleanup:
	for (size_t i = 0; specs && i < nspecs; i++)
		free(specs[i]);
	free(specs);
	session_close(&s);
	return rc;
}
