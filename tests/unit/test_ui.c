/* The web interface's pieces that need no HTTP server: the HTML writer,
 * form fields, cookies, Host and Origin checks, error attribution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app.h"
#include "error.h"
#include "html.h"
#include "request.h"

#include <stdlib.h>
#include <string.h>

static char *render(size_t max, const char *s)
{
	ui_html h;
	char *out = NULL;

	ui_html_init(&h, max);
	ui_html_f(&h, "<a title=\"%s\">%s</a> %d %lld %zu %u 100%%", s, s, -3, 1234567890123LL,
	          (size_t)7, 9u);
	if (ui_html_take(&h, &out, NULL) < 0)
		return NULL;
	return out;
}

static void test_html_escapes(void **state)
{
	char *out = render(4096, "<script>alert('x') & \"y\"</script>");

	(void)state;
	assert_non_null(out);
	assert_string_equal(
	    out, "<a title=\"&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;\">"
	         "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;</a> -3 "
	         "1234567890123 7 9 100%");
	free(out);
	/* Control characters dropped, invalid UTF-8 replaced, accents kept. */
	out = ui_html_escape("é\x01\tà\xff.", strlen("é\x01\tà\xff."));
	assert_string_equal(out, "é\tà\xef\xbf\xbd.");
	free(out);
}

static void test_html_bounded(void **state)
{
	ui_html h;
	char *out = (char *)1;

	(void)state;
	assert_null(render(20, "assez long pour dépasser"));
	assert_int_equal(cts_error_last(), CTS_ELIMIT);
	/* An unknown conversion fails the whole page. */
	ui_html_init(&h, 4096);
	ui_html_f(&h, "<p>%x</p>", 255u);
	assert_int_equal(ui_html_take(&h, &out, NULL), CTS_ERR);
	assert_null(out);
}

static const ui_form_limits lim = { 4, 16, 10, 20, 40 };

static void test_form_chunks(void **state)
{
	ui_form *f;
	const char *data, *name;
	size_t len;

	(void)state;
	assert_int_equal(ui_form_new(&f, &lim), 0);
	assert_int_equal(ui_form_feed(f, "last_name", NULL, "DUP", 0, 3), 0);
	assert_int_equal(ui_form_feed(f, "last_name", NULL, "ONT", 3, 3), 0);
	assert_int_equal(ui_form_feed(f, "empty", NULL, "", 0, 0), 0);
	assert_int_equal(ui_form_feed(f, "sheet", "a.csv", "NOM;\0X", 0, 6), 0);
	assert_string_equal(ui_form_get(f, "last_name"), "DUPONT");
	assert_string_equal(ui_form_get(f, "empty"), "");
	assert_null(ui_form_get(f, "sheet")); /* a file is not text */
	assert_int_equal(ui_form_file(f, "sheet", &data, &len, &name), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(data, "NOM;\0X", 6);
	assert_string_equal(name, "a.csv");
	/* A chunk out of order is refused, and the error sticks. */
	assert_int_equal(ui_form_feed(f, "last_name", NULL, "X", 9, 1), CTS_EINVAL);
	assert_int_equal(ui_form_feed(f, "other", NULL, "x", 0, 1), CTS_EINVAL);
	assert_int_equal(ui_form_error(f), CTS_EINVAL);
	ui_form_free(f);
}

static void test_form_limits(void **state)
{
	ui_form *f;

	(void)state;
	assert_int_equal(ui_form_new(&f, &lim), 0);
	assert_int_equal(ui_form_feed(f, "a", NULL, "0123456789x", 0, 11),
	                 CTS_ELIMIT); /* text > 10 */
	ui_form_free(f);
	assert_int_equal(ui_form_new(&f, &lim), 0);
	assert_int_equal(ui_form_feed(f, "bad key!", NULL, "x", 0, 1), CTS_EINVAL);
	ui_form_free(f);
	assert_int_equal(ui_form_new(&f, &lim), 0);
	assert_int_equal(ui_form_feed(f, "a", NULL, "x\0y", 0, 3), CTS_EINVAL); /* NUL in text */
	ui_form_free(f);
	assert_int_equal(ui_form_new(&f, &lim), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ui_form_feed(f, "k", NULL, "v", 0, 1), 0);
	assert_int_equal(ui_form_feed(f, "k", NULL, "v", 0, 1), CTS_ELIMIT); /* fifth field */
	ui_form_free(f);
	assert_int_equal(ui_form_new(&f, &lim), 0);
	assert_int_equal(ui_form_feed(f, "f", "x", "0123456789", 0, 10), 0);
	assert_int_equal(ui_form_feed(f, "f", "x", "0123456789", 10, 10), 0);
	assert_int_equal(ui_form_feed(f, "f", "x", "0", 20, 1), CTS_ELIMIT); /* file > 20 */
	ui_form_free(f);
}

static void test_cookie(void **state)
{
	char v[16];

	(void)state;
	assert_int_equal(ui_cookie_get("a=1; ctsnode_8080=abc; b=2", "ctsnode_8080", v, sizeof(v)),
	                 0);
	assert_string_equal(v, "abc");
	assert_int_equal(ui_cookie_get("xctsnode_8080=abc", "ctsnode_8080", v, sizeof(v)),
	                 CTS_ENOTFOUND);
	assert_int_equal(ui_cookie_get("ctsnode_8080=", "ctsnode_8080", v, sizeof(v)),
	                 CTS_ENOTFOUND);
	assert_int_equal(
	    ui_cookie_get("ctsnode_8080=0123456789abcdefXYZ", "ctsnode_8080", v, sizeof(v)),
	    CTS_ENOTFOUND);
	assert_int_equal(ui_cookie_get(NULL, "ctsnode_8080", v, sizeof(v)), CTS_ENOTFOUND);
}

static void test_host_origin(void **state)
{
	(void)state;
	assert_true(ui_host_ok("127.0.0.1:8080", 8080));
	assert_true(ui_host_ok("LOCALHOST:8080", 8080));
	assert_false(ui_host_ok("127.0.0.1:80800", 8080));
	assert_false(ui_host_ok("127.0.0.1", 8080));
	assert_false(ui_host_ok("evil.example:8080", 8080));
	assert_false(ui_host_ok("127.0.0.1.evil.example:8080", 8080));
	assert_false(ui_host_ok(NULL, 8080));
	assert_true(ui_origin_ok(NULL, 8080));
	assert_true(ui_origin_ok("null", 8080));
	assert_true(ui_origin_ok("http://127.0.0.1:8080", 8080));
	assert_false(ui_origin_ok("https://127.0.0.1:8080", 8080));
	assert_false(ui_origin_ok("http://127.0.0.1:8081", 8080));
	assert_false(ui_origin_ok("http://evil.example", 8080));
	assert_true(ui_secret_equal("abc", "abc"));
	assert_false(ui_secret_equal("abc", "abd"));
	assert_false(ui_secret_equal("", ""));
	assert_false(ui_secret_equal("abc", NULL));
}

static void test_error_field(void **state)
{
	static const char *const member[] = { "last_name", "first_name", "college", NULL };
	static const char *const opinion[] = { "meeting", "subject", "for", "against",
		                               "abstain", "outcome", NULL };

	(void)state;
	assert_string_equal(ui_error_field("le nom est obligatoire : une valeur vide est refusée",
	                                   "member", member),
	                    "last_name");
	assert_string_equal(ui_error_field("le prénom contient un caractère de contrôle interdit",
	                                   "member", member),
	                    "first_name");
	assert_string_equal(
	    ui_error_field("collège inconnu « x » : professionnels, usagers", "member", member),
	    "college");
	/* "le nombre de voix contre" is not "le nom", nor the votes for. */
	assert_string_equal(
	    ui_error_field("le nombre de voix contre : -1 n'est pas un nombre valable", "opinion",
	                   opinion),
	    "against");
	assert_string_equal(
	    ui_error_field("102 voix exprimées pour 15 membres présents", "opinion", opinion),
	    "for");
	assert_null(ui_error_field("erreur sans rapport", "member", member));
}

/* Library messages in a page's words: command lines dropped, options
 * said as the page's checkboxes; a buffer too small never overflows. */
static void test_plain(void **state)
{
	char out[512], tiny[12];

	(void)state;
	ui_plain("une réunion Bureau du 16/06/2020 est déjà enregistrée : « X » (identifiant "
	         "1234abcd) ; corrigez-la "
	         "plutôt (ctsnode meeting update 1234abcd), ou, s'il s'agit bien d'une autre "
	         "réunion le même jour, "
	         "ajoutez --again",
	         out, sizeof(out));
	assert_null(strstr(out, "ctsnode"));
	assert_null(strstr(out, "--again"));
	assert_non_null(strstr(out, "corrigez-la plutôt, ou,"));
	assert_non_null(strstr(out, "cochez « Enregistrer quand même »"));
	ui_plain("Rien n'a été importé. Pour remplacer les présences par cette feuille, relancez "
	         "avec --replace ; pour "
	         "corriger une seule personne : ctsnode attendance set",
	         out, sizeof(out));
	assert_string_equal(out, "Rien n'a été importé. Pour remplacer les présences par cette "
	                         "feuille, cochez « Remplacer "
	                         "les présences déjà saisies » ; pour corriger une seule personne "
	                         ": la liste des présences "
	                         "de la réunion");
	ui_plain("verrouillée (pour la corriger : ctsnode meeting reopen 1234abcd --reason "
	         "\"pourquoi\")",
	         out, sizeof(out));
	assert_string_equal(out, "verrouillée");
	assert_string_equal(ui_plain("relancez avec --replace", tiny, sizeof(tiny)), "relancez av");
	assert_string_equal(ui_plain(NULL, tiny, sizeof(tiny)), "");
	ui_plain("(ctsnode sans fin", out, sizeof(out));
	assert_string_equal(out, "(ctsnode sans fin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_escapes), cmocka_unit_test(test_html_bounded),
		cmocka_unit_test(test_form_chunks),  cmocka_unit_test(test_form_limits),
		cmocka_unit_test(test_cookie),       cmocka_unit_test(test_host_origin),
		cmocka_unit_test(test_error_field),  cmocka_unit_test(test_plain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
