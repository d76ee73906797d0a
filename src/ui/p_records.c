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

static const char *const opinion_fields[] = { "meeting", "subject", "for", "against",
	                                      "abstain", "outcome", NULL };
static const char *const contribution_fields[] = {
	"theme", "title", "text", "meeting", "date", NULL
};

static void meeting_label(ui_html *h, const json_t *m)
{
	char d[11];

	ui_html_f(h, "%s — %s — %s", ui_date_fr(ui_str(m, "date"), d),
	          ui_body_label(ui_str(m, "body")), ui_str(m, "title"));
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

	if (r->node && cts_change_list(r->node, "meeting", r->node->territory, &list) == 0)
		for (n = json_array_size(list); n-- > 0;)
			json_array_append(rev, json_array_get(list, n));
	json_decref(list);
	cts_error_clear();
	return rev;
}

/* The end of a record's form and page: its buttons (save: add_label for a
 * new record, rec NULL; cancel: back to base), the link that withdraws or
 * restores rec (withdrawn: its status once withdrawn). */
static void record_form_end(ui_req *r, const json_t *rec, const char *add_label, const char *base,
                            const char *withdrawn)
{
	H("<div class=\"buttons\">");
	ui_button(r, rec ? "Enregistrer les modifications" : add_label, NULL);
	H("<a class=\"button secondary\" href=\"%s\">Annuler</a></div>", base);
	ui_form_end(r);
	ui_record_status_link(r, base, rec, withdrawn);
	ui_page_end(r);
}

/* A listing page of records (opinions, contributions): the node's list
 * and a second one its rows refer to (meetings, themes), a button to add,
 * a table or the words for none. */
typedef struct {
	const char *title, *nav, *add_href, *add_label, *none;
	const char *table; /* the records listed (cts_change_list) */
	int (*refs)(cts_node *n, json_t **out);
	const char *caption;     /* after the count: "contribution(s) transmise(s)" */
	const char *order;       /* how the rows are sorted: "par thème" */
	const char *gone;        /* the status of a withdrawn record: "retiree" */
	const char *gone_words;  /* after their count, when some are: "retirée(s)" */
	const char *const *cols; /* column headers, NULL-terminated (then the actions) */
	void (*row)(ui_req *r, const json_t *rec, const json_t *refs);
} record_page;

static void record_list_page(ui_req *r, const record_page *p)
{
	json_t *list = NULL, *refs = NULL, *o;
	size_t i;
	int rc;

	if (ui_open_list(r, p->table, p->title, &list) < 0)
		return;
	if ((rc = p->refs(r->node, &refs)) < 0) {
		json_decref(list);
		ui_fail_page(r, rc, p->title);
		return;
	}
	ui_page_begin(r, p->title, p->nav);
	H("<p class=\"toolbar\"><a class=\"button\" href=\"%s\">%s</a></p>", p->add_href,
	  p->add_label);
	if (!json_array_size(list)) {
		H("<p>%s</p>", p->none);
	} else {
		size_t gone = 0;

		json_array_foreach(list, i, o) gone += strcmp(ui_str(o, "status"), p->gone) == 0;
		H("<table><caption>%zu %s", json_array_size(list) - gone, p->caption);
		if (gone)
			H(", %zu %s", gone, p->gone_words);
		H(", %s</caption><thead><tr>", p->order);
		for (const char *const *h = p->cols; *h; h++)
			H("<th scope=\"col\">%s</th>", *h);
		H("<th scope=\"col\"><span "
		  "class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>");
		json_array_foreach(list, i, o) p->row(r, o, refs);
		H("</tbody></table>");
	}
	ui_page_end(r);
	json_decref(list);
	json_decref(refs);
}

/* ---- Avis ---- */

static int territory_meetings(cts_node *n, json_t **out)
{
	return cts_change_list(n, "meeting", n->territory, out);
}

static void opinion_row(ui_req *r, const json_t *o, const json_t *meetings)
{
	const json_t *m = ui_find(meetings, "id", ui_str(o, "meeting"));
	int gone = strcmp(ui_str(o, "status"), "retire") == 0;
	char d[11];

	H("<tr%s><td><a href=\"/reunions/%s\">%s "
	  "%s</a></td><td>%s</td><td>%s</td><td>%lld</td><td>%lld</td>"
	  "<td>%lld</td><td>%s</td>",
	  gone ? " class=\"withdrawn\"" : "", ui_str(o, "meeting"),
	  ui_date_fr(ui_str(o, "date"), d), m ? ui_body_label(ui_str(m, "body")) : "",
	  ui_str(o, "subject"), ui_outcome_label(ui_str(o, "outcome")), ui_int(o, "votes_for"),
	  ui_int(o, "votes_against"), ui_int(o, "votes_abstain"), gone ? "retiré" : "rendu");
	H("<td class=\"actions\"><a href=\"/avis/%s\">Modifier<span class=\"visually-hidden\"> "
	  "l'avis %s</span></a>"
	  "</td></tr>",
	  ui_str(o, "id"), ui_str(o, "subject"));
}

void ui_opinion_form(ui_req *r, const ui_fs *fs, const json_t *o)
{
	json_t *meetings = meetings_newest_first(r);
	char action[160], vf[24], va[24], vb[24];

	r->errors_in_page = fs->error || fs->busy;
	ui_page_begin(r, o ? "Modifier un avis" : "Enregistrer un avis", "opinions");
	ui_error_summary(r, fs, "meeting");
	snprintf(action, sizeof(action), o ? "/avis/%s" : "/avis", o ? ui_str(o, "id") : "");
	ui_form_begin(r, action, 0, "form");
	ui_select_json(r, fs, "meeting", "Réunion", meetings, "id", meeting_label,
	               "— choisir la réunion —", o ? ui_str(o, "meeting") : ui_arg(r, "meeting"),
	               NULL, UI_F_REQUIRED | UI_F_WIDE);
	ui_input(r, fs, "subject", "Objet de l'avis", "text", o ? ui_str(o, "subject") : NULL,
	         "Par exemple : Diagnostic territorial partagé en santé mentale.",
	         UI_F_REQUIRED | UI_F_WIDE);
	snprintf(vf, sizeof(vf), "%lld", ui_int(o, "votes_for"));
	snprintf(va, sizeof(va), "%lld", ui_int(o, "votes_against"));
	snprintf(vb, sizeof(vb), "%lld", ui_int(o, "votes_abstain"));
	H("<fieldset class=\"field votes\"><legend>Votes <span "
	  "class=\"req\">(obligatoire)</span></legend><div class=\"cols\">");
	ui_input(r, fs, "for", "Pour", "number", o ? vf : NULL, NULL, 0);
	ui_input(r, fs, "against", "Contre", "number", o ? va : NULL, NULL, 0);
	ui_input(r, fs, "abstain", "Abstentions", "number", o ? vb : NULL, NULL, 0);
	H("</div></fieldset>");
	ui_radios(r, fs, "outcome", "Sens de l'avis", cts_outcomes, cts_outcome_labels,
	          o ? ui_str(o, "outcome") : NULL, UI_F_REQUIRED);
	record_form_end(r, o, "Enregistrer l'avis", "/avis", "retire");
	json_decref(meetings);
}

void ui_page_opinion_new(ui_req *r)
{
	ui_fs fs = { 0 };

	if (ui_open(r) == CTS_EBUSY)
		r->node = NULL;
	cts_error_clear();
	ui_opinion_form(r, &fs, NULL);
}

/* A vote count typed in the form, as the command line reads --for N. */
static const char *parse_votes(const char *field, const char *label, const char *v, long long *out,
                               char *msg, size_t msglen)
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

const char *ui_form_votes(ui_req *r, cts_opinion_fields *f, char *msg, size_t len)
{
	const char *bad;

	if ((bad = parse_votes("for", "pour", ui_form_get(r->form, "for"), &f->votes_for, msg,
	                       len)) ||
	    (bad = parse_votes("against", "contre", ui_form_get(r->form, "against"),
	                       &f->votes_against, msg, len)) ||
	    (bad = parse_votes("abstain", "abstentions", ui_form_get(r->form, "abstain"),
	                       &f->votes_abstain, msg, len)))
		return bad;
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
	if ((bad = ui_form_votes(r, &f, msg, sizeof(msg)))) {
		fs.error = msg;
		fs.field = bad;
		r->status = 400;
		if (ui_open(r) < 0)
			cts_error_clear();
		ui_opinion_form(r, &fs, NULL);
		return;
	}
	if ((rc = ui_open(r)) < 0 || (rc = cts_opinion_add(r->node, &f, id)) < 0) {
		ui_fs_refuse(r, &fs, rc, "opinion", opinion_fields);
		ui_opinion_form(r, &fs, NULL);
		return;
	}
	ui_flash(r, "Avis enregistré.");
	snprintf(loc, sizeof(loc), "/reunions/%s", f.meeting);
	ui_redirect(r, loc);
}

/* ---- Contributions ---- */

static void contribution_row(ui_req *r, const json_t *c, const json_t *themes)
{
	const json_t *t = ui_find(themes, "code", ui_str(c, "theme"));
	int gone = strcmp(ui_str(c, "status"), "retiree") == 0;
	char d[11];

	H("<tr%s><td>%s</td><td>%s</td><td class=\"text\">%s</td><td>",
	  gone ? " class=\"withdrawn\"" : "", t ? ui_str(t, "label") : ui_str(c, "theme"),
	  ui_str(c, "title"), ui_str(c, "text"));
	if (*ui_str(c, "meeting"))
		H("<a href=\"/reunions/%s\">voir la réunion<span class=\"visually-hidden\"> de « "
		  "%s »</span></a>",
		  ui_str(c, "meeting"), ui_str(c, "title"));
	else
		H("—");
	H("</td><td>%s</td><td>%s</td><td class=\"actions\"><a "
	  "href=\"/contributions/%s\">Modifier<span "
	  "class=\"visually-hidden\"> la contribution %s</span></a></td></tr>",
	  *ui_str(c, "date") ? ui_date_fr(ui_str(c, "date"), d) : "—",
	  gone ? "retirée" : "transmise", ui_str(c, "id"), ui_str(c, "title"));
}

void ui_contribution_form(ui_req *r, const ui_fs *fs, const json_t *c)
{
	char action[160];
	json_t *meetings = meetings_newest_first(r), *themes = NULL;

	if (!r->node || cts_theme_list(r->node, &themes) < 0)
		themes = json_array();
	cts_error_clear();
	r->errors_in_page = fs->error || fs->busy;
	ui_page_begin(r, c ? "Modifier une contribution" : "Enregistrer une contribution",
	              "contributions");
	ui_error_summary(r, fs, "theme");
	snprintf(action, sizeof(action), c ? "/contributions/%s" : "/contributions",
	         c ? ui_str(c, "id") : "");
	ui_form_begin(r, action, 0, "form");
	ui_select_json(r, fs, "theme", "Thème", themes, "code", theme_label, "— choisir le thème —",
	               c ? ui_str(c, "theme") : NULL, NULL, UI_F_REQUIRED | UI_F_WIDE);
	ui_input(r, fs, "title", "Titre", "text", c ? ui_str(c, "title") : NULL, NULL,
	         UI_F_REQUIRED | UI_F_WIDE);
	ui_input(r, fs, "text", "Texte de la contribution", NULL, c ? ui_str(c, "text") : NULL,
	         NULL, UI_F_REQUIRED | UI_F_TEXTAREA | UI_F_WIDE);
	ui_select_json(r, fs, "meeting", "Réunion où elle a été adoptée", meetings, "id",
	               meeting_label, "— aucune —", c ? ui_str(c, "meeting") : ui_arg(r, "meeting"),
	               "Facultatif.", UI_F_WIDE);
	ui_input(r, fs, "date", "Date de réception", "date", c ? ui_str(c, "date") : NULL,
	         "Facultatif : le jour où la contribution a été reçue (pas après aujourd'hui). Les "
	         "rapports la datent "
	         "ainsi, sinon par sa réunion.",
	         0);
	record_form_end(r, c, "Enregistrer la contribution", "/contributions", "retiree");
	json_decref(meetings);
	json_decref(themes);
}

void ui_page_contribution_new(ui_req *r)
{
	ui_fs fs = { 0 };

	if (ui_open(r) < 0)
		cts_error_clear();
	ui_contribution_form(r, &fs, NULL);
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
	f.date = ui_form_get(r->form, "date");
	if (f.meeting && !*f.meeting)
		f.meeting = NULL;
	if (f.date && !*f.date)
		f.date = NULL;
	if ((rc = ui_open(r)) < 0 || (rc = cts_contribution_add(r->node, &f, id)) < 0) {
		ui_fs_refuse(r, &fs, rc, "contribution", contribution_fields);
		ui_contribution_form(r, &fs, NULL);
		return;
	}
	ui_flash(r, "Contribution « %s » enregistrée.", f.title);
	ui_redirect(r, "/contributions");
}

/* ---- the two listing pages ---- */

static const char *const opinion_cols[] = { "Réunion", "Objet",       "Sens", "Pour",
	                                    "Contre",  "Abstentions", "État", NULL };
static const char *const contribution_cols[] = { "Thème",    "Titre", "Texte", "Réunion",
	                                         "Reçue le", "État",  NULL };

static const record_page record_pages[2] = {
	{ "Avis", "opinions", "/avis/nouveau", "Enregistrer un avis", "Aucun avis enregistré.",
	  "opinion", territory_meetings, "avis rendu(s)", "par date de réunion", "retire",
	  "retiré(s)", opinion_cols, opinion_row },
	{ "Contributions", "contributions", "/contributions/nouvelle",
	  "Enregistrer une contribution", "Aucune contribution enregistrée.", "contribution",
	  cts_theme_list, "contribution(s) transmise(s)", "par thème", "retiree", "retirée(s)",
	  contribution_cols, contribution_row },
};

void ui_page_opinions(ui_req *r)
{
	record_list_page(r, &record_pages[0]);
}

void ui_page_contributions(ui_req *r)
{
	record_list_page(r, &record_pages[1]);
}
