/* ctsnode conflicts [list] | resolve */
#include "cli.h"

#include "error.h"
#include "hlc.h"
#include "record.h"

#include <stdlib.h>
#include <string.h>

static const char list_help[] =
    "Usage : ctsnode [--home DOSSIER] conflicts [--json]\n"
    "\n"
    "Liste les modifications concurrentes d'un même champ (faites sur deux postes sans que l'un\n"
    "ait vu l'autre). La valeur retenue suit la règle « la plus récente gagne » ; l'autre est\n"
    "gardée ici jusqu'à ce que quelqu'un tranche : ctsnode conflicts resolve ID --keep "
    "retenue|ecartee\n";

static const char resolve_help[] =
    "Usage : ctsnode [--home DOSSIER] conflicts resolve ID --keep retenue|ecartee\n"
    "\n"
    "Tranche un conflit : réécrit le champ avec la valeur choisie (une modification signée\n"
    "ordinaire, qui clôt le conflit sur tous les nœuds qui l'importent).\n";

static void print_conflict(const json_t *o)
{
	char *wv = json_dumps(json_object_get(o, "win_value"), JSON_ENCODE_ANY);
	char *lv = json_dumps(json_object_get(o, "lose_value"), JSON_ENCODE_ANY);

	printf("Conflit %lld : %s %s, champ %s\n  retenue : %s (%s n°%lld)\n  écartée : %s (%s "
	       "n°%lld)\n",
	       (long long)json_integer_value(json_object_get(o, "id")), cli_str(o, "table"),
	       cli_str(o, "record"), cli_str(o, "field"), wv ? wv : "?", cli_str(o, "win_node"),
	       (long long)json_integer_value(json_object_get(o, "win_seq")), lv ? lv : "?",
	       cli_str(o, "lose_node"),
	       (long long)json_integer_value(json_object_get(o, "lose_seq")));
	free(wv);
	free(lv);
}

static int list_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	json_t *arr = NULL, *o;
	size_t i;
	int rc;

	(void)pos;
	(void)arg;
	if ((rc = cts_record_conflicts(n->store, 0, &arr)) < 0)
		return rc;
	if (c->json) {
		cli_print_json(arr);
	} else {
		json_array_foreach(arr, i, o) print_conflict(o);
		printf("%zu conflit(s) à examiner.\n", json_array_size(arr));
	}
	json_decref(arr);
	return EXIT_OK;
}

static int conflicts_list(cli_ctx *c, int argc, char **argv)
{
	return cli_run_plain(c, argc, argv, list_help, list_body);
}

typedef struct {
	const char *keep;
	long long id;
} resolve_args;

/* --keep and the conflict's number, before the node is opened. */
static int resolve_check(cli_ctx *c, const char *pos, void *arg)
{
	resolve_args *a = arg;
	char *end;

	if (strcmp(a->keep, "retenue") != 0 && strcmp(a->keep, "ecartee") != 0)
		return cli_usage(c, "--keep attend retenue ou ecartee");
	a->id = strtoll(pos, &end, 10);
	if (!*pos || *end || a->id <= 0)
		return cli_fail(
		    c, cts_error_set(CTS_ENOTFOUND,
		                     "aucun conflit ouvert numéro %s (ctsnode conflicts)", pos));
	return 0;
}

static int resolve_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	const resolve_args *a = arg;
	int rc;

	if ((rc = cts_record_conflict_resolve(n->store, n->territory, a->id,
	                                      strcmp(a->keep, "retenue") == 0)) == 0)
		cli_result(c, NULL,
		           "Conflit %s tranché ; la décision sera signée au prochain sync.\n", pos);
	return rc;
}

static int conflicts_resolve(cli_ctx *c, int argc, char **argv)
{
	resolve_args a = { 0 };
	const cli_opt opts[] = { { "keep", OPT_STR, &a.keep, 1 }, { NULL, 0, NULL, 0 } };
	const cli_spec s = { opts, resolve_help,
		             "le numéro du conflit est attendu (ctsnode conflicts)",
		             resolve_check };

	return cli_run(c, argc, argv, &s, resolve_body, &a);
}

int cmd_conflicts(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "list", "lister les conflits ouverts", .run = conflicts_list },
		{ "resolve", "trancher un conflit", .run = conflicts_resolve },
		{ 0 },
	};
	if (argc == 0 || strncmp(argv[0], "--", 2) == 0)
		return conflicts_list(c, argc, argv);
	return cli_dispatch(c, "conflicts", cmds, argc, argv);
}
