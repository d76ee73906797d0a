/* ctsnode opinion add | list | update | withdraw | restore */
#include "cli.h"

#include "opinion.h"
#include "tables.h"

#include <limits.h>
#include <stdio.h>

static const char add_help[] =
	"Usage : ctsnode [--home DOSSIER] opinion add --meeting REUNION --subject OBJET --for N --against N --abstain N\n"
	"                --outcome favorable|defavorable|reserve\n"
	"\n"
	"Enregistre un avis rendu en réunion, avec ses votes (pour, contre, abstentions).\n"
	"REUNION : son identifiant (ou ses 4 premiers caractères au moins), ou sa date.\n";

static const char list_help[] =
	"Usage : ctsnode [--home DOSSIER] opinion list [--territory CODE] [--format texte|csv|json] [--json]\n";

static const char update_help[] =
	"Usage : ctsnode [--home DOSSIER] opinion update AVIS [--subject OBJET] [--for N] [--against N] [--abstain N]\n"
	"                [--outcome favorable|defavorable|reserve] [--meeting REUNION]\n"
	"\n"
	"Corrige les champs donnés d'un avis. AVIS : son identifiant (4 caractères au moins) ou son objet.\n";

static const char withdraw_help[] =
	"Usage : ctsnode [--home DOSSIER] opinion withdraw AVIS\n"
	"\n"
	"Retire un avis saisi par erreur : il reste dans l'historique et la liste (Retiré), hors des rapports.\n";

static const char restore_help[] =
	"Usage : ctsnode [--home DOSSIER] opinion restore AVIS\n"
	"\n"
	"Rétablit un avis retiré.\n";

/* Warn (stderr) when the opinion's outcome contradicts its votes: it is
 * kept, and the report lists it among its controls. */
static void warn_contradiction(cts_node *n, const char *id)
{
	json_t *row = NULL;
	const char *why;

	if (cts_change_current(n, "opinion", id, &row) == 0 &&
	    (why = cts_opinion_contradiction(json_integer_value(json_object_get(row, "votes_for")),
					     json_integer_value(json_object_get(row, "votes_against")),
					     json_string_value(json_object_get(row, "outcome")))))
		fprintf(stderr, "ctsnode : attention : %s (enregistré tel quel ; le rapport le signale dans ses contrôles)\n", why);
	json_decref(row);
}

/* --meeting resolved in place (mid holds the id). */
static int resolve_meeting(cli_ctx *c, cts_node *n, const char **meeting, char mid[37])
{
	int ec;

	if (!*meeting)
		return 0;
	if ((ec = cli_resolve(c, n, CTS_REF_MEETING, *meeting, 0, mid)) != 0)
		return ec;
	*meeting = mid;
	return 0;
}

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
	if ((ec = resolve_meeting(c, n, &f.meeting, mid)) != 0) {
		cts_node_free(n);
		return ec;
	}
	if ((rc = cts_opinion_add(n, &f, id)) == 0)
		warn_contradiction(n, id);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	printf("%s\n", id);
	return EXIT_OK;
}

typedef struct {
	cts_opinion_fields *f;
	int (*op)(cts_node *n, const char *id, cts_change *out);
} opinion_arg;

static int do_update(cts_node *n, const char *id, void *arg, cts_change *out)
{
	cts_opinion_fields g = *((opinion_arg *)arg)->f;
	char mid[37];
	int rc;

	if (g.meeting && (rc = cts_resolve_meeting(n, g.meeting, mid)) < 0)
		return rc;
	if (g.meeting)
		g.meeting = mid;
	if ((rc = cts_opinion_update(n, id, &g, out)) == 0 && out->changed)
		warn_contradiction(n, id);
	return rc;
}

static int do_status(cts_node *n, const char *id, void *arg, cts_change *out)
{
	return ((opinion_arg *)arg)->op(n, id, out);
}

static int opinion_change(cli_ctx *c, int argc, char **argv, const cli_opt *opts, const char *help, cli_change_fn fn,
			  opinion_arg *arg)
{
	char *pos[1];
	int npos, ec;

	if (cli_parse(c, argc, argv, opts, help, pos, 1, &npos, &ec) < 0)
		return ec;
	if (npos != 1)
		return cli_usage(c, "l'avis est attendu : son identifiant ou son objet (ctsnode opinion list)");
	if (arg->f) { /* counts not given keep their value */
		cts_opinion_fields *f = arg->f;
		f->votes_given = (f->votes_for != LLONG_MIN ? CTS_VOTES_FOR : 0) |
				 (f->votes_against != LLONG_MIN ? CTS_VOTES_AGAINST : 0) |
				 (f->votes_abstain != LLONG_MIN ? CTS_VOTES_ABSTAIN : 0);
	}
	return cli_change(c, CTS_REF_OPINION, 0, pos[0], fn, arg);
}

static int opinion_update(cli_ctx *c, int argc, char **argv)
{
	cts_opinion_fields f = { .votes_for = LLONG_MIN, .votes_against = LLONG_MIN, .votes_abstain = LLONG_MIN };
	const cli_opt opts[] = {
		{ "meeting", OPT_STR, &f.meeting, 0 },       { "subject", OPT_STR, &f.subject, 0 },
		{ "for", OPT_INT, &f.votes_for, 0 },         { "against", OPT_INT, &f.votes_against, 0 },
		{ "abstain", OPT_INT, &f.votes_abstain, 0 }, { "outcome", OPT_STR, &f.outcome, 0 },
		{ NULL, 0, NULL, 0 },
	};
	opinion_arg a = { .f = &f };

	return opinion_change(c, argc, argv, opts, update_help, do_update, &a);
}

static int opinion_withdraw(cli_ctx *c, int argc, char **argv)
{
	opinion_arg a = { .op = cts_opinion_withdraw };
	return opinion_change(c, argc, argv, NULL, withdraw_help, do_status, &a);
}

static int opinion_restore(cli_ctx *c, int argc, char **argv)
{
	opinion_arg a = { .op = cts_opinion_restore };
	return opinion_change(c, argc, argv, NULL, restore_help, do_status, &a);
}

static const char *const list_headers[] = { "Id", "Date", "Sens", "Pour", "Contre", "Abstentions", "État", "Objet" };

static void list_cells(const json_t *o, cli_cells v, int full)
{
	cli_cell_id(v[0], cli_str(o, "id"), full);
	cli_cell_date(v[1], cli_str(o, "date"));
	cli_cell_code(v[2], cts_outcomes, cts_outcome_labels, cli_str(o, "outcome"));
	snprintf(v[3], CLI_CELL, "%lld", (long long)json_integer_value(json_object_get(o, "votes_for")));
	snprintf(v[4], CLI_CELL, "%lld", (long long)json_integer_value(json_object_get(o, "votes_against")));
	snprintf(v[5], CLI_CELL, "%lld", (long long)json_integer_value(json_object_get(o, "votes_abstain")));
	cli_cell_code(v[6], cts_opinion_statuses, cts_opinion_status_labels,
		      *cli_str(o, "status") ? cli_str(o, "status") : "rendu");
	snprintf(v[7], CLI_CELL, "%s", cli_str(o, "subject"));
}

static int opinion_list(cli_ctx *c, int argc, char **argv)
{
	static const cli_listing l = { list_help, cts_opinion_list, NULL, list_headers, 8, list_cells, "avis" };
	return cli_list(c, argc, argv, &l);
}

int cmd_opinion(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "add", opinion_add, "enregistrer un avis" },
		{ "list", opinion_list, "lister les avis" },
		{ "update", opinion_update, "corriger un avis (objet, votes, sens, réunion)" },
		{ "withdraw", opinion_withdraw, "retirer un avis saisi par erreur" },
		{ "restore", opinion_restore, "rétablir un avis retiré" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, "opinion", cmds, argc, argv);
}
