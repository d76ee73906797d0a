/*
 * Node keys: generation, the key file (encrypted and unencrypted, file
 * safety checks, tampering), OpenSSH public key lines, and the passphrase
 * sources. CTSNODE_KDF_FAST=1 keeps Argon2id fast (set in main).
 */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crypto.h"
#include "error.h"
#include "key.h"
#include "passphrase.h"
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PASS "correct horse battery staple"

/* ---- helpers ---- */

static void expect(int rc, int code, const char *want)
{
	if (rc != code)
		fail_msg("code %d attendu, %d obtenu (%s)", code, rc, cts_error_message());
	assert_int_equal(cts_error_last(), code);
	assert_true(strlen(cts_error_message()) > 0);
	if (want && !strstr(cts_error_message(), want))
		fail_msg("message sans « %s » : %s", want, cts_error_message());
}

static void write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static char *read_text(const char *path)
{
	char *t = tu_read_file(path, NULL);

	assert_non_null(t);
	return t;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int contains(const char *hay, size_t hlen, const void *needle, size_t nlen)
{
	for (size_t i = 0; i + nlen <= hlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return 1;
	return 0;
}

/* Not the seed in any usual encoding. */
static void assert_no_seed(const char *text, const unsigned char seed[32])
{
	static const int variants[] = { sodium_base64_VARIANT_ORIGINAL,
		                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
		                        sodium_base64_VARIANT_URLSAFE,
		                        sodium_base64_VARIANT_URLSAFE_NO_PADDING };
	char hex[65], b64[64];
	size_t len = strlen(text);

	assert_false(contains(text, len, seed, 32));
	assert_false(contains(text, len, seed, 8));
	sodium_bin2hex(hex, sizeof(hex), seed, 32);
	assert_false(contains(text, len, hex, 16));
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_false(contains(text, len, hex, 16));
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		sodium_bin2base64(b64, sizeof(b64), seed, 32, variants[i]);
		assert_false(contains(text, len, b64, 40)); /* the first 30 bytes */
	}
	assert_null(strstr(text, "\nseed "));
}

static cts_key *key_from(unsigned char seed[32])
{
	cts_key *k = NULL;

	randombytes_buf(seed, 32);
	assert_int_equal(cts_key_from_seed(&k, seed), 0);
	return k;
}

/* Same secret: same signature of the same bytes. */
static void assert_same_key(const cts_key *a, const cts_key *b)
{
	unsigned char sa[64], sb[64];
	static const unsigned char m[] = "ctsnode";

	assert_memory_equal(cts_key_public(a), cts_key_public(b), 32);
	assert_int_equal(cts_key_sign(a, sa, m, sizeof(m)), 0);
	assert_int_equal(cts_key_sign(b, sb, m, sizeof(m)), 0);
	assert_memory_equal(sa, sb, 64);
	assert_int_equal(crypto_sign_verify_detached(sa, m, sizeof(m), cts_key_public(a)), 0);
}

/* ---- keys ---- */

static void test_generate(void **state)
{
	cts_key *a = NULL, *b = NULL, *c = NULL;
	unsigned char seed[32], sig[64];
	static const unsigned char zero[32];

	(void)state;
	assert_int_equal(cts_key_generate(&a), 0);
	assert_int_equal(cts_key_generate(&b), 0);
	assert_non_null(cts_key_public(a));
	assert_memory_not_equal(cts_key_public(a), cts_key_public(b), 32);
	assert_memory_not_equal(cts_key_public(a), zero, 32);
	assert_int_equal(cts_key_sign(a, sig, (const unsigned char *)"x", 1), 0);
	assert_int_equal(
	    crypto_sign_verify_detached(sig, (const unsigned char *)"x", 1, cts_key_public(a)), 0);
	assert_int_not_equal(
	    crypto_sign_verify_detached(sig, (const unsigned char *)"x", 1, cts_key_public(b)), 0);
	assert_int_equal(cts_key_sign(a, sig, NULL, 0), 0);
	cts_key_free(b);

	/* From a seed: deterministic, and the libsodium key of that seed. */
	{
		unsigned char pk[32], sk[64];
		cts_key_free(a);
		a = key_from(seed);
		assert_int_equal(cts_key_from_seed(&c, seed), 0);
		assert_same_key(a, c);
		crypto_sign_seed_keypair(pk, sk, seed);
		assert_memory_equal(cts_key_public(a), pk, 32);
	}
	assert_null(cts_key_public(NULL));
	cts_key_free(NULL);
	cts_key_free(a);
	cts_key_free(c);
}

/* ---- key file ---- */

static void test_save_encrypted(void **state)
{
	char *dir = tu_tmpdir(), *path, *path2, *text, *text2, kdf[128], *publine = NULL;
	unsigned char seed[32];
	cts_key *k = key_from(seed), *l = NULL;
	struct stat sb;
	int enc = -1;

	(void)state;
	assert_non_null(dir);
	path = tu_path(dir, "node.key");
	path2 = tu_path(dir, "node2.key");
	umask(022);
	assert_int_equal(cts_key_save(k, path, PASS), 0);

	/* 0600 regular file, nothing else left in the directory. */
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(count_entries(dir), 1);

	/* The documented format, the fast limits recorded, no seed. */
	text = read_text(path);
	snprintf(kdf, sizeof(kdf), "ctsnode-key-v1\nkdf argon2id13 %llu %zu\nsalt ",
	         (unsigned long long)crypto_pwhash_OPSLIMIT_MIN,
	         (size_t)crypto_pwhash_MEMLIMIT_MIN);
	assert_int_equal(strncmp(text, kdf, strlen(kdf)), 0);
	assert_non_null(strstr(text, "\nnonce "));
	assert_non_null(strstr(text, "\nbox "));
	assert_int_equal(cts_key_public_line(&publine, cts_key_public(k), NULL), 0);
	{
		char want[256];
		snprintf(want, sizeof(want), "\npublic %s\n", publine);
		assert_non_null(strstr(text, want));
		assert_string_equal(strstr(text, want) + strlen(want), "");
	}
	assert_no_seed(text, seed);
	assert_int_equal(cts_key_file_is_encrypted(path, &enc), 0);
	assert_int_equal(enc, 1);

	/* Random salt and nonce: a second file of the same key differs. */
	assert_int_equal(cts_key_save(k, path2, PASS), 0);
	text2 = read_text(path2);
	assert_string_not_equal(text, text2);

	/* Right passphrase: the same key. */
	assert_int_equal(cts_key_load(&l, path, PASS), 0);
	assert_same_key(k, l);
	cts_key_free(l);
	l = NULL;

	/* Wrong or missing passphrase. */
	cts_error_clear();
	expect(cts_key_load(&l, path, "correct horse battery stapl"), CTS_EAUTH,
	       "phrase de passe incorrecte");
	assert_null(l);
	expect(cts_key_load(&l, path, ""), CTS_EAUTH, "phrase de passe incorrecte");
	expect(cts_key_load(&l, path, NULL), CTS_EAUTH, "CTSNODE_PASSPHRASE");
	assert_null(l);

	tu_rmtree(dir);
	free(publine);
	free(text);
	free(text2);
	free(path);
	free(path2);
	free(dir);
	cts_key_free(k);
}

/* Without CTSNODE_KDF_FAST, the MODERATE limits are used and recorded. */
static void test_default_kdf_limits(void **state)
{
	char *dir = tu_tmpdir(), *path, *text, want[128];
	cts_key *k = NULL;

	(void)state;
	assert_non_null(dir);
	path = tu_path(dir, "node.key");
	assert_int_equal(cts_key_generate(&k), 0);
	unsetenv("CTSNODE_KDF_FAST");
	assert_int_equal(cts_key_save(k, path, PASS), 0);
	setenv("CTSNODE_KDF_FAST", "1", 1);
	text = read_text(path);
	snprintf(want, sizeof(want), "\nkdf argon2id13 %llu %zu\n",
	         (unsigned long long)crypto_pwhash_OPSLIMIT_MODERATE,
	         (size_t)crypto_pwhash_MEMLIMIT_MODERATE);
	assert_non_null(strstr(text, want));
	tu_rmtree(dir);
	free(text);
	free(path);
	free(dir);
	cts_key_free(k);
}

static void test_save_plain(void **state)
{
	char *dir = tu_tmpdir(), *path, *text, hex[65], want[128];
	unsigned char seed[32];
	cts_key *k = key_from(seed), *l = NULL;
	struct stat sb;
	int enc = -1;

	(void)state;
	assert_non_null(dir);
	path = tu_path(dir, "node.key");
	{
		/* 0600 whatever the umask. */
		mode_t old = umask(0277);
		assert_int_equal(cts_key_save(k, path, NULL), 0);
		umask(old);
	}
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	text = read_text(path);
	sodium_bin2hex(hex, sizeof(hex), seed, 32);
	snprintf(want, sizeof(want), "ctsnode-key-v1\nkdf none\nseed %s\npublic ssh-ed25519 ", hex);
	assert_int_equal(strncmp(text, want, strlen(want)), 0);
	assert_int_equal(cts_key_file_is_encrypted(path, &enc), 0);
	assert_int_equal(enc, 0);
	assert_int_equal(cts_key_load(&l, path, NULL), 0);
	assert_same_key(k, l);
	cts_key_free(l);
	/* A passphrase given for an unencrypted key is ignored. */
	assert_int_equal(cts_key_load(&l, path, "anything"), 0);
	assert_same_key(k, l);
	cts_key_free(l);
	tu_rmtree(dir);
	free(text);
	free(path);
	free(dir);
	cts_key_free(k);
}

static void test_no_overwrite(void **state)
{
	char *dir = tu_tmpdir(), *path, *other, *link_path, *target, *before, *after;
	unsigned char seed[32];
	cts_key *k = key_from(seed), *k2 = NULL;
	struct stat sb;

	(void)state;
	assert_non_null(dir);
	path = tu_path(dir, "node.key");
	other = tu_path(dir, "notes.txt");
	link_path = tu_path(dir, "link.key");
	target = tu_path(dir, "target.key");
	assert_int_equal(cts_key_generate(&k2), 0);

	assert_int_equal(cts_key_save(k, path, NULL), 0);
	before = read_text(path);
	cts_error_clear();
	expect(cts_key_save(k2, path, NULL), CTS_EEXISTS, "existe déjà");
	expect(cts_key_save(k2, path, PASS), CTS_EEXISTS, NULL);
	after = read_text(path);
	assert_string_equal(before, after);
	free(after);

	/* Any existing file, and a dangling symlink (whose target must not be
	 * created through it). */
	write_file(other, "hello\n", 6, 0644);
	expect(cts_key_save(k, other, NULL), CTS_EEXISTS, NULL);
	after = read_text(other);
	assert_string_equal(after, "hello\n");
	free(after);
	assert_int_equal(symlink(target, link_path), 0);
	expect(cts_key_save(k, link_path, NULL), CTS_EEXISTS, NULL);
	assert_int_not_equal(lstat(target, &sb), 0);

	/* No temporary file left behind by the refusals. */
	assert_int_equal(count_entries(dir), 3);

	/* A missing directory is an I/O error with the path. */
	{
		char *missing = tu_path(dir, "nope/node.key");
		expect(cts_key_save(k, missing, NULL), CTS_EIO, "nope/node.key");
		free(missing);
	}
	tu_rmtree(dir);
	free(before);
	free(path);
	free(other);
	free(link_path);
	free(target);
	free(dir);
	cts_key_free(k);
	cts_key_free(k2);
}

static void test_load_file_checks(void **state)
{
	char *dir = tu_tmpdir(), *path, *link_path, *big, *text, *missing;
	unsigned char seed[32];
	cts_key *k = key_from(seed), *l = NULL;
	int enc = -1;

	(void)state;
	assert_non_null(dir);
	path = tu_path(dir, "node.key");
	link_path = tu_path(dir, "link.key");
	big = tu_path(dir, "big.key");
	missing = tu_path(dir, "missing.key");
	assert_int_equal(cts_key_save(k, path, NULL), 0);
	text = read_text(path);

	/* A symlink to a perfectly good key file is refused. */
	assert_int_equal(symlink(path, link_path), 0);
	cts_error_clear();
	expect(cts_key_load(&l, link_path, NULL), CTS_EINVAL, "lien symbolique");
	assert_null(l);
	expect(cts_key_file_is_encrypted(link_path, &enc), CTS_EINVAL, "lien symbolique");

	/* Group or others may read (or write): refused, with the fix. */
	assert_int_equal(chmod(path, 0640), 0);
	expect(cts_key_load(&l, path, NULL), CTS_EINVAL, "chmod 600");
	assert_null(l);
	expect(cts_key_file_is_encrypted(path, &enc), CTS_EINVAL, "chmod 600");
	assert_int_equal(chmod(path, 0604), 0);
	expect(cts_key_load(&l, path, NULL), CTS_EINVAL, "chmod 600");
	assert_int_equal(chmod(path, 0620), 0);
	expect(cts_key_load(&l, path, NULL), CTS_EINVAL, "chmod 600");
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(cts_key_load(&l, path, NULL), 0);
	assert_same_key(k, l);
	cts_key_free(l);
	l = NULL;

	/* Over 4 KiB. */
	{
		size_t n = CTS_KEY_FILE_MAX + 1, tl = strlen(text);
		char *b = malloc(n);
		assert_non_null(b);
		memset(b, '\n', n);
		memcpy(b, text, tl);
		write_file(big, b, n, 0600);
		expect(cts_key_load(&l, big, NULL), CTS_ELIMIT, "trop gros");
		assert_null(l);
		free(b);
	}

	/* Not a regular file; missing. */
	expect(cts_key_load(&l, dir, NULL), CTS_EINVAL, NULL);
	expect(cts_key_load(&l, missing, NULL), CTS_ENOTFOUND, "missing.key");

	tu_rmtree(dir);
	free(text);
	free(path);
	free(link_path);
	free(big);
	free(missing);
	free(dir);
	cts_key_free(k);
}

/* Replace the first occurrence of from by to in a malloc'd copy. */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	assert_non_null(p);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
	return out;
}

static void load_text(const char *dir, const char *text, size_t len, const char *pass, int code,
                      const char *want)
{
	char *path = tu_path(dir, "t.key");
	cts_key *l = NULL;

	unlink(path);
	write_file(path, text, len, 0600);
	cts_error_clear();
	expect(cts_key_load(&l, path, pass), code, want);
	assert_null(l);
	free(path);
}

static void test_load_tampered(void **state)
{
	char *dir = tu_tmpdir(), *path, *plain, *enc, *t, *other_line = NULL, *pub_line = NULL;
	unsigned char seed[32];
	cts_key *k = key_from(seed), *other = NULL;

	(void)state;
	assert_non_null(dir);
	path = tu_path(dir, "plain.key");
	assert_int_equal(cts_key_save(k, path, NULL), 0);
	plain = read_text(path);
	free(path);
	path = tu_path(dir, "enc.key");
	assert_int_equal(cts_key_save(k, path, PASS), 0);
	enc = read_text(path);
	assert_int_equal(cts_key_generate(&other), 0);
	assert_int_equal(cts_key_public_line(&other_line, cts_key_public(other), NULL), 0);
	assert_int_equal(cts_key_public_line(&pub_line, cts_key_public(k), NULL), 0);

	/* Baseline: the texts load through load_text's path. */
	{
		char *p = tu_path(dir, "ok.key");
		cts_key *l = NULL;
		write_file(p, enc, strlen(enc), 0600);
		assert_int_equal(cts_key_load(&l, p, PASS), 0);
		cts_key_free(l);
		free(p);
	}

	/* Another public key recorded: the seed does not match it. */
	t = replaced(plain, pub_line, other_line);
	load_text(dir, t, strlen(t), NULL, CTS_ECRYPTO, "altéré");
	free(t);
	t = replaced(enc, pub_line, other_line);
	load_text(dir, t, strlen(t), PASS, CTS_ECRYPTO, "altéré");
	free(t);

	/* Encrypted parts altered: authentication fails. */
	t = strdup(enc);
	assert_non_null(t);
	{
		char *p = strstr(t, "\nbox ") + 5; /* first base64 character of the box */
		*p = *p == 'A' ? 'B' : 'A';
	}
	load_text(dir, t, strlen(t), PASS, CTS_EAUTH, NULL);
	free(t);
	{
		char from[64], to[64];
		snprintf(from, sizeof(from), "argon2id13 %llu ",
		         (unsigned long long)crypto_pwhash_OPSLIMIT_MIN);
		snprintf(to, sizeof(to), "argon2id13 %llu ",
		         (unsigned long long)crypto_pwhash_OPSLIMIT_MIN + 1);
		t = replaced(enc, from, to);
		load_text(dir, t, strlen(t), PASS, CTS_EAUTH, "phrase de passe incorrecte");
		free(t);
	}

	/* Malformed files. */
	load_text(dir, "", 0, NULL, CTS_EINVAL, NULL);
	load_text(dir, "hello\n", 6, NULL, CTS_EINVAL, "ctsnode-key-v1");
	load_text(dir, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36, NULL, CTS_EINVAL, NULL);
	load_text(dir, plain, strlen(plain) - 1, NULL, CTS_EINVAL, NULL); /* last newline missing */
	t = malloc(strlen(plain) + 8);
	assert_non_null(t);
	sprintf(t, "%sextra\n", plain);
	load_text(dir, t, strlen(t), NULL, CTS_EINVAL, "en trop");
	free(t);
	t = replaced(plain, "ctsnode-key-v1", "ctsnode-key-v2");
	load_text(dir, t, strlen(t), NULL, CTS_EVERSION, "plus récente");
	free(t);
	t = replaced(plain, "kdf none", "kdf nothing");
	load_text(dir, t, strlen(t), NULL, CTS_EINVAL, "kdf");
	free(t);
	t = replaced(plain, "\nseed ", "\nseed  ");
	load_text(dir, t, strlen(t), NULL, CTS_EINVAL, "seed");
	free(t);
	{
		char hex[65], up[65];
		sodium_bin2hex(hex, sizeof(hex), seed, 32);
		memcpy(up, hex, sizeof(hex));
		for (char *p = up; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		if (strcmp(up, hex) != 0) {
			t = replaced(plain, hex, up);
			load_text(dir, t, strlen(t), NULL, CTS_EINVAL, "seed");
			free(t);
		}
	}
	{
		/* A memory cost libsodium would accept but we bound (no 1 TiB allocation). */
		char from[64];
		snprintf(from, sizeof(from), " %zu\n", (size_t)crypto_pwhash_MEMLIMIT_MIN);
		t = replaced(enc, from, " 1099511627776\n");
		load_text(dir, t, strlen(t), PASS, CTS_EINVAL, "kdf");
		free(t);
	}
	/* A non-ASCII byte in the box is a format error, not a wrong passphrase. */
	t = strdup(enc);
	assert_non_null(t);
	strstr(t, "\nbox ")[10] = (char)0xaf;
	load_text(dir, t, strlen(t), PASS, CTS_EINVAL, "base64");
	free(t);
	t = replaced(enc, "\nsalt ", "\nsel ");
	load_text(dir, t, strlen(t), PASS, CTS_EINVAL, "salt");
	free(t);
	t = replaced(enc, "\npublic ssh-ed25519 ", "\npublic ssh-rsa ");
	load_text(dir, t, strlen(t), PASS, CTS_EINVAL, "clé publique invalide");
	free(t);
	/* A NUL byte inside. */
	t = strdup(plain);
	assert_non_null(t);
	t[20] = '\0';
	load_text(dir, t, strlen(plain), NULL, CTS_EINVAL, NULL);
	free(t);

	tu_rmtree(dir);
	free(plain);
	free(enc);
	free(path);
	free(other_line);
	free(pub_line);
	free(dir);
	cts_key_free(k);
	cts_key_free(other);
}

/* ---- public key lines ---- */

static char *line_of_blob(const char *type, const unsigned char *blob, size_t n, const char *tail)
{
	char b64[256], *out = malloc(512);

	assert_non_null(out);
	sodium_bin2base64(b64, sizeof(b64), blob, n, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, 512, "%s %s%s", type, b64, tail);
	return out;
}

/* Wire blob: string type + string key (klen bytes) + extra zero bytes. */
static size_t make_blob(unsigned char *b, const char *type, const unsigned char *key, size_t klen,
                        size_t extra)
{
	size_t n = 0, tl = strlen(type);

	b[n++] = 0, b[n++] = 0, b[n++] = 0, b[n++] = (unsigned char)tl;
	memcpy(b + n, type, tl);
	n += tl;
	b[n++] = 0, b[n++] = 0, b[n++] = 0, b[n++] = (unsigned char)klen;
	memcpy(b + n, key, klen);
	n += klen;
	memset(b + n, 0, extra);
	return n + extra;
}

static void refused_line(const char *line, const char *want)
{
	unsigned char pk[32];

	memset(pk, 0xaa, sizeof(pk));
	cts_error_clear();
	expect(cts_key_parse_public_line(pk, line), CTS_EINVAL, want);
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(pk[i], 0xaa); /* untouched */
}

static void test_public_line(void **state)
{
	unsigned char pk[32], got[32], blob[128], key33[33];
	char *line = NULL, *l2 = NULL, buf[512];
	size_t n;

	(void)state;
	{ /* A real key: random bytes are mostly not a point of the curve. */
		unsigned char sk[crypto_sign_SECRETKEYBYTES];
		crypto_sign_keypair(pk, sk);
		sodium_memzero(sk, sizeof(sk));
	}

	/* Round trips. */
	assert_int_equal(cts_key_public_line(&line, pk, NULL), 0);
	assert_int_equal(strlen(line), 12 + 68);
	assert_int_equal(strncmp(line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37), 0);
	assert_int_equal(cts_key_parse_public_line(got, line), 0);
	assert_memory_equal(got, pk, 32);
	assert_int_equal(cts_key_public_line(&l2, pk, "nœud de test 1"), 0);
	assert_int_equal(strncmp(l2, line, strlen(line)), 0);
	assert_string_equal(l2 + strlen(line), " nœud de test 1");
	memset(got, 0, sizeof(got));
	assert_int_equal(cts_key_parse_public_line(got, l2), 0);
	assert_memory_equal(got, pk, 32);
	snprintf(buf, sizeof(buf), "%s\n", l2);
	assert_int_equal(cts_key_parse_public_line(got, buf), 0);
	snprintf(buf, sizeof(buf), "%s\n", line);
	assert_int_equal(cts_key_parse_public_line(got, buf), 0);
	free(l2);
	l2 = NULL;
	/* An empty comment is no comment; a control character is refused. */
	assert_int_equal(cts_key_public_line(&l2, pk, ""), 0);
	assert_string_equal(l2, line);
	free(l2);
	l2 = NULL;
	cts_error_clear();
	expect(cts_key_public_line(&l2, pk, "a\nssh-ed25519 AAAA"), CTS_EINVAL, "contrôle");
	assert_null(l2);

	/* The shared test key. */
	{
		char *pubfile = tu_read_file(CTS_TEST_DATA "/sshsig/test-node-1.pub", NULL);
		char *keys = tu_read_file(CTS_TEST_DATA "/sshsig/keys.txt", NULL);
		char hex[65];
		assert_non_null(pubfile);
		assert_non_null(keys);
		assert_int_equal(cts_key_parse_public_line(got, pubfile), 0);
		sodium_bin2hex(hex, sizeof(hex), got, 32);
		assert_non_null(strstr(keys, hex));
		free(pubfile);
		free(keys);
	}

	/* A byte 0x80-0xff in place of '/' (what libsodium 1.0.18 alone reads as '/'). */
	{
		char *pubfile = tu_read_file(CTS_TEST_DATA "/sshsig/test-node-1.pub", NULL);
		assert_non_null(pubfile);
		assert_non_null(strchr(pubfile, '/'));
		*strchr(pubfile, '/') = (char)0xaf;
		refused_line(pubfile, "base64");
		free(pubfile);
	}

	/* Refusals. */
	refused_line("", NULL);
	refused_line("ssh-ed25519", NULL);
	refused_line("ssh-ed25519 ", NULL);
	snprintf(buf, sizeof(buf), "ssh-rsa%s", line + 11); /* wrong type */
	refused_line(buf, "ssh-ed25519");
	snprintf(buf, sizeof(buf), "ecdsa-sha2-nistp256%s", line + 11);
	refused_line(buf, "ssh-ed25519");
	snprintf(buf, sizeof(buf), " %s", line);
	refused_line(buf, NULL);
	snprintf(buf, sizeof(buf), "ssh-ed25519  %s", line + 12); /* two spaces */
	refused_line(buf, NULL);
	snprintf(buf, sizeof(buf), "ssh-ed25519\t%s", line + 12);
	refused_line(buf, NULL);

	/* Bad base64: outside the alphabet, a character missing, padding. */
	snprintf(buf, sizeof(buf), "%s", line);
	buf[40] = '!';
	refused_line(buf, "base64");
	snprintf(buf, sizeof(buf), "%.*s%s", 40, line, line + 41);
	refused_line(buf, "base64");
	snprintf(buf, sizeof(buf), "%s=", line);
	refused_line(buf, "base64");

	/* Trailing junk. */
	snprintf(buf, sizeof(buf), "%sjunk", line);
	refused_line(buf, NULL);
	snprintf(buf, sizeof(buf), "%s ", line);
	refused_line(buf, NULL);
	snprintf(buf, sizeof(buf), "%s  comment", line);
	refused_line(buf, NULL);
	snprintf(buf, sizeof(buf), "%s comment\nssh-ed25519 %s", line, line + 12);
	refused_line(buf, "fin de ligne");
	snprintf(buf, sizeof(buf), "%s\n\n", line);
	refused_line(buf, "fin de ligne");
	snprintf(buf, sizeof(buf), "%s comm\tent", line);
	refused_line(buf, "contrôle");
	snprintf(buf, sizeof(buf), "%s\r\n", line);
	refused_line(buf, NULL);

	/* Blobs that are not exactly string "ssh-ed25519" + string pk32. */
	n = make_blob(blob, "ssh-ed25519", pk, 31, 0);
	free(l2);
	l2 = line_of_blob("ssh-ed25519", blob, n, "");
	refused_line(l2, "32 octets");
	free(l2);
	randombytes_buf(key33, sizeof(key33));
	n = make_blob(blob, "ssh-ed25519", key33, 33, 0);
	l2 = line_of_blob("ssh-ed25519", blob, n, "");
	refused_line(l2, "32 octets");
	free(l2);
	n = make_blob(blob, "ssh-ed25519", pk, 32, 1);
	l2 = line_of_blob("ssh-ed25519", blob, n, " c");
	refused_line(l2, "en trop");
	free(l2);
	n = make_blob(blob, "ssh-rsa", pk, 32, 0);
	l2 = line_of_blob("ssh-ed25519", blob, n, "");
	refused_line(l2, "ssh-ed25519");
	free(l2);
	n = make_blob(blob, "ssh-ed25519", pk, 32, 0);
	l2 = line_of_blob("ssh-ed25519", blob, n - 1, "");
	refused_line(l2, NULL);
	free(l2);
	/* The control: the same builder with nothing wrong is accepted. */
	l2 = line_of_blob("ssh-ed25519", blob, n, "");
	assert_string_equal(l2, line);
	free(l2);

	free(line);
}

/* ---- keys that allow forgeries: small order, zero, non-canonical ---- */

static char *key_line_of(const unsigned char pk[32])
{
	unsigned char blob[128];
	size_t n = make_blob(blob, "ssh-ed25519", pk, 32, 0);

	return line_of_blob("ssh-ed25519", blob, n, "");
}

static void refused_key(const unsigned char pk[32])
{
	char *l = key_line_of(pk);

	assert_int_equal(cts_key_public_usable(pk), 0);
	refused_line(l, "ordre faible");
	free(l);
}

static void test_small_order_keys(void **state)
{
	/* y of the 8 small-order points (sign bit clear), and y = p, p + 1. */
	static const char *const ys[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	unsigned char pk[32], sk[crypto_sign_SECRETKEYBYTES], small[32], mixed[32], sig[64] = { 0 };
	char *l;

	(void)state;
	for (size_t i = 0; i < sizeof(ys) / sizeof(ys[0]); i++) {
		assert_int_equal(sodium_hex2bin(pk, 32, ys[i], 64, NULL, NULL, NULL), 0);
		refused_key(pk); /* sign bit clear */
		pk[31] |= 0x80;
		refused_key(pk); /* and set */
	}
	/* Non-canonical y = p + 2 (a point of order > 8): refused by libsodium's check. */
	assert_int_equal(
	    sodium_hex2bin(pk, 32,
	                   "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", 64,
	                   NULL, NULL, NULL),
	    0);
	refused_key(pk);
	/* A real key plus a point of order 8: on the curve, outside the prime-order subgroup. */
	crypto_sign_keypair(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	assert_int_equal(cts_key_public_usable(pk), 1);
	assert_int_equal(sodium_hex2bin(small, 32, ys[2], 64, NULL, NULL, NULL), 0);
	assert_int_equal(crypto_core_ed25519_add(mixed, pk, small), 0);
	refused_key(mixed);
	/* The control: the real key itself is accepted. */
	l = key_line_of(pk);
	assert_int_equal(cts_key_parse_public_line(small, l), 0);
	assert_memory_equal(small, pk, 32);
	free(l);
	/* The forgery these keys allow (R = identity, S = 0 for the identity
	 * key) is refused by libsodium itself, whatever the message. */
	sig[0] = 1;
	memset(pk, 0, 32);
	pk[0] = 1;
	assert_int_not_equal(crypto_sign_verify_detached(sig, (const unsigned char *)"x", 1, pk),
	                     0);
}

/* ---- strict base64 (crypto.h) ---- */

static void test_base64_strict(void **state)
{
	static const struct {
		const char *in;
		int ok;
		size_t len;
	} cases[] = {
		{ "", 1, 0 },        { "AAAA", 1, 3 },       { "AAA=", 1, 2 },
		{ "AA==", 1, 1 },    { "+/+/", 1, 3 },       { "A===", 0, 0 },
		{ "AAA", 0, 0 },     { "AA=A", 0, 0 },       { "AAB=", 0, 0 },
		{ "AB==", 0, 0 },    { "AA A", 0, 0 },       { "AAAA\n", 0, 0 },
		{ "AA-_", 0, 0 },    { "AA\xaf\xaf", 0, 0 }, { "\xff\xff\xff\xff", 0, 0 },
		{ "AA=\xaf", 0, 0 },
	};
	unsigned char out[8];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;
		n = 99;
		cts_error_clear();
		rc = cts_crypto_base64_decode(out, sizeof(out), &n, cases[i].in,
		                              strlen(cases[i].in));
		if (cases[i].ok) {
			if (rc != 0)
				fail_msg("refusé à tort : « %s » : %s", cases[i].in,
				         cts_error_message());
			assert_int_equal(n, cases[i].len);
		} else {
			if (rc != CTS_EINVAL)
				fail_msg("accepté à tort : cas %zu", i);
			assert_non_null(strstr(cts_error_message(), "base64"));
			assert_int_equal(n, 0);
		}
	}
	/* Capacity: 6 bytes do not fit in 5. */
	assert_int_equal(cts_crypto_base64_decode(out, 5, &n, "AAAAAAAA", 8), CTS_EINVAL);
	assert_int_equal(cts_crypto_base64_decode(out, 6, &n, "AAAAAAAA", 8), 0);
	assert_int_equal(n, 6);
}

/* ---- passphrase sources ---- */

static void test_passphrase_env(void **state)
{
	char *p = NULL, big[CTS_PASSPHRASE_MAX + 1];

	(void)state;
	unsetenv("CTSNODE_PASSPHRASE_FD");
	setenv("CTSNODE_PASSPHRASE", "s3cret phrase", 1);
	assert_int_equal(cts_passphrase_get(&p, "Phrase de passe : ", 0), 0);
	assert_string_equal(p, "s3cret phrase");
	cts_passphrase_free(p);
	p = NULL;
	assert_int_equal(cts_passphrase_get(&p, "Phrase de passe : ", 1), 0);
	assert_string_equal(p, "s3cret phrase");
	cts_passphrase_free(p);
	p = NULL;

	/* Empty: accepted to unlock, refused to create. */
	setenv("CTSNODE_PASSPHRASE", "", 1);
	assert_int_equal(cts_passphrase_get(&p, NULL, 0), 0);
	assert_string_equal(p, "");
	cts_passphrase_free(p);
	p = NULL;
	cts_error_clear();
	expect(cts_passphrase_get(&p, NULL, 1), CTS_EAUTH, "vide");
	assert_null(p);

	/* Length limit. */
	memset(big, 'x', sizeof(big));
	big[CTS_PASSPHRASE_MAX - 1] = '\0';
	setenv("CTSNODE_PASSPHRASE", big, 1);
	assert_int_equal(cts_passphrase_get(&p, NULL, 0), 0);
	assert_int_equal(strlen(p), CTS_PASSPHRASE_MAX - 1);
	cts_passphrase_free(p);
	p = NULL;
	big[CTS_PASSPHRASE_MAX - 1] = 'x';
	big[CTS_PASSPHRASE_MAX] = '\0';
	setenv("CTSNODE_PASSPHRASE", big, 1);
	expect(cts_passphrase_get(&p, NULL, 0), CTS_ELIMIT, NULL);
	assert_null(p);
	unsetenv("CTSNODE_PASSPHRASE");
	cts_passphrase_free(NULL);
}

static void test_passphrase_fd(void **state)
{
	char *p = NULL, num[16], rest[64];
	int fds[2];

	(void)state;
	unsetenv("CTSNODE_PASSPHRASE");
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "from fd\r\nnext line\n", 19), 19);
	snprintf(num, sizeof(num), "%d", fds[0]);
	setenv("CTSNODE_PASSPHRASE_FD", num, 1);
	assert_int_equal(cts_passphrase_get(&p, NULL, 1), 0);
	assert_string_equal(p, "from fd");
	cts_passphrase_free(p);
	p = NULL;
	/* Exactly one line was consumed. */
	assert_int_equal(read(fds[0], rest, 10), 10);
	assert_memory_equal(rest, "next line\n", 10);

	/* The variable wins over the descriptor. */
	setenv("CTSNODE_PASSPHRASE", "env", 1);
	assert_int_equal(cts_passphrase_get(&p, NULL, 0), 0);
	assert_string_equal(p, "env");
	cts_passphrase_free(p);
	p = NULL;
	unsetenv("CTSNODE_PASSPHRASE");

	/* A last line without newline is fine; then end of file: refused. */
	assert_int_equal(write(fds[1], "last", 4), 4);
	close(fds[1]);
	assert_int_equal(cts_passphrase_get(&p, NULL, 0), 0);
	assert_string_equal(p, "last");
	cts_passphrase_free(p);
	p = NULL;
	cts_error_clear();
	expect(cts_passphrase_get(&p, NULL, 0), CTS_EAUTH, "descripteur");
	assert_null(p);
	close(fds[0]);

	/* Too long a line. */
	assert_int_equal(pipe(fds), 0);
	snprintf(num, sizeof(num), "%d", fds[0]);
	setenv("CTSNODE_PASSPHRASE_FD", num, 1);
	{
		char big[CTS_PASSPHRASE_MAX + 8];
		memset(big, 'y', sizeof(big));
		big[sizeof(big) - 1] = '\n';
		assert_int_equal(write(fds[1], big, sizeof(big)), (ssize_t)sizeof(big));
	}
	expect(cts_passphrase_get(&p, NULL, 0), CTS_ELIMIT, "trop longue");
	assert_null(p);
	close(fds[0]);
	close(fds[1]);

	/* Bad values. */
	setenv("CTSNODE_PASSPHRASE_FD", "trois", 1);
	expect(cts_passphrase_get(&p, NULL, 0), CTS_EINVAL, "CTSNODE_PASSPHRASE_FD");
	setenv("CTSNODE_PASSPHRASE_FD", "-1", 1);
	expect(cts_passphrase_get(&p, NULL, 0), CTS_EINVAL, "CTSNODE_PASSPHRASE_FD");
	setenv("CTSNODE_PASSPHRASE_FD", "987", 1); /* not open */
	expect(cts_passphrase_get(&p, NULL, 0), CTS_EINVAL, "CTSNODE_PASSPHRASE_FD");
	assert_null(p);
	unsetenv("CTSNODE_PASSPHRASE_FD");
}

/* No variable and no controlling terminal: CTS_EAUTH naming the variable.
 * Run in a child that leaves its session, so that /dev/tty cannot open. */
static void test_passphrase_no_source(void **state)
{
	pid_t pid;
	int st = 0;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *p = NULL;
		int rc;
		if (setsid() < 0)
			_exit(3);
		unsetenv("CTSNODE_PASSPHRASE");
		unsetenv("CTSNODE_PASSPHRASE_FD");
		rc = cts_passphrase_get(&p, "Phrase de passe : ", 0);
		if (rc != CTS_EAUTH || p || !strstr(cts_error_message(), "CTSNODE_PASSPHRASE"))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_save_encrypted),
		cmocka_unit_test(test_default_kdf_limits),
		cmocka_unit_test(test_save_plain),
		cmocka_unit_test(test_no_overwrite),
		cmocka_unit_test(test_load_file_checks),
		cmocka_unit_test(test_load_tampered),
		cmocka_unit_test(test_public_line),
		cmocka_unit_test(test_small_order_keys),
		cmocka_unit_test(test_base64_strict),
		cmocka_unit_test(test_passphrase_env),
		cmocka_unit_test(test_passphrase_fd),
		cmocka_unit_test(test_passphrase_no_source),
	};

	setenv("CTSNODE_KDF_FAST", "1", 1);
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
