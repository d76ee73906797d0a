#include "gitoid.h"

#include "error.h"
#include "sha1.h"

#include <stdio.h>
#include <string.h>

void cts_gitoid_hex(char out[CTS_GITOID_HEXSZ + 1], const cts_gitoid *oid)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < CTS_GITOID_RAWSZ; i++) {
		out[2 * i] = digits[oid->id[i] >> 4];
		out[2 * i + 1] = digits[oid->id[i] & 15];
	}
	out[CTS_GITOID_HEXSZ] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cts_gitoid_parse(cts_gitoid *out, const char *hex)
{
	for (size_t i = 0; i < CTS_GITOID_RAWSZ; i++) {
		int hi = hex ? hex_value(hex[2 * i]) : -1,
		    lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);
		if (lo < 0)
			return cts_error_set(CTS_EINVAL,
			                     "identifiant git invalide « %.48s » (40 "
			                     "chiffres hexadécimaux attendus)",
			                     hex ? hex : "");
		out->id[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int cts_gitoid_equal(const cts_gitoid *a, const cts_gitoid *b)
{
	return memcmp(a->id, b->id, CTS_GITOID_RAWSZ) == 0;
}

void cts_gitoid_blob(cts_gitoid *out, const void *data, size_t len)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "blob %zu", len);
	cts_sha1_ctx c;

	cts_sha1_init(&c);
	cts_sha1_update(&c, (const unsigned char *)head, (size_t)n + 1); /* with its NUL */
	cts_sha1_update(&c, data, len);
	cts_sha1_final(&c, out->id);
}
