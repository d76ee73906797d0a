/* Réunions: add and edit a meeting, change its status (held, approved,
 * reopened), cancel and restore it with a confirmation. Every write goes
 * through meeting.h; its cts_change line is the notice of the next page. */
#include "app.h"

#include "error.h"
#include "meeting.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

static const char *const meeting_fields[] = { "body",   "date",   "title", "place",
	                                      "status", "reason", NULL };
static const char *const statuses[] = { "tenue", "prevue", "annulee", NULL };
static const char *const status_labels[] = { "Tenue", "Prévue", "Annulée", NULL };

/* The add (m NULL) or edit form of a meeting. A refusal because another
 * meeting of the body has the same date offers the "again" checkbox. */
static void meeting_form(ui_req *r, const ui_fs *fs, const json_t *m, int duplicate)
{
	char action[160], title[240], d[11];

	r->errors_in_page = fs->error || fs->busy;
	if (m)
		snprintf(title, sizeof(title), "Modifier la réunion « %s » du %s",
		         ui_str(m, "title"), ui_date_fr(ui_str(m, "date"), d));
	ui_page_begin(r, m ? title : "Ajouter une réunion", "meetings");
	ui_error_summary(r, fs, "body");
	snprintf(action, sizeof(action), m ? "/reunions/%s/modifier" : "/reunions",
	         m ? ui_str(m, "id") : "");
	ui_form_begin(r, action, 0, "form");
	ui_select(r, fs, "body", "Instance", cts_bodies, cts_body_labels,
	          m ? ui_str(m, "body") : NULL, NULL, UI_F_REQUIRED);
	ui_input(r, fs, "date", "Date", "date", m ? ui_str(m, "date") : NULL,
	         "Le jour de la réunion.", UI_F_REQUIRED);
	if (duplicate || (fs->values && ui_form_get(fs->values, "again")))
		ui_checkbox(
		    r, fs, "again",
		    "Enregistrer quand même (c'est bien une autre réunion le même jour)", 0,
		    "Une autre réunion de cette instance est déjà enregistrée à cette date.");
	ui_input(r, fs, "title", "Titre", "text", m ? ui_str(m, "title") : NULL,
	         "Par exemple : Consultation Ségur de la santé.", UI_F_REQUIRED | UI_F_WIDE);
	ui_input(r, fs, "place", "Lieu", "text", m ? ui_str(m, "place") : NULL, NULL, UI_F_WIDE);
	if (!m)
		ui_select(r, fs, "status", "Statut", statuses, status_labels, "tenue", NULL, 0);
	H("<div class=\"buttons\">");
	ui_button(r, m ? "Enregistrer les modifications" : "Enregistrer la réunion", NULL);
	if (m)
		H("<a class=\"button secondary\" href=\"/reunions/%s\">Annuler</a></div>",
		  ui_str(m, "id"));
	else
		H("<a class=\"button secondary\" href=\"/reunions\">Annuler</a></div>");
	ui_form_end(r);
	ui_page_end(r);
}

/* The library refused: the duplicate date is tied to the date field. */
static int refuse(ui_req *r, ui_fs *fs, int rc)
{
	ui_fs_refuse(r, fs, rc, "meeting", meeting_fields);
	if (rc == CTS_EEXISTS)
		fs->field = "date";
	return rc == CTS_EEXISTS;
}

void ui_page_meeting_new(ui_req *r)
{
	ui_fs fs = { 0 };

	meeting_form(r, &fs, NULL, 0);
}

static const char *form_or_null(ui_req *r, const char *key)
{
	const char *v = ui_form_get(r->form, key);

	return v && *v ? v : NULL;
}

void ui_post_meeting_add(ui_req *r)
{
	cts_meeting_fields f = { 0 };
	ui_fs fs = { .values = r->form };
	char id[37], loc[64];
	int rc;

	f.body = ui_form_get(r->form, "body");
	f.date = ui_form_get(r->form, "date");
	f.title = ui_form_get(r->form, "title");
	f.place = form_or_null(r, "place");
	f.status = form_or_null(r, "status");
	f.again = ui_form_get(r->form, "again") != NULL;
	if ((rc = ui_open(r)) < 0 || (rc = cts_meeting_add(r->node, &f, id)) < 0) {
		meeting_form(r, &fs, NULL, refuse(r, &fs, rc));
		return;
	}
	ui_flash(r, "Réunion enregistrée. Vous pouvez maintenant importer sa feuille de présence.");
	snprintf(loc, sizeof(loc), "/reunions/%s", id);
	ui_redirect(r, loc);
}

void ui_page_meeting_edit(ui_req *r)
{
	ui_fs fs = { 0 };
	json_t *m = ui_load_meeting(r);

	if (!m)
		return;
	meeting_form(r, &fs, m, 0);
	json_decref(m);
}

/* The typed value when it differs from the meeting's, else NULL. */
static const char *differs(ui_req *r, const json_t *m, const char *key)
{
	const char *v = ui_form_get(r->form, key);

	return v && strcmp(ui_str(m, key), v) != 0 ? v : NULL;
}

static void back_to_meeting(ui_req *r, const cts_change *ch, const char *dflt)
{
	char loc[160];

	ui_flash(r, "%s", ch->line ? ch->line : dflt);
	snprintf(loc, sizeof(loc), "/reunions/%s", r->param);
	ui_redirect(r, loc);
}

void ui_post_meeting_update(ui_req *r)
{
	cts_meeting_fields f = { 0 };
	cts_change ch = { 0 };
	ui_fs fs = { .values = r->form };
	json_t *m = ui_load_meeting(r);
	int rc;

	if (!m)
		return;
	f.body = differs(r, m, "body");
	f.date = differs(r, m, "date");
	f.title = differs(r, m, "title");
	f.place = differs(r, m, "place");
	f.again = ui_form_get(r->form, "again") != NULL;
	if (!f.body && !f.date && !f.title && !f.place) {
		ui_flash(r, "Rien n'a changé : rien n'a été enregistré.");
		back_to_meeting(r, &ch, "");
	} else if ((rc = cts_meeting_update(r->node, r->param, &f, &ch)) < 0) {
		meeting_form(r, &fs, m, refuse(r, &fs, rc));
	} else {
		back_to_meeting(r, &ch, "Réunion modifiée.");
	}
	cts_change_dispose(&ch);
	json_decref(m);
}

/* A refused status change: the meeting's page with the message. */
static void status_refused(ui_req *r, const json_t *m, int rc)
{
	ui_fs fs = { 0 };

	ui_fs_refuse(r, &fs, rc, "meeting", meeting_fields);
	if (fs.busy)
		ui_fail_page(r, rc, "Réunion");
	else
		ui_meeting_page(r, m, &fs);
}

void ui_post_meeting_status(ui_req *r)
{
	const char *st = ui_arg(r, "status");
	cts_meeting_fields f = { .status = "tenue" };
	cts_change ch = { 0 };
	json_t *m = ui_load_meeting(r);
	int rc;

	if (!m)
		return;
	if (strcmp(st, "approuvee") == 0)
		rc = cts_meeting_approve(r->node, r->param, &ch);
	else if (strcmp(st, "tenue") == 0)
		rc = cts_meeting_update(r->node, r->param, &f, &ch);
	else
		rc = cts_error_set(CTS_EINVAL, "changement de statut inconnu « %.20s »", st);
	if (rc < 0)
		status_refused(r, m, rc);
	else
		back_to_meeting(r, &ch, "Statut changé.");
	cts_change_dispose(&ch);
	json_decref(m);
}

void ui_post_meeting_reopen(ui_req *r)
{
	cts_change ch = { 0 };
	json_t *m = ui_load_meeting(r);
	ui_fs fs = { 0 };
	int rc;

	if (!m)
		return;
	if ((rc = cts_meeting_reopen(r->node, r->param, ui_arg(r, "reason"), &ch)) < 0) {
		ui_fs_refuse(r, &fs, rc, "meeting", meeting_fields);
		if (rc == CTS_EINVAL && !*ui_arg(r, "reason"))
			fs.field = "reason";
		ui_meeting_page(r, m, &fs);
	} else {
		back_to_meeting(r, &ch, "Réunion rouverte.");
	}
	cts_change_dispose(&ch);
	json_decref(m);
}

/* The confirmation page of cancel (cancel = 1) or restore. */
static void confirm_page(ui_req *r, int cancel)
{
	char title[300], t[200], action[160];
	json_t *m = ui_load_meeting(r);

	if (!m)
		return;
	ui_meeting_title(m, t, sizeof(t));
	snprintf(title, sizeof(title), "%s — %s",
	         cancel ? "Annuler la réunion" : "Rétablir la réunion", t);
	ui_page_begin(r, title, "meetings");
	if (cancel)
		H("<p>La réunion « %s » sera marquée annulée : elle reste dans la liste et "
		  "l'historique, mais sort des "
		  "comptes des rapports et ne reçoit plus ni présences, ni avis, ni contributions. "
		  "Vous pourrez la "
		  "rétablir.</p>",
		  ui_str(m, "title"));
	else
		H("<p>La réunion « %s » redeviendra tenue (ou prévue si sa date est à venir) et "
		  "comptera de nouveau dans "
		  "les rapports.</p>",
		  ui_str(m, "title"));
	snprintf(action, sizeof(action), cancel ? "/reunions/%s/annuler" : "/reunions/%s/retablir",
	         r->param);
	ui_form_begin(r, action, 0, "form");
	H("<div class=\"buttons\">");
	ui_button(r, cancel ? "Annuler la réunion" : "Rétablir la réunion",
	          cancel ? "danger" : NULL);
	H("<a class=\"button secondary\" href=\"/reunions/%s\">Revenir sans rien changer</a></div>",
	  r->param);
	ui_form_end(r);
	ui_page_end(r);
	json_decref(m);
}

static void do_cancel_restore(ui_req *r, int cancel)
{
	cts_change ch = { 0 };
	json_t *m = ui_load_meeting(r);
	int rc;

	if (!m)
		return;
	rc = cancel ? cts_meeting_cancel(r->node, r->param, &ch)
	            : cts_meeting_restore(r->node, r->param, &ch);
	if (rc < 0)
		status_refused(r, m, rc);
	else
		back_to_meeting(r, &ch, cancel ? "Réunion annulée." : "Réunion rétablie.");
	cts_change_dispose(&ch);
	json_decref(m);
}

void ui_page_meeting_cancel(ui_req *r)
{
	confirm_page(r, 1);
}

void ui_post_meeting_cancel(ui_req *r)
{
	do_cancel_restore(r, 1);
}

void ui_page_meeting_restore(ui_req *r)
{
	confirm_page(r, 0);
}

void ui_post_meeting_restore(ui_req *r)
{
	do_cancel_restore(r, 0);
}
