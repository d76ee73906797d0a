#include "cli.h"

#include "csvout.h"
#include "error.h"
#include "tables.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

int cli_exit_code(int rc)
{
	switch (rc) {
	case CTS_OK:
		return EXIT_OK;
	case CTS_EINVAL:
	case CTS_ECRYPTO:
	case CTS_EEXISTS:
	case CTS_ENOTFOUND:
	case CTS_EAUTH:
	case CTS_ELIMIT:
	case CTS_EREJECT:
		return EXIT_FINDINGS;
	case CTS_ENET:
		return EXIT_QUEUED;
	case CTS_EBUSY:
		return EXIT_BUSY;
	case CTS_EACCESS:
	case CTS_EAMBIGUOUS:
		return EXIT_USAGE;
	default:
		return EXIT_INTERNAL;
	}
}

int cli_fail(cli_ctx *c, int rc)
{
	const char *msg = cts_error_message();

	(void)c;
	fprintf(stderr, "ctsnode : erreur : %s\n", msg && *msg ? msg : cts_error_name(rc));
	return cli_exit_code(rc);
}

int cli_usage(cli_ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s : ", c->prog ? c->prog : "ctsnode");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nAide : %s --help\n", c->prog ? c->prog : "ctsnode");
	return EXIT_USAGE;
}

int cli_parse(cli_ctx *c, int argc, char **argv, const cli_opt *opts, const char *help, char **pos,
              int max_pos, int *npos, int *exit_code)
{
	int nopt = 0;

	*npos = 0;
	while (opts && opts[nopt].name)
		nopt++;
	int *seen = calloc((size_t)nopt + 1, sizeof(int));
	if (!seen) {
		*exit_code = EXIT_INTERNAL;
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(help, stdout);
			free(seen);
			*exit_code = EXIT_OK;
			return -1;
		}
		if (strcmp(a, "--json") == 0) {
			c->json = 1;
			continue;
		}
		if (strncmp(a, "--", 2) == 0 && a[2]) {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
			int k;
			for (k = 0; k < nopt; k++)
				if (strlen(opts[k].name) == nlen &&
				    strncmp(opts[k].name, name, nlen) == 0)
					break;
			if (k == nopt) {
				free(seen);
				*exit_code = cli_usage(c, "option inconnue « %s »", a);
				return -1;
			}
			if (seen[k] && opts[k].kind != OPT_LIST) {
				free(seen);
				*exit_code = cli_usage(c, "l'option --%s est donnée deux fois",
				                       opts[k].name);
				return -1;
			}
			seen[k] = 1;
			if (opts[k].kind == OPT_FLAG) {
				if (eq) {
					free(seen);
					*exit_code =
					    cli_usage(c, "l'option --%s ne prend pas de valeur",
					              opts[k].name);
					return -1;
				}
				*(int *)opts[k].dest = 1;
				continue;
			}
			const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!val) {
				free(seen);
				*exit_code =
				    cli_usage(c, "l'option --%s attend une valeur", opts[k].name);
				return -1;
			}
			if (opts[k].kind == OPT_STR) {
				*(const char **)opts[k].dest = val;
			} else if (opts[k].kind == OPT_LIST) {
				cli_strlist *l = opts[k].dest;
				if (l->n >= CLI_LIST_MAX) {
					free(seen);
					*exit_code = cli_usage(
					    c, "l'option --%s est donnée trop de fois (%d au plus)",
					    opts[k].name, CLI_LIST_MAX);
					return -1;
				}
				l->v[l->n++] = val;
			} else {
				char *end;
				long long v = strtoll(val, &end, 10);
				if (!*val || *end) {
					free(seen);
					*exit_code = cli_usage(
					    c, "l'option --%s attend un nombre entier, pas « %s »",
					    opts[k].name, val);
					return -1;
				}
				*(long long *)opts[k].dest = v;
			}
			continue;
		}
		if (*npos >= max_pos) {
			free(seen);
			*exit_code = cli_usage(c, "argument inattendu « %s »", a);
			return -1;
		}
		pos[(*npos)++] = argv[i];
	}
	for (int k = 0; k < nopt; k++) {
		if (opts[k].required && !seen[k]) {
			free(seen);
			*exit_code = cli_usage(c, "l'option --%s est obligatoire", opts[k].name);
			return -1;
		}
	}
	free(seen);
	return 0;
}

/* One command of a table, as cli_cmd says it is. */
static int run_cmd(cli_ctx *c, const cli_cmd *k, int argc, char **argv)
{
	if (k->sub)
		return cli_dispatch(c, k->name, k->sub, argc, argv);
	if (k->listing)
		return cli_list(c, argc, argv, k->listing);
	if (k->form)
		return cli_form(c, argc, argv, k);
	if (k->op || k->withdraw)
		return cli_change_op(c, argc, argv, k);
	if (k->body)
		return cli_run_plain(c, argc, argv, k->help, k->body);
	return k->run(c, argc, argv);
}

int cli_dispatch(cli_ctx *c, const char *group, const cli_cmd *cmds, int argc, char **argv)
{
	char prog[128];
	const char *parent = c->prog;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		FILE *out = argc < 1 ? stderr : stdout;
		fprintf(out,
		        "Usage : ctsnode [--home DOSSIER] %s COMMANDE [OPTIONS]\n\nCommandes :\n",
		        group);
		for (int i = 0; cmds[i].name; i++)
			fprintf(out, "  %-14s %s\n", cmds[i].name, cmds[i].summary);
		fprintf(out, "\nAide d'une commande : ctsnode %s COMMANDE --help\n", group);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	for (int i = 0; cmds[i].name; i++) {
		if (strcmp(cmds[i].name, argv[0]) == 0) {
			snprintf(prog, sizeof(prog), "%s %s", parent ? parent : "ctsnode", argv[0]);
			c->prog = prog;
			return run_cmd(c, &cmds[i], argc - 1, argv + 1);
		}
	}
	return cli_usage(c, "commande inconnue « %s »", argv[0]);
}

void cli_print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
}

const char *cli_str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

void cli_cell_code(char *cell, const char *const *codes, const char *const *labels,
                   const char *code)
{
	snprintf(cell, CLI_CELL, "%s", cts_code_label(codes, labels, code));
}

void cli_cell_date(char *cell, const char *iso)
{
	cts_text_date_fr(cell, CLI_CELL, iso);
}

void cli_cell_id(char *cell, const char *id, int full)
{
	snprintf(cell, CLI_CELL, full ? "%s" : "%.8s", id ? id : "");
}

/* Cells on one line: newlines and tabs of multi-line texts become spaces. */
static void one_line(char *cell)
{
	for (; *cell; cell++)
		if (*cell == '\n' || *cell == '\r' || *cell == '\t')
			*cell = ' ';
}

/* The cells of one row, after its territory when terr. */
static void row_cells(const cli_listing *l, const json_t *row, cli_cells *cells, int full, int terr)
{
	memset(cells, 0, sizeof(*cells));
	l->cells(row, *cells + (terr ? 1 : 0), full);
	if (terr)
		snprintf((*cells)[0], CLI_CELL, "%s", cli_str(row, "territory"));
}

/* The headers, after "Territoire" when terr; their count. */
static size_t headers(const cli_listing *l, const char **h, int terr)
{
	size_t n = 0;

	if (terr)
		h[n++] = "Territoire";
	for (size_t k = 0; k < l->ncols && n < CLI_MAX_COLS; k++)
		h[n++] = l->headers[k];
	return n;
}

static void print_csv(const json_t *rows, const cli_listing *l, int terr)
{
	cts_strbuf b = { 0 };
	cli_cells *cells = malloc(sizeof(*cells));
	const char *v[CLI_MAX_COLS];
	size_t i;
	json_t *row;

	if (!cells)
		return;
	size_t ncols = headers(l, v, terr);

	cts_csv_bom(&b);
	cts_csv_row(&b, v, ncols);
	json_array_foreach(rows, i, row)
	{
		row_cells(l, row, cells, 1, terr);
		for (size_t k = 0; k < ncols; k++)
			v[k] = (*cells)[k];
		cts_csv_row(&b, v, ncols);
	}
	if (b.ptr)
		fwrite(b.ptr, 1, b.len, stdout);
	cts_strbuf_dispose(&b);
	free(cells);
}

/* Padding of `cell` to `width` columns (the last column is not padded). */
static void print_cell(const char *cell, size_t width, int last)
{
	fputs(cell, stdout);
	if (last)
		return;
	for (size_t w = cts_text_width(cell); w < width + 2; w++)
		fputc(' ', stdout);
}

/* Two passes over the rows (widths, then lines): the cells of one row at
 * a time in memory, whatever the length of the listing. */
static void print_table(const json_t *rows, const cli_listing *l, int terr)
{
	size_t n = json_array_size(rows), width[CLI_MAX_COLS] = { 0 }, ncols;
	cli_cells *cells = malloc(sizeof(*cells));
	const char *h[CLI_MAX_COLS];

	if (!cells)
		return;
	ncols = headers(l, h, terr);
	for (size_t k = 0; k < ncols; k++)
		width[k] = cts_text_width(h[k]);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && n) {
			for (size_t k = 0; k < ncols; k++)
				print_cell(h[k], width[k], k + 1 == ncols);
			fputc('\n', stdout);
		}
		for (size_t i = 0; i < n; i++) {
			row_cells(l, json_array_get(rows, i), cells, 0, terr);
			for (size_t k = 0; k < ncols; k++) {
				size_t w;
				one_line((*cells)[k]);
				if (pass == 1)
					print_cell((*cells)[k], width[k], k + 1 == ncols);
				else if ((w = cts_text_width((*cells)[k])) > width[k])
					width[k] = w;
			}
			if (pass == 1)
				fputc('\n', stdout);
		}
	}
	free(cells);
}

void cli_print_rows(cli_ctx *c, const json_t *rows, const cli_listing *l, int csv)
{
	if (c->json) {
		cli_print_json(rows);
	} else if (csv) {
		print_csv(rows, l, c->all_territories);
	} else {
		print_table(rows, l, c->all_territories);
		printf("%zu %s.\n", json_array_size(rows), l->noun);
	}
}

int cli_list_format(cli_ctx *c, const char *format)
{
	if (!format || strcmp(format, "texte") == 0 || strcmp(format, "text") == 0)
		return 0;
	if (strcmp(format, "csv") == 0)
		return 1;
	if (strcmp(format, "json") == 0) {
		c->json = 1;
		return 0;
	}
	cli_usage(c, "format inconnu « %s » : texte, csv ou json", format);
	return -1;
}

int cli_list(cli_ctx *c, int argc, char **argv, const cli_listing *l)
{
	const char *territory = NULL, *format = NULL;
	int removed = 0;
	cli_opt opts[] = { { "territory", OPT_STR, &territory, 0 },
		           { "format", OPT_STR, &format, 0 },
		           { "removed", OPT_FLAG, &removed, 0 },
		           { NULL, 0, NULL, 0 } };
	cts_node *n;
	json_t *arr = NULL;
	char *pos[1], own[128] = "";
	int npos, ec, rc, csv;

	if (!l->list_removed)
		opts[2].name = NULL;
	if (cli_parse(c, argc, argv, opts, l->help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((csv = cli_list_format(c, format)) < 0)
		return EXIT_USAGE;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if (!territory && n->role == CTS_ROLE_TERRITORY)
		territory = n->territory;
	c->all_territories = !territory;
	/* A territory's device keeps its own territory only (scope.h). */
	if (n->role == CTS_ROLE_TERRITORY && strcmp(territory, n->territory) != 0)
		snprintf(own, sizeof(own), "%s", n->territory);
	rc = removed ? l->list_removed(n, territory, &arr)
	             : cts_change_list(n, l->table, territory, &arr);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	cli_print_rows(c, arr, l, csv);
	json_decref(arr);
	if (*own && !c->json && !csv)
		printf(
		    "Ce poste ne garde que le territoire %s : les autres territoires sont sur le "
		    "nœud régional.\n",
		    own);
	return EXIT_OK;
}

int cli_progress_wanted(void)
{
	return isatty(STDERR_FILENO);
}

void cli_progress(size_t done, size_t total, void *ctx)
{
	(void)ctx;
	if (total < 64)
		return;
	fprintf(stderr, "\rVérification et import : %zu / %zu changesets", done, total);
	if (done == total)
		fputs("\n", stderr);
	fflush(stderr);
}
