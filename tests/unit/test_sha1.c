/* SHA-1 and HMAC-SHA1 (src/base/sha1.c) against the published vectors
 * (FIPS 180-1 appendix A/B, RFC 2202 §3), including input fed in pieces
 * across the 64-byte block boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sha1.h"

#include <stdio.h>
#include <string.h>

static void hex(const unsigned char d[20], char out[41])
{
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void sha1_str(const char *msg, size_t piece, char out[41])
{
	cts_sha1_ctx c;
	unsigned char d[20];
	size_t len = strlen(msg);

	cts_sha1_init(&c);
	for (size_t i = 0; i < len; i += piece)
		cts_sha1_update(&c, (const unsigned char *)msg + i,
		                len - i < piece ? len - i : piece);
	cts_sha1_final(&c, d);
	hex(d, out);
}

static void test_sha1_vectors(void **state)
{
	char out[41];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	sha1_str("abc", 3, out);
	assert_string_equal(out, "a9993e364706816aba3e25717850c26c9cd0d89d");
	sha1_str("", 1, out);
	assert_string_equal(out, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	for (size_t piece = 1; piece <= 57; piece += 7) {
		sha1_str(two, piece, out);
		assert_string_equal(out, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	}
}

static void test_hmac_vectors(void **state)
{
	unsigned char key[80], d[20];
	char out[41];

	(void)state;
	memset(key, 0x0b, 20);
	cts_hmac_sha1(key, 20, "Hi There", d);
	hex(d, out);
	assert_string_equal(out, "b617318655057264e28bc0b6fb378c8ef146be00");
	cts_hmac_sha1((const unsigned char *)"Jefe", 4, "what do ya want for nothing?", d);
	hex(d, out);
	assert_string_equal(out, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	/* A key longer than the block is hashed first (RFC 2202 test case 6). */
	memset(key, 0xaa, 80);
	cts_hmac_sha1(key, 80, "Test Using Larger Than Block-Size Key - Hash Key First", d);
	hex(d, out);
	assert_string_equal(out, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha1_vectors),
		cmocka_unit_test(test_hmac_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
