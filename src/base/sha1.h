/*
 * SHA-1 and HMAC-SHA1, only to match OpenSSH's hashed known_hosts host
 * names (libsodium has no SHA-1); not used for any other decision.
 */
#ifndef CTS_SHA1_H
#define CTS_SHA1_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t h[5];
	uint64_t len;
	unsigned char buf[64];
	size_t n;
} cts_sha1_ctx;

void cts_sha1_init(cts_sha1_ctx *c);
void cts_sha1_update(cts_sha1_ctx *c, const unsigned char *p, size_t len);
/* Writes the 20-byte digest; c must be initialised again to be reused. */
void cts_sha1_final(cts_sha1_ctx *c, unsigned char out[20]);
/* HMAC-SHA1 of the NUL-terminated msg under key (RFC 2104). */
void cts_hmac_sha1(const unsigned char *key, size_t klen, const char *msg, unsigned char out[20]);

#endif
