/* ctsnode export DIR: the entries the region has not accepted, and the
 * node's signed history as the folder `import DIR` reads. */
#include "cli.h"

#include "handover.h"
#include "history.h"

static const char help[] =
    "Usage : ctsnode [--home DOSSIER] export DOSSIER [--json]\n"
    "\n"
    "Écrit dans DOSSIER les saisies de ce poste que la région n'a pas acceptées, pour les faire\n"
    "ressaisir sur un autre poste : saisies-non-acceptees.csv (pour Excel) et\n"
    "saisies-non-acceptees.json. Poste révoqué : tout ce qu'il a scellé après son dernier\n"
    "changeset valide et ce qu'il n'a pas scellé ; sinon : ce qui n'est pas encore scellé.\n"
    "\n"
    "Écrit aussi dans DOSSIER/changesets/ tout l'historique signé que ce poste détient\n"
    "(DOSSIER/changesets/<nœud>/<numéro>.json et .json.sig, tels quels) : ce dossier peut\n"
    "être lu par « ctsnode import DOSSIER » sur un autre poste de la même région.\n"
    "Fonctionne aussi sur un poste révoqué ou en lecture seule.\n";

static int export_body(cli_ctx *c, cts_node *n, const char *dir, void *arg)
{
	int rc, count = 0;
	int64_t changesets = 0;

	(void)arg;
	if ((rc = cts_handover_export(n, dir, &count)) < 0 ||
	    (rc = cts_history_export(n, dir, &changesets)) < 0)
		return rc;
	json_t *o = json_pack("{s:i, s:s, s:I}", "entries", count, "dir", dir, "changesets",
	                      (json_int_t)changesets);
	if (!c->json)
		printf("%lld changeset(s) signé(s) écrit(s) dans %s/changesets/ : ce dossier peut "
		       "être lu par « ctsnode import DOSSIER » sur un autre poste de la région.\n",
		       (long long)changesets, dir);
	if (count == 0)
		cli_result(c, o,
		           "Aucune saisie non acceptée : rien à ressaisir (fichiers vides écrits "
		           "dans %s).\n",
		           dir);
	else
		cli_result(
		    c, o,
		    "%d saisie(s) non acceptée(s) écrite(s) dans %s/saisies-non-acceptees.csv (et "
		    ".json).\n"
		    "Prochaine étape : faites-les ressaisir sur le poste qui remplace celui-ci.\n",
		    count, dir);
	return EXIT_OK;
}

int cmd_export(cli_ctx *c, int argc, char **argv)
{
	const cli_spec s = { NULL, help, "le dossier où écrire est attendu", NULL };

	return cli_run(c, argc, argv, &s, export_body, NULL);
}
