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

static int b64_alphabet(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int cts_crypto_base64_decode(unsigned char *bin, size_t cap, size_t *bin_len, const char *b64,
                             size_t b64_len)
{
	size_t body = b64_len;
	int rc;

	*bin_len = 0;
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if (b64_len % 4 != 0)
		return cts_error_set(
		    CTS_EINVAL, "base64 invalide (longueur %zu, multiple de 4 attendu)", b64_len);
	/* Up to two "=" at the very end, nothing but the alphabet before. */
	while (body > 0 && b64_len - body < 2 && b64[body - 1] == '=')
		body--;
	for (size_t i = 0; i < body; i++)
		if (!b64_alphabet(b64[i]))
			return cts_error_set(
			    CTS_EINVAL, "base64 invalide (caractère non autorisé en position %zu)",
			    i + 1);
	/* libsodium checks the padding length and the unused bits. */
	if (sodium_base642bin(bin, cap, b64, b64_len, NULL, bin_len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0) {
		*bin_len = 0;
		return cts_error_set(CTS_EINVAL,
		                     "base64 invalide (remplissage, bits de fin ou longueur)");
	}
	return 0;
}
