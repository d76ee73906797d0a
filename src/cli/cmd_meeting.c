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

static void meeting_list_row(const json_t *o)
{
	printf("%s  %s  %-14s %-8s %s\n", cli_str(o, "id"), cli_str(o, "date"), cli_str(o, "body"), cli_str(o, "status"),
	       cli_str(o, "title"));
}

static int meeting_list(cli_ctx *c, int argc, char **argv)
{
	return cli_list(c, argc, argv, list_help, cts_meeting_list, meeting_list_row, "réunion(s)");
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
