/* ctsnode status */
#include "cli.h"

#include "error.h"
#include "importer.h"
#include "incident.h"
#include "record.h"
#include "region.h"
#include "scope.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
    "Usage : ctsnode [--home DOSSIER] status [--json]\n"
    "\n"
    "Montre l'état du nœud : opérations saisies et pas encore scellées, dernier changeset,\n"
    "empreinte du contenu, envoi en attente, et les changesets reçus mais en attente,\n"
    "retenus ou refusés, avec leur raison, et les incidents constatés (branche réécrite,\n"
    "bifurcation, commit étranger...).\n"
    "En tête, « En bref » : inscription du poste, dernière synchronisation (date, ce qu'elle a "
    "fait),\n"
    "travail à envoyer, conflits ouverts, refus à traiter, chacun avec la prochaine étape.\n";

/* The summary for people: one line each, and the next step. Fills o's
 * fields "enrolment", "last_sync", "unsent_changesets", "open_conflicts",
 * "next_steps". */
static int people_summary(cts_node *n, json_t *o, int64_t pending, int64_t unsent, size_t refused,
                          size_t incidents, int human)
{
	const char *state;
	int64_t rev = -1;
	char *when = NULL, *what = NULL;
	json_t *conflicts = NULL, *steps = json_array(), *last = json_null(), *sum = NULL;
	int rc;

	if ((rc = cts_region_self_state(n, &state, &rev)) < 0 ||
	    (rc = cts_record_conflicts(n->store, 0, &conflicts)) < 0)
		goto out;
	if (cts_store_meta_get(n->store, "last_sync", &when) == 0) {
		cts_store_meta_get(n->store, "last_sync_summary", &what);
		sum = what ? json_loads(what, 0, NULL) : NULL;
		last = json_pack("{s:s, s:I, s:I}", "date", when, "sent",
		                 (json_int_t)json_integer_value(json_object_get(sum, "sent")),
		                 "received",
		                 (json_int_t)json_integer_value(json_object_get(sum, "received")));
	}
	cts_error_clear();
	json_object_set_new(o, "enrolment", json_pack("{s:s}", "state", state));
	if (rev >= 0)
		json_object_set_new(json_object_get(o, "enrolment"), "revoked_after",
		                    json_integer(rev));
	json_object_set_new(o, "last_sync", last);
	json_object_set_new(o, "unsent_changesets", json_integer(unsent));
	json_object_set_new(o, "open_conflicts",
	                    json_integer((json_int_t)json_array_size(conflicts)));
	if (human)
		printf("En bref\n");
	if (strcmp(state, "not_enrolled") == 0) {
		json_array_append_new(
		    steps,
		    json_string("Ce poste n'est pas encore inscrit : son travail attend la région. "
		                "Donnez au coordinateur régional la clé de « ctsnode key show »."));
	} else if (strcmp(state, "revoked") == 0) {
		json_array_append_new(
		    steps,
		    json_string(
		        "Ce poste a été révoqué par la région : il n'accepte plus de saisie. "
		        "Exportez ce qui n'a pas été accepté : ctsnode export DOSSIER."));
	} else if (human) {
		printf("  Poste inscrit par la région.\n");
	}
	if (human) {
		if (json_is_object(last))
			printf("  Dernière synchronisation réussie : %s (%lld changeset(s) "
			       "envoyé(s), %lld reçu(s)).\n",
			       when, (long long)json_integer_value(json_object_get(last, "sent")),
			       (long long)json_integer_value(json_object_get(last, "received")));
		else
			printf("  Jamais synchronisé avec le dépôt régional.\n");
	}
	if (pending > 0 || unsent > 0)
		json_array_append_new(
		    steps,
		    json_pack("s", "Du travail attend d'être envoyé : lancez ctsnode sync."));
	if (json_array_size(conflicts) > 0)
		json_array_append_new(
		    steps,
		    json_string(
		        "Des modifications concurrentes sont à examiner : ctsnode conflicts."));
	if (refused > 0 || incidents > 0)
		json_array_append_new(
		    steps,
		    json_string("Des refus ou incidents sont constatés (ci-dessous) : prévenez le "
		                "coordinateur régional."));
	if (human) {
		size_t k;
		json_t *e;
		printf("  Travail à envoyer : %lld saisie(s) non scellée(s), %lld changeset(s) non "
		       "envoyé(s).\n",
		       (long long)pending, (long long)unsent);
		printf("  Conflits ouverts : %zu. Refus à traiter : %zu. Incidents : %zu.\n",
		       json_array_size(conflicts), refused, incidents);
		json_array_foreach(steps, k, e)
		    printf("  Prochaine étape : %s\n", json_string_value(e));
		if (json_array_size(steps) == 0)
			printf("  Rien à faire.\n");
		printf("\n");
	}
	json_object_set(o, "next_steps", steps);
out:
	json_decref(steps);
	json_decref(conflicts);
	json_decref(sum);
	free(when);
	free(what);
	return rc;
}

/* Revoked nodes' later changesets: one informational line per node. */
static void print_ignored(const json_t *ignored)
{
	size_t k;
	json_t *e;

	json_array_foreach(ignored, k, e)
	    printf("Pour information : %lld changeset(s) de %s (n°%lld à n°%lld) ignoré(s), comme "
	           "prévu : ce poste a été "
	           "révoqué après son n°%lld. Rien à faire.\n",
	           (long long)json_integer_value(json_object_get(e, "count")), cli_str(e, "node"),
	           (long long)json_integer_value(json_object_get(e, "first")),
	           (long long)json_integer_value(json_object_get(e, "last")),
	           (long long)json_integer_value(json_object_get(e, "revoked_after")));
}

/* The changesets received and not applied, then the incidents. */
static void print_waiting(json_t *const lists[3])
{
	static const char *const labels[] = { "en attente", "retenu(s)", "refusé(s)" };
	size_t k;
	json_t *e;

	for (int i = 0; i < 3; i++) {
		if (json_array_size(lists[i]) == 0)
			continue;
		printf("Changesets %s : %zu\n", labels[i], json_array_size(lists[i]));
		json_array_foreach(lists[i], k, e) printf(
		    "  %s n°%lld : %s\n", cli_str(e, "node"),
		    (long long)json_integer_value(json_object_get(e, "seq")), cli_str(e, "reason"));
	}
}

static void print_incidents(const json_t *incidents)
{
	size_t k;
	json_t *e;

	if (json_array_size(incidents) == 0)
		return;
	printf("Incidents constatés : %zu\n", json_array_size(incidents));
	json_array_foreach(incidents, k, e)
	{
		json_int_t seq = json_integer_value(json_object_get(e, "seq"));
		printf("  %.10s %s", cli_str(e, "date"), cli_str(e, "node"));
		if (seq > 0)
			printf(" n°%lld", (long long)seq);
		printf(" : %s\n", cli_str(e, "detail"));
	}
}

static int status_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	static const char *const states[] = { "pending", "held", "refused" };
	json_t *lists[3] = { 0 }, *incidents = NULL, *ignored = NULL, *o = NULL, *tdig = NULL;
	char digest[65];
	int64_t pending = 0, last_seq = 0, pushed = 0;
	int rc;

	(void)pos;
	(void)arg;
	if ((rc = cts_record_pending_ops(n->store, &pending)) < 0 ||
	    (rc = cts_store_meta_get_int(n->store, "last_seq", &last_seq, 0)) < 0 ||
	    (rc = cts_store_meta_get_int(n->store, "pushed_seq", &pushed, 0)) < 0 ||
	    (rc = cts_record_digest(n->store, digest)) < 0 ||
	    (rc = cts_scope_digests(n, &tdig)) < 0)
		goto out;
	for (int i = 0; i < 3; i++)
		if ((rc = cts_import_inbox(n, states[i], &lists[i])) < 0)
			goto out;
	if ((rc = cts_incident_list(n->store, &incidents)) < 0 ||
	    (rc = cts_import_ignored(n, &ignored)) < 0)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:O, s:O, s:O}", "node", n->id,
	              "territory", n->territory, "role",
	              n->role == CTS_ROLE_AUTHORITY ? "authority" : "territory", "pending_ops",
	              (json_int_t)pending, "last_seq", (json_int_t)last_seq, "content_digest",
	              digest, "queued_push", n->remote != NULL && pushed < last_seq, "pending",
	              lists[0], "held", lists[1], "refused", lists[2]);
	if (n->remote)
		json_object_set_new(o, "remote", json_string(n->remote));
	json_object_set(o, "incidents", incidents);
	json_object_set(o, "ignored", ignored);
	json_object_set(o, "territory_digests", tdig);
	if ((rc = people_summary(
	         n, o, pending, n->remote && pushed < last_seq ? last_seq - pushed : 0,
	         json_array_size(lists[2]), json_array_size(incidents), !c->json)) < 0)
		goto out;
	if (c->json) {
		cli_print_json(o);
	} else {
		printf("Nœud %s (%s %s)\n", n->id,
		       n->role == CTS_ROLE_AUTHORITY ? "région" : "territoire", n->territory);
		printf("Opérations non scellées : %lld\n", (long long)pending);
		printf("Dernier changeset : %lld\n", (long long)last_seq);
		printf("Empreinte du contenu : %s\n", digest);
		if (n->remote)
			printf("Dépôt régional : %s%s\n", n->remote,
			       pushed < last_seq ? " (envoi en attente)" : "");
		print_waiting(lists);
		print_ignored(ignored);
		print_incidents(incidents);
	}
out:
	json_decref(o);
	json_decref(ignored);
	json_decref(tdig);
	json_decref(incidents);
	for (int i = 0; i < 3; i++)
		json_decref(lists[i]);
	return rc;
}

int cmd_status(cli_ctx *c, int argc, char **argv)
{
	return cli_run_plain(c, argc, argv, help, status_body);
}
