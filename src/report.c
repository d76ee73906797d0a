#include "report.h"

#include "error.h"
#include "opinion.h"
#include "tables.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cts_report_year(cts_report_params *p, int year, char from[11], char to[11])
{
	snprintf(from, 11, "%04d-01-01", year);
	snprintf(to, 11, "%04d-12-31", year);
	p->from = from;
	p->to = to;
}

int cts_report_format_parse(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "json") == 0)
		return CTS_REPORT_JSON;
	if (strcmp(s, "md") == 0)
		return CTS_REPORT_MD;
	if (strcmp(s, "html") == 0)
		return CTS_REPORT_HTML;
	if (strcmp(s, "csv") == 0)
		return CTS_REPORT_CSV;
	return -1;
}

/* Percentage with one decimal, or null when there is no denominator. */
static json_t *rate(json_int_t num, json_int_t den)
{
	if (den <= 0)
		return json_null();
	return json_real(round((double)num * 1000.0 / (double)den) / 10.0);
}

static json_int_t geti(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void addi(json_t *o, const char *k, json_int_t v)
{
	json_object_set_new(o, k, json_integer(geti(o, k) + v));
}

static json_t *college_block(void)
{
	json_t *by = json_object();
	for (int i = 0; cts_colleges[i]; i++)
		json_object_set_new(by, cts_colleges[i], json_pack("{s:i, s:i, s:i, s:i}", "members", 0, "present", 0,
								    "excused", 0, "absent", 0));
	return by;
}

static json_t *new_scope(const char *code, const char *name)
{
	json_t *bodies = json_object(), *outcomes = json_object();

	for (int i = 0; cts_bodies[i]; i++)
		json_object_set_new(bodies, cts_bodies[i], json_integer(0));
	json_object_set_new(outcomes, "favorable", json_integer(0));
	json_object_set_new(outcomes, "defavorable", json_integer(0));
	json_object_set_new(outcomes, "reserve", json_integer(0));
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:i, s:o, s:o, s:o}", "code", code,
			 "name", name, "meetings", 0, "members", 0, "present", 0, "excused", 0, "absent", 0, "guests", 0,
			 "invited", 0, "ars", 0, "quorum_reached", 0, "meetings_by_body", bodies, "by_college",
			 college_block(), "opinions", 0, "opinions_by_outcome", outcomes, "contributions_by_theme",
			 json_object(), "roll", json_object());
}

/* {kind, territory, detail}. territory: the territory's code as a JSON
 * string, shared by its checks (NULL when the code is not UTF-8). A value
 * that is not UTF-8 drops the check, as json_pack did. */
static void add_check(json_t *checks, const char *kind, json_t *territory, const char *detail)
{
	json_t *d, *o;

	if (!territory || !(d = json_string(detail)))
		return;
	if (!(o = json_object())) {
		json_decref(d);
		return;
	}
	json_object_set_new_nocheck(o, "kind", json_string_nocheck(kind));
	json_object_set_nocheck(o, "territory", territory);
	json_object_set_new_nocheck(o, "detail", d);
	json_array_append_new(checks, o);
}

/* Heads of the history the report is computed from. */
static int heads(cts_node *n, json_t **out)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row, *h = json_object();
	size_t i;
	int rc;

	/* One seek per node (skip-scan of the primary key), not a pass over
	 * every changeset. */
	if ((rc = cts_store_stmt(n->store, &s, "WITH RECURSIVE nd(node) AS (SELECT min(node) FROM changeset"
					       " UNION ALL SELECT (SELECT min(node) FROM changeset WHERE node > nd.node)"
					       " FROM nd WHERE nd.node IS NOT NULL)"
					       " SELECT c.node, c.seq, c.id FROM nd JOIN changeset c ON c.node = nd.node"
					       " AND c.seq = (SELECT max(seq) FROM changeset WHERE node = nd.node)"
					       " ORDER BY c.node")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &rows)) < 0) {
		json_decref(h);
		return rc;
	}
	json_array_foreach(rows, i, row)
		json_object_set_new(h, json_string_value(json_object_get(row, "node")),
				    json_pack("{s:O, s:O}", "seq", json_object_get(row, "seq"), "id", json_object_get(row, "id")));
	json_decref(rows);
	*out = h;
	return 0;
}

static int query(cts_node *n, const char *sql, const char *a, const char *b, const char *c, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, sql)) < 0)
		return rc;
	if (a)
		sqlite3_bind_text(s, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_TRANSIENT);
	if (c)
		sqlite3_bind_text(s, 3, c, -1, SQLITE_TRANSIENT);
	return cts_store_rows_json(n->store, s, out);
}

/* A column as cts_store_rows_json gives it: text, integer, or null. */
static json_t *col_json(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(s, i));
	case SQLITE_TEXT:
		return json_stringn((const char *)sqlite3_column_text(s, i), (size_t)sqlite3_column_bytes(s, i));
	default:
		return json_null();
	}
}

/* A column of TEXT affinity: text or NULL, since the record engine
 * stores only text, integers and NULL (record.c, bind_json) and TEXT
 * affinity turns integers into text. One call: every sqlite3_column_*
 * takes the connection's mutex. */
static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* A cached statement with ?1..?3 bound (NULL leaves a parameter NULL). */
static int stmt3(cts_node *n, sqlite3_stmt **s, const char *sql, const char *a, const char *b, const char *c)
{
	int rc;

	if ((rc = cts_store_stmt(n->store, s, sql)) < 0)
		return rc;
	if (a)
		sqlite3_bind_text(*s, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(*s, 2, b, -1, SQLITE_TRANSIENT);
	if (c)
		sqlite3_bind_text(*s, 3, c, -1, SQLITE_TRANSIENT);
	return 0;
}

#define MAX_COLLEGES 8

static const char *const cnt_keys[4] = { "members", "present", "excused", "absent" };

static void set_int(json_t *o, const char *k, json_int_t v)
{
	json_object_set_new_nocheck(o, k, json_integer(v));
}

/* A member seen present after the end of their mandate, reported in the
 * order of the attendance rows (their id). */
struct late {
	char *aid;
	char *detail;
};

/* One meeting of the period, with its attendance counted. */
struct mrow {
	json_t *id, *date, *body, *title; /* values of the meeting row */
	int approved;                     /* status approuvee */
	json_int_t rows;                  /* attendance rows, guests included */
	json_int_t cnt[4];                /* members, present, excused, absent */
	json_int_t guests, invited, ars, seats, present_tit, present_sup;
	json_int_t col[MAX_COLLEGES][4];  /* the same four per college */
	struct late *late;
	size_t nlate;
	json_t *opinions;                 /* the meeting's opinions, report order */
};

struct mkey {
	const char *id;
	struct mrow *m;
};

struct mtab {
	struct mrow *m;
	size_t n;
	struct mkey *by_id; /* the meetings sorted by id */
};

static int by_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mkey *)a)->id, ((const struct mkey *)b)->id);
}

static int late_cmp(const void *a, const void *b)
{
	return strcmp(((const struct late *)a)->aid, ((const struct late *)b)->aid);
}

/* The meeting with this id, or NULL. */
static struct mrow *mtab_find(const struct mtab *t, const char *id)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->by_id[mid].id, id);
		if (c == 0)
			return t->by_id[mid].m;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void mtab_free(struct mtab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct mrow *m = &t->m[i];
		json_decref(m->id);
		json_decref(m->date);
		json_decref(m->body);
		json_decref(m->title);
		json_decref(m->opinions);
		for (size_t k = 0; k < m->nlate; k++) {
			free(m->late[k].aid);
			free(m->late[k].detail);
		}
		free(m->late);
	}
	free(t->m);
	free(t->by_id);
}

/* The meetings of the period, in report order, and the same set joined
 * with their attendance and their opinions (set-based: one statement per
 * territory each, driven by meeting_date, attendance_meeting and
 * opinion_meeting, schema 3). */
#define PERIOD_MEETINGS                                                                                         \
	" m.territory = ?1 AND m.date BETWEEN ?2 AND ?3 AND coalesce(m.status, 'tenue') IN ('tenue', 'approuvee')"

static int load_meetings(cts_node *n, const cts_report_params *p, const char *code, struct mtab *t)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	if ((rc = stmt3(n, &s, "SELECT m.id, m.date, m.body, m.title, m.status = 'approuvee' FROM meeting m WHERE" PERIOD_MEETINGS
			       " ORDER BY m.date, m.body, m.title, m.id",
			code, p->from, p->to)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (t->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct mrow *nm = realloc(t->m, nc * sizeof(*nm));
			if (!nm) {
				sqlite3_reset(s);
				return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			}
			t->m = nm;
			cap = nc;
		}
		struct mrow *m = &t->m[t->n];
		memset(m, 0, sizeof(*m));
		m->id = col_json(s, 0);
		m->date = col_json(s, 1);
		m->body = col_json(s, 2);
		m->title = col_json(s, 3);
		m->approved = sqlite3_column_int(s, 4);
		m->opinions = json_array();
		t->n++;
		if (!json_is_string(m->id) || !json_is_string(m->date) || !m->body || !m->title || !m->opinions) {
			sqlite3_reset(s);
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture des réunions");
	if (!(t->by_id = malloc((t->n ? t->n : 1) * sizeof(*t->by_id))))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	for (size_t i = 0; i < t->n; i++) {
		t->by_id[i].id = json_string_value(t->m[i].id);
		t->by_id[i].m = &t->m[i];
	}
	if (t->n > 1)
		qsort(t->by_id, t->n, sizeof(*t->by_id), by_id_cmp);
	return 0;
}

/* The members of a territory, sorted by id: what attendance needs of them. */
struct mem {
	char *id;
	int is_sup;        /* seat = 'suppleant' */
	char *mandate_end; /* NULL when not text */
};

struct memtab {
	struct mem *m;
	size_t n;
};

static void memtab_free(struct memtab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->m[i].id);
		free(t->m[i].mandate_end);
	}
	free(t->m);
	t->m = NULL;
	t->n = 0;
}

static int mem_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mem *)a)->id, ((const struct mem *)b)->id);
}

static int load_members(cts_node *n, const char *code, struct memtab *t)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	if ((rc = stmt3(n, &s, "SELECT id, seat, mandate_end FROM member WHERE territory = ?1 ORDER BY id", code, NULL,
			NULL)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = col_text(s, 0), *seat = col_text(s, 1), *end = col_text(s, 2);
		if (!id)
			continue;
		if (t->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct mem *nm = realloc(t->m, nc * sizeof(*nm));
			if (!nm)
				goto oom;
			t->m = nm;
			cap = nc;
		}
		struct mem *m = &t->m[t->n++];
		m->id = strdup(id);
		m->is_sup = seat && strcmp(seat, "suppleant") == 0;
		m->mandate_end = end ? strdup(end) : NULL;
		if (!m->id || (end && !m->mandate_end))
			goto oom;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture des membres");
	/* Already in id order (primary key); sorted again so the lookup does
	 * not depend on the collation of the column. */
	if (t->n > 1)
		qsort(t->m, t->n, sizeof(*t->m), mem_cmp);
	return 0;
oom:
	sqlite3_reset(s);
	return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

static const struct mem *memtab_find(const struct memtab *t, const char *id)
{
	struct mem key = { .id = (char *)id };
	return t->n ? bsearch(&key, t->m, t->n, sizeof(*t->m), mem_cmp) : NULL;
}

/* Count the attendance of every meeting of the period (covering index
 * attendance_meeting: the attendance rows themselves are read only for the
 * names of members seen after their mandate). */
static int load_attendance(cts_node *n, const cts_report_params *p, const char *code, struct mtab *t)
{
	sqlite3_stmt *s;
	struct mrow *m = NULL;
	struct memtab mt = { 0 };
	int rc;

	if ((rc = load_members(n, code, &mt)) < 0)
		goto out;
	if ((rc = stmt3(n, &s, "SELECT m.id, a.member, a.college, a.status, a.id, a.first_name, a.last_name FROM meeting m"
			       " CROSS JOIN attendance a INDEXED BY attendance_meeting"
			       " ON a.territory = m.territory AND a.meeting = m.id"
			       " WHERE" PERIOD_MEETINGS " ORDER BY m.date, m.id",
			code, p->from, p->to)) < 0)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *mid = (const char *)sqlite3_column_text(s, 0);
		if (!mid)
			continue;
		if (!m || strcmp(json_string_value(m->id), mid) != 0)
			m = mtab_find(t, mid);
		if (!m)
			continue;
		m->rows++;
		const char *member = col_text(s, 1), *college = col_text(s, 2), *status = col_text(s, 3);
		if (!member) {
			m->guests++;
			if (college && strcmp(college, "ars") == 0)
				m->ars++;
			else
				m->invited++;
			continue;
		}
		int c = cts_code_index(cts_colleges, college ? college : "");
		const struct mem *mb = memtab_find(&mt, member);
		int is_sup = mb && mb->is_sup;
		int st = !status ? 0
			 : strcmp(status, "present") == 0 ? 1
			 : strcmp(status, "excused") == 0 ? 2
			 : strcmp(status, "absent") == 0  ? 3
							  : 0;
		m->cnt[0]++;
		if (c >= 0)
			m->col[c][0]++;
		if (!is_sup)
			m->seats++;
		if (st) {
			m->cnt[st]++;
			if (c >= 0)
				m->col[c][st]++;
		}
		if (st == 1) {
			if (is_sup)
				m->present_sup++;
			else
				m->present_tit++;
			const char *end = mb ? mb->mandate_end : NULL, *date = json_string_value(m->date);
			if (end && *end && strcmp(date, end) > 0) {
				char detail[600];
				const char *aid = (const char *)sqlite3_column_text(s, 4);
				struct late *nl = m->late;
				if ((m->nlate & (m->nlate - 1)) == 0) { /* 0, 1, 2, 4...: grow */
					nl = realloc(m->late, (m->nlate ? m->nlate * 2 : 1) * sizeof(*nl));
					if (!nl)
						goto oom;
					m->late = nl;
				}
				snprintf(detail, sizeof(detail), "%s %s siège le %s après la fin de son mandat (%s)",
					 col_text(s, 5), col_text(s, 6), date, end);
				nl[m->nlate].aid = strdup(aid ? aid : "");
				nl[m->nlate].detail = strdup(detail);
				m->nlate++;
				if (!nl[m->nlate - 1].aid || !nl[m->nlate - 1].detail)
					goto oom;
			}
		}
	}
	sqlite3_reset(s);
	rc = rc == SQLITE_DONE ? 0 : cts_store_error(n->store, "lecture des feuilles de présence");
	goto out;
oom:
	sqlite3_reset(s);
	rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
out:
	memtab_free(&mt);
	return rc;
}

/* The opinions of every meeting of the period, by subject and id. */
static int load_opinions(cts_node *n, const cts_report_params *p, const char *code, struct mtab *t)
{
	sqlite3_stmt *s;
	struct mrow *m = NULL;
	int rc;

	if ((rc = stmt3(n, &s, "SELECT m.id, o.id, o.subject, o.votes_for, o.votes_against, o.votes_abstain, o.outcome"
			       " FROM meeting m CROSS JOIN opinion o INDEXED BY opinion_meeting"
			       " ON o.territory = m.territory AND o.meeting = m.id"
			       " WHERE" PERIOD_MEETINGS " AND coalesce(o.status, 'rendu') <> 'retire'"
			       " ORDER BY m.date, m.id, o.subject, o.id",
			code, p->from, p->to)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *mid = (const char *)sqlite3_column_text(s, 0);
		if (!mid)
			continue;
		if (!m || strcmp(json_string_value(m->id), mid) != 0)
			m = mtab_find(t, mid);
		if (!m)
			continue;
		json_t *o = json_object();
		static const char *const keys[] = { "id", "subject", "votes_for", "votes_against", "votes_abstain", "outcome" };
		for (int k = 0; k < 6; k++)
			json_object_set_new(o, keys[k], col_json(s, k + 1));
		json_object_set_new(o, "territory", json_string(code));
		json_object_set(o, "meeting", m->id);
		json_object_set(o, "date", m->date);
		json_array_append_new(m->opinions, o);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture des avis");
	return 0;
}

/* ---- contributions ---- */

/* A string list (owned strings; NULL entries allowed). */
struct strs {
	char **v;
	size_t n, cap;
};

static int strs_add(struct strs *l, const char *s)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 32;
		char **nv = realloc(l->v, nc * sizeof(*nv));
		if (!nv)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n] = s ? strdup(s) : NULL;
	if (s && !l->v[l->n])
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	l->n++;
	return 0;
}

static void strs_free(struct strs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int strs_has(const struct strs *l, const char *s)
{
	return l->n && bsearch(&s, l->v, l->n, sizeof(*l->v), str_cmp) != NULL;
}

/* A contribution with an unknown theme, reported in the order of the
 * report's contribution list (theme, title, id; a title that is not
 * text first, as SQLite orders NULL). */
struct unknown {
	char *theme, *title, *id;
};

static int unknown_cmp(const void *a, const void *b)
{
	const struct unknown *x = a, *y = b;
	int c = strcmp(x->theme, y->theme);
	if (c)
		return c;
	if (!x->title || !y->title) {
		if (x->title != y->title)
			return x->title ? 1 : -1;
	} else if ((c = strcmp(x->title, y->title)) != 0) {
		return c;
	}
	return strcmp(x->id, y->id);
}

struct ctally {
	struct strs themes; /* theme of every contribution of the period */
	struct strs known;  /* codes of the theme table, sorted */
	struct unknown *unk;
	size_t nunk, capunk;
};

/* Count one contribution of the period. title_known: title is the row's
 * title (else it is read when needed). */
static int tally(cts_node *n, const char *code, struct ctally *c, const char *id, const char *theme, int title_known,
		 const char *title)
{
	int rc;

	if ((rc = strs_add(&c->themes, theme)) < 0)
		return rc;
	if (cts_code_index(cts_builtin_themes, theme) >= 0 || strs_has(&c->known, theme))
		return 0;
	if (c->nunk == c->capunk) {
		size_t nc = c->capunk ? c->capunk * 2 : 16;
		struct unknown *nu = realloc(c->unk, nc * sizeof(*nu));
		if (!nu)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		c->unk = nu;
		c->capunk = nc;
	}
	struct unknown *u = &c->unk[c->nunk];
	memset(u, 0, sizeof(*u));
	c->nunk++;
	if (!title_known) {
		sqlite3_stmt *s;
		if ((rc = stmt3(n, &s, "SELECT title FROM contribution WHERE territory = ?1 AND id = ?2", code, id, NULL)) < 0)
			return rc;
		if (sqlite3_step(s) == SQLITE_ROW && col_text(s, 0))
			u->title = strdup(col_text(s, 0));
		sqlite3_reset(s);
	} else if (title) {
		u->title = strdup(title);
	}
	u->theme = strdup(theme);
	u->id = strdup(id);
	if (!u->theme || !u->id || ((title_known ? title != NULL : 0) && !u->title))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	return 0;
}

/* Contributions dated by their first write (no meeting, or a meeting that
 * is not there or has no date), selected by `where`, ?2 bound to `meeting`. */
#define FIRST_WRITE_ROWS                                                                                        \
	"SELECT c.id, c.theme, c.title, (SELECT date(min(f.hlc >> 16) / 1000, 'unixepoch') FROM fstate f"     \
	" WHERE f.tbl = 'contribution' AND f.territory = c.territory AND f.rid = c.id) FROM contribution c"     \
	" INDEXED BY contribution_meeting"

/* Contributions counted: not withdrawn. Dated by their meeting or first
 * write: no received date. */
#define COUNTED " AND coalesce(c.status, 'transmise') <> 'retiree'"
#define UNDATED " AND c.date IS NULL" COUNTED

static int undated_rows(cts_node *n, const cts_report_params *p, const char *code, struct ctally *c, const char *sql,
			const char *meeting)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = stmt3(n, &s, sql, code, meeting, NULL)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = col_text(s, 0), *theme = col_text(s, 1), *date = col_text(s, 3);
		if (!id || !date || strcmp(date, p->from) < 0 || strcmp(date, p->to) > 0 || !theme)
			continue;
		if ((rc = tally(n, code, c, id, theme, 1, col_text(s, 2))) < 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(n->store, "lecture des contributions");
}

/* Contributions by theme and the unknown-theme check: dated by their
 * meeting, else by their first write (clock of the changeset). The ones
 * of the period's meetings come through meeting_date and
 * contribution_meeting; the others are those without a meeting, found as
 * meeting IS NULL, and those whose meeting is missing or undated, found by
 * comparing the meetings contributions name with the dated ones. */
static int contributions(cts_node *n, const cts_report_params *p, const char *code, json_t *tcode, json_t *t,
			 json_t *checks)
{
	struct ctally c = { 0 };
	struct strs dated = { 0 }, dangling = { 0 };
	sqlite3_stmt *s;
	int rc;
	char *prev = NULL;

	if ((rc = stmt3(n, &s, "SELECT DISTINCT code FROM theme WHERE code IS NOT NULL", NULL, NULL, NULL)) < 0)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (col_text(s, 0) && (rc = strs_add(&c.known, col_text(s, 0))) < 0)
			break;
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		rc = rc < 0 ? rc : cts_store_error(n->store, "lecture des thèmes");
		goto out;
	}
	if (c.known.n > 1)
		qsort(c.known.v, c.known.n, sizeof(char *), str_cmp);

	/* Dated by the day they were received. */
	if ((rc = stmt3(n, &s, "SELECT c.id, c.theme, c.title FROM contribution c INDEXED BY contribution_date"
			       " WHERE c.territory = ?1 AND c.date BETWEEN ?2 AND ?3" COUNTED,
			code, p->from, p->to)) < 0)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = col_text(s, 0), *theme = col_text(s, 1);
		if (id && theme && (rc = tally(n, code, &c, id, theme, 1, col_text(s, 2))) < 0)
			break;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		rc = rc < 0 ? rc : cts_store_error(n->store, "lecture des contributions");
		goto out;
	}

	/* Else by a meeting of the period (whatever its status). */
	if ((rc = stmt3(n, &s, "SELECT c.id, c.theme FROM meeting m CROSS JOIN contribution c INDEXED BY contribution_meeting"
			       " ON c.territory = m.territory AND c.meeting = m.id"
			       " WHERE m.territory = ?1 AND m.date BETWEEN ?2 AND ?3" UNDATED,
			code, p->from, p->to)) < 0)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = col_text(s, 0), *theme = col_text(s, 1);
		if (id && theme && (rc = tally(n, code, &c, id, theme, 0, NULL)) < 0)
			break;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		rc = rc < 0 ? rc : cts_store_error(n->store, "lecture des contributions");
		goto out;
	}

	/* Dated by their first write: the meetings named that are missing or undated. */
	if ((rc = stmt3(n, &s, "SELECT id FROM meeting WHERE territory = ?1 AND date IS NOT NULL ORDER BY id", code, NULL,
			NULL)) < 0)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (col_text(s, 0) && (rc = strs_add(&dated, col_text(s, 0))) < 0)
			break;
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		rc = rc < 0 ? rc : cts_store_error(n->store, "lecture des réunions");
		goto out;
	}
	for (size_t i = 1; i < dated.n; i++) /* primary key order: sorted already, unless */
		if (strcmp(dated.v[i - 1], dated.v[i]) > 0) {
			qsort(dated.v, dated.n, sizeof(char *), str_cmp);
			break;
		}
	if ((rc = stmt3(n, &s, "SELECT meeting FROM contribution INDEXED BY contribution_meeting"
			       " WHERE territory = ?1 AND meeting IS NOT NULL",
			code, NULL, NULL)) < 0)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *mid = col_text(s, 0);
		if (!mid || (prev && strcmp(prev, mid) == 0))
			continue;
		free(prev);
		if (!(prev = strdup(mid))) {
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			break;
		}
		if (!strs_has(&dated, mid) && (rc = strs_add(&dangling, mid)) < 0)
			break;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		rc = rc < 0 ? rc : cts_store_error(n->store, "lecture des contributions");
		goto out;
	}
	if ((rc = undated_rows(n, p, code, &c, FIRST_WRITE_ROWS " WHERE c.territory = ?1 AND c.meeting IS NULL" UNDATED,
			       NULL)) < 0)
		goto out;
	for (size_t i = 0; i < dangling.n; i++)
		if ((rc = undated_rows(n, p, code, &c, FIRST_WRITE_ROWS " WHERE c.territory = ?1 AND c.meeting = ?2" UNDATED,
				       dangling.v[i])) < 0)
			goto out;

	/* By theme, in theme order (the order of the report's list). */
	if (c.themes.n > 1)
		qsort(c.themes.v, c.themes.n, sizeof(char *), str_cmp);
	{
		json_t *by_theme = json_object_get(t, "contributions_by_theme");
		for (size_t i = 0, j; i < c.themes.n; i = j) {
			for (j = i + 1; j < c.themes.n && strcmp(c.themes.v[i], c.themes.v[j]) == 0; j++)
				;
			addi(by_theme, c.themes.v[i], (json_int_t)(j - i));
		}
	}
	if (c.nunk > 1)
		qsort(c.unk, c.nunk, sizeof(*c.unk), unknown_cmp);
	for (size_t i = 0; i < c.nunk; i++) {
		char detail[600];
		snprintf(detail, sizeof(detail), "contribution « %.200s » : thème inconnu « %.64s »", c.unk[i].title,
			 c.unk[i].theme);
		add_check(checks, "unknown_theme", tcode, detail);
	}
	rc = 0;
out:
	free(prev);
	strs_free(&c.themes);
	strs_free(&c.known);
	for (size_t i = 0; i < c.nunk; i++) {
		free(c.unk[i].theme);
		free(c.unk[i].title);
		free(c.unk[i].id);
	}
	free(c.unk);
	strs_free(&dated);
	strs_free(&dangling);
	return rc;
}

/* The period's meetings that are not counted, listed apart: cancelled
 * ones (cancelled_meetings) and planned ones not yet held
 * (planned_meetings), each member present only when not empty, so that
 * the report of a history without them does not change. */
static int uncounted_meetings(cts_node *n, const cts_report_params *p, const char *code, json_t *t)
{
	static const char *const status[2] = { "annulee", "prevue" };
	static const char *const key[2] = { "cancelled_meetings", "planned_meetings" };
	json_t *rows = NULL;
	sqlite3_stmt *s;
	int rc;

	for (int k = 0; k < 2; k++) {
		if ((rc = stmt3(n, &s, "SELECT id, date, body, title FROM meeting WHERE territory = ?1 AND date BETWEEN ?2 AND ?3"
				       " AND status = ?4 ORDER BY date, body, title, id", code, p->from, p->to)) < 0)
			return rc;
		sqlite3_bind_text(s, 4, status[k], -1, SQLITE_STATIC);
		if ((rc = cts_store_rows_json(n->store, s, &rows)) < 0)
			return rc;
		if (json_array_size(rows))
			json_object_set_new(t, key[k], rows);
		else
			json_decref(rows);
		rows = NULL;
	}
	return 0;
}

static int territory_report(cts_node *n, const cts_report_params *p, const char *code, json_t *t, json_t *checks)
{
	json_t *rows = NULL, *row, *list = json_array(), *ops = json_array(), *tcode = json_string(code);
	struct mtab mt = { 0 };
	size_t i, j;
	int rc, ncol = 0;
	json_int_t tot[7] = { 0 }, tcol[MAX_COLLEGES][4] = { { 0 } }, nmeet = 0, nquorum = 0, nops = 0;
	static const char *const keys[] = { "members", "present", "excused", "absent", "guests", "invited", "ars" };

	while (cts_colleges[ncol])
		ncol++;
	if (ncol > MAX_COLLEGES) {
		rc = cts_error_set(CTS_EINVAL, "rapport : trop de collèges (%d)", ncol);
		goto cleanup;
	}
	/* The roll: members by college and seat. */
	if ((rc = query(n, "SELECT college, coalesce(seat, 'titulaire') AS seat, count(*) AS n FROM member"
			   " WHERE territory = ?1 GROUP BY 1, 2 ORDER BY 1, 2", code, NULL, NULL, &rows)) < 0)
		goto cleanup;
	{
		json_t *roll = json_object_get(t, "roll");
		for (int k = 0; cts_colleges[k]; k++)
			json_object_set_new(roll, cts_colleges[k], json_pack("{s:i, s:i}", "titulaires", 0, "suppleants", 0));
		json_array_foreach(rows, i, row) {
			json_t *c = json_object_get(roll, json_string_value(json_object_get(row, "college")));
			if (c)
				addi(c, strcmp(json_string_value(json_object_get(row, "seat")), "suppleant") == 0 ? "suppleants"
														    : "titulaires",
				     geti(row, "n"));
		}
	}
	json_decref(rows);
	rows = NULL;

	if ((rc = load_meetings(n, p, code, &mt)) < 0 || (rc = load_attendance(n, p, code, &mt)) < 0 ||
	    (rc = load_opinions(n, p, code, &mt)) < 0)
		goto cleanup;
	for (i = 0; i < mt.n; i++) {
		struct mrow *m = &mt.m[i];
		const char *date = json_string_value(m->date);
		json_t *by = json_object(), *o;
		char detail[600];

		json_t *mm = json_object();
		if (!mm || !by) {
			json_decref(mm);
			json_decref(by);
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			goto cleanup;
		}
		json_array_append_new(list, mm);
		for (int k = 0; k < ncol; k++) {
			json_t *bc = json_object();
			for (int x = 0; x < 4; x++)
				set_int(bc, cnt_keys[x], m->col[k][x]);
			json_object_set_new_nocheck(by, cts_colleges[k], bc);
		}
		json_object_set_nocheck(mm, "id", m->id);
		json_object_set_nocheck(mm, "date", m->date);
		json_object_set_nocheck(mm, "body", m->body);
		json_object_set_nocheck(mm, "title", m->title);
		if (m->approved) /* only then: reports of histories without approvals do not change */
			json_object_set_new_nocheck(mm, "approved", json_true());
		for (int x = 0; x < 4; x++)
			set_int(mm, cnt_keys[x], m->cnt[x]);
		set_int(mm, "guests", m->guests);
		set_int(mm, "invited", m->invited);
		set_int(mm, "ars", m->ars);
		json_object_set_new_nocheck(mm, "by_college", by);
		json_object_set_nocheck(mm, "opinions", m->opinions);
		nmeet++;
		addi(json_object_get(t, "meetings_by_body"), json_string_value(m->body), 1);
		if (m->rows == 0) {
			snprintf(detail, sizeof(detail), "réunion du %s (%s) sans feuille de présence", date,
				 json_string_value(m->title));
			add_check(checks, "meeting_without_attendance", tcode, detail);
		}
		if (m->nlate > 1)
			qsort(m->late, m->nlate, sizeof(*m->late), late_cmp);
		for (j = 0; j < m->nlate; j++)
			add_check(checks, "member_past_mandate", tcode, m->late[j].detail);
		json_int_t seats = m->seats ? m->seats : m->cnt[0];
		json_int_t voting = m->present_tit + m->present_sup < seats ? m->present_tit + m->present_sup : seats;
		int reached = seats > 0 && voting * p->quorum_den > seats * p->quorum_num;
		{
			json_t *q = json_object();
			set_int(q, "voting_seats", seats);
			set_int(q, "voting_present", voting);
			json_object_set_new_nocheck(q, "reached", json_boolean(reached));
			json_object_set_new_nocheck(mm, "quorum", q);
		}
		if (reached)
			nquorum++;
		json_object_set_new(mm, "attendance_rate", rate(m->cnt[1], m->cnt[0]));
		json_array_foreach(m->opinions, j, o) {
			json_int_t votes = geti(o, "votes_for") + geti(o, "votes_against") + geti(o, "votes_abstain");
			json_array_append(ops, o);
			nops++;
			if (json_is_string(json_object_get(o, "outcome")))
				addi(json_object_get(t, "opinions_by_outcome"), json_string_value(json_object_get(o, "outcome")), 1);
			if (m->cnt[0] > 0 && votes > m->cnt[1]) {
				snprintf(detail, sizeof(detail), "avis « %.200s » du %s : %lld voix pour %lld membres présents",
					 json_string_value(json_object_get(o, "subject")), date, (long long)votes,
					 (long long)m->cnt[1]);
				add_check(checks, "votes_exceed_present", tcode, detail);
			}
			const char *why = cts_opinion_contradiction(geti(o, "votes_for"), geti(o, "votes_against"),
								    json_string_value(json_object_get(o, "outcome")));
			if (why) {
				snprintf(detail, sizeof(detail), "avis « %.200s » du %s : %s (%lld pour, %lld contre)",
					 json_string_value(json_object_get(o, "subject")), date, why,
					 (long long)geti(o, "votes_for"), (long long)geti(o, "votes_against"));
				add_check(checks, "outcome_contradicts_votes", tcode, detail);
			}
			if (!reached) {
				snprintf(detail, sizeof(detail), "avis « %.200s » rendu le %s sans quorum",
					 json_string_value(json_object_get(o, "subject")), date);
				add_check(checks, "opinion_without_quorum", tcode, detail);
			}
		}
		/* Sum into the territory. */
		json_int_t mv[7] = { m->cnt[0], m->cnt[1], m->cnt[2], m->cnt[3], m->guests, m->invited, m->ars };
		for (int k = 0; k < 7; k++)
			tot[k] += mv[k];
		for (int k = 0; k < ncol; k++)
			for (int x = 0; x < 4; x++)
				tcol[k][x] += m->col[k][x];
	}
	json_object_set_new(t, "meetings", json_integer(nmeet));
	json_object_set_new(t, "quorum_reached", json_integer(nquorum));
	json_object_set_new(t, "opinions", json_integer(nops));
	for (int k = 0; k < 7; k++)
		json_object_set_new(t, keys[k], json_integer(tot[k]));
	for (int k = 0; k < ncol; k++) {
		json_t *to = json_object_get(json_object_get(t, "by_college"), cts_colleges[k]);
		json_object_set_new(to, "members", json_integer(tcol[k][0]));
		json_object_set_new(to, "present", json_integer(tcol[k][1]));
		json_object_set_new(to, "excused", json_integer(tcol[k][2]));
		json_object_set_new(to, "absent", json_integer(tcol[k][3]));
	}
	if ((rc = contributions(n, p, code, tcode, t, checks)) < 0 || (rc = uncounted_meetings(n, p, code, t)) < 0)
		goto cleanup;
	json_object_set_new(t, "meeting_list", list);
	list = NULL;
	json_object_set_new(t, "opinion_list", ops);
	ops = NULL;
	json_object_set_new(t, "attendance_rate", rate(geti(t, "present"), geti(t, "members")));
	{
		const char *k;
		json_t *c;
		json_object_foreach(json_object_get(t, "by_college"), k, c)
			json_object_set_new(c, "attendance_rate", rate(geti(c, "present"), geti(c, "members")));
	}
	rc = 0;
cleanup:
	mtab_free(&mt);
	json_decref(tcode);
	json_decref(rows);
	json_decref(list);
	json_decref(ops);
	return rc;
}

static void sum_into(json_t *region, const json_t *t)
{
	static const char *const keys[] = { "meetings", "members", "present", "excused", "absent", "guests",
					    "invited", "ars", "quorum_reached", "opinions" };
	const char *k;
	json_t *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		addi(region, keys[i], geti(t, keys[i]));
	json_object_foreach(json_object_get(t, "meetings_by_body"), k, v)
		addi(json_object_get(region, "meetings_by_body"), k, json_integer_value(v));
	json_object_foreach(json_object_get(t, "opinions_by_outcome"), k, v)
		addi(json_object_get(region, "opinions_by_outcome"), k, json_integer_value(v));
	json_object_foreach(json_object_get(t, "contributions_by_theme"), k, v)
		addi(json_object_get(region, "contributions_by_theme"), k, json_integer_value(v));
	json_object_foreach(json_object_get(t, "by_college"), k, v) {
		json_t *to = json_object_get(json_object_get(region, "by_college"), k);
		addi(to, "members", geti(v, "members"));
		addi(to, "present", geti(v, "present"));
		addi(to, "excused", geti(v, "excused"));
		addi(to, "absent", geti(v, "absent"));
	}
	json_object_foreach(json_object_get(t, "roll"), k, v) {
		json_t *to = json_object_get(json_object_get(region, "roll"), k);
		if (!to) {
			to = json_pack("{s:i, s:i}", "titulaires", 0, "suppleants", 0);
			json_object_set_new(json_object_get(region, "roll"), k, to);
		}
		addi(to, "titulaires", geti(v, "titulaires"));
		addi(to, "suppleants", geti(v, "suppleants"));
	}
}

int cts_report_build(cts_node *n, const cts_report_params *p_in, json_t **out)
{
	cts_report_params p = *p_in;
	json_t *report = NULL, *region = NULL, *terrs = json_array(), *checks = json_array(), *codes = NULL, *h = NULL, *row;
	char *region_code = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (!p.from || !p.to || !cts_valid_date(p.from) || !cts_valid_date(p.to) || strcmp(p.from, p.to) > 0) {
		rc = cts_error_set(CTS_EINVAL, "période invalide (dates AAAA-MM-JJ, début avant fin)");
		goto cleanup;
	}
	if (p.quorum_den <= 0) {
		p.quorum_num = 1;
		p.quorum_den = 2;
	}
	if (p.quorum_num < 0 || p.quorum_num > p.quorum_den) {
		rc = cts_error_set(CTS_EINVAL, "règle de quorum invalide : une fraction entre 0 et 1 est attendue (par exemple 1/2)");
		goto cleanup;
	}
	if (n->role == CTS_ROLE_TERRITORY && p.territory && strcmp(p.territory, n->territory) != 0) {
		/* Any node may report on any territory it holds; nothing to refuse. */
	}
	if (n->role == CTS_ROLE_AUTHORITY)
		region_code = strdup(n->territory);
	else if (cts_store_meta_get(n->store, "authority_node", &region_code) == 0) {
		free(region_code);
		region_code = NULL;
		sqlite3_stmt *s;
		if (cts_store_stmt(n->store, &s, "SELECT territory FROM changeset WHERE node = (SELECT value FROM meta WHERE key = 'authority_node') LIMIT 1") == 0) {
			if (sqlite3_step(s) == SQLITE_ROW)
				region_code = strdup((const char *)sqlite3_column_text(s, 0));
			sqlite3_reset(s);
		}
	}
	cts_error_clear();
	if (!region_code)
		region_code = strdup("region");
	if ((rc = heads(n, &h)) < 0)
		goto cleanup;
	/* The territories named by the reference data or holding records; the
	 * distinct territories of each table by skip-scan of its primary key. */
	if ((rc = query(n, "WITH RECURSIVE"
			   " tm(t) AS (SELECT min(territory) FROM member UNION ALL"
			   "  SELECT (SELECT min(territory) FROM member WHERE territory > tm.t) FROM tm WHERE tm.t IS NOT NULL),"
			   " tg(t) AS (SELECT min(territory) FROM meeting UNION ALL"
			   "  SELECT (SELECT min(territory) FROM meeting WHERE territory > tg.t) FROM tg WHERE tg.t IS NOT NULL),"
			   " tc(t) AS (SELECT min(territory) FROM contribution UNION ALL"
			   "  SELECT (SELECT min(territory) FROM contribution WHERE territory > tc.t) FROM tc WHERE tc.t IS NOT NULL)"
			   " SELECT code, max(name) AS name FROM ("
			   " SELECT code, name FROM territory WHERE code IS NOT NULL"
			   " UNION ALL SELECT t, NULL FROM tm WHERE t IS NOT NULL UNION ALL SELECT t, NULL FROM tg WHERE t IS NOT NULL"
			   " UNION ALL SELECT t, NULL FROM tc WHERE t IS NOT NULL)"
			   " WHERE code <> ?1 AND (?2 IS NULL OR code = ?2) GROUP BY code ORDER BY code",
			region_code, p.territory, NULL, &codes)) < 0)
		goto cleanup;
	if (p.territory && json_array_size(codes) == 0) {
		rc = cts_error_set(CTS_ENOTFOUND, "territoire « %.64s » inconnu de ce nœud", p.territory);
		goto cleanup;
	}
	region = new_scope(region_code, "Région");
	json_array_foreach(codes, i, row) {
		const char *code = json_string_value(json_object_get(row, "code"));
		const char *name = json_string_value(json_object_get(row, "name"));
		json_t *t = new_scope(code, name ? name : code);
		if ((rc = territory_report(n, &p, code, t, checks)) < 0) {
			json_decref(t);
			goto cleanup;
		}
		sum_into(region, t);
		json_array_append_new(terrs, t);
	}
	json_object_set_new(region, "territories", json_integer((json_int_t)json_array_size(terrs)));
	json_object_set_new(region, "attendance_rate", rate(geti(region, "present"), geti(region, "members")));
	{
		const char *k;
		json_t *c;
		json_object_foreach(json_object_get(region, "by_college"), k, c)
			json_object_set_new(c, "attendance_rate", rate(geti(c, "present"), geti(c, "members")));
	}
	{
		char rule[200];
		snprintf(rule, sizeof(rule), "quorum atteint si les membres présents ayant voix délibérative "
					     "(titulaires, ou suppléants remplaçant un titulaire) dépassent %d/%d des sièges de titulaires convoqués",
			 p.quorum_num, p.quorum_den);
		report = json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:s, s:O, s:O, s:O}", "title",
				   "Rapport d'activité des conseils territoriaux de santé", "period", "from", p.from, "to", p.to,
				   "scope", p.territory ? p.territory : region_code, "heads", h, "quorum_rule", rule, "region",
				   region, "territories", terrs, "checks", checks);
		h = NULL;
	}
	if (p.generated_at)
		json_object_set_new(report, "generated_at", json_string(p.generated_at));
	*out = report;
	report = NULL;
	rc = 0;
cleanup:
	json_decref(report);
	json_decref(region);
	json_decref(terrs);
	json_decref(checks);
	json_decref(codes);
	json_decref(h);
	free(region_code);
	return rc;
}
