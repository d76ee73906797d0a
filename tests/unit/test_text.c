/* Text utilities: strict UTF-8, Windows-1252 decoding, trimming and the
 * name-folding key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALID(lit) cts_text_utf8_valid(lit, sizeof(lit) - 1)

static void test_utf8_valid_accepts(void **state)
{
	(void)state;
	assert_true(cts_text_utf8_valid("", 0));
	assert_true(cts_text_utf8_valid(NULL, 0));
	assert_true(VALID("NOM;Prénom"));
	assert_true(VALID("\x7f"));                 /* DEL, last 1-byte */
	assert_true(VALID("\xc2\x80"));             /* U+0080, first 2-byte */
	assert_true(VALID("\xdf\xbf"));             /* U+07FF */
	assert_true(VALID("\xe0\xa0\x80"));         /* U+0800, first 3-byte */
	assert_true(VALID("\xed\x9f\xbf"));         /* U+D7FF, just below surrogates */
	assert_true(VALID("\xee\x80\x80"));         /* U+E000, just above surrogates */
	assert_true(VALID("\xef\xbf\xbf"));         /* U+FFFF */
	assert_true(VALID("\xf0\x90\x80\x80"));     /* U+10000, first 4-byte */
	assert_true(VALID("\xf4\x8f\xbf\xbf"));     /* U+10FFFF, last code point */
	assert_true(VALID("\xe2\x80\x99\xc5\x93")); /* ’œ */
	assert_true(VALID("a\0b"));                 /* U+0000 is UTF-8 */
}

static void test_utf8_seq(void **state)
{
	(void)state;
	assert_int_equal(cts_text_utf8_seq("a", 1), 1);
	assert_int_equal(cts_text_utf8_seq("\xc3\xa9z", 3), 2);
	assert_int_equal(cts_text_utf8_seq("\xe2\x80\x99", 3), 3);
	assert_int_equal(cts_text_utf8_seq("\xf4\x8f\xbf\xbf", 4), 4);
	assert_int_equal(cts_text_utf8_seq("\x80", 1), 0);             /* stray continuation */
	assert_int_equal(cts_text_utf8_seq("\xc0\xaf", 2), 0);         /* overlong */
	assert_int_equal(cts_text_utf8_seq("\xed\xa0\x80", 3), 0);     /* surrogate */
	assert_int_equal(cts_text_utf8_seq("\xf4\x90\x80\x80", 4), 0); /* above U+10FFFF */
	/* Only `avail` bytes are read: a cut sequence is refused. */
	assert_int_equal(cts_text_utf8_seq("\xe2\x80\x99", 2), 0);
	assert_int_equal(cts_text_utf8_seq("\xc3\xa9", 1), 0);
}

static void test_utf8_valid_refuses(void **state)
{
	(void)state;
	/* Overlong forms. */
	assert_false(VALID("\xc0\x80"));
	assert_false(VALID("\xc0\xaf"));
	assert_false(VALID("\xc1\xbf"));
	assert_false(VALID("\xe0\x80\x80"));
	assert_false(VALID("\xe0\x9f\xbf"));
	assert_false(VALID("\xf0\x80\x80\x80"));
	assert_false(VALID("\xf0\x8f\xbf\xbf"));
	/* Surrogates U+D800..U+DFFF, alone and as a CESU-8 pair. */
	assert_false(VALID("\xed\xa0\x80"));
	assert_false(VALID("\xed\xbf\xbf"));
	assert_false(VALID("\xed\xa0\xbd\xed\xb8\x80"));
	/* Beyond U+10FFFF, and 5- and 6-byte forms. */
	assert_false(VALID("\xf4\x90\x80\x80"));
	assert_false(VALID("\xf5\x80\x80\x80"));
	assert_false(VALID("\xf8\x88\x80\x80\x80"));
	assert_false(VALID("\xfc\x84\x80\x80\x80\x80"));
	assert_false(VALID("\xfe"));
	assert_false(VALID("\xff"));
	/* Truncated sequences, at the end and in the middle. */
	assert_false(VALID("\xc3"));
	assert_false(VALID("\xe2\x82"));
	assert_false(VALID("\xf0\x9f\x98"));
	assert_false(VALID("\xe2\x82Z"));
	assert_false(VALID("\xc3 abc"));
	/* Lone continuation bytes; Latin-1 é. */
	assert_false(VALID("\x80"));
	assert_false(VALID("abc\xbf"));
	assert_false(VALID("J\xe9r\xf4me"));
	/* len is honoured: "é" cut after its first byte. */
	assert_false(cts_text_utf8_valid("\xc3\xa9", 1));
	assert_true(cts_text_utf8_valid("\xc3\xa9", 2));
	assert_false(cts_text_utf8_valid(NULL, 1));
}

static void test_utf8_valid_prefix(void **state)
{
	(void)state;
	assert_int_equal(cts_text_utf8_valid_prefix("abc", 3), 3);
	assert_int_equal(cts_text_utf8_valid_prefix("ab\xc3\xa9z\xff", 6), 5);
	assert_int_equal(cts_text_utf8_valid_prefix("ab\xe2\x82", 4), 2);
	assert_int_equal(cts_text_utf8_valid_prefix("\xed\xa0\x80", 3), 0);
	assert_int_equal(cts_text_utf8_valid_prefix("\xc3\xa9\xc3\xa9", 3), 2);
}

/* Independent decoder for the checks below. */
static uint32_t decode_one(const char *s, size_t *k)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] < 0x80) {
		*k = 1;
		return u[0];
	}
	if ((u[0] & 0xE0) == 0xC0) {
		*k = 2;
		return ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
	}
	*k = 3;
	return ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
}

static void test_cp1252_every_byte(void **state)
{
	(void)state;
	/* The Windows-1252 code chart for 0x80..0x9F (0 = undefined). */
	static const uint32_t chart[32] = {
		0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
		0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
	};
	int undefined = 0;

	for (unsigned b = 0; b < 256; b++) {
		char in[1] = { (char)b }, *out = (char *)1;
		size_t len = 99, k = 0;
		uint32_t want = (b >= 0x80 && b <= 0x9F) ? chart[b - 0x80] : b;
		int rc = cts_text_cp1252_to_utf8(&out, &len, in, 1);

		if (b >= 0x80 && want == 0) {
			char hex[8];
			undefined++;
			assert_int_equal(rc, CTS_EINVAL);
			assert_null(out);
			snprintf(hex, sizeof(hex), "0x%02X", b);
			assert_non_null(strstr(cts_error_message(), hex));
			continue;
		}
		assert_int_equal(rc, 0);
		assert_non_null(out);
		assert_true(cts_text_utf8_valid(out, len));
		assert_int_equal(out[len], '\0');
		assert_int_equal(decode_one(out, &k), want);
		assert_int_equal(k, len);
		free(out);
	}
	assert_int_equal(undefined, 5);
}

static void test_cp1252_strings(void **state)
{
	(void)state;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(
	    cts_text_cp1252_to_utf8(&out, &len, "Coll\xe8ge;Pr\xe9sent;Excus\xe9\r\n", 24), 0);
	assert_string_equal(out, "Collège;Présent;Excusé\r\n");
	assert_int_equal(len, strlen("Collège;Présent;Excusé\r\n"));
	free(out);
	assert_int_equal(cts_text_cp1252_to_utf8(&out, &len, "l\222Eure \200 \234uvre \377", 16),
	                 0);
	assert_string_equal(out, "l’Eure € œuvre ÿ");
	free(out);
	assert_int_equal(cts_text_cp1252_to_utf8(&out, NULL, "", 0), 0);
	assert_string_equal(out, "");
	free(out);
	/* The position of an undefined byte is reported. */
	out = (char *)1;
	assert_int_equal(cts_text_cp1252_to_utf8(&out, &len, "abc\x9d", 4), CTS_EINVAL);
	assert_null(out);
	assert_non_null(strstr(cts_error_message(), "0x9D"));
	assert_non_null(strstr(cts_error_message(), "4"));
}

static void fold_is(const char *in, const char *want)
{
	char *out = NULL;
	assert_int_equal(cts_text_fold(&out, in), 0);
	assert_string_equal(out, want);
	assert_true(strlen(out) <= strlen(in));
	free(out);
}

static void test_fold_names(void **state)
{
	(void)state;
	fold_is("BOUCHER-LE BRAS", "boucher le bras");
	fold_is("Boucher le Bras", "boucher le bras");
	fold_is("  Boucher \342\200\223  Le\302\240Bras ", "boucher le bras"); /* en dash, NBSP */
	fold_is("Jérôme", "jerome");
	fold_is("JEROME", "jerome");
	fold_is("Je\xcc\x81ro\xcc\x82me", "jerome"); /* decomposed */
	fold_is("JE\xcc\x81RO\xcc\x82ME", "jerome");
	fold_is("\314\201abc", "abc"); /* stray combining mark */
	fold_is("Françoise", "francoise");
	fold_is("ÇA", "ca");
	fold_is("Œuvre", "oeuvre");
	fold_is("cœur", "coeur");
	fold_is("Lætitia", "laetitia");
	fold_is("ÆSIR", "aesir");
	fold_is("Straße", "strasse");
	fold_is("L'HAŸ-LES-ROSES", "l hay les roses");
	fold_is("ÿ", "y");
	fold_is("Þór", "thor");
	fold_is("Łódź", "lodz");
	fold_is("Dvořák", "dvorak");
	fold_is("Ĳssel", "ijssel");
	fold_is("Ștefan Țepeș", "stefan tepes");
	fold_is("ÀÁÂÃÄÅàáâãäå", "aaaaaaaaaaaa");
	fold_is("ÈÉÊËèéêëĒĘĚ", "eeeeeeeeeee");
	fold_is("ÌÍÎÏìíîïİı", "iiiiiiiiii");
	fold_is("ÒÓÔÕÖØòóôõöøŐ", "ooooooooooooo");
	fold_is("ÙÚÛÜùúûüŮŰ", "uuuuuuuuuu");
	fold_is("ÑñŃŇ", "nnnn");
	fold_is("ÝýŸŶ", "yyyy");
	fold_is("ŠšŚŞſ", "sssss");
	fold_is("ŽžŹŻ", "zzzz");
	fold_is("ĐđÐð", "dddd");
	fold_is("ĞĢğ", "ggg");
}

static void test_fold_separators(void **state)
{
	(void)state;
	/* Apostrophes: ' ’ ‘ ʼ */
	fold_is("D'ALBY", "d alby");
	fold_is("d’Alby", "d alby");
	fold_is("d\342\200\230Alby", "d alby");
	fold_is("d\312\274Alby", "d alby");
	/* Hyphens: - ‐ ‑ – — − and runs of them with spaces. */
	fold_is("Jean-Pierre", "jean pierre");
	fold_is("Jean\xe2\x80\x90Pierre", "jean pierre");
	fold_is("Jean\xe2\x80\x91Pierre", "jean pierre");
	fold_is("Jean\xe2\x80\x94Pierre", "jean pierre");
	fold_is("Jean\xe2\x88\x92Pierre", "jean pierre");
	fold_is("Jean - Pierre", "jean pierre");
	fold_is("Jean--Pierre", "jean pierre");
	/* White space: tabs, newlines, NBSP, narrow NBSP, em space, ideographic. */
	fold_is("a\t\r\nb", "a b");
	fold_is("a\302\240\342\200\257b", "a b");
	fold_is("a\342\200\203b\343\200\200c", "a b c");
	fold_is(" \xc2\xa0 -' ", "");
	fold_is("", "");
	/* Invisible characters vanish without splitting the word. */
	fold_is("Jean\302\255ne", "jeanne");             /* soft hyphen */
	fold_is("\357\273\277Anne\342\200\213", "anne"); /* BOM, ZWSP */
	/* Other characters are kept. */
	fold_is("P.", "p.");
	fold_is("CDCA 76", "cdca 76");
	fold_is("Ωmega ×2", "Ωmega ×2");
	fold_is("Invité(e)", "invite(e)");
}

static void test_fold_errors(void **state)
{
	(void)state;
	char *out = (char *)1;

	assert_int_equal(cts_text_fold(&out, "J\xe9r\xf4me"), CTS_EINVAL);
	assert_null(out);
	assert_non_null(strstr(cts_error_message(), "UTF-8"));
	out = (char *)1;
	assert_int_equal(cts_text_fold(&out, "\xed\xa0\x80"), CTS_EINVAL);
	assert_null(out);
	out = (char *)1;
	assert_int_equal(cts_text_fold(&out, NULL), CTS_EINVAL);
	assert_null(out);
}

static void trim_is(const char *in, const char *want)
{
	char *out = NULL;
	assert_int_equal(cts_text_trim(&out, in), 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_trim(void **state)
{
	(void)state;
	char *out = (char *)1;

	trim_is("abc", "abc");
	trim_is("  abc  ", "abc");
	trim_is("\t\r\n x \r\n", "x");
	trim_is("a  b", "a  b");
	trim_is("\302\240Rouen\302\240", "Rouen");
	trim_is("\342\200\257Elbeuf \342\200\257", "Elbeuf");
	trim_is("\357\273\277NOM", "NOM");
	trim_is("é\xc2\xa0", "é");
	trim_is("\302\240é", "é");
	trim_is("Hève\xe3\x80\x80", "Hève");
	trim_is("a\302\240b", "a\302\240b"); /* inner NBSP kept */
	trim_is("   ", "");
	trim_is("\xc2\xa0\xe2\x80\xaf", "");
	trim_is("", "");
	/* Characters that end in the same bytes as a space are not spaces:
	 * U+00E0 à is C3 A0, NBSP is C2 A0. */
	trim_is("voil\xc3\xa0", "voilà");
	trim_is("\xe2\x80\x99", "’");

	assert_int_equal(cts_text_trim(&out, " \xff "), CTS_EINVAL);
	assert_null(out);
	out = (char *)1;
	assert_int_equal(cts_text_trim(&out, NULL), CTS_EINVAL);
	assert_null(out);
}

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(cts_text_width(NULL), 0);
	assert_int_equal(cts_text_width(""), 0);
	assert_int_equal(cts_text_width("Prénom"), 6);
	assert_int_equal(cts_text_width("Pre\xcc\x81nom"), 6); /* e + combining acute */
	assert_int_equal(cts_text_width("\xc3\x89tat"), 4);    /* État */
	assert_int_equal(cts_text_width("a\xe2\x80\x8b"
	                                "b"),
	                 2);                                             /* zero-width space */
	assert_int_equal(cts_text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* two wide characters */
	assert_int_equal(cts_text_width("a\xff"
	                                "b"),
	                 3);                                      /* invalid byte: one column */
	assert_int_equal(cts_text_width_prefix("Réunion", 2), 3); /* "Ré": 3 bytes */
	assert_int_equal(cts_text_width_prefix("Re\xcc\x81union", 2),
	                 4); /* the mark stays with its letter */
	assert_int_equal(cts_text_width_prefix("\xe6\x97\xa5\xe6\x9c\xac", 3), 3);
	assert_int_equal(cts_text_width_prefix("abc", 10), 3);
}

static void test_dates(void **state)
{
	char out[11], fr[32];

	(void)state;
	assert_int_equal(cts_text_date_parse("2020-06-16", out), 0);
	assert_string_equal(out, "2020-06-16");
	assert_int_equal(cts_text_date_parse("16/06/2020", out), 0);
	assert_string_equal(out, "2020-06-16");
	assert_int_equal(cts_text_date_parse("1/9/2020", out), 0);
	assert_string_equal(out, "2020-09-01");
	assert_int_equal(cts_text_date_parse("29.02.2020", out), 0);
	assert_string_equal(out, "2020-02-29");
	assert_int_equal(cts_text_date_parse("29/02/2021", out), CTS_EINVAL);
	assert_string_equal(out, "");
	static const char *const bad[] = { "",           "2020-6-16",   "16/06/20",    "16/06-2020",
		                           "2020/06/16", "16/06/2020 ", "31/04/2020",  "00/01/2020",
		                           "16/13/2020", "123/01/2020", "2020-06-16x", NULL };
	for (int i = 0; bad[i]; i++)
		if (cts_text_date_parse(bad[i], out) != CTS_EINVAL)
			fail_msg("« %s » accepté", bad[i]);
	assert_int_equal(cts_text_date_parse(NULL, out), CTS_EINVAL);
	assert_string_equal(cts_text_date_fr(fr, sizeof(fr), "2020-06-16"), "16/06/2020");
	assert_string_equal(cts_text_date_fr(fr, sizeof(fr), "bientôt"), "bientôt");
	assert_string_equal(cts_text_date_fr(fr, sizeof(fr), NULL), "");
	assert_string_equal(cts_text_date_fr(fr, 4, "2020-06-16"), "16/");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid_accepts),
		cmocka_unit_test(test_utf8_valid_refuses),
		cmocka_unit_test(test_utf8_valid_prefix),
		cmocka_unit_test(test_cp1252_every_byte),
		cmocka_unit_test(test_cp1252_strings),
		cmocka_unit_test(test_fold_names),
		cmocka_unit_test(test_fold_separators),
		cmocka_unit_test(test_fold_errors),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_utf8_seq),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
