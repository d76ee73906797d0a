#include "audit_impl.h"

/* ---- --state ---- */

int audit_check_state(audit *a, json_t **state_out)
{
	char *data = NULL;
	size_t len = 0;
	json_t *st = NULL, *refs;
	json_error_t jerr;
	const char *name;
	json_t *v;
	int rc;

	*state_out = json_pack("{s:s, s:i, s:b}", "path", a->opt->state_path, "previous_refs", 0,
	                       "written", 0);
	if (!*state_out)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_read_file(a->opt->state_path, CTS_AUDIT_MAX_STATE_BYTES, &data, &len);
	if (rc == CTS_ENOTFOUND) {
		cts_error_clear();
		return 0; /* first audit: the state starts now */
	}
	if (rc < 0)
		return cts_error_prefix(rc, "état d'audit %s : ", a->opt->state_path);
	st = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	free(data);
	refs = json_object_get(st, "refs");
	if (!json_is_object(st) || !json_is_object(refs) ||
	    strcmp(json_string_value(json_object_get(st, "format"))
	               ? json_string_value(json_object_get(st, "format"))
	               : "",
	           "ctsnode-audit-state") != 0) {
		json_decref(st);
		return cts_error_set(CTS_EINVAL,
		                     "état d'audit %s illisible : un fichier écrit par « ctsnode "
		                     "audit --state » est attendu",
		                     a->opt->state_path);
	}
	if (json_object_size(refs) > CTS_AUDIT_MAX_BRANCHES) {
		json_decref(st);
		return cts_error_set(CTS_ELIMIT, "état d'audit %s : trop de branches",
		                     a->opt->state_path);
	}
	json_object_set_new(*state_out, "previous_refs",
	                    json_integer((json_int_t)json_object_size(refs)));
	json_object_foreach(refs, name, v)
	{
		const char *hex = json_string_value(v);
		cts_gitoid old;
		branch *b = audit_find_branch(a, name);
		const char *node = strncmp(name, "nodes/", 6) == 0 ? name + 6 : NULL;

		if (!hex || !audit_is_hex(hex, CTS_GITOID_HEXSZ) ||
		    cts_gitoid_parse(&old, hex) < 0) {
			json_decref(st);
			return cts_error_set(CTS_EINVAL,
			                     "état d'audit %s : commit invalide pour %.80s",
			                     a->opt->state_path, name);
		}
		if (!b) {
			audit_finding(
			    a, "rewritten_branch", node, 0, &old, NULL, name,
			    "la branche %s, vérifiée lors d'un audit précédent (commit %.12s), "
			    "a disparu du dépôt",
			    name, hex);
			continue;
		}
		if (cts_gitoid_equal(&old, &b->tip))
			continue;
		if (cts_gitrepo_is_ancestor(a->repo, &old, &b->tip) != 1) {
			char tip[CTS_GITOID_HEXSZ + 1];
			audit_oid_hex(tip, &b->tip);
			audit_finding(
			    a, "rewritten_branch", node, 0, &b->tip, NULL, name,
			    "la branche %s a été réécrite : elle ne prolonge plus le commit "
			    "%.12s vérifié lors de l'audit "
			    "précédent (elle pointe maintenant sur %.12s)",
			    name, hex, tip);
		}
	}
	json_decref(st);
	return 0;
}

int audit_write_state(audit *a, const char *repo_name, json_t *state_info)
{
	json_t *st = json_pack("{s:s, s:i, s:o, s:o}", "format", "ctsnode-audit-state", "version",
	                       1, "repository", audit_jstr(repo_name), "refs", json_object());
	json_t *refs = json_object_get(st, "refs");
	char *text;
	int rc;

	if (!st)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	/* The branches of the contract only: node branches and region, which
	 * must only fast-forward. */
	for (size_t i = 0; i < a->nbr; i++) {
		char hex[CTS_GITOID_HEXSZ + 1];
		if (a->br[i].kind != BR_NODE && a->br[i].kind != BR_REGION)
			continue;
		audit_oid_hex(hex, &a->br[i].tip);
		json_object_set_new(refs, a->br[i].name, json_string(hex));
	}
	text = json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(st);
	if (!text)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_write_file_atomic(a->opt->state_path, text, strlen(text), 0644);
	free(text);
	if (rc == 0)
		json_object_set_new(state_info, "written", json_true());
	return rc;
}

/* ---- --check-report ---- */

/* Differences between two JSON values, as "path : a ≠ b" lines. */
static void json_diff(const json_t *x, const json_t *y, const char *path, json_t *out)
{
	char sub[512];

	if (json_array_size(out) >= REPORT_MAX_DIFFS)
		return;
	if (json_is_object(x) && json_is_object(y)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)x, k, v)
		{
			snprintf(sub, sizeof(sub), "%s/%s", path, k);
			json_diff(v, json_object_get(y, k), sub, out);
		}
		json_object_foreach((json_t *)y, k, v)
		{
			if (!json_object_get(x, k)) {
				snprintf(sub, sizeof(sub), "%s/%s", path, k);
				json_diff(NULL, v, sub, out);
			}
		}
		return;
	}
	if (json_is_array(x) && json_is_array(y) && json_array_size(x) == json_array_size(y)) {
		for (size_t i = 0; i < json_array_size(x); i++) {
			snprintf(sub, sizeof(sub), "%s/%zu", path, i);
			json_diff(json_array_get(x, i), json_array_get(y, i), sub, out);
		}
		return;
	}
	if (x && y && json_equal((json_t *)x, (json_t *)y))
		return;
	{
		char *sx =
		    x ? json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6))
		      : NULL;
		char *sy =
		    y ? json_dumps(y, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(6))
		      : NULL;
		char line[600];
		snprintf(line, sizeof(line), "%s : publié %.120s, recalculé %.120s",
		         *path ? path : "/", sx ? sx : "(absent)", sy ? sy : "(absent)");
		audit_sanitize(line);
		json_array_append_new(out, json_string(line));
		free(sx);
		free(sy);
	}
}

/* The N/D of the quorum rule sentence of a report, if any. */
static void quorum_of(const char *rule, int *num, int *den)
{
	for (const char *p = rule; p && *p; p++) {
		int a, b, used = 0;
		if (*p >= '0' && *p <= '9' && (p == rule || p[-1] == ' ') &&
		    sscanf(p, "%d/%d%n", &a, &b, &used) == 2 && used > 2 && b > 0 && a >= 0 &&
		    a <= b) {
			*num = a;
			*den = b;
			return;
		}
	}
}

/* The report of --check-report, parsed (*rep owned by the caller). */
static int load_report(audit *a, json_t **rep)
{
	char *data = NULL;
	size_t len = 0;
	json_error_t jerr;
	int rc;

	if ((rc = cts_read_file(a->opt->check_report, CTS_AUDIT_MAX_REPORT_BYTES, &data, &len)) < 0)
		return cts_error_prefix(rc, "rapport %s : ", a->opt->check_report);
	*rep = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	free(data);
	if (!json_is_object(*rep)) {
		json_decref(*rep);
		*rep = NULL;
		return cts_error_set(CTS_EINVAL,
		                     "rapport %s illisible : un rapport « ctsnode report --format "
		                     "json » est attendu (%s, ligne %d)",
		                     a->opt->check_report, jerr.text, jerr.line);
	}
	return 0;
}

/* Every head the report cites must be in the repository, with that id.
 * Returns the number of findings. */
static int check_heads(audit *a, json_t *heads)
{
	const char *node;
	json_t *v;
	int problems = 0;

	json_object_foreach(heads, node, v)
	{
		int64_t seq = json_integer_value(json_object_get(v, "seq"));
		const char *id = json_string_value(json_object_get(v, "id"));
		branch *b = cts_valid_node_id(node) ? audit_node_branch(a, node) : NULL;
		char path[160], got[65] = "";
		unsigned char *js = NULL;
		size_t jl;
		if (!b || seq < 1 || !audit_is_hex(id, 64)) {
			audit_finding(
			    a, "report_mismatch", cts_valid_node_id(node) ? node : NULL, seq, NULL,
			    a->opt->check_report, NULL,
			    "le rapport cite l'historique de %s (n°%lld) que le dépôt n'a pas",
			    node, (long long)seq);
			problems++;
			continue;
		}
		audit_changeset_path(path, sizeof(path), node, seq, 0);
		if (cts_gitrepo_read_file(a->repo, &b->tip, path, CTS_CHANGESET_MAX_BYTES, &js,
		                          &jl) == 0)
			cts_changeset_hash((const char *)js, jl, got);
		cts_error_clear();
		free(js);
		if (strcmp(got, id) != 0) {
			audit_finding(a, "report_mismatch", node, seq, &b->tip, path, b->name,
			              "le rapport est calculé jusqu'au changeset n°%lld de %s "
			              "d'empreinte %.12s… ; le dépôt %s",
			              (long long)seq, node, id,
			              got[0] ? "en porte un autre" : "ne l'a pas");
			problems++;
		}
	}
	return problems;
}

/* A throwaway node under tmpl (*tmp_made once it exists), named so that
 * it is none of the report's nodes. */
static int recalc_node(audit *a, json_t *heads, char *tmpl, size_t size, int *tmp_made,
                       cts_node **n)
{
	char home[4300], node_id[64];
	int rc;

	if ((rc = audit_make_tmpdir(tmpl, size, "rapport")) < 0)
		return rc;
	*tmp_made = 1;
	snprintf(home, sizeof(home), "%s/node", tmpl);
	for (int k = 0;; k++) {
		snprintf(node_id, sizeof(node_id), k ? "audit-recalcul-%d" : "audit-recalcul", k);
		if (!json_object_get(heads, node_id) && !audit_node_branch(a, node_id))
			break;
	}
	cts_node_params np = { .node_id = node_id,
		               .territory = "audit-recalcul",
		               .role = CTS_ROLE_TERRITORY,
		               .authority_key = a->authority_key,
		               .remote = NULL,
		               .passphrase = NULL };
	if ((rc = cts_node_create(n, home, &np)) < 0)
		cts_error_prefix(rc, "recalcul du rapport : ");
	return rc;
}

/* Offer node's changesets n°1 to last (from its branch) to the throwaway
 * node n; a missing one is a finding (++*problems). */
static int offer_chain(audit *a, cts_node *n, const char *node, int64_t last,
                       cts_import_stats *stats, int *problems)
{
	branch *b = audit_node_branch(a, node);
	int rc = 0;

	for (int64_t s = 1; s <= last && rc == 0; s++) {
		char path[160], spath[168];
		unsigned char *js = NULL, *sg = NULL;
		size_t jl = 0, sl = 0;
		audit_changeset_path(path, sizeof(path), node, s, 0);
		audit_changeset_path(spath, sizeof(spath), node, s, 1);
		if (cts_gitrepo_read_file(a->repo, &b->tip, path, CTS_CHANGESET_MAX_BYTES, &js,
		                          &jl) < 0 ||
		    cts_gitrepo_read_file(a->repo, &b->tip, spath, CTS_SIG_MAX_BYTES, &sg, &sl) <
		        0) {
			audit_finding(a, "report_unverifiable", node, s, &b->tip, path, b->name,
			              "le changeset n°%lld de %s, dont le rapport dépend, est "
			              "absent ou illisible : %s",
			              (long long)s, node, cts_error_message());
			cts_error_clear();
			++*problems;
		} else {
			rc = cts_import_offer(n, node, s, (const char *)js, jl, (const char *)sg,
			                      sl, stats);
		}
		free(js);
		free(sg);
	}
	return rc;
}

/* Import exactly the history the report cites into n. */
static int import_heads(audit *a, cts_node *n, json_t *heads, cts_import_stats *stats,
                        int *problems)
{
	const char *node;
	json_t *v, *ev;
	size_t i;
	int rc;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	json_object_foreach(heads, node, v)
	{
		rc = offer_chain(a, n, node, json_integer_value(json_object_get(v, "seq")), stats,
		                 problems);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = cts_store_commit(n->store);
	else
		cts_store_rollback(n->store);
	if (rc < 0 || (rc = cts_import_process(n, stats)) < 0)
		return rc;
	json_array_foreach(stats->events, i, ev)
	{
		audit_finding(a, "report_unverifiable",
		              json_string_value(json_object_get(ev, "node")),
		              json_integer_value(json_object_get(ev, "seq")), NULL,
		              a->opt->check_report, NULL, "recalcul du rapport : changeset %s (%s)",
		              json_string_value(json_object_get(ev, "state")),
		              json_string_value(json_object_get(ev, "reason")));
		++*problems;
	}
	return 0;
}

/* Recompute the report on n and compare; differences go into diffs.
 * Returns the number of findings. */
static int compare_report(audit *a, cts_node *n, json_t *rep, json_t *diffs)
{
	const char *scope = json_string_value(json_object_get(rep, "scope"));
	cts_report_params p = { 0 };
	json_t *mine = NULL, *v;
	int problems = 0;

	p.from = json_string_value(json_object_get(json_object_get(rep, "period"), "from"));
	p.to = json_string_value(json_object_get(json_object_get(rep, "period"), "to"));
	p.quorum_num = 1;
	p.quorum_den = 2;
	p.territory = scope && strcmp(scope, a->region) != 0 ? scope : NULL;
	quorum_of(json_string_value(json_object_get(rep, "quorum_rule")), &p.quorum_num,
	          &p.quorum_den);
	if (cts_report_build(n, &p, &mine) < 0) {
		audit_finding(a, "report_mismatch", NULL, 0, NULL, a->opt->check_report, NULL,
		              "le rapport ne peut pas être recalculé : %s", cts_error_message());
		cts_error_clear();
		return 1;
	}
	json_object_del(rep, "generated_at");
	json_object_del(mine, "generated_at");
	if (!json_equal(rep, mine)) {
		char list[DETAIL_MAX - 200] = "";
		size_t i;
		json_diff(rep, mine, "", diffs);
		json_array_foreach(diffs, i, v)
		    snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
		             i ? " ; " : "", json_string_value(v));
		audit_finding(a, "report_mismatch", NULL, 0, NULL, a->opt->check_report, NULL,
		              "le rapport publié ne correspond pas à l'historique qu'il cite : %s",
		              list);
		problems++;
	}
	json_decref(mine);
	return problems;
}

int audit_check_report(audit *a, json_t **info_out)
{
	char tmpl[4200];
	json_t *rep = NULL, *heads, *diffs = json_array(), *info = NULL;
	cts_node *n = NULL;
	cts_import_stats stats = { 0 };
	int rc = 0, problems = 0, tmp_made = 0;

	*info_out = NULL;
	if (!diffs)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	info = json_pack("{s:s, s:b, s:o}", "file", a->opt->check_report, "ok", 0, "differences",
	                 diffs);
	if (!info)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	*info_out = info;
	if ((rc = load_report(a, &rep)) < 0)
		return rc;
	heads = json_object_get(rep, "heads");
	if (!json_is_object(heads) ||
	    !json_string_value(json_object_get(json_object_get(rep, "period"), "from")) ||
	    !json_string_value(json_object_get(json_object_get(rep, "period"), "to"))) {
		audit_finding(
		    a, "report_mismatch", NULL, 0, NULL, a->opt->check_report, NULL,
		    "le rapport ne dit pas de quel historique il provient (membres « heads » "
		    "et « period » attendus)");
		goto out;
	}
	if (!a->authority[0]) {
		audit_finding(a, "report_unverifiable", NULL, 0, NULL, a->opt->check_report, NULL,
		              "pas d'autorité reconnue dans le dépôt : le rapport ne peut pas être "
		              "recalculé");
		goto out;
	}
	if ((problems = check_heads(a, heads)) > 0 ||
	    (rc = recalc_node(a, heads, tmpl, sizeof(tmpl), &tmp_made, &n)) < 0 ||
	    (rc = import_heads(a, n, heads, &stats, &problems)) < 0)
		goto out;
	problems += compare_report(a, n, rep, diffs);
	if (!problems)
		json_object_set_new(info, "ok", json_true());
out:
	cts_import_stats_dispose(&stats);
	cts_node_free(n);
	if (tmp_made)
		audit_remove_tree(tmpl);
	json_decref(rep);
	return rc;
}
