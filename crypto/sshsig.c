#include "sshsig.h"

#include "crypto.h"
#include "error.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define END "-----END SSH SIGNATURE-----\n"
#define LINE 70
#define NS_MAX 64

/* The SSHSIG "signed data": MAGIC, ns, reserved, hash alg, H(msg). */
static size_t signed_data(unsigned char *out, const char *ns, const unsigned char *msg, size_t msg_len)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	size_t n = 0;

	crypto_hash_sha512(h, msg, msg_len);
	memcpy(out, "SSHSIG", 6);
	n = 6;
	n += cts_ssh_put_string(out + n, ns, strlen(ns));
	n += cts_ssh_put_string(out + n, "", 0);
	n += cts_ssh_put_string(out + n, "sha512", 6);
	n += cts_ssh_put_string(out + n, h, sizeof(h));
	return n;
}

int cts_sshsig_sign(char **armored, size_t *armored_len, const cts_key *key, const char *ns,
		    const unsigned char *msg, size_t msg_len)
{
	unsigned char data[6 + 4 + NS_MAX + 4 + 4 + 6 + 4 + 64], sig[64], blob[512], pub[51], sigw[83];
	char b64[sodium_base64_ENCODED_LEN(512, sodium_base64_VARIANT_ORIGINAL)];
	size_t n, dn, b64len, outcap, o = 0;
	char *out;

	*armored = NULL;
	if (!ns || !*ns || strlen(ns) > NS_MAX)
		return cts_error_set(CTS_EINVAL, "espace de noms de signature invalide");
	if (cts_crypto_init() < 0)
		return CTS_ECRYPTO;
	dn = signed_data(data, ns, msg, msg_len);
	crypto_sign_detached(sig, NULL, data, dn, cts_key_secret(key));

	n = cts_ssh_put_string(pub, "ssh-ed25519", 11);
	cts_ssh_put_string(pub + n, cts_key_public(key), 32);
	n = cts_ssh_put_string(sigw, "ssh-ed25519", 11);
	cts_ssh_put_string(sigw + n, sig, 64);

	memcpy(blob, "SSHSIG", 6);
	n = 6;
	blob[n++] = 0; blob[n++] = 0; blob[n++] = 0; blob[n++] = 1;
	n += cts_ssh_put_string(blob + n, pub, sizeof(pub));
	n += cts_ssh_put_string(blob + n, ns, strlen(ns));
	n += cts_ssh_put_string(blob + n, "", 0);
	n += cts_ssh_put_string(blob + n, "sha512", 6);
	n += cts_ssh_put_string(blob + n, sigw, sizeof(sigw));

	sodium_bin2base64(b64, sizeof(b64), blob, n, sodium_base64_VARIANT_ORIGINAL);
	b64len = strlen(b64);
	outcap = strlen(BEGIN) + b64len + b64len / LINE + 2 + strlen(END) + 1;
	if (!(out = malloc(outcap)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	memcpy(out, BEGIN, strlen(BEGIN));
	o = strlen(BEGIN);
	for (size_t i = 0; i < b64len; i += LINE) {
		size_t l = b64len - i < LINE ? b64len - i : LINE;
		memcpy(out + o, b64 + i, l);
		o += l;
		out[o++] = '\n';
	}
	memcpy(out + o, END, strlen(END) + 1);
	o += strlen(END);
	*armored = out;
	if (armored_len)
		*armored_len = o;
	return 0;
}

typedef struct {
	const unsigned char *p;
	size_t len, pos;
} reader;

static int rd_u32(reader *r, uint32_t *v)
{
	if (r->len - r->pos < 4)
		return -1;
	*v = (uint32_t)r->p[r->pos] << 24 | (uint32_t)r->p[r->pos + 1] << 16 | (uint32_t)r->p[r->pos + 2] << 8 |
	     r->p[r->pos + 3];
	r->pos += 4;
	return 0;
}

static int rd_string(reader *r, const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (rd_u32(r, &n) < 0 || r->len - r->pos < n)
		return -1;
	*s = r->p + r->pos;
	*len = n;
	r->pos += n;
	return 0;
}

static int str_is(const unsigned char *s, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Strict armor: exact header and footer lines, base64 lines of 70
 * (the last one shorter), nothing else. */
static int unarmor(const char *a, size_t alen, unsigned char *blob, size_t cap, size_t *blen)
{
	char b64[CTS_SSHSIG_MAX_ARMOR];
	size_t hl = strlen(BEGIN), fl = strlen(END), o = 0, i;

	if (alen > CTS_SSHSIG_MAX_ARMOR)
		return cts_error_set(CTS_ELIMIT, "signature trop grosse");
	if (alen < hl + fl || memcmp(a, BEGIN, hl) != 0)
		return cts_error_set(CTS_EINVAL, "signature mal formée : en-tête « BEGIN SSH SIGNATURE » absent");
	if (memcmp(a + alen - fl, END, fl) != 0)
		return cts_error_set(CTS_EINVAL, "signature mal formée ou tronquée : ligne « END SSH SIGNATURE » absente");
	i = hl;
	while (i < alen - fl) {
		const char *nl = memchr(a + i, '\n', alen - fl - i);
		size_t l;
		if (!nl)
			return cts_error_set(CTS_EINVAL, "signature mal formée : ligne non terminée");
		l = (size_t)(nl - (a + i));
		if (l == 0 || l > LINE || (l < LINE && nl + 1 != a + alen - fl))
			return cts_error_set(CTS_EINVAL, "signature mal formée : lignes base64 de 70 caractères attendues");
		memcpy(b64 + o, a + i, l);
		o += l;
		i += l + 1;
	}
	if (sodium_base642bin(blob, cap, b64, o, NULL, blen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return cts_error_set(CTS_EINVAL, "signature mal formée : base64 invalide");
	return 0;
}

int cts_sshsig_verify(const char *armored, size_t armored_len, const unsigned char *expected_pk, const char *ns,
		      const unsigned char *msg, size_t msg_len, unsigned char signer_pk_out[32])
{
	unsigned char blob[CTS_SSHSIG_MAX_ARMOR], data[6 + 4 + NS_MAX + 4 + 4 + 6 + 4 + 64];
	const unsigned char *pub, *sns, *res, *hash, *sigw, *t, *k, *s;
	size_t blen = 0, publ, snsl, resl, hashl, sigwl, tl, kl, sl, dn;
	reader r, pr, sr;
	uint32_t version;
	int rc;

	if (cts_crypto_init() < 0)
		return CTS_ECRYPTO;
	if (!ns || strlen(ns) > NS_MAX)
		return cts_error_set(CTS_EINVAL, "espace de noms de signature invalide");
	if ((rc = unarmor(armored, armored_len, blob, sizeof(blob), &blen)) < 0)
		return rc;
	r = (reader){ blob, blen, 0 };
	if (blen < 6 || memcmp(blob, "SSHSIG", 6) != 0)
		return cts_error_set(CTS_EINVAL, "signature mal formée : préambule SSHSIG absent");
	r.pos = 6;
	if (rd_u32(&r, &version) < 0 || version != 1)
		return cts_error_set(CTS_EINVAL, "signature SSHSIG de version non prise en charge");
	if (rd_string(&r, &pub, &publ) < 0 || rd_string(&r, &sns, &snsl) < 0 || rd_string(&r, &res, &resl) < 0 ||
	    rd_string(&r, &hash, &hashl) < 0 || rd_string(&r, &sigw, &sigwl) < 0 || r.pos != r.len)
		return cts_error_set(CTS_EINVAL, "signature mal formée : structure SSHSIG invalide");
	pr = (reader){ pub, publ, 0 };
	if (rd_string(&pr, &t, &tl) < 0 || !str_is(t, tl, "ssh-ed25519") || rd_string(&pr, &k, &kl) < 0 || kl != 32 ||
	    pr.pos != pr.len)
		return cts_error_set(CTS_EINVAL, "signature mal formée : clé ssh-ed25519 attendue");
	if (signer_pk_out)
		memcpy(signer_pk_out, k, 32);
	if (resl != 0)
		return cts_error_set(CTS_EINVAL, "signature mal formée : champ réservé non vide");
	if (!str_is(hash, hashl, "sha512"))
		return cts_error_set(CTS_EINVAL, "signature mal formée : algorithme de hachage sha512 attendu");
	sr = (reader){ sigw, sigwl, 0 };
	if (rd_string(&sr, &t, &tl) < 0 || !str_is(t, tl, "ssh-ed25519") || rd_string(&sr, &s, &sl) < 0 || sl != 64 ||
	    sr.pos != sr.len)
		return cts_error_set(CTS_EINVAL, "signature mal formée : signature ssh-ed25519 attendue");
	if (!str_is(sns, snsl, ns))
		return cts_error_set(CTS_ECRYPTO, "signature faite pour un autre usage (espace de noms « %.*s », attendu « %s »)",
				     (int)(snsl > NS_MAX ? NS_MAX : snsl), (const char *)sns, ns);
	if (expected_pk && sodium_memcmp(expected_pk, k, 32) != 0)
		return cts_error_set(CTS_ECRYPTO, "signature faite avec une autre clé que celle du nœud");
	dn = signed_data(data, ns, msg, msg_len);
	if (crypto_sign_verify_detached(s, data, dn, k) != 0)
		return cts_error_set(CTS_ECRYPTO, "la signature ne correspond pas au contenu");
	return 0;
}
