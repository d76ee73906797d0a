#include "key.h"

#include "crypto.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX 4096

struct cts_key {
	unsigned char seed[32];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
};

void cts_key_free(cts_key *key)
{
	if (key)
		sodium_free(key); /* zeroes the memory */
}

const unsigned char *cts_key_public(const cts_key *key)
{
	return key->pk;
}

const unsigned char *cts_key_secret(const cts_key *key)
{
	return key->sk;
}

int cts_key_from_seed(cts_key **out, const unsigned char seed[32])
{
	cts_key *k;

	*out = NULL;
	if (cts_crypto_init() < 0)
		return CTS_ECRYPTO;
	if (!(k = sodium_malloc(sizeof(*k))))
		return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante pour la clé");
	memcpy(k->seed, seed, 32);
	if (crypto_sign_seed_keypair(k->pk, k->sk, k->seed) != 0) {
		sodium_free(k);
		return cts_error_set(CTS_ECRYPTO, "dérivation de la clé impossible");
	}
	*out = k;
	return 0;
}

int cts_key_generate(cts_key **out)
{
	unsigned char seed[32];
	int rc;

	if (cts_crypto_init() < 0)
		return CTS_ECRYPTO;
	randombytes_buf(seed, sizeof(seed));
	rc = cts_key_from_seed(out, seed);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

size_t cts_ssh_put_string(unsigned char *dst, const void *src, size_t len)
{
	dst[0] = (unsigned char)(len >> 24);
	dst[1] = (unsigned char)(len >> 16);
	dst[2] = (unsigned char)(len >> 8);
	dst[3] = (unsigned char)len;
	memcpy(dst + 4, src, len);
	return 4 + len;
}

/* string "ssh-ed25519" + string pk: 51 bytes */
static size_t pub_blob(unsigned char out[51], const unsigned char pk[32])
{
	size_t n = cts_ssh_put_string(out, "ssh-ed25519", 11);
	return n + cts_ssh_put_string(out + n, pk, 32);
}

int cts_key_public_line(char **out, const unsigned char pk[32], const char *comment)
{
	unsigned char blob[51];
	char b64[sodium_base64_ENCODED_LEN(51, sodium_base64_VARIANT_ORIGINAL)];
	size_t len;

	pub_blob(blob, pk);
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
	len = strlen("ssh-ed25519 ") + strlen(b64) + (comment ? strlen(comment) + 1 : 0) + 1;
	if (!(*out = malloc(len)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	snprintf(*out, len, "ssh-ed25519 %s%s%s", b64, comment ? " " : "", comment ? comment : "");
	return 0;
}

int cts_key_parse_public_line(unsigned char pk[32], const char *line)
{
	unsigned char blob[64], want[51];
	const char *b, *e;
	size_t blen = 0;

	if (!line || strncmp(line, "ssh-ed25519 ", 12) != 0)
		return cts_error_set(CTS_EINVAL, "clé publique invalide : « ssh-ed25519 AAAA... » attendu");
	b = line + 12;
	while (*b == ' ')
		b++;
	for (e = b; *e && *e != ' ' && *e != '\n'; e++)
		;
	if (*e == '\n' && e[1] != '\0')
		return cts_error_set(CTS_EINVAL, "clé publique invalide : plusieurs lignes");
	if (e - b != 68 ||
	    sodium_base642bin(blob, sizeof(blob), b, (size_t)(e - b), NULL, &blen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    blen != 51)
		return cts_error_set(CTS_EINVAL, "clé publique invalide : encodage base64 incorrect");
	memcpy(pk, blob + 19, 32);
	pub_blob(want, pk);
	if (memcmp(want, blob, 51) != 0)
		return cts_error_set(CTS_EINVAL, "clé publique invalide : ce n'est pas une clé ssh-ed25519");
	return 0;
}

static int kdf_fast(void)
{
	const char *v = getenv("CTSNODE_KDF_FAST");
	return v && strcmp(v, "1") == 0;
}

int cts_key_save(const cts_key *key, const char *path, const char *passphrase)
{
	char *pub = NULL, text[1024], tmp[4200];
	unsigned char salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
	unsigned char box[32 + crypto_secretbox_MACBYTES];
	unsigned char *kek = NULL;
	int fd = -1, rc, n;
	struct stat sb;

	if (lstat(path, &sb) == 0)
		return cts_error_set(CTS_EEXISTS, "le fichier de clé %s existe déjà : il n'est jamais remplacé", path);
	if ((rc = cts_key_public_line(&pub, key->pk, NULL)) < 0)
		return rc;
	if (passphrase) {
		unsigned long long ops = kdf_fast() ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_MODERATE;
		size_t mem = kdf_fast() ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_MODERATE;
		char salt_hex[2 * sizeof(salt) + 1], nonce_hex[2 * sizeof(nonce) + 1];
		char box_b64[sodium_base64_ENCODED_LEN(sizeof(box), sodium_base64_VARIANT_ORIGINAL)];

		if (!(kek = sodium_malloc(crypto_secretbox_KEYBYTES))) {
			free(pub);
			return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
		}
		randombytes_buf(salt, sizeof(salt));
		randombytes_buf(nonce, sizeof(nonce));
		if (crypto_pwhash(kek, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase), salt, ops, mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
			sodium_free(kek);
			free(pub);
			return cts_error_set(CTS_ENOMEM, "dérivation de la phrase de passe impossible (mémoire insuffisante)");
		}
		crypto_secretbox_easy(box, key->seed, 32, nonce, kek);
		sodium_free(kek);
		sodium_bin2hex(salt_hex, sizeof(salt_hex), salt, sizeof(salt));
		sodium_bin2hex(nonce_hex, sizeof(nonce_hex), nonce, sizeof(nonce));
		sodium_bin2base64(box_b64, sizeof(box_b64), box, sizeof(box), sodium_base64_VARIANT_ORIGINAL);
		n = snprintf(text, sizeof(text), "ctsnode-key-v1\npublic %s\nkdf argon2id13 %llu %zu\nsalt %s\nnonce %s\nbox %s\n",
			     pub, ops, mem, salt_hex, nonce_hex, box_b64);
	} else {
		char seed_hex[65];
		sodium_bin2hex(seed_hex, sizeof(seed_hex), key->seed, 32);
		n = snprintf(text, sizeof(text), "ctsnode-key-v1\npublic %s\nkdf none\nseed %s\n", pub, seed_hex);
		sodium_memzero(seed_hex, sizeof(seed_hex));
	}
	free(pub);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		sodium_memzero(text, sizeof(text));
		return cts_error_set(CTS_EIO, "impossible de créer %s : %s", path, strerror(errno));
	}
	if (fchmod(fd, 0600) != 0 || write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		sodium_memzero(text, sizeof(text));
		return cts_error_set(CTS_EIO, "impossible d'écrire %s : %s", path, strerror(e));
	}
	close(fd);
	sodium_memzero(text, sizeof(text));
	if (link(tmp, path) != 0) { /* refuses to replace an existing file */
		int e = errno;
		unlink(tmp);
		return cts_error_set(e == EEXIST ? CTS_EEXISTS : CTS_EIO, "impossible d'enregistrer la clé %s : %s", path,
				     strerror(e));
	}
	unlink(tmp);
	return 0;
}

/* Read the key file with the safety checks. *text in sodium memory. */
static int read_key_file(const char *path, char **text)
{
	struct stat sb;
	char *buf;
	ssize_t r;
	int fd;

	*text = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return cts_error_set(CTS_EINVAL, "%s est un lien symbolique : refusé pour un fichier de clé", path);
		if (errno == ENOENT)
			return cts_error_set(CTS_ENOTFOUND, "fichier de clé introuvable : %s", path);
		return cts_error_set(CTS_EIO, "impossible de lire la clé %s : %s", path, strerror(errno));
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > KEY_FILE_MAX) {
		close(fd);
		return cts_error_set(CTS_EINVAL, "%s n'est pas un fichier de clé valide", path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return cts_error_set(CTS_EINVAL, "le fichier de clé %s est lisible par d'autres utilisateurs : "
						 "corrigez avec « chmod 600 %s »", path, path);
	}
	if (!(buf = sodium_malloc(KEY_FILE_MAX + 1))) {
		close(fd);
		return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
	}
	r = read(fd, buf, KEY_FILE_MAX);
	close(fd);
	if (r < 0) {
		sodium_free(buf);
		return cts_error_set(CTS_EIO, "impossible de lire la clé %s", path);
	}
	buf[r] = '\0';
	*text = buf;
	return 0;
}

/* Value of "name " line in text, copied to out (size). */
static int field(const char *text, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ' ') {
			const char *v = p + nl + 1, *e = strchr(v, '\n');
			size_t len = e ? (size_t)(e - v) : strlen(v);
			if (len >= size)
				return -1;
			memcpy(out, v, len);
			out[len] = '\0';
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int cts_key_file_is_encrypted(const char *path, int *encrypted)
{
	char *text = NULL, kdf[64];
	int rc;

	*encrypted = 0;
	if ((rc = read_key_file(path, &text)) < 0)
		return rc;
	rc = 0;
	if (strncmp(text, "ctsnode-key-v1\n", 15) != 0 || field(text, "kdf", kdf, sizeof(kdf)) < 0)
		rc = cts_error_set(CTS_EINVAL, "%s n'est pas un fichier de clé ctsnode", path);
	else
		*encrypted = strcmp(kdf, "none") != 0;
	sodium_free(text);
	return rc;
}

int cts_key_load(cts_key **out, const char *path, const char *passphrase)
{
	char *text = NULL, kdf[64], pub[128], hex[200], b64[200];
	unsigned char *seed = NULL, *kek = NULL;
	unsigned char salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
	unsigned char box[32 + crypto_secretbox_MACBYTES], pk[32];
	size_t len;
	int rc;

	*out = NULL;
	if (cts_crypto_init() < 0)
		return CTS_ECRYPTO;
	if ((rc = read_key_file(path, &text)) < 0)
		return rc;
	if (!(seed = sodium_malloc(32)) || !(kek = sodium_malloc(crypto_secretbox_KEYBYTES))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
		goto cleanup;
	}
	if (strncmp(text, "ctsnode-key-v1\n", 15) != 0 || field(text, "kdf", kdf, sizeof(kdf)) < 0 ||
	    field(text, "public", pub, sizeof(pub)) < 0 || cts_key_parse_public_line(pk, pub) < 0) {
		rc = cts_error_set(CTS_EINVAL, "%s n'est pas un fichier de clé ctsnode valide", path);
		goto cleanup;
	}
	if (strcmp(kdf, "none") == 0) {
		if (field(text, "seed", hex, sizeof(hex)) < 0 ||
		    sodium_hex2bin(seed, 32, hex, strlen(hex), NULL, &len, NULL) != 0 || len != 32) {
			rc = cts_error_set(CTS_EINVAL, "%s : graine de clé illisible", path);
			goto cleanup;
		}
		sodium_memzero(hex, sizeof(hex));
	} else {
		unsigned long long ops;
		size_t mem;
		if (sscanf(kdf, "argon2id13 %llu %zu", &ops, &mem) != 2 || ops < crypto_pwhash_OPSLIMIT_MIN ||
		    ops > crypto_pwhash_OPSLIMIT_SENSITIVE || mem < crypto_pwhash_MEMLIMIT_MIN ||
		    mem > crypto_pwhash_MEMLIMIT_SENSITIVE || field(text, "salt", hex, sizeof(hex)) < 0 ||
		    sodium_hex2bin(salt, sizeof(salt), hex, strlen(hex), NULL, &len, NULL) != 0 || len != sizeof(salt) ||
		    field(text, "nonce", hex, sizeof(hex)) < 0 ||
		    sodium_hex2bin(nonce, sizeof(nonce), hex, strlen(hex), NULL, &len, NULL) != 0 || len != sizeof(nonce) ||
		    field(text, "box", b64, sizeof(b64)) < 0 ||
		    sodium_base642bin(box, sizeof(box), b64, strlen(b64), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    len != sizeof(box)) {
			rc = cts_error_set(CTS_EINVAL, "%s : fichier de clé chiffrée illisible", path);
			goto cleanup;
		}
		if (!passphrase) {
			rc = cts_error_set(CTS_EAUTH, "la clé du nœud est chiffrée : une phrase de passe est nécessaire");
			goto cleanup;
		}
		if (crypto_pwhash(kek, crypto_secretbox_KEYBYTES, passphrase, strlen(passphrase), salt, ops, mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
			rc = cts_error_set(CTS_ENOMEM, "dérivation de la phrase de passe impossible (mémoire insuffisante)");
			goto cleanup;
		}
		if (crypto_secretbox_open_easy(seed, box, sizeof(box), nonce, kek) != 0) {
			rc = cts_error_set(CTS_EAUTH, "phrase de passe incorrecte : la clé du nœud n'a pas pu être déchiffrée");
			goto cleanup;
		}
	}
	if ((rc = cts_key_from_seed(out, seed)) < 0)
		goto cleanup;
	if (sodium_memcmp((*out)->pk, pk, 32) != 0) {
		cts_key_free(*out);
		*out = NULL;
		rc = cts_error_set(CTS_ECRYPTO, "%s : la clé secrète ne correspond pas à la clé publique", path);
	}
cleanup:
	sodium_free(seed);
	sodium_free(kek);
	sodium_free(text);
	return rc;
}
