/*
 * Text utilities (src/text.h) on arbitrary bytes. Properties:
 *  - UTF-8: cts_text_utf8_valid agrees with a walk by cts_text_utf8_seq
 *    (the one the canonical JSON parser makes); the valid prefix is the whole
 *    text exactly when it is valid, is itself valid, and the byte after it
 *    starts no valid sequence;
 *  - Windows-1252: refused (CTS_EINVAL) exactly when one of the five
 *    undefined bytes occurs; otherwise valid UTF-8, ASCII bytes unchanged,
 *    one character per input byte;
 *  - fold (on the text up to its first NUL): refused exactly when invalid
 *    UTF-8; otherwise valid UTF-8, never longer, no ASCII capital, no
 *    leading, trailing or double space, and idempotent;
 *  - trim: refused exactly when invalid UTF-8; otherwise a substring of the
 *    input, and idempotent.
 */
#include "harness.h"

#include "error.h"
#include "jcs.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static void check_utf8(const char *s, size_t size)
{
	int valid = cts_text_utf8_valid(s, size);
	size_t ok = cts_text_utf8_valid_prefix(s, size);

	FUZZ_CHECK(valid == 0 || valid == 1);
	size_t walk = 0, step;
	while (walk < size && (step = cts_text_utf8_seq(s + walk, size - walk)) > 0)
		walk += step;
	FUZZ_CHECK(walk <= size);
	FUZZ_CHECK((walk == size) == valid);
	FUZZ_CHECK(walk == ok);
	FUZZ_CHECK(ok <= size);
	FUZZ_CHECK((ok == size) == valid);
	FUZZ_CHECK(cts_text_utf8_valid(s, ok));
	if (ok < size) {
		/* No valid sequence (1 to 4 bytes) starts at the first bad byte. */
		for (size_t k = 1; k <= 4 && ok + k <= size; k++)
			FUZZ_CHECK(!cts_text_utf8_valid(s + ok, k));
	}
}

static void check_cp1252(const char *s, size_t size)
{
	char *out = NULL;
	size_t out_len = 0, chars = 0;
	int undefined = 0, rc;

	for (size_t i = 0; i < size; i++) {
		unsigned char c = (unsigned char)s[i];
		undefined |= c == 0x81 || c == 0x8d || c == 0x8f || c == 0x90 || c == 0x9d;
	}
	cts_error_clear();
	rc = cts_text_cp1252_to_utf8(&out, &out_len, s, size);
	if (undefined) {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_EINVAL && out == NULL);
		return;
	}
	FUZZ_CHECK(rc == 0 && out != NULL);
	FUZZ_CHECK(out[out_len] == '\0');
	FUZZ_CHECK(out_len >= size && out_len <= 3 * size);
	FUZZ_CHECK(cts_text_utf8_valid(out, out_len));
	for (size_t i = 0; i < out_len; i++)
		chars += ((unsigned char)out[i] & 0xc0) != 0x80;
	FUZZ_CHECK(chars == size);
	if (out_len == size)
		FUZZ_CHECK(memcmp(out, s, size) == 0); /* then it was all ASCII */
	free(out);
}

static void check_fold(const char *s)
{
	size_t n = strlen(s);
	int valid = cts_text_utf8_valid(s, n);
	char *f = NULL, *ff = NULL;
	size_t fl;
	int rc;

	cts_error_clear();
	rc = cts_text_fold(&f, s);
	if (!valid) {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_EINVAL && f == NULL);
		return;
	}
	FUZZ_CHECK(rc == 0 && f != NULL);
	fl = strlen(f);
	FUZZ_CHECK(fl <= n);
	FUZZ_CHECK(cts_text_utf8_valid(f, fl));
	for (size_t i = 0; i < fl; i++)
		FUZZ_CHECK(f[i] < 'A' || f[i] > 'Z');
	FUZZ_CHECK(fl == 0 || (f[0] != ' ' && f[fl - 1] != ' '));
	FUZZ_CHECK(strstr(f, "  ") == NULL);
	FUZZ_CHECK(cts_text_fold(&ff, f) == 0);
	FUZZ_CHECK(strcmp(ff, f) == 0);
	free(ff);
	free(f);
}

static void check_trim(const char *s)
{
	size_t n = strlen(s);
	int valid = cts_text_utf8_valid(s, n);
	char *t = NULL, *tt = NULL;
	int rc;

	cts_error_clear();
	rc = cts_text_trim(&t, s);
	if (!valid) {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_EINVAL && t == NULL);
		return;
	}
	FUZZ_CHECK(rc == 0 && t != NULL);
	FUZZ_CHECK(strlen(t) <= n);
	FUZZ_CHECK(strstr(s, t) != NULL);
	FUZZ_CHECK(cts_text_utf8_valid(t, strlen(t)));
	FUZZ_CHECK(cts_text_trim(&tt, t) == 0);
	FUZZ_CHECK(strcmp(tt, t) == 0);
	free(tt);
	free(t);
}

int cts_fuzz_text(const uint8_t *data, size_t size)
{
	char *exact = calloc(size ? size : 1, 1), *z;

	FUZZ_CHECK(exact != NULL);
	if (size)
		memcpy(exact, data, size);
	check_utf8(exact, size);
	check_cp1252(exact, size);
	z = cts_fuzz_strndup(data, size);
	check_fold(z);
	check_trim(z);
	free(z);
	free(exact);
	return 0;
}
