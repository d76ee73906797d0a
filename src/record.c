/*
 * The record engine (record.h): last-writer-wins per field with the
 * (hlc, node, seq) stamp, tombstones, conflicts kept for people to resolve,
 * and the SQL tables re-materialised from the record's rstate row after
 * each write.
 * Local writes, the journal side, ids and the digest are in record_local.c.
 */
#include "record.h"

#include "crashpoint.h"
#include "error.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cts_record_check_set(const cts_table_def *t, const json_t *set)
{
	const char *key;
	json_t *v;

	if (!json_is_object(set))
		return cts_error_set(CTS_EINVAL, "table %s : « set » doit être un objet", t->name);
	json_object_foreach((json_t *)set, key, v)
	{
		const cts_field_def *f = cts_table_field(t, key);

		if (!f)
			return cts_error_set(CTS_EINVAL, "table %s : champ inconnu « %.64s »",
			                     t->name, key);
		if (json_is_null(v))
			continue;
		switch (f->type) {
		case CTS_FT_TEXT:
			if (!json_is_string(v))
				return cts_error_set(
				    CTS_EINVAL, "table %s, champ %s : texte attendu", t->name, key);
			if (json_string_length(v) > f->max_len)
				return cts_error_set(CTS_ELIMIT,
				                     "table %s, champ %s : texte trop long (%zu "
				                     "octets, maximum %zu)",
				                     t->name, key, json_string_length(v),
				                     f->max_len);
			if (memchr(json_string_value(v), '\0', json_string_length(v)))
				return cts_error_set(CTS_EINVAL,
				                     "table %s, champ %s : caractère NUL interdit",
				                     t->name, key);
			break;
		case CTS_FT_INT:
			if (!json_is_integer(v))
				return cts_error_set(CTS_EINVAL,
				                     "table %s, champ %s : entier attendu", t->name,
				                     key);
			break;
		case CTS_FT_BOOL:
			if (!json_is_boolean(v))
				return cts_error_set(CTS_EINVAL,
				                     "table %s, champ %s : booléen attendu",
				                     t->name, key);
			break;
		}
	}
	return 0;
}

json_t *cts_record_text(const char *s)
{
	return s ? json_string_nocheck(s) : json_null();
}

void cts_record_set_text(json_t *set, const char *field, const char *value)
{
	if (value)
		json_object_set_new(set, field, cts_record_text(value));
}

/* (h1, n1) > (h2, n2) in the LWW order. */
/* ?1..?6 = (table, territory, rid, hlc, node, seq) of a write. */
static void bind_stamp(sqlite3_stmt *s, const cts_table_def *t, const cts_stamp *w, const char *rid)
{
	sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, w->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)w->hlc);
	sqlite3_bind_text(s, 5, w->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, w->seq);
}

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
	if ((rc = cts_store_stmt_cs(
	         st, &s, "SELECT oseq FROM changeset_seen WHERE node = ? AND seq = ? AND other = ?",
	         node, seq)) < 0)
		return rc;
	sqlite3_bind_text(s, 3, other, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE)
	           ? 0
	           : cts_store_error(st, "lecture du contexte causal");
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

/* Statement slots (store.h): 2 per table for the view, then the write
 * of a record's state row. */
#define SLOT_VIEWS 24
#define SLOT_RSTATE SLOT_VIEWS

typedef struct {
	int present;          /* an entry in the record's state */
	sqlite3_value *value; /* its value (copy) */
	uint64_t hlc;
	const char *node; /* in rec_state.strings, or the writer's (after a write) */
	int64_t seq;
	const json_t *nv; /* value written by this operation, or NULL */
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

/* One statement reads the record's state row (its field states, one per
 * json_each row, and its tombstone on each) and its open conflicts, both
 * by unique index prefix. */
static int load_state(cts_store *st, const cts_table_def *t, const char *territory, const char *rid,
                      rec_state *r)
{
	sqlite3_stmt *s;
	size_t node_off[REC_MAX_FIELDS], tomb_off = 0, *conf_off = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	if (t->nfields > REC_MAX_FIELDS)
		return cts_error_set(CTS_ERR, "table %s : trop de champs", t->name);
	if ((rc = cts_store_stmt_args(
	         st, &s,
	         "SELECT 0, j.key, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3,"
	         " r.tomb_hlc, r.tomb_node FROM rstate r LEFT JOIN json_each(r.st) j"
	         " WHERE r.tbl = ?1 AND r.territory = ?2 AND r.rid = ?3"
	         " UNION ALL SELECT 2, field, id, win_seq, win_node, lose_seq, lose_node, NULL"
	         " FROM conflict"
	         " WHERE tbl = ?1 AND territory = ?2 AND rid = ?3 AND resolved_by IS NULL",
	         (const char *const[]){ t->name, territory, rid }, 3)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int kind = sqlite3_column_int(s, 0);
		const unsigned char *name = sqlite3_column_text(s, 1);
		size_t i = name ? field_index(t, (const char *)name) : (size_t)-1;

		if (kind == 0 && !r->has_tomb && sqlite3_column_type(s, 6) != SQLITE_NULL) {
			r->has_tomb = 1;
			r->tomb_hlc = sqlite3_column_int64(s, 6);
			if ((rc = rec_str(r, sqlite3_column_text(s, 7), &tomb_off)) < 0)
				goto fail;
		}
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
			if ((rc = rec_str(r, sqlite3_column_text(s, 4), &conf_off[2 * r->nconf])) <
			        0 ||
			    (rc = rec_str(r, sqlite3_column_text(s, 6),
			                  &conf_off[2 * r->nconf + 1])) < 0)
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
static int materialise(cts_store *st, const cts_table_def *t, const char *territory,
                       const char *rid, const rec_state *r)
{
	sqlite3_stmt *s;
	int visible[REC_MAX_FIELDS], any = 0, rc;
	unsigned ti = (unsigned)(t - cts_tables);

	if (ti >= cts_table_count || 2 * ti + 1 >= SLOT_VIEWS)
		return cts_error_set(CTS_ERR, "table %s inconnue", t->name);
	for (size_t i = 0; i < t->nfields; i++) {
		const field_state *f = &r->f[i];
		int64_t h = (int64_t)f->hlc; /* compared as SQLite integers are */
		visible[i] =
		    f->present &&
		    !(r->has_tomb &&
		      (r->tomb_hlc > h || (r->tomb_hlc == h && strcmp(r->tomb_node, f->node) > 0)));
		any |= visible[i];
	}
	if (!any) {
		if ((rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + 2 * ti, &s, NULL)) == 1) {
			char sql[128];
			snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE territory = ? AND id = ?",
			         t->name);
			rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + 2 * ti, &s, sql);
		}
		if (rc < 0)
			return rc;
		sqlite3_bind_text(s, 1, territory, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, rid, -1, SQLITE_STATIC);
		return cts_store_done(st, s, "mise à jour de la vue");
	}
	if ((rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + 2 * ti + 1, &s, NULL)) == 1) {
		char sql[1024];
		size_t off = (size_t)snprintf(sql, sizeof(sql),
		                              "INSERT OR REPLACE INTO %s (territory, id", t->name);
		for (size_t i = 0; i < t->nfields; i++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", %s",
			                        t->fields[i].name);
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
			cts_store_bind_json(s, (int)i + 3, r->f[i].nv);
		else
			sqlite3_bind_value(s, (int)i + 3, r->f[i].value);
	}
	return cts_store_done(st, s, "mise à jour de la vue");
}

/* Re-materialise a record from what the database holds. */
static int rematerialise(cts_store *st, const cts_table_def *t, const char *territory,
                         const char *rid)
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
	if ((rc = cts_store_stmt(
	         st, &s,
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
		int knows_win = !w->seen ? 1
		                         : stamp_seen(w, wn) >= ws ||
		                               (strcmp(wn, w->node) == 0 && ws <= w->seq);
		int knows_lose = !w->seen ? 1
		                          : stamp_seen(w, ln) >= ls ||
		                                (strcmp(ln, w->node) == 0 && ls <= w->seq);

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

static int record_conflict(cts_store *st, const cts_table_def *t, const cts_stamp *w,
                           const char *rid, const char *field, const json_t *value,
                           const field_state *old, int incoming_wins)
{
	sqlite3_stmt *s;
	int rc;
	/* The winner's value, hlc, node, seq are ?1 .. ?4, the loser's ?5 .. ?8. */
	int o = incoming_wins ? 5 : 1, n = incoming_wins ? 1 : 5; /* old, new side */

	if ((rc = cts_store_stmt(st, &s,
	                         "INSERT OR IGNORE INTO conflict (tbl, territory, rid, field, "
	                         "win_value, win_hlc, win_node, win_seq,"
	                         " lose_value, lose_hlc, lose_node, lose_seq) VALUES (?9, ?10, "
	                         "?11, ?12, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")) < 0)
		return rc;
	sqlite3_bind_value(s, o, old->value);
	sqlite3_bind_int64(s, o + 1, (sqlite3_int64)old->hlc);
	sqlite3_bind_text(s, o + 2, old->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, o + 3, old->seq);
	cts_store_bind_json(s, n, value);
	sqlite3_bind_int64(s, n + 1, (sqlite3_int64)w->hlc);
	sqlite3_bind_text(s, n + 2, w->node, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, n + 3, w->seq);
	sqlite3_bind_text(s, 9, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, w->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 11, rid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, field, -1, SQLITE_STATIC);
	return cts_store_done(st, s, "enregistrement d'un conflit");
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
		return json_is_string(v) &&
		       (size_t)sqlite3_value_bytes(sv) == json_string_length(v) &&
		       memcmp(sqlite3_value_text(sv), json_string_value(v),
		              json_string_length(v)) == 0;
	default:
		return 0;
	}
}

/* Does the writer know the changeset (node, seq)? A local write knows
 * everything. */
static int writer_knows(const cts_stamp *w, const char *node, int64_t seq)
{
	return !w->seen
	           ? 1
	           : stamp_seen(w, node) >= seq || (strcmp(node, w->node) == 0 && seq <= w->seq);
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
		if ((rc = cts_store_stmt(st, &u,
		                         "UPDATE conflict SET resolved_by = ? WHERE id = ?")) < 0)
			return rc;
		snprintf(by, sizeof(by), "%s:%lld", w->node, (long long)w->seq);
		sqlite3_bind_text(u, 1, by, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(u, 2, c->id);
		if ((rc = cts_store_done(st, u, "résolution de conflit")) < 0)
			return rc;
	}
	return 0;
}

/* s[0..n-1] as a JSON string: its bytes kept, quotes, backslashes and
 * control characters escaped. */
static void json_str(cts_strbuf *b, const char *s, size_t n)
{
	size_t from = 0;

	cts_strbuf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		cts_strbuf_addn(b, s + from, i - from);
		cts_strbuf_addf(b, "\\u%04x", c);
		from = i + 1;
	}
	cts_strbuf_addn(b, s + from, n - from);
	cts_strbuf_addc(b, '"');
}

/* A field's value in the state JSON: what cts_store_bind_json() would
 * store (booleans as 0/1), or the stored TEXT / INTEGER / NULL. */
static void state_value(cts_strbuf *b, const field_state *f)
{
	if (f->nv && json_is_string(f->nv))
		json_str(b, json_string_value(f->nv), json_string_length(f->nv));
	else if (f->nv && json_is_integer(f->nv))
		cts_strbuf_addf(b, "%lld", (long long)json_integer_value(f->nv));
	else if (f->nv && json_is_boolean(f->nv))
		cts_strbuf_addc(b, json_is_true(f->nv) ? '1' : '0');
	else if (!f->nv && sqlite3_value_type(f->value) == SQLITE_TEXT)
		json_str(b, (const char *)sqlite3_value_text(f->value),
		         (size_t)sqlite3_value_bytes(f->value));
	else if (!f->nv && sqlite3_value_type(f->value) == SQLITE_INTEGER)
		cts_strbuf_addf(b, "%lld", (long long)sqlite3_value_int64(f->value));
	else
		cts_strbuf_add(b, "null");
}

/* The record's state as stored in rstate.st: {"field":[value,hlc,node,
 * seq],...}, present fields only, names in byte order. Malloc'd. */
static int state_json(const cts_table_def *t, const rec_state *r, char **out, size_t *len)
{
	size_t order[REC_MAX_FIELDS], n = 0;
	cts_strbuf b = { 0 };

	for (size_t i = 0, k; i < t->nfields; i++) {
		if (!r->f[i].present)
			continue;
		for (k = n++; k > 0 && strcmp(t->fields[order[k - 1]].name, t->fields[i].name) > 0;
		     k--)
			order[k] = order[k - 1];
		order[k] = i;
	}
	cts_strbuf_addc(&b, '{');
	for (size_t k = 0; k < n; k++) {
		const field_state *f = &r->f[order[k]];
		cts_strbuf_addf(&b, "%s\"%s\":[", k ? "," : "", t->fields[order[k]].name);
		state_value(&b, f);
		cts_strbuf_addf(&b, ",%lld,", (long long)f->hlc);
		json_str(&b, f->node, strlen(f->node));
		cts_strbuf_addf(&b, ",%lld]", (long long)f->seq);
	}
	cts_strbuf_addc(&b, '}');
	return cts_strbuf_take(&b, out, len);
}

/* Write the record's whole state row (after this operation's winning
 * fields were set in r): one upsert, a new record's row appended. */
static int write_state(cts_store *st, const cts_table_def *t, const char *territory,
                       const char *rid, const rec_state *r)
{
	sqlite3_stmt *s;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = cts_store_stmt_slot(st, CTS_SLOT_RECORD + SLOT_RSTATE, &s, NULL)) == 1)
		rc = cts_store_stmt_slot(
		    st, CTS_SLOT_RECORD + SLOT_RSTATE, &s,
		    "INSERT INTO rstate (tbl, territory, rid, st) VALUES (?1, ?2, ?3, ?4)"
		    " ON CONFLICT (tbl, territory, rid) DO UPDATE SET st = excluded.st");
	if (rc < 0 || (rc = state_json(t, r, &text, &len)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, rid, -1, SQLITE_STATIC);
	sqlite3_bind_text64(s, 4, text, len, free, SQLITE_UTF8);
	return cts_store_done(st, s, "écriture de l'état des champs");
}

int cts_record_apply_put(cts_store *st, const cts_table_def *t, const cts_stamp *w, const char *rid,
                         const json_t *set)
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
	json_object_foreach((json_t *)set, field, value)
	{
		size_t i = field_index(t, field);
		field_state *f;
		int incoming_wins = 1;

		if (i >= t->nfields) {
			rc = cts_error_set(CTS_EINVAL, "table %s : champ inconnu « %.64s »",
			                   t->name, field);
			goto out;
		}
		f = &r.f[i];
		if (f->present) {
			if (f->hlc == w->hlc && strcmp(f->node, w->node) == 0)
				continue; /* the same op again: idempotent */
			incoming_wins = stamp_gt(w->hlc, w->node, f->hlc, f->node);
			if (w->seen && strcmp(f->node, w->node) != 0 &&
			    !same_value(f->value, value)) {
				int64_t existing_saw;
				if ((rc = seen_of(st, f->node, f->seq, w->node, &existing_saw)) < 0)
					goto out;
				if (stamp_seen(w, f->node) < f->seq && existing_saw < w->seq &&
				    (rc = record_conflict(st, t, w, rid, field, value, f,
				                          incoming_wins)) < 0)
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
	if (nwin > 0 && (rc = write_state(st, t, w->territory, rid, &r)) < 0)
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

	if ((rc = cts_store_stmt(
	         st, &s,
	         "INSERT INTO rstate (tbl, territory, rid, st, tomb_hlc, tomb_node, tomb_seq)"
	         " VALUES (?1, ?2, ?3, '{}', ?4, ?5, ?6) ON CONFLICT (tbl, territory, rid)"
	         " DO UPDATE SET tomb_hlc = excluded.tomb_hlc, tomb_node = excluded.tomb_node,"
	         " tomb_seq = excluded.tomb_seq WHERE rstate.tomb_hlc IS NULL"
	         " OR excluded.tomb_hlc > rstate.tomb_hlc OR (excluded.tomb_hlc = rstate.tomb_hlc"
	         " AND excluded.tomb_node > rstate.tomb_node)")) < 0)
		return rc;
	bind_stamp(s, t, w, rid);
	if ((rc = cts_store_done(st, s, "écriture d'une suppression")) < 0)
		return rc;
	if ((rc = resolve_conflicts(st, t, w, rid, NULL)) < 0)
		return rc;
	return rematerialise(st, t, w->territory, rid);
}
