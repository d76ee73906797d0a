/*
 * One libsodium initialisation for the whole program.
 *
 * Every function of crypto/ calls cts_crypto_init() itself before using
 * libsodium, so callers never have to; the CLI calls it once at start-up
 * anyway so that a broken libsodium is reported early.
 */
#ifndef CTS_CRYPTO_H
#define CTS_CRYPTO_H

/* sodium_init() (idempotent and thread-safe: libsodium serialises it).
 * Returns 0, or CTS_ECRYPTO with a message if libsodium cannot start. */
int cts_crypto_init(void);

#endif
