#include "csvout.h"

#include <string.h>

void cts_csv_bom(cts_strbuf *b)
{
	cts_strbuf_add(b, "\xef\xbb\xbf");
}

void cts_out_escaped(cts_strbuf *b, const char *s, const char *specials,
                     void (*esc)(cts_strbuf *b, char c))
{
	while (*s) {
		size_t run = strcspn(s, specials);
		if (run)
			cts_strbuf_addn(b, s, run);
		s += run;
		if (!*s)
			break;
		esc(b, *s++);
	}
}

static void double_quote(cts_strbuf *b, char c)
{
	(void)c;
	cts_strbuf_addn(b, "\"\"", 2);
}

void cts_csv_field(cts_strbuf *b, const char *s)
{
	/* Quote when needed; neutralise spreadsheet formulas. */
	int quote = strpbrk(s, ";\"\r\n") != NULL;
	if (quote)
		cts_strbuf_add(b, "\"");
	if (*s == '=' || *s == '+' || *s == '-' || *s == '@')
		cts_strbuf_add(b, "'");
	cts_out_escaped(b, s, "\"", double_quote);
	if (quote)
		cts_strbuf_add(b, "\"");
}

void cts_csv_row(cts_strbuf *b, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			cts_strbuf_add(b, ";");
		cts_csv_field(b, cells[i]);
	}
	cts_strbuf_add(b, "\r\n");
}
