/* ctsnode remote show | token: how this node reaches the regional repository. */
#include "cli.h"

#include "error.h"
#include "gitnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char show_help[] =
	"Usage : ctsnode [--home DOSSIER] remote show [--json]\n"
	"\n"
	"Montre comment ce poste joint le dépôt régional : adresse, proxy, jeton (enregistré ou\n"
	"non : sa valeur n'est jamais affichée), autorité de certification, délai sans réponse.\n";

static const char token_help[] =
	"Usage : ctsnode [--home DOSSIER] remote token --file FICHIER\n"
	"       ctsnode [--home DOSSIER] remote token --forget\n"
	"\n"
	"Enregistre le jeton d'accès au dépôt régional hébergé en https:// (GitLab, Gitea...),\n"
	"lu dans FICHIER (« - » : l'entrée standard). Il est copié dans le dossier du nœud\n"
	"(fichier git-token, lisible par vous seul) : FICHIER peut ensuite être effacé. Le jeton\n"
	"n'est jamais affiché, ni écrit dans l'adresse du dépôt, un journal ou un message.\n"
	"Il est envoyé au serveur en authentification HTTP « Basic » avec l'utilisateur\n"
	"CTSNODE_GIT_USER (défaut : oauth2). La variable CTSNODE_GIT_TOKEN, si elle est définie,\n"
	"passe avant le fichier.\n"
	"--forget efface le jeton enregistré.\n";

static int token_run(cli_ctx *c, int argc, char **argv)
{
	const char *file = NULL;
	int forget = 0;
	const cli_opt opts[] = { { "file", OPT_STR, &file, 0 }, { "forget", OPT_FLAG, &forget, 0 }, { NULL, 0, NULL, 0 } };
	cts_node *n;
	char *pos[1], *dest;
	int npos, ec, rc = 0;

	if (cli_parse(c, argc, argv, opts, token_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if (!file == !forget)
		return cli_usage(c, "indiquez soit --file FICHIER, soit --forget");
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if (!(dest = cts_node_path(n, CTS_GITNET_TOKEN_FILE))) {
		cts_node_free(n);
		return cli_fail(c, cts_error_set(CTS_ENOMEM, "mémoire insuffisante"));
	}
	if (forget) {
		if (unlink(dest) != 0 && errno != ENOENT)
			rc = cts_error_set(CTS_EIO, "%s : effacement impossible : %s", dest, strerror(errno));
	} else {
		rc = cts_gitnet_token_save(dest, file);
	}
	free(dest);
	cts_node_free(n);
	if (rc < 0)
		return cli_fail(c, rc);
	if (c->json) {
		json_t *o = json_pack("{s:b}", "token_saved", !forget);
		cli_print_json(o);
		json_decref(o);
	} else if (forget) {
		printf("Jeton effacé de ce poste.\n");
	} else {
		printf("Jeton enregistré pour le dépôt régional (il ne sera jamais affiché).\n");
	}
	return EXIT_OK;
}

/* Where the token comes from: "environnement", "fichier" or NULL. */
static const char *token_source(const char *path)
{
	const char *env = getenv("CTSNODE_GIT_TOKEN");
	struct stat sb;

	if (env && *env)
		return "CTSNODE_GIT_TOKEN";
	return lstat(path, &sb) == 0 ? path : NULL;
}

static int show_run(cli_ctx *c, int argc, char **argv)
{
	cts_node *n;
	char *pos[1], *path, *proxy = NULL, buf[700];
	const char *ca = getenv("CTSNODE_CA_FILE"), *tok, *via;
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, NULL, show_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	path = cts_node_path(n, CTS_GITNET_TOKEN_FILE);
	rc = path ? cts_node_proxy(n, &proxy) : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (rc < 0) {
		free(path);
		cts_node_free(n);
		return cli_fail(c, rc);
	}
	tok = token_source(path);
	via = cts_gitnet_proxy_describe(proxy, n->remote, buf, sizeof(buf));
	if (c->json) {
		json_t *o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:i}", "remote", n->remote, "proxy_setting", proxy,
				      "proxy", via, "token", tok, "ca_file", ca && *ca ? ca : NULL, "timeout_s",
				      cts_gitnet_timeout_seconds());
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("Dépôt régional : %s\n", n->remote ? n->remote : "aucun (ctsnode sync --remote URL)");
		printf("Proxy : %s%s\n", via ? via : "aucun",
		       !proxy || strcmp(proxy, "auto") == 0 ? " (celui de l'environnement : https_proxy, no_proxy)"
		       : strcmp(proxy, "direct") == 0       ? " (connexion directe retenue)"
							    : " (retenu pour ce poste)");
		printf("Jeton : %s\n", tok ? tok : "aucun (ctsnode remote token --file FICHIER)");
		printf("Autorités de certification : magasin du système%s%s\n", ca && *ca ? " et " : "", ca && *ca ? ca : "");
		printf("Délai sans réponse : %d s\n", cts_gitnet_timeout_seconds());
	}
	free(proxy);
	free(path);
	cts_node_free(n);
	return EXIT_OK;
}

int cmd_remote(cli_ctx *c, int argc, char **argv)
{
	static const cli_cmd cmds[] = {
		{ "show", show_run, "adresse, proxy, jeton et certificats utilisés pour le dépôt régional" },
		{ "token", token_run, "enregistrer (ou effacer) le jeton d'un dépôt https://" },
		{ NULL, NULL, NULL },
	};

	return cli_dispatch(c, "remote", cmds, argc, argv);
}
