/* ctsnode member add | list | update | remove */
#include "cli.h"

#include "error.h"
#include "member.h"

#include <string.h>

static const char add_help[] =
	"Usage : ctsnode [--home DOSSIER] member add --last-name NOM --first-name PRENOM --organisation STRUCTURE\n"
	"                --college COLLEGE [--seat titulaire|suppleant] [--role ROLE]\n"
	"                [--mandate-start AAAA-MM-JJ] [--mandate-end AAAA-MM-JJ]\n"
	"\n"
	"Ajoute un membre au conseil de ce territoire et affiche son identifiant.\n"
	"Collèges : professionnels, usagers, collectivites, etat, personnes-qualifiees.\n";

static const char list_help[] =
	"Usage : ctsnode [--home DOSSIER] member list [--territory CODE] [--json]\n"
	"\n"
	"Liste les membres (du territoire de ce nœud par défaut).\n";

static const char update_help[] =
	"Usage : ctsnode [--home DOSSIER] member update ID [--last-name NOM] [--first-name PRENOM]\n"
	"                [--organisation S] [--college C] [--seat S] [--role R] [--mandate-start D] [--mandate-end D]\n"
	"\n"
	"Modifie les champs donnés d'un membre (une valeur vide efface un champ facultatif).\n";

static const char remove_help[] =
	"Usage : ctsnode [--home DOSSIER] member remove ID\n"
	"\n"
	"Retire un membre de la liste (l'historique signé le conserve).\n";

#define MEMBER_OPTS(f, req)                                                        \
	{ "last-name", OPT_STR, &(f).last_name, req },                             \
	{ "first-name", OPT_STR, &(f).first_name, req },                           \
	{ "organisation", OPT_STR, &(f).organisation, req },                       \
	{ "college", OPT_STR, &(f).college, req },                                 \
	{ "seat", OPT_STR, &(f).seat, 0 }, { "role", OPT_STR, &(f).role, 0 },      \
	{ "mandate-start", OPT_STR, &(f).mandate_start, 0 },                       \
	{ "mandate-end", OPT_STR, &(f).mandate_end, 0 }

static int member_add(cli_ctx *c, int argc, char **argv)
{
	cts_member_fields f = { 0 };
	const cli_opt opts[] = { MEMBER_OPTS(f, 1), { NULL, 0, NULL, 0 } };
	cts_node *n;
	char id[37], *pos[1];
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, opts, add_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = cts_member_add(n, &f, id);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (c->json) {
		json_t *o = json_pack("{s:s}", "id", id);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("%s\n", id);
	}
	return EXIT_OK;
}

static int member_update(cli_ctx *c, int argc, char **argv)
{
	cts_member_fields f = { 0 };
	const cli_opt opts[] = { MEMBER_OPTS(f, 0), { NULL, 0, NULL, 0 } };
	cts_node *n;
	char *pos[1], id[37];
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, opts, update_help, pos, 1, &npos, &ec) < 0)
		return ec;
	if (npos != 1)
		return cli_usage(c, "l'identifiant du membre est attendu (ctsnode member list)");
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if ((ec = cli_resolve(c, n, CTS_REF_MEMBER, pos[0], 0, id)) != 0) {
		cts_node_free(n);
		return ec;
	}
	rc = cts_member_update(n, id, &f);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (!c->json)
		printf("Membre %s modifié.\n", pos[0]);
	return EXIT_OK;
}

static int member_remove(cli_ctx *c, int argc, char **argv)
{
	cts_node *n;
	char *pos[1], id[37];
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, NULL, remove_help, pos, 1, &npos, &ec) < 0)
		return ec;
	if (npos != 1)
		return cli_usage(c, "l'identifiant du membre est attendu (ctsnode member list)");
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if ((ec = cli_resolve(c, n, CTS_REF_MEMBER, pos[0], 0, id)) != 0) {
		cts_node_free(n);
		return ec;
	}
	rc = cts_member_remove(n, id);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (!c->json)
		printf("Membre %s retiré.\n", pos[0]);
	return EXIT_OK;
}

static void member_list_row(const json_t *o)
{
	printf("%s  %-24s %-20s %-21s %-10s %s\n", cli_str(o, "id"), cli_str(o, "last_name"), cli_str(o, "first_name"),
	       cli_str(o, "college"), cli_str(o, "seat"), cli_str(o, "organisation"));
}

static int member_list(cli_ctx *c, int argc, char **argv)
{
	return cli_list(c, argc, argv, list_help, cts_member_list, member_list_row, "membre(s)");
}

int cmd_member(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "add", member_add, "ajouter un membre" },
		{ "list", member_list, "lister les membres" },
		{ "update", member_update, "modifier un membre" },
		{ "remove", member_remove, "retirer un membre" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, "member", cmds, argc, argv);
}
