/* ctsnode opinion add | list */
#include "cli.h"

#include "opinion.h"

static const char add_help[] =
	"Usage : ctsnode [--home DOSSIER] opinion add --meeting ID --subject OBJET --for N --against N --abstain N\n"
	"                --outcome favorable|defavorable|reserve\n"
	"\n"
	"Enregistre un avis rendu en réunion, avec ses votes (pour, contre, abstentions).\n";

static const char list_help[] =
	"Usage : ctsnode [--home DOSSIER] opinion list [--territory CODE] [--json]\n";

static int opinion_add(cli_ctx *c, int argc, char **argv)
{
	cts_opinion_fields f = { 0 };
	const cli_opt opts[] = {
		{ "meeting", OPT_STR, &f.meeting, 1 },       { "subject", OPT_STR, &f.subject, 1 },
		{ "for", OPT_INT, &f.votes_for, 1 },         { "against", OPT_INT, &f.votes_against, 1 },
		{ "abstain", OPT_INT, &f.votes_abstain, 1 }, { "outcome", OPT_STR, &f.outcome, 1 },
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
	rc = cts_opinion_add(n, &f, id);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	printf("%s\n", id);
	return EXIT_OK;
}

static void opinion_list_row(const json_t *o)
{
	printf("%s  %s  %-11s pour %lld, contre %lld, abstention %lld  %s\n", cli_str(o, "id"), cli_str(o, "date"),
	       cli_str(o, "outcome"), (long long)json_integer_value(json_object_get(o, "votes_for")),
	       (long long)json_integer_value(json_object_get(o, "votes_against")),
	       (long long)json_integer_value(json_object_get(o, "votes_abstain")), cli_str(o, "subject"));
}

static int opinion_list(cli_ctx *c, int argc, char **argv)
{
	return cli_list(c, argc, argv, list_help, cts_opinion_list, opinion_list_row, "avis");
}

int cmd_opinion(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "add", opinion_add, "enregistrer un avis" },
		{ "list", opinion_list, "lister les avis" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, "opinion", cmds, argc, argv);
}
