/* ctsnode sync / region pull: exchange with the regional git repository. */
#include "cli.h"

#include "error.h"
#include "sync.h"

#include <string.h>

static const char sync_help[] =
	"Usage : ctsnode [--home DOSSIER] sync [--remote URL] [--json]\n"
	"\n"
	"Scelle et signe les opérations saisies, les dépose sur la branche du poste dans le dépôt\n"
	"régional, envoie, puis récupère et importe le travail des autres postes et de la région.\n"
	"Sans réseau, le travail est scellé et gardé sur le poste : le prochain sync l'enverra\n"
	"(code de sortie 4). URL : chemin (clé USB), file://, git://, ssh://utilisateur@hôte:port/chemin.\n"
	"--remote change le dépôt retenu pour ce poste.\n";

static const char pull_help[] =
	"Usage : ctsnode [--home DOSSIER] region pull [--remote URL] [--json]\n"
	"\n"
	"Nœud régional : récupère et importe les branches de tous les postes, signe un point de\n"
	"contrôle des têtes acceptées, publie la branche region (allowed_signers, registre) et envoie.\n"
	"Un dépôt local qui n'existe pas encore est créé (dépôt nu).\n";

int cli_print_import(cli_ctx *c, const cts_import_stats *st);

static int has_refusal(const json_t *events)
{
	size_t i;
	json_t *e;

	json_array_foreach(events, i, e)
		if (strcmp(cli_str(e, "state"), "refused") == 0)
			return 1;
	return 0;
}

static int run(cli_ctx *c, int argc, char **argv, int region)
{
	const char *url = NULL;
	const cli_opt opts[] = { { "remote", OPT_STR, &url, 0 }, { NULL, 0, NULL, 0 } };
	cts_sync_result r = { 0 };
	cts_node *n;
	struct cts_key *key = NULL;
	char *pos[1];
	int npos, ec, rc, sealed = 0;

	if (cli_parse(c, argc, argv, opts, region ? pull_help : sync_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if ((ec = cli_seal(c, n, &sealed)) != 0 || (ec = cli_load_key(c, n, &key)) != 0) {
		cts_node_free(n);
		return ec;
	}
	if (cli_progress_wanted())
		r.import.progress = cli_progress;
	rc = region ? cts_sync_region_pull(n, key, url, &r) : cts_sync_node(n, key, url, &r);
	cts_key_free(key);
	if (c->json) {
		json_t *o = json_pack("{s:b, s:i, s:i, s:b, s:b, s:i, s:i, s:i, s:o, s:o}", "ok", rc == 0, "sealed", sealed,
				      "committed", r.committed, "pushed", r.pushed, "queued_push", r.queued, "checkpointed",
				      r.checkpointed, "accepted", r.import.accepted, "duplicates", r.import.duplicates,
				      "events", r.import.events ? json_incref(r.import.events) : json_array(),
				      "findings", r.findings ? json_incref(r.findings) : json_array());
		json_object_set_new(o, "forks", json_integer(r.import.forks));
		json_object_set_new(o, "fork_records", json_integer(r.import.evidence));
		if (rc < 0)
			json_object_set_new(o, "error", json_string(cts_error_message()));
		cli_print_json(o);
		json_decref(o);
	} else {
		if (sealed)
			printf("%d changeset(s) scellé(s) et signé(s).\n", sealed);
		if (r.committed)
			printf("%d changeset(s) déposé(s) sur la branche du poste.\n", r.committed);
		if (rc != CTS_ENET && rc != CTS_EREJECT)
			cli_print_import(c, &r.import);
		if (r.checkpointed)
			printf("Point de contrôle signé pour %d nœud(s).\n", r.checkpointed);
		if (r.pushed)
			printf("Envoyé au dépôt régional.\n");
		{
			size_t i;
			json_t *f;
			json_array_foreach(r.findings, i, f)
				printf("  CONSTAT %s : %s\n", cli_str(f, "node"), cli_str(f, "reason"));
		}
	}
	cts_node_free(n);
	if (rc < 0) {
		if (rc == CTS_ENET && !c->json) {
			printf("Envoi en attente : %s\n", cts_error_message());
			cts_sync_result_dispose(&r);
			return EXIT_QUEUED;
		}
		cts_sync_result_dispose(&r);
		return cli_fail(c, rc);
	}
	ec = (has_refusal(r.import.events) || json_array_size(r.findings) > 0) ? EXIT_FINDINGS : EXIT_OK;
	cts_sync_result_dispose(&r);
	return ec;
}

int cmd_sync(cli_ctx *c, int argc, char **argv)
{
	return run(c, argc, argv, 0);
}

int cmd_region_pull(cli_ctx *c, int argc, char **argv)
{
	return run(c, argc, argv, 1);
}
