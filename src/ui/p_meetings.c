/* Réunions: the list by year, add, a meeting's page (attendance, opinions,
 * contributions) and the import of an attendance sheet by upload. */
#include "app.h"

#include "attendance.h"
#include "contribution.h"
#include "error.h"
#include "meeting.h"
#include "opinion.h"
#include "sheet.h"
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

	json_array_foreach(list, i, m) {
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
			H("<li><a href=\"/reunions?year=%s\" aria-current=\"page\">%s</a></li>", years[k], years[k]);
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
	int rc;

	if ((rc = ui_open(r)) < 0 || (rc = cts_meeting_list(r->node, r->node->territory, &list)) < 0) {
		ui_fail_page(r, rc, "Réunions");
		return;
	}
	if (strlen(year) == 4)
		snprintf(y, sizeof(y), "%s", year);
	else if (json_array_size(list))
		snprintf(y, sizeof(y), "%.4s", ui_str(json_array_get(list, json_array_size(list) - 1), "date"));
	ui_page_begin(r, "Réunions", "meetings");
	H("<p class=\"toolbar\"><a class=\"button\" href=\"/reunions/nouvelle\">Ajouter une réunion</a></p>");
	year_links(r, list, y);
	H("<h2>Réunions de %s</h2>", *y ? y : "l'année");
	json_array_foreach(list, i, m) {
		if (strncmp(ui_str(m, "date"), y, 4) != 0)
			continue;
		if (!shown++)
			H("<table><caption class=\"visually-hidden\">Réunions de %s</caption><thead><tr><th scope=\"col\">Date</th>"
			  "<th scope=\"col\">Instance</th><th scope=\"col\">Titre</th><th scope=\"col\">Lieu</th>"
			  "<th scope=\"col\">Statut</th></tr></thead><tbody>",
			  y);
		H("<tr><td>%s</td><td>%s</td><td><a href=\"/reunions/%s\">%s</a></td><td>%s</td><td>%s</td></tr>",
		  ui_date_fr(ui_str(m, "date"), d), ui_body_label(ui_str(m, "body")), ui_str(m, "id"), ui_str(m, "title"),
		  ui_str(m, "place"), ui_meeting_status_label(ui_str(m, "status")));
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
	json_t *list = NULL, *m;
	int rc;

	if (!cts_valid_uuid(r->param)) {
		ui_error_page(r, 404, "Réunion introuvable", "Cette adresse ne désigne pas une réunion.");
		return NULL;
	}
	if ((rc = ui_open(r)) < 0 || (rc = cts_meeting_list(r->node, r->node->territory, &list)) < 0) {
		ui_fail_page(r, rc, "Réunion");
		return NULL;
	}
	m = json_incref((json_t *)ui_find(list, "id", r->param));
	json_decref(list);
	if (!m)
		ui_error_page(r, 404, "Réunion introuvable", "Cette réunion n'existe pas dans ce territoire.");
	return m;
}

void ui_meeting_title(const json_t *m, char *buf, size_t len)
{
	char d[11];

	snprintf(buf, len, "%s du %s", ui_body_label(ui_str(m, "body")), ui_date_fr(ui_str(m, "date"), d));
}

static void details(ui_req *r, const json_t *m)
{
	char d[11];

	H("<dl class=\"facts\"><dt>Titre</dt><dd>%s</dd><dt>Instance</dt><dd>%s</dd><dt>Date</dt><dd>%s</dd>",
	  ui_str(m, "title"), ui_body_label(ui_str(m, "body")), ui_date_fr(ui_str(m, "date"), d));
	if (*ui_str(m, "place"))
		H("<dt>Lieu</dt><dd>%s</dd>", ui_str(m, "place"));
	H("<dt>Statut</dt><dd>%s</dd></dl>", ui_meeting_status_label(ui_str(m, "status")));
}

/* What can be done to the meeting itself, by status. */
static void status_panel(ui_req *r, const json_t *m, const ui_fs *fs)
{
	const char *st = ui_str(m, "status"), *id = ui_str(m, "id");
	char action[160];

	H("<section aria-labelledby=\"h-statut\" class=\"meeting-actions\"><h2 id=\"h-statut\">La réunion</h2>");
	if (strcmp(st, "approuvee") == 0) {
		H("<p>Le compte rendu est approuvé : la réunion, ses présences, avis et contributions sont verrouillés. Pour "
		  "corriger quelque chose, rouvrez-la en disant pourquoi (le motif est gardé dans l'historique).</p>");
		snprintf(action, sizeof(action), "/reunions/%s/rouvrir", id);
		ui_form_begin(r, action, 0, "form");
		ui_input(r, fs, "reason", "Motif de la réouverture", "text", NULL, "Par exemple : erreur de présence à corriger.",
			 UI_F_REQUIRED | UI_F_WIDE);
		ui_button(r, "Rouvrir la réunion", NULL);
		ui_form_end(r);
		H("</section>");
		return;
	}
	H("<ul class=\"actions\"><li><a href=\"/reunions/%s/modifier\">Modifier la date, le titre, l'instance ou le lieu</a></li>",
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
		H("<input type=\"hidden\" name=\"status\" value=\"%s\">", held ? "approuvee" : "tenue");
		ui_button(r, held ? "Approuver le compte rendu (verrouille la réunion)" : "Marquer comme tenue", "secondary");
		ui_form_end(r);
	}
	H("</section>");
}

static void upload_form(ui_req *r, const char *id, const ui_fs *fs)
{
	char action[160];

	snprintf(action, sizeof(action), "/reunions/%s/feuille", id);
	H("<section aria-labelledby=\"h-feuille\"><h2 id=\"h-feuille\">Importer une feuille de présence</h2>"
	  "<p>La feuille est un fichier CSV enregistré depuis Excel (colonnes NOM ; Prénom ; Structure ; Collège ; "
	  "Présent ; Excusé, une croix « X » par présence ou excuse). Vous verrez d'abord un aperçu ; rien n'est "
	  "enregistré avant votre confirmation, et la feuille remplace les présences déjà saisies.</p>");
	ui_form_begin(r, action, 1, "form");
	{
		const char *err = fs && fs->error && fs->field && strcmp(fs->field, "sheet") == 0 ? fs->error : NULL;
		H("<div class=\"field%s\"><label for=\"f-sheet\">Feuille de présence (CSV, 4 Mio au plus) <span "
		  "class=\"req\">(obligatoire)</span></label>",
		  err ? " has-error" : "");
		if (err)
			H("<p class=\"error-msg\" id=\"f-sheet-err\"><span class=\"visually-hidden\">Erreur : </span>%s</p>", err);
		H("<input type=\"file\" id=\"f-sheet\" name=\"sheet\" accept=\".csv,.txt,text/csv\" aria-required=\"true\"");
		if (err)
			H(" aria-invalid=\"true\" aria-describedby=\"f-sheet-err\"");
		H("></div>");
	}
	ui_checkbox(r, fs, "create_missing", "Ajouter à la liste des membres les personnes inconnues", 0,
		    "Sans cette case, une personne de la feuille qui n'est pas dans la liste des membres arrête l'import.");
	ui_button(r, "Voir l'aperçu", NULL);
	ui_form_end(r);
	H("</section>");
}

static void related(ui_req *r, const char *id)
{
	json_t *ops = NULL, *cons = NULL, *o;
	size_t i, n = 0;

	if (cts_opinion_list(r->node, r->node->territory, &ops) < 0 ||
	    cts_contribution_list(r->node, r->node->territory, &cons) < 0)
		cts_error_clear();
	H("<section aria-labelledby=\"h-avis\"><h2 id=\"h-avis\">Avis rendus</h2><ul>");
	json_array_foreach(ops, i, o)
		if (strcmp(ui_str(o, "meeting"), id) == 0 && ++n)
			H("<li>%s : avis %s (pour %lld, contre %lld, abstentions %lld)</li>", ui_str(o, "subject"),
			  ui_outcome_label(ui_str(o, "outcome")), ui_int(o, "votes_for"), ui_int(o, "votes_against"),
			  ui_int(o, "votes_abstain"));
	if (!n)
		H("<li>Aucun avis enregistré.</li>");
	H("</ul><p><a href=\"/avis/nouveau?meeting=%s\">Enregistrer un avis de cette réunion</a></p></section>", id);
	n = 0;
	H("<section aria-labelledby=\"h-contrib\"><h2 id=\"h-contrib\">Contributions</h2><ul>");
	json_array_foreach(cons, i, o)
		if (strcmp(ui_str(o, "meeting"), id) == 0 && ++n)
			H("<li>%s</li>", ui_str(o, "title"));
	if (!n)
		H("<li>Aucune contribution liée à cette réunion.</li>");
	H("</ul><p><a href=\"/contributions/nouvelle?meeting=%s\">Enregistrer une contribution de cette réunion</a></p>"
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

/* ---- sheet: preview, confirmation ---- */

static void preview_rows(ui_req *r, const json_t *rows)
{
	size_t i;
	json_t *row;

	H("<table><caption>Lignes de la feuille</caption><thead><tr><th scope=\"col\">Ligne</th><th scope=\"col\">Nom</th>"
	  "<th scope=\"col\">Prénom</th><th scope=\"col\">Collège</th><th scope=\"col\">Présence</th>"
	  "<th scope=\"col\">Ce qui sera fait</th></tr></thead><tbody>");
	json_array_foreach(rows, i, row) {
		const char *action = ui_str(row, "action");
		int guest = strcmp(action, "invite") == 0;
		H(strcmp(action, "inconnu") == 0 ? "<tr class=\"bad\">" : "<tr>");
		H("<td>%lld</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
		  ui_int(row, "line"), ui_str(row, "last_name"),
		  ui_str(row, "first_name"), ui_college_label(ui_str(row, "college")),
		  guest ? "Invité" : ui_attendance_label(ui_str(row, "status")),
		  guest                               ? "invité, noté à part"
		  : strcmp(action, "membre") == 0     ? "membre de la liste"
		  : strcmp(action, "inconnu") == 0    ? "inconnu de la liste : arrête l'import"
		  : strcmp(action, "membre créé") == 0 ? "sera ajouté à la liste des membres"
						      : action);
	}
	H("</tbody></table>");
}

static void preview_page(ui_req *r, const json_t *m, const cts_attendance_result *res, const char *error, int busy)
{
	char title[480], action[160];
	ui_fs fs = { .error = error, .busy = busy };

	char t[200];

	ui_meeting_title(m, t, sizeof(t));
	snprintf(title, sizeof(title), "Aperçu de la feuille — %s", t);
	r->errors_in_page = error || busy;
	ui_page_begin(r, title, "meetings");
	ui_error_summary(r, &fs, NULL);
	H("<p>Fichier : <strong>%s</strong>.</p>", r->sess->up_name);
	if (res) {
		H("<p class=\"counts\">%s%ld membre(s) : %ld présent(s), %ld excusé(s), %ld absent(s) ; %ld invité(s) "
		  "(dont %ld de l'ARS)",
		  error ? "La feuille compte " : "Si vous confirmez : ", res->members, res->present, res->excused, res->absent, res->guests, res->ars);
		if (res->created)
			H(" ; %ld membre(s) ajouté(s) à la liste", res->created);
		H(".</p>");
		preview_rows(r, res->rows);
	}
	if (!error && !busy) {
		snprintf(action, sizeof(action), "/reunions/%s/feuille/confirmer", r->param);
		ui_form_begin(r, action, 0, "form inline-buttons");
		ui_button(r, "Confirmer l'import", NULL);
		ui_form_end(r);
	} else if (res && res->unknown > 0) {
		snprintf(action, sizeof(action), "/reunions/%s/feuille", r->param);
		ui_form_begin(r, action, 0, "form inline-buttons");
		H("<input type=\"hidden\" name=\"reuse\" value=\"1\"><input type=\"hidden\" name=\"create_missing\" value=\"1\">");
		ui_button(r, "Recommencer l'aperçu en ajoutant les personnes inconnues", NULL);
		ui_form_end(r);
	}
	snprintf(action, sizeof(action), "/reunions/%s/feuille/abandonner", r->param);
	ui_form_begin(r, action, 0, "form inline-buttons");
	ui_button(r, error || busy ? "Revenir à la réunion" : "Abandonner", "secondary");
	ui_form_end(r);
	ui_page_end(r);
}

/* The node was busy: the sheet stays in the session, one button retries. */
static void busy_retry(ui_req *r, const char *what, int confirm)
{
	char action[160];

	r->status = 503;
	ui_page_begin(r, what, "meetings");
	H("<p class=\"lead\">Le nœud est occupé, réessayez dans un instant. La feuille « %s » est gardée : rien n'a "
	  "été enregistré.</p>",
	  r->sess->up_name);
	snprintf(action, sizeof(action), confirm ? "/reunions/%s/feuille/confirmer" : "/reunions/%s/feuille", r->param);
	ui_form_begin(r, action, 0, "form inline-buttons");
	if (!confirm)
		H("<input type=\"hidden\" name=\"reuse\" value=\"1\">");
	if (!confirm && r->sess->up_create)
		H("<input type=\"hidden\" name=\"create_missing\" value=\"1\">");
	ui_button(r, confirm ? "Réessayer la confirmation" : "Réessayer l'aperçu", NULL);
	ui_form_end(r);
	ui_page_end(r);
}

/* Keep the uploaded bytes in the session for the confirmation. */
static int keep_upload(ui_req *r, const char *data, size_t len, const char *name)
{
	ui_session *s = r->sess;
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	memcpy(copy, data, len);
	ui_session_drop_upload(s);
	s->up_data = copy;
	s->up_len = len;
	snprintf(s->up_meeting, sizeof(s->up_meeting), "%.36s", r->param);
	snprintf(s->up_name, sizeof(s->up_name), "%s", name && *name ? name : "feuille.csv");
	return 0;
}

void ui_post_sheet_preview(ui_req *r)
{
	const char *data = NULL, *name = NULL;
	size_t len = 0;
	cts_attendance_result *res = NULL;
	json_t *m;
	int rc;

	if (ui_form_file(r->form, "sheet", &data, &len, &name) == 0 && len > 0) {
		if (len > CTS_SHEET_MAX_BYTES) {
			ui_error_page(r, 413, "Feuille trop grosse", "Une feuille de présence fait 4 Mio au plus.");
			return;
		}
		if ((rc = keep_upload(r, data, len, name)) < 0) {
			ui_fail_page(r, rc, "Feuille de présence");
			return;
		}
	} else if (!(*ui_arg(r, "reuse") && r->sess->up_data && strcmp(r->sess->up_meeting, r->param) == 0)) {
		ui_fs fs = { .values = r->form, .error = "choisissez le fichier de la feuille de présence", .field = "sheet" };
		if (!(m = ui_load_meeting(r)))
			return;
		r->status = 400;
		ui_meeting_page(r, m, &fs);
		json_decref(m);
		return;
	}
	r->sess->up_create = *ui_arg(r, "create_missing") != '\0';
	if (cts_valid_uuid(r->param) && ui_open(r) == CTS_EBUSY) {
		busy_retry(r, "Aperçu de la feuille", 0);
		return;
	}
	if (!(m = ui_load_meeting(r)))
		return;
	rc = cts_attendance_import(r->node, r->param, r->sess->up_data, r->sess->up_len, r->sess->up_create, 1, &res);
	if (rc < 0)
		r->status = 400;
	preview_page(r, m, res, rc < 0 ? cts_error_message() : NULL, 0);
	cts_attendance_result_free(res);
	json_decref(m);
}

void ui_post_sheet_confirm(ui_req *r)
{
	cts_attendance_result *res = NULL;
	char loc[160];
	json_t *m;
	int rc;

	if (!r->sess->up_data || strcmp(r->sess->up_meeting, r->param) != 0) {
		ui_error_page(r, 409, "Aucune feuille à confirmer",
			      "La feuille n'est plus en attente (déjà importée, abandonnée, ou l'interface a été relancée) : "
			      "importez-la de nouveau depuis la page de la réunion.");
		return;
	}
	if (ui_open(r) == CTS_EBUSY) {
		busy_retry(r, "Confirmer l'import de la feuille", 1);
		return;
	}
	if (!(m = ui_load_meeting(r)))
		return;
	rc = cts_attendance_import(r->node, r->param, r->sess->up_data, r->sess->up_len, r->sess->up_create, 0, &res);
	if (rc < 0) {
		r->status = 400;
		preview_page(r, m, res, cts_error_message(), 0);
	} else {
		ui_flash(r, "Feuille « %s » importée : %ld présent(s), %ld excusé(s), %ld absent(s), %ld invité(s).",
			 r->sess->up_name, res->present, res->excused, res->absent, res->guests);
		ui_session_drop_upload(r->sess);
		snprintf(loc, sizeof(loc), "/reunions/%s", r->param);
		ui_redirect(r, loc);
	}
	cts_attendance_result_free(res);
	json_decref(m);
}

void ui_post_sheet_drop(ui_req *r)
{
	char loc[160];

	if (strcmp(r->sess->up_meeting, r->param) == 0)
		ui_session_drop_upload(r->sess);
	snprintf(loc, sizeof(loc), "/reunions/%s", cts_valid_uuid(r->param) ? r->param : "");
	ui_redirect(r, cts_valid_uuid(r->param) ? loc : "/reunions");
}
