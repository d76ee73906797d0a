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
	"Usage : ctsnode [--home DOSSIER] report --year AAAA [--territory CODE] --format md|html|csv|json [-o FICHIER]\n"
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

/* Parse the report options shared by `report` and `region publish`.
 * Returns 0 to go on, or -1 with *ec the exit code (help shown, usage error). */
static int report_opts(cli_ctx *c, int argc, char **argv, const char *help, cts_report_params *p, char from[11],
		       char to[11], const char **format, const char **output, int need_format, int *ec)
{
	long long year = 0;
	const char *quorum = NULL, *f = NULL, *t = NULL;
	const cli_opt opts[] = {
		{ "year", OPT_INT, &year, 0 },          { "from", OPT_STR, &f, 0 },
		{ "to", OPT_STR, &t, 0 },               { "territory", OPT_STR, &p->territory, 0 },
		{ "format", OPT_STR, format, need_format }, { "output", OPT_STR, output, 0 },
		{ "quorum", OPT_STR, &quorum, 0 },      { "generated-at", OPT_STR, &p->generated_at, 0 },
		{ NULL, 0, NULL, 0 },
	};
	char *pos[1];
	int npos;

	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-o") == 0)
			argv[i] = (char *)"--output";
	if (cli_parse(c, argc, argv, opts, help, pos, 0, &npos, ec) < 0)
		return -1;
	*ec = EXIT_USAGE;
	if (year) {
		if (f || t)
			return cli_usage(c, "--year ou --from/--to, pas les deux"), -1;
		if (year < 1900 || year > 9999)
			return cli_usage(c, "année invalide « %lld »", year), -1;
		cts_report_year(p, (int)year, from, to);
	} else if (f && t) {
		snprintf(from, 11, "%.10s", f);
		snprintf(to, 11, "%.10s", t);
		p->from = from;
		p->to = to;
	} else {
		return cli_usage(c, "la période est obligatoire : --year AAAA ou --from et --to"), -1;
	}
	if (quorum && parse_quorum(quorum, &p->quorum_num, &p->quorum_den) < 0)
		return cli_usage(c, "--quorum attend une fraction N/D, par exemple 1/2"), -1;
	if (*format && cts_report_format_parse(*format) < 0)
		return cli_usage(c, "format inconnu « %s » : md, html, csv ou json", *format), -1;
	*ec = 0;
	return 0;
}

/* The report goes out as it is computed (cts_report_write). */
static int to_stdout(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	if (fwrite(buf, 1, len, stdout) != len)
		return cts_error_set(CTS_EIO, "écriture du rapport impossible (%s)", strerror(errno));
	return 0;
}

static int to_strbuf(void *ctx, const char *buf, size_t len)
{
	cts_strbuf_addn(ctx, buf, len);
	return 0;
}

int cmd_report(cli_ctx *c, int argc, char **argv)
{
	cts_report_params p = { .quorum_num = 1, .quorum_den = 2 };
	const char *format = NULL, *output = NULL;
	char from[11], to[11], *text = NULL;
	size_t len = 0;
	cts_strbuf b = { 0 };
	cts_node *n;
	int ec, rc;

	if (report_opts(c, argc, argv, report_help, &p, from, to, &format, &output, 1, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if (!p.territory && n->role == CTS_ROLE_TERRITORY)
		p.territory = n->territory;
	/* Written to the file once whole (atomic replace); to stdout as computed. */
	rc = cts_report_write(n, &p, (cts_report_format)cts_report_format_parse(format), output ? to_strbuf : to_stdout,
			      &b);
	if (rc == 0 && output && (rc = cts_strbuf_take(&b, &text, &len)) == 0)
		rc = cts_write_file_atomic(output, text, len, 0644);
	cts_strbuf_dispose(&b);
	free(text);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (output && !c->json)
		fprintf(stderr, "Rapport écrit dans %s.\n", output);
	return EXIT_OK;
}

static const char publish_help[] =
	"Usage : ctsnode [--home DOSSIER] region publish --year AAAA [--generated-at TEXTE]\n"
	"\n"
	"Nœud régional : produit le rapport régional de l'année dans les quatre formats et le publie,\n"
	"signé, sous reports/AAAA/ sur la branche region du dépôt régional.\n";

int cmd_region_publish(cli_ctx *c, int argc, char **argv)
{
	static const char *const names[] = { "rapport.json", "rapport.md", "rapport.html", "rapport.csv" };
	static const cts_report_format fmts[] = { CTS_REPORT_JSON, CTS_REPORT_MD, CTS_REPORT_HTML, CTS_REPORT_CSV };
	cts_report_params p = { .quorum_num = 1, .quorum_den = 2 };
	const char *format = NULL, *output = NULL;
	char from[11], to[11], *texts[4] = { 0 }, paths[4][64], msg[128];
	const char *pathp[4];
	const unsigned char *datap[4];
	size_t lens[4];
	json_t *rep = NULL;
	struct cts_key *key = NULL;
	cts_node *n;
	int ec, rc;

	if (report_opts(c, argc, argv, publish_help, &p, from, to, &format, &output, 0, &ec) < 0)
		return ec;
	if (format || output || p.territory)
		return cli_usage(c, "region publish produit toujours le rapport régional dans les quatre formats");
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if (n->role != CTS_ROLE_AUTHORITY) {
		cts_node_free(n);
		return cli_fail(c, cts_error_set(CTS_EINVAL, "seul le nœud régional publie les rapports"));
	}
	if ((ec = cli_load_key(c, n, &key)) != 0) {
		cts_node_free(n);
		return ec;
	}
	rc = cts_report_build(n, &p, &rep);
	for (int i = 0; rc == 0 && i < 4; i++) {
		rc = cts_report_render(rep, fmts[i], &texts[i], &lens[i]);
		snprintf(paths[i], sizeof(paths[i]), "reports/%.4s/%s", from, names[i]);
		pathp[i] = paths[i];
		datap[i] = (const unsigned char *)texts[i];
	}
	snprintf(msg, sizeof(msg), "région : rapport %.4s\n", from);
	if (rc == 0)
		rc = cts_sync_region_publish_files(n, key, pathp, datap, lens, 4, msg);
	for (int i = 0; i < 4; i++)
		free(texts[i]);
	json_decref(rep);
	cts_key_free(key);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (!c->json)
		printf("Rapport %.4s publié sous reports/%.4s/ sur la branche region.\n", from, from);
	return EXIT_OK;
}
