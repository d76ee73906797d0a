/* ctsnode export DIR: the entries the region has not accepted. */
#include "cli.h"

#include "handover.h"

static const char help[] =
	"Usage : ctsnode [--home DOSSIER] export DOSSIER [--json]\n"
	"\n"
	"Écrit dans DOSSIER les saisies de ce poste que la région n'a pas acceptées, pour les faire\n"
	"ressaisir sur un autre poste : saisies-non-acceptees.csv (pour Excel) et\n"
	"saisies-non-acceptees.json. Poste révoqué : tout ce qu'il a scellé après son dernier\n"
	"changeset valide et ce qu'il n'a pas scellé ; sinon : ce qui n'est pas encore scellé.\n"
	"Fonctionne aussi sur un poste révoqué ou en lecture seule.\n";

int cmd_export(cli_ctx *c, int argc, char **argv)
{
	cts_node *n;
	char *pos[1];
	int npos, ec, rc, count = 0;

	if (cli_parse(c, argc, argv, NULL, help, pos, 1, &npos, &ec) < 0)
		return ec;
	if (npos != 1)
		return cli_usage(c, "le dossier où écrire est attendu");
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = cts_handover_export(n, pos[0], &count);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (c->json) {
		json_t *o = json_pack("{s:i, s:s}", "entries", count, "dir", pos[0]);
		cli_print_json(o);
		json_decref(o);
	} else if (count == 0) {
		printf("Aucune saisie non acceptée : rien à ressaisir (fichiers vides écrits dans %s).\n", pos[0]);
	} else {
		printf("%d saisie(s) non acceptée(s) écrite(s) dans %s/saisies-non-acceptees.csv (et .json).\n"
		       "Prochaine étape : faites-les ressaisir sur le poste qui remplace celui-ci.\n",
		       count, pos[0]);
	}
	return EXIT_OK;
}
