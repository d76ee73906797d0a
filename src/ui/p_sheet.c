/* The import of an attendance sheet by upload: a preview (the dry run of
 * cts_attendance_import_sheet, its warnings and suggestions), written only
 * on confirmation. The bytes and the options chosen wait in the session. */
#include "app.h"

#include "attendance.h"
#include "error.h"
#include "sheet.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

/* The options: form field, label, hint. */
static const struct {
	const char *name, *label, *hint;
} options[] = {
	{ "create_missing", "Ajouter à la liste des membres les personnes inconnues",
	  "Sans cette case, une personne de la feuille qui n'est pas dans la liste des membres "
	  "arrête l'import. "
	  "Un nom proche de celui d'un membre n'est jamais ajouté : corrigez-le sur la feuille." },
	{ "absent_missing", "Noter absents les titulaires absents de la feuille",
	  "Les membres titulaires dont le mandat couvre la date et qui ne sont pas sur la feuille "
	  "seront notés absents." },
	{ "replace", "Remplacer les présences déjà saisies",
	  "Sans cette case, une feuille qui changerait les présences déjà enregistrées pour cette "
	  "réunion est refusée." },
};

/* The checkboxes, checked as `on` says when fs has no typed values. */
static void option_boxes(ui_req *r, const ui_fs *fs, const int *on)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		ui_checkbox(r, fs, options[i].name, options[i].label, on ? on[i] : 0,
		            options[i].hint);
}

void ui_sheet_options(ui_req *r, const ui_fs *fs)
{
	option_boxes(r, fs, NULL);
}

/* The session's options as hidden fields (retry buttons). */
static void hidden_options(ui_req *r, const char *except)
{
	const int on[] = { r->sess->up_create, r->sess->up_absent, r->sess->up_replace };

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (on[i] && (!except || strcmp(except, options[i].name) != 0))
			H("<input type=\"hidden\" name=\"%s\" value=\"1\">", options[i].name);
}

static const char *action_label(const char *action)
{
	static const char *const codes[] = { "membre",  "membre créé", "proche",
		                             "inconnu", "invite",      "doublon" };
	static const char *const words[] = { "membre de la liste",
		                             "sera ajouté(e) à la liste des membres",
		                             "nom proche d'un membre : à corriger sur la feuille",
		                             "inconnu(e) de la liste : arrête l'import",
		                             "invité(e), noté(e) à part",
		                             "déjà sur une autre ligne : ignorée" };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(action, codes[i]) == 0)
			return words[i];
	return action;
}

static void preview_rows(ui_req *r, const json_t *rows)
{
	size_t i;
	json_t *row;

	H("<table><caption>Lignes de la feuille</caption><thead><tr><th "
	  "scope=\"col\">Ligne</th><th scope=\"col\">Nom</th>"
	  "<th scope=\"col\">Prénom</th><th scope=\"col\">Collège</th><th "
	  "scope=\"col\">Présence</th>"
	  "<th scope=\"col\">Ce qui sera fait</th></tr></thead><tbody>");
	json_array_foreach(rows, i, row)
	{
		const char *action = ui_str(row, "action");
		int guest = strcmp(action, "invite") == 0,
		    bad = strcmp(action, "inconnu") == 0 || strcmp(action, "proche") == 0;
		H(bad ? "<tr class=\"bad\">" : "<tr>");
		H("<td>%lld</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
		  ui_int(row, "line"), ui_str(row, "last_name"), ui_str(row, "first_name"),
		  ui_college_label(ui_str(row, "college")),
		  guest ? "Invité" : ui_attendance_label(ui_str(row, "status")),
		  action_label(action));
	}
	H("</tbody></table>");
}

/* The import's notes: what blocks it, warnings, titular members missing. */
static void notes(ui_req *r, const cts_attendance_result *res)
{
	static const char *const heads[] = { "À corriger avant l'import", "Remarques",
		                             "Titulaires absents de la feuille" };
	char text[1200];

	for (int part = 0; part < 3; part++) {
		size_t n = 0;
		for (size_t i = 0; i < res->note_count; i++) {
			const cts_attendance_note *no = &res->notes[i];
			int p = no->blocking ? 0 : no->kind == CTS_ATT_MISSING ? 2 : 1;
			if (p != part)
				continue;
			if (!n++)
				H("<h2>%s</h2><ul class=\"notes%s\">", heads[part],
				  part == 0 ? " bad" : "");
			H("<li>%s</li>", ui_plain(no->message, text, sizeof(text)));
		}
		if (n)
			H("</ul>");
	}
}

static void counts(ui_req *r, const cts_attendance_result *res, int refused)
{
	H("<p class=\"counts\">%s%ld membre(s) : %ld présent(s), %ld excusé(s), %ld absent(s) ; "
	  "%ld invité(s) "
	  "(dont %ld de l'ARS)",
	  refused ? "La feuille compte " : "Si vous confirmez : ", res->members, res->present,
	  res->excused, res->absent, res->guests, res->ars);
	if (res->created)
		H(" ; %ld membre(s) ajouté(s) à la liste", res->created);
	H(".</p>");
	if (res->before.members || res->before.guests) {
		H("<p>La réunion a déjà des présences (%ld membre(s) : %ld présent(s), %ld "
		  "excusé(s), %ld absent(s) ; %ld "
		  "invité(s)). ",
		  res->before.members, res->before.present, res->before.excused, res->before.absent,
		  res->before.guests);
		if (res->unchanged)
			H("Cette feuille donne exactement les mêmes : rien ne sera écrit.</p>");
		else
			H("Cette feuille ajoute %ld ligne(s), en modifie %ld et en retire %ld.</p>",
			  res->added, res->changed, res->removed);
	}
}

/* A form that previews the kept sheet again, with `option` switched on. */
static void retry_with(ui_req *r, const char *option, const char *label, const char *cls)
{
	char action[160];

	snprintf(action, sizeof(action), "/reunions/%s/feuille", r->param);
	ui_form_begin(r, action, 0, cls);
	H("<input type=\"hidden\" name=\"reuse\" value=\"1\">");
	hidden_options(r, option);
	if (option)
		H("<input type=\"hidden\" name=\"%s\" value=\"1\">", option);
	ui_button(r, label, NULL);
	ui_form_end(r);
}

/* The options form under a preview: change them, preview again. */
static void options_form(ui_req *r)
{
	const int on[] = { r->sess->up_create, r->sess->up_absent, r->sess->up_replace };
	char action[160];

	snprintf(action, sizeof(action), "/reunions/%s/feuille", r->param);
	H("<section aria-labelledby=\"h-options\"><h2 id=\"h-options\">Options de l'import</h2>");
	ui_form_begin(r, action, 0, "form options");
	H("<input type=\"hidden\" name=\"reuse\" value=\"1\">");
	option_boxes(r, NULL, on);
	ui_button(r, "Refaire l'aperçu avec ces options", "secondary");
	ui_form_end(r);
	H("</section>");
}

static void preview_page(ui_req *r, const json_t *m, const cts_attendance_result *res,
                         const char *error)
{
	char title[480], action[160], t[200], msg[2048];
	ui_fs fs = { .error = error ? ui_plain(error, msg, sizeof(msg)) : NULL };

	ui_meeting_title(m, t, sizeof(t));
	snprintf(title, sizeof(title), "Aperçu de la feuille — %s", t);
	r->errors_in_page = error != NULL;
	ui_page_begin(r, title, "meetings");
	ui_error_summary(r, &fs, NULL);
	H("<p>Fichier : <strong>%s</strong>.</p>", r->sess->up_name);
	if (res) {
		counts(r, res, error != NULL);
		notes(r, res);
		preview_rows(r, res->rows);
	}
	if (!error) {
		snprintf(action, sizeof(action), "/reunions/%s/feuille/confirmer", r->param);
		ui_form_begin(r, action, 0, "form inline-buttons");
		ui_button(r,
		          res && res->unchanged ? "Confirmer (rien ne changera)"
		                                : "Confirmer l'import",
		          NULL);
		ui_form_end(r);
	} else if (res && res->unknown > res->created && !r->sess->up_create && !res->near) {
		retry_with(r, "create_missing",
		           "Refaire l'aperçu en ajoutant les personnes inconnues",
		           "form inline-buttons");
	} else if (res && (res->before.members || res->before.guests) && !r->sess->up_replace &&
	           !res->unknown && !res->near) {
		retry_with(r, "replace",
		           "Refaire l'aperçu en remplaçant les présences déjà saisies",
		           "form inline-buttons");
	}
	options_form(r);
	snprintf(action, sizeof(action), "/reunions/%s/feuille/abandonner", r->param);
	ui_form_begin(r, action, 0, "form inline-buttons");
	ui_button(r, error ? "Revenir à la réunion" : "Abandonner", "secondary");
	ui_form_end(r);
	ui_page_end(r);
}

/* The node was busy: the sheet stays in the session, one button retries. */
static void busy_retry(ui_req *r, const char *what, int confirm)
{
	char action[160];

	r->status = 503;
	ui_page_begin(r, what, "meetings");
	H("<p class=\"lead\">Le nœud est occupé, réessayez dans un instant. La feuille « %s » est "
	  "gardée : rien n'a "
	  "été enregistré.</p>",
	  r->sess->up_name);
	if (!confirm) {
		retry_with(r, NULL, "Réessayer l'aperçu", "form inline-buttons");
	} else {
		snprintf(action, sizeof(action), "/reunions/%s/feuille/confirmer", r->param);
		ui_form_begin(r, action, 0, "form inline-buttons");
		ui_button(r, "Réessayer la confirmation", NULL);
		ui_form_end(r);
	}
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

static int import(ui_req *r, int dry_run, cts_attendance_result **res)
{
	cts_attendance_options opt = { .create_missing = r->sess->up_create,
		                       .absent_missing = r->sess->up_absent,
		                       .replace = r->sess->up_replace,
		                       .dry_run = dry_run };

	return cts_attendance_import_sheet(r->node, r->param, r->sess->up_data, r->sess->up_len,
	                                   &opt, res);
}

/* The uploaded file kept, or the kept one reused: 0, else a page was made. */
static int take_upload(ui_req *r)
{
	const char *data = NULL, *name = NULL;
	size_t len = 0;
	json_t *m;
	int rc;

	if (ui_form_file(r->form, "sheet", &data, &len, &name) == 0 && len > 0) {
		if (len > CTS_SHEET_MAX_BYTES) {
			ui_error_page(r, 413, "Feuille trop grosse",
			              "Une feuille de présence fait 4 Mio au plus.");
			return -1;
		}
		if ((rc = keep_upload(r, data, len, name)) < 0) {
			ui_fail_page(r, rc, "Feuille de présence");
			return -1;
		}
		return 0;
	}
	if (*ui_arg(r, "reuse") && r->sess->up_data && strcmp(r->sess->up_meeting, r->param) == 0)
		return 0;
	{
		ui_fs fs = { .values = r->form,
			     .error = "choisissez le fichier de la feuille de présence",
			     .field = "sheet" };
		if (!(m = ui_load_meeting(r)))
			return -1;
		r->status = 400;
		ui_meeting_page(r, m, &fs);
		json_decref(m);
	}
	return -1;
}

void ui_post_sheet_preview(ui_req *r)
{
	cts_attendance_result *res = NULL;
	json_t *m;
	int rc;

	if (take_upload(r) < 0)
		return;
	r->sess->up_create = *ui_arg(r, "create_missing") != '\0';
	r->sess->up_absent = *ui_arg(r, "absent_missing") != '\0';
	r->sess->up_replace = *ui_arg(r, "replace") != '\0';
	if (cts_valid_uuid(r->param) && ui_open(r) == CTS_EBUSY) {
		busy_retry(r, "Aperçu de la feuille", 0);
		return;
	}
	if (!(m = ui_load_meeting(r)))
		return;
	if ((rc = import(r, 1, &res)) < 0)
		r->status = 400;
	preview_page(r, m, res, rc < 0 ? cts_error_message() : NULL);
	cts_attendance_result_free(res);
	json_decref(m);
}

void ui_post_sheet_confirm(ui_req *r)
{
	cts_attendance_result *res = NULL;
	char loc[160];
	json_t *m;

	if (!r->sess->up_data || strcmp(r->sess->up_meeting, r->param) != 0) {
		ui_error_page(r, 409, "Aucune feuille à confirmer",
		              "La feuille n'est plus en attente (déjà importée, abandonnée, ou "
		              "l'interface a été relancée) : "
		              "importez-la de nouveau depuis la page de la réunion.");
		return;
	}
	if (ui_open(r) == CTS_EBUSY) {
		busy_retry(r, "Confirmer l'import de la feuille", 1);
		return;
	}
	if (!(m = ui_load_meeting(r)))
		return;
	if (import(r, 0, &res) < 0) {
		r->status = 400;
		preview_page(r, m, res, cts_error_message());
	} else {
		if (res->unchanged)
			ui_flash(r,
			         "Feuille « %s » : la réunion avait déjà exactement ces présences, "
			         "rien n'a été écrit.",
			         r->sess->up_name);
		else
			ui_flash(r,
			         "Feuille « %s » importée : %ld présent(s), %ld excusé(s), %ld "
			         "absent(s), %ld invité(s).",
			         r->sess->up_name, res->present, res->excused, res->absent,
			         res->guests);
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
