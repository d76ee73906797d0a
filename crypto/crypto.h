/*
 * One libsodium initialisation for the whole program, and the strict
 * base64 decoder shared by crypto/ (keys and SSHSIG).
 *
 * Every function of crypto/ calls cts_crypto_init() itself before using
 * libsodium, so callers never have to; the CLI calls it once at start-up
 * anyway so that a broken libsodium is reported early.
 */
#ifndef CTS_CRYPTO_H
#define CTS_CRYPTO_H

#include <stddef.h>

/* sodium_init() (idempotent and thread-safe: libsodium serialises it).
 * Returns 0, or CTS_ECRYPTO with a message if libsodium cannot start. */
int cts_crypto_init(void);

/* Strict standard base64 (RFC 4648 §4): only A-Z a-z 0-9 + /, the exact
 * "=" padding, no whitespace, zero unused trailing bits. b64 has b64_len
 * bytes (no NUL needed); at most cap bytes go to bin, *bin_len gets the
 * count. CTS_EINVAL "base64 invalide (...)" otherwise: callers prefix it
 * with what was being read.
 * (libsodium 1.0.18's sodium_base642bin alone reads every byte 0x80-0xff
 * as '/', which would give a second spelling of signed data.) */
int cts_crypto_base64_decode(unsigned char *bin, size_t cap, size_t *bin_len, const char *b64,
                             size_t b64_len);

#endif
