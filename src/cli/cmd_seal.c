/* ctsnode seal: the pending operations into the next signed changeset. */
#include "cli.h"

static const char seal_help[] =
    "Usage : ctsnode [--home DOSSIER] seal\n"
    "\n"
    "Scelle les opérations saisies dans le prochain changeset signé du nœud, sans réseau.\n"
    "(sync le fait aussi avant d'envoyer.)\n";

static int seal_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	int ec, sealed = 0;
	int64_t last = 0;

	(void)pos;
	(void)arg;
	if ((ec = cli_seal(c, n, &sealed)) != 0)
		return ec;
	cts_store_meta_get_int(n->store, "last_seq", &last, 0);
	json_t *o = json_pack("{s:i, s:I}", "sealed", sealed, "last_seq", (json_int_t)last);
	if (sealed)
		cli_result(c, o, "%d changeset(s) scellé(s) et signé(s) ; dernier : n°%lld.\n",
		           sealed, (long long)last);
	else
		cli_result(c, o, "Rien à sceller.\n");
	return EXIT_OK;
}

int cmd_seal(cli_ctx *c, int argc, char **argv)
{
	return cli_run_plain(c, argc, argv, seal_help, seal_body);
}
