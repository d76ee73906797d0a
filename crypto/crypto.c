#include "crypto.h"

#include "error.h"

#include <sodium.h>

int cts_crypto_init(void)
{
	/* 0: initialised now, 1: already initialised, -1: failure. */
	if (sodium_init() < 0)
		return cts_error_set(CTS_ECRYPTO, "initialisation de libsodium impossible");
	return 0;
}
