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
/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include "error.h"
#include "jcs.h"
#include "text.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *vec_kind, *vec_name;

/* ---- helpers ---- */

static void assert_msg_has(const char *needle)
{
	const char *m = cts_error_message();
	if (!strstr(m, needle))
		fail_msg("message « %s » ne contient pas « %s »", m, needle);
}

/* in (len bytes) parses and dumps to exactly want (wlen bytes). */
static void roundtrip_n(const char *in, size_t len, const char *want, size_t wlen)
{
	json_t *v = NULL;
	char *out = NULL;
	size_t olen = 0;

	if (cts_jcs_parse(&v, in, len) != 0)
		fail_msg("refusé : %.*s : %s", (int)len, in, cts_error_message());
	assert_non_null(v);
	assert_int_equal(cts_jcs_dump(&out, &olen, v), 0);
	assert_non_null(out);
	assert_int_equal(olen, wlen);
	assert_memory_equal(out, want, wlen);
	assert_int_equal(out[olen], '\0');
	/* The output is its own canonical form. */
	assert_int_equal(cts_jcs_is_canonical(out, olen), 1);
	assert_int_equal(cts_jcs_is_canonical(in, len), len == wlen && !memcmp(in, want, len));
	free(out);
	json_decref(v);
}

static void roundtrip(const char *in, const char *want)
{
	roundtrip_n(in, strlen(in), want, strlen(want));
}

/* Refused by the parser with `code`, a message, and (if non-NULL) `needle`
 * in that message. */
static void refused_n(const char *in, size_t len, int code, const char *needle)
{
	json_t *v = (json_t *)1;

	cts_error_clear();
	int rc = cts_jcs_parse(&v, in, len);
	if (rc != code)
		fail_msg("%.*s : code %d au lieu de %d (%s)", (int)(len > 80 ? 80 : len), in, rc,
		         code, cts_error_message());
	assert_null(v);
	assert_true(strlen(cts_error_message()) > 0);
	assert_int_equal(cts_error_last(), code);
	if (needle)
		assert_msg_has(needle);
	/* The other entry points refuse it the same way. */
	assert_int_equal(cts_jcs_is_canonical(in, len), code);
	v = (json_t *)1;
	assert_int_equal(cts_jcs_parse_canonical(&v, in, len), code);
	assert_null(v);
}

static void refused(const char *in, int code, const char *needle)
{
	refused_n(in, strlen(in), code, needle);
}

static void dump_refused(const json_t *v, int code, const char *needle)
{
	char *out = (char *)1;
	size_t len = 99;

	cts_error_clear();
	assert_int_equal(cts_jcs_dump(&out, &len, v), code);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_true(strlen(cts_error_message()) > 0);
	if (needle)
		assert_msg_has(needle);
}

/* ---- data-driven vectors ---- */

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
		if (!(in = tu_read_file(path, &in_len)))
			fail_msg("lecture impossible : %s", path);
		snprintf(path, sizeof(path), "%s/jcs/valid/%s.out.json", CTS_TEST_DATA, vec_name);
		if (!(out = tu_read_file(path, &out_len)))
			fail_msg("lecture impossible : %s", path);
		if (cts_jcs_parse(&v, in, in_len) != 0)
			fail_msg("%s refusé : %s", vec_name, cts_error_message());
		assert_int_equal(cts_jcs_dump(&dumped, &dlen, v), 0);
		if (dlen != out_len || memcmp(dumped, out, out_len) != 0)
			fail_msg("%s :\n obtenu  %s\n attendu %.*s", vec_name, dumped, (int)out_len,
			         out);
		free(dumped);
		json_decref(v);
		/* The expected bytes parse and dump to themselves. */
		assert_int_equal(cts_jcs_is_canonical(out, out_len), 1);
		assert_int_equal(cts_jcs_parse_canonical(&v, out, out_len), 0);
		assert_int_equal(cts_jcs_dump(&dumped, &dlen, v), 0);
		assert_int_equal(dlen, out_len);
		assert_memory_equal(dumped, out, out_len);
		free(dumped);
		json_decref(v);
		/* A non-canonical input is reported as such. */
		if (in_len != out_len || memcmp(in, out, in_len) != 0) {
			assert_int_equal(cts_jcs_is_canonical(in, in_len), 0);
			v = (json_t *)1;
			assert_int_equal(cts_jcs_parse_canonical(&v, in, in_len), CTS_EINVAL);
			assert_null(v);
			assert_msg_has("non canonique à l'octet");
		}
		free(in);
		free(out);
	} else {
		snprintf(path, sizeof(path), "%s/jcs/invalid/%s", CTS_TEST_DATA, vec_name);
		if (!(in = tu_read_file(path, &in_len)))
			fail_msg("lecture impossible : %s", path);
		cts_error_clear();
		v = (json_t *)1;
		int rc = cts_jcs_parse(&v, in, in_len);
		printf("# %s : %d %s\n", vec_name, rc, cts_error_message());
		assert_int_equal(rc, CTS_EINVAL);
		assert_null(v);
		assert_int_equal(cts_error_last(), CTS_EINVAL);
		assert_msg_has("à l'octet ");
		assert_int_equal(cts_jcs_is_canonical(in, in_len), CTS_EINVAL);
		free(in);
	}
}

/* ---- unit tests ---- */

static void test_control_escapes(void **state)
{
	(void)state;
	static const char *const want[32] = {
		"\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006",
		"\\u0007", "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",
		"\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014",
		"\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a", "\\u001b",
		"\\u001c", "\\u001d", "\\u001e", "\\u001f",
	};
	char in[32], out[32], raw[8];

	for (unsigned c = 0; c < 32; c++) {
		/* From an uppercase and a lowercase \u escape. */
		snprintf(in, sizeof(in), "\"x\\u%04X\"", c);
		snprintf(out, sizeof(out), "\"x%s\"", want[c]);
		roundtrip(in, out);
		snprintf(in, sizeof(in), "\"x\\u%04x\"", c);
		roundtrip(in, out);

		/* From a jansson string holding the raw byte. */
		raw[0] = 'x';
		raw[1] = (char)c;
		json_t *s = json_stringn(raw, 2);
		char *d = NULL;
		size_t dl = 0;
		assert_non_null(s);
		assert_int_equal(cts_jcs_dump(&d, &dl, s), 0);
		assert_int_equal(dl, strlen(out));
		assert_memory_equal(d, out, dl);
		free(d);
		json_decref(s);

		/* A raw control byte inside a string is refused, at its offset. */
		raw[0] = '"';
		raw[1] = 'x';
		raw[2] = (char)c;
		raw[3] = '"';
		refused_n(raw, 4, CTS_EINVAL, "octet 2 : caractère de contrôle");
	}
	/* The short forms are accepted as input too; only " and \ get escaped. */
	roundtrip("\"\\b\\t\\n\\f\\r\\\"\\\\\\/\"", "\"\\b\\t\\n\\f\\r\\\"\\\\/\"");
	roundtrip("\"\\u0022\\u005c\\u002f\\u0041\"", "\"\\\"\\\\/A\"");
	/* DEL and everything above stay raw. */
	roundtrip("\"\x7f\"", "\"\x7f\"");
	roundtrip("\"\\u007f\\u0080\"", "\"\x7f\xc2\x80\"");
	refused("\"\\x\"", CTS_EINVAL, "octet 1 : échappement inconnu");
	refused("\"\\'\"", CTS_EINVAL, "échappement inconnu");
	refused("\"\\", CTS_EINVAL, "échappement tronqué");
	refused("\"\\u12\"", CTS_EINVAL, "octet 1");
	refused("\"\\u12g4\"", CTS_EINVAL, "quatre chiffres hexadécimaux");
}

static void test_unicode(void **state)
{
	(void)state;
	json_t *v = NULL;

	/* Surrogate pair -> the 4 UTF-8 bytes of U+1F600. */
	assert_int_equal(cts_jcs_parse(&v, "\"\\ud83d\\ude00\"", 14), 0);
	assert_int_equal(json_string_length(v), 4);
	assert_memory_equal(json_string_value(v), "\xf0\x9f\x98\x80", 4);
	json_decref(v);
	roundtrip("\"\\uD83D\\uDE00\"", "\"\xf0\x9f\x98\x80\"");
	roundtrip("\"\\ud800\\udc00\\udbff\\udfff\"", "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
	roundtrip("\"\\u00e9\\u00E9\\u2028\\uffff\"",
	          "\"\xc3\xa9\xc3\xa9\xe2\x80\xa8\xef\xbf\xbf\"");
	roundtrip("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	          "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");

	/* Lone and misordered surrogates, offset of the backslash. */
	refused("\"\\ud800\"", CTS_EINVAL, "octet 1 : demi-codet");
	refused("\"ab\\ud83d\"", CTS_EINVAL, "octet 3 : demi-codet");
	refused("\"\\ud800x\"", CTS_EINVAL, "demi-codet");
	refused("\"\\ud800\\u0041\"", CTS_EINVAL, "demi-codet");
	refused("\"\\ud800\\ud800\"", CTS_EINVAL, "demi-codet");
	refused("\"\\ud800\\n\"", CTS_EINVAL, "demi-codet");
	refused("\"\\udc00\"", CTS_EINVAL, "demi-codet");
	refused("\"\\ude00\\ud83d\"", CTS_EINVAL, "octet 1 : demi-codet");
	refused("\"\\ud800\\udc0\"", CTS_EINVAL, "octet 7");

	/* Invalid UTF-8 in a string: refused at the offending byte. */
	refused("\"caf\xe9\"", CTS_EINVAL, "octet 4 : UTF-8 invalide");
	refused("\"\xc0\xaf\"", CTS_EINVAL, "UTF-8 invalide");         /* overlong '/' */
	refused("\"\xc1\xbf\"", CTS_EINVAL, "UTF-8 invalide");         /* overlong */
	refused("\"\xe0\x80\xaf\"", CTS_EINVAL, "UTF-8 invalide");     /* overlong */
	refused("\"\xf0\x80\x80\xaf\"", CTS_EINVAL, "UTF-8 invalide"); /* overlong */
	refused("\"\xed\xa0\x80\"", CTS_EINVAL, "UTF-8 invalide");     /* U+D800 */
	refused("\"\xed\xbf\xbf\"", CTS_EINVAL, "UTF-8 invalide");     /* U+DFFF */
	refused("\"\xf4\x90\x80\x80\"", CTS_EINVAL, "UTF-8 invalide"); /* U+110000 */
	refused("\"\xf5\x80\x80\x80\"", CTS_EINVAL, "UTF-8 invalide");
	refused("\"\x80\"", CTS_EINVAL, "UTF-8 invalide");
	refused("\"\xff\"", CTS_EINVAL, "UTF-8 invalide");
	refused("\"\xe2\x82\"", CTS_EINVAL, "UTF-8 invalide"); /* cut before the quote */
	refused("\"\xe2\x82", CTS_EINVAL, "UTF-8 invalide");   /* cut at the end */
	refused("\xc3\xa9", CTS_EINVAL, "octet 0");            /* not even in a string */

	/* The serialiser refuses invalid UTF-8 handed over by jansson users. */
	json_t *o = json_object();
	json_t *a = json_array();
	assert_int_equal(json_array_append_new(a, json_stringn_nocheck("ok\xed\xa0\x80", 5)), 0);
	assert_int_equal(json_object_set_new(o, "nom", a), 0);
	dump_refused(o, CTS_EINVAL, "« /nom/0 » : chaîne en UTF-8 invalide");
	json_decref(o);
}

static void test_utf8_valid(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t n;
		int ok;
	} t[] = {
		{ "", 0, 1 },
		{ "\0", 1, 1 },
		{ "abc\x7f", 4, 1 },
		{ "\xc2\x80", 2, 1 },         /* U+0080 */
		{ "\xdf\xbf", 2, 1 },         /* U+07FF */
		{ "\xe0\xa0\x80", 3, 1 },     /* U+0800 */
		{ "\xed\x9f\xbf", 3, 1 },     /* U+D7FF */
		{ "\xee\x80\x80", 3, 1 },     /* U+E000 */
		{ "\xef\xbf\xbf", 3, 1 },     /* U+FFFF */
		{ "\xf0\x90\x80\x80", 4, 1 }, /* U+10000 */
		{ "\xf4\x8f\xbf\xbf", 4, 1 }, /* U+10FFFF */
		{ "\x80", 1, 0 },
		{ "\xbf", 1, 0 },
		{ "\xc0\x80", 2, 0 },         /* overlong U+0000 */
		{ "\xc1\xbf", 2, 0 },         /* overlong */
		{ "\xe0\x9f\xbf", 3, 0 },     /* overlong */
		{ "\xed\xa0\x80", 3, 0 },     /* U+D800 */
		{ "\xed\xbf\xbf", 3, 0 },     /* U+DFFF */
		{ "\xf0\x8f\xbf\xbf", 4, 0 }, /* overlong */
		{ "\xf4\x90\x80\x80", 4, 0 }, /* U+110000 */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xf8\x88\x80\x80\x80", 5, 0 },
		{ "\xfe", 1, 0 },
		{ "\xff", 1, 0 },
		{ "\xc3", 1, 0 },         /* truncated */
		{ "\xe2\x82", 2, 0 },     /* truncated */
		{ "\xf0\x9f\x98", 3, 0 }, /* truncated */
		{ "\xc3\x28", 2, 0 },     /* bad continuation */
		{ "\xe2\x28\xa1", 3, 0 },
		{ "\xf0\x9f\x28\x80", 4, 0 },
		{ "a\xc3\xa9z\xf0\x9f\x98\x80", 8, 1 },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (cts_text_utf8_valid(t[i].s, t[i].n) != t[i].ok)
			fail_msg("cas %zu : attendu %d", i, t[i].ok);
	/* The length is honoured: the bytes after it are not read. */
	assert_int_equal(cts_text_utf8_valid("\xc3\xa9", 1), 0);
	assert_int_equal(cts_text_utf8_valid("a\xff", 1), 1);
}

static void test_integers(void **state)
{
	(void)state;
	roundtrip("[9007199254740992,-9007199254740992,9007199254740991,0,-1,10,1234567890]",
	          "[9007199254740992,-9007199254740992,9007199254740991,0,-1,10,1234567890]");
	refused("9007199254740993", CTS_EINVAL, "octet 0 : entier hors");
	refused("-9007199254740993", CTS_EINVAL, "octet 0 : entier hors");
	refused("[1, 90071992547409920]", CTS_EINVAL, "octet 4 : entier hors");
	refused("18446744073709551616", CTS_EINVAL, "entier hors");
	refused("99999999999999999999999999999999999999", CTS_EINVAL, "entier hors");

	/* -0 is read as 0 (documented); its canonical form is "0". */
	roundtrip("-0", "0");
	roundtrip("[-0,0]", "[0,0]");
	json_t *v = NULL;
	assert_int_equal(cts_jcs_parse(&v, "-0", 2), 0);
	assert_true(json_is_integer(v));
	assert_int_equal(json_integer_value(v), 0);
	json_decref(v);

	refused("01", CTS_EINVAL, "octet 0 : zéro non significatif");
	refused("-01", CTS_EINVAL, "octet 1 : zéro non significatif");
	refused("00", CTS_EINVAL, "zéro non significatif");
	refused("[1.0]", CTS_EINVAL, "octet 2 : nombre décimal");
	refused("1.", CTS_EINVAL, "nombre décimal");
	refused("-0.0", CTS_EINVAL, "nombre décimal");
	refused("1e3", CTS_EINVAL, "octet 1 : nombre décimal ou exposant");
	refused("1E3", CTS_EINVAL, "exposant");
	refused("0e0", CTS_EINVAL, "exposant");
	refused("-", CTS_EINVAL, "octet 1 : chiffre attendu");
	refused("-a", CTS_EINVAL, "chiffre attendu");
	refused("- 1", CTS_EINVAL, "chiffre attendu");
	refused("+1", CTS_EINVAL, "octet 0 : valeur attendue");
	refused(".5", CTS_EINVAL, "valeur attendue");
	refused("0x10", CTS_EINVAL, "octet 1 : contenu après");
	refused("Infinity", CTS_EINVAL, NULL);
	refused("NaN", CTS_EINVAL, NULL);

	/* The serialiser refuses what the parser refuses. */
	json_t *r = json_real(1.5);
	dump_refused(r, CTS_EINVAL, "nombre décimal");
	json_decref(r);
	r = json_real(2.0); /* even an integral real */
	dump_refused(r, CTS_EINVAL, "nombre décimal");
	json_decref(r);
	json_t *big = json_integer(CTS_JCS_MAX_INT + 1);
	dump_refused(big, CTS_EINVAL, "entier hors");
	json_decref(big);
	big = json_integer(-CTS_JCS_MAX_INT - 1);
	dump_refused(big, CTS_EINVAL, "entier hors");
	json_decref(big);
	big = json_integer(INT64_MIN);
	dump_refused(big, CTS_EINVAL, "entier hors");
	json_decref(big);
	json_t *ok = json_pack("[I,I]", (json_int_t)CTS_JCS_MAX_INT, (json_int_t)-CTS_JCS_MAX_INT);
	char *out = NULL;
	assert_int_equal(cts_jcs_dump(&out, NULL, ok), 0);
	assert_string_equal(out, "[9007199254740992,-9007199254740992]");
	free(out);
	json_decref(ok);
}

static void test_keys(void **state)
{
	(void)state;
	/* Prefixes sort first; bytewise order (digits < uppercase < '_' < lowercase). */
	roundtrip("{\"abc\":1,\"b\":2,\"ab\":3,\"a\":4,\"\":5,\"A\":6,\"_\":7,\"10\":8,\"9\":9,\"a~"
	          "\":10}",
	          "{\"\":5,\"10\":8,\"9\":9,\"A\":6,\"_\":7,\"a\":4,\"ab\":3,\"abc\":1,\"a~\":10,"
	          "\"b\":2}");
	roundtrip("{\"b\":{\"y\":[],\"x\":{}},\"a\":[{\"d\":1,\"c\":2}]}",
	          "{\"a\":[{\"c\":2,\"d\":1}],\"b\":{\"x\":{},\"y\":[]}}");
	/* Keys are unescaped before comparison and written canonically. */
	roundtrip("{\"\\u0062\":1,\"a\\\"q\":2,\"\\t\":3}", "{\"\\t\":3,\"a\\\"q\":2,\"b\":1}");
	/* A long escaped key (kept on the heap) survives the parsing of its value's strings;
	 * a short one (kept on the stack) too. */
	{
		char in[256], want[256], as[101];
		memset(as, 'a', 100);
		as[100] = '\0';
		snprintf(in, sizeof(in), "{\"\\u0061%s\":\"\\u0078\",\"b\\n\":\"\\u0079\"}", as);
		snprintf(want, sizeof(want), "{\"a%s\":\"x\",\"b\\n\":\"y\"}", as);
		roundtrip(in, want);
	}
	refused("{\"a\":1,\"a\":2}", CTS_EINVAL, "octet 7 : clé d'objet en double");
	refused("{\"a\":1,\"\\u0061\":2}", CTS_EINVAL, "clé d'objet en double");
	refused("{\"a\":{\"b\":1,\"c\":2,\"b\":3}}", CTS_EINVAL,
	        "octet 18 : clé d'objet en double");
	refused("{\"\xc3\xa9\":1}", CTS_EINVAL, "octet 1 : clé d'objet non ASCII");
	refused("{\"\\u00e9\":1}", CTS_EINVAL, "clé d'objet non ASCII");
	refused("{\"a\\u0000\":1}", CTS_EINVAL, "U+0000");
	/* Non-ASCII is fine in values. */
	roundtrip("{\"nom\":\"\xc3\x89vreux\"}", "{\"nom\":\"\xc3\x89vreux\"}");

	/* Many keys, inserted in reverse order, come out sorted. */
	json_t *o = json_object();
	char k[16];
	for (int i = 2999; i >= 0; i--) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(json_object_set_new(o, k, json_integer(i)), 0);
	}
	char *out = NULL;
	size_t len = 0;
	assert_int_equal(cts_jcs_dump(&out, &len, o), 0);
	assert_int_equal(cts_jcs_is_canonical(out, len), 1);
	assert_memory_equal(
	    out, "{\"k0\":0,\"k1\":1,\"k10\":10,\"k100\":100,\"k1000\":1000,\"k1001\"", 55);
	free(out);
	json_decref(o);

	/* The serialiser refuses keys the parser would refuse, naming the path. */
	o = json_object();
	json_t *inner = json_object();
	assert_int_equal(json_object_set_new(inner, "cl\xc3\xa9", json_true()), 0);
	assert_int_equal(json_object_set_new(o, "set", inner), 0);
	dump_refused(o, CTS_EINVAL, "« /set/cl » : clé d'objet non ASCII");
	json_decref(o);
	o = json_object();
	assert_int_equal(json_object_setn_new(o, "a\0b", 3, json_true()), 0);
	dump_refused(o, CTS_EINVAL, "U+0000");
	json_decref(o);
}

static void test_structure(void **state)
{
	(void)state;
	roundtrip("{}", "{}");
	roundtrip("[]", "[]");
	roundtrip("\"\"", "\"\"");
	roundtrip("[{},[],\"\",[[]],{\"a\":{}}]", "[{},[],\"\",[[]],{\"a\":{}}]");
	roundtrip(" \t\r\n{ \"a\" : [ 1 , true , false , null ] } \t\r\n",
	          "{\"a\":[1,true,false,null]}");
	roundtrip("true", "true");
	roundtrip("null", "null");
	roundtrip("42", "42");

	refused("", CTS_EINVAL, "octet 0 : texte tronqué");
	refused(" \n", CTS_EINVAL, "octet 2 : texte tronqué");
	refused("{} x", CTS_EINVAL, "octet 3 : contenu après la fin");
	refused("{}{}", CTS_EINVAL, "octet 2 : contenu après");
	refused("1 2", CTS_EINVAL, "contenu après");
	refused_n("{}\0", 3, CTS_EINVAL, "octet 2 : contenu après");
	refused("\xef\xbb\xbf{}", CTS_EINVAL, "octet 0"); /* BOM */
	refused("{\f}", CTS_EINVAL, "octet 1");           /* not JSON whitespace */
	refused("[1,\v2]", CTS_EINVAL, "octet 3");
	refused("[\xc2\xa0]", CTS_EINVAL, "octet 1"); /* NBSP */
	refused("[1,]", CTS_EINVAL, "octet 3 : valeur attendue");
	refused("[,1]", CTS_EINVAL, "valeur attendue");
	refused("[1 2]", CTS_EINVAL, "octet 3 : « , » ou « ] » attendu");
	refused("[1", CTS_EINVAL, "octet 2 : « , » ou « ] » attendu dans le tableau, fin du texte");
	refused("[", CTS_EINVAL, "texte tronqué");
	refused("{,}", CTS_EINVAL, "octet 1 : clé d'objet");
	refused("{\"a\":1,}", CTS_EINVAL, "octet 7 : clé d'objet");
	refused("{\"a\"}", CTS_EINVAL, "octet 4 : « : » attendu");
	refused("{\"a\":}", CTS_EINVAL, "octet 5 : valeur attendue");
	refused("{\"a\":1 \"b\":2}", CTS_EINVAL, "« , » ou « } » attendu");
	refused("{a:1}", CTS_EINVAL, "clé d'objet");
	refused("{1:1}", CTS_EINVAL, "clé d'objet");
	refused("{\"a\":1", CTS_EINVAL, "fin du texte");
	refused("\"abc", CTS_EINVAL, "octet 0 : chaîne non terminée");
	refused("[\"a\",\"b]", CTS_EINVAL, "octet 5 : chaîne non terminée");
	refused("tru", CTS_EINVAL, "littéral");
	refused("[nul]", CTS_EINVAL, "octet 1 : littéral");
	refused("True", CTS_EINVAL, "valeur attendue");
	refused("truex", CTS_EINVAL, "octet 4 : contenu après");
	refused("[truex]", CTS_EINVAL, "octet 5");
	refused("'a'", CTS_EINVAL, "valeur attendue");
	refused("/* */1", CTS_EINVAL, NULL);
}

/* n nested arrays (or objects) around `leaf`; caller frees. */
static char *nested(int n, int objects, const char *leaf)
{
	size_t ll = strlen(leaf), cap = (size_t)n * 6 + ll + 1, o = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	for (int i = 0; i < n; i++)
		o += (size_t)sprintf(s + o, "%s", objects ? "{\"a\":" : "[");
	memcpy(s + o, leaf, ll);
	o += ll;
	for (int i = 0; i < n; i++)
		s[o++] = objects ? '}' : ']';
	s[o] = '\0';
	return s;
}

static void test_depth(void **state)
{
	(void)state;
	const int d = CTS_JCS_MAX_DEPTH;
	char *s;

	/* Exactly the maximum, with a scalar or an empty container inside. */
	s = nested(d, 0, "1");
	roundtrip(s, s);
	free(s);
	s = nested(d - 1, 0, "[]");
	roundtrip(s, s);
	free(s);
	s = nested(d, 1, "\"x\"");
	roundtrip(s, s);
	free(s);
	/* One more is refused, at the offset of the bracket too many. */
	s = nested(d + 1, 0, "1");
	refused(s, CTS_ELIMIT, "octet 32 : plus de 32 tableaux ou objets");
	free(s);
	s = nested(d, 0, "{}");
	refused(s, CTS_ELIMIT, "octet 32");
	free(s);
	s = nested(d + 1, 1, "1");
	refused(s, CTS_ELIMIT, "trop imbriqué");
	free(s);
	/* Way deeper must not recurse further than the limit. */
	s = nested(100000, 0, "");
	refused(s, CTS_ELIMIT, "trop imbriqué");
	free(s);

	/* The serialiser has the same limit. */
	json_t *root = json_array(), *cur = root;
	for (int i = 1; i < d; i++) {
		json_t *a = json_array();
		assert_int_equal(json_array_append_new(cur, a), 0);
		cur = a;
	}
	char *out = NULL;
	size_t len;
	assert_int_equal(cts_jcs_dump(&out, &len, root), 0);
	assert_int_equal(len, 2 * (size_t)d);
	free(out);
	assert_int_equal(json_array_append_new(cur, json_array()), 0);
	dump_refused(root, CTS_ELIMIT, "plus de 32");
	json_decref(root);

	/* A reference cycle is stopped by the depth limit. */
	json_t *a = json_array(), *b = json_object();
	assert_int_equal(json_array_append(a, b), 0);
	assert_int_equal(json_object_set(b, "a", a), 0);
	dump_refused(a, CTS_ELIMIT, "« /0/a/0/a");
	json_object_clear(b);
	json_decref(b);
	json_decref(a);
}

static void test_size_limit(void **state)
{
	(void)state;
	size_t max = CTS_JCS_MAX_BYTES;
	char *s = malloc(max + 1);

	assert_non_null(s);
	/* Exactly the maximum is accepted. */
	s[0] = '[';
	s[1] = '"';
	memset(s + 2, 'a', max - 4);
	s[max - 2] = '"';
	s[max - 1] = ']';
	json_t *v = NULL;
	assert_int_equal(cts_jcs_parse(&v, s, max), 0);
	assert_int_equal(json_string_length(json_array_get(v, 0)), max - 4);
	json_decref(v);
	/* One byte more is refused before reading anything. */
	s[max - 1] = ' ';
	s[max] = ']';
	refused_n(s, max + 1, CTS_ELIMIT, "trop volumineux");
	refused_n("[]", (size_t)-1, CTS_ELIMIT, "maximum");
	free(s);
}

static void test_embedded_nul(void **state)
{
	(void)state;
	json_t *v = NULL;

	assert_int_equal(cts_jcs_parse(&v, "{\"s\":\"a\\u0000b\"}", 16), 0);
	json_t *s = json_object_get(v, "s");
	assert_int_equal(json_string_length(s), 3);
	assert_memory_equal(json_string_value(s), "a\0b", 3);
	char *out = NULL;
	size_t len = 0;
	assert_int_equal(cts_jcs_dump(&out, &len, v), 0);
	assert_int_equal(len, 16);
	assert_memory_equal(out, "{\"s\":\"a\\u0000b\"}", 16);
	free(out);
	json_decref(v);
	roundtrip("\"\\u0000\"", "\"\\u0000\"");
}

static void test_canonical(void **state)
{
	(void)state;
	json_t *v = (json_t *)1;

	assert_int_equal(cts_jcs_is_canonical("{\"a\":1}", 7), 1);
	assert_int_equal(cts_jcs_is_canonical("{ \"a\":1}", 8), 0);
	assert_int_equal(cts_jcs_is_canonical("{\"b\":1,\"a\":2}", 13), 0);
	assert_int_equal(cts_jcs_is_canonical("\"\\u00e9\"", 8), 0);
	assert_int_equal(cts_jcs_is_canonical("\"\\/\"", 4), 0);
	assert_int_equal(cts_jcs_is_canonical("\"\\u001F\"", 8), 0);
	assert_int_equal(cts_jcs_is_canonical("\"\\u001f\"", 8), 1);
	assert_int_equal(cts_jcs_is_canonical("\"\\u000a\"", 8), 0);
	assert_int_equal(cts_jcs_is_canonical("-0", 2), 0);
	assert_int_equal(cts_jcs_is_canonical("{}\n", 3), 0);
	assert_true(cts_jcs_is_canonical("{", 1) < 0);

	/* is_canonical records no error when it answers 0. */
	cts_error_clear();
	assert_int_equal(cts_jcs_is_canonical("[1, 2]", 6), 0);
	assert_int_equal(cts_error_last(), CTS_OK);

	assert_int_equal(cts_jcs_parse_canonical(&v, "{\"a\":[1,\"\xc3\xa9\"]}", 14), 0);
	assert_non_null(v);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(v, "a"), 0)), 1);
	json_decref(v);
	v = (json_t *)1;
	assert_int_equal(cts_jcs_parse_canonical(&v, "{\"a\":1, \"b\":2}", 14), CTS_EINVAL);
	assert_null(v);
	assert_msg_has("non canonique à l'octet 7");
	assert_int_equal(cts_jcs_parse_canonical(&v, "{\"b\":1,\"a\":2}", 13), CTS_EINVAL);
	assert_msg_has("octet 2");
	assert_int_equal(cts_jcs_parse_canonical(&v, "{}\n", 3), CTS_EINVAL);
	assert_msg_has("octet 2");
	assert_int_equal(cts_jcs_parse_canonical(&v, "{\"a\":1}", 3), CTS_EINVAL);
	assert_msg_has("JSON invalide");
}

static void test_dump_misc(void **state)
{
	(void)state;
	char *out = NULL;
	size_t len = 0;

	dump_refused(NULL, CTS_EINVAL, "« / » : valeur absente");

	json_t *cs = json_pack("{s:i,s:[{s:s,s:{s:s,s:f}}]}", "v", 1, "ops", "op", "put", "set",
	                       "nom", "x", "taux", 0.5);
	assert_non_null(cs);
	dump_refused(cs, CTS_EINVAL, "« /ops/0/set/taux » : nombre décimal");
	json_decref(cs);

	json_t *v = json_pack("{s:b,s:b,s:n,s:s,s:I}", "t", 1, "f", 0, "n", "s", "/\xc3\xa9", "i",
	                      (json_int_t)-42);
	assert_non_null(v);
	assert_int_equal(cts_jcs_dump(&out, &len, v), 0);
	assert_string_equal(out,
	                    "{\"f\":false,\"i\":-42,\"n\":null,\"s\":\"/\xc3\xa9\",\"t\":true}");
	assert_int_equal(len, strlen(out));
	free(out);
	json_decref(v);

	/* Large output: the growable buffer holds it all. */
	json_t *a = json_array();
	for (int i = 0; i < 100000; i++)
		assert_int_equal(json_array_append_new(a, json_integer(i)), 0);
	assert_int_equal(cts_jcs_dump(&out, &len, a), 0);
	assert_int_equal(len, 588891); /* 488890 digits + 99999 commas + 2 brackets */
	assert_memory_equal(out + len - 7, ",99999]", 7);
	assert_int_equal(cts_jcs_is_canonical(out, len), 1);
	free(out);
	json_decref(a);
}

/* Deterministic mutations of a changeset-like text: whatever is accepted
 * dumps to a canonical text, and parse_canonical agrees with is_canonical. */
static void test_mutations(void **state)
{
	(void)state;
	static const char base[] =
	    "{\"node\":\"rouen-elbeuf\",\"ops\":[{\"hlc\":\"0193a1b2c3d40001\",\"id\":\"0b6a\","
	    "\"op\":\"put\",\"set\":{\"nom\":\"\xc3\x89vreux \\u00e9\\ud83d\\ude00\\n\",\"n\":-12,"
	    "\"b\":true,\"z\":null,\"e\":[],\"o\":{}}}],\"prev\":null,\"seq\":2,\"v\":1}";
	static const char alphabet[] =
	    "{}[]\",:\\u0123456789-.eE tnfalsr\x80\xc3\xa9\xed\xf0\xff\x01";
	char buf[sizeof(base) + 8];
	uint32_t x = 12345;
	int accepted = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = sizeof(base) - 1;
		memcpy(buf, base, n);
		int edits = 1 + iter % 3;
		for (int e = 0; e < edits; e++) {
			x = x * 1103515245u + 12345u;
			size_t at = (x >> 8) % n;
			x = x * 1103515245u + 12345u;
			char c = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
			x = x * 1103515245u + 12345u;
			switch ((x >> 8) % 3) {
			case 0:
				buf[at] = c;
				break;
			case 1:
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
				break;
			default:
				if (n < sizeof(buf) - 1) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
			}
		}
		json_t *v = NULL;
		int rc = cts_jcs_parse(&v, buf, n);
		if (rc < 0) {
			assert_null(v);
			assert_true(rc == CTS_EINVAL || rc == CTS_ELIMIT);
			assert_int_equal(cts_jcs_is_canonical(buf, n), rc);
			continue;
		}
		accepted++;
		char *out = NULL;
		size_t len = 0;
		assert_int_equal(cts_jcs_dump(&out, &len, v), 0);
		assert_int_equal(cts_jcs_is_canonical(out, len), 1);
		int canon = cts_jcs_is_canonical(buf, n);
		assert_int_equal(canon, len == n && memcmp(out, buf, n) == 0);
		json_t *w = NULL;
		assert_int_equal(cts_jcs_parse_canonical(&w, buf, n) == 0, canon);
		if (canon)
			assert_true(json_equal(v, w));
		json_decref(w);
		free(out);
		json_decref(v);
	}
	/* The mutations exercise both sides. */
	printf("# %d mutations acceptées sur 20000\n", accepted);
	assert_true(accepted > 100);
	assert_true(accepted < 19000);
}

int main(int argc, char **argv)
{
	if (argc == 3 && (strcmp(argv[1], "valid") == 0 || strcmp(argv[1], "invalid") == 0)) {
		vec_kind = argv[1];
		vec_name = argv[2];
		const struct CMUnitTest one[] = { cmocka_unit_test(test_vector) };
		return cmocka_run_group_tests(one, NULL, NULL);
	}
	if (argc != 1) {
		fprintf(stderr, "usage : test_jcs [valid NOM | invalid FICHIER]\n");
		return 2;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_escapes),
		cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_dump_misc),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
