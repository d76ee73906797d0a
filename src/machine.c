/* The machine a node folder belongs to (node.h, "copied node folder"). */
#include "node.h"

#include "error.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MACHINE_META "machine"
#define MACHINE_ID_MAX 256

/* The first line of `path`, trimmed, if it holds printable text. */
static int read_id_file(const char *path, char *out, size_t size)
{
	char *data = NULL;
	size_t len = 0, k = 0;

	if (cts_read_file(path, 4096, &data, &len) < 0) {
		cts_error_clear();
		return -1;
	}
	for (size_t i = 0; i < len && data[i] != '\n' && k + 1 < size; i++)
		if (isgraph((unsigned char)data[i]))
			out[k++] = data[i];
	out[k] = '\0';
	free(data);
	return k > 0 ? 0 : -1;
}

/* This machine: CTSNODE_MACHINE_ID_FILE (test and diagnostic hook), else
 * /etc/machine-id, else /var/lib/dbus/machine-id, else the host name.
 * Kept as a SHA-256 (the raw machine-id is not written anywhere). */
static int machine_fingerprint(char hex[65])
{
	const char *hook = getenv("CTSNODE_MACHINE_ID_FILE");
	char id[MACHINE_ID_MAX + 8] = "id:";
	unsigned char h[crypto_hash_sha256_BYTES];

	if (hook && *hook) {
		if (read_id_file(hook, id + 3, MACHINE_ID_MAX) < 0)
			return cts_error_set(
			    CTS_EINVAL,
			    "CTSNODE_MACHINE_ID_FILE : fichier %.200s illisible ou vide", hook);
	} else if (read_id_file("/etc/machine-id", id + 3, MACHINE_ID_MAX) < 0 &&
	           read_id_file("/var/lib/dbus/machine-id", id + 3, MACHINE_ID_MAX) < 0) {
		memcpy(id, "host:", 6);
		if (gethostname(id + 5, MACHINE_ID_MAX) != 0 || id[5] == '\0')
			return CTS_ENOTFOUND; /* nothing identifies this machine: not checked */
		id[MACHINE_ID_MAX + 4] = '\0';
	}
	crypto_hash_sha256(h, (const unsigned char *)id, strlen(id));
	sodium_bin2hex(hex, 65, h, sizeof(h));
	return 0;
}

int cts_node_machine_record(cts_node *n)
{
	char hex[65];
	int rc = machine_fingerprint(hex);

	if (rc == CTS_ENOTFOUND)
		return 0;
	return rc < 0 ? rc : cts_store_meta_set(n->store, MACHINE_META, hex);
}

int cts_node_machine_check(cts_node *n)
{
	char hex[65], *kept = NULL;
	int rc = machine_fingerprint(hex), same;

	if (rc == CTS_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if ((rc = cts_store_meta_get(n->store, MACHINE_META, &kept)) == CTS_ENOTFOUND) {
		cts_error_clear(); /* a folder of an earlier version: adopted as it is */
		return cts_store_meta_set(n->store, MACHINE_META, hex);
	}
	if (rc < 0)
		return rc;
	same = strcmp(kept, hex) == 0;
	free(kept);
	if (same)
		return 0;
	return cts_error_set(CTS_EACCESS,
	                     "ce dossier de nœud (%s) a été copié depuis un autre ordinateur : "
	                     "rien n'a été scellé ni envoyé. "
	                     "Si les deux dossiers écrivaient sous l'identifiant %s, ce serait une "
	                     "bifurcation (le travail des "
	                     "deux refusé partout). Si l'ancien poste ne servira plus jamais, "
	                     "reprenez le nœud sur celui-ci : "
	                     "ctsnode init --adopt (le dépôt régional doit répondre) ; sinon, "
	                     "créez un nouveau poste (ctsnode "
	                     "init avec un nouvel identifiant, puis region replace chez le "
	                     "coordinateur). Voir le guide, "
	                     "« Changer de poste »",
	                     n->home, n->id);
}
