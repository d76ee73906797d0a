/* One libsodium initialisation for the whole program. */
#ifndef CTS_CRYPTO_H
#define CTS_CRYPTO_H

/* sodium_init() once (idempotent). 0 or CTS_ECRYPTO. */
int cts_crypto_init(void);

#endif
