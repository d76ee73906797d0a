/* Conflits: both values side by side, who wrote them and when, a choice. */
#include "app.h"

#include "error.h"
#include "hlc.h"
#include "meeting.h"
#include "member.h"
#include "opinion.h"
#include "contribution.h"
#include "record.h"
#include "rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

typedef struct {
	json_t *members, *meetings, *opinions, *contributions;
} lookups;

/* "la structure", from the domain rules (rules.h). */
static const char *field_label(const char *table, const char *f)
{
	const cts_field_rule *rule = cts_rules_find(table, f);

	return rule && rule->label ? rule->label : f;
}

/* "du membre DUPONT Jean", "de la réunion du 16/06/2020 « ... »" ... */
static void record_label(ui_req *r, const lookups *lk, const char *table, const char *id)
{
	const json_t *o;
	char d[11];

	if (strcmp(table, "member") == 0 && (o = ui_find(lk->members, "id", id)))
		H("du membre %s %s", ui_str(o, "last_name"), ui_str(o, "first_name"));
	else if (strcmp(table, "meeting") == 0 && (o = ui_find(lk->meetings, "id", id)))
		H("de la réunion du %s « %s »", ui_date_fr(ui_str(o, "date"), d),
		  ui_str(o, "title"));
	else if (strcmp(table, "opinion") == 0 && (o = ui_find(lk->opinions, "id", id)))
		H("de l'avis « %s »", ui_str(o, "subject"));
	else if (strcmp(table, "contribution") == 0 && (o = ui_find(lk->contributions, "id", id)))
		H("de la contribution « %s »", ui_str(o, "title"));
	else if (strcmp(table, "attendance") == 0)
		H("d'une présence (fiche %.8s)", id);
	else
		H("de l'enregistrement %s %.8s", table, id);
}

static void value(ui_req *r, const char *field, const json_t *v)
{
	const char *s = json_string_value(v);
	char d[11];

	if (json_is_null(v) || !v)
		H("<em>(vide)</em>");
	else if (json_is_integer(v))
		H("%lld", (long long)json_integer_value(v));
	else if (strcmp(field, "college") == 0)
		H("%s", ui_college_label(s));
	else if (strcmp(field, "body") == 0)
		H("%s", ui_body_label(s));
	else if (strcmp(field, "outcome") == 0)
		H("%s", ui_outcome_label(s));
	else if (strstr(field, "date") || strncmp(field, "mandate_", 8) == 0)
		H("%s", *ui_date_fr(s, d) ? d : s);
	else if (strcmp(field, "status") == 0)
		H("%s", *ui_attendance_label(s) && strcmp(ui_attendance_label(s), s) != 0
		            ? ui_attendance_label(s)
		            : ui_meeting_status_label(s));
	else if (s)
		H("%s", s);
	else
		H("<em>(valeur non affichable)</em>");
}

static void side(ui_req *r, const json_t *c, const char *pre)
{
	char key[32], when[32];
	time_t t;

	snprintf(key, sizeof(key), "%s_hlc", pre);
	t = (time_t)(CTS_HLC_MS((uint64_t)ui_int(c, key)) / 1000);
	snprintf(key, sizeof(key), "%s_node", pre);
	H("<p class=\"who\">écrite par le poste <strong>%s</strong>", ui_str(c, key));
	snprintf(key, sizeof(key), "%s_seq", pre);
	H(" (changeset n°%lld), le %s</p>", ui_int(c, key), ui_epoch_fr(t, when));
}

static void conflict_card(ui_req *r, const lookups *lk, const json_t *c)
{
	long long id = ui_int(c, "id");
	const char *field = ui_str(c, "field");
	char action[160];

	H("<section class=\"card conflict\" aria-labelledby=\"c-%lld\"><h2 id=\"c-%lld\">Conflit "
	  "n°%lld : %s ",
	  id, id, id, field_label(ui_str(c, "table"), field));
	record_label(r, lk, ui_str(c, "table"), ui_str(c, "record"));
	H("</h2><p>Deux postes ont modifié ce champ sans avoir vu la modification de l'autre. La "
	  "valeur retenue "
	  "s'applique en attendant ; l'autre est gardée ici jusqu'à votre choix.</p><div "
	  "class=\"sides\">"
	  "<div class=\"side\"><h3>Valeur retenue</h3><p class=\"value\">");
	value(r, field, json_object_get(c, "win_value"));
	H("</p>");
	side(r, c, "win");
	H("</div><div class=\"side\"><h3>Autre valeur</h3><p class=\"value\">");
	value(r, field, json_object_get(c, "lose_value"));
	H("</p>");
	side(r, c, "lose");
	H("</div></div>");
	if (strcmp(ui_str(c, "territory"), r->app->ident.territory) != 0) {
		H("<p>Ce conflit concerne le territoire %s : il se tranche sur un de ses "
		  "postes.</p></section>",
		  ui_str(c, "territory"));
		return;
	}
	snprintf(action, sizeof(action), "/conflits/%lld", id);
	ui_form_begin(r, action, 0, "form");
	H("<fieldset class=\"field radios\"><legend>Valeur à garder pour le conflit n°%lld</legend>"
	  "<div class=\"radio\"><input type=\"radio\" id=\"keep-%lld-w\" name=\"keep\" "
	  "value=\"retenue\" checked>"
	  "<label for=\"keep-%lld-w\">la valeur retenue (",
	  id, id, id);
	value(r, field, json_object_get(c, "win_value"));
	H(")</label></div><div class=\"radio\"><input type=\"radio\" id=\"keep-%lld-l\" "
	  "name=\"keep\" value=\"ecartee\">"
	  "<label for=\"keep-%lld-l\">l'autre valeur (",
	  id, id);
	value(r, field, json_object_get(c, "lose_value"));
	H(")</label></div></fieldset>");
	ui_button(r, "Trancher", NULL);
	ui_form_end(r);
	H("</section>");
}

void ui_page_conflicts(ui_req *r)
{
	lookups lk = { 0 };
	json_t *list = NULL, *c;
	cts_node *n;
	size_t i;
	int rc;

	if ((rc = ui_open(r)) < 0 || (rc = cts_record_conflicts(r->node->store, 0, &list)) < 0) {
		ui_fail_page(r, rc, "Conflits");
		return;
	}
	n = r->node;
	if (json_array_size(list) &&
	    (cts_change_list(n, "member", NULL, &lk.members) < 0 ||
	     cts_change_list(n, "meeting", NULL, &lk.meetings) < 0 ||
	     cts_change_list(n, "opinion", NULL, &lk.opinions) < 0 ||
	     cts_change_list(n, "contribution", NULL, &lk.contributions) < 0))
		cts_error_clear(); /* labels only: the conflicts show with ids */
	ui_page_begin(r, "Conflits", "conflicts");
	if (!json_array_size(list))
		H("<p>Aucun conflit à trancher : aucune donnée n'a été modifiée en même temps sur "
		  "deux postes.</p>");
	else
		H("<p>%zu conflit(s) à trancher. Votre choix est une modification signée ordinaire "
		  ": il clôt le conflit "
		  "sur tous les postes qui la reçoivent.</p>",
		  json_array_size(list));
	json_array_foreach(list, i, c) conflict_card(r, &lk, c);
	ui_page_end(r);
	json_decref(list);
	json_decref(lk.members);
	json_decref(lk.meetings);
	json_decref(lk.opinions);
	json_decref(lk.contributions);
}

void ui_post_conflict_resolve(ui_req *r)
{
	const char *keep = ui_arg(r, "keep");
	char *end;
	long long id;
	int rc;

	errno = 0;
	id = strtoll(r->param, &end, 10);
	if (*end || errno || id <= 0) {
		ui_error_page(r, 404, "Conflit introuvable",
		              "Cette adresse ne désigne pas un conflit.");
		return;
	}
	if (strcmp(keep, "retenue") != 0 && strcmp(keep, "ecartee") != 0) {
		ui_error_page(
		    r, 400, "Conflits",
		    "Choisissez la valeur à garder : la valeur retenue ou l'autre valeur.");
		return;
	}
	if ((rc = ui_open(r)) < 0 ||
	    (rc = cts_record_conflict_resolve(r->node->store, r->node->territory, id,
	                                      strcmp(keep, "retenue") == 0)) < 0) {
		ui_fail_page(r, rc, "Conflits");
		return;
	}
	ui_flash(r,
	         "Conflit n°%lld tranché (%s gardée) ; la décision sera signée à la prochaine "
	         "synchronisation.",
	         id, strcmp(keep, "retenue") == 0 ? "valeur retenue" : "autre valeur");
	ui_redirect(r, "/conflits");
}
