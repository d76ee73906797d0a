/* ctsnode import: signed changesets from a folder. */
#include "cli.h"

#include "importer.h"

#include <string.h>

int cli_print_import(cli_ctx *c, const cts_import_stats *st)
{
	size_t i;
	json_t *e;

	if (c->json)
		return 0;
	printf("%d changeset(s) appliqué(s)", st->accepted);
	if (st->duplicates)
		printf(", %d déjà connu(s)", st->duplicates);
	printf(".\n");
	if (st->rebuilt)
		printf("La vue locale a été reconstruite (révocation ou bifurcation détectée).\n");
	if (st->forks)
		printf(
		    "%d bifurcation(s) constatée(s) : un nœud a signé deux versions d'un même "
		    "changeset ; les deux\n"
		    "et tous ses changesets suivants sont refusés (ctsnode status, incidents).\n",
		    st->forks);
	if (st->evidence)
		printf("%d preuve(s) de bifurcation enregistrée(s) par ce poste : elles partent "
		       "avec le sync.\n",
		       st->evidence);
	json_array_foreach(st->events, i, e)
	{
		const char *state = cli_str(e, "state");
		if (strcmp(state, "ignored") == 0)
			continue; /* a revoked node's later work: summed up by the caller */
		printf("  %s %s n°%lld : %s\n",
		       strcmp(state, "refused") == 0 ? "REFUSÉ"
		       : strcmp(state, "held") == 0  ? "retenu"
		                                     : "en attente",
		       cli_str(e, "node"), (long long)json_integer_value(json_object_get(e, "seq")),
		       cli_str(e, "reason"));
	}
	return 0;
}

int cli_has_refusal(const json_t *events)
{
	size_t i;
	json_t *e;

	json_array_foreach(events, i, e) if (strcmp(cli_str(e, "state"), "refused") == 0) return 1;
	return 0;
}

static const char import_help[] =
    "Usage : ctsnode [--home DOSSIER] import DOSSIER [--json]\n"
    "\n"
    "Importe les changesets signés trouvés dans DOSSIER/changesets/<nœud>/<numéro>.json (+ .sig) "
    ":\n"
    "vérifie signature, forme canonique, chaîne, inscription et droits, puis applique.\n"
    "Les changesets en attente, retenus ou refusés sont gardés avec leur raison (ctsnode status).\n"
    "Code de sortie 1 si un changeset est refusé.\n";

static int import_body(cli_ctx *c, cts_node *n, const char *dir, void *arg)
{
	cts_import_stats st = { 0 };
	int ec, rc, sealed;

	(void)arg;
	/* Local edits are sealed first: their causal context is what we had
	 * seen when they were made. */
	if ((ec = cli_seal(c, n, &sealed)) != 0)
		return ec;
	if (cli_progress_wanted())
		st.progress = cli_progress;
	if ((rc = cts_import_dir(n, dir, &st)) < 0 || (rc = cts_import_process(n, &st)) < 0) {
		cts_import_stats_dispose(&st);
		return rc;
	}
	if (c->json) {
		json_t *o =
		    json_pack("{s:i, s:i, s:i, s:b, s:o}", "offered", st.offered, "accepted",
		              st.accepted, "duplicates", st.duplicates, "rebuilt", st.rebuilt,
		              "events", st.events ? json_incref(st.events) : json_array());
		json_object_set_new(o, "forks", json_integer(st.forks));
		json_object_set_new(o, "fork_records", json_integer(st.evidence));
		cli_result(c, o, NULL);
	} else {
		cli_print_import(c, &st);
	}
	ec = cli_has_refusal(st.events) ? EXIT_FINDINGS : EXIT_OK;
	cts_import_stats_dispose(&st);
	return ec;
}

int cmd_import(cli_ctx *c, int argc, char **argv)
{
	const cli_spec s = { NULL, import_help, "le dossier à importer est attendu", NULL };

	return cli_run(c, argc, argv, &s, import_body, NULL);
}
