/*
 * SSHSIG armor and blob parser, and verification (crypto/sshsig.h), with
 * the fixed test key of tests/data/sshsig and its three fixed messages,
 * under both namespaces in use ("cts-changeset", "git"). The fuzzed bytes
 * are the armored signature. Properties:
 *  - a refused signature gives CTS_EINVAL, CTS_ELIMIT or CTS_ECRYPTO with a
 *    message; on CTS_EINVAL/CTS_ELIMIT (blob not parsed) signer_pk_out is
 *    left untouched;
 *  - an accepted signature, with the expected key or with any signer, is
 *    byte-for-byte the one cts_sshsig_sign writes for that message and
 *    namespace (Ed25519 is deterministic and the armor, base64 and blob
 *    are strict, so there is no second accepted spelling, and no forged
 *    signature from another or a weak key), and reports our key as signer.
 */
#include "harness.h"

#include "error.h"
#include "key.h"
#include "sshsig.h"

#include <stdlib.h>
#include <string.h>

/* tests/data/sshsig/keys.txt */
static const unsigned char seed[32] = {
	0x03, 0x70, 0x74, 0x8c, 0xb8, 0x3b, 0x7c, 0x86, 0xed, 0x7a, 0x12,
	0x15, 0x0e, 0xbd, 0x56, 0x22, 0x65, 0x00, 0x2d, 0x5d, 0x1e, 0xbd,
	0x7d, 0xa3, 0x96, 0x2c, 0x24, 0x86, 0xc2, 0xcd, 0xba, 0xd8,
};

/* tests/data/sshsig/msg1.json, msg2.txt, msg3-empty.txt */
static const char msg1[] =
    "{\"node\":\"rouen-elbeuf-secretariat\",\"ops\":[{\"hlc\":\"0193a1b2c3d40001\",\"id\":\"0"
    "b6a3c1e-1111-4c1e-9a51-000000000001\",\"op\":\"put\",\"set\":{\"college\":\"usagers\",\""
    "first_name\":\"Annie\",\"last_name\":\"GESLIN\",\"organisation\":\"UDAF 76\"},\"table\":"
    "\"member\"},{\"hlc\":\"0193a1b2c3d40002\",\"id\":\"0b6a3c1e-2222-4c1e-9a51-000000000002"
    "\",\"op\":\"del\",\"table\":\"attendance\"}],\"prev\":\"abababababababababababababababab"
    "abababababababababababababababab\",\"seq\":2,\"territory\":\"rouen-elbeuf\",\"time\":\"2"
    "026-11-23T10:00:00Z\",\"v\":1}\n";

#define NMSG 3
#define NNS 2
static const struct {
	const char *p;
	size_t len;
} msgs[NMSG] = { { msg1, sizeof(msg1) - 1 }, { "bonjour\n", 8 }, { "", 0 } };
static const char *const namespaces[NNS] = { "cts-changeset", "git" };

static unsigned char pk[32];
static char *armor[NNS][NMSG];
static size_t armor_len[NNS][NMSG];

static void release(void)
{
	for (int n = 0; n < NNS; n++)
		for (int m = 0; m < NMSG; m++)
			free(armor[n][m]);
}

static void setup(void)
{
	static int done;
	cts_key *key = NULL;

	if (done)
		return;
	FUZZ_CHECK(cts_key_from_seed(&key, seed) == 0);
	memcpy(pk, cts_key_public(key), sizeof(pk));
	for (int n = 0; n < NNS; n++)
		for (int m = 0; m < NMSG; m++)
			FUZZ_CHECK(cts_sshsig_sign(&armor[n][m], &armor_len[n][m], key,
			                           namespaces[n], (const unsigned char *)msgs[m].p,
			                           msgs[m].len) == 0);
	cts_key_free(key);
	atexit(release);
	done = 1;
}

static void verify_one(const char *buf, size_t size, int n, int m, const unsigned char *expected)
{
	unsigned char signer[32];
	int rc;

	memset(signer, 0xa5, sizeof(signer));
	cts_error_clear();
	rc = cts_sshsig_verify(buf, size, expected, namespaces[n], (const unsigned char *)msgs[m].p,
	                       msgs[m].len, signer);
	if (rc == 0) {
		FUZZ_CHECK(size == armor_len[n][m] && memcmp(buf, armor[n][m], size) == 0);
		FUZZ_CHECK(memcmp(signer, pk, sizeof(pk)) == 0);
		return;
	}
	cts_fuzz_check_error(rc);
	FUZZ_CHECK(rc == CTS_EINVAL || rc == CTS_ELIMIT || rc == CTS_ECRYPTO);
	if (rc != CTS_ECRYPTO) {
		for (size_t i = 0; i < sizeof(signer); i++)
			FUZZ_CHECK(signer[i] == 0xa5);
	}
}

int cts_fuzz_sshsig(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes, so that reading past it is caught. */
	char *buf = malloc(size ? size : 1);

	FUZZ_CHECK(buf != NULL);
	if (size)
		memcpy(buf, data, size);
	setup();
	for (int n = 0; n < NNS; n++) {
		for (int m = 0; m < NMSG; m++) {
			verify_one(buf, size, n, m, pk);
			verify_one(buf, size, n, m, NULL);
		}
	}
	free(buf);
	return 0;
}
