/*
 * Canonical JSON. With arguments, one data-driven vector:
 *   test_jcs valid NAME    tests/data/jcs/valid/NAME.in.json -> NAME.out.json exactly
 *   test_jcs invalid FILE  tests/data/jcs/invalid/FILE refused with a message
 * Without arguments, the unit tests below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "jcs.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *vec_kind, *vec_name;

static void roundtrip(const char *in, const char *want)
{
	json_t *v = NULL;
	char *out = NULL;
	size_t len = 0;

	if (cts_jcs_parse(&v, in, strlen(in)) != 0)
		fail_msg("refusé : %s : %s", in, cts_error_message());
	assert_int_equal(cts_jcs_dump(&out, &len, v), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
	json_decref(v);
}

static void refused(const char *in, size_t len, int code)
{
	json_t *v = NULL;
	cts_error_clear();
	assert_int_equal(cts_jcs_parse(&v, in, len), code);
	assert_null(v);
	assert_true(strlen(cts_error_message()) > 0);
}

static void test_vector(void **state)
{
	(void)state;
	char path[1024];
	size_t in_len, out_len;
	char *in, *out;
	json_t *v = NULL;

	if (strcmp(vec_kind, "valid") == 0) {
		char *dumped = NULL;
		size_t dlen;
		snprintf(path, sizeof(path), "%s/jcs/valid/%s.in.json", CTS_TEST_DATA, vec_name);
		assert_non_null(in = tu_read_file(path, &in_len));
		snprintf(path, sizeof(path), "%s/jcs/valid/%s.out.json", CTS_TEST_DATA, vec_name);
		assert_non_null(out = tu_read_file(path, &out_len));
		if (cts_jcs_parse(&v, in, in_len) != 0)
			fail_msg("%s refusé : %s", vec_name, cts_error_message());
		assert_int_equal(cts_jcs_dump(&dumped, &dlen, v), 0);
		assert_int_equal(dlen, out_len);
		assert_memory_equal(dumped, out, out_len);
		assert_int_equal(cts_jcs_is_canonical(out, out_len), 1);
		free(dumped);
		json_decref(v);
		free(in);
		free(out);
	} else {
		snprintf(path, sizeof(path), "%s/jcs/invalid/%s", CTS_TEST_DATA, vec_name);
		assert_non_null(in = tu_read_file(path, &in_len));
		cts_error_clear();
		int rc = cts_jcs_parse(&v, in, in_len);
		assert_true(rc < 0);
		assert_null(v);
		assert_true(strlen(cts_error_message()) > 0);
		printf("# %s : %s\n", vec_name, cts_error_message());
		free(in);
	}
}

static void test_escapes(void **state)
{
	(void)state;
	roundtrip("\"\\u0000\\u0001\\u001F\\b\\t\\n\\f\\r\\u000b\\\"\\\\\\/\"",
		  "\"\\u0000\\u0001\\u001f\\b\\t\\n\\f\\r\\u000b\\\"\\\\/\"");
	roundtrip("\"\\u00e9\\ud83d\\ude00\"", "\"\xc3\xa9\xf0\x9f\x98\x80\"");
	roundtrip("\"\x7f\"", "\"\x7f\"");
}

static void test_integers(void **state)
{
	(void)state;
	roundtrip("[9007199254740992,-9007199254740992,0,-1]", "[9007199254740992,-9007199254740992,0,-1]");
	refused("9007199254740993", 16, CTS_EINVAL);
	refused("-9007199254740993", 17, CTS_EINVAL);
	roundtrip("-0", "0");
	assert_int_equal(cts_jcs_is_canonical("-0", 2), 0);
	refused("01", 2, CTS_EINVAL);
	refused("1.0", 3, CTS_EINVAL);
	refused("1e3", 3, CTS_EINVAL);
	refused("-", 1, CTS_EINVAL);
	json_t *r = json_real(1.5);
	char *out = NULL;
	assert_int_equal(cts_jcs_dump(&out, NULL, r), CTS_EINVAL);
	json_decref(r);
}

static void test_keys_sorted(void **state)
{
	(void)state;
	roundtrip("{\"b\":1,\"a\":{\"y\":[],\"x\":{}},\"ab\":2,\"\":3,\"A\":4}",
		  "{\"\":3,\"A\":4,\"a\":{\"x\":{},\"y\":[]},\"ab\":2,\"b\":1}");
	refused("{\"a\":1,\"a\":2}", 13, CTS_EINVAL);
	refused("{\"\xc3\xa9\":1}", 8, CTS_EINVAL);
	refused("{\"\\u00e9\":1}", 12, CTS_EINVAL);
}

static void test_strings_strict(void **state)
{
	(void)state;
	refused("\"\\ud800\"", 8, CTS_EINVAL);
	refused("\"\\udc00\\ud800\"", 14, CTS_EINVAL);
	refused("\"\xc0\xaf\"", 4, CTS_EINVAL);
	refused("\"\xed\xa0\x80\"", 5, CTS_EINVAL);
	refused("\"\xf4\x90\x80\x80\"", 6, CTS_EINVAL);
	refused("\"a\tb\"", 5, CTS_EINVAL);
	refused("\"abc", 4, CTS_EINVAL);
	refused("\"\\x\"", 4, CTS_EINVAL);
	refused("{} x", 4, CTS_EINVAL);
	refused("", 0, CTS_EINVAL);
	refused("[1,]", 4, CTS_EINVAL);
	refused("tru", 3, CTS_EINVAL);
}

static void test_limits(void **state)
{
	(void)state;
	char deep[200];
	int d = CTS_JCS_MAX_DEPTH;
	memset(deep, '[', (size_t)d);
	memset(deep + d, ']', (size_t)d);
	roundtrip((deep[2 * d] = '\0', deep), deep);
	memset(deep, '[', (size_t)d + 1);
	memset(deep + d + 1, ']', (size_t)d + 1);
	refused(deep, (size_t)(2 * d + 2), CTS_ELIMIT);
	refused("[]", CTS_JCS_MAX_BYTES + 1, CTS_ELIMIT);
}

static void test_embedded_nul_and_canonical(void **state)
{
	(void)state;
	json_t *v = NULL;
	assert_int_equal(cts_jcs_parse(&v, "\"a\\u0000b\"", 10), 0);
	assert_int_equal(json_string_length(v), 3);
	json_decref(v);
	assert_int_equal(cts_jcs_is_canonical("{\"a\":1}", 7), 1);
	assert_int_equal(cts_jcs_is_canonical("{ \"a\":1}", 8), 0);
	assert_int_equal(cts_jcs_is_canonical("{\"b\":1,\"a\":2}", 13), 0);
	assert_int_equal(cts_jcs_is_canonical("\"\\u00e9\"", 8), 0);
	assert_true(cts_jcs_is_canonical("{", 1) < 0);
}

int main(int argc, char **argv)
{
	if (argc == 3) {
		vec_kind = argv[1];
		vec_name = argv[2];
		const struct CMUnitTest one[] = { cmocka_unit_test(test_vector) };
		return cmocka_run_group_tests(one, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_keys_sorted),
		cmocka_unit_test(test_strings_strict),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_embedded_nul_and_canonical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
