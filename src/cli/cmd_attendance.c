/* ctsnode attendance import | list */
#include "cli.h"

#include "attendance.h"
#include "error.h"
#include "sheet.h"
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char import_help[] =
	"Usage : ctsnode [--home DOSSIER] attendance import --meeting ID FEUILLE.csv [--create-missing] [--dry-run]\n"
	"\n"
	"Importe la feuille de présence d'une réunion (colonnes NOM;Prénom;Structure;Collège;Présent;Excusé,\n"
	"séparateur ; ou , — UTF-8 ou Windows-1252 comme l'enregistre Excel). Une croix « X » marque\n"
	"la présence ou l'excuse ; une ligne sans marque est un membre absent. Les collèges invite et ars\n"
	"sont des invités, pas des membres. Tout ou rien : une feuille refusée ne modifie rien.\n"
	"\n"
	"  --create-missing  créer les membres absents de la liste au lieu de refuser l'import\n"
	"  --dry-run         montrer ce qui serait fait, sans rien enregistrer\n";

static const char list_help[] =
	"Usage : ctsnode [--home DOSSIER] attendance list --meeting REUNION [--format texte|csv|json] [--json]\n"
	"\n"
	"Liste les présences d'une réunion : membres (Présent, Excusé, Absent) puis invités.\n"
	"REUNION : son identifiant (ou ses 4 premiers caractères au moins), ou sa date.\n";

static void print_summary(const cts_attendance_result *r, int dry_run)
{
	printf("%s%ld membre(s) : %ld présent(s), %ld excusé(s), %ld absent(s) ; %ld invité(s) (%ld invité(s), %ld ARS)",
	       dry_run ? "Simulation : " : "", r->members, r->present, r->excused, r->absent, r->guests, r->invited, r->ars);
	if (r->created)
		printf(" ; %ld membre(s) créé(s)", r->created);
	printf(".\n");
}

static int attendance_import(cli_ctx *c, int argc, char **argv)
{
	const char *meeting = NULL;
	int create_missing = 0, dry_run = 0, npos, ec, rc;
	const cli_opt opts[] = {
		{ "meeting", OPT_STR, &meeting, 1 },
		{ "create-missing", OPT_FLAG, &create_missing, 0 },
		{ "dry-run", OPT_FLAG, &dry_run, 0 },
		{ NULL, 0, NULL, 0 },
	};
	cts_attendance_result *r = NULL;
	cts_node *n;
	char *pos[1], *buf = NULL;
	size_t len = 0;

	if (cli_parse(c, argc, argv, opts, import_help, pos, 1, &npos, &ec) < 0)
		return ec;
	if (npos != 1)
		return cli_usage(c, "le fichier de la feuille de présence est attendu");
	if ((rc = cts_read_file(pos[0], CTS_SHEET_MAX_BYTES, &buf, &len)) < 0)
		return cli_fail(c, rc);
	if ((ec = cli_open_node(c, &n)) != 0) {
		free(buf);
		return ec;
	}
	rc = cts_attendance_import(n, meeting, buf, len, create_missing, dry_run, &r);
	free(buf);
	cts_node_free(n);
	if (rc < 0) {
		if (c->json && r) {
			json_t *o = json_pack("{s:b, s:s, s:O}", "ok", 0, "error", cts_error_message(), "rows", r->rows);
			cli_print_json(o);
			json_decref(o);
		}
		cts_attendance_result_free(r);
		return cli_fail(c, rc);
	}
	if (c->json) {
		json_t *o = json_pack("{s:b, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:O}", "ok", 1, "dry_run", dry_run,
				      "members", (int)r->members, "present", (int)r->present, "excused", (int)r->excused,
				      "absent", (int)r->absent, "guests", (int)r->guests, "invited", (int)r->invited,
				      "ars", (int)r->ars, "created", (int)r->created, "rows", r->rows);
		cli_print_json(o);
		json_decref(o);
	} else {
		if (dry_run) {
			size_t i;
			json_t *row;
			json_array_foreach(r->rows, i, row)
				printf("ligne %lld : %s %s (%s) : %s — %s\n",
				       (long long)json_integer_value(json_object_get(row, "line")), cli_str(row, "first_name"),
				       cli_str(row, "last_name"), cli_str(row, "college"), cli_str(row, "status"),
				       cli_str(row, "action"));
		}
		print_summary(r, dry_run);
	}
	cts_attendance_result_free(r);
	return EXIT_OK;
}

static const char *const list_headers[] = { "Nom", "Prénom", "Collège", "Présence", "Structure" };

static void list_cells(const json_t *a, cli_cells v, int full)
{
	(void)full;
	snprintf(v[0], CLI_CELL, "%s", cli_str(a, "last_name"));
	snprintf(v[1], CLI_CELL, "%s", cli_str(a, "first_name"));
	cli_cell_code(v[2], cts_attendance_colleges, cts_attendance_college_labels, cli_str(a, "college"));
	cli_cell_code(v[3], cts_attendance_statuses, cts_attendance_status_labels, cli_str(a, "status"));
	snprintf(v[4], CLI_CELL, "%s", cli_str(a, "organisation"));
}

static int attendance_list(cli_ctx *c, int argc, char **argv)
{
	static const cli_listing l = { list_help, NULL, NULL, list_headers, 5, list_cells, "ligne(s)" };
	const char *meeting = NULL, *format = NULL;
	const cli_opt opts[] = { { "meeting", OPT_STR, &meeting, 1 }, { "format", OPT_STR, &format, 0 }, { NULL, 0, NULL, 0 } };
	cts_node *n;
	json_t *arr = NULL;
	char *pos[1], mid[37];
	int npos, ec, rc, csv;

	if (cli_parse(c, argc, argv, opts, list_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((csv = cli_list_format(c, format)) < 0)
		return EXIT_USAGE;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if ((ec = cli_resolve(c, n, CTS_REF_MEETING, meeting, 0, mid)) != 0) {
		cts_node_free(n);
		return ec;
	}
	rc = cts_attendance_list(n, mid, &arr);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	cli_print_rows(c, arr, &l, csv);
	json_decref(arr);
	return EXIT_OK;
}

int cmd_attendance(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "import", attendance_import, "importer une feuille de présence (CSV)" },
		{ "list", attendance_list, "lister les présences d'une réunion" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, "attendance", cmds, argc, argv);
}
