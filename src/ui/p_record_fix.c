/* Corrections of opinions and contributions: edit, withdraw (kept,
 * out of the reports) and restore, each through the domain module; the
 * cts_change line is the notice of the next page. */
#include "app.h"

#include "contribution.h"
#include "error.h"
#include "opinion.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

static const char *const opinion_fields[] = { "meeting", "subject", "for", "against",
	                                      "abstain", "outcome", NULL };
static const char *const contribution_fields[] = {
	"theme", "title", "text", "meeting", "date", NULL
};

typedef struct {
	const char *table; /* "opinion" */
	const char *base;  /* "/avis" */
	const char *nav;
	const char *what;      /* "Avis" */
	const char *withdrawn; /* status of a withdrawn record */
	void (*form)(ui_req *r, const ui_fs *fs, const json_t *rec);
	const char *const *fields; /* the form's fields, for the library's refusals */
	const char *edited;        /* the notice when the change has no line of its own */
} kind;

static const kind opinion = { "opinion", "/avis",         "opinions",     "Avis",
	                      "retire",  ui_opinion_form, opinion_fields, "Avis modifié." };
static const kind contribution = { "contribution",      "/contributions",
	                           "contributions",     "Contribution",
	                           "retiree",           ui_contribution_form,
	                           contribution_fields, "Contribution modifiée." };

/* The kind of record an address names ("/avis/...", "/contributions/..."). */
static const kind *route_kind(const ui_req *r)
{
	size_t base = strlen(opinion.base);

	return strncmp(r->path, opinion.base, base) == 0 && r->path[base] == '/' ? &opinion
	                                                                         : &contribution;
}

void ui_record_status_link(ui_req *r, const char *base, const json_t *rec, const char *withdrawn)
{
	if (!rec)
		return;
	if (strcmp(ui_str(rec, "status"), withdrawn) == 0)
		H("<p class=\"danger-zone\"><a href=\"%s/%s/retablir\">Rétablir (il est retiré des "
		  "rapports)…</a></p>",
		  base, ui_str(rec, "id"));
	else
		H("<p class=\"danger-zone\"><a href=\"%s/%s/retirer\">Retirer (saisi par "
		  "erreur)…</a></p>",
		  base, ui_str(rec, "id"));
}

/* The record of the route (new reference), the node open; NULL after a failure page. */
static json_t *load(ui_req *r, const kind *k)
{
	const ui_record_kind rk = { k->table, k->what, "Introuvable",
		                    "Cette adresse ne désigne pas un enregistrement.",
		                    "Cet enregistrement n'existe pas dans ce territoire." };

	return ui_load_record(r, &rk);
}

static void done(ui_req *r, const kind *k, const cts_change *ch, const char *dflt)
{
	ui_flash(r, "%s", ch->line ? ch->line : dflt);
	ui_redirect(r, k->base);
}

/* The typed value when it differs from the record's, else NULL. */
static const char *differs(ui_req *r, const json_t *o, const char *key, const char *field)
{
	const char *v = ui_form_get(r->form, key);

	return v && strcmp(ui_str(o, field), v) != 0 ? v : NULL;
}

/* The end of an update of rec (taken): nothing typed differs from it (same:
 * nothing written), the library refused the change rc (the form again, the
 * field marked), or done. */
static void update_end(ui_req *r, const kind *k, json_t *rec, ui_fs *fs, int same, int rc,
                       cts_change *ch)
{
	if (same) {
		ui_flash(r, "Rien n'a changé : rien n'a été enregistré.");
		ui_redirect(r, k->base);
	} else if (rc < 0) {
		ui_fs_refuse(r, fs, rc, k->table, k->fields);
		k->form(r, fs, rec);
	} else {
		done(r, k, ch, k->edited);
	}
	cts_change_dispose(ch);
	json_decref(rec);
}

/* ---- edit ---- */

void ui_page_record_edit(ui_req *r)
{
	const kind *k = route_kind(r);
	ui_fs fs = { 0 };
	json_t *o = load(r, k);

	if (!o)
		return;
	k->form(r, &fs, o);
	json_decref(o);
}

void ui_post_opinion_update(ui_req *r)
{
	cts_opinion_fields f = { 0 }, v = { 0 };
	cts_change ch = { 0 };
	ui_fs fs = { .values = r->form };
	char msg[160];
	json_t *o = load(r, &opinion);
	int rc, same;

	if (!o)
		return;
	if ((fs.field = ui_form_votes(r, &v, msg, sizeof(msg)))) {
		fs.error = msg;
		r->status = 400;
		ui_opinion_form(r, &fs, o);
		json_decref(o);
		return;
	}
	f.meeting = differs(r, o, "meeting", "meeting");
	f.subject = differs(r, o, "subject", "subject");
	f.outcome = differs(r, o, "outcome", "outcome");
	f.votes_for = v.votes_for;
	f.votes_against = v.votes_against;
	f.votes_abstain = v.votes_abstain;
	f.votes_given = (v.votes_for != ui_int(o, "votes_for") ? CTS_VOTES_FOR : 0) |
	                (v.votes_against != ui_int(o, "votes_against") ? CTS_VOTES_AGAINST : 0) |
	                (v.votes_abstain != ui_int(o, "votes_abstain") ? CTS_VOTES_ABSTAIN : 0);
	same = !f.meeting && !f.subject && !f.outcome && !f.votes_given;
	rc = same ? 0 : cts_opinion_update(r->node, r->param, &f, &ch);
	update_end(r, &opinion, o, &fs, same, rc, &ch);
}

void ui_post_contribution_update(ui_req *r)
{
	cts_contribution_fields f = { 0 };
	cts_change ch = { 0 };
	ui_fs fs = { .values = r->form };
	json_t *c = load(r, &contribution);
	int rc, same;

	if (!c)
		return;
	f.theme = differs(r, c, "theme", "theme");
	f.title = differs(r, c, "title", "title");
	f.text = differs(r, c, "text", "text");
	f.meeting = differs(r, c, "meeting", "meeting");
	f.date = differs(r, c, "date", "date");
	same = !f.theme && !f.title && !f.text && !f.meeting && !f.date;
	rc = same ? 0 : cts_contribution_update(r->node, r->param, &f, &ch);
	update_end(r, &contribution, c, &fs, same, rc, &ch);
}

/* ---- withdraw, restore ---- */

static const char *record_name(const kind *k, const json_t *o)
{
	return ui_str(o, k == &opinion ? "subject" : "title");
}

static void confirm_page(ui_req *r, const kind *k, int withdraw)
{
	char title[400], action[160];
	json_t *o = load(r, k);

	if (!o)
		return;
	snprintf(title, sizeof(title), "%s %s « %s »", withdraw ? "Retirer" : "Rétablir",
	         k == &opinion ? "l'avis" : "la contribution", record_name(k, o));
	ui_page_begin(r, title, k->nav);
	if (withdraw)
		H("<p>À faire quand il a été saisi par erreur : il restera dans la liste, marqué "
		  "retiré, et sortira des "
		  "rapports. Vous pourrez le rétablir.</p>");
	else
		H("<p>Il comptera de nouveau dans les rapports.</p>");
	snprintf(action, sizeof(action), "%s/%s/%s", k->base, r->param,
	         withdraw ? "retirer" : "retablir");
	ui_form_begin(r, action, 0, "form");
	H("<div class=\"buttons\">");
	ui_button(r, withdraw ? "Retirer" : "Rétablir", withdraw ? "danger" : NULL);
	H("<a class=\"button secondary\" href=\"%s/%s\">Revenir sans rien changer</a></div>",
	  k->base, r->param);
	ui_form_end(r);
	ui_page_end(r);
	json_decref(o);
}

static void do_status(ui_req *r, const kind *k, int withdraw)
{
	cts_change ch = { 0 };
	json_t *o = load(r, k);
	int rc;

	if (!o)
		return;
	rc = cts_change_withdraw(r->node, k->table, r->param, withdraw, &ch);
	if (rc < 0)
		ui_fail_page(r, rc, withdraw ? "Retirer" : "Rétablir");
	else
		done(r, k, &ch, withdraw ? "Retiré." : "Rétabli.");
	cts_change_dispose(&ch);
	json_decref(o);
}

/* The kind of record and the action a withdraw/restore address names
 * ("/avis/ID/retirer", "/contributions/ID/retablir"). */
static const kind *status_route(const ui_req *r, int *withdraw)
{
	size_t len = strlen(r->path);

	*withdraw = len >= 8 && strcmp(r->path + len - 8, "/retirer") == 0;
	return route_kind(r);
}

void ui_page_record_status(ui_req *r)
{
	int withdraw;
	const kind *k = status_route(r, &withdraw);

	confirm_page(r, k, withdraw);
}

void ui_post_record_status(ui_req *r)
{
	int withdraw;
	const kind *k = status_route(r, &withdraw);

	do_status(r, k, withdraw);
}
