/*
 * Canonical JSON parser (sync/jcs.h). Properties:
 *  - a refused text gives CTS_EINVAL or CTS_ELIMIT with a message, and the
 *    canonical-only entry points refuse it too;
 *  - whatever parses dumps; the dump is valid UTF-8, without NUL, never
 *    longer than the input, re-parses to an equal value whose own dump is
 *    the same bytes, and is canonical;
 *  - the input is canonical (cts_jcs_is_canonical, cts_jcs_parse_canonical)
 *    exactly when it is byte-for-byte its dump;
 *  - the dump followed by JSON whitespace parses to the same value but is
 *    not canonical.
 */
#include "harness.h"

#include "error.h"
#include "jcs.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static void refused(const char *buf, size_t size, int rc)
{
	json_t *v = NULL;
	int rc2;

	cts_fuzz_check_error(rc);
	FUZZ_CHECK(rc == CTS_EINVAL || rc == CTS_ELIMIT);
	cts_error_clear();
	rc2 = cts_jcs_is_canonical(buf, size);
	FUZZ_CHECK(rc2 == rc);
	cts_error_clear();
	rc2 = cts_jcs_parse_canonical(&v, buf, size);
	FUZZ_CHECK(rc2 == rc);
	FUZZ_CHECK(v == NULL);
}

int cts_fuzz_jcs(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	json_t *v = NULL, *v2 = NULL, *vc = NULL, *vw = NULL;
	char *d = NULL, *d2 = NULL, *w = NULL;
	size_t dlen = 0, d2len = 0;
	int rc, canon;

	cts_error_clear();
	rc = cts_jcs_parse(&v, buf, size);
	if (rc < 0) {
		FUZZ_CHECK(v == NULL);
		refused(buf, size, rc);
		return 0;
	}
	FUZZ_CHECK(v != NULL);

	/* Whatever parses must dump, to canonical bytes. */
	rc = cts_jcs_dump(&d, &dlen, v);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(d != NULL && strlen(d) == dlen);
	FUZZ_CHECK(cts_text_utf8_valid(d, dlen));
	FUZZ_CHECK(dlen <= size); /* canonical form drops, never adds */

	/* The dump re-parses to an equal value with the same dump. */
	rc = cts_jcs_parse(&v2, d, dlen);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(json_equal(v, v2));
	rc = cts_jcs_dump(&d2, &d2len, v2);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(d2len == dlen && memcmp(d2, d, dlen) == 0);
	FUZZ_CHECK(cts_jcs_is_canonical(d, dlen) == 1);

	/* The input is canonical exactly when it is its dump. */
	canon = dlen == size && memcmp(d, buf, size) == 0;
	FUZZ_CHECK(cts_jcs_is_canonical(buf, size) == canon);
	cts_error_clear();
	rc = cts_jcs_parse_canonical(&vc, buf, size);
	if (canon) {
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(json_equal(vc, v));
	} else {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_EINVAL);
		FUZZ_CHECK(vc == NULL);
	}

	/* Trailing JSON whitespace: same value, no longer canonical. */
	w = malloc(dlen + 2);
	FUZZ_CHECK(w != NULL);
	memcpy(w, d, dlen);
	w[dlen] = '\n';
	w[dlen + 1] = ' ';
	rc = cts_jcs_parse(&vw, w, dlen + 2);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(json_equal(vw, v));
	FUZZ_CHECK(cts_jcs_is_canonical(w, dlen + 2) == 0);

	free(w);
	json_decref(vw);
	json_decref(vc);
	free(d2);
	json_decref(v2);
	free(d);
	json_decref(v);
	return 0;
}
