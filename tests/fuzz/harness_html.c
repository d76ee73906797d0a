/*
 * The web interface's HTML writer (src/ui/html.h) on arbitrary text.
 * Properties:
 *  - escaped text is valid UTF-8 and holds none of < > " ' , and every &
 *    starts one of the five entities it writes;
 *  - unescaped again it is valid UTF-8 without control characters other
 *    than tab, newline and carriage return; when the input was already
 *    such text, it is exactly the input;
 *  - the formatter writes the literal markup around the escaped text, and
 *    past its bound it fails as a whole (no partial page handed out).
 */
#include "harness.h"

#include "error.h"
#include "html.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
static const char entity_chars[] = "&<>\"'";

/* Entities back to characters; NULL when an & starts none of ours. */
static char *unescape(const char *e)
{
	char *out = malloc(strlen(e) + 1), *o = out;

	FUZZ_CHECK(out != NULL);
	while (*e) {
		if (*e != '&') {
			*o++ = *e++;
			continue;
		}
		size_t k;
		for (k = 0; k < 5 && strncmp(e, entities[k], strlen(entities[k])) != 0; k++)
			;
		if (k == 5) {
			free(out);
			return NULL;
		}
		*o++ = entity_chars[k];
		e += strlen(entities[k]);
	}
	*o = '\0';
	return out;
}

static int plain_text(const char *s, size_t n)
{
	if (!cts_text_utf8_valid(s, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return 0;
	}
	return 1;
}

static void check_escape(const char *s, size_t n)
{
	char *e = ui_html_escape(s, n), *u;

	FUZZ_CHECK(e != NULL);
	FUZZ_CHECK(cts_text_utf8_valid(e, strlen(e)));
	FUZZ_CHECK(strpbrk(e, "<>\"'") == NULL);
	u = unescape(e);
	FUZZ_CHECK(u != NULL);
	FUZZ_CHECK(plain_text(u, strlen(u)));
	if (plain_text(s, n))
		FUZZ_CHECK(strlen(u) == n && memcmp(u, s, n) == 0);
	free(u);
	free(e);
}

static void check_format(const char *z, size_t bound)
{
	char *e = ui_html_escape(z, strlen(z)), *out = NULL, *want;
	size_t want_len, len = 0;
	ui_html h;
	int rc;

	FUZZ_CHECK(e != NULL);
	want_len = strlen("<p title=\"\">") + 2 * strlen(e) + strlen(" 42 -7 100%</p>");
	want = malloc(want_len + 1);
	FUZZ_CHECK(want != NULL);
	strcpy(want, "<p title=\"");
	strcat(want, e);
	strcat(want, "\">");
	strcat(want, e);
	strcat(want, " 42 -7 100%</p>");
	ui_html_init(&h, bound);
	ui_html_f(&h, "<p title=\"%s\">%s %zu %lld 100%%</p>", z, z, (size_t)42, -7LL);
	cts_error_clear();
	rc = ui_html_take(&h, &out, &len);
	if (want_len > bound) {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_ELIMIT && out == NULL);
	} else {
		FUZZ_CHECK(rc == 0 && out != NULL && len == want_len && strcmp(out, want) == 0);
	}
	free(out);
	free(want);
	free(e);
	ui_html_dispose(&h);
}

int cts_fuzz_html(const uint8_t *data, size_t size)
{
	char *z = cts_fuzz_strndup(data, size);

	check_escape((const char *)data, size);
	check_format(z, size ? (size_t)data[0] * 8 : 16);
	check_format(z, 1u << 20);
	free(z);
	return 0;
}
