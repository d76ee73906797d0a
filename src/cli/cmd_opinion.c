/* ctsnode opinion add | list | update | withdraw | restore */
#include "cli.h"

#include "opinion.h"
#include "tables.h"

#include <limits.h>
#include <stdio.h>

static const char add_help[] =
    "Usage : ctsnode [--home DOSSIER] opinion add --meeting REUNION --subject OBJET --for N "
    "--against N --abstain N\n"
    "                --outcome favorable|defavorable|reserve\n"
    "\n"
    "Enregistre un avis rendu en réunion, avec ses votes (pour, contre, abstentions).\n"
    "REUNION : son identifiant (ou ses 4 premiers caractères au moins), ou sa date.\n";

static const char list_help[] = "Usage : ctsnode [--home DOSSIER] opinion list [--territory CODE] "
                                "[--format texte|csv|json] [--json]\n";

static const char update_help[] =
    "Usage : ctsnode [--home DOSSIER] opinion update AVIS [--subject OBJET] [--for N] [--against "
    "N] [--abstain N]\n"
    "                [--outcome favorable|defavorable|reserve] [--meeting REUNION]\n"
    "\n"
    "Corrige les champs donnés d'un avis. AVIS : son identifiant (4 caractères au moins) ou son "
    "objet.\n";

static const char withdraw_help[] = "Usage : ctsnode [--home DOSSIER] opinion withdraw AVIS\n"
                                    "\n"
                                    "Retire un avis saisi par erreur : il reste dans l'historique "
                                    "et la liste (Retiré), hors des rapports.\n";

static const char restore_help[] = "Usage : ctsnode [--home DOSSIER] opinion restore AVIS\n"
                                   "\n"
                                   "Rétablit un avis retiré.\n";

/* Warn (stderr) when the opinion's outcome contradicts its votes: it is
 * kept, and the report lists it among its controls. */
static void warn_contradiction(cts_node *n, const char *id)
{
	json_t *row = NULL;
	const char *why;

	if (cts_change_current(n, "opinion", id, &row) == 0 &&
	    (why = cts_opinion_contradiction(
	         json_integer_value(json_object_get(row, "votes_for")),
	         json_integer_value(json_object_get(row, "votes_against")),
	         json_string_value(json_object_get(row, "outcome")))))
		fprintf(stderr,
		        "ctsnode : attention : %s (enregistré tel quel ; le rapport le signale "
		        "dans ses contrôles)\n",
		        why);
	json_decref(row);
}

/* add and update: the fields of an opinion as options (all required when
 * adding; counts not given to update keep their value: LLONG_MIN). */
static const cli_field fields[] = {
	CLI_FIELD(cts_opinion_fields, "meeting", OPT_STR, meeting, 1),
	CLI_FIELD(cts_opinion_fields, "subject", OPT_STR, subject, 1),
	CLI_FIELD(cts_opinion_fields, "for", OPT_INT, votes_for, 1),
	CLI_FIELD(cts_opinion_fields, "against", OPT_INT, votes_against, 1),
	CLI_FIELD(cts_opinion_fields, "abstain", OPT_INT, votes_abstain, 1),
	CLI_FIELD(cts_opinion_fields, "outcome", OPT_STR, outcome, 1),
	{ NULL, 0, 0, 0 },
};
static const cts_opinion_fields not_given = { .votes_for = LLONG_MIN,
	                                      .votes_against = LLONG_MIN,
	                                      .votes_abstain = LLONG_MIN };
static const cli_form_spec form = { fields, sizeof(cts_opinion_fields), &not_given };

static int add_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	cts_opinion_fields f = *(cts_opinion_fields *)arg;
	char id[37], mid[37];
	int ec, rc;

	(void)pos;
	if ((ec = cli_resolve(c, n, CTS_REF_MEETING, f.meeting, 0, mid)) != 0)
		return ec;
	f.meeting = mid;
	if ((rc = cts_opinion_add(n, &f, id)) < 0)
		return rc;
	warn_contradiction(n, id);
	printf("%s\n", id);
	return EXIT_OK;
}

static const cli_record opinion_ref = {
	CTS_REF_OPINION, 0,
	"l'avis est attendu : son identifiant ou son objet (ctsnode opinion list)", "opinion"
};

static int do_update(cts_node *n, const char *id, void *arg, cts_change *out)
{
	cts_opinion_fields g = *(cts_opinion_fields *)arg;
	char mid[37];
	int rc;

	/* counts not given keep their value */
	g.votes_given = (g.votes_for != LLONG_MIN ? CTS_VOTES_FOR : 0) |
	                (g.votes_against != LLONG_MIN ? CTS_VOTES_AGAINST : 0) |
	                (g.votes_abstain != LLONG_MIN ? CTS_VOTES_ABSTAIN : 0);
	if (g.meeting && (rc = cts_resolve_meeting(n, g.meeting, mid)) < 0)
		return rc;
	if (g.meeting)
		g.meeting = mid;
	if ((rc = cts_opinion_update(n, id, &g, out)) == 0 && out->changed)
		warn_contradiction(n, id);
	return rc;
}

static const char *const list_headers[] = { "Id",     "Date",        "Sens", "Pour",
	                                    "Contre", "Abstentions", "État", "Objet" };

static void list_cells(const json_t *o, cli_cells v, int full)
{
	cli_cell_id(v[0], cli_str(o, "id"), full);
	cli_cell_date(v[1], cli_str(o, "date"));
	cli_cell_code(v[2], cts_outcomes, cts_outcome_labels, cli_str(o, "outcome"));
	snprintf(v[3], CLI_CELL, "%lld",
	         (long long)json_integer_value(json_object_get(o, "votes_for")));
	snprintf(v[4], CLI_CELL, "%lld",
	         (long long)json_integer_value(json_object_get(o, "votes_against")));
	snprintf(v[5], CLI_CELL, "%lld",
	         (long long)json_integer_value(json_object_get(o, "votes_abstain")));
	cli_cell_code(v[6], cts_opinion_statuses, cts_opinion_status_labels,
	              *cli_str(o, "status") ? cli_str(o, "status") : "rendu");
	snprintf(v[7], CLI_CELL, "%s", cli_str(o, "subject"));
}

static const cli_listing listing = {
	list_help, "opinion", NULL, list_headers, 8, list_cells, "avis"
};

const cli_cmd cmd_opinion_cmds[] = {
	{ "add", "enregistrer un avis", .form = &form, .help = add_help, .body = add_body },
	{ "list", "lister les avis", .listing = &listing },
	{ "update", "corriger un avis (objet, votes, sens, réunion)", .form = &form,
	  .help = update_help, .record = &opinion_ref, .change = do_update },
	{ "withdraw", "retirer un avis saisi par erreur", .help = withdraw_help,
	  .record = &opinion_ref, .withdraw = CLI_WITHDRAW },
	{ "restore", "rétablir un avis retiré", .help = restore_help, .record = &opinion_ref,
	  .withdraw = CLI_RESTORE },
	{ 0 },
};
