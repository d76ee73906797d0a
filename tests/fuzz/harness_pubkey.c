/*
 * OpenSSH public key lines (crypto/key.h cts_key_parse_public_line), as the
 * registry and allowed_signers readers meet them. There is no separate
 * allowed_signers parser in the library: a registry or allowed_signers
 * reader finds the "ssh-ed25519 AAAA..." part of each line and hands it to
 * this function, so the harness feeds it every line of the input, whole
 * and from each "ssh-ed25519 " it contains (after a principal and options),
 * plus the whole input as one string.
 * Properties:
 *  - refused: CTS_EINVAL with a message, pk untouched;
 *  - accepted: the line is exactly the canonical line cts_key_public_line
 *    writes for that key, then nothing, or one space and a comment without
 *    control characters, then at most one "\n"; writing it back with that
 *    comment gives the same line; the canonical line parses to the same key.
 */
#include "harness.h"

#include "error.h"
#include "key.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LINES 64

static void one(const char *line)
{
	unsigned char pk[32], pk2[32];
	char *canon = NULL, *with = NULL, *comment = NULL;
	const char *rest;
	size_t cl, rl;
	int rc;

	memset(pk, 0x5a, sizeof(pk));
	cts_error_clear();
	rc = cts_key_parse_public_line(pk, line);
	if (rc < 0) {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_EINVAL);
		for (size_t i = 0; i < sizeof(pk); i++)
			FUZZ_CHECK(pk[i] == 0x5a);
		return;
	}
	FUZZ_CHECK(cts_key_public_line(&canon, pk, NULL) == 0);
	cl = strlen(canon);
	FUZZ_CHECK(strncmp(line, canon, cl) == 0);
	rest = line + cl;
	rl = strlen(rest);
	if (rl && rest[rl - 1] == '\n')
		rl--;
	for (size_t i = 0; i < rl; i++)
		FUZZ_CHECK((unsigned char)rest[i] >= 0x20 && rest[i] != 0x7f);
	if (rl) {
		FUZZ_CHECK(rest[0] == ' ' && rl >= 2);
		comment = cts_fuzz_strndup((const uint8_t *)rest + 1, rl - 1);
		rc = cts_key_public_line(&with, pk, comment);
		if (rc == 0) {
			FUZZ_CHECK(strlen(with) == cl + rl && strncmp(with, line, cl + rl) == 0);
		} else {
			FUZZ_CHECK(rc == CTS_ELIMIT); /* a longer comment than we write */
		}
	}
	memset(pk2, 0, sizeof(pk2));
	FUZZ_CHECK(cts_key_parse_public_line(pk2, canon) == 0);
	FUZZ_CHECK(memcmp(pk, pk2, sizeof(pk)) == 0);
	free(with);
	free(comment);
	free(canon);
}

int cts_fuzz_pubkey(const uint8_t *data, size_t size)
{
	char *all = cts_fuzz_strndup(data, size);
	size_t start = 0;
	int lines = 0;

	one(all);
	while (start < size && lines < MAX_LINES) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t end = nl ? (size_t)(nl - data) + 1 : size; /* keeps the "\n" */
		char *line = cts_fuzz_strndup(data + start, end - start);
		const char *k = line;

		one(line);
		/* allowed_signers: "principal [options] ssh-ed25519 AAAA... [comment]" */
		while ((k = strstr(k + 1, "ssh-ed25519 ")) != NULL)
			one(k);
		free(line);
		start = end;
		lines++;
	}
	free(all);
	return 0;
}
