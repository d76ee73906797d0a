#include "importer.h"

#include "changeset.h"
#include "error.h"
#include "hlc.h"
#include "journal.h"
#include "key.h"
#include "precheck.h"
#include "record.h"
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

static void add_event(cts_import_stats *st, const char *node, int64_t seq, verdict v, const char *reason)
{
	if (!st)
		return;
	if (!st->events)
		st->events = json_array();
	json_array_append_new(st->events, json_pack("{s:s, s:I, s:s, s:s}", "node", node, "seq", (json_int_t)seq,
						    "state", state_names[v], "reason", reason ? reason : ""));
}

void cts_registry_entry_dispose(cts_registry_entry *e)
{
	if (!e)
		return;
	free(e->key);
	free(e->territory);
	free(e->role);
	memset(e, 0, sizeof(*e));
}

int cts_registry_get(cts_node *n, const char *node, cts_registry_entry *out)
{
	sqlite3_stmt *s;
	int rc, rows = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = cts_store_stmt(n->store, &s, "SELECT key, territory_code, role, revoked_after FROM registry WHERE node = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (rows++ == 0) {
			const char *k = (const char *)sqlite3_column_text(s, 0), *t = (const char *)sqlite3_column_text(s, 1),
				   *r = (const char *)sqlite3_column_text(s, 2);
			out->key = k ? strdup(k) : NULL;
			out->territory = t ? strdup(t) : NULL;
			out->role = r ? strdup(r) : NULL;
			out->revoked_after = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 3);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		cts_registry_entry_dispose(out);
		return cts_store_error(n->store, "lecture du registre");
	}
	if (rows == 0 || !out->key || !out->territory || !out->role) {
		cts_registry_entry_dispose(out);
		return CTS_ENOTFOUND;
	}
	if (rows > 1) {
		cts_registry_entry_dispose(out);
		return cts_error_set(CTS_EINVAL, "le registre inscrit le nœud %s plusieurs fois", node);
	}
	return 0;
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
	int wrote; /* history files written, to be flushed before the commit */
} eval_ctx;

static verdict refuse(eval_ctx *e, const char *what, const char *detail)
{
	snprintf(e->reason, sizeof(e->reason), "%s%s", what, detail ? detail : "");
	return EV_REFUSED;
}

int cts_registry_check_entry(const char *node, const char *rid, json_t *set, char *why, size_t whylen)
{
	cts_rule_violation rv;
	char expect[37], buf[128];

	snprintf(buf, sizeof(buf), "registry:%.64s", node);
	cts_record_derived_id(expect, buf);
	if (!cts_valid_node_id(node) || !rid || strcmp(expect, rid) != 0) {
		snprintf(why, whylen, "registre : l'identifiant de l'inscription ne correspond pas au nœud %.64s", node);
		return -1;
	}
	if (cts_rules_check_set("registry", set, &rv) < 0) {
		cts_error_clear();
		snprintf(why, whylen, "registre, inscription de %.64s : %s", node, rv.message);
		return -1;
	}
	return 0;
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

static verdict evaluate(cts_node *n, const char *node, int64_t seq, const char *id, const char *json, size_t json_len,
			const char *sig, size_t sig_len, cts_precheck *pre, eval_ctx *e)
{
	cts_changeset *cs = NULL;
	cts_registry_entry reg = { 0 };
	unsigned char pk[32];
	const char *sigwhy;
	char have[65], *pinned_node = NULL;
	const char *role;
	int64_t last;
	verdict v = EV_REFUSED;
	int rc, is_self = strcmp(node, n->id) == 0;
	sqlite3_stmt *s;

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
	/* Fork: two different changesets for one (node, seq). */
	if (cts_store_stmt(n->store, &s, "SELECT count(*) FROM (SELECT id FROM inbox WHERE node = ?1 AND seq = ?2"
					 " UNION SELECT id FROM changeset WHERE node = ?1 AND seq = ?2)") == 0) {
		int64_t ids = 0;
		sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, seq);
		if (sqlite3_step(s) == SQLITE_ROW)
			ids = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if (ids > 1) {
			if (applied_id(n, node, seq, have) == 0 && have[0])
				e->need_rebuild = 1;
			v = refuse(e, "bifurcation : deux changesets différents portent ce numéro (preuve de réécriture)", NULL);
			goto out;
		}
	}
	/* Who signs for this node? */
	if (is_self) {
		char *line = NULL;
		rc = cts_store_meta_get(n->store, "public_key", &line);
		reg.key = line;
		reg.territory = strdup(n->territory);
		reg.role = strdup(n->role == CTS_ROLE_AUTHORITY ? "authority" : "territory");
		reg.revoked_after = -1;
		if (rc < 0 || !reg.territory || !reg.role) {
			v = refuse(e, "clé du nœud illisible", NULL);
			goto out;
		}
	} else if ((rc = cts_registry_get(n, node, &reg)) == CTS_ENOTFOUND) {
		/* Not enrolled. The authority is recognised by its pinned key. */
		cts_store_meta_get(n->store, "authority_node", &pinned_node);
		if ((!pinned_node || strcmp(pinned_node, node) == 0) && n->authority_key &&
		    cts_key_parse_public_line(pk, n->authority_key) == 0 &&
		    verify_sig(pre, pk, sig, sig_len, json, json_len, &sigwhy) == 0) {
			reg.key = strdup(n->authority_key);
			reg.territory = strdup(cs->territory);
			reg.role = strdup("authority");
			reg.revoked_after = -1;
		} else {
			snprintf(e->reason, sizeof(e->reason), "nœud « %s » pas encore inscrit par la région", node);
			v = EV_PENDING;
			goto out;
		}
	} else if (rc < 0) {
		v = refuse(e, "", cts_error_message());
		goto out;
	}
	role = reg.role;
	if (cts_key_parse_public_line(pk, reg.key) < 0) {
		v = refuse(e, "clé inscrite invalide", NULL);
		goto out;
	}
	if (verify_sig(pre, pk, sig, sig_len, json, json_len, &sigwhy) < 0) {
		v = refuse(e, "signature invalide : ", sigwhy);
		goto out;
	}
	if (reg.revoked_after >= 0 && seq > reg.revoked_after) {
		char num[32];
		snprintf(num, sizeof(num), "%lld", (long long)reg.revoked_after);
		v = refuse(e, "clé révoquée : changesets valides jusqu'au n°", num);
		goto out;
	}
	if (strcmp(cs->territory, reg.territory) != 0) {
		v = refuse(e, "territoire différent de celui de l'inscription : ", cs->territory);
		goto out;
	}
	/* Chain. */
	if (last_applied(n, node, &last) < 0) {
		v = refuse(e, "", cts_error_message());
		goto out;
	}
	if (seq <= last) {
		if (applied_id(n, node, seq, have) == 0 && strcmp(have, id) == 0) {
			v = EV_DUPLICATE;
			goto out;
		}
		v = refuse(e, "bifurcation : un autre changeset porte déjà ce numéro", NULL);
		e->need_rebuild = 1;
		goto out;
	}
	if (seq > last + 1) {
		snprintf(e->reason, sizeof(e->reason), "en attente du changeset n°%lld de %s (trou dans la chaîne)",
			 (long long)(last + 1), node);
		v = EV_PENDING;
		goto out;
	}
	if (seq > 1) {
		if (applied_id(n, node, seq - 1, have) < 0 || !cs->prev || strcmp(have, cs->prev) != 0) {
			v = refuse(e, "chaîne rompue : « prev » ne désigne pas le changeset précédent", NULL);
			goto out;
		}
	}
	/* Authorisation of every op. */
	{
		size_t i;
		json_t *op;
		int authority = strcmp(role, "authority") == 0;
		json_array_foreach(cs->ops, i, op) {
			const cts_table_def *t = cts_table_find(json_string_value(json_object_get(op, "table")));
			char why[400];
			if (authority && t->writer != CTS_WRITER_AUTHORITY) {
				snprintf(e->reason, sizeof(e->reason), "opération %zu : l'autorité n'écrit pas la table %s des territoires",
					 i + 1, t->name);
				v = EV_REFUSED;
				goto out;
			}
			if (!authority && t->writer != CTS_WRITER_TERRITORY) {
				snprintf(e->reason, sizeof(e->reason),
					 "opération %zu : un nœud de territoire n'a pas le droit d'écrire la table %s (réservée à la région)",
					 i + 1, t->name);
				v = EV_REFUSED;
				goto out;
			}
			if (json_object_get(op, "set") && !rules_ok(op, why, sizeof(why))) {
				snprintf(e->reason, sizeof(e->reason), "opération %zu : %s", i + 1, why);
				v = EV_REFUSED;
				goto out;
			}
			if (authority && strcmp(t->name, "registry") == 0 && check_registry_op(n, op, why, sizeof(why)) < 0) {
				snprintf(e->reason, sizeof(e->reason), "opération %zu : %s", i + 1, why);
				v = EV_REFUSED;
				goto out;
			}
		}
	}
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
	/* Apply, all or nothing. */
	if ((rc = cts_store_begin(n->store)) < 0) {
		v = refuse(e, "", cts_error_message());
		goto out;
	}
	if ((rc = apply_ops(n, cs)) < 0 || (rc = cts_history_record(n, cs)) < 0 ||
	    (rc = cts_store_hlc_observe(n->store, cs->hlc_max)) < 0 ||
	    (strcmp(role, "authority") == 0 && !is_self && !pinned_node &&
	     (rc = cts_store_meta_set(n->store, "authority_node", node)) < 0) ||
	    (!is_self && (e->wrote = 1, rc = cts_history_write_deferred(n, node, seq, json, json_len, sig, sig_len)) < 0)) {
		cts_store_rollback(n->store);
		if (rc == CTS_EIO || rc == CTS_EDB || rc == CTS_EBUSY || rc == CTS_ENOMEM) {
			/* Our failure, not the changeset's: keep it pending. */
			snprintf(e->reason, sizeof(e->reason), "non appliqué (erreur locale) : %s", cts_error_message());
			v = EV_PENDING;
		} else {
			v = refuse(e, "", cts_error_message());
		}
		goto out;
	}
	if ((rc = cts_store_commit(n->store)) < 0) {
		cts_store_rollback(n->store);
		snprintf(e->reason, sizeof(e->reason), "non appliqué (erreur locale) : %s", cts_error_message());
		v = EV_PENDING;
		goto out;
	}
	if (strcmp(role, "authority") == 0) {
		int cut = 0;
		if (revocation_cuts(n, &cut) == 0 && cut)
			e->need_rebuild = 1;
	}
	v = EV_ACCEPT;
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
		eval_ctx e = { .need_rebuild = 0 };
		verdict v;

		++*done;
		if (st && st->progress && (*done % 64 == 0 || *done == total))
			st->progress(*done, total, st->progress_ctx);
		v = evaluate(n, r->node, r->seq, r->id, r->json, r->json_len, r->sig, r->sig_len, &b->pre[i], &e);
		wrote |= e.wrote;
		if (e.need_rebuild)
			*need_rebuild = 1;
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
			add_event(st, r->node, r->seq, v, e.reason);
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

int cts_import_process(cts_node *n, cts_import_stats *st)
{
	int progress, need_rebuild = 0, rc, passes = 0;

	do {
		if ((rc = process_once(n, st, &progress, &need_rebuild, 0)) < 0)
			return rc;
	} while (progress && ++passes < 100000);
	if (need_rebuild) {
		if (st)
			st->rebuilt = 1;
		return rebuild_locked(n, st);
	}
	/* Report what is still waiting, once, with its final reason. */
	return process_once(n, st, &progress, &need_rebuild, 1);
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

static int rebuild_locked(cts_node *n, cts_import_stats *st)
{
	json_t *rows = NULL, *row;
	sqlite3_stmt *s;
	size_t i;
	int rc, progress, need_rebuild = 0;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	/* Every applied changeset goes back to the inbox, from its files. */
	if ((rc = cts_store_stmt(n->store, &s, "SELECT node, seq FROM changeset ORDER BY node, seq")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		goto cleanup;
	json_array_foreach(rows, i, row) {
		const char *node = json_string_value(json_object_get(row, "node"));
		int64_t seq = json_integer_value(json_object_get(row, "seq"));
		char *json = NULL, *sig = NULL, id[65];
		size_t jl, sl;

		if ((rc = cts_history_read(n->home, node, seq, &json, &jl, &sig, &sl)) < 0) {
			cts_error_prefix(rc, "reconstruction : ");
			goto cleanup;
		}
		cts_changeset_hash(json, jl, id);
		rc = inbox_put(n, node, seq, id, "pending", "reconstruction", json, jl, sig, sl);
		free(json);
		free(sig);
		if (rc < 0)
			goto cleanup;
	}
	if ((rc = cts_store_exec(n->store, "UPDATE inbox SET state = 'pending', reason = 'reconstruction'")) < 0 ||
	    (rc = cts_record_clear_all(n->store)) < 0)
		goto cleanup;
	do {
		if ((rc = process_once(n, st, &progress, &need_rebuild, 0)) < 0)
			goto cleanup;
	} while (progress);
	rc = process_once(n, st, &progress, &need_rebuild, 1);
cleanup:
	json_decref(rows);
	if (rc == 0)
		rc = cts_store_commit(n->store);
	else
		cts_store_rollback(n->store);
	return rc;
}

int cts_import_rebuild(cts_node *n, cts_import_stats *st)
{
	int64_t pending;
	int rc;

	if ((rc = cts_record_pending_ops(n->store, &pending)) < 0)
		return rc;
	if (pending > 0)
		return cts_error_set(CTS_EINVAL, "%lld opération(s) saisie(s) ne sont pas encore scellées : lancez d'abord « ctsnode seal » (ou sync)",
				     (long long)pending);
	if (st)
		st->rebuilt = 1;
	return rebuild_locked(n, st);
}

int cts_import_inbox(cts_node *n, const char *state, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT node, seq, reason FROM inbox WHERE state = ? ORDER BY node, seq")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, state, -1, SQLITE_TRANSIENT);
	return cts_store_rows_json(n->store, s, out);
}
