/* ctsnode contribution add | list | update | withdraw | restore */
#include "cli.h"

#include "contribution.h"
#include "tables.h"

#include <stdio.h>

static const char add_help[] =
    "Usage : ctsnode [--home DOSSIER] contribution add --theme THEME --title TITRE --text TEXTE "
    "[--meeting REUNION]\n"
    "                [--date DATE]\n"
    "\n"
    "Enregistre une contribution (proposition) transmise à la CRSA.\n"
    "Thèmes de départ : segur-pilier-1 à segur-pilier-4 ; la région peut en publier d'autres.\n"
    "  --date  le jour où la contribution a été reçue (AAAA-MM-JJ ou JJ/MM/AAAA) : le rapport la "
    "date\n"
    "          par ce jour, sinon par sa réunion, sinon par le jour de sa saisie.\n";

static const char list_help[] = "Usage : ctsnode [--home DOSSIER] contribution list [--territory "
                                "CODE] [--format texte|csv|json] [--json]\n";

static const char update_help[] =
    "Usage : ctsnode [--home DOSSIER] contribution update CONTRIBUTION [--theme THEME] [--title "
    "TITRE] [--text TEXTE]\n"
    "                [--meeting REUNION] [--date DATE]\n"
    "\n"
    "Corrige les champs donnés d'une contribution (--meeting \"\" ou --date \"\" les effacent).\n"
    "CONTRIBUTION : son identifiant (4 caractères au moins) ou son titre.\n";

static const char withdraw_help[] =
    "Usage : ctsnode [--home DOSSIER] contribution withdraw CONTRIBUTION\n"
    "\n"
    "Retire une contribution saisie par erreur : elle reste dans l'historique et la liste "
    "(Retirée),\n"
    "hors des rapports.\n";

static const char restore_help[] =
    "Usage : ctsnode [--home DOSSIER] contribution restore CONTRIBUTION\n"
    "\n"
    "Rétablit une contribution retirée.\n";

/* add and update: the fields of a contribution as options (theme, title and
 * text required when adding). */
static const cli_field fields[] = {
	CLI_FIELD(cts_contribution_fields, "theme", OPT_STR, theme, 1),
	CLI_FIELD(cts_contribution_fields, "title", OPT_STR, title, 1),
	CLI_FIELD(cts_contribution_fields, "text", OPT_STR, text, 1),
	CLI_FIELD(cts_contribution_fields, "meeting", OPT_STR, meeting, 0),
	CLI_FIELD(cts_contribution_fields, "date", OPT_STR, date, 0),
	{ NULL, 0, 0, 0 },
};
static const cli_form_spec form = { fields, sizeof(cts_contribution_fields), NULL };

/* --meeting as typed, resolved into mid ("" kept: it detaches). */
static int resolve_meeting(cts_node *n, cts_contribution_fields *f, char mid[37])
{
	int rc;

	if (!f->meeting || !*f->meeting)
		return 0;
	if ((rc = cts_resolve_meeting(n, f->meeting, mid)) < 0)
		return rc;
	f->meeting = mid;
	return 0;
}

static int add_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	cts_contribution_fields f = *(cts_contribution_fields *)arg;
	char id[37], mid[37];
	int rc;

	(void)c;
	(void)pos;
	if ((rc = resolve_meeting(n, &f, mid)) == 0 && (rc = cts_contribution_add(n, &f, id)) == 0)
		printf("%s\n", id);
	return rc;
}

static const cli_record contribution_ref = {
	CTS_REF_CONTRIBUTION, 0,
	"la contribution est attendue : son identifiant ou son titre (ctsnode contribution list)",
	"contribution"
};

static int do_update(cts_node *n, const char *id, void *arg, cts_change *out)
{
	cts_contribution_fields g = *(cts_contribution_fields *)arg;
	char mid[37];
	int rc;

	if ((rc = resolve_meeting(n, &g, mid)) < 0)
		return rc;
	return cts_contribution_update(n, id, &g, out);
}

static const char *const list_headers[] = { "Id", "Reçue le", "Réunion", "Thème", "État", "Titre" };

static void list_cells(const json_t *o, cli_cells v, int full)
{
	cli_cell_id(v[0], cli_str(o, "id"), full);
	cli_cell_date(v[1], cli_str(o, "date"));
	cli_cell_id(v[2], cli_str(o, "meeting"), full);
	snprintf(v[3], CLI_CELL, "%s", cli_str(o, "theme"));
	cli_cell_code(v[4], cts_contribution_statuses, cts_contribution_status_labels,
	              *cli_str(o, "status") ? cli_str(o, "status") : "transmise");
	snprintf(v[5], CLI_CELL, "%s", cli_str(o, "title"));
}

static const cli_listing listing = { list_help,  "contribution",   NULL, list_headers, 6,
	                             list_cells, "contribution(s)" };

const cli_cmd cmd_contribution_cmds[] = {
	{ "add", "enregistrer une contribution", .form = &form, .help = add_help,
	  .body = add_body },
	{ "list", "lister les contributions", .listing = &listing },
	{ "update", "corriger une contribution (thème, titre, texte, réunion, date)", .form = &form,
	  .help = update_help, .record = &contribution_ref, .change = do_update },
	{ "withdraw", "retirer une contribution saisie par erreur", .help = withdraw_help,
	  .record = &contribution_ref, .withdraw = CLI_WITHDRAW },
	{ "restore", "rétablir une contribution retirée", .help = restore_help,
	  .record = &contribution_ref, .withdraw = CLI_RESTORE },
	{ 0 },
};
