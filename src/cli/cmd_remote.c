/* ctsnode remote show | token: how this node reaches the regional repository. */
#include "cli.h"

#include "error.h"
#include "gitnet.h"
#include "gitnet_watch.h"

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

typedef struct {
	const char *file;
	int forget;
} token_args;

static int token_check(cli_ctx *c, const char *pos, void *arg)
{
	const token_args *a = arg;

	(void)pos;
	return !a->file == !a->forget ? cli_usage(c, "indiquez soit --file FICHIER, soit --forget")
	                              : 0;
}

static int token_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	const token_args *a = arg;
	char *dest;
	int rc = 0;

	(void)pos;
	if (!(dest = cts_node_path(n, CTS_GITNET_TOKEN_FILE)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (a->forget) {
		if (unlink(dest) != 0 && errno != ENOENT)
			rc = cts_error_set(CTS_EIO, "%s : effacement impossible : %s", dest,
			                   strerror(errno));
	} else {
		rc = cts_gitnet_token_save(dest, a->file);
	}
	free(dest);
	if (rc < 0)
		return rc;
	cli_result(c, json_pack("{s:b}", "token_saved", !a->forget),
	           a->forget
	               ? "Jeton effacé de ce poste.\n"
	               : "Jeton enregistré pour le dépôt régional (il ne sera jamais affiché).\n");
	return EXIT_OK;
}

static int token_run(cli_ctx *c, int argc, char **argv)
{
	token_args a = { 0 };
	const cli_opt opts[] = { { "file", OPT_STR, &a.file, 0 },
		                 { "forget", OPT_FLAG, &a.forget, 0 },
		                 { NULL, 0, NULL, 0 } };
	const cli_spec s = { opts, token_help, NULL, token_check };

	return cli_run(c, argc, argv, &s, token_body, &a);
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

static void print_settings(cts_node *n, const char *proxy, const char *via, const char *tok,
                           const char *ca)
{
	printf("Dépôt régional : %s\n",
	       n->remote ? n->remote : "aucun (ctsnode sync --remote URL)");
	printf("Proxy : %s%s\n", via ? via : "aucun",
	       !proxy || strcmp(proxy, "auto") == 0
	           ? " (celui de l'environnement : https_proxy, no_proxy)"
	       : strcmp(proxy, "direct") == 0 ? " (connexion directe retenue)"
	                                      : " (retenu pour ce poste)");
	printf("Jeton : %s\n", tok ? tok : "aucun (ctsnode remote token --file FICHIER)");
	printf("Autorités de certification : magasin du système%s%s\n", ca && *ca ? " et " : "",
	       ca && *ca ? ca : "");
	printf("Délai sans réponse : %d s\n", cts_gitnet_timeout_seconds());
}

static int show_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	char *path, *proxy = NULL, buf[700];
	const char *ca = getenv("CTSNODE_CA_FILE"), *tok, *via;
	int rc;

	(void)pos;
	(void)arg;
	path = cts_node_path(n, CTS_GITNET_TOKEN_FILE);
	rc = path ? cts_node_proxy(n, &proxy) : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (rc < 0) {
		free(path);
		return rc;
	}
	tok = token_source(path);
	via = cts_gitnet_proxy_describe(proxy, n->remote, buf, sizeof(buf));
	if (c->json)
		cli_result(c,
		           json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:i}", "remote", n->remote,
		                     "proxy_setting", proxy, "proxy", via, "token", tok, "ca_file",
		                     ca && *ca ? ca : NULL, "timeout_s",
		                     cts_gitnet_timeout_seconds()),
		           NULL);
	else
		print_settings(n, proxy, via, tok, ca);
	free(proxy);
	free(path);
	return EXIT_OK;
}

const cli_cmd cmd_remote_cmds[] = {
	{ "show", "adresse, proxy, jeton et certificats utilisés pour le dépôt régional",
	  .help = show_help, .body = show_body },
	{ "token", "enregistrer (ou effacer) le jeton d'un dépôt https://", .run = token_run },
	{ 0 },
};
