/* ctsnode report / region publish */
#include "cli.h"

#include "error.h"
#include "report.h"
#include "strbuf.h"
#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char report_help[] =
    "Usage : ctsnode [--home DOSSIER] report --year AAAA [--territory CODE] --format "
    "md|html|csv|json [-o FICHIER]\n"
    "        ctsnode [--home DOSSIER] report --from AAAA-MM-JJ --to AAAA-MM-JJ ...\n"
    "\n"
    "Rapport d'activité de la période : chiffres clés de la région et de chaque territoire,\n"
    "présence par collège, réunions par instance, quorum, avis et votes, contributions par thème,\n"
    "et les anomalies relevées. Sur le nœud d'un territoire, le rapport porte sur ce territoire.\n"
    "\n"
    "  --format FORMAT      md (Markdown), html (page autonome avec graphiques, imprimable),\n"
    "                       csv (Excel : UTF-8 avec BOM, « ; », virgule décimale), json\n"
    "  -o, --output FICHIER écrire dans FICHIER (sinon sur la sortie standard)\n"
    "  --territory CODE     un seul territoire\n"
    "  --quorum N/D         règle de quorum : présents votants > N/D des sièges (défaut 1/2)\n"
    "  --generated-at TEXTE date de production à inscrire (absente par défaut, pour que deux\n"
    "                       nœuds ayant le même historique produisent des fichiers identiques)\n";

static const char publish_help[] =
    "Usage : ctsnode [--home DOSSIER] region publish --year AAAA [--generated-at TEXTE]\n"
    "\n"
    "Nœud régional : produit le rapport régional de l'année dans les quatre formats et le publie,\n"
    "signé, sous reports/AAAA/ sur la branche region du dépôt régional.\n";

static int parse_quorum(const char *s, int *num, int *den)
{
	char *end;
	long a, b;

	a = strtol(s, &end, 10);
	if (*end != '/')
		return -1;
	b = strtol(end + 1, &end, 10);
	if (*end || a < 0 || b <= 0 || a > b || b > 1000)
		return -1;
	*num = (int)a;
	*den = (int)b;
	return 0;
}

/* What `report` and `region publish` are asked for. */
typedef struct {
	cts_report_params p;
	const char *format, *output;
	char from[11], to[11];
} report_args;

/* Parse the report options shared by `report` and `region publish`
 * (publish: no --format, --output or --territory, always the four formats).
 * a comes zeroed; the default quorum (1/2) is set here. Returns 0 to go on,
 * or -1 with *ec the exit code (help shown, usage error). */
static int report_opts(cli_ctx *c, int argc, char **argv, report_args *a, int publish, int *ec)
{
	long long year = 0;
	const char *quorum = NULL, *f = NULL, *t = NULL;
	const cli_opt opts[] = {
		{ "year", OPT_INT, &year, 0 },
		{ "from", OPT_STR, &f, 0 },
		{ "to", OPT_STR, &t, 0 },
		{ "territory", OPT_STR, &a->p.territory, 0 },
		{ "format", OPT_STR, &a->format, !publish },
		{ "output", OPT_STR, &a->output, 0 },
		{ "quorum", OPT_STR, &quorum, 0 },
		{ "generated-at", OPT_STR, &a->p.generated_at, 0 },
		{ NULL, 0, NULL, 0 },
	};
	char *pos[1];
	int npos;

	a->p.quorum_num = 1; /* default quorum: half of the members */
	a->p.quorum_den = 2;
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-o") == 0)
			argv[i] = (char *)"--output";
	if (cli_parse(c, argc, argv, opts, publish ? publish_help : report_help, pos, 0, &npos,
	              ec) < 0)
		return -1;
	*ec = EXIT_USAGE;
	if (year) {
		if (f || t)
			return cli_usage(c, "--year ou --from/--to, pas les deux"), -1;
		if (year < 1900 || year > 9999)
			return cli_usage(c, "année invalide « %lld »", year), -1;
		cts_report_year(&a->p, (int)year, a->from, a->to);
	} else if (f && t) {
		snprintf(a->from, 11, "%.10s", f);
		snprintf(a->to, 11, "%.10s", t);
		a->p.from = a->from;
		a->p.to = a->to;
	} else {
		return cli_usage(c, "la période est obligatoire : --year AAAA ou --from et --to"),
		       -1;
	}
	if (quorum && parse_quorum(quorum, &a->p.quorum_num, &a->p.quorum_den) < 0)
		return cli_usage(c, "--quorum attend une fraction N/D, par exemple 1/2"), -1;
	if (a->format && cts_report_format_parse(a->format) < 0)
		return cli_usage(c, "format inconnu « %s » : md, html, csv ou json", a->format), -1;
	if (publish && (a->format || a->output || a->p.territory))
		return cli_usage(c, "region publish produit toujours le rapport régional dans les "
		                    "quatre formats"),
		       -1;
	*ec = 0;
	return 0;
}

/* The report goes out as it is computed (cts_report_write). */
static int to_stdout(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	if (fwrite(buf, 1, len, stdout) != len)
		return cts_error_set(CTS_EIO, "écriture du rapport impossible (%s)",
		                     strerror(errno));
	return 0;
}

static int to_strbuf(void *ctx, const char *buf, size_t len)
{
	cts_strbuf_addn(ctx, buf, len);
	return 0;
}

static int report_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	report_args *a = arg;
	char *text = NULL;
	size_t len = 0;
	cts_strbuf b = { 0 };
	int rc;

	(void)pos;
	if (!a->p.territory && n->role == CTS_ROLE_TERRITORY)
		a->p.territory = n->territory;
	/* Written to the file once whole (atomic replace); to stdout as computed. */
	rc = cts_report_write(n, &a->p, (cts_report_format)cts_report_format_parse(a->format),
	                      a->output ? to_strbuf : to_stdout, &b);
	if (rc == 0 && a->output && (rc = cts_strbuf_take(&b, &text, &len)) == 0)
		rc = cts_write_file_atomic(a->output, text, len, 0644);
	cts_strbuf_dispose(&b);
	free(text);
	if (rc == 0 && a->output && !c->json)
		fprintf(stderr, "Rapport écrit dans %s.\n", a->output);
	return rc;
}

static int publish_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	static const char *const names[] = { "rapport.json", "rapport.md", "rapport.html",
		                             "rapport.csv" };
	static const cts_report_format fmts[] = { CTS_REPORT_JSON, CTS_REPORT_MD, CTS_REPORT_HTML,
		                                  CTS_REPORT_CSV };
	const report_args *a = arg;
	char *texts[4] = { 0 }, paths[4][64], msg[128];
	const char *pathp[4];
	const unsigned char *datap[4];
	size_t lens[4];
	json_t *rep = NULL;
	struct cts_key *key = NULL;
	int ec, rc;

	(void)pos;
	if (n->role != CTS_ROLE_AUTHORITY)
		return cts_error_set(CTS_EINVAL, "seul le nœud régional publie les rapports");
	if ((ec = cli_load_key(c, n, &key)) != 0)
		return ec;
	rc = cts_report_build(n, &a->p, &rep);
	for (int i = 0; rc == 0 && i < 4; i++) {
		rc = cts_report_render(rep, fmts[i], &texts[i], &lens[i]);
		snprintf(paths[i], sizeof(paths[i]), "reports/%.4s/%s", a->from, names[i]);
		pathp[i] = paths[i];
		datap[i] = (const unsigned char *)texts[i];
	}
	snprintf(msg, sizeof(msg), "région : rapport %.4s\n", a->from);
	if (rc == 0)
		rc = cts_sync_region_publish_files(n, key, pathp, datap, lens, 4, msg);
	for (int i = 0; i < 4; i++)
		free(texts[i]);
	json_decref(rep);
	cts_key_free(key);
	if (rc == 0)
		cli_result(c, NULL,
		           "Rapport %.4s publié sous reports/%.4s/ sur la branche region.\n",
		           a->from, a->from);
	return rc;
}

/* `report` or `region publish` (publish): the options, then the body on the node. */
static int run_report(cli_ctx *c, int argc, char **argv, int publish)
{
	report_args a = { 0 };
	int ec;

	if (report_opts(c, argc, argv, &a, publish, &ec) < 0)
		return ec;
	return cli_run_on_node(c, NULL, publish ? publish_body : report_body, &a);
}

int cmd_report(cli_ctx *c, int argc, char **argv)
{
	return run_report(c, argc, argv, 0);
}

int cmd_region_publish(cli_ctx *c, int argc, char **argv)
{
	return run_report(c, argc, argv, 1);
}
