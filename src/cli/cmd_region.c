/* ctsnode region ...: the authority's commands. */
#include "cli.h"

#include "region.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char enroll_help[] =
    "Usage : ctsnode [--home DOSSIER] region enroll --node NOEUD --territory CODE --key "
    "\"ssh-ed25519 AAAA...\"\n"
    "\n"
    "Inscrit le poste d'un territoire au registre (une opération signée de l'autorité).\n"
    "La clé est celle qu'affiche « ctsnode key show » sur ce poste.\n";

static const char revoke_help[] =
    "Usage : ctsnode [--home DOSSIER] region revoke --node NOEUD --after-seq N\n"
    "\n"
    "Révoque un poste : ses changesets après le n°N sont refusés partout. Pour changer de clé,\n"
    "inscrire un nouvel identifiant pour le même territoire puis révoquer l'ancien.\n";

/* What enroll, replace and revoke are given: each takes some of these
 * options, all required (the bits of region_run's `want`). */
typedef struct {
	const char *node, *territory, *key, *new_node;
	long long after;
} region_args;

enum { ARG_NODE = 1, ARG_TERRITORY = 2, ARG_NEW_NODE = 4, ARG_KEY = 8, ARG_AFTER = 16 };

/* A command of the registry: the options `want` names, its help, its body. */
static int region_run(cli_ctx *c, int argc, char **argv, unsigned want, const char *help,
                      cli_body body)
{
	region_args a = { .after = -1 };
	const cli_opt all[] = {
		{ "node", OPT_STR, &a.node, 1 },         { "territory", OPT_STR, &a.territory, 1 },
		{ "new-node", OPT_STR, &a.new_node, 1 }, { "key", OPT_STR, &a.key, 1 },
		{ "after-seq", OPT_INT, &a.after, 1 },
	};
	cli_opt opts[sizeof(all) / sizeof(all[0]) + 1] = { 0 };
	const cli_spec s = { opts, help, NULL, NULL };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (want & (1u << i))
			opts[n++] = all[i];
	return cli_run(c, argc, argv, &s, body, &a);
}

static int enroll_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	const region_args *a = arg;
	int rc, already = 0;

	(void)pos;
	if ((rc = cts_region_enroll(n, a->node, a->territory, a->key, &already)) == 0)
		cli_result(c, NULL,
		           already ? "Le nœud %s est déjà inscrit pour le territoire %s.\n"
		                   : "Nœud %s inscrit pour le territoire %s ; l'inscription sera "
		                     "publiée au prochain sync.\n",
		           a->node, a->territory);
	return rc;
}

static int region_enroll(cli_ctx *c, int argc, char **argv)
{
	return region_run(c, argc, argv, ARG_NODE | ARG_TERRITORY | ARG_KEY, enroll_help,
	                  enroll_body);
}

static int revoke_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	const region_args *a = arg;
	int rc;

	(void)pos;
	if ((rc = cts_region_revoke(n, a->node, a->after)) == 0)
		cli_result(c, NULL,
		           "Nœud %s révoqué : ses changesets après le n°%lld seront refusés.\n",
		           a->node, a->after);
	return rc;
}

static int region_revoke(cli_ctx *c, int argc, char **argv)
{
	return region_run(c, argc, argv, ARG_NODE | ARG_AFTER, revoke_help, revoke_body);
}

static const char replace_help[] =
    "Usage : ctsnode [--home DOSSIER] region replace --node ANCIEN --new-node NOUVEAU --key "
    "\"ssh-ed25519 AAAA...\"\n"
    "\n"
    "Poste perdu, volé, ou phrase de passe oubliée : inscrit le nouveau poste pour le même "
    "territoire\n"
    "et révoque l'ancien après le dernier changeset reçu de lui ici, en une seule modification "
    "signée\n"
    "(publiée au prochain region pull). Faites d'abord un region pull pour recevoir tout ce que\n"
    "l'ancien poste a publié. La clé est celle qu'affiche « ctsnode key show » sur le nouveau "
    "poste.\n";

static int replace_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	const region_args *a = arg;
	int64_t after = -1;
	int rc;

	(void)pos;
	if ((rc = cts_region_replace(n, a->node, a->new_node, a->key, &after)) < 0)
		return rc;
	cli_result(
	    c,
	    json_pack("{s:s, s:s, s:I}", "node", a->node, "new_node", a->new_node, "revoked_after",
	              (json_int_t)after),
	    "Nœud %s inscrit à la place de %s, révoqué après son n°%lld (ses changesets jusque-là "
	    "restent "
	    "acceptés).\nProchaine étape : ctsnode region pull, pour publier ce changement.\n",
	    a->new_node, a->node, (long long)after);
	return EXIT_OK;
}

static int region_replace(cli_ctx *c, int argc, char **argv)
{
	return region_run(c, argc, argv, ARG_NODE | ARG_NEW_NODE | ARG_KEY, replace_help,
	                  replace_body);
}

static const char signers_help[] =
    "Usage : ctsnode [--home DOSSIER] region allowed-signers\n\n"
    "Affiche le fichier allowed_signers (OpenSSH) tiré du registre.\n";

static int signers_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	char *text = NULL;
	int rc;

	(void)c;
	(void)pos;
	(void)arg;
	if ((rc = cts_region_allowed_signers(n, &text)) == 0)
		fputs(text, stdout);
	free(text);
	return rc;
}

static const char list_help[] =
    "Usage : ctsnode [--home DOSSIER] region list [--json]\n"
    "\n"
    "Liste les postes du registre tel que ce nœud le connaît : territoire, rôle, état (inscrit,\n"
    "révoqué après le n°N, changesets en attente), dernier numéro reçu et date de son "
    "scellement.\n";

static const char *state_label(const json_t *e, char *buf, size_t size)
{
	json_t *rev = json_object_get(e, "revoked_after");

	if (json_is_integer(rev))
		snprintf(buf, size, "révoqué après le n°%lld", (long long)json_integer_value(rev));
	else if (json_integer_value(json_object_get(e, "waiting")) > 0)
		snprintf(buf, size, "inscrit, %lld en attente",
		         (long long)json_integer_value(json_object_get(e, "waiting")));
	else
		snprintf(buf, size, "inscrit");
	return buf;
}

static const char *const list_headers[] = { "Poste", "Territoire", "Rôle",
	                                    "État",  "Dernier",    "Scellé le" };

/* Columns aligned by display width (cli_print_rows), not by bytes. */
static void list_cells(const json_t *e, cli_cells v, int full)
{
	const char *t = json_string_value(json_object_get(e, "last_time"));
	const char *terr = json_string_value(json_object_get(e, "territory"));

	(void)full;
	snprintf(v[0], CLI_CELL, "%s", cli_str(e, "node"));
	snprintf(v[1], CLI_CELL, "%s", terr ? terr : "?");
	snprintf(v[2], CLI_CELL, "%s",
	         strcmp(cli_str(e, "role"), "authority") == 0 ? "région" : "territoire");
	snprintf(v[3], CLI_CELL, "%s", cli_str(e, "state_text"));
	snprintf(v[4], CLI_CELL, "%lld",
	         (long long)json_integer_value(json_object_get(e, "last_seq")));
	snprintf(v[5], CLI_CELL, "%s", t ? t : "—");
}

/* The registry's nodes, then the nodes waiting for their enrolment, with
 * their state (code and French text). NULL on error. */
static json_t *region_rows(cts_node *n, int *rc)
{
	json_t *rows = NULL, *pend = NULL, *e;
	size_t i;

	if ((*rc = cts_region_nodes(n, &rows)) < 0 ||
	    (*rc = cts_region_pending_nodes(n, &pend)) < 0) {
		json_decref(rows);
		return NULL;
	}
	json_array_foreach(rows, i, e)
	{
		json_t *rev = json_object_get(e, "revoked_after");
		char buf[64];
		json_object_set_new(e, "state",
		                    json_string(json_is_integer(rev) ? "revoked" : "enrolled"));
		json_object_set_new(e, "state_text", json_string(state_label(e, buf, sizeof(buf))));
	}
	json_array_foreach(pend, i, e)
	{
		json_object_set_new(e, "role", json_string("territory"));
		json_object_set_new(e, "state", json_string("pending"));
		json_object_set_new(e, "state_text", json_string("pas encore inscrit"));
		json_object_set_new(e, "revoked_after", json_null());
		json_object_set_new(e, "last_time", json_null());
	}
	json_array_extend(rows, pend);
	json_decref(pend);
	return rows;
}

static int list_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	static const cli_listing l = { list_help, NULL,       NULL,      list_headers,
		                       6,         list_cells, "poste(s)" };
	json_t *rows;
	int rc;

	(void)pos;
	(void)arg;
	if (!(rows = region_rows(n, &rc)))
		return rc;
	c->all_territories = 0; /* the territory is a column of its own */
	cli_print_rows(c, rows, &l, 0);
	json_decref(rows);
	return EXIT_OK;
}

const cli_cmd cmd_region_cmds[] = {
	{ "init", "créer le nœud régional (autorité)", .run = cmd_region_init },
	{ "enroll", "inscrire le poste d'un territoire", .run = region_enroll },
	{ "replace", "remplacer un poste perdu : inscrire le nouveau, révoquer l'ancien",
	  .run = region_replace },
	{ "list", "lister les postes : territoire, rôle, état, dernier numéro", .help = list_help,
	  .body = list_body },
	{ "pull", "importer tous les postes, signer un point de contrôle, publier",
	  .run = cmd_region_pull },
	{ "publish", "publier le rapport régional de l'année, signé", .run = cmd_region_publish },
	{ "revoke", "révoquer un poste après un numéro de changeset", .run = region_revoke },
	{ "allowed-signers", "afficher le fichier allowed_signers du registre",
	  .help = signers_help, .body = signers_body },
	{ 0 },
};
