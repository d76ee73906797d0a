/* One territory of a report: its meetings of the period with their
 * attendance and opinions, its figures and checks; its lists are read by
 * the sink from the meetings loaded here, one meeting at a time. */
#include "report_impl.h"

#include "error.h"
#include "opinion.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	json_int_t col[REP_MAX_COLLEGES][4]; /* the same four per college */
	struct late *late;
	size_t nlate;
	json_t *opinions;             /* the meeting's opinions, report order */
	json_int_t q_seats, q_voting; /* quorum: voting seats, voting members present */
	int reached;                  /* quorum reached */
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
	struct mkey key = { id, NULL }, *k;

	k = t->n ? bsearch(&key, t->by_id, t->n, sizeof(*t->by_id), by_id_cmp) : NULL;
	return k ? k->m : NULL;
}

static void late_dispose(struct late *l)
{
	free(l->aid);
	free(l->detail);
}

static void mrow_dispose(struct mrow *m)
{
	json_decref(m->id);
	json_decref(m->date);
	json_decref(m->body);
	json_decref(m->title);
	json_decref(m->opinions);
	CTS_ARRAY_FREE(m->late, m->nlate, late_dispose);
}

static void mtab_free(struct mtab *t)
{
	CTS_ARRAY_FREE(t->m, t->n, mrow_dispose);
	free(t->by_id);
}

/* The meetings of the period, in report order, and the same set joined
 * with their attendance and their opinions (set-based: one statement per
 * territory each, driven by meeting_date, attendance_meeting and
 * opinion_meeting, schema 3). */
#define PERIOD_MEETINGS                                                                            \
	" m.territory = ?1 AND m.date BETWEEN ?2 AND ?3 AND coalesce(m.status, 'tenue') IN "       \
	"('tenue', 'approuvee')"

static int load_meetings(cts_node *n, const cts_report_params *p, const char *code, struct mtab *t)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc;

	if ((rc = rep_stmt3(n, &s,
	                    "SELECT m.id, m.date, m.body, m.title, m.status = 'approuvee' FROM "
	                    "meeting m WHERE" PERIOD_MEETINGS
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
		m->id = rep_col_json(s, 0);
		m->date = rep_col_json(s, 1);
		m->body = rep_col_json(s, 2);
		m->title = rep_col_json(s, 3);
		m->approved = sqlite3_column_int(s, 4);
		m->opinions = json_array();
		t->n++;
		if (!json_is_string(m->id) || !json_is_string(m->date) || !m->body || !m->title ||
		    !m->opinions) {
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

	if ((rc = rep_stmt3(
	         n, &s, "SELECT id, seat, mandate_end FROM member WHERE territory = ?1 ORDER BY id",
	         code, NULL, NULL)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = rep_col_text(s, 0), *seat = rep_col_text(s, 1),
		           *end = rep_col_text(s, 2);
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

/* The meeting of a row whose column 0 is the meeting's id; m: the one of
 * the previous row (rows come grouped by meeting). */
static struct mrow *row_meeting(const struct mtab *t, sqlite3_stmt *s, struct mrow *m)
{
	const char *mid = (const char *)sqlite3_column_text(s, 0);

	if (!mid)
		return NULL;
	if (m && strcmp(json_string_value(m->id), mid) == 0)
		return m;
	return mtab_find(t, mid);
}

/* Step s to its next row of one of t's meetings, *m that meeting (rows
 * of other meetings are skipped): SQLITE_ROW, or the last step's code. */
static int next_meeting_row(const struct mtab *t, sqlite3_stmt *s, struct mrow **m)
{
	struct mrow *rm = NULL;
	int rc = SQLITE_DONE;

	while (!rm && (rc = sqlite3_step(s)) == SQLITE_ROW)
		rm = row_meeting(t, s, *m);
	if (rm)
		*m = rm;
	return rc;
}

/* Count the attendance of every meeting of the period (covering index
 * attendance_meeting: the attendance rows themselves are read only for the
 * names of members seen after their mandate). */
static int load_attendance(cts_node *n, const cts_report_params *p, const char *code,
                           struct mtab *t)
{
	sqlite3_stmt *s;
	struct mrow *m = NULL;
	struct memtab mt = { 0 };
	int rc;

	if ((rc = load_members(n, code, &mt)) < 0)
		goto out;
	if ((rc = rep_stmt3(n, &s,
	                    "SELECT m.id, a.member, a.college, a.status, a.id, a.first_name, "
	                    "a.last_name FROM meeting m"
	                    " CROSS JOIN attendance a INDEXED BY attendance_meeting"
	                    " ON a.territory = m.territory AND a.meeting = m.id"
	                    " WHERE" PERIOD_MEETINGS " ORDER BY m.date, m.id",
	                    code, p->from, p->to)) < 0)
		goto out;
	while ((rc = next_meeting_row(t, s, &m)) == SQLITE_ROW) {
		m->rows++;
		const char *member = rep_col_text(s, 1), *college = rep_col_text(s, 2),
		           *status = rep_col_text(s, 3);
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
		int st = !status                          ? 0
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
			const char *end = mb ? mb->mandate_end : NULL,
			           *date = json_string_value(m->date);
			if (end && *end && strcmp(date, end) > 0) {
				char detail[600];
				const char *aid = (const char *)sqlite3_column_text(s, 4);
				struct late *nl = m->late;
				if ((m->nlate & (m->nlate - 1)) == 0) { /* 0, 1, 2, 4...: grow */
					nl = realloc(m->late,
					             (m->nlate ? m->nlate * 2 : 1) * sizeof(*nl));
					if (!nl)
						goto oom;
					m->late = nl;
				}
				snprintf(detail, sizeof(detail),
				         "%s %s siège le %s après la fin de son mandat (%s)",
				         rep_col_text(s, 5), rep_col_text(s, 6), date, end);
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

	if ((rc = rep_stmt3(n, &s,
	                    "SELECT m.id, o.id, o.subject, o.votes_for, o.votes_against, "
	                    "o.votes_abstain, o.outcome"
	                    " FROM meeting m CROSS JOIN opinion o INDEXED BY opinion_meeting"
	                    " ON o.territory = m.territory AND o.meeting = m.id"
	                    " WHERE" PERIOD_MEETINGS " AND coalesce(o.status, 'rendu') <> 'retire'"
	                    " ORDER BY m.date, m.id, o.subject, o.id",
	                    code, p->from, p->to)) < 0)
		return rc;
	while ((rc = next_meeting_row(t, s, &m)) == SQLITE_ROW) {
		json_t *o = json_object();
		static const char *const keys[] = {
			"id", "subject", "votes_for", "votes_against", "votes_abstain", "outcome"
		};
		for (int k = 0; k < 6; k++)
			json_object_set_new(o, keys[k], rep_col_json(s, k + 1));
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
		if ((rc = rep_stmt3(n, &s,
		                    "SELECT id, date, body, title FROM meeting WHERE territory = "
		                    "?1 AND date BETWEEN ?2 AND ?3"
		                    " AND status = ?4 ORDER BY date, body, title, id",
		                    code, p->from, p->to)) < 0)
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

/* The roll: members by college and seat. */
static int roll(cts_node *n, const char *code, json_t *t)
{
	json_t *rows = NULL, *row, *roll = json_object_get(t, "roll");
	size_t i;
	int rc;

	if ((rc = rep_query(
	         n,
	         "SELECT college, coalesce(seat, 'titulaire') AS seat, count(*) AS n FROM member"
	         " WHERE territory = ?1 GROUP BY 1, 2 ORDER BY 1, 2",
	         code, NULL, NULL, &rows)) < 0)
		return rc;
	for (int k = 0; cts_colleges[k]; k++)
		json_object_set_new(roll, cts_colleges[k],
		                    json_pack("{s:i, s:i}", "titulaires", 0, "suppleants", 0));
	json_array_foreach(rows, i, row)
	{
		json_t *c =
		    json_object_get(roll, json_string_value(json_object_get(row, "college")));
		const char *seat = json_string_value(json_object_get(row, "seat"));
		if (c)
			rep_addi(c, strcmp(seat, "suppleant") == 0 ? "suppleants" : "titulaires",
			         rep_geti(row, "n"));
	}
	json_decref(rows);
	return 0;
}

/* Quorum of a meeting: voting members present over the seats of
 * titulaires convened. */
static void quorum(struct mrow *m, const cts_report_params *p)
{
	json_int_t seats = m->seats ? m->seats : m->cnt[0];
	json_int_t present = m->present_tit + m->present_sup;

	m->q_seats = seats;
	m->q_voting = present < seats ? present : seats;
	m->reached = seats > 0 && m->q_voting * p->quorum_den > seats * p->quorum_num;
}

/* The checks of one opinion of meeting m. */
static void opinion_checks(const rep_sink *sink, json_t *tcode, const struct mrow *m,
                           const json_t *o)
{
	const char *date = json_string_value(m->date),
	           *subject = json_string_value(json_object_get(o, "subject"));
	json_int_t vf = rep_geti(o, "votes_for"), va = rep_geti(o, "votes_against");
	json_int_t votes = vf + va + rep_geti(o, "votes_abstain");
	const char *why =
	    cts_opinion_contradiction(vf, va, json_string_value(json_object_get(o, "outcome")));
	char detail[600];

	if (m->cnt[0] > 0 && votes > m->cnt[1]) {
		snprintf(detail, sizeof(detail),
		         "avis « %.200s » du %s : %lld voix pour %lld membres présents", subject,
		         date, (long long)votes, (long long)m->cnt[1]);
		rep_check(sink, "votes_exceed_present", tcode, detail);
	}
	if (why) {
		snprintf(detail, sizeof(detail),
		         "avis « %.200s » du %s : %s (%lld pour, %lld contre)", subject, date, why,
		         (long long)vf, (long long)va);
		rep_check(sink, "outcome_contradicts_votes", tcode, detail);
	}
	if (!m->reached) {
		snprintf(detail, sizeof(detail), "avis « %.200s » rendu le %s sans quorum", subject,
		         date);
		rep_check(sink, "opinion_without_quorum", tcode, detail);
	}
}

/* The checks of meeting m and its opinions; opinions counted by outcome. */
static void meeting_checks(const rep_sink *sink, json_t *tcode, json_t *t, struct mrow *m)
{
	json_t *o;
	size_t j;

	if (m->rows == 0) {
		char detail[600];
		snprintf(detail, sizeof(detail), "réunion du %s (%s) sans feuille de présence",
		         json_string_value(m->date), json_string_value(m->title));
		rep_check(sink, "meeting_without_attendance", tcode, detail);
	}
	if (m->nlate > 1)
		qsort(m->late, m->nlate, sizeof(*m->late), late_cmp);
	for (j = 0; j < m->nlate; j++)
		rep_check(sink, "member_past_mandate", tcode, m->late[j].detail);
	json_array_foreach(m->opinions, j, o)
	{
		if (json_is_string(json_object_get(o, "outcome")))
			rep_addi(json_object_get(t, "opinions_by_outcome"),
			         json_string_value(json_object_get(o, "outcome")), 1);
		opinion_checks(sink, tcode, m, o);
	}
}

/* The territory's figures from its meetings, and their checks. */
static void summarise(const cts_report_params *p, struct mtab *mt, int ncol, json_t *t,
                      json_t *tcode, const rep_sink *sink)
{
	static const char *const keys[] = { "members", "present", "excused", "absent",
		                            "guests",  "invited", "ars" };
	json_int_t tot[7] = { 0 }, tcol[REP_MAX_COLLEGES][4] = { { 0 } }, nquorum = 0, nops = 0;

	for (size_t i = 0; i < mt->n; i++) {
		struct mrow *m = &mt->m[i];
		rep_addi(json_object_get(t, "meetings_by_body"), json_string_value(m->body), 1);
		quorum(m, p);
		meeting_checks(sink, tcode, t, m);
		nquorum += m->reached;
		nops += (json_int_t)json_array_size(m->opinions);
		json_int_t mv[7] = { m->cnt[0], m->cnt[1],  m->cnt[2], m->cnt[3],
			             m->guests, m->invited, m->ars };
		for (int k = 0; k < 7; k++)
			tot[k] += mv[k];
		for (int k = 0; k < ncol; k++)
			for (int x = 0; x < 4; x++)
				tcol[k][x] += m->col[k][x];
	}
	json_object_set_new(t, "meetings", json_integer((json_int_t)mt->n));
	json_object_set_new(t, "quorum_reached", json_integer(nquorum));
	json_object_set_new(t, "opinions", json_integer(nops));
	for (int k = 0; k < 7; k++)
		json_object_set_new(t, keys[k], json_integer(tot[k]));
	for (int k = 0; k < ncol; k++) {
		json_t *to = json_object_get(json_object_get(t, "by_college"), cts_colleges[k]);
		for (int x = 0; x < 4; x++)
			json_object_set_new(to, cnt_keys[x], json_integer(tcol[k][x]));
	}
}

/* A meeting of meeting_list: a new object. */
static json_t *meeting_json(const struct mrow *m, int ncol)
{
	json_t *mm = json_object(), *by = json_object(), *q = json_object();

	if (!mm || !by || !q) {
		json_decref(mm);
		json_decref(by);
		json_decref(q);
		return NULL;
	}
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
	set_int(q, "voting_seats", m->q_seats);
	set_int(q, "voting_present", m->q_voting);
	json_object_set_new_nocheck(q, "reached", json_boolean(m->reached));
	json_object_set_new_nocheck(mm, "quorum", q);
	json_object_set_new(mm, "attendance_rate", rep_rate(m->cnt[1], m->cnt[0]));
	return mm;
}

/* What the lists of a computed territory are read from. */
struct tlists {
	const struct mtab *mt;
	int ncol;
};

static int mt_meetings(const rep_terr *r, rep_item_fn fn, void *ctx)
{
	const struct tlists *l = r->src;

	for (size_t i = 0; i < l->mt->n; i++) {
		json_t *mm = meeting_json(&l->mt->m[i], l->ncol);
		int rc = mm ? fn(ctx, mm) : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		json_decref(mm);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int mt_opinions(const rep_terr *r, rep_item_fn fn, void *ctx)
{
	const struct tlists *l = r->src;
	size_t j;
	json_t *o;
	int rc;

	for (size_t i = 0; i < l->mt->n; i++)
		json_array_foreach(l->mt->m[i].opinions, j, o) if ((rc = fn(ctx, o)) < 0) return rc;
	return 0;
}

int rep_territory(cts_node *n, const cts_report_params *p, const char *code, json_t *t,
                  const rep_sink *sink)
{
	json_t *tcode = json_string(code);
	struct mtab mt = { 0 };
	int rc, ncol = 0;

	while (cts_colleges[ncol])
		ncol++;
	if (ncol > REP_MAX_COLLEGES) {
		rc = cts_error_set(CTS_EINVAL, "rapport : trop de collèges (%d)", ncol);
		goto cleanup;
	}
	if ((rc = roll(n, code, t)) < 0 || (rc = load_meetings(n, p, code, &mt)) < 0 ||
	    (rc = load_attendance(n, p, code, &mt)) < 0 ||
	    (rc = load_opinions(n, p, code, &mt)) < 0)
		goto cleanup;
	summarise(p, &mt, ncol, t, tcode, sink);
	if ((rc = rep_contributions(n, p, code, tcode, t, sink)) < 0 ||
	    (rc = uncounted_meetings(n, p, code, t)) < 0)
		goto cleanup;
	json_object_set_new(t, "attendance_rate",
	                    rep_rate(rep_geti(t, "present"), rep_geti(t, "members")));
	{
		const char *k;
		json_t *c;
		json_object_foreach(json_object_get(t, "by_college"), k, c) json_object_set_new(
		    c, "attendance_rate", rep_rate(rep_geti(c, "present"), rep_geti(c, "members")));
	}
	{
		struct tlists l = { &mt, ncol };
		rep_terr r = { t, mt_meetings, mt_opinions, &l };
		rc = sink->territory(sink->ctx, &r);
	}
cleanup:
	mtab_free(&mt);
	json_decref(tcode);
	return rc;
}
