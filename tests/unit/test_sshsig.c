/*
 * SSHSIG signatures. With arguments, one data-driven vector:
 *   test_sshsig vector NAME   tests/data/sshsig/NAME signed with the seed of
 *                             keys.txt gives NAME.sig byte for byte, NAME.sig
 *                             verifies, and the public line matches test-node-1.pub.
 * Without arguments, the unit tests below: refusals (tampering, namespace,
 * key, malformed armor and blob, libsodium's signature rules) and round trips
 * through the real OpenSSH ssh-keygen, which must be installed (a missing
 * ssh-keygen fails the test).
 */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "error.h"
#include "key.h"
#include "sshsig.h"
#include "sshwire.h"
#include "testutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DATA CTS_TEST_DATA "/sshsig"
#define NS "cts-changeset"

static const char *vec_name;
static unsigned char seed[32], pub[32];

/* ---- helpers ---- */

static char *slurp(const char *name, size_t *len)
{
	char *path = tu_path(DATA, name), *buf;

	assert_non_null(path);
	buf = tu_read_file(path, len);
	if (!buf)
		fail_msg("lecture impossible : %s", path);
	free(path);
	return buf;
}

static void hex32(unsigned char out[32], const char *text, const char *label)
{
	const char *p = strstr(text, label);
	size_t bl = 0;

	assert_non_null(p);
	p += strlen(label) + 1;
	assert_int_equal(sodium_hex2bin(out, 32, p, 64, NULL, &bl, NULL), 0);
	assert_int_equal(bl, 32);
}

static int setup_keys(void **state)
{
	char *keys = slurp("keys.txt", NULL);

	(void)state;
	if (sodium_init() < 0)
		return -1;
	hex32(seed, keys, "seed_hex");
	hex32(pub, keys, "public_hex");
	free(keys);
	return 0;
}

static cts_key *vector_key(void)
{
	cts_key *k = NULL;

	assert_int_equal(cts_key_from_seed(&k, seed), 0);
	assert_memory_equal(cts_key_public(k), pub, 32);
	return k;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Run a shell command, stdout+stderr into out; returns the exit status
 * (127 when the command is missing). */
static int run(const char *cmd, char *out, size_t cap)
{
	char full[4096];
	FILE *p;
	size_t n = 0;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	p = popen(full, "r");
	assert_non_null(p);
	while (n + 1 < cap) {
		size_t r = fread(out + n, 1, cap - 1 - n, p);
		if (r == 0)
			break;
		n += r;
	}
	out[n] = '\0';
	st = pclose(p);
	assert_true(st != -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The test's own armor codec (independent of the implementation). */
static char *armor(const unsigned char *blob, size_t n, size_t width)
{
	size_t b64cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64cap), *out = malloc(b64cap + b64cap / width + 100);
	size_t o = 0, len;

	assert_non_null(b64);
	assert_non_null(out);
	sodium_bin2base64(b64, b64cap, blob, n, sodium_base64_VARIANT_ORIGINAL);
	len = strlen(b64);
	o += (size_t)sprintf(out, "-----BEGIN SSH SIGNATURE-----\n");
	for (size_t i = 0; i < len; i += width) {
		size_t l = len - i < width ? len - i : width;
		memcpy(out + o, b64 + i, l);
		o += l;
		out[o++] = '\n';
	}
	strcpy(out + o, "-----END SSH SIGNATURE-----\n");
	free(b64);
	return out;
}

static size_t dearmor(unsigned char *blob, size_t cap, const char *a)
{
	char b64[8192];
	const char *p = strchr(a, '\n') + 1, *end = strstr(a, "-----END");
	size_t o = 0, bl = 0;

	for (; p < end; p++)
		if (*p != '\n')
			b64[o++] = *p;
	assert_int_equal(
	    sodium_base642bin(blob, cap, b64, o, NULL, &bl, NULL, sodium_base64_VARIANT_ORIGINAL),
	    0);
	return bl;
}

/* A SSHSIG blob from its fields, so that each can be falsified. */
typedef struct {
	const char *magic;
	uint32_t version;
	const char *ktype;
	const unsigned char *pk;
	size_t pklen;
	const char *ns, *reserved, *hash, *stype;
	const unsigned char *sig;
	size_t siglen;
	size_t extra;  /* zero bytes appended to the blob */
	size_t kextra; /* ... inside the public key string */
	size_t sextra; /* ... inside the signature string */
} fields;

/* The SSH wire encoding is the library's (sshwire.h): what is tested here
 * is the parsing of each field, so zero bytes can be slipped in after
 * the key, the signature or the whole blob. */
static char *encode(const fields *f)
{
	unsigned char kb[4096], sb[4096], bb[4096];
	cts_sshwire_writer k = { kb, sizeof(kb), 0 }, s = { sb, sizeof(sb), 0 },
	                   b = { bb, sizeof(bb), 0 };
	static const unsigned char zeros[16];

	cts_sshwire_put_string(&k, f->ktype, strlen(f->ktype));
	cts_sshwire_put_string(&k, f->pk, f->pklen);
	cts_sshwire_put(&k, zeros, f->kextra);
	cts_sshwire_put_string(&s, f->stype, strlen(f->stype));
	cts_sshwire_put_string(&s, f->sig, f->siglen);
	cts_sshwire_put(&s, zeros, f->sextra);
	cts_sshwire_put(&b, f->magic, strlen(f->magic));
	cts_sshwire_put_u32(&b, f->version);
	cts_sshwire_put_string(&b, kb, k.len);
	cts_sshwire_put_string(&b, f->ns, strlen(f->ns));
	cts_sshwire_put_string(&b, f->reserved, strlen(f->reserved));
	cts_sshwire_put_string(&b, f->hash, strlen(f->hash));
	cts_sshwire_put_string(&b, sb, s.len);
	cts_sshwire_put(&b, zeros, f->extra);
	assert_true(cts_sshwire_ok(&k) && cts_sshwire_ok(&s) && cts_sshwire_ok(&b));
	return armor(bb, b.len, 70);
}

/* msg1 and its signature's 64 bytes; fields of msg1.json.sig. */
static unsigned char sig1[64];

static fields msg1_fields(void)
{
	size_t len;
	char *a = slurp("msg1.json.sig", &len);
	unsigned char blob[1024];
	size_t n = dearmor(blob, sizeof(blob), a);

	free(a);
	memcpy(sig1, blob + n - 64, 64); /* the signature ends the blob */
	return (fields){ "SSHSIG", 1,        "ssh-ed25519", pub,  32, NS,
		         "",       "sha512", "ssh-ed25519", sig1, 64, 0,
		         0,        0 };
}

static int verify_str(const char *a, const unsigned char *pk, const char *ns, const char *msg,
                      size_t len)
{
	cts_error_clear();
	return cts_sshsig_verify(a, strlen(a), pk, ns, (const unsigned char *)msg, len, NULL);
}

/* Expect code and a non-empty message containing want (if not NULL). */
static void expect(int rc, int code, const char *want)
{
	if (rc != code)
		fail_msg("code %d attendu, %d obtenu (%s)", code, rc, cts_error_message());
	assert_int_equal(cts_error_last(), code);
	assert_true(strlen(cts_error_message()) > 0);
	if (want && !strstr(cts_error_message(), want))
		fail_msg("message sans « %s » : %s", want, cts_error_message());
}

/* ---- the data-driven vector ---- */

static void test_vector(void **state)
{
	char signame[256], *msg, *sig, *publine = NULL, *pubfile, *line = NULL;
	size_t mlen, slen, alen = 0;
	unsigned char signer[32], parsed[32];
	cts_key *k;

	(void)state;
	snprintf(signame, sizeof(signame), "%s.sig", vec_name);
	msg = slurp(vec_name, &mlen);
	sig = slurp(signame, &slen);
	k = vector_key();

	/* Deterministic Ed25519: exactly ssh-keygen's bytes. */
	assert_int_equal(cts_sshsig_sign(&line, &alen, k, NS, (const unsigned char *)msg, mlen), 0);
	assert_int_equal(alen, slen);
	assert_int_equal(strlen(line), alen);
	assert_memory_equal(line, sig, slen);

	/* ssh-keygen's signature verifies, with and without the expected key. */
	memset(signer, 0, sizeof(signer));
	assert_int_equal(
	    cts_sshsig_verify(sig, slen, pub, NS, (const unsigned char *)msg, mlen, signer), 0);
	assert_memory_equal(signer, pub, 32);
	assert_int_equal(
	    cts_sshsig_verify(sig, slen, NULL, NS, (const unsigned char *)msg, mlen, NULL), 0);
	/* ... and only under its namespace and for its message. */
	expect(cts_sshsig_verify(sig, slen, pub, "git", (const unsigned char *)msg, mlen, NULL),
	       CTS_ECRYPTO, "espace de noms");
	expect(cts_sshsig_verify(sig, slen, pub, NS, (const unsigned char *)"x", 1, NULL),
	       CTS_ECRYPTO, NULL);

	/* The public line is test-node-1.pub's first two fields. */
	pubfile = slurp("test-node-1.pub", NULL);
	assert_int_equal(cts_key_public_line(&publine, pub, NULL), 0);
	assert_int_equal(strncmp(pubfile, publine, strlen(publine)), 0);
	assert_int_equal(pubfile[strlen(publine)], ' ');
	free(publine);
	assert_int_equal(cts_key_public_line(&publine, pub, "test-node-1"), 0);
	assert_int_equal(strlen(pubfile), strlen(publine) + 1);
	assert_memory_equal(pubfile, publine, strlen(publine));
	assert_int_equal(cts_key_parse_public_line(parsed, pubfile), 0);
	assert_memory_equal(parsed, pub, 32);

	free(publine);
	free(pubfile);
	free(line);
	free(msg);
	free(sig);
	cts_key_free(k);
}

/* ---- unit tests ---- */

static void test_refusals_distinct(void **state)
{
	size_t mlen, slen;
	char *msg = slurp("msg1.json", &mlen), *sig = slurp("msg1.json.sig", &slen), m_ns[512],
	     m_key[512], m_bad[512];
	unsigned char other[32], signer[32];

	(void)state;
	/* Tampered message: one flipped bit, one byte more, another message. */
	msg[10] ^= 1;
	expect(verify_str(sig, pub, NS, msg, mlen), CTS_ECRYPTO, "ne correspond pas");
	snprintf(m_bad, sizeof(m_bad), "%s", cts_error_message());
	msg[10] ^= 1;
	assert_int_equal(verify_str(sig, pub, NS, msg, mlen), 0);
	expect(verify_str(sig, pub, NS, msg, mlen - 1), CTS_ECRYPTO, NULL);
	{
		size_t l2;
		char *m2 = slurp("msg2.txt", &l2);
		expect(verify_str(sig, pub, NS, m2, l2), CTS_ECRYPTO, NULL);
		free(m2);
	}

	/* Wrong namespace. */
	expect(verify_str(sig, pub, "git", msg, mlen), CTS_ECRYPTO, "espace de noms");
	snprintf(m_ns, sizeof(m_ns), "%s", cts_error_message());
	assert_non_null(strstr(m_ns, NS));
	expect(verify_str(sig, pub, "cts-changese", msg, mlen), CTS_ECRYPTO, "espace de noms");

	/* Wrong expected key (the signer is still reported). */
	randombytes_buf(other, sizeof(other));
	memset(signer, 0, sizeof(signer));
	cts_error_clear();
	expect(cts_sshsig_verify(sig, slen, other, NS, (const unsigned char *)msg, mlen, signer),
	       CTS_ECRYPTO, "autre clé");
	snprintf(m_key, sizeof(m_key), "%s", cts_error_message());
	assert_memory_equal(signer, pub, 32);

	/* Three distinct messages for the three kinds of ECRYPTO. */
	assert_string_not_equal(m_ns, m_key);
	assert_string_not_equal(m_ns, m_bad);
	assert_string_not_equal(m_key, m_bad);

	/* Bad namespace argument. */
	expect(verify_str(sig, pub, "", msg, mlen), CTS_EINVAL, "espace de noms");
	expect(verify_str(sig, pub, "cts changeset", msg, mlen), CTS_EINVAL, "espace de noms");
	free(msg);
	free(sig);
}

static void test_malformed_armor(void **state)
{
	size_t mlen, slen;
	char *msg = slurp("msg1.json", &mlen), *sig = slurp("msg1.json.sig", &slen), buf[16384];
	const char *end = "-----END SSH SIGNATURE-----\n";

	(void)state;
	assert_int_equal(verify_str(sig, pub, NS, msg, mlen), 0);

	/* Truncated: no footer, half a signature, nothing, header alone. */
	snprintf(buf, sizeof(buf), "%.*s", (int)(slen - strlen(end)), sig);
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, "END SSH SIGNATURE");
	snprintf(buf, sizeof(buf), "%.*s", (int)(slen / 2), sig);
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, NULL);
	expect(verify_str("", pub, NS, msg, mlen), CTS_EINVAL, "BEGIN SSH SIGNATURE");
	expect(verify_str("-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n", pub, NS,
	                  msg, mlen),
	       CTS_EINVAL, NULL);
	/* A whole base64 line missing (still a multiple of 4 characters). */
	{
		const char *l2 = strchr(sig, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
		snprintf(buf, sizeof(buf), "%.*s%s", (int)(l2 - sig), sig, l3);
		expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, NULL);
	}

	/* Header and footer must be exact. */
	snprintf(buf, sizeof(buf), "%s", sig);
	buf[5] = 'b';
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, "BEGIN SSH SIGNATURE");
	snprintf(buf, sizeof(buf), "\n%s", sig);
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, "BEGIN SSH SIGNATURE");
	snprintf(buf, sizeof(buf), "%.*s", (int)(slen - 1), sig); /* footer without its newline */
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, "END SSH SIGNATURE");

	/* Trailing bytes after the footer. */
	snprintf(buf, sizeof(buf), "%s\n", sig);
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, "END SSH SIGNATURE");
	snprintf(buf, sizeof(buf), "%sx", sig);
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, NULL);

	/* Bad base64: a character outside the alphabet, inner padding. */
	snprintf(buf, sizeof(buf), "%s", sig);
	buf[strlen("-----BEGIN SSH SIGNATURE-----\n") + 75] = '*';
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, "base64");
	snprintf(buf, sizeof(buf), "%s", sig);
	buf[strlen("-----BEGIN SSH SIGNATURE-----\n") + 10] = '=';
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, "base64");
	/* libsodium 1.0.18 alone decodes any byte 0x80-0xff as '/': such a
	 * second spelling of a valid signature must be refused. */
	snprintf(buf, sizeof(buf), "%s", sig);
	assert_non_null(strchr(buf, '/'));
	*strchr(buf, '/') = (char)0xaf;
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, "base64");
	*strchr(buf, (char)0xaf) = (char)0xff;
	expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, "base64");

	/* Lines of another width, CRLF line ends, a blank line. */
	{
		unsigned char blob[1024];
		size_t n = dearmor(blob, sizeof(blob), sig);
		char *a64 = armor(blob, n, 64), *a70 = armor(blob, n, 70);
		assert_string_equal(a70, sig); /* the test's codec is right */
		expect(verify_str(a64, pub, NS, msg, mlen), CTS_EINVAL, "70");
		free(a64);
		free(a70);
	}
	{
		size_t o = 0;
		for (const char *p = sig; *p; p++) {
			if (*p == '\n')
				buf[o++] = '\r';
			buf[o++] = *p;
		}
		buf[o] = '\0';
		expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, NULL);
	}
	{
		const char *l2 = strchr(sig, '\n') + 1;
		snprintf(buf, sizeof(buf), "%.*s\n%s", (int)(l2 - sig), sig, l2);
		expect(verify_str(buf, pub, NS, msg, mlen), CTS_EINVAL, NULL);
	}

	/* Size limit, checked first. */
	{
		size_t big = CTS_SSHSIG_MAX_ARMOR + 1;
		char *a = malloc(big + 1);
		assert_non_null(a);
		memset(a, 'A', big);
		a[big] = '\0';
		memcpy(a, sig, 100);
		memcpy(a + big - strlen(end), end, strlen(end));
		cts_error_clear();
		expect(cts_sshsig_verify(a, big, pub, NS, (const unsigned char *)msg, mlen, NULL),
		       CTS_ELIMIT, NULL);
		free(a);
	}
	free(msg);
	free(sig);
}

static void test_noncanonical_base64(void **state)
{
	cts_key *k = vector_key();
	char *a = NULL, *eq;
	size_t alen = 0;
	const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	(void)state;
	/* Namespace "git": a 173-byte blob, so the base64 ends with one "=" and
	 * its last character carries 2 unused bits that must be zero. */
	assert_int_equal(cts_sshsig_sign(&a, &alen, k, "git", (const unsigned char *)"m", 1), 0);
	assert_int_equal(verify_str(a, pub, "git", "m", 1), 0);
	eq = strchr(a, '=');
	assert_non_null(eq);
	assert_int_equal(eq[1], '\n');
	{
		const char *pos = strchr(alpha, eq[-1]);
		assert_non_null(pos);
		assert_int_equal((pos - alpha) & 3, 0);
		eq[-1] = alpha[(pos - alpha) + 1]; /* same bytes decoded by a lax decoder */
	}
	expect(verify_str(a, pub, "git", "m", 1), CTS_EINVAL, "base64");
	/* Missing padding. */
	memmove(eq, eq + 1, strlen(eq + 1) + 1);
	expect(verify_str(a, pub, "git", "m", 1), CTS_EINVAL, NULL);
	free(a);
	cts_key_free(k);
}

static void test_malformed_blob(void **state)
{
	size_t mlen;
	char *msg = slurp("msg1.json", &mlen), *a, *orig = slurp("msg1.json.sig", NULL);
	fields f = msg1_fields(), g;
	unsigned char pk31[31], sig63[63], signer[32];

	(void)state;
	/* The test's encoder rebuilds ssh-keygen's signature exactly. */
	a = encode(&f);
	assert_string_equal(a, orig);
	assert_int_equal(verify_str(a, pub, NS, msg, mlen), 0);
	free(a);

#define REFUSED(change, code, want)                                                                \
	do {                                                                                       \
		g = f;                                                                             \
		change;                                                                            \
		a = encode(&g);                                                                    \
		expect(verify_str(a, pub, NS, msg, mlen), code, want);                             \
		expect(verify_str(a, NULL, NS, msg, mlen), code, want);                            \
		free(a);                                                                           \
	} while (0)

	REFUSED(g.extra = 1, CTS_EINVAL, "en trop");
	REFUSED(g.extra = 4, CTS_EINVAL, "en trop");
	REFUSED(g.kextra = 1, CTS_EINVAL, "clé ssh-ed25519");
	REFUSED(g.sextra = 1, CTS_EINVAL, "signature ssh-ed25519");
	REFUSED(g.magic = "SSHSIH", CTS_EINVAL, "SSHSIG");
	REFUSED(g.magic = "SSH", CTS_EINVAL, NULL);
	REFUSED(g.version = 2, CTS_EINVAL, "version");
	REFUSED(g.version = 0, CTS_EINVAL, "version");
	REFUSED(g.hash = "sha256", CTS_EINVAL, "sha256");
	REFUSED(g.hash = "SHA512", CTS_EINVAL, "hachage");
	REFUSED(g.reserved = "x", CTS_EINVAL, "réservé");
	REFUSED(g.ktype = "ssh-rsa", CTS_EINVAL, "ssh-rsa");
	REFUSED(g.ktype = "ssh-ed25519-cert-v01@openssh.com", CTS_EINVAL, NULL);
	memcpy(pk31, pub, 31);
	REFUSED((g.pk = pk31, g.pklen = 31), CTS_EINVAL, "32 octets");
	memcpy(sig63, sig1, 63);
	REFUSED((g.sig = sig63, g.siglen = 63), CTS_EINVAL, "64 octets");
	REFUSED(g.stype = "rsa-sha2-512", CTS_EINVAL, "signature ssh-ed25519");
	/* The same blob cut short. */
	{
		unsigned char blob[1024];
		size_t n = dearmor(blob, sizeof(blob), orig);
		a = armor(blob, n - 1, 70);
		expect(verify_str(a, pub, NS, msg, mlen), CTS_EINVAL, NULL);
		free(a);
		a = armor(blob, 6, 70);
		expect(verify_str(a, pub, NS, msg, mlen), CTS_EINVAL, NULL);
		free(a);
	}
	/* Signed under another namespace than announced: the announced one is
	 * checked (ECRYPTO), then the signature fails too. */
	REFUSED(g.ns = "git", CTS_ECRYPTO, "espace de noms");
	g = f;
	g.ns = "git";
	a = encode(&g);
	expect(verify_str(a, pub, "git", msg, mlen), CTS_ECRYPTO, "ne correspond pas");
	free(a);
	/* signer_pk_out is filled once parsing succeeded, not before. */
	g = f;
	g.hash = "sha256";
	a = encode(&g);
	memset(signer, 0xaa, sizeof(signer));
	assert_int_equal(
	    cts_sshsig_verify(a, strlen(a), NULL, NS, (const unsigned char *)msg, mlen, signer),
	    CTS_EINVAL);
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(signer[i], 0xaa);
	free(a);
#undef REFUSED
	free(orig);
	free(msg);
}

/* libsodium's rules: altered R or S, non-canonical S (S + L), small-order keys. */
static void test_signature_rules(void **state)
{
	static const unsigned char L[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
		                             0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		                             0,    0,    0,    0,    0,    0,    0,    0,
		                             0,    0,    0,    0,    0,    0,    0,    0x10 };
	static const unsigned char small_order[2][32] = {
		{ 0 }, /* y = 0, order 4 */
		{ 1 }, /* the identity */
	};
	size_t mlen;
	char *msg = slurp("msg1.json", &mlen), *a;
	fields f = msg1_fields(), g;
	unsigned char s[64];

	(void)state;
	memcpy(s, sig1, 64);
	s[0] ^= 0x01; /* R */
	g = f;
	g.sig = s;
	a = encode(&g);
	expect(verify_str(a, pub, NS, msg, mlen), CTS_ECRYPTO, "ne correspond pas");
	free(a);

	memcpy(s, sig1, 64);
	s[40] ^= 0x80; /* S */
	a = encode(&g);
	expect(verify_str(a, pub, NS, msg, mlen), CTS_ECRYPTO, NULL);
	free(a);

	/* S + L: the same point equation holds (a lax verifier accepts it),
	 * libsodium refuses a non-canonical S. */
	{
		unsigned carry = 0;
		memcpy(s, sig1, 64);
		for (int i = 0; i < 32; i++) {
			unsigned v = s[32 + i] + L[i] + carry;
			s[32 + i] = (unsigned char)v;
			carry = v >> 8;
		}
		assert_int_equal(carry, 0);
		a = encode(&g);
		expect(verify_str(a, pub, NS, msg, mlen), CTS_ECRYPTO, NULL);
		free(a);
	}

	/* Small-order public keys never verify, whatever the signature. */
	for (int i = 0; i < 2; i++) {
		memset(s, 0, sizeof(s));
		if (i == 1)
			s[0] =
			    1; /* R = identity, S = 0: "valid" for the identity key in lax code */
		g = f;
		g.pk = small_order[i];
		g.sig = s;
		a = encode(&g);
		expect(verify_str(a, NULL, NS, msg, mlen), CTS_ECRYPTO, NULL);
		expect(verify_str(a, small_order[i], NS, msg, mlen), CTS_ECRYPTO, NULL);
		free(a);
	}
	free(msg);
}

static void test_sign_format(void **state)
{
	cts_key *k = NULL;
	char *a = NULL, *b = NULL, ns64[65];
	size_t alen = 0, blen = 0;
	unsigned char m[300];

	(void)state;
	assert_int_equal(cts_key_generate(&k), 0);
	randombytes_buf(m, sizeof(m));
	assert_int_equal(cts_sshsig_sign(&a, &alen, k, NS, m, sizeof(m)), 0);
	assert_int_equal(cts_sshsig_sign(&b, &blen, k, NS, m, sizeof(m)), 0);
	assert_int_equal(alen, blen);
	assert_string_equal(a, b); /* deterministic */
	assert_int_equal(strlen(a), alen);
	assert_int_equal(strncmp(a, "-----BEGIN SSH SIGNATURE-----\n", 30), 0);
	assert_string_equal(a + alen - 28, "-----END SSH SIGNATURE-----\n");
	for (char *l = a + 30; l < a + alen - 28;) {
		char *nl = strchr(l, '\n');
		size_t len = (size_t)(nl - l);
		assert_true(len >= 1 && len <= 70);
		if (nl + 1 != a + alen - 28)
			assert_int_equal(len, 70);
		l = nl + 1;
	}
	free(b);
	b = NULL;
	/* Empty message, NULL pointer allowed with length 0. */
	assert_int_equal(cts_sshsig_sign(&b, NULL, k, NS, NULL, 0), 0);
	assert_int_equal(cts_sshsig_verify(b, strlen(b), cts_key_public(k), NS, NULL, 0, NULL), 0);
	assert_int_equal(cts_sshsig_verify(b, strlen(b), cts_key_public(k), NS,
	                                   (const unsigned char *)"", 0, NULL),
	                 0);
	free(b);
	b = NULL;

	/* Namespace rules: 1 to 64 visible ASCII characters. */
	memset(ns64, 'n', 64);
	ns64[64] = '\0';
	assert_int_equal(cts_sshsig_sign(&b, &blen, k, ns64, m, 10), 0);
	assert_int_equal(cts_sshsig_verify(b, blen, cts_key_public(k), ns64, m, 10, NULL), 0);
	free(b);
	b = NULL;
	cts_error_clear();
	expect(cts_sshsig_sign(&b, &blen, k, "", m, 10), CTS_EINVAL, "espace de noms");
	assert_null(b);
	{
		char ns65[66];
		memset(ns65, 'n', 65);
		ns65[65] = '\0';
		expect(cts_sshsig_sign(&b, &blen, k, ns65, m, 10), CTS_EINVAL, "espace de noms");
	}
	expect(cts_sshsig_sign(&b, &blen, k, "a\nb", m, 10), CTS_EINVAL, "espace de noms");
	expect(cts_sshsig_sign(&b, &blen, k, NULL, m, 10), CTS_EINVAL, "espace de noms");
	assert_null(b);
	free(a);
	cts_key_free(k);
}

/* Our signatures verified by the real ssh-keygen (generated keys, random
 * messages, both namespaces). */
static void test_ssh_keygen_verifies(void **state)
{
	static const char *const spaces[] = { NS, "git" };
	char *dir = tu_tmpdir(), *msgp, *sigp, *asp, *line = NULL, cmd[2048], out[4096];
	unsigned char m[4096];

	(void)state;
	assert_non_null(dir);
	msgp = tu_path(dir, "msg");
	sigp = tu_path(dir, "msg.sig");
	asp = tu_path(dir, "allowed_signers");
	for (int round = 0; round < 4; round++) {
		const char *ns = spaces[round % 2], *other = spaces[(round + 1) % 2];
		size_t mlen = round == 0 ? 0 : randombytes_uniform(sizeof(m) - 1) + 1, alen = 0;
		char *a = NULL, as[512];
		cts_key *k = NULL;

		assert_int_equal(cts_key_generate(&k), 0);
		randombytes_buf(m, mlen);
		assert_int_equal(cts_sshsig_sign(&a, &alen, k, ns, m, mlen), 0);
		assert_int_equal(cts_sshsig_verify(a, alen, cts_key_public(k), ns, m, mlen, NULL),
		                 0);
		assert_int_equal(cts_key_public_line(&line, cts_key_public(k), "test"), 0);
		snprintf(as, sizeof(as), "test namespaces=\"%s\" %s\n", ns, line);
		write_file(asp, as, strlen(as));
		write_file(msgp, m, mlen);
		write_file(sigp, a, alen);

		snprintf(cmd, sizeof(cmd), "ssh-keygen -Y verify -f %s -I test -n %s -s %s < %s",
		         asp, ns, sigp, msgp);
		if (run(cmd, out, sizeof(out)) != 0 || !strstr(out, "Good \"") ||
		    !strstr(out, "signature"))
			fail_msg("ssh-keygen refuse notre signature (%s) : %s", cmd, out);
		assert_non_null(strstr(out, "Good"));

		/* The harness can fail: wrong namespace, tampered message. */
		snprintf(cmd, sizeof(cmd), "ssh-keygen -Y verify -f %s -I test -n %s -s %s < %s",
		         asp, other, sigp, msgp);
		assert_int_not_equal(run(cmd, out, sizeof(out)), 0);
		m[mlen] = 'x';
		write_file(msgp, m, mlen + 1);
		snprintf(cmd, sizeof(cmd), "ssh-keygen -Y verify -f %s -I test -n %s -s %s < %s",
		         asp, ns, sigp, msgp);
		assert_int_not_equal(run(cmd, out, sizeof(out)), 0);
		assert_null(strstr(out, "Good"));

		free(line);
		line = NULL;
		free(a);
		cts_key_free(k);
	}
	tu_rmtree(dir);
	free(msgp);
	free(sigp);
	free(asp);
	free(dir);
}

/* ssh-keygen's own signatures with the test key equal ours byte for byte,
 * for "git" and for a namespace whose base64 fills whole 70-column lines. */
static void test_same_bytes_as_ssh_keygen(void **state)
{
	char ns40[41], *dir = tu_tmpdir(), *keyp, *msgp, *sigp, *keytext, cmd[2048], out[4096];
	const char *spaces[2];
	unsigned char m[777];
	cts_key *k = vector_key();

	(void)state;
	memset(ns40, 'n', 40);
	ns40[40] = '\0';
	spaces[0] = "git";
	spaces[1] = ns40;
	assert_non_null(dir);
	keyp = tu_path(dir, "id");
	msgp = tu_path(dir, "msg");
	sigp = tu_path(dir, "msg.sig");
	keytext = slurp("test-node-1", NULL);
	write_file(keyp, keytext, strlen(keytext));
	assert_int_equal(chmod(keyp, 0600), 0);
	randombytes_buf(m, sizeof(m));
	write_file(msgp, m, sizeof(m));
	for (int i = 0; i < 2; i++) {
		char *ours = NULL, *theirs;
		size_t olen = 0, tlen = 0;

		unlink(sigp);
		snprintf(cmd, sizeof(cmd), "ssh-keygen -Y sign -f %s -n %s %s", keyp, spaces[i],
		         msgp);
		if (run(cmd, out, sizeof(out)) != 0)
			fail_msg("ssh-keygen -Y sign a échoué : %s", out);
		theirs = tu_read_file(sigp, &tlen);
		assert_non_null(theirs);
		assert_int_equal(cts_sshsig_sign(&ours, &olen, k, spaces[i], m, sizeof(m)), 0);
		assert_int_equal(olen, tlen);
		assert_string_equal(ours, theirs);
		assert_int_equal(
		    cts_sshsig_verify(theirs, tlen, pub, spaces[i], m, sizeof(m), NULL), 0);
		free(ours);
		free(theirs);
	}
	tu_rmtree(dir);
	free(keytext);
	free(keyp);
	free(msgp);
	free(sigp);
	free(dir);
	cts_key_free(k);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "vector") == 0) {
		vec_name = argv[2];
		const struct CMUnitTest one[] = { cmocka_unit_test(test_vector) };
		return cmocka_run_group_tests(one, setup_keys, NULL);
	}
	if (argc != 1) {
		fprintf(stderr, "usage : test_sshsig [vector NOM]\n");
		return 2;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals_distinct),
		cmocka_unit_test(test_malformed_armor),
		cmocka_unit_test(test_noncanonical_base64),
		cmocka_unit_test(test_malformed_blob),
		cmocka_unit_test(test_signature_rules),
		cmocka_unit_test(test_sign_format),
		cmocka_unit_test(test_ssh_keygen_verifies),
		cmocka_unit_test(test_same_bytes_as_ssh_keygen),
	};
	return cmocka_run_group_tests(tests, setup_keys, NULL);
}
