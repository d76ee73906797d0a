#include "sha1.h"

#include <string.h>

static uint32_t rol(uint32_t x, int s)
{
	return (x << s) | (x >> (32 - s));
}

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5A827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ED9EBA1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8F1BBCDC;
		} else {
			f = b ^ c ^ d;
			k = 0xCA62C1D6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void cts_sha1_init(cts_sha1_ctx *c)
{
	static const uint32_t iv[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
		                        0xC3D2E1F0 };

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->n = 0;
}

void cts_sha1_update(cts_sha1_ctx *c, const unsigned char *p, size_t len)
{
	c->len += len;
	while (len > 0) {
		size_t take = 64 - c->n < len ? 64 - c->n : len;
		memcpy(c->buf + c->n, p, take);
		c->n += take;
		p += take;
		len -= take;
		if (c->n == 64) {
			sha1_block(c->h, c->buf);
			c->n = 0;
		}
	}
}

void cts_sha1_final(cts_sha1_ctx *c, unsigned char out[20])
{
	uint64_t bits = c->len * 8;
	unsigned char pad = 0x80, zero = 0, lenb[8];

	cts_sha1_update(c, &pad, 1);
	while (c->n != 56)
		cts_sha1_update(c, &zero, 1);
	for (int i = 0; i < 8; i++)
		lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
	cts_sha1_update(c, lenb, 8);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}

void cts_hmac_sha1(const unsigned char *key, size_t klen, const char *msg, unsigned char out[20])
{
	unsigned char k[64] = { 0 }, ipad[64], opad[64], inner[20];
	cts_sha1_ctx c;

	if (klen > 64) {
		cts_sha1_init(&c);
		cts_sha1_update(&c, key, klen);
		cts_sha1_final(&c, k);
	} else {
		memcpy(k, key, klen);
	}
	for (int i = 0; i < 64; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	cts_sha1_init(&c);
	cts_sha1_update(&c, ipad, 64);
	cts_sha1_update(&c, (const unsigned char *)msg, strlen(msg));
	cts_sha1_final(&c, inner);
	cts_sha1_init(&c);
	cts_sha1_update(&c, opad, 64);
	cts_sha1_update(&c, inner, 20);
	cts_sha1_final(&c, out);
}
