/* Tableau de bord: this node, its exchanges with the region, what to review. */
#include "app.h"

#include "error.h"
#include "importer.h"
#include "incident.h"
#include "meeting.h"
#include "member.h"
#include "record.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

typedef struct {
	int64_t pending_ops, last_seq, pushed_seq, incidents;
	size_t conflicts, refused, held, waiting;
	char *last_sync;
	int enrolled; /* territory: 1 enrolled, 0 not yet, -1 revoked */
	size_t members, meetings;
} facts;

static int count_array(json_t *arr, size_t *out)
{
	*out = json_array_size(arr);
	json_decref(arr);
	return 0;
}

static int gather(cts_node *n, facts *f)
{
	json_t *arr = NULL;
	cts_registry_entry e;
	int rc;

	if ((rc = cts_record_pending_ops(n->store, &f->pending_ops)) < 0 ||
	    (rc = cts_store_meta_get_int(n->store, "last_seq", &f->last_seq, 0)) < 0 ||
	    (rc = cts_store_meta_get_int(n->store, "pushed_seq", &f->pushed_seq, 0)) < 0 ||
	    (rc = cts_incident_count(n->store, &f->incidents)) < 0 ||
	    (rc = cts_record_conflicts(n->store, 0, &arr)) < 0 ||
	    (rc = count_array(arr, &f->conflicts)) < 0 ||
	    (rc = cts_import_inbox(n, "refused", &arr)) < 0 ||
	    (rc = count_array(arr, &f->refused)) < 0 ||
	    (rc = cts_import_inbox(n, "held", &arr)) < 0 || (rc = count_array(arr, &f->held)) < 0 ||
	    (rc = cts_import_inbox(n, "pending", &arr)) < 0 ||
	    (rc = count_array(arr, &f->waiting)) < 0)
		return rc;
	rc = cts_sync_last(n, &f->last_sync);
	if (rc < 0 && rc != CTS_ENOTFOUND)
		return rc;
	if ((rc = cts_registry_get(n, n->id, &e)) == 0) {
		f->enrolled = e.revoked_after >= 0 ? -1 : 1;
		cts_registry_entry_dispose(&e);
	} else if (rc != CTS_ENOTFOUND) {
		return rc;
	}
	if (n->role == CTS_ROLE_TERRITORY) {
		if ((rc = cts_change_list(n, "member", n->territory, &arr)) < 0 ||
		    (rc = count_array(arr, &f->members)) < 0 ||
		    (rc = cts_change_list(n, "meeting", n->territory, &arr)) < 0 ||
		    (rc = count_array(arr, &f->meetings)) < 0)
			return rc;
	}
	cts_error_clear();
	return 0;
}

static void node_section(ui_req *r, const facts *f)
{
	ui_app *a = r->app;

	H("<section class=\"card\" aria-labelledby=\"h-poste\"><h2 id=\"h-poste\">Ce poste</h2><dl "
	  "class=\"facts\">"
	  "<dt>%s</dt><dd>%s</dd><dt>Poste</dt><dd>%s</dd><dt>Inscription</dt><dd>",
	  a->role == CTS_ROLE_AUTHORITY ? "Région" : "Territoire", a->ident.territory, a->ident.id);
	if (a->role == CTS_ROLE_AUTHORITY)
		H("Nœud régional (autorité) : il inscrit les postes des territoires.");
	else if (f->enrolled == 1)
		H("Inscrit par le coordinateur régional.");
	else if (f->enrolled == -1)
		H("<strong>Révoqué</strong> : ce poste ne peut plus publier de modifications ; "
		  "contactez le coordinateur.");
	else
		H("<strong>Pas encore inscrit</strong> (ou l'inscription n'est pas encore reçue) : "
		  "envoyez au "
		  "coordinateur régional la clé ci-dessous, puis synchronisez.");
	H("</dd><dt>Clé publique</dt><dd><code class=\"key\">%s</code></dd></dl></section>",
	  a->ident.public_key);
}

static void sync_section(ui_req *r, const facts *f)
{
	char when[32];
	long long unsent = f->last_seq - f->pushed_seq;

	H("<section class=\"card\" aria-labelledby=\"h-sync\"><h2 id=\"h-sync\">Échanges avec la "
	  "région</h2><dl class=\"facts\">"
	  "<dt>Dernière synchronisation réussie</dt><dd>%s</dd><dt>Dépôt régional</dt><dd>%s</dd>"
	  "<dt>En attente d'envoi</dt><dd>",
	  f->last_sync ? ui_time_fr(f->last_sync, when) : "jamais",
	  r->app->ident.remote ? r->app->ident.remote
	                       : "aucun (à configurer avec « ctsnode sync --remote »)");
	if (f->pending_ops == 0 && unsent <= 0)
		H("rien : tout est envoyé");
	else if (f->pending_ops > 0)
		H("%lld modification(s) saisie(s)%s", (long long)f->pending_ops,
		  unsent > 0 ? ", et des changesets scellés pas encore envoyés" : "");
	else
		H("%lld changeset(s) scellé(s) pas encore envoyé(s)", unsent);
	H("</dd></dl>");
	ui_sync_panel(r, 3, "/synchroniser", "Synchroniser maintenant");
	H("</section>");
}

static void review_section(ui_req *r, const facts *f)
{
	H("<section class=\"card\" aria-labelledby=\"h-review\"><h2 id=\"h-review\">À "
	  "examiner</h2><ul class=\"facts\">");
	ui_fact(r, f->conflicts != 0, "Aucun conflit à trancher.",
	        "<li><a href=\"/conflits\">%zu conflit(s) à trancher</a> : deux postes ont "
	        "modifié la même donnée.</li>",
	        f->conflicts);
	ui_fact(r, f->refused != 0, "Aucun changeset refusé.",
	        "<li class=\"bad\">%zu changeset(s) reçu(s) refusé(s) (signature, droits ou "
	        "bifurcation) : voir « ctsnode status ».</li>",
	        f->refused);
	if (f->held || f->waiting)
		H("<li>%zu changeset(s) en attente (poste pas encore inscrit, numéro manquant ou "
		  "horloge en avance).</li>",
		  f->held + f->waiting);
	if (f->incidents)
		H("<li class=\"bad\">%lld incident(s) constaté(s) pendant les échanges : voir « "
		  "ctsnode status ».</li>",
		  (long long)f->incidents);
	H("</ul></section>");
}

static void numbers_section(ui_req *r, const facts *f)
{
	H("<section class=\"card\" aria-labelledby=\"h-reg\"><h2 id=\"h-reg\">Registres</h2><ul "
	  "class=\"facts\">"
	  "<li><a href=\"/membres\">%zu membre(s)</a> au conseil</li><li><a href=\"/reunions\">%zu "
	  "réunion(s)</a> "
	  "enregistrée(s)</li></ul><p><a class=\"button secondary\" "
	  "href=\"/reunions/nouvelle\">Ajouter une réunion</a> "
	  "<a class=\"button secondary\" href=\"/membres/nouveau\">Ajouter un "
	  "membre</a></p></section>",
	  f->members, f->meetings);
}

void ui_page_home(ui_req *r)
{
	facts f = { 0 };
	int rc;

	if ((rc = ui_open(r)) < 0 || (rc = gather(r->node, &f)) < 0) {
		free(f.last_sync);
		ui_fail_page(r, rc, "Tableau de bord");
		return;
	}
	ui_page_begin(r, "Tableau de bord", "home");
	H("<div class=\"grid\">");
	node_section(r, &f);
	sync_section(r, &f);
	review_section(r, &f);
	if (r->app->role == CTS_ROLE_TERRITORY)
		numbers_section(r, &f);
	H("</div>");
	ui_page_end(r);
	free(f.last_sync);
}
