/* ctsnode contribution add | list */
#include "cli.h"

#include "contribution.h"

static const char add_help[] =
	"Usage : ctsnode [--home DOSSIER] contribution add --theme THEME --title TITRE --text TEXTE [--meeting ID]\n"
	"\n"
	"Enregistre une contribution (proposition) transmise à la CRSA.\n"
	"Thèmes de départ : segur-pilier-1 à segur-pilier-4 ; la région peut en publier d'autres.\n";

static const char list_help[] =
	"Usage : ctsnode [--home DOSSIER] contribution list [--territory CODE] [--json]\n";

static int contribution_add(cli_ctx *c, int argc, char **argv)
{
	cts_contribution_fields f = { 0 };
	const cli_opt opts[] = {
		{ "theme", OPT_STR, &f.theme, 1 }, { "title", OPT_STR, &f.title, 1 },
		{ "text", OPT_STR, &f.text, 1 },   { "meeting", OPT_STR, &f.meeting, 0 },
		{ NULL, 0, NULL, 0 },
	};
	cts_node *n;
	char id[37], mid[37], *pos[1];
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, opts, add_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if (f.meeting) {
		if ((ec = cli_resolve(c, n, CTS_REF_MEETING, f.meeting, 0, mid)) != 0) {
			cts_node_free(n);
			return ec;
		}
		f.meeting = mid;
	}
	rc = cts_contribution_add(n, &f, id);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	printf("%s\n", id);
	return EXIT_OK;
}

static void contribution_list_row(const json_t *o)
{
	printf("%s  %-16s %s\n", cli_str(o, "id"), cli_str(o, "theme"), cli_str(o, "title"));
}

static int contribution_list(cli_ctx *c, int argc, char **argv)
{
	return cli_list(c, argc, argv, list_help, cts_contribution_list, contribution_list_row, "contribution(s)");
}

int cmd_contribution(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "add", contribution_add, "enregistrer une contribution" },
		{ "list", contribution_list, "lister les contributions" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, "contribution", cmds, argc, argv);
}
