#include "importer.h"

#include "changeset.h"
#include "error.h"
#include "forkproof.h"
#include "hlc.h"
#include "incident.h"
#include "journal.h"
#include "key.h"
#include "precheck.h"
#include "record.h"
#include "registry.h"
#include "rules.h"
#include "sshsig.h"
#include "tables.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_MAX_NODES 4096
#define IMPORT_MAX_PER_NODE 10000000
/* Changesets are evaluated in batches: one transaction and one flush of
 * the history files per batch, signatures checked on every core. A batch
 * holds at most this many changesets and this many bytes of them. */
#define IMPORT_BATCH 512
#define IMPORT_BATCH_BYTES (1024 * 1024)

typedef enum { EV_ACCEPT, EV_PENDING, EV_HELD, EV_REFUSED, EV_DUPLICATE } verdict;

static const char *const state_names[] = { "accepted", "pending", "held", "refused", "duplicate" };

void cts_import_stats_dispose(cts_import_stats *st)
{
	if (st) {
		json_decref(st->events);
		st->events = NULL;
	}
}

/* ignored: a revoked node's changeset after its revocation, refused as
 * expected (state "ignored" in the events; "refused" in the inbox). */
static void add_event(cts_import_stats *st, const char *node, int64_t seq, verdict v, int ignored, const char *reason)
{
	if (!st)
		return;
	if (!st->events)
		st->events = json_array();
	json_array_append_new(st->events, json_pack("{s:s, s:I, s:s, s:s}", "node", node, "seq", (json_int_t)seq, "state",
						    ignored ? "ignored" : state_names[v], "reason", reason ? reason : ""));
}

/* ---- inbox ---- */

/* Queue a changeset; one refused with another signature gets a new chance
 * with this one (a repaired .sig file). */
static int inbox_put(cts_node *n, const char *node, int64_t seq, const char *id, const char *state, const char *reason,
		     const char *json, size_t json_len, const char *sig, size_t sig_len)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "INSERT INTO inbox (node, seq, id, state, reason, body, sig) VALUES (?, ?, ?, ?, ?, ?, ?)"
					       " ON CONFLICT (node, seq, id) DO UPDATE SET state = excluded.state,"
					       " reason = excluded.reason, sig = excluded.sig"
					       " WHERE inbox.state = 'refused' AND inbox.sig IS NOT excluded.sig")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, reason, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, json, (int)json_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 7, sig, (int)sig_len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(n->store, "mise en file d'un changeset reçu");
}

static int inbox_set(cts_node *n, const char *node, int64_t seq, const char *id, const char *state, const char *reason)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "UPDATE inbox SET state = ?, reason = ? WHERE node = ? AND seq = ? AND id = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, seq);
	sqlite3_bind_text(s, 5, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(n->store, "mise à jour de la file");
}

static int inbox_del(cts_node *n, const char *node, int64_t seq, const char *id)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "DELETE FROM inbox WHERE node = ? AND seq = ? AND id = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(n->store, "mise à jour de la file");
}

/* Id of the applied changeset (node, seq) into id[65]; "" if none. */
static int applied_id(cts_node *n, const char *node, int64_t seq, char id[65])
{
	sqlite3_stmt *s;
	int rc;

	id[0] = '\0';
	if ((rc = cts_store_stmt(n->store, &s, "SELECT id FROM changeset WHERE node = ? AND seq = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(id, 65, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cts_store_error(n->store, "lecture de l'historique");
}

static int last_applied(cts_node *n, const char *node, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT coalesce(max(seq), 0) FROM changeset WHERE node = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : cts_store_error(n->store, "lecture de l'historique");
}

int cts_import_offer(cts_node *n, const char *node, int64_t seq, const char *json, size_t json_len,
		     const char *sig, size_t sig_len, cts_import_stats *st)
{
	char id[65], have[65];
	int rc;

	if (!cts_valid_node_id(node) || seq < 1 || seq > IMPORT_MAX_PER_NODE)
		return cts_error_set(CTS_EINVAL, "changeset reçu mal nommé (nœud « %.64s », n°%lld)", node, (long long)seq);
	if (json_len > CTS_CHANGESET_MAX_BYTES || sig_len > CTS_SIG_MAX_BYTES)
		return cts_error_set(CTS_ELIMIT, "changeset %s n°%lld trop gros", node, (long long)seq);
	if (st)
		st->offered++;
	cts_changeset_hash(json, json_len, id);
	if ((rc = applied_id(n, node, seq, have)) < 0)
		return rc;
	if (have[0] && strcmp(have, id) == 0) {
		if (st)
			st->duplicates++;
		return 0;
	}
	return inbox_put(n, node, seq, id, "pending", "reçu, pas encore vérifié", json, json_len, sig, sig_len);
}

/* ---- evaluation ---- */

typedef struct {
	char reason[600];
	int need_rebuild;
	int wrote;      /* history files written, to be flushed before the commit */
	int relayed;    /* versions copied from fork evidence into the inbox: another pass */
	int final_pass; /* the last pass of a run: incidents are recorded */
	int ignored;    /* refused as expected: written by a revoked node after its revocation */
	cts_import_stats *st;
} eval_ctx;

static verdict refuse(eval_ctx *e, const char *what, const char *detail)
{
	snprintf(e->reason, sizeof(e->reason), "%s%s", what, detail ? detail : "");
	return EV_REFUSED;
}

/* Authority-only checks on registry operations. */
static int check_registry_op(cts_node *n, json_t *op, char *why, size_t whylen)
{
	const char *kind = json_string_value(json_object_get(op, "op"));
	const char *rid = json_string_value(json_object_get(op, "id"));
	json_t *set = json_object_get(op, "set");
	const char *node = json_string_value(json_object_get(set, "node"));
	const char *key = json_string_value(json_object_get(set, "key"));
	const char *terr = json_string_value(json_object_get(set, "territory_code"));
	const char *role = json_string_value(json_object_get(set, "role"));
	char name[96];
	cts_registry_entry cur;
	sqlite3_stmt *s;
	int rc;

	if (strcmp(kind, "del") == 0) {
		snprintf(why, whylen, "une inscription ne se supprime pas : elle se révoque");
		return -1;
	}
	if (json_object_get(set, "node") && !node) {
		snprintf(why, whylen, "registre : « node » invalide");
		return -1;
	}
	if (!node) {
		/* An update (revocation): the record must exist; find its node. */
		if (cts_store_stmt(n->store, &s, "SELECT node FROM registry WHERE id = ?") < 0)
			return -1;
		sqlite3_bind_text(s, 1, rid, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			snprintf(why, whylen, "registre : mise à jour d'une inscription inconnue");
			return -1;
		}
		snprintf(name, sizeof(name), "%.64s", (const char *)sqlite3_column_text(s, 0));
		sqlite3_reset(s);
		node = name;
	}
	if (cts_registry_check_entry(node, rid, set, why, whylen) < 0)
		return -1;
	rc = cts_registry_get(n, node, &cur);
	if (rc == 0) {
		int changed = (key && strcmp(key, cur.key) != 0) || (terr && strcmp(terr, cur.territory) != 0) ||
			      (role && strcmp(role, cur.role) != 0);
		cts_registry_entry_dispose(&cur);
		if (changed) {
			snprintf(why, whylen, "registre : la clé, le territoire et le rôle de %.64s ne changent pas "
					      "(inscrire un nouvel identifiant et révoquer l'ancien)", node);
			return -1;
		}
	} else if (rc == CTS_ENOTFOUND) {
		if (!key || !terr || !role) {
			snprintf(why, whylen, "registre : inscription de %.64s incomplète (clé, territoire, rôle)", node);
			return -1;
		}
	} else {
		snprintf(why, whylen, "%s", cts_error_message());
		return -1;
	}
	return 0;
}

/* The domain rules (rules.h) of a put's values; 0 with why filled if one is refused. */
static int rules_ok(json_t *op, char *why, size_t whylen)
{
	cts_rule_violation rv;

	if (cts_rules_check_set(json_string_value(json_object_get(op, "table")), json_object_get(op, "set"), &rv) == 0)
		return 1;
	cts_error_clear();
	cts_rules_describe(&rv, why, whylen);
	return 0;
}

/* After an authority changeset: has a revocation cut off changesets that
 * were already applied? Then the view must be replayed. */
static int revocation_cuts(cts_node *n, int *cut)
{
	sqlite3_stmt *s;
	int rc;

	*cut = 0;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT 1 FROM registry r JOIN changeset c ON c.node = r.node"
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

	json_array_foreach(cs->ops, i, op) {
		const char *table = json_string_value(json_object_get(op, "table"));
		const char *rid = json_string_value(json_object_get(op, "id"));
		cts_stamp w = { .node = cs->node, .territory = cs->territory, .seq = cs->seq, .seen = cs->seen };

		cts_hlc_parse(&w.hlc, json_string_value(json_object_get(op, "hlc")));
		if (strcmp(json_string_value(json_object_get(op, "op")), "put") == 0)
			rc = cts_record_apply_put(n->store, cts_table_find(table), &w, rid, json_object_get(op, "set"));
		else
			rc = cts_record_apply_del(n->store, cts_table_find(table), &w, rid);
		if (rc < 0)
			return cts_error_prefix(rc, "opération %zu : ", i + 1);
	}
	return 0;
}

/* Verify sig over json with pk, reusing the pre-check when it used the
 * same key. *why: the reason of a refusal. */
static int verify_sig(cts_precheck *pre, const unsigned char pk[32], const char *sig, size_t sig_len, const char *json,
		      size_t json_len, const char **why)
{
	int rc;

	if (pre->have_pk && memcmp(pre->pk, pk, 32) == 0) {
		*why = pre->sig_error ? pre->sig_error : "mémoire insuffisante";
		return pre->sig_rc;
	}
	rc = cts_sshsig_verify(sig, sig_len, pk, CTS_SIG_NAMESPACE, (const unsigned char *)json, json_len, NULL);
	*why = cts_error_message();
	return rc;
}

/* ---- forks (SPEC §6, sync/forkproof.h) ---- */

static int expected_key(cts_node *n, const char *node, unsigned char pk[32]);

/* The lowest forked seq of node this node knows of, 0 if none. */
static int fork_cut(cts_node *n, const char *node, int64_t *from)
{
	sqlite3_stmt *s;
	int rc;

	*from = 0;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT min(seq) FROM fork_known WHERE node = ?")) < 0)
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
static int fork_learn(cts_node *n, const char *node, int64_t seq, const cts_fork_version *x, const cts_fork_version *y,
		      eval_ctx *e)
{
	const cts_fork_version *a = strcmp(x->id, y->id) < 0 ? x : y, *b = a == x ? y : x;
	char detail[300];
	sqlite3_stmt *s;
	int64_t last;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "INSERT INTO fork_known (node, seq, id_a, id_b, body_a, sig_a, body_b, sig_b,"
					       " first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
					       " ON CONFLICT (node, seq) DO NOTHING")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_text(s, 3, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, a->body, (int)a->body_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 6, a->sig, (int)a->sig_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 7, b->body, (int)b->body_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, b->sig, (int)b->sig_len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return cts_store_error(n->store, "enregistrement d'une bifurcation");
	if (sqlite3_changes(n->store->db) == 0)
		return 0; /* known already */
	if (e->st)
		e->st->forks++;
	snprintf(detail, sizeof(detail), "deux versions signées du changeset n°%lld de %s : %.12s… et %.12s…", (long long)seq,
		 node, a->id, b->id);
	if ((rc = cts_incident_add(n->store, "fork", node, seq, detail)) < 0 || (rc = last_applied(n, node, &last)) < 0)
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

	if ((rc = applied_id(n, node, seq, have)) < 0)
		return rc;
	if (have[0] && strcmp(have, self->id) != 0) {
		cts_fork_version o = { .body = NULL };
		char *json = NULL, *sig = NULL;
		/* Applied: verified then; its files are in the history. */
		if ((rc = cts_history_read(n->home, node, seq, &json, &o.body_len, &sig, &o.sig_len)) < 0)
			return cts_error_prefix(rc, "bifurcation de %s n°%lld : ", node, (long long)seq);
		memcpy(o.id, have, sizeof(o.id));
		o.body = json;
		o.sig = sig;
		rc = fork_learn(n, node, seq, self, &o, e);
		free(json);
		free(sig);
		return rc;
	}
	if ((rc = cts_store_stmt(n->store, &s, "SELECT id, CAST(body AS TEXT) AS body, CAST(sig AS TEXT) AS sig FROM inbox"
					       " WHERE node = ? AND seq = ? AND id <> ? ORDER BY id")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_text(s, 3, self->id, -1, SQLITE_STATIC);
	if ((rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row) {
		json_t *body = json_object_get(row, "body"), *sig = json_object_get(row, "sig");
		cts_fork_version o = { .body = json_string_value(body), .body_len = json_string_length(body),
				       .sig = json_string_value(sig), .sig_len = json_string_length(sig) };
		cts_changeset *cs = NULL;
		int valid;

		if (!o.body || !o.sig)
			continue;
		valid = cts_changeset_parse(&cs, o.body, o.body_len) == 0 && strcmp(cs->node, node) == 0 && cs->seq == seq &&
			cts_sshsig_verify(o.sig, o.sig_len, pk, CTS_SIG_NAMESPACE, (const unsigned char *)o.body, o.body_len,
					  NULL) == 0;
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

/* A version carried by fork evidence becomes a received changeset like
 * any other (unless it is the one applied here). */
static int relay_version(cts_node *n, const char *node, int64_t seq, const cts_fork_version *v, eval_ctx *e)
{
	char have[65];
	sqlite3_stmt *s;
	int rc;

	if ((rc = applied_id(n, node, seq, have)) < 0 || strcmp(have, v->id) == 0)
		return rc;
	if ((rc = cts_store_stmt(n->store, &s, "INSERT INTO inbox (node, seq, id, state, reason, body, sig)"
					       " VALUES (?, ?, ?, 'pending', 'recopié d''une preuve de bifurcation', ?, ?)"
					       " ON CONFLICT (node, seq, id) DO NOTHING")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_text(s, 3, v->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, v->body, (int)v->body_len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, v->sig, (int)v->sig_len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return cts_store_error(n->store, "mise en file d'une version recopiée");
	if (sqlite3_changes(n->store->db) > 0)
		e->relayed = 1;
	return 0;
}

/* Fork evidence carried by an authenticated changeset: every record must
 * be valid (else the changeset is refused) and checkable (else it waits
 * for the forked node's enrolment); the versions it carries are then
 * received like any changeset, and a complete pair proves the fork.
 * EV_ACCEPT: go on with the other checks. */
static verdict take_evidence(cts_node *n, const cts_changeset *cs, eval_ctx *e)
{
	size_t i;
	json_t *op;
	cts_fork_version v[2];
	char why[400];

	for (int learn = 0; learn < 2; learn++) {
		json_array_foreach(cs->ops, i, op) {
			const char *node;
			int64_t seq;
			unsigned char pk[32];
			int known, rc;

			if (strcmp(json_string_value(json_object_get(op, "table")), "fork") != 0)
				continue;
			cts_fork_evidence_target(op, &node, &seq);
			known = node && cts_valid_node_id(node) && expected_key(n, node, pk) == 0;
			rc = cts_fork_evidence_check(op, known ? pk : NULL, v, why, sizeof(why));
			if (rc < 0) {
				snprintf(e->reason, sizeof(e->reason), "preuve de bifurcation invalide (opération %zu) : %s", i + 1, why);
				return EV_REFUSED;
			}
			if (rc == 1) {
				snprintf(e->reason, sizeof(e->reason),
					 "en attente de l'inscription de %s pour vérifier sa bifurcation (opération %zu)", node, i + 1);
				return EV_PENDING;
			}
			if (!learn)
				continue;
			for (int k = 0; k < 2; k++)
				if (v[k].body && relay_version(n, node, seq, &v[k], e) < 0)
					return refuse(e, "", cts_error_message());
			if (v[0].body && v[1].body && fork_learn(n, node, seq, &v[0], &v[1], e) < 0)
				return refuse(e, "", cts_error_message());
		}
	}
	return EV_ACCEPT;
}

/* ---- witnesses ---- */

/* Does this node hold changeset (node, seq): applied, or received in any
 * state (pending, held, refused: a refused changeset still existed)? */
static int holds(cts_node *n, const char *node, int64_t seq, int *yes)
{
	sqlite3_stmt *s;
	int rc;

	*yes = 0;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT EXISTS (SELECT 1 FROM changeset WHERE node = ?1 AND seq = ?2)"
					       " OR EXISTS (SELECT 1 FROM inbox WHERE node = ?1 AND seq = ?2)")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*yes = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : cts_store_error(n->store, "lecture de l'historique");
}

/* Whose branches this node reads: every node's today. (A territory device
 * that reads only its territory and the authority must not wait for
 * changesets it never fetches: restrict this then.) */
static int reads_node(cts_node *n, const char *node)
{
	(void)n;
	(void)node;
	return 1;
}

/* Every node the changeset's author says it had seen (`seen`) is a
 * witness: a changeset it names that this node does not hold makes the
 * changeset wait (never applied silently over a truncated history); when
 * the fetched branch is known to end before it, the evidence is kept as
 * an incident. EV_ACCEPT: go on. */
static verdict check_seen(cts_node *n, const cts_changeset *cs, eval_ctx *e)
{
	const char *other;
	json_t *v;

	json_object_foreach(cs->seen, other, v) {
		int64_t s = json_integer_value(v);
		int yes = 0;

		if (!reads_node(n, other))
			continue;
		if (holds(n, other, s, &yes) < 0)
			return refuse(e, "", cts_error_message());
		if (yes)
			continue;
		snprintf(e->reason, sizeof(e->reason),
			 "en attente du changeset n°%lld de %s, que %s dit avoir déjà reçu (« seen ») : pas encore publié, "
			 "branche de %s tronquée ou « seen » mensonger",
			 (long long)s, other, cs->node, other);
		if (e->final_pass && e->st && e->st->published && e->st->published(other, s, e->st->published_ctx) == 0) {
			char detail[400];
			snprintf(detail, sizeof(detail),
				 "la branche nodes/%s s'arrête avant le changeset n°%lld que %s n°%lld dit avoir vu : "
				 "branche tronquée ou « seen » mensonger",
				 other, (long long)s, cs->node, (long long)cs->seq);
			if (cts_incident_add(n->store, "truncated_branch", other, s, detail) < 0)
				return refuse(e, "", cts_error_message());
		}
		return EV_PENDING;
	}
	return EV_ACCEPT;
}

/* Who signs for node: its registry entry, or our own key, or the pinned
 * authority key (not enrolled yet). EV_ACCEPT with reg and pk filled. */
static verdict signer_of(cts_node *n, const char *node, const cts_changeset *cs, const char *json, size_t json_len,
			 const char *sig, size_t sig_len, cts_precheck *pre, cts_registry_entry *reg,
			 unsigned char pk[32], char **pinned_node, eval_ctx *e)
{
	const char *sigwhy;
	int rc;

	if (strcmp(node, n->id) == 0) {
		char *line = NULL;
		rc = cts_store_meta_get(n->store, "public_key", &line);
		reg->key = line;
		reg->territory = strdup(n->territory);
		reg->role = strdup(n->role == CTS_ROLE_AUTHORITY ? "authority" : "territory");
		reg->revoked_after = -1;
		if (rc < 0 || !reg->territory || !reg->role)
			return refuse(e, "clé du nœud illisible", NULL);
	} else if ((rc = cts_registry_get(n, node, reg)) == CTS_ENOTFOUND) {
		/* Not enrolled. The authority is recognised by its pinned key. */
		cts_store_meta_get(n->store, "authority_node", pinned_node);
		if ((!*pinned_node || strcmp(*pinned_node, node) == 0) && n->authority_key &&
		    cts_key_parse_public_line(pk, n->authority_key) == 0 &&
		    verify_sig(pre, pk, sig, sig_len, json, json_len, &sigwhy) == 0) {
			reg->key = strdup(n->authority_key);
			reg->territory = strdup(cs->territory);
			reg->role = strdup("authority");
			reg->revoked_after = -1;
		} else {
			snprintf(e->reason, sizeof(e->reason), "nœud « %s » pas encore inscrit par la région", node);
			return EV_PENDING;
		}
	} else if (rc < 0) {
		return refuse(e, "", cts_error_message());
	}
	if (cts_key_parse_public_line(pk, reg->key) < 0)
		return refuse(e, "clé inscrite invalide", NULL);
	if (verify_sig(pre, pk, sig, sig_len, json, json_len, &sigwhy) < 0)
		return refuse(e, "signature invalide : ", sigwhy);
	return EV_ACCEPT;
}

/* Is node's chain forked at or before seq (here, or proven by a second
 * version this node holds)? EV_ACCEPT: no. */
static verdict check_fork(cts_node *n, const cts_changeset *cs, const unsigned char pk[32], const char *sig,
			  size_t sig_len, eval_ctx *e)
{
	cts_fork_version self = { .body = cs->bytes, .body_len = cs->len, .sig = sig, .sig_len = sig_len };
	int64_t from;

	memcpy(self.id, cs->id, sizeof(self.id));
	if (fork_find_local(n, &self, cs->node, cs->seq, pk, e) < 0 || fork_cut(n, cs->node, &from) < 0)
		return refuse(e, "", cts_error_message());
	if (from == 0 || from > cs->seq)
		return EV_ACCEPT;
	if (from == cs->seq)
		snprintf(e->reason, sizeof(e->reason),
			 "bifurcation : %s a signé deux changesets différents portant ce numéro (les deux sont refusés)",
			 cs->node);
	else
		snprintf(e->reason, sizeof(e->reason),
			 "bifurcation de %s au n°%lld : ce changeset et tous les suivants de sa chaîne sont refusés",
			 cs->node, (long long)from);
	return EV_REFUSED;
}

/* Chain: in seq order, `prev` verified; a gap waits. EV_ACCEPT: next. */
static verdict check_chain(cts_node *n, const cts_changeset *cs, const char *id, eval_ctx *e)
{
	char have[65];
	int64_t last;

	if (last_applied(n, cs->node, &last) < 0)
		return refuse(e, "", cts_error_message());
	if (cs->seq <= last) {
		if (applied_id(n, cs->node, cs->seq, have) == 0 && strcmp(have, id) == 0)
			return EV_DUPLICATE;
		/* A second version found above; kept as a safety net. */
		e->need_rebuild = 1;
		return refuse(e, "bifurcation : un autre changeset porte déjà ce numéro", NULL);
	}
	if (cs->seq > last + 1) {
		snprintf(e->reason, sizeof(e->reason), "en attente du changeset n°%lld de %s (trou dans la chaîne)",
			 (long long)(last + 1), cs->node);
		return EV_PENDING;
	}
	if (cs->seq > 1 && (applied_id(n, cs->node, cs->seq - 1, have) < 0 || !cs->prev || strcmp(have, cs->prev) != 0))
		return refuse(e, "chaîne rompue : « prev » ne désigne pas le changeset précédent", NULL);
	return EV_ACCEPT;
}

/* Authorisation of every op. EV_ACCEPT: all allowed. */
static verdict check_rights(cts_node *n, const cts_changeset *cs, const char *role, eval_ctx *e)
{
	size_t i;
	json_t *op;
	int authority = strcmp(role, "authority") == 0;

	json_array_foreach(cs->ops, i, op) {
		const cts_table_def *t = cts_table_find(json_string_value(json_object_get(op, "table")));
		char why[400];
		if (json_object_get(op, "set") && !rules_ok(op, why, sizeof(why))) {
			snprintf(e->reason, sizeof(e->reason), "opération %zu : %s", i + 1, why);
			return EV_REFUSED;
		}
		if (t->writer == CTS_WRITER_ANY)
			continue; /* evidence: checked by take_evidence */
		if (authority && t->writer != CTS_WRITER_AUTHORITY) {
			snprintf(e->reason, sizeof(e->reason), "opération %zu : l'autorité n'écrit pas la table %s des territoires",
				 i + 1, t->name);
			return EV_REFUSED;
		}
		if (!authority && t->writer != CTS_WRITER_TERRITORY) {
			snprintf(e->reason, sizeof(e->reason),
				 "opération %zu : un nœud de territoire n'a pas le droit d'écrire la table %s (réservée à la région)",
				 i + 1, t->name);
			return EV_REFUSED;
		}
		if (authority && strcmp(t->name, "registry") == 0 && check_registry_op(n, op, why, sizeof(why)) < 0) {
			snprintf(e->reason, sizeof(e->reason), "opération %zu : %s", i + 1, why);
			return EV_REFUSED;
		}
	}
	return EV_ACCEPT;
}

/* Apply, all or nothing. */
static verdict apply_changeset(cts_node *n, const cts_changeset *cs, const char *role, int pinned, const char *json,
			       size_t json_len, const char *sig, size_t sig_len, eval_ctx *e)
{
	int rc, is_self = strcmp(cs->node, n->id) == 0;

	if ((rc = cts_store_begin(n->store)) < 0)
		return refuse(e, "", cts_error_message());
	if ((rc = apply_ops(n, cs)) < 0 || (rc = cts_history_record(n, cs)) < 0 ||
	    (rc = cts_store_hlc_observe(n->store, cs->hlc_max)) < 0 ||
	    (strcmp(role, "authority") == 0 && !is_self && !pinned &&
	     (rc = cts_store_meta_set(n->store, "authority_node", cs->node)) < 0) ||
	    (!is_self && (e->wrote = 1, rc = cts_history_write_deferred(n, cs->node, cs->seq, json, json_len, sig, sig_len)) < 0)) {
		cts_store_rollback(n->store);
		if (rc == CTS_EIO || rc == CTS_EDB || rc == CTS_EBUSY || rc == CTS_ENOMEM) {
			/* Our failure, not the changeset's: keep it pending. */
			snprintf(e->reason, sizeof(e->reason), "non appliqué (erreur locale) : %s", cts_error_message());
			return EV_PENDING;
		}
		return refuse(e, "", cts_error_message());
	}
	if ((rc = cts_store_commit(n->store)) < 0) {
		cts_store_rollback(n->store);
		snprintf(e->reason, sizeof(e->reason), "non appliqué (erreur locale) : %s", cts_error_message());
		return EV_PENDING;
	}
	if (strcmp(role, "authority") == 0) {
		int cut = 0;
		if (revocation_cuts(n, &cut) == 0 && cut)
			e->need_rebuild = 1;
	}
	return EV_ACCEPT;
}

/* The checks, in this order: format and place; signer and signature; fork
 * evidence carried (before anything that depends on the order things
 * arrived in, so that every node learns the same forks); forks of this
 * chain; revocation and territory; chain; rights; clock; witnesses. */
static verdict evaluate(cts_node *n, const char *node, int64_t seq, const char *id, const char *json, size_t json_len,
			const char *sig, size_t sig_len, cts_precheck *pre, eval_ctx *e)
{
	cts_changeset *cs = NULL;
	cts_registry_entry reg = { 0 };
	unsigned char pk[32];
	char *pinned_node = NULL;
	verdict v;

	e->reason[0] = '\0';
	if (!pre->cs) {
		v = refuse(e, "format invalide : ", pre->parse_error ? pre->parse_error : "mémoire insuffisante");
		goto out;
	}
	cs = pre->cs;
	pre->cs = NULL;
	if (strcmp(cs->node, node) != 0 || cs->seq != seq) {
		v = refuse(e, "le contenu (nœud, numéro) ne correspond pas à l'emplacement du fichier", NULL);
		goto out;
	}
	if ((v = signer_of(n, node, cs, json, json_len, sig, sig_len, pre, &reg, pk, &pinned_node, e)) != EV_ACCEPT ||
	    (v = take_evidence(n, cs, e)) != EV_ACCEPT || (v = check_fork(n, cs, pk, sig, sig_len, e)) != EV_ACCEPT)
		goto out;
	if (reg.revoked_after >= 0 && seq > reg.revoked_after) {
		char num[32];
		snprintf(num, sizeof(num), "%lld", (long long)reg.revoked_after);
		v = refuse(e, "clé révoquée : changesets valides jusqu'au n°", num);
		e->ignored = 1;
		goto out;
	}
	if (strcmp(cs->territory, reg.territory) != 0) {
		v = refuse(e, "territoire différent de celui de l'inscription : ", cs->territory);
		goto out;
	}
	if ((v = check_chain(n, cs, id, e)) != EV_ACCEPT || (v = check_rights(n, cs, reg.role, e)) != EV_ACCEPT)
		goto out;
	/* Clock safety. */
	{
		uint64_t now = n->store->clock(n->store->clock_ctx);
		uint64_t ms = CTS_HLC_MS(cs->hlc_max);
		if (ms > now + CTS_HLC_MAX_AHEAD_MS) {
			snprintf(e->reason, sizeof(e->reason), "horloge en avance de %.1f h sur la nôtre : changeset retenu",
				 (double)(ms - now) / 3600000.0);
			v = EV_HELD;
			goto out;
		}
	}
	if ((v = check_seen(n, cs, e)) != EV_ACCEPT)
		goto out;
	v = apply_changeset(n, cs, reg.role, pinned_node != NULL, json, json_len, sig, sig_len, e);
out:
	cts_registry_entry_dispose(&reg);
	cts_changeset_free(cs);
	free(pinned_node);
	return v;
}

/* One received changeset of a batch. */
typedef struct {
	char node[65];
	int64_t seq;
	char id[65];
	char *json, *sig;
	size_t json_len, sig_len;
} batch_row;

typedef struct {
	batch_row rows[IMPORT_BATCH];
	cts_precheck pre[IMPORT_BATCH];
	size_t n;
	/* The key expected for the last node looked up. */
	char key_node[65];
	int key_ok;
	unsigned char key[32];
} batch;

static void batch_clear(batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->rows[i].json);
		free(b->rows[i].sig);
		cts_precheck_dispose(&b->pre[i]);
	}
	b->n = 0;
}

/* Load the next batch of pending or held changesets after (node, seq, id):
 * of node `only` if given, else of every node but `skip`, in (node, seq, id)
 * order. */
static int batch_load(cts_node *n, batch *b, const char *only, const char *skip, const batch_row *after)
{
	sqlite3_stmt *s;
	size_t bytes = 0;
	int rc;

	batch_clear(b);
	if (only)
		rc = cts_store_stmt(n->store, &s, "SELECT node, seq, id, body, sig FROM inbox"
						  " WHERE state IN ('pending', 'held') AND node = ?1 AND (seq, id) > (?3, ?4)"
						  " ORDER BY seq, id LIMIT ?5");
	else
		rc = cts_store_stmt(n->store, &s, "SELECT node, seq, id, body, sig FROM inbox"
						  " WHERE state IN ('pending', 'held') AND node IS NOT ?2"
						  " AND (node, seq, id) > (?6, ?3, ?4) ORDER BY node, seq, id LIMIT ?5");
	if (rc < 0)
		return rc;
	if (only)
		sqlite3_bind_text(s, 1, only, -1, SQLITE_STATIC);
	else {
		sqlite3_bind_text(s, 2, skip, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, after ? after->node : "", -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(s, 3, after ? after->seq : 0);
	sqlite3_bind_text(s, 4, after ? after->id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, IMPORT_BATCH);
	while (b->n < IMPORT_BATCH && bytes < IMPORT_BATCH_BYTES && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		batch_row *r = &b->rows[b->n];
		const char *node = (const char *)sqlite3_column_text(s, 0), *id = (const char *)sqlite3_column_text(s, 2);

		memset(r, 0, sizeof(*r));
		memset(&b->pre[b->n], 0, sizeof(b->pre[b->n]));
		snprintf(r->node, sizeof(r->node), "%s", node ? node : "");
		snprintf(r->id, sizeof(r->id), "%s", id ? id : "");
		r->seq = sqlite3_column_int64(s, 1);
		r->json_len = (size_t)sqlite3_column_bytes(s, 3);
		r->sig_len = (size_t)sqlite3_column_bytes(s, 4);
		r->json = malloc(r->json_len + 1);
		r->sig = malloc(r->sig_len + 1);
		b->n++;
		if (!r->json || !r->sig) {
			sqlite3_reset(s);
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		}
		if (r->json_len)
			memcpy(r->json, sqlite3_column_blob(s, 3), r->json_len);
		if (r->sig_len)
			memcpy(r->sig, sqlite3_column_blob(s, 4), r->sig_len);
		r->json[r->json_len] = r->sig[r->sig_len] = '\0';
		bytes += r->json_len + r->sig_len;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture de la file des changesets reçus");
	return 0;
}

/* The key evaluate() will most likely verify node's signatures with, as
 * the registry stands now. 0 and *pk, or -1 if none is known. */
static int expected_key(cts_node *n, const char *node, unsigned char pk[32])
{
	cts_registry_entry reg;
	char *line = NULL, *pinned = NULL;
	int rc = -1;

	if (strcmp(node, n->id) == 0) {
		if (cts_store_meta_get(n->store, "public_key", &line) == 0 && line && cts_key_parse_public_line(pk, line) == 0)
			rc = 0;
		free(line);
	} else if (cts_registry_get(n, node, &reg) == 0) {
		rc = cts_key_parse_public_line(pk, reg.key) == 0 ? 0 : -1;
		cts_registry_entry_dispose(&reg);
	} else if (n->authority_key) {
		cts_store_meta_get(n->store, "authority_node", &pinned);
		if ((!pinned || strcmp(pinned, node) == 0) && cts_key_parse_public_line(pk, n->authority_key) == 0)
			rc = 0;
		free(pinned);
	}
	cts_error_clear();
	return rc;
}

/* Choose the key each changeset of the batch is pre-checked with. */
static void batch_keys(cts_node *n, batch *b)
{
	b->key_node[0] = '\0'; /* the registry may have changed since the last batch */
	for (size_t i = 0; i < b->n; i++) {
		cts_precheck *p = &b->pre[i];
		if (strcmp(b->key_node, b->rows[i].node) != 0) {
			snprintf(b->key_node, sizeof(b->key_node), "%s", b->rows[i].node);
			b->key_ok = expected_key(n, b->rows[i].node, b->key) == 0;
		}
		p->json = b->rows[i].json;
		p->json_len = b->rows[i].json_len;
		p->sig = b->rows[i].sig;
		p->sig_len = b->rows[i].sig_len;
		p->have_pk = b->key_ok;
		memcpy(p->pk, b->key, sizeof(p->pk));
	}
}

/* Evaluate a loaded batch in one transaction. */
static int batch_apply(cts_node *n, batch *b, cts_import_stats *st, size_t *done, size_t total, int *progress,
		       int *need_rebuild, int final_pass)
{
	int rc, wrote = 0;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	for (size_t i = 0; i < b->n; i++) {
		batch_row *r = &b->rows[i];
		eval_ctx e = { .final_pass = final_pass, .st = st };
		verdict v;

		++*done;
		if (st && st->progress && (*done % 64 == 0 || *done == total))
			st->progress(*done, total, st->progress_ctx);
		v = evaluate(n, r->node, r->seq, r->id, r->json, r->json_len, r->sig, r->sig_len, &b->pre[i], &e);
		wrote |= e.wrote;
		if (e.need_rebuild)
			*need_rebuild = 1;
		if (e.relayed)
			*progress = 1; /* versions copied from fork evidence: evaluate them too */
		if (v == EV_ACCEPT || v == EV_DUPLICATE) {
			if ((rc = inbox_del(n, r->node, r->seq, r->id)) < 0)
				goto fail;
			if (v == EV_ACCEPT) {
				*progress = 1;
				if (st)
					st->accepted++;
			} else if (st) {
				st->duplicates++;
			}
			continue;
		}
		if ((rc = inbox_set(n, r->node, r->seq, r->id, state_names[v], e.reason)) < 0)
			goto fail;
		if (final_pass || v == EV_REFUSED)
			add_event(st, r->node, r->seq, v, e.ignored, e.reason);
	}
	/* The files the batch wrote reach the disk before the commit that
	 * says they are applied. */
	if ((wrote && (rc = cts_history_sync(n)) < 0) || (rc = cts_store_commit(n->store)) < 0)
		goto fail;
	return 0;
fail:
	cts_store_rollback(n->store);
	return rc;
}

static int pending_count(cts_node *n, size_t *out)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT count(*) FROM inbox WHERE state IN ('pending', 'held')")) < 0)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = (size_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : cts_store_error(n->store, "lecture de la file des changesets reçus");
}

/* One pass over the inbox: the authority's chain first (the registry
 * decides everything else), then every other node in (node, seq) order.
 * Batch k is applied by this thread while batch k+1 is pre-checked by the
 * other cores; this thread joins them once it is done. */
static int process_once(cts_node *n, cts_import_stats *st, int *progress, int *need_rebuild, int final_pass)
{
	batch *cur, *next, *tmp;
	batch_row last;
	char *authority = NULL;
	size_t done = 0, total;
	int rc, threads = cts_precheck_threads();
	cts_precheck_job job;

	*progress = 0;
	if ((rc = pending_count(n, &total)) < 0 || total == 0)
		return rc;
	cur = calloc(1, sizeof(*cur));
	next = calloc(1, sizeof(*next));
	if (!cur || !next) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto out;
	}
	if ((rc = cts_store_meta_get(n->store, "authority_node", &authority)) == CTS_ENOTFOUND) {
		cts_error_clear();
		rc = 0;
	} else if (rc < 0) {
		goto out;
	}
	for (int pass = authority ? 0 : 1; pass < 2; pass++) {
		const char *only = pass == 0 ? authority : NULL;
		if ((rc = batch_load(n, cur, only, authority, NULL)) < 0)
			goto out;
		batch_keys(n, cur);
		cts_precheck_run(cur->pre, cur->n, threads);
		while (cur->n > 0) {
			last = cur->rows[cur->n - 1];
			last.json = last.sig = NULL;
			if ((rc = batch_load(n, next, only, authority, &last)) < 0)
				goto out;
			batch_keys(n, next);
			cts_precheck_start(&job, next->pre, next->n, threads - 1);
			rc = batch_apply(n, cur, st, &done, total, progress, need_rebuild, final_pass);
			cts_precheck_finish(&job);
			if (rc < 0)
				goto out;
			tmp = cur;
			cur = next;
			next = tmp;
		}
	}
out:
	if (cur)
		batch_clear(cur);
	if (next)
		batch_clear(next);
	free(cur);
	free(next);
	free(authority);
	return rc;
}

static int rebuild_locked(cts_node *n, cts_import_stats *st);

/* Passes over the inbox until nothing more applies. */
static int process_all(cts_node *n, cts_import_stats *st, int *need_rebuild)
{
	int progress, rc, passes = 0;

	do {
		if ((rc = process_once(n, st, &progress, need_rebuild, 0)) < 0)
			return rc;
	} while (progress && ++passes < 100000);
	return 0;
}

/* Record, as this node's own signed change (sealed at the next seal or
 * sync), the forks it has proven that nobody has recorded yet: a
 * territory node when no record of the fork exists at all, the authority
 * when it has none of its own (it re-records what territory nodes found,
 * so that devices reading only the authority learn it too). Nobody records
 * twice, so records do not echo. The node's own forks are not recorded by
 * itself. */
static int write_evidence(cts_node *n, cts_import_stats *st)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row;
	size_t i;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s,
				 "SELECT k.node, k.seq, k.id_a, CAST(k.body_a AS TEXT) AS body_a, CAST(k.sig_a AS TEXT) AS sig_a,"
				 " k.id_b, CAST(k.body_b AS TEXT) AS body_b, CAST(k.sig_b AS TEXT) AS sig_b FROM fork_known k"
				 " WHERE k.node <> ?1 AND NOT EXISTS (SELECT 1 FROM fork f WHERE f.node = k.node AND f.seq = k.seq"
				 " AND (?2 = 0 OR f.territory = ?3)) ORDER BY k.node, k.seq")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, n->role == CTS_ROLE_AUTHORITY);
	sqlite3_bind_text(s, 3, n->territory, -1, SQLITE_STATIC);
	if ((rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row) {
		cts_fork_version v[2];
		const char *node = json_string_value(json_object_get(row, "node"));
		int64_t seq = json_integer_value(json_object_get(row, "seq"));
		char rid[37];
		json_t *set = NULL;

		for (int k = 0; k < 2; k++) {
			char f[8];
			json_t *b, *g;
			snprintf(f, sizeof(f), "id_%c", "ab"[k]);
			snprintf(v[k].id, sizeof(v[k].id), "%s", json_string_value(json_object_get(row, f)));
			snprintf(f, sizeof(f), "body_%c", "ab"[k]);
			b = json_object_get(row, f);
			snprintf(f, sizeof(f), "sig_%c", "ab"[k]);
			g = json_object_get(row, f);
			v[k].body = json_string_value(b);
			v[k].body_len = json_string_length(b);
			v[k].sig = json_string_value(g);
			v[k].sig_len = json_string_length(g);
		}
		cts_fork_record_id(rid, node, seq);
		if ((rc = cts_fork_evidence_build(&set, node, seq, &v[0], &v[1])) < 0 ||
		    (rc = cts_record_put(n->store, "fork", rid, set)) < 0) {
			json_decref(set);
			cts_error_prefix(rc, "preuve de la bifurcation de %s n°%lld : ", node, (long long)seq);
			break;
		}
		json_decref(set);
		if (st)
			st->evidence++;
	}
	json_decref(rows);
	return rc;
}

int cts_import_process(cts_node *n, cts_import_stats *st)
{
	int progress, need_rebuild = 0, rc;

	if ((rc = process_all(n, st, &need_rebuild)) < 0)
		return rc;
	/* Report what is still waiting, once, with its final reason. */
	if (!need_rebuild && (rc = process_once(n, st, &progress, &need_rebuild, 1)) < 0)
		return rc;
	if (need_rebuild) {
		if (st)
			st->rebuilt = 1;
		if ((rc = rebuild_locked(n, st)) < 0)
			return rc;
	}
	return write_evidence(n, st);
}

int cts_import_dir(cts_node *n, const char *dir, cts_import_stats *st)
{
	char base[4300];
	DIR *top;
	struct dirent *de;
	int rc = 0, nodes = 0;

	snprintf(base, sizeof(base), "%s/changesets", dir);
	if (!(top = opendir(base)))
		return cts_error_set(CTS_ENOTFOUND, "aucun dossier changesets/ dans %s", dir);
	if ((rc = cts_store_begin(n->store)) < 0) {
		closedir(top);
		return rc;
	}
	while (rc == 0 && (de = readdir(top))) {
		char sub[4600];
		DIR *d;
		struct dirent *fe;

		if (de->d_name[0] == '.')
			continue;
		if (!cts_valid_node_id(de->d_name)) {
			rc = cts_error_set(CTS_EINVAL, "%s : nom de nœud invalide « %.80s »", base, de->d_name);
			break;
		}
		if (++nodes > IMPORT_MAX_NODES) {
			rc = cts_error_set(CTS_ELIMIT, "%s : trop de nœuds", base);
			break;
		}
		snprintf(sub, sizeof(sub), "%s/%s", base, de->d_name);
		if (!(d = opendir(sub)))
			continue;
		while (rc == 0 && (fe = readdir(d))) {
			int64_t seq;
			char *json = NULL, *sig = NULL;
			size_t jl, sl;
			size_t nl = strlen(fe->d_name);

			if (fe->d_name[0] == '.' || (nl > 4 && strcmp(fe->d_name + nl - 4, ".sig") == 0) ||
			    strstr(fe->d_name, ".tmp."))
				continue;
			if (cts_changeset_parse_name(fe->d_name, &seq) < 0) {
				rc = cts_error_prefix(CTS_EINVAL, "%s : ", sub);
				break;
			}
			if ((rc = cts_history_read(dir, de->d_name, seq, &json, &jl, &sig, &sl)) < 0)
				break;
			rc = cts_import_offer(n, de->d_name, seq, json, jl, sig, sl, st);
			free(json);
			free(sig);
		}
		closedir(d);
	}
	closedir(top);
	if (rc == 0)
		rc = cts_store_commit(n->store);
	else
		cts_store_rollback(n->store);
	return rc;
}

/* Every applied changeset goes back to the inbox, from its files. */
static int requeue_applied(cts_node *n)
{
	json_t *rows = NULL, *row;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "SELECT node, seq FROM changeset ORDER BY node, seq")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row) {
		const char *node = json_string_value(json_object_get(row, "node"));
		int64_t seq = json_integer_value(json_object_get(row, "seq"));
		char *json = NULL, *sig = NULL, id[65];
		size_t jl, sl;

		if ((rc = cts_history_read(n->home, node, seq, &json, &jl, &sig, &sl)) < 0) {
			cts_error_prefix(rc, "reconstruction : ");
			break;
		}
		cts_changeset_hash(json, jl, id);
		rc = inbox_put(n, node, seq, id, "pending", "reconstruction", json, jl, sig, sl);
		free(json);
		free(sig);
		if (rc < 0)
			break;
	}
	json_decref(rows);
	return rc;
}

static int rebuild_locked(cts_node *n, cts_import_stats *st)
{
	int rc, progress, need_rebuild = 0;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = requeue_applied(n)) < 0 ||
	    (rc = cts_store_exec(n->store, "UPDATE inbox SET state = 'pending', reason = 'reconstruction'")) < 0)
		goto cleanup;
	/* A fork learned during the replay (from versions it had not compared
	 * yet) may cut off something the replay applied: replay again, until
	 * it learns nothing more (each round learns at least one fork). */
	for (int round = 0; round < 1000; round++) {
		need_rebuild = 0;
		if (st) { /* every changeset is evaluated again: report each once */
			json_decref(st->events);
			st->events = NULL;
		}
		if ((rc = cts_record_clear_all(n->store)) < 0 || (rc = process_all(n, st, &need_rebuild)) < 0)
			goto cleanup;
		if (!need_rebuild)
			break;
		if ((rc = requeue_applied(n)) < 0 ||
		    (rc = cts_store_exec(n->store, "UPDATE inbox SET state = 'pending', reason = 'reconstruction'")) < 0)
			goto cleanup;
	}
	if ((rc = process_once(n, st, &progress, &need_rebuild, 1)) < 0)
		goto cleanup;
	/* What was typed here and not sealed yet is part of the view too. */
	rc = cts_record_replay_unsealed(n->store);
cleanup:
	if (rc == 0)
		rc = cts_store_commit(n->store);
	else
		cts_store_rollback(n->store);
	return rc;
}

int cts_import_rebuild(cts_node *n, cts_import_stats *st)
{
	int rc;

	if (st)
		st->rebuilt = 1;
	if ((rc = rebuild_locked(n, st)) < 0)
		return rc;
	return write_evidence(n, st);
}

/* An inbox row `i` written by a revoked node after its revocation. */
#define IGNORED_WHERE                                                                                                  \
	"SELECT 1 FROM registry r WHERE r.node = i.node AND r.revoked_after IS NOT NULL AND i.seq > r.revoked_after" \
	" AND i.state = 'refused'"

int cts_import_inbox(cts_node *n, const char *state, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT i.node, i.seq, i.reason FROM inbox i WHERE i.state = ?"
					       " AND NOT EXISTS (" IGNORED_WHERE ") ORDER BY i.node, i.seq")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, state, -1, SQLITE_TRANSIENT);
	return cts_store_rows_json(n->store, s, out);
}

int cts_import_ignored(cts_node *n, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(n->store, &s,
				 "SELECT r.node, r.territory_code AS territory, r.revoked_after, count(DISTINCT i.seq) AS count,"
				 " min(i.seq) AS first, max(i.seq) AS last FROM inbox i JOIN registry r ON r.node = i.node"
				 " WHERE i.state = 'refused' AND r.revoked_after IS NOT NULL AND i.seq > r.revoked_after"
				 " AND i.node IS NOT ?1 GROUP BY r.node ORDER BY r.node")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->id, -1, SQLITE_STATIC);
	return cts_store_rows_json(n->store, s, out);
}
