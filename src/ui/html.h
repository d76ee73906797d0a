/*
 * The one HTML writer of the web interface. Its default is to escape:
 *
 *   ui_html_f(h, "<td title=\"%s\">%s</td>", a, b);
 *
 * The format string is trusted literal markup (the compiler refuses a
 * format that is not a string literal: -Wformat=2 -Werror); every %s
 * argument is text and is escaped for both element content and quoted
 * attribute values (& < > " '). There is no conversion that writes a
 * string unescaped: a fragment of markup is written by calling functions
 * on the same writer, never passed as an argument.
 *
 * Conversions: %s (escaped text; NULL writes nothing), %d %i %u %ld %lu
 * %lld %llu %zu (integers), %% (a percent sign). Anything else marks the
 * writer as failed (a bug: nothing is served).
 *
 * Text is also made safe as characters: invalid UTF-8 becomes U+FFFD and
 * control characters other than tab, newline and carriage return are
 * dropped, so a page is always valid UTF-8.
 *
 * The buffer grows up to a bound given at init; past it (or when memory
 * runs out) the writer stops writing and reports failure at take time.
 */
#ifndef CTS_UI_HTML_H
#define CTS_UI_HTML_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
	char *ptr; /* owned; NUL-terminated once anything was written */
	size_t len, cap, max;
	int failed; /* bound exceeded, allocation failure or bad conversion */
} ui_html;

/* An empty writer that will hold at most max bytes. */
void ui_html_init(ui_html *h, size_t max);

/* Release the buffer; the writer can be initialised again. */
void ui_html_dispose(ui_html *h);

/* Append literal markup with escaped conversions (see above). */
void ui_html_f(ui_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_html_vf(ui_html *h, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Append escaped text (s may be NULL: nothing). */
void ui_html_text(ui_html *h, const char *s);
void ui_html_textn(ui_html *h, const char *s, size_t n);

/* Hand the page over: *out malloc'd (NUL-terminated), *len bytes.
 * CTS_ELIMIT / CTS_ENOMEM / CTS_ERR (bad conversion) when the writer
 * failed; the writer is emptied either way. */
int ui_html_take(ui_html *h, char **out, size_t *len);

/* Escape s into a new malloc'd string (the same rules); NULL on failure.
 * For tests and the fuzz target. */
char *ui_html_escape(const char *s, size_t n);

#endif
