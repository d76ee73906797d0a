/* ctsnode init / region init / key show */
#include "cli.h"

#include "error.h"
#include "gitnet.h"
#include "key.h"
#include "passphrase.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>

static const char init_help[] =
	"Usage : ctsnode [--home DOSSIER] init --territory CODE --node NOEUD --authority-key \"ssh-ed25519 AAAA...\"\n"
	"                [--remote URL] [--no-passphrase]\n"
	"\n"
	"Crée le nœud d'un territoire : sa clé Ed25519 (chiffrée par une phrase de passe),\n"
	"sa base locale, et épingle la clé publique de l'autorité régionale.\n"
	"\n"
	"  --territory CODE       code du territoire (a-z, 0-9, -), par exemple rouen-elbeuf\n"
	"  --node NOEUD           identifiant de ce poste, par exemple rouen-elbeuf-secretariat\n"
	"  --authority-key CLE    clé publique du nœud régional (ctsnode key show sur ce nœud)\n"
	"  --remote URL           dépôt git régional (chemin, file://, git://, ssh://, https://)\n"
	"  --no-passphrase        clé non chiffrée (démonstrations et tests uniquement)\n";

static const char region_init_help[] =
	"Usage : ctsnode [--home DOSSIER] region init --region CODE --node NOEUD [--remote URL] [--no-passphrase]\n"
	"\n"
	"Crée le nœud régional (l'autorité) : sa clé, sa base, son inscription au registre\n"
	"et les thèmes de départ (piliers du Ségur). Avec --remote CHEMIN, crée aussi le dépôt\n"
	"régional (dépôt git nu, par exemple sur une clé USB) s'il n'existe pas.\n";

int cli_create_node(cli_ctx *c, const cts_node_params *p_in, int no_passphrase)
{
	cts_node_params p = *p_in;
	cts_node *n = NULL;
	char *home = NULL, *pass = NULL, *line = NULL;
	int rc;

	if (p.remote && cts_gitnet_url_check(p.remote) < 0)
		return cli_usage(c, "%s", cts_error_message());
	if ((rc = cts_node_home_resolve(&home, c->home_flag)) < 0)
		return cli_fail(c, rc);
	if (!no_passphrase && ((rc = cts_passphrase_get(&pass, "Phrase de passe du nouveau nœud : ", 1)) < 0 ||
			       (rc = cts_passphrase_check_new(pass)) < 0)) {
		cts_passphrase_free(pass);
		free(home);
		return cli_fail(c, rc);
	}
	p.passphrase = pass;
	rc = cts_node_create(&n, home, &p);
	cts_passphrase_free(pass);
	if (rc == 0 && n->role == CTS_ROLE_AUTHORITY && p.remote && (rc = cts_sync_create_remote(p.remote)) < 0)
		cts_error_prefix(rc, "nœud créé, mais le dépôt régional %s n'a pas pu être créé : ", p.remote);
	if (rc < 0) {
		cts_node_free(n);
		free(home);
		return cli_fail(c, rc);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "node", n->id, "territory", n->territory, "role",
				      n->role == CTS_ROLE_AUTHORITY ? "authority" : "territory", "home", home,
				      "encrypted", !no_passphrase);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("Nœud %s créé dans %s (%s %s).\n", n->id, home,
		       n->role == CTS_ROLE_AUTHORITY ? "région" : "territoire", n->territory);
		if (no_passphrase)
			printf("Attention : la clé n'est pas chiffrée (--no-passphrase). À réserver aux démonstrations.\n");
		if (n->role == CTS_ROLE_TERRITORY)
			printf("Transmettez sa clé publique au coordinateur régional : ctsnode key show\n");
	}
	free(line);
	free(home);
	cts_node_free(n);
	return EXIT_OK;
}

int cmd_init(cli_ctx *c, int argc, char **argv)
{
	cts_node_params p = { .role = CTS_ROLE_TERRITORY };
	int no_pass = 0, npos, ec;
	char *pos[1];
	const cli_opt opts[] = {
		{ "territory", OPT_STR, &p.territory, 1 },
		{ "node", OPT_STR, &p.node_id, 1 },
		{ "authority-key", OPT_STR, &p.authority_key, 1 },
		{ "remote", OPT_STR, &p.remote, 0 },
		{ "no-passphrase", OPT_FLAG, &no_pass, 0 },
		{ NULL, 0, NULL, 0 },
	};

	if (cli_parse(c, argc, argv, opts, init_help, pos, 0, &npos, &ec) < 0)
		return ec;
	return cli_create_node(c, &p, no_pass);
}

int cmd_region_init(cli_ctx *c, int argc, char **argv)
{
	cts_node_params p = { .role = CTS_ROLE_AUTHORITY };
	int no_pass = 0, npos, ec;
	char *pos[1];
	const cli_opt opts[] = {
		{ "region", OPT_STR, &p.territory, 1 },
		{ "node", OPT_STR, &p.node_id, 1 },
		{ "remote", OPT_STR, &p.remote, 0 },
		{ "no-passphrase", OPT_FLAG, &no_pass, 0 },
		{ NULL, 0, NULL, 0 },
	};

	if (cli_parse(c, argc, argv, opts, region_init_help, pos, 0, &npos, &ec) < 0)
		return ec;
	return cli_create_node(c, &p, no_pass);
}

static const char key_show_help[] =
	"Usage : ctsnode [--home DOSSIER] key show\n"
	"\n"
	"Affiche la clé publique du nœud sur une ligne : « ssh-ed25519 AAAA... NOEUD ».\n"
	"C'est elle que le coordinateur inscrit (region enroll) ; la clé privée n'est jamais affichée.\n";

static int key_show(cli_ctx *c, int argc, char **argv)
{
	cts_node *n = NULL;
	unsigned char pk[32];
	char *line = NULL, *keyline = NULL, *pos[1];
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, NULL, key_show_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	/* The public key is kept in clear in the meta table; no passphrase needed. */
	if ((rc = cts_store_meta_get(n->store, "public_key", &keyline)) < 0 ||
	    (rc = cts_key_parse_public_line(pk, keyline)) < 0 ||
	    (rc = cts_key_public_line(&line, pk, n->id)) < 0) {
		free(keyline);
		cts_node_free(n);
		return cli_fail(c, rc);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s, s:s}", "node", n->id, "key", line);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("%s\n", line);
	}
	free(keyline);
	free(line);
	cts_node_free(n);
	return EXIT_OK;
}

int cmd_key(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "show", key_show, "afficher la clé publique du nœud" },
		{ NULL, NULL, NULL },
	};
	return cli_dispatch(c, "key", cmds, argc, argv);
}
