/* ctsnode meeting add | list */
#include "cli.h"

#include "meeting.h"

static const char add_help[] =
	"Usage : ctsnode [--home DOSSIER] meeting add --body INSTANCE --date AAAA-MM-JJ --title TITRE\n"
	"                [--place LIEU] [--status prevue|tenue|annulee]\n"
	"\n"
	"Enregistre une réunion et affiche son identifiant (seul sur la sortie).\n"
	"Instances : pleniere, bureau, sante-mentale, usagers. Statut par défaut : tenue.\n";

static const char list_help[] =
	"Usage : ctsnode [--home DOSSIER] meeting list [--territory CODE] [--json]\n"
	"\n"
	"Liste les réunions par date.\n";

static int meeting_add(cli_ctx *c, int argc, char **argv)
{
	cts_meeting_fields f = { 0 };
	const cli_opt opts[] = {
		{ "body", OPT_STR, &f.body, 1 },   { "date", OPT_STR, &f.date, 1 },
		{ "title", OPT_STR, &f.title, 1 }, { "place", OPT_STR, &f.place, 0 },
		{ "status", OPT_STR, &f.status, 0 }, { NULL, 0, NULL, 0 },
	};
	cts_node *n;
	char id[37], *pos[1];
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, opts, add_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = cts_meeting_add(n, &f, id);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	printf("%s\n", id);
	return EXIT_OK;
}

static int meeting_list(cli_ctx *c, int argc, char **argv)
{
	const char *territory = NULL;
	const cli_opt opts[] = { { "territory", OPT_STR, &territory, 0 }, { NULL, 0, NULL, 0 } };
	cts_node *n;
	json_t *arr = NULL, *m;
	char *pos[1];
	size_t i;
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, opts, list_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = cts_meeting_list(n, territory ? territory : (n->role == CTS_ROLE_TERRITORY ? n->territory : NULL), &arr);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (c->json) {
		cli_print_json(arr);
	} else {
		json_array_foreach(arr, i, m)
			printf("%s  %s  %-14s %-8s %s\n", cli_str(m, "id"), cli_str(m, "date"), cli_str(m, "body"),
			       cli_str(m, "status"), cli_str(m, "title"));
		printf("%zu réunion(s).\n", json_array_size(arr));
	}
	json_decref(arr);
	return EXIT_OK;
}

int cmd_meeting(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "add", meeting_add, "enregistrer une réunion" },
		{ "list", meeting_list, "lister les réunions" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, "meeting", cmds, argc, argv);
}
