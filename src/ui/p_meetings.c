/* Réunions: the list by year, add, a meeting's page (attendance, opinions,
 * contributions) and the import of an attendance sheet by upload. */
#include "app.h"

#include "attendance.h"
#include "contribution.h"
#include "error.h"
#include "meeting.h"
#include "opinion.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

/* ---- list ---- */

static void year_links(ui_req *r, const json_t *list, const char *year)
{
	char years[64][5];
	size_t ny = 0, i;
	json_t *m;

	json_array_foreach(list, i, m)
	{
		const char *d = ui_str(m, "date");
		size_t k;
		if (strlen(d) < 4)
			continue;
		for (k = 0; k < ny && strncmp(years[k], d, 4) != 0; k++)
			;
		if (k == ny && ny < 64)
			snprintf(years[ny++], 5, "%.4s", d);
	}
	if (!ny)
		return;
	H("<nav aria-label=\"Années\" class=\"years\"><ul>");
	for (size_t k = ny; k-- > 0;)
		if (strcmp(years[k], year) == 0)
			H("<li><a href=\"/reunions?year=%s\" aria-current=\"page\">%s</a></li>",
			  years[k], years[k]);
		else
			H("<li><a href=\"/reunions?year=%s\">%s</a></li>", years[k], years[k]);
	H("</ul></nav>");
}

void ui_page_meetings(ui_req *r)
{
	json_t *list = NULL, *m;
	const char *year = ui_arg(r, "year");
	char y[5] = "", d[11];
	size_t i, shown = 0;

	if (ui_open_list(r, "meeting", "Réunions", &list) < 0)
		return;
	if (strlen(year) == 4)
		snprintf(y, sizeof(y), "%s", year);
	else if (json_array_size(list))
		snprintf(y, sizeof(y), "%.4s",
		         ui_str(json_array_get(list, json_array_size(list) - 1), "date"));
	ui_page_begin(r, "Réunions", "meetings");
	H("<p class=\"toolbar\"><a class=\"button\" href=\"/reunions/nouvelle\">Ajouter une "
	  "réunion</a></p>");
	year_links(r, list, y);
	H("<h2>Réunions de %s</h2>", *y ? y : "l'année");
	json_array_foreach(list, i, m)
	{
		if (strncmp(ui_str(m, "date"), y, 4) != 0)
			continue;
		if (!shown++)
			H("<table><caption class=\"visually-hidden\">Réunions de "
			  "%s</caption><thead><tr><th scope=\"col\">Date</th>"
			  "<th scope=\"col\">Instance</th><th scope=\"col\">Titre</th><th "
			  "scope=\"col\">Lieu</th>"
			  "<th scope=\"col\">Statut</th></tr></thead><tbody>",
			  y);
		H("<tr><td>%s</td><td>%s</td><td><a "
		  "href=\"/reunions/%s\">%s</a></td><td>%s</td><td>%s</td></tr>",
		  ui_date_fr(ui_str(m, "date"), d), ui_body_label(ui_str(m, "body")),
		  ui_str(m, "id"), ui_str(m, "title"), ui_str(m, "place"),
		  ui_meeting_status_label(ui_str(m, "status")));
	}
	if (shown)
		H("</tbody></table>");
	else
		H("<p>Aucune réunion enregistrée pour cette année.</p>");
	ui_page_end(r);
	json_decref(list);
}

/* ---- add ---- */

/* ---- a meeting's page ---- */

/* The meeting of the route (new reference) or a failure page. */
json_t *ui_load_meeting(ui_req *r)
{
	static const ui_record_kind meeting = { "meeting", "Réunion", "Réunion introuvable",
		                                "Cette adresse ne désigne pas une réunion.",
		                                "Cette réunion n'existe pas dans ce territoire." };

	return ui_load_record(r, &meeting);
}

void ui_meeting_title(const json_t *m, char *buf, size_t len)
{
	char d[11];

	snprintf(buf, len, "%s du %s", ui_body_label(ui_str(m, "body")),
	         ui_date_fr(ui_str(m, "date"), d));
}

static void details(ui_req *r, const json_t *m)
{
	char d[11];

	H("<dl "
	  "class=\"facts\"><dt>Titre</dt><dd>%s</dd><dt>Instance</dt><dd>%s</dd><dt>Date</"
	  "dt><dd>%s</dd>",
	  ui_str(m, "title"), ui_body_label(ui_str(m, "body")), ui_date_fr(ui_str(m, "date"), d));
	if (*ui_str(m, "place"))
		H("<dt>Lieu</dt><dd>%s</dd>", ui_str(m, "place"));
	H("<dt>Statut</dt><dd>%s</dd></dl>", ui_meeting_status_label(ui_str(m, "status")));
}

/* A held meeting (or one without a status: held) takes attendance. */
static int takes_attendance(const char *status)
{
	return strcmp(status, "prevue") != 0 && strcmp(status, "annulee") != 0 &&
	       strcmp(status, "approuvee") != 0;
}

/* What can be done to the meeting itself, by status. */
static void status_panel(ui_req *r, const json_t *m, const ui_fs *fs)
{
	const char *st = ui_str(m, "status"), *id = ui_str(m, "id");
	char action[160];

	H("<section aria-labelledby=\"h-statut\" class=\"meeting-actions\"><h2 id=\"h-statut\">La "
	  "réunion</h2>");
	if (strcmp(st, "approuvee") == 0) {
		H("<p>Le compte rendu est approuvé : la réunion, ses présences, avis et "
		  "contributions sont verrouillés. Pour "
		  "corriger quelque chose, rouvrez-la en disant pourquoi (le motif est gardé dans "
		  "l'historique).</p>");
		snprintf(action, sizeof(action), "/reunions/%s/rouvrir", id);
		ui_form_begin(r, action, 0, "form");
		ui_input(r, fs, "reason", "Motif de la réouverture", "text", NULL,
		         "Par exemple : erreur de présence à corriger.", UI_F_REQUIRED | UI_F_WIDE);
		ui_button(r, "Rouvrir la réunion", NULL);
		ui_form_end(r);
		H("</section>");
		return;
	}
	H("<ul class=\"actions\"><li><a href=\"/reunions/%s/modifier\">Modifier la date, le titre, "
	  "l'instance ou le lieu</a></li>",
	  id);
	if (strcmp(st, "annulee") == 0)
		H("<li><a href=\"/reunions/%s/retablir\">Rétablir la réunion…</a></li>", id);
	else
		H("<li><a href=\"/reunions/%s/annuler\">Annuler la réunion…</a></li>", id);
	H("</ul>");
	if (strcmp(st, "prevue") == 0 || strcmp(st, "tenue") == 0) {
		int held = strcmp(st, "tenue") == 0;
		snprintf(action, sizeof(action), "/reunions/%s/statut", id);
		ui_form_begin(r, action, 0, "form inline-buttons");
		H("<input type=\"hidden\" name=\"status\" value=\"%s\">",
		  held ? "approuvee" : "tenue");
		ui_button(r,
		          held ? "Approuver le compte rendu (verrouille la réunion)"
		               : "Marquer comme tenue",
		          "secondary");
		ui_form_end(r);
	}
	H("</section>");
}

static void upload_form(ui_req *r, const char *id, const ui_fs *fs)
{
	char action[160];

	snprintf(action, sizeof(action), "/reunions/%s/feuille", id);
	H("<section aria-labelledby=\"h-feuille\"><h2 id=\"h-feuille\">Importer une feuille de "
	  "présence</h2>"
	  "<p>La feuille est un fichier CSV enregistré depuis Excel (colonnes NOM ; Prénom ; "
	  "Structure ; Collège ; "
	  "Présent ; Excusé, une croix « X » par présence ou excuse). Vous verrez d'abord un "
	  "aperçu ; rien n'est "
	  "enregistré avant votre confirmation.</p>");
	ui_form_begin(r, action, 1, "form");
	{
		const char *err = fs && fs->error && fs->field && strcmp(fs->field, "sheet") == 0
		                      ? fs->error
		                      : NULL;
		H("<div class=\"field%s\"><label for=\"f-sheet\">Feuille de présence (CSV, 4 Mio "
		  "au plus) <span "
		  "class=\"req\">(obligatoire)</span></label>",
		  err ? " has-error" : "");
		if (err)
			H("<p class=\"error-msg\" id=\"f-sheet-err\"><span "
			  "class=\"visually-hidden\">Erreur : </span>%s</p>",
			  err);
		H("<input type=\"file\" id=\"f-sheet\" name=\"sheet\" "
		  "accept=\".csv,.txt,text/csv\" aria-required=\"true\"");
		if (err)
			H(" aria-invalid=\"true\" aria-describedby=\"f-sheet-err\"");
		H("></div>");
	}
	ui_sheet_options(r, fs);
	ui_button(r, "Voir l'aperçu", NULL);
	ui_form_end(r);
	H("</section>");
}

static void related(ui_req *r, const char *id)
{
	json_t *ops = NULL, *cons = NULL, *o;
	size_t i, n = 0;

	if (cts_change_list(r->node, "opinion", r->node->territory, &ops) < 0 ||
	    cts_change_list(r->node, "contribution", r->node->territory, &cons) < 0)
		cts_error_clear();
	H("<section aria-labelledby=\"h-avis\"><h2 id=\"h-avis\">Avis rendus</h2><ul>");
	json_array_foreach(ops, i, o) if (strcmp(ui_str(o, "meeting"), id) == 0 && ++n)
	    H("<li><a href=\"/avis/%s\">%s</a> : avis %s (pour %lld, contre %lld, abstentions "
	      "%lld)%s</li>",
	      ui_str(o, "id"), ui_str(o, "subject"), ui_outcome_label(ui_str(o, "outcome")),
	      ui_int(o, "votes_for"), ui_int(o, "votes_against"), ui_int(o, "votes_abstain"),
	      strcmp(ui_str(o, "status"), "retire") == 0 ? " — retiré" : "");
	if (!n)
		H("<li>Aucun avis enregistré.</li>");
	H("</ul><p><a href=\"/avis/nouveau?meeting=%s\">Enregistrer un avis de cette "
	  "réunion</a></p></section>",
	  id);
	n = 0;
	H("<section aria-labelledby=\"h-contrib\"><h2 id=\"h-contrib\">Contributions</h2><ul>");
	json_array_foreach(cons, i, o) if (strcmp(ui_str(o, "meeting"), id) == 0 && ++n)
	    H("<li><a href=\"/contributions/%s\">%s</a>%s</li>", ui_str(o, "id"),
	      ui_str(o, "title"), strcmp(ui_str(o, "status"), "retiree") == 0 ? " — retirée" : "");
	if (!n)
		H("<li>Aucune contribution liée à cette réunion.</li>");
	H("</ul><p><a href=\"/contributions/nouvelle?meeting=%s\">Enregistrer une contribution de "
	  "cette réunion</a></p>"
	  "</section>",
	  id);
	json_decref(ops);
	json_decref(cons);
}

void ui_meeting_page(ui_req *r, const json_t *m, const ui_fs *fs)
{
	json_t *rows = NULL;
	char title[200];
	int rc;

	ui_meeting_title(m, title, sizeof(title));
	if ((rc = cts_attendance_list(r->node, r->param, &rows)) < 0) {
		ui_fail_page(r, rc, title);
		return;
	}
	r->errors_in_page = fs && (fs->error || fs->busy);
	ui_page_begin(r, title, "meetings");
	if (fs)
		ui_error_summary(r, fs, fs->field ? fs->field : "sheet");
	details(r, m);
	status_panel(r, m, fs);
	ui_attendance_section(r, m, rows);
	if (takes_attendance(ui_str(m, "status")))
		upload_form(r, r->param, fs);
	related(r, r->param);
	ui_page_end(r);
	json_decref(rows);
}

void ui_page_meeting(ui_req *r)
{
	json_t *m = ui_load_meeting(r);

	if (!m)
		return;
	ui_meeting_page(r, m, NULL);
	json_decref(m);
}
