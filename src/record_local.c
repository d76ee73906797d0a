/*
 * The record engine's local side (record.h): this node's own writes and
 * their journal, the replay of unsealed writes after a rebuild, sealing
 * marks, record ids, the content digest and the conflict listing. The
 * last-writer-wins engine itself (cts_record_apply_*) is in record.c.
 */
#include "record.h"

#include "crashpoint.h"
#include "error.h"
#include "jcs.h"
#include "rules.h"
#include "strbuf.h"
#include "tables.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
			rc = cts_error_set(
			    CTS_ENOTFOUND,
			    "ce dossier ne contient pas de nœud initialisé (ctsnode init)");
		free(*node);
		free(*territory);
		*node = *territory = NULL;
		return rc;
	}
	*next_seq = last + 1;
	return 0;
}

/* A device the region revoked takes no new entries: they could never be
 * accepted (fork evidence, which only reports, is still written). */
static int check_not_revoked(cts_store *st, const char *table)
{
	sqlite3_stmt *s;
	int rc;

	if (strcmp(table, "fork") == 0)
		return 0;
	if ((rc = cts_store_stmt(
	         st, &s,
	         "SELECT r.node, r.revoked_after FROM registry r JOIN meta m ON m.key = 'node'"
	         " AND m.value = r.node WHERE r.revoked_after IS NOT NULL")) < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = cts_error_set(CTS_EINVAL,
		                   "ce poste (%s) a été révoqué par la région après son changeset "
		                   "n°%lld : il n'accepte plus de "
		                   "saisie. Exportez ce qui n'a pas été accepté (ctsnode export "
		                   "DOSSIER) pour le ressaisir sur le "
		                   "poste qui le remplace",
		                   (const char *)sqlite3_column_text(s, 0),
		                   (long long)sqlite3_column_int64(s, 1));
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(st, "lecture du registre");
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
		if (t->writer != CTS_WRITER_ANY && authority != (t->writer == CTS_WRITER_AUTHORITY))
			return cts_error_set(
			    CTS_EINVAL,
			    authority ? "le nœud régional n'écrit pas la table %s des territoires"
			              : "la table %s est réservée au nœud régional",
			    table);
	}
	if (!cts_valid_uuid(rid))
		return cts_error_set(CTS_EINVAL, "identifiant d'enregistrement invalide « %.40s »",
		                     rid);
	if (set && ((rc = cts_record_check_set(t, set)) < 0 ||
	            (rc = cts_rules_check_set(table, set, NULL)) < 0))
		return rc;
	if ((rc = check_not_revoked(st, table)) < 0)
		return rc;
	if ((rc = cts_store_begin(st)) < 0)
		return rc;
	if ((rc = self_stamp(st, &node, &territory, &w.seq)) < 0 ||
	    (rc = cts_store_hlc_next(st, &w.hlc)) < 0)
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
	if ((rc = cts_store_stmt(
	         st, &s,
	         "INSERT INTO journal (hlc, op, tbl, rid, set_json) VALUES (?, ?, ?, ?, ?)")) < 0)
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

int cts_record_replay_unsealed(cts_store *st)
{
	char *node = NULL, *territory = NULL;
	cts_stamp w = { 0 };
	json_t *rows = NULL, *row;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if ((rc = self_stamp(st, &node, &territory, &w.seq)) < 0)
		return rc;
	w.node = node;
	w.territory = territory;
	if ((rc = cts_store_stmt(st, &s,
	                         "SELECT id, hlc, tbl, rid, set_json FROM journal"
	                         " WHERE sealed_seq IS NULL ORDER BY id")) < 0 ||
	    (rc = cts_store_rows_json(st, s, &rows)) < 0)
		goto out;
	json_array_foreach(rows, i, row)
	{
		const cts_table_def *t =
		    cts_table_find(json_string_value(json_object_get(row, "tbl")));
		const char *rid = json_string_value(json_object_get(row, "rid"));
		const char *text = json_string_value(json_object_get(row, "set_json"));
		json_t *set = NULL;

		w.hlc = (uint64_t)json_integer_value(json_object_get(row, "hlc"));
		if (!t || !rid || (text && !(set = json_loads(text, 0, NULL)))) {
			rc = cts_error_set(
			    CTS_EDB, "journal corrompu (opération %lld)",
			    (long long)json_integer_value(json_object_get(row, "id")));
			goto out;
		}
		rc = set ? cts_record_apply_put(st, t, &w, rid, set)
		         : cts_record_apply_del(st, t, &w, rid);
		json_decref(set);
		if (rc < 0)
			goto out;
	}
out:
	json_decref(rows);
	free(node);
	free(territory);
	return rc;
}

int cts_record_mark_sealed(cts_store *st, const char *tbl, const char *territory, const char *rid,
                           const char *field, const char *node, uint64_t hlc, int64_t seq)
{
	sqlite3_stmt *s;
	int rc;

	rc = cts_store_stmt(
	    st, &s,
	    field ? "UPDATE rstate SET st = json_set(st, '$.\"' || ?7 || '\"[3]', ?1)"
	            " WHERE tbl = ?2 AND territory = ?3 AND rid = ?4"
	            " AND st ->> ('$.\"' || ?7 || '\"[2]') = ?5"
	            " AND st ->> ('$.\"' || ?7 || '\"[1]') = ?6"
	          : "UPDATE rstate SET tomb_seq = ?1 WHERE tbl = ?2 AND territory = ?3 AND rid = ?4"
	            " AND tomb_node = ?5 AND tomb_hlc = ?6");
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_text(s, 2, tbl, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, rid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)hlc);
	if (field)
		sqlite3_bind_text(s, 7, field, -1, SQLITE_STATIC);
	return cts_store_done(st, s, "marquage du journal");
}

int cts_record_new_id(char buf[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
	return 0;
}

void cts_record_derived_id(char buf[37], const char *name)
{
	unsigned char b[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(b, (const unsigned char *)name, strlen(name));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x80);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

int cts_record_pending_ops(cts_store *st, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(st, &s, "SELECT count(*) FROM journal WHERE sealed_seq IS NULL")) <
	    0)
		return rc;
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : cts_store_error(st, "lecture du journal");
}

/* The hash states one digest pass feeds: one for every record (n == 0),
 * or one per territory of terrs, the region's records feeding them all. */
typedef struct {
	crypto_hash_sha256_state *h;
	const char *const *terrs;
	size_t n;
	const char *region;
} digest_set;

/* Which state a record of territory terr feeds: its index, n for every
 * one (the region's), -1 for none. */
static long digest_slot(const digest_set *d, const char *terr)
{
	if (d->n == 0)
		return 0;
	if (d->region && strcmp(terr, d->region) == 0)
		return (long)d->n;
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->terrs[i], terr) == 0)
			return (long)i;
	return -1;
}

static int digest_flush(digest_set *d, long slot, json_t *rec)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!rec)
		return 0;
	if ((rc = cts_jcs_dump(&buf, &len, rec)) < 0)
		return rc;
	for (size_t i = 0; i < (d->n ? d->n : 1); i++) {
		if (slot != (long)d->n && (size_t)slot != i)
			continue;
		crypto_hash_sha256_update(&d->h[i], (const unsigned char *)buf, len);
		crypto_hash_sha256_update(&d->h[i], (const unsigned char *)"\n", 1);
	}
	free(buf);
	return 0;
}

/* One pass over the live records into the states of d. */
static int digest_pass(cts_store *st, digest_set *d)
{
	sqlite3_stmt *s;
	json_t *rec = NULL, *set = NULL;
	char cur_terr[80] = "", cur_rid[40] = "";
	long slot = -1;
	int rc = 0;

	for (size_t i = 0; i < cts_table_count && rc == 0; i++) {
		const cts_table_def *t = &cts_tables[i];

		/* Evidence (forks) is not content: which nodes record a fork
		 * depends on who saw both versions first; the data it refuses is
		 * what the digest shows. */
		if (t->writer == CTS_WRITER_ANY)
			continue;
		if ((rc = cts_store_stmt(st, &s,
		                         "SELECT r.territory, r.rid, j.key, j.value ->> 0"
		                         " FROM rstate r, json_each(r.st) j WHERE r.tbl = ?1"
		                         " AND NOT coalesce(" CTS_RSTATE_HIDDEN ", 0)"
		                         " ORDER BY r.territory, r.rid")) < 0)
			break;
		sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *terr = (const char *)sqlite3_column_text(s, 0);
			const char *rid = (const char *)sqlite3_column_text(s, 1);
			const char *field = (const char *)sqlite3_column_text(s, 2);
			const cts_field_def *f = cts_table_field(t, field);
			json_t *v;

			if (!rec || strcmp(terr, cur_terr) != 0 || strcmp(rid, cur_rid) != 0) {
				if ((rc = digest_flush(d, slot, rec)) < 0)
					break;
				json_decref(rec);
				rec = NULL;
				if ((slot = digest_slot(d, terr)) < 0)
					continue; /* a territory this digest leaves out */
				set = json_object();
				rec = json_pack("{s:s, s:s, s:s, s:o}", "table", t->name,
				                "territory", terr, "id", rid, "set", set);
				snprintf(cur_terr, sizeof(cur_terr), "%s", terr);
				snprintf(cur_rid, sizeof(cur_rid), "%s", rid);
			}
			switch (sqlite3_column_type(s, 3)) {
			case SQLITE_INTEGER:
				v = f && f->type == CTS_FT_BOOL
				        ? json_boolean(sqlite3_column_int64(s, 3))
				        : json_integer(sqlite3_column_int64(s, 3));
				break;
			case SQLITE_TEXT:
				v = json_stringn((const char *)sqlite3_column_text(s, 3),
				                 (size_t)sqlite3_column_bytes(s, 3));
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
		rc = digest_flush(d, slot, rec);
		json_decref(rec);
		rec = NULL;
	}
	json_decref(rec);
	return rc;
}

/* d's states initialised, fed and written as hex (one per state). */
static int digest_run(cts_store *st, digest_set *d, char (*hex)[65])
{
	unsigned char out[crypto_hash_sha256_BYTES];
	int rc;

	for (size_t i = 0; i < (d->n ? d->n : 1); i++)
		crypto_hash_sha256_init(&d->h[i]);
	if ((rc = digest_pass(st, d)) < 0)
		return rc;
	for (size_t i = 0; i < (d->n ? d->n : 1); i++) {
		crypto_hash_sha256_final(&d->h[i], out);
		sodium_bin2hex(hex[i], 65, out, sizeof(out));
	}
	return 0;
}

int cts_record_digest(cts_store *st, char hex[65])
{
	crypto_hash_sha256_state h;
	digest_set d = { &h, NULL, 0, NULL };

	return digest_run(st, &d, (char(*)[65])hex);
}

int cts_record_digest_territories(cts_store *st, const char *region, const char *const *terrs,
                                  size_t n, char (*hex)[65])
{
	crypto_hash_sha256_state *h;
	digest_set d = { NULL, terrs, n, region };
	int rc;

	if (n == 0)
		return 0;
	if (!(h = malloc(n * sizeof(*h))))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante (empreintes)");
	d.h = h;
	rc = digest_run(st, &d, hex);
	free(h);
	return rc;
}

int cts_record_territories(cts_store *st, const char *region, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(st, &s,
	                         "SELECT json_group_array(t) FROM (SELECT DISTINCT territory AS t"
	                         " FROM rstate WHERE territory != ?1 AND st <> '{}'"
	                         " ORDER BY territory)")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, region, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return cts_store_error(st, "lecture des territoires");
	return *out ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante (territoires)");
}

int cts_record_clear_all(cts_store *st)
{
	int rc;

	if ((rc = cts_store_exec(st, "DELETE FROM rstate; DELETE FROM conflict;"
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

int cts_record_conflicts(cts_store *st, int64_t id, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(
	         st, &s,
	         "SELECT id, tbl AS \"table\", territory, rid AS record, field, win_value, "
	         "win_node, win_seq, win_hlc,"
	         " lose_value, lose_node, lose_seq, lose_hlc FROM conflict"
	         " WHERE resolved_by IS NULL AND (?1 <= 0 OR id = ?1) ORDER BY id")) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return cts_store_rows_json(st, s, out);
}

int cts_record_conflict_resolve(cts_store *st, const char *territory, int64_t id, int keep_winner)
{
	json_t *arr = NULL, *o, *set;
	const char *t;
	int rc;

	if (id <= 0)
		return cts_error_set(CTS_ENOTFOUND,
		                     "aucun conflit ouvert numéro %lld (ctsnode conflicts)",
		                     (long long)id);
	if ((rc = cts_record_conflicts(st, id, &arr)) < 0)
		return rc;
	if (json_array_size(arr) != 1) {
		json_decref(arr);
		return cts_error_set(CTS_ENOTFOUND,
		                     "aucun conflit ouvert numéro %lld (ctsnode conflicts)",
		                     (long long)id);
	}
	o = json_array_get(arr, 0);
	t = json_string_value(json_object_get(o, "territory"));
	if (!t || strcmp(t, territory) != 0) {
		rc = cts_error_set(
		    CTS_EINVAL,
		    "ce conflit concerne le territoire %s : il se tranche sur un de ses nœuds",
		    t ? t : "?");
		json_decref(arr);
		return rc;
	}
	set = json_object();
	json_object_set(set, json_string_value(json_object_get(o, "field")),
	                json_object_get(o, keep_winner ? "win_value" : "lose_value"));
	rc = cts_record_put(st, json_string_value(json_object_get(o, "table")),
	                    json_string_value(json_object_get(o, "record")), set);
	json_decref(set);
	json_decref(arr);
	return rc;
}

int cts_record_field_hlc(cts_store *st, const char *tbl, const char *territory, const char *rid,
                         const char *field, uint64_t *hlc)
{
	sqlite3_stmt *s;
	int rc;

	*hlc = 0;
	if ((rc = cts_store_stmt_args(st, &s,
	                              "SELECT st ->> ('$.\"' || ?4 || '\"[1]') FROM rstate"
	                              " WHERE tbl = ?1 AND territory = ?2 AND rid = ?3",
	                              (const char *const[]){ tbl, territory, rid, field }, 4)) < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_NULL)
		rc = SQLITE_DONE;
	if (rc == SQLITE_ROW)
		*hlc = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? CTS_ENOTFOUND
	                         : cts_store_error(st, "lecture de l'état des champs");
}

int cts_record_last_values(cts_store *st, const char *tbl, const char *territory, const char *rid,
                           json_t **out, int *hidden)
{
	sqlite3_stmt *s;
	json_t *set = json_object();
	int rc;

	*out = NULL;
	*hidden = 0;
	if (!set)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = cts_store_stmt(st, &s,
	                         "SELECT j.key, j.value ->> 0, r.tomb_hlc IS NOT NULL"
	                         " AND j.value ->> 0 IS NOT NULL AND " CTS_RSTATE_HIDDEN
	                         " FROM rstate r, json_each(r.st) j"
	                         " WHERE r.tbl = ? AND r.territory = ? AND r.rid = ?")) < 0) {
		json_decref(set);
		return rc;
	}
	sqlite3_bind_text(s, 1, tbl, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, territory, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, rid, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *field = (const char *)sqlite3_column_text(s, 0);
		if (sqlite3_column_type(s, 1) == SQLITE_TEXT)
			json_object_set_new(
			    set, field, cts_record_text((const char *)sqlite3_column_text(s, 1)));
		else if (sqlite3_column_type(s, 1) == SQLITE_INTEGER)
			json_object_set_new(set, field, json_integer(sqlite3_column_int64(s, 1)));
		*hidden += sqlite3_column_int(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		json_decref(set);
		return cts_store_error(st, "lecture d'un enregistrement retiré");
	}
	*out = set;
	return 0;
}

int cts_record_list_removed(cts_store *st, const char *tbl, const char *const *fields,
                            size_t nfields, const char *territory, const char *order, json_t **out)
{
	const cts_table_def *t = cts_table_find(tbl);
	cts_strbuf sql = { 0 };
	char *text = NULL;
	int rc;

	*out = NULL;
	if (!t)
		return cts_error_set(CTS_ERR, "table inconnue « %.64s »", tbl);
	cts_strbuf_add(&sql, "SELECT r.territory, r.rid AS id");
	for (size_t i = 0; i < nfields; i++) {
		if (!cts_table_field(t, fields[i])) {
			cts_strbuf_dispose(&sql);
			return cts_error_set(CTS_ERR, "table %s : champ inconnu « %.64s »", tbl,
			                     fields[i]);
		}
		cts_strbuf_addf(&sql, ", r.st ->> '$.%s[0]' AS %s", fields[i], fields[i]);
	}
	cts_strbuf_addf(&sql,
	                " FROM rstate r WHERE r.tbl = ?2 AND (?1 IS NULL OR r.territory = ?1)"
	                " AND r.tomb_hlc IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(r.st) j"
	                " WHERE j.value ->> 0 IS NOT NULL AND " CTS_RSTATE_HIDDEN ")"
	                " ORDER BY r.territory, %s, r.rid",
	                order);
	if ((rc = cts_strbuf_take(&sql, &text, NULL)) < 0)
		return rc;
	rc = cts_store_rows_args(st, text, (const char *const[]){ territory, tbl }, 2, out);
	free(text);
	return rc;
}
