#include "sshsig.h"

#include "crypto.h"
#include "error.h"
#include "sshwire.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define ARMOR_END "-----END SSH SIGNATURE-----\n"
#define ARMOR_LINE 70
#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define SIG_VERSION 1
#define KEY_TYPE "ssh-ed25519"
#define HASH_ALG "sha512"

#define STR(n) (4 + (n))
/* Wire sizes: public key blob, signature blob, whole SSHSIG blob we write,
 * the signed data, the largest blob an accepted armor can hold. */
#define PUB_BLOB_LEN (STR(11) + STR(CTS_KEY_PUBLIC_BYTES))
#define SIG_BLOB_LEN (STR(11) + STR(CTS_KEY_SIGNATURE_BYTES))
#define BLOB_SIGN_MAX                                                                              \
	(MAGIC_LEN + 4 + STR(PUB_BLOB_LEN) + STR(CTS_SSHSIG_NS_MAX) + STR(0) + STR(6) +            \
	 STR(SIG_BLOB_LEN))
#define SIGNED_MAX                                                                                 \
	(MAGIC_LEN + STR(CTS_SSHSIG_NS_MAX) + STR(0) + STR(6) + STR(crypto_hash_sha512_BYTES))
#define BLOB_MAX (CTS_SSHSIG_MAX_ARMOR / 4 * 3)

/* ---- SSH wire encoding (sshwire.h) ---- */

static int is_str(const unsigned char *s, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Untrusted bytes made safe for a message: printable ASCII, else '?'. */
static void printable(char *out, size_t cap, const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < cap; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	out[i] = '\0';
}

static int ns_valid(const char *ns)
{
	size_t n;

	if (!ns)
		return 0;
	n = strlen(ns);
	if (n == 0 || n > CTS_SSHSIG_NS_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ns[i] <= 0x20 || ns[i] >= 0x7f)
			return 0;
	return 1;
}

static int check_ns(const char *ns)
{
	if (ns_valid(ns))
		return 0;
	return cts_error_set(
	    CTS_EINVAL, "espace de noms de signature invalide (1 à %d caractères ASCII visibles)",
	    CTS_SSHSIG_NS_MAX);
}

/* The data the Ed25519 signature covers. */
static int signed_data(cts_sshwire_writer *w, const char *ns, const unsigned char *msg,
                       size_t msg_len)
{
	unsigned char h[crypto_hash_sha512_BYTES];
	static const unsigned char empty[1];

	crypto_hash_sha512(h, msg ? msg : empty, msg_len);
	cts_sshwire_put(w, MAGIC, MAGIC_LEN);
	cts_sshwire_put_string(w, ns, strlen(ns));
	cts_sshwire_put_string(w, "", 0);
	cts_sshwire_put_string(w, HASH_ALG, strlen(HASH_ALG));
	cts_sshwire_put_string(w, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
	return cts_sshwire_ok(w) ? 0 : cts_error_set(CTS_ERR, "SSHSIG : tampon trop petit");
}

/* ---- signing ---- */

int cts_sshsig_sign(char **armored, size_t *armored_len, const cts_key *key, const char *ns,
                    const unsigned char *msg, size_t msg_len)
{
	unsigned char data[SIGNED_MAX], sig[CTS_KEY_SIGNATURE_BYTES], pub[PUB_BLOB_LEN],
	    sigb[SIG_BLOB_LEN], blob[BLOB_SIGN_MAX];
	char b64[sodium_base64_ENCODED_LEN(BLOB_SIGN_MAX, sodium_base64_VARIANT_ORIGINAL)];
	cts_sshwire_writer wd = { data, sizeof(data), 0 }, wp = { pub, sizeof(pub), 0 },
	                   ws = { sigb, sizeof(sigb), 0 }, wb = { blob, sizeof(blob), 0 };
	size_t b64len, cap, o;
	char *out;
	int rc;

	if (!armored || !key || (!msg && msg_len))
		return cts_error_set(CTS_ERR, "cts_sshsig_sign : argument manquant");
	*armored = NULL;
	if (armored_len)
		*armored_len = 0;
	if ((rc = check_ns(ns)) < 0)
		return rc;
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if ((rc = signed_data(&wd, ns, msg, msg_len)) < 0)
		return rc;
	if ((rc = cts_key_sign(key, sig, data, wd.len)) < 0)
		return rc;

	cts_sshwire_put_string(&wp, KEY_TYPE, strlen(KEY_TYPE));
	cts_sshwire_put_string(&wp, cts_key_public(key), CTS_KEY_PUBLIC_BYTES);
	cts_sshwire_put_string(&ws, KEY_TYPE, strlen(KEY_TYPE));
	cts_sshwire_put_string(&ws, sig, sizeof(sig));
	cts_sshwire_put(&wb, MAGIC, MAGIC_LEN);
	cts_sshwire_put_u32(&wb, SIG_VERSION);
	cts_sshwire_put_string(&wb, pub, wp.len);
	cts_sshwire_put_string(&wb, ns, strlen(ns));
	cts_sshwire_put_string(&wb, "", 0);
	cts_sshwire_put_string(&wb, HASH_ALG, strlen(HASH_ALG));
	cts_sshwire_put_string(&wb, sigb, ws.len);
	if (!cts_sshwire_ok(&wp) || !cts_sshwire_ok(&ws) || !cts_sshwire_ok(&wb))
		return cts_error_set(CTS_ERR, "SSHSIG : tampon trop petit");

	sodium_bin2base64(b64, sizeof(b64), blob, wb.len, sodium_base64_VARIANT_ORIGINAL);
	b64len = strlen(b64);
	/* one "\n" per line of base64 */
	cap = strlen(ARMOR_BEGIN) + b64len + (b64len + ARMOR_LINE - 1) / ARMOR_LINE +
	      strlen(ARMOR_END) + 1;
	if (!(out = malloc(cap)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	o = strlen(ARMOR_BEGIN);
	memcpy(out, ARMOR_BEGIN, o);
	for (size_t i = 0; i < b64len; i += ARMOR_LINE) {
		size_t l = b64len - i < ARMOR_LINE ? b64len - i : ARMOR_LINE;
		memcpy(out + o, b64 + i, l);
		o += l;
		out[o++] = '\n';
	}
	memcpy(out + o, ARMOR_END, strlen(ARMOR_END) + 1);
	o += strlen(ARMOR_END);
	*armored = out;
	if (armored_len)
		*armored_len = o;
	return 0;
}

/* ---- verification ---- */

/* Strict armor: the exact header line, base64 lines of 70 characters (the
 * last one 1..70), the exact footer line, nothing before or after. The
 * decoded blob goes to blob (BLOB_MAX bytes). */
static int unarmor(const char *a, size_t alen, unsigned char *blob, size_t *blen)
{
	char b64[CTS_SSHSIG_MAX_ARMOR];
	size_t hl = strlen(ARMOR_BEGIN), fl = strlen(ARMOR_END), o = 0, i, end;
	int line = 0, rc;

	if (alen > CTS_SSHSIG_MAX_ARMOR)
		return cts_error_set(CTS_ELIMIT,
		                     "signature SSH trop grosse (%zu octets, %d au plus)", alen,
		                     CTS_SSHSIG_MAX_ARMOR);
	if (alen < hl || memcmp(a, ARMOR_BEGIN, hl) != 0)
		return cts_error_set(CTS_EINVAL,
		                     "signature SSH mal formée : la première ligne doit être "
		                     "« -----BEGIN SSH SIGNATURE----- »");
	if (alen < hl + fl || memcmp(a + alen - fl, ARMOR_END, fl) != 0)
		return cts_error_set(
		    CTS_EINVAL, "signature SSH tronquée ou mal formée : la dernière ligne doit "
		                "être « -----END SSH SIGNATURE----- »");
	end = alen - fl;
	if (end == hl)
		return cts_error_set(CTS_EINVAL, "signature SSH mal formée : aucune donnée base64");
	for (i = hl; i < end;) {
		const char *nl = memchr(a + i, '\n', end - i);
		size_t l;

		line++;
		if (!nl)
			return cts_error_set(
			    CTS_EINVAL, "signature SSH mal formée : ligne base64 %d non terminée",
			    line);
		l = (size_t)(nl - (a + i));
		if (l == 0 || l > ARMOR_LINE || (l < ARMOR_LINE && (size_t)(nl + 1 - a) != end))
			return cts_error_set(CTS_EINVAL,
			                     "signature SSH mal formée : ligne base64 %d de %zu "
			                     "caractères (70 attendus, la dernière de 1 à 70)",
			                     line, l);
		memcpy(b64 + o, a + i, l);
		o += l;
		i += l + 1;
	}
	/* Standard alphabet, exact padding, nothing ignored, zero trailing bits. */
	if ((rc = cts_crypto_base64_decode(blob, BLOB_MAX, blen, b64, o)) < 0)
		return cts_error_prefix(rc, "signature SSH mal formée : ");
	return 0;
}

/* "signature SSH : <what> « <shown value> » <refused> (<want> attendu)". */
static int refuse_name(const unsigned char *v, size_t vl, const char *what, const char *refused,
                       const char *want)
{
	char shown[CTS_SSHSIG_NS_MAX + 1];

	printable(shown, sizeof(shown), v, vl);
	return cts_error_set(CTS_EINVAL, "signature SSH : %s « %s » %s (%s attendu)", what, shown,
	                     refused, want);
}

int cts_sshsig_verify(const char *armored, size_t armored_len, const unsigned char *expected_pk,
                      const char *ns, const unsigned char *msg, size_t msg_len,
                      unsigned char signer_pk_out[32])
{
	unsigned char blob[BLOB_MAX], data[SIGNED_MAX];
	const unsigned char *pub, *sns, *res, *hash, *sigw, *t, *pk, *s;
	size_t blen = 0, publ, snsl, resl, hashl, sigwl, tl, pkl, sl;
	cts_sshwire_writer wd = { data, sizeof(data), 0 };
	char shown[CTS_SSHSIG_NS_MAX + 1];
	cts_sshwire_reader r, pr, sr;
	uint32_t version;
	int rc;

	if (!msg && msg_len)
		return cts_error_set(CTS_ERR, "cts_sshsig_verify : argument manquant");
	if ((rc = check_ns(ns)) < 0)
		return rc;
	if (!armored)
		return cts_error_set(CTS_EINVAL, "signature SSH absente");
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if ((rc = unarmor(armored, armored_len, blob, &blen)) < 0)
		return rc;

	/* The blob: every field is parsed before any is judged. */
	r = (cts_sshwire_reader){ blob, blen, 0 };
	if (blen < MAGIC_LEN || memcmp(blob, MAGIC, MAGIC_LEN) != 0)
		return cts_error_set(CTS_EINVAL,
		                     "signature SSH mal formée : préambule « SSHSIG » absent");
	r.pos = MAGIC_LEN;
	if (cts_sshwire_get_u32(&r, &version) < 0)
		return cts_error_set(CTS_EINVAL, "signature SSH mal formée : version absente");
	if (version != SIG_VERSION)
		return cts_error_set(CTS_EINVAL,
		                     "signature SSH de version %u non prise en charge (version 1 "
		                     "attendue)",
		                     (unsigned)version);
	if (cts_sshwire_get_string(&r, &pub, &publ) < 0 ||
	    cts_sshwire_get_string(&r, &sns, &snsl) < 0 ||
	    cts_sshwire_get_string(&r, &res, &resl) < 0 ||
	    cts_sshwire_get_string(&r, &hash, &hashl) < 0 ||
	    cts_sshwire_get_string(&r, &sigw, &sigwl) < 0)
		return cts_error_set(CTS_EINVAL,
		                     "signature SSH mal formée : structure SSHSIG incomplète");
	if (r.pos != r.len)
		return cts_error_set(
		    CTS_EINVAL, "signature SSH mal formée : %zu octets en trop après la signature",
		    r.len - r.pos);

	pr = (cts_sshwire_reader){ pub, publ, 0 };
	if (cts_sshwire_get_string(&pr, &t, &tl) < 0)
		return cts_error_set(CTS_EINVAL,
		                     "signature SSH mal formée : clé publique illisible");
	if (!is_str(t, tl, KEY_TYPE))
		return refuse_name(t, tl, "clé publique de type", "non acceptée", "ssh-ed25519");
	if (cts_sshwire_get_string(&pr, &pk, &pkl) < 0 || pkl != CTS_KEY_PUBLIC_BYTES ||
	    pr.pos != pr.len)
		return cts_error_set(
		    CTS_EINVAL, "signature SSH mal formée : clé ssh-ed25519 de 32 octets attendue");
	if (resl != 0)
		return cts_error_set(CTS_EINVAL,
		                     "signature SSH mal formée : champ réservé non vide");
	if (!is_str(hash, hashl, HASH_ALG))
		return refuse_name(hash, hashl, "algorithme de hachage", "non accepté", "sha512");
	sr = (cts_sshwire_reader){ sigw, sigwl, 0 };
	if (cts_sshwire_get_string(&sr, &t, &tl) < 0 || !is_str(t, tl, KEY_TYPE) ||
	    cts_sshwire_get_string(&sr, &s, &sl) < 0 || sl != CTS_KEY_SIGNATURE_BYTES ||
	    sr.pos != sr.len)
		return cts_error_set(
		    CTS_EINVAL, "signature SSH mal formée : signature ssh-ed25519 de 64 octets "
		                "attendue");
	if (signer_pk_out)
		memcpy(signer_pk_out, pk, CTS_KEY_PUBLIC_BYTES);

	/* Judgement. */
	if (!is_str(sns, snsl, ns)) {
		printable(shown, sizeof(shown), sns, snsl);
		return cts_error_set(
		    CTS_ECRYPTO,
		    "signature SSH faite pour un autre usage : espace de noms « %s%s », "
		    "« %s » attendu",
		    shown, snsl > CTS_SSHSIG_NS_MAX ? "..." : "", ns);
	}
	if (expected_pk && sodium_memcmp(expected_pk, pk, CTS_KEY_PUBLIC_BYTES) != 0)
		return cts_error_set(CTS_ECRYPTO,
		                     "signature SSH faite avec une autre clé que la clé attendue");
	if ((rc = signed_data(&wd, ns, msg, msg_len)) < 0)
		return rc;
	if (crypto_sign_verify_detached(s, data, wd.len, pk) != 0)
		return cts_error_set(CTS_ECRYPTO,
		                     "signature SSH invalide : elle ne correspond pas au contenu "
		                     "(contenu modifié, signature altérée ou clé refusée)");
	return 0;
}
