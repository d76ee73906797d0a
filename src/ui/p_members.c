/* Membres: the roll by college, add, edit, remove, CSV export. */
#include "app.h"

#include "change.h"
#include "error.h"
#include "member.h"
#include "strbuf.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

static const char *const member_fields[] = { "last_name",     "first_name",  "organisation",
	                                     "college",       "seat",        "role",
	                                     "mandate_start", "mandate_end", NULL };

static void mandate(ui_req *r, const json_t *m)
{
	char a[11], b[11];
	const char *s = ui_str(m, "mandate_start"), *e = ui_str(m, "mandate_end");

	if (*s && *e)
		H("du %s au %s", ui_date_fr(s, a), ui_date_fr(e, b));
	else if (*s)
		H("depuis le %s", ui_date_fr(s, a));
	else if (*e)
		H("jusqu'au %s", ui_date_fr(e, b));
	else
		H("—");
}

static void college_table(ui_req *r, const json_t *roll, int c)
{
	size_t i, tit = 0, sup = 0;
	json_t *m;

	json_array_foreach(roll, i, m)
	{
		if (strcmp(ui_str(m, "college"), cts_colleges[c]) != 0)
			continue;
		if (strcmp(ui_str(m, "seat"), "suppleant") == 0)
			sup++;
		else
			tit++;
	}
	H("<section aria-labelledby=\"col-%s\"><h2 id=\"col-%s\">%s</h2><p class=\"counts\">%zu "
	  "titulaire(s), %zu "
	  "suppléant(s)</p>",
	  cts_colleges[c], cts_colleges[c], cts_college_labels[c], tit, sup);
	if (tit + sup == 0) {
		H("<p>Aucun membre dans ce collège.</p></section>");
		return;
	}
	H("<table><caption class=\"visually-hidden\">Membres du collège %s</caption><thead><tr>"
	  "<th scope=\"col\">Nom</th><th scope=\"col\">Prénom</th><th scope=\"col\">Structure</th>"
	  "<th scope=\"col\">Siège</th><th scope=\"col\">Rôle</th><th scope=\"col\">Mandat</th>"
	  "<th scope=\"col\"><span "
	  "class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>",
	  cts_college_labels[c]);
	for (int pass = 0; pass < 2; pass++) {
		json_array_foreach(roll, i, m)
		{
			int sup_row = strcmp(ui_str(m, "seat"), "suppleant") == 0;
			if (strcmp(ui_str(m, "college"), cts_colleges[c]) != 0 || sup_row != pass)
				continue;
			H("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>",
			  ui_str(m, "last_name"), ui_str(m, "first_name"),
			  ui_str(m, "organisation"), sup_row ? "Suppléant" : "Titulaire",
			  ui_str(m, "role"));
			mandate(r, m);
			H("</td><td class=\"actions\"><a href=\"/membres/%s\">Modifier<span "
			  "class=\"visually-hidden\"> %s %s</span></a>"
			  "</td></tr>",
			  ui_str(m, "id"), ui_str(m, "last_name"), ui_str(m, "first_name"));
		}
	}
	H("</tbody></table></section>");
}

void ui_page_members(ui_req *r)
{
	json_t *roll = NULL;

	if (ui_open_list(r, "member", "Membres", &roll) < 0)
		return;
	ui_page_begin(r, "Membres", "members");
	H("<p class=\"toolbar\"><a class=\"button\" href=\"/membres/nouveau\">Ajouter un "
	  "membre</a> "
	  "<a class=\"button secondary\" href=\"/membres.csv\" download>Exporter la liste (CSV "
	  "pour Excel)</a> "
	  "<a href=\"/membres/retires\">Voir les membres retirés de la liste</a></p>"
	  "<p>%zu membre(s) au conseil territorial, par collège.</p>",
	  json_array_size(roll));
	for (int c = 0; cts_colleges[c]; c++)
		college_table(r, roll, c);
	ui_page_end(r);
	json_decref(roll);
}

/* One CSV cell for French Excel: quoted when needed; a leading = + - @
 * gets a quote so that Excel never reads a name as a formula. */
static void csv_cell(cts_strbuf *b, const char *v, int last)
{
	int quote = strpbrk(v, ";\"\r\n") != NULL;

	if (quote)
		cts_strbuf_add(b, "\"");
	if (strchr("=+-@", v[0]) && v[0])
		cts_strbuf_add(b, "'");
	for (; *v; v++) {
		if (*v == '"')
			cts_strbuf_add(b, "\"");
		cts_strbuf_addn(b, v, 1);
	}
	if (quote)
		cts_strbuf_add(b, "\"");
	cts_strbuf_add(b, last ? "\r\n" : ";");
}

void ui_page_members_csv(ui_req *r)
{
	static const char *const cols[] = { "last_name",     "first_name",  "organisation",
		                            "college",       "seat",        "role",
		                            "mandate_start", "mandate_end", NULL };
	cts_strbuf b = { 0 };
	json_t *roll = NULL, *m;
	size_t i;
	int rc;

	if (ui_open_list(r, "member", "Membres", &roll) < 0)
		return;
	cts_strbuf_add(&b, "\xef\xbb\xbfNom;Prénom;Structure;Collège;Siège;Rôle;Début de "
	                   "mandat;Fin de mandat\r\n");
	json_array_foreach(roll, i, m) for (int k = 0; cols[k]; k++)
	    csv_cell(&b, ui_str(m, cols[k]), cols[k + 1] == NULL);
	json_decref(roll);
	if ((rc = cts_strbuf_take(&b, &r->body, &r->body_len)) < 0) {
		ui_fail_page(r, rc, "Membres");
		return;
	}
	r->ctype = "text/csv; charset=utf-8";
	snprintf(r->disposition, sizeof(r->disposition), "attachment; filename=\"membres-%s.csv\"",
	         r->app->ident.territory);
}

static void member_form(ui_req *r, const char *title, const char *action, const json_t *m,
                        const ui_fs *fs)
{
	r->errors_in_page = fs->error || fs->busy;
	ui_page_begin(r, title, "members");
	ui_error_summary(r, fs, "last_name");
	ui_form_begin(r, action, 0, "form");
	H("<div class=\"cols\">");
	ui_input(r, fs, "last_name", "Nom", "text", ui_str(m, "last_name"), NULL, UI_F_REQUIRED);
	ui_input(r, fs, "first_name", "Prénom", "text", ui_str(m, "first_name"), NULL,
	         UI_F_REQUIRED);
	H("</div>");
	ui_input(r, fs, "organisation", "Structure", "text", ui_str(m, "organisation"),
	         "L'organisme que le membre représente.", UI_F_WIDE);
	ui_select(r, fs, "college", "Collège", cts_colleges, cts_college_labels,
	          ui_str(m, "college"), NULL, UI_F_REQUIRED);
	ui_radios(r, fs, "seat", "Siège", cts_seats, cts_seat_labels,
	          m ? ui_str(m, "seat") : "titulaire", 0);
	ui_input(r, fs, "role", "Rôle", "text", ui_str(m, "role"),
	         "Par exemple : président, vice-présidente.", 0);
	H("<div class=\"cols\">");
	ui_input(r, fs, "mandate_start", "Début de mandat", "date", ui_str(m, "mandate_start"),
	         NULL, 0);
	ui_input(r, fs, "mandate_end", "Fin de mandat", "date", ui_str(m, "mandate_end"), NULL, 0);
	H("</div><div class=\"buttons\">");
	ui_button(r, m ? "Enregistrer les modifications" : "Ajouter le membre", NULL);
	H("<a class=\"button secondary\" href=\"/membres\">Annuler</a></div>");
	ui_form_end(r);
	if (m)
		H("<p class=\"danger-zone\"><a href=\"/membres/%s/retirer\">Retirer ce membre de "
		  "la liste…</a></p>",
		  ui_str(m, "id"));
	ui_page_end(r);
}

void ui_page_member_new(ui_req *r)
{
	ui_fs fs = { 0 };

	member_form(r, "Ajouter un membre", "/membres", NULL, &fs);
}

static void form_fields(ui_req *r, cts_member_fields *f)
{
	f->last_name = ui_form_get(r->form, "last_name");
	f->first_name = ui_form_get(r->form, "first_name");
	f->organisation = ui_form_get(r->form, "organisation");
	f->college = ui_form_get(r->form, "college");
	f->seat = ui_form_get(r->form, "seat");
	f->role = ui_form_get(r->form, "role");
	f->mandate_start = ui_form_get(r->form, "mandate_start");
	f->mandate_end = ui_form_get(r->form, "mandate_end");
}

void ui_post_member_add(ui_req *r)
{
	cts_member_fields f = { 0 };
	ui_fs fs = { 0 };
	char id[37];
	int rc;

	form_fields(r, &f);
	if (f.college && !*f.college)
		f.college = NULL; /* "— choisir —": the library says it is required */
	if ((rc = ui_open(r)) < 0 || (rc = cts_member_add(r->node, &f, id)) < 0) {
		ui_fs_refuse(r, &fs, rc, "member", member_fields);
		member_form(r, "Ajouter un membre", "/membres", NULL, &fs);
		return;
	}
	ui_flash(r, "%s %s a été ajouté(e) au collège « %s ».", f.first_name, f.last_name,
	         ui_college_label(f.college));
	ui_redirect(r, "/membres");
}

/* The roll and the member of the route, or a failure page. */
static int load(ui_req *r, json_t **m)
{
	static const ui_record_kind member = {
		"member", "Membre", "Membre introuvable", "Cette adresse ne désigne pas un membre.",
		"Ce membre n'est pas (ou plus) dans la liste de ce territoire."
	};

	return (*m = ui_load_record(r, &member)) ? 0 : -1;
}

/* The member of the route for a page about it: the address its form posts
 * to ("/membres/ID" then what), its title ("verb LAST First"); -1 after a
 * failure page. */
static int load_titled(ui_req *r, json_t **m, const char *what, const char *verb, char action[160],
                       char title[480])
{
	if (load(r, m) < 0)
		return -1;
	snprintf(action, 160, "/membres/%s%s", r->param, what);
	snprintf(title, 480, "%s %s %s", verb, ui_str(*m, "last_name"), ui_str(*m, "first_name"));
	return 0;
}

void ui_page_member_edit(ui_req *r)
{
	ui_fs fs = { 0 };
	char action[160], title[480];
	json_t *m;

	if (load_titled(r, &m, "", "Modifier", action, title) < 0)
		return;
	member_form(r, title, action, m, &fs);
	json_decref(m);
}

/* Only the fields that differ from the record are written. */
static const char *changed(const json_t *m, const char *key, const char *v)
{
	return v && strcmp(ui_str(m, key), v) != 0 ? v : NULL;
}

void ui_post_member_update(ui_req *r)
{
	cts_member_fields f = { 0 }, g;
	cts_change ch = { 0 };
	ui_fs fs = { 0 };
	char action[160], title[480];
	json_t *m;
	int rc;

	if (!cts_valid_uuid(r->param)) {
		ui_error_page(r, 404, "Membre introuvable",
		              "Cette adresse ne désigne pas un membre.");
		return;
	}
	snprintf(action, sizeof(action), "/membres/%s", r->param);
	if ((rc = ui_open(r)) == CTS_EBUSY) {
		ui_fs_refuse(r, &fs, rc, "member", member_fields);
		member_form(r, "Modifier un membre", action, NULL, &fs);
		return;
	}
	if (load(r, &m) < 0)
		return;
	form_fields(r, &g);
	f.last_name = changed(m, "last_name", g.last_name);
	f.first_name = changed(m, "first_name", g.first_name);
	f.organisation = changed(m, "organisation", g.organisation);
	f.college = changed(m, "college", g.college);
	f.seat = changed(m, "seat", g.seat);
	f.role = changed(m, "role", g.role);
	f.mandate_start = changed(m, "mandate_start", g.mandate_start);
	f.mandate_end = changed(m, "mandate_end", g.mandate_end);
	if (!f.last_name && !f.first_name && !f.organisation && !f.college && !f.seat && !f.role &&
	    !f.mandate_start && !f.mandate_end) {
		ui_flash(r, "Rien n'a changé : rien n'a été enregistré.");
		ui_redirect(r, "/membres");
	} else if ((rc = cts_member_update(r->node, r->param, &f, &ch)) < 0) {
		ui_fs_refuse(r, &fs, rc, "member", member_fields);
		snprintf(title, sizeof(title), "Modifier %s %s", ui_str(m, "last_name"),
		         ui_str(m, "first_name"));
		member_form(r, title, action, m, &fs);
	} else {
		ui_flash(r, "%s", ch.line ? ch.line : "Modifications enregistrées.");
		ui_redirect(r, "/membres");
	}
	cts_change_dispose(&ch);
	json_decref(m);
}

void ui_page_member_remove(ui_req *r)
{
	char action[160], title[480];
	json_t *m;

	if (load_titled(r, &m, "/retirer", "Retirer", action, title) < 0)
		return;
	ui_page_begin(r, title, "members");
	H("<p>%s %s (%s, collège « %s ») ne figurera plus dans la liste des membres ni dans les "
	  "prochaines feuilles. "
	  "Les présences passées et l'historique signé gardent sa trace.</p>",
	  ui_str(m, "first_name"), ui_str(m, "last_name"), ui_str(m, "organisation"),
	  ui_college_label(ui_str(m, "college")));
	ui_form_begin(r, action, 0, "form");
	H("<div class=\"buttons\">");
	ui_button(r, "Retirer de la liste", "danger");
	H("<a class=\"button secondary\" href=\"/membres/%s\">Annuler</a></div>", r->param);
	ui_form_end(r);
	ui_page_end(r);
	json_decref(m);
}

void ui_post_member_remove(ui_req *r)
{
	cts_change ch = { 0 };
	json_t *m;
	int rc;

	if (load(r, &m) < 0)
		return;
	if ((rc = cts_member_remove(r->node, r->param, &ch)) < 0) {
		ui_fail_page(r, rc, "Retirer un membre");
	} else {
		ui_flash(r, "%s %s a été retiré(e) de la liste des membres.",
		         ui_str(m, "first_name"), ui_str(m, "last_name"));
		ui_redirect(r, "/membres");
	}
	cts_change_dispose(&ch);
	json_decref(m);
}

/* ---- removed members ---- */

void ui_page_members_removed(ui_req *r)
{
	json_t *gone = NULL, *m;
	char action[160];
	size_t i;
	int rc;

	if ((rc = ui_open(r)) < 0 ||
	    (rc = cts_member_list_removed(r->node, r->node->territory, &gone)) < 0) {
		ui_fail_page(r, rc, "Membres retirés");
		return;
	}
	ui_page_begin(r, "Membres retirés de la liste", "members");
	H("<p>Ces personnes ont été retirées de la liste des membres ; l'historique garde leurs "
	  "valeurs. Rétablir "
	  "une personne la remet dans la liste telle qu'elle était.</p>");
	if (!json_array_size(gone)) {
		H("<p>Aucun membre retiré.</p>");
	} else {
		H("<table><caption>%zu membre(s) retiré(s)</caption><thead><tr><th "
		  "scope=\"col\">Nom</th>"
		  "<th scope=\"col\">Prénom</th><th scope=\"col\">Structure</th><th "
		  "scope=\"col\">Collège</th>"
		  "<th scope=\"col\"><span "
		  "class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>",
		  json_array_size(gone));
		json_array_foreach(gone, i, m)
		{
			H("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=\"actions\">",
			  ui_str(m, "last_name"), ui_str(m, "first_name"),
			  ui_str(m, "organisation"), ui_college_label(ui_str(m, "college")));
			snprintf(action, sizeof(action), "/membres/%s/retablir", ui_str(m, "id"));
			ui_form_begin(r, action, 0, "form inline-buttons");
			H("<button type=\"submit\" class=\"button secondary\">Rétablir<span "
			  "class=\"visually-hidden\"> %s %s</span>"
			  "</button>",
			  ui_str(m, "last_name"), ui_str(m, "first_name"));
			ui_form_end(r);
			H("</td></tr>");
		}
		H("</tbody></table>");
	}
	H("<p><a href=\"/membres\">Revenir à la liste des membres</a></p>");
	ui_page_end(r);
	json_decref(gone);
}

void ui_post_member_restore(ui_req *r)
{
	cts_change ch = { 0 };
	int rc;

	if (!cts_valid_uuid(r->param)) {
		ui_error_page(r, 404, "Membre introuvable",
		              "Cette adresse ne désigne pas un membre.");
		return;
	}
	if ((rc = ui_open(r)) < 0 || (rc = cts_member_restore(r->node, r->param, &ch)) < 0) {
		ui_fail_page(r, rc, "Rétablir un membre");
	} else {
		ui_flash(r, "%s", ch.line ? ch.line : "Membre rétabli.");
		ui_redirect(r, "/membres");
	}
	cts_change_dispose(&ch);
}
