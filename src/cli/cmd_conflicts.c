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
	"gardée ici jusqu'à ce que quelqu'un tranche : ctsnode conflicts resolve ID --keep retenue|ecartee\n";

static const char resolve_help[] =
	"Usage : ctsnode [--home DOSSIER] conflicts resolve ID --keep retenue|ecartee\n"
	"\n"
	"Tranche un conflit : réécrit le champ avec la valeur choisie (une modification signée\n"
	"ordinaire, qui clôt le conflit sur tous les nœuds qui l'importent).\n";

static int conflicts_list(cli_ctx *c, int argc, char **argv)
{
	cts_node *n;
	json_t *arr = NULL, *o;
	char *pos[1];
	size_t i;
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, NULL, list_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = cts_record_conflicts(n->store, 0, &arr);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (c->json) {
		cli_print_json(arr);
	} else {
		json_array_foreach(arr, i, o) {
			char *wv = json_dumps(json_object_get(o, "win_value"), JSON_ENCODE_ANY);
			char *lv = json_dumps(json_object_get(o, "lose_value"), JSON_ENCODE_ANY);
			printf("Conflit %lld : %s %s, champ %s\n  retenue : %s (%s n°%lld)\n  écartée : %s (%s n°%lld)\n",
			       (long long)json_integer_value(json_object_get(o, "id")), cli_str(o, "table"), cli_str(o, "record"),
			       cli_str(o, "field"), wv ? wv : "?", cli_str(o, "win_node"),
			       (long long)json_integer_value(json_object_get(o, "win_seq")), lv ? lv : "?", cli_str(o, "lose_node"),
			       (long long)json_integer_value(json_object_get(o, "lose_seq")));
			free(wv);
			free(lv);
		}
		printf("%zu conflit(s) à examiner.\n", json_array_size(arr));
	}
	json_decref(arr);
	return EXIT_OK;
}

static int conflicts_resolve(cli_ctx *c, int argc, char **argv)
{
	const char *keep = NULL;
	const cli_opt opts[] = { { "keep", OPT_STR, &keep, 1 }, { NULL, 0, NULL, 0 } };
	cts_node *n;
	char *pos[1], *end;
	long long id;
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, opts, resolve_help, pos, 1, &npos, &ec) < 0)
		return ec;
	if (npos != 1)
		return cli_usage(c, "le numéro du conflit est attendu (ctsnode conflicts)");
	if (strcmp(keep, "retenue") != 0 && strcmp(keep, "ecartee") != 0)
		return cli_usage(c, "--keep attend retenue ou ecartee");
	id = strtoll(pos[0], &end, 10);
	if (!*pos[0] || *end || id <= 0)
		return cli_fail(c, cts_error_set(CTS_ENOTFOUND, "aucun conflit ouvert numéro %s (ctsnode conflicts)", pos[0]));
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = cts_record_conflict_resolve(n->store, n->territory, id, strcmp(keep, "retenue") == 0);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (!c->json)
		printf("Conflit %s tranché ; la décision sera signée au prochain sync.\n", pos[0]);
	return EXIT_OK;
}

int cmd_conflicts(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "list", conflicts_list, "lister les conflits ouverts" },
		{ "resolve", conflicts_resolve, "trancher un conflit" },
		{ NULL, NULL, NULL },
	};
	if (argc == 0 || strncmp(argv[0], "--", 2) == 0)
		return conflicts_list(c, argc, argv);
	return cli_dispatch(c, "conflicts", cmds, argc, argv);
}
