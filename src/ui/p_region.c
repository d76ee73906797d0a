/* The regional node: Territoires et postes (enrolment, revocation),
 * Réception (pull) and Audit. */
#include "app.h"

#include "error.h"
#include "region.h"
#include "tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

static const char *const enroll_fields[] = { "key", "node", "territory", NULL };

static void nodes_table(ui_req *r, const json_t *nodes)
{
	char when[32];
	size_t i;
	json_t *o;

	H("<table><caption>Postes inscrits au registre</caption><thead><tr><th "
	  "scope=\"col\">Poste</th>"
	  "<th scope=\"col\">Territoire</th><th scope=\"col\">État</th><th scope=\"col\">Dernier "
	  "n° reçu</th>"
	  "<th scope=\"col\">Reçu le</th><th scope=\"col\">En attente</th>"
	  "<th scope=\"col\"><span "
	  "class=\"visually-hidden\">Actions</span></th></tr></thead><tbody>");
	json_array_foreach(nodes, i, o)
	{
		int auth = strcmp(ui_str(o, "role"), "authority") == 0;
		json_t *rev = json_object_get(o, "revoked_after");
		H("<tr><th scope=\"row\">%s</th><td>%s</td><td>", ui_str(o, "node"),
		  auth ? "(région)" : ui_str(o, "territory"));
		if (auth)
			H("Autorité régionale");
		else if (json_is_integer(rev))
			H("<strong>Révoqué</strong> après le n°%lld",
			  (long long)json_integer_value(rev));
		else
			H("Actif");
		H("</td><td>%lld</td><td>%s</td><td>%lld</td><td>", ui_int(o, "last_seq"),
		  *ui_str(o, "last_time") ? ui_time_fr(ui_str(o, "last_time"), when) : "—",
		  ui_int(o, "waiting"));
		if (!auth && !json_is_integer(rev))
			H("<a href=\"/territoires/%s/revoquer\">Révoquer<span "
			  "class=\"visually-hidden\"> le poste %s</span></a>",
			  ui_str(o, "node"), ui_str(o, "node"));
		H("</td></tr>");
	}
	H("</tbody></table>");
}

static void nodes_page(ui_req *r, const json_t *nodes, const ui_fs *fs)
{
	r->errors_in_page = fs->error || fs->busy;
	ui_page_begin(r, "Territoires et postes", "nodes");
	ui_error_summary(r, fs, "key");
	if (nodes)
		nodes_table(r, nodes);
	H("<section aria-labelledby=\"h-enroll\"><h2 id=\"h-enroll\">Inscrire un poste</h2>"
	  "<p>Sur le poste à inscrire, la commande « ctsnode key show » (ou son tableau de bord) "
	  "affiche sa clé, "
	  "une ligne qui commence par ssh-ed25519. Collez-la ici. L'inscription est signée et "
	  "publiée à la "
	  "prochaine réception.</p>");
	ui_form_begin(r, "/territoires", 0, "form");
	ui_input(r, fs, "key", "Clé du poste", NULL, NULL,
	         "La ligne complète : ssh-ed25519 AAAA… identifiant-du-poste",
	         UI_F_REQUIRED | UI_F_TEXTAREA | UI_F_WIDE | UI_F_SHORT);
	H("<div class=\"cols\">");
	ui_input(r, fs, "node", "Identifiant du poste", "text", NULL,
	         "Par exemple le-havre-secretariat ; laissé vide, il est pris à la fin de la clé.",
	         0);
	ui_input(r, fs, "territory", "Code du territoire", "text", NULL, "Par exemple le-havre.",
	         UI_F_REQUIRED);
	H("</div>");
	ui_button(r, "Inscrire le poste", NULL);
	ui_form_end(r);
	H("</section>");
	ui_page_end(r);
}

void ui_page_nodes(ui_req *r)
{
	json_t *nodes = NULL;
	ui_fs fs = { 0 };
	int rc;

	if ((rc = ui_open(r)) < 0 || (rc = cts_region_nodes(r->node, &nodes)) < 0) {
		ui_fail_page(r, rc, "Territoires et postes");
		return;
	}
	nodes_page(r, nodes, &fs);
	json_decref(nodes);
}

/* The node id at the end of a key line "ssh-ed25519 AAAA... NODE". */
static void node_from_key(const char *key, char *out, size_t len)
{
	const char *p = key, *word = NULL;
	size_t n = 0;

	out[0] = '\0';
	for (int w = 0; *p && w < 3; w++) {
		while (*p == ' ' || *p == '\t')
			p++;
		word = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		if (w == 2)
			n = (size_t)(p - word);
	}
	if (n && n < len) {
		memcpy(out, word, n);
		out[n] = '\0';
	}
}

void ui_post_node_enroll(ui_req *r)
{
	const char *key = ui_arg(r, "key"), *node = ui_arg(r, "node"),
	           *terr = ui_arg(r, "territory");
	json_t *nodes = NULL;
	ui_fs fs = { .values = r->form };
	char guessed[80], line[600];
	int rc, already = 0;
	size_t len;

	/* One line, as pasted (a final newline or spaces are not part of it). */
	snprintf(line, sizeof(line), "%s", key);
	len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
		line[--len] = '\0';
	if (!*node) {
		node_from_key(line, guessed, sizeof(guessed));
		node = guessed;
	}
	if ((rc = ui_open(r)) < 0 ||
	    (rc = cts_region_enroll(r->node, node, terr, line, &already)) < 0) {
		ui_fs_refuse(r, &fs, rc, "registry", enroll_fields);
		if (!*node && !fs.busy) {
			snprintf(fs.msg, sizeof(fs.msg),
			         "l'identifiant du poste est obligatoire (la clé collée ne le "
			         "contient pas)");
			fs.field = "node";
		}
		if (r->node && cts_region_nodes(r->node, &nodes) < 0)
			cts_error_clear();
		nodes_page(r, nodes, &fs);
		json_decref(nodes);
		return;
	}
	if (already)
		ui_flash(r, "Le poste %s est déjà inscrit pour le territoire %s.", node, terr);
	else
		ui_flash(r,
		         "Poste %s inscrit pour le territoire %s ; l'inscription sera publiée à la "
		         "prochaine réception.",
		         node, terr);
	ui_redirect(r, "/territoires");
}

static void revoke_page(ui_req *r, const json_t *o, const ui_fs *fs)
{
	char title[120], action[120], last[24];

	snprintf(title, sizeof(title), "Révoquer le poste %s", r->param);
	snprintf(action, sizeof(action), "/territoires/%s/revoquer", r->param);
	snprintf(last, sizeof(last), "%lld", ui_int(o, "last_seq"));
	r->errors_in_page = fs->error || fs->busy;
	ui_page_begin(r, title, "nodes");
	ui_error_summary(r, fs, "after_seq");
	H("<p>Le poste <strong>%s</strong> (territoire %s) ne pourra plus publier : ses changesets "
	  "après le numéro "
	  "indiqué seront refusés partout. Son travail jusqu'à ce numéro reste valable. Pour "
	  "remplacer un poste perdu "
	  "ou une clé compromise, inscrivez d'abord son remplaçant, puis révoquez l'ancien.</p>",
	  r->param, ui_str(o, "territory"));
	ui_form_begin(r, action, 0, "form narrow");
	ui_input(r, fs, "after_seq", "Dernier numéro de changeset accepté", "number", last,
	         "Par défaut, le dernier reçu de ce poste.", UI_F_REQUIRED);
	H("<div class=\"buttons\">");
	ui_button(r, "Révoquer ce poste", "danger");
	H("<a class=\"button secondary\" href=\"/territoires\">Annuler</a></div>");
	ui_form_end(r);
	ui_page_end(r);
}

static const json_t *load_node(ui_req *r, json_t **nodes)
{
	const json_t *o;
	int rc;

	*nodes = NULL;
	if (!cts_valid_node_id(r->param)) {
		ui_error_page(r, 404, "Poste introuvable",
		              "Cette adresse ne désigne pas un poste.");
		return NULL;
	}
	if ((rc = ui_open(r)) < 0 || (rc = cts_region_nodes(r->node, nodes)) < 0) {
		ui_fail_page(r, rc, "Révoquer un poste");
		return NULL;
	}
	if (!(o = ui_find(*nodes, "node", r->param)))
		ui_error_page(r, 404, "Poste introuvable",
		              "Ce poste n'est pas inscrit au registre.");
	return o;
}

void ui_page_node_revoke(ui_req *r)
{
	json_t *nodes;
	const json_t *o = load_node(r, &nodes);
	ui_fs fs = { 0 };

	if (o)
		revoke_page(r, o, &fs);
	json_decref(nodes);
}

void ui_post_node_revoke(ui_req *r)
{
	static const char *const fields[] = { "after_seq", NULL };
	const char *v = ui_arg(r, "after_seq");
	json_t *nodes;
	const json_t *o = load_node(r, &nodes);
	ui_fs fs = { .values = r->form };
	char *end;
	long long after;
	int rc;

	if (!o) {
		json_decref(nodes);
		return;
	}
	errno = 0;
	after = strtoll(v, &end, 10);
	if (!*v || *end || errno) {
		snprintf(fs.msg, sizeof(fs.msg), "le numéro attend un nombre entier");
		fs.error = fs.msg;
		fs.field = "after_seq";
		r->status = 400;
		revoke_page(r, o, &fs);
	} else if ((rc = cts_region_revoke(r->node, r->param, after)) < 0) {
		ui_fs_refuse(r, &fs, rc, "registry", fields);
		if (!fs.field)
			fs.field = "after_seq";
		revoke_page(r, o, &fs);
	} else {
		ui_flash(r,
		         "Poste %s révoqué : ses changesets après le n°%lld seront refusés. La "
		         "révocation sera publiée à "
		         "la prochaine réception.",
		         r->param, after);
		ui_redirect(r, "/territoires");
	}
	json_decref(nodes);
}

/* ---- Réception ---- */

void ui_page_reception(ui_req *r)
{
	r->refresh = ui_job_running(r->app);
	ui_page_begin(r, "Réception", "reception");
	H("<p>La réception récupère dans le dépôt régional (%s) le travail de tous les postes, le "
	  "vérifie (signatures, "
	  "inscriptions, droits), l'importe, signe un point de contrôle et publie le registre.</p>",
	  r->app->ident.remote ? r->app->ident.remote : "aucun dépôt configuré");
	ui_sync_panel(r, 2, "/reception", "Recevoir maintenant");
	ui_page_end(r);
}

void ui_post_reception(ui_req *r)
{
	ui_start_signed_job(r, UI_JOB_PULL, "sync");
}

/* ---- Audit ---- */

static void audit_nodes(ui_req *r, const json_t *nodes)
{
	const char *id;
	json_t *o;

	H("<table><caption>Postes vus dans le dépôt</caption><thead><tr><th "
	  "scope=\"col\">Poste</th>"
	  "<th scope=\"col\">Territoire</th><th scope=\"col\">Changesets</th><th "
	  "scope=\"col\">Vérifiés</th>"
	  "<th scope=\"col\">Constats</th></tr></thead><tbody>");
	json_object_foreach((json_t *)nodes, id, o) H(
	    "<tr><th scope=\"row\">%s</th><td>%s</td><td>%lld</td><td>%lld</td><td>%lld</td></tr>",
	    id, ui_str(o, "territory"), ui_int(o, "changesets"), ui_int(o, "verified"),
	    ui_int(o, "findings"));
	H("</tbody></table>");
}

static void audit_findings(ui_req *r, const json_t *findings, long long total)
{
	size_t i;
	json_t *f;

	H("<table><caption>%lld constat(s)</caption><thead><tr><th scope=\"col\">Type</th><th "
	  "scope=\"col\">Poste</th>"
	  "<th scope=\"col\">N°</th><th scope=\"col\">Détail</th></tr></thead><tbody>",
	  total);
	json_array_foreach(findings, i, f)
	{
		H("<tr><td><code>%s</code></td><td>%s</td><td>", ui_str(f, "kind"),
		  ui_str(f, "node"));
		if (json_is_integer(json_object_get(f, "seq")))
			H("%lld", ui_int(f, "seq"));
		else
			H("—");
		H("</td><td>%s</td></tr>", ui_str(f, "detail"));
	}
	H("</tbody></table>");
}

static void audit_result(ui_req *r, const ui_outcome *o)
{
	char when[32];
	const json_t *rep = o->audit;
	long long total;

	H("<section aria-labelledby=\"h-result\"><h2 id=\"h-result\">Dernier audit : "
	  "%s</h2><p>Dépôt : <code>%s</code></p>",
	  ui_epoch_fr(o->finished, when), o->repository);
	if (o->rc < 0) {
		H("<p class=\"state bad\"><strong>L'audit n'a pas pu se "
		  "faire.</strong></p><p>%s</p></section>",
		  o->message);
		return;
	}
	total = ui_int(rep, "findings_total");
	if (json_is_true(json_object_get(rep, "ok")))
		H("<p class=\"state ok\"><strong>Aucun constat</strong> : %lld changeset(s) de "
		  "%lld commit(s) vérifiés, "
		  "l'historique est authentique et complet.</p>",
		  ui_int(rep, "changesets"), ui_int(rep, "commits"));
	else
		H("<p class=\"state bad\"><strong>%lld constat(s)</strong> sur %lld changeset(s) : "
		  "détail ci-dessous.</p>",
		  total, ui_int(rep, "changesets"));
	audit_nodes(r, json_object_get(rep, "nodes"));
	if (total)
		audit_findings(r, json_object_get(rep, "findings"), total);
	H("</section>");
}

void ui_page_audit(ui_req *r)
{
	ui_outcome o;

	r->refresh = ui_job_running(r->app);
	ui_page_begin(r, "Audit", "audit");
	H("<p>L'audit relit tout l'historique du dépôt régional (%s) sans faire confiance à ce "
	  "poste : signatures de "
	  "chaque changeset et de chaque commit, chaînes complètes, inscriptions et révocations, "
	  "droits d'écriture, "
	  "points de contrôle. Chaque anomalie est un constat.</p>",
	  r->app->ident.remote ? r->app->ident.remote : "aucun dépôt configuré");
	if (!ui_job_progress(r, 1u << UI_JOB_AUDIT)) {
		ui_outcome_copy(r->app, UI_JOB_AUDIT, &o);
		if (o.kind == UI_JOB_AUDIT)
			audit_result(r, &o);
		ui_outcome_dispose(&o);
		ui_form_begin(r, "/audit", 0, "form");
		ui_button(r, "Lancer l'audit", NULL);
		ui_form_end(r);
	}
	ui_page_end(r);
}

void ui_post_audit(ui_req *r)
{
	int rc = ui_job_start(r->app, UI_JOB_AUDIT, NULL);

	if (rc == CTS_EBUSY)
		ui_flash(
		    r,
		    "Une opération est déjà en cours : relancez l'audit quand elle sera terminée.");
	else if (rc < 0) {
		ui_fail_page(r, rc, "Audit");
		return;
	}
	ui_redirect(r, "/audit");
}
