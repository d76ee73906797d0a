/* ctsnode meeting add | list | update | approve | reopen | cancel | restore */
#include "cli.h"

#include "meeting.h"
#include "tables.h"

#include <stdio.h>

static const char add_help[] =
    "Usage : ctsnode [--home DOSSIER] meeting add --body INSTANCE --date DATE --title TITRE\n"
    "                [--place LIEU] [--status prevue|tenue|approuvee|annulee] [--again]\n"
    "\n"
    "Enregistre une réunion et affiche son identifiant (seul sur la sortie).\n"
    "Instances : pleniere, bureau, sante-mentale, usagers. Date : AAAA-MM-JJ ou JJ/MM/AAAA, entre "
    "le\n"
    "26/01/2016 (création des CTS) et un an après aujourd'hui. Statut par défaut : tenue (prevue "
    "pour\n"
    "une date à venir). Une réunion de la même instance le même jour est refusée, sauf --again.\n";

static const char list_help[] =
    "Usage : ctsnode [--home DOSSIER] meeting list [--territory CODE] [--format texte|csv|json] "
    "[--json]\n"
    "\n"
    "Liste les réunions par date, avec leur statut (Prévue, Tenue, Approuvée, Annulée).\n";

static const char update_help[] =
    "Usage : ctsnode [--home DOSSIER] meeting update REUNION [--date DATE] [--title TITRE] [--body "
    "INSTANCE]\n"
    "                [--place LIEU] [--status prevue|tenue|annulee] [--again]\n"
    "\n"
    "Corrige les champs donnés d'une réunion (--place \"\" efface le lieu). Une réunion approuvée "
    "est\n"
    "verrouillée : rouvrez-la d'abord (meeting reopen).\n"
    "REUNION : son identifiant (ou ses 4 premiers caractères au moins), ou sa date quand elle est "
    "seule ce jour-là.\n";

static const char approve_help[] = "Usage : ctsnode [--home DOSSIER] meeting approve REUNION\n"
                                   "\n"
                                   "Le compte rendu de la réunion est approuvé : la réunion, ses "
                                   "présences, avis et contributions sont\n"
                                   "verrouillés (meeting reopen pour corriger).\n";

static const char reopen_help[] =
    "Usage : ctsnode [--home DOSSIER] meeting reopen REUNION --reason MOTIF\n"
    "\n"
    "Rouvre une réunion approuvée pour la corriger ; le motif est enregistré dans l'historique.\n";

static const char cancel_help[] =
    "Usage : ctsnode [--home DOSSIER] meeting cancel REUNION\n"
    "\n"
    "Annule une réunion (saisie en double, ou qui n'a pas eu lieu) : elle reste dans l'historique "
    "et les\n"
    "listes, mais n'est comptée dans aucun rapport. meeting restore la rétablit.\n";

static const char restore_help[] =
    "Usage : ctsnode [--home DOSSIER] meeting restore REUNION\n"
    "\n"
    "Rétablit une réunion annulée (statut tenue, ou prevue si sa date est à venir).\n";

/* add and update: the fields of a meeting as options (body, date and title
 * required when adding). */
static const cli_field fields[] = {
	CLI_FIELD(cts_meeting_fields, "body", OPT_STR, body, 1),
	CLI_FIELD(cts_meeting_fields, "date", OPT_STR, date, 1),
	CLI_FIELD(cts_meeting_fields, "title", OPT_STR, title, 1),
	CLI_FIELD(cts_meeting_fields, "place", OPT_STR, place, 0),
	CLI_FIELD(cts_meeting_fields, "status", OPT_STR, status, 0),
	CLI_FIELD(cts_meeting_fields, "again", OPT_FLAG, again, 0),
	{ NULL, 0, 0, 0 },
};
static const cli_form_spec form = { fields, sizeof(cts_meeting_fields), NULL };

static int add_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	char id[37];
	int rc;

	(void)c;
	(void)pos;
	if ((rc = cts_meeting_add(n, arg, id)) == 0)
		printf("%s\n", id);
	return rc;
}

static const cli_record meeting_ref = {
	CTS_REF_MEETING, 0,
	"la réunion est attendue : son identifiant ou sa date (ctsnode meeting list)", NULL
};

static int do_update(cts_node *n, const char *id, void *arg, cts_change *out)
{
	return cts_meeting_update(n, id, arg, out);
}

static int do_reopen(cts_node *n, const char *id, void *arg, cts_change *out)
{
	return cts_meeting_reopen(n, id, *(const char **)arg, out);
}

static int meeting_reopen(cli_ctx *c, int argc, char **argv)
{
	const char *reason = NULL;
	const cli_opt opts[] = { { "reason", OPT_STR, &reason, 1 }, { NULL, 0, NULL, 0 } };

	return cli_change(c, argc, argv, opts, reopen_help, &meeting_ref, do_reopen, &reason);
}

static const char *const list_headers[] = { "Id", "Date", "Instance", "Statut", "Lieu", "Titre" };

static void list_cells(const json_t *o, cli_cells v, int full)
{
	cli_cell_id(v[0], cli_str(o, "id"), full);
	cli_cell_date(v[1], cli_str(o, "date"));
	cli_cell_code(v[2], cts_bodies, cts_body_labels, cli_str(o, "body"));
	cli_cell_code(v[3], cts_meeting_statuses, cts_meeting_status_labels,
	              *cli_str(o, "status") ? cli_str(o, "status") : "tenue");
	snprintf(v[4], CLI_CELL, "%s", cli_str(o, "place"));
	snprintf(v[5], CLI_CELL, "%s", cli_str(o, "title"));
}

static const cli_listing listing = { list_help, "meeting",  NULL,        list_headers,
	                             6,         list_cells, "réunion(s)" };

const cli_cmd cmd_meeting_cmds[] = {
	{ "add", "enregistrer une réunion", .form = &form, .help = add_help, .body = add_body },
	{ "list", "lister les réunions", .listing = &listing },
	{ "update", "corriger une réunion (date, titre, instance, lieu, statut)", .form = &form,
	  .help = update_help, .record = &meeting_ref, .change = do_update },
	{ "approve", "compte rendu approuvé : verrouiller la réunion", .help = approve_help,
	  .record = &meeting_ref, .op = cts_meeting_approve },
	{ "reopen", "rouvrir une réunion approuvée, avec le motif", .run = meeting_reopen },
	{ "cancel", "annuler une réunion (gardée, comptée nulle part)", .help = cancel_help,
	  .record = &meeting_ref, .op = cts_meeting_cancel },
	{ "restore", "rétablir une réunion annulée", .help = restore_help, .record = &meeting_ref,
	  .op = cts_meeting_restore },
	{ 0 },
};
