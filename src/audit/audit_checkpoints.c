#include "audit_impl.h"

/* ---- checkpoints ---- */

/* After the authority's chain: which (node, seq) its checkpoints certify. */
int audit_want_checkpointed(audit *a)
{
	size_t i;
	json_t *cp;

	if (!(a->cp_wanted = json_object()) || !(a->cp_ids = json_object()))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	json_array_foreach(a->checkpoints, i, cp)
	{
		char key[96];
		snprintf(key, sizeof(key), "%.64s/%lld",
		         json_string_value(json_object_get(cp, "node")),
		         (long long)json_integer_value(json_object_get(cp, "seq")));
		if (json_object_set_new(a->cp_wanted, key, json_true()) < 0)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	return 0;
}

/* The id of the changeset file at path on b's tip when its chain already
 * hashed that very blob (what cts_gitrepo_read_file would read: a regular
 * file of at most CTS_CHANGESET_MAX_BYTES, as audit_read_blob checked). 1 if so. */
static int known_id(audit *a, branch *b, const char *path, char id[65])
{
	cts_gitentry e;
	const char *v = NULL;
	char hex[CTS_GITOID_HEXSZ + 1];

	if (!a->cp_ids || json_object_size(a->cp_ids) == 0)
		return 0;
	if (cts_gitrepo_entry(a->repo, &b->tip, path, &e) == 0 && e.kind == CTS_GIT_KIND_BLOB &&
	    (e.mode == CTS_GIT_MODE_BLOB || e.mode == CTS_GIT_MODE_EXEC)) {
		audit_oid_hex(hex, &e.oid);
		v = json_string_value(json_object_get(a->cp_ids, hex));
		if (v)
			snprintf(id, 65, "%s", v);
	}
	cts_error_clear();
	return v != NULL;
}

void audit_check_checkpoints(audit *a)
{
	size_t i;
	json_t *cp;
	branch *auth = audit_node_branch(a, a->authority);

	json_array_foreach(a->checkpoints, i, cp)
	{
		const char *node = json_string_value(json_object_get(cp, "node"));
		const char *cid = json_string_value(json_object_get(cp, "changeset"));
		int64_t seq = json_integer_value(json_object_get(cp, "seq"));
		int64_t by = json_integer_value(json_object_get(cp, "by_seq"));
		branch *b = cts_valid_node_id(node) ? audit_node_branch(a, node) : NULL;
		char path[160], id[65] = "";
		unsigned char *data = NULL;
		size_t len;
		cts_gitoid cbuf;

		if (seq < 1 || !cts_valid_node_id(node))
			continue;
		audit_changeset_path(path, sizeof(path), node, seq, 0);
		if (b && known_id(a, b, path, id))
			; /* hashed when its chain was verified */
		else if (b && cts_gitrepo_read_file(a->repo, &b->tip, path, CTS_CHANGESET_MAX_BYTES,
		                                    &data, &len) == 0)
			cts_changeset_hash((const char *)data, len, id);
		cts_error_clear();
		free(data);
		if (strcmp(id, cid) == 0)
			continue;
		{
			char apath[160];
			audit_changeset_path(apath, sizeof(apath), a->authority, by, 0);
			audit_finding(
			    a, "checkpoint_violation", node, seq,
			    b ? audit_commit_of(b, path, &cbuf) : NULL, path, b ? b->name : NULL,
			    "le point de contrôle signé par l'autorité (%s, changeset n°%lld : "
			    "%s) certifie le changeset n°%lld "
			    "de %s d'empreinte %.12s… ; %s : l'historique a été réécrit",
			    a->authority, (long long)by, auth ? apath : "?", (long long)seq, node,
			    cid,
			    !b      ? "la branche a disparu"
			    : id[0] ? "la branche actuelle en porte un autre"
			            : "il a disparu de la branche");
		}
	}
}

/* ---- completeness: heads others say existed ---- */

/* `who` says node had changeset seq (with that id, when id is given): the
 * node's branch must still hold it. `why` names the possible causes. */
static void check_head(audit *a, const char *node, int64_t seq, const char *id, const char *who,
                       const char *why)
{
	branch *b = cts_valid_node_id(node) ? audit_node_branch(a, node) : NULL;
	json_t *sm = b ? json_object_get(a->nodes, node) : NULL;
	int64_t head = sm ? json_integer_value(json_object_get(sm, "last_seq")) : 0;
	char path[160], got[65] = "", where[160];
	unsigned char *data = NULL;
	size_t len;
	cts_gitoid cbuf;

	if (seq < 1)
		return;
	audit_changeset_path(path, sizeof(path), cts_valid_node_id(node) ? node : "?", seq, 0);
	if (head < seq) {
		if (b)
			snprintf(where, sizeof(where), "la branche %s s'arrête au n°%lld", b->name,
			         (long long)head);
		else
			snprintf(where, sizeof(where), "il n'a pas de branche dans le dépôt");
		audit_finding(a, "truncated_branch", node, seq, b ? &b->tip : NULL, path,
		              b ? b->name : NULL, "%s le changeset n°%lld de %s, mais %s : %s", who,
		              (long long)seq, node, where, why);
		return;
	}
	if (!id)
		return;
	if (cts_gitrepo_read_file(a->repo, &b->tip, path, CTS_CHANGESET_MAX_BYTES, &data, &len) ==
	    0)
		cts_changeset_hash((const char *)data, len, got);
	cts_error_clear();
	free(data);
	if (strcmp(got, id) != 0)
		audit_finding(
		    a, "rewritten_branch", node, seq, audit_commit_of(b, path, &cbuf), path,
		    b->name,
		    "%s le changeset n°%lld de %s d'empreinte %.12s…, mais la branche %s %s : "
		    "historique réécrit",
		    who, (long long)seq, node, id, b->name,
		    got[0] ? "en porte un autre" : "ne le contient plus");
}

/* Every accepted changeset is a witness of what its author had seen. */
void audit_check_witnesses(audit *a)
{
	const char *node;
	json_t *w;

	json_object_foreach(a->witness, node, w)
	{
		char who[160];
		snprintf(who, sizeof(who), "%s n°%lld dit avoir vu (« seen »)",
		         json_string_value(json_object_get(w, "by")),
		         (long long)json_integer_value(json_object_get(w, "by_seq")));
		check_head(
		    a, node, json_integer_value(json_object_get(w, "seq")), NULL, who,
		    "branche tronquée, changesets pas encore publiés, ou « seen » mensonger");
	}
}

typedef struct {
	audit *a;
	branch *r;
	size_t seen;
} reports_ctx;

/* One entry of reports/ on the region branch: its rapport.json's heads. */
static int published_report(const char *name, const cts_gitentry *e, void *vctx)
{
	reports_ctx *c = vctx;
	char path[PATH_MAX_AUDIT], who[PATH_MAX_AUDIT + 96];
	unsigned char *data = NULL;
	size_t len;
	json_t *rep, *heads, *h;
	const char *node;

	if (c->seen++ >= 1000)
		return 1;
	if (e->kind != CTS_GIT_KIND_TREE)
		return 0;
	snprintf(path, sizeof(path), "reports/%.200s/rapport.json", name);
	if (cts_gitrepo_read_file(c->a->repo, &c->r->tip, path, CTS_AUDIT_MAX_REPORT_BYTES, &data,
	                          &len) < 0) {
		cts_error_clear();
		return 0;
	}
	rep = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
	free(data);
	heads = json_object_get(rep, "heads");
	snprintf(who, sizeof(who), "le rapport publié %s (branche region) cite", path);
	audit_sanitize(who);
	json_object_foreach(heads, node, h)
	{
		json_t *seq = json_object_get(h, "seq");
		const char *id = json_string_value(json_object_get(h, "id"));
		if (json_is_integer(seq) && audit_is_hex(id, 64))
			check_head(c->a, node, json_integer_value(seq), id, who,
			           "branche tronquée après la publication du rapport");
	}
	json_decref(rep);
	return 0;
}

/* Reports published on the region branch (signed by the authority) name
 * the heads they were computed from: witnesses too. */
void audit_check_published_reports(audit *a)
{
	reports_ctx c = { a, audit_find_branch(a, "region"), 0 };
	cts_gitentry e;

	if (c.r && cts_gitrepo_entry(a->repo, &c.r->tip, "reports", &e) == 0 &&
	    e.kind == CTS_GIT_KIND_TREE)
		cts_gitrepo_tree_foreach(a->repo, &e.oid, published_report, &c);
	cts_error_clear();
}

int cts_audit_parse_head(const char *arg, char node[65], int64_t *seq, char id[65])
{
	const char *eq = arg ? strchr(arg, '=') : NULL, *colon = eq ? strchr(eq, ':') : NULL;
	char *end;
	long long v;

	if (!eq || !colon || eq - arg > 64)
		goto bad;
	memcpy(node, arg, (size_t)(eq - arg));
	node[eq - arg] = '\0';
	v = strtoll(eq + 1, &end, 10);
	if (!cts_valid_node_id(node) || end != colon || v < 1 || !audit_is_hex(colon + 1, 64))
		goto bad;
	*seq = v;
	snprintf(id, 65, "%s", colon + 1);
	return 0;
bad:
	return cts_error_set(
	    CTS_EINVAL,
	    "tête attendue « %.100s » : NŒUD=N°:EMPREINTE attendu (empreinte SHA-256 "
	    "du changeset, 64 chiffres hexadécimaux)",
	    arg ? arg : "");
}

/* --expect-head: heads the auditor kept from an earlier audit. */
void audit_check_expected_heads(audit *a)
{
	for (size_t i = 0; i < a->opt->n_expect_heads; i++) {
		char node[65], id[65];
		int64_t seq = 0;
		if (cts_audit_parse_head(a->opt->expect_heads[i], node, &seq, id) < 0) {
			cts_error_clear();
			continue; /* checked by cts_audit_run */
		}
		check_head(a, node, seq, id, "la tête imposée (--expect-head) est",
		           "branche tronquée depuis l'audit qui a relevé cette tête");
	}
}

/* Fork records that could not carry both versions (too big): the fork is
 * proven only if both versions are somewhere in the repository. */
void audit_check_unverified_forks(audit *a)
{
	size_t i;
	json_t *u;

	json_array_foreach(a->unverified, i, u)
	{
		const char *node = json_string_value(json_object_get(u, "node"));
		int64_t seq = json_integer_value(json_object_get(u, "seq"));
		size_t n = 0;
		if (cts_auditmap_count_versions(a->map, node, seq, &n) < 0) {
			cts_error_clear();
			a->oom = 1;
		}
		if (n < 2)
			audit_finding(
			    a, "unverified_fork", node, seq, NULL, NULL, NULL,
			    "%s n°%lld signale une bifurcation du changeset n°%lld de %s sans "
			    "pouvoir en recopier les deux versions (trop grosses), et le dépôt "
			    "n'en "
			    "contient pas deux : bifurcation invérifiable ici",
			    json_string_value(json_object_get(u, "by")),
			    (long long)json_integer_value(json_object_get(u, "by_seq")),
			    (long long)seq, node);
	}
}

/* ---- forks ---- */

static int report_fork(void *ctx, const char *node, int64_t seq, const cts_auditmap_version *v,
                       size_t n)
{
	audit *a = ctx;
	char path[160], list[DETAIL_MAX / 2] = "";
	cts_gitoid c;

	if (n < 2)
		return 0;
	for (size_t k = 0; k < n; k++) {
		char bhex[CTS_GITOID_HEXSZ + 1], chex[CTS_GITOID_HEXSZ + 1];
		cts_gitoid o;
		memcpy(o.id, v[k].blob, 20);
		audit_oid_hex(bhex, &o);
		memcpy(o.id, v[k].commit, 20);
		audit_oid_hex(chex, &o);
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		         "%s%.12s (branche %s, commit %.12s)", k ? ", " : "", bhex, v[k].branch,
		         chex);
	}
	memcpy(c.id, v[n - 1].commit, 20);
	audit_changeset_path(path, sizeof(path), node, seq, 0);
	audit_finding(a, "fork", node, seq, &c, path, v[n - 1].branch,
	              "bifurcation : %zu versions différentes du changeset n°%lld de %s dans le "
	              "dépôt : %s",
	              n, (long long)seq, node, list);
	return 0;
}

void audit_report_forks(audit *a)
{
	if (cts_auditmap_each_fork(a->map, report_fork, a) < 0)
		a->oom = 1;
}
