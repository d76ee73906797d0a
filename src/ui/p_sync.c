/* Synchroniser: start, progress, outcome; the passphrase and Verrouiller. */
#include "app.h"

#include "error.h"
#include "key.h"
#include "tables.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H(...) ui_html_f(&r->page, __VA_ARGS__)

void ui_outcome_copy(ui_app *a, ui_job_kind kind, ui_outcome *out)
{
	const ui_outcome *src;

	pthread_mutex_lock(&a->job.mx);
	src = kind == UI_JOB_AUDIT ? &a->job.last_audit : &a->job.last_sync;
	*out = *src;
	out->events = json_deep_copy(src->events);
	out->findings = json_deep_copy(src->findings);
	out->blocked = json_deep_copy(src->blocked);
	out->audit = json_deep_copy(src->audit);
	pthread_mutex_unlock(&a->job.mx);
}

static const char *kind_label(ui_job_kind k)
{
	return k == UI_JOB_AUDIT ? "Audit" : k == UI_JOB_PULL ? "Réception" : "Synchronisation";
}

int ui_job_progress(ui_req *r, unsigned kinds)
{
	ui_app *a = r->app;
	char phase[200];
	size_t done, total;
	ui_job_kind kind;
	int running;

	pthread_mutex_lock(&a->job.mx);
	running = a->job.running;
	kind = a->job.kind;
	snprintf(phase, sizeof(phase), "%s", a->job.phase);
	done = a->job.done;
	total = a->job.total;
	pthread_mutex_unlock(&a->job.mx);
	if (!running || !(kinds & (1u << kind)))
		return 0;
	H("<section class=\"job\" data-job=\"/synchroniser/etat\" aria-labelledby=\"job-title\">"
	  "<h2 id=\"job-title\">%s en cours</h2>"
	  "<p class=\"phase\" id=\"job-phase\" aria-live=\"polite\">%s",
	  kind_label(kind), phase);
	if (total)
		H(" : %zu sur %zu", done, total);
	else if (done)
		H(" : %zu", done);
	H("</p><p class=\"hint\">Cette page se met à jour toute seule ; vous pouvez aussi "
	  "continuer à travailler : "
	  "le résultat restera affiché ici.</p></section>");
	return 1;
}

static size_t count_state(const json_t *events, const char *state)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(events, i, e) n += strcmp(ui_str(e, "state"), state) == 0;
	return n;
}

static void events_table(ui_req *r, const json_t *events, const json_t *findings)
{
	static const char *const states[] = { "refused", "held", "pending", NULL };
	static const char *const labels[] = { "Refusé", "Retenu (horloge en avance)", "En attente",
		                              NULL };
	size_t i;
	json_t *e;

	if (!json_array_size(findings) && !count_state(events, "refused") &&
	    !count_state(events, "held") && !count_state(events, "pending"))
		return;
	H("<table><caption>Changesets non appliqués et constats</caption><thead><tr><th "
	  "scope=\"col\">État</th>"
	  "<th scope=\"col\">Poste</th><th scope=\"col\">N°</th><th "
	  "scope=\"col\">Raison</th></tr></thead><tbody>");
	json_array_foreach(events, i, e)
	{
		int k = cts_code_index(states, ui_str(e, "state"));
		if (k < 0)
			continue;
		H("<tr><td>%s</td><td>%s</td><td>%lld</td><td>%s</td></tr>", labels[k],
		  ui_str(e, "node"), ui_int(e, "seq"), ui_str(e, "reason"));
	}
	json_array_foreach(findings, i, e)
	    H("<tr><td>Constat</td><td>%s</td><td>%lld</td><td>%s</td></tr>", ui_str(e, "node"),
	      ui_int(e, "seq"), ui_str(e, "reason"));
	H("</tbody></table>");
}

void ui_sync_outcome(ui_req *r, const ui_outcome *o, int hl)
{
	char when[32];
	size_t refused = count_state(o->events, "refused");

	if (o->kind == UI_JOB_NONE)
		return;
	H("<section class=\"outcome\" aria-labelledby=\"outcome-title\"><h%d "
	  "id=\"outcome-title\">Dernière %s : %s</h%d>",
	  hl, o->kind == UI_JOB_PULL ? "réception" : "synchronisation",
	  ui_epoch_fr(o->finished, when), hl);
	if (o->rc == CTS_ENET) {
		H("<p class=\"state warn\"><strong>Hors ligne : travail gardé, envoi au prochain "
		  "essai.</strong></p>"
		  "<p>Le dépôt régional n'a pas répondu. Vos modifications sont scellées et "
		  "signées sur ce poste ; "
		  "la prochaine synchronisation les enverra.</p><p class=\"detail\">%s</p>",
		  o->message);
	} else if (o->rc < 0) {
		H("<p class=\"state bad\"><strong>La %s n'a pas abouti.</strong></p><p>%s</p>",
		  o->kind == UI_JOB_PULL ? "réception" : "synchronisation", o->message);
	} else {
		if (json_array_size(o->blocked))
			H("<p class=\"state bad\"><strong>%s faite, mais une branche de ce poste "
			  "n'a pas pu être envoyée.</strong>"
			  "</p><ul class=\"facts\">",
			  o->kind == UI_JOB_PULL ? "Réception" : "Synchronisation");
		else
			H("<p class=\"state ok\"><strong>%s réussie.</strong></p><ul "
			  "class=\"facts\">",
			  o->kind == UI_JOB_PULL ? "Réception" : "Synchronisation");
		ui_fact(r, o->committed || o->sealed, "Envoyé : rien de nouveau à envoyer.",
		        "<li>Envoyé : %d lot(s) de modifications signé(s), déposé(s) sur le "
		        "dépôt régional.</li>",
		        o->committed ? o->committed : o->sealed);
		ui_fact(r, o->accepted != 0, "Reçu : rien de nouveau.",
		        "<li>Reçu : %d lot(s) de modifications d'autres postes ou de la région, "
		        "vérifié(s) et appliqué(s).</li>",
		        o->accepted);
		if (o->checkpointed)
			H("<li>Point de contrôle signé pour %d poste(s).</li>", o->checkpointed);
		if (json_array_size(o->blocked)) {
			size_t i;
			json_t *b;
			json_array_foreach(o->blocked, i, b)
			    H("<li class=\"bad\">Envoi bloqué (branche %s) : %s</li>",
			      ui_str(b, "branch"), ui_str(b, "detail"));
		}
		if (o->forks)
			H("<li class=\"bad\">%d bifurcation(s) constatée(s) : deux versions "
			  "signées d'un même changeset, "
			  "gardées comme preuve.</li>",
			  o->forks);
		ui_fact(r, refused != 0, "Refusé : aucun.",
		        "<li class=\"bad\">Refusé : %zu changeset(s) (détail ci-dessous).</li>",
		        refused);
		if (o->rebuilt)
			H("<li>La vue locale a été reconstruite (révocation ou bifurcation "
			  "détectée).</li>");
		H("</ul>");
	}
	events_table(r, o->events, o->findings);
	H("</section>");
}

void ui_sync_panel(ui_req *r, int hl, const char *action, const char *button)
{
	ui_outcome o;

	if (ui_job_progress(r, 1u << UI_JOB_SYNC | 1u << UI_JOB_PULL))
		return;
	ui_outcome_copy(r->app, UI_JOB_SYNC, &o);
	ui_sync_outcome(r, &o, hl);
	ui_outcome_dispose(&o);
	ui_form_begin(r, action, 0, "form");
	ui_button(r, button, NULL);
	ui_form_end(r);
}

void ui_page_sync(ui_req *r)
{
	ui_outcome o;
	int running;

	running = ui_job_running(r->app);
	r->refresh = running;
	ui_page_begin(r, "Synchroniser", NULL);
	if (!ui_job_progress(r, 1u << UI_JOB_SYNC | 1u << UI_JOB_PULL)) {
		ui_outcome_copy(r->app, UI_JOB_SYNC, &o);
		if (o.kind == UI_JOB_NONE)
			H("<p>Aucune synchronisation n'a encore été lancée depuis l'ouverture de "
			  "l'interface.</p>");
		ui_sync_outcome(r, &o, 2);
		ui_outcome_dispose(&o);
		H("<p>La synchronisation scelle et signe vos modifications, les envoie au dépôt "
		  "régional, puis reçoit "
		  "celles des autres postes.</p>");
		ui_form_begin(r, "/synchroniser", 0, "form");
		ui_button(r,
		          running ? "Synchroniser (une opération est en cours)"
		                  : "Synchroniser maintenant",
		          NULL);
		ui_form_end(r);
	}
	ui_page_end(r);
}

void ui_page_sync_state(ui_req *r)
{
	ui_app *a = r->app;
	json_t *o;
	char *s;

	pthread_mutex_lock(&a->job.mx);
	o = json_pack("{s:b, s:s, s:s, s:I, s:I}", "running", a->job.running, "kind",
	              a->job.kind == UI_JOB_AUDIT  ? "audit"
	              : a->job.kind == UI_JOB_PULL ? "pull"
	                                           : "sync",
	              "phase", a->job.phase, "done", (json_int_t)a->job.done, "total",
	              (json_int_t)a->job.total);
	pthread_mutex_unlock(&a->job.mx);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s) {
		ui_error_page(r, 500, "Erreur", "mémoire insuffisante");
		return;
	}
	r->body = s;
	r->body_len = strlen(s);
	r->ctype = "application/json; charset=utf-8";
}

static void passphrase_form(ui_req *r, const char *then, const ui_fs *fs)
{
	r->errors_in_page = fs->error != NULL;
	ui_page_begin(r, "Phrase de passe", NULL);
	ui_error_summary(r, fs, "passphrase");
	H("<p>Pour signer les modifications de ce poste, ctsnode a besoin de la phrase de passe de "
	  "sa clé. Elle est "
	  "gardée en mémoire protégée le temps de cette session, oubliée après 15 minutes sans "
	  "activité ou quand vous "
	  "cliquez sur « Verrouiller », et n'est jamais écrite sur le disque.</p>");
	ui_form_begin(r, "/phrase", 0, "form narrow");
	H("<input type=\"hidden\" name=\"then\" value=\"%s\">", then);
	ui_input(r, fs, "passphrase", "Phrase de passe du poste", "password", NULL, NULL,
	         UI_F_REQUIRED);
	ui_button(r, strcmp(then, "sync") == 0 ? "Continuer et synchroniser" : "Continuer", NULL);
	ui_form_end(r);
	ui_page_end(r);
}

void ui_page_passphrase(ui_req *r)
{
	ui_fs fs = { 0 };
	const char *then = ui_arg(r, "then");

	passphrase_form(r, strcmp(then, "sync") == 0 || strcmp(then, "audit") == 0 ? then : "",
	                &fs);
}

void ui_start_signed_job(ui_req *r, ui_job_kind kind, const char *then)
{
	ui_app *a = r->app;
	int rc;

	if (a->key_encrypted && !r->sess->pass) {
		ui_fs fs = { 0 };
		passphrase_form(r, then, &fs);
		return;
	}
	rc = ui_job_start(a, kind, a->key_encrypted ? r->sess->pass : NULL);
	if (rc == CTS_EBUSY)
		ui_flash(r, "Une opération est déjà en cours : son résultat s'affichera ici.");
	else if (rc < 0) {
		ui_fail_page(r, rc, "Synchroniser");
		return;
	}
	ui_redirect(r, kind == UI_JOB_PULL ? "/reception" : "/synchroniser");
}

void ui_post_sync(ui_req *r)
{
	ui_start_signed_job(r, r->app->role == CTS_ROLE_AUTHORITY ? UI_JOB_PULL : UI_JOB_SYNC,
	                    "sync");
}

void ui_post_passphrase(ui_req *r)
{
	const char *pass = ui_form_get(r->form, "passphrase"), *then = ui_arg(r, "then");
	ui_fs fs = { .values = NULL };
	char path[4200];
	cts_key *key = NULL;
	int rc;

	if (strcmp(then, "sync") != 0)
		then = "";
	snprintf(path, sizeof(path), "%s/node.key", r->app->home);
	if (!pass || !*pass) {
		fs.error = "la phrase de passe est obligatoire";
		fs.field = "passphrase";
		r->status = 400;
		passphrase_form(r, then, &fs);
		return;
	}
	rc = cts_key_load(&key, path, pass);
	cts_key_free(key);
	if (rc < 0) {
		fs.error = cts_error_message();
		fs.field = "passphrase";
		r->status = rc == CTS_EAUTH ? 400 : 500;
		passphrase_form(r, then, &fs);
		return;
	}
	if ((rc = ui_session_set_pass(r->sess, pass)) < 0) {
		ui_fail_page(r, rc, "Phrase de passe");
		return;
	}
	if (strcmp(then, "sync") == 0) {
		ui_post_sync(r);
		return;
	}
	ui_flash(
	    r,
	    "Phrase de passe retenue pour cette session (oubliée après 15 minutes sans activité).");
	ui_redirect(r, "/");
}

void ui_post_lock(ui_req *r)
{
	ui_session_lock(r->sess);
	ui_flash(r, "Phrase de passe oubliée : elle sera demandée à la prochaine signature.");
	ui_redirect(r, "/");
}
