/* ctsnode region ...: the authority's commands. */
#include "cli.h"

#include "region.h"

#include <stdlib.h>

static const char enroll_help[] =
	"Usage : ctsnode [--home DOSSIER] region enroll --node NOEUD --territory CODE --key \"ssh-ed25519 AAAA...\"\n"
	"\n"
	"Inscrit le poste d'un territoire au registre (une opération signée de l'autorité).\n"
	"La clé est celle qu'affiche « ctsnode key show » sur ce poste.\n";

static const char revoke_help[] =
	"Usage : ctsnode [--home DOSSIER] region revoke --node NOEUD --after-seq N\n"
	"\n"
	"Révoque un poste : ses changesets après le n°N sont refusés partout. Pour changer de clé,\n"
	"inscrire un nouvel identifiant pour le même territoire puis révoquer l'ancien.\n";

static int region_enroll(cli_ctx *c, int argc, char **argv)
{
	const char *node = NULL, *territory = NULL, *key = NULL;
	const cli_opt opts[] = {
		{ "node", OPT_STR, &node, 1 },
		{ "territory", OPT_STR, &territory, 1 },
		{ "key", OPT_STR, &key, 1 },
		{ NULL, 0, NULL, 0 },
	};
	cts_node *n;
	char *pos[1];
	int npos, ec, rc, already = 0;

	if (cli_parse(c, argc, argv, opts, enroll_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = cts_region_enroll(n, node, territory, key, &already);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (!c->json)
		printf(already ? "Le nœud %s est déjà inscrit pour le territoire %s.\n"
			       : "Nœud %s inscrit pour le territoire %s ; l'inscription sera publiée au prochain sync.\n",
		       node, territory);
	return EXIT_OK;
}

static int region_revoke(cli_ctx *c, int argc, char **argv)
{
	const char *node = NULL;
	long long after = -1;
	const cli_opt opts[] = {
		{ "node", OPT_STR, &node, 1 },
		{ "after-seq", OPT_INT, &after, 1 },
		{ NULL, 0, NULL, 0 },
	};
	cts_node *n;
	char *pos[1];
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, opts, revoke_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = cts_region_revoke(n, node, after);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (!c->json)
		printf("Nœud %s révoqué : ses changesets après le n°%lld seront refusés.\n", node, after);
	return EXIT_OK;
}

static int region_signers(cli_ctx *c, int argc, char **argv)
{
	static const char help[] = "Usage : ctsnode [--home DOSSIER] region allowed-signers\n\n"
				   "Affiche le fichier allowed_signers (OpenSSH) tiré du registre.\n";
	cts_node *n;
	char *pos[1], *text = NULL;
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, NULL, help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = cts_region_allowed_signers(n, &text);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	fputs(text, stdout);
	free(text);
	return EXIT_OK;
}

int cmd_region(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "init", cmd_region_init, "créer le nœud régional (autorité)" },
		{ "enroll", region_enroll, "inscrire le poste d'un territoire" },
		{ "pull", cmd_region_pull, "importer tous les postes, signer un point de contrôle, publier" },
		{ "publish", cmd_region_publish, "publier le rapport régional de l'année, signé" },
		{ "revoke", region_revoke, "révoquer un poste après un numéro de changeset" },
		{ "allowed-signers", region_signers, "afficher le fichier allowed_signers du registre" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, "region", cmds, argc, argv);
}
