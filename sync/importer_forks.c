/* The importer's forks (SPEC §6, sync/forkproof.h) and witnesses. */
#include "importer_impl.h"

#include "error.h"
#include "forkproof.h"
#include "incident.h"
#include "journal.h"
#include "scope.h"
#include "sshsig.h"
#include "tables.h"

#include <stdio.h>
#include <string.h>

/* ---- forks (SPEC §6, sync/forkproof.h) ---- */

/* The lowest forked seq of node this node knows of, 0 if none. */
static int fork_cut(cts_node *n, const char *node, int64_t *from)
{
	sqlite3_stmt *s;
	int rc;

	*from = 0;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT min(seq) FROM fork_known WHERE node = ?")) <
	    0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER)
		*from = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : cts_store_error(n->store, "lecture des bifurcations");
}

/* A fork of (node, seq) is proven by versions x and y (both verified with
 * node's key, bodies present): remember it (once), report it, and replay
 * the view if something it cuts off was already applied. */
static int fork_learn(cts_node *n, const char *node, int64_t seq, const cts_fork_version *x,
                      const cts_fork_version *y, eval_ctx *e)
{
	const cts_fork_version *a = strcmp(x->id, y->id) < 0 ? x : y, *b = a == x ? y : x;
	const cts_store_val v[] = { CTS_VTEXT(a->id),
		                    CTS_VTEXT(b->id),
		                    CTS_VBLOB(a->body, a->body_len),
		                    CTS_VBLOB(a->sig, a->sig_len),
		                    CTS_VBLOB(b->body, b->body_len),
		                    CTS_VBLOB(b->sig, b->sig_len) };
	char detail[300];
	int64_t last;
	int rc;

	if ((rc = cts_store_run_cs(
	         n->store,
	         "INSERT INTO fork_known (node, seq, id_a, id_b, body_a, sig_a, body_b, sig_b,"
	         " first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', "
	         "'now'))"
	         " ON CONFLICT (node, seq) DO NOTHING",
	         node, seq, v, 6, "enregistrement d'une bifurcation")) < 0)
		return rc;
	if (sqlite3_changes(n->store->db) == 0)
		return 0; /* known already */
	if (e->st)
		e->st->forks++;
	snprintf(detail, sizeof(detail),
	         "deux versions signées du changeset n°%lld de %s : %.12s… et %.12s…",
	         (long long)seq, node, a->id, b->id);
	if ((rc = cts_incident_add(n->store, "fork", node, seq, detail)) < 0 ||
	    (rc = cts_history_last(n, node, &last)) < 0)
		return rc;
	if (last >= seq)
		e->need_rebuild = 1;
	return 0;
}

/* Another version of (node, seq) than `self`, verified with pk, that this
 * node holds (applied, or in the inbox in any state): a fork. */
static int fork_find_local(cts_node *n, const cts_fork_version *self, const char *node, int64_t seq,
                           const unsigned char pk[32], eval_ctx *e)
{
	char have[65];
	sqlite3_stmt *s;
	json_t *rows = NULL, *row;
	size_t i;
	int rc;

	if ((rc = cts_history_id(n, node, seq, have)) < 0)
		return rc;
	if (have[0] && strcmp(have, self->id) != 0) {
		cts_fork_version o = { .body = NULL };
		char *json = NULL, *sig = NULL;
		/* Applied: verified then; its bytes are in the history. */
		if ((rc = cts_history_get(n, node, seq, &json, &o.body_len, &sig, &o.sig_len)) < 0)
			return cts_error_prefix(rc, "bifurcation de %s n°%lld : ", node,
			                        (long long)seq);
		memcpy(o.id, have, sizeof(o.id));
		o.body = json;
		o.sig = sig;
		rc = fork_learn(n, node, seq, self, &o, e);
		free(json);
		free(sig);
		return rc;
	}
	if ((rc = cts_store_stmt_cs(
	         n->store, &s,
	         "SELECT id, CAST(body AS TEXT) AS body, CAST(sig AS TEXT) AS sig FROM inbox"
	         " WHERE node = ? AND seq = ? AND id <> ? ORDER BY id",
	         node, seq)) < 0)
		return rc;
	sqlite3_bind_text(s, 3, self->id, -1, SQLITE_STATIC);
	if ((rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row)
	{
		json_t *body = json_object_get(row, "body"), *sig = json_object_get(row, "sig");
		cts_fork_version o = { .body = json_string_value(body),
			               .body_len = json_string_length(body),
			               .sig = json_string_value(sig),
			               .sig_len = json_string_length(sig) };
		cts_changeset *cs = NULL;
		int valid;

		if (!o.body || !o.sig)
			continue;
		valid = cts_changeset_parse(&cs, o.body, o.body_len) == 0 &&
		        strcmp(cs->node, node) == 0 && cs->seq == seq &&
		        cts_sshsig_verify(o.sig, o.sig_len, pk, CTS_SIG_NAMESPACE,
		                          (const unsigned char *)o.body, o.body_len, NULL) == 0;
		cts_changeset_free(cs);
		cts_error_clear();
		if (!valid)
			continue; /* not a version signed by node: no fork */
		snprintf(o.id, sizeof(o.id), "%s", json_string_value(json_object_get(row, "id")));
		rc = fork_learn(n, node, seq, self, &o, e);
		break;
	}
	json_decref(rows);
	return rc;
}

int import_fork_facts(cts_node *n, const cts_changeset *cs, const unsigned char pk[32],
                      const char *sig, size_t sig_len, int64_t *from, eval_ctx *e)
{
	cts_fork_version self = {
		.body = cs->bytes, .body_len = cs->len, .sig = sig, .sig_len = sig_len
	};
	int rc;

	memcpy(self.id, cs->id, sizeof(self.id));
	if ((rc = fork_find_local(n, &self, cs->node, cs->seq, pk, e)) < 0)
		return rc;
	return fork_cut(n, cs->node, from);
}

/* A version carried by fork evidence becomes a received changeset like
 * any other (unless it is the one applied here). */
static int relay_version(cts_node *n, const char *node, int64_t seq, const cts_fork_version *v,
                         eval_ctx *e)
{
	const cts_store_val vals[] = { CTS_VTEXT(v->id), CTS_VBLOB(v->body, v->body_len),
		                       CTS_VBLOB(v->sig, v->sig_len) };
	char have[65];
	int rc;

	if ((rc = cts_history_id(n, node, seq, have)) < 0 || strcmp(have, v->id) == 0)
		return rc;
	if ((rc = cts_store_run_cs(
	         n->store,
	         "INSERT INTO inbox (node, seq, id, state, reason, body, sig)"
	         " VALUES (?, ?, ?, 'pending', 'recopié d''une preuve de bifurcation', ?, ?)"
	         " ON CONFLICT (node, seq, id) DO NOTHING",
	         node, seq, vals, 3, "mise en file d'une version recopiée")) < 0)
		return rc;
	if (sqlite3_changes(n->store->db) > 0)
		e->relayed = 1;
	return 0;
}

/* Fork evidence carried by an authenticated changeset: every record must
 * be valid (else the changeset is refused) and checkable (else it waits
 * for the forked node's enrolment); the versions it carries are then
 * received like any changeset, and a complete pair proves the fork.
 * EV_ACCEPT: go on with the other checks. */
verdict import_take_evidence(cts_node *n, const cts_changeset *cs, eval_ctx *e)
{
	size_t i;
	json_t *op;
	cts_fork_version v[2];
	char why[400];

	for (int learn = 0; learn < 2; learn++) {
		json_array_foreach(cs->ops, i, op)
		{
			const char *node;
			int64_t seq;
			unsigned char pk[32];
			int known, rc;

			if (strcmp(json_string_value(json_object_get(op, "table")), "fork") != 0)
				continue;
			cts_fork_evidence_target(op, &node, &seq);
			known = node && cts_valid_node_id(node) &&
			        import_expected_key(n, node, pk) == 0;
			rc = cts_fork_evidence_check(op, known ? pk : NULL, v, why, sizeof(why));
			if (rc < 0) {
				snprintf(e->reason, sizeof(e->reason),
				         "preuve de bifurcation invalide (opération %zu) : %s",
				         i + 1, why);
				return EV_REFUSED;
			}
			if (rc == 1) {
				snprintf(e->reason, sizeof(e->reason),
				         "en attente de l'inscription de %s pour vérifier sa "
				         "bifurcation (opération %zu)",
				         node, i + 1);
				return EV_PENDING;
			}
			if (!learn)
				continue;
			for (int k = 0; k < 2; k++)
				if (v[k].body && relay_version(n, node, seq, &v[k], e) < 0)
					return import_refuse(e, "", cts_error_message());
			if (v[0].body && v[1].body && fork_learn(n, node, seq, &v[0], &v[1], e) < 0)
				return import_refuse(e, "", cts_error_message());
		}
	}
	return EV_ACCEPT;
}

/* ---- witnesses ---- */

/* Does this node hold changeset (node, seq): applied, or received in any
 * state (pending, held, refused: a refused changeset still existed)? */
static int holds(cts_node *n, const char *node, int64_t seq, int *yes)
{
	int64_t v;
	int rc =
	    cts_store_int_cs(n->store,
	                     "SELECT EXISTS (SELECT 1 FROM changeset WHERE node = ?1 AND seq = ?2)"
	                     " OR EXISTS (SELECT 1 FROM inbox WHERE node = ?1 AND seq = ?2)",
	                     node, seq, &v, "lecture de l'historique");

	*yes = v != 0;
	return rc;
}

/* Every node the changeset's author says it had seen (`seen`) is a
 * witness: a changeset it names that this node does not hold makes the
 * changeset wait (never applied silently over a truncated history); when
 * the fetched branch is known to end before it, the evidence is kept as
 * an incident. EV_ACCEPT: go on. */
verdict import_check_seen(cts_node *n, const cts_changeset *cs, eval_ctx *e)
{
	const char *other;
	json_t *v;

	json_object_foreach(cs->seen, other, v)
	{
		int64_t s = json_integer_value(v);
		int yes = 0, reads = cts_scope_reads_node(n, other, NULL);

		if (reads < 0)
			return import_refuse(e, "", cts_error_message());
		if (!reads)
			continue; /* a node this device does not read is not waited for */
		if (holds(n, other, s, &yes) < 0)
			return import_refuse(e, "", cts_error_message());
		if (yes)
			continue;
		snprintf(e->reason, sizeof(e->reason),
		         "en attente du changeset n°%lld de %s, que %s dit avoir déjà reçu (« seen "
		         "») : pas encore publié, "
		         "branche de %s tronquée ou « seen » mensonger",
		         (long long)s, other, cs->node, other);
		if (e->final_pass && e->st && e->st->published &&
		    e->st->published(other, s, e->st->published_ctx) == 0) {
			char detail[400];
			snprintf(detail, sizeof(detail),
			         "la branche nodes/%s s'arrête avant le changeset n°%lld que %s "
			         "n°%lld dit avoir vu : "
			         "branche tronquée ou « seen » mensonger",
			         other, (long long)s, cs->node, (long long)cs->seq);
			if (cts_incident_add(n->store, "truncated_branch", other, s, detail) < 0)
				return import_refuse(e, "", cts_error_message());
		}
		return EV_PENDING;
	}
	return EV_ACCEPT;
}
