/* ctsnode attendance import | list | set | remove */
#include "cli.h"

#include "attendance.h"
#include "error.h"
#include "roll.h"
#include "sheet.h"
#include "tables.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char import_help[] =
	"Usage : ctsnode [--home DOSSIER] attendance import --meeting RÉUNION FEUILLE.csv [--create-missing]\n"
	"                [--absent-missing] [--replace] [--dry-run]\n"
	"\n"
	"Importe la feuille de présence d'une réunion (colonnes NOM;Prénom;Structure;Collège;Présent;Excusé,\n"
	"séparateur ; , ou tabulation — UTF-8 ou Windows-1252 comme l'enregistre Excel). Une marque (X, oui,\n"
	"1, ✓) note la présence ou l'excuse ; une ligne sans marque est un membre absent. Les collèges invite\n"
	"et ars sont des invités, pas des membres. Un classeur .xlsx, .ods ou .xls est refusé : enregistrez-le\n"
	"d'abord au format CSV. Tout ou rien : une feuille refusée ne modifie rien. RÉUNION est l'identifiant\n"
	"de la réunion (ou son début, 4 caractères au moins) ou sa date (16/06/2020).\n"
	"\n"
	"Chaque ligne est rapprochée de la liste des membres (majuscules, accents et traits d'union ignorés).\n"
	"Un nom proche d'un membre (une ou deux lettres de différence) est refusé avec une suggestion, jamais\n"
	"créé. Un collège différent de celui de la liste, ou une personne notée à la fois membre et invitée,\n"
	"est signalé ; la liste des membres fait foi.\n"
	"\n"
	"  --create-missing  créer les membres inconnus de la liste au lieu de refuser l'import\n"
	"  --absent-missing  noter absents les membres titulaires en mandat qui ne sont pas sur la feuille\n"
	"  --replace         remplacer les présences déjà enregistrées pour cette réunion\n"
	"  --dry-run         montrer ce qui serait fait, sans rien enregistrer\n";

static const char list_help[] =
	"Usage : ctsnode [--home DOSSIER] attendance list --meeting REUNION [--format texte|csv|json] [--json]\n"
	"\n"
	"Liste les présences d'une réunion : membres (Présent, Excusé, Absent) puis invités.\n"
	"REUNION : son identifiant (ou ses 4 premiers caractères au moins), ou sa date.\n";

static const char set_help[] =
	"Usage : ctsnode [--home DOSSIER] attendance set --meeting RÉUNION --member MEMBRE --status present|excused|absent\n"
	"\n"
	"Corrige la présence d'une personne à une réunion (ou l'ajoute si elle n'y figure pas). RÉUNION est\n"
	"l'identifiant de la réunion (ou son début, 4 caractères au moins) ou sa date (16/06/2020) ; MEMBRE\n"
	"l'identifiant du membre (ou son début) ou son nom : \"NOM Prénom\".\n"
	"Les valeurs françaises présent, excusé, absent sont acceptées aussi.\n";

static const char remove_help[] =
	"Usage : ctsnode [--home DOSSIER] attendance remove --meeting RÉUNION --member MEMBRE\n"
	"\n"
	"Retire une personne des présences d'une réunion. RÉUNION est l'identifiant de la réunion (ou son\n"
	"début, 4 caractères au moins) ou sa date ; MEMBRE l'identifiant du membre (ou son début) ou son\n"
	"nom : \"NOM Prénom\".\n";

/* ---- import ---- */

static void print_rows(const cts_attendance_result *r)
{
	size_t i;
	json_t *row;

	json_array_foreach(r->rows, i, row) {
		const char *st = cli_str(row, "status");
		int k = cts_code_index(cts_attendance_statuses, st);
		printf("ligne %lld : %s %s (%s) : %s — %s\n",
		       (long long)json_integer_value(json_object_get(row, "line")), cli_str(row, "last_name"),
		       cli_str(row, "first_name"), cli_str(row, "college"),
		       k >= 0 ? cts_attendance_status_labels[k] : st, cli_str(row, "action"));
	}
}

static void print_notes(const cts_attendance_result *r, const cts_attendance_options *opt)
{
	for (size_t i = 0; i < r->note_count; i++)
		if (!r->notes[i].blocking && r->notes[i].kind != CTS_ATT_MISSING)
			printf("Attention, %s.\n", r->notes[i].message);
	if (r->missing == 0)
		return;
	printf("%ld membre(s) titulaire(s) en mandat absent(s) de la feuille%s :\n", r->missing,
	       opt->absent_missing ? ", noté(s) absent(s)" : "");
	for (size_t i = 0; i < r->note_count; i++)
		if (r->notes[i].kind == CTS_ATT_MISSING)
			printf("  %s\n", r->notes[i].member_name ? r->notes[i].member_name : "");
	if (!opt->absent_missing)
		printf("(--absent-missing les noterait absents)\n");
}

static void print_summary(const cts_attendance_result *r, const cts_attendance_options *opt)
{
	if (r->unchanged) {
		printf("Cette feuille est déjà importée pour cette réunion : rien n'a changé, rien n'a été "
		       "enregistré.\n");
		return;
	}
	printf("%s%ld membre(s) : %ld présent(s), %ld excusé(s), %ld absent(s) ; %ld invité(s) (%ld invité(s), "
	       "%ld ARS)",
	       opt->dry_run ? "Simulation : " : "", r->members, r->present, r->excused, r->absent,
	       r->guests, r->invited, r->ars);
	if (r->created)
		printf(" ; %ld membre(s) créé(s)", r->created);
	printf(".\n");
	if (r->before.members + r->before.guests > 0)
		printf("Présences %s : %ld ligne(s) ajoutée(s), %ld modifiée(s), %ld retirée(s).\n",
		       opt->dry_run ? "qui seraient remplacées" : "remplacées", r->added, r->changed,
		       r->removed);
}

static json_t *result_json(const cts_attendance_result *r, int ok, const cts_attendance_options *opt)
{
	json_t *o = json_pack("{s:b, s:b, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i,"
	                      " s:{s:i, s:i, s:i, s:i, s:i}, s:{s:i, s:i, s:i}, s:O, s:o}",
	                      "ok", ok, "dry_run", opt->dry_run, "unchanged", r->unchanged, "members",
	                      (int)r->members, "present", (int)r->present, "excused", (int)r->excused,
	                      "absent", (int)r->absent, "guests", (int)r->guests, "invited",
	                      (int)r->invited, "ars", (int)r->ars, "created", (int)r->created, "unknown",
	                      (int)r->unknown, "near", (int)r->near, "missing", (int)r->missing,
	                      "warnings", (int)r->warnings, "before", "members", (int)r->before.members,
	                      "present", (int)r->before.present, "excused", (int)r->before.excused,
	                      "absent", (int)r->before.absent, "guests", (int)r->before.guests,
	                      "changes", "added", (int)r->added, "changed", (int)r->changed, "removed",
	                      (int)r->removed, "rows", r->rows, "notes", cts_attendance_notes_json(r));
	if (o && !ok)
		json_object_set_new(o, "error", json_string(cts_error_message()));
	return o;
}

static int attendance_import(cli_ctx *c, int argc, char **argv)
{
	const char *meeting = NULL;
	cts_attendance_options opt = {0};
	int npos, ec, rc;
	const cli_opt opts[] = {
		{ "meeting", OPT_STR, &meeting, 1 },
		{ "create-missing", OPT_FLAG, &opt.create_missing, 0 },
		{ "absent-missing", OPT_FLAG, &opt.absent_missing, 0 },
		{ "replace", OPT_FLAG, &opt.replace, 0 },
		{ "dry-run", OPT_FLAG, &opt.dry_run, 0 },
		{ NULL, 0, NULL, 0 },
	};
	cts_attendance_result *r = NULL;
	cts_node *n;
	char *pos[1], *buf = NULL, mid[37];
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
	if ((ec = cli_resolve(c, n, CTS_REF_MEETING, meeting, 0, mid)) != 0) {
		free(buf);
		cts_node_free(n);
		return ec;
	}
	rc = cts_attendance_import_sheet(n, mid, buf, len, &opt, &r);
	free(buf);
	cts_node_free(n);
	if (c->json && r) {
		json_t *o = result_json(r, rc == 0, &opt);
		cli_print_json(o);
		json_decref(o);
	} else if (r && rc == 0) {
		if (opt.dry_run)
			print_rows(r);
		print_notes(r, &opt);
		print_summary(r, &opt);
	}
	cts_attendance_result_free(r);
	return rc < 0 ? cli_fail(c, rc) : EXIT_OK;
}

/* ---- list ---- */

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

/* ---- one person ---- */

/* The member id --member names (resolve.h: an id, its beginning, "NOM
 * Prénom"...); a name that is nobody's is refused with the near members of
 * the roll suggested. 0, or the exit code (message printed). */
static int resolve_member(cli_ctx *c, cts_node *n, const char *text, char id[37])
{
	cts_roll *roll = NULL;
	int rc = cts_resolve_member(n, text, id);

	if (rc != CTS_ENOTFOUND)
		return rc < 0 ? cli_fail(c, rc) : 0;
	if ((rc = cts_roll_load(n, NULL, &roll)) == 0)
		rc = cts_roll_refuse_unknown(roll, text);
	cts_roll_free(roll);
	return cli_fail(c, rc);
}

/* The status code of --status: a code, or its French spelling (case and
 * accents ignored: présent, excusée...); anything else as given, for the
 * rules to refuse with their message. */
static const char *status_code(const char *v)
{
	static const char *const fr[][2] = { { "present", "present" }, { "presente", "present" },
					     { "excuse", "excused" },  { "excusee", "excused" },
					     { "excused", "excused" }, { "absent", "absent" },
					     { "absente", "absent" } };
	const char *code = v;
	char *key = NULL;

	if (v && cts_text_fold(&key, v) == 0)
		for (size_t i = 0; i < sizeof(fr) / sizeof(fr[0]); i++)
			if (strcmp(key, fr[i][0]) == 0)
				code = fr[i][1];
	free(key);
	return code;
}

static int one_person(cli_ctx *c, int argc, char **argv, int set)
{
	const char *meeting = NULL, *member = NULL, *status = NULL;
	const cli_opt opts[] = {
		{ "meeting", OPT_STR, &meeting, 1 },
		{ "member", OPT_STR, &member, 1 },
		{ "status", OPT_STR, &status, set },
		{ NULL, 0, NULL, 0 },
	};
	cts_attendance_change ch;
	cts_node *n;
	char *pos[1], id[37], mid[37];
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, set ? opts : (const cli_opt[]){ opts[0], opts[1], opts[3] },
		      set ? set_help : remove_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if ((ec = cli_resolve(c, n, CTS_REF_MEETING, meeting, 0, mid)) != 0 ||
	    (ec = resolve_member(c, n, member, id)) != 0) {
		cts_node_free(n);
		return ec;
	}
	rc = set ? cts_attendance_set(n, mid, id, status_code(status), &ch)
		 : cts_attendance_remove(n, mid, id, &ch);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (c->json) {
		json_t *o = json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:s, s:s}", "meeting", mid, "member", id,
				      "changed", ch.changed, "before", ch.before, "after", ch.after, "date", ch.date,
				      "message", ch.message);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("%s.\n", ch.message);
	}
	return EXIT_OK;
}

static int attendance_set(cli_ctx *c, int argc, char **argv)
{
	return one_person(c, argc, argv, 1);
}

static int attendance_remove(cli_ctx *c, int argc, char **argv)
{
	return one_person(c, argc, argv, 0);
}

int cmd_attendance(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "import", attendance_import, "importer une feuille de présence (CSV)" },
		{ "list", attendance_list, "lister les présences d'une réunion" },
		{ "set", attendance_set, "corriger la présence d'une personne" },
		{ "remove", attendance_remove, "retirer une personne des présences" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, "attendance", cmds, argc, argv);
}
