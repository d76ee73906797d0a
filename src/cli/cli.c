#include "cli.h"

#include "error.h"

#include <stdarg.h>
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

int cli_parse(cli_ctx *c, int argc, char **argv, const cli_opt *opts, const char *help,
	      char **pos, int max_pos, int *npos, int *exit_code)
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
				if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, name, nlen) == 0)
					break;
			if (k == nopt) {
				free(seen);
				*exit_code = cli_usage(c, "option inconnue « %s »", a);
				return -1;
			}
			if (seen[k] && opts[k].kind != OPT_LIST) {
				free(seen);
				*exit_code = cli_usage(c, "l'option --%s est donnée deux fois", opts[k].name);
				return -1;
			}
			seen[k] = 1;
			if (opts[k].kind == OPT_FLAG) {
				if (eq) {
					free(seen);
					*exit_code = cli_usage(c, "l'option --%s ne prend pas de valeur", opts[k].name);
					return -1;
				}
				*(int *)opts[k].dest = 1;
				continue;
			}
			const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!val) {
				free(seen);
				*exit_code = cli_usage(c, "l'option --%s attend une valeur", opts[k].name);
				return -1;
			}
			if (opts[k].kind == OPT_STR) {
				*(const char **)opts[k].dest = val;
			} else if (opts[k].kind == OPT_LIST) {
				cli_strlist *l = opts[k].dest;
				if (l->n >= CLI_LIST_MAX) {
					free(seen);
					*exit_code = cli_usage(c, "l'option --%s est donnée trop de fois (%d au plus)",
							       opts[k].name, CLI_LIST_MAX);
					return -1;
				}
				l->v[l->n++] = val;
			} else {
				char *end;
				long long v = strtoll(val, &end, 10);
				if (!*val || *end) {
					free(seen);
					*exit_code = cli_usage(c, "l'option --%s attend un nombre entier, pas « %s »",
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

int cli_dispatch(cli_ctx *c, const char *group, const cli_cmd *cmds, int argc, char **argv)
{
	char prog[128];
	const char *parent = c->prog;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		FILE *out = argc < 1 ? stderr : stdout;
		fprintf(out, "Usage : ctsnode [--home DOSSIER] %s COMMANDE [OPTIONS]\n\nCommandes :\n", group);
		for (int i = 0; cmds[i].name; i++)
			fprintf(out, "  %-14s %s\n", cmds[i].name, cmds[i].summary);
		fprintf(out, "\nAide d'une commande : ctsnode %s COMMANDE --help\n", group);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	for (int i = 0; cmds[i].name; i++) {
		if (strcmp(cmds[i].name, argv[0]) == 0) {
			snprintf(prog, sizeof(prog), "%s %s", parent ? parent : "ctsnode", argv[0]);
			c->prog = prog;
			return cmds[i].run(c, argc - 1, argv + 1);
		}
	}
	return cli_usage(c, "commande inconnue « %s »", argv[0]);
}

int cli_open_node(cli_ctx *c, cts_node **out)
{
	char *home = NULL;
	int rc;

	*out = NULL;
	if ((rc = cts_node_home_resolve(&home, c->home_flag)) < 0)
		return cli_fail(c, rc);
	{
		/* How long to wait for another ctsnode command on the same
		 * node (CTSNODE_LOCK_TIMEOUT seconds, default 120). */
		const char *w = getenv("CTSNODE_LOCK_TIMEOUT");
		int wait_ms = w && *w ? atoi(w) * 1000 : 120 * 1000;
		rc = cts_node_open_wait(out, home, wait_ms < 0 ? 0 : wait_ms);
	}
	free(home);
	return rc < 0 ? cli_fail(c, rc) : 0;
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

int cli_list(cli_ctx *c, int argc, char **argv, const char *help, cli_list_fn list,
	     void (*print_row)(const json_t *row), const char *noun)
{
	const char *territory = NULL;
	const cli_opt opts[] = { { "territory", OPT_STR, &territory, 0 }, { NULL, 0, NULL, 0 } };
	cts_node *n;
	json_t *arr = NULL, *row;
	char *pos[1];
	size_t i;
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, opts, help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = list(n, territory ? territory : (n->role == CTS_ROLE_TERRITORY ? n->territory : NULL), &arr);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (c->json) {
		cli_print_json(arr);
	} else {
		json_array_foreach(arr, i, row)
			print_row(row);
		printf("%zu %s.\n", json_array_size(arr), noun);
	}
	json_decref(arr);
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
