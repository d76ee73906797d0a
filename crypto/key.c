#include "key.h"

#include "crypto.h"
#include "error.h"
#include "file.h"
#include "sshwire.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_MAGIC "ctsnode-key-v"
#define KEY_VERSION 1
#define ED_TYPE "ssh-ed25519"
#define ED_TYPE_LEN 11
#define PUB_BLOB_LEN (4 + ED_TYPE_LEN + 4 + CTS_KEY_PUBLIC_BYTES) /* 51 */
#define PUB_B64_MAX 128  /* longest base64 token examined in a public line */
#define COMMENT_MAX 1024 /* longest comment written in a public line */
#define BOX_LEN (CTS_KEY_SEED_BYTES + crypto_secretbox_MACBYTES)
#define KEK_LEN crypto_secretbox_KEYBYTES

_Static_assert(crypto_sign_SEEDBYTES == CTS_KEY_SEED_BYTES, "Ed25519 seed size");
_Static_assert(crypto_sign_PUBLICKEYBYTES == CTS_KEY_PUBLIC_BYTES, "Ed25519 public key size");
_Static_assert(crypto_sign_BYTES == CTS_KEY_SIGNATURE_BYTES, "Ed25519 signature size");
_Static_assert(crypto_pwhash_BYTES_MIN <= KEK_LEN, "Argon2id output size");

struct cts_key {
	unsigned char seed[CTS_KEY_SEED_BYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char pk[CTS_KEY_PUBLIC_BYTES];
};

/* ---- keys ---- */

void cts_key_free(cts_key *key)
{
	if (!key)
		return;
	sodium_memzero(key, sizeof(*key));
	sodium_free(key);
}

const unsigned char *cts_key_public(const cts_key *key)
{
	return key ? key->pk : NULL;
}

int cts_key_from_seed(cts_key **out, const unsigned char seed[32])
{
	cts_key *k;
	int rc;

	if (!out || !seed)
		return cts_error_set(CTS_ERR, "cts_key_from_seed : argument manquant");
	*out = NULL;
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if (!(k = sodium_malloc(sizeof(*k))))
		return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante pour la clé");
	memcpy(k->seed, seed, CTS_KEY_SEED_BYTES);
	if (crypto_sign_seed_keypair(k->pk, k->sk, k->seed) != 0) {
		cts_key_free(k);
		return cts_error_set(CTS_ECRYPTO, "dérivation de la clé Ed25519 impossible");
	}
	*out = k;
	return 0;
}

int cts_key_generate(cts_key **out)
{
	unsigned char *seed;
	int rc;

	if (!out)
		return cts_error_set(CTS_ERR, "cts_key_generate : argument manquant");
	*out = NULL;
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if (!(seed = sodium_malloc(CTS_KEY_SEED_BYTES)))
		return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante pour la clé");
	randombytes_buf(seed, CTS_KEY_SEED_BYTES);
	rc = cts_key_from_seed(out, seed);
	sodium_free(seed); /* wipes */
	return rc;
}

int cts_key_sign(const cts_key *key, unsigned char sig[64], const unsigned char *data,
                 size_t data_len)
{
	static const unsigned char empty[1];

	if (!key || !sig || (!data && data_len))
		return cts_error_set(CTS_ERR, "cts_key_sign : argument manquant");
	if (crypto_sign_detached(sig, NULL, data ? data : empty, data_len, key->sk) != 0)
		return cts_error_set(CTS_ECRYPTO, "signature Ed25519 impossible");
	return 0;
}

/* ---- OpenSSH public key lines ---- */

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Wire blob: string "ssh-ed25519" + string pk. */
static void pub_blob(unsigned char out[PUB_BLOB_LEN], const unsigned char pk[32])
{
	cts_sshwire_writer w = { out, PUB_BLOB_LEN, 0 };

	cts_sshwire_put_string(&w, ED_TYPE, ED_TYPE_LEN);
	cts_sshwire_put_string(&w, pk, CTS_KEY_PUBLIC_BYTES); /* fills out exactly */
}

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int cts_key_public_line(char **out, const unsigned char pk[32], const char *comment)
{
	unsigned char blob[PUB_BLOB_LEN];
	char b64[sodium_base64_ENCODED_LEN(PUB_BLOB_LEN, sodium_base64_VARIANT_ORIGINAL)];
	size_t clen = 0, len;
	int rc;

	if (!out || !pk)
		return cts_error_set(CTS_ERR, "cts_key_public_line : argument manquant");
	*out = NULL;
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if (comment) {
		clen = strlen(comment);
		if (clen > COMMENT_MAX)
			return cts_error_set(
			    CTS_ELIMIT, "commentaire de clé publique trop long (%d octets au plus)",
			    COMMENT_MAX);
		for (size_t i = 0; i < clen; i++)
			if (is_control((unsigned char)comment[i]))
				return cts_error_set(CTS_EINVAL,
				                     "commentaire de clé publique invalide : "
				                     "caractère de contrôle interdit");
	}
	pub_blob(blob, pk);
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob), sodium_base64_VARIANT_ORIGINAL);
	len = ED_TYPE_LEN + 1 + strlen(b64) + (clen ? clen + 1 : 0) + 1;
	if (!(*out = malloc(len)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	snprintf(*out, len, "%s %s%s%s", ED_TYPE, b64, clen ? " " : "", clen ? comment : "");
	return 0;
}

/* The y coordinates (sign bit cleared) of the points of small order below
 * p - 1 (p = 2^255 - 19): 0 (order 4), 1 (the identity) and the two of
 * order 8; y_from_p_minus_1() covers the point of order 2 and the
 * non-canonical encodings. With such a key, R = identity and S = 0
 * "verifies" any message for verifiers that do not refuse small-order keys
 * (OpenSSH's ssh-keygen and git among them). */
static const unsigned char small_order[4][32] = {
	{ 0 },
	{ 0x01 },
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	  0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
	  0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	  0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	  0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
};

/* y >= p - 1 (little-endian: 0xec, thirty 0xff, 0x7f): p - 1 is the y of
 * the point of order 2; p and p + 1 encode 0 and 1 again, and p + 2 ..
 * 2^255 - 1 the other y below 19 (non-canonical encodings, which
 * crypto_core_ed25519_is_valid_point refuses too). */
static int y_from_p_minus_1(const unsigned char y[32])
{
	if (y[0] < 0xec || y[31] != 0x7f)
		return 0;
	for (size_t i = 1; i < 31; i++)
		if (y[i] != 0xff)
			return 0;
	return 1;
}

int cts_key_public_usable(const unsigned char pk[32])
{
	unsigned char y[32];

	memcpy(y, pk, 32);
	y[31] &= 0x7f;
	for (size_t i = 0; i < sizeof(small_order) / sizeof(small_order[0]); i++)
		if (memcmp(y, small_order[i], 32) == 0)
			return 0;
	if (y_from_p_minus_1(y))
		return 0;
	/* Canonical encoding, on the curve, in the prime-order subgroup. */
	return crypto_core_ed25519_is_valid_point(pk) == 1;
}

static int bad_public(const char *why)
{
	return cts_error_set(
	    CTS_EINVAL, "clé publique invalide : %s (forme attendue : « ssh-ed25519 AAAA... »)",
	    why);
}

int cts_key_parse_public_line(unsigned char pk[32], const char *line)
{
	unsigned char blob[PUB_B64_MAX];
	const char *b64, *e;
	size_t tok, blen = 0;
	uint32_t n;
	int rc;

	if (!pk)
		return cts_error_set(CTS_ERR, "cts_key_parse_public_line : argument manquant");
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if (!line || !*line)
		return bad_public("ligne vide");
	if (strncmp(line, ED_TYPE " ", ED_TYPE_LEN + 1) != 0)
		return bad_public(
		    "le type doit être exactement « ssh-ed25519 » suivi d'une espace");
	b64 = line + ED_TYPE_LEN + 1;
	tok = strcspn(b64, " \n");
	e = b64 + tok;
	if (tok == 0)
		return bad_public("données base64 absentes");
	if (tok > PUB_B64_MAX)
		return bad_public("données base64 trop longues");
	/* What may follow the base64: nothing, one final newline, or one space
	 * and a comment without control characters. */
	if (*e == '\n' && e[1] != '\0')
		return bad_public("texte après la fin de ligne");
	if (*e == ' ') {
		const char *c = e + 1;
		if (*c == '\0' || *c == '\n' || *c == ' ')
			return bad_public("espace en trop après les données base64");
		for (; *c && *c != '\n'; c++)
			if (is_control((unsigned char)*c))
				return bad_public("caractère de contrôle dans le commentaire");
		if (*c == '\n' && c[1] != '\0')
			return bad_public("texte après la fin de ligne");
	}
	/* Strict base64: standard alphabet, exact padding, no ignored chars,
	 * zero trailing bits. */
	if ((rc = cts_crypto_base64_decode(blob, sizeof(blob), &blen, b64, tok)) < 0)
		return cts_error_prefix(rc, "clé publique invalide : ");
	if (blen < 4 + ED_TYPE_LEN || get_u32(blob) != ED_TYPE_LEN ||
	    memcmp(blob + 4, ED_TYPE, ED_TYPE_LEN) != 0)
		return bad_public("le contenu encodé n'est pas une clé « ssh-ed25519 »");
	if (blen < 8 + ED_TYPE_LEN)
		return bad_public("clé Ed25519 tronquée");
	n = get_u32(blob + 4 + ED_TYPE_LEN);
	if (n != CTS_KEY_PUBLIC_BYTES || blen < PUB_BLOB_LEN)
		return bad_public("une clé Ed25519 fait exactement 32 octets");
	if (blen != PUB_BLOB_LEN)
		return bad_public("octets en trop après la clé");
	if (!cts_key_public_usable(blob + 8 + ED_TYPE_LEN))
		return cts_error_set(
		    CTS_EINVAL, "clé publique refusée : ce n'est pas une vraie clé Ed25519 (point "
		                "d'ordre faible, clé nulle ou encodage non canonique) ; avec une "
		                "telle clé, des signatures se fabriquent sans clé privée");
	memcpy(pk, blob + 8 + ED_TYPE_LEN, CTS_KEY_PUBLIC_BYTES);
	return 0;
}

/* ---- key file ---- */

static int kdf_fast(void)
{
	const char *v = getenv("CTSNODE_KDF_FAST");
	return v && strcmp(v, "1") == 0;
}

/* The file text for key (in text, a CTS_KEY_FILE_MAX sodium buffer). */
static int format_key_file(char *text, size_t *len, const cts_key *key, const char *passphrase)
{
	char *pub = NULL;
	unsigned char *kek = NULL;
	int rc = 0, n;

	if ((rc = cts_key_public_line(&pub, key->pk, NULL)) < 0)
		return rc;
	if (passphrase) {
		unsigned long long ops =
		    kdf_fast() ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_MODERATE;
		size_t mem =
		    kdf_fast() ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_MODERATE;
		unsigned char salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES],
		    box[BOX_LEN];
		char salt_hex[2 * sizeof(salt) + 1], nonce_hex[2 * sizeof(nonce) + 1];
		char box_b64[sodium_base64_ENCODED_LEN(BOX_LEN, sodium_base64_VARIANT_ORIGINAL)];

		if (!(kek = sodium_malloc(KEK_LEN))) {
			rc = cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
			goto cleanup;
		}
		randombytes_buf(salt, sizeof(salt));
		randombytes_buf(nonce, sizeof(nonce));
		if (crypto_pwhash(kek, KEK_LEN, passphrase, strlen(passphrase), salt, ops, mem,
		                  crypto_pwhash_ALG_ARGON2ID13) != 0) {
			rc = cts_error_set(CTS_ENOMEM,
			                   "dérivation Argon2id de la phrase de passe impossible "
			                   "(%zu Mo de mémoire nécessaires)",
			                   mem >> 20);
			goto cleanup;
		}
		if (crypto_secretbox_easy(box, key->seed, CTS_KEY_SEED_BYTES, nonce, kek) != 0) {
			rc = cts_error_set(CTS_ECRYPTO, "chiffrement de la clé impossible");
			goto cleanup;
		}
		sodium_bin2hex(salt_hex, sizeof(salt_hex), salt, sizeof(salt));
		sodium_bin2hex(nonce_hex, sizeof(nonce_hex), nonce, sizeof(nonce));
		sodium_bin2base64(box_b64, sizeof(box_b64), box, sizeof(box),
		                  sodium_base64_VARIANT_ORIGINAL);
		n = snprintf(text, CTS_KEY_FILE_MAX,
		             KEY_MAGIC
		             "%d\nkdf argon2id13 %llu %zu\nsalt %s\nnonce %s\nbox %s\npublic %s\n",
		             KEY_VERSION, ops, mem, salt_hex, nonce_hex, box_b64, pub);
	} else {
		char seed_hex[2 * CTS_KEY_SEED_BYTES + 1];

		sodium_bin2hex(seed_hex, sizeof(seed_hex), key->seed, CTS_KEY_SEED_BYTES);
		n = snprintf(text, CTS_KEY_FILE_MAX, KEY_MAGIC "%d\nkdf none\nseed %s\npublic %s\n",
		             KEY_VERSION, seed_hex, pub);
		sodium_memzero(seed_hex, sizeof(seed_hex));
	}
	if (n < 0 || n >= CTS_KEY_FILE_MAX) {
		rc = cts_error_set(CTS_ERR, "fichier de clé trop long");
		goto cleanup;
	}
	*len = (size_t)n;
cleanup:
	sodium_free(kek);
	free(pub);
	return rc;
}

int cts_key_save(const cts_key *key, const char *path, const char *passphrase)
{
	char *text = NULL;
	size_t len = 0;
	struct stat sb;
	int rc;

	if (!key || !path || !*path)
		return cts_error_set(CTS_ERR, "cts_key_save : argument manquant");
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	/* Early, friendly refusal (before the slow KDF); link() below is what
	 * actually guarantees that nothing is ever replaced. */
	if (lstat(path, &sb) == 0)
		return cts_error_set(CTS_EEXISTS,
		                     "le fichier de clé %s existe déjà : il n'est jamais remplacé",
		                     path);
	if (errno != ENOENT)
		return cts_error_set(CTS_EIO, "fichier de clé %s inaccessible : %s", path,
		                     strerror(errno));
	if (!(text = sodium_malloc(CTS_KEY_FILE_MAX)))
		return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
	if ((rc = format_key_file(text, &len, key, passphrase)) < 0)
		goto cleanup;
	if ((rc = cts_write_file_new(path, text, len, 0600)) < 0)
		cts_error_prefix(rc, "fichier de clé : ");
cleanup:
	sodium_free(text); /* wipes */
	return rc;
}

/* Read the key file with the safety checks. *text: sodium memory,
 * NUL-terminated, *len bytes. */
static int read_key_file(const char *path, char **text, size_t *len)
{
	struct stat sb;
	char *buf = NULL;
	size_t n = 0;
	int fd, rc = 0;

	*text = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return cts_error_set(CTS_EINVAL,
			                     "le fichier de clé %s est un lien symbolique : refusé",
			                     path);
		if (errno == ENOENT)
			return cts_error_set(CTS_ENOTFOUND, "fichier de clé introuvable : %s",
			                     path);
		return cts_error_set(CTS_EIO, "impossible d'ouvrir le fichier de clé %s : %s", path,
		                     strerror(errno));
	}
	if (fstat(fd, &sb) != 0) {
		rc = cts_error_set(CTS_EIO, "impossible d'examiner le fichier de clé %s : %s", path,
		                   strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = cts_error_set(
		    CTS_EINVAL, "%s n'est pas un fichier ordinaire : refusé comme fichier de clé",
		    path);
		goto cleanup;
	}
	if (sb.st_size > CTS_KEY_FILE_MAX) {
		rc = cts_error_set(CTS_ELIMIT,
		                   "le fichier de clé %s est trop gros (%lld octets, %d au plus)",
		                   path, (long long)sb.st_size, CTS_KEY_FILE_MAX);
		goto cleanup;
	}
	if (sb.st_mode & 077) {
		rc = cts_error_set(
		    CTS_EINVAL,
		    "le fichier de clé %s est accessible à d'autres utilisateurs (droits %03o) : "
		    "corrigez avec « chmod 600 %s »",
		    path, (unsigned)(sb.st_mode & 0777), path);
		goto cleanup;
	}
	if (!(buf = sodium_malloc(CTS_KEY_FILE_MAX + 2))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
		goto cleanup;
	}
	/* Read one byte more than allowed, to see a file that grew. */
	while (n <= CTS_KEY_FILE_MAX) {
		ssize_t r = read(fd, buf + n, CTS_KEY_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cts_error_set(CTS_EIO, "impossible de lire le fichier de clé %s : %s",
			                   path, strerror(errno));
			goto cleanup;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > CTS_KEY_FILE_MAX) {
		rc = cts_error_set(CTS_ELIMIT,
		                   "le fichier de clé %s est trop gros (%d octets au plus)", path,
		                   CTS_KEY_FILE_MAX);
		goto cleanup;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
cleanup:
	sodium_free(buf);
	close(fd);
	return rc;
}

/* A parsed key file. */
typedef struct {
	int encrypted;
	unsigned long long ops;
	size_t mem;
	unsigned char salt[crypto_pwhash_SALTBYTES];
	unsigned char nonce[crypto_secretbox_NONCEBYTES];
	unsigned char box[BOX_LEN];
	unsigned char pk[CTS_KEY_PUBLIC_BYTES];
} key_file;

typedef struct {
	const char *p, *end;
} cursor;

/* The next "\n"-terminated line, which must read "name value": *val and
 * *vlen get the value. */
static int take_field(cursor *c, const char *name, const char **val, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *eol = memchr(c->p, '\n', (size_t)(c->end - c->p));

	if (!eol || (size_t)(eol - c->p) < nl + 1 || memcmp(c->p, name, nl) != 0 || c->p[nl] != ' ')
		return -1;
	*val = c->p + nl + 1;
	*vlen = (size_t)(eol - *val);
	c->p = eol + 1;
	return 0;
}

static int is_equal(const char *s, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Exactly 2*size lowercase hex digits into out. */
static int lower_hex(unsigned char *out, size_t size, const char *hex, size_t len)
{
	size_t bl = 0;

	if (len != 2 * size)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	if (sodium_hex2bin(out, size, hex, len, NULL, &bl, NULL) != 0 || bl != size)
		return -1;
	return 0;
}

/* Plain decimal, no sign, no leading zero, at most 19 digits. */
static int decimal(const char **p, const char *end, unsigned long long *v)
{
	const char *s = *p;
	unsigned long long x = 0;
	size_t n = 0;

	while (s + n < end && s[n] >= '0' && s[n] <= '9' && n < 20)
		x = x * 10 + (unsigned long long)(s[n++] - '0');
	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return -1;
	*v = x;
	*p = s + n;
	return 0;
}

/* "argon2id13 OPS MEM" with limits libsodium accepts and a bounded cost. */
static int parse_kdf(key_file *kf, const char *v, size_t len)
{
	const char *p = v, *end = v + len;
	unsigned long long ops, mem;

	if (len < 11 || memcmp(p, "argon2id13 ", 11) != 0)
		return -1;
	p += 11;
	if (decimal(&p, end, &ops) < 0 || p == end || *p++ != ' ' || decimal(&p, end, &mem) < 0 ||
	    p != end)
		return -1;
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return -1;
	kf->ops = ops;
	kf->mem = (size_t)mem;
	return 0;
}

/* Parse the key file text; a plain seed goes to seed (sodium memory). */
static int parse_key_file(key_file *kf, unsigned char *seed, const char *text, size_t len,
                          const char *path)
{
	cursor c = { text, text + len };
	const char *v, *eol;
	size_t vl;
	char *pub = NULL;
	int rc = 0;

	memset(kf, 0, sizeof(*kf));
	if (strlen(text) != len)
		return cts_error_set(CTS_EINVAL, "fichier de clé %s invalide : octet nul", path);
	eol = memchr(text, '\n', len);
	if (!eol || (size_t)(eol - text) < strlen(KEY_MAGIC) + 1 ||
	    memcmp(text, KEY_MAGIC, strlen(KEY_MAGIC)) != 0)
		return cts_error_set(CTS_EINVAL,
		                     "%s n'est pas un fichier de clé ctsnode "
		                     "(première ligne « ctsnode-key-v1 » attendue)",
		                     path);
	{
		const char *p = text + strlen(KEY_MAGIC);
		unsigned long long version;
		if (decimal(&p, eol, &version) < 0 || p != eol)
			return cts_error_set(CTS_EINVAL, "%s : version de fichier de clé illisible",
			                     path);
		if (version > KEY_VERSION)
			return cts_error_set(
			    CTS_EVERSION,
			    "le fichier de clé %s a été écrit par une version plus récente "
			    "de ctsnode (format v%llu) : mettez ctsnode à jour",
			    path, version);
		if (version != KEY_VERSION)
			return cts_error_set(CTS_EINVAL,
			                     "%s : version de fichier de clé inconnue (v%llu)",
			                     path, version);
	}
	c.p = eol + 1;
	if (take_field(&c, "kdf", &v, &vl) < 0)
		return cts_error_set(
		    CTS_EINVAL, "fichier de clé %s invalide : ligne « kdf » attendue en 2e ligne",
		    path);
	if (is_equal(v, vl, "none")) {
		if (take_field(&c, "seed", &v, &vl) < 0 ||
		    lower_hex(seed, CTS_KEY_SEED_BYTES, v, vl) < 0)
			return cts_error_set(CTS_EINVAL,
			                     "fichier de clé %s invalide : ligne « seed » "
			                     "(64 chiffres hexadécimaux) attendue",
			                     path);
	} else {
		kf->encrypted = 1;
		if (parse_kdf(kf, v, vl) < 0)
			return cts_error_set(
			    CTS_EINVAL,
			    "fichier de clé %s invalide : « kdf argon2id13 OPS MEM » "
			    "attendu, avec des limites acceptées par libsodium",
			    path);
		if (take_field(&c, "salt", &v, &vl) < 0 ||
		    lower_hex(kf->salt, sizeof(kf->salt), v, vl) < 0)
			return cts_error_set(
			    CTS_EINVAL, "fichier de clé %s invalide : ligne « salt » incorrecte",
			    path);
		if (take_field(&c, "nonce", &v, &vl) < 0 ||
		    lower_hex(kf->nonce, sizeof(kf->nonce), v, vl) < 0)
			return cts_error_set(
			    CTS_EINVAL, "fichier de clé %s invalide : ligne « nonce » incorrecte",
			    path);
		{
			size_t bl = 0;
			if (take_field(&c, "box", &v, &vl) < 0 ||
			    vl !=
			        sodium_base64_ENCODED_LEN(BOX_LEN, sodium_base64_VARIANT_ORIGINAL) -
			            1)
				return cts_error_set(
				    CTS_EINVAL,
				    "fichier de clé %s invalide : ligne « box » incorrecte", path);
			if ((rc = cts_crypto_base64_decode(kf->box, sizeof(kf->box), &bl, v, vl)) <
			    0)
				return cts_error_prefix(
				    rc, "fichier de clé %s invalide : ligne « box » : ", path);
			if (bl != BOX_LEN)
				return cts_error_set(
				    CTS_EINVAL,
				    "fichier de clé %s invalide : ligne « box » incorrecte", path);
		}
	}
	if (take_field(&c, "public", &v, &vl) < 0)
		return cts_error_set(
		    CTS_EINVAL, "fichier de clé %s invalide : ligne « public » attendue", path);
	if (!(pub = strndup(v, vl)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = cts_key_parse_public_line(kf->pk, pub)) < 0)
		rc = cts_error_prefix(rc, "fichier de clé %s : ", path);
	else if (strchr(pub, ' ') != strrchr(pub, ' '))
		rc = cts_error_set(
		    CTS_EINVAL,
		    "fichier de clé %s invalide : commentaire inattendu sur la ligne « public »",
		    path);
	free(pub);
	if (rc < 0)
		return rc;
	if (c.p != c.end)
		return cts_error_set(
		    CTS_EINVAL,
		    "fichier de clé %s invalide : texte en trop après la ligne « public »", path);
	return 0;
}

/* Parse the key file at path without decrypting it. */
static int inspect_key_file(const char *path, key_file *kf)
{
	unsigned char *seed = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if ((rc = read_key_file(path, &text, &len)) < 0)
		return rc;
	if (!(seed = sodium_malloc(CTS_KEY_SEED_BYTES)))
		rc = cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
	else
		rc = parse_key_file(kf, seed, text, len, path);
	sodium_free(seed);
	sodium_free(text);
	return rc;
}

int cts_key_file_is_encrypted(const char *path, int *encrypted)
{
	key_file kf;
	int rc;

	if (!path || !encrypted)
		return cts_error_set(CTS_ERR, "cts_key_file_is_encrypted : argument manquant");
	*encrypted = 0;
	if ((rc = inspect_key_file(path, &kf)) == 0)
		*encrypted = kf.encrypted;
	return rc;
}

int cts_key_file_public(const char *path, unsigned char pk[32])
{
	key_file kf;
	int rc;

	if (!path || !pk)
		return cts_error_set(CTS_ERR, "cts_key_file_public : argument manquant");
	if ((rc = inspect_key_file(path, &kf)) == 0)
		memcpy(pk, kf.pk, sizeof(kf.pk));
	return rc;
}

int cts_key_load(cts_key **out, const char *path, const char *passphrase)
{
	unsigned char *seed = NULL, *kek = NULL;
	char *text = NULL;
	key_file kf;
	size_t len = 0;
	int rc;

	if (!out || !path)
		return cts_error_set(CTS_ERR, "cts_key_load : argument manquant");
	*out = NULL;
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if ((rc = read_key_file(path, &text, &len)) < 0)
		return rc;
	if (!(seed = sodium_malloc(CTS_KEY_SEED_BYTES)) || !(kek = sodium_malloc(KEK_LEN))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
		goto cleanup;
	}
	if ((rc = parse_key_file(&kf, seed, text, len, path)) < 0)
		goto cleanup;
	if (kf.encrypted) {
		if (!passphrase) {
			rc = cts_error_set(
			    CTS_EAUTH,
			    "la clé %s est chiffrée : une phrase de passe est nécessaire "
			    "(saisie au clavier, ou variable CTSNODE_PASSPHRASE pour les scripts)",
			    path);
			goto cleanup;
		}
		if (crypto_pwhash(kek, KEK_LEN, passphrase, strlen(passphrase), kf.salt, kf.ops,
		                  kf.mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
			rc = cts_error_set(CTS_ENOMEM,
			                   "dérivation Argon2id de la phrase de passe impossible "
			                   "(%zu Mo de mémoire nécessaires)",
			                   kf.mem >> 20);
			goto cleanup;
		}
		if (crypto_secretbox_open_easy(seed, kf.box, sizeof(kf.box), kf.nonce, kek) != 0) {
			rc = cts_error_set(
			    CTS_EAUTH,
			    "phrase de passe incorrecte : la clé %s n'a pas pu être déchiffrée",
			    path);
			goto cleanup;
		}
	}
	if ((rc = cts_key_from_seed(out, seed)) < 0)
		goto cleanup;
	if (sodium_memcmp((*out)->pk, kf.pk, CTS_KEY_PUBLIC_BYTES) != 0) {
		cts_key_free(*out);
		*out = NULL;
		rc = cts_error_set(
		    CTS_ECRYPTO,
		    "fichier de clé %s altéré : la clé secrète ne correspond pas à la "
		    "clé publique enregistrée",
		    path);
	}
cleanup:
	sodium_memzero(&kf, sizeof(kf));
	sodium_free(seed);
	sodium_free(kek);
	sodium_free(text);
	return rc;
}
