#include "record.h"

#include "crashpoint.h"
#include "error.h"
#include "jcs.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cts_record_check_set(const cts_table_def *t, const json_t *set)
{
	const char *key;
	json_t *v;

	if (!json_is_object(set))
		return cts_error_set(CTS_EINVAL, "table %s : « set » doit être un objet", t->name);
	json_object_foreach((json_t *)set, key, v) {
		const cts_field_def *f = cts_table_field(t, key);

		if (!f)
			return cts_error_set(CTS_EINVAL, "table %s : champ inconnu « %.64s »", t->name, key);
		if (json_is_null(v))
			continue;
		switch (f->type) {
		case CTS_FT_TEXT:
			if (!json_is_string(v))
				return cts_error_set(CTS_EINVAL, "table %s, champ %s : texte attendu", t->name, key);
			if (json_string_length(v) > f->max_len)
				return cts_error_set(CTS_ELIMIT, "table %s, champ %s : texte trop long (%zu octets, maximum %zu)",
						     t->name, key, json_string_length(v), f->max_len);
			if (memchr(json_string_value(v), '\0', json_string_length(v)))
				return cts_error_set(CTS_EINVAL, "table %s, champ %s : caractère NUL interdit", t->name, key);
			break;
		case CTS_FT_INT:
			if (!json_is_integer(v))
				return cts_error_set(CTS_EINVAL, "table %s, champ %s : entier attendu", t->name, key);
			break;
		case CTS_FT_BOOL:
			if (!json_is_boolean(v))
				return cts_error_set(CTS_EINVAL, "table %s, champ %s : booléen attendu", t->name, key);
			break;
		}
	}
	return 0;
}

static void bind_json(sqlite3_stmt *s, int i, const json_t *v)
{
	if (json_is_string(v))
		sqlite3_bind_text(s, i, json_string_value(v), (int)json_string_length(v), SQLITE_TRANSIENT);
	else if (json_is_integer(v))
		sqlite3_bind_int64(s, i, json_integer_value(v));
	else if (json_is_true(v))
		sqlite3_bind_int(s, i, 1);
	else if (json_is_false(v))
		sqlite3_bind_int(s, i, 0);
	else
		sqlite3_bind_null(s, i);
}

/* (h1, n1) > (h2, n2) in the LWW order. */
static int stamp_gt(uint64_t h1, const char *n1, uint64_t h2, const char *n2)
{
	if (h1 != h2)
		return h1 > h2;
	return strcmp(n1, n2) > 0;
}

/* Highest seq of `other` in the causal past of changeset (node, seq). */
static int seen_of(cts_store *st, const char *node, int64_t seq, const char *other, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	if (strcmp(node, other) == 0) {
		*out = seq - 1;
		return 0;
	}
	if ((rc = cts_store_stmt(st, &s, "SELECT oseq FROM changeset_seen WHERE node = ? AND seq = ? AND other = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_text(s, 3, other, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : cts_store_error(st, "lecture du contexte causal");
}

/* Highest seq of `other` in the causal past of the incoming writer. */
static int64_t stamp_seen(const cts_stamp *w, const char *other)
{
	json_t *v;

	if (strcmp(w->node, other) == 0)
		return w->seq - 1;
	if (!w->seen || !(v = json_object_get(w->seen, other)) || !json_is_integer(v))
		return 0;
	return json_integer_value(v);
}

static int rematerialise(cts_store *st, const cts_table_def *t, const char *territory, const char *rid)
{
	char sql[1024];
	sqlite3_stmt *s, *ins;
	sqlite3_value *vals[32] = { 0 };
	int rc, any = 0;
	size_t off;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE territory = ? AND id = ?", t->name);
	if ((rc = cts_store_stmt(st, &s, sql)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, rid, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		return cts_store_error(st, "mise à jour de la vue");

	if ((rc = cts_store_stmt(st, &s,
				 "SELECT f.field, f.value FROM fstate f WHERE f.tbl = ?1 AND f.territory = ?2 AND f.rid = ?3"
				 " AND NOT EXISTS (SELECT 1 FROM tomb t WHERE t.tbl = ?1 AND t.territory = ?2 AND t.rid = ?3"
				 " AND (t.hlc > f.hlc OR (t.hlc = f.hlc AND t.node > f.node)))")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *field = (const char *)sqlite3_column_text(s, 0);
		for (size_t i = 0; i < t->nfields && i < 32; i++) {
			if (strcmp(t->fields[i].name, field) == 0) {
				sqlite3_value_free(vals[i]);
				vals[i] = sqlite3_value_dup(sqlite3_column_value(s, 1));
				any = 1;
			}
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		rc = cts_store_error(st, "lecture de l'état des champs");
		goto cleanup;
	}
	rc = 0;
	if (!any)
		goto cleanup; /* deleted, or nothing visible */

	off = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (territory, id", t->name);
	for (size_t i = 0; i < t->nfields; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", %s", t->fields[i].name);
	off += (size_t)snprintf(sql + off, sizeof(sql) - off, ") VALUES (?, ?");
	for (size_t i = 0; i < t->nfields; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", ?");
	snprintf(sql + off, sizeof(sql) - off, ")");
	if ((rc = cts_store_stmt(st, &ins, sql)) < 0)
		goto cleanup;
	sqlite3_bind_text(ins, 1, territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, rid, -1, SQLITE_STATIC);
	for (size_t i = 0; i < t->nfields; i++) {
		if (vals[i])
			sqlite3_bind_value(ins, (int)i + 3, vals[i]);
	}
	rc = sqlite3_step(ins) == SQLITE_DONE ? 0 : cts_store_error(st, "mise à jour de la vue");
	sqlite3_reset(ins);
cleanup:
	for (size_t i = 0; i < 32; i++)
		sqlite3_value_free(vals[i]);
	return rc;
}

/* Open conflicts on a field whose both sides are in the writer's causal
 * past are resolved by this write. */
static int resolve_conflicts(cts_store *st, const cts_table_def *t, const cts_stamp *w,
			     const char *rid, const char *field)
{
	sqlite3_stmt *s, *u;
	char by[96];
	int rc;

	snprintf(by, sizeof(by), "%s:%lld", w->node, (long long)w->seq);
	if ((rc = cts_store_stmt(st, &s,
				 "SELECT id, win_node, win_seq, lose_node, lose_seq FROM conflict"
				 " WHERE tbl = ? AND territory = ? AND rid = ? AND (?4 IS NULL OR field = ?4)"
				 " AND resolved_by IS NULL")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, w->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rid, -1, SQLITE_STATIC);
	if (field)
		sqlite3_bind_text(s, 4, field, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *wn = (const char *)sqlite3_column_text(s, 1);
		const char *ln = (const char *)sqlite3_column_text(s, 3);
		int64_t ws = sqlite3_column_int64(s, 2), ls = sqlite3_column_int64(s, 4);
		int knows_win = !w->seen ? 1 : stamp_seen(w, wn) >= ws || (strcmp(wn, w->node) == 0 && ws <= w->seq);
		int knows_lose = !w->seen ? 1 : stamp_seen(w, ln) >= ls || (strcmp(ln, w->node) == 0 && ls <= w->seq);

		if (!(knows_win && knows_lose))
			continue;
		if (cts_store_stmt(st, &u, "UPDATE conflict SET resolved_by = ? WHERE id = ?") < 0)
			break;
		sqlite3_bind_text(u, 1, by, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(u, 2, sqlite3_column_int64(s, 0));
		if (sqlite3_step(u) != SQLITE_DONE) {
			sqlite3_reset(s);
			return cts_store_error(st, "résolution de conflit");
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(st, "lecture des conflits");
}

static int record_conflict(cts_store *st, const cts_table_def *t, const cts_stamp *w, const char *rid,
			   const char *field, const json_t *value, sqlite3_stmt *old, int incoming_wins)
{
	sqlite3_stmt *s;
	int rc;
	/* old columns: 0 value, 1 hlc, 2 node, 3 seq */
	int ov = 1, oh = 2, on = 3, os = 4; /* bind positions for the old side */
	int nv = 5, nh = 6, nn = 7, ns = 8;

	if ((rc = cts_store_stmt(st, &s,
				 "INSERT OR IGNORE INTO conflict (tbl, territory, rid, field, win_value, win_hlc, win_node, win_seq,"
				 " lose_value, lose_hlc, lose_node, lose_seq) VALUES (?9, ?10, ?11, ?12, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")) < 0)
		return rc;
	if (incoming_wins) {
		ov = 5; oh = 6; on = 7; os = 8;
		nv = 1; nh = 2; nn = 3; ns = 4;
	}
	sqlite3_bind_value(s, ov, sqlite3_column_value(old, 0));
	sqlite3_bind_int64(s, oh, sqlite3_column_int64(old, 1));
	sqlite3_bind_value(s, on, sqlite3_column_value(old, 2));
	sqlite3_bind_int64(s, os, sqlite3_column_int64(old, 3));
	bind_json(s, nv, value);
	sqlite3_bind_int64(s, nh, (sqlite3_int64)w->hlc);
	sqlite3_bind_text(s, nn, w->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, ns, w->seq);
	sqlite3_bind_text(s, 9, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, w->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, rid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, field, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(st, "enregistrement d'un conflit");
}

/* Same stored value as the JSON one? */
static int same_value(sqlite3_value *sv, const json_t *v)
{
	switch (sqlite3_value_type(sv)) {
	case SQLITE_NULL:
		return json_is_null(v);
	case SQLITE_INTEGER:
		if (json_is_integer(v))
			return sqlite3_value_int64(sv) == json_integer_value(v);
		if (json_is_boolean(v))
			return sqlite3_value_int64(sv) == (json_is_true(v) ? 1 : 0);
		return 0;
	case SQLITE_TEXT:
		return json_is_string(v) && (size_t)sqlite3_value_bytes(sv) == json_string_length(v) &&
		       memcmp(sqlite3_value_text(sv), json_string_value(v), json_string_length(v)) == 0;
	default:
		return 0;
	}
}

int cts_record_apply_put(cts_store *st, const cts_table_def *t, const cts_stamp *w,
			 const char *rid, const json_t *set)
{
	sqlite3_stmt *get, *put;
	const char *field;
	json_t *value;
	int rc;

	cts_crashpoint();
	json_object_foreach((json_t *)set, field, value) {
		int incoming_wins = 1;

		if ((rc = cts_store_stmt(st, &get, "SELECT value, hlc, node, seq FROM fstate"
						   " WHERE tbl = ? AND territory = ? AND rid = ? AND field = ?")) < 0)
			return rc;
		sqlite3_bind_text(get, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(get, 2, w->territory, -1, SQLITE_STATIC);
		sqlite3_bind_text(get, 3, rid, -1, SQLITE_STATIC);
		sqlite3_bind_text(get, 4, field, -1, SQLITE_STATIC);
		rc = sqlite3_step(get);
		if (rc == SQLITE_ROW) {
			uint64_t eh = (uint64_t)sqlite3_column_int64(get, 1);
			const char *en = (const char *)sqlite3_column_text(get, 2);
			int64_t es = sqlite3_column_int64(get, 3);

			if (eh == w->hlc && strcmp(en, w->node) == 0) {
				sqlite3_reset(get);
				continue; /* the same op again: idempotent */
			}
			incoming_wins = stamp_gt(w->hlc, w->node, eh, en);
			if (w->seen && strcmp(en, w->node) != 0 && !same_value(sqlite3_column_value(get, 0), value)) {
				int64_t existing_saw;
				if ((rc = seen_of(st, en, es, w->node, &existing_saw)) < 0) {
					sqlite3_reset(get);
					return rc;
				}
				if (stamp_seen(w, en) < es && existing_saw < w->seq &&
				    (rc = record_conflict(st, t, w, rid, field, value, get, incoming_wins)) < 0) {
					sqlite3_reset(get);
					return rc;
				}
			}
		} else if (rc != SQLITE_DONE) {
			sqlite3_reset(get);
			return cts_store_error(st, "lecture de l'état des champs");
		}
		sqlite3_reset(get);
		if (!incoming_wins)
			continue;
		if ((rc = cts_store_stmt(st, &put, "INSERT INTO fstate (tbl, territory, rid, field, value, hlc, node, seq)"
						   " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tbl, territory, rid, field) DO UPDATE"
						   " SET value = excluded.value, hlc = excluded.hlc, node = excluded.node, seq = excluded.seq")) < 0)
			return rc;
		sqlite3_bind_text(put, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 2, w->territory, -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 3, rid, -1, SQLITE_STATIC);
		sqlite3_bind_text(put, 4, field, -1, SQLITE_STATIC);
		bind_json(put, 5, value);
		sqlite3_bind_int64(put, 6, (sqlite3_int64)w->hlc);
		sqlite3_bind_text(put, 7, w->node, -1, SQLITE_STATIC);
		sqlite3_bind_int64(put, 8, w->seq);
		rc = sqlite3_step(put);
		sqlite3_reset(put);
		if (rc != SQLITE_DONE)
			return cts_store_error(st, "écriture de l'état des champs");
		if ((rc = resolve_conflicts(st, t, w, rid, field)) < 0)
			return rc;
	}
	return rematerialise(st, t, w->territory, rid);
}

int cts_record_apply_del(cts_store *st, const cts_table_def *t, const cts_stamp *w, const char *rid)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(st, &s, "INSERT INTO tomb (tbl, territory, rid, hlc, node, seq) VALUES (?, ?, ?, ?, ?, ?)"
					 " ON CONFLICT (tbl, territory, rid) DO UPDATE SET hlc = excluded.hlc, node = excluded.node,"
					 " seq = excluded.seq WHERE excluded.hlc > tomb.hlc OR (excluded.hlc = tomb.hlc AND excluded.node > tomb.node)")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, w->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)w->hlc);
	sqlite3_bind_text(s, 5, w->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, w->seq);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return cts_store_error(st, "écriture d'une suppression");
	if ((rc = resolve_conflicts(st, t, w, rid, NULL)) < 0)
		return rc;
	return rematerialise(st, t, w->territory, rid);
}

/* This node's identity for local writes. Strings malloc'd. */
static int self_stamp(cts_store *st, char **node, char **territory, int64_t *next_seq)
{
	int64_t last;
	int rc;

	*node = *territory = NULL;
	if ((rc = cts_store_meta_get(st, "node", node)) < 0 ||
	    (rc = cts_store_meta_get(st, "territory", territory)) < 0 ||
	    (rc = cts_store_meta_get_int(st, "last_seq", &last, 0)) < 0) {
		if (rc == CTS_ENOTFOUND)
			rc = cts_error_set(CTS_ENOTFOUND, "ce dossier ne contient pas de nœud initialisé (ctsnode init)");
		free(*node);
		free(*territory);
		*node = *territory = NULL;
		return rc;
	}
	*next_seq = last + 1;
	return 0;
}

static int local_write(cts_store *st, const char *table, const char *rid, const json_t *set)
{
	const cts_table_def *t = cts_table_find(table);
	char *node = NULL, *territory = NULL, *set_json = NULL;
	size_t set_len = 0;
	cts_stamp w = { 0 };
	sqlite3_stmt *s;
	int rc;

	if (!t)
		return cts_error_set(CTS_ERR, "table inconnue %s", table);
	{
		char *role = NULL;
		int authority;
		if ((rc = cts_store_meta_get(st, "role", &role)) < 0 && rc != CTS_ENOTFOUND)
			return rc;
		authority = role && strcmp(role, "authority") == 0;
		free(role);
		if (authority != (t->writer == CTS_WRITER_AUTHORITY))
			return cts_error_set(CTS_EINVAL, authority ? "le nœud régional n'écrit pas la table %s des territoires"
								   : "la table %s est réservée au nœud régional", table);
	}
	if (!cts_valid_uuid(rid))
		return cts_error_set(CTS_EINVAL, "identifiant d'enregistrement invalide « %.40s »", rid);
	if (set && (rc = cts_record_check_set(t, set)) < 0)
		return rc;
	if ((rc = cts_store_begin(st)) < 0)
		return rc;
	if ((rc = self_stamp(st, &node, &territory, &w.seq)) < 0 || (rc = cts_store_hlc_next(st, &w.hlc)) < 0)
		goto cleanup;
	w.node = node;
	w.territory = territory;
	if (set) {
		if ((rc = cts_jcs_dump(&set_json, &set_len, set)) < 0 ||
		    (rc = cts_record_apply_put(st, t, &w, rid, set)) < 0)
			goto cleanup;
	} else if ((rc = cts_record_apply_del(st, t, &w, rid)) < 0) {
		goto cleanup;
	}
	cts_crashpoint(); /* data written, journal entry not yet */
	if ((rc = cts_store_stmt(st, &s, "INSERT INTO journal (hlc, op, tbl, rid, set_json) VALUES (?, ?, ?, ?, ?)")) < 0)
		goto cleanup;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)w.hlc);
	sqlite3_bind_text(s, 2, set ? "put" : "del", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, rid, -1, SQLITE_STATIC);
	if (set_json)
		sqlite3_bind_text(s, 5, set_json, (int)set_len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	rc = rc == SQLITE_DONE ? 0 : cts_store_error(st, "écriture du journal");
cleanup:
	if (rc == 0)
		rc = cts_store_commit(st);
	if (rc < 0)
		cts_store_rollback(st);
	free(set_json);
	free(node);
	free(territory);
	return rc;
}

int cts_record_put(cts_store *st, const char *table, const char *rid, const json_t *set)
{
	if (!set || json_object_size(set) == 0)
		return cts_error_set(CTS_ERR, "écriture vide");
	return local_write(st, table, rid, set);
}

int cts_record_del(cts_store *st, const char *table, const char *rid)
{
	return local_write(st, table, rid, NULL);
}

int cts_record_new_id(char buf[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

void cts_record_derived_id(char buf[37], const char *name)
{
	unsigned char b[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(b, (const unsigned char *)name, strlen(name));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x80);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int cts_record_pending_ops(cts_store *st, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(st, &s, "SELECT count(*) FROM journal WHERE sealed_seq IS NULL")) < 0)
		return rc;
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : cts_store_error(st, "lecture du journal");
}

static int digest_flush(crypto_hash_sha256_state *h, json_t *rec)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!rec)
		return 0;
	if ((rc = cts_jcs_dump(&buf, &len, rec)) < 0)
		return rc;
	crypto_hash_sha256_update(h, (const unsigned char *)buf, len);
	crypto_hash_sha256_update(h, (const unsigned char *)"\n", 1);
	free(buf);
	return 0;
}

int cts_record_digest(cts_store *st, char hex[65])
{
	crypto_hash_sha256_state h;
	unsigned char out[crypto_hash_sha256_BYTES];
	sqlite3_stmt *s;
	json_t *rec = NULL, *set = NULL;
	char cur_terr[80] = "", cur_rid[40] = "";
	int rc = 0;

	crypto_hash_sha256_init(&h);
	for (size_t i = 0; i < cts_table_count && rc == 0; i++) {
		const cts_table_def *t = &cts_tables[i];

		if ((rc = cts_store_stmt(st, &s,
					 "SELECT f.territory, f.rid, f.field, f.value FROM fstate f WHERE f.tbl = ?1"
					 " AND NOT EXISTS (SELECT 1 FROM tomb t WHERE t.tbl = ?1 AND t.territory = f.territory"
					 " AND t.rid = f.rid AND (t.hlc > f.hlc OR (t.hlc = f.hlc AND t.node > f.node)))"
					 " ORDER BY f.territory, f.rid, f.field")) < 0)
			break;
		sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *terr = (const char *)sqlite3_column_text(s, 0);
			const char *rid = (const char *)sqlite3_column_text(s, 1);
			const char *field = (const char *)sqlite3_column_text(s, 2);
			const cts_field_def *f = cts_table_field(t, field);
			json_t *v;

			if (!rec || strcmp(terr, cur_terr) != 0 || strcmp(rid, cur_rid) != 0) {
				if ((rc = digest_flush(&h, rec)) < 0)
					break;
				json_decref(rec);
				set = json_object();
				rec = json_pack("{s:s, s:s, s:s, s:o}", "table", t->name, "territory", terr, "id", rid, "set", set);
				snprintf(cur_terr, sizeof(cur_terr), "%s", terr);
				snprintf(cur_rid, sizeof(cur_rid), "%s", rid);
			}
			switch (sqlite3_column_type(s, 3)) {
			case SQLITE_INTEGER:
				v = f && f->type == CTS_FT_BOOL ? json_boolean(sqlite3_column_int64(s, 3))
								: json_integer(sqlite3_column_int64(s, 3));
				break;
			case SQLITE_TEXT:
				v = json_stringn((const char *)sqlite3_column_text(s, 3), (size_t)sqlite3_column_bytes(s, 3));
				break;
			default:
				v = json_null();
			}
			json_object_set_new(set, field, v);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE && rc >= 0) {
			rc = cts_store_error(st, "calcul de l'empreinte");
			break;
		}
		rc = digest_flush(&h, rec);
		json_decref(rec);
		rec = NULL;
	}
	json_decref(rec);
	if (rc < 0)
		return rc;
	crypto_hash_sha256_final(&h, out);
	sodium_bin2hex(hex, 65, out, sizeof(out));
	return 0;
}

int cts_record_clear_all(cts_store *st)
{
	int rc;

	if ((rc = cts_store_exec(st, "DELETE FROM fstate; DELETE FROM tomb; DELETE FROM conflict;"
				     " DELETE FROM changeset; DELETE FROM changeset_seen;")) < 0)
		return rc;
	for (size_t i = 0; i < cts_table_count; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "DELETE FROM %s", cts_tables[i].name);
		if ((rc = cts_store_exec(st, sql)) < 0)
			return rc;
	}
	return 0;
}
