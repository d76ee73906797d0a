#include "sshwire.h"

#include <string.h>

void cts_sshwire_put(cts_sshwire_writer *w, const void *s, size_t n)
{
	/* Once overflowed (len == cap + 1), cap - len would wrap: stay overflowed. */
	if (w->len > w->cap || w->cap - w->len < n) {
		w->len = w->cap + 1;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

void cts_sshwire_put_u32(cts_sshwire_writer *w, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
		               (unsigned char)(v >> 8), (unsigned char)v };
	cts_sshwire_put(w, b, 4);
}

void cts_sshwire_put_string(cts_sshwire_writer *w, const void *s, size_t n)
{
	cts_sshwire_put_u32(w, (uint32_t)n);
	cts_sshwire_put(w, s, n);
}

int cts_sshwire_ok(const cts_sshwire_writer *w)
{
	return w->len <= w->cap;
}

int cts_sshwire_get_u32(cts_sshwire_reader *r, uint32_t *v)
{
	if (r->len - r->pos < 4)
		return -1;
	*v = (uint32_t)r->p[r->pos] << 24 | (uint32_t)r->p[r->pos + 1] << 16 |
	     (uint32_t)r->p[r->pos + 2] << 8 | (uint32_t)r->p[r->pos + 3];
	r->pos += 4;
	return 0;
}

int cts_sshwire_get_string(cts_sshwire_reader *r, const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (cts_sshwire_get_u32(r, &n) < 0 || r->len - r->pos < n)
		return -1;
	*s = r->p + r->pos;
	*len = n;
	r->pos += n;
	return 0;
}
