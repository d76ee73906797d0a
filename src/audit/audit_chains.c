#include "audit_impl.h"

#include "strbuf.h"

/* ---- changeset chains ---- */

typedef struct {
	tip_entry *v;
	size_t n, cap;
	int oom;
} tip_list;

static int tip_cb(const char *name, const cts_gitoid *oid, size_t size, unsigned filemode,
                  void *vctx)
{
	tip_list *l = vctx;
	int64_t seq;
	int is_sig;
	tip_entry *e;

	if (audit_parse_file_name(name, &seq, &is_sig) < 0 ||
	    (filemode != CTS_GIT_MODE_BLOB && filemode != CTS_GIT_MODE_EXEC))
		return 0; /* reported by the commit diffs */
	if (l->n > 0 && l->v[l->n - 1].seq == seq) {
		e = &l->v[l->n - 1];
	} else {
		if (cts_array_reserve(&l->v, &l->cap, l->n, sizeof(*l->v), 64) < 0) {
			l->oom = 1;
			return 1;
		}
		e = &l->v[l->n++];
		memset(e, 0, sizeof(*e));
		e->seq = seq;
	}
	if (is_sig) {
		e->has_sig = 1;
		e->sig = *oid;
		e->sig_size = size;
	} else {
		e->has_json = 1;
		e->json = *oid;
		e->json_size = size;
	}
	return 0;
}

static int tip_entry_cmp(const void *x, const void *y)
{
	int64_t a = ((const tip_entry *)x)->seq, b = ((const tip_entry *)y)->seq;

	return a < b ? -1 : a > b;
}

static int in_fork(audit *a, const char *node, int64_t seq)
{
	size_t n = 0;

	if (cts_auditmap_count_versions(a->map, node, seq, &n) < 0) {
		cts_error_clear();
		a->oom = 1;
	}
	return n > 1;
}

/* ---- witnesses and fork evidence ---- */

/* An accepted changeset's `seen`: the highest seq of each node it saw,
 * checked against the branches once every chain is read. */
static void note_witnesses(audit *a, const char *by, int64_t by_seq, json_t *seen)
{
	const char *node;
	json_t *v;

	json_object_foreach(seen, node, v)
	{
		json_t *w = json_object_get(a->witness, node);
		int64_t s = json_integer_value(v);

		if (w && json_integer_value(json_object_get(w, "seq")) >= s)
			continue;
		if (!w && json_object_size(a->witness) >= 2 * CTS_AUDIT_MAX_BRANCHES) {
			if (!audit_node_branch(a, node)) /* no room: judged now */
				audit_finding(a, "truncated_branch", node, s, NULL, NULL, NULL,
				              "%s n°%lld dit avoir vu (« seen ») le changeset "
				              "n°%lld de %s, qui n'a "
				              "pas de branche dans le dépôt : branche supprimée ou "
				              "« seen » mensonger",
				              by, (long long)by_seq, (long long)s, node);
			continue;
		}
		if (json_object_set_new(a->witness, node,
		                        json_pack("{s:I, s:s, s:I}", "seq", (json_int_t)s, "by", by,
		                                  "by_seq", (json_int_t)by_seq)) < 0)
			a->oom = 1;
	}
}

/* The key a node signs with, per the replayed registry (the authority's
 * own key before its enrolment is replayed). 0 and pk, or -1. */
static int key_of(audit *a, const char *node, unsigned char pk[32])
{
	json_t *e = audit_reg_get(a, node);

	if (e && audit_reg_pk(e, pk) == 0)
		return 0;
	if (a->authority[0] && strcmp(node, a->authority) == 0) {
		memcpy(pk, a->authority_pk, 32);
		return 0;
	}
	return -1;
}

/* Fork records carried by an authenticated changeset (sync/forkproof.h):
 * each must be valid for the forked node's key (else a finding against
 * its writer); the versions they carry count as versions of that
 * changeset (a fork is reported even when one is gone from the branches).
 * 1 if every record is valid. */
static int check_evidence(audit *a, branch *b, const cts_changeset *cs, const cts_gitoid *cmt,
                          const char *path)
{
	size_t i;
	json_t *op;
	int ok = 1;

	json_array_foreach(cs->ops, i, op)
	{
		cts_fork_version v[2];
		const char *node;
		int64_t seq;
		unsigned char pk[32];
		char why[400], label[128];
		int rc;

		if (strcmp(json_string_value(json_object_get(op, "table")), "fork") != 0)
			continue;
		cts_fork_evidence_target(op, &node, &seq);
		rc = cts_fork_evidence_check(
		    op, node && cts_valid_node_id(node) && key_of(a, node, pk) == 0 ? pk : NULL, v,
		    why, sizeof(why));
		if (rc != 0) {
			audit_finding(a, "bad_fork_evidence", cs->node, cs->seq, cmt, path, b->name,
			              "opération %zu : preuve de bifurcation invalide : %s", i + 1,
			              rc == 1 ? "le nœud n'est pas inscrit, sa signature ne peut "
			                        "pas être vérifiée"
			                      : why);
			ok = 0;
			continue;
		}
		snprintf(label, sizeof(label), "%.80s, recopiée dans le n°%lld", b->name,
		         (long long)cs->seq);
		for (int k = 0; k < 2; k++) {
			cts_gitoid blob;
			if (!v[k].body)
				continue;
			cts_gitoid_blob(&blob, v[k].body, v[k].body_len);
			audit_add_variant(a, node, seq, &blob, label, cmt);
		}
		if ((!v[0].body || !v[1].body) &&
		    json_array_append_new(a->unverified,
		                          json_pack("{s:s, s:I, s:s, s:I}", "node", node, "seq",
		                                    (json_int_t)seq, "by", cs->node, "by_seq",
		                                    (json_int_t)cs->seq)) < 0)
			a->oom = 1;
	}
	return ok;
}

typedef struct {
	audit *a;
	branch *b;
	const char *node;
	int apply;                    /* authority replay: apply registry and checkpoint ops */
	const unsigned char *seq1_pk; /* authority: the key its seq 1 enrols */
	int applying;                 /* still applying (no failure yet) */
} chain_ctx;

/* Main thread, before the work: read the blobs, choose the key. The key is
 * the one the registry gives at this point of the replay (the registry only
 * changes while the authority's chain is applied, which is done one
 * changeset at a time). */
static void job_prepare(chain_ctx *cc, const tip_entry *t, vjob *j)
{
	audit *a = cc->a;
	json_t *reg;
	int rc;

	memset(j, 0, sizeof(*j));
	j->t = t;
	/* cts_gitrepo_list_dir read the header of every blob it listed. */
	if ((rc = audit_read_blob(a, &t->json, &t->json_size, CTS_CHANGESET_MAX_BYTES, &j->json,
	                          &j->jl)) < 0) {
		j->json_rc = rc;
		snprintf(j->json_msg, sizeof(j->json_msg), "%s", cts_error_message());
		cts_error_clear();
		j->jl = 0;
		return;
	}
	if (t->has_sig && (rc = audit_read_blob(a, &t->sig, &t->sig_size, CTS_SIG_MAX_BYTES,
	                                        &j->sig, &j->sl)) < 0) {
		j->sig_rc = rc;
		snprintf(j->sig_msg, sizeof(j->sig_msg), "%s", cts_error_message());
		cts_error_clear();
		j->sl = 0;
	}
	reg = audit_reg_get(a, cc->node);
	if (cc->seq1_pk && t->seq == 1) {
		memcpy(j->pk, cc->seq1_pk, 32);
		j->have_key = 1;
	} else if (reg && audit_reg_pk(reg, j->pk) == 0) {
		j->have_key = 1;
	}
}

/* The file-level findings of one changeset (reading, signature file,
 * parse). 0 if the rules can judge it (*ok cleared on a finding), -1 if
 * it stops here. */
static int check_files(chain_ctx *cc, vjob *j, const cts_gitoid *cmt, const char *path,
                       const char *spath, int *ok)
{
	audit *a = cc->a;
	branch *b = cc->b;
	const char *node = cc->node;
	int64_t seq = j->t->seq;
	cts_gitoid cbuf;

	if (j->json_rc < 0) {
		if (j->json_rc == CTS_ENOMEM)
			a->oom = 1;
		audit_finding(a, j->json_rc == CTS_ELIMIT ? "too_large" : "unreadable_history",
		              node, seq, cmt, path, b->name, "%s", j->json_msg);
		return -1;
	}
	if (!j->t->has_sig) {
		audit_finding(a, "missing_signature", node, seq, cmt, spath, b->name,
		              "changeset n°%lld sans fichier de signature", (long long)seq);
		*ok = 0;
	} else if (j->sig_rc < 0) {
		if (j->sig_rc == CTS_ENOMEM)
			a->oom = 1;
		audit_finding(a, j->sig_rc == CTS_ELIMIT ? "too_large" : "unreadable_history", node,
		              seq, audit_commit_of(b, spath, &cbuf), spath, b->name,
		              "signature : %s", j->sig_msg);
		*ok = 0;
	}
	if (j->cs)
		return 0;
	if (j->bad_kind == BAD_TOO_LARGE) {
		audit_finding(a, "too_large", node, seq, cmt, path, b->name, "%s", j->parse_msg);
	} else if (j->bad_kind == BAD_NON_CANONICAL) {
		audit_finding(a, "non_canonical", node, seq, cmt, path, b->name,
		              "le fichier n'est pas sous forme canonique (RFC 8785 suivi d'un seul "
		              "saut de ligne)%s",
		              j->sig_ok
		                  ? " alors que sa signature est valide : il est refusé quand même"
		                  : "");
	} else {
		audit_finding(a, "invalid_changeset", node, seq, cmt, path, b->name,
		              "changeset invalide : %s", j->parse_msg);
	}
	return -1;
}

/* The findings of the acceptance rules (accept.h), each broken rule once. */
static void report_rules(chain_ctx *cc, const cts_changeset *cs, const cts_accept_view *view,
                         const cts_accept_verdict *jv, const cts_gitoid *cmt, const char *path)
{
	audit *a = cc->a;
	const char *node = cc->node, *bn = cc->b->name;
	int64_t seq = cs->seq;
	int authority = view->role && strcmp(view->role, "authority") == 0;

	if (jv->broken & CTS_RULE_PREV)
		audit_finding(
		    a, "broken_chain", node, seq, cmt, path, bn,
		    "« prev » (%.12s…) ne désigne pas le changeset n°%lld présent dans le "
		    "dépôt (%.12s…)",
		    cs->prev ? cs->prev : "", (long long)(seq - 1), view->prev_id);
	if (jv->broken & CTS_RULE_TERRITORY)
		audit_finding(a, "wrong_territory", node, seq, cmt, path, bn,
		              "changeset du territoire « %s » alors que %s est inscrit pour « %s »",
		              cs->territory, node, view->territory);
	if (jv->broken & CTS_RULE_REVOKED)
		audit_notice(a, "revoked_ignored", node, seq, cmt, path, bn,
		             "%s révoqué après le n°%lld : ce changeset est ignoré par tous les "
		             "nœuds, comme prévu",
		             node, (long long)view->revoked_after);
	if (jv->broken & CTS_RULE_TABLE)
		audit_finding(
		    a, "unauthorized_table", node, seq, cmt, path, bn,
		    "%s %s écrit la table %s (opération %d, %d opération(s) interdite(s)) : %s",
		    authority ? "l'autorité" : "le nœud de territoire", node,
		    json_string_value(json_object_get(
		        json_array_get(cs->ops, (size_t)jv->first_table - 1), "table")),
		    jv->first_table, jv->bad_tables,
		    authority ? "l'autorité n'écrit que le registre et les données de référence"
		              : "un territoire n'écrit que les tables des territoires");
	if (jv->broken & CTS_RULE_VALUES)
		audit_finding(
		    a, "invalid_value", node, seq, cmt, path, bn,
		    "opération %d : %s (%d opération(s) refusée(s) par les règles des valeurs)",
		    jv->first_value, jv->value_why, jv->bad_values);
	if (jv->broken & CTS_RULE_REGISTRY)
		audit_finding(a, "registry_violation", node, seq, cmt, path, bn,
		              "opération %d : %s", jv->first_registry, jv->registry_why);
	if (jv->broken & CTS_RULE_SEALING_CLOCK)
		audit_finding(a, "future_hlc", node, seq, cmt, path, bn,
		              "horloge (HLC) en avance de %.1f h sur l'heure de scellement %s "
		              "(24 h au plus)",
		              (double)jv->ahead_ms / 3600000.0, cs->time);
}

/* The authority's replay: the registry grows only from valid changesets, in order. */
static void replay_authority(chain_ctx *cc, const cts_changeset *cs, int ok)
{
	size_t i;
	json_t *op;

	if (!cc->apply || !cc->applying)
		return;
	if (!ok) {
		cc->applying = 0;
		return;
	}
	json_array_foreach(cs->ops, i, op)
	{
		const char *table = json_string_value(json_object_get(op, "table"));
		uint64_t hlc = 0;
		cts_hlc_parse(&hlc, json_string_value(json_object_get(op, "hlc")));
		if (strcmp(table, "registry") == 0 &&
		    strcmp(json_string_value(json_object_get(op, "op")), "put") == 0)
			audit_apply_registry_put(cc->a, op, hlc);
		else if (strcmp(table, "checkpoint") == 0)
			audit_apply_checkpoint(cc->a, op, hlc, cs->seq);
	}
}

/* Main thread, after the work, in chain order: every finding of one
 * changeset; 1 if it passes every check. *id gets its hash. The rules are
 * the importer's (accept.h), judged against the replayed registry. */
static int check_changeset(chain_ctx *cc, vjob *j, const char *prev_id, int prev_known, char id[65])
{
	audit *a = cc->a;
	branch *b = cc->b;
	const char *node = cc->node;
	const tip_entry *t = j->t;
	char path[160], spath[168];
	const cts_gitoid *cmt;
	cts_gitoid cbuf;
	cts_changeset *cs = j->cs;
	cts_accept_view view = { 0 };
	cts_accept_verdict jv;
	int ok = 1, have_key = j->have_key;
	int64_t seq = t->seq;

	id[0] = '\0';
	audit_changeset_path(path, sizeof(path), node, seq, 0);
	audit_changeset_path(spath, sizeof(spath), node, seq, 1);
	cmt = audit_commit_of(b, path, &cbuf);
	if (j->json_rc == 0)
		memcpy(id, j->id, 65);
	if (check_files(cc, j, cmt, path, spath, &ok) < 0)
		return 0;
	if (strcmp(cs->node, node) != 0 || cs->seq != seq) {
		audit_finding(a, "misplaced_changeset", node, seq, cmt, path, b->name,
		              "le contenu dit nœud %s n°%lld mais le fichier est rangé en %s",
		              cs->node, (long long)cs->seq, path);
		ok = 0;
	}
	/* Signature for the enrolled key (unknown_signer is reported once per branch). */
	if (have_key && t->has_sig && j->sig_rc == 0 && j->vrc < 0) {
		const char *who = NULL;
		if (j->vrc == CTS_ECRYPTO && memcmp(j->signer, j->pk, 32) != 0)
			who = audit_node_of_key(a, j->signer);
		audit_finding(a, "bad_signature", node, seq, cmt, spath, b->name,
		              "la signature ne vérifie pas avec la clé inscrite de %s : %s%s%s",
		              node, j->vmsg, who ? " (signé avec la clé du nœud " : "",
		              who ? who : "");
	}
	if (have_key && t->has_sig && j->sig_rc == 0 && j->vrc == 0 &&
	    !check_evidence(a, b, cs, cmt, path))
		ok = 0;
	/* The acceptance rules, against the replay: the previous changeset
	 * present (else the gap is the finding, missing_changeset), forks
	 * counted from every version seen. */
	audit_reg_view(a, node, &view);
	if (!view.role && cc->seq1_pk && seq == 1)
		view.role = "authority"; /* the authority's own enrolment */
	view.known = have_key;
	view.sig_ok = t->has_sig && j->sig_rc == 0 && j->vrc == 0;
	view.last_seq = prev_known ? seq - 1 : 0;
	view.prev_id = prev_known ? prev_id : NULL;
	view.fork_from = in_fork(a, node, seq) ? seq : 0;
	view.sealing_rule = 1;
	audit_parse_time_ms(cs->time, &view.sealed_ms);
	cts_accept_judge(cs, &view, &jv);
	report_rules(cc, cs, &view, &jv, cmt, path);
	if (jv.state != CTS_ACCEPT_OK)
		ok = 0;
	if (ok)
		note_witnesses(a, node, seq, cs->seen);
	replay_authority(cc, cs, ok);
	return ok;
}

/* Checkpointed changesets of the other chains: blob id -> changeset id, so
 * that audit_check_checkpoints does not read and hash them again. */
static void remember_checkpointed(audit *a, const char *node, const tip_entry *t, const char *id)
{
	char key[96], hex[CTS_GITOID_HEXSZ + 1];

	if (!a->cp_wanted || !id[0])
		return;
	snprintf(key, sizeof(key), "%s/%lld", node, (long long)t->seq);
	if (!json_object_get(a->cp_wanted, key))
		return;
	audit_oid_hex(hex, &t->json);
	if (json_object_set_new(a->cp_ids, hex, json_string(id)) < 0)
		a->oom = 1;
}

int audit_verify_chain(audit *a, branch *b, int apply, const unsigned char *seq1_pk)
{
	tip_list l = { 0 };
	char dir[128], prev_id[65] = "", path[160];
	int64_t expected = 1, verified = 0, count = 0, prev_seq = 0;
	chain_ctx cc = { a, b, b->node, apply, seq1_pk, apply };
	vpool *p = a->pool;
	size_t next = 0; /* next entry to queue */
	int rc;

	snprintf(dir, sizeof(dir), "changesets/%s", b->node);
	rc = cts_gitrepo_list_dir(a->repo, &b->tip, dir, CTS_AUDIT_MAX_DIR_ENTRIES, tip_cb, &l);
	if (l.oom) {
		free(l.v);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	if (rc < 0) {
		audit_finding(a, "unreadable_history", b->node, 0, &b->tip, dir, b->name,
		              "dossier %s illisible : %s", dir, cts_error_message());
		cts_error_clear();
		free(l.v);
		return 0;
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), tip_entry_cmp);
	for (size_t i = 0; i < l.n; i++) {
		tip_entry *t = &l.v[i];
		char id[65];
		int prev_known;
		vjob *j;

		if (i > 0 && t->seq == l.v[i - 1].seq)
			continue; /* a malformed tree listing one name twice */
		if (t->seq > expected) {
			audit_changeset_path(path, sizeof(path), b->node, expected, 0);
			if (t->seq == expected + 1)
				audit_finding(
				    a, "missing_changeset", b->node, expected, &b->tip, path,
				    b->name,
				    "le changeset n°%lld manque : la chaîne de %s a un trou",
				    (long long)expected, b->node);
			else
				audit_finding(
				    a, "missing_changeset", b->node, expected, &b->tip, path,
				    b->name,
				    "les changesets n°%lld à n°%lld manquent : la chaîne de %s "
				    "a un trou",
				    (long long)expected, (long long)(t->seq - 1), b->node);
			cc.applying = 0;
		}
		expected = t->seq + 1;
		if (!t->has_json) {
			char spath[168];
			cts_gitoid cbuf;
			audit_changeset_path(spath, sizeof(spath), b->node, t->seq, 1);
			audit_finding(
			    a, "orphan_signature", b->node, t->seq,
			    audit_commit_of(b, spath, &cbuf), spath, b->name,
			    "signature sans changeset : le changeset n°%lld manque, la chaîne "
			    "de %s a un trou",
			    (long long)t->seq, b->node);
			cc.applying = 0;
			continue;
		}
		/* Queue this changeset and the next ones (in chain order). The
		 * authority's chain changes the registry as it goes: one at a time. */
		if (next <= i)
			next = i; /* the window is empty: nothing past i is queued */
		while (next < l.n && (next == i || (!apply && audit_pool_has_room(p)))) {
			tip_entry *u = &l.v[next];
			if (!(next > 0 && u->seq == l.v[next - 1].seq) && u->has_json) {
				job_prepare(&cc, u, audit_pool_slot(p));
				audit_pool_submit(p);
			}
			next++;
		}
		j = audit_pool_wait_oldest(p);
		/* `prev` is checked against the previous changeset when it is there
		 * and readable; otherwise its absence is the finding. */
		prev_known = t->seq == prev_seq + 1 && prev_id[0];
		count++;
		if (check_changeset(&cc, j, prev_id, prev_known, id))
			verified++;
		audit_pool_retire(p);
		if (!apply)
			remember_checkpointed(a, b->node, t, id);
		snprintf(prev_id, sizeof(prev_id), "%s", id);
		prev_seq = t->seq;
		a->changesets_seen++;
		audit_progress(a, "changesets vérifiés", 0);
		if (a->oom)
			break;
	}
	/* Jobs queued past an early stop. */
	while (audit_pool_pending(p)) {
		audit_pool_wait_oldest(p);
		audit_pool_retire(p);
	}
	audit_summary_add(a, b->node, "changesets", count);
	audit_summary_add(a, b->node, "verified", verified);
	if (l.n > 0)
		json_object_set_new(audit_node_summary(a, b->node), "last_seq",
		                    json_integer((json_int_t)l.v[l.n - 1].seq));
	if (l.n > 0 && prev_seq == l.v[l.n - 1].seq && prev_id[0])
		json_object_set_new(audit_node_summary(a, b->node), "head_id",
		                    json_string(prev_id));
	free(l.v);
	return a->oom ? cts_error_set(CTS_ENOMEM, "mémoire insuffisante") : 0;
}
