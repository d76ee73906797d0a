/* ctsnode member add | list | update | remove | restore */
#include "cli.h"

#include "error.h"
#include "member.h"
#include "tables.h"

#include <stdio.h>
#include <string.h>

static const char add_help[] =
    "Usage : ctsnode [--home DOSSIER] member add --last-name NOM --first-name PRENOM "
    "--organisation STRUCTURE\n"
    "                --college COLLEGE [--seat titulaire|suppleant] [--role ROLE]\n"
    "                [--mandate-start DATE] [--mandate-end DATE]\n"
    "\n"
    "Ajoute un membre au conseil de ce territoire et affiche son identifiant.\n"
    "Collèges : professionnels, usagers, collectivites, etat, personnes-qualifiees.\n"
    "Dates : AAAA-MM-JJ ou JJ/MM/AAAA.\n";

static const char list_help[] =
    "Usage : ctsnode [--home DOSSIER] member list [--territory CODE] [--removed] [--format "
    "texte|csv|json] [--json]\n"
    "\n"
    "Liste les membres (du territoire de ce nœud par défaut).\n"
    "  --removed     les membres retirés de la liste (à rétablir avec member restore)\n"
    "  --format csv  un fichier pour Excel (UTF-8, « ; »), par exemple : member list --format csv "
    "> membres.csv\n";

static const char update_help[] =
    "Usage : ctsnode [--home DOSSIER] member update MEMBRE [--last-name NOM] [--first-name "
    "PRENOM]\n"
    "                [--organisation S] [--college C] [--seat S] [--role R] [--mandate-start D] "
    "[--mandate-end D]\n"
    "\n"
    "Corrige les champs donnés d'un membre (une valeur vide efface un champ facultatif).\n"
    "MEMBRE : son identifiant (ou ses 4 premiers caractères au moins), ou « NOM Prénom ».\n";

static const char remove_help[] =
    "Usage : ctsnode [--home DOSSIER] member remove MEMBRE\n"
    "\n"
    "Retire un membre de la liste (l'historique signé le garde ; member restore le rétablit).\n"
    "MEMBRE : son identifiant (ou ses 4 premiers caractères au moins), ou « NOM Prénom ».\n";

static const char restore_help[] =
    "Usage : ctsnode [--home DOSSIER] member restore MEMBRE\n"
    "\n"
    "Rétablit dans la liste un membre retiré, avec le même identifiant et ses dernières valeurs.\n"
    "MEMBRE : comme le montre « ctsnode member list --removed ».\n";

/* add and update: the fields of a member as options (names, organisation and
 * college required when adding). */
static const cli_field fields[] = {
	CLI_FIELD(cts_member_fields, "last-name", OPT_STR, last_name, 1),
	CLI_FIELD(cts_member_fields, "first-name", OPT_STR, first_name, 1),
	CLI_FIELD(cts_member_fields, "organisation", OPT_STR, organisation, 1),
	CLI_FIELD(cts_member_fields, "college", OPT_STR, college, 1),
	CLI_FIELD(cts_member_fields, "seat", OPT_STR, seat, 0),
	CLI_FIELD(cts_member_fields, "role", OPT_STR, role, 0),
	CLI_FIELD(cts_member_fields, "mandate-start", OPT_STR, mandate_start, 0),
	CLI_FIELD(cts_member_fields, "mandate-end", OPT_STR, mandate_end, 0),
	{ NULL, 0, 0, 0 },
};
static const cli_form_spec form = { fields, sizeof(cts_member_fields), NULL };

static int add_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	char id[37];
	int rc;

	(void)pos;
	if ((rc = cts_member_add(n, arg, id)) == 0)
		cli_result(c, json_pack("{s:s}", "id", id), "%s\n", id);
	return rc;
}

#define MEMBER_MISSING                                                                             \
	"le membre est attendu : son identifiant ou « NOM Prénom » (ctsnode member list)"
static const cli_record member_ref = { CTS_REF_MEMBER, 0, MEMBER_MISSING, NULL };
static const cli_record removed_member_ref = { CTS_REF_MEMBER, CTS_RESOLVE_REMOVED, MEMBER_MISSING,
	                                       NULL };

static int do_update(cts_node *n, const char *id, void *arg, cts_change *out)
{
	return cts_member_update(n, id, arg, out);
}

static const char *const list_headers[] = { "Id",    "Nom",  "Prénom", "Collège",
	                                    "Siège", "Rôle", "Mandat", "Structure" };

static void list_cells(const json_t *o, cli_cells v, int full)
{
	const char *start = cli_str(o, "mandate_start"), *end = cli_str(o, "mandate_end");
	char a[32], b[32];

	cli_cell_id(v[0], cli_str(o, "id"), full);
	snprintf(v[1], CLI_CELL, "%s", cli_str(o, "last_name"));
	snprintf(v[2], CLI_CELL, "%s", cli_str(o, "first_name"));
	cli_cell_code(v[3], cts_colleges, cts_college_labels, cli_str(o, "college"));
	cli_cell_code(v[4], cts_seats, cts_seat_labels, cli_str(o, "seat"));
	snprintf(v[5], CLI_CELL, "%s", cli_str(o, "role"));
	cli_cell_date(a, start);
	cli_cell_date(b, end);
	if (*start && *end)
		snprintf(v[6], CLI_CELL, "%s – %s", a, b);
	else if (*start)
		snprintf(v[6], CLI_CELL, "depuis le %s", a);
	else if (*end)
		snprintf(v[6], CLI_CELL, "jusqu'au %s", b);
	snprintf(v[7], CLI_CELL, "%s", cli_str(o, "organisation"));
}

static const cli_listing listing = { list_help,    "member", cts_member_list_removed,
	                             list_headers, 8,        list_cells,
	                             "membre(s)" };

const cli_cmd cmd_member_cmds[] = {
	{ "add", "ajouter un membre", .form = &form, .help = add_help, .body = add_body },
	{ "list", "lister les membres (--removed : les membres retirés)", .listing = &listing },
	{ "update", "corriger un membre", .form = &form, .help = update_help, .record = &member_ref,
	  .change = do_update },
	{ "remove", "retirer un membre de la liste", .help = remove_help, .record = &member_ref,
	  .op = cts_member_remove },
	{ "restore", "rétablir un membre retiré", .help = restore_help,
	  .record = &removed_member_ref, .op = cts_member_restore },
	{ 0 },
};
