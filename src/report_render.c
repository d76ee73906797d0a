/* Rendering of a built report (report.h): Markdown and HTML, the words and
 * helpers every format shares (CSV: report_csv.c). */
#include "report_impl.h"

#include "csvout.h"
#include "error.h"
#include "strbuf.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rep_gets(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* "82,8" (decimal comma) or "—" when there is no rate. */
void rep_fmt_rate(char *buf, size_t size, const json_t *v)
{
	if (!json_is_number(v)) {
		snprintf(buf, size, "—");
		return;
	}
	snprintf(buf, size, "%.1f", json_number_value(v));
	char *dot = strchr(buf, '.');
	if (dot)
		*dot = ',';
}

static const char *label(const char *const *codes, const char *const *labels, const char *code)
{
	int i = cts_code_index(codes, code);
	return i >= 0 ? labels[i] : code;
}

static const char *const outcomes[] = { "favorable", "defavorable", "reserve", NULL };
static const char *const outcome_labels[] = { "favorable", "défavorable", "réservé" };

const char *rep_outcome_label(const char *o)
{
	return label(outcomes, outcome_labels, o);
}

static const char *const check_kinds[] = { "votes_exceed_present",
	                                   "meeting_without_attendance",
	                                   "opinion_without_quorum",
	                                   "member_past_mandate",
	                                   "unknown_theme",
	                                   "outcome_contradicts_votes",
	                                   NULL };
static const char *const check_labels[] = {
	"Votes supérieurs aux présents", "Réunion sans feuille de présence",
	"Avis rendu sans quorum",        "Membre siégeant après la fin de son mandat",
	"Contribution au thème inconnu", "Sens de l'avis contraire aux votes"
};

const char *rep_check_label(const char *kind)
{
	return label(check_kinds, check_labels, kind);
}

/* ---- escaping ---- */

static void md_escape(cts_strbuf *b, char c)
{
	char esc[2] = { '\\', c };

	if (c == '\n' || c == '\r')
		cts_strbuf_addn(b, " ", 1);
	else
		cts_strbuf_addn(b, esc, 2);
}

static void md_text(cts_strbuf *b, const char *s)
{
	cts_out_escaped(b, s, "|\\*_`<\n\r", md_escape);
}

/* The characters HTML text escapes, and their entities in the same order. */
static const char html_specials[] = "<>&\"'";
static const char *const html_entities[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&#39;" };

static void html_escape(cts_strbuf *b, char c)
{
	cts_strbuf_add(b, html_entities[strchr(html_specials, c) - html_specials]);
}

static void html_text(cts_strbuf *b, const char *s)
{
	cts_out_escaped(b, s, html_specials, html_escape);
}

/* What follows the title of an approved meeting. */
const char *rep_approved_mark(const json_t *m)
{
	return json_is_true(json_object_get(m, "approved")) ? " (compte rendu approuvé)" : "";
}

/* The meetings of a territory that are not counted (report.c): each
 * list, with the status it stands for. */
const rep_uncounted_list rep_uncounted[2] = { { "cancelled_meetings", "annulée" },
	                                      { "planned_meetings", "prévue, pas encore tenue" } };

static int has_uncounted(const json_t *t)
{
	for (size_t k = 0; k < 2; k++)
		if (json_array_size(json_object_get(t, rep_uncounted[k].key)))
			return 1;
	return 0;
}

/* ---- lists of a territory ---- */

/* A table of a territory's list: a header before its first row, a footer
 * after its last one (none when the list is empty). */
struct table {
	rep_out *o;
	int sp;
	const json_t *t;
	const char *header, *footer;
	rep_row_fn row;
	const void *fmt;
	size_t n;
};

static int table_row(void *ctx, const json_t *item)
{
	struct table *tb = ctx;
	cts_strbuf *b = rep_out_buf(tb->o, tb->sp);

	if (tb->n++ == 0 && tb->header)
		cts_strbuf_add(b, tb->header);
	tb->row(b, tb->fmt, tb->t, item);
	rep_out_item(tb->o, tb->sp);
	rep_out_flush(tb->o, tb->sp);
	return 0;
}

void rep_table(rep_out *o, int sp, const rep_terr *r,
               int (*list)(const rep_terr *, rep_item_fn, void *), const char *header,
               rep_row_fn row, const void *fmt, const char *footer)
{
	struct table tb = { o, sp, r->t, header, footer, row, fmt, 0 };
	int rc = list(r, table_row, &tb);

	if (rc < 0)
		rep_out_fail(o, rc);
	if (tb.n && footer)
		cts_strbuf_add(rep_out_buf(o, sp), footer);
}

const char *rep_quorum_word(const json_t *m)
{
	return json_is_true(json_object_get(json_object_get(m, "quorum"), "reached"))
	           ? "atteint"
	           : "non atteint";
}

/* ---- rows of a territory's tables, Markdown and HTML alike ---- */

/* How a row is written: before its first cell, between cells, after its
 * last one; free text (titles, subjects) and labels of codes. */
struct row_fmt {
	const char *open, *sep, *close;
	void (*text)(cts_strbuf *b, const char *s);
	void (*label)(cts_strbuf *b, const char *s);
};

static void row_counts(cts_strbuf *b, const struct row_fmt *f, const json_t *m,
                       const char *const *keys)
{
	for (; *keys; keys++)
		cts_strbuf_addf(b, "%s%lld", f->sep, (long long)rep_geti(m, *keys));
}

/* A meeting's row of a territory's table (a rep_row_fn; fmt: a struct row_fmt). */
static void row_meeting(cts_strbuf *b, const void *fmt, const json_t *t, const json_t *m)
{
	const struct row_fmt *f = fmt;
	static const char *const counts[] = { "members", "present", "excused",
		                              "absent",  "guests",  NULL };

	(void)t;
	cts_strbuf_addf(b, "%s%s%s", f->open, rep_gets(m, "date"), f->sep);
	f->label(b, label(cts_bodies, cts_body_labels, rep_gets(m, "body")));
	cts_strbuf_add(b, f->sep);
	f->text(b, rep_gets(m, "title"));
	cts_strbuf_add(b, rep_approved_mark(m));
	row_counts(b, f, m, counts);
	cts_strbuf_addf(b, "%s%s%s", f->sep, rep_quorum_word(m), f->close);
}

/* An opinion's row of a territory's table (a rep_row_fn; fmt: a struct row_fmt). */
static void row_opinion(cts_strbuf *b, const void *fmt, const json_t *t, const json_t *m)
{
	const struct row_fmt *f = fmt;
	static const char *const counts[] = { "votes_for", "votes_against", "votes_abstain", NULL };

	(void)t;
	cts_strbuf_addf(b, "%s%s%s", f->open, rep_gets(m, "date"), f->sep);
	f->text(b, rep_gets(m, "subject"));
	row_counts(b, f, m, counts);
	cts_strbuf_addf(b, "%s%s%s", f->sep, rep_outcome_label(rep_gets(m, "outcome")), f->close);
}

/* ---- figures of a scope (the region, a territory), Markdown and HTML alike ---- */

/* A text format (Markdown, HTML) of the report. A scope's figures (the
 * region's, a territory's): the table of key figures (a row is kpi_open,
 * label, kpi_sep, value, kpi_close; after the table, table_end;
 * long_labels: the longer labels), the attendance by college (its rows
 * written as row says), then what the format adds (scope). A territory's
 * section: heading, its figures, its meetings, its uncounted meetings, its
 * opinions. A check: check_open, its kind, check_mid, its territory, ') : ',
 * its detail, check_close. The body of the report: region_head, the
 * region's figures, the territories, checks_head, the checks (no_check
 * when there is none). */
struct tfmt {
	const char *kpi_head, *kpi_open, *kpi_sep, *kpi_close;
	int long_labels;
	const char *college_head, *college_foot;
	void (*scope)(cts_strbuf *b, const struct tfmt *f, const json_t *t, int region);
	void (*heading)(cts_strbuf *b, const json_t *t);
	const char *meetings_head, *opinions_head, *table_end;
	const struct row_fmt *row;
	const char *uncounted_head, *uncounted_end;
	void (*uncounted)(cts_strbuf *b, const json_t *m, const char *status);
	const char *check_open, *check_mid, *check_close;
	const char *region_head, *checks_head, *no_check;
};

/* A key figure: its label (Markdown may show a longer one) and the count
 * it shows, with the one in parentheses after it (key2) or as a rate. */
static const struct kpi {
	const char *label, *long_label, *key, *key2;
	int rate;
} kpis[] = {
	{ "Conseils territoriaux", NULL, "territories", NULL, 0 }, /* the region's only */
	{ "Réunions", NULL, "meetings", NULL, 0 },
	{ "Sièges convoqués", "Sièges convoqués (cumul des réunions)", "members", NULL, 0 },
	{ "Présents", NULL, "present", NULL, 0 },
	{ "Excusés", NULL, "excused", NULL, 0 },
	{ "Absents", NULL, "absent", NULL, 0 },
	{ "Taux de présence", NULL, "attendance_rate", NULL, 1 },
	{ "Invités (dont ARS)", NULL, "guests", "ars", 0 },
	{ "Réunions avec quorum", NULL, "quorum_reached", NULL, 0 },
	{ "Avis rendus", NULL, "opinions", NULL, 0 },
};

static void scope_kpi(cts_strbuf *b, const struct tfmt *f, const struct kpi *k, const json_t *t)
{
	char r[32];

	cts_strbuf_addf(b, "%s%s%s", f->kpi_open,
	                f->long_labels && k->long_label ? k->long_label : k->label, f->kpi_sep);
	if (k->rate) {
		rep_fmt_rate(r, sizeof(r), json_object_get(t, k->key));
		cts_strbuf_addf(b, "%s %%", r);
	} else {
		cts_strbuf_addf(b, "%lld", (long long)rep_geti(t, k->key));
	}
	if (k->key2)
		cts_strbuf_addf(b, " (%lld)", (long long)rep_geti(t, k->key2));
	cts_strbuf_add(b, f->kpi_close);
}

/* The key figures of scope t (region: with the number of territories),
 * then its attendance by college. */
static void scope_figures(cts_strbuf *b, const struct tfmt *f, const json_t *t, int region)
{
	static const char *const roll_counts[] = { "titulaires", "suppleants", NULL };
	static const char *const counts[] = { "members", "present", "excused", "absent", NULL };
	const struct row_fmt *rf = f->row;
	const char *k;
	json_t *v;
	char r[32];

	cts_strbuf_add(b, f->kpi_head);
	for (size_t i = region ? 0 : 1; i < sizeof(kpis) / sizeof(kpis[0]); i++)
		scope_kpi(b, f, &kpis[i], t);
	cts_strbuf_add(b, f->table_end);
	cts_strbuf_add(b, f->college_head);
	json_object_foreach(json_object_get(t, "by_college"), k, v)
	{
		rep_fmt_rate(r, sizeof(r), json_object_get(v, "attendance_rate"));
		cts_strbuf_add(b, rf->open);
		rf->label(b, label(cts_colleges, cts_college_labels, k));
		row_counts(b, rf, json_object_get(json_object_get(t, "roll"), k), roll_counts);
		row_counts(b, rf, v, counts);
		cts_strbuf_addf(b, "%s%s %%%s", rf->sep, r, rf->close);
	}
	cts_strbuf_add(b, f->college_foot);
}

/* ---- Markdown ---- */

static void raw_text(cts_strbuf *b, const char *s)
{
	cts_strbuf_add(b, s);
}

static const struct row_fmt md_row = { "| ", " | ", " |\n", md_text, raw_text };

static void md_scope(cts_strbuf *b, const struct tfmt *f, const json_t *t, int region)
{
	const char *k;
	json_t *v;

	scope_figures(b, f, t, region);
	cts_strbuf_add(b, "\n| Instance | Réunions |\n|---|---:|\n");
	json_object_foreach(json_object_get(t, "meetings_by_body"), k, v)
	    cts_strbuf_addf(b, "| %s | %lld |\n", label(cts_bodies, cts_body_labels, k),
	                    (long long)json_integer_value(v));
	cts_strbuf_addf(
	    b, "\nAvis : %lld favorable(s), %lld défavorable(s), %lld réservé(s).\n\n",
	    (long long)rep_geti(json_object_get(t, "opinions_by_outcome"), "favorable"),
	    (long long)rep_geti(json_object_get(t, "opinions_by_outcome"), "defavorable"),
	    (long long)rep_geti(json_object_get(t, "opinions_by_outcome"), "reserve"));
	if (json_object_size(json_object_get(t, "contributions_by_theme"))) {
		cts_strbuf_add(b, "| Thème | Contributions |\n|---|---:|\n");
		json_object_foreach(json_object_get(t, "contributions_by_theme"), k, v)
		{
			cts_strbuf_add(b, "| ");
			md_text(b, label(cts_builtin_themes, cts_builtin_theme_labels, k));
			cts_strbuf_addf(b, " | %lld |\n", (long long)json_integer_value(v));
		}
		cts_strbuf_add(b, "\n");
	}
}

static void md_heading(cts_strbuf *b, const json_t *t)
{
	cts_strbuf_add(b, "## Territoire : ");
	md_text(b, rep_gets(t, "name"));
	cts_strbuf_addf(b, " (%s)\n\n", rep_gets(t, "code"));
}

static void md_uncounted(cts_strbuf *b, const json_t *m, const char *status)
{
	cts_strbuf_addf(b, "- %s, %s : ", rep_gets(m, "date"),
	                label(cts_bodies, cts_body_labels, rep_gets(m, "body")));
	md_text(b, rep_gets(m, "title"));
	cts_strbuf_addf(b, " (%s)\n", status);
}

/* The body of the report, after its title: the region's figures, the
 * territories, the checks. */
static void text_body(rep_out *o, const struct tfmt *f, const json_t *rep)
{
	cts_strbuf *b = rep_out_buf(o, REP_OUT);

	cts_strbuf_add(b, f->region_head);
	f->scope(b, f, json_object_get(rep, "region"), 1);
	rep_out_copy(o, REP_SP_TERR);
	cts_strbuf_add(b, f->checks_head);
	if (rep_out_items(o, REP_SP_CHECK) == 0)
		cts_strbuf_add(b, f->no_check);
	rep_out_copy(o, REP_SP_CHECK);
}

static void md_finish(rep_out *o, const struct tfmt *f, const json_t *rep)
{
	cts_strbuf *b = rep_out_buf(o, REP_OUT);
	const char *k;
	json_t *v;

	cts_strbuf_addf(b, "# %s\n\n", rep_gets(rep, "title"));
	cts_strbuf_addf(b, "Période : du %s au %s. Périmètre : %s.\n\n",
	                rep_gets(json_object_get(rep, "period"), "from"),
	                rep_gets(json_object_get(rep, "period"), "to"), rep_gets(rep, "scope"));
	if (json_object_get(rep, "generated_at"))
		cts_strbuf_addf(b, "Produit le %s.\n\n", rep_gets(rep, "generated_at"));
	text_body(o, f, rep);
	cts_strbuf_addf(b, "\n## Règle de quorum\n\n%s.\n\n", rep_gets(rep, "quorum_rule"));
	cts_strbuf_add(b, "## Historique de référence\n\nCe rapport est calculé à partir de "
	                  "l'historique signé suivant ; "
	                  "n'importe qui peut le recalculer (ctsnode audit --check-report).\n\n| "
	                  "Nœud | N° | Identifiant |\n|---|---:|---|\n");
	json_object_foreach(json_object_get(rep, "heads"), k, v) cts_strbuf_addf(
	    b, "| %s | %lld | `%s` |\n", k, (long long)rep_geti(v, "seq"), rep_gets(v, "id"));
}

/* ---- HTML ---- */

/* A chart label: the part before " : " (e.g. "Ségur pilier 3"), at most
 * 40 characters, cut on a UTF-8 character boundary. */
static void chart_label(char *out, size_t size, const char *name)
{
	const char *colon = strstr(name, " : ");
	size_t len = colon ? (size_t)(colon - name) : strlen(name), chars = 0, i = 0;

	while (i < len && i + 4 < size) {
		size_t n = 1;
		unsigned char c = (unsigned char)name[i];
		if (c >= 0xf0)
			n = 4;
		else if (c >= 0xe0)
			n = 3;
		else if (c >= 0xc0)
			n = 2;
		if (chars == 40 || i + n > len) {
			memcpy(out + i, "\xe2\x80\xa6", 3); /* … */
			i += 3;
			break;
		}
		memcpy(out + i, name + i, n);
		i += n;
		chars++;
	}
	out[i < size ? i : size - 1] = '\0';
}

static void svg_bars(cts_strbuf *b, const char *title, const char *const *names,
                     const double *values, size_t n, double max, const char *unit)
{
	int h = 26 * (int)n + 12;

	cts_strbuf_addf(b,
	                "<figure><svg class=\"chart\" role=\"img\" viewBox=\"0 0 720 %d\" "
	                "width=\"720\" height=\"%d\""
	                " xmlns=\"http://www.w3.org/2000/svg\"><title>",
	                h, h);
	html_text(b, title);
	cts_strbuf_add(b, "</title>");
	for (size_t i = 0; i < n; i++) {
		double w = max > 0 ? values[i] / max * 300.0 : 0;
		int y = 6 + 26 * (int)i;
		char val[32], lab[200];
		snprintf(val, sizeof(val), "%.1f", values[i]);
		if (strchr(val, '.'))
			*strchr(val, '.') = ',';
		if (strlen(val) > 2 && strcmp(val + strlen(val) - 2, ",0") == 0)
			val[strlen(val) - 2] = '\0';
		chart_label(lab, sizeof(lab), names[i]);
		cts_strbuf_addf(b, "<text x=\"330\" y=\"%d\" text-anchor=\"end\">", y + 15);
		html_text(b, lab);
		cts_strbuf_addf(
		    b,
		    "</text><rect class=\"bar\" x=\"340\" y=\"%d\" width=\"%.1f\" height=\"20\"/>"
		    "<text x=\"%.1f\" y=\"%d\">%s%s</text>",
		    y, w, 346 + w, y + 15, val, unit);
	}
	cts_strbuf_add(b, "</svg><figcaption>");
	html_text(b, title);
	cts_strbuf_add(b, "</figcaption></figure>\n");
}

static const struct row_fmt html_row = { "<tr><td>", "</td><td>", "</td></tr>", html_text,
	                                 html_text };

static void html_scope(cts_strbuf *b, const struct tfmt *f, const json_t *t, int region)
{
	const char *k;
	json_t *v;
	const char *names[16];
	double vals[16];
	size_t n = 0;

	scope_figures(b, f, t, region);
	json_object_foreach(json_object_get(t, "by_college"), k, v)
	{
		if (n < 16) {
			names[n] = label(cts_colleges, cts_college_labels, k);
			vals[n++] = json_is_number(json_object_get(v, "attendance_rate"))
			                ? json_number_value(json_object_get(v, "attendance_rate"))
			                : 0;
		}
	}
	svg_bars(b, "Taux de présence par collège (%)", names, vals, n, 100.0, " %");
	n = 0;
	double max = 0;
	json_object_foreach(json_object_get(t, "contributions_by_theme"), k, v)
	{
		if (n < 16) {
			names[n] = label(cts_builtin_themes, cts_builtin_theme_labels, k);
			vals[n] = (double)json_integer_value(v);
			if (vals[n] > max)
				max = vals[n];
			n++;
		}
	}
	if (n)
		svg_bars(b, "Contributions par thème", names, vals, n, max, "");
}

static void html_heading(cts_strbuf *b, const json_t *t)
{
	cts_strbuf_add(b, "<h2>Territoire : ");
	html_text(b, rep_gets(t, "name"));
	cts_strbuf_add(b, "</h2>\n");
}

static void html_uncounted(cts_strbuf *b, const json_t *m, const char *status)
{
	cts_strbuf_add(b, "<li>");
	html_text(b, rep_gets(m, "date"));
	cts_strbuf_add(b, ", ");
	html_text(b, label(cts_bodies, cts_body_labels, rep_gets(m, "body")));
	cts_strbuf_add(b, " : ");
	html_text(b, rep_gets(m, "title"));
	cts_strbuf_addf(b, " (%s)</li>", status);
}

/* The two text formats: Markdown, HTML. */
static const struct tfmt tfmts[2] = {
	{ "| Indicateur | Valeur |\n|---|---:|\n",
	  "| ",
	  " | ",
	  " |\n",
	  1,
	  "| Collège | Titulaires | Suppléants | Convoqués | Présents | Excusés | Absents "
	  "| Taux |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
	  "",
	  md_scope,
	  md_heading,
	  "| Date | Instance | Titre | Convoqués | Présents | Excusés | Absents | Invités "
	  "| Quorum |\n|---|---|---|---:|---:|---:|---:|---:|---|\n",
	  "| Date | Avis | Pour | Contre | Abstentions | Sens |\n|---|---|---:|---:|---:|---|\n",
	  "\n",
	  &md_row,
	  "Réunions non comptées :\n\n",
	  "\n",
	  md_uncounted,
	  "- **",
	  "** (",
	  "\n",
	  "## Chiffres clés de la région\n\n",
	  "## Contrôles\n\n",
	  "Aucune anomalie relevée.\n\n" },
	{ "<table class=\"kpi\"><tbody>",
	  "<tr><th>",
	  "</th><td>",
	  "</td></tr>",
	  0,
	  "<table><thead><tr><th>Collège</th><th>Titulaires</th><th>Suppléants</th>"
	  "<th>Convoqués</th><th>Présents</th><th>Excusés</th><th>Absents</th><th>Taux</th>"
	  "</tr></thead><tbody>",
	  "</tbody></table>\n",
	  html_scope,
	  html_heading,
	  "<table><thead><tr><th>Date</th><th>Instance</th><th>Titre</th><th>Convoqués</th>"
	  "<th>Présents</th><th>Excusés</th><th>Absents</th><th>Invités</th><th>Quorum</th>"
	  "</tr></thead><tbody>",
	  "<table><thead><tr><th>Date</th><th>Avis</th><th>Pour</th><th>Contre</th>"
	  "<th>Abstentions</th><th>Sens</th></tr></thead><tbody>",
	  "</tbody></table>\n",
	  &html_row,
	  "<p>Réunions non comptées :</p><ul>",
	  "</ul>\n",
	  html_uncounted,
	  "<li><strong>",
	  "</strong> (",
	  "</li>",
	  "<h2>Chiffres clés de la région</h2>\n",
	  "<h2>Contrôles</h2>\n<ul class=\"checks\">",
	  "<li>Aucune anomalie relevée.</li>" },
};

/* A finding of the checks (the format's list item). */
static void text_check(cts_strbuf *b, const struct tfmt *f, const json_t *c)
{
	cts_strbuf_addf(b, "%s%s%s", f->check_open, rep_check_label(rep_gets(c, "kind")),
	                f->check_mid);
	f->row->label(b, rep_gets(c, "territory"));
	cts_strbuf_add(b, ") : ");
	f->row->text(b, rep_gets(c, "detail"));
	cts_strbuf_add(b, f->check_close);
}

static void text_territory(rep_out *o, const rep_terr *r, const struct tfmt *f)
{
	cts_strbuf *b = rep_out_buf(o, REP_SP_TERR);
	const json_t *m;
	size_t j;

	f->heading(b, r->t);
	f->scope(b, f, r->t, 0);
	rep_table(o, REP_SP_TERR, r, r->meetings, f->meetings_head, row_meeting, f->row,
	          f->table_end);
	if (has_uncounted(r->t)) {
		cts_strbuf_add(b, f->uncounted_head);
		for (size_t u = 0; u < 2; u++)
			json_array_foreach(json_object_get(r->t, rep_uncounted[u].key), j, m)
			    f->uncounted(b, m, rep_uncounted[u].label);
		cts_strbuf_add(b, f->uncounted_end);
	}
	rep_table(o, REP_SP_TERR, r, r->opinions, f->opinions_head, row_opinion, f->row,
	          f->table_end);
	rep_out_flush(o, REP_SP_TERR);
}

static void html_finish(rep_out *o, const struct tfmt *f, const json_t *rep)
{
	cts_strbuf *b = rep_out_buf(o, REP_OUT);
	const char *k;
	json_t *v;

	cts_strbuf_add(
	    b, "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	html_text(b, rep_gets(rep, "title"));
	cts_strbuf_add(
	    b, "</title><style>\n"
	       "body{font-family:\"DejaVu Sans\",Arial,sans-serif;margin:2em "
	       "auto;max-width:60em;color:#1b1b1b;line-height:1.4}\n"
	       "h1{color:#000091;font-size:1.6em}h2{color:#000091;border-bottom:2px solid "
	       "#000091;margin-top:2em}\n"
	       "table{border-collapse:collapse;margin:1em 0;width:100%}th,td{border:1px solid "
	       "#bbb;padding:.3em .5em;text-align:left}\n"
	       "td{font-variant-numeric:tabular-nums}td:last-child{white-space:nowrap}thead "
	       "th{background:#e3e3fd}table.kpi{width:auto}table.kpi th{background:#f5f5fe}\n"
	       "svg.chart text{font-size:13px;fill:#1b1b1b}svg.chart "
	       ".bar{fill:#000091}figure{margin:1em 0}\n"
	       "figcaption{font-size:.9em;color:#555}.checks li{margin:.2em "
	       "0}code{font-size:.85em;word-break:break-all}\n"
	       "@media "
	       "print{body{margin:0;max-width:none}h2{page-break-after:avoid}table,figure{page-"
	       "break-inside:avoid}}\n"
	       "</style></head><body>\n<h1>");
	html_text(b, rep_gets(rep, "title"));
	cts_strbuf_add(b, "</h1>\n<p>Période : du ");
	html_text(b, rep_gets(json_object_get(rep, "period"), "from"));
	cts_strbuf_add(b, " au ");
	html_text(b, rep_gets(json_object_get(rep, "period"), "to"));
	cts_strbuf_add(b, ". Périmètre : ");
	html_text(b, rep_gets(rep, "scope"));
	cts_strbuf_add(b, ".</p>\n");
	text_body(o, f, rep);
	cts_strbuf_add(b, "</ul>\n<h2>Règle de quorum</h2>\n<p>");
	html_text(b, rep_gets(rep, "quorum_rule"));
	cts_strbuf_add(
	    b, ".</p>\n<h2>Historique de "
	       "référence</h2>\n<table><thead><tr><th>Nœud</th><th>N°</th><th>Identifiant</th>"
	       "</tr></thead><tbody>");
	json_object_foreach(json_object_get(rep, "heads"), k, v)
	{
		cts_strbuf_add(b, "<tr><td>");
		html_text(b, k);
		cts_strbuf_addf(b, "</td><td>%lld</td><td><code>%s</code></td></tr>",
		                (long long)rep_geti(v, "seq"), rep_gets(v, "id"));
	}
	cts_strbuf_add(b, "</tbody></table>\n</body></html>\n");
}

/* ---- by format ---- */

void rep_render_territory(rep_out *o, cts_report_format fmt, const rep_terr *r)
{
	if (fmt == CTS_REPORT_CSV)
		rep_csv_territory(o, r);
	else
		text_territory(o, r, &tfmts[fmt == CTS_REPORT_HTML]);
}

void rep_render_check(rep_out *o, cts_report_format fmt, const json_t *check)
{
	int sp = fmt == CTS_REPORT_CSV ? REP_SP_CSVCHECK : REP_SP_CHECK;
	cts_strbuf *b = rep_out_buf(o, sp);

	if (fmt == CTS_REPORT_CSV)
		rep_csv_check(b, check);
	else
		text_check(b, &tfmts[fmt == CTS_REPORT_HTML], check);
	rep_out_item(o, sp);
	rep_out_flush(o, sp);
}

void rep_render_finish(rep_out *o, cts_report_format fmt, const json_t *head, const json_t *terrs)
{
	if (fmt == CTS_REPORT_MD)
		md_finish(o, &tfmts[0], head);
	else if (fmt == CTS_REPORT_HTML)
		html_finish(o, &tfmts[1], head);
	else
		rep_csv_finish(o, head, terrs);
}
