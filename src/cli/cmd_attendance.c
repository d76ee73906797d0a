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
    "Usage : ctsnode [--home DOSSIER] attendance import --meeting RÉUNION FEUILLE.csv "
    "[--create-missing]\n"
    "                [--absent-missing] [--replace] [--dry-run]\n"
    "\n"
    "Importe la feuille de présence d'une réunion (colonnes "
    "NOM;Prénom;Structure;Collège;Présent;Excusé,\n"
    "séparateur ; , ou tabulation — UTF-8 ou Windows-1252 comme l'enregistre Excel). Une marque "
    "(X, oui,\n"
    "1, ✓) note la présence ou l'excuse ; une ligne sans marque est un membre absent. Les collèges "
    "invite\n"
    "et ars sont des invités, pas des membres. Un classeur .xlsx, .ods ou .xls est refusé : "
    "enregistrez-le\n"
    "d'abord au format CSV. Tout ou rien : une feuille refusée ne modifie rien. RÉUNION est "
    "l'identifiant\n"
    "de la réunion (ou son début, 4 caractères au moins) ou sa date (16/06/2020).\n"
    "\n"
    "Chaque ligne est rapprochée de la liste des membres (majuscules, accents et traits d'union "
    "ignorés).\n"
    "Un nom proche d'un membre (une ou deux lettres de différence) est refusé avec une suggestion, "
    "jamais\n"
    "créé. Un collège différent de celui de la liste, ou une personne notée à la fois membre et "
    "invitée,\n"
    "est signalé ; la liste des membres fait foi.\n"
    "\n"
    "  --create-missing  créer les membres inconnus de la liste au lieu de refuser l'import\n"
    "  --absent-missing  noter absents les membres titulaires en mandat qui ne sont pas sur la "
    "feuille\n"
    "  --replace         remplacer les présences déjà enregistrées pour cette réunion\n"
    "  --dry-run         montrer ce qui serait fait, sans rien enregistrer\n";

static const char list_help[] =
    "Usage : ctsnode [--home DOSSIER] attendance list --meeting REUNION [--format texte|csv|json] "
    "[--json]\n"
    "\n"
    "Liste les présences d'une réunion : membres (Présent, Excusé, Absent) puis invités.\n"
    "REUNION : son identifiant (ou ses 4 premiers caractères au moins), ou sa date.\n";

static const char set_help[] =
    "Usage : ctsnode [--home DOSSIER] attendance set --meeting RÉUNION --member MEMBRE --status "
    "present|excused|absent\n"
    "\n"
    "Corrige la présence d'une personne à une réunion (ou l'ajoute si elle n'y figure pas). "
    "RÉUNION est\n"
    "l'identifiant de la réunion (ou son début, 4 caractères au moins) ou sa date (16/06/2020) ; "
    "MEMBRE\n"
    "l'identifiant du membre (ou son début) ou son nom : \"NOM Prénom\".\n"
    "Les valeurs françaises présent, excusé, absent sont acceptées aussi.\n";

static const char remove_help[] =
    "Usage : ctsnode [--home DOSSIER] attendance remove --meeting RÉUNION --member MEMBRE\n"
    "\n"
    "Retire une personne des présences d'une réunion. RÉUNION est l'identifiant de la réunion (ou "
    "son\n"
    "début, 4 caractères au moins) ou sa date ; MEMBRE l'identifiant du membre (ou son début) ou "
    "son\n"
    "nom : \"NOM Prénom\".\n";

/* ---- import ---- */

static void print_rows(const cts_attendance_result *r)
{
	size_t i;
	json_t *row;

	json_array_foreach(r->rows, i, row)
	{
		const char *st = cli_str(row, "status");
		int k = cts_code_index(cts_attendance_statuses, st);
		printf("ligne %lld : %s %s (%s) : %s — %s\n",
		       (long long)json_integer_value(json_object_get(row, "line")),
		       cli_str(row, "last_name"), cli_str(row, "first_name"),
		       cli_str(row, "college"), k >= 0 ? cts_attendance_status_labels[k] : st,
		       cli_str(row, "action"));
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
		printf("Cette feuille est déjà importée pour cette réunion : rien n'a changé, rien "
		       "n'a été "
		       "enregistré.\n");
		return;
	}
	printf("%s%ld membre(s) : %ld présent(s), %ld excusé(s), %ld absent(s) ; %ld invité(s) "
	       "(%ld invité(s), "
	       "%ld ARS)",
	       opt->dry_run ? "Simulation : " : "", r->members, r->present, r->excused, r->absent,
	       r->guests, r->invited, r->ars);
	if (r->created)
		printf(" ; %ld membre(s) créé(s)", r->created);
	printf(".\n");
	if (r->before.members + r->before.guests > 0)
		printf("Présences %s : %ld ligne(s) ajoutée(s), %ld modifiée(s), %ld retirée(s).\n",
		       opt->dry_run ? "qui seraient remplacées" : "remplacées", r->added,
		       r->changed, r->removed);
}

static json_t *result_json(const cts_attendance_result *r, int ok,
                           const cts_attendance_options *opt)
{
	json_t *o = json_pack(
	    "{s:b, s:b, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i,"
	    " s:{s:i, s:i, s:i, s:i, s:i}, s:{s:i, s:i, s:i}, s:O, s:o}",
	    "ok", ok, "dry_run", opt->dry_run, "unchanged", r->unchanged, "members",
	    (int)r->members, "present", (int)r->present, "excused", (int)r->excused, "absent",
	    (int)r->absent, "guests", (int)r->guests, "invited", (int)r->invited, "ars",
	    (int)r->ars, "created", (int)r->created, "unknown", (int)r->unknown, "near",
	    (int)r->near, "missing", (int)r->missing, "warnings", (int)r->warnings, "before",
	    "members", (int)r->before.members, "present", (int)r->before.present, "excused",
	    (int)r->before.excused, "absent", (int)r->before.absent, "guests",
	    (int)r->before.guests, "changes", "added", (int)r->added, "changed", (int)r->changed,
	    "removed", (int)r->removed, "rows", r->rows, "notes", cts_attendance_notes_json(r));
	if (o && !ok)
		json_object_set_new(o, "error", json_string(cts_error_message()));
	return o;
}

/* What the attendance commands are given. Each works on the meeting
 * --meeting names: meeting_body resolves it, then calls the command's work. */
typedef struct attendance_args {
	const char *meeting, *member, *status, *format;
	int csv;                    /* list: --format csv */
	cts_attendance_options opt; /* import */
	char *buf;                  /* import: the sheet, read before the node is opened */
	size_t len;
	int (*work)(cli_ctx *c, cts_node *n, const char *mid, const struct attendance_args *a);
} attendance_args;

static int meeting_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	const attendance_args *a = arg;
	char mid[37];
	int ec;

	(void)pos;
	if ((ec = cli_resolve(c, n, CTS_REF_MEETING, a->meeting, 0, mid)) != 0)
		return ec;
	return a->work(c, n, mid, a);
}

static int import_check(cli_ctx *c, const char *file, void *arg)
{
	attendance_args *a = arg;
	int rc = cts_read_file(file, CTS_SHEET_MAX_BYTES, &a->buf, &a->len);

	return rc < 0 ? cli_fail(c, rc) : 0;
}

static int import_work(cli_ctx *c, cts_node *n, const char *mid, const attendance_args *a)
{
	cts_attendance_result *r = NULL;
	int rc = cts_attendance_import_sheet(n, mid, a->buf, a->len, &a->opt, &r);

	if (c->json && r) {
		cli_result(c, result_json(r, rc == 0, &a->opt), NULL);
	} else if (r && rc == 0) {
		if (a->opt.dry_run)
			print_rows(r);
		print_notes(r, &a->opt);
		print_summary(r, &a->opt);
	}
	cts_attendance_result_free(r);
	return rc;
}

static int attendance_import(cli_ctx *c, int argc, char **argv)
{
	attendance_args a = { .work = import_work };
	const cli_opt opts[] = {
		{ "meeting", OPT_STR, &a.meeting, 1 },
		{ "create-missing", OPT_FLAG, &a.opt.create_missing, 0 },
		{ "absent-missing", OPT_FLAG, &a.opt.absent_missing, 0 },
		{ "replace", OPT_FLAG, &a.opt.replace, 0 },
		{ "dry-run", OPT_FLAG, &a.opt.dry_run, 0 },
		{ NULL, 0, NULL, 0 },
	};
	const cli_spec s = { opts, import_help, "le fichier de la feuille de présence est attendu",
		             import_check };
	int ec = cli_run(c, argc, argv, &s, meeting_body, &a);

	free(a.buf);
	return ec;
}

/* ---- list ---- */

static const char *const list_headers[] = { "Nom", "Prénom", "Collège", "Présence", "Structure" };

static void list_cells(const json_t *a, cli_cells v, int full)
{
	(void)full;
	snprintf(v[0], CLI_CELL, "%s", cli_str(a, "last_name"));
	snprintf(v[1], CLI_CELL, "%s", cli_str(a, "first_name"));
	cli_cell_code(v[2], cts_attendance_colleges, cts_attendance_college_labels,
	              cli_str(a, "college"));
	cli_cell_code(v[3], cts_attendance_statuses, cts_attendance_status_labels,
	              cli_str(a, "status"));
	snprintf(v[4], CLI_CELL, "%s", cli_str(a, "organisation"));
}

static int list_check(cli_ctx *c, const char *pos, void *arg)
{
	attendance_args *a = arg;

	(void)pos;
	return (a->csv = cli_list_format(c, a->format)) < 0 ? EXIT_USAGE : 0;
}

static int list_work(cli_ctx *c, cts_node *n, const char *mid, const attendance_args *a)
{
	static const cli_listing l = { list_help, NULL,       NULL,      list_headers,
		                       5,         list_cells, "ligne(s)" };
	json_t *arr = NULL;
	int rc;

	if ((rc = cts_attendance_list(n, mid, &arr)) < 0)
		return rc;
	cli_print_rows(c, arr, &l, a->csv);
	json_decref(arr);
	return EXIT_OK;
}

static int attendance_list(cli_ctx *c, int argc, char **argv)
{
	attendance_args a = { .work = list_work };
	const cli_opt opts[] = { { "meeting", OPT_STR, &a.meeting, 1 },
		                 { "format", OPT_STR, &a.format, 0 },
		                 { NULL, 0, NULL, 0 } };
	const cli_spec s = { opts, list_help, NULL, list_check };

	return cli_run(c, argc, argv, &s, meeting_body, &a);
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

static int person_work(cli_ctx *c, cts_node *n, const char *mid, const attendance_args *a)
{
	cts_attendance_change ch;
	char id[37];
	int ec, rc;

	if ((ec = resolve_member(c, n, a->member, id)) != 0)
		return ec;
	rc = a->status ? cts_attendance_set(n, mid, id, status_code(a->status), &ch)
	               : cts_attendance_remove(n, mid, id, &ch);
	if (rc < 0)
		return rc;
	cli_result(c,
	           json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:s, s:s}", "meeting", mid, "member", id,
	                     "changed", ch.changed, "before", ch.before, "after", ch.after, "date",
	                     ch.date, "message", ch.message),
	           "%s.\n", ch.message);
	return EXIT_OK;
}

static int one_person(cli_ctx *c, int argc, char **argv, int set)
{
	attendance_args a = { .work = person_work };
	const cli_opt opts[] = {
		{ "meeting", OPT_STR, &a.meeting, 1 },
		{ "member", OPT_STR, &a.member, 1 },
		{ "status", OPT_STR, &a.status, set },
		{ NULL, 0, NULL, 0 },
	};
	const cli_spec s = { set ? opts : (const cli_opt[]){ opts[0], opts[1], opts[3] },
		             set ? set_help : remove_help, NULL, NULL };

	return cli_run(c, argc, argv, &s, meeting_body, &a);
}

static int attendance_set(cli_ctx *c, int argc, char **argv)
{
	return one_person(c, argc, argv, 1);
}

static int attendance_remove(cli_ctx *c, int argc, char **argv)
{
	return one_person(c, argc, argv, 0);
}

const cli_cmd cmd_attendance_cmds[] = {
	{ "import", "importer une feuille de présence (CSV)", .run = attendance_import },
	{ "list", "lister les présences d'une réunion", .run = attendance_list },
	{ "set", "corriger la présence d'une personne", .run = attendance_set },
	{ "remove", "retirer une personne des présences", .run = attendance_remove },
	{ 0 },
};
