/* Contributions of a report's period by theme, and the unknown-theme check. */
#include "report_impl.h"

#include "error.h"
#include "record.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
static int tally(cts_node *n, const char *code, struct ctally *c, const char *id, const char *theme,
                 int title_known, const char *title)
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
		if ((rc = rep_stmt3(
		         n, &s, "SELECT title FROM contribution WHERE territory = ?1 AND id = ?2",
		         code, id, NULL)) < 0)
			return rc;
		if (sqlite3_step(s) == SQLITE_ROW && rep_col_text(s, 0))
			u->title = strdup(rep_col_text(s, 0));
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
#define FIRST_WRITE_ROWS                                                                           \
	"SELECT c.id, c.theme, c.title, (SELECT date(min((j.value ->> 1) >> 16) / 1000, "          \
	"'unixepoch') FROM rstate r, json_each(r.st) j"                                            \
	" WHERE r.tbl = 'contribution' AND r.territory = c.territory AND r.rid = c.id) FROM "      \
	"contribution c"                                                                           \
	" INDEXED BY contribution_meeting"

/* Contributions counted: not withdrawn. Dated by their meeting or first
 * write: no received date. */
#define COUNTED " AND coalesce(c.status, 'transmise') <> 'retiree'"
#define UNDATED " AND c.date IS NULL" COUNTED

static int undated_rows(cts_node *n, const cts_report_params *p, const char *code, struct ctally *c,
                        const char *sql, const char *meeting)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = rep_stmt3(n, &s, sql, code, meeting, NULL)) < 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = rep_col_text(s, 0), *theme = rep_col_text(s, 1),
		           *date = rep_col_text(s, 3);
		if (!id || !date || strcmp(date, p->from) < 0 || strcmp(date, p->to) > 0 || !theme)
			continue;
		if ((rc = tally(n, code, c, id, theme, 1, rep_col_text(s, 2))) < 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(n->store, "lecture des contributions");
}

/* Row handlers of rep_each_row. */
struct rowctx {
	cts_node *n;
	const char *code;
	struct ctally *c;
	struct strs *list;
	char *prev;
	const struct strs *dated;
};

static int add_code(void *ctx, sqlite3_stmt *s)
{
	struct rowctx *r = ctx;
	return rep_col_text(s, 0) ? strs_add(r->list, rep_col_text(s, 0)) : 0;
}

/* (id, theme[, title]): the title is read when the row has no column 2. */
static int tally_row(void *ctx, sqlite3_stmt *s)
{
	struct rowctx *r = ctx;
	const char *id = rep_col_text(s, 0), *theme = rep_col_text(s, 1);
	int with_title = sqlite3_column_count(s) > 2;

	if (!id || !theme)
		return 0;
	return tally(r->n, r->code, r->c, id, theme, with_title,
	             with_title ? rep_col_text(s, 2) : NULL);
}

/* The meetings contributions name that are not dated meetings (each once:
 * the rows come in meeting order). */
static int dangling_row(void *ctx, sqlite3_stmt *s)
{
	struct rowctx *r = ctx;
	const char *mid = rep_col_text(s, 0);

	if (!mid || (r->prev && strcmp(r->prev, mid) == 0))
		return 0;
	free(r->prev);
	if (!(r->prev = strdup(mid)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	return strs_has(r->dated, mid) ? 0 : strs_add(r->list, mid);
}

/* Run sql with ?1..?3 bound through fn. */
static int rows(struct rowctx *r, const char *sql, const char *b, const char *c,
                int (*fn)(void *, sqlite3_stmt *), const char *what)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = rep_stmt3(r->n, &s, sql, r->code, b, c)) < 0)
		return rc;
	return rep_each_row(r->n, s, fn, r, what);
}

/* The meetings contributions of the territory name that are missing or
 * have no date: their contributions are dated by their first write. */
static int dangling_meetings(struct rowctx *r, struct strs *dangling)
{
	struct strs dated = { 0 };
	int rc;

	r->list = &dated;
	if ((rc = rows(
	         r, "SELECT id FROM meeting WHERE territory = ?1 AND date IS NOT NULL ORDER BY id",
	         NULL, NULL, add_code, "lecture des réunions")) < 0)
		goto out;
	for (size_t i = 1; i < dated.n; i++) /* primary key order: sorted already, unless */
		if (strcmp(dated.v[i - 1], dated.v[i]) > 0) {
			qsort(dated.v, dated.n, sizeof(char *), str_cmp);
			break;
		}
	r->list = dangling;
	r->dated = &dated;
	rc = rows(r,
	          "SELECT meeting FROM contribution INDEXED BY contribution_meeting"
	          " WHERE territory = ?1 AND meeting IS NOT NULL",
	          NULL, NULL, dangling_row, "lecture des contributions");
out:
	free(r->prev);
	r->prev = NULL;
	strs_free(&dated);
	return rc;
}

/* Every contribution of the period into c: dated by the day it was
 * received, else by a meeting of the period (whatever its status), else
 * by its first write. */
static int tally_period(struct rowctx *r, const cts_report_params *p)
{
	struct strs dangling = { 0 };
	int rc;

	r->list = &r->c->known;
	if ((rc = rows(r, "SELECT DISTINCT code FROM theme WHERE code IS NOT NULL", NULL, NULL,
	               add_code, "lecture des thèmes")) < 0)
		return rc;
	if (r->c->known.n > 1)
		qsort(r->c->known.v, r->c->known.n, sizeof(char *), str_cmp);
	if ((rc = rows(
	         r,
	         "SELECT c.id, c.theme, c.title FROM contribution c INDEXED BY contribution_date"
	         " WHERE c.territory = ?1 AND c.date BETWEEN ?2 AND ?3" COUNTED,
	         p->from, p->to, tally_row, "lecture des contributions")) < 0 ||
	    (rc = rows(r,
	               "SELECT c.id, c.theme FROM meeting m CROSS JOIN contribution c INDEXED BY "
	               "contribution_meeting"
	               " ON c.territory = m.territory AND c.meeting = m.id"
	               " WHERE m.territory = ?1 AND m.date BETWEEN ?2 AND ?3" UNDATED,
	               p->from, p->to, tally_row, "lecture des contributions")) < 0 ||
	    (rc = dangling_meetings(r, &dangling)) < 0)
		goto out;
	if ((rc = undated_rows(r->n, p, r->code, r->c,
	                       FIRST_WRITE_ROWS
	                       " WHERE c.territory = ?1 AND c.meeting IS NULL" UNDATED,
	                       NULL)) < 0)
		goto out;
	for (size_t i = 0; i < dangling.n; i++)
		if ((rc = undated_rows(r->n, p, r->code, r->c,
		                       FIRST_WRITE_ROWS
		                       " WHERE c.territory = ?1 AND c.meeting = ?2" UNDATED,
		                       dangling.v[i])) < 0)
			goto out;
out:
	strs_free(&dangling);
	return rc;
}

/* Contributions by theme and the unknown-theme check: dated by their
 * meeting, else by their first write (clock of the changeset). The ones
 * of the period's meetings come through meeting_date and
 * contribution_meeting; the others are those without a meeting, found as
 * meeting IS NULL, and those whose meeting is missing or undated, found by
 * comparing the meetings contributions name with the dated ones. */
int rep_contributions(cts_node *n, const cts_report_params *p, const char *code, json_t *tcode,
                      json_t *t, const rep_sink *sink)
{
	struct ctally c = { 0 };
	struct rowctx r = { .n = n, .code = code, .c = &c };
	int rc;

	if ((rc = tally_period(&r, p)) < 0)
		goto out;
	/* By theme, in theme order (the order of the report's list). */
	if (c.themes.n > 1)
		qsort(c.themes.v, c.themes.n, sizeof(char *), str_cmp);
	{
		json_t *by_theme = json_object_get(t, "contributions_by_theme");
		for (size_t i = 0, j; i < c.themes.n; i = j) {
			for (j = i + 1; j < c.themes.n && strcmp(c.themes.v[i], c.themes.v[j]) == 0;
			     j++)
				;
			rep_addi(by_theme, c.themes.v[i], (json_int_t)(j - i));
		}
	}
	if (c.nunk > 1)
		qsort(c.unk, c.nunk, sizeof(*c.unk), unknown_cmp);
	for (size_t i = 0; i < c.nunk; i++) {
		char detail[600];
		snprintf(detail, sizeof(detail),
		         "contribution « %.200s » : thème inconnu « %.64s »", c.unk[i].title,
		         c.unk[i].theme);
		rep_check(sink, "unknown_theme", tcode, detail);
	}
	rc = 0;
out:
	strs_free(&c.themes);
	strs_free(&c.known);
	for (size_t i = 0; i < c.nunk; i++) {
		free(c.unk[i].theme);
		free(c.unk[i].title);
		free(c.unk[i].id);
	}
	free(c.unk);
	return rc;
}
