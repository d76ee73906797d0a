/* ctsnode key show | export: the node's key. */
#include "cli.h"

#include "error.h"
#include "key.h"

#include <stdlib.h>

static const char key_show_help[] =
    "Usage : ctsnode [--home DOSSIER] key show\n"
    "\n"
    "Affiche la clé publique du nœud sur une ligne : « ssh-ed25519 AAAA... NOEUD ».\n"
    "C'est elle que le coordinateur inscrit (region enroll) ; la clé privée n'est jamais "
    "affichée.\n";

static int show_body(cli_ctx *c, cts_node *n, const char *pos, void *arg)
{
	unsigned char pk[32];
	char *line = NULL, *keyline = NULL;
	int rc;

	(void)pos;
	(void)arg;
	/* The public key is kept in clear in the meta table; no passphrase needed. */
	if ((rc = cts_store_meta_get(n->store, "public_key", &keyline)) == 0 &&
	    (rc = cts_key_parse_public_line(pk, keyline)) == 0 &&
	    (rc = cts_key_public_line(&line, pk, n->id)) == 0)
		cli_result(c, json_pack("{s:s, s:s}", "node", n->id, "key", line), "%s\n", line);
	free(keyline);
	free(line);
	return rc;
}

static const char key_export_help[] =
    "Usage : ctsnode [--home DOSSIER] key export FICHIER\n"
    "\n"
    "Écrit la clé du poste, chiffrée par sa phrase de passe, dans FICHIER (0600) : à garder en "
    "lieu\n"
    "sûr (clé USB au coffre). Sur un nouveau poste : ctsnode init --from-key FICHIER --remote "
    "URL.\n"
    "Une clé sans phrase de passe (--no-passphrase) ne s'exporte pas.\n";

static int export_body(cli_ctx *c, cts_node *n, const char *file, void *arg)
{
	char *src, *data = NULL;
	size_t len = 0;
	int rc, enc = 0;

	(void)arg;
	if (!(src = cts_node_path(n, "node.key")))
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	else if ((rc = cts_key_file_is_encrypted(src, &enc)) == 0 && !enc)
		rc = cts_error_set(
		    CTS_EINVAL,
		    "la clé de ce poste n'a pas de phrase de passe : elle ne s'exporte pas");
	if (rc == 0 && (rc = cts_read_file(src, 1 << 16, &data, &len)) == 0)
		rc = cts_write_file_atomic(file, data, len, 0600);
	free(src);
	free(data);
	if (rc == 0)
		cli_result(c, NULL,
		           "Clé chiffrée écrite dans %s. Gardez-la en lieu sûr, avec sa phrase de "
		           "passe ailleurs.\n",
		           file);
	return rc;
}

static int key_export(cli_ctx *c, int argc, char **argv)
{
	const cli_spec s = { NULL, key_export_help, "le fichier où écrire la clé est attendu",
		             NULL };

	return cli_run(c, argc, argv, &s, export_body, NULL);
}

const cli_cmd cmd_key_cmds[] = {
	{ "show", "afficher la clé publique du nœud", .help = key_show_help, .body = show_body },
	{ "export", "écrire la clé chiffrée dans un fichier (sauvegarde)", .run = key_export },
	{ 0 },
};
