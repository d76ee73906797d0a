/* Avis and Contributions: lists and forms. */
#include "app.h"

#include "contribution.h"
#include "error.h"
#include "meeting.h"
#include "opinion.h"
#include "tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

static const char *const opinion_fields[] = { "meeting", "subject", "for", "against", "abstain", "outcome", NULL };
static const char *const contribution_fields[] = { "theme", "title", "text", "meeting", NULL };

static void meeting_label(ui_html *h, const json_t *m)
{
	char d[11];

	ui_html_f(h, "%s — %s — %s", ui_date_fr(ui_str(m, "date"), d), ui_body_label(ui_str(m, "body")), ui_str(m, "title"));
}

static void theme_label(ui_html *h, const json_t *t)
{
	ui_html_f(h, "%s", ui_str(t, "label"));
}

/* Meetings, newest first, for a select (new reference; empty when busy). */
static json_t *meetings_newest_first(ui_req *r)
{
	json_t *list = NULL, *rev = json_array();
	size_t n;

	if (r->node && cts_meeting_list(r->node, r->node->territory, &list) == 0)
		for (n = json_array_size(list); n-- > 0;)
			json_array_append(rev, json_array_get(list, n));
	json_decref(list);
	cts_error_clear();
	return rev;
}

/* ---- Avis ---- */

void ui_page_opinions(ui_req *r)
{
	json_t *list = NULL, *meetings = NULL, *o;
	char d[11];
	size_t i;
	int rc;

	if ((rc = ui_open(r)) < 0 || (rc = cts_opinion_list(r->node, r->node->territory, &list)) < 0 ||
	    (rc = cts_meeting_list(r->node, r->node->territory, &meetings)) < 0) {
		json_decref(list);
		ui_fail_page(r, rc, "Avis");
		return;
	}
	ui_page_begin(r, "Avis", "opinions");
	H("<p class=\"toolbar\"><a class=\"button\" href=\"/avis/nouveau\">Enregistrer un avis</a></p>");
	if (!json_array_size(list)) {
		H("<p>Aucun avis enregistré.</p>");
	} else {
		H("<table><caption>%zu avis rendu(s), par date de réunion</caption><thead><tr><th scope=\"col\">Réunion</th>"
		  "<th scope=\"col\">Objet</th><th scope=\"col\">Sens</th><th scope=\"col\">Pour</th><th scope=\"col\">Contre</th>"
		  "<th scope=\"col\">Abstentions</th></tr></thead><tbody>",
		  json_array_size(list));
		json_array_foreach(list, i, o) {
			const json_t *m = ui_find(meetings, "id", ui_str(o, "meeting"));
			H("<tr><td><a href=\"/reunions/%s\">%s %s</a></td><td>%s</td><td>%s</td><td>%lld</td><td>%lld</td>"
			  "<td>%lld</td></tr>",
			  ui_str(o, "meeting"), ui_date_fr(ui_str(o, "date"), d), m ? ui_body_label(ui_str(m, "body")) : "",
			  ui_str(o, "subject"), ui_outcome_label(ui_str(o, "outcome")), ui_int(o, "votes_for"),
			  ui_int(o, "votes_against"), ui_int(o, "votes_abstain"));
		}
		H("</tbody></table>");
	}
	ui_page_end(r);
	json_decref(list);
	json_decref(meetings);
}

static void opinion_form(ui_req *r, const ui_fs *fs)
{
	json_t *meetings = meetings_newest_first(r);

	r->errors_in_page = fs->error || fs->busy;
	ui_page_begin(r, "Enregistrer un avis", "opinions");
	ui_error_summary(r, fs, "meeting");
	ui_form_begin(r, "/avis", 0, "form");
	ui_select_json(r, fs, "meeting", "Réunion", meetings, "id", meeting_label, "— choisir la réunion —",
		       ui_arg(r, "meeting"), NULL, UI_F_REQUIRED | UI_F_WIDE);
	ui_input(r, fs, "subject", "Objet de l'avis", "text", NULL,
		 "Par exemple : Diagnostic territorial partagé en santé mentale.", UI_F_REQUIRED | UI_F_WIDE);
	H("<fieldset class=\"field votes\"><legend>Votes <span class=\"req\">(obligatoire)</span></legend><div class=\"cols\">");
	ui_input(r, fs, "for", "Pour", "number", NULL, NULL, 0);
	ui_input(r, fs, "against", "Contre", "number", NULL, NULL, 0);
	ui_input(r, fs, "abstain", "Abstentions", "number", NULL, NULL, 0);
	H("</div></fieldset>");
	ui_radios(r, fs, "outcome", "Sens de l'avis", cts_outcomes, cts_outcome_labels, NULL, UI_F_REQUIRED);
	H("<div class=\"buttons\">");
	ui_button(r, "Enregistrer l'avis", NULL);
	H("<a class=\"button secondary\" href=\"/avis\">Annuler</a></div>");
	ui_form_end(r);
	ui_page_end(r);
	json_decref(meetings);
}

void ui_page_opinion_new(ui_req *r)
{
	ui_fs fs = { 0 };

	if (ui_open(r) == CTS_EBUSY)
		r->node = NULL;
	cts_error_clear();
	opinion_form(r, &fs);
}

/* A vote count typed in the form, as the command line reads --for N. */
static const char *parse_votes(const char *field, const char *label, const char *v, long long *out, char *msg,
			       size_t msglen)
{
	char *end;

	errno = 0;
	*out = v ? strtoll(v, &end, 10) : 0;
	if (!v || !*v || *end || errno) {
		snprintf(msg, msglen, "le nombre de voix « %s » attend un nombre entier", label);
		return field;
	}
	return NULL;
}

void ui_post_opinion_add(ui_req *r)
{
	cts_opinion_fields f = { 0 };
	ui_fs fs = { .values = r->form };
	char msg[160], id[37], loc[64];
	const char *bad;
	int rc = 0;

	f.meeting = ui_form_get(r->form, "meeting");
	f.subject = ui_form_get(r->form, "subject");
	f.outcome = ui_form_get(r->form, "outcome");
	if ((bad = parse_votes("for", "pour", ui_form_get(r->form, "for"), &f.votes_for, msg, sizeof(msg))) ||
	    (bad = parse_votes("against", "contre", ui_form_get(r->form, "against"), &f.votes_against, msg, sizeof(msg))) ||
	    (bad = parse_votes("abstain", "abstentions", ui_form_get(r->form, "abstain"), &f.votes_abstain, msg, sizeof(msg)))) {
		fs.error = msg;
		fs.field = bad;
		r->status = 400;
		if (ui_open(r) < 0)
			cts_error_clear();
		opinion_form(r, &fs);
		return;
	}
	if ((rc = ui_open(r)) < 0 || (rc = cts_opinion_add(r->node, &f, id)) < 0) {
		ui_fs_refuse(r, &fs, rc, "opinion", opinion_fields);
		opinion_form(r, &fs);
		return;
	}
	ui_flash(r, "Avis enregistré.");
	snprintf(loc, sizeof(loc), "/reunions/%s", f.meeting);
	ui_redirect(r, loc);
}

/* ---- Contributions ---- */

void ui_page_contributions(ui_req *r)
{
	json_t *list = NULL, *themes = NULL, *c;
	size_t i;
	int rc;

	if ((rc = ui_open(r)) < 0 || (rc = cts_contribution_list(r->node, r->node->territory, &list)) < 0 ||
	    (rc = cts_theme_list(r->node, &themes)) < 0) {
		json_decref(list);
		ui_fail_page(r, rc, "Contributions");
		return;
	}
	ui_page_begin(r, "Contributions", "contributions");
	H("<p class=\"toolbar\"><a class=\"button\" href=\"/contributions/nouvelle\">Enregistrer une contribution</a></p>");
	if (!json_array_size(list)) {
		H("<p>Aucune contribution enregistrée.</p>");
	} else {
		H("<table><caption>%zu contribution(s), par thème</caption><thead><tr><th scope=\"col\">Thème</th>"
		  "<th scope=\"col\">Titre</th><th scope=\"col\">Texte</th><th scope=\"col\">Réunion</th></tr></thead><tbody>",
		  json_array_size(list));
		json_array_foreach(list, i, c) {
			const json_t *t = ui_find(themes, "code", ui_str(c, "theme"));
			H("<tr><td>%s</td><td>%s</td><td class=\"text\">%s</td><td>", t ? ui_str(t, "label") : ui_str(c, "theme"),
			  ui_str(c, "title"), ui_str(c, "text"));
			if (*ui_str(c, "meeting"))
				H("<a href=\"/reunions/%s\">voir la réunion</a>", ui_str(c, "meeting"));
			else
				H("—");
			H("</td></tr>");
		}
		H("</tbody></table>");
	}
	ui_page_end(r);
	json_decref(list);
	json_decref(themes);
}

static void contribution_form(ui_req *r, const ui_fs *fs)
{
	json_t *meetings = meetings_newest_first(r), *themes = NULL;

	if (!r->node || cts_theme_list(r->node, &themes) < 0)
		themes = json_array();
	cts_error_clear();
	r->errors_in_page = fs->error || fs->busy;
	ui_page_begin(r, "Enregistrer une contribution", "contributions");
	ui_error_summary(r, fs, "theme");
	ui_form_begin(r, "/contributions", 0, "form");
	ui_select_json(r, fs, "theme", "Thème", themes, "code", theme_label, "— choisir le thème —", NULL, NULL,
		       UI_F_REQUIRED | UI_F_WIDE);
	ui_input(r, fs, "title", "Titre", "text", NULL, NULL, UI_F_REQUIRED | UI_F_WIDE);
	ui_input(r, fs, "text", "Texte de la contribution", NULL, NULL, NULL, UI_F_REQUIRED | UI_F_TEXTAREA | UI_F_WIDE);
	ui_select_json(r, fs, "meeting", "Réunion où elle a été adoptée", meetings, "id", meeting_label, "— aucune —",
		       ui_arg(r, "meeting"), "Facultatif.", UI_F_WIDE);
	H("<div class=\"buttons\">");
	ui_button(r, "Enregistrer la contribution", NULL);
	H("<a class=\"button secondary\" href=\"/contributions\">Annuler</a></div>");
	ui_form_end(r);
	ui_page_end(r);
	json_decref(meetings);
	json_decref(themes);
}

void ui_page_contribution_new(ui_req *r)
{
	ui_fs fs = { 0 };

	if (ui_open(r) < 0)
		cts_error_clear();
	contribution_form(r, &fs);
}

void ui_post_contribution_add(ui_req *r)
{
	cts_contribution_fields f = { 0 };
	ui_fs fs = { .values = r->form };
	char id[37];
	int rc;

	f.theme = ui_form_get(r->form, "theme");
	f.title = ui_form_get(r->form, "title");
	f.text = ui_form_get(r->form, "text");
	f.meeting = ui_form_get(r->form, "meeting");
	if (f.meeting && !*f.meeting)
		f.meeting = NULL;
	if ((rc = ui_open(r)) < 0 || (rc = cts_contribution_add(r->node, &f, id)) < 0) {
		ui_fs_refuse(r, &fs, rc, "contribution", contribution_fields);
		contribution_form(r, &fs);
		return;
	}
	ui_flash(r, "Contribution « %s » enregistrée.", f.title);
	ui_redirect(r, "/contributions");
}
