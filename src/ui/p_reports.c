/* Rapports: year and territory chosen in the page, key figures, the whole
 * HTML report, downloads in the four formats. */
#include "app.h"

#include "error.h"
#include "meeting.h"
#include "region.h"
#include "report.h"
#include "tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

typedef struct {
	int year;
	const char *territory; /* NULL: the whole region */
	char q[160];           /* "year=2020&territory=le-havre" */
	const char *error;     /* a bad year or territory */
	const char *field;     /* which */
} choice;

/* The latest year with a meeting, else this year. */
static int default_year(cts_node *n)
{
	json_t *list = NULL;
	time_t now = time(NULL);
	struct tm tm;
	int y = 0;

	localtime_r(&now, &tm);
	if (cts_change_list(n, "meeting", NULL, &list) == 0) {
		size_t i;
		json_t *m;
		json_array_foreach(list, i, m)
		{
			int my = atoi(ui_str(m, "date"));
			if (my > y)
				y = my;
		}
	}
	json_decref(list);
	cts_error_clear();
	return y ? y : tm.tm_year + 1900;
}

static void read_choice(ui_req *r, choice *c)
{
	const char *y = ui_arg(r, "year"), *t = ui_arg(r, "territory");
	char *end;
	long v;

	memset(c, 0, sizeof(*c));
	if (r->app->role == CTS_ROLE_TERRITORY)
		c->territory = r->app->ident.territory;
	else if (*t && cts_valid_territory(t))
		c->territory = t;
	else if (*t)
		c->error = "code de territoire invalide : choisissez un territoire dans la liste",
		c->field = "territory";
	if (*y && !c->error) {
		errno = 0;
		v = strtol(y, &end, 10);
		if (*end || errno || v < 2000 || v > 2100)
			c->error = "année invalide : indiquez une année sur quatre chiffres, par "
			           "exemple 2020",
			c->field = "year";
		else
			c->year = (int)v;
	}
	if (!c->year)
		c->year = default_year(r->node);
	snprintf(c->q, sizeof(c->q), "year=%d%s%s", c->year,
	         c->territory && r->app->role == CTS_ROLE_AUTHORITY ? "&territory=" : "",
	         c->territory && r->app->role == CTS_ROLE_AUTHORITY ? c->territory : "");
}

static int build(ui_req *r, const choice *c, json_t **rep)
{
	cts_report_params p = { .quorum_num = 1, .quorum_den = 2 };
	char from[11], to[11];

	cts_report_year(&p, c->year, from, to);
	p.territory = c->territory;
	return cts_report_build(r->node, &p, rep);
}

static void territory_label(ui_html *h, const json_t *row)
{
	ui_html_f(h, "%s", ui_str(row, "code"));
}

static void choice_form(ui_req *r, const choice *c)
{
	ui_fs fs = { .error = c->error, .field = c->field };
	json_t *nodes = NULL, *terr = json_array(), *row;
	char y[8];
	size_t i;

	snprintf(y, sizeof(y), "%d", c->year);
	ui_error_summary(r, &fs, "year");
	H("<form method=\"get\" action=\"/rapports\" class=\"form row\">");
	ui_input(r, &fs, "year", "Année", "number", c->error ? ui_arg(r, "year") : y, NULL, 0);
	if (r->app->role == CTS_ROLE_AUTHORITY) {
		if (cts_region_nodes(r->node, &nodes) == 0)
			json_array_foreach(nodes, i, row)
			{
				const char *t = ui_str(row, "territory");
				int seen = 0;
				size_t k;
				json_t *e;
				if (strcmp(ui_str(row, "role"), "authority") == 0)
					continue;
				json_array_foreach(terr, k, e) seen |=
				    strcmp(ui_str(e, "code"), t) == 0;
				if (!seen)
					json_array_append_new(terr, json_pack("{s:s}", "code", t));
			}
		cts_error_clear();
		ui_select_json(r, &fs, "territory", "Territoire", terr, "code", territory_label,
		               "Toute la région", c->territory ? c->territory : "", NULL, 0);
	}
	H("<div class=\"buttons\"><button type=\"submit\" "
	  "class=\"button\">Afficher</button></div></form>");
	json_decref(nodes);
	json_decref(terr);
}

static void figures(ui_req *r, const json_t *rep, const choice *c)
{
	const json_t *scope = json_object_get(rep, "region"), *t, *bc;
	size_t i;

	if (c->territory)
		json_array_foreach(json_object_get(rep, "territories"), i,
		                   t) if (strcmp(ui_str(t, "code"), c->territory) == 0) scope = t;
	H("<section aria-labelledby=\"h-fig\"><h2 id=\"h-fig\">Chiffres clés %d — %s</h2><dl "
	  "class=\"facts kpi\">"
	  "<dt>Réunions</dt><dd>%lld</dd><dt>Avis rendus</dt><dd>%lld</dd><dt>Sièges "
	  "convoqués</dt><dd>%lld</dd>"
	  "<dt>Présents</dt><dd>%lld</dd><dt>Excusés</dt><dd>%lld</dd><dt>Absents</dt><dd>%lld</dd>"
	  "<dt>Invités (dont ARS)</dt><dd>%lld (%lld)</dd><dt>Réunions avec "
	  "quorum</dt><dd>%lld</dd></dl>",
	  c->year, c->territory ? c->territory : "toute la région", ui_int(scope, "meetings"),
	  ui_int(scope, "opinions"), ui_int(scope, "members"), ui_int(scope, "present"),
	  ui_int(scope, "excused"), ui_int(scope, "absent"), ui_int(scope, "guests"),
	  ui_int(scope, "ars"), ui_int(scope, "quorum_reached"));
	bc = json_object_get(scope, "by_college");
	H("<table><caption>Présence par collège</caption><thead><tr><th scope=\"col\">Collège</th>"
	  "<th scope=\"col\">Convoqués</th><th scope=\"col\">Présents</th><th "
	  "scope=\"col\">Excusés</th>"
	  "<th scope=\"col\">Absents</th><th scope=\"col\">Taux de "
	  "présence</th></tr></thead><tbody>");
	for (i = 0; cts_colleges[i]; i++) {
		const json_t *col = json_object_get(bc, cts_colleges[i]);
		double rate = json_number_value(json_object_get(col, "attendance_rate"));
		H("<tr><th "
		  "scope=\"row\">%s</th><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</"
		  "td><td>%d,%d %%</td></tr>",
		  cts_college_labels[i], ui_int(col, "members"), ui_int(col, "present"),
		  ui_int(col, "excused"), ui_int(col, "absent"), (int)(rate + 0.05),
		  (int)((rate + 0.05) * 10) % 10);
	}
	H("</tbody></table>");
	if (json_array_size(json_object_get(rep, "checks")))
		H("<p class=\"bad\">%zu anomalie(s) relevée(s) : voir le rapport complet.</p>",
		  json_array_size(json_object_get(rep, "checks")));
	H("</section>");
}

/* The node, the choice of the page and, when it is valid, the report;
 * -1 after a failure page. */
static int load(ui_req *r, choice *c, json_t **rep)
{
	int rc;

	*rep = NULL;
	if ((rc = ui_open(r)) == 0) {
		read_choice(r, c);
		if (c->error || (rc = build(r, c, rep)) == 0)
			return 0;
	}
	ui_fail_page(r, rc, "Rapports");
	return -1;
}

void ui_page_reports(ui_req *r)
{
	json_t *rep;
	choice c;

	if (load(r, &c, &rep) < 0)
		return;
	r->errors_in_page = c.error != NULL;
	if (c.error)
		r->status = 400;
	ui_page_begin(r, "Rapports", "reports");
	choice_form(r, &c);
	if (rep) {
		figures(r, rep, &c);
		H("<section aria-labelledby=\"h-full\"><h2 id=\"h-full\">Rapport complet</h2>"
		  "<p><a class=\"button\" href=\"/rapports/voir?%s\">Ouvrir le rapport complet "
		  "(page imprimable)</a></p>"
		  "<h3>Télécharger</h3><ul class=\"downloads\">"
		  "<li><a href=\"/rapports/telecharger?%s&amp;format=html\" download>Page HTML "
		  "autonome</a></li>"
		  "<li><a href=\"/rapports/telecharger?%s&amp;format=csv\" download>Tableur (CSV "
		  "pour Excel)</a></li>"
		  "<li><a href=\"/rapports/telecharger?%s&amp;format=md\" download>Texte "
		  "(Markdown)</a></li>"
		  "<li><a href=\"/rapports/telecharger?%s&amp;format=json\" download>Données "
		  "(JSON)</a></li></ul></section>",
		  c.q, c.q, c.q, c.q, c.q);
	}
	ui_page_end(r);
	json_decref(rep);
}

static void render(ui_req *r, cts_report_format fmt, int download)
{
	static const char *const ext[] = { "json", "md", "html", "csv" };
	static const char *const types[] = { "application/json; charset=utf-8",
		                             "text/markdown; charset=utf-8",
		                             "text/html; charset=utf-8",
		                             "text/csv; charset=utf-8" };
	json_t *rep;
	choice c;
	int rc;

	if (load(r, &c, &rep) < 0)
		return;
	if (c.error) {
		ui_error_page(r, 400, "Rapports", c.error);
		return;
	}
	if ((rc = cts_report_render(rep, fmt, &r->body, &r->body_len)) < 0) {
		json_decref(rep);
		ui_fail_page(r, rc, "Rapports");
		return;
	}
	json_decref(rep);
	r->ctype = types[fmt];
	if (download)
		snprintf(r->disposition, sizeof(r->disposition),
		         "attachment; filename=\"rapport-%d%s%s.%s\"", c.year,
		         c.territory ? "-" : "", c.territory ? c.territory : "", ext[fmt]);
	else
		r->report_csp = 1;
}

void ui_page_report_view(ui_req *r)
{
	render(r, CTS_REPORT_HTML, 0);
}

void ui_page_report_download(ui_req *r)
{
	int fmt = cts_report_format_parse(ui_arg(r, "format"));

	if (fmt < 0) {
		ui_error_page(r, 400, "Rapports", "Format inconnu : md, html, csv ou json.");
		return;
	}
	render(r, (cts_report_format)fmt, 1);
}
