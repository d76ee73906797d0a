#include "record.h"

#include "crashpoint.h"
#include "error.h"
#include "jcs.h"
#include "rules.h"

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

json_t *cts_record_text(const char *s)
{
	return s ? json_string_nocheck(s) : json_null();
}

/* The value must outlive the statement's next step (bound static). */
static void bind_json(sqlite3_stmt *s, int i, const json_t *v)
{
	if (json_is_string(v))
		sqlite3_bind_text(s, i, json_string_value(v), (int)json_string_length(v), SQLITE_STATIC);
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

/* The replicated state of one record as read before (put) or after (del)
 * an operation: its field states, its tombstone and its open conflicts. */
#define REC_MAX_FIELDS 32

/* Statement slots (store.h): 2 per table for the view, then one
 * multi-row fstate write per row count. */
#define SLOT_FSTATE 24
#define SLOT_FSTATE_MAX (64 - SLOT_FSTATE - 1)

typedef struct {
	int present;          /* a row in fstate */
	sqlite3_value *value; /* its value (copy) */
	uint64_t hlc;
	const char *node;     /* in rec_state.strings, or the writer's (after a write) */
	int64_t seq;
	const json_t *nv;     /* value written by this operation, or NULL */
} field_state;

typedef struct {
	int64_t id;
	size_t field;
	const char *win_node, *lose_node;
	int64_t win_seq, lose_seq;
} open_conflict;

typedef struct {
	field_state f[REC_MAX_FIELDS];
	int has_tomb;
	int64_t tomb_hlc;
	const char *tomb_node;
	open_conflict *conf;
	size_t nconf, capconf;
	char *strings; /* node ids, NUL-separated */
	size_t nstr, capstr;
} rec_state;

static void rec_state_dispose(rec_state *r)
{
	for (size_t i = 0; i < REC_MAX_FIELDS; i++)
		sqlite3_value_free(r->f[i].value);
	free(r->conf);
	free(r->strings);
}

/* Offset of a copy of `s` in r->strings (pointers are fixed up after the
 * load, since the buffer may move). */
static int rec_str(rec_state *r, const unsigned char *s, size_t *off)
{
	size_t n = strlen((const char *)(s ? s : (const unsigned char *)"")) + 1;

	if (r->nstr + n > r->capstr) {
		size_t cap = r->capstr ? r->capstr * 2 : 512;
		char *p;
		while (cap < r->nstr + n)
			cap *= 2;
		if (!(p = realloc(r->strings, cap)))
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		r->strings = p;
		r->capstr = cap;
	}
	memcpy(r->strings + r->nstr, s ? (const char *)s : "", n);
	*off = r->nstr;
	r->nstr += n;
	return 0;
}

static size_t field_index(const cts_table_def *t, const char *name)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

/* One statement reads the record's field states, tombstone and open
 * conflicts (all three by primary key / unique index prefix). */
static int load_state(cts_store *st, const cts_table_def *t, const char *territory, const char *rid, rec_state *r)
{
	sqlite3_stmt *s;
	size_t node_off[REC_MAX_FIELDS], tomb_off = 0, *conf_off = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (t->nfields > REC_MAX_FIELDS)
		return cts_error_set(CTS_ERR, "table %s : trop de champs", t->name);
	if ((rc = cts_store_stmt(st, &s,
				 "SELECT 0, field, value, hlc, node, seq, NULL FROM fstate"
				 " WHERE tbl = ?1 AND territory = ?2 AND rid = ?3"
				 " UNION ALL SELECT 1, NULL, NULL, hlc, node, seq, NULL FROM tomb"
				 " WHERE tbl = ?1 AND territory = ?2 AND rid = ?3"
				 " UNION ALL SELECT 2, field, id, win_seq, win_node, lose_seq, lose_node FROM conflict"
				 " WHERE tbl = ?1 AND territory = ?2 AND rid = ?3 AND resolved_by IS NULL")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int kind = sqlite3_column_int(s, 0);
		size_t i = kind == 1 ? 0 : field_index(t, (const char *)sqlite3_column_text(s, 1));

		if (kind == 0 && i < t->nfields) {
			field_state *f = &r->f[i];
			f->present = 1;
			if (!(f->value = sqlite3_value_dup(sqlite3_column_value(s, 2)))) {
				rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
				goto fail;
			}
			f->hlc = (uint64_t)sqlite3_column_int64(s, 3);
			f->seq = sqlite3_column_int64(s, 5);
			if ((rc = rec_str(r, sqlite3_column_text(s, 4), &node_off[i])) < 0)
				goto fail;
		} else if (kind == 1) {
			r->has_tomb = 1;
			r->tomb_hlc = sqlite3_column_int64(s, 3);
			if ((rc = rec_str(r, sqlite3_column_text(s, 4), &tomb_off)) < 0)
				goto fail;
		} else if (kind == 2 && i < t->nfields) {
			open_conflict *c;
			if (r->nconf == r->capconf) {
				size_t cap = r->capconf ? r->capconf * 2 : 8;
				open_conflict *p = realloc(r->conf, cap * sizeof(*p));
				size_t *po = realloc(conf_off, cap * 2 * sizeof(*po));
				if (p)
					r->conf = p;
				if (po)
					conf_off = po;
				if (!p || !po) {
					rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
					goto fail;
				}
				r->capconf = cap;
			}
			c = &r->conf[r->nconf];
			c->id = sqlite3_column_int64(s, 2);
			c->field = i;
			c->win_seq = sqlite3_column_int64(s, 3);
			c->lose_seq = sqlite3_column_int64(s, 5);
			if ((rc = rec_str(r, sqlite3_column_text(s, 4), &conf_off[2 * r->nconf])) < 0 ||
			    (rc = rec_str(r, sqlite3_column_text(s, 6), &conf_off[2 * r->nconf + 1])) < 0)
				goto fail;
			r->nconf++;
		}
	}
	if (rc != SQLITE_DONE) {
		rc = cts_store_error(st, "lecture de l'état des champs");
		goto fail;
	}
	sqlite3_reset(s);
	for (size_t i = 0; i < t->nfields; i++)
		if (r->f[i].present)
			r->f[i].node = r->strings + node_off[i];
	if (r->has_tomb)
		r->tomb_node = r->strings + tomb_off;
	for (size_t k = 0; k < r->nconf; k++) {
		r->conf[k].win_node = r->strings + conf_off[2 * k];
		r->conf[k].lose_node = r->strings + conf_off[2 * k + 1];
	}
	free(conf_off);
	return 0;
fail:
	sqlite3_reset(s);
	free(conf_off);
	rec_state_dispose(r);
	memset(r, 0, sizeof(*r));
	return rc;
}

/* The materialised row from the record's state: its visible fields (not
 * older than the tombstone, as the digest sees them), or no row at all. */
static int materialise(cts_store *st, const cts_table_def *t, const char *territory, const char *rid,
		       const rec_state *r)
{
	sqlite3_stmt *s;
	int visible[REC_MAX_FIELDS], any = 0, rc;
	unsigned ti = (unsigned)(t - cts_tables);

	if (ti >= cts_table_count || 2 * ti + 1 >= SLOT_FSTATE)
		return cts_error_set(CTS_ERR, "table %s inconnue", t->name);
	for (size_t i = 0; i < t->nfields; i++) {
		const field_state *f = &r->f[i];
		int64_t h = (int64_t)f->hlc; /* compared as SQLite integers are */
		visible[i] = f->present && !(r->has_tomb && (r->tomb_hlc > h ||
							      (r->tomb_hlc == h && strcmp(r->tomb_node, f->node) > 0)));
		any |= visible[i];
	}
	if (!any) {
		if ((rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + 2 * ti, &s, NULL)) == 1) {
			char sql[128];
			snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE territory = ? AND id = ?", t->name);
			rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + 2 * ti, &s, sql);
		}
		if (rc < 0)
			return rc;
		sqlite3_bind_text(s, 1, territory, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, rid, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 0 : cts_store_error(st, "mise à jour de la vue");
	}
	if ((rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + 2 * ti + 1, &s, NULL)) == 1) {
		char sql[1024];
		size_t off = (size_t)snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO %s (territory, id", t->name);
		for (size_t i = 0; i < t->nfields; i++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", %s", t->fields[i].name);
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, ") VALUES (?, ?");
		for (size_t i = 0; i < t->nfields; i++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", ?");
		snprintf(sql + off, sizeof(sql) - off, ")");
		rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + 2 * ti + 1, &s, sql);
	}
	if (rc < 0)
		return rc;
	sqlite3_bind_text(s, 1, territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, rid, -1, SQLITE_STATIC);
	for (size_t i = 0; i < t->nfields; i++) {
		if (!visible[i])
			continue;
		if (r->f[i].nv)
			bind_json(s, (int)i + 3, r->f[i].nv);
		else
			sqlite3_bind_value(s, (int)i + 3, r->f[i].value);
	}
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(st, "mise à jour de la vue");
}

/* Re-materialise a record from what the database holds. */
static int rematerialise(cts_store *st, const cts_table_def *t, const char *territory, const char *rid)
{
	rec_state r;
	int rc;

	if ((rc = load_state(st, t, territory, rid, &r)) < 0)
		return rc;
	rc = materialise(st, t, territory, rid, &r);
	rec_state_dispose(&r);
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
			   const char *field, const json_t *value, const field_state *old, int incoming_wins)
{
	sqlite3_stmt *s;
	int rc;
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
	sqlite3_bind_value(s, ov, old->value);
	sqlite3_bind_int64(s, oh, (sqlite3_int64)old->hlc);
	sqlite3_bind_text(s, on, old->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, os, old->seq);
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

/* Does the writer know the changeset (node, seq)? A local write knows
 * everything. */
static int writer_knows(const cts_stamp *w, const char *node, int64_t seq)
{
	return !w->seen ? 1 : stamp_seen(w, node) >= seq || (strcmp(node, w->node) == 0 && seq <= w->seq);
}

/* resolve_conflicts() for one field, on the conflicts open before the
 * operation (a conflict recorded by this very operation has a side the
 * writer does not know, so it is never resolved by it). */
static int resolve_loaded(cts_store *st, const cts_stamp *w, const rec_state *r, size_t field)
{
	sqlite3_stmt *u;
	char by[96];
	int rc;

	for (size_t k = 0; k < r->nconf; k++) {
		const open_conflict *c = &r->conf[k];

		if (c->field != field || !writer_knows(w, c->win_node, c->win_seq) ||
		    !writer_knows(w, c->lose_node, c->lose_seq))
			continue;
		if ((rc = cts_store_stmt(st, &u, "UPDATE conflict SET resolved_by = ? WHERE id = ?")) < 0)
			return rc;
		snprintf(by, sizeof(by), "%s:%lld", w->node, (long long)w->seq);
		sqlite3_bind_text(u, 1, by, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(u, 2, c->id);
		rc = sqlite3_step(u);
		sqlite3_reset(u);
		if (rc != SQLITE_DONE)
			return cts_store_error(st, "résolution de conflit");
	}
	return 0;
}

/* Write the winning fields `win[0..n-1]` of the record into fstate, in
 * one statement (fields are distinct, so the order does not matter). */
static int write_fields(cts_store *st, const cts_table_def *t, const cts_stamp *w, const char *rid,
			const rec_state *r, const size_t *win, size_t n)
{
	sqlite3_stmt *s;
	int rc;

	if (n == 0)
		return 0;
	if (n > SLOT_FSTATE_MAX)
		return cts_error_set(CTS_ERR, "table %s : trop de champs", t->name);
	if ((rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + SLOT_FSTATE + (unsigned)n, &s, NULL)) == 1) {
		char sql[2048];
		size_t off = (size_t)snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO fstate"
					      " (tbl, territory, rid, field, value, hlc, node, seq) VALUES");
		for (size_t k = 0; k < n; k++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s(?1, ?2, ?3, ?%zu, ?%zu, ?4, ?5, ?6)",
						k ? ", " : " ", 7 + 2 * k, 8 + 2 * k);
		rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + SLOT_FSTATE + (unsigned)n, &s, sql);
	}
	if (rc < 0)
		return rc;
	sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, w->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)w->hlc);
	sqlite3_bind_text(s, 5, w->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, w->seq);
	for (size_t k = 0; k < n; k++) {
		sqlite3_bind_text(s, 7 + 2 * (int)k, t->fields[win[k]].name, -1, SQLITE_STATIC);
		bind_json(s, 8 + 2 * (int)k, r->f[win[k]].nv);
	}
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(st, "écriture de l'état des champs");
}

int cts_record_apply_put(cts_store *st, const cts_table_def *t, const cts_stamp *w,
			 const char *rid, const json_t *set)
{
	rec_state r;
	size_t win[REC_MAX_FIELDS], nwin = 0;
	const char *field;
	json_t *value;
	int rc;

	cts_crashpoint();
	if ((rc = load_state(st, t, w->territory, rid, &r)) < 0)
		return rc;
	/* LWW per field against the state before the op; concurrent writes
	 * of a field are recorded as conflicts. */
	json_object_foreach((json_t *)set, field, value) {
		size_t i = field_index(t, field);
		field_state *f;
		int incoming_wins = 1;

		if (i >= t->nfields) {
			rc = cts_error_set(CTS_EINVAL, "table %s : champ inconnu « %.64s »", t->name, field);
			goto out;
		}
		f = &r.f[i];
		if (f->present) {
			if (f->hlc == w->hlc && strcmp(f->node, w->node) == 0)
				continue; /* the same op again: idempotent */
			incoming_wins = stamp_gt(w->hlc, w->node, f->hlc, f->node);
			if (w->seen && strcmp(f->node, w->node) != 0 && !same_value(f->value, value)) {
				int64_t existing_saw;
				if ((rc = seen_of(st, f->node, f->seq, w->node, &existing_saw)) < 0)
					goto out;
				if (stamp_seen(w, f->node) < f->seq && existing_saw < w->seq &&
				    (rc = record_conflict(st, t, w, rid, field, value, f, incoming_wins)) < 0)
					goto out;
			}
		}
		if (!incoming_wins)
			continue;
		f->present = 1;
		f->nv = value;
		f->hlc = w->hlc;
		f->node = w->node;
		f->seq = w->seq;
		win[nwin++] = i;
	}
	if ((rc = write_fields(st, t, w, rid, &r, win, nwin)) < 0)
		goto out;
	for (size_t k = 0; k < nwin; k++)
		if ((rc = resolve_loaded(st, w, &r, win[k])) < 0)
			goto out;
	rc = materialise(st, t, w->territory, rid, &r);
out:
	rec_state_dispose(&r);
	return rc;
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

/* A device the region revoked takes no new entries: they could never be
 * accepted (fork evidence, which only reports, is still written). */
static int check_not_revoked(cts_store *st, const char *table)
{
	sqlite3_stmt *s;
	int rc;

	if (strcmp(table, "fork") == 0)
		return 0;
	if ((rc = cts_store_stmt(st, &s, "SELECT r.node, r.revoked_after FROM registry r JOIN meta m ON m.key = 'node'"
					 " AND m.value = r.node WHERE r.revoked_after IS NOT NULL")) < 0)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = cts_error_set(CTS_EINVAL,
				   "ce poste (%s) a été révoqué par la région après son changeset n°%lld : il n'accepte plus de "
				   "saisie. Exportez ce qui n'a pas été accepté (ctsnode export DOSSIER) pour le ressaisir sur le "
				   "poste qui le remplace",
				   (const char *)sqlite3_column_text(s, 0), (long long)sqlite3_column_int64(s, 1));
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
			return cts_error_set(CTS_EINVAL, authority ? "le nœud régional n'écrit pas la table %s des territoires"
								   : "la table %s est réservée au nœud régional", table);
	}
	if (!cts_valid_uuid(rid))
		return cts_error_set(CTS_EINVAL, "identifiant d'enregistrement invalide « %.40s »", rid);
	if (set && ((rc = cts_record_check_set(t, set)) < 0 || (rc = cts_rules_check_set(table, set, NULL)) < 0))
		return rc;
	if ((rc = check_not_revoked(st, table)) < 0)
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
	if ((rc = cts_store_stmt(st, &s, "SELECT id, hlc, tbl, rid, set_json FROM journal"
					 " WHERE sealed_seq IS NULL ORDER BY id")) < 0 ||
	    (rc = cts_store_rows_json(st, s, &rows)) < 0)
		goto out;
	json_array_foreach(rows, i, row) {
		const cts_table_def *t = cts_table_find(json_string_value(json_object_get(row, "tbl")));
		const char *rid = json_string_value(json_object_get(row, "rid"));
		const char *text = json_string_value(json_object_get(row, "set_json"));
		json_t *set = NULL;

		w.hlc = (uint64_t)json_integer_value(json_object_get(row, "hlc"));
		if (!t || !rid || (text && !(set = json_loads(text, 0, NULL)))) {
			rc = cts_error_set(CTS_EDB, "journal corrompu (opération %lld)",
					   (long long)json_integer_value(json_object_get(row, "id")));
			goto out;
		}
		rc = set ? cts_record_apply_put(st, t, &w, rid, set) : cts_record_apply_del(st, t, &w, rid);
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

	rc = cts_store_stmt(st, &s,
			    field ? "UPDATE fstate SET seq = ?1 WHERE tbl = ?2 AND territory = ?3 AND rid = ?4"
				    " AND node = ?5 AND hlc = ?6 AND field = ?7"
				  : "UPDATE tomb SET seq = ?1 WHERE tbl = ?2 AND territory = ?3 AND rid = ?4"
				    " AND node = ?5 AND hlc = ?6");
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
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(st, "marquage du journal");
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

		/* Evidence (forks) is not content: which nodes record a fork
		 * depends on who saw both versions first; the data it refuses is
		 * what the digest shows. */
		if (t->writer == CTS_WRITER_ANY)
			continue;
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

int cts_record_conflicts(cts_store *st, int64_t id, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(st, &s,
				 "SELECT id, tbl AS \"table\", territory, rid AS record, field, win_value, win_node, win_seq, win_hlc,"
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
		return cts_error_set(CTS_ENOTFOUND, "aucun conflit ouvert numéro %lld (ctsnode conflicts)", (long long)id);
	if ((rc = cts_record_conflicts(st, id, &arr)) < 0)
		return rc;
	if (json_array_size(arr) != 1) {
		json_decref(arr);
		return cts_error_set(CTS_ENOTFOUND, "aucun conflit ouvert numéro %lld (ctsnode conflicts)", (long long)id);
	}
	o = json_array_get(arr, 0);
	t = json_string_value(json_object_get(o, "territory"));
	if (!t || strcmp(t, territory) != 0) {
		rc = cts_error_set(CTS_EINVAL, "ce conflit concerne le territoire %s : il se tranche sur un de ses nœuds",
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
