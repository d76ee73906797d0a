/* ctsnode status */
#include "cli.h"

#include "importer.h"
#include "incident.h"
#include "record.h"

#include <stdlib.h>

static const char help[] =
	"Usage : ctsnode [--home DOSSIER] status [--json]\n"
	"\n"
	"Montre l'état du nœud : opérations saisies et pas encore scellées, dernier changeset,\n"
	"empreinte du contenu, envoi en attente, et les changesets reçus mais en attente,\n"
	"retenus ou refusés, avec leur raison, et les incidents constatés (branche réécrite,\n"
	"bifurcation, commit étranger...).\n";

/* Revoked nodes' later changesets: one informational line per node. */
static void print_ignored(const json_t *ignored)
{
	size_t k;
	json_t *e;

	json_array_foreach(ignored, k, e)
		printf("Pour information : %lld changeset(s) de %s (n°%lld à n°%lld) ignoré(s), comme prévu : ce poste a été "
		       "révoqué après son n°%lld. Rien à faire.\n",
		       (long long)json_integer_value(json_object_get(e, "count")), cli_str(e, "node"),
		       (long long)json_integer_value(json_object_get(e, "first")),
		       (long long)json_integer_value(json_object_get(e, "last")),
		       (long long)json_integer_value(json_object_get(e, "revoked_after")));
}

int cmd_status(cli_ctx *c, int argc, char **argv)
{
	static const char *const states[] = { "pending", "held", "refused" };
	static const char *const labels[] = { "en attente", "retenu(s)", "refusé(s)" };
	cts_node *n;
	json_t *lists[3] = { 0 }, *incidents = NULL, *ignored = NULL, *o = NULL;
	char *pos[1], digest[65];
	int64_t pending = 0, last_seq = 0, pushed = 0;
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, NULL, help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if ((rc = cts_record_pending_ops(n->store, &pending)) < 0 ||
	    (rc = cts_store_meta_get_int(n->store, "last_seq", &last_seq, 0)) < 0 ||
	    (rc = cts_store_meta_get_int(n->store, "pushed_seq", &pushed, 0)) < 0 ||
	    (rc = cts_record_digest(n->store, digest)) < 0)
		goto fail;
	for (int i = 0; i < 3; i++)
		if ((rc = cts_import_inbox(n, states[i], &lists[i])) < 0)
			goto fail;
	if ((rc = cts_incident_list(n->store, &incidents)) < 0 || (rc = cts_import_ignored(n, &ignored)) < 0)
		goto fail;
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:O, s:O, s:O}", "node", n->id, "territory", n->territory,
		      "role", n->role == CTS_ROLE_AUTHORITY ? "authority" : "territory", "pending_ops", (json_int_t)pending,
		      "last_seq", (json_int_t)last_seq, "content_digest", digest, "queued_push",
		      n->remote != NULL && pushed < last_seq, "pending", lists[0], "held", lists[1], "refused", lists[2]);
	if (n->remote)
		json_object_set_new(o, "remote", json_string(n->remote));
	json_object_set(o, "incidents", incidents);
	json_object_set(o, "ignored", ignored);
	if (c->json) {
		cli_print_json(o);
	} else {
		printf("Nœud %s (%s %s)\n", n->id, n->role == CTS_ROLE_AUTHORITY ? "région" : "territoire", n->territory);
		printf("Opérations non scellées : %lld\n", (long long)pending);
		printf("Dernier changeset : %lld\n", (long long)last_seq);
		printf("Empreinte du contenu : %s\n", digest);
		if (n->remote)
			printf("Dépôt régional : %s%s\n", n->remote,
			       pushed < last_seq ? " (envoi en attente)" : "");
		for (int i = 0; i < 3; i++) {
			size_t k;
			json_t *e;
			if (json_array_size(lists[i]) == 0)
				continue;
			printf("Changesets %s : %zu\n", labels[i], json_array_size(lists[i]));
			json_array_foreach(lists[i], k, e)
				printf("  %s n°%lld : %s\n", cli_str(e, "node"),
				       (long long)json_integer_value(json_object_get(e, "seq")), cli_str(e, "reason"));
		}
		print_ignored(ignored);
		if (json_array_size(incidents) > 0) {
			size_t k;
			json_t *e;
			printf("Incidents constatés : %zu\n", json_array_size(incidents));
			json_array_foreach(incidents, k, e) {
				json_int_t seq = json_integer_value(json_object_get(e, "seq"));
				printf("  %.10s %s", cli_str(e, "date"), cli_str(e, "node"));
				if (seq > 0)
					printf(" n°%lld", (long long)seq);
				printf(" : %s\n", cli_str(e, "detail"));
			}
		}
	}
	json_decref(o);
	json_decref(ignored);
	json_decref(incidents);
	for (int i = 0; i < 3; i++)
		json_decref(lists[i]);
	cts_node_free(n);
	return EXIT_OK;
fail:
	json_decref(ignored);
	json_decref(incidents);
	for (int i = 0; i < 3; i++)
		json_decref(lists[i]);
	cts_node_free(n);
	return cli_fail(c, rc);
}
