/* One received changeset: the facts of the registry view (SQL), the
 * acceptance rules (accept.h), then the apply. */
#include "importer_impl.h"

#include "accept.h"
#include "error.h"
#include "hlc.h"
#include "journal.h"
#include "key.h"
#include "record.h"
#include "registry.h"
#include "sshsig.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

verdict import_refuse(eval_ctx *e, const char *what, const char *detail)
{
	snprintf(e->reason, sizeof(e->reason), "%s%s", what, detail ? detail : "");
	return EV_REFUSED;
}

/* After an authority changeset: has a revocation cut off changesets that
 * were already applied? Then the view must be replayed. */
static int revocation_cuts(cts_node *n, int *cut)
{
	sqlite3_stmt *s;
	int rc;

	*cut = 0;
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT 1 FROM registry r JOIN changeset c ON c.node = r.node"
	         " WHERE r.revoked_after IS NOT NULL AND c.seq > r.revoked_after LIMIT 1")) < 0)
		return rc;
	*cut = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return 0;
}

static int apply_ops(cts_node *n, const cts_changeset *cs)
{
	size_t i;
	json_t *op;
	int rc;

	json_array_foreach(cs->ops, i, op)
	{
		const char *table = json_string_value(json_object_get(op, "table"));
		const char *rid = json_string_value(json_object_get(op, "id"));
		cts_stamp w = { .node = cs->node,
			        .territory = cs->territory,
			        .seq = cs->seq,
			        .seen = cs->seen };

		cts_hlc_parse(&w.hlc, json_string_value(json_object_get(op, "hlc")));
		if (strcmp(json_string_value(json_object_get(op, "op")), "put") == 0)
			rc = cts_record_apply_put(n->store, cts_table_find(table), &w, rid,
			                          json_object_get(op, "set"));
		else
			rc = cts_record_apply_del(n->store, cts_table_find(table), &w, rid);
		if (rc < 0)
			return cts_error_prefix(rc, "opération %zu : ", i + 1);
	}
	return 0;
}

/* Verify sig over json with pk, reusing the pre-check when it used the
 * same key. *why: the reason of a refusal. */
static int verify_sig(cts_precheck *pre, const unsigned char pk[32], const char *sig,
                      size_t sig_len, const char *json, size_t json_len, const char **why)
{
	int rc;

	if (pre->have_pk && memcmp(pre->pk, pk, 32) == 0) {
		*why = pre->sig_error ? pre->sig_error : "mémoire insuffisante";
		return pre->sig_rc;
	}
	rc = cts_sshsig_verify(sig, sig_len, pk, CTS_SIG_NAMESPACE, (const unsigned char *)json,
	                       json_len, NULL);
	*why = cts_error_message();
	return rc;
}

/* ---- the registry view, backed by SQL ---- */

static int view_entry(void *ctx, const char *node, cts_accept_entry *out)
{
	cts_registry_entry cur;
	int rc = cts_registry_get(ctx, node, &cur);

	if (rc == CTS_ENOTFOUND) {
		cts_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	snprintf(out->key, sizeof(out->key), "%s", cur.key);
	snprintf(out->territory, sizeof(out->territory), "%s", cur.territory);
	snprintf(out->role, sizeof(out->role), "%s", cur.role);
	rc = strlen(cur.key) < sizeof(out->key) && strlen(cur.territory) < sizeof(out->territory) &&
	     strlen(cur.role) < sizeof(out->role);
	cts_registry_entry_dispose(&cur);
	return rc ? 1
	          : cts_error_set(CTS_ELIMIT, "registre : inscription de %.64s trop longue", node);
}

static int view_node_of(void *ctx, const char *rid, char node[65])
{
	cts_node *n = ctx;
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "SELECT node FROM registry WHERE id = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, rid, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(node, 65, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : cts_store_error(n->store, "lecture du registre");
}

/* The signer's facts: its registry entry, or our own key, or the pinned
 * authority key (not enrolled yet), and whether the signature verifies.
 * view->known 0 when none signs for node. EV_ACCEPT unless a local fact
 * is unreadable. */
static verdict signer_facts(cts_node *n, const cts_changeset *cs, const char *json, size_t json_len,
                            const char *sig, size_t sig_len, cts_precheck *pre,
                            cts_registry_entry *reg, unsigned char pk[32], char **pinned_node,
                            cts_accept_view *view, char *sig_why, size_t why_len, eval_ctx *e)
{
	const char *node = cs->node, *why;
	int rc;

	if (strcmp(node, n->id) == 0) {
		char *line = NULL;
		rc = cts_store_meta_get(n->store, "public_key", &line);
		reg->key = line;
		reg->territory = strdup(n->territory);
		reg->role = strdup(n->role == CTS_ROLE_AUTHORITY ? "authority" : "territory");
		reg->revoked_after = -1;
		if (rc < 0 || !reg->territory || !reg->role)
			return import_refuse(e, "clé du nœud illisible", NULL);
	} else if ((rc = cts_registry_get(n, node, reg)) == CTS_ENOTFOUND) {
		/* Not enrolled. The authority is recognised by its pinned key. */
		cts_error_clear();
		cts_store_meta_get(n->store, "authority_node", pinned_node);
		if (!((!*pinned_node || strcmp(*pinned_node, node) == 0) && n->authority_key &&
		      cts_key_parse_public_line(pk, n->authority_key) == 0 &&
		      verify_sig(pre, pk, sig, sig_len, json, json_len, &why) == 0))
			return EV_ACCEPT; /* view->known stays 0 */
		reg->key = strdup(n->authority_key);
		reg->territory = strdup(cs->territory);
		reg->role = strdup("authority");
		reg->revoked_after = -1;
	} else if (rc < 0) {
		return import_refuse(e, "", cts_error_message());
	}
	if (!reg->key || !reg->territory || !reg->role ||
	    cts_key_parse_public_line(pk, reg->key) < 0)
		return import_refuse(e, "clé inscrite invalide", NULL);
	view->known = 1;
	view->territory = reg->territory;
	view->role = reg->role;
	view->revoked_after = reg->revoked_after;
	view->sig_ok = verify_sig(pre, pk, sig, sig_len, json, json_len, &why) == 0;
	snprintf(sig_why, why_len, "%s", view->sig_ok ? "" : why);
	view->sig_why = sig_why;
	return EV_ACCEPT;
}

/* The chain's facts: last applied seq, the id applied at cs->seq (a
 * duplicate or another version) or at cs->seq - 1 (its `prev`). */
static int chain_facts(cts_node *n, const cts_changeset *cs, cts_accept_view *view, char here[65],
                       char prev[65])
{
	int rc;

	here[0] = prev[0] = '\0';
	if ((rc = cts_history_last(n, cs->node, &view->last_seq)) < 0)
		return rc;
	if (cs->seq <= view->last_seq)
		rc = cts_history_id(n, cs->node, cs->seq, here);
	else if (cs->seq == view->last_seq + 1 && cs->seq > 1)
		rc = cts_history_id(n, cs->node, cs->seq - 1, prev);
	view->here_id = here;
	view->prev_id = prev;
	return rc;
}

/* Apply, all or nothing. */
static verdict apply_changeset(cts_node *n, const cts_changeset *cs, const char *role, int pinned,
                               const char *json, size_t json_len, const char *sig, size_t sig_len,
                               eval_ctx *e)
{
	int rc, is_self = strcmp(cs->node, n->id) == 0;

	if ((rc = cts_store_begin(n->store)) < 0)
		return import_refuse(e, "", cts_error_message());
	if ((rc = apply_ops(n, cs)) < 0 || (rc = cts_history_record(n, cs)) < 0 ||
	    (rc = cts_store_hlc_observe(n->store, cs->hlc_max)) < 0 ||
	    (strcmp(role, "authority") == 0 && !is_self && !pinned &&
	     (rc = cts_store_meta_set(n->store, "authority_node", cs->node)) < 0) ||
	    (rc = cts_history_write(n, cs->node, cs->seq, json, json_len, sig, sig_len)) < 0) {
		cts_store_rollback(n->store);
		if (rc == CTS_EIO || rc == CTS_EDB || rc == CTS_EBUSY || rc == CTS_ENOMEM) {
			/* Our failure, not the changeset's: keep it pending. */
			snprintf(e->reason, sizeof(e->reason), "non appliqué (erreur locale) : %s",
			         cts_error_message());
			return EV_PENDING;
		}
		return import_refuse(e, "", cts_error_message());
	}
	if ((rc = cts_store_commit(n->store)) < 0) {
		cts_store_rollback(n->store);
		snprintf(e->reason, sizeof(e->reason), "non appliqué (erreur locale) : %s",
		         cts_error_message());
		return EV_PENDING;
	}
	if (strcmp(role, "authority") == 0) {
		int cut = 0;
		if (revocation_cuts(n, &cut) == 0 && cut)
			e->need_rebuild = 1;
	}
	return EV_ACCEPT;
}

/* The facts the rules need, in this order: signer and signature; fork
 * evidence carried by an authenticated changeset (before anything that
 * depends on the order things arrived in, so that every node learns the
 * same forks); forks of this chain; chain; clock. Then the rules
 * (accept.h), witnesses and the apply. */
static verdict judge(cts_node *n, const cts_changeset *cs, const char *json, size_t json_len,
                     const char *sig, size_t sig_len, cts_precheck *pre, cts_registry_entry *reg,
                     char **pinned_node, eval_ctx *e)
{
	cts_accept_view view = {
		.revoked_after = -1, .entry = view_entry, .node_of = view_node_of, .ctx = n
	};
	cts_accept_verdict jv;
	unsigned char pk[32];
	char here[65], prev[65], sig_why[400];
	verdict v;

	if ((v = signer_facts(n, cs, json, json_len, sig, sig_len, pre, reg, pk, pinned_node, &view,
	                      sig_why, sizeof(sig_why), e)) != EV_ACCEPT)
		return v;
	if (view.known && view.sig_ok &&
	    ((v = import_take_evidence(n, cs, e)) != EV_ACCEPT ||
	     import_fork_facts(n, cs, pk, sig, sig_len, &view.fork_from, e) < 0))
		return v != EV_ACCEPT ? v : import_refuse(e, "", cts_error_message());
	if (chain_facts(n, cs, &view, here, prev) < 0)
		return import_refuse(e, "", cts_error_message());
	view.clock_rule = 1;
	view.now_ms = n->store->clock(n->store->clock_ctx);
	cts_accept_judge(cs, &view, &jv);
	snprintf(e->reason, sizeof(e->reason), "%s", jv.reason);
	switch (jv.state) {
	case CTS_ACCEPT_OK:
		return EV_ACCEPT;
	case CTS_ACCEPT_DUPLICATE:
		return EV_DUPLICATE;
	case CTS_ACCEPT_PENDING:
		return EV_PENDING;
	case CTS_ACCEPT_HELD:
		return EV_HELD;
	case CTS_ACCEPT_IGNORED:
		e->ignored = 1;
		return EV_REFUSED;
	case CTS_ACCEPT_REFUSED:
		break;
	}
	if (jv.rule == CTS_RULE_SEQ_TAKEN)
		e->need_rebuild = 1; /* a second version found above; kept as a safety net */
	return EV_REFUSED;
}

verdict import_evaluate(cts_node *n, const char *node, int64_t seq, const char *id,
                        const char *json, size_t json_len, const char *sig, size_t sig_len,
                        cts_precheck *pre, eval_ctx *e)
{
	cts_changeset *cs = NULL;
	cts_registry_entry reg = { 0 };
	char *pinned_node = NULL;
	verdict v;

	(void)id; /* cs->id: the same hash */
	e->reason[0] = '\0';
	if (!pre->cs)
		return import_refuse(e, "format invalide : ",
		                     pre->parse_error ? pre->parse_error : "mémoire insuffisante");
	cs = pre->cs;
	pre->cs = NULL;
	if (strcmp(cs->node, node) != 0 || cs->seq != seq)
		v = import_refuse(
		    e, "le contenu (nœud, numéro) ne correspond pas à l'emplacement du fichier",
		    NULL);
	else if ((v = judge(n, cs, json, json_len, sig, sig_len, pre, &reg, &pinned_node, e)) ==
	             EV_ACCEPT &&
	         (v = import_check_seen(n, cs, e)) == EV_ACCEPT)
		v = apply_changeset(n, cs, reg.role, pinned_node != NULL, json, json_len, sig,
		                    sig_len, e);
	cts_registry_entry_dispose(&reg);
	cts_changeset_free(cs);
	free(pinned_node);
	return v;
}

int import_expected_key(cts_node *n, const char *node, unsigned char pk[32])
{
	cts_registry_entry reg;
	char *line = NULL, *pinned = NULL;
	int rc = -1;

	if (strcmp(node, n->id) == 0) {
		if (cts_store_meta_get(n->store, "public_key", &line) == 0 && line &&
		    cts_key_parse_public_line(pk, line) == 0)
			rc = 0;
		free(line);
	} else if (cts_registry_get(n, node, &reg) == 0) {
		rc = cts_key_parse_public_line(pk, reg.key) == 0 ? 0 : -1;
		cts_registry_entry_dispose(&reg);
	} else if (n->authority_key) {
		cts_store_meta_get(n->store, "authority_node", &pinned);
		if ((!pinned || strcmp(pinned, node) == 0) &&
		    cts_key_parse_public_line(pk, n->authority_key) == 0)
			rc = 0;
		free(pinned);
	}
	cts_error_clear();
	return rc;
}
