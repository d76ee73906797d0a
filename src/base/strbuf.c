#include "strbuf.h"

#include "error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for n more bytes and the NUL; 0, or -1 with b->oom set. */
static int grow(cts_strbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->oom)
		return -1;
	if (b->ptr && n < b->cap - b->len)
		return 0;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	char *p = realloc(b->ptr, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->ptr = p;
	b->cap = cap;
	return 0;
}

void cts_strbuf_addn(cts_strbuf *b, const char *s, size_t n)
{
	if (grow(b, n) < 0)
		return;
	if (n)
		memcpy(b->ptr + b->len, s, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

void cts_strbuf_addc(cts_strbuf *b, char c)
{
	if (grow(b, 1) < 0)
		return;
	b->ptr[b->len++] = c;
	b->ptr[b->len] = '\0';
}

void cts_strbuf_add(cts_strbuf *b, const char *s)
{
	cts_strbuf_addn(b, s, strlen(s));
}

void cts_strbuf_addf(cts_strbuf *b, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		cts_strbuf_addn(b, small, (size_t)n);
		return;
	}
	if (!(big = malloc((size_t)n + 1))) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cts_strbuf_addn(b, big, (size_t)n);
	free(big);
}

int cts_strbuf_take(cts_strbuf *b, char **out, size_t *len)
{
	if (b->oom) {
		cts_strbuf_dispose(b);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	if (!b->ptr)
		cts_strbuf_add(b, "");
	*out = b->ptr;
	if (len)
		*len = b->len;
	memset(b, 0, sizeof(*b));
	return *out ? 0 : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

void cts_strbuf_dispose(cts_strbuf *b)
{
	free(b->ptr);
	memset(b, 0, sizeof(*b));
}

int cts_array_reserve(void *pv, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t ncap = *cap ? *cap * 2 : first;
	void *v, *p;

	if (n < *cap)
		return 0;
	memcpy(&v, pv, sizeof(v));
	if (ncap < *cap || ncap > SIZE_MAX / size || !(p = realloc(v, ncap * size)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	memcpy(pv, &p, sizeof(p));
	*cap = ncap;
	return 0;
}
