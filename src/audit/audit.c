#include "audit_impl.h"
#include "strbuf.h"

/* ---- small helpers ---- */

/* Make s (in place) a valid UTF-8 string without control characters:
 * cut an incomplete final sequence, then, if still invalid, replace every
 * non-ASCII byte by '?'. Repository bytes end up in JSON and on terminals. */
void audit_sanitize(char *s)
{
	size_t n = strlen(s), k;

	/* Drop a truncated multi-byte sequence at the end. */
	for (k = 0; k < 4 && k < n; k++) {
		unsigned char c = (unsigned char)s[n - 1 - k];
		if ((c & 0xC0) != 0x80) {
			size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
			if (need > k + 1)
				s[n - 1 - k] = '\0';
			break;
		}
	}
	n = strlen(s);
	if (!cts_text_utf8_valid(s, n)) {
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] >= 0x80)
				s[i] = '?';
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
}

/* A JSON string of a sanitized copy of s; null for NULL. New reference. */
json_t *audit_jstr(const char *s)
{
	char buf[PATH_MAX_AUDIT + 64];

	if (!s)
		return json_null();
	snprintf(buf, sizeof(buf), "%s", s);
	audit_sanitize(buf);
	return json_string(buf);
}

void audit_oid_hex(char out[CTS_GITOID_HEXSZ + 1], const cts_gitoid *oid)
{
	cts_gitoid_hex(out, oid);
}

int audit_is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* "YYYY-MM-DDTHH:MM:SS[.f]Z" (already validated by the changeset parser)
 * to milliseconds since the epoch. */
int audit_parse_time_ms(const char *s, uint64_t *ms)
{
	struct tm tm;
	int y, mo, d, h, mi, se;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t < 0)
		return -1;
	*ms = (uint64_t)t * 1000;
	return 0;
}

/* rm -rf of a directory this module created (no symlink is followed). */
void audit_remove_tree(const char *path)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;

	if (!path || !*path || lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path))) {
		while ((de = readdir(d))) {
			char sub[4200];
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) <
			    (int)sizeof(sub))
				audit_remove_tree(sub);
		}
		closedir(d);
		rmdir(path);
		return;
	}
	unlink(path);
}

/* A new private temporary directory under $TMPDIR (else /tmp) into buf. */
int audit_make_tmpdir(char *buf, size_t size, const char *what)
{
	const char *base = getenv("TMPDIR");

	if (!base || !*base || base[0] != '/')
		base = "/tmp";
	if (snprintf(buf, size, "%s/ctsnode-audit-%s-XXXXXX", base, what) >= (int)size)
		return cts_error_set(CTS_EINVAL, "TMPDIR trop long");
	if (!mkdtemp(buf))
		return cts_error_set(CTS_EIO, "dossier temporaire impossible à créer dans %s : %s",
		                     base, strerror(errno));
	return 0;
}

json_t *audit_node_summary(audit *a, const char *node)
{
	json_t *s;

	if (!node || !cts_valid_node_id(node))
		return NULL;
	if ((s = json_object_get(a->nodes, node)))
		return s;
	s = json_pack("{s:i, s:i, s:i, s:n, s:n, s:i, s:n, s:n, s:i, s:n}", "changesets", 0,
	              "verified", 0, "findings", 0, "territory", "role", "last_seq", 0, "head",
	              "head_id", "commits", 0, "revoked_after");
	if (!s || json_object_set_new(a->nodes, node, s) < 0) {
		a->oom = 1;
		return NULL;
	}
	return s;
}

void audit_summary_add(audit *a, const char *node, const char *field, json_int_t delta)
{
	json_t *s = audit_node_summary(a, node);

	if (s)
		json_object_set_new(
		    s, field, json_integer(json_integer_value(json_object_get(s, field)) + delta));
}

/* Append one {"kind", "node", "seq", "commit", "file", "branch", "detail"}
 * to arr (at most CTS_AUDIT_MAX_FINDINGS kept). */
static void entry_add(audit *a, json_t *arr, const char *kind, const char *node, int64_t seq,
                      const cts_gitoid *commit, const char *file, const char *branch_name,
                      const char *fmt, va_list ap) __attribute__((format(printf, 9, 0)));
static void entry_add(audit *a, json_t *arr, const char *kind, const char *node, int64_t seq,
                      const cts_gitoid *commit, const char *file, const char *branch_name,
                      const char *fmt, va_list ap)
{
	char detail[DETAIL_MAX], hex[CTS_GITOID_HEXSZ + 1];
	json_t *f;

	if (json_array_size(arr) >= CTS_AUDIT_MAX_FINDINGS)
		return;
	vsnprintf(detail, sizeof(detail), fmt, ap);
	audit_sanitize(detail);
	if (commit)
		audit_oid_hex(hex, commit);
	f = json_object();
	if (!f) {
		a->oom = 1;
		return;
	}
	json_object_set_new(f, "kind", json_string(kind));
	json_object_set_new(f, "node", audit_jstr(node));
	json_object_set_new(f, "seq", seq > 0 ? json_integer((json_int_t)seq) : json_null());
	json_object_set_new(f, "commit", commit ? json_string(hex) : json_null());
	json_object_set_new(f, "file", audit_jstr(file));
	json_object_set_new(f, "branch", audit_jstr(branch_name));
	json_object_set_new(f, "detail", json_string(detail));
	if (json_array_append_new(arr, f) < 0)
		a->oom = 1;
}

/* Record a finding. node, commit, file, branch may be NULL; seq <= 0: none. */
void audit_finding(audit *a, const char *kind, const char *node, int64_t seq,
                   const cts_gitoid *commit, const char *file, const char *branch_name,
                   const char *fmt, ...)
{
	va_list ap;

	a->findings_total++;
	if (node && cts_valid_node_id(node))
		audit_summary_add(a, node, "findings", 1);
	va_start(ap, fmt);
	entry_add(a, a->findings, kind, node, seq, commit, file, branch_name, fmt, ap);
	va_end(ap);
}

/* Record a notice: expected, said, not a finding (the verdict and --state
 * do not depend on it). */
void audit_notice(audit *a, const char *kind, const char *node, int64_t seq,
                  const cts_gitoid *commit, const char *file, const char *branch_name,
                  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	entry_add(a, a->notices, kind, node, seq, commit, file, branch_name, fmt, ap);
	va_end(ap);
}

void audit_progress(audit *a, const char *phase, int force)
{
	if (!a->opt->progress)
		return;
	if (force || a->changesets_seen % a->progress_every == 0)
		a->opt->progress(phase, a->changesets_seen, a->opt->progress_ctx);
}

void audit_changeset_path(char *buf, size_t size, const char *node, int64_t seq, int sig)
{
	cts_changeset_path(buf, size, node, seq);
	if (sig)
		snprintf(buf + strlen(buf), size - strlen(buf), ".sig");
}

branch *audit_find_branch(audit *a, const char *name)
{
	for (size_t i = 0; i < a->nbr; i++)
		if (strcmp(a->br[i].name, name) == 0)
			return &a->br[i];
	return NULL;
}

branch *audit_node_branch(audit *a, const char *node)
{
	char name[80];

	snprintf(name, sizeof(name), "nodes/%s", node);
	return audit_find_branch(a, name);
}

/* The commit that wrote `path` on branch b, or b's tip. */
const cts_gitoid *audit_commit_of(branch *b, const char *path, cts_gitoid *buf)
{
	if (!b)
		return NULL;
	if (cts_auditmap_get_introduced(b->map, b->index, path, buf->id) == 1)
		return buf;
	cts_error_clear();
	return &b->tip;
}

/* Read a blob by id, refusing anything larger than max. *data malloc'd.
 * known_size: the blob's size when its header was already read (a blob
 * listed by cts_gitrepo_list_dir), else NULL. */
int audit_read_blob(audit *a, const cts_gitoid *oid, const size_t *known_size, size_t max,
                    char **data, size_t *len)
{
	size_t size;
	int kind, rc;

	*data = NULL;
	if (known_size) {
		size = *known_size;
	} else if (cts_gitrepo_object_size(a->repo, oid, &size, &kind) < 0 ||
	           kind != CTS_GIT_KIND_BLOB) {
		cts_error_clear();
		return cts_error_set(CTS_EINVAL, "objet illisible ou qui n'est pas un fichier");
	}
	if (size > max)
		return cts_error_set(CTS_ELIMIT, "fichier trop gros (%zu octets, maximum %zu)",
		                     size, max);
	rc = cts_gitrepo_read_blob(a->repo, oid, &size, max, (unsigned char **)data, len);
	if (rc == CTS_ELIMIT || rc == CTS_ENOMEM || rc == 0)
		return rc == CTS_ELIMIT ? cts_error_set(CTS_ELIMIT, "fichier trop gros") : rc;
	cts_error_clear();
	return cts_error_set(CTS_EINVAL, "fichier illisible");
}

/* ---- driver ---- */

int cts_audit_is_url(const char *s)
{
	const char *colon, *slash;

	if (!s)
		return 0;
	if (strstr(s, "://"))
		return 1;
	if (s[0] == '/' || s[0] == '.')
		return 0;
	colon = strchr(s, ':');
	slash = strchr(s, '/');
	return colon && (!slash || colon < slash); /* scp-like user@host:path */
}

static void branch_dispose(branch *b)
{
	free(b->name);
	free(b->commits);
}

static void audit_dispose(audit *a)
{
	CTS_ARRAY_FREE(a->br, a->nbr, branch_dispose);
	json_decref(a->findings);
	json_decref(a->notices);
	json_decref(a->nodes);
	json_decref(a->registry);
	json_decref(a->reg_by_rid);
	json_decref(a->cp_state);
	json_decref(a->checkpoints);
	json_decref(a->cp_seen);
	cts_auditmap_free(a->map);
	json_decref(a->cp_wanted);
	json_decref(a->cp_ids);
	json_decref(a->witness);
	json_decref(a->unverified);
	if (a->pool) {
		audit_pool_stop(a->pool);
		free(a->pool);
	}
	cts_gitrepo_free(a->repo);
}

/* The audit's empty state; 0 or CTS_ENOMEM. */
static int audit_init(audit *a, const cts_audit_options *opt)
{
	static const cts_audit_options none = { 0 };

	memset(a, 0, sizeof(*a));
	a->opt = opt ? opt : &none;
	a->progress_every =
	    a->opt->progress_every ? a->opt->progress_every : DEFAULT_PROGRESS_EVERY;
	a->findings = json_array();
	a->notices = json_array();
	a->nodes = json_object();
	a->registry = json_object();
	a->reg_by_rid = json_object();
	a->cp_state = json_object();
	a->checkpoints = json_array();
	a->cp_seen = json_object();
	a->witness = json_object();
	a->unverified = json_array();
	if (!a->findings || !a->nodes || !a->registry || !a->reg_by_rid || !a->cp_state ||
	    !a->checkpoints || !a->cp_seen || !a->witness || !a->unverified)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	return cts_auditmap_open(&a->map);
}

/* The repository: opened read-only, or cloned into a temporary directory
 * tmpl (*tmp_made set once it exists). */
static int audit_open_repo(audit *a, const char *path_or_url, char *tmpl, size_t tmpl_size,
                           int *tmp_made)
{
	char clone[4300];
	int rc;

	if (!cts_audit_is_url(path_or_url)) {
		if ((rc = cts_gitrepo_open_existing(&a->repo, path_or_url)) < 0)
			cts_error_prefix(rc, "%s : ", path_or_url);
		return rc;
	}
	if ((rc = audit_make_tmpdir(tmpl, tmpl_size, "clone")) < 0)
		return rc;
	*tmp_made = 1;
	snprintf(clone, sizeof(clone), "%s/repo.git", tmpl);
	if (a->opt->progress)
		a->opt->progress("copie du dépôt", 0, a->opt->progress_ctx);
	if ((rc = cts_gitrepo_open(&a->repo, clone)) < 0 ||
	    (rc = cts_gitrepo_set_remote(a->repo, path_or_url)) < 0 ||
	    (rc = cts_gitrepo_fetch(a->repo)) < 0)
		cts_error_prefix(rc, "copie du dépôt %s : ", path_or_url);
	return rc;
}

/* 1. Structure: every commit of every branch, diffed against its parent;
 * branches of no known kind are listed in others. */
static int audit_walk_all(audit *a, json_t *others)
{
	int rc;

	for (size_t i = 0; i < a->nbr; i++) {
		branch *b = &a->br[i];
		if (b->kind == BR_BADNODE)
			audit_finding(a, "bad_branch_name", NULL, 0, &b->tip, NULL, b->name,
			              "branche %s : « %s » n'est pas un identifiant de nœud valide "
			              "([a-z0-9-]{3,64})",
			              b->name, b->name + 6);
		if (b->kind == BR_OTHER)
			json_array_append_new(others, audit_jstr(b->name));
		if (b->kind == BR_NODE) {
			char hex[CTS_GITOID_HEXSZ + 1];
			audit_oid_hex(hex, &b->tip);
			json_object_set_new(audit_node_summary(a, b->node), "head",
			                    json_string(hex));
		}
		if ((rc = audit_walk_branch(a, b)) < 0)
			return rc;
		if (a->opt->progress)
			a->opt->progress("commits lus", a->commits_visited, a->opt->progress_ctx);
	}
	return 0;
}

/* A node branch other than the authority's, against the registry. */
static int audit_node_chain(audit *a, branch *b, const branch *auth)
{
	json_t *e = audit_reg_get(a, b->node);

	if (e) {
		json_t *s = audit_node_summary(a, b->node);
		json_object_set(s, "territory", json_object_get(e, "territory"));
		json_object_set(s, "role", json_object_get(e, "role"));
		if (audit_reg_revoked(e) >= 0)
			json_object_set_new(s, "revoked_after",
			                    json_integer((json_int_t)audit_reg_revoked(e)));
	}
	if (b == auth)
		return 0;
	if (!e)
		audit_finding(a, "unknown_signer", b->node, 0, &b->tip, NULL, b->name,
		              "la branche %s appartient à un nœud que le registre de l'autorité "
		              "n'a jamais inscrit : "
		              "aucune de ses signatures ne peut être vérifiée",
		              b->name);
	return audit_verify_chain(a, b, 0, NULL);
}

/* 2. The authority, then its chain: the registry. 3. Every other node
 * branch against that registry. */
static int audit_all_chains(audit *a)
{
	branch *auth;
	int rc;

	if ((rc = audit_find_authority(a)) < 0)
		return rc;
	auth = a->authority[0] ? audit_node_branch(a, a->authority) : NULL;
	if (!(a->pool = malloc(sizeof(*a->pool))))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = audit_pool_start(a->pool)) < 0) {
		free(a->pool);
		a->pool = NULL;
		return rc;
	}
	if (auth && (rc = audit_verify_chain(a, auth, 1, a->authority_pk)) < 0)
		return rc;
	if ((rc = audit_want_checkpointed(a)) < 0)
		return rc;
	for (size_t i = 0; i < a->nbr; i++)
		if (a->br[i].kind == BR_NODE && (rc = audit_node_chain(a, &a->br[i], auth)) < 0)
			return rc;
	audit_progress(a, "changesets vérifiés", 1);
	audit_pool_stop(a->pool); /* no thread is left running past the chains */
	free(a->pool);
	a->pool = NULL;
	return 0;
}

/* 4. Commit signatures: nodes by their own key, region by the authority. */
static void audit_all_commit_signatures(audit *a)
{
	for (size_t i = 0; i < a->nbr; i++) {
		branch *b = &a->br[i];
		unsigned char pk[32];
		json_t *e = NULL;
		if (b->kind == BR_NODE && (e = audit_reg_get(a, b->node)) &&
		    audit_reg_pk(e, pk) == 0) {
			for (size_t k = 0; k < b->ncommits && !a->oom; k++)
				audit_check_commit_signature(a, b, &b->commits[k], b->node, pk);
		} else if (b->kind == BR_REGION && a->authority[0]) {
			for (size_t k = 0; k < b->ncommits && !a->oom; k++)
				audit_check_commit_signature(a, b, &b->commits[k], a->authority,
				                             a->authority_pk);
		}
	}
}

/* 5. Forks, allowed_signers, checkpoints, then completeness: every head
 * a signed witness (or the auditor) says existed is still there. */
static int audit_completeness(audit *a)
{
	audit_report_forks(a);
	audit_check_unverified_forks(a);
	if (a->authority[0]) {
		audit_check_allowed_signers(a);
		audit_check_checkpoints(a);
	}
	audit_check_witnesses(a);
	if (a->authority[0])
		audit_check_published_reports(a);
	audit_check_expected_heads(a);
	return a->oom ? cts_error_set(CTS_ENOMEM, "mémoire insuffisante") : 0;
}

/* The audit's JSON report (*out, owned by the caller). */
static int audit_result(audit *a, const char *path_or_url, json_t *others, json_t *state_info,
                        json_t *report_info, json_t **out)
{
	*out = json_pack("{s:b, s:o, s:o, s:o, s:O, s:O, s:I, s:I, s:I, s:I, s:O}", "ok",
	                 a->findings_total == 0, "repository", audit_jstr(path_or_url), "authority",
	                 a->authority[0] ? json_string(a->authority) : json_null(), "region",
	                 a->region[0] ? json_string(a->region) : json_null(), "nodes", a->nodes,
	                 "findings", a->findings, "findings_total", (json_int_t)a->findings_total,
	                 "commits", (json_int_t)a->commits_visited, "changesets",
	                 (json_int_t)a->changesets_seen, "checkpoints",
	                 (json_int_t)json_array_size(a->checkpoints), "other_branches", others);
	if (!*out)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	json_object_set(*out, "notices", a->notices);
	/* What the verdict proves about completeness (docs/AUDIT.md). */
	json_object_set_new(
	    *out, "completeness",
	    json_string(a->opt->n_expect_heads > 0 ||
	                        json_integer_value(json_object_get(state_info, "previous_refs")) > 0
	                    ? "pinned"
	                    : "witnessed"));
	if (state_info)
		json_object_set(*out, "state", state_info);
	if (report_info)
		json_object_set(*out, "report_check", report_info);
	return 0;
}

int cts_audit_run(const char *path_or_url, const cts_audit_options *opt, json_t **report)
{
	audit a;
	char tmpl[4200];
	json_t *state_info = NULL, *report_info = NULL, *others = json_array();
	int rc, tmp_made = 0;

	*report = NULL;
	/* Each commit is read once: a small libgit2 cache keeps the memory
	 * flat (BENCHMARKS.md, issue 18.4); the sync's is set back after. */
	if ((rc = cts_gitrepo_set_cache_profile(CTS_GIT_CACHE_SCAN)) < 0)
		return rc;
	if ((rc = audit_init(&a, opt)) < 0)
		goto cleanup;
	if (!others) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	if (!path_or_url || !*path_or_url) {
		rc = cts_error_set(CTS_EINVAL, "dépôt à auditer non indiqué");
		goto cleanup;
	}
	for (size_t i = 0; i < a.opt->n_expect_heads; i++) {
		char node[65], id[65];
		int64_t seq;
		if ((rc = cts_audit_parse_head(a.opt->expect_heads[i], node, &seq, id)) < 0)
			goto cleanup;
	}
	if ((rc = audit_open_repo(&a, path_or_url, tmpl, sizeof(tmpl), &tmp_made)) < 0)
		goto cleanup;
	cts_gitrepo_release_every(a.repo, AUDIT_GIT_RELEASE_EVERY, AUDIT_GIT_RELEASE_ABOVE);
	if ((rc = audit_load_branches(&a)) < 0 || (rc = audit_walk_all(&a, others)) < 0 ||
	    (rc = audit_all_chains(&a)) < 0)
		goto cleanup;
	audit_all_commit_signatures(&a);
	if ((rc = audit_completeness(&a)) < 0)
		goto cleanup;
	/* 6. Heads remembered from the previous audit; the published report. */
	if ((a.opt->state_path && (rc = audit_check_state(&a, &state_info)) < 0) ||
	    (a.opt->check_report && (rc = audit_check_report(&a, &report_info)) < 0) ||
	    (a.opt->state_path && a.findings_total == 0 &&
	     (rc = audit_write_state(&a, path_or_url, state_info)) < 0))
		goto cleanup;
	rc = audit_result(&a, path_or_url, others, state_info, report_info, report);
cleanup:
	json_decref(state_info);
	json_decref(report_info);
	json_decref(others);
	audit_dispose(&a);
	if (tmp_made)
		audit_remove_tree(tmpl);
	/* Cannot fail once the first call succeeded (libgit2 initialised). */
	(void)cts_gitrepo_set_cache_profile(CTS_GIT_CACHE_SYNC);
	return rc;
}
