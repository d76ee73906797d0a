#include "html.h"

#include "error.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ui_html_init(ui_html *h, size_t max)
{
	memset(h, 0, sizeof(*h));
	h->max = max;
}

void ui_html_dispose(ui_html *h)
{
	free(h->ptr);
	h->ptr = NULL;
	h->len = h->cap = 0;
}

static int reserve(ui_html *h, size_t more)
{
	size_t cap;
	char *p;

	if (h->failed)
		return -1;
	if (more > h->max || h->len > h->max - more) {
		h->failed = CTS_ELIMIT;
		return -1;
	}
	if (h->len + more + 1 <= h->cap)
		return 0;
	cap = h->cap ? h->cap : 4096;
	while (cap < h->len + more + 1)
		cap = cap > h->max / 2 ? h->max + 1 : cap * 2;
	if (!(p = realloc(h->ptr, cap))) {
		h->failed = CTS_ENOMEM;
		return -1;
	}
	h->ptr = p;
	h->cap = cap;
	return 0;
}

static void put(ui_html *h, const char *s, size_t n)
{
	if (n == 0 || reserve(h, n) < 0)
		return;
	memcpy(h->ptr + h->len, s, n);
	h->len += n;
	h->ptr[h->len] = '\0';
}

/* Escape a run of valid UTF-8. */
static void put_valid(ui_html *h, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;

		switch (c) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '\t':
		case '\n':
		case '\r':
			continue;
		default:
			if (c >= 0x20 && c != 0x7f)
				continue;
			rep = ""; /* other control characters are dropped */
		}
		put(h, s + start, i - start);
		put(h, rep, strlen(rep));
		start = i + 1;
	}
	put(h, s + start, n - start);
}

void ui_html_textn(ui_html *h, const char *s, size_t n)
{
	size_t i = 0;

	if (!s)
		return;
	while (i < n) {
		size_t ok = cts_text_utf8_valid_prefix(s + i, n - i);
		put_valid(h, s + i, ok);
		i += ok;
		if (i < n) {
			put(h, "\xef\xbf\xbd", 3); /* U+FFFD for one bad byte */
			i++;
		}
	}
}

void ui_html_text(ui_html *h, const char *s)
{
	if (s)
		ui_html_textn(h, s, strlen(s));
}

void ui_html_vf(ui_html *h, const char *fmt, va_list ap)
{
	const char *p = fmt;

	while (*p) {
		const char *pc = strchr(p, '%');
		char num[32];
		int lng = 0, n = -1;

		if (!pc) {
			put(h, p, strlen(p));
			return;
		}
		put(h, p, (size_t)(pc - p));
		p = pc + 1;
		if (*p == '%') {
			put(h, "%", 1);
			p++;
			continue;
		}
		if (*p == 's') {
			ui_html_text(h, va_arg(ap, const char *));
			p++;
			continue;
		}
		if (*p == 'z' && p[1] == 'u') {
			n = snprintf(num, sizeof(num), "%zu", va_arg(ap, size_t));
			p += 2;
		} else {
			while (*p == 'l' && lng < 2) {
				lng++;
				p++;
			}
			if (*p == 'd' || *p == 'i') {
				if (lng == 0)
					n = snprintf(num, sizeof(num), "%d", va_arg(ap, int));
				else if (lng == 1)
					n = snprintf(num, sizeof(num), "%ld", va_arg(ap, long));
				else
					n = snprintf(num, sizeof(num), "%lld",
					             va_arg(ap, long long));
			} else if (*p == 'u') {
				if (lng == 0)
					n = snprintf(num, sizeof(num), "%u", va_arg(ap, unsigned));
				else if (lng == 1)
					n = snprintf(num, sizeof(num), "%lu",
					             va_arg(ap, unsigned long));
				else
					n = snprintf(num, sizeof(num), "%llu",
					             va_arg(ap, unsigned long long));
			}
			if (n >= 0)
				p++;
		}
		if (n < 0) {
			h->failed = CTS_ERR; /* a conversion this writer does not have */
			return;
		}
		put(h, num, (size_t)n);
	}
}

void ui_html_f(ui_html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ui_html_vf(h, fmt, ap);
	va_end(ap);
}

int ui_html_take(ui_html *h, char **out, size_t *len)
{
	int failed = h->failed;

	*out = NULL;
	if (failed) {
		ui_html_dispose(h);
		h->failed = 0;
		if (failed == CTS_ELIMIT)
			return cts_error_set(CTS_ELIMIT, "page trop grande (%zu octets au plus)",
			                     h->max);
		if (failed == CTS_ENOMEM)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		return cts_error_set(CTS_ERR, "conversion inconnue dans un gabarit de page");
	}
	if (!h->ptr && reserve(h, 0) < 0)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	h->ptr[h->len] = '\0';
	*out = h->ptr;
	if (len)
		*len = h->len;
	h->ptr = NULL;
	h->len = h->cap = 0;
	return 0;
}

char *ui_html_escape(const char *s, size_t n)
{
	ui_html h;
	char *out = NULL;

	ui_html_init(&h, 8 * n + 64);
	ui_html_textn(&h, s, n);
	if (ui_html_take(&h, &out, NULL) < 0)
		return NULL;
	return out;
}
