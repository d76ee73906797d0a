#include "importer.h"

#include "changeset.h"
#include "error.h"
#include "hlc.h"
#include "journal.h"
#include "key.h"
#include "record.h"
#include "sshsig.h"
#include "tables.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_MAX_NODES 4096
#define IMPORT_MAX_PER_NODE 10000000

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

static int inbox_put(cts_node *n, const char *node, int64_t seq, const char *id, const char *state, const char *reason,
		     const char *json, size_t json_len, const char *sig, size_t sig_len)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "INSERT INTO inbox (node, seq, id, state, reason, body, sig) VALUES (?, ?, ?, ?, ?, ?, ?)"
					       " ON CONFLICT (node, seq, id) DO NOTHING")) < 0)
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
	unsigned char pk[32];
	char expect[37], name[96];
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
	{
		char buf[128];
		snprintf(buf, sizeof(buf), "registry:%.64s", node);
		cts_record_derived_id(expect, buf);
	}
	if (!cts_valid_node_id(node) || strcmp(expect, rid) != 0) {
		snprintf(why, whylen, "registre : l'identifiant de l'inscription ne correspond pas au nœud %.64s", node);
		return -1;
	}
	if (key && cts_key_parse_public_line(pk, key) < 0) {
		snprintf(why, whylen, "registre : clé invalide pour %.64s", node);
		return -1;
	}
	if (terr && !cts_valid_territory(terr)) {
		snprintf(why, whylen, "registre : territoire invalide pour %.64s", node);
		return -1;
	}
	if (role && strcmp(role, "authority") != 0 && strcmp(role, "territory") != 0) {
		snprintf(why, whylen, "registre : rôle inconnu pour %.64s", node);
		return -1;
	}
	if (json_object_get(set, "revoked_after") && !json_is_null(json_object_get(set, "revoked_after")) &&
	    json_integer_value(json_object_get(set, "revoked_after")) < 0) {
		snprintf(why, whylen, "registre : révocation invalide pour %.64s", node);
		return -1;
	}
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

static verdict evaluate(cts_node *n, const char *node, int64_t seq, const char *id, const char *json, size_t json_len,
			const char *sig, size_t sig_len, eval_ctx *e)
{
	cts_changeset *cs = NULL;
	cts_registry_entry reg = { 0 };
	unsigned char pk[32], signer[32];
	char have[65], *pinned_node = NULL;
	const char *role;
	int64_t last;
	verdict v = EV_REFUSED;
	int rc, is_self = strcmp(node, n->id) == 0;
	sqlite3_stmt *s;

	e->reason[0] = '\0';
	if (cts_changeset_parse(&cs, json, json_len) < 0) {
		v = refuse(e, "format invalide : ", cts_error_message());
		goto out;
	}
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
		    cts_sshsig_verify(sig, sig_len, pk, CTS_SIG_NAMESPACE, (const unsigned char *)json, json_len, NULL) == 0) {
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
	if (cts_sshsig_verify(sig, sig_len, pk, CTS_SIG_NAMESPACE, (const unsigned char *)json, json_len, signer) < 0) {
		v = refuse(e, "signature invalide : ", cts_error_message());
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
	    (!is_self && (rc = cts_history_write(n, node, seq, json, json_len, sig, sig_len)) < 0)) {
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

static int process_once(cts_node *n, cts_import_stats *st, int *progress, int *need_rebuild, int final_pass)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row;
	size_t i;
	int rc;

	*progress = 0;
	/* Load keys only; bodies are read one at a time. */
	/* The authority's chain first: the registry decides everything else. */
	if ((rc = cts_store_stmt(n->store, &s, "SELECT node, seq, id FROM inbox WHERE state IN ('pending', 'held')"
					       " ORDER BY node IS NOT (SELECT value FROM meta WHERE key = 'authority_node'),"
					       " node, seq, id")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row) {
		const char *node = json_string_value(json_object_get(row, "node"));
		const char *id = json_string_value(json_object_get(row, "id"));
		int64_t seq = json_integer_value(json_object_get(row, "seq"));
		char *json = NULL, *sig = NULL;
		size_t jl = 0, sl = 0;
		eval_ctx e = { .need_rebuild = 0 };
		verdict v;

		if ((rc = cts_store_stmt(n->store, &s, "SELECT body, sig FROM inbox WHERE node = ? AND seq = ? AND id = ?")) < 0)
			break;
		sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, seq);
		sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			continue;
		}
		jl = (size_t)sqlite3_column_bytes(s, 0);
		sl = (size_t)sqlite3_column_bytes(s, 1);
		json = malloc(jl + 1);
		sig = malloc(sl + 1);
		if (!json || !sig) {
			sqlite3_reset(s);
			free(json);
			free(sig);
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			break;
		}
		memcpy(json, sqlite3_column_blob(s, 0), jl);
		memcpy(sig, sqlite3_column_blob(s, 1), sl);
		sqlite3_reset(s);

		if (st && st->progress && (i % 64 == 0 || i + 1 == json_array_size(rows)))
			st->progress(i + 1, json_array_size(rows), st->progress_ctx);
		v = evaluate(n, node, seq, id, json, jl, sig, sl, &e);
		free(json);
		free(sig);
		if (e.need_rebuild)
			*need_rebuild = 1;
		if (v == EV_ACCEPT || v == EV_DUPLICATE) {
			if ((rc = inbox_del(n, node, seq, id)) < 0)
				break;
			if (v == EV_ACCEPT) {
				*progress = 1;
				if (st)
					st->accepted++;
			} else if (st) {
				st->duplicates++;
			}
			continue;
		}
		if ((rc = inbox_set(n, node, seq, id, state_names[v], e.reason)) < 0)
			break;
		if (final_pass || v == EV_REFUSED)
			add_event(st, node, seq, v, e.reason);
	}
	json_decref(rows);
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
