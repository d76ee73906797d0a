/* ctsnode seal: the pending operations into the next signed changeset. */
#include "cli.h"

static const char seal_help[] =
	"Usage : ctsnode [--home DOSSIER] seal\n"
	"\n"
	"Scelle les opérations saisies dans le prochain changeset signé du nœud, sans réseau.\n"
	"(sync le fait aussi avant d'envoyer.)\n";

int cmd_seal(cli_ctx *c, int argc, char **argv)
{
	cts_node *n;
	char *pos[1];
	int npos, ec, sealed = 0;
	int64_t last = 0;

	if (cli_parse(c, argc, argv, NULL, seal_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if ((ec = cli_seal(c, n, &sealed)) != 0) {
		cts_node_free(n);
		return ec;
	}
	cts_store_meta_get_int(n->store, "last_seq", &last, 0);
	if (c->json) {
		json_t *o = json_pack("{s:i, s:I}", "sealed", sealed, "last_seq", (json_int_t)last);
		cli_print_json(o);
		json_decref(o);
	} else if (sealed) {
		printf("%d changeset(s) scellé(s) et signé(s) ; dernier : n°%lld.\n", sealed, (long long)last);
	} else {
		printf("Rien à sceller.\n");
	}
	cts_node_free(n);
	return EXIT_OK;
}

