/* ctsnode init / region init */
#include "cli.h"

#include "error.h"
#include "gitnet.h"
#include "key.h"
#include "passphrase.h"
#include "recover.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char init_help[] =
    "Usage : ctsnode [--home DOSSIER] init --territory CODE --node NOEUD --authority-key "
    "\"ssh-ed25519 AAAA...\"\n"
    "                [--remote URL] [--no-passphrase]\n"
    "\n"
    "Crée le nœud d'un territoire : sa clé Ed25519 (chiffrée par une phrase de passe),\n"
    "sa base locale, et épingle la clé publique de l'autorité régionale.\n"
    "\n"
    "  --territory CODE       code du territoire (a-z, 0-9, -), par exemple rouen-elbeuf\n"
    "  --node NOEUD           identifiant de ce poste, par exemple rouen-elbeuf-secretariat\n"
    "  --authority-key CLE    clé publique du nœud régional (ctsnode key show sur ce nœud)\n"
    "  --remote URL           dépôt git régional (chemin, file://, git://, ssh://, https://)\n"
    "  --no-passphrase        clé non chiffrée (démonstrations et tests uniquement)\n"
    "\n"
    "Nouveau poste qui reprend la clé d'un poste disparu (ctsnode key export FICHIER) :\n"
    "  ctsnode init --from-key FICHIER --remote URL [--authority-key CLE]\n"
    "récupère le dépôt régional, retrouve le nœud signé par cette clé et continue sa chaîne\n"
    "après le dernier numéro publié. Refusé si le dépôt est injoignable (continuer à l'aveugle\n"
    "ferait une bifurcation). L'ancien poste ne doit plus jamais servir.\n"
    "\n"
    "Dossier de nœud copié depuis un autre ordinateur (sync refuse alors de sceller et d'envoyer) "
    ":\n"
    "  ctsnode init --adopt [--remote URL]\n"
    "reprend le nœud sur ce poste : vérifie sur le dépôt régional le dernier numéro publié par ce\n"
    "nœud, reprend ce qui y a été publié depuis la copie et continue après. Refusé si le dépôt "
    "est\n"
    "injoignable. L'ancien poste ne doit plus jamais servir.\n";

static const char region_init_help[] =
    "Usage : ctsnode [--home DOSSIER] region init --region CODE --node NOEUD [--remote URL] "
    "[--no-passphrase]\n"
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
	if (!no_passphrase &&
	    ((rc = cts_passphrase_get(&pass, "Phrase de passe du nouveau nœud : ", 1)) < 0 ||
	     (rc = cts_passphrase_check_new(pass)) < 0)) {
		cts_passphrase_free(pass);
		free(home);
		return cli_fail(c, rc);
	}
	p.passphrase = pass;
	rc = cts_node_create(&n, home, &p);
	cts_passphrase_free(pass);
	if (rc == 0 && n->role == CTS_ROLE_AUTHORITY && p.remote &&
	    (rc = cts_sync_create_remote(p.remote)) < 0)
		cts_error_prefix(
		    rc, "nœud créé, mais le dépôt régional %s n'a pas pu être créé : ", p.remote);
	if (rc < 0) {
		cts_node_free(n);
		free(home);
		return cli_fail(c, rc);
	}
	if (c->json) {
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:s, s:b}", "node", n->id, "territory", n->territory,
		              "role", n->role == CTS_ROLE_AUTHORITY ? "authority" : "territory",
		              "home", home, "encrypted", !no_passphrase);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("Nœud %s créé dans %s (%s %s).\n", n->id, home,
		       n->role == CTS_ROLE_AUTHORITY ? "région" : "territoire", n->territory);
		if (no_passphrase)
			printf("Attention : la clé n'est pas chiffrée (--no-passphrase). À "
			       "réserver aux démonstrations.\n");
		if (n->role == CTS_ROLE_TERRITORY)
			printf("Transmettez sa clé publique au coordinateur régional : ctsnode key "
			       "show\n");
	}
	free(line);
	free(home);
	cts_node_free(n);
	return EXIT_OK;
}

/* The key file given is the one of a node: check its passphrase, copy it
 * to HOME/node.key (0600). */
static int install_key(const char *file, const char *home)
{
	char dest[4096], *data = NULL, *pass = NULL;
	size_t len = 0;
	cts_key *key = NULL;
	int enc = 0, rc;

	if (snprintf(dest, sizeof(dest), "%s/node.key", home) >= (int)sizeof(dest))
		return cts_error_set(CTS_EINVAL, "chemin trop long : %.200s", home);
	if (access(dest, F_OK) == 0 ||
	    (snprintf(dest, sizeof(dest), "%s/node.db", home), access(dest, F_OK) == 0))
		return cts_error_set(CTS_EEXISTS, "un nœud existe déjà dans %s", home);
	snprintf(dest, sizeof(dest), "%s/node.key", home);
	if ((rc = cts_key_file_is_encrypted(file, &enc)) < 0)
		return rc;
	if (enc && (rc = cts_passphrase_get(&pass, "Phrase de passe de la clé : ", 0)) < 0)
		return rc;
	if ((rc = cts_key_load(&key, file, pass)) == 0 &&
	    (rc = cts_read_file(file, 1 << 16, &data, &len)) == 0 && (rc = cts_mkdirs(home)) == 0)
		rc = cts_write_file_atomic(dest, data, len, 0600);
	cts_key_free(key);
	cts_passphrase_free(pass);
	free(data);
	return rc;
}

static int init_from_key(cli_ctx *c, const char *file, const char *url, const char *authority_key)
{
	cts_recover_hints h = { .authority_key = authority_key };
	cts_import_stats st = { 0 };
	cts_recover_info info;
	cts_node *n = NULL;
	char *home = NULL, keypath[4096];
	int rc, ec = EXIT_OK;

	if (!url)
		return cli_usage(c, "--from-key demande --remote URL : la chaîne continue depuis "
		                    "le dépôt régional");
	if (cts_gitnet_url_check(url) < 0)
		return cli_usage(c, "%s", cts_error_message());
	if ((rc = cts_node_home_resolve(&home, c->home_flag)) < 0 ||
	    (rc = install_key(file, home)) < 0) {
		free(home);
		return cli_fail(c, rc);
	}
	snprintf(keypath, sizeof(keypath), "%s/node.key", home);
	if ((rc = cts_sync_fetch_into(home, url)) < 0) {
		unlink(keypath); /* nothing half-made: try again once the remote answers */
		rc = cts_error_prefix(
		    rc == CTS_ENET ? CTS_EACCESS : rc,
		    "poste non créé : le dépôt régional doit répondre pour connaître le dernier "
		    "numéro "
		    "publié par ce nœud (continuer sans lui ferait une bifurcation) ; ");
		free(home);
		return cli_fail(c, rc);
	}
	if ((rc = cts_recover_node(&n, home, &h, &st, &info)) == 0)
		rc = cts_sync_adopt_own_branch(n);
	if (rc < 0) {
		unlink(keypath);
		ec = cli_fail(c, rc);
	} else if (c->json) {
		json_t *o = json_pack("{s:s, s:s, s:I}", "node", n->id, "territory", n->territory,
		                      "last_seq", (json_int_t)info.last_seq);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("Poste repris : nœud %s (%s %s), dernier changeset publié : n°%lld ; le "
		       "prochain sera le n°%lld.\n"
		       "L'ancien poste ne doit plus jamais servir (il ferait une bifurcation).\n"
		       "Prochaine étape : ctsnode sync\n",
		       n->id, n->role == CTS_ROLE_AUTHORITY ? "région" : "territoire", n->territory,
		       (long long)info.last_seq, (long long)info.last_seq + 1);
	}
	cts_recover_info_dispose(&info);
	cts_import_stats_dispose(&st);
	cts_node_free(n);
	free(home);
	return ec;
}

static int init_adopt(cli_ctx *c, const char *url)
{
	cts_adopt_info info;
	cts_node *n = NULL;
	int rc, ec;

	if (url && cts_gitnet_url_check(url) < 0)
		return cli_usage(c, "%s", cts_error_message());
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if ((rc = cts_sync_adopt_copy(n, url, &info)) < 0) {
		cts_node_free(n);
		return cli_fail(c, rc);
	}
	if (c->json) {
		json_t *o =
		    json_pack("{s:s, s:b, s:I, s:I, s:I}", "node", n->id, "adopted", !info.already,
		              "local_seq", (json_int_t)info.local, "published_seq",
		              (json_int_t)info.published, "taken", (json_int_t)info.taken);
		cli_print_json(o);
		json_decref(o);
	} else if (info.already) {
		printf("Ce dossier est déjà celui de ce poste : rien à reprendre.\n");
	} else {
		long long local = info.local, pub = info.published;
		printf("Nœud %s repris sur ce poste. Dernier changeset publié : n°%lld.\n", n->id,
		       pub);
		if (info.taken > 0)
			printf("Publiés par l'ancien poste depuis la copie et repris ici : n°%lld "
			       "à n°%lld.\n",
			       local + 1, pub);
		if (local > pub)
			printf("Scellés dans ce dossier et pas encore envoyés : n°%lld à n°%lld "
			       "(le prochain sync les envoie).\n",
			       pub + 1, local);
		printf("L'ancien poste ne doit plus jamais servir (il ferait une "
		       "bifurcation).\nProchaine étape : ctsnode sync\n");
	}
	cts_node_free(n);
	return EXIT_OK;
}

int cmd_init(cli_ctx *c, int argc, char **argv)
{
	cts_node_params p = { .role = CTS_ROLE_TERRITORY };
	const char *from_key = NULL;
	int no_pass = 0, adopt = 0, npos, ec;
	char *pos[1];
	const cli_opt opts[] = {
		{ "territory", OPT_STR, &p.territory, 0 },
		{ "node", OPT_STR, &p.node_id, 0 },
		{ "authority-key", OPT_STR, &p.authority_key, 0 },
		{ "remote", OPT_STR, &p.remote, 0 },
		{ "no-passphrase", OPT_FLAG, &no_pass, 0 },
		{ "from-key", OPT_STR, &from_key, 0 },
		{ "adopt", OPT_FLAG, &adopt, 0 },
		{ NULL, 0, NULL, 0 },
	};

	if (cli_parse(c, argc, argv, opts, init_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if (adopt)
		return init_adopt(c, p.remote);
	if (from_key)
		return init_from_key(c, from_key, p.remote, p.authority_key);
	if (!p.territory || !p.node_id || !p.authority_key)
		return cli_usage(c, "l'option --%s est obligatoire",
		                 !p.territory ? "territory"
		                 : !p.node_id ? "node"
		                              : "authority-key");
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
